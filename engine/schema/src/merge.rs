//! `allOf`: merging schema objects into one by intersecting keywords.
//!
//! Merging is exact for the keywords it knows — types intersect, bounds
//! tighten, `required` and `enum` combine, a property named in several
//! parts gets an `allOf` of their schemas, `additionalProperties: false` on
//! one part forbids the other parts' extra properties, two `pattern`s both
//! hold ([`ALSO_PATTERNS`]), `patternProperties` unite when no part limits
//! its other keys — and refuses the rest (two tuple `items`, two
//! `multipleOf`s) with an error naming the keyword. `anyOf`/`oneOf` are
//! kept as groups for the compiler to distribute over. Keywords that assert
//! nothing (annotations, extensions) keep the first part's value.

use serde_json::{json, Map, Value};

use crate::keywords::{ALSO_PATTERNS, NOT_FORMATS, NOT_PATTERNS, NOT_VALUES, SOME_OTHER_KEY};
use crate::values::{is_trivial, type_names};

/// Why two keywords could not be merged.
pub struct Conflict {
    /// The keyword.
    pub keyword: String,
    /// Why.
    pub reason: String,
}

fn conflict(keyword: &str, reason: impl Into<String>) -> Conflict {
    Conflict {
        keyword: keyword.to_string(),
        reason: reason.into(),
    }
}

/// Both `a` and `b` must hold: a schema object requiring both.
pub fn merge(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> Result<Map<String, Value>, Conflict> {
    let mut out = a.clone();
    // Two different `const` values: nothing matches.
    let mut contradiction = false;
    // `pattern`s beyond the first, gathered into `ALSO_PATTERNS`.
    let mut extra_patterns: Vec<Value> = Vec::new();
    let tuples = merge_tuples(a, b)?;
    for (key, right) in b {
        if tuples.is_some() && matches!(key.as_str(), "prefixItems" | "items" | "additionalItems") {
            continue;
        }
        let Some(left) = a.get(key) else {
            out.insert(key.clone(), right.clone());
            continue;
        };
        if left == right {
            continue;
        }
        let merged = match key.as_str() {
            "type" => {
                let types = intersect_types(left, right);
                Value::Array(types.into_iter().map(Value::String).collect())
            }
            "required" | NOT_VALUES | NOT_PATTERNS | NOT_FORMATS => {
                let mut items: Vec<Value> = left.as_array().cloned().unwrap_or_default();
                for item in right.as_array().into_iter().flatten() {
                    if !items.contains(item) {
                        items.push(item.clone());
                    }
                }
                Value::Array(items)
            }
            "minimum" | "minLength" | "minItems" | "minProperties" | "exclusiveMinimum"
                if left.is_number() && right.is_number() =>
            {
                if as_f64(left) >= as_f64(right) {
                    left.clone()
                } else {
                    right.clone()
                }
            }
            "maximum" | "maxLength" | "maxItems" | "maxProperties" | "exclusiveMaximum"
                if left.is_number() && right.is_number() =>
            {
                if as_f64(left) <= as_f64(right) {
                    left.clone()
                } else {
                    right.clone()
                }
            }
            "enum" => {
                let right = right.as_array().cloned().unwrap_or_default();
                Value::Array(
                    left.as_array()
                        .into_iter()
                        .flatten()
                        .filter(|v| right.contains(v))
                        .cloned()
                        .collect(),
                )
            }
            "const" => {
                contradiction = true;
                left.clone()
            }
            // Multiples of both integers are the multiples of their least
            // common multiple.
            "multipleOf"
                if left.as_u64().is_some_and(|l| l > 0)
                    && right.as_u64().is_some_and(|r| r > 0) =>
            {
                let (l, r) = (left.as_u64().unwrap_or(1), right.as_u64().unwrap_or(1));
                match (l / gcd(l, r)).checked_mul(r) {
                    Some(lcm) => Value::from(lcm),
                    None => {
                        return Err(conflict(key, "the least common multiple overflows 64 bits"))
                    }
                }
            }
            "properties" => Value::Object(merge_schema_maps(left, right)),
            "items" if left.is_object() || left.is_boolean() => all_of(left, right),
            "additionalProperties" | "propertyNames" | "not" => {
                if key == "not" {
                    Value::Object(Map::from_iter([(
                        "anyOf".to_string(),
                        Value::Array(vec![left.clone(), right.clone()]),
                    )]))
                } else {
                    all_of(left, right)
                }
            }
            "pattern" => {
                extra_patterns.push(right.clone());
                continue;
            }
            ALSO_PATTERNS => {
                extra_patterns.extend(right.as_array().into_iter().flatten().cloned());
                continue;
            }
            "patternProperties" if trivial_extras(a) && trivial_extras(b) => {
                Value::Object(merge_schema_maps(left, right))
            }
            // A member for each part's spec: one member for both, or two
            // members; the choice is an `anyOf` group.
            SOME_OTHER_KEY => {
                let group = some_member_of_both(left, right).ok_or_else(|| {
                    conflict(
                        key,
                        "rein asks for members of two kinds only once per object",
                    )
                })?;
                let mut parts = out
                    .get("allOf")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                parts.push(group);
                out.insert("allOf".to_string(), Value::Array(parts));
                out.remove(key);
                continue;
            }
            "anyOf" | "oneOf" => {
                // Keep both groups: the second becomes an `allOf` part.
                let mut parts = out
                    .get("allOf")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                parts.push(Value::Object(Map::from_iter([(
                    key.clone(),
                    right.clone(),
                )])));
                out.insert("allOf".to_string(), Value::Array(parts));
                continue;
            }
            // Annotations and extensions assert nothing.
            _ if !crate::keywords::asserts(key) => continue,
            _ => {
                return Err(conflict(
                    key,
                    "two parts of `allOf` give different values and rein cannot intersect them",
                ))
            }
        };
        out.insert(key.clone(), merged);
    }
    if contradiction {
        out.insert("enum".to_string(), Value::Array(Vec::new()));
    }
    if let Some(tuples) = tuples {
        for key in ["prefixItems", "items", "additionalItems"] {
            out.remove(key);
        }
        out.extend(tuples);
    }
    if !extra_patterns.is_empty() {
        let mut patterns: Vec<Value> = out
            .get(ALSO_PATTERNS)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for pattern in extra_patterns {
            if !patterns.contains(&pattern) && out.get("pattern") != Some(&pattern) {
                patterns.push(pattern);
            }
        }
        out.insert(ALSO_PATTERNS.to_string(), Value::Array(patterns));
    }
    // `additionalProperties` of one part constrains the other's properties.
    if let Some(Value::Object(properties)) = out.get("properties").cloned() {
        let mut properties = properties;
        for (name, schema) in properties.iter_mut() {
            for part in [a, b] {
                let declared = part
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| p.contains_key(name));
                if declared || part.contains_key("patternProperties") {
                    continue;
                }
                if let Some(extra) = part.get("additionalProperties") {
                    *schema = all_of(schema, extra);
                }
            }
        }
        out.insert("properties".to_string(), Value::Object(properties));
    }
    if a.contains_key("patternProperties")
        && b.contains_key("patternProperties")
        && !(trivial_extras(a) && trivial_extras(b))
    {
        return Err(conflict(
            "patternProperties",
            "`allOf` parts each with `patternProperties`",
        ));
    }
    for (with, without) in [(a, b), (b, a)] {
        if with.contains_key("patternProperties") {
            pattern_properties_merge(with, without)?;
        }
    }
    Ok(out)
}

