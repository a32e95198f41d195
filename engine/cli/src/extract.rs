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
use rein_core::Vocabulary;
use rein_runtime::{Decoding, Finish, Generation, GenerationRequest};
use serde_json::Value;

use crate::batch::{self, Fields, InputArgs, Task};
use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::prompt::{ExtractionPrompt, PromptStyle};
use crate::schema::{Layout, Schema, SchemaSource};
use crate::Outcome;

/// Arguments of `rein extract`.
#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// The JSON Schema every output follows.
    #[arg(long, value_name = "S.json")]
    schema: PathBuf,
    /// What to extract, in words, added to the prompt.
    #[arg(long, value_name = "TEXT")]
    instructions: Option<String>,
    /// Copy every free string value (no enum, const, pattern or format)
    /// verbatim from the document.
    #[arg(long)]
    extractive: bool,
    /// The layout of the JSON written.
    #[arg(long, value_enum, default_value_t = Layout::default())]
    whitespace: Layout,
    /// How the schema is shown to the model.
    #[arg(long, value_enum, default_value_t = PromptStyle::default())]
    prompt: PromptStyle,
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
    let source = Schema::read(&args.schema)?;
    let documents = args.input.documents()?;
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let vocabulary = runtime.vocabulary();
    let schema = source.compile(Arc::clone(&vocabulary), args.whitespace, None)?;
    crate::model_args::check_budget(schema.constraint(), &decoding)
        .with_context(|| format!("--schema {}", args.schema.display()))?;
    let task = Arc::new(ExtractTask {
        prompt: ExtractionPrompt::new(args.prompt, source.value(), args.instructions.as_deref()),
        extractive: args.extractive.then(|| Extractive {
            source,
            vocabulary,
            layout: args.whitespace,
            compile_times: Mutex::new(Vec::new()),
        }),
        schema,
        decoding,
    });
    let outcome = batch::run(
        &tokio,
        runtime,
        Arc::clone(&task) as Arc<dyn Task>,
        documents,
        args.decoding.vote,
        args.input.quiet,
        "extract",
    )?;
    if let (Some(extractive), false) = (&task.extractive, args.input.quiet) {
        extractive.report_compile_times();
    }
    Ok(outcome)
}

/// What an extractive run compiles per document.
struct Extractive {
    source: SchemaSource,
    vocabulary: Arc<Vocabulary>,
    layout: Layout,
    compile_times: Mutex<Vec<Duration>>,
}

impl Extractive {
    fn report_compile_times(&self) {
        let Ok(mut times) = self.compile_times.lock() else {
            return;
        };
        if times.is_empty() {
            return;
        }
        times.sort_unstable();
        let at =
            |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
        eprintln!(
            "  extractive schema compile per document: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}

struct ExtractTask {
    prompt: ExtractionPrompt,
    /// The schema compiled without a document: the constraint when not
    /// extractive, and the validator always.
    schema: Schema,
    extractive: Option<Extractive>,
    decoding: Decoding,
}

impl Task for ExtractTask {
    fn request(&self, text: &str) -> Result<GenerationRequest, String> {
        let constraint = match &self.extractive {
            None => self.schema.constraint().clone(),
            Some(extractive) => {
                let start = Instant::now();
                let schema = extractive
                    .source
                    .compile(
                        Arc::clone(&extractive.vocabulary),
                        extractive.layout,
                        Some(text),
                    )
                    .map_err(|error| format!("{error:#}"))?;
                if let Ok(mut times) = extractive.compile_times.lock() {
                    times.push(start.elapsed());
                }
                schema.constraint().clone()
            }
        };
        Ok(GenerationRequest {
            prompt: self.prompt.prompt(text),
            constraint: Some(constraint),
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
        if choice.finish == Finish::Length {
            return Err(format!(
                "the output was cut at --max-tokens {} before the JSON was complete",
                self.decoding.max_tokens
            ));
        }
        if generation.dead_end {
            return Err("the constraint reached a dead end; the output is incomplete".to_string());
        }
        let value: Value = serde_json::from_str(&choice.text)
            .map_err(|error| format!("the output is not JSON ({error}): {:?}", choice.text))?;
        self.schema.validate(&value)?;
        Ok(vec![("output".to_string(), value)])
    }
}
