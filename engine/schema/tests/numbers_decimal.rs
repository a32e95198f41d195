//! Numbers against the `jsonschema` crate: decimal bounds, decimal
//! `multipleOf`, integer-valued numbers and numeric `const`. Random
//! decimal strings are judged by both; rein must never accept what the
//! crate rejects, and where rein is exact (bounds, precise spellings) it
//! must accept everything the crate accepts.

mod support;

use proptest::prelude::*;
use rein_schema::{compile, CompiledSchema, Options, SchemaErrorKind, Validator};
use serde_json::{json, Value};

fn accepts(compiled: &CompiledSchema, text: &str) -> bool {
    support::accepts(compiled, text)
}

/// The crate's verdict on `text` read as JSON.
fn checker(validator: &Validator, text: &str) -> bool {
    validator.validate_text(text).is_ok()
}

/// A decimal string: sign, integer part, fraction (possibly with
/// trailing zeros).
fn decimal() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop_oneof![0u64..10, 0u64..1000, 0u64..100_000_000],
        proptest::option::of("[0-9]{1,6}"),
    )
        .prop_map(|(negative, integer, fraction)| {
            let mut text = integer.to_string();
            if let Some(fraction) = fraction {
                text.push('.');
                text.push_str(&fraction);
            }
            if negative && text.bytes().any(|b| b != b'0' && b != b'.') {
                text.insert(0, '-');
            }
            text
        })
}

/// A number near `bound` (`bound` ± a small decimal), or anywhere.
fn probe(bound: String) -> impl Strategy<Value = String> {
    let near = (decimal(), any::<bool>()).prop_map(move |(delta, above)| {
        let b: f64 = bound.parse().unwrap();
        let d: f64 = delta.parse::<f64>().unwrap().abs() / 1000.0;
        let v = if above { b + d } else { b - d };
        // Round to at most 6 places so it is a short decimal.
        format!("{v:.6}")
    });
    prop_oneof![decimal(), near]
}

fn keyword() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("minimum"),
        Just("maximum"),
        Just("exclusiveMinimum"),
        Just("exclusiveMaximum")
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Decimal bounds on numbers are exact on short decimals: rein accepts
    /// exactly what the crate accepts.
    #[test]
    fn decimal_bounds_agree(
        (bound, text) in decimal().prop_flat_map(|b| (Just(b.clone()), probe(b))),
        keyword in keyword(),
        integer in any::<bool>(),
    ) {
        let bound_value: Value = serde_json::from_str(&bound).unwrap();
        let schema = json!({"type": if integer { "integer" } else { "number" }, keyword: bound_value});
        let compiled = compile(&schema, &Options::default()).unwrap();
        let validator = Validator::new(&schema).unwrap();
        let text = text.trim_end_matches('.').to_string();
        let text = if text == "-0.000000" { "0".to_string() } else { text };
        let expected = checker(&validator, &text);
        let negative_zero = text.starts_with('-') && text.trim_start_matches(['-', '0', '.']).is_empty();
        if !negative_zero {
            prop_assert_eq!(accepts(&compiled, &text), expected, "{} against {}", text, schema);
        } else {
            prop_assert!(!accepts(&compiled, &text) || expected);
        }
    }

    /// Two bounds at once, both directions.
    #[test]
    fn two_bounds_agree(low in decimal(), width in decimal(), text in decimal(), exclusive in any::<(bool, bool)>()) {
        let low_value: f64 = low.parse().unwrap();
        let high = format!("{}", low_value + width.parse::<f64>().unwrap().abs());
        let (lk, hk) = (
            if exclusive.0 { "exclusiveMinimum" } else { "minimum" },
            if exclusive.1 { "exclusiveMaximum" } else { "maximum" },
        );
        let schema = json!({"type": "number", lk: serde_json::from_str::<Value>(&low).unwrap(), hk: serde_json::from_str::<Value>(&high).unwrap()});
        let Ok(compiled) = compile(&schema, &Options::default()) else {
            // Unsatisfiable: the crate must reject the probe too.
            prop_assert!(!checker(&Validator::new(&schema).unwrap(), &text));
            return Ok(());
        };
        let validator = Validator::new(&schema).unwrap();
        prop_assert_eq!(accepts(&compiled, &text), checker(&validator, &text), "{} against {}", text, schema);
    }

    /// Decimal `multipleOf`: rein never accepts what the crate rejects;
    /// for 2^-q multiples and integers it accepts all the crate accepts.
    #[test]
    fn decimal_multiples_are_sound(
        multiple in prop_oneof![Just("0.5"), Just("0.25"), Just("0.125"), Just("0.1"), Just("0.01"), Just("0.0001"), Just("1.5"), Just("0.3")],
        text in decimal(),
        integer in any::<bool>(),
        bounds in proptest::option::of((0i64..50, 0i64..60)),
    ) {
        let m: Value = serde_json::from_str(multiple).unwrap();
        let mut schema = json!({"type": if integer { "integer" } else { "number" }, "multipleOf": m});
        if let Some((low, width)) = bounds {
            schema["minimum"] = json!(low as f64 / 4.0);
            schema["maximum"] = json!((low + width) as f64 / 4.0);
        }
        let validator = Validator::new(&schema).unwrap();
        let expected = checker(&validator, &text);
        match compile(&schema, &Options::default()) {
            Ok(compiled) => {
                let got = accepts(&compiled, &text);
                prop_assert!(!got || expected, "rein accepts {} against {}", text, schema);
                // Integer `multipleOf` paths write integers only (`7`, not
                // `7.0`): exact over integer spellings.
                let exact = if integer {
                    !text.contains(['.', 'e', 'E'])
                } else {
                    // A bounded range is spelled out, each multiple in its
                    // shortest spelling, when it holds at most 1000.
                    let step: f64 = multiple.parse().unwrap();
                    let shortest = !(text.contains('.') && text.ends_with('0'));
                    shortest
                        && (bounds.is_some_and(|(_, width)| width as f64 / 4.0 / step <= 1000.0)
                            || ["0.5", "0.25", "0.125"].contains(&multiple))
                };
                let short = text.len() <= 12;
                if exact && short && !text.starts_with('-') {
                    prop_assert_eq!(got, expected, "{} against {}", text, schema);
                }
            }
            Err(error) if error.kind() == SchemaErrorKind::Unsatisfiable => prop_assert!(!expected),
            Err(error) => prop_assert_eq!(error.keyword(), "multipleOf"),
        }
    }

    /// `type: integer` takes `5.0` in drafts 6 and later, not in draft 4.
    #[test]
    fn integer_valued_numbers(integer in -100000i64..100000, zeros in 0usize..3, draft4 in any::<bool>()) {
        let mut schema = json!({"type": "integer"});
        if draft4 {
            schema["$schema"] = json!("http://json-schema.org/draft-04/schema#");
        }
        let text = if zeros == 0 { integer.to_string() } else { format!("{integer}.{}", "0".repeat(zeros)) };
        let compiled = compile(&schema, &Options::default()).unwrap();
        let validator = Validator::new(&schema).unwrap();
        prop_assert_eq!(accepts(&compiled, &text), checker(&validator, &text), "{} against {}", text, schema);
    }
}

