//! `PropertyOrder::Any`: an object's named members in any order, each at
//! most once, with `required`, `minProperties` and `maxProperties` exact,
//! however many members an object has; objects above a given cap keep
//! schema order. Documents are written as
//! MaskBench writes them (`", "` and `": "`), members in the order listed,
//! duplicates included, and compared with the `jsonschema` crate.

mod support;

use proptest::prelude::*;
use rein_schema::{
    compile, python_dumps, CompiledSchema, Options, PropertyOrder, SchemaErrorKind, Validator,
    Whitespace,
};
use serde_json::{json, Value};
use support::accepts;

fn any_order() -> Options {
    Options {
        property_order: PropertyOrder::any(),
        ..Options::default()
    }
}

/// `{prefix}0` … as integer properties, `count` of them.
fn integer_members(prefix: &str, count: usize) -> serde_json::Map<String, Value> {
    (0..count)
        .map(|index| (format!("{prefix}{index}"), json!({"type": "integer"})))
        .collect()
}

fn compiled(schema: &Value, options: &Options) -> CompiledSchema {
    compile(schema, options).unwrap()
}

/// `{"k": v, ...}` with the members exactly as listed, duplicates kept.
fn text(members: &[(&str, Value)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(key, value)| {
            format!(
                "{}: {}",
                python_dumps(&Value::String(key.to_string())),
                python_dumps(value)
            )
        })
        .collect();
    format!("{{{}}}", members.join(", "))
}

/// Whether `members` (no duplicate keys) validates with `jsonschema`.
fn valid(validator: &Validator, members: &[(&str, Value)]) -> bool {
    let value: Value = serde_json::from_str(&text(members)).unwrap();
    validator.validate(&value).is_ok()
}

/// Every ordering of every subset of `keys` (each key at most once).
fn arrangements<'k>(keys: &[&'k str]) -> Vec<Vec<&'k str>> {
    let mut out = vec![Vec::new()];
    let mut frontier = vec![Vec::new()];
    for _ in 0..keys.len() {
        let mut next = Vec::new();
        for prefix in &frontier {
            for key in keys {
                if !prefix.contains(key) {
                    let mut longer: Vec<&str> = prefix.clone();
                    longer.push(key);
                    next.push(longer);
                }
            }
        }
        out.extend(next.iter().cloned());
        frontier = next;
    }
    out
}

/// rein (any order) and `jsonschema` agree on every arrangement of `keys`,
/// each key with the value `value_of` gives it; both verdicts occur.
fn agree_on_arrangements(schema: &Value, keys: &[&str], value_of: impl Fn(&str) -> Value) {
    let compiled = compiled(schema, &any_order());
    let validator = Validator::new(schema).unwrap();
    let mut verdicts = [0usize; 2];
    for keys in arrangements(keys) {
        let members: Vec<(&str, Value)> = keys.iter().map(|&k| (k, value_of(k))).collect();
        let expected = valid(&validator, &members);
        assert_eq!(
            accepts(&compiled, &text(&members)),
            expected,
            "{} against {schema}",
            text(&members)
        );
        verdicts[usize::from(expected)] += 1;
    }
    assert!(verdicts[0] > 0 && verdicts[1] > 0, "{verdicts:?}");
}

