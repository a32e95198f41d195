//! Objects whose named members may come in any order
//! ([`PropertyOrder::Any`]).
//!
//! **Why.** JSON Schema does not order an object's members, but rein's
//! default grammar ([`Compiler::members`]) takes them in schema order: the
//! canonical order for generation, one rule per member. Documents written
//! elsewhere — an API's responses, MaskBench's valid instances — often list
//! them in another order (`required` order, alphabetical, arbitrary), and
//! checking those needs the order free.
//!
//! **How.** The members become one [`MemberList`] ([`Expr::AnyOrder`]):
//! the recognizer carries the set of named members written so far with the
//! list's items, so each named member comes at most once, `}` comes only
//! once every required one is in and the count is within
//! `minProperties`/`maxProperties`, and a member is offered only while the
//! object can still be completed after it. Other members (from
//! `additionalProperties`/`patternProperties`) may come anywhere between
//! named ones. The language is exactly the schema's objects, up to the
//! duplicate extra keys that the schema-order grammar also cannot exclude.
//!
//! **Trade-off.** The grammar is about the size of schema order's — a rule
//! per member and two per object — whatever the number of members (a
//! grammar naming every subset would need `2^n` rules); the price is paid
//! in the recognizer, a table lookup per member step. The comma between
//! members is one automaton terminal shared by every object.

use std::sync::Arc;

use rein_core::grammar::{DfaTerminal, Expr, MemberList};

use super::layout::Close;
use super::{alt, seq, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::PropertyOrder;

/// What the objects of one schema share.
#[derive(Default)]
pub(super) struct Shared {
    /// The comma between members, as an automaton terminal: one terminal
    /// serves every object.
    comma: Option<Expr>,
}

impl Compiler<'_> {
    /// [`Shared::comma`], built on first use.
    fn any_order_comma(&mut self, pointer: &str) -> Result<Expr> {
        if let Some(comma) = &self.any_order.comma {
            return Ok(comma.clone());
        }
        let grammar_error =
            |message: String| super::error(SchemaErrorKind::Grammar, pointer, "", message);
        let dfa = super::terminal_dfa(&self.comma())
            .ok_or_else(|| grammar_error("the comma is not a regular terminal".into()))?
            .map_err(|problem| grammar_error(problem.to_string()))?;
        let comma = Expr::Automaton(DfaTerminal::new("comma between members", dfa));
        self.any_order.comma = Some(comma.clone());
        Ok(comma)
    }

    /// The object's members in any order, when [`PropertyOrder::Any`]
    /// applies to it; `None` to keep schema order ([`Compiler::members`]
    /// takes the same arguments).
    pub(super) fn any_order(
        &mut self,
        members: &[(Expr, bool)],
        extra: &Option<Expr>,
        min: u64,
        max: Option<u64>,
        pointer: &str,
    ) -> Result<Option<Expr>> {
        let PropertyOrder::Any { max_properties } = self.options.property_order else {
            return Ok(None);
        };
        // Members whose value can never validate are simply never written.
        let named: Vec<(Expr, bool)> = members
            .iter()
            .filter(|(member, _)| *member != Expr::Nothing)
            .cloned()
            .collect();
        let n = named.len();
        // Nothing to reorder: schema order is the same language.
        if n > max_properties || n == 0 || (n == 1 && extra.is_none()) {
            return Ok(None);
        }
        if max.is_some_and(|max| max < min) {
            return Ok(Some(Expr::Nothing));
        }
        let empty_allowed = min == 0 && named.iter().all(|(_, required)| !required);
        let list = MemberList {
            named,
            extra: extra.clone(),
            separator: self.any_order_comma(pointer)?,
            close: self.punct(true, "}", false),
            min,
            max,
        };
        Ok(Some(alt(vec![
            if empty_allowed {
                self.punct(false, "{", false).then_close(self, "}")
            } else {
                Expr::Nothing
            },
            seq(vec![
                self.punct(false, "{", true),
                Expr::AnyOrder(Arc::new(list)),
            ]),
        ])))
    }
}
