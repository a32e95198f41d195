//! Arrays: items and their counts as grammar repetition.
//!
//! **Why.** An array is `[`, its items with commas, `]`: a tuple
//! (`prefixItems`, or an array of `items` before 2020-12) is written
//! position by position, the rest of the items as one repeat bounded by
//! `minItems`/`maxItems`. `uniqueItems` ([`super::unique`]) and `contains`
//! ([`super::contains`]) take over the whole array when present.
//!
//! **Trade-off.** Item counts are repeats in the grammar, bounded by
//! [`Options::max_items`](crate::Options::max_items) so the expansion
//! stays small; `uniqueItems` over items from an infinite language is
//! refused.

use rein_core::grammar::Expr;
use serde_json::{Map, Value};

use super::layout::Close;
use super::{alt, child, error, seq, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::keywords;

impl<'a> Compiler<'a> {
    pub(super) fn array(&mut self, object: &Map<String, Value>, pointer: &str) -> Result<Expr> {
        let min = self.count(object, "minItems", pointer)?.unwrap_or(0);
        let max = self.count(object, "maxItems", pointer)?;
        if max.is_some_and(|max| max < min) {
            return Ok(Expr::Nothing);
        }
        if min > self.limits.repeat {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "minItems",
                format!("more than {} items", self.limits.repeat),
            ));
        }
        if max.is_some_and(|m| m > self.limits.repeat) {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "maxItems",
                format!("more than {} items", self.limits.repeat),
            ));
        }
        if object.get("uniqueItems") == Some(&Value::Bool(true)) && max.is_none_or(|max| max > 1) {
            if let Some(unique) = self.unique_array(object, min, max)? {
                return Ok(unique);
            }
            self.unsupported(
                pointer,
                "uniqueItems",
                "rein cannot enforce unique array items (only items from a finite set of values)",
            )?;
        }
        if object.contains_key("contains") || object.contains_key(keywords::CONTAINS) {
            return self.array_with_contains(object, pointer);
        }
        let (prefix, rest): (Vec<Value>, Value) =
            match (object.get("prefixItems"), object.get("items")) {
                (Some(Value::Array(prefix)), items) => {
                    (prefix.clone(), items.cloned().unwrap_or(Value::Bool(true)))
                }
                (_, Some(Value::Array(prefix))) => (
                    prefix.clone(),
                    object
                        .get("additionalItems")
                        .cloned()
                        .unwrap_or(Value::Bool(true)),
                ),
                (_, Some(items)) => (Vec::new(), items.clone()),
                (_, None) => (Vec::new(), Value::Bool(true)),
            };
        let mut prefix_exprs = Vec::new();
        for (index, schema) in prefix.iter().enumerate() {
            let keyword = if object.contains_key("prefixItems") {
                "prefixItems"
            } else {
                "items"
            };
            prefix_exprs
                .push(self.schema(schema, &child(&child(pointer, keyword), &index.to_string()))?);
        }
        let rest_pointer = if object.get("items").is_some_and(Value::is_array) {
            child(pointer, "additionalItems")
        } else {
            child(pointer, "items")
        };
        let rest = self.schema(&rest, &rest_pointer)?;
        let k = prefix_exprs.len() as u64;
        // tail(j): items j.. when j items are written (j >= 1).
        let tail_from_rest = |me: &Self, j: u64| -> Expr {
            let low = min.saturating_sub(j);
            let high = max.map(|m| m.saturating_sub(j));
            if rest == Expr::Nothing || high == Some(0) {
                return if j >= min { Expr::Empty } else { Expr::Nothing };
            }
            Expr::Repeat {
                inner: Box::new(seq(vec![me.comma(), rest.clone()])),
                min: low as u32,
                max: high.map(|h| h as u32),
            }
        };
        let mut tail = tail_from_rest(self, k.max(1));
        for j in (1..k).rev() {
            if max.is_some_and(|m| j >= m) {
                tail = if j >= min { Expr::Empty } else { Expr::Nothing };
                continue;
            }
            let more = seq(vec![self.comma(), prefix_exprs[j as usize].clone(), tail]);
            tail = if j >= min {
                alt(vec![Expr::Empty, more])
            } else {
                more
            };
        }
        let first = prefix_exprs
            .first()
            .cloned()
            .unwrap_or_else(|| rest.clone());
        let items = if max == Some(0) {
            Expr::Nothing
        } else {
            seq(vec![first, tail])
        };
        Ok(self.bracketed_items(min == 0, items))
    }

    /// An array: `[]` when `may_be_empty`, or `[`, `items` (one or more
    /// items with their commas), `]`.
    pub(super) fn bracketed_items(&self, may_be_empty: bool, items: Expr) -> Expr {
        let non_empty = match items {
            Expr::Nothing => Expr::Nothing,
            items => seq(vec![
                self.punct(false, "[", true),
                items,
                self.punct(true, "]", false),
            ]),
        };
        alt(vec![
            if may_be_empty {
                self.punct(false, "[", false).then_close(self, "]")
            } else {
                Expr::Nothing
            },
            non_empty,
        ])
    }
}