/// The array keywords of two parts, merged position by position, when
/// either part has a tuple (`prefixItems`, or `items` as an array before
/// 2020-12); `None` when neither has one.
///
/// Which schema applies to an element depends on neighbouring keywords:
/// a part's `items` (2020-12) or `additionalItems` (before) covers only
/// the elements past that same part's tuple. So the parts' keywords cannot
/// be merged one by one; each part is read as "schema of element `i`" and
/// "schema of every later element", and those are intersected.
fn merge_tuples(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> Result<Option<Map<String, Value>>, Conflict> {
    let legacy = [a, b]
        .iter()
        .any(|part| part.get("items").is_some_and(Value::is_array));
    let modern = [a, b].iter().any(|part| part.contains_key("prefixItems"));
    let (tuple_key, rest_key) = match (legacy, modern) {
        (false, false) => return Ok(None),
        (true, true) => {
            return Err(conflict(
                "prefixItems",
                "`allOf` parts with both `prefixItems` and an array of `items`",
            ))
        }
        (true, false) => ("items", "additionalItems"),
        (false, true) => ("prefixItems", "items"),
    };
    // A part as (schemas of the first elements, schema of the rest).
    let view = |part: &Map<String, Value>| -> (Vec<Value>, Value) {
        let tuple = part.get(tuple_key).and_then(Value::as_array);
        let rest = if legacy && tuple.is_none() {
            // Before 2020-12, `items` as a schema covers every element and
            // `additionalItems` means nothing.
            part.get("items")
        } else {
            part.get(rest_key)
        };
        (
            tuple.cloned().unwrap_or_default(),
            rest.cloned().unwrap_or(Value::Bool(true)),
        )
    };
    let ((tuple_a, rest_a), (tuple_b, rest_b)) = (view(a), view(b));
    let tuple = (0..tuple_a.len().max(tuple_b.len()))
        .map(|index| {
            all_of(
                tuple_a.get(index).unwrap_or(&rest_a),
                tuple_b.get(index).unwrap_or(&rest_b),
            )
        })
        .collect();
    let mut out = Map::new();
    out.insert(tuple_key.to_string(), Value::Array(tuple));
    let rest = all_of(&rest_a, &rest_b);
    if rest != Value::Bool(true) {
        out.insert(rest_key.to_string(), rest);
    }
    Ok(Some(out))
}

/// Whether `part` lets keys outside its `properties`/`patternProperties`
/// be anything (no `additionalProperties`, or a trivial one).
fn trivial_extras(part: &Map<String, Value>) -> bool {
    part.get("additionalProperties").is_none_or(is_trivial)
}

/// Whether `with`'s `patternProperties` survive merging with `without`
/// exactly. A key matching one of the patterns gets only the patterns'
/// schemas in the merged object, so `without`'s `additionalProperties`
/// must allow anything; and `with`'s own `additionalProperties`, which
/// applies to `without`'s names exactly when no pattern matches them, is
/// refused for them too (the merge cannot tell which names match).
fn pattern_properties_merge(
    with: &Map<String, Value>,
    without: &Map<String, Value>,
) -> Result<(), Conflict> {
    if !trivial_extras(without) {
        return Err(conflict(
            "patternProperties",
            "an `allOf` part with `patternProperties` and another with `additionalProperties`",
        ));
    }
    let declared = |part: &Map<String, Value>, name: &str| {
        part.get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.contains_key(name))
    };
    let names_elsewhere = without
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.keys().any(|name| !declared(with, name)));
    if !trivial_extras(with) && names_elsewhere {
        return Err(conflict(
            "patternProperties",
            "an `allOf` part with `patternProperties` and `additionalProperties` and another \
             declaring properties it does not",
        ));
    }
    Ok(())
}

