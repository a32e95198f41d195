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

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use rein_bench::tasks::{self, field_accuracy, labelled, Tally};
use rein_runtime::Runtime;
use serde_json::{json, Value};

use crate::batch::{self, Engine, Fields, Task};
use crate::bench::JsonArgs;
use crate::extract::{read_example, ExtractTask, Extractive, Mode};
use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::ner::{Format, NerTask, Tags};
use crate::prompt::{ExtractionPrompt, PromptStyle};
use crate::schema::{Layout, Schema};

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
    #[command(flatten)]
    json: JsonArgs,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    decoding: DecodingArgs,
}

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a Value> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Runs `rein bench tasks`.
pub fn run(args: &TasksArgs) -> Result<()> {
    let decoding = args.decoding.decoding()?;
    let settings: Vec<&str> = args.settings.split(',').map(str::trim).collect();
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let mut report = serde_json::Map::new();
    tasks::print_header();
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
            let tags = Tags::new(free_text, format, &labels, runtime.engine().clone(), 60)?;
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
            tally.print_row(setting, true);
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
                            runtime.engine().clone(),
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
                let schema = source.compile(runtime.engine(), layout, None)?;
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
            tally.print_row(setting, false);
        }
        let mut figures = tally.figures(setting.starts_with("ner-"));
        figures["answers"] = Value::Array(answers);
        report.insert(setting.to_string(), figures);
    }
    if let Some(path) = &args.json.json {
        let text = serde_json::to_string_pretty(&Value::Object(report))?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
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
