//! Property tests of regex and label-set constraints on a synthetic
//! vocabulary: every single byte, short strings over the test alphabet,
//! tokens that split multi-byte characters, and special tokens.
//!
//! The same properties run on real tokenizers in `rein-tokenizer`'s tests.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use rein_core::{Engine, TokenKind, Vocabulary};
use rein_test_support::regex_gen::{self, Rng64, ALPHABET};
use rein_test_support::walk::{assert_no_dead_ends, byte_tokens, greedy_tokens, walk_accepts};

fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut builder = Vocabulary::builder();
            builder.push(b"<pad>".to_vec(), TokenKind::Special);
            let eos = builder.push(b"<eos>".to_vec(), TokenKind::Special);
            builder.eos_token(eos);
            for byte in 0..=255u8 {
                builder.push(vec![byte], TokenKind::Text);
            }
            for a in ALPHABET {
                for b in ALPHABET {
                    builder.push(format!("{a}{b}").into_bytes(), TokenKind::Text);
                }
                builder.push(format!("{a}{a}{a}").into_bytes(), TokenKind::Text);
                // Tokens that end or start in the middle of a character.
                let bytes = format!("{a}é").into_bytes();
                builder.push(bytes[..bytes.len() - 1].to_vec(), TokenKind::Text);
                builder.push(
                    bytes[bytes.len() - 1..]
                        .iter()
                        .chain(b"ab")
                        .copied()
                        .collect(),
                    TokenKind::Text,
                );
            }
            builder.push(b"<eos>".to_vec(), TokenKind::Text); // text that looks special
            Engine::new(Arc::new(builder.build().unwrap()))
        })
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn regex_walks_accept_exactly_the_language(
        regex in regex_gen::regex_strategy(),
        random in prop::collection::vec(regex_gen::text_strategy(), 4),
        seed in any::<u64>(),
    ) {
        let engine = engine();
        let vocabulary = engine.vocabulary();
        let pattern = regex.pattern();
        let reference = regex_gen::reference(&pattern);
        let constraint = match engine.regex(&pattern) {
            Ok(c) => c,
            Err(error) => {
                // Only an empty language may fail to compile.
                prop_assert!(error.to_string().contains("matches no output"), "{pattern}: {error}");
                return Ok(());
            }
        };
        let mut rng = Rng64(seed);
        for text in regex_gen::candidate_strings(&regex, &mut rng, &random) {
            let expected = reference.is_match(&text);
            let greedy = greedy_tokens(vocabulary, &text);
            prop_assert_eq!(walk_accepts(&constraint, &greedy), expected, "{} on {:?} greedy", pattern, text);
            let bytes = byte_tokens(vocabulary, &text);
            prop_assert_eq!(walk_accepts(&constraint, &bytes), expected, "{} on {:?} bytes", pattern, text);
            assert_no_dead_ends(&constraint, &greedy, &|t| reference.is_match(t), usize::MAX, &mut rng);
        }
    }

    #[test]
    fn label_sets_accept_exactly_their_labels(
        labels in prop::collection::vec(regex_gen::text_strategy(), 1..6),
        random in prop::collection::vec(regex_gen::text_strategy(), 4),
        seed in any::<u64>(),
    ) {
        let engine = engine();
        let vocabulary = engine.vocabulary();
        let constraint = engine.choice(&labels).unwrap();
        let accepts = |t: &str| labels.iter().any(|l| l == t);
        let mut candidates = random.clone();
        for label in &labels {
            candidates.push(label.clone());
            candidates.push(format!("{label}a"));
            let mut chars: Vec<char> = label.chars().collect();
            chars.pop();
            candidates.push(chars.into_iter().collect());
        }
        let mut rng = Rng64(seed);
        for text in candidates {
            let greedy = greedy_tokens(vocabulary, &text);
            prop_assert_eq!(walk_accepts(&constraint, &greedy), accepts(&text), "{:?} in {:?}", text, labels);
            let bytes = byte_tokens(vocabulary, &text);
            prop_assert_eq!(walk_accepts(&constraint, &bytes), accepts(&text));
            assert_no_dead_ends(&constraint, &greedy, &accepts, usize::MAX, &mut rng);
        }
    }

    #[test]
    fn rollback_restores_the_mask(
        regex in regex_gen::regex_strategy(),
        seed in any::<u64>(),
    ) {
        let engine = engine();
        let vocabulary = engine.vocabulary();
        let Ok(constraint) = engine.regex(&regex.pattern()) else {
            return Ok(());
        };
        let mut rng = Rng64(seed);
        let mut text = String::new();
        regex.sample(&mut rng, &mut text);
        let tokens = greedy_tokens(vocabulary, &text);
        let mut matcher = constraint.matcher();
        let mut masks = Vec::new();
        let mut mask = rein_core::TokenMask::new(vocabulary.len());
        for &token in &tokens {
            matcher.fill_mask(&mut mask).unwrap();
            masks.push(mask.clone());
            matcher.commit(token).unwrap();
        }
        for expected in masks.iter().rev() {
            matcher.rollback(1).unwrap();
            matcher.fill_mask(&mut mask).unwrap();
            prop_assert_eq!(&mask, expected);
        }
        prop_assert_eq!(matcher.committed(), 0);
    }
}
