//! `not`, `oneOf` and `if`/`then`/`else`: rewriting a negated schema into
//! positive keywords.
//!
//! A grammar cannot subtract one language from another in general, but a
//! JSON Schema object is a conjunction of keywords, and most keywords have a
//! complement that is again a schema: the negation of `{"minLength": 3}` is
//! "a string of at most 2 characters", the negation of `{"required": ["a"]}`
//! is "an object without `a`" (`properties: {a: false}`), the negation of
//! `{"properties": {"a": S}}` is "an object whose `a` is present and
//! matches `not S`". By De Morgan a negated object becomes an `anyOf` of
//! its negated keywords, a negated `anyOf` an `allOf` of negated branches,
//! and so on down; the compiler then merges and distributes the result like
//! any other schema, so the rewrite is exact.
//!
//! Two complements have no keyword of their own, so the rewrite uses
//! private keywords the compiler understands ([`NOT_VALUES`],
//! [`NOT_PATTERNS`]): "none of these values" and "a string matching none of
//! these patterns", which become automaton differences.
//!
//! What has no finite complement here — `uniqueItems`, `contains`,
//! `multipleOf`, `format`, `propertyNames`, `additionalProperties`, array
//! `items` — is refused with the keyword's name. The trade-off is size:
//! every negated keyword is one more `anyOf` branch, and `oneOf` over `n`
//! overlapping branches becomes `n` branches each carrying `n - 1`
//! negations, so both are capped ([`MAX_BRANCHES`], [`MAX_DEPTH`]).

use serde_json::{json, Map, Value};

use crate::draft::Draft;
use crate::formats::{self, FormatRegex};
use crate::keywords::{
    ALSO_PATTERNS, CONTAINS, NOT_FORMATS, NOT_INTEGER, NOT_PATTERNS, NOT_VALUES, SOME_OTHER_KEY,
};
use crate::values::{is_trivial, type_names};

/// The most `anyOf` branches one negation may produce.
pub const MAX_BRANCHES: usize = 64;

/// How deep negations may nest through `$ref`s, `not`s and combinators.
pub const MAX_DEPTH: usize = 16;

/// The most branches of a `oneOf` rewritten with negations.
pub const MAX_ONE_OF_BRANCHES: usize = 8;

/// A keyword whose negation rein cannot write as a schema.
#[derive(Debug)]
pub struct Refusal {
    /// The keyword.
    pub keyword: String,
    /// Why.
    pub reason: String,
}

fn refuse(keyword: &str, reason: impl Into<String>) -> Refusal {
    Refusal {
        keyword: keyword.to_string(),
        reason: reason.into(),
    }
}

/// The JSON types, `integer` being part of `number`.
const TYPES: [&str; 6] = ["null", "boolean", "object", "array", "string", "number"];

/// Rewrites `not` over one document: resolves `$ref`s with `resolve`.
pub struct Negator<'r> {
    draft: Draft,
    resolve: &'r dyn Fn(&str) -> Result<Value, String>,
}

