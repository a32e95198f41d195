//! `uniqueItems` where the items come from a finite set of values.
//!
//! Distinct items from a finite set are a list in which each value appears
//! at most once, in any order: the member-list recognizer objects use for
//! their named members ([`MemberList`]) does exactly that, with the
//! values as the members, commas between them, `minItems`/`maxItems` as
//! its counts. The set is the item schema's `enum` or `const` values (or
//! both booleans, or `null`), each kept when the `jsonschema` crate says it
//! matches the item schema, and merged when JSON equality makes two of them
//! one value (`1` and `1.0`). A tuple with nothing allowed after it, each
//! position from such a set, is finite too: its unique arrays are written
//! out. Items from an infinite language are left to the caller to refuse.

use std::sync::Arc;

use rein_core::grammar::{Expr, MemberList};
use serde_json::{Map, Value};

use super::enums::json_equal;
use super::{Compiler, Result};
use crate::validate::Validator;

/// The most distinct values a unique array is compiled over.
const MAX_VALUES: usize = 256;

impl Compiler<'_> {
    /// The unique arrays of `object` (its `uniqueItems` is `true`), or
    /// `None` when its items are not from a finite set rein can list.
    pub(super) fn unique_array(
        &self,
        object: &Map<String, Value>,
        min: u64,
        max: Option<u64>,
    ) -> Result<Option<Expr>> {
        if object.contains_key("contains") || object.contains_key(crate::keywords::CONTAINS) {
            return Ok(None);
        }
        if let Some(arrays) = self.unique_tuples(object, min, max) {
            return Ok(Some(arrays));
        }
        if object.get("prefixItems").is_some_and(Value::is_array)
            || object.get("items").is_some_and(Value::is_array)
        {
            return Ok(None);
        }
        let item = object.get("items").cloned().unwrap_or(Value::Bool(true));
        let Some(values) = self.finite_item_values(&item) else {
            return Ok(None);
        };
        let named = values
            .iter()
            .map(|value| (self.literal_value(value), false))
            .collect();
        // No more items than distinct values.
        let most = max.map_or(values.len() as u64, |m| m.min(values.len() as u64));
        if most < min {
            return Ok(Some(Expr::Nothing));
        }
        let list = MemberList {
            named,
            extra: None,
            separator: self.comma(),
            close: self.punct(true, "]", false),
            min: min.max(1),
            max: Some(most),
        };
        let non_empty = super::seq(vec![
            self.punct(false, "[", true),
            Expr::AnyOrder(Arc::new(list)),
        ]);
        Ok(Some(super::alt(vec![
            if min == 0 {
                self.bracketed_items(true, Expr::Nothing)
            } else {
                Expr::Nothing
            },
            non_empty,
        ])))
    }
}

impl Compiler<'_> {
    /// The distinct values `item` allows when they are a finite set rein
    /// can list (at most [`MAX_VALUES`]), checked by the `jsonschema` crate.
    fn finite_item_values(&self, item: &Value) -> Option<Vec<Value>> {
        let mut item = item.clone();
        // An item schema that is only a reference: its target.
        for _ in 0..8 {
            let target = match item.as_object() {
                Some(only) if only.len() == 1 => match only.get("$ref") {
                    Some(Value::String(reference)) => self.resolve(reference, "#").ok(),
                    _ => None,
                },
                _ => None,
            };
            match target {
                Some((_, target)) => item = target.clone(),
                None => break,
            }
        }
        // The values are checked against the item schema alone: a
        // reference inside it would resolve against the wrong document.
        let text = item.to_string();
        if text.contains("Ref\"") || text.contains("\"$ref\"") {
            return None;
        }
        let candidates = finite_values(&item)?;
        let validator = Validator::with_default_draft(&item, self.draft).ok()?;
        let mut values: Vec<Value> = Vec::new();
        for value in candidates {
            if validator.validate(&value).is_ok() && !values.iter().any(|v| json_equal(v, &value)) {
                values.push(value);
            }
        }
        (values.len() <= MAX_VALUES).then_some(values)
    }

    /// A unique array whose items are a tuple with nothing after it, each
    /// position from a finite set: every such array, written out (at most
    /// [`MAX_ARRAYS`]).
    fn unique_tuples(
        &self,
        object: &Map<String, Value>,
        min: u64,
        max: Option<u64>,
    ) -> Option<Expr> {
        let modern = self.draft.defines("prefixItems");
        let (tuple, rest) = if modern {
            (object.get("prefixItems")?.as_array()?, object.get("items"))
        } else {
            (
                object.get("items")?.as_array()?,
                object.get("additionalItems"),
            )
        };
        if rest != Some(&Value::Bool(false)) {
            return None;
        }
        let positions: Vec<Vec<Value>> = tuple
            .iter()
            .map(|schema| self.finite_item_values(schema))
            .collect::<Option<_>>()?;
        let longest = max.map_or(positions.len() as u64, |m| m.min(positions.len() as u64));
        let mut arrays: Vec<Vec<Value>> = vec![Vec::new()];
        let mut written = Vec::new();
        for length in 0..=longest {
            if length >= min {
                written.extend(arrays.iter().cloned());
            }
            if length == longest {
                break;
            }
            let mut longer = Vec::new();
            for array in &arrays {
                for value in &positions[length as usize] {
                    if !array.iter().any(|v| json_equal(v, value)) {
                        let mut next = array.clone();
                        next.push(value.clone());
                        longer.push(next);
                    }
                }
            }
            arrays = longer;
            if arrays.len() + written.len() > MAX_ARRAYS {
                return None;
            }
        }
        Some(super::alt(
            written
                .into_iter()
                .map(|array| self.literal_value(&Value::Array(array)))
                .collect(),
        ))
    }
}

/// The most arrays a unique tuple is written out as.
const MAX_ARRAYS: usize = 1024;

/// The values an item schema could take from its `enum`, `const` or a
/// boolean/null `type`; `None` when it names no finite set.
fn finite_values(item: &Value) -> Option<Vec<Value>> {
    let object = item.as_object()?;
    if let Some(constant) = object.get("const") {
        return Some(vec![constant.clone()]);
    }
    if let Some(Value::Array(values)) = object.get("enum") {
        return Some(values.clone());
    }
    let types = crate::values::type_names(object.get("type")?);
    let mut values = Vec::new();
    for name in types {
        match name.as_str() {
            "boolean" => values.extend([Value::Bool(false), Value::Bool(true)]),
            "null" => values.push(Value::Null),
            _ => return None,
        }
    }
    Some(values)
}
