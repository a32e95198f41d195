//! `rein extract`: JSON that validates against a schema, for every document.
//!
//! The schema is compiled into a constraint (see [`crate::schema`]), so the
//! model can only write JSON the schema accepts, complete within
//! `--max-tokens`; each output is still parsed and validated before it is
//! written. With `--extractive` every free string value (no `enum`,
//! `const`, `pattern` or `format`) must be copied from the document: the
//! schema is then compiled once per document, with the document's
//! substrings as the strings' language (see `rein_schema::extractive`).
//!
//! The prompt ([`crate::prompt`]) shows the fields with their descriptions
//! and the document, and the model's answer is prefilled with nothing: the
//! constraint forces the opening itself.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use rein_core::Engine;
use rein_runtime::{Decoding, Finish, Generation, GenerationRequest};
use serde_json::Value;

use crate::batch::{self, Fields, InputArgs, Task};
use crate::constraint_args::SchemaArgs;
use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::prompt::{ExtractionPrompt, PromptStyle};
use crate::schema::{Layout, LayoutArgs, Schema, SchemaSource};
use crate::Outcome;

/// Arguments of `rein extract`.
#[derive(Args, Debug)]
#[command(mut_arg("schema", |arg| arg.required(true)))]
pub struct ExtractArgs {
    #[command(flatten)]
    schema: SchemaArgs,
    /// What to extract, in words, added to the prompt.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    instructions: Option<String>,
    /// Copy every free string value (no enum, const, pattern or format)
    /// verbatim from the document.
    #[arg(long)]
    extractive: bool,
    #[command(flatten)]
    layout: LayoutArgs,
    /// How the schema is shown to the model.
    #[arg(long, value_enum, default_value_t = PromptStyle::default())]
    prompt: PromptStyle,
    /// A worked example shown before each document: a JSON file
    /// `{"text": …, "output": {…}}` whose output follows the schema.
    #[arg(long, value_name = "EXAMPLE.json")]
    example: Option<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    decoding: DecodingArgs,
}

/// Runs `rein extract`.
pub fn run(args: &ExtractArgs) -> Result<Outcome> {
    let decoding = args.decoding.decoding()?;
    let schema_path = args.schema.required();
    let source = Schema::read(schema_path)?;
    let documents = args.input.documents()?;
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let engine = runtime.engine();
    let schema = source.compile(engine, args.layout.whitespace, None)?;
    crate::model_args::check_budget(schema.constraint(), &decoding)
        .with_context(|| format!("--schema {}", schema_path.display()))?;
    let mut prompt =
        ExtractionPrompt::new(args.prompt, source.value(), args.instructions.as_deref());
    if let Some(path) = &args.example {
        let (text, output) = read_example(path, &schema, args.layout.whitespace)?;
        prompt = prompt.with_example(&text, &output);
    }
    let mode = if args.extractive {
        Mode::Extractive(Extractive::new(
            source,
            engine.clone(),
            args.layout.whitespace,
        ))
    } else {
        Mode::Constrained
    };
    let task = Arc::new(ExtractTask::new(prompt, schema, mode, decoding));
    let outcome = batch::run(
        &tokio,
        runtime,
        Arc::clone(&task) as Arc<dyn Task>,
        documents,
        args.decoding.vote,
        args.input.quiet.quiet,
        "extract",
    )?;
    if !args.input.quiet.quiet {
        task.report_compile_times();
    }
    Ok(outcome)
}

/// A worked example: its text, and its output checked against the schema
/// and written in `layout`.
pub fn read_example(
    path: &std::path::Path,
    schema: &Schema,
    layout: Layout,
) -> Result<(String, String)> {
    let read = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --example {}", path.display()))?;
    let value: Value = serde_json::from_str(&read)
        .with_context(|| format!("--example {}: not JSON", path.display()))?;
    let (Some(text), Some(output)) = (value["text"].as_str(), value.get("output")) else {
        anyhow::bail!(
            "--example {}: needs a \"text\" string and an \"output\"",
            path.display()
        );
    };
    schema
        .validate(output)
        .map_err(|error| anyhow::anyhow!("--example {}: {error}", path.display()))?;
    Ok((text.to_string(), layout.write(output)))
}

