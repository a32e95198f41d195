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
//! **How.** For the `n` named members (`properties`, and `required` names
//! without a schema) a state is the set of named members written so far, a
//! bit set (one of `2^n`), with the number of members written, counted only
//! as far as `minProperties`/`maxProperties` need. From a state the next
//! member is any named one not in the set — so no key is written twice —
//! or an extra member (a key that is none of the named ones, from the
//! `additionalProperties`/`patternProperties` key classes); `}` may come
//! once every required member is in the set and the count is in range. The
//! language is exactly the schema's objects, up to the duplicate extra keys
//! that the schema-order grammar also cannot exclude.
//!
//! **Trade-off.** The grammar grows with the number of states: `2^n`
//! without counts, times the counts that matter with them. Only objects with
//! at most `max_properties` named members get this grammar (at most
//! [`PropertyOrder::MAX_ANY`]), and only while the schema's objects together
//! stay within [`MAX_SCHEMA_ALTERNATIVES`]; other objects keep schema order,
//! which accepts fewer documents, never an invalid one. Extra members may
//! come anywhere between named ones unless the (set, count) states would
//! pass [`MAX_STATES`] — many named members with a large `maxProperties` —
//! where they come after the named members, again a restriction only.
//! States are built only when reachable and only while the rest of the
//! object can still be completed; every member is one shared rule, and the
//! comma between members is one automaton terminal, so that no state
//! becomes a lexeme of its own: compile time stays about that of schema
//! order (a lexeme per state took several times as long on some MaskBench schemas).

use std::collections::HashMap;

use rein_core::grammar::{DfaTerminal, Expr, RuleId};