#[test]
fn refusals_name_multiple_of() {
    let schema = json!({"type": "number", "multipleOf": 0.3});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.keyword(), "multipleOf");
}

#[test]
fn sixty_four_bit_limits() {
    for (schema, good, bad) in [
        (
            json!({"type": "integer", "maximum": 9223372036854775807u64}),
            "9223372036854775807",
            "9223372036854775808",
        ),
        (
            json!({"type": "integer", "minimum": -9223372036854775808i64}),
            "-9223372036854775808",
            "-9223372036854775809",
        ),
        (
            json!({"type": "integer", "maximum": 18446744073709551615u64}),
            "18446744073709551615",
            "18446744073709551616",
        ),
        (
            json!({"type": "integer", "exclusiveMaximum": 1e19}),
            "9999999999999999999",
            "10000000000000000000",
        ),
    ] {
        let compiled = compile(&schema, &Options::default()).unwrap();
        let validator = Validator::new(&schema).unwrap();
        assert!(
            accepts(&compiled, good) && checker(&validator, good),
            "{good} {schema}"
        );
        assert!(!accepts(&compiled, bad), "{bad} {schema}");
    }
}

#[test]
fn const_by_value() {
    let schema = json!({"const": 9007199254740992u64});
    let compiled = compile(&schema, &Options::default()).unwrap();
    assert!(accepts(&compiled, "9007199254740992.0"));
    assert!(accepts(&compiled, "9007199254740992"));
    assert!(!accepts(&compiled, "9007199254740993"));
    let schema = json!({"type": "integer", "const": 1.0});
    let compiled = compile(&schema, &Options::default()).unwrap();
    assert!(accepts(&compiled, "1") && accepts(&compiled, "1.0"));
}

#[test]
fn exclusive_bounds_do_not_leak_long_spellings() {
    // serde_json reads 0.99999999999999999999 as 1.0: not below 1.
    let schema = json!({"type": "number", "exclusiveMaximum": 1});
    let compiled = compile(&schema, &Options::default()).unwrap();
    assert!(!accepts(&compiled, "0.99999999999999999999"));
    assert!(accepts(&compiled, "0.999999999999999"));
    let schema = json!({"type": "number", "minimum": 1.1, "exclusiveMaximum": 2.0001});
    support::agree(
        &schema,
        &[
            json!(1.1),
            json!(1.5),
            json!(2.0),
            json!(1.09),
            json!(2.0001),
            json!(3),
        ],
    );
}

#[test]
fn long_integers_with_zero_fractions_read_as_integers() {
    // The mask takes `481999205266181.00` as an integer; the check must read
    // it as exactly that (a fast float parse lands one unit off).
    let schema = json!({"type": "integer"});
    let compiled = compile(&schema, &Options::default()).unwrap();
    let validator = Validator::new(&schema).unwrap();
    for text in [
        "481999205266181.00",
        "9007199254740991.000",
        "123456789012345.0",
    ] {
        assert!(accepts(&compiled, text), "{text}");
        assert!(checker(&validator, text), "{text}");
    }
}
