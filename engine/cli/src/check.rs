//! `rein check`: walk a text through a constraint token by token.
//!
//! The text is tokenized exactly (no special tokens; see `rein-tokenizer`)
//! and each token is committed as if a model had sampled it. The first
//! refused token is reported with its index, its text and its byte offset;
//! a text that is accepted token by token but stops before the constraint
//! is satisfied is reported with an example of what is still expected.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use rein_core::vocab::EscapedBytes;
use rein_core::{Engine, TokenMask};
use rein_tokenizer::Tokenizer;

use crate::constraint_args::{
    AnyOrderArgs, ConstraintArgs, ConstraintSource, TextArgs, TokenizerArgs,
};
use crate::Outcome;

/// Arguments of `rein check`.
#[derive(Args, Debug)]
#[command(
    mut_group("constraint", |group| group.required(true)),
    mut_arg("text", |arg| arg.required_unless_present("text_file"))
)]
pub struct CheckArgs {
    #[command(flatten)]
    tokenizer: TokenizerArgs,
    #[command(flatten)]
    constraint: ConstraintArgs,
    #[command(flatten)]
    text: TextArgs,
    /// Print, for every token, how many tokens the mask allowed and how long
    /// computing it took.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    any_order: AnyOrderArgs,
}

pub fn run(args: &CheckArgs) -> Result<Outcome> {
    if args.any_order.given() && args.constraint.schema.schema.is_none() {
        anyhow::bail!("--any-order applies to --schema only");
    }
    let text = args
        .text
        .read()?
        .expect("clap requires --text or --text-file");
    let tokenizer = Tokenizer::from_path(args.tokenizer.required())?;
    let vocabulary = tokenizer.vocabulary();
    let engine = Engine::new(vocabulary.clone());
    let source = args.constraint.read()?.expect("clap requires a constraint");
    let constraint = source.compile(&engine, &args.any_order.schema_options())?;
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
        if let ConstraintSource::Schema(schema) = &source {
            // An independent check of the same text with the `jsonschema` crate.
            let validator = rein_schema::Validator::new(schema.value())?;
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
