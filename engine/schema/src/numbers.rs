//! Numbers as regexes: exact integer ranges, and decimal ranges whose
//! bounds are integers.
//!
//! A number with an integer part `I` and fraction `.F` lies in a range
//! exactly when `I` is strictly inside it, or `I` equals a bound and the
//! fraction is allowed there (any, zero or non-zero); integer ranges are
//! written digit by digit (`1[3-9]|[2-9][0-9]|1[0-9]{2}`). Bounded numbers
//! never use exponents, so `1e2` is rejected where `100` is accepted; a
//! non-integer bound on a number is refused rather than approximated.

/// An unbounded JSON number, its exponent at most two digits: `1E400`
/// is valid JSON text, but it overflows a double and validators (serde_json
/// among them) refuse to read it, so rein never writes exponents past ±99.
pub const NUMBER: &str = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{1,2})?";

/// Numbers whose value is not an integer, as rein writes them: a fraction
/// with a non-zero digit and no exponent (`1.5e1` is 15, an integer; a
/// spelling with an exponent is left out rather than checked).
pub const FRACTION: &str = r"-?(?:0|[1-9][0-9]*)\.[0-9]*[1-9][0-9]*";

/// An unbounded JSON integer (no fraction, no exponent, no `-0`).
pub const INTEGER: &str = r"(?:0|-?[1-9][0-9]*)";

/// A bound on a value: the value, and whether it is included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// The bound itself.
    pub value: i128,
    /// Whether the bound itself is allowed.
    pub inclusive: bool,
}

/// What fractions are allowed for one integer part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fraction {
    Any,
    Zero,
    NonZero,
    None,
}

impl Fraction {
    fn meet(self, other: Fraction) -> Fraction {
        use Fraction::*;
        match (self, other) {
            (None, _) | (_, None) => None,
            (Any, x) | (x, Any) => x,
            (Zero, Zero) => Zero,
            (NonZero, NonZero) => NonZero,
            _ => None,
        }
    }

    fn pattern(self, integer: bool) -> Option<&'static str> {
        match (self, integer) {
            (Fraction::None, _) | (Fraction::NonZero, true) => None,
            (Fraction::Any | Fraction::Zero, true) => Some(""),
            (Fraction::Any, false) => Some(r"(?:\.[0-9]+)?"),
            (Fraction::Zero, false) => Some(r"(?:\.0+)?"),
            (Fraction::NonZero, false) => Some(r"\.[0-9]*[1-9][0-9]*"),
        }
    }
}

/// A regex for the numbers (`integer`: integers only) between `low` and
/// `high`, or `None` when there are none.
pub fn range(low: Option<Bound>, high: Option<Bound>, integer: bool) -> Option<String> {
    let mut alternatives = Vec::new();
    // Non-negative side: magnitude between max(low, 0) and high.
    let non_negative_low = match low {
        Some(bound) if bound.value >= 0 => bound,
        _ => Bound {
            value: 0,
            inclusive: true,
        },
    };
    if high.is_none_or(|h| h.value > 0 || (h.value == 0 && h.inclusive)) {
        if let Some(p) = magnitude(non_negative_low, high, integer) {
            alternatives.push(p);
        }
    }
    // Negative side: -magnitude, magnitude between max(-high, 0+) and -low.
    if low.is_none_or(|l| l.value < 0) {
        let magnitude_low = match high {
            Some(h) if h.value < 0 => Bound {
                value: -h.value,
                inclusive: h.inclusive,
            },
            _ => Bound {
                value: 0,
                inclusive: false,
            },
        };
        let magnitude_high = low.map(|l| Bound {
            value: -l.value,
            inclusive: l.inclusive,
        });
        if let Some(p) = magnitude(magnitude_low, magnitude_high, integer) {
            alternatives.push(format!("-(?:{p})"));
        }
    }
    if alternatives.is_empty() {
        None
    } else {
        Some(format!("(?:{})", alternatives.join("|")))
    }
}

/// Non-negative `I(.F)?` with `low <= I.F <= high` (bounds ≥ 0).
fn magnitude(low: Bound, high: Option<Bound>, integer: bool) -> Option<String> {
    let at_low = if low.inclusive {
        Fraction::Any
    } else {
        Fraction::NonZero
    };
    let at_high = |h: Bound| {
        if h.inclusive {
            Fraction::Zero
        } else {
            Fraction::None
        }
    };
    let mut parts = Vec::new();
    let mut push = |from: i128, to: Option<i128>, fraction: Fraction| {
        if let (Some(digits), Some(tail)) = (digits_range(from, to), fraction.pattern(integer)) {
            parts.push(format!("(?:{digits}){tail}"));
        }
    };
    match high {
        Some(h) if h.value < low.value => return None,
        Some(h) if h.value == low.value => {
            push(low.value, Some(low.value), at_low.meet(at_high(h)))
        }
        Some(h) => {
            push(low.value, Some(low.value), at_low);
            if h.value - 1 > low.value {
                push(low.value + 1, Some(h.value - 1), Fraction::Any);
            }
            push(h.value, Some(h.value), at_high(h));
        }
        None => {
            push(low.value, Some(low.value), at_low);
            push(low.value + 1, None, Fraction::Any);
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("|"))
    }
}