impl<'r> Negator<'r> {
    /// A negator for a document of `draft` whose references `resolve`
    /// looks up.
    pub fn new(draft: Draft, resolve: &'r dyn Fn(&str) -> Result<Value, String>) -> Negator<'r> {
        Negator { draft, resolve }
    }

    /// A schema matching exactly the values `schema` does not match.
    pub fn negate(&self, schema: &Value) -> Result<Value, Refusal> {
        self.negate_at(schema, 0)
    }

    /// `oneOf` as an `anyOf` whose branches exclude each other: branch `i`
    /// also requires `not` every other branch.
    pub fn exclusive_branches(&self, branches: &[Value]) -> Result<Vec<Value>, Refusal> {
        if branches.len() > MAX_ONE_OF_BRANCHES {
            return Err(refuse(
                "oneOf",
                format!("more than {MAX_ONE_OF_BRANCHES} overlapping branches to make exclusive"),
            ));
        }
        let negated = branches
            .iter()
            .map(|branch| self.negate_at(branch, 1))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(branches
            .iter()
            .enumerate()
            .map(|(i, branch)| {
                let mut parts = vec![branch.clone()];
                parts.extend(
                    negated
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, n)| n.clone()),
                );
                all_of(parts)
            })
            .collect())
    }

    /// `if`/`then`/`else` as `anyOf: [if ∧ then, not if ∧ else]`.
    pub fn conditional(
        &self,
        condition: &Value,
        then: Option<&Value>,
        otherwise: Option<&Value>,
    ) -> Result<Value, Refusal> {
        let then = then.cloned().unwrap_or(Value::Bool(true));
        let otherwise = otherwise.cloned().unwrap_or(Value::Bool(true));
        let negated = self.negate_at(condition, 1)?;
        Ok(any_of(vec![
            all_of(vec![condition.clone(), then]),
            all_of(vec![negated, otherwise]),
        ]))
    }

    fn negate_at(&self, schema: &Value, depth: usize) -> Result<Value, Refusal> {
        if depth > MAX_DEPTH {
            return Err(refuse(
                "not",
                format!(
                    "negations nest more than {MAX_DEPTH} deep (a recursive schema under `not`?)"
                ),
            ));
        }
        let object = match schema {
            Value::Bool(b) => return Ok(Value::Bool(!b)),
            Value::Object(object) => object,
            _ => return Err(refuse("not", "a schema must be an object or a boolean")),
        };
        let mut branches: Vec<Value> = Vec::new();
        if let Some(reference) = object.get("$ref") {
            let reference = reference
                .as_str()
                .ok_or_else(|| refuse("$ref", "`$ref` must be a string"))?;
            let target = (self.resolve)(reference).map_err(|reason| refuse("$ref", reason))?;
            if !self.draft.ref_has_siblings() {
                return self.negate_at(&target, depth + 1);
            }
            branches.push(self.negate_at(&target, depth + 1)?);
        }
        let draft4 = self.draft == Draft::Draft4;
        for (keyword, value) in object {
            // Keywords of a later draft assert nothing in this one.
            if !self.draft.defines(keyword) {
                continue;
            }
            match keyword.as_str() {
                "$ref" | "then" | "else" | "nullable" => {}
                "type" => {
                    let mut named = type_names(value);
                    if object.get("nullable") == Some(&Value::Bool(true)) {
                        named.push("null".into());
                    }
                    let integer_only = named.iter().any(|t| t == "integer")
                        && !named.iter().any(|t| t == "number");
                    let rest: Vec<Value> = TYPES
                        .iter()
                        .filter(|t| {
                            !named.iter().any(|n| n == *t) && (**t != "number" || !integer_only)
                        })
                        .map(|t| Value::String(t.to_string()))
                        .collect();
                    branches.push(json!({ "type": rest }));
                    if integer_only {
                        // The numbers that are not integers.
                        branches.push(json!({ "type": "number", NOT_INTEGER: true }));
                    }
                }
                "enum" => {
                    let values = value
                        .as_array()
                        .ok_or_else(|| refuse("enum", "`enum` must be an array"))?;
                    branches.push(json!({ NOT_VALUES: values }));
                }
                "const" => branches.push(json!({ NOT_VALUES: [value] })),
                "required" => {
                    for name in value.as_array().into_iter().flatten() {
                        let name = name
                            .as_str()
                            .ok_or_else(|| refuse("required", "names must be strings"))?;
                        branches.push(json!({
                            "type": "object",
                            "properties": { name: false },
                        }));
                    }
                }
                "properties" => {
                    let properties = value
                        .as_object()
                        .ok_or_else(|| refuse("properties", "must be an object"))?;
                    for (name, property) in properties {
                        let negated = self.negate_at(property, depth + 1)?;
                        if negated == Value::Bool(false) {
                            continue;
                        }
                        branches.push(json!({
                            "type": "object",
                            "required": [name],
                            "properties": { name: negated },
                        }));
                    }
                }
                "additionalProperties"
                | "items"
                | "additionalItems"
                | "propertyNames"
                | "unevaluatedProperties"
                | "unevaluatedItems"
                    if is_trivial(value) => {}
                "minProperties" | "minItems" | "minLength" => {
                    let n = count(keyword, value)?;
                    if n > 0 {
                        let (ty, max) = bounded_type(keyword);
                        branches.push(json!({ "type": ty, max: n - 1 }));
                    }
                }
                "maxProperties" | "maxItems" | "maxLength" => {
                    let n = count(keyword, value)?;
                    let (ty, min) = bounded_type(keyword);
                    // Nothing has more than `u64::MAX` of anything: no branch.
                    if let Some(above) = n.checked_add(1) {
                        branches.push(json!({ "type": ty, min: above }));
                    }
                }
                "minimum" | "maximum" => {
                    // Below a minimum, or above a maximum; with draft 4's
                    // boolean exclusive flag the bound itself is outside too.
                    let (flag, inclusive, exclusive) = if keyword == "minimum" {
                        ("exclusiveMinimum", "maximum", "exclusiveMaximum")
                    } else {
                        ("exclusiveMaximum", "minimum", "exclusiveMinimum")
                    };
                    let flagged = draft4 && object.get(flag) == Some(&Value::Bool(true));
                    let bound = if flagged { inclusive } else { exclusive };
                    branches.push(number_bound(bound, value)?);
                }
                "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => {}
                "exclusiveMinimum" => branches.push(number_bound("maximum", value)?),
                "exclusiveMaximum" => branches.push(number_bound("minimum", value)?),
                "pattern" => {
                    let pattern = value
                        .as_str()
                        .ok_or_else(|| refuse("pattern", "`pattern` must be a string"))?;
                    branches.push(json!({ "type": "string", NOT_PATTERNS: [pattern] }));
                }
                "uniqueItems" if value == &Value::Bool(false) => {}
                "contains" | CONTAINS => {
                    // No item matches (at least one must, by default).
                    let least = match object.get("minContains") {
                        Some(n) if self.draft.defines("minContains") => count("minContains", n)?,
                        _ => 1,
                    };
                    let bounded_above =
                        object.contains_key("maxContains") && self.draft.defines("maxContains");
                    if bounded_above || least > 1 {
                        return Err(refuse(
                            "contains",
                            "rein cannot enforce `not` of `contains` with `minContains` above 1 \
                             or `maxContains`",
                        ));
                    }
                    if least == 1 {
                        branches.push(json!({"type": "array", "items": {"not": value}}));
                    }
                }
                // Read with `contains`; alone they assert nothing.
                "minContains" | "maxContains" => {}
                "prefixItems" | "items"
                    if value.is_array()
                        && (keyword == "prefixItems") == self.draft.defines("prefixItems") =>
                {
                    // Some item of the tuple fails its schema.
                    for (index, item) in array(keyword, value)?.iter().enumerate() {
                        let negated = self.negate_at(item, depth + 1)?;
                        if negated == Value::Bool(false) {
                            continue;
                        }
                        let mut tuple = vec![Value::Bool(true); index];
                        tuple.push(negated);
                        branches.push(json!({
                            "type": "array", "minItems": index + 1, keyword: tuple,
                        }));
                    }
                }
                "items" if !object.contains_key("prefixItems") && !value.is_array() => {
                    // Some item fails `items`.
                    let negated = self.negate_at(value, depth + 1)?;
                    let contains = if self.draft.defines("contains") {
                        "contains"
                    } else {
                        CONTAINS
                    };
                    if negated != Value::Bool(false) {
                        branches.push(json!({"type": "array", contains: negated}));
                    }
                }
                "not" => branches.push(value.clone()),
                // One of the values after all.
                NOT_VALUES => branches.push(json!({ "enum": value })),
                // A string matching one of the patterns after all.
                NOT_PATTERNS => {
                    for pattern in array(keyword, value)? {
                        branches.push(json!({ "type": "string", "pattern": pattern }));
                    }
                }
                // A string failing one of the patterns.
                ALSO_PATTERNS => {
                    for pattern in array(keyword, value)? {
                        branches.push(json!({ "type": "string", NOT_PATTERNS: [pattern] }));
                    }
                }
                // Not a non-integer: an integer.
                NOT_INTEGER if value == &Value::Bool(true) => {
                    branches.push(json!({"type": "integer"}));
                }
                "anyOf" => {
                    let parts = array(keyword, value)?
                        .iter()
                        .map(|branch| self.negate_at(branch, depth + 1))
                        .collect::<Result<Vec<_>, _>>()?;
                    branches.push(all_of(parts));
                }
                "allOf" => {
                    for part in array(keyword, value)? {
                        branches.push(self.negate_at(part, depth + 1)?);
                    }
                }
                "oneOf" => {
                    // Not exactly one: none, or some two at once.
                    let parts = array(keyword, value)?;
                    if parts.len() > MAX_ONE_OF_BRANCHES {
                        return Err(refuse(
                            "oneOf",
                            format!(
                                "`not` of a `oneOf` with more than {MAX_ONE_OF_BRANCHES} branches"
                            ),
                        ));
                    }
                    let negated = parts
                        .iter()
                        .map(|branch| self.negate_at(branch, depth + 1))
                        .collect::<Result<Vec<_>, _>>()?;
                    branches.push(all_of(negated));
                    for i in 0..parts.len() {
                        for j in i + 1..parts.len() {
                            branches.push(all_of(vec![parts[i].clone(), parts[j].clone()]));
                        }
                    }
                }
                "if" => {
                    // not ((if ∧ then) ∨ (¬if ∧ else)) = (if ∧ ¬then) ∨ (¬if ∧ ¬else).
                    let negated_if = self.negate_at(value, depth + 1)?;
                    if let Some(then) = object.get("then") {
                        let negated = self.negate_at(then, depth + 1)?;
                        branches.push(all_of(vec![value.clone(), negated]));
                    }
                    if let Some(otherwise) = object.get("else") {
                        let negated = self.negate_at(otherwise, depth + 1)?;
                        branches.push(all_of(vec![negated_if, negated]));
                    }
                }
                "dependentRequired" => {
                    self.negate_dependencies(value, true, depth, &mut branches)?
                }
                "dependentSchemas" => {
                    self.negate_dependencies(value, false, depth, &mut branches)?
                }
                "dependencies" => {
                    let map = value
                        .as_object()
                        .ok_or_else(|| refuse("dependencies", "must be an object"))?;
                    for (name, dependency) in map {
                        let single =
                            Value::Object(Map::from_iter([(name.clone(), dependency.clone())]));
                        self.negate_dependencies(
                            &single,
                            dependency.is_array(),
                            depth,
                            &mut branches,
                        )?;
                    }
                }
                // Not "every key is a name S accepts": some key S rejects.
                // Written where the rejected names are a finite list: an
                // object with one of them (or with any key at all, when S
                // is `false`).
                "propertyNames" if some_names(value).is_some() => match some_names(value) {
                    Some(None) => branches.push(json!({"type": "object", "minProperties": 1})),
                    Some(Some(names)) => {
                        for name in names {
                            branches.push(json!({"type": "object", "required": [name]}));
                        }
                    }
                    None => {}
                },
                // Not "every key matching a pattern has a value its schema
                // accepts": some key matching one whose value the schema
                // rejects (patterns whose schemas allow anything only name
                // keys for `additionalProperties`).
                "patternProperties" if value.is_object() => {
                    for (pattern, schema) in value.as_object().into_iter().flatten() {
                        if is_trivial(schema) {
                            continue;
                        }
                        branches.push(json!({
                            "type": "object",
                            SOME_OTHER_KEY: {
                                "names": [],
                                "patterns": [],
                                "within": [pattern],
                                "value": {"not": schema},
                            },
                        }));
                    }
                }
                // Not "every other key has a value S accepts": some key that
                // is neither a property nor matches a pattern, whose value
                // S rejects (any value, when S is `false`).
                "additionalProperties" if !is_trivial(value) => {
                    let keys = |keyword: &str| -> Vec<Value> {
                        object
                            .get(keyword)
                            .and_then(Value::as_object)
                            .map(|map| map.keys().map(|k| Value::String(k.clone())).collect())
                            .unwrap_or_default()
                    };
                    let mut spec = json!({
                        "names": keys("properties"),
                        "patterns": keys("patternProperties"),
                    });
                    if value != &Value::Bool(false) {
                        spec["value"] = json!({ "not": value });
                    }
                    branches.push(json!({ "type": "object", SOME_OTHER_KEY: spec }));
                }
                // A string the format's checker rejects, written as one
                // outside a regex matching all it accepts; an unknown
                // format is an annotation, which nothing fails.
                "format" => match value.as_str().map(|name| (name, formats::regex(name))) {
                    Some((_, FormatRegex::Annotation)) => {}
                    Some((name, FormatRegex::Enforced(_))) if formats::superset(name).is_some() => {
                        branches.push(json!({ "type": "string", NOT_FORMATS: [name] }));
                    }
                    _ => {
                        return Err(refuse(
                            keyword,
                            "rein cannot enforce `not` of this `format`",
                        ))
                    }
                },
                // Not "some member the keyword asks for": an object whose
                // members it asks about all fail its value schema, written
                // with the member keywords (which treat names before
                // patterns before the rest, as the keyword does).
                SOME_OTHER_KEY => branches.push(no_member_of(value).ok_or_else(|| {
                    refuse(keyword, format!("rein cannot enforce `not` of `{keyword}`"))
                })?),
                "uniqueItems"
                | "multipleOf"
                | NOT_FORMATS
                | "propertyNames"
                | "additionalProperties"
                | "patternProperties"
                | "items"
                | "prefixItems"
                | "additionalItems"
                | "unevaluatedProperties"
                | "unevaluatedItems"
                | "$dynamicRef"
                | "$recursiveRef" => {
                    return Err(refuse(
                        keyword,
                        format!("rein cannot enforce `not` of `{keyword}`"),
                    ))
                }
                _ => {} // An annotation or an extension: no constraint.
            }
            if branches.len() > MAX_BRANCHES {
                return Err(refuse(
                    "not",
                    format!("the negation needs more than {MAX_BRANCHES} branches"),
                ));
            }
        }
        Ok(any_of(branches))
    }

    /// `not` of dependencies: an object with the named property whose
    /// dependents are missing (`required`) or whose dependent schema fails.
    fn negate_dependencies(
        &self,
        map: &Value,
        required: bool,
        depth: usize,
        branches: &mut Vec<Value>,
    ) -> Result<(), Refusal> {
        let keyword = if required {
            "dependentRequired"
        } else {
            "dependentSchemas"
        };
        let map = map
            .as_object()
            .ok_or_else(|| refuse(keyword, "must be an object"))?;
        for (name, dependency) in map {
            let present = json!({ "type": "object", "required": [name] });
            if required {
                for dependent in dependency.as_array().into_iter().flatten() {
                    let dependent = dependent
                        .as_str()
                        .ok_or_else(|| refuse(keyword, "names must be strings"))?;
                    branches.push(all_of(vec![
                        present.clone(),
                        json!({ "properties": { dependent: false } }),
                    ]));
                }
            } else {
                let negated = self.negate_at(dependency, depth + 1)?;
                branches.push(all_of(vec![present, negated]));
            }
        }
        Ok(())
    }
}

