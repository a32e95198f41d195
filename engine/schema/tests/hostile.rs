//! Hostile schemas compile within limits or fail with a clear error —
//! never a hang, a crash or a stack overflow.

mod support;

use rein_schema::{compile, Options, SchemaErrorKind};
use serde_json::{json, Value};
use support::bytes_engine;

#[test]
fn thousand_deep_nesting_is_a_depth_error() {
    let mut schema = json!({"type": "integer"});
    for _ in 0..1000 {
        schema = json!({"type": "object", "properties": {"a": schema}, "required": ["a"]});
    }
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Limit);
    assert!(error.to_string().contains("more than 128 deep"), "{error}");
    assert!(error.pointer().starts_with("#/properties/a/properties/a"));
}

#[test]
fn hundred_thousand_value_enum_compiles() {
    let values: Vec<Value> = (0..100_000).map(|i| json!(format!("v{i}"))).collect();
    let schema = json!({"enum": values});
    let compiled = compile(&schema, &Options::default()).unwrap();
    let constraint = compiled.constraint(&bytes_engine()).unwrap();
    let mut matcher = constraint.matcher();
    for &byte in b"\"v99999\"" {
        matcher.commit(u32::from(byte)).unwrap();
    }
    assert!(matcher.can_end());
    let mut matcher = constraint.matcher();
    let rejected = b"\"v100000\""
        .iter()
        .any(|&b| matcher.commit(u32::from(b)).is_err());
    assert!(rejected || !matcher.can_end());
}

#[test]
fn a_million_items_is_a_limit_error() {
    let error = compile(
        &json!({"type": "array", "minItems": 1_000_000}),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Limit);
    assert_eq!(error.keyword(), "minItems");
}

#[test]
fn ref_cycles_without_a_base_case_are_unsatisfiable() {
    let schemas = [
        json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}),
        json!({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}},
            "required": ["next"]}}, "$ref": "#/$defs/node"}),
    ];
    for schema in schemas {
        let error = compile(&schema, &Options::default()).unwrap_err();
        assert_eq!(error.kind(), SchemaErrorKind::Unsatisfiable, "{error}");
    }
    // With a base case, recursion is fine.
    let list = json!({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
        "$ref": "#/$defs/node"});
    assert!(compile(&list, &Options::default()).is_ok());
}

#[test]
fn self_referencing_allof_stops_at_the_depth_limit() {
    let schema = json!({"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}, {"type": "object"}]}}, "$ref": "#/$defs/a"});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Limit, "{error}");
}

#[test]
fn catastrophic_patterns_compile_or_fail_cleanly() {
    for pattern in ["^(a+)+$", "^(a|aa)*b$", "(x+x+)+y"] {
        let schema = json!({"type": "string", "pattern": pattern});
        let compiled = compile(&schema, &Options::default()).unwrap();
        let constraint = compiled.constraint(&bytes_engine()).unwrap();
        let mut matcher = constraint.matcher();
        for &byte in b"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            let _ = matcher.commit(u32::from(byte));
        }
    }
    // An exponential DFA hits a limit and says so.
    let schema = json!({"type": "string", "pattern": "(a|b)*a(a|b){40}"});
    let result = compile(&schema, &Options::default()).and_then(|c| c.constraint(&bytes_engine()));
    if let Err(error) = result {
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn unenforceable_keywords_name_keyword_and_pointer() {
    let schema =
        json!({"type": "object", "properties": {"tags": {"type": "array", "uniqueItems": true}}});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Unsupported);
    assert_eq!(
        error.to_string(),
        "#/properties/tags/uniqueItems: rein cannot enforce unique array items (only items from a finite set of values)"
    );
    let lenient = Options {
        lenient: true,
        ..Options::default()
    };
    let compiled = compile(&schema, &lenient).unwrap();
    assert_eq!(compiled.ignored().len(), 1);
    assert_eq!(compiled.ignored()[0].keyword, "uniqueItems");
}

#[test]
fn overlapping_one_of_is_exact_or_refused_unless_asked() {
    // Exactly one of two overlapping branches: strings longer than 3.
    let exact = json!({"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]});
    let compiled = compile(&exact, &Options::default()).unwrap();
    assert!(support::accepts(&compiled, "\"abcd\""));
    assert!(!support::accepts(&compiled, "\"abc\""));
    // Branches whose negation rein cannot write: refused by keyword.
    let schema = json!({"oneOf": [
        {"type": "integer", "multipleOf": 3},
        {"type": "integer", "maximum": 10}]});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.keyword(), "oneOf");
    let options = Options {
        one_of_as_any_of: true,
        ..Options::default()
    };
    assert!(compile(&schema, &options).is_ok());
    let disjoint = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
    assert!(compile(&disjoint, &Options::default()).is_ok());
}

#[test]
fn many_conditions_in_all_of_hit_a_limit_not_memory() {
    // Each `if` becomes a two-way `anyOf`: 40 of them would be 2^40 branches.
    let parts: Vec<Value> = (0..40)
        .map(|i| {
            json!({"if": {"required": [format!("p{i}")]},
                   "then": {"properties": {format!("q{i}"): {"type": "integer"}}}})
        })
        .collect();
    let schema = json!({"type": "object", "allOf": parts});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.kind(), SchemaErrorKind::Limit, "{error}");
    assert_eq!(error.keyword(), "allOf", "{error}");
}

#[test]
fn unknown_and_private_looking_keywords_change_nothing() {
    // Names rein uses inside its own rewrites, an unknown keyword and an
    // `x-` extension: every validator ignores them, and so does rein.
    for (keyword, value) in [
        ("x-rein-not-values", json!(["a"])),
        ("x-rein-not-patterns", json!(["^a"])),
        ("x-rein-also-patterns", json!(["^b"])),
        ("x-rein-not-integer", json!(true)),
        ("x-vendor", json!({"type": "integer"})),
        ("notAKeyword", json!(false)),
    ] {
        let mut schema = json!({"type": ["string", "integer"]});
        schema[keyword] = value.clone();
        let nested = json!({"type": "array", "items": schema.clone()});
        support::agree(&schema, &[json!("a"), json!(3), json!(null)]);
        support::agree(&nested, &[json!(["a", 3]), json!([null])]);
    }
    // Inside data they are data: a property of that name is still required.
    let schema = json!({"type": "object", "required": ["x-rein-not-values"],
        "properties": {"x-rein-not-values": {"const": 1}}});
    support::agree(&schema, &[json!({"x-rein-not-values": 1}), json!({})]);
}
