//! Numbers as regexes: exact ranges between decimal bounds, over the
//! spellings validators read exactly.
//!
//! A bound is a decimal ([`Decimal`]: `1.1`, `-2.0001`, `7`). A number
//! with an integer part `I` and fraction `.F` lies in a range exactly when
//! `I` is strictly inside the bounds' integer parts, or `I` equals a
//! bound's integer part and `.F` compares right with that bound's fraction,
//! digit by digit (`1.1 ≤ x`: `1\.(?:[1-9][0-9]*|1...)`); integer parts are
//! written digit by digit (`1[3-9]|[2-9][0-9]|1[0-9]{2}`). Bounded numbers
//! never use exponents, so `1e2` is rejected where `100` is accepted.
//!
//! Validators read a JSON number as a 64-bit integer when it is written as
//! one and fits, and otherwise as the nearest double (serde_json, which the
//! `jsonschema` crate uses). A double is not a decimal: `0.1` is read as a
//! value slightly above 0.1, and a number written with many digits can be
//! read as the bound itself. So a bounded number is also held to
//! [`precise`]: an integer that fits 64 bits, or a number with a fraction and
//! at most 15 digits in all, which serde_json reads as the nearest double
//! and no two of which share a double. On those spellings the decimal
//! comparison and the validator's agree once a bound is the shortest decimal
//! of its double (what `format!("{}", f64)` writes); a bound whose shortest
//! decimal needs more than 15 digits is made exclusive, since no precise
//! spelling reaches it (see the compiler's `number`).

use std::cmp::Ordering;

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

/// An unbounded integer-valued number, also written with a zero fraction
/// (`5.0`, `5.00`): drafts 6 and later call those integers.
pub const WHOLE: &str = r"(?:0|-?[1-9][0-9]*)(?:\.0+)?";

/// The most digits of a precise number with a fraction.
pub const PRECISE_DIGITS: usize = 15;

/// The spellings validators read exactly: integers from -2^63 to 2^64-1
/// (serde_json's `i64` and `u64`), and numbers with a fraction and at most
/// [`PRECISE_DIGITS`] digits (the integer part's `0` not counted).
pub fn precise() -> String {
    let integers = range(
        Some(&Bound::inclusive(Decimal::from_i128(i128::from(i64::MIN)))),
        Some(&Bound::inclusive(Decimal::from_i128(i128::from(u64::MAX)))),
        Spelling::Integer,
    )
    .expect("the 64-bit integers are not empty");
    let mut fractions = vec![format!(r"0\.[0-9]{{1,{PRECISE_DIGITS}}}")];
    for integer_digits in 1..PRECISE_DIGITS {
        fractions.push(format!(
            r"[1-9][0-9]{{{}}}\.[0-9]{{1,{}}}",
            integer_digits - 1,
            PRECISE_DIGITS - integer_digits
        ));
    }
    format!("(?:{integers}|-?(?:{}))", fractions.join("|"))
}

/// A decimal number: sign, integer part and fraction digits (no trailing
/// zeros, so `1.50` is `1.5` and `2.0` is `2`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    integer: u128,
    fraction: Vec<u8>,
}

impl Decimal {
    /// The integer `value`.
    pub fn from_i128(value: i128) -> Decimal {
        Decimal {
            negative: value < 0,
            integer: value.unsigned_abs(),
            fraction: Vec::new(),
        }
    }