/// The decimal spellings (no leading zeros) of `from..=to` (`to` `None`:
/// unbounded), `from >= 0`.
fn digits_range(from: i128, to: Option<i128>) -> Option<String> {
    let from = from.max(0);
    if to.is_some_and(|to| to < from) {
        return None;
    }
    let low = from.to_string();
    let mut parts = Vec::new();
    let high_len = to.map(|to| to.to_string().len());
    let mut length = low.len();
    loop {
        let start = if length == low.len() {
            low.clone()
        } else {
            smallest(length)
        };
        match (to, high_len) {
            (Some(to), Some(high_len)) if length == high_len => {
                same_length(&start, &to.to_string(), &mut parts);
                break;
            }
            (Some(_), Some(_)) => same_length(&start, &"9".repeat(length), &mut parts),
            _ => {
                same_length(&start, &"9".repeat(length), &mut parts);
                parts.push(format!("[1-9][0-9]{{{length},}}"));
                break;
            }
        }
        length += 1;
    }
    Some(parts.join("|"))
}

fn smallest(length: usize) -> String {
    if length == 1 {
        "0".to_string()
    } else {
        format!("1{}", "0".repeat(length - 1))
    }
}

/// `a..=b` for digit strings of equal length, as alternatives.
fn same_length(a: &str, b: &str, out: &mut Vec<String>) {
    if a > b {
        return;
    }
    if a.is_empty() {
        out.push(String::new());
        return;
    }
    let (da, ra) = (a.as_bytes()[0], &a[1..]);
    let (db, rb) = (b.as_bytes()[0], &b[1..]);
    let rest = ra.len();
    if ra.bytes().all(|d| d == b'0') && rb.bytes().all(|d| d == b'9') {
        out.push(format!("{}{}", class(da, db), any_digits(rest)));
        return;
    }
    if da == db {
        let mut inner = Vec::new();
        same_length(ra, rb, &mut inner);
        out.push(format!("{}(?:{})", da as char, inner.join("|")));
        return;
    }
    let mut inner = Vec::new();
    same_length(ra, &"9".repeat(rest), &mut inner);
    out.push(format!("{}(?:{})", da as char, inner.join("|")));
    if da + 1 < db {
        out.push(format!("{}{}", class(da + 1, db - 1), any_digits(rest)));
    }
    let mut inner = Vec::new();
    same_length(&"0".repeat(rest), rb, &mut inner);
    out.push(format!("{}(?:{})", db as char, inner.join("|")));
}

fn class(a: u8, b: u8) -> String {
    if a == b {
        (a as char).to_string()
    } else {
        format!("[{}-{}]", a as char, b as char)
    }
}

fn any_digits(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => "[0-9]".to_string(),
        n => format!("[0-9]{{{n}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rein_core::ByteDfa;

    fn matches(pattern: &str, text: &str) -> bool {
        let dfa = ByteDfa::regex(pattern).unwrap();
        dfa.is_accepting(dfa.next_bytes(dfa.start(), text.as_bytes()))
    }

    fn inclusive(value: i128) -> Bound {
        Bound {
            value,
            inclusive: true,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn integer_ranges_are_exact(low in -1200i128..1200, width in 0i128..3000, probe in -5000i128..5000) {
            let high = low + width;
            let pattern = range(Some(inclusive(low)), Some(inclusive(high)), true).unwrap();
            prop_assert_eq!(matches(&pattern, &probe.to_string()), (low..=high).contains(&probe));
        }

        #[test]
        fn half_open_number_ranges_are_exact(low in -50i128..50, exclusive in any::<bool>(), whole in -200i128..200, tenths in 0u8..10) {
            let pattern = range(Some(Bound { value: low, inclusive: !exclusive }), None, false).unwrap();
            let value = whole as f64 + f64::from(tenths) / 10.0 * if whole < 0 { -1.0 } else { 1.0 };
            let text = if whole == 0 && tenths == 0 { "0".to_string() } else { format!("{}{}.{}", if whole < 0 { "-" } else { "" }, whole.abs(), tenths) };
            let expected = if exclusive { value > low as f64 } else { value >= low as f64 };
            prop_assert_eq!(matches(&pattern, &text), expected, "{} {}", pattern, text);
        }
    }

    #[test]
    fn bounds_on_decimals() {
        let p = range(
            None,
            Some(Bound {
                value: 1,
                inclusive: true,
            }),
            false,
        )
        .unwrap();
        assert!(matches(&p, "1.000"));
        assert!(!matches(&p, "1.001"));
        assert!(matches(&p, "-7.5"));
        let p = range(
            Some(Bound {
                value: 0,
                inclusive: false,
            }),
            None,
            false,
        )
        .unwrap();
        assert!(!matches(&p, "0.0"));
        assert!(matches(&p, "0.01"));
        assert!(!matches(&p, "-0.5"));
        assert!(range(Some(inclusive(5)), Some(inclusive(4)), true).is_none());
        let p = range(
            Some(inclusive(-3)),
            Some(Bound {
                value: -3,
                inclusive: true,
            }),
            true,
        )
        .unwrap();
        assert!(matches(&p, "-3") && !matches(&p, "3"));
    }
}
