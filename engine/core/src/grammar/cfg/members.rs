//! Member lists whose named members may come in any order, each at most
//! once: a JSON object checked against its schema whatever order its
//! members were written in.
//!
//! **Why.** A context-free grammar can say "these members, in any order,
//! each at most once" only by naming every set of members already written:
//! `2^n` rules for `n` members, which is out of reach past a dozen, and
//! MaskBench has objects with a hundred named members. The recognizer can
//! do better than the grammar: the set written so far is a small value
//! carried *with* an Earley item, the way a parametric grammar passes an
//! argument to a rule. A list is two nonterminals (the first member, and
//! every later one) whose productions each take one step — a named member
//! not yet written, an extra member, or the close — and a step is offered
//! only while the list can still be completed from the state it leads to.
//! States are made only when an item reaches them, so the cost grows with
//! the output, not with `2^n`.
//!
//! **Trade-off.** Earley items get one more field (an index of the state
//! in a per-chart table, [`MemberStates`]), and prediction and completion
//! look that state up for the few productions that step a list. Lists are
//! exact — every required member, no repeated named member, the member
//! count within bounds — but a list's state lives in the parser, so the
//! mask walk's lexeme caches see only the members it allows next, which is
//! what they see for a rule per set too.
//!
//! The list itself is IR ([`MemberList`](crate::grammar::MemberList), in
//! `ir.rs`); this module is the flattened side (a [`MemberFamily`] per list,
//! the [`MemberGuard`] on each of its productions) and a list's state, with
//! the rules for stepping it. The chart's table of states lives with the
//! recognizer (`earley/member_states.rs`).

use super::Symbol;

/// One step of a member list, as a production takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemberStep {
    /// Named member `index`.
    Named(u32),
    /// An extra member.
    Extra,
    /// The close.
    Close,
}

/// The step a production of a member list takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemberGuard {
    /// The list, by index into [`Cfg::families`](super::Cfg::families).
    pub family: u32,
    /// The step.
    pub step: MemberStep,
}

/// A member list flattened into the grammar: its limits, and the symbols
/// of its parts (to spell shortest completions).
#[derive(Clone, Debug)]
pub struct MemberFamily {
    /// The nonterminal of the first member.
    pub first: u32,
    /// The nonterminal of every later member (and the close).
    pub next: u32,
    /// Each named member's symbol.
    pub named: Vec<Symbol>,
    /// Bit `i` is set when named member `i` is required.
    pub required: Box<[u64]>,
    /// The extra member's symbol, if extras are allowed.
    pub extra: Option<Symbol>,
    /// The separator's symbols.
    pub separator: Vec<Symbol>,
    /// The close's symbols.
    pub close: Vec<Symbol>,
    /// At least this many members.
    pub min: u64,
    /// At most this many members.
    pub max: Option<u64>,
}

/// Whether bit `index` of a bit set stored as words is set.
fn has_bit(words: &[u64], index: u32) -> bool {
    words
        .get((index / 64) as usize)
        .is_some_and(|bits| bits >> (index % 64) & 1 == 1)
}

/// Sets bit `index` of a bit set stored as words, growing it as needed.
pub(crate) fn set_bit(words: &mut Vec<u64>, index: u32) {
    let word = (index / 64) as usize;
    if words.len() <= word {
        words.resize(word + 1, 0);
    }
    words[word] |= 1 << (index % 64);
}

/// Where a list is: the named members written, and how many extra ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemberState {
    /// Bit `i` for named member `i` (no trailing zero words, so equal sets
    /// are equal values).
    written: Box<[u64]>,
    /// Extra members written, counted only as far as the limits care.
    extras: u32,
}

impl MemberState {
    fn has(&self, index: u32) -> bool {
        has_bit(&self.written, index)
    }

    fn with(&self, index: u32) -> MemberState {
        let mut written = self.written.to_vec();
        set_bit(&mut written, index);
        MemberState {
            written: written.into_boxed_slice(),
            extras: self.extras,
        }
    }

    fn named_count(&self) -> u64 {
        self.written.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// Members written in all.
    fn count(&self) -> u64 {
        self.named_count() + u64::from(self.extras)
    }

    /// Required members not written yet.
    fn missing(&self, family: &MemberFamily) -> u64 {
        family
            .required
            .iter()
            .enumerate()
            .map(|(i, required)| {
                let written = self.written.get(i).copied().unwrap_or(0);
                u64::from((required & !written).count_ones())
            })
            .sum()
    }
}

impl MemberFamily {
    /// Whether some completion of the list from `state` meets every limit.
    fn completable(&self, state: &MemberState) -> bool {
        let count = state.count();
        let fewest = (count + state.missing(self)).max(self.min).max(1);
        let most = if self.extra.is_some() {
            u64::MAX
        } else {
            count + (self.named.len() as u64 - state.named_count())
        };
        let most = self.max.map_or(most, |max| most.min(max));
        fewest <= most
    }