    /// A plain decimal (`-12.5`, `3`, `0.001`; no exponent), `None` for
    /// anything else or an integer part beyond 128 bits.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (integer, fraction) = body.split_once('.').unwrap_or((body, ""));
        if integer.is_empty() || !integer.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) || body.ends_with('.') {
            return None;
        }
        let mut fraction: Vec<u8> = fraction.bytes().map(|b| b - b'0').collect();
        while fraction.last() == Some(&0) {
            fraction.pop();
        }
        let integer = integer.parse::<u128>().ok()?;
        Some(Decimal {
            negative: negative && (integer != 0 || !fraction.is_empty()),
            integer,
            fraction,
        })
    }

    /// Whether the value is an integer.
    pub fn is_integer(&self) -> bool {
        self.fraction.is_empty()
    }

    /// Digits written out: the integer part's (none for `0`) and the
    /// fraction's.
    pub fn digits(&self) -> usize {
        let integer = if self.integer == 0 {
            0
        } else {
            self.integer.to_string().len()
        };
        integer + self.fraction.len()
    }

    /// The fraction's digits, most significant first.
    pub fn fraction_digits(&self) -> &[u8] {
        &self.fraction
    }

    /// The largest integer at or below the value (`None` past 127 bits).
    pub fn floor(&self) -> Option<i128> {
        let magnitude = i128::try_from(self.integer).ok()?;
        Some(match (self.negative, self.is_integer()) {
            (false, _) => magnitude,
            (true, true) => -magnitude,
            (true, false) => -magnitude - 1,
        })
    }

    /// The smallest integer at or above the value (`None` past 127 bits).
    pub fn ceil(&self) -> Option<i128> {
        let magnitude = i128::try_from(self.integer).ok()?;
        Some(match (self.negative, self.is_integer()) {
            (true, _) => -magnitude,
            (false, true) => magnitude,
            (false, false) => magnitude + 1,
        })
    }

    /// The value × 10^places.
    pub fn shifted(&self, places: u32) -> Option<Decimal> {
        let mut text = format!("{}", self.integer);
        for index in 0..places as usize {
            text.push(char::from(
                b'0' + self.fraction.get(index).copied().unwrap_or(0),
            ));
        }
        let rest: String = self
            .fraction
            .iter()
            .skip(places as usize)
            .map(|d| char::from(b'0' + d))
            .collect();
        let sign = if self.negative { "-" } else { "" };
        let dot = if rest.is_empty() { "" } else { "." };
        Decimal::parse(&format!("{sign}{text}{dot}{rest}"))
    }

    /// The value × 10^-places.
    pub fn shifted_down(&self, places: u32) -> Decimal {
        let digits = format!("{:0width$}", self.integer, width = places as usize + 1);
        let (integer, fraction) = digits.split_at(digits.len() - places as usize);
        let sign = if self.negative { "-" } else { "" };
        let mut text = format!("{sign}{integer}.{fraction}");
        for digit in &self.fraction {
            text.push(char::from(b'0' + digit));
        }
        if places == 0 && self.fraction.is_empty() {
            text.pop();
        }
        Decimal::parse(&text).expect("a shifted decimal is a decimal")
    }

    fn is_zero(&self) -> bool {
        self.integer == 0 && self.fraction.is_empty()
    }

    fn negated(&self) -> Decimal {
        Decimal {
            negative: !self.negative && !self.is_zero(),
            ..self.clone()
        }
    }

    fn magnitude_cmp(&self, other: &Decimal) -> Ordering {
        self.integer
            .cmp(&other.integer)
            .then_with(|| self.fraction.cmp(&other.fraction))
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        write!(f, "{}", self.integer)?;
        if !self.fraction.is_empty() {
            f.write_str(".")?;
            for digit in &self.fraction {
                write!(f, "{digit}")?;
            }
        }
        Ok(())
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        // Fractions without trailing zeros compare as digit strings.
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.magnitude_cmp(other),
            (true, true) => other.magnitude_cmp(self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A bound on a value: the value, and whether it is included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    /// The bound itself.
    pub value: Decimal,
    /// Whether the bound itself is allowed.
    pub inclusive: bool,
}

impl Bound {
    /// `value`, included.
    pub fn inclusive(value: Decimal) -> Bound {
        Bound {
            value,
            inclusive: true,
        }
    }
}

/// How the numbers in a range may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// Integers, without a fraction (`5`).
    Integer,
    /// Integers, also with a zero fraction (`5`, `5.0`, `5.00`).
    Whole,
    /// Any number, fraction or not (no exponent).
    Any,
}

