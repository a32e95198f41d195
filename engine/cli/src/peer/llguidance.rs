//! llguidance (the `llguidance` crate), loaded from the same `tokenizer.json`.

use std::path::Path;

use anyhow::{anyhow, Result};
use llguidance::api::TopLevelGrammar;
use llguidance::toktrie::{SimpleVob, TokEnv};
use llguidance::{Matcher, ParserFactory};

use super::PeerMatcher;

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
