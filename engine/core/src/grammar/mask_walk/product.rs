//! The lazy product of a frontier's lexeme DFAs: one state per tuple of
//! their states, built as the trie walk meets it, so a walk steps one
//! table per byte however many lexemes the frontier holds.

use foldhash::{HashMap, HashMapExt};

use crate::automaton::{ByteDfa, DEAD};

/// Marks a [`ProductLexer`] state in which some lexeme accepts.
pub(super) const ACCEPTS: u32 = 1 << 31;

/// The frontier's lexeme DFAs run in parallel as one lazily built DFA, so
/// the trie walk does one table lookup per byte however many lexemes the
/// frontier has. A state is the tuple of the lexemes' states, numbered as
/// it is first reached; its transitions are filled in on first use.
pub(super) struct ProductLexer<'d, 'c> {
    pub(super) dfas: &'d [&'c ByteDfa],
    /// `tuples[id * width..][..width]`: each lexeme's state in state `id`.
    pub(super) tuples: Vec<u32>,
    pub(super) index: HashMap<Box<[u32]>, u32>,
    /// `transitions[id * 256 + byte]`: the next state (with [`ACCEPTS`]),
    /// [`NO_STATE`] for dead, [`UNKNOWN`] not computed yet.
    pub(super) transitions: Vec<u32>,
    pub(super) scratch: Vec<u32>,
}

pub(super) const UNKNOWN: u32 = u32::MAX;
/// States past this many get no transition row (1 KiB each): their steps are
/// computed every time, which bounds memory when a huge lexeme (a 100,000
/// value enum) meets the trie.
pub(super) const MAX_MEMOIZED_STATES: usize = 4096;
pub(super) const NO_STATE: u32 = u32::MAX - 1;

impl<'d, 'c> ProductLexer<'d, 'c> {
    pub(super) fn new(dfas: &'d [&'c ByteDfa]) -> ProductLexer<'d, 'c> {
        ProductLexer {
            dfas,
            tuples: Vec::new(),
            index: HashMap::new(),
            transitions: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The state for `tuple` (with [`ACCEPTS`]), `None` when all are dead.
    pub(super) fn state(&mut self, tuple: &[u32]) -> Option<u32> {
        if tuple.iter().all(|&state| state == DEAD) {
            return None;
        }
        let id = match self.index.get(tuple) {
            Some(&id) => id,
            None => {
                let id = self.index.len() as u32;
                self.index.insert(tuple.into(), id);
                self.tuples.extend_from_slice(tuple);
                if (id as usize) < MAX_MEMOIZED_STATES {
                    self.transitions.extend([UNKNOWN; 256]);
                }
                id
            }
        };
        let accepts = tuple
            .iter()
            .zip(self.dfas)
            .any(|(&state, dfa)| state != DEAD && dfa.is_accepting(state));
        Some(if accepts { id | ACCEPTS } else { id })
    }

    #[inline]
    pub(super) fn step(&mut self, state: u32, byte: u8) -> Option<u32> {
        let id = (state & !ACCEPTS) as usize;
        let next = self
            .transitions
            .get(id * 256 + byte as usize)
            .copied()
            .unwrap_or(UNKNOWN);
        match next {
            NO_STATE => None,
            UNKNOWN => {
                let width = self.dfas.len();
                let mut tuple = std::mem::take(&mut self.scratch);
                tuple.clear();
                for (slot, dfa) in self.dfas.iter().enumerate() {
                    let component = self.tuples[id * width + slot];
                    tuple.push(if component == DEAD {
                        DEAD
                    } else {
                        dfa.next(component, byte)
                    });
                }
                let next = self.state(&tuple);
                self.scratch = tuple;
                if let Some(slot) = self.transitions.get_mut(id * 256 + byte as usize) {
                    *slot = next.unwrap_or(NO_STATE);
                }
                next
            }
            next => Some(next),
        }
    }

    /// The slots whose lexeme is alive in `state`, and those whose lexeme
    /// accepts.
    pub(super) fn slots(&self, state: u32) -> (Vec<u32>, Vec<u32>) {
        let width = self.dfas.len();
        let id = (state & !ACCEPTS) as usize;
        let mut live = Vec::new();
        let mut accepting = Vec::new();
        for (slot, dfa) in self.dfas.iter().enumerate() {
            let component = self.tuples[id * width + slot];
            if component != DEAD {
                live.push(slot as u32);
                if dfa.is_accepting(component) {
                    accepting.push(slot as u32);
                }
            }
        }
        (live, accepting)
    }

    /// The slots whose lexeme accepts in `state`, into `out`.
    pub(super) fn finished(&self, state: u32, out: &mut Vec<u32>) {
        out.clear();
        let width = self.dfas.len();
        let id = (state & !ACCEPTS) as usize;
        for (slot, dfa) in self.dfas.iter().enumerate() {
            let component = self.tuples[id * width + slot];
            if component != DEAD && dfa.is_accepting(component) {
                out.push(slot as u32);
            }
        }
    }
}
