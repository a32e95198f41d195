//! `unevaluatedProperties` and `unevaluatedItems`, rewritten into keywords
//! the compiler already handles, before anything is merged.
//!
//! Which members count as evaluated depends on which subschemas succeed,
//! so the keyword cannot survive `allOf` merging or branch distribution:
//! a nested `unevaluatedProperties` sees only its own subschema's
//! evaluations. The rewrite runs where the keyword sits, on the schema as
//! written:
//!
//! - What the subschemas that must succeed (the schema itself, its `allOf`
//!   parts and `$ref` targets, transitively) evaluate is collected: named
//!   properties, property patterns, a count of leading items, or
//!   "everything" (`additionalProperties`, `items` past a tuple, a nested
//!   `unevaluated*`).
//! - At most one conditional applicator beside the keyword (`anyOf`,
//!   `oneOf`, or `if`/`then`/`else`) may evaluate members too; each of its
//!   outcomes gets its own check with its own evaluations added. Several
//!   such applicators together are refused.
//! - The check is a plain schema: `{"properties": {name: true, ...},
//!   "patternProperties": {pattern: true, ...}, "additionalProperties": U}`,
//!   or a tuple of `true` items followed by `U`.
//!
//! What conditional subschemas *inside* parts evaluate is not collected:
//! the rewrite then checks more members than the keyword does, so it may
//! reject a valid document, never accept an invalid one. Negating a schema
//! with these keywords stays refused (see [`crate::negate`]).

use serde_json::{json, Map, Value};

use super::{error, Compiler, Result};
use crate::error::SchemaErrorKind;

const PROPERTIES: &str = "unevaluatedProperties";
const ITEMS: &str = "unevaluatedItems";

/// What a set of subschemas evaluates, when they all succeed.
#[derive(Clone, Debug, Default)]
struct Evaluated {
    names: Vec<String>,
    patterns: Vec<String>,
    every_property: bool,
    items: usize,
    every_item: bool,
    /// The `contains` schemas: each evaluates the items it matches
    /// (2020-12).
    contains: Vec<Value>,
}

impl Evaluated {
    fn add(&mut self, other: &Evaluated) {
        for name in &other.names {
            if !self.names.contains(name) {
                self.names.push(name.clone());
            }
        }
        for pattern in &other.patterns {
            if !self.patterns.contains(pattern) {
                self.patterns.push(pattern.clone());
            }
        }
        self.every_property |= other.every_property;
        self.items = self.items.max(other.items);
        self.every_item |= other.every_item;
        for schema in &other.contains {
            if !self.contains.contains(schema) {
                self.contains.push(schema.clone());
            }
        }
    }

    fn evaluates_properties(&self) -> bool {
        !self.names.is_empty() || !self.patterns.is_empty() || self.every_property
    }

    fn evaluates_items(&self) -> bool {
        self.items > 0 || self.every_item || !self.contains.is_empty()
    }
}

