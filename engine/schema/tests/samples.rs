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

/// Random walks of the budgeted mask from the start of `compiled` with a
/// budget of the shortest completion plus `slack`: they end complete within
/// the budget. Returns the text.
fn budgeted_walk(compiled: &rein_schema::CompiledSchema, slack: usize, seed: u64) -> String {
    use rein_core::{BudgetedMatcher, TokenMask};
    let engine = support::bytes_engine();
    let vocabulary = engine.vocabulary();
    let constraint = compiled.constraint(&engine).unwrap();
    let eos = vocabulary.eos_tokens()[0];
    let needed = BudgetedMatcher::new(constraint.matcher(), usize::MAX)
        .unwrap()
        .needed();
    assert!(
        BudgetedMatcher::new(constraint.matcher(), needed.saturating_sub(1)).is_err()
            || needed == 0
    );
    let budget = needed + slack;
    let mut matcher = BudgetedMatcher::new(constraint.matcher(), budget).unwrap();
    let mut mask = TokenMask::new(vocabulary.len());
    let mut state = seed | 1;
    let mut tokens = Vec::new();
    loop {
        matcher.fill_mask(&mut mask).unwrap();
        let allowed: Vec<u32> = mask.iter().collect();
        assert!(
            !allowed.is_empty(),
            "empty budgeted mask after {}",
            tokens.len()
        );
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let text: Vec<u32> = allowed.iter().copied().filter(|&t| t != eos).collect();
        let token = if allowed.contains(&eos) && (text.is_empty() || state % 4 == 0) {
            eos
        } else {
            text[(state >> 8) as usize % text.len()]
        };
        matcher.commit(token).unwrap();
        if token == eos {
            break;
        }
        tokens.push(token);
        assert!(tokens.len() <= budget, "over the budget of {budget}");
    }
    String::from_utf8(vocabulary.concat_bytes(&tokens)).unwrap()
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
        Value::Object(members) => members.values().for_each(|member| strings(member, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn budgeted_walks_end_valid_within_their_budget(
        index in 0usize..9,
        seed in any::<u64>(),
        slack in 0usize..12,
        spaced in any::<bool>(),
    ) {
        let schema = &schemas()[index];
        let options = Options {
            whitespace: if spaced { Whitespace::Spaced } else { Whitespace::Compact },
            ..Options::default()
        };
        let compiled = compile(schema, &options).unwrap();
        let text = budgeted_walk(&compiled, slack, seed);
        let validator = Validator::new(schema).unwrap();
        prop_assert!(validator.validate_text(&text).is_ok(), "{} -> {:?}", text, validator.validate_text(&text));
    }

    #[test]
    fn extractive_strings_are_substrings_of_the_document(seed in any::<u64>(), slack in 0usize..30) {
        let document = "Ada \"Lady\" Lovelace, née Byron\nwrote notes in 1843.";
        let schema = json!({"type": "object", "properties": {
            "name": {"type": "string"}, "short": {"type": "string", "maxLength": 4},
            "year": {"type": "integer"}, "kind": {"enum": ["note", "letter"]},
            "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 2}},
            "required": ["name", "short", "year", "kind", "tags"], "additionalProperties": false});
        let options = Options {
            whitespace: Whitespace::Spaced,
            extractive: Some(document.into()),
            ..Options::default()
        };
        let compiled = compile(&schema, &options).unwrap();
        let text = budgeted_walk(&compiled, slack, seed);
        let value: Value = serde_json::from_str(&text).unwrap();
        prop_assert!(Validator::new(&schema).unwrap().validate(&value).is_ok(), "{}", text);
        let mut found = Vec::new();
        strings(&value, &mut found);
        for string in found {
            prop_assert!(string == "note" || string == "letter" || document.contains(&string), "{:?} in {}", string, text);
        }
    }
}
