//! `allOf` combinations against the `jsonschema` crate, as a property:
//! random parts built from keywords whose meaning depends on their
//! neighbours (`items`/`prefixItems`, `additionalProperties` with
//! `properties`/`patternProperties` and their negations, `if`/`then`/`else`,
//! `contains`, `unevaluated*`) and plain assertions, nested under `allOf` at random,
//! judged on random small instances.
//!
//! Soundness is checked on every case: an instance rein accepts validates.
//! Completeness (an instance that validates is accepted) is checked where
//! rein compiles exactly: a schema rein refuses, or one that uses
//! `unevaluated*` beside conditional subschemas (compiled stricter, see
//! `compiler/unevaluated.rs`), is only held to soundness.

mod support;

use proptest::prelude::*;
use rein_schema::{compile, python_dumps, Options, PropertyOrder, Validator};
use serde_json::{json, Value};

/// One part: a few keywords from a pool chosen for their interactions.
fn part() -> impl Strategy<Value = Value> {
    let fragment = prop_oneof![
        Just(json!({"type": "integer"})),
        Just(json!({"type": ["array", "object"]})),
        Just(json!({"minimum": 2})),
        Just(json!({"maximum": 5})),
        Just(json!({"multipleOf": 2})),
        Just(json!({"enum": [1, 2, "a", [1]]})),
        Just(json!({"items": {"type": "integer"}})),
        Just(json!({"prefixItems": [{"type": "string"}]})),
        Just(json!({"prefixItems": [true, {"minimum": 3}]})),
        Just(json!({"items": false})),
        Just(json!({"minItems": 2})),
        Just(json!({"maxItems": 2})),
        Just(json!({"contains": {"type": "string"}})),
        Just(json!({"properties": {"a": {"type": "integer"}}})),
        Just(json!({"properties": {"b": true}, "additionalProperties": false})),
        Just(json!({"patternProperties": {"^x": {"type": "string"}}})),
        Just(json!({"additionalProperties": {"type": "integer"}})),
        Just(json!({"required": ["a"]})),
        Just(json!({"propertyNames": {"maxLength": 1}})),
        Just(json!({"if": {"required": ["a"]}, "then": {"required": ["b"]}})),
        Just(json!({"if": {"type": "integer"}, "else": {"type": "array"}})),
        Just(json!({"then": {"type": "string"}})),
        Just(json!({"not": {"const": 1}})),
        Just(json!({"not": {"additionalProperties": {"type": "integer"}}})),
        Just(json!({"not": {"patternProperties": {"^x": {"type": "string"}}}})),
        Just(json!({"not": {"properties": {"b": true}, "additionalProperties": false}})),
        Just(
            json!({"oneOf": [{"additionalProperties": {"type": "integer"}},
                              {"patternProperties": {"^x": {"type": "string"}}}]})
        ),
        Just(json!({"anyOf": [{"type": "integer"}, {"maxItems": 1}]})),
        Just(json!({"unevaluatedProperties": false})),
        Just(json!({"unevaluatedItems": {"type": "integer"}})),
    ];
    proptest::collection::vec(fragment, 1..3).prop_map(|fragments| {
        let mut part = serde_json::Map::new();
        for fragment in fragments {
            if let Value::Object(map) = fragment {
                part.extend(map);
            }
        }
        Value::Object(part)
    })
}

/// A schema: parts under `allOf`, some parts nesting their own `allOf`.
fn schema() -> impl Strategy<Value = Value> {
    (
        part(),
        proptest::collection::vec((part(), proptest::option::of(part())), 1..4),
    )
        .prop_map(|(mut base, parts)| {
            let parts: Vec<Value> = parts
                .into_iter()
                .map(|(part, nested)| match nested {
                    Some(nested) => {
                        let mut part = part;
                        part["allOf"] = json!([nested]);
                        part
                    }
                    None => part,
                })
                .collect();
            base["allOf"] = Value::Array(parts);
            base
        })
}

fn instance() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        (-1i64..7).prop_map(|n| json!(n)),
        Just(json!(2.5)),
        Just(json!("a")),
        Just(json!("x1")),
        Just(json!(null)),
        Just(json!(true)),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![Just("a"), Just("b"), Just("x1"), Just("cc")],
                    inner
                ),
                0..3
            )
            .prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(key, value)| (key.to_string(), value))
                        .collect(),
                )
            }),
        ]
    })
}

/// Whether `schema` uses `unevaluated*` anywhere.
fn has_unevaluated(schema: &Value) -> bool {
    let text = schema.to_string();
    text.contains("unevaluated")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn all_of_verdicts_agree_with_jsonschema(
        schema in schema(),
        instances in proptest::collection::vec(instance(), 6),
    ) {
        let options = Options { property_order: PropertyOrder::any(), ..Options::default() };
        let Ok(compiled) = compile(&schema, &options) else {
            return Ok(());
        };
        let validator = Validator::new(&schema).unwrap();
        for instance in &instances {
            let text = python_dumps(instance);
            let accepted = support::accepts(&compiled, &text);
            let valid = validator.validate(instance).is_ok();
            prop_assert!(!accepted || valid, "rein accepts {} against {}", text, schema);
            if !has_unevaluated(&schema) {
                prop_assert_eq!(accepted, valid, "{} against {}", text, schema);
            }
        }
    }
}
