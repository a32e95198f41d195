//! `rein bench tasks`: accuracy and cost of the jobs users run, on rein's
//! labelled set (`bench/tasks/`), several settings side by side on one
//! model load. A benchmark, never a test.
//!
//! Extraction settings, each over every schema's documents:
//!
//! * `unconstrained`: the same prompt without a constraint, the answer read
//!   from the first `{` to the last `}` (what users get without rein);
//! * `rein`: rein's default (`rein extract`);
//! * `extractive`: `rein extract --extractive`;
//! * `mistralrs`: mistral.rs's built-in JSON Schema constraint (llguidance
//!   inside mistral.rs), greedy, on the same prompts;
//! * variants of rein's default, to choose it: `rein-compact`,
//!   `rein-flexible` (layouts), `rein-schema-prompt`, `rein-fields-user`
//!   (prompt styles), `rein-example` (a worked example from
//!   `examples/NAME.json`, a document outside the scored set).
//!
//! Per setting: valid outputs (an invalid answer scores 0 on every field),
//! budget-closed outputs, field accuracy (exact match after trimming
//! strings; lists element by element), tokens and seconds per document.
//!
//! NER settings (`ner-inline`, `ner-lines`: anchored to the document;
//! `ner-free-inline`, `ner-free-lines`: the shipped free-text grammars):
//! entity precision, recall and F1, an entity right when its label and byte
//! span match the gold one exactly.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use rein_runtime::Runtime;
use serde_json::{json, Value};

use crate::batch::{self, Engine, Fields, Task};
use crate::extract::{read_example, ExtractTask, Extractive, Mode};
use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::ner::{Format, NerTask, Tags};
use crate::prompt::{ExtractionPrompt, PromptStyle};
use crate::schema::{Layout, Schema};
use crate::Outcome;

/// The settings run when `--settings` is not given.
const DEFAULT_SETTINGS: &str =
    "unconstrained,rein,extractive,mistralrs,ner-inline,ner-lines,ner-free-inline,ner-free-lines";

/// Arguments of `rein bench tasks`.
#[derive(Args, Debug)]
pub struct TasksArgs {
    /// The labelled set: `NAME.schema.json` with `NAME.jsonl` per
    /// extraction set, and `ner.jsonl`.
    #[arg(long, value_name = "DIR", default_value = "bench/tasks")]
    data: PathBuf,
    /// Extraction sets to run.
    #[arg(long, value_name = "A,B", default_value = "films,invoices,people")]
    sets: String,
    /// Settings to run, comma-separated (see `rein bench tasks --help`).
    #[arg(long, value_name = "A,B", default_value = DEFAULT_SETTINGS)]
    settings: String,
    /// Write every setting's figures and every document's answer here.
    #[arg(long, value_name = "OUT.json")]
    json: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    decoding: DecodingArgs,
}

/// One labelled extraction document.
struct Labelled {
    id: String,
    text: String,
    gold: Value,
}

fn read_jsonl(path: &Path) -> Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_str(line).with_context(|| format!("{}:{}", path.display(), index + 1))
        })
        .collect()
}

fn labelled(path: &Path, gold_key: &str) -> Result<Vec<Labelled>> {
    read_jsonl(path)?
        .into_iter()
        .map(|line| {
            Ok(Labelled {
                id: line["id"]
                    .as_str()
                    .context("a line without an id")?
                    .to_string(),
                text: line["text"]
                    .as_str()
                    .context("a line without a text")?
                    .to_string(),
                gold: line[gold_key].clone(),
            })
        })
        .collect()
}

/// Whether `value` is `gold` after trimming strings.
fn same(value: &Value, gold: &Value) -> bool {
    match (value, gold) {
        (Value::String(a), Value::String(b)) => a.trim() == b.trim(),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (a, b) => a == b,
    }
}

/// The share of `gold`'s fields `output` has right (0 without output).
fn field_accuracy(output: Option<&Value>, gold: &Value) -> f64 {
    let Some(fields) = gold.as_object() else {
        return 0.0;
    };
    let Some(output) = output else {
        return 0.0;
    };
    let right = fields
        .iter()
        .filter(|(name, expected)| {
            output
                .get(name.as_str())
                .is_some_and(|value| same(value, expected))
        })
        .count();
    right as f64 / fields.len().max(1) as f64
}

