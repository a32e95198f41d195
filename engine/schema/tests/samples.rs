//! Documents sampled from compiled schemas validate with `jsonschema`:
//! random walks over a byte vocabulary choose among allowed tokens, then
//! finish along the shortest completion.

mod support;

use proptest::prelude::*;
use rein_schema::{compile, Options, Validator, Whitespace};
use serde_json::{json, Value};

fn schemas() -> Vec<Value> {
    vec![
        json!({"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 5},
            "age": {"type": "integer", "minimum": -3, "maximum": 130},
            "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
            "tags": {"type": "array", "items": {"enum": ["a", "b\"", 3, null]}, "maxItems": 3},
            "kind": {"const": "x"}},
            "required": ["name", "age"], "additionalProperties": false}),
        json!({"type": "object", "properties": {"id": {"type": "string", "format": "uuid"},
            "when": {"type": "string", "format": "date-time"}, "ip": {"type": "string", "format": "ipv4"},
            "code": {"type": "string", "pattern": "^[A-Z]{2}-\\d+$"}}, "required": ["id", "code"],
            "additionalProperties": {"type": "boolean"}, "minProperties": 3}),
        json!({"$defs": {"tree": {"type": "object", "properties": {"value": {"type": "integer", "multipleOf": 7},
            "children": {"type": "array", "items": {"$ref": "#/$defs/tree"}, "maxItems": 2}},
            "required": ["value"]}}, "$ref": "#/$defs/tree"}),
        json!({"anyOf": [{"type": "string", "format": "date"}, {"type": "array", "prefixItems": [{"type": "boolean"}, {"type": "null"}], "items": false}]}),
        json!({"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"a": {"minimum": 5}, "b": {"type": "string", "pattern": "z"}}}]}),
        json!({"type": "object", "properties": {
            "word": {"type": "string", "pattern": "^[a-z\"é]+$", "minLength": 2, "maxLength": 4},
            "near": {"type": "string", "pattern": "q", "maxLength": 3},
            "day": {"type": "string", "format": "date", "pattern": "-0[1-3]-"}},
            "required": ["word", "near", "day"], "additionalProperties": false}),
        json!({"type": "object", "properties": {"n1": {"type": "integer"}},
            "patternProperties": {"^n\\d$": {"minimum": 10, "maximum": 99},
                "[xy]$": {"type": "string", "maxLength": 2}, "^q": {"type": "boolean"}},
            "required": ["n1", "qq"], "additionalProperties": {"type": "null"}, "maxProperties": 4}),
        // Negations: `not`, overlapping `oneOf`, `if`/`then`/`else`, dependencies.
        json!({"type": "object", "properties": {
            "a": {"type": "integer", "maximum": 3}, "b": {"type": "integer", "minimum": 2},
            "s": {"type": "string", "maxLength": 3, "not": {"enum": ["a", "b\"c"]}},
            "t": {"type": "string", "maxLength": 3, "not": {"pattern": "^x|y$"}}},
            "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
            "not": {"required": ["s", "t"]}, "additionalProperties": false}),
        json!({"type": "object", "properties": {"kind": {"enum": ["x", "y", "z"]},
            "n": {"type": "integer", "not": {"const": 7}}, "m": {"type": "boolean"}},
            "required": ["kind"], "additionalProperties": false,
            "if": {"properties": {"kind": {"const": "x"}}},
            "then": {"required": ["n"]}, "else": {"not": {"required": ["n"]}},
            "dependentRequired": {"m": ["n"]}}),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn sampled_documents_validate(index in 0usize..9, seed in any::<u64>(), compact in any::<bool>()) {
        let schema = &schemas()[index];
        let options = Options {
            whitespace: if compact { Whitespace::Compact } else { Whitespace::Flexible { max: 3 } },
            ..Options::default()
        };
        let compiled = compile(schema, &options).unwrap();
        let text = support::sample_document(&compiled, seed, 60);
        let validator = Validator::new(schema).unwrap();
        prop_assert!(validator.validate_text(&text).is_ok(), "{} -> {:?}", text, validator.validate_text(&text));
    }
}