fn count(keyword: &str, value: &Value) -> Result<u64, Refusal> {
    match (value.as_u64(), value.as_f64()) {
        (Some(n), _) => Ok(n),
        (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(f as u64),
        _ => Err(refuse(keyword, "must be a non-negative integer")),
    }
}

/// The type a count keyword applies to, and the opposite keyword.
fn bounded_type(keyword: &str) -> (&'static str, &'static str) {
    match keyword {
        "minProperties" => ("object", "maxProperties"),
        "maxProperties" => ("object", "minProperties"),
        "minItems" => ("array", "maxItems"),
        "maxItems" => ("array", "minItems"),
        "minLength" => ("string", "maxLength"),
        _ => ("string", "minLength"),
    }
}

fn number_bound(bound: &str, value: &Value) -> Result<Value, Refusal> {
    if !value.is_number() {
        return Err(refuse(bound, "must be a number"));
    }
    Ok(json!({ "type": "number", bound: value }))
}

fn array<'v>(keyword: &str, value: &'v Value) -> Result<&'v Vec<Value>, Refusal> {
    value
        .as_array()
        .ok_or_else(|| refuse(keyword, format!("`{keyword}` must be an array")))
}

/// Every one of `parts`; `true` parts dropped, a `false` part wins.
pub fn all_of(parts: Vec<Value>) -> Value {
    combination("allOf", parts, true)
}