/// Totals of one setting.
#[derive(Default)]
struct Tally {
    documents: usize,
    valid: usize,
    budget_closed: usize,
    score: f64,
    tokens: usize,
    seconds: f64,
    true_positives: usize,
    predicted: usize,
    gold: usize,
}

impl Tally {
    fn figures(&self, ner: bool) -> Value {
        let per = |x: f64| x / self.documents.max(1) as f64;
        let mut figures = json!({
            "documents": self.documents,
            "valid": self.valid,
            "budget_closed": self.budget_closed,
            "tokens_per_document": per(self.tokens as f64),
            "seconds_per_document": per(self.seconds),
        });
        if ner {
            let precision = self.true_positives as f64 / self.predicted.max(1) as f64;
            let recall = self.true_positives as f64 / self.gold.max(1) as f64;
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            figures["precision"] = json!(precision);
            figures["recall"] = json!(recall);
            figures["f1"] = json!(f1);
        } else {
            figures["field_accuracy"] = json!(per(self.score));
        }
        figures
    }
}

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a Value> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Runs `rein bench tasks`.
pub fn run(args: &TasksArgs) -> Result<Outcome> {
    let decoding = args.decoding.decoding()?;
    let settings: Vec<&str> = args.settings.split(',').map(str::trim).collect();
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let vocabulary = runtime.vocabulary();
    let mut report = serde_json::Map::new();
    println!(
        "{:<20} {:>5} {:>6} {:>7} {:>9} {:>8} {:>8}",
        "setting", "docs", "valid", "closed", "accuracy", "tok/doc", "s/doc"
    );
    for setting in &settings {
        let mut tally = Tally::default();
        let mut answers = Vec::new();
        if let Some(format) = setting.strip_prefix("ner-") {
            let (free_text, format) = match format {
                "inline" => (false, Format::Inline),
                "lines" => (false, Format::Lines),
                "free-inline" => (true, Format::Inline),
                "free-lines" => (true, Format::Lines),
                other => bail!("unknown NER setting ner-{other}"),
            };
            let labels: Vec<String> = ["PER", "LOC", "ORG", "NUM", "DATE"]
                .map(String::from)
                .to_vec();
            let tags = Tags::new(free_text, format, &labels, Arc::clone(&vocabulary), 60)?;
            let task = NerTask::new(labels, format, tags, decoding.clone());
            for document in labelled(&args.data.join("ner.jsonl"), "entities")? {
                let (fields, tokens, seconds) =
                    timed(&tokio, &runtime, &task, &document.text, Engine::Rein);
                tally.documents += 1;
                tally.tokens += tokens;
                tally.seconds += seconds;
                let gold = document.gold.as_array().cloned().unwrap_or_default();
                tally.gold += gold.len();
                let key = |entity: &Value| {
                    (
                        entity["label"].clone(),
                        entity["start"].clone(),
                        entity["end"].clone(),
                    )
                };
                if let Ok(fields) = &fields {
                    tally.valid += 1;
                    tally.budget_closed += usize::from(field(fields, "budget_closed").is_some());
                    let found = field(fields, "entities")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let unaligned = field(fields, "unaligned")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    tally.predicted += found.len() + unaligned;
                    tally.true_positives += found
                        .iter()
                        .filter(|entity| gold.iter().any(|g| key(g) == key(entity)))
                        .count();
                }
                answers.push(json!({"id": document.id, "answer": answer(&fields)}));
            }
            print_row(setting, &tally, true);
        } else {
            for set in args.sets.split(',').map(str::trim) {
                let schema_path = args.data.join(format!("{set}.schema.json"));
                let source = Schema::read(&schema_path)?;
                let (mode, layout, style, engine_schema) = match *setting {
                    "unconstrained" => (
                        Mode::Unconstrained,
                        Layout::default(),
                        PromptStyle::default(),
                        None,
                    ),
                    "rein" => (
                        Mode::Constrained,
                        Layout::default(),
                        PromptStyle::default(),
                        None,
                    ),
                    "rein-compact" => (
                        Mode::Constrained,
                        Layout::Compact,
                        PromptStyle::default(),
                        None,
                    ),
                    "rein-flexible" => (
                        Mode::Constrained,
                        Layout::Flexible,
                        PromptStyle::default(),
                        None,
                    ),
                    "rein-schema-prompt" => (
                        Mode::Constrained,
                        Layout::default(),
                        PromptStyle::Schema,
                        None,
                    ),
                    "rein-fields-user" => (
                        Mode::Constrained,
                        Layout::default(),
                        PromptStyle::FieldsUser,
                        None,
                    ),
                    "rein-example" => (
                        Mode::Constrained,
                        Layout::default(),
                        PromptStyle::default(),
                        None,
                    ),
                    "extractive" => (
                        Mode::Extractive(Extractive::new(
                            source.clone(),
                            Arc::clone(&vocabulary),
                            Layout::default(),
                        )),
                        Layout::default(),
                        PromptStyle::default(),
                        None,
                    ),
                    "mistralrs" => (
                        Mode::Unconstrained,
                        Layout::default(),
                        PromptStyle::default(),
                        Some(source.value().clone()),
                    ),
                    other => bail!("unknown setting {other}"),
                };
                let schema = source.compile(Arc::clone(&vocabulary), layout, None)?;
                let mut prompt = ExtractionPrompt::new(style, source.value(), None);
                if *setting == "rein-example" {
                    let path = args.data.join("examples").join(format!("{set}.json"));
                    let (text, output) = read_example(&path, &schema, layout)?;
                    prompt = prompt.with_example(&text, &output);
                }
                let task = ExtractTask::new(prompt, schema, mode, decoding.clone());
                let engine = match &engine_schema {
                    Some(schema) => Engine::MistralrsJsonSchema(schema),
                    None => Engine::Rein,
                };
                for document in labelled(&args.data.join(format!("{set}.jsonl")), "gold")? {
                    let (fields, tokens, seconds) =
                        timed(&tokio, &runtime, &task, &document.text, engine);
                    tally.documents += 1;
                    tally.tokens += tokens;
                    tally.seconds += seconds;
                    if let Ok(fields) = &fields {
                        tally.valid += 1;
                        tally.budget_closed +=
                            usize::from(field(fields, "budget_closed").is_some());
                        tally.score += field_accuracy(field(fields, "output"), &document.gold);
                    }
                    answers.push(json!({"set": set, "id": document.id, "answer": answer(&fields)}));
                }
            }
            print_row(setting, &tally, false);
        }
        let mut figures = tally.figures(setting.starts_with("ner-"));
        figures["answers"] = Value::Array(answers);
        report.insert(setting.to_string(), figures);
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&Value::Object(report))?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(Outcome::Success)
}

fn timed(
    tokio: &tokio::runtime::Runtime,
    runtime: &Runtime,
    task: &dyn Task,
    text: &str,
    engine: Engine<'_>,
) -> (Result<Fields, String>, usize, f64) {
    let start = Instant::now();
    let (fields, tokens) = tokio.block_on(batch::process(runtime, task, text, false, engine));
    (fields, tokens, start.elapsed().as_secs_f64())
}

fn answer(fields: &Result<Fields, String>) -> Value {
    match fields {
        Ok(fields) => Value::Object(fields.iter().cloned().collect()),
        Err(error) => json!({"error": error}),
    }
}

fn print_row(setting: &str, tally: &Tally, ner: bool) {
    let figures = tally.figures(ner);
    let accuracy = if ner {
        &figures["f1"]
    } else {
        &figures["field_accuracy"]
    };
    println!(
        "{:<20} {:>5} {:>6} {:>7} {:>9.3} {:>8.1} {:>8.2}",
        setting,
        tally.documents,
        tally.valid,
        tally.budget_closed,
        accuracy.as_f64().unwrap_or(0.0),
        figures["tokens_per_document"].as_f64().unwrap_or(0.0),
        figures["seconds_per_document"].as_f64().unwrap_or(0.0),
    );
}
