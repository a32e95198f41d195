//! `enum` and `const`: a finite set of values, each written out.
//!
//! **Why.** A listed value is one literal (numbers in each spelling that
//! reads as the same value, `2` and `2.0`), objects and arrays spelled
//! member by member so whitespace stays free. The other keywords of the
//! schema object only pick among the values, so each value is checked
//! against them by the `jsonschema` crate ([`Compiler::sibling_validator`])
//! instead of being compiled. The private exclusions negation writes ("none
//! of these values", "none of these patterns", [`crate::negate`]) are read
//! here too ([`Exclusions`]), with JSON Schema's equality (numbers by
//! value, [`json_equal`]).
//!
//! **Trade-off.** Checking values with a validator is exact and needs no
//! compiled keyword, but only for the document's own definitions: a
//! sibling `$ref` elsewhere is refused. Sets are capped by
//! [`Options::max_enum_values`](crate::Options::max_enum_values).

use rein_core::automaton::RegexConfig;
use rein_core::grammar::Expr;
use rein_core::ByteDfa;
use serde_json::{json, Map, Value};

use super::layout::Close;
use super::{alt, error, numbers::not_integer, seq, Compiler, Result};
use crate::draft::Draft;
use crate::error::SchemaErrorKind;
use crate::json_text::encode_string;
use crate::validate::Validator;
use crate::{formats, keywords, numbers, pattern};

