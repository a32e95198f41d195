//! llguidance (the `llguidance` crate), loaded from the same `tokenizer.json`:
//! regexes, label sets, Lark grammars and JSON Schemas behind
//! [`PeerMatcher`], and the MaskBench protocol run with its own JSON Schema
//! compiler.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use llguidance::api::TopLevelGrammar;
use llguidance::toktrie::{SimpleVob, TokEnv};
use llguidance::{Matcher, ParserFactory};
use rein_schema::python_dumps;

use super::PeerMatcher;
use crate::maskbench::{BenchFile, FileReport, RunOptions, Verdict};

/// llguidance's per-tokenizer state: token trie and parser factory.
pub struct Llguidance {
    factory: ParserFactory,
}

impl Llguidance {
    /// Loads the tokenizer the way llguidance's own Hugging Face adapter does.
    pub fn from_tokenizer_json(path: &Path) -> Result<Llguidance> {
        let tokenizer = toktrie_hf_tokenizers::ByteTokenizer::from_file(path)?;
        let env: TokEnv = tokenizer.into_tok_env(None)?;
        let mut factory = ParserFactory::new_simple(&env)?;
        factory.quiet();
        Ok(Llguidance { factory })
    }

    /// Compiles a regex matched against the whole output.
    pub fn regex(&self, pattern: &str) -> Result<LlguidanceMatcher> {
        self.compile(TopLevelGrammar::from_regex(pattern))
    }

    /// Compiles a label set as an alternation of escaped literals.
    pub fn choice(&self, labels: &[String]) -> Result<LlguidanceMatcher> {
        let alternatives: Vec<String> = labels.iter().map(|l| regex_syntax::escape(l)).collect();
        self.regex(&format!("(?:{})", alternatives.join("|")))
    }

    /// Compiles a grammar given in llguidance's Lark dialect.
    pub fn lark(&self, source: &str) -> Result<LlguidanceMatcher> {
        self.compile(TopLevelGrammar::from_lark(source.to_string()))
    }

    /// Compiles a JSON Schema with llguidance's own JSON Schema compiler.
    pub fn json_schema(&self, schema: &serde_json::Value) -> Result<LlguidanceMatcher> {
        self.compile(TopLevelGrammar::from_json_schema(schema.clone()))
    }

    /// One MaskBench file through llguidance's JSON Schema compiler, by
    /// the same protocol as [`crate::maskbench::run_file`] (`options.compile`
    /// is rein's and does not apply).
    pub fn run_maskbench_file(
        &self,
        file: &BenchFile,
        encode: &dyn Fn(&str) -> Result<Vec<u32>, String>,
        options: &RunOptions,
    ) -> FileReport {
        let (verdict, tokens, tbm_us, ttfm_us) = self.maskbench_verdict(file, encode, options);
        FileReport {
            verdict,
            tokens,
            tbm_us,
            ttfm_us,
        }
    }

    /// `(verdict, tokens, TBM µs, TTFM µs)` for one file.
    fn maskbench_verdict(
        &self,
        file: &BenchFile,
        encode: &dyn Fn(&str) -> Result<Vec<u32>, String>,
        options: &RunOptions,
    ) -> (Verdict, usize, Vec<f64>, Option<f64>) {
        let started = Instant::now();
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        let grammar = TopLevelGrammar::from_json_schema(file.schema.clone());
        let matcher = match self.factory.create_parser(grammar) {
            Ok(parser) => llguidance::Matcher::new(Ok(parser)),
            Err(error) => return (Verdict::CompileError(error.to_string()), 0, vec![], None),
        };
        if let Some(error) = matcher.get_error() {
            return (Verdict::CompileError(error), 0, vec![], None);
        }
        let (mut tokens_seen, mut tbm, mut ttfm) = (0, Vec::new(), None);
        let (mut validation, mut invalidation) = (None, None);
        for (index, (valid, instance)) in file.tests.iter().enumerate() {
            let Ok(tokens) = encode(&python_dumps(instance)) else {
                continue;
            };
            let mut matcher = matcher.deep_clone();
            let mut rejected_at = None;
            for (position, &token) in tokens.iter().enumerate() {
                if started.elapsed() > options.timeout {
                    return (Verdict::Timeout, tokens_seen, tbm, ttfm);
                }
                tokens_seen += 1;
                let allowed = if options.masks {
                    let before = Instant::now();
                    let mask = matcher.compute_mask();
                    let elapsed = before.elapsed();
                    if ttfm.is_none() {
                        ttfm = Some(micros(started.elapsed()));
                    } else {
                        tbm.push(micros(elapsed));
                    }
                    mask.is_ok_and(|m| m.is_allowed(token)) && matcher.consume_token(token).is_ok()
                } else {
                    matcher.consume_token(token).is_ok() && !matcher.is_error()
                };
                if !allowed {
                    rejected_at = Some(position);
                    break;
                }
            }
            let accepted = rejected_at.is_none() && matcher.is_accepting().unwrap_or(false);
            match (valid, accepted) {
                (true, false) if validation.is_none() => {
                    validation = Some((index, rejected_at.unwrap_or(tokens.len())))
                }
                (false, true) if invalidation.is_none() => invalidation = Some(index),
                _ => {}
            }
        }
        if !options.masks {
            ttfm = Some(micros(started.elapsed()));
        }
        let verdict = match (invalidation, validation) {
            (Some(test), _) => Verdict::InvalidationError(test),
            (None, Some((test, token))) => Verdict::ValidationError(test, token),
            (None, None) => Verdict::Passing,
        };
        (verdict, tokens_seen, tbm, ttfm)
    }

    fn compile(&self, grammar: TopLevelGrammar) -> Result<LlguidanceMatcher> {
        let parser = self.factory.create_parser(grammar)?;
        let matcher = Matcher::new(Ok(parser));
        if let Some(error) = matcher.get_error() {
            return Err(anyhow!("llguidance: {error}"));
        }
        Ok(LlguidanceMatcher {
            matcher,
            last_mask: None,
        })
    }
}

/// One llguidance sequence.
pub struct LlguidanceMatcher {
    matcher: Matcher,
    last_mask: Option<SimpleVob>,
}

impl PeerMatcher for LlguidanceMatcher {
    fn fresh(&self) -> Result<Self> {
        Ok(LlguidanceMatcher {
            matcher: self.matcher.deep_clone(),
            last_mask: None,
        })
    }

    fn compute_mask(&mut self) -> Result<()> {
        self.last_mask = Some(self.matcher.compute_mask()?);
        Ok(())
    }

    fn allowed(&self) -> usize {
        self.last_mask.as_ref().map_or(0, |mask| mask.num_set())
    }

    fn commit(&mut self, token: u32) -> Result<()> {
        self.matcher.consume_token(token)
    }
}
