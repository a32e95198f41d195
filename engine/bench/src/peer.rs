//! Peers measured side by side with rein in the same process.
//!
//! Each peer is driven through the same small interface as rein's matcher
//! (compile, mask, commit) so that the timing loop is shared and the figures
//! compare like with like: same tokenizer file, same constraint, same text,
//! same thread.

pub mod lark;
pub mod llguidance;

use anyhow::Result;

/// The peer engines a benchmark can run beside rein.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// The `llguidance` crate (regexes, label sets and grammars as Lark;
    /// JSON Schemas with its own compiler).
    Llguidance,
}

/// A constraint compiled by an engine (rein or a peer), one sequence at a time.
pub trait PeerMatcher: Sized {
    /// A matcher for a new sequence of the same constraint.
    fn fresh(&self) -> Result<Self>;
    /// Computes the allowed-token mask for the next step (the timed part).
    fn compute_mask(&mut self) -> Result<()>;
    /// How many tokens the last computed mask allows (not timed).
    fn allowed(&self) -> usize;
    /// Commits a token.
    fn commit(&mut self, token: u32) -> Result<()>;
}

/// rein itself, behind the same interface.
pub struct ReinMatcher {
    matcher: rein_core::Matcher,
    mask: rein_core::TokenMask,
}

impl ReinMatcher {
    /// A matcher at the start of `constraint`.
    pub fn new(constraint: &rein_core::Constraint) -> ReinMatcher {
        ReinMatcher {
            matcher: constraint.matcher(),
            mask: rein_core::TokenMask::new(constraint.vocabulary().len()),
        }
    }
}

impl PeerMatcher for ReinMatcher {
    fn fresh(&self) -> Result<Self> {
        Ok(ReinMatcher::new(self.matcher.constraint()))
    }

    fn compute_mask(&mut self) -> Result<()> {
        Ok(self.matcher.fill_mask(&mut self.mask)?)
    }

    fn allowed(&self) -> usize {
        self.mask.count()
    }

    fn commit(&mut self, token: u32) -> Result<()> {
        Ok(self.matcher.commit(token)?)
    }
}
