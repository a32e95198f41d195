//! Numbers: a number schema's range and `multipleOf` as terminals.
//!
//! **Why.** A bounded number is one regex from [`crate::numbers::range`],
//! held to the spellings validators read exactly
//! ([`crate::numbers::precise`]: 64-bit integers, fractions of at most 15
//! digits), so every validator reads the text as the value rein checked. What
//! `multipleOf` allows depends on how the `jsonschema` crate checks it —
//! exact for integers, float arithmetic for fractions — so this module
//! writes only values that crate accepts: small ranges value by value,
//! integer multiples as a right-linear grammar over remainders, and
//! binary fractions (`0.25`, `0.5`) as one pattern.
//!
//! **Trade-off.** Open-ended multiples are limited to
//! [`MAX_MULTIPLE_DIGITS`] digits, where JSON numbers are exact doubles; a
//! decimal `multipleOf` the crate's float check disagrees with decimal
//! arithmetic on is refused rather than approximated, and `0.01` allows a
//! documented subset of its multiples. Ranges of at most
//! [`MAX_ENUMERATED_MULTIPLES`] multiples are exact at any bound.

use rein_core::grammar::{Expr, RuleId};
use serde_json::{json, Map, Value};

use super::{alt, seq, Compiler, Result};
use crate::draft::Draft;
use crate::keywords;
use crate::numbers;
use crate::validate::Validator;

/// A bounded `multipleOf` range with fewer multiples than this is spelled
/// out value by value.
const MAX_ENUMERATED_MULTIPLES: i128 = 1000;

/// The most digits of an open-ended multiple: 15 digits stay below 2^53,
/// where every validator reads the number exactly.
const MAX_MULTIPLE_DIGITS: u32 = 15;

impl<'a> Compiler<'a> {
    pub(super) fn number(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
        integer: bool,
    ) -> Result<Expr> {
        let draft4 = self.draft == Draft::Draft4;
        let mut low: Option<numbers::Bound> = None;
        let mut high: Option<numbers::Bound> = None;
        for keyword in ["minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"] {
            let Some(value) = object.get(keyword).and_then(bound_value) else {
                continue;
            };
            let upper = keyword.ends_with("aximum");
            let exclusive = match keyword {
                "minimum" | "maximum" => {
                    let flag = if upper {
                        "exclusiveMaximum"
                    } else {
                        "exclusiveMinimum"
                    };
                    draft4 && object.get(flag) == Some(&Value::Bool(true))
                }
                _ => true,
            };
            // No precise spelling reaches a bound whose shortest decimal
            // has more digits than a precise number: below or above it is
            // all that can be told, so it is as good as exclusive.
            let reachable = value.is_integer() || value.digits() <= numbers::PRECISE_DIGITS;
            let bound = numbers::Bound {
                value,
                inclusive: !exclusive && reachable,
            };
            let slot = if upper { &mut high } else { &mut low };
            let tighter = match slot.as_ref() {
                None => true,
                Some(current) => match bound.value.cmp(&current.value) {
                    std::cmp::Ordering::Equal => !bound.inclusive,
                    order => (order == std::cmp::Ordering::Less) == upper,
                },
            };
            if tighter {
                *slot = Some(bound);
            }
        }
        let spelling = match (integer, draft4) {
            (false, _) => numbers::Spelling::Any,
            (true, true) => numbers::Spelling::Integer,
            (true, false) => numbers::Spelling::Whole,
        };
        if let Some(multiple) = object.get("multipleOf") {
            return self.multiple_of_value(object, multiple, low, high, spelling, pointer);
        }
        self.number_with_bounds(low, high, spelling, pointer)
    }

