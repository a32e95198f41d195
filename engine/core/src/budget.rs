//! Token budgets: outputs that are complete within `N` tokens.
//!
//! A model given `max_tokens` is cut when the budget runs out, and a cut
//! JSON object is no answer at all. A [`BudgetedMatcher`] instead allows a
//! token only when, after it, the output can still be completed in the
//! tokens that remain; a tight budget then steers the output to a short
//! valid ending rather than cutting it.
//!
//! How much a state still needs is known through a *plan*: a completion
//! spelled in tokens ([`Matcher::completion_tokens`]), whose length is a
//! sound upper bound on the tokens needed. The matcher keeps the plan of its
//! current state, never longer than the tokens remaining:
//!
//! * the plan's first token always fits (the rest of the plan is then a
//!   completion one token shorter), so a budgeted step never has nothing to
//!   allow;
//! * any other token fits when the plan computed after it fits in what
//!   remains after it.
//!
//! The trade-off: the bound is not the least number of tokens (the shortest
//! byte completion is not always the one with the fewest tokens), so a token
//! that would fit under a cleverer spelling may be refused when the budget
//! is within a few tokens of the plan. Checking a token costs a commit, a
//! shortest completion and a rollback, so runtimes check the tokens they are
//! about to sample rather than the whole vocabulary; [`BudgetedMatcher::fill_mask`]
//! checks every allowed token, for tests and small vocabularies.
//!
//! End-of-sequence tokens are not counted: a budget of `N` allows `N` tokens
//! of output text, then the end.

use std::fmt;

use crate::mask::TokenMask;
use crate::matcher::{Constraint, MatchError, Matcher};
use crate::vocab::TokenId;

/// Why a budget cannot be kept.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetError {
    /// The shortest output rein can spell needs more tokens than the budget.
    TooSmall {
        /// Tokens the shortest output needs (as rein spells it).
        needed: usize,
        /// The budget.
        budget: usize,
    },
    /// No completion can be spelled in text tokens (the constraint needs a
    /// special token, or a byte no token starts with).
    NoCompletion,
    /// The token leaves no completion within the remaining budget.
    DoesNotFit {
        /// The refused token.
        token: TokenId,
        /// Tokens remaining before it.
        remaining: usize,
    },
    /// The matcher refused the token.
    Match(MatchError),
}

