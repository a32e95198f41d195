//! Property tests of grammar constraints against an independent reference.
//!
//! Random small grammars (recursion, left recursion, nullable rules,
//! ambiguity, multi-byte characters) are printed as GBNF. Strings sampled
//! from them must be accepted token by token, under greedy and byte-by-byte
//! tokenizations of a synthetic vocabulary; mutated strings must be accepted
//! exactly when the reference recognizer — a fixed-point computation of
//! "which positions can each rule reach from each position", written here and
//! sharing no code with the Earley engine — accepts them; and every allowed
//! token must leave an output that can still be completed into a sentence
//! the reference accepts. The mask (lexer walk with the parser at lexeme
//! boundaries) must equal, token for token, what the byte-level recognizer
//! can scan.

mod support;

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use rein_core::{Constraint, TokenId, TokenKind, TokenMask, Vocabulary};
use support::grammar_gen::{grammar, mutate, reference_accepts, CHARS};
use support::regex_gen::Rng64;
use support::walk::{byte_tokens, greedy_tokens, walk_accepts};

fn vocabulary() -> Arc<Vocabulary> {
    static VOCABULARY: OnceLock<Arc<Vocabulary>> = OnceLock::new();
    VOCABULARY
        .get_or_init(|| {
            let mut builder = Vocabulary::builder();
            let eos = builder.push(b"<eos>".to_vec(), TokenKind::Special);
            builder.eos_token(eos);
            for byte in 0..=255u8 {
                builder.push(vec![byte], TokenKind::Text);
            }
            for a in CHARS {
                for b in CHARS {
                    builder.push(format!("{a}{b}").into_bytes(), TokenKind::Text);
                }
                let split = format!("{a}é").into_bytes();
                builder.push(split[..split.len() - 1].to_vec(), TokenKind::Text);
            }
            Arc::new(builder.build().unwrap())
        })
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn grammar_walks_agree_with_the_reference(grammar in grammar(), seed in any::<u64>()) {
        let source = grammar.gbnf();
        let vocabulary = vocabulary();
        let constraint = Constraint::grammar(vocabulary.clone(), &source)
            .unwrap_or_else(|e| panic!("{source}\n{e}"));
        let mut rng = Rng64(seed);
        for _ in 0..4 {
            let mut sentence = String::new();
            grammar.sample(&mut rng, &mut sentence);
            // The reference is cubic in the length; keep sentences short.
            if sentence.chars().count() > 24 {
                continue;
            }
            prop_assert!(reference_accepts(&grammar, &sentence), "sampler bug: {sentence:?}");
            let greedy = greedy_tokens(&vocabulary, &sentence);
            prop_assert!(walk_accepts(&constraint, &greedy), "{source}\nrejects {sentence:?} (greedy)");
            prop_assert!(walk_accepts(&constraint, &byte_tokens(&vocabulary, &sentence)),
                "{source}\nrejects {sentence:?} (bytes)");
            for _ in 0..3 {
                let mutant = mutate(&sentence, &mut rng);
                let expected = reference_accepts(&grammar, &mutant);
                prop_assert_eq!(walk_accepts(&constraint, &greedy_tokens(&vocabulary, &mutant)), expected,
                    "{}\non {:?}", source, mutant);
            }
            // No dead ends along the sentence.
            let mut matcher = constraint.matcher();
            let mut mask = TokenMask::new(vocabulary.len());
            let mut prefix = Vec::new();
            for &token in &greedy {
                matcher.fill_mask(&mut mask).unwrap();
                // The mask is exactly the set of tokens the byte-level
                // recognizer can scan.
                for id in 0..vocabulary.len() as TokenId {
                    prop_assert_eq!(mask.contains(id), matcher.is_allowed(id),
                        "{}
after {:?}: token {}", source, prefix, id);
                }
                let allowed: Vec<TokenId> = mask.iter().collect();
                for _ in 0..8 {
                    let candidate = allowed[rng.below(allowed.len())];
                    let mut fork = matcher.clone();
                    fork.commit(candidate).unwrap();
                    if vocabulary.is_eos(candidate) {
                        prop_assert!(reference_accepts(&grammar, std::str::from_utf8(&prefix).unwrap()));
                        continue;
                    }
                    let completion = fork.shortest_completion();
                    prop_assert!(completion.is_some(), "{source}\ndead end after {prefix:?} + {candidate}");
                    let mut full = prefix.clone();
                    full.extend_from_slice(vocabulary.token_bytes(candidate).unwrap());
                    full.extend_from_slice(&completion.unwrap());
                    let text = String::from_utf8(full).unwrap();
                    prop_assert!(reference_accepts(&grammar, &text), "{source}\ncompletion {text:?} rejected");
                }
                matcher.commit(token).unwrap();
                prefix.extend_from_slice(vocabulary.token_bytes(token).unwrap());
            }
        }
    }
}
