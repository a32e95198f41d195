//! `contains` with `minContains`/`maxContains`: arrays in which the number
//! of items matching a schema lies in a range.
//!
//! Every item either matches the `contains` schema (and `items`) or
//! matches `items` and not the `contains` schema; the two languages are
//! disjoint, so counting the matching items is a regular pattern over
//! them: `(N ,)* M (, N)* (, M (, N)*){min-1,max-1}`. The non-matching
//! items need the `contains` schema's negation, which is refused where
//! rein cannot negate it. A tuple (`prefixItems`, an array of `items`)
//! beside `contains`, and `maxItems` or a `minItems` above the count the
//! matches already imply, are refused: counting two things at once is
//! left out.

use rein_core::grammar::Expr;
use serde_json::{json, Map, Value};

use super::{alt, child, error, seq, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::keywords;

impl Compiler<'_> {
    /// The array language of `object`, which has `contains`.
    pub(super) fn array_with_contains(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
    ) -> Result<Expr> {
        if let Some(contains) = object.get(keywords::CONTAINS) {
            // The private keyword of a negated draft-4 `items`, under the
            // name the rest of this module reads.
            let mut named = object.clone();
            named.remove(keywords::CONTAINS);
            named.insert("contains".to_string(), contains.clone());
            return self.array_with_contains(&named, pointer);
        }
        let least = self.count(object, "minContains", pointer)?.unwrap_or(1);
        let most = self.count(object, "maxContains", pointer)?;
        if least == 0 && most.is_none() {
            let mut rest = object.clone();
            rest.remove("contains");
            return self.array(&rest, pointer);
        }
        if most.is_some_and(|most| most < least) {
            return Ok(Expr::Nothing);
        }
        let tuple = object.get("prefixItems").is_some_and(Value::is_array)
            || object.get("items").is_some_and(Value::is_array);
        let min_items = self.count(object, "minItems", pointer)?.unwrap_or(0);
        let refusal = if tuple {
            Some("rein cannot enforce `contains` beside a tuple of items")
        } else if object.contains_key("maxItems") || min_items > least {
            Some("rein cannot enforce `contains` beside `maxItems` or a larger `minItems`")
        } else {
            None
        };
        if let Some(reason) = refusal {
            self.unsupported(pointer, "contains", reason)?;
            let mut rest = object.clone();
            rest.remove("contains");
            return self.array(&rest, pointer);
        }
        for (keyword, count) in [("minContains", Some(least)), ("maxContains", most)] {
            if count.is_some_and(|c| c > self.limits.repeat) {
                return Err(error(
                    SchemaErrorKind::Limit,
                    pointer,
                    keyword,
                    format!("more than {} items", self.limits.repeat),
                ));
            }
        }
        let item = object.get("items").cloned().unwrap_or(Value::Bool(true));
        let contains = &object["contains"];
        let at = child(pointer, "contains");
        let matching = self.schema(&json!({"allOf": [item, contains]}), &at)?;
        let other = self.schema(&json!({"allOf": [item, {"not": contains}]}), &at)?;
        let comma = self.comma();
        // (, N)*: non-matching items after one.
        let others_after = Expr::Repeat {
            inner: Box::new(seq(vec![comma.clone(), other.clone()])),
            min: 0,
            max: None,
        };
        // M (, N)*: a matching item and the non-matching ones up to the next.
        let block = seq(vec![matching, others_after.clone()]);
        let blocks = |low: u64, high: Option<u64>| Expr::Repeat {
            inner: Box::new(seq(vec![comma.clone(), block.clone()])),
            min: low as u32,
            max: high.map(|h| h as u32),
        };
        let leading_others = Expr::Repeat {
            inner: Box::new(seq(vec![other.clone(), comma.clone()])),
            min: 0,
            max: None,
        };
        let counted = |low: u64, high: Option<u64>| {
            seq(vec![
                leading_others.clone(),
                block.clone(),
                blocks(low, high),
            ])
        };
        let body = if least >= 1 {
            counted(least - 1, most.map(|m| m - 1))
        } else {
            let none = seq(vec![other, others_after]);
            match most {
                Some(0) => none,
                high => alt(vec![none, counted(0, high.map(|m| m - 1))]),
            }
        };
        Ok(self.bracketed_items(least == 0, body))
    }
}
