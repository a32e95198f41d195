//! `patternProperties` next to `properties`, `required` and
//! `additionalProperties`: every key gets exactly the schemas JSON Schema
//! gives it, checked against `jsonschema` on documents written in schema
//! order (named members first, as rein writes them).

mod support;

use rein_schema::{compile, Options, SchemaErrorKind};
use serde_json::{json, Value};

/// [`support::agree`] on instances parsed from JSON text, so key order is
/// the order written.
fn agree(schema: &Value, instances: &[&str]) {
    let instances: Vec<Value> = instances
        .iter()
        .map(|text| serde_json::from_str(text).unwrap())
        .collect();
    support::agree(schema, &instances);
}

#[test]
fn patterns_with_additional_properties() {
    let schema = json!({"type": "object",
        "patternProperties": {"^x-": {"type": "integer"}},
        "additionalProperties": {"type": "string"}});
    agree(
        &schema,
        &[
            r#"{}"#,
            r#"{"x-a": 1}"#,
            r#"{"x-a": "one"}"#,
            r#"{"y": "one"}"#,
            r#"{"y": 1}"#,
            r#"{"y": "s", "x-": 2, "x\n": "t"}"#,
            r#"{"ax-": "s"}"#,
            r#"{"ax-": 3}"#,
        ],
    );
}

#[test]
fn patterns_next_to_named_properties() {
    // A named key matching a pattern gets both schemas; other matching
    // keys get the pattern's; the rest are forbidden.
    let schema = json!({"type": "object",
        "properties": {"n1": {"type": "integer"}, "name": {"type": "string"}},
        "patternProperties": {"^n\\d$": {"minimum": 10}},
        "required": ["name"],
        "additionalProperties": false});
    agree(
        &schema,
        &[
            r#"{"name": "a"}"#,
            r#"{"n1": 12, "name": "a"}"#,
            r#"{"n1": 5, "name": "a"}"#,
            r#"{"n1": 12.5, "name": "a"}"#,
            r#"{"name": "a", "n2": 11}"#,
            r#"{"name": "a", "n2": 11.5}"#,
            r#"{"name": "a", "n2": 9}"#,
            r#"{"name": "a", "n22": 11}"#,
            r#"{"n2": 11}"#,
        ],
    );
}

#[test]
fn overlapping_patterns_get_every_matching_schema() {
    let schema = json!({"type": "object",
        "patternProperties": {
            "^a": {"type": "integer"},
            "b$": {"minimum": 5},
            "c": true},
        "additionalProperties": {"type": "boolean"}});
    agree(
        &schema,
        &[
            r#"{"a": 1}"#,
            r#"{"ab": 6}"#,
            r#"{"ab": 4}"#,
            r#"{"ab": 6.5}"#,
            r#"{"b": 4.5}"#,
            r#"{"b": 5.5}"#,
            r#"{"c": "anything"}"#,
            r#"{"acb": 7}"#,
            r#"{"acb": "x"}"#,
            r#"{"z": true, "a1": 2}"#,
            r#"{"z": 1}"#,
        ],
    );
}

#[test]
fn required_names_matched_only_by_patterns() {
    let schema = json!({"type": "object",
        "patternProperties": {"^id_": {"type": "string", "minLength": 2}},
        "required": ["id_main"],
        "additionalProperties": false});
    agree(
        &schema,
        &[
            r#"{"id_main": "ab"}"#,
            r#"{"id_main": "a"}"#,
            r#"{"id_main": "ab", "id_x": "cd"}"#,
            r#"{"id_main": "ab", "id_x": "c"}"#,
            r#"{"id_x": "cd"}"#,
            r#"{"id_main": "ab", "other": "cd"}"#,
        ],
    );
}

#[test]
fn counts_apply_to_pattern_members() {
    let schema = json!({"type": "object",
        "properties": {"a": {"type": "integer"}},
        "patternProperties": {"^p": {"type": "null"}},
        "additionalProperties": false,
        "minProperties": 2, "maxProperties": 3});
    agree(
        &schema,
        &[
            r#"{"a": 1}"#,
            r#"{"a": 1, "p1": null}"#,
            r#"{"p1": null, "p2": null, "p3": null}"#,
            r#"{"a": 1, "p1": null, "p2": null, "p3": null}"#,
        ],
    );
}

#[test]
fn too_many_patterns_are_refused_and_lenient_ignores_them() {
    let patterns: serde_json::Map<String, Value> = (0..5)
        .map(|i| (format!("^k{i}"), json!({"type": "integer"})))
        .collect();
    let schema = json!({"type": "object", "patternProperties": patterns});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Unsupported);
    assert_eq!(error.keyword(), "patternProperties");
    assert!(error.to_string().contains("at most 4"), "{error}");
    let lenient = Options {
        lenient: true,
        ..Options::default()
    };
    let compiled = compile(&schema, &lenient).unwrap();
    assert_eq!(compiled.ignored().len(), 1);
}

#[test]
fn all_of_with_patterns_merges_only_when_exact() {
    // The second part forbids every key the first part's pattern allows.
    let schema = json!({"allOf": [
        {"type": "object", "patternProperties": {"^x": {"type": "integer"}}},
        {"additionalProperties": false}]});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.keyword(), "patternProperties");
    // Without a competing `additionalProperties`, the merge is exact.
    let schema = json!({"allOf": [
        {"type": "object", "patternProperties": {"^x": {"type": "integer"}}},
        {"properties": {"xy": {"minimum": 3}}}]});
    agree(
        &schema,
        &[
            r#"{"xy": 4}"#,
            r#"{"xy": 2}"#,
            r#"{"xy": 4.5}"#,
            r#"{"xz": 1}"#,
            r#"{"xz": "s"}"#,
            r#"{"q": "s"}"#,
        ],
    );
}

#[test]
fn one_pattern_alone_is_a_plain_key_regex() {
    let schema = json!({"type": "object",
        "patternProperties": {"^[a-z]+$": {"type": "integer"}},
        "additionalProperties": false});
    agree(
        &schema,
        &[
            r#"{}"#,
            r#"{"ab": 1, "c": 2}"#,
            r#"{"ab": "1"}"#,
            r#"{"aB": 1}"#,
            r#"{"": 1}"#,
        ],
    );
}