impl<'a> Compiler<'a> {
    /// A finite set of values, each written out.
    pub(super) fn enumeration(
        &mut self,
        object: &Map<String, Value>,
        values: &[Value],
        types: &[String],
        pointer: &str,
    ) -> Result<Expr> {
        if values.len() > self.limits.enum_values {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "enum",
                format!("more than {} values", self.limits.enum_values),
            ));
        }
        // "Some other key" picks object values by their keys alone.
        let filtered: Vec<Value>;
        let values = match object.get(keywords::SOME_OTHER_KEY) {
            Some(keyword) => {
                let specs: Vec<(Value, Option<Validator>)> =
                    super::objects::some_other_key_specs(Some(keyword))
                        .into_iter()
                        .map(|spec| (spec.clone(), self.value_check(spec)))
                        .collect();
                filtered = values
                    .iter()
                    .filter(|value| has_some_other_key(value, &specs))
                    .cloned()
                    .collect();
                &filtered[..]
            }
            None => values,
        };
        let checked = ["type", "enum", "const", "nullable", "$schema"];
        let mut siblings: Map<String, Value> = object
            .iter()
            .filter(|(keyword, _)| {
                keywords::asserts(keyword)
                    && !checked.contains(&keyword.as_str())
                    && !keyword.starts_with(crate::private_keywords::PREFIX)
            })
            .map(|(keyword, value)| (keyword.clone(), value.clone()))
            .collect();
        let private = [
            keywords::ALSO_PATTERNS,
            keywords::NOT_INTEGER,
            keywords::CONTAINS,
        ];
        if siblings.is_empty() && !private.iter().any(|k| object.contains_key(*k)) {
            return self.enumeration_values(values, types);
        }
        // The other keywords pick among the listed values: each value is
        // checked against them by the `jsonschema` crate.
        let keyword = siblings.keys().next().cloned().unwrap_or_default();
        // Private keywords, written in standard ones of every draft.
        let mut parts: Vec<Value> = Vec::new();
        if let Some(Value::Array(patterns)) = object.get(keywords::ALSO_PATTERNS) {
            parts.extend(patterns.iter().map(|p| json!({ "pattern": p })));
        }
        if let Some(contains) = object.get(keywords::CONTAINS) {
            parts.push(json!({"anyOf": [
                {"not": {"type": "array"}},
                {"not": {"items": {"not": contains}}},
            ]}));
        }
        if !parts.is_empty() {
            match siblings
                .entry("allOf")
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(all_of) => all_of.extend(parts),
                other => {
                    let mut all_of = vec![other.clone()];
                    all_of.extend(parts);
                    *other = Value::Array(all_of);
                }
            }
        }
        if not_integer(object) {
            siblings.insert("not".to_string(), json!({ "type": "integer" }));
        }
        match self.sibling_validator(siblings) {
            Ok(validator) => {
                let kept: Vec<Value> = values
                    .iter()
                    .filter(|value| validator.validate(value).is_ok())
                    .cloned()
                    .collect();
                self.enumeration_values(&kept, types)
            }
            Err(reason) => {
                self.unsupported(
                    pointer,
                    &keyword,
                    format!("rein cannot combine this keyword with `enum`/`const`: {reason}"),
                )?;
                self.enumeration_values(values, types)
            }
        }
    }

    /// A validator for keywords beside an `enum`, with the document's
    /// definitions so their `$ref`s resolve; references elsewhere are
    /// refused.
    fn sibling_validator(
        &self,
        mut siblings: Map<String, Value>,
    ) -> std::result::Result<Validator, String> {
        fn local_references_only(value: &Value) -> bool {
            match value {
                Value::Object(object) => object.iter().all(|(key, item)| {
                    if key == "$ref" {
                        item.as_str().is_some_and(|reference| {
                            reference.starts_with("#/definitions/")
                                || reference.starts_with("#/$defs/")
                        })
                    } else {
                        local_references_only(item)
                    }
                }),
                Value::Array(items) => items.iter().all(local_references_only),
                _ => true,
            }
        }
        if !siblings.values().all(local_references_only) {
            return Err("a `$ref` outside the definitions".into());
        }
        for keyword in ["definitions", "$defs", "$schema"] {
            if let Some(value) = self.root.get(keyword) {
                siblings.insert(keyword.to_string(), value.clone());
            }
        }
        Validator::new(&Value::Object(siblings)).map_err(|error| error.to_string())
    }

    /// The checker of [`SOME_OTHER_KEY`](keywords::SOME_OTHER_KEY)'s value
    /// schema, in the schema's draft and with its definitions; `None` when
    /// it cannot be built.
    fn value_check(&self, spec: &Value) -> Option<Validator> {
        let mut schema = match spec.get("value") {
            None | Some(Value::Bool(true)) => Map::new(),
            Some(Value::Object(schema)) => schema.clone(),
            Some(_) => return None,
        };
        for keyword in ["definitions", "$defs", "$schema"] {
            if let Some(value) = self.root.get(keyword) {
                schema.insert(keyword.to_string(), value.clone());
            }
        }
        Validator::with_default_draft(&Value::Object(schema), self.draft).ok()
    }

    fn enumeration_values(&mut self, values: &[Value], types: &[String]) -> Result<Expr> {
        let mut alternatives = Vec::new();
        for value in values {
            let fits = types.iter().any(|t| match (t.as_str(), value) {
                ("null", Value::Null)
                | ("boolean", Value::Bool(_))
                | ("string", Value::String(_)) => true,
                ("object", Value::Object(_))
                | ("array", Value::Array(_))
                | ("number", Value::Number(_)) => true,
                ("integer", Value::Number(n)) => {
                    n.is_i64()
                        || n.is_u64()
                        || (self.draft != Draft::Draft4
                            && n.as_f64().is_some_and(|f| f.fract() == 0.0))
                }
                _ => false,
            });
            if fits {
                // Draft 4 integers have no fraction: `1.0` is no `integer`.
                let integer_only = self.draft == Draft::Draft4
                    && !types.iter().any(|t| t == "number")
                    && value.is_number();
                if integer_only {
                    alternatives.push(Expr::Literal(value.to_string()));
                } else {
                    alternatives.push(self.literal_value(value));
                }
            }
        }
        Ok(alt(alternatives))
    }

    /// Exactly `value`, with flexible whitespace inside objects and arrays.
    pub(super) fn literal_value(&self, value: &Value) -> Expr {
        match value {
            Value::Object(members) if !members.is_empty() => {
                let mut items = vec![self.punct(false, "{", true)];
                for (index, (key, item)) in members.iter().enumerate() {
                    if index > 0 {
                        items.push(self.comma());
                    }
                    items.push(self.key(key));
                    items.push(self.literal_value(item));
                }
                items.push(self.punct(true, "}", false));
                seq(items)
            }
            Value::Array(entries) if !entries.is_empty() => {
                let mut items = vec![self.punct(false, "[", true)];
                for (index, item) in entries.iter().enumerate() {
                    if index > 0 {
                        items.push(self.comma());
                    }
                    items.push(self.literal_value(item));
                }
                items.push(self.punct(true, "]", false));
                seq(items)
            }
            Value::Object(_) => self.punct(false, "{", false).then_close(self, "}"),
            Value::Array(_) => self.punct(false, "[", false).then_close(self, "]"),
            Value::String(text) => Expr::Literal(encode_string(text)),
            Value::Number(number) => {
                let integral = number.is_i64() || number.is_u64();
                let spelled = match number.as_f64() {
                    Some(f) if !integral => crate::json_text::python_float(f),
                    _ => number.to_string(),
                };
                // JSON Schema compares numbers by value: a whole number is
                // `2` and `2.0` alike. Each spelling is kept only when
                // serde_json reads it as exactly this value.
                let whole = match number.as_f64() {
                    _ if integral => Some(number.to_string()),
                    Some(f) if f.fract() == 0.0 && f.abs() < 1.0e19 => {
                        Some(format!("{}", f as i128))
                    }
                    _ => None,
                };
                let mut spellings = vec![spelled];
                if let Some(whole) = whole {
                    spellings.push(whole.clone());
                    spellings.push(format!("{whole}.0"));
                }
                let mut kept: Vec<String> = Vec::new();
                for text in spellings {
                    let same = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|v| v.as_number().map(|n| numbers_equal(n, number)))
                        .unwrap_or(false);
                    if same && !kept.contains(&text) {
                        kept.push(text);
                    }
                }
                match kept.len() {
                    0 => Expr::Literal(number.to_string()),
                    1 => Expr::Literal(kept.remove(0)),
                    _ => alt(kept.into_iter().map(Expr::Literal).collect()),
                }
            }
            other => Expr::Literal(other.to_string()),
        }
    }
}

