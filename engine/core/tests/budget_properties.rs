//! Property tests of token budgets: for random regexes and grammars and any
//! budget at least the shortest completion, every walk that follows the
//! budgeted mask — random allowed tokens, ending at random — ends complete
//! within the budget, and a budget one short of the shortest completion is
//! refused up front.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use rein_core::{Engine, TokenKind, Vocabulary};
use rein_test_support::grammar_gen::{grammar, CHARS};
use rein_test_support::regex_gen::{self, Rng64, ALPHABET};
use rein_test_support::walk::budgeted_walk;

/// Every byte, and pairs over both test alphabets: completions can be
/// spelled, and multi-byte tokens make token counts differ from byte counts.
fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut builder = Vocabulary::builder();
            let eos = builder.push(b"<eos>".to_vec(), TokenKind::Special);
            builder.eos_token(eos);
            for byte in 0..=255u8 {
                builder.push(vec![byte], TokenKind::Text);
            }
            let mut chars: Vec<char> = ALPHABET.iter().chain(CHARS).copied().collect();
            chars.sort_unstable();
            chars.dedup();
            for a in &chars {
                for b in &chars {
                    builder.push(format!("{a}{b}").into_bytes(), TokenKind::Text);
                }
                builder.push(format!("{a}{a}{a}{a}").into_bytes(), TokenKind::Text);
            }
            Engine::new(Arc::new(builder.build().unwrap()))
        })
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn regex_walks_end_within_their_budget(
        regex in regex_gen::regex_strategy(),
        slack in 0usize..6,
        seed in any::<u64>(),
    ) {
        let pattern = regex.pattern();
        let Ok(constraint) = engine().regex(&pattern) else {
            return Ok(()); // an empty language
        };
        let mut rng = Rng64(seed);
        for _ in 0..3 {
            let walked = budgeted_walk(&constraint, slack, &mut rng);
            prop_assert!(walked.is_some(), "{pattern}: every regex completion is spellable");
        }
    }

    #[test]
    fn grammar_walks_end_within_their_budget(
        grammar in grammar(),
        slack in 0usize..6,
        seed in any::<u64>(),
    ) {
        let source = grammar.gbnf();
        let constraint = engine().grammar(&source)
            .unwrap_or_else(|e| panic!("{source}\n{e}"));
        let mut rng = Rng64(seed);
        for _ in 0..3 {
            let walked = budgeted_walk(&constraint, slack, &mut rng);
            prop_assert!(walked.is_some(), "{source}: every completion is spellable");
        }
    }
}
