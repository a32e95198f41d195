//! Grammar constraints on real vocabularies: sentences sampled from random
//! grammars are accepted under the Llama 3 and Gemma 3 tokenizations and
//! byte by byte; mutations are accepted exactly when the reference
//! recognizer accepts them; every allowed token can be committed.

use proptest::prelude::*;
use rein_core::TokenMask;
use rein_test_support::grammar_gen::{grammar, mutate, reference_accepts, RandomGrammar};
use rein_test_support::regex_gen::Rng64;
use rein_test_support::walk::{byte_tokens, walk_accepts};

fn check_grammar_on(name: &str, grammar: &RandomGrammar, seed: u64) -> Result<(), TestCaseError> {
    let tokenizer = rein_test_support::tokenizer(name);
    let vocabulary = tokenizer.vocabulary();
    let engine = rein_test_support::engine(name);
    let source = grammar.gbnf();
    let constraint = engine.grammar(&source).unwrap();
    let mut rng = Rng64(seed);
    for _ in 0..3 {
        let mut sentence = String::new();
        grammar.sample(&mut rng, &mut sentence);
        if sentence.chars().count() > 24 {
            continue;
        }
        let canonical = tokenizer.encode(&sentence).unwrap();
        prop_assert!(
            walk_accepts(&constraint, &canonical),
            "{source}\n{sentence:?} canonical"
        );
        prop_assert!(
            walk_accepts(&constraint, &byte_tokens(vocabulary, &sentence)),
            "{source}\n{sentence:?} bytes"
        );
        let mutant = mutate(&sentence, &mut rng);
        let tokens = tokenizer.encode(&mutant).unwrap();
        prop_assert_eq!(
            walk_accepts(&constraint, &tokens),
            reference_accepts(grammar, &mutant),
            "{}\n{:?}",
            source,
            mutant
        );
        // Every allowed token at the start commits.
        let matcher = constraint.matcher();
        let mut mask = TokenMask::new(vocabulary.len());
        matcher.clone().fill_mask(&mut mask).unwrap();
        for token in mask.iter().take(64) {
            prop_assert!(matcher.clone().commit(token).is_ok());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn llama3_grammar_walks(grammar in grammar(), seed in any::<u64>()) {
        check_grammar_on("llama3", &grammar, seed)?;
    }

    #[test]
    fn gemma3_grammar_walks(grammar in grammar(), seed in any::<u64>()) {
        check_grammar_on("gemma3", &grammar, seed)?;
    }
}

#[test]
fn special_tokens_in_grammars_match_only_their_token() {
    let tokenizer = rein_test_support::tokenizer("llama3");
    let vocabulary = tokenizer.vocabulary();
    let engine = rein_test_support::engine("llama3");
    let constraint = engine
        .grammar("root ::= \"Answer: \" [0-9]+ <|eot_id|>")
        .unwrap();
    let mut matcher = constraint.matcher();
    matcher
        .commit_all(&tokenizer.encode("Answer: 42").unwrap())
        .unwrap();
    assert!(!matcher.can_end(), "the grammar still expects <|eot_id|>");
    let mut mask = TokenMask::new(vocabulary.len());
    matcher.fill_mask(&mut mask).unwrap();
    assert!(
        mask.contains(128_009),
        "<|eot_id|> is allowed by the grammar"
    );
    assert!(!mask.contains(128_000), "other special tokens are not");
    // The text "<|eot_id|>" spelled with ordinary tokens is not the token.
    let spelled = tokenizer.encode("<|eot_id|>").unwrap();
    assert!(matcher.clone().commit_all(&spelled).is_err());
    matcher.commit(128_009).unwrap();
    assert!(matcher.can_end());
    let error = engine.grammar("root ::= <|no_such_token|>").unwrap_err();
    assert!(error.to_string().contains("no special token"), "{error}");
}
