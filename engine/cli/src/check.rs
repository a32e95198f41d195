//! `rein check`: walk a text through a constraint token by token.
//!
//! The text is tokenized exactly (no special tokens; see `rein-tokenizer`)
//! and each token is committed as if a model had sampled it. The first
//! refused token is reported with its index, its text and its byte offset;
//! a text that is accepted token by token but stops before the constraint
//! is satisfied is reported with an example of what is still expected.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use rein_core::vocab::EscapedBytes;
use rein_core::TokenMask;
use rein_tokenizer::Tokenizer;

use crate::constraint_args::ConstraintArgs;
use crate::Outcome;

/// Arguments of `rein check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// A tokenizer.json, a folder holding one, a .gguf model, or a Hugging
    /// Face id in the local cache.
    #[arg(long, value_name = "PATH")]
    tokenizer: PathBuf,
    #[command(flatten)]
    constraint: ConstraintArgs,
    /// The text to check (it may start with `-`: `--text "- milk"`).
    #[arg(
        long,
        value_name = "STRING",
        required_unless_present = "text_file",
        conflicts_with = "text_file",
        allow_hyphen_values = true
    )]
    text: Option<String>,
    /// Read the text to check from a file (UTF-8).
    #[arg(long, value_name = "FILE")]
    text_file: Option<PathBuf>,
    /// Print, for every token, how many tokens the mask allowed and how long
    /// computing it took.
    #[arg(long, short)]
    verbose: bool,
    /// With --schema: accept an object's named members in any order (each
    /// once), with `required` and the member counts still exact.
    #[arg(long)]
    any_order: bool,
}

pub fn run(args: &CheckArgs) -> Result<Outcome> {
    if args.any_order && args.constraint.schema.is_none() {
        anyhow::bail!("--any-order applies to --schema only");
    }
    let text = match (&args.text, &args.text_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --text-file {}", path.display()))?,
        (None, None) => unreachable!("clap requires --text or --text-file"),
    };
    let tokenizer = Tokenizer::from_path(&args.tokenizer)?;
    let vocabulary = tokenizer.vocabulary();
    let schema_options = rein_schema::Options {
        property_order: rein_schema::PropertyOrder::any_when(args.any_order),
        ..rein_schema::Options::default()
    };
    let constraint = args.constraint.compile(vocabulary, &schema_options)?;
    let tokens = tokenizer
        .encode(&text)
        .context("cannot tokenize the text")?;

    let mut matcher = constraint.matcher();
    let mut mask = TokenMask::new(vocabulary.len());
    let mut offset = 0usize;
    for (index, &token) in tokens.iter().enumerate() {
        let bytes = vocabulary.token_bytes(token).unwrap_or_default();
        if args.verbose {
            let started = Instant::now();
            matcher.fill_mask(&mut mask)?;
            let elapsed = started.elapsed();
            println!(
                "token {index:>4}  id {token:>6}  {:<16}  bytes {offset}..{}  allowed {:>6}  mask {:>8.1} µs",
                format!("{:?}", EscapedBytes(bytes)),
                offset + bytes.len(),
                mask.count(),
                elapsed.as_secs_f64() * 1e6,
            );
        }
        if matcher.commit(token).is_err() {
            println!(
                "rejected: token index {index}, id {token} {:?}, at byte offset {offset}, is not allowed by the {}",
                EscapedBytes(bytes),
                args.constraint.describe(),
            );
            let forced = matcher.forced();
            if !forced.bytes.is_empty() {
                println!("expected: {:?}", EscapedBytes(&forced.bytes));
            }
            return Ok(Outcome::Rejected);
        }
        offset += bytes.len();
    }
    if matcher.can_end() {
        println!("accepted: {} tokens, {} bytes", tokens.len(), offset);
        if let Some(path) = &args.constraint.schema {
            // An independent check of the same text with the `jsonschema` crate.
            let schema = crate::constraint_args::read_schema(path)?;
            let validator = rein_schema::Validator::new(&schema)?;
            if let Err(problem) = validator.validate_text(&text) {
                println!("invalid by jsonschema: {problem}");
                return Ok(Outcome::Rejected);
            }
            println!("valid by jsonschema");
        }
        Ok(Outcome::Success)
    } else {
        let example = matcher.shortest_completion().unwrap_or_default();
        println!(
            "rejected: the text ends after token index {} (byte offset {offset}) but the {} expects more, e.g. {:?}",
            tokens.len() as isize - 1,
            args.constraint.describe(),
            EscapedBytes(&example),
        );
        Ok(Outcome::Rejected)
    }
}
