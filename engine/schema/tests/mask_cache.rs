//! Masks put together from cached lexer walks equal masks walked afresh,
//! on the Llama 3 vocabulary.
//!
//! A grammar mask is assembled from pieces: each lexeme's walk from the
//! trie root, cached on its own and shared by every schema of the
//! engine, united for a frontier of several lexemes, and for a state
//! that differs from an already walked one in a few first bytes, that
//! walk with those subtrees walked again. These tests run documents
//! through a constraint with caching on, twice (cold, then warm from the
//! caches) and beside a second schema sharing its lexemes, and compare
//! every mask with the same constraint's uncached walk.

use rein_core::{Constraint, Engine, TokenMask, Vocabulary};
use rein_schema::{compile, Options};
use serde_json::{json, Value};

/// Runs `documents` token by token through `cached`, comparing every mask
/// with `fresh`'s.
fn compare(
    cached: &Constraint,
    fresh: &Constraint,
    vocabulary: &Vocabulary,
    tokenizer: &rein_tokenizer::Tokenizer,
    documents: &[&str],
) {
    let mut left = TokenMask::new(vocabulary.len());
    let mut right = TokenMask::new(vocabulary.len());
    for document in documents {
        let tokens = tokenizer.encode(document).unwrap();
        let (mut a, mut b) = (cached.matcher(), fresh.matcher());
        for (position, &token) in tokens.iter().enumerate() {
            a.fill_mask(&mut left).unwrap();
            b.fill_mask(&mut right).unwrap();
            if left.as_words() != right.as_words() {
                let only_cached: Vec<u32> = left.iter().filter(|&t| !right.contains(t)).collect();
                let only_fresh: Vec<u32> = right.iter().filter(|&t| !left.contains(t)).collect();
                panic!(
                    "{document}: masks differ before token {position}; only cached: {:?}, only fresh: {:?}",
                    &only_cached[..only_cached.len().min(10)],
                    &only_fresh[..only_fresh.len().min(10)]
                );
            }
            assert!(
                left.contains(token),
                "{document}: token {position} ({:?}) refused",
                String::from_utf8_lossy(vocabulary.token_bytes(token).unwrap_or_default())
            );
            a.commit(token).unwrap();
            b.commit(token).unwrap();
        }
        assert!(a.can_end() && b.can_end(), "{document} is complete");
    }
}

fn constraints(schema: &Value, engine: &Engine) -> (Constraint, Constraint) {
    let cached = compile(schema, &Options::default())
        .unwrap()
        .constraint(engine)
        .unwrap();
    let fresh = cached.clone().with_mask_cache_bytes(0);
    (cached, fresh)
}

/// Optional members whose names share prefixes, other keys allowed: each
/// step inside a key has a frontier of its own (the names still possible),
/// and key states that may still become a name differ from any other
/// key's in a few first bytes.
fn names_schema() -> Value {
    let mut properties = serde_json::Map::new();
    for name in [
        "a", "a1", "a10", "a2", "alpha", "alphabet", "b", "beta", "q1", "q10", "msg", "message",
    ] {
        properties.insert(name.into(), json!({"type": "string"}));
    }
    properties.insert("count".into(), json!({"type": "integer", "minimum": 0}));
    properties.insert("ratio".into(), json!({"type": "number"}));
    properties.insert(
        "tags".into(),
        json!({"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}}),
    );
    // Bounded strings: states far from the bound walk alike (one shared
    // walk), states near it do not.
    properties.insert("note".into(), json!({"type": "string", "maxLength": 300}));
    properties.insert("code".into(), json!({"type": "string", "maxLength": 12}));
    json!({"type": "object", "properties": properties})
}

const NAMES_DOCUMENTS: &[&str] = &[
    r#"{"a": "x", "a1": "one", "a10": "ten", "alphabet": "abc", "msg": "hello", "other": 1}"#,
    r#"{"alpha": "A", "b": "", "beta": "é\n\"q\"", "q1": "q", "q10": "r", "count": 42, "alphax": [1, 2]}"#,
    r#"{"a1": "x", "message": "m", "ratio": -1.5e3, "tags": ["ab", "cd"], "alp": null, "z": {"a": 1}}"#,
    r#"{ "a" : "spaced" ,  "count" : 0 , "q" : true }"#,
    r#"{}"#,
    concat!(
        r#"{"note": ""#,
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor ",
        "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud ",
        "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure ",
        r#"dolor in reprehenderit in voluptate.", "code": "ABCDEFGHIJKL"}"#
    ),
    r#"{"note": "short", "code": "x"}"#,
];

#[test]
fn masks_from_cached_walks_equal_fresh_walks() {
    let tokenizer = rein_test_support::tokenizer("llama3");
    let engine = Engine::new(tokenizer.vocabulary().clone());
    let vocabulary = engine.vocabulary();
    let (cached, fresh) = constraints(&names_schema(), &engine);
    // Cold caches, then warm ones.
    compare(&cached, &fresh, vocabulary, tokenizer, NAMES_DOCUMENTS);
    compare(&cached, &fresh, vocabulary, tokenizer, NAMES_DOCUMENTS);
}

#[test]
fn walks_shared_between_schemas_fit_each() {
    let tokenizer = rein_test_support::tokenizer("llama3");
    let engine = Engine::new(tokenizer.vocabulary().clone());
    let vocabulary = engine.vocabulary();
    // The first schema fills the engine's shared walks; the second has
    // some of the same lexemes in other company (fewer names, a pattern on
    // other keys).
    let (first, first_fresh) = constraints(&names_schema(), &engine);
    compare(&first, &first_fresh, vocabulary, tokenizer, NAMES_DOCUMENTS);
    let second = json!({
        "type": "object",
        "properties": {"a1": {"type": "string"}, "alpha": {"type": "string"}, "count": {"type": "integer"}},
        "patternProperties": {"^x-": {"type": "boolean"}},
        "additionalProperties": {"type": "string", "maxLength": 5}
    });
    let (cached, fresh) = constraints(&second, &engine);
    compare(
        &cached,
        &fresh,
        vocabulary,
        tokenizer,
        &[
            r#"{"a1": "x", "alpha": "y", "x-on": true, "other": "short"}"#,
            r#"{"count": 3, "x-": false, "alphab": ""}"#,
        ],
    );
}