/// A regex for the numbers between `low` and `high` written as `spelling`
/// allows, or `None` when there are none. `-0` is never written.
pub fn range(low: Option<&Bound>, high: Option<&Bound>, spelling: Spelling) -> Option<String> {
    let mut alternatives = Vec::new();
    let zero = Decimal::from_i128(0);
    // Non-negative side: magnitude between max(low, 0) and high.
    let non_negative_low = match low {
        Some(bound) if !bound.value.negative => bound.clone(),
        _ => Bound::inclusive(zero.clone()),
    };
    if high.is_none_or(|h| h.value > zero || (h.value == zero && h.inclusive)) {
        if let Some(p) = magnitude(&non_negative_low, high, spelling) {
            alternatives.push(p);
        }
    }
    // Negative side: -magnitude, magnitude between max(-high, 0+) and -low.
    if low.is_none_or(|l| l.value.negative) {
        let magnitude_low = match high {
            Some(h) if h.value.negative => Bound {
                value: h.value.negated(),
                inclusive: h.inclusive,
            },
            _ => Bound {
                value: zero,
                inclusive: false,
            },
        };
        let magnitude_high = low.map(|l| Bound {
            value: l.value.negated(),
            inclusive: l.inclusive,
        });
        if let Some(p) = magnitude(&magnitude_low, magnitude_high.as_ref(), spelling) {
            alternatives.push(format!("-(?:{p})"));
        }
    }
    if alternatives.is_empty() {
        None
    } else {
        Some(format!("(?:{})", alternatives.join("|")))
    }
}

/// A constraint on a fraction `0.F`: the bound's fraction digits, and
/// whether it is included. `None`: unconstrained.
type FractionBound<'a> = Option<(&'a [u8], bool)>;

/// Non-negative `I(.F)?` with `low <= I.F <= high` (bounds ≥ 0).
fn magnitude(low: &Bound, high: Option<&Bound>, spelling: Spelling) -> Option<String> {
    if let Some(h) = high {
        match h.value.cmp(&low.value) {
            Ordering::Less => return None,
            Ordering::Equal if !(h.inclusive && low.inclusive) => return None,
            _ => {}
        }
    }
    let at_low: FractionBound = Some((&low.value.fraction, low.inclusive));
    let mut parts = Vec::new();
    let mut push = |from: u128, to: Option<u128>, tail: Option<String>| {
        if let (Some(digits), Some(tail)) = (digits_range(from, to), tail) {
            parts.push(format!("(?:{digits}){tail}"));
        }
    };
    let (li, any) = (low.value.integer, fraction_part(None, None, spelling));
    match high {
        Some(h) if h.value.integer == li => {
            let at_high = Some((h.value.fraction.as_slice(), h.inclusive));
            push(li, Some(li), fraction_part(at_low, at_high, spelling));
        }
        Some(h) => {
            let hi = h.value.integer;
            push(li, Some(li), fraction_part(at_low, None, spelling));
            if hi - 1 > li {
                push(li + 1, Some(hi - 1), any);
            }
            let at_high = Some((h.value.fraction.as_slice(), h.inclusive));
            push(hi, Some(hi), fraction_part(None, at_high, spelling));
        }
        None => {
            push(li, Some(li), fraction_part(at_low, None, spelling));
            push(li + 1, None, any);
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("|"))
    }
}

/// What may follow an integer part: nothing or `.F` (as `spelling`
/// allows) with `0.F` between `low` and `high`.
fn fraction_part(low: FractionBound, high: FractionBound, spelling: Spelling) -> Option<String> {
    let zero_allowed = low.is_none_or(|(digits, inclusive)| digits.is_empty() && inclusive)
        && high.is_none_or(|(digits, inclusive)| !digits.is_empty() || inclusive);
    match spelling {
        Spelling::Integer => zero_allowed.then(String::new),
        Spelling::Whole => zero_allowed.then(|| r"(?:\.0+)?".to_string()),
        Spelling::Any => match (zero_allowed, first_digit(low, high)) {
            (true, Some(rest)) => Some(format!(r"(?:\.(?:{rest}))?")),
            (true, None) => Some(String::new()),
            (false, Some(rest)) => Some(format!(r"\.(?:{rest})")),
            (false, None) => None,
        },
    }
}

