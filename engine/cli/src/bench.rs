//! `rein bench`: speed measurements (never part of the test suite).
//!
//! `rein bench mask` times mask computation, the per-step cost a constraint
//! adds to decoding: for each case it compiles the constraint (time to first
//! mask) and then, for every token of a sample text, computes the mask and
//! commits the token, repeated for a number of iterations. Single thread;
//! p50, p99 and max are reported next to the mean.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rein_core::{Constraint, TokenMask};
use rein_tokenizer::Tokenizer;

use crate::stats::Summary;
use crate::Outcome;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Time mask computation for regexes and label sets.
    Mask(MaskArgs),
}

/// Arguments of `rein bench mask`.
#[derive(Args, Debug)]
pub struct MaskArgs {
    /// Tokenizers to measure (repeat the flag for several).
    #[arg(long, value_name = "PATH", required = true)]
    tokenizer: Vec<PathBuf>,
    /// Measure this regex instead of the built-in suite (with --text).
    #[arg(
        long,
        value_name = "REGEX",
        requires = "text",
        conflicts_with = "choice"
    )]
    regex: Option<String>,
    /// Measure this label set instead of the built-in suite (with --text).
    #[arg(long, value_name = "A,B,C", value_delimiter = ',', requires = "text")]
    choice: Option<Vec<String>>,
    /// The text whose tokens are walked.
    #[arg(long, value_name = "STRING")]
    text: Option<String>,
    /// How many times each text is walked.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Turn the per-state mask cache off: every step walks the token trie.
    #[arg(long)]
    no_cache: bool,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// One benchmark case: a constraint and a text it accepts.
struct Case {
    name: String,
    kind: CaseKind,
    text: String,
}

enum CaseKind {
    Regex(String),
    Choice(Vec<String>),
}

fn builtin_cases() -> Vec<Case> {
    let regex = |name: &str, pattern: &str, text: &str| Case {
        name: name.to_string(),
        kind: CaseKind::Regex(pattern.to_string()),
        text: text.to_string(),
    };
    vec![
        regex("date", r"\d{4}-\d{2}-\d{2}", "2026-11-24"),
        Case {
            name: "labels-5".to_string(),
            kind: CaseKind::Choice(
                [
                    "supportive",
                    "antagonistic",
                    "mournful",
                    "celebratory",
                    "other",
                ]
                .map(String::from)
                .to_vec(),
            ),
            text: "celebratory".to_string(),
        },
        regex(
            "email",
            r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}",
            "jan.kowalski@example.com",
        ),
        regex(
            "json-record",
            r#"\{"name": "[^"\\]{1,40}", "age": \d{1,3}, "city": "\p{L}[\p{L} ]*"\}"#,
            r#"{"name": "Padma", "age": 23, "city": "Gwatemala"}"#,
        ),
        regex(
            "free-text",
            r"(?s:.*)",
            "The quick brown fox jumps over the lazy dog. Zażółć gęślą jaźń!",
        ),
    ]
}

pub fn run(command: &BenchCommand) -> Result<Outcome> {
    match command {
        BenchCommand::Mask(args) => run_mask(args),
    }
}

struct Row {
    tokenizer: String,
    case: String,
    vocabulary: usize,
    compile: Duration,
    tokens: usize,
    allowed_mean: f64,
    summary: Summary,
    /// The first walk of the text only: every mask computed from scratch.
    cold: Summary,
}

