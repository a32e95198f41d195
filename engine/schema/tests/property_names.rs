//! `propertyNames`: every key, named or not, is a string the keys' schema
//! accepts; rein's verdicts agree with the `jsonschema` crate on instances
//! of both verdicts.

mod support;

use serde_json::json;
use support::agree;

#[test]
fn keys_follow_a_pattern_and_lengths() {
    agree(
        &json!({"type": "object", "propertyNames": {"pattern": "^[a-z]+$", "maxLength": 3},
            "properties": {"toolong": {"type": "integer"}, "ab": {"type": "integer"}}}),
        &[
            json!({"ab": 1, "xyz": "any"}),
            json!({"ab": "x"}),
            json!({"toolong": 1}),
            json!({"Ab": 1}),
            json!({"abcd": 1}),
            json!({}),
        ],
    );
}

#[test]
fn pattern_property_keys_are_restricted_too() {
    agree(
        &json!({"type": "object", "propertyNames": {"maxLength": 2},
            "patternProperties": {"^x": {"type": "integer"}}, "additionalProperties": false}),
        &[
            json!({"x1": 1}),
            json!({"x12": 1}),
            json!({"y": 1}),
            json!({"x": "s"}),
        ],
    );
}

#[test]
fn a_required_name_the_keys_refuse_makes_the_object_impossible() {
    agree(
        &json!({"anyOf": [{"type": "object", "propertyNames": {"enum": ["a", "b"]},
            "required": ["c"]}, {"type": "integer"}]}),
        &[json!(1), json!({"c": 1}), json!({})],
    );
    agree(
        &json!({"propertyNames": false}),
        &[json!({}), json!({"a": 1}), json!([1])],
    );
}
