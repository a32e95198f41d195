//! The real tokenizers rein ships tests for: Llama 3 (128k, byte-level BPE),
//! Qwen 3 (151k, byte-level BPE with NFC), Gemma 3 (262k, SentencePiece with
//! byte fallback) and the SmolLM2 GGUF (49k, byte-level BPE from metadata).

use proptest::prelude::*;
use rein_core::TokenMask;
use rein_tokenizer::byte_scheme::ByteScheme;
use rein_tokenizer::Tokenizer;

/// Whether every byte of `text` has a single-byte text token, i.e. whether
/// the vocabulary can spell the text at all.
fn spellable(tokenizer: &Tokenizer, text: &str) -> bool {
    let vocabulary = tokenizer.vocabulary();
    let mut single = [false; 256];
    for id in 0..vocabulary.len() as u32 {
        if let Some(&[byte]) = vocabulary.token_bytes(id) {
            single[byte as usize] |= !vocabulary.is_special(id);
        }
    }
    text.bytes().all(|b| single[b as usize])
}

/// The encoding spells `text` exactly; where the vocabulary cannot spell it
/// (SmolLM2 lacks a few byte tokens), encoding fails loudly instead.
fn check_round_trip(name: &str, text: &str) -> Result<(), TestCaseError> {
    let tokenizer = rein_test_support::tokenizer(name);
    match tokenizer.encode(text) {
        Ok(ids) => prop_assert_eq!(tokenizer.vocabulary().concat_bytes(&ids), text.as_bytes()),
        Err(error) => {
            prop_assert!(
                !spellable(tokenizer, text),
                "{name} failed on spellable {text:?}: {error}"
            );
            prop_assert!(error.to_string().contains("does not cover"), "{error}");
        }
    }
    Ok(())
}

/// Any Unicode scalar values, controls and astral planes included.
fn unicode_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..48).prop_map(|c| c.into_iter().collect())
}

/// Mostly-natural text: words, spaces, digits, punctuation, newlines.
fn natural_text() -> impl Strategy<Value = String> {
    "[ a-zA-Z0-9.,:;'\"!?()\\n\\t-]{0,80}|[ żółćéαβγ日本語😀]{0,20}"
}

fn without_metaspace(text: String) -> String {
    text.replace('\u{2581}', " ")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn llama3_encodes_exactly(text in prop_oneof![unicode_text(), natural_text()]) {
        check_round_trip("llama3", &text)?;
    }

    #[test]
    fn qwen3_encodes_exactly_without_normalizing(text in prop_oneof![unicode_text(), natural_text()]) {
        check_round_trip("qwen3", &text)?;
    }

    #[test]
    fn gemma3_encodes_exactly(text in prop_oneof![unicode_text(), natural_text()].prop_map(without_metaspace)) {
        check_round_trip("gemma3", &text)?;
    }

    #[test]
    fn smollm2_gguf_encodes_exactly(text in prop_oneof![unicode_text(), natural_text()]) {
        check_round_trip("smollm2", &text)?;
    }
}

#[test]
fn full_byte_coverage_where_the_vocabulary_has_it() {
    let all_chars: String = [
        '\u{0}',
        '\u{4}',
        '\u{7f}',
        'é',
        '\u{10FFFF}',
        '\u{587a4}',
        '😀',
    ]
    .iter()
    .collect();
    for name in ["llama3", "qwen3", "gemma3"] {
        assert!(
            spellable(rein_test_support::tokenizer(name), &all_chars),
            "{name} spells every byte"
        );
    }
    assert!(
        !spellable(rein_test_support::tokenizer("smollm2"), "\u{587a4}"),
        "SmolLM2 has no 0xF1 token"
    );
    let error = rein_test_support::tokenizer("smollm2")
        .encode("a\u{587a4}")
        .unwrap_err();
    assert!(error.to_string().contains("at byte 1"), "{error}");
}

