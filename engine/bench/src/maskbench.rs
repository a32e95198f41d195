//! The MaskBench protocol (JSONSchemaBench's `maskbench/data`), engine
//! side: one file at a time, timings per schema, and the summary.
//!
//! Per file: compile the schema (time to first mask, TTFM, is compile plus
//! the first mask); for each test instance, serialize it as Python's
//! `json.dumps(ensure_ascii=False)` does, tokenize it (the caller's
//! encoder, no special tokens), and for each token compute the mask (time
//! between masks, TBM), check the token is allowed and consume it. A valid
//! instance must be accepted token by token and be allowed to end; an
//! invalid one must be rejected somewhere. The tokenizer stays outside this
//! module: callers pass an encoder.

use std::time::{Duration, Instant};

use rein_core::{Engine, TokenId, TokenMask};
use rein_schema::{compile, python_dumps, Options};
use serde_json::Value;

/// How a schema fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Compiled, and every instance judged right.
    Passing,
    /// The schema did not compile (the message says why).
    CompileError(String),
    /// A valid instance was rejected (test index, token index).
    ValidationError(usize, usize),
    /// An invalid instance was accepted (test index) — a soundness bug.
    InvalidationError(usize),
    /// The schema took longer than the time limit.
    Timeout,
}

/// One schema's result and timings.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// The verdict.
    pub verdict: Verdict,
    /// Tokens checked.
    pub tokens: usize,
    /// Time between masks, microseconds, one per token (empty without masks).
    pub tbm_us: Vec<f64>,
    /// Compile plus first mask, microseconds (compile alone without masks).
    pub ttfm_us: Option<f64>,
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Compute a mask before every token (the protocol). Without masks,
    /// tokens are only committed, which checks acceptance much faster.
    pub masks: bool,
    /// Per-schema wall-clock limit.
    pub timeout: Duration,
    /// Schema compile options.
    pub compile: Options,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            masks: true,
            timeout: Duration::from_secs(60),
            compile: Options::default(),
        }
    }
}

/// A MaskBench file, parsed: the schema and its tests.
pub struct BenchFile {
    /// The schema.
    pub schema: Value,
    /// `(valid, instance)` pairs.
    pub tests: Vec<(bool, Value)>,
}

impl BenchFile {
    /// Parses a MaskBench file's text.
    pub fn parse(text: &str) -> Result<BenchFile, String> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let schema = value
            .get_mut("schema")
            .map(Value::take)
            .ok_or("no `schema`")?;
        let mut tests = Vec::new();
        for test in value
            .get("tests")
            .and_then(Value::as_array)
            .ok_or("no `tests`")?
        {
            let valid = test
                .get("valid")
                .and_then(Value::as_bool)
                .ok_or("a test without `valid`")?;
            tests.push((valid, test.get("data").cloned().unwrap_or(Value::Null)));
        }
        Ok(BenchFile { schema, tests })
    }
}

