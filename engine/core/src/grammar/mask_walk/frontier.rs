//! The frontier of an Earley set — the byte terminals its items wait in,
//! with their DFA states — and the grouping of boundary nodes by which of
//! those terminals finish there.

use foldhash::HashMap;

use super::caches::{LexemeCaches, SharedId, LOCAL, SHARED};
use super::product::{ProductLexer, ACCEPTS};
use crate::automaton::ByteDfa;
use crate::grammar::cfg::{Cfg, Terminal};
use crate::grammar::earley::{EarleySet, Item};

/// Trie nodes where the same frontier slots accept: the parser's next set
/// is the same for all of them, so it is built once.
#[derive(Debug)]
pub(super) struct BoundaryGroup {
    /// The slots (indices into the frontier's lexemes) that accept.
    pub(super) finished: Box<[u32]>,
    /// The nodes, in trie order.
    pub(super) nodes: Vec<u32>,
}

/// Collects boundary nodes into groups by their finished slots.
///
/// The finished slots are a function of the [`ProductLexer`] state, so a
/// boundary reached in a state seen before joins that state's group
/// without working out its slots again: identifier-like lexemes make
/// almost every trie node a boundary.
#[derive(Default)]
pub(super) struct Grouper {
    pub(super) groups: Vec<BoundaryGroup>,
    pub(super) index: HashMap<Box<[u32]>, usize>,
    /// The group of each product state id, [`NO_GROUP`] if none yet.
    pub(super) group_of_state: Vec<u32>,
}

pub(super) const NO_GROUP: u32 = u32::MAX;

impl Grouper {
    /// Adds the boundary `node`, where the `finished` slots accept, and
    /// returns its group's index.
    pub(super) fn push(&mut self, finished: &[u32], node: u32) -> usize {
        let slot = match self.index.get(finished) {
            Some(&slot) => slot,
            None => {
                self.groups.push(BoundaryGroup {
                    finished: finished.into(),
                    nodes: Vec::new(),
                });
                self.index.insert(finished.into(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        self.groups[slot].nodes.push(node);
        slot
    }

    /// Adds the boundary `node`, reached in product state `state`.
    pub(super) fn add(
        &mut self,
        node: usize,
        state: u32,
        product: &ProductLexer,
        finished: &mut Vec<u32>,
    ) {
        let id = (state & !ACCEPTS) as usize;
        if let Some(&slot) = self.group_of_state.get(id) {
            if slot != NO_GROUP {
                self.groups[slot as usize].nodes.push(node as u32);
                return;
            }
        }
        product.finished(state, finished);
        let slot = self.push(finished, node as u32);
        if self.group_of_state.len() <= id {
            self.group_of_state.resize(id + 1, NO_GROUP);
        }
        self.group_of_state[id] = slot as u32;
    }
}

/// The items of an Earley set waiting in byte terminals.
pub(super) struct Frontier<'c> {
    /// One `(terminal, state)` per slot: distinct shared ids, sorted, or
    /// distinct pairs, sorted.
    pub(super) lexemes: Vec<(u32, u32)>,
    /// The DFA of each slot.
    pub(super) dfas: Vec<&'c ByteDfa>,
    /// Each waiting item with its slot.
    pub(super) waiting: Vec<(Item, u32)>,
    /// The frontier's part of a cache key.
    pub(super) key: Vec<u32>,
}

impl<'c> Frontier<'c> {
    pub(super) fn of(cfg: &'c Cfg, set: &EarleySet, caches: &LexemeCaches) -> Frontier<'c> {
        let mut pairs: Vec<(Item, (u32, u32), &'c ByteDfa)> = Vec::new();
        for item in set.items() {
            let Some((terminal, dfa, state)) =
                cfg.byte_terminal_at(item.production, item.dot, item.terminal_state)
            else {
                continue;
            };
            pairs.push((*item, (terminal, state), dfa));
        }
        // Slot labels: shared ids when every lexeme has one of the same
        // generation, else pairs.
        let shared_ids: Option<Vec<SharedId>> = pairs
            .iter()
            .map(|&(_, pair, dfa)| caches.shared_id(dfa, pair))
            .collect();
        let generation = match shared_ids.as_deref() {
            Some([first, rest @ ..]) if rest.iter().all(|id| id.generation == first.generation) => {
                Some(first.generation)
            }
            _ => None,
        };
        let labels: Vec<(u32, u32)> = match (&shared_ids, generation) {
            (Some(ids), Some(_)) => ids.iter().map(|id| (id.id, 0)).collect(),
            _ => pairs.iter().map(|&(_, pair, _)| pair).collect(),
        };
        let mut slots: Vec<(u32, u32)> = labels.clone();
        slots.sort_unstable();
        slots.dedup();
        let mut lexemes = vec![(0, 0); slots.len()];
        let mut dfas: Vec<&ByteDfa> = Vec::with_capacity(slots.len());
        let mut waiting = Vec::with_capacity(pairs.len());
        let mut filled = vec![false; slots.len()];
        for ((item, pair, _), label) in pairs.iter().zip(&labels) {
            let slot = slots.binary_search(label).unwrap_or_else(|slot| slot);
            if !filled[slot] {
                filled[slot] = true;
                lexemes[slot] = *pair;
            }
            waiting.push((*item, slot as u32));
        }
        for &(terminal, _) in &lexemes {
            if let Terminal::Bytes(dfa) = &cfg.terminals[terminal as usize] {
                dfas.push(dfa);
            }
        }
        let key = match generation {
            Some(generation) => [SHARED, generation]
                .into_iter()
                .chain(slots.iter().map(|&(id, _)| id))
                .collect(),
            None => std::iter::once(LOCAL)
                .chain(
                    slots
                        .iter()
                        .flat_map(|&(terminal, state)| [terminal, state]),
                )
                .collect(),
        };
        Frontier {
            lexemes,
            dfas,
            waiting,
            key,
        }
    }

    pub(super) fn is_shared(&self) -> bool {
        self.key.first() == Some(&SHARED)
    }

    /// The waiting items in the `finished` slots.
    pub(super) fn items_in(&self, finished: &[u32]) -> Vec<Item> {
        self.waiting
            .iter()
            .filter(|(_, slot)| finished.binary_search(slot).is_ok())
            .map(|&(item, _)| item)
            .collect()
    }
}
