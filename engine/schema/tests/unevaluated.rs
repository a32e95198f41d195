//! `unevaluatedProperties` and `unevaluatedItems`: what counts as
//! evaluated follows the subschemas that succeed, each nested keyword sees
//! only its own subschema, and the verdicts agree with the `jsonschema`
//! crate on instances of both verdicts.

mod support;

use serde_json::json;
use support::agree;

#[test]
fn properties_of_all_of_parts_and_refs_are_evaluated() {
    agree(
        &json!({"type": "object", "$defs": {"b": {"properties": {"b": {"type": "integer"}}}},
            "properties": {"a": true}, "patternProperties": {"^x": true},
            "allOf": [{"$ref": "#/$defs/b"}], "unevaluatedProperties": false}),
        &[
            json!({"a": 1, "b": 2, "x1": 3}),
            json!({"a": 1, "c": 2}),
            json!({"b": "no"}),
            json!({}),
        ],
    );
}

#[test]
fn a_nested_keyword_sees_only_its_own_subschema() {
    // The part's `unevaluatedProperties: false` does not see `a`.
    agree(
        &json!({"type": "object", "properties": {"a": true},
            "allOf": [{"properties": {"b": true}, "unevaluatedProperties": false}]}),
        &[json!({"b": 1}), json!({"a": 1}), json!({})],
    );
}

#[test]
fn each_outcome_of_a_condition_evaluates_its_own_members() {
    agree(
        &json!({"type": "object",
            "if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
            "then": {"properties": {"a": true}}, "else": {"properties": {"b": true}},
            "unevaluatedProperties": false}),
        &[
            json!({"kind": "a", "a": 1}),
            json!({"kind": "a", "b": 1}),
            json!({"b": 1}),
            json!({"a": 1}),
        ],
    );
}

#[test]
fn the_matching_branch_of_one_of_evaluates_its_members() {
    agree(
        &json!({"type": "object", "oneOf": [
                {"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"b": {"type": "string"}}, "required": ["b"]}],
            "unevaluatedProperties": false}),
        &[
            json!({"a": 1}),
            json!({"b": "x"}),
            json!({"a": 1, "b": "x"}),
            json!({"a": 1, "c": 0}),
        ],
    );
}

#[test]
fn items_past_every_tuple_are_unevaluated() {
    agree(
        &json!({"type": "array", "prefixItems": [{"type": "integer"}],
            "allOf": [{"prefixItems": [true, {"type": "string"}]}],
            "unevaluatedItems": {"type": "boolean"}}),
        &[
            json!([1, "a", true, false]),
            json!([1, "a", 3]),
            json!([1]),
            json!(["x"]),
        ],
    );
    agree(
        &json!({"$schema": "https://json-schema.org/draft/2019-09/schema",
            "items": [{"type": "integer"}], "unevaluatedItems": false}),
        &[json!([1]), json!([1, 2]), json!([])],
    );
}

#[test]
fn items_a_contains_schema_matches_are_evaluated() {
    agree(
        &json!({"type": "array", "contains": {"type": "integer"},
            "unevaluatedItems": {"type": "string"}}),
        &[
            json!([1, "a", 2]),
            json!(["a", 1, true]),
            json!(["a", "b"]),
            json!([3]),
        ],
    );
}
