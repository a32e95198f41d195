//! `not`, overlapping `oneOf`, `if`/`then`/`else` and dependencies, which
//! the compiler rewrites into positive keywords: rein accepts exactly the
//! instances `jsonschema` accepts, and refuses what it cannot rewrite by
//! keyword.

mod support;

use rein_schema::{compile, Options, SchemaErrorKind};
use serde_json::{json, Value};
use support::agree;

#[test]
fn not_of_strings_values_and_patterns() {
    agree(
        &json!({"type": "string", "not": {"pattern": "^a"}}),
        &[json!("abc"), json!("bcd"), json!(""), json!("ba")],
    );
    agree(
        &json!({"type": "string", "not": {"enum": ["a", "b\"", "é"]}}),
        &[
            json!("a"),
            json!("b\""),
            json!("é"),
            json!("c"),
            json!("ab"),
            json!(""),
        ],
    );
    agree(
        &json!({"not": {"const": "x"}, "type": ["string", "null"]}),
        &[json!("x"), json!("y"), json!(null)],
    );
    agree(
        &json!({"type": "string", "not": {"minLength": 3}}),
        &[json!("ab"), json!("abc"), json!("")],
    );
}

#[test]
fn not_of_numbers() {
    agree(
        &json!({"type": "integer", "not": {"const": 3}}),
        &[json!(3), json!(4), json!(-3), json!(30)],
    );
    agree(
        &json!({"type": "number", "not": {"minimum": 5}}),
        &[json!(4), json!(5), json!(6), json!(4.5)],
    );
    agree(
        &json!({"type": "boolean", "not": {"enum": [true]}}),
        &[json!(true), json!(false)],
    );
}

#[test]
fn not_of_object_keywords() {
    let object = json!({"type": "object", "properties": {"a": {}, "b": {}},
        "additionalProperties": false, "not": {"required": ["a", "b"]}});
    agree(
        &object,
        &[
            json!({"a": 1}),
            json!({"a": 1, "b": 2}),
            json!({}),
            json!({"b": 1}),
        ],
    );
    let properties = json!({"type": "object", "properties": {"a": {}},
        "not": {"properties": {"a": {"type": "string"}}}});
    agree(
        &properties,
        &[
            json!({"a": 1}),
            json!({"a": "x"}),
            json!({}),
            json!({"b": "x"}),
        ],
    );
}

#[test]
fn double_negation_and_de_morgan() {
    agree(
        &json!({"not": {"not": {"type": "integer", "minimum": 3}}}),
        &[json!(3), json!(2), json!("a"), json!(null)],
    );
    agree(
        &json!({"not": {"anyOf": [{"type": "string"}, {"type": "null"}]}}),
        &[json!("a"), json!(null), json!(1), json!(true), json!([1])],
    );
    agree(
        &json!({"not": {"allOf": [{"type": "string"}, {"maxLength": 1}]}}),
        &[json!("a"), json!("ab"), json!(1), json!("")],
    );
}