/// What an extractive run compiles per document.
pub struct Extractive {
    source: SchemaSource,
    engine: Engine,
    layout: Layout,
    compile_times: Mutex<Vec<Duration>>,
}

impl Extractive {
    /// Compiles `source` per document with `engine` in `layout`.
    pub fn new(source: SchemaSource, engine: Engine, layout: Layout) -> Extractive {
        Extractive {
            source,
            engine,
            layout,
            compile_times: Mutex::new(Vec::new()),
        }
    }
}

/// Where a document's constraint comes from.
pub enum Mode {
    /// The schema's constraint, the same for every document.
    Constrained,
    /// The schema compiled with the document's substrings as free strings.
    Extractive(Extractive),
    /// No constraint: the model writes freely and the answer is the first
    /// `{` to the last `}` of its text (what users get without rein).
    Unconstrained,
}

/// Extraction of one schema from documents.
pub struct ExtractTask {
    prompt: ExtractionPrompt,
    /// The schema compiled without a document: the constraint of
    /// [`Mode::Constrained`], and the validator always.
    schema: Schema,
    mode: Mode,
    decoding: Decoding,
}

impl ExtractTask {
    /// The task.
    pub fn new(
        prompt: ExtractionPrompt,
        schema: Schema,
        mode: Mode,
        decoding: Decoding,
    ) -> ExtractTask {
        ExtractTask {
            prompt,
            schema,
            mode,
            decoding,
        }
    }

    /// Prints the per-document compile times of an extractive run.
    fn report_compile_times(&self) {
        let Mode::Extractive(extractive) = &self.mode else {
            return;
        };
        let Ok(times) = extractive.compile_times.lock() else {
            return;
        };
        if !times.is_empty() {
            let summary = rein_bench::stats::Summary::of(&times).milliseconds();
            eprintln!("  extractive schema compile per document: {summary}");
        }
    }
}

impl Task for ExtractTask {
    fn request(&self, text: &str) -> Result<GenerationRequest, String> {
        let constraint = match &self.mode {
            Mode::Constrained => Some(self.schema.constraint().clone()),
            Mode::Unconstrained => None,
            Mode::Extractive(extractive) => {
                let start = Instant::now();
                let schema = extractive
                    .source
                    .compile(&extractive.engine, extractive.layout, Some(text))
                    .map_err(|error| format!("{error:#}"))?;
                if let Ok(mut times) = extractive.compile_times.lock() {
                    times.push(start.elapsed());
                }
                Some(schema.constraint().clone())
            }
        };
        Ok(GenerationRequest {
            prompt: self.prompt.prompt(text),
            constraint,
            decoding: self.decoding.clone(),
            record_first_token: false,
        })
    }

    fn interpret(
        &self,
        _text: &str,
        sample: usize,
        generation: &Generation,
    ) -> Result<Fields, String> {
        let choice = generation
            .choices
            .get(sample)
            .ok_or_else(|| "the model returned no output".to_string())?;
        let constrained = !matches!(self.mode, Mode::Unconstrained);
        if choice.finish == Finish::Length && constrained {
            return Err(format!(
                "the output was cut at --max-tokens {} before the JSON was complete",
                self.decoding.max_tokens
            ));
        }
        if generation.dead_end {
            return Err("the constraint reached a dead end; the output is incomplete".to_string());
        }
        let text = if constrained {
            choice.text.as_str()
        } else {
            outermost_object(&choice.text)
        };
        let value: Value = serde_json::from_str(text)
            .map_err(|error| format!("the output is not JSON ({error}): {:?}", choice.text))?;
        self.schema.validate(&value)?;
        Ok(vec![("output".to_string(), value)])
    }
}

/// From the first `{` to the last `}` of `text` (all of it when there is
/// none): where a freely written answer's JSON object would be.
fn outermost_object(text: &str) -> &str {
    match (text.find('{'), text.rfind('}')) {
        (Some(start), Some(end)) if start < end => &text[start..=end],
        _ => text,
    }
}