    /// `multipleOf` as a number: integer multiples by [`Self::multiple_of`],
    /// decimal ones by [`Self::decimal_multiple_of`].
    fn multiple_of_value(
        &mut self,
        object: &Map<String, Value>,
        multiple: &Value,
        low: Option<numbers::Bound>,
        high: Option<numbers::Bound>,
        spelling: numbers::Spelling,
        pointer: &str,
    ) -> Result<Expr> {
        let whole = match multiple.as_u64() {
            Some(k) => Some(k),
            None => multiple
                .as_f64()
                .filter(|f| *f > 0.0 && f.fract() == 0.0 && *f < 9.0e15)
                .map(|f| f as u64),
        };
        match whole {
            Some(1) => {
                // Every integer, however the type lets it be written.
                let spelling = match spelling {
                    numbers::Spelling::Any => numbers::Spelling::Whole,
                    other => other,
                };
                self.number_with_bounds(low, high, spelling, pointer)
            }
            Some(k) if k > 1 => {
                let (low, high) = integer_bounds(low.as_ref(), high.as_ref());
                self.multiple_of(k, low, high, pointer)
            }
            _ => match multiple.as_f64() {
                Some(m) if m > 0.0 && m.is_finite() => {
                    self.decimal_multiple_of(object, m, low, high, spelling, pointer)
                }
                _ => {
                    self.unsupported(
                        pointer,
                        "multipleOf",
                        "rein enforces `multipleOf` only for positive numbers",
                    )?;
                    self.number_with_bounds(low, high, spelling, pointer)
                }
            },
        }
    }

    fn number_with_bounds(
        &mut self,
        low: Option<numbers::Bound>,
        high: Option<numbers::Bound>,
        spelling: numbers::Spelling,
        pointer: &str,
    ) -> Result<Expr> {
        if low.is_none() && high.is_none() {
            return Ok(Expr::Regex(
                match spelling {
                    numbers::Spelling::Integer => numbers::INTEGER,
                    numbers::Spelling::Whole => numbers::WHOLE,
                    numbers::Spelling::Any => numbers::NUMBER,
                }
                .to_string(),
            ));
        }
        match numbers::range(low.as_ref(), high.as_ref(), spelling) {
            Some(pattern) => {
                let precise = numbers::precise();
                self.restrict(Expr::Regex(pattern), &precise, pointer, "minimum")
            }
            None => Ok(Expr::Nothing),
        }
    }

