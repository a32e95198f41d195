//! `rein generate`: one prompt, one constraint, the text on stdout.
//!
//! The quickest way to see a constraint at work on a model. Without a
//! constraint the model generates freely (useful to compare).

use anyhow::{Context, Result};
use clap::Args;
use rein_runtime::{Finish, GenerationRequest, Prompt, Role};

use crate::batch::QuietArgs;
use crate::constraint_args::{ConstraintArgs, ConstraintSource};
use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::schema::LayoutArgs;
use crate::vote;
use crate::Outcome;

/// Arguments of `rein generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    constraint: ConstraintArgs,
    /// The prompt, sent as a user message through the chat template.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    prompt: String,
    /// Send the prompt as raw text, without the chat template.
    #[arg(long)]
    raw: bool,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    decoding: DecodingArgs,
    #[command(flatten)]
    layout: LayoutArgs,
    #[command(flatten)]
    quiet: QuietArgs,
}

/// Runs `rein generate`.
pub fn run(args: &GenerateArgs) -> Result<Outcome> {
    let decoding = args.decoding.decoding()?;
    let source = args.constraint.read()?;
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let engine = runtime.engine();
    let mut schema = None;
    let constraint = match &source {
        None => None,
        // Written in the layout asked for, and every output validated.
        Some(ConstraintSource::Schema(source)) => {
            let compiled = source.compile(engine, args.layout.whitespace, None)?;
            let constraint = compiled.constraint().clone();
            schema = Some(compiled);
            Some(constraint)
        }
        Some(source) => Some(source.compile(engine, &rein_schema::Options::default())?),
    };
    let prompt = if args.raw {
        Prompt::Text(args.prompt.clone())
    } else {
        Prompt::Chat(vec![(Role::User, args.prompt.clone())])
    };
    let request = GenerationRequest {
        prompt,
        constraint,
        decoding: decoding.clone(),
        record_first_token: false,
    };
    let generation = tokio.block_on(runtime.generate(request))?;
    let mut texts: Vec<&str> = generation.choices.iter().map(|c| c.text.as_str()).collect();
    if args.decoding.vote && texts.len() > 1 {
        let (winner, agreement) =
            vote::majority(texts.iter().map(Some)).expect("every sample votes");
        if !args.quiet.quiet {
            eprintln!("agreement: {agreement}/{}", texts.len());
        }
        texts = vec![texts[winner]];
    }
    for text in &texts {
        println!("{text}");
    }
    if let Some(schema) = &schema {
        for text in &texts {
            let value: serde_json::Value = serde_json::from_str(text)
                .with_context(|| format!("the output is not JSON: {text:?}"))?;
            schema.validate(&value).map_err(anyhow::Error::msg)?;
        }
    }
    if !args.quiet.quiet {
        let stats = runtime.stats();
        eprintln!(
            "{} tokens in {:.2} s; mask per step p50 {} µs, p99 {} µs; {:.0}% served by the background guess",
            generation.completion_tokens,
            generation.elapsed.as_secs_f64(),
            stats.step_time(0.5).as_micros(),
            stats.step_time(0.99).as_micros(),
            100.0 * stats.guess_hit_share()
        );
    }
    if generation
        .choices
        .iter()
        .any(|c| c.finish == Finish::Length)
    {
        eprintln!(
            "warning: the output was cut at --max-tokens {}",
            decoding.max_tokens
        );
        return Ok(Outcome::SomeFailed);
    }
    Ok(Outcome::Success)
}
