//! `rein extract`: JSON that validates against a schema, for every document.
//!
//! The schema is compiled into a constraint (see [`crate::schema`]), so the
//! model can only write JSON the schema accepts; each output is still parsed
//! and validated before it is written, and a document whose output was cut
//! by `--max-tokens` gets an error line rather than broken JSON.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use rein_runtime::{Decoding, Finish, Generation, GenerationRequest, Prompt, Role};
use serde_json::Value;

use crate::batch::{self, Fields, InputArgs, Task};
use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::schema::Schema;
use crate::Outcome;

/// Arguments of `rein extract`.
#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// The JSON Schema every output follows.
    #[arg(long, value_name = "S.json")]
    schema: PathBuf,
    /// What to extract, in words; the schema is always shown to the model.
    #[arg(long, value_name = "TEXT")]
    instructions: Option<String>,
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
    let schema = source.compile(runtime.vocabulary())?;
    let instructions = format!(
        "{}\nAnswer with one JSON object that follows this JSON Schema:\n{}",
        args.instructions
            .as_deref()
            .unwrap_or("Extract the information from the document."),
        schema.prompt_text()
    );
    let task = ExtractTask {
        schema,
        instructions,
        decoding,
    };
    batch::run(
        &tokio,
        runtime,
        Arc::new(task),
        documents,
        args.decoding.vote,
        args.input.quiet,
        "extract",
    )
}

struct ExtractTask {
    schema: Schema,
    instructions: String,
    decoding: Decoding,
}

impl Task for ExtractTask {
    fn request(&self, text: &str) -> Result<GenerationRequest, String> {
        Ok(GenerationRequest {
            prompt: Prompt::Chat(vec![
                (Role::System, self.instructions.clone()),
                (Role::User, text.to_string()),
            ]),
            constraint: Some(self.schema.constraint().clone()),
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