fn run_mask(args: &MaskArgs) -> Result<Outcome> {
    let cases = match (&args.regex, &args.choice, &args.text) {
        (Some(pattern), None, Some(text)) => vec![Case {
            name: "regex".into(),
            kind: CaseKind::Regex(pattern.clone()),
            text: text.clone(),
        }],
        (None, Some(labels), Some(text)) => vec![Case {
            name: "choice".into(),
            kind: CaseKind::Choice(labels.clone()),
            text: text.clone(),
        }],
        (None, None, _) => builtin_cases(),
        _ => bail!("give --regex or --choice, with --text"),
    };
    if args.iterations == 0 {
        bail!("--iterations must be at least 1");
    }
    let mut rows = Vec::new();
    println!(
        "{:<14} {:<12} {:>7} {:>11} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10} {:>10}",
        "tokenizer",
        "case",
        "vocab",
        "compile_us",
        "steps",
        "p50_us",
        "p99_us",
        "max_us",
        "mean_us",
        "allowed",
        "cold_p50",
        "cold_max"
    );
    for path in &args.tokenizer {
        let tokenizer = Tokenizer::from_path(path)?;
        let vocabulary = tokenizer.vocabulary();
        let label = short_name(path);
        for case in &cases {
            let started = Instant::now();
            let constraint = match &case.kind {
                CaseKind::Regex(pattern) => Constraint::regex(vocabulary.clone(), pattern)?,
                CaseKind::Choice(labels) => Constraint::choice(vocabulary.clone(), labels)?,
            };
            let compile = started.elapsed();
            let constraint = if args.no_cache {
                constraint.with_mask_cache_bytes(0)
            } else {
                constraint
            };
            let tokens = tokenizer
                .encode(&case.text)
                .with_context(|| format!("cannot tokenize the text of case {}", case.name))?;
            let mut mask = TokenMask::new(vocabulary.len());
            let mut samples = Vec::with_capacity(args.iterations * (tokens.len() + 1));
            let mut allowed_total = 0usize;
            for _ in 0..args.iterations {
                let mut matcher = constraint.matcher();
                for &token in &tokens {
                    let step = Instant::now();
                    matcher.fill_mask(&mut mask)?;
                    samples.push(step.elapsed());
                    allowed_total += mask.count();
                    matcher
                        .commit(token)
                        .with_context(|| format!("case {}: its own text is rejected", case.name))?;
                }
            }
            let summary = Summary::of(&samples);
            let cold = Summary::of(&samples[..tokens.len().min(samples.len())]);
            let row = Row {
                tokenizer: label.clone(),
                case: case.name.clone(),
                vocabulary: vocabulary.len(),
                compile,
                tokens: tokens.len(),
                allowed_mean: allowed_total as f64 / samples.len().max(1) as f64,
                summary,
                cold,
            };
            println!(
                "{:<14} {:<12} {:>7} {:>11.1} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9.0} {:>10.2} {:>10.2}",
                row.tokenizer,
                row.case,
                row.vocabulary,
                row.compile.as_secs_f64() * 1e6,
                row.tokens,
                summary.p50_us,
                summary.p99_us,
                summary.max_us,
                summary.mean_us,
                row.allowed_mean,
                cold.p50_us,
                cold.max_us
            );
            rows.push(row);
        }
    }
    if let Some(path) = &args.json {
        std::fs::write(path, rows_json(&rows))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(Outcome::Success)
}

/// A tokenizer's name for the table: its folder for `tokenizer.json`.
fn short_name(path: &std::path::Path) -> String {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
    match file.as_deref() {
        Some("tokenizer.json") => path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tokenizer".into()),
        Some(name) => name.chars().take(14).collect(),
        None => path.display().to_string(),
    }
}

fn rows_json(rows: &[Row]) -> String {
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "tokenizer": row.tokenizer,
                "case": row.case,
                "vocabulary": row.vocabulary,
                "compile_us": row.compile.as_secs_f64() * 1e6,
                "steps": row.tokens,
                "samples": row.summary.count,
                "mask_mean_us": row.summary.mean_us,
                "mask_p50_us": row.summary.p50_us,
                "mask_p90_us": row.summary.p90_us,
                "mask_p99_us": row.summary.p99_us,
                "mask_max_us": row.summary.max_us,
                "allowed_mean": row.allowed_mean,
                "cold_p50_us": row.cold.p50_us,
                "cold_max_us": row.cold.max_us,
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default() + "\n"
}