    /// A non-integer `multipleOf` `m`, checked as the `jsonschema` crate
    /// checks it: the number and `m` are each turned into a fraction
    /// (digits of the double, scaled by powers of ten until the product is
    /// a whole double) and the quotient must be an integer; below `m`, only
    /// zero passes, so no negative number is a multiple. That check is
    /// not decimal arithmetic (`4192.94` is rejected for `0.01`), so rein
    /// writes only values it can vouch for:
    /// - a bounded range with at most [`MAX_ENUMERATED_MULTIPLES`]
    ///   multiples: each multiple, kept when the crate accepts it;
    /// - on integers: the non-negative multiples of the smallest integer
    ///   multiple of `m` (an integer's fraction is exact);
    /// - `m` = 10^-q or 2^-q on numbers: the non-negative multiples of
    ///   2^-q (`0.25`, `1.5`): doubles hold them exactly, so the crate's
    ///   fraction is exact too. For `m` = 2^-q those are all multiples; for
    ///   10^-q a documented subset (`0.01` allows `.25` but not `.01`).
    ///
    /// Anything else is refused.
    fn decimal_multiple_of(
        &mut self,
        object: &Map<String, Value>,
        m: f64,
        low: Option<numbers::Bound>,
        high: Option<numbers::Bound>,
        spelling: numbers::Spelling,
        pointer: &str,
    ) -> Result<Expr> {
        let Some(decimal) = numbers::Decimal::parse(&format!("{m}")) else {
            self.unsupported(pointer, "multipleOf", "rein cannot read this `multipleOf`")?;
            return self.number_with_bounds(low, high, spelling, pointer);
        };
        let places = decimal.fraction_digits().len() as u32;
        let numerator = decimal.to_string().replace('.', "").parse::<u128>().ok();
        let zero = numbers::Bound::inclusive(numbers::Decimal::from_i128(0));
        // Negative numbers never pass: the range starts at 0 at the least.
        let low = match low {
            Some(l) if l.value >= zero.value => Some(l),
            _ => Some(zero),
        };
        if let (Some(l), Some(h), Some(numerator)) = (&low, &high, numerator) {
            if let Some(expr) =
                self.enumerate_decimal_multiples(object, numerator, places, l, h, spelling)?
            {
                return Ok(expr);
            }
        }
        let Some(numerator) = numerator.filter(|_| places <= 12) else {
            self.unsupported(
                pointer,
                "multipleOf",
                "rein enforces a non-integer `multipleOf` with at most 12 decimal places",
            )?;
            return self.number_with_bounds(low, high, spelling, pointer);
        };
        let scale = 10u128.pow(places);
        if spelling != numbers::Spelling::Any {
            // Integers: multiples of numerator / gcd(numerator, 10^places).
            let k = numerator / gcd(numerator, scale);
            let accepted = Validator::new(&json!({ "multipleOf": m }))
                .is_ok_and(|v| v.validate(&json!(k as u64)).is_ok());
            if k <= 1000 && accepted {
                let (low, high) = integer_bounds(low.as_ref(), high.as_ref());
                return if k == 1 {
                    let low =
                        low.map(|l| numbers::Bound::inclusive(numbers::Decimal::from_i128(l)));
                    let high =
                        high.map(|h| numbers::Bound::inclusive(numbers::Decimal::from_i128(h)));
                    self.number_with_bounds(low, high, numbers::Spelling::Integer, pointer)
                } else {
                    self.multiple_of(k as u64, low, high, pointer)
                };
            }
        } else if let Some(power) = binary_places(numerator, places) {
            if checker_fraction(m) == Some((numerator, places)) {
                let fractions = binary_fractions(power);
                let pattern = format!(r"(?:0|[1-9][0-9]*)(?:\.(?:0|{fractions})0*)?");
                let bounded = self.number_with_bounds(low, high, spelling, pointer)?;
                return self.restrict(bounded, &pattern, pointer, "multipleOf");
            }
        }
        self.unsupported(
            pointer,
            "multipleOf",
            format!(
                "rein enforces `multipleOf: {m}` only on integers or over a bounded range of at \
                 most {MAX_ENUMERATED_MULTIPLES} multiples (the `jsonschema` crate's float check \
                 is not decimal arithmetic)"
            ),
        )?;
        self.number_with_bounds(low, high, spelling, pointer)
    }

    /// The multiples `k * numerator / 10^places` between `low` and `high`
    /// that the `jsonschema` crate accepts under `object`'s numeric
    /// keywords, each written out; `None` when there are too many.
    fn enumerate_decimal_multiples(
        &mut self,
        object: &Map<String, Value>,
        numerator: u128,
        places: u32,
        low: &numbers::Bound,
        high: &numbers::Bound,
        spelling: numbers::Spelling,
    ) -> Result<Option<Expr>> {
        // Bounds in units of 10^-places, rounded inwards.
        let (Some(low_units), Some(high_units)) =
            (low.value.shifted(places), high.value.shifted(places))
        else {
            return Ok(None);
        };
        let (Some(first), Some(last)) = (low_units.ceil(), high_units.floor()) else {
            return Ok(None);
        };
        let step = i128::try_from(numerator).unwrap_or(i128::MAX);
        let first = first.div_euclid(step) + i128::from(first.rem_euclid(step) != 0);
        let last = last.div_euclid(step);
        if last - first >= MAX_ENUMERATED_MULTIPLES {
            return Ok(None);
        }
        let mut checked = Map::new();
        for keyword in [
            "multipleOf",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
        ] {
            if let Some(value) = object.get(keyword) {
                checked.insert(keyword.to_string(), value.clone());
            }
        }
        if spelling != numbers::Spelling::Any {
            checked.insert("type".into(), json!("integer"));
        }
        if let Some(schema) = self.root.get("$schema") {
            checked.insert("$schema".into(), schema.clone());
        }
        let Ok(validator) = Validator::with_default_draft(&Value::Object(checked), self.draft)
        else {
            return Ok(None);
        };
        let mut values = Vec::new();
        for k in first..=last.max(first - 1) {
            let units = k * step;
            let text = scaled_text(units, places);
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if validator.validate(&value).is_ok() {
                values.push(Expr::Literal(text));
            }
        }
        Ok(Some(alt(values)))
    }