/// Any one of `branches`; `false` branches dropped, a `true` branch wins.
pub fn any_of(branches: Vec<Value>) -> Value {
    combination("anyOf", branches, false)
}

/// `{keyword: schemas}` without the boolean schemas that change nothing
/// (`neutral`), and the absorbing one (`!neutral`) if any is there.
fn combination(keyword: &str, schemas: Vec<Value>, neutral: bool) -> Value {
    let mut kept = Vec::with_capacity(schemas.len());
    for schema in schemas {
        match schema {
            Value::Bool(b) if b == neutral => {}
            Value::Bool(_) => return Value::Bool(!neutral),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => Value::Bool(neutral),
        1 => kept.pop().unwrap_or(Value::Bool(neutral)),
        _ => json!({ keyword: kept }),
    }
}

/// The key names a `propertyNames` schema rejects, when it rejects only a
/// finite list of them: `Some(None)` for `false` (every name),
/// `Some(Some(names))` for `{"not": {"const": ..}}` or `{"not": {"enum":
/// [..]}}` (non-strings name no key); `None` otherwise.
fn some_names(schema: &Value) -> Option<Option<Vec<String>>> {
    if schema == &Value::Bool(false) {
        return Some(None);
    }
    let object = schema.as_object()?;
    let negated = object.get("not")?.as_object()?;
    if object.len() != 1 || negated.len() != 1 {
        return None;
    }
    let values = match (negated.get("const"), negated.get("enum")) {
        (Some(value), None) => vec![value.clone()],
        (None, Some(Value::Array(values))) => values.clone(),
        _ => return None,
    };
    Some(Some(
        values
            .iter()
            .filter_map(|value| value.as_str().map(String::from))
            .collect(),
    ))
}

/// The objects in which no member is one that `spec` (the value of
/// [`SOME_OTHER_KEY`]) asks for; `None` for a value no standard keywords
/// write: a list of specs, a spec marked `extra`, or one whose `within`
/// has several patterns or sits beside names or patterns.
fn no_member_of(spec: &Value) -> Option<Value> {
    let spec = spec.as_object()?;
    if spec.get("extra") == Some(&Value::Bool(true)) {
        return None;
    }
    let value = spec.get("value").cloned().unwrap_or(Value::Bool(true));
    let fails = if is_trivial(&value) {
        Value::Bool(false)
    } else {
        json!({ "not": value })
    };
    let list = |key: &str| {
        spec.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (names, patterns, within) = (list("names"), list("patterns"), list("within"));
    match within.as_slice() {
        [] => {}
        [only] if names.is_empty() && patterns.is_empty() => {
            return Some(json!({
                "type": "object",
                "patternProperties": { only.as_str()?: fails },
            }));
        }
        _ => return None,
    }
    let anything = |items: Vec<Value>| -> Option<Map<String, Value>> {
        items
            .into_iter()
            .map(|item| item.as_str().map(|key| (key.to_string(), json!({}))))
            .collect()
    };
    let mut object = json!({
        "type": "object",
        "properties": anything(names)?,
        "additionalProperties": fails,
    });
    if !patterns.is_empty() {
        object["patternProperties"] = Value::Object(anything(patterns)?);
    }
    Some(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negate(schema: Value) -> Value {
        let resolve = |reference: &str| -> Result<Value, String> {
            Err(format!("no references here: {reference}"))
        };
        Negator::new(Draft::Draft202012, &resolve)
            .negate(&schema)
            .unwrap_or_else(|refusal| panic!("{}: {}", refusal.keyword, refusal.reason))
    }

    #[test]
    fn keywords_become_their_complements() {
        assert_eq!(
            negate(json!({"minLength": 3})),
            json!({"type": "string", "maxLength": 2})
        );
        assert_eq!(negate(json!({"minLength": 0})), json!(false));
        assert_eq!(
            negate(json!({"required": ["a"]})),
            json!({"type": "object", "properties": {"a": false}})
        );
        assert_eq!(
            negate(json!({"not": {"type": "string"}})),
            json!({"type": "string"})
        );
        assert_eq!(negate(json!({})), json!(false));
        assert_eq!(negate(json!(true)), json!(false));
        assert_eq!(
            negate(json!({"type": ["string", "null"]})),
            json!({"type": ["boolean", "object", "array", "number"]})
        );
    }

    #[test]
    fn the_largest_maximum_has_an_empty_complement() {
        assert_eq!(negate(json!({"maxLength": u64::MAX})), json!(false));
        assert_eq!(
            negate(json!({"maxItems": u64::MAX - 1})),
            json!({"type": "array", "minItems": u64::MAX})
        );
    }

    #[test]
    fn de_morgan_over_combinators() {
        assert_eq!(
            negate(json!({"anyOf": [{"minimum": 3}, {"pattern": "x"}]})),
            json!({"allOf": [
                {"type": "number", "exclusiveMaximum": 3},
                {"type": "string", NOT_PATTERNS: ["x"]},
            ]})
        );
        assert_eq!(
            negate(json!({"required": ["a", "b"]})),
            json!({"anyOf": [
                {"type": "object", "properties": {"a": false}},
                {"type": "object", "properties": {"b": false}},
            ]})
        );
    }

    #[test]
    fn unenforceable_complements_are_refused_by_keyword() {
        let resolve = |_: &str| -> Result<Value, String> { Err("none".into()) };
        let negator = Negator::new(Draft::Draft202012, &resolve);
        for (schema, keyword) in [
            (json!({"uniqueItems": true}), "uniqueItems"),
            (json!({"multipleOf": 3}), "multipleOf"),
            (json!({"$ref": "#/x"}), "$ref"),
        ] {
            let refusal = negator.negate(&schema).unwrap_err();
            assert_eq!(refusal.keyword, keyword, "{schema}");
        }
    }

    #[test]
    fn recursion_under_not_is_bounded() {
        // Every level negates the next: the rewrite recurses until its limit.
        let resolve =
            |_: &str| -> Result<Value, String> { Ok(json!({"properties": {"a": {"$ref": "#"}}})) };
        let negator = Negator::new(Draft::Draft202012, &resolve);
        assert!(negator.negate(&json!({"$ref": "#"})).is_err());
    }
}
