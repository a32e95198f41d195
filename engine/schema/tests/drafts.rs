//! A keyword introduced by a later draft than the schema's `$schema` is an
//! unknown keyword there: validators ignore it, and so does rein. Each
//! schema is checked against the `jsonschema` crate on instances the later
//! keyword would reject.

mod support;

use serde_json::json;
use support::agree;

#[test]
fn draft_4_ignores_if_const_and_property_names() {
    agree(
        &json!({"$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "properties": {"kind": {"type": "string"}, "n": {"type": "integer"}},
            "if": {"properties": {"kind": {"enum": ["a"]}}},
            "then": {"required": ["n"]},
            "propertyNames": {"maxLength": 1},
            "additionalProperties": {"const": 1}}),
        &[
            json!({"kind": "a"}),
            json!({"kind": "a", "n": 1, "extra": 2}),
            json!({"kind": 1}),
        ],
    );
}

#[test]
fn draft_6_ignores_if_but_keeps_const() {
    agree(
        &json!({"$schema": "http://json-schema.org/draft-06/schema#",
            "properties": {"kind": {"const": "a"}},
            "if": {"required": ["kind"]},
            "then": {"required": ["n"]}}),
        &[json!({"kind": "a"}), json!({"kind": "b"})],
    );
}

#[test]
fn draft_7_ignores_dependent_required_and_prefix_items() {
    agree(
        &json!({"$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"list": {"type": "array", "prefixItems": [{"type": "string"}],
                "maxItems": 2}},
            "dependentRequired": {"a": ["b"]}}),
        &[
            json!({"a": 1}),
            json!({"list": [1, 2]}),
            json!({"list": ["x", 1, 2]}),
        ],
    );
}

#[test]
fn draft_2020_12_applies_them_all() {
    agree(
        &json!({"type": "object",
            "properties": {"kind": {"type": "string"}},
            "if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
            "then": {"required": ["n"]},
            "dependentRequired": {"x": ["y"]}}),
        &[
            json!({"kind": "a"}),
            json!({"kind": "a", "n": 1}),
            json!({"x": 1}),
            json!({"x": 1, "y": 2}),
        ],
    );
}