/// Runs one file through rein, compiling with `engine`.
pub fn run_file(
    file: &BenchFile,
    engine: &Engine,
    encode: &dyn Fn(&str) -> Result<Vec<TokenId>, String>,
    options: &RunOptions,
) -> FileReport {
    let started = Instant::now();
    let mut report = FileReport {
        verdict: Verdict::Passing,
        tokens: 0,
        tbm_us: Vec::new(),
        ttfm_us: None,
    };
    let constraint = match compile(&file.schema, &options.compile)
        .and_then(|compiled| compiled.constraint(engine))
    {
        Ok(constraint) => constraint,
        Err(error) => {
            report.verdict = Verdict::CompileError(error.to_string());
            return report;
        }
    };
    let vocabulary = engine.vocabulary();
    let mut mask = TokenMask::new(vocabulary.len());
    let mut first_mask_pending = true;
    if !options.masks {
        report.ttfm_us = Some(micros(started.elapsed()));
    }
    let mut invalidation = None;
    let mut validation = None;
    for (index, (valid, instance)) in file.tests.iter().enumerate() {
        let text = python_dumps(instance);
        let Ok(tokens) = encode(&text) else {
            continue;
        };
        let mut matcher = constraint.matcher();
        let mut rejected_at = None;
        for (position, &token) in tokens.iter().enumerate() {
            if started.elapsed() > options.timeout {
                report.verdict = Verdict::Timeout;
                return report;
            }
            report.tokens += 1;
            let allowed = if options.masks {
                let before = Instant::now();
                let filled = matcher.fill_mask(&mut mask);
                let elapsed = before.elapsed();
                if first_mask_pending {
                    report.ttfm_us = Some(micros(started.elapsed()));
                    first_mask_pending = false;
                } else {
                    report.tbm_us.push(micros(elapsed));
                }
                filled.is_ok() && mask.contains(token) && matcher.commit(token).is_ok()
            } else {
                matcher.commit(token).is_ok()
            };
            if !allowed {
                rejected_at = Some(position);
                break;
            }
        }
        let accepted = rejected_at.is_none() && matcher.can_end();
        match (valid, accepted) {
            (true, false) if validation.is_none() => {
                validation = Some((index, rejected_at.unwrap_or(tokens.len())))
            }
            (false, true) if invalidation.is_none() => invalidation = Some(index),
            _ => {}
        }
    }
    report.verdict = match (invalidation, validation) {
        (Some(test), _) => Verdict::InvalidationError(test),
        (None, Some((test, token))) => Verdict::ValidationError(test, token),
        (None, None) => Verdict::Passing,
    };
    report
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// The summary over many schemas, with exactly the keys scripts read.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Schemas run.
    pub schemas: usize,
    /// Passing schemas.
    pub passing: usize,
    /// Schemas that did not compile.
    pub compile_error: usize,
    /// Schemas with a rejected valid instance.
    pub validation_error: usize,
    /// Schemas with an accepted invalid instance.
    pub invalidation_error: usize,
    /// Schemas past the time limit.
    pub timeout: usize,
    /// Tokens checked.
    pub tokens: usize,
    tbm: Vec<f64>,
    ttfm: Vec<f64>,
}

impl Summary {
    /// Adds one schema's result.
    pub fn add(&mut self, report: &FileReport) {
        self.schemas += 1;
        match report.verdict {
            Verdict::Passing => self.passing += 1,
            Verdict::CompileError(_) => self.compile_error += 1,
            Verdict::ValidationError(..) => self.validation_error += 1,
            Verdict::InvalidationError(_) => self.invalidation_error += 1,
            Verdict::Timeout => self.timeout += 1,
        }
        self.tokens += report.tokens;
        self.tbm.extend_from_slice(&report.tbm_us);
        self.ttfm.extend(report.ttfm_us);
    }

    /// Adds a schema judged elsewhere (a peer engine), with its timings.
    pub fn add_parts(
        &mut self,
        verdict: &Verdict,
        tokens: usize,
        tbm_us: &[f64],
        ttfm_us: Option<f64>,
    ) {
        self.add(&FileReport {
            verdict: verdict.clone(),
            tokens,
            tbm_us: tbm_us.to_vec(),
            ttfm_us,
        });
    }

    /// `(avg, p50, p90, p99, max)` of the times between masks, µs.
    pub fn tbm(&self) -> [f64; 5] {
        stats(&self.tbm)
    }

    /// `(avg, p50, p90, p99, max)` of the times to first mask, µs.
    pub fn ttfm(&self) -> [f64; 5] {
        stats(&self.ttfm)
    }

    /// The summary as a JSON object with the keys the issue fixes.
    pub fn to_json(&self) -> Value {
        let [ta, t50, t90, t99, tmax] = self.tbm();
        let [fa, f50, f90, f99, fmax] = self.ttfm();
        serde_json::json!({
            "schemas": self.schemas, "passing": self.passing, "compile_error": self.compile_error,
            "validation_error": self.validation_error, "invalidation_error": self.invalidation_error,
            "timeout": self.timeout, "tokens": self.tokens,
            "tbm_avg_us": ta, "tbm_p50_us": t50, "tbm_p90_us": t90, "tbm_p99_us": t99, "tbm_max_us": tmax,
            "ttfm_avg_us": fa, "ttfm_p50_us": f50, "ttfm_p90_us": f90, "ttfm_p99_us": f99, "ttfm_max_us": fmax,
        })
    }
}

fn stats(values: &[f64]) -> [f64; 5] {
    if values.is_empty() {
        return [0.0; 5];
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let avg = sorted.iter().sum::<f64>() / sorted.len() as f64;
    [avg, at(0.5), at(0.9), at(0.99), sorted[sorted.len() - 1]]
}