    /// Integers divisible by `k`: a right-linear grammar over remainders.
    /// Integers divisible by `k` within optional bounds.
    ///
    /// A range holding at most [`MAX_ENUMERATED_MULTIPLES`] multiples is
    /// spelled out. Otherwise the multiples are a right-linear grammar over
    /// (remainder, digits left): at most [`MAX_MULTIPLE_DIGITS`] digits, so
    /// every output stays inside the range where JSON numbers are exact
    /// doubles (RFC 8259 section 6) and a validator agrees it is a multiple.
    /// A lower bound just below the first non-negative or first positive
    /// multiple keeps that half; any other open range is refused rather than
    /// approximated.
    fn multiple_of(
        &mut self,
        k: u64,
        low: Option<i128>,
        high: Option<i128>,
        pointer: &str,
    ) -> Result<Expr> {
        let k128 = i128::from(k);
        let first_at_or_above = |from: i128| {
            from.div_euclid(k128) * k128 + if from.rem_euclid(k128) == 0 { 0 } else { k128 }
        };
        let last_at_or_below = |to: i128| to.div_euclid(k128) * k128;
        if let (Some(low), Some(high)) = (low, high) {
            let (first, last) = (first_at_or_above(low), last_at_or_below(high));
            if first > last {
                return Ok(Expr::Nothing);
            }
            if (last - first) / k128 < MAX_ENUMERATED_MULTIPLES {
                let values = (0..=(last - first) / k128)
                    .map(|i| Expr::Literal((first + i * k128).to_string()))
                    .collect();
                return Ok(alt(values));
            }
        }
        let as_bounds = |low: Option<i128>, high: Option<i128>| {
            (
                low.map(|l| numbers::Bound::inclusive(numbers::Decimal::from_i128(l))),
                high.map(|h| numbers::Bound::inclusive(numbers::Decimal::from_i128(h))),
            )
        };
        if k > 1000 {
            self.unsupported(
                pointer,
                "multipleOf",
                "rein enforces an integer `multipleOf` above 1000 only over a bounded range \
                 of at most 1000 multiples",
            )?;
            let (low, high) = as_bounds(low, high);
            return self.number_with_bounds(low, high, numbers::Spelling::Integer, pointer);
        }
        let k = k as u32;
        // Whether negative multiples and zero are in range.
        let (negative, zero) = match (low, high) {
            (None, None) => (true, true),
            (Some(low), None) if first_at_or_above(low) == 0 => (false, true),
            (Some(low), None) if first_at_or_above(low) == k128 => (false, false),
            _ => {
                self.unsupported(
                    pointer,
                    "multipleOf",
                    "rein combines `multipleOf` with bounds only for small ranges or a lower bound at 0",
                )?;
                let (low, high) = as_bounds(low, high);
                return self.number_with_bounds(low, high, numbers::Spelling::Integer, pointer);
            }
        };
        // rules[first + r * (D + 1) + d]: the rest of a number whose digits
        // so far leave remainder r, with at most d more digits.
        let first = self.rules.len();
        let digits = MAX_MULTIPLE_DIGITS;
        let id = |r: u32, d: u32| RuleId((first as u32) + r * (digits + 1) + d);
        for r in 0..k {
            for d in 0..=digits {
                self.new_rule(format!("{pointer} remainder {r} digits {d}"), pointer)?;
            }
        }
        for r in 0..k {
            for d in 0..=digits {
                let mut alternatives = Vec::new();
                if r == 0 {
                    alternatives.push(Expr::Empty);
                }
                if d > 0 {
                    for digit in 0..10u32 {
                        alternatives.push(seq(vec![
                            Expr::Literal(digit.to_string()),
                            Expr::Rule(id((r * 10 + digit) % k, d - 1)),
                        ]));
                    }
                }
                self.rules[id(r, d).0 as usize].body = alt(alternatives);
            }
        }
        let positive = alt((1..10u32)
            .map(|digit| {
                seq(vec![
                    Expr::Literal(digit.to_string()),
                    Expr::Rule(id(digit % k, digits - 1)),
                ])
            })
            .collect());
        let mut alternatives = vec![positive.clone()];
        if zero {
            alternatives.push(Expr::Literal("0".into()));
        }
        if negative {
            alternatives.push(seq(vec![Expr::Literal("-".into()), positive]));
        }
        Ok(alt(alternatives))
    }
}

