//! `allOf` parts merged into one schema: what used to conflict — two
//! `pattern`s, two parts' `patternProperties`, two `if`s, extension
//! keywords — merges exactly.

mod support;

use serde_json::json;
use support::agree;

#[test]
fn two_patterns_both_hold() {
    agree(
        &json!({"allOf": [{"type": "string", "pattern": "^a"}, {"pattern": "b$"}, {"pattern": "x"}]}),
        &[
            json!("axb"),
            json!("ab"),
            json!("axc"),
            json!("xb"),
            json!("a-x-b"),
        ],
    );
}

#[test]
fn pattern_properties_of_two_parts_unite() {
    agree(
        &json!({"type": "object", "allOf": [
            {"patternProperties": {"^n": {"type": "integer"}}},
            {"patternProperties": {"^n": {"minimum": 0}, "^s": {"type": "string"}}}]}),
        &[
            json!({"n1": 3, "s1": "x"}),
            json!({"n1": -3}),
            json!({"n1": "x"}),
            json!({"s": 1}),
            json!({"other": null}),
        ],
    );
}

#[test]
fn two_conditions_both_apply() {
    agree(
        &json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "allOf": [
                {"if": {"required": ["a"]}, "then": {"properties": {"a": {"minimum": 5}}}},
                {"if": {"required": ["b"]}, "then": {"properties": {"b": {"maximum": 5}}}}]}),
        &[
            json!({"a": 5, "b": 5}),
            json!({"a": 4}),
            json!({"b": 6}),
            json!({}),
            json!({"a": 9, "b": 0}),
        ],
    );
}

#[test]
fn extension_keywords_do_not_conflict() {
    agree(
        &json!({"allOf": [{"type": "integer", "x-kind": "a"}, {"minimum": 2, "x-kind": "b"}]}),
        &[json!(2), json!(1), json!("2")],
    );
}

#[test]
fn items_of_one_part_cover_the_tuple_of_another() {
    // A part's `items` covers only the elements past that part's own
    // `prefixItems`: here every element, the first included.
    agree(
        &json!({"allOf": [{"prefixItems": [{"minimum": 3}]}], "items": {"minimum": 5}}),
        &[
            json!([5, 5]),
            json!([3, 5]),
            json!([4]),
            json!([7, 4]),
            json!([]),
        ],
    );
    agree(
        &json!({"$schema": "http://json-schema.org/draft-07/schema#",
            "allOf": [{"items": [{"type": "integer"}, {"type": "string"}], "additionalItems": false},
                      {"items": [{"minimum": 2}], "additionalItems": {"type": "string"}}]}),
        &[
            json!([2, "a"]),
            json!([1, "a"]),
            json!([2, "a", "b"]),
            json!([2, 3]),
            json!([2]),
        ],
    );
}

#[test]
fn conditions_in_separate_parts_do_not_combine() {
    // `then` and `else` without their own `if` assert nothing.
    agree(
        &json!({"allOf": [{"type": "integer", "if": {"exclusiveMaximum": 0}},
                          {"then": {"minimum": -10}}, {"else": {"multipleOf": 2}}]}),
        &[json!(-100), json!(3), json!(0), json!(-5), json!("x")],
    );
}

#[test]
fn integer_multiples_of_two_parts_are_multiples_of_their_lcm() {
    agree(
        &json!({"allOf": [{"type": "integer", "multipleOf": 4}, {"multipleOf": 6}]}),
        &[json!(12), json!(24), json!(8), json!(6), json!(0)],
    );
}
