//! Strings with several constraints at once — `pattern`, `format` and
//! `minLength`/`maxLength` — accept exactly what `jsonschema` accepts, on
//! documents written the way rein writes strings.

mod support;

use rein_schema::{compile, Options, SchemaErrorKind};
use serde_json::json;
use support::{accepts, agree};

#[test]
fn pattern_with_lengths() {
    let schema =
        json!({"type": "string", "pattern": "^[a-z\"\\\\é]+$", "minLength": 2, "maxLength": 4});
    agree(
        &schema,
        &[
            json!("ab"),
            json!("abcd"),
            json!("a"),
            json!("abcde"),
            json!("é\"\\é"),
            json!("éé\"\\é"),
            json!("aB"),
            json!(""),
        ],
    );
    // Unanchored: the pattern may match anywhere, the length counts all.
    let schema = json!({"type": "string", "pattern": "x\\d", "maxLength": 3});
    agree(
        &schema,
        &[
            json!("x1"),
            json!("ax1"),
            json!("\nx1"),
            json!("aax1"),
            json!("\u{1}\u{2}x1"),
            json!("x"),
        ],
    );
}

#[test]
fn format_with_lengths_and_pattern() {
    let schema = json!({"type": "string", "format": "date", "pattern": "^2024-"});
    agree(
        &schema,
        &[
            json!("2024-02-29"),
            json!("2023-02-28"),
            json!("2024-02-30"),
            json!("2024-"),
        ],
    );
    let schema = json!({"type": "string", "format": "email", "maxLength": 12});
    agree(
        &schema,
        &[
            json!("ab@cd.ef"),
            json!("abcdef@gh.ij"),
            json!("abcdefg@hi.jk"),
            json!("ab@"),
        ],
    );
    // A bound the format implies changes nothing; one it excludes empties.
    let schema = json!({"type": "string", "format": "uuid", "minLength": 1, "maxLength": 36});
    agree(
        &schema,
        &[
            json!("123e4567-e89b-12d3-a456-426614174000"),
            json!("123e4567"),
        ],
    );
    let schema = json!({"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid", "maxLength": 30}}});
    agree(
        &schema,
        &[
            json!({}),
            json!({"id": "123e4567-e89b-12d3-a456-426614174000"}),
        ],
    );
}

#[test]
fn oversized_combinations_are_refused_by_keyword() {
    // Words times characters: past the product's state limit.
    let schema = json!({"type": "object", "properties": {"summary": {
        "type": "string", "pattern": "^(?:\\S+\\s+){0,49}\\S+$", "maxLength": 500}}});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Unsupported);
    assert_eq!(error.keyword(), "maxLength");
    assert_eq!(error.pointer(), "#/properties/summary");
    assert!(error.to_string().contains("states"), "{error}");
    // Lenient: the length is dropped and listed, the pattern kept.
    let lenient = Options {
        lenient: true,
        ..Options::default()
    };
    let compiled = compile(&schema, &lenient).unwrap();
    assert_eq!(compiled.ignored().len(), 1);
    assert!(accepts(&compiled, r#"{"summary": "two words"}"#));
    assert!(!accepts(&compiled, r#"{"summary": " leading"}"#));
}

/// Strings of exactly `n` characters drawn from plain letters, two-byte
/// letters and escapes, so that bytes and characters differ.
fn text_of(n: usize) -> String {
    let pieces = ['a', 'é', '\n', '"', '\u{1}', '€'];
    (0..n).map(|i| pieces[i % pieces.len()]).collect()
}

#[test]
fn long_bounds_count_in_blocks_exactly() {
    // Bounds within one block, across a few blocks and across many, and a
    // lower bound alone: the lengths just inside and just outside each.
    for (min, max) in [
        (3_000, Some(3_500)),
        (0, Some(32_767)),
        (8_193, Some(8_193)),
        (9_000, Some(9_100)),
        (1_000, Some(20_000)),
        (10_000, None),
    ] {
        let mut schema = json!({"type": "string", "minLength": min});
        if let Some(max) = max {
            schema["maxLength"] = json!(max);
        }
        let mut instances = vec![json!(text_of(min as usize))];
        if min > 0 {
            instances.push(json!(text_of(min as usize - 1)));
        }
        match max {
            Some(max) => {
                instances.push(json!(text_of(max as usize)));
                instances.push(json!(text_of(max as usize + 1)));
                instances.push(json!(text_of((min as usize + max as usize) / 2)));
            }
            None => instances.push(json!(text_of(min as usize + 3_000))),
        }
        agree(&schema, &instances);
    }
}

#[test]
fn long_bounds_with_a_pattern_are_a_limit() {
    let schema = json!({"type": "string", "pattern": "^[a-z ]*$", "maxLength": 65_535});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.keyword(), "maxLength");
    assert!(error.to_string().contains("states"), "{error}");
}
