//! `rein bench mask`: times mask computation, the per-step cost a
//! constraint adds to decoding. For each case it compiles the constraint
//! (time to first mask) and then, for every token of a sample text,
//! computes the mask and commits the token, repeated for a number of
//! iterations. Single thread; p50, p99 and max are reported next to the
//! mean.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rein_core::Engine;
use rein_tokenizer::Tokenizer;
use serde_json::Value;

use crate::peer::lark::to_lark;
use crate::peer::llguidance::Llguidance;
use crate::peer::{Peer, PeerMatcher, ReinMatcher};
use crate::stats::Summary;

/// What `rein bench mask` runs.
#[derive(Debug)]
pub struct MaskOptions {
    /// Tokenizers to measure, each on every case.
    pub tokenizers: Vec<PathBuf>,
    /// The cases ([`builtin_cases`] unless the user gives one).
    pub cases: Vec<Case>,
    /// How many times each text is walked (at least 1).
    pub iterations: usize,
    /// `false` turns the per-state mask cache off: every step walks the
    /// token trie.
    pub mask_cache: bool,
    /// Also measure a peer engine on the same tokenizer file, cases and
    /// texts (tokenizer.json files only), and print the ratios.
    pub peer: Option<Peer>,
    /// Also write the results as JSON to this file.
    pub json: Option<PathBuf>,
}

/// One benchmark case: a constraint and a text it accepts.
#[derive(Debug)]
pub struct Case {
    /// The case's name in the table.
    pub name: String,
    /// The constraint.
    pub kind: CaseKind,
    /// The text whose tokens are walked.
    pub text: String,
}

/// A case's constraint, as both engines get it.
#[derive(Debug)]
pub enum CaseKind {
    /// A regex matched against the whole output.
    Regex(String),
    /// A label set.
    Choice(Vec<String>),
    /// A grammar; the peer gets it printed in Lark.
    Grammar(Box<rein_core::grammar::Grammar>),
    /// A JSON Schema, compiled with default options by rein and by the
    /// peer's own JSON Schema compiler.
    Schema(Value),
}