impl Compiler<'_> {
    /// `object` with its own `unevaluatedProperties`/`unevaluatedItems`
    /// replaced by equivalent (or stricter) keywords; `None` when it has
    /// neither.
    pub(super) fn without_unevaluated(
        &self,
        object: &Map<String, Value>,
        pointer: &str,
    ) -> Result<Option<Map<String, Value>>> {
        let properties = object
            .get(PROPERTIES)
            .filter(|_| self.draft.defines(PROPERTIES));
        let items = object.get(ITEMS).filter(|_| self.draft.defines(ITEMS));
        if properties.is_none() && items.is_none() {
            return Ok(None);
        }
        let mut out = object.clone();
        out.remove(PROPERTIES);
        out.remove(ITEMS);
        let mut fixed = Evaluated::default();
        let mut conditionals = Vec::new();
        self.collect(&out, &mut fixed, &mut Vec::new(), &mut conditionals);
        // The conditional applicators (here or in parts that must succeed)
        // whose outcomes evaluate members.
        let evaluating: Vec<&(&str, Vec<Value>)> = conditionals
            .iter()
            .filter(|(_, schemas)| schemas.iter().any(|s| self.evaluates(s)))
            .collect();
        if let Some((keyword, _)) = evaluating
            .iter()
            .find(|(keyword, _)| matches!(*keyword, "dependentSchemas" | "dependencies"))
        {
            return Err(self.refusal(
                pointer,
                properties.is_some(),
                format!("beside `{keyword}` that evaluates members"),
            ));
        }
        if evaluating.len() > 1 {
            return Err(self.refusal(
                pointer,
                properties.is_some(),
                format!(
                    "beside both `{}` and `{}` evaluating members",
                    evaluating[0].0, evaluating[1].0
                ),
            ));
        }
        let check = |extra: &Evaluated| -> Value {
            let mut evaluated = fixed.clone();
            evaluated.add(extra);
            self.check(&evaluated, properties, items)
        };
        match evaluating.first() {
            None => {
                apply(&mut out, check(&Evaluated::default()));
            }
            Some(("if", schemas)) => {
                // `schemas` is [if, then?, else?] with `true` for a missing one.
                let when_true = self.evaluated_by(&schemas[0]);
                let mut then = self.evaluated_by(&schemas[1]);
                then.add(&when_true);
                let otherwise = self.evaluated_by(&schemas[2]);
                push_part(
                    &mut out,
                    json!({"if": schemas[0], "then": check(&then), "else": check(&otherwise)}),
                );
            }
            Some((_, branches)) => {
                // Whichever branch matches (for `oneOf`, the only one), its
                // evaluations join the check.
                let mut checked = Vec::new();
                for branch in branches {
                    let part = check(&self.evaluated_by(branch));
                    checked.push(json!({"allOf": [branch, part]}));
                }
                push_part(&mut out, json!({"anyOf": checked}));
            }
        }
        Ok(Some(out))
    }

    /// The schema that applies `properties` (an `unevaluatedProperties`
    /// value) and `items` (an `unevaluatedItems` value) to whatever
    /// `evaluated` leaves.
    fn check(
        &self,
        evaluated: &Evaluated,
        properties: Option<&Value>,
        items: Option<&Value>,
    ) -> Value {
        let mut check = Map::new();
        if let Some(rest) = properties.filter(|_| !evaluated.every_property) {
            let named: Map<String, Value> = evaluated
                .names
                .iter()
                .map(|name| (name.clone(), Value::Bool(true)))
                .collect();
            let patterns: Map<String, Value> = evaluated
                .patterns
                .iter()
                .map(|pattern| (pattern.clone(), Value::Bool(true)))
                .collect();
            if !named.is_empty() {
                check.insert("properties".to_string(), Value::Object(named));
            }
            if !patterns.is_empty() {
                check.insert("patternProperties".to_string(), Value::Object(patterns));
            }
            check.insert("additionalProperties".to_string(), rest.clone());
        }
        if let Some(rest) = items.filter(|_| !evaluated.every_item) {
            // An item past the tuples is evaluated when a `contains`
            // schema matches it.
            let rest = &if evaluated.contains.is_empty() {
                rest.clone()
            } else {
                let mut either = evaluated.contains.clone();
                either.push(rest.clone());
                json!({ "anyOf": either })
            };
            let tuple = Value::Array(vec![Value::Bool(true); evaluated.items]);
            if evaluated.items == 0 {
                check.insert("items".to_string(), rest.clone());
            } else if self.draft.defines("prefixItems") {
                check.insert("prefixItems".to_string(), tuple);
                check.insert("items".to_string(), rest.clone());
            } else {
                check.insert("items".to_string(), tuple);
                check.insert("additionalItems".to_string(), rest.clone());
            }
        }
        Value::Object(check)
    }

    fn refusal(&self, pointer: &str, properties: bool, why: String) -> crate::SchemaError {
        let keyword = if properties { PROPERTIES } else { ITEMS };
        error(
            SchemaErrorKind::Unsupported,
            pointer,
            keyword,
            format!("rein cannot enforce `{keyword}` {why}"),
        )
    }

    /// Whether `schema` evaluates any member when it succeeds.
    fn evaluates(&self, schema: &Value) -> bool {
        let evaluated = self.evaluated_by(schema);
        evaluated.evaluates_properties() || evaluated.evaluates_items()
    }

    /// What `schema` and its subschemas that must succeed evaluate (its
    /// conditional applicators' outcomes are not counted).
    fn evaluated_by(&self, schema: &Value) -> Evaluated {
        let mut evaluated = Evaluated::default();
        if let Value::Object(object) = schema {
            self.collect(object, &mut evaluated, &mut Vec::new(), &mut Vec::new());
        }
        evaluated
    }

    /// Adds what `object` and the subschemas that must succeed with it
    /// evaluate, and lists their conditional applicators (keyword and
    /// subschemas; an `if` as `[if, then, else]`); `seen` holds the
    /// references followed, against cycles.
    fn collect(
        &self,
        object: &Map<String, Value>,
        out: &mut Evaluated,
        seen: &mut Vec<String>,
        conditionals: &mut Vec<(&'static str, Vec<Value>)>,
    ) {
        if let Some(Value::String(reference)) = object.get("$ref") {
            if !seen.contains(reference) {
                seen.push(reference.clone());
                if let Ok((_, Value::Object(target))) = self.resolve(reference, "#") {
                    self.collect(target, out, seen, conditionals);
                }
            }
            if !self.draft.ref_has_siblings() {
                return;
            }
        }
        let defined = |keyword: &str| object.contains_key(keyword) && self.draft.defines(keyword);
        if let Some(Value::Object(named)) = object.get("properties") {
            out.add(&Evaluated {
                names: named.keys().cloned().collect(),
                ..Evaluated::default()
            });
        }
        if let Some(Value::Object(patterns)) = object.get("patternProperties") {
            out.add(&Evaluated {
                patterns: patterns.keys().cloned().collect(),
                ..Evaluated::default()
            });
        }
        out.every_property |= defined("additionalProperties") || defined(PROPERTIES);
        let modern = self.draft.defines("prefixItems");
        match (
            object.get("prefixItems").filter(|_| modern),
            object.get("items"),
        ) {
            (Some(Value::Array(tuple)), items) => {
                out.items = out.items.max(tuple.len());
                out.every_item |= items.is_some();
            }
            (_, Some(Value::Array(tuple))) if !modern => {
                out.items = out.items.max(tuple.len());
                out.every_item |= defined("additionalItems");
            }
            (_, Some(_)) => out.every_item = true,
            (_, None) => {}
        }
        out.every_item |= defined(ITEMS);
        if let (true, Some(contains)) = (modern && defined("contains"), object.get("contains")) {
            out.contains.push(contains.clone());
        }
        if let Some(Value::Array(parts)) = object.get("allOf") {
            for part in parts {
                if let Value::Object(part) = part {
                    self.collect(part, out, seen, conditionals);
                }
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = object.get(keyword) {
                conditionals.push((keyword, branches.clone()));
            }
        }
        if defined("if") {
            let part = |k: &str| object.get(k).cloned().unwrap_or(Value::Bool(true));
            conditionals.push(("if", vec![part("if"), part("then"), part("else")]));
        }
        for keyword in ["dependentSchemas", "dependencies"] {
            if let (true, Some(Value::Object(map))) = (defined(keyword), object.get(keyword)) {
                conditionals.push((keyword, map.values().cloned().collect()));
            }
        }
    }
}

/// Puts `check` (from [`Compiler::check`]) into `object` itself, which
/// has no `additionalProperties` and no items past its tuple (it would
/// evaluate everything otherwise): names and patterns join its own with
/// `true`, and the rest becomes its `additionalProperties` / items.
fn apply(object: &mut Map<String, Value>, check: Value) {
    let Value::Object(check) = check else {
        return;
    };
    for (keyword, value) in check {
        match (keyword.as_str(), value) {
            ("properties" | "patternProperties", Value::Object(names)) => {
                let own = object
                    .entry(keyword.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(own) = own {
                    for (name, schema) in names {
                        own.entry(name).or_insert(schema);
                    }
                }
            }
            ("prefixItems", Value::Array(tuple)) | ("items", Value::Array(tuple)) => {
                let own = object
                    .entry(keyword.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(own) = own {
                    while own.len() < tuple.len() {
                        own.push(Value::Bool(true));
                    }
                }
            }
            (_, value) => {
                object.insert(keyword, value);
            }
        }
    }
}

/// Adds `part` to `object`'s `allOf`.
fn push_part(object: &mut Map<String, Value>, part: Value) {
    if part.as_object().is_some_and(Map::is_empty) {
        return;
    }
    match object
        .entry("allOf")
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(parts) => parts.push(part),
        other => *other = json!([other.clone(), part]),
    }
}
