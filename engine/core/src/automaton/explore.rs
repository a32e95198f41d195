//! The exploration behind every combination of [`ByteDfa`]s.
//!
//! Products (intersection, difference) and compositions (sequence, union)
//! all build a new DFA the same way: a state is a small key made of the
//! parts' states (a tuple, or a set of pairs), found breadth-first from the
//! start key and numbered as it is first met; each state's row is filled by
//! stepping its key on one byte of every class. Only what a key means —
//! its successor on a byte, whether it accepts, when it is dead — differs,
//! and that stays with the caller. This module owns the rest: the key
//! index, the rows, the state and time limits, and the final pruning.

use foldhash::{HashMap, HashMapExt};
use std::hash::Hash;
use std::time::Instant;

use super::{ByteDfa, CompileError, ProductConfig, RawDfa};

/// States found so far, keyed by what they are made of.
pub(super) struct Explorer<'c, T> {
    config: &'c ProductConfig,
    started: Instant,
    ids: HashMap<Vec<T>, u32>,
    /// Keys found but whose rows are not filled yet, with their index.
    pending: Vec<(Vec<T>, u32)>,
    transitions: Vec<u32>,
    accepting: Vec<bool>,
    stride: usize,
    expanded: usize,
    /// Key entries times byte classes stepped so far.
    work: usize,
}

impl<'c, T: Hash + Eq + Clone> Explorer<'c, T> {
    /// An exploration with rows of `stride` classes; state 0 is dead.
    pub(super) fn new(config: &'c ProductConfig, stride: usize) -> Explorer<'c, T> {
        Explorer {
            config,
            started: Instant::now(),
            ids: HashMap::new(),
            pending: Vec::new(),
            transitions: vec![0u32; stride],
            accepting: vec![false],
            stride,
            expanded: 0,
            work: 0,
        }
    }

    /// The index of the state made of `key`, adding it (accepting as
    /// `accepts` says) when it is new. Dead keys are the caller's to map to
    /// state 0.
    pub(super) fn intern(
        &mut self,
        key: &[T],
        accepts: impl FnOnce() -> bool,
    ) -> Result<u32, CompileError> {
        if let Some(&index) = self.ids.get(key) {
            return Ok(index);
        }
        if self.accepting.len() >= self.config.max_states {
            return Err(CompileError::limit(
                "max_states",
                format!(
                    "combining automata needs more than {} states",
                    self.config.max_states
                ),
            ));
        }
        let index = self.accepting.len() as u32;
        self.accepting.push(accepts());
        self.transitions.extend(std::iter::repeat_n(0, self.stride));
        self.ids.insert(key.to_vec(), index);
        self.pending.push((key.to_vec(), index));
        Ok(index)
    }

    /// A state whose row is still to fill, with its index; `None` when all
    /// are filled. Errors once the work or time limit has passed.
    pub(super) fn next_pending(&mut self) -> Result<Option<(Vec<T>, u32)>, CompileError> {
        self.expanded += 1;
        if self.expanded % 64 == 0 && self.started.elapsed() > self.config.max_compile_time {
            return Err(CompileError::limit(
                "max_compile_time",
                format!(
                    "combining automata took longer than {:?}",
                    self.config.max_compile_time
                ),
            ));
        }
        let next = self.pending.pop();
        if let Some((key, _)) = &next {
            self.work = self
                .work
                .saturating_add(key.len().max(1).saturating_mul(self.stride));
            if self.work > self.config.max_work {
                return Err(CompileError::limit(
                    "max_work",
                    format!(
                        "combining automata needs more than {} steps",
                        self.config.max_work
                    ),
                ));
            }
        }
        Ok(next)
    }

    /// Sets the transition of state `from` on byte class `class`.
    pub(super) fn set(&mut self, from: u32, class: usize, to: u32) {
        self.transitions[from as usize * self.stride + class] = to;
    }

    /// The finished DFA (dead ends pruned), starting in state `start`.
    pub(super) fn finish(self, classes: [u8; 256], start: u32) -> Result<ByteDfa, CompileError> {
        RawDfa {
            classes,
            stride: self.stride,
            transitions: self.transitions,
            accepting: self.accepting,
            start,
        }
        .finish()
    }
}
