//! `multipleOf` on integers: exact within the range validators read
//! exactly, spelled out for small bounded ranges, refused where it cannot be
//! enforced.

mod support;

use rein_schema::{compile, Options};
use serde_json::{json, Value};

/// Whether the compiled schema accepts `text` as a whole document.
fn accepts(schema: &Value, text: &str) -> bool {
    support::accepts(&compile(schema, &Options::default()).unwrap(), text)
}

#[test]
fn open_multiples_are_exact_up_to_fifteen_digits() {
    let schema = json!({"type": "integer", "multipleOf": 7});
    for good in ["0", "7", "-21", "700000000000000", "-999999999999994"] {
        assert!(accepts(&schema, good), "{good} should be accepted");
    }
    for bad in ["1", "-22", "007", "-0", "7000000000000000", "7.0"] {
        assert!(!accepts(&schema, bad), "{bad} should be rejected");
    }
}

#[test]
fn a_lower_bound_of_zero_keeps_the_non_negative_multiples() {
    let schema = json!({"type": "integer", "multipleOf": 5, "minimum": 0});
    assert!(accepts(&schema, "0"));
    assert!(accepts(&schema, "12345"));
    assert!(!accepts(&schema, "-5"));
    let schema = json!({"type": "integer", "multipleOf": 5, "exclusiveMinimum": 0});
    assert!(!accepts(&schema, "0"), "0 is not above an exclusive 0");
    assert!(accepts(&schema, "5"));
}

#[test]
fn small_bounded_ranges_are_spelled_out() {
    let schema = json!({"multipleOf": 11, "minimum": -30, "maximum": 100, "type": "integer"});
    let multiples: Vec<i64> = (-30..=100).filter(|n| n % 11 == 0).collect();
    for n in -40..=110i64 {
        assert_eq!(
            accepts(&schema, &n.to_string()),
            multiples.contains(&n),
            "{n}"
        );
    }
    let empty = json!({"type": "integer", "multipleOf": 10, "minimum": 1, "maximum": 9});
    assert!(compile(&empty, &Options::default()).is_err());
}

#[test]
fn unenforceable_combinations_name_the_keyword() {
    let schema = json!({"type": "integer", "multipleOf": 3, "minimum": -5});
    let error = compile(&schema, &Options::default()).unwrap_err();
    assert_eq!(error.keyword(), "multipleOf");
    assert!(compile(
        &schema,
        &Options {
            lenient: true,
            ..Options::default()
        }
    )
    .is_ok());
}