    /// Whether the list may close in `state`.
    fn may_close(&self, state: &MemberState) -> bool {
        let count = state.count();
        count >= 1
            && count >= self.min
            && self.max.is_none_or(|max| count <= max)
            && state.missing(self) == 0
    }

    /// The state after `step` from `state`, if the step is allowed there and
    /// the list can still be completed after it (the close leaves the state
    /// as it is).
    pub fn after(&self, state: &MemberState, step: MemberStep) -> Option<MemberState> {
        let next = match step {
            MemberStep::Close => return self.may_close(state).then(|| state.clone()),
            MemberStep::Named(index) => {
                if state.has(index) {
                    return None;
                }
                state.with(index)
            }
            MemberStep::Extra => {
                self.extra?;
                // Past the largest bound that matters, more extras change
                // nothing: counting stops there.
                // (one past `max` is kept, and is never completable).
                let cap = self
                    .max
                    .map_or(self.min, |max| max.saturating_add(1))
                    .clamp(1, u64::from(u32::MAX)) as u32;
                MemberState {
                    written: state.written.clone(),
                    extras: state.extras.saturating_add(1).min(cap),
                }
            }
        };
        self.completable(&next).then_some(next)
    }

    /// The symbols of a shortest completion from `state`, separators
    /// included, by the byte lengths of the members' shortest strings
    /// (`length`): the required members still missing, then the shortest
    /// members until there are `min`, then the close. `written` when a
    /// member came before, so the first one gets a separator too; `None`
    /// when a needed member derives no string.
    pub fn shortest_rest(
        &self,
        state: &MemberState,
        written: bool,
        length: impl Fn(Symbol) -> Option<usize>,
    ) -> Option<Vec<Symbol>> {
        self.spell(&self.shortest_steps(state, length)?, written)
    }

    /// The steps of [`MemberFamily::shortest_rest`].
    fn shortest_steps(
        &self,
        state: &MemberState,
        length: impl Fn(Symbol) -> Option<usize>,
    ) -> Option<Vec<MemberStep>> {
        let mut state = state.clone();
        let mut steps = Vec::new();
        while !self.may_close(&state) {
            let step = (0..self.named.len() as u32)
                .filter(|&i| !state.has(i) && self.is_required(i))
                .map(MemberStep::Named)
                .next()
                .or_else(|| {
                    // The cheapest member that keeps the list completable.
                    let named = (0..self.named.len() as u32)
                        .filter(|&i| !state.has(i))
                        .map(|i| (MemberStep::Named(i), self.named[i as usize]));
                    let extra = self.extra.map(|symbol| (MemberStep::Extra, symbol));
                    named
                        .chain(extra)
                        .filter_map(|(step, symbol)| Some((length(symbol)?, step)))
                        .filter(|&(_, step)| self.after(&state, step).is_some())
                        .min_by_key(|&(length, _)| length)
                        .map(|(_, step)| step)
                })?;
            state = self.after(&state, step)?;
            steps.push(step);
        }
        steps.push(MemberStep::Close);
        Some(steps)
    }

    /// The symbols of `steps` in order (separators included).
    fn spell(&self, steps: &[MemberStep], mut written: bool) -> Option<Vec<Symbol>> {
        let mut symbols = Vec::new();
        for &step in steps {
            let member = match step {
                MemberStep::Close => {
                    symbols.extend(&self.close);
                    continue;
                }
                MemberStep::Named(index) => *self.named.get(index as usize)?,
                MemberStep::Extra => self.extra?,
            };
            if written {
                symbols.extend(&self.separator);
            }
            written = true;
            symbols.push(member);
        }
        Some(symbols)
    }