use super::{alt, seq, Close, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::PropertyOrder;

/// The most (set written, count) states one object may have with extra
/// members allowed anywhere; past it extras come after the named members.
const MAX_STATES: u64 = 4096;

/// The most alternatives (a member or `}` after a state) all objects of
/// one schema may have together; objects past it keep schema order. An
/// alternative is about four expression nodes, so this stays well within
/// the grammar's limit of about a million however many objects a schema
/// has: 85 objects of eight members, or four of twelve.
const MAX_SCHEMA_ALTERNATIVES: u64 = 131_072;

/// What the objects of one schema share.
#[derive(Default)]
pub(super) struct Shared {
    /// Alternatives spent so far (see [`MAX_SCHEMA_ALTERNATIVES`]).
    alternatives: u64,
    /// The comma between members, as an automaton terminal: it never joins
    /// a lexeme, so no state's rest of an object becomes one (determinizing
    /// one lexeme per subset would cost more compile time than its masks
    /// save), and one terminal serves every object.
    comma: Option<Expr>,
}

/// Named members written (bit `i` for member `i`), members written (counted
/// up to the object's cap), and whether only extras may follow.
type State = (u32, u64, bool);

/// One object's lattice of states while its rules are built.
struct Lattice {
    /// Each possible named member as a rule (key and value), and whether it
    /// is required.
    members: Vec<(Expr, bool)>,
    /// The bits of the required members.
    required: u32,
    /// Any extra member as a rule, if extras are possible.
    extra: Option<Expr>,
    /// Whether extras may come between named members.
    extras_anywhere: bool,
    /// The comma between members ([`Shared::comma`]).
    comma: Expr,
    min: u64,
    max: Option<u64>,
    /// Counts at or past this are one state (`max`, or `min` without it).
    cap: u64,
    rules: HashMap<State, RuleId>,
    pending: Vec<(State, RuleId)>,
}

impl Lattice {
    /// The rule of `state`, built later; `Nothing` when the object can no
    /// longer be completed from it.
    fn state(&mut self, compiler: &mut Compiler<'_>, state: State, pointer: &str) -> Result<Expr> {
        let (written, count, tail) = state;
        // Only extras follow in the tail, and every required member is in.
        let missing = if tail {
            0
        } else {
            u64::from((self.required & !written).count_ones())
        };
        if self.max.is_some_and(|max| count + missing > max) {
            return Ok(Expr::Nothing);
        }
        let unwritten = (self.members.len() as u32 - written.count_ones()) as u64;
        if self.extra.is_none() && count + unwritten < self.min {
            return Ok(Expr::Nothing);
        }
        if let Some(&id) = self.rules.get(&state) {
            return Ok(Expr::Rule(id));
        }
        let id = compiler.new_rule(
            format!(
                "{pointer} any order {written:b} count {count}{}",
                if tail { " extras" } else { "" }
            ),
            pointer,
        )?;
        self.rules.insert(state, id);
        self.pending.push((state, id));
        Ok(Expr::Rule(id))
    }

    /// What may follow in `state`.
    fn body(&mut self, compiler: &mut Compiler<'_>, state: State, pointer: &str) -> Result<Expr> {
        let (written, count, tail) = state;
        let complete = tail || self.required & !written == 0;
        let mut alternatives = Vec::new();
        if count > 0 && count >= self.min && complete {
            alternatives.push(compiler.punct(true, "}", false));
        }
        if self.max.is_some_and(|max| count >= max) {
            return Ok(alt(alternatives));
        }
        let separator = if count == 0 {
            Expr::Empty
        } else {
            self.comma.clone()
        };
        let next = (count + 1).min(self.cap);
        if !tail {
            for index in 0..self.members.len() {
                let bit = 1u32 << index;
                if written & bit != 0 {
                    continue;
                }
                let rest = self.state(compiler, (written | bit, next, false), pointer)?;
                let member = self.members[index].0.clone();
                alternatives.push(seq(vec![separator.clone(), member, rest]));
            }
        }
        if let Some(extra) = self.extra.clone() {
            let rest = if self.extras_anywhere {
                self.state(compiler, (written, next, false), pointer)?
            } else if complete {
                // After the named members, the set no longer matters.
                self.state(compiler, (0, next, true), pointer)?
            } else {
                Expr::Nothing
            };
            alternatives.push(seq(vec![separator, extra, rest]));
        }
        Ok(alt(alternatives))
    }
}

/// `n choose k` for small `n`.
fn choose(n: u64, k: u64) -> u64 {
    (0..k).fold(1, |product, i| product * (n - i) / (i + 1))
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
        let possible: Vec<&(Expr, bool)> = members
            .iter()
            .filter(|(member, _)| *member != Expr::Nothing)
            .collect();
        let n = possible.len();
        if n > max_properties.min(PropertyOrder::MAX_ANY) {
            return Ok(None);
        }
        // Nothing to reorder: schema order is the same language.
        if n == 0 || (n == 1 && extra.is_none()) {
            return Ok(None);
        }
        if max.is_some_and(|max| max < min) {
            return Ok(Some(Expr::Nothing));
        }
        let cap = super::member_cap(min, max, n, extra.is_some());
        if cap > 1000 {
            // Schema order reports the limit with its keyword.
            return Ok(None);
        }
        // State 0 (nothing written yet) and 1 (a comma comes next) differ.
        let cap = cap.max(1);
        // The sets of k members that fit, each with the alternatives of its
        // states (the n - k members left, an extra, and `}`); with extras
        // anywhere every count from k (or the cap) up to the cap is a state.
        let n64 = n as u64;
        let sizes = (0..=n64).filter(|&k| max.is_none_or(|max| k <= max));
        let anywhere_states: u64 = sizes
            .clone()
            .map(|k| choose(n64, k) * (cap - k.min(cap) + 1))
            .sum();
        let extras_anywhere = extra.is_some() && anywhere_states <= MAX_STATES;
        let alternatives: u64 = if extras_anywhere {
            sizes
                .map(|k| choose(n64, k) * (cap - k.min(cap) + 1) * (n64 - k + 2))
                .sum()
        } else {
            sizes.map(|k| choose(n64, k) * (n64 - k + 2)).sum::<u64>() + 2 * (cap + 1)
        };
        if self.any_order.alternatives + alternatives > MAX_SCHEMA_ALTERNATIVES {
            return Ok(None);
        }
        self.any_order.alternatives += alternatives;
        let mut shared = Vec::with_capacity(n);
        let mut required = 0u32;
        for (index, (member, is_required)) in possible.into_iter().enumerate() {
            let id = self.new_rule(format!("{pointer} any order member {index}"), pointer)?;
            self.rules[id.0 as usize].body = member.clone();
            shared.push((Expr::Rule(id), *is_required));
            if *is_required {
                required |= 1 << index;
            }
        }
        let extra = match extra {
            Some(extra) => {
                let id = self.new_rule(format!("{pointer} any order extra"), pointer)?;
                self.rules[id.0 as usize].body = extra.clone();
                Some(Expr::Rule(id))
            }
            None => None,
        };
        let comma = self.any_order_comma(pointer)?;
        let mut lattice = Lattice {
            comma,
            members: shared,
            required,
            extras_anywhere,
            extra,
            min,
            max,
            cap,
            rules: HashMap::new(),
            pending: Vec::new(),
        };
        let start = lattice.state(self, (0, 0, false), pointer)?;
        while let Some((state, id)) = lattice.pending.pop() {
            let body = lattice.body(self, state, pointer)?;
            self.rules[id.0 as usize].body = body;
        }
        let empty_allowed = min == 0 && required == 0;
        Ok(Some(alt(vec![
            if empty_allowed {
                self.punct(false, "{", false).then_close(self, "}")
            } else {
                Expr::Nothing
            },
            seq(vec![self.punct(false, "{", true), start]),
        ])))
    }
}
