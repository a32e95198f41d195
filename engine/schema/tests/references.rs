//! `$ref`s resolved within the document: embedded `$id`s change the base
//! URI, relative and `urn:` references, anchors, and dynamic references
//! with one static answer. Each schema is checked against the `jsonschema`
//! crate on instances of both verdicts.

mod support;

use serde_json::json;
use support::agree;

#[test]
fn an_embedded_id_changes_the_base_of_relative_references() {
    agree(
        &json!({"$id": "http://example.com/root.json",
            "properties": {"a": {"$ref": "item.json"}, "b": {"$ref": "nested/leaf.json"}},
            "$defs": {
                "item": {"$id": "item.json", "type": "integer", "minimum": 3},
                "nested": {"$id": "nested/", "$defs": {
                    "leaf": {"$id": "leaf.json", "type": "string", "maxLength": 2}}}}}),
        &[
            json!({"a": 3, "b": "xy"}),
            json!({"a": 2}),
            json!({"b": "xyz"}),
            json!({"a": "3"}),
        ],
    );
}

#[test]
fn urn_ids_and_anchors_resolve() {
    agree(
        &json!({"$id": "urn:uuid:deadbeef-1234-0000-0000-4321feebdaed",
            "properties": {"a": {"$ref": "#/$defs/bar"}, "b": {"$ref": "#kind"}},
            "$defs": {"bar": {"type": "string"}, "baz": {"$anchor": "kind", "enum": [1, 2]}}}),
        &[json!({"a": "x", "b": 2}), json!({"a": 1}), json!({"b": 3})],
    );
}

#[test]
fn before_2019_09_a_ref_ignores_its_sibling_id() {
    agree(
        &json!({"$schema": "http://json-schema.org/draft-07/schema#",
            "$id": "http://example.com/base/",
            "definitions": {
                "outer": {"$id": "http://example.com/foo.json", "type": "string"},
                "inner": {"$id": "foo.json", "type": "number"},
                "named": {"$id": "#named", "minimum": 10}},
            "allOf": [{"$id": "http://example.com/", "$ref": "foo.json"}, {"$ref": "#named"}]}),
        &[json!(10), json!(5), json!("a")],
    );
}

#[test]
fn a_recursive_ref_without_anchor_is_static() {
    agree(
        &json!({"$schema": "https://json-schema.org/draft/2019-09/schema",
            "type": "object", "additionalProperties": false,
            "properties": {"name": {"type": "string"}, "child": {"$recursiveRef": "#"}}}),
        &[
            json!({"name": "a", "child": {"child": {"name": "c"}}}),
            json!({"child": {"child": {"name": 1}}}),
            json!({"child": {"other": 1}}),
        ],
    );
}