/// What the private negation keywords of one schema object exclude
/// ([`keywords::NOT_VALUES`], [`keywords::NOT_PATTERNS`],
/// [`keywords::NOT_FORMATS`]).
pub(super) struct Exclusions {
    pub(super) values: Vec<Value>,
    /// Each pattern (and each format's superset) translated to a regex
    /// over string contents, with its
    /// automaton over the quoted string to test `enum` values against.
    patterns: Vec<(String, ByteDfa)>,
}

impl Exclusions {
    pub(super) fn of(object: &Map<String, Value>, pointer: &str) -> Result<Exclusions> {
        let values = object
            .get(keywords::NOT_VALUES)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut patterns = Vec::new();
        for pattern in object
            .get(keywords::NOT_PATTERNS)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = pattern.as_str().unwrap_or_default();
            let regex = pattern::translate(text)
                .map_err(|message| error(SchemaErrorKind::Unsupported, pointer, "not", message))?;
            let dfa = RegexConfig::new()
                .build(&format!("\"(?:{regex})\""))
                .map_err(|problem| {
                    error(
                        SchemaErrorKind::Unsupported,
                        pointer,
                        "not",
                        format!("cannot compile pattern {text:?}: {problem}"),
                    )
                })?;
            patterns.push((regex, dfa));
        }
        for format in object
            .get(keywords::NOT_FORMATS)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = format.as_str().unwrap_or_default();
            let regex = formats::superset(name).ok_or_else(|| {
                error(
                    SchemaErrorKind::Unsupported,
                    pointer,
                    "format",
                    "rein cannot enforce `not` of this `format`",
                )
            })?;
            let dfa = RegexConfig::new()
                .build(&format!("\"(?:{regex})\""))
                .map_err(|problem| {
                    error(
                        SchemaErrorKind::Limit,
                        pointer,
                        "format",
                        problem.to_string(),
                    )
                })?;
            patterns.push((regex, dfa));
        }
        Ok(Exclusions { values, patterns })
    }

    /// Whether `value` is one of the excluded values.
    pub(super) fn has_value(&self, value: &Value) -> bool {
        self.values
            .iter()
            .any(|excluded| json_equal(excluded, value))
    }

    /// Whether `value` is excluded: listed, or a string matching a pattern.
    pub(super) fn excludes(&self, value: &Value) -> bool {
        if self.has_value(value) {
            return true;
        }
        let Value::String(text) = value else {
            return false;
        };
        let encoded = encode_string(text);
        self.patterns
            .iter()
            .any(|(_, dfa)| dfa.is_accepting(dfa.next_bytes(dfa.start(), encoded.as_bytes())))
    }

    /// Regexes over string contents matching what is excluded from strings.
    pub(super) fn string_regexes(&self) -> Vec<String> {
        let mut regexes: Vec<String> = self.patterns.iter().map(|(r, _)| r.clone()).collect();
        for value in &self.values {
            if let Value::String(text) = value {
                let encoded = encode_string(text);
                let contents = &encoded[1..encoded.len() - 1];
                regexes.push(regex_syntax::escape(contents));
            }
        }
        regexes
    }

    /// Regexes matching every spelling without exponent of the excluded
    /// numbers (`1.5`, `1.50`; `2`, `2.0`; `0`, `-0.0`); `None` when one
    /// of them has no plain decimal form.
    pub(super) fn number_regexes(&self) -> Option<Vec<String>> {
        let mut regexes = Vec::new();
        for value in &self.values {
            let Value::Number(number) = value else {
                continue;
            };
            let decimal = numbers::Decimal::parse(&number.to_string())?;
            let text = regex_syntax::escape(&decimal.to_string());
            regexes.push(if !decimal.is_integer() {
                format!("{text}0*")
            } else if text == "0" {
                r"-?0(?:\.0+)?".to_string()
            } else {
                format!(r"{text}(?:\.0+)?")
            });
        }
        Some(regexes)
    }

    /// Regexes matching the excluded integers as rein spells integers,
    /// with or without a zero fraction (`5`, `5.0`).
    pub(super) fn integer_regexes(&self) -> Vec<String> {
        self.values
            .iter()
            .filter_map(|value| {
                let number = value.as_number()?;
                let digits = if let Some(i) = number.as_i64() {
                    i.to_string()
                } else if let Some(u) = number.as_u64() {
                    u.to_string()
                } else {
                    let f = number.as_f64()?;
                    if f.fract() != 0.0 || f.abs() >= 9e15 {
                        return None;
                    }
                    format!("{}", f as i64)
                };
                Some(format!(r"{digits}(?:\.0+)?"))
            })
            .collect()
    }
}

