//! Token-level walks shared by the property tests.

use rein_core::{Constraint, TokenId, TokenMask, Vocabulary};

use crate::regex_gen::Rng64;

/// Walks `tokens` through a fresh matcher, checking at every step that the
/// mask and `commit` agree. Returns whether the walk accepted the output.
pub fn walk_accepts(constraint: &Constraint, tokens: &[TokenId]) -> bool {
    let vocabulary = constraint.vocabulary();
    let mut matcher = constraint.matcher();
    let mut mask = TokenMask::new(vocabulary.len() + 7);
    for &token in tokens {
        matcher
            .fill_mask(&mut mask)
            .expect("the mask covers the vocabulary");
        let allowed = mask.contains(token);
        let committed = matcher.commit(token).is_ok();
        assert_eq!(
            allowed, committed,
            "mask and commit disagree on token {token}"
        );
        if !committed {
            return false;
        }
    }
    matcher.can_end()
}

/// Greedy longest-match tokenization through the trie (the vocabulary must
/// have every byte `text` uses as a token).
pub fn greedy_tokens(vocabulary: &Vocabulary, text: &str) -> Vec<TokenId> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let (token, length) = vocabulary
            .trie()
            .longest_prefix(&bytes[offset..])
            .expect("a token for every byte");
        tokens.push(token);
        offset += length;
    }
    tokens
}

/// Each byte of `text` as its single-byte token.
pub fn byte_tokens(vocabulary: &Vocabulary, text: &str) -> Vec<TokenId> {
    let mut by_byte = [None; 256];
    for id in 0..vocabulary.len() as TokenId {
        if let Some(&[byte]) = vocabulary.token_bytes(id) {
            if !vocabulary.is_special(id) && by_byte[byte as usize].is_none() {
                by_byte[byte as usize] = Some(id);
            }
        }
    }
    text.bytes()
        .map(|b| by_byte[b as usize].expect("the vocabulary has every single byte"))
        .collect()
}

/// Soundness along `tokens`: at the start and after each committed token,
/// every allowed token (or `sample` of them) can be committed and the output
/// can still be completed into a string `accepts` accepts; no special token
/// other than an allowed end of sequence is ever offered.
pub fn assert_no_dead_ends(
    constraint: &Constraint,
    tokens: &[TokenId],
    accepts: &dyn Fn(&str) -> bool,
    sample: usize,
    rng: &mut Rng64,
) {
    let vocabulary = constraint.vocabulary();
    let mut matcher = constraint.matcher();
    let mut mask = TokenMask::new(vocabulary.len());
    let mut prefix: Vec<u8> = Vec::new();
    for step in 0..=tokens.len() {
        matcher.fill_mask(&mut mask).unwrap();
        let allowed: Vec<TokenId> = mask.iter().collect();
        let chosen: Vec<TokenId> = if allowed.len() <= sample {
            allowed
        } else {
            (0..sample)
                .map(|_| allowed[rng.below(allowed.len())])
                .collect()
        };
        for token in chosen {
            let mut fork = matcher.clone();
            fork.commit(token).expect("an allowed token commits");
            if vocabulary.is_eos(token) {
                let text = std::str::from_utf8(&prefix).expect("an ended output is UTF-8");
                assert!(
                    accepts(text),
                    "ended on {text:?}, which the reference rejects"
                );
                continue;
            }
            assert!(
                !vocabulary.is_special(token),
                "special token {token} offered"
            );
            let completion = fork
                .shortest_completion()
                .unwrap_or_else(|| panic!("token {token} leads to a dead end"));
            let mut full = prefix.clone();
            full.extend_from_slice(vocabulary.token_bytes(token).unwrap());
            full.extend_from_slice(&completion);
            let text = String::from_utf8(full).expect("a completed output is UTF-8");
            assert!(
                accepts(&text),
                "completion {text:?} is rejected by the reference"
            );
        }
        if step == tokens.len() {
            break;
        }
        if matcher.commit(tokens[step]).is_err() {
            break;
        }
        prefix.extend_from_slice(vocabulary.token_bytes(tokens[step]).unwrap());
    }
}

/// Walks random tokens of the budgeted mask from the start of `constraint`
/// with a budget of the shortest completion plus `slack`; the walk must end
/// (the end-of-sequence id chosen when allowed with probability 1/4, and
/// whenever it is all that is allowed) complete and within the budget.
/// Returns the text tokens committed, or `None` when the constraint has no
/// budget rein can keep.
pub fn budgeted_walk(constraint: &Constraint, slack: usize, rng: &mut Rng64) -> Option<usize> {
    use rein_core::{BudgetError, BudgetedMatcher};
    let vocabulary = constraint.vocabulary();
    let eos = vocabulary.eos_tokens()[0];
    let needed = match BudgetedMatcher::new(constraint.matcher(), usize::MAX) {
        Ok(matcher) => matcher.needed(),
        Err(BudgetError::NoCompletion) => return None,
        Err(error) => panic!("{error}"),
    };
    let budget = needed + slack;
    if needed > 0 {
        assert_eq!(
            BudgetedMatcher::new(constraint.matcher(), needed - 1).unwrap_err(),
            BudgetError::TooSmall {
                needed,
                budget: needed - 1
            }
        );
    }
    let mut matcher = BudgetedMatcher::new(constraint.matcher(), budget).expect("the budget fits");
    let mut mask = TokenMask::new(vocabulary.len());
    let mut text_tokens = 0;
    loop {
        matcher
            .fill_mask(&mut mask)
            .expect("the mask covers the vocabulary");
        let allowed: Vec<TokenId> = mask.iter().collect();
        assert!(
            !allowed.is_empty(),
            "the budgeted mask is empty after {text_tokens} tokens of {budget}"
        );
        let text: Vec<TokenId> = allowed.iter().copied().filter(|&t| t != eos).collect();
        let token = if allowed.contains(&eos) && (text.is_empty() || rng.below(4) == 0) {
            eos
        } else {
            text[rng.below(text.len())]
        };
        matcher
            .commit(token)
            .expect("a token of the budgeted mask commits");
        if token == eos {
            break;
        }
        text_tokens += 1;
        assert!(
            text_tokens <= budget,
            "the walk overran its budget of {budget}"
        );
    }
    assert!(matcher.matcher().is_finished());
    Some(text_tokens)
}
