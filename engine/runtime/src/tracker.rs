//! One sequence's constraint state: a matcher held to the request's token
//! budget, or — for a constraint whose completions need a special token, so
//! that no budget can be kept — a plain matcher.

use rein_core::{BudgetError, BudgetedMatcher, Constraint, Matcher, TokenId, TokenMask};

/// The matcher of one sequence.
#[derive(Clone, Debug)]
pub(crate) enum Tracker {
    /// Every output completes within the budget.
    Budgeted(BudgetedMatcher),
    /// No budget can be kept; the output may be cut by `max_tokens`.
    Unbudgeted(Matcher),
}

impl Tracker {
    /// A tracker at the start of `constraint` with `budget` tokens of text.
    /// A budget below the shortest output is an error; a constraint that
    /// has no completion in text tokens gets no budget.
    pub fn new(constraint: &Constraint, budget: usize) -> Result<Tracker, BudgetError> {
        match BudgetedMatcher::new(constraint.matcher(), budget) {
            Ok(matcher) => Ok(Tracker::Budgeted(matcher)),
            Err(BudgetError::NoCompletion) => Ok(Tracker::Unbudgeted(constraint.matcher())),
            Err(error) => Err(error),
        }
    }

    /// The matcher's own mask (before the budget).
    pub fn fill_mask(&mut self, mask: &mut TokenMask) -> Result<(), rein_core::MatchError> {
        match self {
            Tracker::Budgeted(matcher) => matcher.fill_matcher_mask(mask),
            Tracker::Unbudgeted(matcher) => matcher.fill_mask(mask),
        }
    }

    /// The matcher underneath.
    pub fn matcher(&self) -> &Matcher {
        match self {
            Tracker::Budgeted(matcher) => matcher.matcher(),
            Tracker::Unbudgeted(matcher) => matcher,
        }
    }

    /// Whether a text token leaves a completion within the budget.
    pub fn fits(&mut self, token: TokenId) -> bool {
        match self {
            Tracker::Budgeted(matcher) => matcher.fits(token),
            Tracker::Unbudgeted(_) => true,
        }
    }

    /// A token that always fits, when the output cannot end yet.
    pub fn planned(&self) -> Option<TokenId> {
        match self {
            Tracker::Budgeted(matcher) => matcher.planned(),
            Tracker::Unbudgeted(_) => None,
        }
    }

    /// Commits a text token.
    pub fn commit(&mut self, token: TokenId) -> Result<(), String> {
        match self {
            Tracker::Budgeted(matcher) => matcher.commit(token).map_err(|error| error.to_string()),
            Tracker::Unbudgeted(matcher) => {
                matcher.commit(token).map_err(|error| error.to_string())
            }
        }
    }

    /// Commits every token of `tokens` in order.
    pub fn commit_all(&mut self, tokens: &[TokenId]) -> Result<(), String> {
        tokens.iter().try_for_each(|&token| self.commit(token))
    }
}