/// Digit strings `F`, possibly empty, with `0.F` between `low` and `high`.
fn digit_strings(low: FractionBound, high: FractionBound) -> Option<String> {
    // A bound of zero, included, constrains nothing.
    let low = low.filter(|&(digits, inclusive)| !(digits.is_empty() && inclusive));
    match (low, high) {
        (_, Some(([], false))) => None,
        (None, None) => Some("[0-9]*".into()),
        (Some(([], false)), None) => Some("0*[1-9][0-9]*".into()),
        (None, Some(([], true))) => Some("0*".into()),
        (Some(([], false)), Some(([], true))) => None,
        _ => {
            let empty_allowed = low.is_none();
            match (empty_allowed, first_digit(low, high)) {
                (true, Some(rest)) => Some(format!("(?:{rest})?")),
                (true, None) => Some(String::new()),
                (false, rest) => rest,
            }
        }
    }
}

/// Non-empty digit strings `F` with `0.F` between `low` and `high`, as
/// alternatives by first digit.
fn first_digit(low: FractionBound, high: FractionBound) -> Option<String> {
    let low = low.filter(|&(digits, inclusive)| !(digits.is_empty() && inclusive));
    fn next(bound: FractionBound<'_>, digit: u8, above: bool) -> Option<FractionBound<'_>> {
        let Some((digits, inclusive)) = bound else {
            return Some(None);
        };
        let first = digits.first().copied().unwrap_or(0);
        let rest = digits.get(1..).unwrap_or(&[]);
        match (digit.cmp(&first), above) {
            (Ordering::Equal, _) => Some(Some((rest, inclusive))),
            // Past the lower bound's digit: anything after; below: out.
            (Ordering::Greater, true) | (Ordering::Less, false) => Some(None),
            _ => None,
        }
    }
    let mut runs: Vec<(u8, u8, String)> = Vec::new();
    for digit in 0..=9u8 {
        let (Some(low_rest), Some(high_rest)) = (next(low, digit, true), next(high, digit, false))
        else {
            continue;
        };
        let Some(rest) = digit_strings(low_rest, high_rest) else {
            continue;
        };
        match runs.last_mut() {
            Some((_, last, previous)) if *last + 1 == digit && *previous == rest => *last = digit,
            _ => runs.push((digit, digit, rest)),
        }
    }
    if runs.is_empty() {
        return None;
    }
    let alternatives: Vec<String> = runs
        .into_iter()
        .map(|(first, last, rest)| {
            let class = class(b'0' + first, b'0' + last);
            if rest.is_empty() {
                class
            } else {
                format!("{class}(?:{rest})")
            }
        })
        .collect();
    Some(alternatives.join("|"))
}

/// The decimal spellings (no leading zeros) of `from..=to` (`to` `None`:
/// unbounded), `from >= 0`.
fn digits_range(from: u128, to: Option<u128>) -> Option<String> {
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

    fn bound(text: &str, inclusive: bool) -> Bound {
        Bound {
            value: Decimal::parse(text).unwrap(),
            inclusive,
        }
    }

    fn decimal_text(whole: i64, fraction: u32, places: usize) -> String {
        if places == 0 {
            return whole.to_string();
        }
        format!("{whole}.{fraction:0places$}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn integer_ranges_are_exact(low in -1200i128..1200, width in 0i128..3000, probe in -5000i128..5000) {
            let high = low + width;
            let pattern = range(
                Some(&Bound::inclusive(Decimal::from_i128(low))),
                Some(&Bound::inclusive(Decimal::from_i128(high))),
                Spelling::Integer,
            ).unwrap();
            prop_assert_eq!(matches(&pattern, &probe.to_string()), (low..=high).contains(&probe));
        }

        #[test]
        fn decimal_ranges_are_exact(
            low in proptest::option::of((-30i64..30, 0u32..1000, 0usize..4, any::<bool>())),
            high in proptest::option::of((-30i64..30, 0u32..1000, 0usize..4, any::<bool>())),
            probe in (-40i64..40, 0u32..100000, 0usize..6),
            spelling in prop_oneof![Just(Spelling::Integer), Just(Spelling::Whole), Just(Spelling::Any)],
        ) {
            let make = |(whole, fraction, places, inclusive): (i64, u32, usize, bool)| {
                let places = places.min(3);
                bound(&decimal_text(whole, fraction % 10u32.pow(places as u32), places), inclusive)
            };
            let (low, high) = (low.map(make), high.map(make));
            let places = probe.2.min(5);
            let text = decimal_text(probe.0, probe.1 % 10u32.pow(places as u32), places);
            let value = Decimal::parse(&text).unwrap();
            let in_range = low.as_ref().is_none_or(|l| value > l.value || (value == l.value && l.inclusive))
                && high.as_ref().is_none_or(|h| value < h.value || (value == h.value && h.inclusive));
            let spelled = match spelling {
                Spelling::Integer => !text.contains('.'),
                Spelling::Whole => value.is_integer(),
                Spelling::Any => true,
            };
            let expected = in_range && spelled && text != "-0" && !(text.starts_with("-0") && value.is_zero());
            let accepted = range(low.as_ref(), high.as_ref(), spelling).is_some_and(|p| matches(&p, &text));
            prop_assert_eq!(accepted, expected, "{} in {:?}..{:?} as {:?}", text, low, high, spelling);
        }
    }

    #[test]
    fn bounds_on_decimals() {
        let p = range(None, Some(&bound("1", true)), Spelling::Any).unwrap();
        assert!(matches(&p, "1.000"));
        assert!(!matches(&p, "1.001"));
        assert!(matches(&p, "-7.5"));
        let p = range(Some(&bound("0", false)), None, Spelling::Any).unwrap();
        assert!(!matches(&p, "0.0"));
        assert!(matches(&p, "0.01"));
        assert!(!matches(&p, "-0.5"));
        let p = range(
            Some(&bound("1.1", true)),
            Some(&bound("2.05", false)),
            Spelling::Any,
        )
        .unwrap();
        for good in ["1.1", "1.10", "1.2", "1.999", "2", "2.0", "2.049999"] {
            assert!(matches(&p, good), "{good}");
        }
        for bad in ["1", "1.09", "1.0999", "2.05", "2.050", "2.1", "3"] {
            assert!(!matches(&p, bad), "{bad}");
        }
        let p = range(
            Some(&bound("-2.0001", true)),
            Some(&bound("-2", false)),
            Spelling::Any,
        )
        .unwrap();
        assert!(matches(&p, "-2.0001") && matches(&p, "-2.00001") && !matches(&p, "-2.0"));
        assert!(range(
            Some(&bound("1.5", true)),
            Some(&bound("1.9", true)),
            Spelling::Whole
        )
        .is_none());
        let p = range(
            Some(&bound("-3", true)),
            Some(&bound("-3", true)),
            Spelling::Integer,
        )
        .unwrap();
        assert!(matches(&p, "-3") && !matches(&p, "3"));
    }

    #[test]
    fn precise_spellings() {
        let p = precise();
        for good in [
            "0",
            "-9223372036854775808",
            "18446744073709551615",
            "0.123456789012345",
            "12345678901234.5",
        ] {
            assert!(matches(&p, good), "{good}");
        }
        for bad in [
            "-9223372036854775809",
            "18446744073709551616",
            "0.1234567890123456",
            "123456789012345.6",
        ] {
            assert!(!matches(&p, bad), "{bad}");
        }
    }
}