/// Whether two JSON numbers are equal as the `jsonschema` crate compares
/// them: integers exactly, an integer and a double exactly by value.
fn numbers_equal(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    let exact = |n: &serde_json::Number| -> Option<i128> {
        if let Some(i) = n.as_i64() {
            return Some(i128::from(i));
        }
        if let Some(u) = n.as_u64() {
            return Some(i128::from(u));
        }
        None
    };
    match (exact(a), exact(b), a.as_f64(), b.as_f64()) {
        (Some(x), Some(y), _, _) => x == y,
        (Some(x), None, _, Some(f)) | (None, Some(x), Some(f), _) => {
            f.fract() == 0.0 && f.abs() < 1.0e38 && f as i128 == x
        }
        (None, None, Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// JSON equality as JSON Schema defines it: numbers by value.
pub(super) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, a)| y.get(key).is_some_and(|b| json_equal(a, b)))
        }
        _ => a == b,
    }
}

/// Whether `value` passes [`SOME_OTHER_KEY`](keywords::SOME_OTHER_KEY)'s
/// specs: not an object, or an object with a member of its own for each
/// spec, its value checked by the spec's checker (an unreadable pattern,
/// or a value schema without a checker, drops the value rather than
/// keeping it by mistake).
fn has_some_other_key(value: &Value, specs: &[(Value, Option<Validator>)]) -> bool {
    let Some(object) = value.as_object() else {
        return true;
    };
    let mut asks = Vec::with_capacity(specs.len());
    for (spec, check) in specs {
        let (Ok(other), Some(check)) = (super::objects::OtherKeys::of(spec), check) else {
            return false;
        };
        let fits: Vec<bool> = object
            .iter()
            .map(|(key, member)| other.counts(key) && check.validate(member).is_ok())
            .collect();
        asks.push(fits);
    }
    distinct_members(&asks, &mut vec![false; object.len()])
}

/// Whether each spec in `asks` (which members fit it) can have a member
/// of its own, none of them `taken`.
fn distinct_members(asks: &[Vec<bool>], taken: &mut Vec<bool>) -> bool {
    let Some((first, rest)) = asks.split_first() else {
        return true;
    };
    for member in 0..taken.len() {
        if first[member] && !taken[member] {
            taken[member] = true;
            let found = distinct_members(rest, taken);
            taken[member] = false;
            if found {
                return true;
            }
        }
    }
    false
}