    fn is_required(&self, index: u32) -> bool {
        has_bit(&self.required, index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::cfg::Cfg;
    use crate::grammar::earley::{Chart, MemberStates};
    use crate::grammar::{Expr, MemberList};
    use crate::grammar::{Grammar, Origin, Rule, RuleId};
    use std::sync::Arc;

    fn family(
        named: usize,
        required: &[u32],
        extra: bool,
        min: u64,
        max: Option<u64>,
    ) -> MemberFamily {
        let mut bits = vec![0u64; named.div_ceil(64)];
        for &r in required {
            bits[(r / 64) as usize] |= 1 << (r % 64);
        }
        MemberFamily {
            first: 0,
            next: 1,
            named: (0..named as u32).map(Symbol::Terminal).collect(),
            required: bits.into_boxed_slice(),
            extra: extra.then_some(Symbol::Terminal(1000)),
            separator: vec![Symbol::Terminal(2000)],
            close: vec![Symbol::Terminal(3000)],
            min,
            max,
        }
    }

    #[test]
    fn named_members_come_once_and_required_ones_before_the_close() {
        let family = family(100, &[3, 70], false, 0, None);
        let empty = MemberState::default();
        assert!(family.after(&empty, MemberStep::Close).is_none());
        let one = family.after(&empty, MemberStep::Named(70)).unwrap();
        assert!(family.after(&one, MemberStep::Named(70)).is_none());
        assert!(family.after(&one, MemberStep::Close).is_none());
        let two = family.after(&one, MemberStep::Named(3)).unwrap();
        assert!(family.after(&two, MemberStep::Close).is_some());
        assert!(family.after(&two, MemberStep::Extra).is_none());
    }

    #[test]
    fn counts_keep_the_list_completable() {
        // At most two members, one of them required: an optional first
        // member leaves room only for the required one.
        let family = family(4, &[0], true, 0, Some(2));
        let empty = MemberState::default();
        let one = family.after(&empty, MemberStep::Named(1)).unwrap();
        assert!(family.after(&one, MemberStep::Named(2)).is_none());
        assert!(family.after(&one, MemberStep::Extra).is_none());
        assert!(family.after(&one, MemberStep::Named(0)).is_some());
        // At least three members of three named ones: no close before.
        let family = super::tests::family(3, &[], false, 3, None);
        let mut state = MemberState::default();
        for i in 0..2 {
            state = family.after(&state, MemberStep::Named(i)).unwrap();
            assert!(family.after(&state, MemberStep::Close).is_none());
        }
        state = family.after(&state, MemberStep::Named(2)).unwrap();
        assert!(family.after(&state, MemberStep::Close).is_some());
    }

    #[test]
    fn shortest_steps_write_the_required_members_then_close() {
        let family = family(5, &[4, 1], true, 3, None);
        let length = |symbol: Symbol| match symbol {
            Symbol::Terminal(1000) => Some(1),
            _ => Some(10),
        };
        let steps = family
            .shortest_steps(&MemberState::default(), length)
            .unwrap();
        assert_eq!(
            steps,
            [
                MemberStep::Named(1),
                MemberStep::Named(4),
                MemberStep::Extra,
                MemberStep::Close
            ]
        );
        let symbols = family
            .shortest_rest(&MemberState::default(), false, length)
            .unwrap();
        assert_eq!(symbols.len(), 3 + 2 + 1);
    }

    /// `{` then `a`, `b` and `c` in any order, `b` required, `,` between.
    fn letters() -> Cfg {
        let list = MemberList {
            named: ["a", "b", "c"]
                .iter()
                .map(|name| (Expr::Literal(name.to_string()), *name == "b"))
                .collect(),
            extra: None,
            separator: Expr::Literal(",".into()),
            close: Expr::Literal("}".into()),
            min: 0,
            max: None,
        };
        let root = Rule {
            name: "root".into(),
            body: Expr::Sequence(vec![
                Expr::Literal("{".into()),
                Expr::AnyOrder(Arc::new(list)),
            ]),
            origin: Origin::Built,
        };
        Cfg::new(&Grammar::from_rules(vec![root], RuleId(0)).unwrap()).unwrap()
    }

    #[test]
    fn the_recognizer_tracks_the_members_written() {
        let cfg = letters();
        for text in ["{b}", "{a,b}", "{c,b,a}", "{b,c}"] {
            assert!(Chart::recognizes(&cfg, text.as_bytes()), "{text}");
        }
        for text in ["{}", "{a}", "{a,c}", "{b,b}", "{a,b,a}", "{b,}"] {
            assert!(!Chart::recognizes(&cfg, text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn states_are_interned_per_chart() {
        let cfg = letters();
        let step = |wanted: MemberStep| {
            let index = cfg.productions.iter().position(|production| {
                production.guard.is_some_and(|guard| guard.step == wanted)
                    && production.lhs == cfg.families[0].next
            });
            index.unwrap() as u32
        };
        let mut states = MemberStates::default();
        let a = states.after(&cfg, 0, step(MemberStep::Named(0))).unwrap();
        let b = states.after(&cfg, a, step(MemberStep::Named(1))).unwrap();
        assert_eq!(states.after(&cfg, a, step(MemberStep::Named(0))), None);
        assert_eq!(states.known_after(a, step(MemberStep::Named(1))), Some(b));
        assert_eq!(states.after(&cfg, b, step(MemberStep::Close)), Some(b));
        assert_eq!(states.after(&cfg, a, step(MemberStep::Close)), None);
        assert_ne!(a, b);
        assert_ne!(a, 0);
    }
}
