//! The regex and label-set properties of `rein-core`'s tests, on real
//! vocabularies: the walk accepts exactly the strings the reference `regex`
//! crate matches, under the tokenizer's own tokenization and byte by byte,
//! and every allowed token leaves a completable output.

use proptest::prelude::*;
use rein_test_support::regex_gen::{self, Rng64};
use rein_test_support::walk::{assert_no_dead_ends, byte_tokens, walk_accepts};

fn check_regex_on(
    name: &str,
    regex: &regex_gen::Regex,
    random: &[String],
    seed: u64,
) -> Result<(), TestCaseError> {
    let tokenizer = rein_test_support::tokenizer(name);
    let vocabulary = tokenizer.vocabulary();
    let engine = rein_test_support::engine(name);
    let pattern = regex.pattern();
    let reference = regex_gen::reference(&pattern);
    let constraint = match engine.regex(&pattern) {
        Ok(constraint) => constraint,
        Err(error) => {
            prop_assert!(
                error.to_string().contains("matches no output"),
                "{pattern}: {error}"
            );
            return Ok(());
        }
    };
    let mut rng = Rng64(seed);
    for text in regex_gen::candidate_strings(regex, &mut rng, random) {
        let expected = reference.is_match(&text);
        let canonical = tokenizer.encode(&text).unwrap();
        prop_assert_eq!(
            walk_accepts(&constraint, &canonical),
            expected,
            "{} {:?} canonical",
            pattern,
            text
        );
        let bytes = byte_tokens(vocabulary, &text);
        prop_assert_eq!(
            walk_accepts(&constraint, &bytes),
            expected,
            "{} {:?} bytes",
            pattern,
            text
        );
        assert_no_dead_ends(
            &constraint,
            &canonical,
            &|t| reference.is_match(t),
            48,
            &mut rng,
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn llama3_regex_walks(
        regex in regex_gen::regex_strategy(),
        random in prop::collection::vec(regex_gen::text_strategy(), 3),
        seed in any::<u64>(),
    ) {
        check_regex_on("llama3", &regex, &random, seed)?;
    }

    #[test]
    fn gemma3_regex_walks(
        regex in regex_gen::regex_strategy(),
        random in prop::collection::vec(regex_gen::text_strategy(), 3),
        seed in any::<u64>(),
    ) {
        check_regex_on("gemma3", &regex, &random, seed)?;
    }

    #[test]
    fn llama3_label_walks(
        labels in prop::collection::vec("[ a-zA-Z\"'żé-]{0,12}", 1..6),
        seed in any::<u64>(),
    ) {
        let tokenizer = rein_test_support::tokenizer("llama3");
        let vocabulary = tokenizer.vocabulary();
        let engine = rein_test_support::engine("llama3");
        let constraint = engine.choice(&labels).unwrap();
        let accepts = |t: &str| labels.iter().any(|l| l == t);
        let mut rng = Rng64(seed);
        for label in &labels {
            for text in [label.clone(), format!("{label} "), label.chars().skip(1).collect()] {
                let canonical = tokenizer.encode(&text).unwrap();
                prop_assert_eq!(walk_accepts(&constraint, &canonical), accepts(&text));
                prop_assert_eq!(walk_accepts(&constraint, &byte_tokens(vocabulary, &text)), accepts(&text));
                assert_no_dead_ends(&constraint, &canonical, &accepts, 48, &mut rng);
            }
        }
    }
}

#[test]
fn dates_on_llama3() {
    let tokenizer = rein_test_support::tokenizer("llama3");
    let constraint = rein_test_support::engine("llama3")
        .regex(r"\d{4}-\d{2}-\d{2}")
        .unwrap();
    assert!(walk_accepts(
        &constraint,
        &tokenizer.encode("2026-11-24").unwrap()
    ));
    assert!(!walk_accepts(
        &constraint,
        &tokenizer.encode("2026-1-24").unwrap()
    ));
    assert!(!walk_accepts(
        &constraint,
        &tokenizer.encode("2026-11-2").unwrap()
    ));
}
