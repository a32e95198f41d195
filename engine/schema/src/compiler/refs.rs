//! `$ref`: following in-document pointers, one rule per target.
//!
//! **Why.** [`crate::references`] has already rewritten every reference it
//! can resolve to `#/pointer/from/the/root`, so resolving here is a JSON
//! pointer lookup; anything else (another document, an anchor left
//! unresolved) is refused. Each target compiles once into a rule that
//! every reference to it shares, which is also how recursive schemas
//! terminate.
//!
//! **Trade-off.** A rule per target keeps the grammar linear in the
//! schema, but a rule is a boundary the mask engine cannot fuse terminals
//! across; `$ref`s with siblings (2019-09 on) are merged instead
//! ([`Compiler::merge_all`]), which inlines the target.

use rein_core::grammar::Expr;
use serde_json::Value;

use super::{error, Compiler, Result};
use crate::error::SchemaErrorKind;

impl<'a> Compiler<'a> {
    pub(super) fn resolve(&self, reference: &str, pointer: &str) -> Result<(String, &'a Value)> {
        let fragment = match reference.split_once('#') {
            Some((base, fragment)) => {
                let root_id = self
                    .root
                    .get("$id")
                    .or_else(|| self.root.get("id"))
                    .and_then(Value::as_str);
                if !base.is_empty() && root_id.map(|id| id.trim_end_matches('#')) != Some(base) {
                    return Err(error(
                        SchemaErrorKind::BadReference,
                        pointer,
                        "$ref",
                        format!("{reference:?} points outside this document"),
                    ));
                }
                fragment
            }
            None => {
                return Err(error(
                    SchemaErrorKind::BadReference,
                    pointer,
                    "$ref",
                    format!("{reference:?} points outside this document"),
                ))
            }
        };
        let decoded = crate::references::percent_decode(fragment);
        if !decoded.is_empty() && !decoded.starts_with('/') {
            return Err(error(
                SchemaErrorKind::BadReference,
                pointer,
                "$ref",
                format!("anchor references such as {reference:?} are not supported"),
            ));
        }
        match self.root.pointer(&decoded) {
            Some(target) => Ok((format!("#{decoded}"), target)),
            None => Err(error(
                SchemaErrorKind::BadReference,
                pointer,
                "$ref",
                format!("{reference:?} does not resolve"),
            )),
        }
    }

    pub(super) fn reference(&mut self, reference: &str, pointer: &str) -> Result<Expr> {
        let (target_pointer, target) = self.resolve(reference, pointer)?;
        if let Some(&id) = self.refs.get(&target_pointer) {
            return Ok(Expr::Rule(id));
        }
        let id = self.new_rule(target_pointer.clone(), &target_pointer)?;
        self.refs.insert(target_pointer.clone(), id);
        let body = self.schema(target, &target_pointer)?;
        self.rules[id.0 as usize].body = body;
        Ok(Expr::Rule(id))
    }

    pub(super) fn follow<'v>(&'v self, value: &'v Value) -> &'v Value {
        let mut value = value;
        for _ in 0..8 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference)
                    if value.as_object().is_some_and(|o| o.len() == 1)
                        || !self.draft.ref_has_siblings() =>
                {
                    match self.resolve(reference, "#") {
                        Ok((_, target)) => value = target,
                        Err(_) => return value,
                    }
                }
                _ => return value,
            }
        }
        value
    }
}