#[test]
fn overlapping_one_of_means_exactly_one() {
    let schema = json!({"type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}]});
    agree(
        &schema,
        &[
            json!({"a": 1}),
            json!({"b": 1}),
            json!({"a": 1, "b": 2}),
            json!({}),
        ],
    );
    let ranges = json!({"oneOf": [
        {"type": "number", "maximum": 10},
        {"type": "number", "minimum": 5},
        {"type": "string"}]});
    agree(
        &ranges,
        &[json!(3), json!(7), json!(12), json!("s"), json!(null)],
    );
}

#[test]
fn if_then_else_chooses_a_branch() {
    let schema = json!({"type": "object",
        "properties": {"kind": {"enum": ["x", "y"]}, "n": {"type": "integer"}, "s": {"type": "string"}},
        "required": ["kind"],
        "if": {"properties": {"kind": {"const": "x"}}},
        "then": {"required": ["n"]},
        "else": {"required": ["s"]}});
    agree(
        &schema,
        &[
            json!({"kind": "x", "n": 1}),
            json!({"kind": "x", "s": "a"}),
            json!({"kind": "y", "s": "a"}),
            json!({"kind": "y", "n": 1}),
            json!({"kind": "x", "n": 1, "s": "a"}),
        ],
    );
    // Without `else`, values failing `if` pass.
    agree(
        &json!({"if": {"type": "string"}, "then": {"maxLength": 2}}),
        &[json!("ab"), json!("abc"), json!(5)],
    );
}

#[test]
fn dependencies_require_their_dependents() {
    agree(
        &json!({"properties": {"a": {}, "b": {}}, "dependentRequired": {"a": ["b"]}}),
        &[
            json!({"a": 1}),
            json!({"a": 1, "b": 1}),
            json!({"b": 1}),
            json!({}),
            json!("s"),
        ],
    );
    agree(
        &json!({"$schema": "http://json-schema.org/draft-07/schema#",
            "properties": {"a": {}, "b": {"type": "integer"}},
            "dependencies": {"a": {"required": ["b"], "properties": {"b": {"minimum": 5}}}}}),
        &[
            json!({"a": 1, "b": 5}),
            json!({"a": 1, "b": 4}),
            json!({"b": 4}),
            json!({"a": 1}),
        ],
    );
}

#[test]
fn enum_values_are_filtered_by_their_sibling_keywords() {
    agree(
        &json!({"enum": ["a", "bb", "ccc", 4], "maxLength": 2}),
        &[json!("a"), json!("bb"), json!("ccc"), json!(4), json!("d")],
    );
    agree(
        &json!({"type": "integer", "enum": [1, 5, 10], "minimum": 4, "not": {"const": 10}}),
        &[json!(1), json!(5), json!(10)],
    );
}

/// The schema is refused with an unsupported-keyword error naming `keyword`.
/// As [`agree`], with objects' members in any order.
fn agree_in_any_order(schema: &Value, instances: &[Value]) {
    let options = Options {
        property_order: rein_schema::PropertyOrder::any(),
        ..Options::default()
    };
    let compiled = compile(schema, &options).unwrap();
    let validator = rein_schema::Validator::new(schema).unwrap();
    for instance in instances {
        let text = rein_schema::python_dumps(instance);
        let expected = validator.validate(instance).is_ok();
        assert_eq!(
            support::accepts(&compiled, &text),
            expected,
            "{text} against {schema}"
        );
    }
}

fn refused(schema: Value, keyword: &str) {
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(
        error.kind(),
        SchemaErrorKind::Unsupported,
        "{schema}: {error}"
    );
    assert!(error.to_string().contains(keyword), "{schema}: {error}");
}

#[test]
fn negations_without_a_schema_form_are_refused_by_keyword() {
    refused(json!({"not": {"uniqueItems": true}}), "uniqueItems");
    refused(
        json!({"type": "array", "not": {"prefixItems": [true], "items": {"type": "string"}}}),
        "items",
    );
    refused(json!({"not": {"multipleOf": 3}}), "multipleOf");
    refused(json!({"type": "number", "not": {"const": 1e300}}), "not");
    refused(
        json!({"oneOf": [{"type": "array", "uniqueItems": true}, {"type": "array", "maxItems": 3}]}),
        "oneOf",
    );
}

#[test]
fn negated_recursion_ends_within_limits() {
    // `not` through a recursive reference: each level negates the next.
    let schema = json!({"$defs": {"node": {"type": "object",
        "properties": {"next": {"not": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node"});
    // Either compiled or refused; never a hang or a crash.
    if let Ok(compiled) = compile(&schema, &Options::default()) {
        let validator = rein_schema::Validator::new(&schema).unwrap();
        for instance in [json!({}), json!({"next": 1}), json!({"next": {}})] {
            let text = rein_schema::python_dumps(&instance);
            assert_eq!(
                support::accepts(&compiled, &text),
                validator.validate(&instance).is_ok(),
                "{text}"
            );
        }
    }
}

#[test]
fn not_integer_leaves_fractions() {
    agree(
        &json!({"type": "number", "not": {"type": "integer"}, "maximum": 10}),
        &[json!(1.5), json!(2), json!(-0.25), json!(10.5), json!(9.75)],
    );
    agree(
        &json!({"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]}),
        &[json!(-3), json!(3), json!(2.5), json!(-2.5)],
    );
}

#[test]
fn enum_numbers_match_by_value() {
    agree(
        &json!({"enum": [2.0, 3, "x"]}),
        &[
            json!(2),
            json!(2.0),
            json!(3),
            json!(3.0),
            json!(4),
            json!("x"),
        ],
    );
}

#[test]
fn negating_a_negated_integer_type_gives_the_integers_back() {
    support::agree(
        &json!({"not": {"not": {"not": {"type": "integer"}}}}),
        &[json!(1.5), json!(1), json!("a"), json!(-3)],
    );
    support::agree(
        &json!({"type": "number", "not": {"not": {"type": "integer"}}}),
        &[json!(2), json!(2.5), json!(-0.5)],
    );
}

#[test]
fn private_keywords_of_a_negation_hold_beside_any_of() {
    // `not` becomes private keywords merged into the object; the `anyOf`
    // beside them must keep them.
    agree(
        &json!({"not": {"enum": ["a"]}, "anyOf": [{"type": "string"}, {"type": "integer"}]}),
        &[json!("a"), json!("b"), json!(1)],
    );
    agree(
        &json!({"not": {"pattern": "^a"}, "oneOf": [{"type": "string"}, {"type": "null"}]}),
        &[json!("ab"), json!("ba"), json!(null)],
    );
}

#[test]
fn draft4_one_of_over_items_is_exact() {
    // Draft 4 has no `contains`: "some item fails `items`" is written
    // with a private keyword, and an array matching both branches fails.
    let schema = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "array", "items": {"type": "string", "maxLength": 2}}
        ]
    });
    agree(
        &schema,
        &[
            json!(["abc"]),
            json!(["ab"]),
            json!([]),
            json!(["abc", "a"]),
            json!([1]),
        ],
    );
    let nested = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"tags": {"oneOf": [
            {"type": "array", "items": {"enum": ["x", "y"]}},
            {"type": "array", "items": {"type": "string", "pattern": "^[xz]"}}
        ]}}
    });
    agree(
        &nested,
        &[
            json!({"tags": ["x", "y"]}),
            json!({"tags": ["z"]}),
            json!({"tags": ["x"]}),
            json!({"tags": ["z", "y"]}),
        ],
    );
}

#[test]
fn one_of_over_unions_told_apart_by_their_branches() {
    // Neither `oneOf` branch says what it is at its top: both are unions
    // (one behind a `$ref`), but every object branch of one requires a
    // name that every object branch of the other forbids, by
    // `additionalProperties: false` — with `patternProperties` that the
    // name does not match. No value matches both, so "exactly one" needs
    // no negation (which `additionalProperties` would make impossible).
    let schema = json!({
        "definitions": {
            "sized": {"oneOf": [
                {"type": "object", "properties": {"size": {"type": "number"}},
                 "required": ["size"], "additionalProperties": false},
                {"type": "string", "pattern": "^[0-9]+px$"}
            ]},
            "picked": {"anyOf": [
                {"type": "object", "properties": {"ref": {"type": "string"}},
                 "required": ["ref"], "additionalProperties": false},
                {"type": "object", "patternProperties": {"^[0-9]x$": {"type": "number"}},
                 "required": ["2x"], "additionalProperties": false}
            ]}
        },
        "oneOf": [{"$ref": "#/definitions/sized"}, {"allOf": [{"$ref": "#/definitions/picked"}]}]
    });
    compile(&schema, &Options::default()).expect("disjoint branches need no negation");
    agree(
        &schema,
        &[
            json!({"size": 3}),
            json!("12px"),
            json!({"ref": "a"}),
            json!({"2x": 1, "3x": 2}),
            json!({"size": 3, "ref": "a"}),
            json!({"2x": 1, "size": 2}),
            json!("12"),
        ],
    );
    // A pattern that matches the required name leaves the branches
    // overlapping: then "exactly one" needs the negation rein refuses.
    let overlapping = json!({"oneOf": [
        {"type": "object", "required": ["size"]},
        {"type": "object", "patternProperties": {"^s": {"type": "number"}},
         "additionalProperties": false}
    ]});
    assert!(compile(&overlapping, &Options::default()).is_err());
}

#[test]
fn not_of_no_other_key_is_some_other_key_of_a_closed_object() {
    // Both branches match `{}` and any object with only shared keys, so
    // "exactly one" needs "not (no key but these)": some key of the other
    // branch's own. In a closed object that is "one of its own properties
    // outside the other's is present".
    let tagged = json!({"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "first"}, "first": {"type": "boolean"}},
         "additionalProperties": false},
        {"type": "object", "properties": {"kind": {"const": "second"}, "second": {"type": "boolean"}},
         "additionalProperties": false}
    ]});
    agree(
        &tagged,
        &[
            json!({}),
            json!({"kind": "first"}),
            json!({"kind": "second"}),
            json!({"first": true}),
            json!({"second": false}),
            json!({"kind": "first", "second": true}),
            json!({"kind": "second", "second": true}),
            json!({"x": 1}),
            json!("first"),
        ],
    );
    // Without a type, every non-object matches both branches.
    let untyped = json!({"oneOf": [
        {"properties": {"value": {"type": "string"}, "unit": {"type": "string"}},
         "additionalProperties": false},
        {"properties": {"text": {"type": "string"}}, "additionalProperties": false}
    ]});
    agree(
        &untyped,
        &[
            json!({}),
            json!({"value": "3"}),
            json!({"text": "three"}),
            json!({"value": "3", "text": "three"}),
            json!(5),
            json!(null),
        ],
    );
    // `not` of a closed object's `additionalProperties: false`, patterns
    // counting as the negated object's own keys.
    let negated = json!({"type": "object",
        "properties": {"a": {}, "b1": {}, "c": {}}, "additionalProperties": false,
        "not": {"properties": {"a": {}}, "patternProperties": {"^b": {}},
                "additionalProperties": false}});
    agree(
        &negated,
        &[
            json!({}),
            json!({"a": 1}),
            json!({"b1": 1}),
            json!({"c": 1}),
            json!({"a": 1, "b1": 2, "c": 3}),
        ],
    );
    // An open object's other keys are any key: one member among them is
    // asked for.
    let open =
        json!({"type": "object", "not": {"properties": {"a": {}}, "additionalProperties": false}});
    agree(
        &open,
        &[
            json!({}),
            json!({"a": 1}),
            json!({"b": 1}),
            json!({"a": 1, "b": 2}),
            json!({"b": 1, "a": 2, "c": 3}),
        ],
    );
}

#[test]
fn not_of_member_schemas_asks_for_one_member_that_fails_them() {
    // `not` of `additionalProperties: S` beside named and pattern keys:
    // some other key whose value S rejects.
    let additional = json!({"type": "object", "properties": {"n": {"type": "integer"}},
        "patternProperties": {"^p": {"type": "integer"}},
        "not": {"properties": {"n": {}}, "patternProperties": {"^p": {}},
                "additionalProperties": {"type": "integer"}}});
    agree(
        &additional,
        &[
            json!({}),
            json!({"n": 1}),
            json!({"x": 1}),
            json!({"x": "one"}),
            json!({"p1": 1, "x": "one"}),
            json!({"x": 1, "y": true, "p2": 3}),
            json!({"n": 2, "x": 1, "y": 1}),
        ],
    );
    // `not` of `patternProperties`: some key matching a pattern, named or
    // not, whose value the pattern's schema rejects.
    let patterns = json!({"type": "object",
        "properties": {"a1": {"type": ["integer", "string"]}, "b": {}},
        "additionalProperties": {"type": ["integer", "string"]},
        "not": {"patternProperties": {"^a": {"type": "integer"}, "z$": {"type": "string"}}}});
    agree(
        &patterns,
        &[
            json!({}),
            json!({"a1": 1}),
            json!({"a1": "one"}),
            json!({"b": 1, "a2": 3}),
            json!({"b": 1, "a2": "three"}),
            json!({"xz": 1}),
            json!({"xz": "x", "a3": 3}),
            json!({"az": 1}),
            json!({"az": "a"}),
        ],
    );
    // An exclusive `oneOf` over an open object and a closed one, as
    // package manifests write it: a map of names to `false`, or an object
    // that has a `type`.
    let manifest = json!({"type": "object", "oneOf": [
        {"properties": {"type": {"type": "string"}}, "required": ["type"]},
        {"additionalProperties": {"enum": [false]}, "minProperties": 1, "maxProperties": 1}
    ]});
    agree(
        &manifest,
        &[
            json!({"type": "vcs"}),
            json!({"type": "vcs", "url": "x"}),
            json!({"packagist": false}),
            json!({"packagist": true}),
            json!({"type": false}),
            json!({}),
        ],
    );
    // Counted among an array's items, the member is negated again: every
    // member fails.
    let items = json!({"type": "array", "not": {"items": {"type": "object",
        "properties": {"n": {}}, "additionalProperties": {"type": "integer"}}}});
    agree(
        &items,
        &[
            json!([]),
            json!([{}]),
            json!([{"a": 1}]),
            json!([{"a": "x"}]),
            json!([{"n": "x"}, {"a": 1}]),
            json!([{"a": 1}, {"b": true}]),
            json!([{"a": 1}, 3]),
        ],
    );
    let pattern_items = json!({"type": "array", "not": {"items": {"type": "object",
        "patternProperties": {"^a": {"type": "integer"}}}}});
    agree(
        &pattern_items,
        &[
            json!([]),
            json!([{"a": 1}, {"b": "x"}]),
            json!([{"a": "x"}]),
            json!([{"b": 1}, {"ab": "y", "c": 2}]),
        ],
    );
    // Two parts asking for members: one member for both, or two.
    let two_kinds = json!({"type": "object", "properties": {"n": {"type": ["integer", "string"]}},
    "allOf": [
        {"not": {"patternProperties": {"^a": {"type": "integer"}}}},
        {"not": {"patternProperties": {"b$": {"type": "integer"}}}}
    ]});
    let instances = [
        json!({}),
        json!({"ab": "x"}),
        json!({"ab": 1}),
        json!({"a": "x"}),
        json!({"a": "x", "b": "y"}),
        json!({"n": 1, "b": "y", "a": "x"}),
        json!({"a": "x", "b": 2}),
        json!({"n": "x", "ax": "y", "xb": "z", "q": 1}),
    ];
    agree(&two_kinds, &instances);
    agree_in_any_order(&two_kinds, &instances);
    // In schema order the named members come first; in any order, anywhere.
    agree_in_any_order(
        &two_kinds,
        &[json!({"b": "y", "n": 1, "a": "x"}), json!({"b": 1, "n": 1})],
    );
    agree_in_any_order(
        &patterns,
        &[json!({"b": 1, "a2": "three"}), json!({"a1": 1, "b": 2})],
    );
    // Among enum values, the member is looked for directly.
    agree(
        &json!({"enum": [{"a": 1}, {"b": "x"}, {"b": 2}, 3],
                "not": {"additionalProperties": {"type": "integer"}}}),
        &[
            json!({"a": 1}),
            json!({"b": "x"}),
            json!({"b": 2}),
            json!(3),
        ],
    );
}

#[test]
fn not_of_property_names_rejecting_a_list_requires_one_of_them() {
    // "Not every name is other than `0`": the object has a key `0`.
    agree(
        &json!({"type": "object", "not": {"propertyNames": {"not": {"const": "0"}}}}),
        &[
            json!({}),
            json!({"0": 1}),
            json!({"1": 1}),
            json!({"0": 2, "1": 1}),
        ],
    );
    agree(
        &json!({"not": {"propertyNames": {"not": {"enum": ["a", "b", 3]}}},
                "type": ["object", "string"]}),
        &[
            json!({"a": 1}),
            json!({"b": 1}),
            json!({"3": 1}),
            json!({}),
            json!("a"),
        ],
    );
    // No name passes `false`: any key at all.
    agree(
        &json!({"type": "object", "not": {"propertyNames": false}}),
        &[json!({}), json!({"x": null})],
    );
    // A pattern's names are a language, not a list: refused.
    let error = compile(
        &json!({"type": "object", "not": {"propertyNames": {"not": {"pattern": "a"}}}}),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Unsupported, "{error}");
}