/// Two maps from names to schemas (`properties`, `patternProperties`) as
/// one: a name in both gets the `allOf` of its two schemas.
fn merge_schema_maps(left: &Value, right: &Value) -> Map<String, Value> {
    let mut out = left.as_object().cloned().unwrap_or_default();
    for (name, schema) in right.as_object().into_iter().flatten() {
        let merged = match out.get(name) {
            Some(existing) if existing == schema => schema.clone(),
            Some(existing) => all_of(existing, schema),
            None => schema.clone(),
        };
        out.insert(name.clone(), merged);
    }
    out
}

/// Both [`SOME_OTHER_KEY`] specs `a` and `b` (single, unmarked ones):
/// `{"anyOf": [one member both ask for, a member for each]}`; `None` for
/// lists or marked specs.
fn some_member_of_both(a: &Value, b: &Value) -> Option<Value> {
    let (a, b) = (a.as_object()?, b.as_object()?);
    if [a, b].iter().any(|spec| spec.contains_key("extra")) {
        return None;
    }
    let joined = |key: &str| -> Value {
        let mut items: Vec<Value> = Vec::new();
        for spec in [a, b] {
            for item in spec
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !items.contains(item) {
                    items.push(item.clone());
                }
            }
        }
        Value::Array(items)
    };
    let value = |spec: &Map<String, Value>| spec.get("value").cloned().unwrap_or(Value::Bool(true));
    let both = json!({
        "names": joined("names"),
        "patterns": joined("patterns"),
        "within": joined("within"),
        "value": all_of(&value(a), &value(b)),
    });
    Some(json!({"anyOf": [
        { SOME_OTHER_KEY: both },
        { SOME_OTHER_KEY: [a, b] },
    ]}))
}

/// `{"allOf": [a, b]}`, skipping `true`.
pub fn all_of(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Bool(true), x) | (x, Value::Bool(true)) => x.clone(),
        _ => Value::Object(Map::from_iter([(
            "allOf".to_string(),
            Value::Array(vec![a.clone(), b.clone()]),
        )])),
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn as_f64(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

fn intersect_types(a: &Value, b: &Value) -> Vec<String> {
    let (a, b) = (type_names(a), type_names(b));
    let mut out = Vec::new();
    for x in &a {
        for y in &b {
            let meet = match (x.as_str(), y.as_str()) {
                (x, y) if x == y => Some(x),
                ("number", "integer") | ("integer", "number") => Some("integer"),
                _ => None,
            };
            if let Some(meet) = meet {
                if !out.iter().any(|t: &String| t == meet) {
                    out.push(meet.to_string());
                }
            }
        }
    }
    out
}