#[test]
fn vocabulary_facts() {
    let llama = rein_test_support::tokenizer("llama3");
    assert_eq!(llama.vocabulary().len(), 128_256);
    assert_eq!(llama.scheme(), ByteScheme::ByteLevel);
    for eos in [128_001, 128_009] {
        assert!(llama.vocabulary().is_eos(eos), "llama3 eos {eos}");
    }
    assert!(llama.vocabulary().is_special(128_000));

    let qwen = rein_test_support::tokenizer("qwen3");
    assert!(qwen.vocabulary().len() >= 151_643);
    let im_end = qwen.encoder().token_to_id("<|im_end|>").unwrap();
    assert!(qwen.vocabulary().is_eos(im_end));

    let gemma = rein_test_support::tokenizer("gemma3");
    assert_eq!(gemma.vocabulary().len(), 262_145);
    assert_eq!(
        gemma.scheme(),
        ByteScheme::SentencePiece {
            byte_fallback: true
        }
    );
    assert!(gemma.vocabulary().is_eos(1) && gemma.vocabulary().is_eos(106));
    let byte = gemma.encoder().token_to_id("<0x0A>").unwrap();
    assert_eq!(gemma.vocabulary().token_bytes(byte), Some(&b"\n"[..]));

    let smol = rein_test_support::tokenizer("smollm2");
    assert_eq!(smol.vocabulary().len(), 49_152);
    assert!(
        smol.vocabulary().is_eos(2),
        "<|im_end|> from tokenizer.ggml.eos_token_id"
    );
    assert!(smol.vocabulary().is_special(0) && smol.vocabulary().is_special(1));
}

#[test]
fn a_folder_loads_its_tokenizer_json() {
    let folder = rein_test_support::tokenizer_path("llama3");
    let folder = folder.parent().unwrap();
    let tokenizer = rein_tokenizer::Tokenizer::from_path(folder).unwrap();
    assert_eq!(tokenizer.vocabulary().len(), 128_256);
    assert_eq!(
        tokenizer.encode("Hello, world").unwrap(),
        rein_test_support::tokenizer("llama3")
            .encode("Hello, world")
            .unwrap()
    );
}

#[test]
fn gemma3_refuses_the_metaspace_character() {
    let error = rein_test_support::tokenizer("gemma3")
        .encode("a\u{2581}b")
        .unwrap_err();
    assert!(error.to_string().contains("U+2581"), "{error}");
}

#[test]
fn special_names_in_text_are_plain_text() {
    let llama = rein_test_support::tokenizer("llama3");
    let ids = llama.encode("<|eot_id|>").unwrap();
    assert!(ids.len() > 1 && ids.iter().all(|&id| !llama.vocabulary().is_special(id)));
}

#[test]
fn text_constraints_never_allow_special_tokens() {
    for name in ["llama3", "qwen3", "gemma3", "smollm2"] {
        let tokenizer = rein_test_support::tokenizer(name);
        let vocabulary = tokenizer.vocabulary();
        let engine = rein_test_support::engine(name);
        for pattern in [r"(?s:.*)", r"<\|eot_id\|>|<eos>|<\|im_end\|>|.*"] {
            let constraint = engine.regex(pattern).unwrap();
            let mut matcher = constraint.matcher();
            let mut mask = TokenMask::new(vocabulary.len());
            matcher.fill_mask(&mut mask).unwrap();
            let mut text_allowed = 0;
            for id in mask.iter() {
                if vocabulary.is_special(id) {
                    assert!(
                        vocabulary.is_eos(id),
                        "{name}: special token {id} allowed by {pattern}"
                    );
                } else {
                    text_allowed += 1;
                }
            }
            assert!(
                text_allowed > 1000,
                "{name}: only {text_allowed} text tokens allowed"
            );
            for &eos in vocabulary.eos_tokens() {
                assert!(mask.contains(eos), "{name}: the empty output may end");
            }
            // After some text, a special token is still refused by commit.
            let hello = tokenizer.encode("hello").unwrap();
            matcher.commit_all(&hello).unwrap();
            let special = (0..vocabulary.len() as u32)
                .find(|&id| vocabulary.is_special(id) && !vocabulary.is_eos(id))
                .unwrap();
            assert!(
                matcher.commit(special).is_err(),
                "{name}: special {special} committed"
            );
        }
    }
}
