//! `rein generate`: one prompt, one constraint, the text on stdout.
//!
//! The quickest way to see a constraint at work on a model. Without a
//! constraint the model generates freely (useful to compare).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use rein_core::Constraint;
use rein_runtime::{Finish, GenerationRequest, Prompt, Role};

use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::schema::{Layout, Schema};
use crate::Outcome;

/// At most one constraint.
#[derive(Args, Clone, Debug)]
#[group(required = false, multiple = false)]
pub struct GenerateConstraint {
    /// A regex (Rust syntax) the whole output must match.
    #[arg(long, value_name = "REGEX")]
    regex: Option<String>,
    /// A GBNF grammar file.
    #[arg(long, value_name = "FILE.gbnf")]
    grammar: Option<PathBuf>,
    /// A JSON Schema file.
    #[arg(long, value_name = "S.json")]
    schema: Option<PathBuf>,
    /// Comma-separated labels: the output is exactly one of them.
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    choice: Option<Vec<String>>,
}

/// Arguments of `rein generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    constraint: GenerateConstraint,
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
    /// The layout of JSON written under --schema.
    #[arg(long, value_enum, default_value_t = Layout::default())]
    whitespace: Layout,
    /// No summary on stderr.
    #[arg(long)]
    quiet: bool,
}

/// Runs `rein generate`.
pub fn run(args: &GenerateArgs) -> Result<Outcome> {
    let decoding = args.decoding.decoding()?;
    let schema_source = match &args.constraint.schema {
        Some(path) => Some(Schema::read(path)?),
        None => None,
    };
    let grammar_source = match &args.constraint.grammar {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --grammar {}", path.display()))?,
        ),
        None => None,
    };
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let vocabulary = runtime.vocabulary();
    let c = &args.constraint;
    let mut schema = None;
    let constraint = if let Some(pattern) = &c.regex {
        Some(
            Constraint::regex(Arc::clone(&vocabulary), pattern)
                .with_context(|| format!("bad --regex {pattern:?}"))?,
        )
    } else if let (Some(source), Some(path)) = (&grammar_source, &c.grammar) {
        Some(
            Constraint::grammar(Arc::clone(&vocabulary), source)
                .map_err(|error| anyhow::anyhow!("{}:{error}", path.display()))?,
        )
    } else if let Some(source) = schema_source {
        let compiled = source.compile(Arc::clone(&vocabulary), args.whitespace, None)?;
        let constraint = compiled.constraint().clone();
        schema = Some(compiled);
        Some(constraint)
    } else if let Some(labels) = &c.choice {
        if labels.iter().all(String::is_empty) {
            bail!("--choice needs at least one label");
        }
        Some(Constraint::choice(Arc::clone(&vocabulary), labels)?)
    } else {
        None
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
        let winner = majority(&texts);
        let agreement = texts.iter().filter(|t| **t == winner).count();
        if !args.quiet {
            eprintln!("agreement: {agreement}/{}", texts.len());
        }
        texts = vec![winner];
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
    if !args.quiet {
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

/// The most frequent text; ties go to the earliest.
fn majority<'a>(texts: &[&'a str]) -> &'a str {
    let mut best = texts[0];
    let mut best_count = 0;
    for text in texts {
        let count = texts.iter().filter(|t| *t == text).count();
        if count > best_count {
            best = text;
            best_count = count;
        }
    }
    best
}