/// A bound keyword's value as a decimal: integers exactly, other doubles
/// as their shortest decimal (`format!("{}")`). Values past 2^64 are
/// clamped to ±2^64, which leaves every precise spelling on the same side.
fn bound_value(value: &Value) -> Option<numbers::Decimal> {
    const LIMIT: i128 = 1 << 64;
    let number = value.as_number()?;
    if let Some(i) = number.as_i64() {
        return Some(numbers::Decimal::from_i128(i128::from(i)));
    }
    if let Some(u) = number.as_u64() {
        return Some(numbers::Decimal::from_i128(i128::from(u)));
    }
    let f = number.as_f64()?;
    if f.abs() >= LIMIT as f64 || !f.is_finite() {
        return Some(numbers::Decimal::from_i128(if f < 0.0 {
            -LIMIT
        } else {
            LIMIT
        }));
    }
    if f.fract() == 0.0 {
        return Some(numbers::Decimal::from_i128(f as i128));
    }
    numbers::Decimal::parse(&format!("{f}"))
}

/// Bounds on integers: the smallest allowed integer at or above `low`,
/// the largest at or below `high`.
fn integer_bounds(
    low: Option<&numbers::Bound>,
    high: Option<&numbers::Bound>,
) -> (Option<i128>, Option<i128>) {
    let low = low.and_then(|l| {
        let ceil = l.value.ceil()?;
        Some(if !l.inclusive && l.value.is_integer() {
            ceil + 1
        } else {
            ceil
        })
    });
    let high = high.and_then(|h| {
        let floor = h.value.floor()?;
        Some(if !h.inclusive && h.value.is_integer() {
            floor - 1
        } else {
            floor
        })
    });
    (low, high)
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// For `multipleOf` = numerator / 10^places: `q` when every multiple of
/// 2^-q is one too (10^-q, 2^-q), for q up to 8.
fn binary_places(numerator: u128, places: u32) -> Option<u32> {
    let fits = numerator == 1 || Some(numerator) == 5u128.checked_pow(places);
    (fits && places <= 8).then_some(places)
}

/// The fractions c / 2^q (0 < c < 2^q) as decimal digits after the point,
/// trailing zeros dropped, as regex alternatives.
fn binary_fractions(power: u32) -> String {
    (1..1u128 << power)
        .map(|c| {
            let digits = format!("{:0width$}", c * 5u128.pow(power), width = power as usize);
            digits.trim_end_matches('0').to_string()
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Whether the `jsonschema` crate reads `m` as exactly numerator /
/// 10^places: it scales `m` by 10^p, p = 0, 1, ..., until the product is
/// a whole double, and takes that product over 10^p.
fn checker_fraction(m: f64) -> Option<(u128, u32)> {
    let mut p = 0i32;
    let mut scaled = m;
    while (scaled.floor() - scaled).abs() >= f64::EPSILON {
        p += 1;
        scaled = m * 10f64.powi(p);
        if scaled.is_infinite() || p > 30 {
            return None;
        }
    }
    // Reduce N / 10^p by common factors of ten.
    let mut numerator = scaled as u128;
    let mut places = p as u32;
    while places > 0 && numerator % 10 == 0 {
        numerator /= 10;
        places -= 1;
    }
    Some((numerator, places))
}

/// `units` × 10^-places as a plain decimal (`450`, 2 → `4.5`).
fn scaled_text(units: i128, places: u32) -> String {
    let value = numbers::Decimal::from_i128(units);
    value.shifted_down(places).to_string()
}

/// Whether `object` carries the private "not an integer" keyword
/// ([`keywords::NOT_INTEGER`]).
pub(super) fn not_integer(object: &Map<String, Value>) -> bool {
    object.get(keywords::NOT_INTEGER) == Some(&Value::Bool(true))
}