/// The built-in suite: a date, five labels, an e-mail address, a JSON
/// record as a regex, and free text.
pub fn builtin_cases() -> Vec<Case> {
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

/// Timings of one engine on one case.
struct Timing {
    compile: Duration,
    allowed_mean: f64,
    /// Every step of every iteration.
    all: Summary,
    /// The first walk only: nothing cached yet.
    cold: Summary,
}

/// One row of the report.
struct Row {
    tokenizer: String,
    engine: &'static str,
    case: String,
    vocabulary: usize,
    steps: usize,
    timing: Timing,
}

/// Compiles with `compile` (timed), then walks `tokens` `iterations` times
/// on fresh matchers, timing every mask.
fn time_engine<M: PeerMatcher>(
    compile: impl FnOnce() -> Result<M>,
    tokens: &[u32],
    iterations: usize,
) -> Result<Timing> {
    let started = Instant::now();
    let compiled = compile()?;
    let compile = started.elapsed();
    let mut samples = Vec::with_capacity(iterations * tokens.len());
    let mut allowed_total = 0usize;
    for _ in 0..iterations {
        let mut matcher = compiled.fresh()?;
        for &token in tokens {
            let step = Instant::now();
            matcher.compute_mask()?;
            samples.push(step.elapsed());
            allowed_total += matcher.allowed();
            matcher
                .commit(token)
                .context("the case's own text is rejected")?;
        }
    }
    Ok(Timing {
        compile,
        allowed_mean: allowed_total as f64 / samples.len().max(1) as f64,
        all: Summary::of(&samples),
        cold: Summary::of(&samples[..tokens.len().min(samples.len())]),
    })
}

/// Times every case on every tokenizer (and the peer), prints the table
/// and writes the JSON file asked for.
pub fn run(args: &MaskOptions) -> Result<()> {
    if args.iterations == 0 {
        bail!("--iterations must be at least 1");
    }
    print_header();
    let mut rows = Vec::new();
    for path in &args.tokenizers {
        let tokenizer = Tokenizer::from_path(path)?;
        let engine = Engine::new(tokenizer.vocabulary().clone());
        let vocabulary = engine.vocabulary();
        let peer = match args.peer {
            Some(Peer::Llguidance) => Some(
                Llguidance::from_tokenizer_json(path)
                    .with_context(|| format!("llguidance cannot load {}", path.display()))?,
            ),
            None => None,
        };
        for case in &args.cases {
            let tokens = tokenizer
                .encode(&case.text)
                .with_context(|| format!("cannot tokenize the text of case {}", case.name))?;
            let row = |engine, timing| Row {
                tokenizer: short_name(path),
                engine,
                case: case.name.clone(),
                vocabulary: vocabulary.len(),
                steps: tokens.len(),
                timing,
            };
            let timing = time_engine(
                || {
                    let constraint = match &case.kind {
                        CaseKind::Regex(pattern) => engine.regex(pattern)?,
                        CaseKind::Choice(labels) => engine.choice(labels)?,
                        CaseKind::Grammar(grammar) => engine.from_grammar(grammar, "grammar")?,
                        CaseKind::Schema(schema) => {
                            rein_schema::compile(schema, &rein_schema::Options::default())
                                .and_then(|compiled| compiled.constraint(&engine))?
                        }
                    };
                    let constraint = if args.mask_cache {
                        constraint
                    } else {
                        constraint.with_mask_cache_bytes(0)
                    };
                    Ok(ReinMatcher::new(&constraint))
                },
                &tokens,
                args.iterations,
            )
            .with_context(|| format!("rein, case {}", case.name))?;
            let rein_row = row("rein", timing);
            print_row(&rein_row, None);
            if let Some(peer) = &peer {
                let timing = time_engine(
                    || match &case.kind {
                        CaseKind::Regex(pattern) => peer.regex(pattern),
                        CaseKind::Choice(labels) => peer.choice(labels),
                        CaseKind::Grammar(grammar) => peer.lark(&to_lark(grammar)?),
                        CaseKind::Schema(schema) => peer.json_schema(schema),
                    },
                    &tokens,
                    args.iterations,
                )
                .with_context(|| format!("llguidance, case {}", case.name))?;
                let peer_row = row("llguidance", timing);
                print_row(&peer_row, Some(&rein_row));
                rows.push(peer_row);
            }
            rows.push(rein_row);
        }
    }
    if let Some(path) = &args.json {
        std::fs::write(path, rows_json(&rows))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn print_header() {
    println!(
        "{:<10} {:<10} {:<12} {:>7} {:>10} {:>5} {:>8} {:>8} {:>9} {:>8} {:>8} {:>9}  rein/peer p50 p99 max",
        "tokenizer",
        "engine",
        "case",
        "vocab",
        "compile_us",
        "steps",
        "p50_us",
        "p99_us",
        "max_us",
        "mean_us",
        "cold_p50",
        "allowed",
    );
}

/// Prints a row; a peer's row also shows rein's times divided by the peer's.
fn print_row(row: &Row, rein: Option<&Row>) {
    let t = &row.timing;
    let ratios = match rein {
        Some(rein) => {
            let r = &rein.timing.all;
            format!(
                "{:.2} {:.2} {:.2}",
                r.p50_us / t.all.p50_us,
                r.p99_us / t.all.p99_us,
                r.max_us / t.all.max_us
            )
        }
        None => String::new(),
    };
    println!(
        "{:<10} {:<10} {:<12} {:>7} {:>10.1} {:>5} {:>8.2} {:>8.2} {:>9.2} {:>8.2} {:>8.2} {:>9.0}  {}",
        row.tokenizer,
        row.engine,
        row.case,
        row.vocabulary,
        t.compile.as_secs_f64() * 1e6,
        row.steps,
        t.all.p50_us,
        t.all.p99_us,
        t.all.max_us,
        t.all.mean_us,
        t.cold.p50_us,
        t.allowed_mean,
        ratios
    );
}

/// A tokenizer's or grammar file's name for the table: the folder of a
/// `tokenizer.json`, else the file name's first ten characters.
pub fn short_name(path: &Path) -> String {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
    match file.as_deref() {
        Some("tokenizer.json") => path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tokenizer".into()),
        Some(name) => name.chars().take(10).collect(),
        None => path.display().to_string(),
    }
}

fn rows_json(rows: &[Row]) -> String {
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let t = &row.timing;
            serde_json::json!({
                "tokenizer": row.tokenizer,
                "engine": row.engine,
                "case": row.case,
                "vocabulary": row.vocabulary,
                "steps": row.steps,
                "compile_us": t.compile.as_secs_f64() * 1e6,
                "samples": t.all.count,
                "mask_mean_us": t.all.mean_us,
                "mask_p50_us": t.all.p50_us,
                "mask_p90_us": t.all.p90_us,
                "mask_p99_us": t.all.p99_us,
                "mask_max_us": t.all.max_us,
                "cold_p50_us": t.cold.p50_us,
                "cold_max_us": t.cold.max_us,
                "allowed_mean": t.allowed_mean,
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default() + "\n"
}