impl fmt::Display for BudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetError::TooSmall { needed, budget } => write!(
                f,
                "the shortest valid output needs {needed} tokens, more than the budget of {budget}"
            ),
            BudgetError::NoCompletion => f.write_str(
                "no completion of the output can be spelled in text tokens, so no budget can be kept",
            ),
            BudgetError::DoesNotFit { token, remaining } => write!(
                f,
                "token {token} leaves no completion within the {remaining} tokens remaining"
            ),
            BudgetError::Match(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for BudgetError {}

impl From<MatchError> for BudgetError {
    fn from(error: MatchError) -> BudgetError {
        BudgetError::Match(error)
    }
}

/// A [`Matcher`] whose output must be complete within a budget of tokens.
#[derive(Clone, Debug)]
pub struct BudgetedMatcher {
    matcher: Matcher,
    remaining: usize,
    /// A completion from the current state, at most `remaining` tokens,
    /// stored last token first so the next one pops off the end.
    plan: Vec<TokenId>,
    /// The plan after the last token [`BudgetedMatcher::fits`] accepted.
    checked: Option<(TokenId, Vec<TokenId>)>,
}

impl BudgetedMatcher {
    /// Holds `matcher` (at any state) to `budget` more tokens.
    pub fn new(matcher: Matcher, budget: usize) -> Result<BudgetedMatcher, BudgetError> {
        let mut plan = matcher
            .completion_tokens()
            .ok_or(BudgetError::NoCompletion)?;
        if plan.len() > budget {
            return Err(BudgetError::TooSmall {
                needed: plan.len(),
                budget,
            });
        }
        plan.reverse();
        Ok(BudgetedMatcher {
            matcher,
            remaining: budget,
            plan,
            checked: None,
        })
    }

    /// Whether `budget` tokens hold the shortest output of `constraint`:
    /// [`BudgetError::TooSmall`] when they do not. A constraint without a
    /// plan (its completions need a special token) is not refused here.
    pub fn check(constraint: &Constraint, budget: usize) -> Result<(), BudgetError> {
        match BudgetedMatcher::new(constraint.matcher(), budget) {
            Ok(_) | Err(BudgetError::NoCompletion) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The matcher underneath.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Tokens of output text still allowed.
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// The tokens the current plan still needs: an upper bound on what a
    /// completion takes from here.
    pub fn needed(&self) -> usize {
        self.plan.len()
    }

    /// The next token of the plan, which always fits; `None` when the
    /// output may end now.
    pub fn planned(&self) -> Option<TokenId> {
        self.plan.last().copied()
    }

    /// Whether the output may end now.
    pub fn can_end(&self) -> bool {
        self.matcher.can_end()
    }

    /// Whether `token` may be committed: the matcher allows it and, for a
    /// text token, a completion still fits after it. An end-of-sequence
    /// token fits whenever the output may end.
    pub fn fits(&mut self, token: TokenId) -> bool {
        if self.matcher.constraint().vocabulary().is_eos(token) && self.matcher.can_end() {
            return true;
        }
        if self.remaining == 0 {
            return false;
        }
        if self.planned() == Some(token) {
            return true;
        }
        if matches!(&self.checked, Some((checked, _)) if *checked == token) {
            return true;
        }
        if self.matcher.commit(token).is_err() {
            return false;
        }
        // With one token left, only a token after which the output may end
        // fits: no completion needs to be searched for.
        if self.remaining == 1 && !self.matcher.can_end() {
            let _ = self.matcher.rollback(1);
            return false;
        }
        let plan = self.matcher.completion_tokens();
        // The token was committed just above.
        let _ = self.matcher.rollback(1);
        match plan {
            Some(plan) if plan.len() < self.remaining => {
                self.checked = Some((token, plan));
                true
            }
            _ => false,
        }
    }

    /// Commits `token` if it [fits](BudgetedMatcher::fits).
    pub fn commit(&mut self, token: TokenId) -> Result<(), BudgetError> {
        if !self.fits(token) {
            if !self.matcher.is_allowed(token) {
                self.matcher.commit(token)?;
            }
            return Err(BudgetError::DoesNotFit {
                token,
                remaining: self.remaining,
            });
        }
        let ends = self.matcher.constraint().vocabulary().is_eos(token) && self.matcher.can_end();
        let checked = self.checked.take();
        self.matcher.commit(token)?;
        if ends && self.matcher.is_finished() {
            self.plan.clear();
            return Ok(());
        }
        self.remaining -= 1;
        if self.planned() == Some(token) {
            self.plan.pop();
            return Ok(());
        }
        self.plan = match checked {
            Some((checked, plan)) if checked == token => plan,
            _ => self
                .matcher
                .completion_tokens()
                .ok_or(BudgetError::NoCompletion)?,
        };
        self.plan.reverse();
        Ok(())
    }

    /// The matcher's own mask, before the budget: a superset of what fits.
    /// Runtimes mask with it and check with [`BudgetedMatcher::fits`] only
    /// the tokens they are about to sample.
    pub fn fill_matcher_mask(&mut self, mask: &mut TokenMask) -> Result<(), MatchError> {
        self.matcher.fill_mask(mask)
    }

    /// Clears `mask` and allows exactly the tokens that
    /// [fit](BudgetedMatcher::fits): every token the matcher allows is
    /// checked, so this costs one shortest completion per allowed token.
    pub fn fill_mask(&mut self, mask: &mut TokenMask) -> Result<(), MatchError> {
        self.matcher.fill_mask(mask)?;
        let allowed: Vec<TokenId> = mask.iter().collect();
        mask.clear();
        for token in allowed {
            if self.fits(token) {
                mask.allow(token);
            }
        }
        self.checked = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::Engine;
    use crate::matcher::tests::vocab;
    use crate::vocab::{TokenKind, Vocabulary};

    fn allowed(matcher: &mut BudgetedMatcher, size: usize) -> Vec<TokenId> {
        let mut mask = TokenMask::new(size);
        matcher.fill_mask(&mut mask).unwrap();
        mask.iter().collect()
    }

    #[test]
    fn a_tight_budget_steers_to_a_short_ending() {
        // "a", "b", "ab", "c", eos = 4
        let v = vocab(&["a", "b", "ab", "c"]);
        let constraint = Engine::new(v).regex("(ab)+c").unwrap();
        assert_eq!(
            BudgetedMatcher::new(constraint.matcher(), 1).unwrap_err(),
            BudgetError::TooSmall {
                needed: 2,
                budget: 1
            }
        );
        let mut matcher = BudgetedMatcher::new(constraint.matcher(), 3).unwrap();
        assert_eq!(matcher.needed(), 2, "`ab` `c`");
        // `a` then `b` would leave one token for `c`; `ab` leaves two.
        assert_eq!(allowed(&mut matcher, 5), vec![0, 2]);
        matcher.commit(0).unwrap();
        assert_eq!(allowed(&mut matcher, 5), vec![1]);
        matcher.commit(1).unwrap();
        assert_eq!(matcher.remaining(), 1);
        assert_eq!(allowed(&mut matcher, 5), vec![3], "only the ending fits");
        assert!(matches!(
            matcher.commit(2),
            Err(BudgetError::DoesNotFit { token: 2, .. })
        ));
        matcher.commit(3).unwrap();
        assert!(matcher.can_end());
        assert_eq!(allowed(&mut matcher, 5), vec![4]);
        matcher.commit(4).unwrap();
        assert!(matcher.matcher().is_finished());
    }

    #[test]
    fn a_loose_budget_allows_what_the_matcher_allows() {
        let v = vocab(&["a", "b", "ab", "c"]);
        let constraint = Engine::new(v).regex("(ab)+c").unwrap();
        let mut matcher = BudgetedMatcher::new(constraint.matcher(), 100).unwrap();
        for token in [2, 2, 0, 1] {
            let mut plain = TokenMask::new(5);
            let mut inner = matcher.matcher().clone();
            inner.fill_mask(&mut plain).unwrap();
            assert_eq!(allowed(&mut matcher, 5), plain.iter().collect::<Vec<_>>());
            matcher.commit(token).unwrap();
        }
        assert_eq!(matcher.remaining(), 96);
    }

    #[test]
    fn grammars_needing_a_special_token_have_no_budget() {
        let mut builder = Vocabulary::builder();
        builder.push(b"a".to_vec(), TokenKind::Text);
        let eot = builder.push(b"<|eot_id|>".to_vec(), TokenKind::Special);
        builder.eos_token(eot);
        let v = Arc::new(builder.build().unwrap());
        let constraint = Engine::new(v).grammar("root ::= \"a\" <|eot_id|>").unwrap();
        let mut matcher = constraint.matcher();
        matcher.commit(0).unwrap();
        assert_eq!(
            BudgetedMatcher::new(matcher, 10).unwrap_err(),
            BudgetError::NoCompletion
        );
    }
}
