//! Reference semantics for tests and fuzz targets.
//!
//! Masks are computed by walking lexeme DFAs over the token trie; what they
//! must agree with is the byte-level Earley recognizer, which decides
//! exactly a grammar's language. Tests outside this crate (the GBNF corpus,
//! the shipped grammars, fuzz targets) check outputs against it through
//! this module. It is not meant for generation and may change with the
//! recognizer.

use crate::grammar::cfg::Cfg;
use crate::grammar::earley::Chart;
use crate::grammar::{Grammar, GrammarError};

/// A grammar's reference recognizer.
#[derive(Debug)]
pub struct Recognizer {
    cfg: Cfg,
}

impl Recognizer {
    /// Flattens `grammar` within the limits it was checked with.
    pub fn new(grammar: &Grammar) -> Result<Recognizer, GrammarError> {
        Ok(Recognizer {
            cfg: Cfg::new(grammar)?,
        })
    }

    /// Whether `bytes` is a whole output of the grammar. A step past the
    /// grammar's Earley limits counts as not recognized.
    pub fn recognizes(&self, bytes: &[u8]) -> bool {
        Chart::recognizes(&self.cfg, bytes)
    }
}