#[test]
fn every_permutation_with_the_required_members_is_accepted() {
    let schema = json!({"type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"},
            "c": {"type": "boolean"}, "d": {"type": "null"}},
        "required": ["b", "d"], "additionalProperties": false});
    let value_of = |key: &str| match key {
        "a" => json!(1),
        "b" => json!("s"),
        "c" => json!(true),
        _ => Value::Null,
    };
    agree_on_arrangements(&schema, &["a", "b", "c", "d"], value_of);
    // The 24 orders of all four, and the orders of the required pair alone.
    let compiled = compiled(&schema, &any_order());
    assert!(accepts(
        &compiled,
        r#"{"d": null, "c": false, "b": "x", "a": 7}"#
    ));
    assert!(accepts(&compiled, r#"{"d": null, "b": "x"}"#));
    // Values still follow their own member's schema.
    assert!(!accepts(&compiled, r#"{"d": "x", "b": null}"#));
    // Schema order is the default, and it is only schema order.
    let default = compile(&schema, &Options::default()).unwrap();
    assert!(accepts(&default, r#"{"b": "x", "d": null}"#));
    assert!(!accepts(&default, r#"{"d": null, "b": "x"}"#));
}

#[test]
fn duplicate_keys_are_rejected() {
    let schema = json!({"type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a"]});
    let compiled = compiled(&schema, &any_order());
    assert!(accepts(&compiled, r#"{"b": 2, "a": 1, "z": 3}"#));
    for duplicated in [
        r#"{"a": 1, "a": 1}"#,
        r#"{"a": 1, "b": 2, "a": 3}"#,
        r#"{"b": 2, "a": 1, "b": 2}"#,
        r#"{"b": 2, "z": 0, "a": 1, "b": 2}"#,
        r#"{"z": 0, "a": 1, "z": 1, "a": 1}"#,
    ] {
        assert!(!accepts(&compiled, duplicated), "{duplicated}");
    }
}

#[test]
fn missing_required_members_are_rejected() {
    // `q` is required without a schema of its own: it gets the
    // additional schema, and counts as a named member.
    let schema = json!({"type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["b", "q"], "additionalProperties": {"type": "string"}});
    let compiled = compiled(&schema, &any_order());
    assert!(accepts(&compiled, r#"{"q": "s", "a": 1, "b": 2}"#));
    assert!(accepts(&compiled, r#"{"x": "t", "b": 2, "q": "s"}"#));
    for missing in [
        r#"{}"#,
        r#"{"a": 1, "b": 2}"#,
        r#"{"q": "s", "a": 1}"#,
        r#"{"q": "s", "x": "b"}"#,
        r#"{"b": 2, "x": "q"}"#,
    ] {
        assert!(!accepts(&compiled, missing), "{missing}");
    }
    agree_on_arrangements(&schema, &["a", "b", "q", "x"], |key| match key {
        "a" | "b" => json!(1),
        _ => json!("s"),
    });
}

#[test]
fn member_counts_stay_exact() {
    let schema = json!({"type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a"], "additionalProperties": {"type": "string"},
        "minProperties": 2, "maxProperties": 3});
    agree_on_arrangements(&schema, &["a", "b", "x", "y", "z"], |key| match key {
        "a" | "b" => json!(1),
        _ => json!("s"),
    });
    // Counts without extras, and with extras but no named members.
    let named_only = json!({"type": "object",
        "properties": {"a": true, "b": true, "c": true, "d": true},
        "additionalProperties": false, "minProperties": 2, "maxProperties": 3});
    agree_on_arrangements(&named_only, &["a", "b", "c", "d"], |_| json!(0));
    let at_least = json!({"type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}},
        "minProperties": 4});
    agree_on_arrangements(&at_least, &["a", "b", "c", "x", "y"], |_| json!(0));
}

#[test]
fn unsatisfiable_counts_still_fail_to_compile() {
    let schema = json!({"type": "object",
        "properties": {"a": true, "b": true, "c": true},
        "required": ["a", "b", "c"], "maxProperties": 2});
    let error = compile(&schema, &any_order()).unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Unsatisfiable);
}

#[test]
fn extras_come_anywhere_between_named_members() {
    let schema = json!({"type": "object",
        "properties": {"n1": {"type": "integer"}, "name": {"type": "string"}},
        "patternProperties": {"^n\\d$": {"minimum": 10}},
        "required": ["name", "n1"], "additionalProperties": {"type": "boolean"}});
    agree_on_arrangements(&schema, &["n1", "name", "n2", "flag"], |key| match key {
        "n1" | "n2" => json!(12),
        "name" => json!("s"),
        _ => json!(true),
    });
    let compiled = compiled(&schema, &any_order());
    assert!(accepts(
        &compiled,
        r#"{"n2": 11, "name": "a", "f": true, "n1": 10}"#
    ));
    assert!(!accepts(&compiled, r#"{"n2": 9, "name": "a", "n1": 10}"#));
    assert!(!accepts(&compiled, r#"{"name": "a", "n1": 9}"#));
}

#[test]
fn many_counted_extras_come_anywhere_and_count_exactly() {
    // Eight named members and up to 100 counted extras: extras may come
    // between named members, and the count stays exact.
    let properties = integer_members("p", 8);
    let counted = json!({"type": "object", "properties": properties,
        "required": ["p0"], "maxProperties": 3});
    let compiled_counted = compiled(&counted, &any_order());
    assert!(accepts(&compiled_counted, r#"{"p3": 3, "p0": 0, "x": 1}"#));
    assert!(accepts(&compiled_counted, r#"{"x": 1, "p0": 0}"#));
    assert!(accepts(&compiled_counted, r#"{"x": 1, "y": 2, "p0": 0}"#));
    assert!(!accepts(
        &compiled_counted,
        r#"{"x": 1, "y": 2, "z": 3, "p0": 0}"#
    ));
    assert!(!accepts(
        &compiled_counted,
        r#"{"p0": 0, "x": 1, "p1": 1, "y": 2}"#
    ));
    assert!(!accepts(&compiled_counted, r#"{"x": 1, "y": 2}"#));
    // Extras count up to the maximum exactly, with every member required.
    let all_required = json!({"type": "object", "properties": properties,
        "required": ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"],
        "additionalProperties": {"type": "string"}, "maxProperties": 20});
    let compiled_all = compiled(&all_required, &any_order());
    let named = r#""p7": 7, "p1": 1, "p2": 2, "p3": 3, "p4": 4, "p5": 5, "p6": 6, "p0": 0"#;
    let extras = |count: usize| -> String {
        (0..count)
            .map(|index| format!(r#", "x{index}": "s""#))
            .collect()
    };
    for count in [0, 1, 11, 12] {
        let document = format!("{{{named}{}}}", extras(count));
        assert!(accepts(&compiled_all, &document), "{document}");
    }
    let document = format!("{{{named}{}}}", extras(13));
    assert!(!accepts(&compiled_all, &document), "{document}");
    assert!(!accepts(&compiled_all, r#"{"x": "s", "p0": 0}"#));
    // The same members without a count take extras anywhere.
    let uncounted = json!({"type": "object", "properties": properties, "required": ["p0"]});
    let compiled_uncounted = compiled(&uncounted, &any_order());
    assert!(accepts(
        &compiled_uncounted,
        r#"{"x": 1, "p3": 3, "y": [], "p0": 0}"#
    ));
    assert!(!accepts(
        &compiled_uncounted,
        r#"{"x": 1, "p3": 3, "p3": 3, "p0": 0}"#
    ));
    assert!(!accepts(&compiled_uncounted, r#"{"x": 1, "p3": 3}"#));
}

#[test]
fn objects_above_the_cap_keep_schema_order() {
    let schema = json!({"type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}},
        "required": ["a", "c"]});
    let capped = Options {
        property_order: PropertyOrder::Any { max_properties: 2 },
        ..Options::default()
    };
    let above = compiled(&schema, &capped);
    assert!(accepts(&above, r#"{"a": 1, "b": 2, "c": 3}"#));
    assert!(accepts(&above, r#"{"a": 1, "c": 3, "x": 0}"#));
    assert!(!accepts(&above, r#"{"c": 3, "a": 1}"#));
    assert!(!accepts(&above, r#"{"a": 1, "c": 3, "b": 2}"#));
    let within = compiled(
        &schema,
        &Options {
            property_order: PropertyOrder::Any { max_properties: 3 },
            ..Options::default()
        },
    );
    assert!(accepts(&within, r#"{"c": 3, "a": 1}"#));
    assert!(accepts(&within, r#"{"a": 1, "c": 3, "b": 2}"#));
    // A member whose value can never validate is never written, so it
    // does not count towards the cap.
    let with_forbidden = json!({"type": "object",
        "properties": {"a": {"type": "integer"}, "b": false, "c": {"type": "integer"}},
        "required": ["a", "c"]});
    let forbidden = compiled(&with_forbidden, &capped);
    assert!(accepts(&forbidden, r#"{"c": 3, "a": 1}"#));
    assert!(!accepts(&forbidden, r#"{"c": 3, "a": 1, "b": 2}"#));
}

#[test]
fn wide_objects_take_any_order_exactly() {
    // A hundred named members, three required: far past what a rule per
    // subset of members could express.
    let properties = integer_members("p", 100);
    let schema = json!({"type": "object", "properties": properties,
        "required": ["p99", "p0", "p64"], "additionalProperties": false});
    let wide = compiled(&schema, &any_order());
    assert!(accepts(&wide, r#"{"p64": 1, "p99": 0, "p0": 2}"#));
    assert!(accepts(
        &wide,
        r#"{"p70": 7, "p0": 0, "p99": 1, "p3": 3, "p64": 4}"#
    ));
    assert!(!accepts(&wide, r#"{"p64": 1, "p99": 0}"#));
    assert!(!accepts(
        &wide,
        r#"{"p64": 1, "p99": 0, "p64": 2, "p0": 2}"#
    ));
    assert!(!accepts(&wide, r#"{"p64": 1, "p99": 0, "p0": 2, "x": 1}"#));
    // The grammar grows with the members, not with their subsets.
    let rules = wide.grammar().rules().len();
    let schema_order = compiled(&schema, &Options::default())
        .grammar()
        .rules()
        .len();
    assert!(
        rules <= schema_order + 4,
        "{rules} rules, {schema_order} in schema order"
    );
}

#[test]
fn a_schema_of_many_objects_takes_any_order_everywhere() {
    let members = integer_members("m", 8);
    let object = json!({"type": "object", "properties": members, "additionalProperties": false});
    let mut properties = serde_json::Map::new();
    for index in 0..100 {
        properties.insert(format!("o{index}"), object.clone());
    }
    let schema = json!({"type": "object", "properties": properties});
    let compiled = compiled(&schema, &any_order());
    assert!(accepts(&compiled, r#"{"o0": {"m1": 1, "m0": 0}}"#));
    assert!(accepts(
        &compiled,
        r#"{"o99": {"m7": 0, "m1": 1}, "o3": {}}"#
    ));
    assert!(!accepts(&compiled, r#"{"o0": {"m1": 1, "m1": 0}}"#));
    assert!(!accepts(&compiled, r#"{"o99": {"m1": 1}, "o99": {}}"#));
}

#[test]
fn compact_whitespace_and_nested_objects() {
    let schema = json!({"type": "object",
        "properties": {"outer": {"type": "object",
            "properties": {"u": {"type": "integer"}, "v": {"type": "string"}},
            "required": ["u", "v"], "additionalProperties": false},
            "w": {"type": "boolean"}},
        "required": ["outer"]});
    let options = Options {
        whitespace: Whitespace::Compact,
        ..any_order()
    };
    let compiled = compiled(&schema, &options);
    assert!(accepts(&compiled, r#"{"w":true,"outer":{"v":"s","u":1}}"#));
    assert!(!accepts(
        &compiled,
        r#"{"w":true,"outer":{"v":"s","v":"s"}}"#
    ));
    assert!(!accepts(&compiled, r#"{"w":true,"outer":{"v":"s"}}"#));
    assert!(!accepts(
        &compiled,
        r#"{"w": true,"outer":{"v":"s","u":1}}"#
    ));
}

/// The schema of the property tests: six named members (two required), a
/// pattern, additional members, a count, and a nested object.
fn property_schema() -> Value {
    json!({"type": "object",
        "properties": {
            "id": {"type": "integer", "minimum": 0},
            "name": {"type": "string", "maxLength": 4},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
            "ok": {"type": "boolean"},
            "kind": {"enum": ["a", "b"]},
            "meta": {"type": "object",
                "properties": {"u": {"type": "integer"}, "v": {"type": "string"}},
                "required": ["u"], "additionalProperties": false}},
        "required": ["id", "kind"],
        "patternProperties": {"^x-": {"type": "integer"}},
        "additionalProperties": {"type": "string"},
        "maxProperties": 7})
}

const KEYS: [&str; 10] = [
    "id", "name", "tags", "ok", "kind", "meta", "x-1", "x-2", "other", "zz",
];

fn values() -> Vec<Value> {
    vec![
        json!(0),
        json!(5),
        json!(-1),
        json!("ab"),
        json!("abcdef"),
        json!(true),
        Value::Null,
        json!(["s"]),
        json!(["s", 1]),
        json!({"u": 1}),
        json!({"v": "q", "u": 2}),
        json!({"v": "q"}),
        json!("a"),
        json!(1.5),
    ]
}

/// A valid value for each key of [`KEYS`].
fn valid_value(key: &str, choice: usize) -> Value {
    let options: Vec<Value> = match key {
        "id" => vec![json!(0), json!(42)],
        "name" => vec![json!(""), json!("abcd")],
        "tags" => vec![json!([]), json!(["p", "q"])],
        "ok" => vec![json!(true), json!(false)],
        "kind" => vec![json!("a"), json!("b")],
        "meta" => vec![json!({"u": 1}), json!({"v": "s", "u": -2})],
        "x-1" | "x-2" => vec![json!(7), json!(-7)],
        _ => vec![json!("s"), json!("")],
    };
    options[choice % options.len()].clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any arrangement of a valid object's members is accepted.
    #[test]
    fn permuted_valid_objects_are_accepted(
        optional in proptest::collection::vec(any::<bool>(), KEYS.len()),
        choices in proptest::collection::vec(0usize..4, KEYS.len()),
        order in Just((0..KEYS.len()).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let schema = property_schema();
        let mut members: Vec<(&str, Value)> = order
            .iter()
            .filter(|&&i| KEYS[i] == "id" || KEYS[i] == "kind" || optional[i])
            .map(|&i| (KEYS[i], valid_value(KEYS[i], choices[i])))
            .collect();
        // maxProperties 7: drop optional members from the end.
        while members.len() > 7 {
            let last = members.iter().rposition(|(k, _)| *k != "id" && *k != "kind").unwrap();
            members.remove(last);
        }
        let validator = Validator::new(&schema).unwrap();
        prop_assert!(valid(&validator, &members), "{}", text(&members));
        let compiled = compiled(&schema, &any_order());
        prop_assert!(accepts(&compiled, &text(&members)), "{}", text(&members));
    }

    /// Random objects, duplicates included: rein accepts exactly those
    /// without duplicate keys that `jsonschema` finds valid.
    #[test]
    fn accepted_objects_validate(
        members in proptest::collection::vec((0..KEYS.len(), 0usize..14), 0..9),
    ) {
        let schema = property_schema();
        let pool = values();
        let members: Vec<(&str, Value)> = members
            .iter()
            .map(|&(k, v)| (KEYS[k], pool[v].clone()))
            .collect();
        let document = text(&members);
        let compiled = compiled(&schema, &any_order());
        let accepted = accepts(&compiled, &document);
        let mut keys: Vec<&str> = members.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() < members.len() {
            prop_assert!(!accepted, "duplicate keys accepted: {document}");
        } else {
            let validator = Validator::new(&schema).unwrap();
            prop_assert_eq!(accepted, valid(&validator, &members), "{}", document);
        }
    }

    /// Eight named members with up to 20 members in all put extras after
    /// the named ones: there, named members in any order followed by extras
    /// are accepted exactly when valid, and nothing invalid is accepted.
    #[test]
    fn extras_after_named_members_count_exactly(
        included in proptest::collection::vec(any::<bool>(), 8),
        order in Just((0..8usize).collect::<Vec<usize>>()).prop_shuffle(),
        extras in 0usize..16,
        wrong in proptest::option::of(0usize..24),
        interleave in any::<bool>(),
    ) {
        let properties = integer_members("p", 8);
        let schema = json!({"type": "object", "properties": properties,
            "required": ["p0", "p5"], "additionalProperties": {"type": "string"},
            "minProperties": 3, "maxProperties": 20});
        let names: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
        let extra_names: Vec<String> = (0..extras).map(|i| format!("x{i}")).collect();
        let mut members: Vec<(&str, Value)> = order
            .iter()
            .filter(|&&i| included[i])
            .map(|&i| (names[i].as_str(), json!(i)))
            .collect();
        let named = members.len();
        members.extend(extra_names.iter().map(|name| (name.as_str(), json!("s"))));
        if let Some(index) = wrong {
            if index < members.len() {
                members[index].1 = json!(true);
            }
        }
        if interleave && named > 0 && extras > 0 {
            // The first extra moves before the last named member.
            let first_extra = members.remove(named);
            members.insert(named - 1, first_extra);
        }
        let validator = Validator::new(&schema).unwrap();
        let expected = valid(&validator, &members);
        let accepted = accepts(&compiled(&schema, &any_order()), &text(&members));
        if interleave && named > 0 && extras > 0 {
            prop_assert!(!accepted || expected, "{}", text(&members));
        } else {
            prop_assert_eq!(accepted, expected, "{}", text(&members));
        }
    }

    /// Documents sampled from the grammar (random allowed bytes, then the
    /// shortest completion) validate and have no duplicate keys.
    #[test]
    fn sampled_documents_validate(seed in any::<u64>()) {
        let schema = property_schema();
        let options = Options { whitespace: Whitespace::Compact, ..any_order() };
        let compiled = compiled(&schema, &options);
        let document = support::sample_document(&compiled, seed, 80);
        let value: Value = serde_json::from_str(&document).unwrap();
        let validator = Validator::new(&schema).unwrap();
        prop_assert!(validator.validate(&value).is_ok(), "{}", document);
        prop_assert!(!has_duplicate_keys(&document), "{}", document);
    }
}

/// Whether some object in the JSON text `document` names a key twice
/// (keys compared decoded, so `"\n"` and `"\u000a"` are one key).
fn has_duplicate_keys(document: &str) -> bool {
    // One frame per open object (its keys, and whether a key comes next)
    // or array (`None`).
    let mut frames: Vec<Option<(Vec<String>, bool)>> = Vec::new();
    let bytes = document.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                let start = index;
                index += 1;
                while bytes[index] != b'"' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
                if let Some(Some((keys, key_next))) = frames.last_mut() {
                    if *key_next {
                        let key: String = serde_json::from_str(&document[start..=index]).unwrap();
                        if keys.contains(&key) {
                            return true;
                        }
                        keys.push(key);
                        *key_next = false;
                    }
                }
            }
            b'{' => frames.push(Some((Vec::new(), true))),
            b'[' => frames.push(None),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => {
                if let Some(Some((_, key_next))) = frames.last_mut() {
                    *key_next = true;
                }
            }
            _ => {}
        }
        index += 1;
    }
    false
}

#[test]
fn the_duplicate_check_finds_duplicates() {
    assert!(has_duplicate_keys(r#"{"a": [1, {"b": 2, "b": 3}]}"#));
    assert!(has_duplicate_keys(r#"{"\n": 1, "\u000a": 2}"#));
    assert!(!has_duplicate_keys(
        r#"{"a": {"a": "a\"a"}, "b": ["a", "a"]}"#
    ));
}
