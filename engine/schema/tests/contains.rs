//! `contains` with `minContains`/`maxContains`, and numbers excluded by
//! value (which `contains` needs for the items that do not match): rein's
//! verdicts agree with the `jsonschema` crate on instances of both
//! verdicts.

mod support;

use serde_json::json;
use support::agree;

#[test]
fn at_least_one_item_matches() {
    agree(
        &json!({"type": "array", "items": {"type": "integer"}, "contains": {"minimum": 5}}),
        &[
            json!([1, 5]),
            json!([7]),
            json!([1, 2]),
            json!([]),
            json!([6, "x"]),
        ],
    );
}

#[test]
fn the_matching_items_are_counted() {
    agree(
        &json!({"contains": {"const": 1}, "minContains": 2, "maxContains": 3}),
        &[
            json!([1, 1]),
            json!([1, 2, 1, 1]),
            json!([1]),
            json!([1, 1, 1, 1]),
            json!([2, 1, 3]),
            json!("not an array"),
        ],
    );
    agree(
        &json!({"type": "array", "contains": {"type": "string"}, "minContains": 0, "maxContains": 1}),
        &[
            json!([]),
            json!([1, "a", 2]),
            json!(["a", "b"]),
            json!([1, 2]),
        ],
    );
}

#[test]
fn a_number_is_excluded_in_every_plain_spelling() {
    agree(
        &json!({"type": "number", "not": {"enum": [1.5, 0, 3]}}),
        &[
            json!(1.5),
            json!(1.25),
            json!(0),
            json!(-0.0),
            json!(3.0),
            json!(3.5),
            json!(-2),
        ],
    );
}

#[test]
fn negated_contains_tuples_and_items() {
    agree(
        &json!({"type": "array", "not": {"contains": {"const": 0}}}),
        &[json!([1, 2]), json!([]), json!([1, 0]), json!([0])],
    );
    agree(
        &json!({"type": "array", "not": {"prefixItems": [{"type": "integer"}, {"type": "string"}]}}),
        &[
            json!([1, 2]),
            json!(["a"]),
            json!([1, "a", 3]),
            json!([1]),
            json!([]),
        ],
    );
    agree(
        &json!({"type": "array", "not": {"items": {"type": "integer"}}}),
        &[json!([1, "a"]), json!([1, 2]), json!([]), json!([null])],
    );
}

#[test]
fn unique_items_from_a_finite_set() {
    agree(
        &json!({"type": "array", "uniqueItems": true, "items": {"enum": [1, "a", true, 1.0]}}),
        &[
            json!([1, "a"]),
            json!(["a", true, 1]),
            json!([1, 1]),
            json!([1, 1.0]),
            json!(["a", "a"]),
            json!([]),
            json!([2]),
        ],
    );
    agree(
        &json!({"type": "array", "uniqueItems": true, "items": {"type": "boolean"}, "minItems": 2}),
        &[
            json!([true, false]),
            json!([false, true]),
            json!([true, true]),
            json!([true]),
        ],
    );
}

#[test]
fn unique_tuples_of_finite_positions() {
    agree(
        &json!({"prefixItems": [{"type": "boolean"}, {"type": "boolean"}], "items": false,
            "uniqueItems": true}),
        &[
            json!([false, true]),
            json!([true, true]),
            json!([true]),
            json!([]),
            json!([true, false, true]),
            json!([1]),
        ],
    );
}
