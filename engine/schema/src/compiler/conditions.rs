//! `not`, `if`/`then`/`else` and dependencies, as positive schemas.
//!
//! **Why.** None of these has a grammar of its own: a condition is the
//! `anyOf` of `if ∧ then` and `not if ∧ else`, a dependency is "absent, or
//! present with its dependents", and a `not` beyond whole types is the
//! negation [`crate::negate`] writes. Each becomes a schema merged with the
//! rest of its object ([`Compiler::rewrite_conditions`]), so the compiler
//! handles it like any `anyOf`. `not` on whole types (`not: {type: ...}`,
//! booleans) just removes types ([`Compiler::apply_not`]).
//!
//! **Trade-off.** Every dependency doubles the branches, so an object may
//! have at most [`MAX_DEPENDENCIES`]; a negation rein cannot write is
//! refused with the keyword it stops at.

use serde_json::{json, Map, Value};

use super::{child, error, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::negate::{self, Negator, Refusal};
use crate::values::type_names;

/// The most dependencies one object may have: each doubles the branches.
const MAX_DEPENDENCIES: usize = 6;

impl<'a> Compiler<'a> {
    /// Runs `f` with a [`Negator`] resolving this document's references.
    pub(super) fn negator_result<T>(
        &self,
        f: impl FnOnce(&Negator<'_>) -> std::result::Result<T, Refusal>,
    ) -> std::result::Result<T, Refusal> {
        let resolve = |reference: &str| {
            self.resolve(reference, "#")
                .map(|(_, target)| target.clone())
                .map_err(|error| error.to_string())
        };
        f(&Negator::new(self.draft, &resolve))
    }

    /// `if`/`then`/`else`, dependencies and `not` (beyond whole types) as
    /// positive schemas merged with the rest of `object`, or `None` when
    /// `object` has none of them.
    pub(super) fn rewrite_conditions(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
    ) -> Result<Option<Value>> {
        let rewritten = [
            "if",
            "dependentRequired",
            "dependentSchemas",
            "dependencies",
        ]
        .iter()
        .any(|keyword| object.contains_key(*keyword))
            || object.get("not").is_some_and(|not| !self.not_on_types(not));
        if !rewritten {
            return Ok(None);
        }
        let mut rest = object.clone();
        let mut parts: Vec<Value> = Vec::new();
        parts.extend(self.take_condition(&mut rest, pointer)?);
        let mut dependencies: Vec<(String, Value, bool)> = Vec::new();
        for keyword in ["dependentRequired", "dependentSchemas", "dependencies"] {
            let Some(map) = rest.remove(keyword) else {
                continue;
            };
            let map = map.as_object().cloned().ok_or_else(|| {
                error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    keyword,
                    "must be an object",
                )
            })?;
            for (name, dependency) in map {
                let required = keyword == "dependentRequired"
                    || (keyword == "dependencies" && dependency.is_array());
                dependencies.push((name, dependency, required));
            }
        }
        if dependencies.len() > MAX_DEPENDENCIES {
            self.unsupported(
                pointer,
                "dependencies",
                format!("more than {MAX_DEPENDENCIES} dependencies on one object"),
            )?;
        } else {
            for (name, dependency, required) in dependencies {
                // Either the property is absent, or it is present with its
                // dependents: two disjoint branches.
                let dependents = if required {
                    json!({ "required": dependency })
                } else {
                    dependency
                };
                parts.push(negate::any_of(vec![
                    json!({ "properties": { name.clone(): false } }),
                    negate::all_of(vec![
                        json!({ "type": "object", "required": [name] }),
                        dependents,
                    ]),
                ]));
            }
        }
        if let Some(not) = rest.get("not").cloned() {
            if !self.not_on_types(&not) {
                rest.remove("not");
                match self.negator_result(|negator| negator.negate(&not)) {
                    Ok(positive) => parts.push(positive),
                    Err(refusal) => {
                        self.unsupported(&child(pointer, "not"), &refusal.keyword, refusal.reason)?
                    }
                }
            }
        }
        let mut all = vec![Value::Object(rest)];
        all.extend(parts);
        self.merge_all(&all, pointer).map(Some)
    }

    /// Removes `if`/`then`/`else` from `object` and returns them as one
    /// positive schema (`None` without a condition that constrains).
    pub(super) fn take_condition(
        &mut self,
        object: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<Option<Value>> {
        let Some(condition) = object.remove("if") else {
            return Ok(None);
        };
        let then = object.remove("then");
        let otherwise = object.remove("else");
        if then.is_none() && otherwise.is_none() {
            return Ok(None);
        }
        let rewritten = self.negator_result(|negator| {
            negator.conditional(&condition, then.as_ref(), otherwise.as_ref())
        });
        match rewritten {
            Ok(positive) => Ok(Some(positive)),
            Err(refusal) => {
                self.unsupported(
                    pointer,
                    "if",
                    format!(
                        "rein cannot enforce `if` without its negation (`{}`: {})",
                        refusal.keyword, refusal.reason
                    ),
                )?;
                Ok(None)
            }
        }
    }

    /// Whether `apply_not` handles `not` directly: a boolean, `{}` or a
    /// bare `type`.
    fn not_on_types(&self, not: &Value) -> bool {
        match not {
            Value::Bool(_) => true,
            Value::Object(inner) => {
                // `not: {type: integer}` keeps non-integer numbers: the
                // negation spells those out.
                let integer_only = |types: Vec<String>| {
                    types.iter().any(|t| t == "integer") && !types.iter().any(|t| t == "number")
                };
                inner.is_empty()
                    || (inner.len() == 1
                        && inner
                            .get("type")
                            .is_some_and(|t| !integer_only(type_names(t))))
            }
            _ => false,
        }
    }

    pub(super) fn apply_not(
        &mut self,
        not: &Value,
        types: &mut Vec<String>,
        pointer: &str,
    ) -> Result<()> {
        match not {
            Value::Bool(false) => return Ok(()),
            Value::Bool(true) => {
                types.clear();
                return Ok(());
            }
            Value::Object(inner) if inner.is_empty() => {
                types.clear();
                return Ok(());
            }
            Value::Object(inner) if inner.len() == 1 && inner.contains_key("type") => {
                let excluded = type_names(&inner["type"]);
                types.retain(|t| {
                    !excluded
                        .iter()
                        .any(|e| e == t || (e == "number" && t == "integer"))
                });
                if excluded.iter().any(|e| e == "integer") && types.iter().any(|t| t == "number") {
                    return self.unsupported(pointer, "not", "`not: {type: integer}` on numbers");
                }
                return Ok(());
            }
            _ => {}
        }
        self.unsupported(pointer, "not", "rein can only enforce `not` on whole types")
    }
}
