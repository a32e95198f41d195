//! Byte-level deterministic automata for regular constraints.
//!
//! Regexes, label sets and the substrings of a text (`substrings`, for
//! values copied from a document) all compile to a [`ByteDfa`]: a table-driven DFA
//! over bytes whose every state except the single dead state can still reach
//! an accepting state. That invariant is what makes masks sound: a token is
//! allowed exactly when its bytes do not lead to the dead state, and then the
//! output can always be completed.
//!
//! The table uses byte equivalence classes (bytes the automaton never tells
//! apart share a column) and premultiplied state ids (a state id is its row
//! offset), so one transition is one add and one load. State `0` is dead.
//!
//! Compilation is bounded: [`RegexConfig`] caps the pattern, the NFA, the
//! determinization and the final number of states, and each cap, when hit,
//! is a [`CompileError`] that says which limit and how to raise it.
//!
//! DFAs combine by intersection and difference ([`ProductConfig`]), for
//! languages no single regex states, and by sequence and union (`compose`),
//! which builds a grammar lexeme from DFAs of its pieces.

mod compose;
mod error;
mod explore;
mod labels;
mod product;
mod regex;
mod repeat;
mod substrings;

use std::collections::VecDeque;

pub(crate) use compose::{combine, Combine};
pub use error::{CompileError, CompileErrorKind};
pub use product::ProductConfig;
pub use regex::RegexConfig;
pub use repeat::RepeatConfig;

/// A byte DFA where every non-dead state can reach acceptance.
#[derive(Clone)]
pub struct ByteDfa {
    /// The equivalence class of each byte.
    classes: [u8; 256],
    /// The number of classes, i.e. the row length of `transitions`.
    stride: usize,
    /// `transitions[state + class]` is the next state (premultiplied).
    transitions: Vec<u32>,
    /// `accepting[state / stride]`: may the output end in this state?
    accepting: Vec<bool>,
    /// The same as a bitset over premultiplied ids (bit `state`), so the
    /// hot loops test acceptance without a division.
    accepting_ids: Box<[u64]>,
    start: u32,
}

/// The dead state: no continuation from it can ever be accepted.
pub const DEAD: u32 = 0;

/// Ends a state's entry in [`ByteDfa::canonical_within`] when the state
/// lies at the depth bound (no byte or state number is this large).
pub const DEPTH_END: u32 = u32::MAX;

impl ByteDfa {
    /// Assembles a DFA from its table (premultiplied ids, state 0 dead).
    fn new(
        classes: [u8; 256],
        stride: usize,
        transitions: Vec<u32>,
        accepting: Vec<bool>,
        start: u32,
    ) -> ByteDfa {
        let mut accepting_ids = vec![0u64; transitions.len().div_ceil(64)];
        for (index, _) in accepting.iter().enumerate().filter(|(_, &yes)| yes) {
            let id = index * stride;
            accepting_ids[id / 64] |= 1 << (id % 64);
        }
        ByteDfa {
            classes,
            stride,
            transitions,
            accepting,
            accepting_ids: accepting_ids.into(),
            start,
        }
    }

    /// The DFA of every run of consecutive `units` of a text (the empty run
    /// included): a copy of part of the text that starts and ends between
    /// units. At most `max_units` units.
    pub fn substrings<U: AsRef<[u8]>>(
        units: &[U],
        max_units: usize,
    ) -> Result<ByteDfa, CompileError> {
        substrings::build(units, max_units)
    }

    /// Builds the DFA for a regex matched against the whole output, with the
    /// default [`RegexConfig`].
    pub fn regex(pattern: &str) -> Result<ByteDfa, CompileError> {
        RegexConfig::default().build(pattern)
    }

    /// Builds the DFA that accepts exactly one of `labels`.
    pub fn labels<S: AsRef<str>>(labels: &[S]) -> Result<ByteDfa, CompileError> {
        labels::build(labels)
    }

    /// The DFA accepting what both `self` and `other` accept, with the
    /// default [`ProductConfig`].
    pub fn intersection(&self, other: &ByteDfa) -> Result<ByteDfa, CompileError> {
        ProductConfig::default().build(&[self, other], &[])
    }

    /// The DFA accepting what `self` accepts and `other` does not, with the
    /// default [`ProductConfig`].
    pub fn difference(&self, other: &ByteDfa) -> Result<ByteDfa, CompileError> {
        ProductConfig::default().build(&[self], &[other])
    }

    /// The start state.
    pub fn start(&self) -> u32 {
        self.start
    }

    /// The state after reading `byte` in `state`; [`DEAD`] if none.
    #[inline(always)]
    pub fn next(&self, state: u32, byte: u8) -> u32 {
        self.transitions[state as usize + self.classes[byte as usize] as usize]
    }

    /// The state after reading all of `bytes` from `state`.
    pub fn next_bytes(&self, mut state: u32, bytes: &[u8]) -> u32 {
        for &byte in bytes {
            state = self.next(state, byte);
            if state == DEAD {
                break;
            }
        }
        state
    }

    /// Whether the output may end in `state`.
    #[inline]
    pub fn is_accepting(&self, state: u32) -> bool {
        self.accepting_ids[state as usize / 64] & (1 << (state % 64)) != 0
    }

    /// The number of states, the dead state included.
    pub fn state_count(&self) -> usize {
        self.accepting.len()
    }

    /// The number of byte equivalence classes.
    pub fn class_count(&self) -> usize {
        self.stride
    }

    /// Bytes of heap memory held by the table.
    pub fn memory_usage(&self) -> usize {
        self.transitions.capacity() * std::mem::size_of::<u32>()
            + self.accepting.capacity()
            + std::mem::size_of_val(&*self.accepting_ids)
    }

    /// The part of the automaton reachable from `state` within `max_depth`
    /// bytes, written so that two states (of this or any other DFA) with
    /// the same encoding accept the same continuations of up to
    /// `max_depth` bytes, and tell the same prefixes of them apart as live
    /// and accepting: states are numbered in breadth-first order from
    /// `state`, visiting bytes `0..=255`; each contributes its accepting
    /// flag, then either [`DEPTH_END`] (first reached `max_depth` bytes
    /// away: its steps are past the horizon) or its transitions as runs
    /// `(last byte of the run, target)` over all 256 bytes, targets written
    /// as number + 1 and the dead state as 0. `None` from the dead state
    /// or when more than `max_states` states are numbered.
    ///
    /// A mask walk goes no deeper than the longest token, so states that
    /// agree to that depth walk alike: every state of a long counter (a
    /// string of at most 5,000 characters, 20 characters in) has the same
    /// encoding until the bound comes within a token's length.
    pub fn canonical_within(
        &self,
        state: u32,
        max_depth: usize,
        max_states: usize,
    ) -> Option<Vec<u32>> {
        if state == DEAD {
            return None;
        }
        // Runs of bytes sharing a class, as (last byte, class).
        let mut runs: Vec<(u8, u8)> = Vec::new();
        for byte in 0..=255u8 {
            let class = self.classes[byte as usize];
            match runs.last_mut() {
                Some(run) if run.1 == class => run.0 = byte,
                _ => runs.push((byte, class)),
            }
        }
        let mut number: foldhash::HashMap<u32, u32> = foldhash::HashMap::default();
        number.insert(state, 0);
        let mut order = vec![(state, 0usize)];
        let mut encoding = Vec::new();
        let mut next_index = 0;
        while next_index < order.len() {
            let (current, depth) = order[next_index];
            next_index += 1;
            encoding.push(u32::from(self.is_accepting(current)));
            if depth == max_depth {
                encoding.push(DEPTH_END);
                continue;
            }
            let mut run: Option<(u8, u32)> = None;
            for &(last, class) in &runs {
                let target = self.transitions[current as usize + class as usize];
                let written = if target == DEAD {
                    0
                } else {
                    let count = number.len() as u32;
                    let index = *number.entry(target).or_insert_with(|| {
                        order.push((target, depth + 1));
                        count
                    });
                    index + 1
                };
                if order.len() > max_states {
                    return None;
                }
                match run {
                    Some((_, previous)) if previous == written => run = Some((last, written)),
                    Some((end, previous)) => {
                        encoding.extend([u32::from(end), previous]);
                        run = Some((last, written));
                    }
                    None => run = Some((last, written)),
                }
            }
            if let Some((end, previous)) = run {
                encoding.extend([u32::from(end), previous]);
            }
        }
        Some(encoding)
    }

    /// [`canonical_within`](ByteDfa::canonical_within) with no depth
    /// bound: the whole automaton reachable from `state`.
    pub fn canonical_from(&self, state: u32, max_states: usize) -> Option<Vec<u32>> {
        self.canonical_within(state, usize::MAX, max_states)
    }

    /// The bytes every continuation from `state` must start with, stopping
    /// at an accepting state, at a choice between bytes, or after `limit`.
    pub fn forced_bytes(&self, mut state: u32, limit: usize) -> Vec<u8> {
        let mut forced = Vec::new();
        while forced.len() < limit && state != DEAD && !self.is_accepting(state) {
            let mut only = None;
            for byte in 0..=255u8 {
                if self.next(state, byte) != DEAD {
                    if only.is_some() {
                        return forced;
                    }
                    only = Some(byte);
                }
            }
            match only {
                Some(byte) => {
                    forced.push(byte);
                    state = self.next(state, byte);
                }
                None => break,
            }
        }
        forced
    }

    /// Whether `state` accepts and no byte can follow: the output must end.
    pub fn must_end(&self, state: u32) -> bool {
        self.is_accepting(state) && (0..=255u8).all(|byte| self.next(state, byte) == DEAD)
    }

    /// The length in bytes of the longest accepted string, or `None` when
    /// accepted strings are unbounded (a cycle is reachable: every live
    /// state can still reach acceptance). Iterative, so deep automata
    /// cannot overflow the stack.
    pub fn longest_match(&self) -> Option<usize> {
        // Post-order depth-first search; `on_path` finds cycles.
        let count = self.state_count();
        let mut longest: Vec<Option<usize>> = vec![None; count];
        let mut on_path = vec![false; count];
        let mut stack: Vec<(u32, usize)> = vec![(self.start, 0)];
        on_path[self.start as usize / self.stride] = true;
        while let Some(&mut (state, ref mut class)) = stack.last_mut() {
            let index = state as usize / self.stride;
            if *class < self.stride {
                let next = self.transitions[state as usize + *class];
                *class += 1;
                if next == DEAD {
                    continue;
                }
                let next_index = next as usize / self.stride;
                if on_path[next_index] {
                    return None;
                }
                if longest[next_index].is_none() {
                    on_path[next_index] = true;
                    stack.push((next, 0));
                }
                continue;
            }
            let mut best = if self.is_accepting(state) {
                Some(0)
            } else {
                None
            };
            for class in 0..self.stride {
                let next = self.transitions[state as usize + class];
                if next != DEAD {
                    if let Some(length) = longest[next as usize / self.stride] {
                        best = Some(best.map_or(length + 1, |b: usize| b.max(length + 1)));
                    }
                }
            }
            // Live states always reach acceptance; 0 is a safe floor.
            longest[index] = Some(best.unwrap_or(0));
            on_path[index] = false;
            stack.pop();
        }
        longest[self.start as usize / self.stride]
    }

    /// A shortest byte string leading from `state` to acceptance, or `None`
    /// from the dead state. Breadth-first over byte classes.
    pub fn shortest_completion(&self, state: u32) -> Option<Vec<u8>> {
        if state == DEAD {
            return None;
        }
        let mut representatives = vec![None; self.stride];
        for byte in (0..=255u8).rev() {
            representatives[self.classes[byte as usize] as usize] = Some(byte);
        }
        let mut parent: Vec<Option<(u32, u8)>> = vec![None; self.state_count()];
        let mut seen = vec![false; self.state_count()];
        let mut queue = VecDeque::from([state]);
        seen[state as usize / self.stride] = true;
        while let Some(current) = queue.pop_front() {
            if self.is_accepting(current) {
                let mut path = Vec::new();
                let mut at = current;
                while let Some((previous, byte)) = parent[at as usize / self.stride] {
                    path.push(byte);
                    at = previous;
                }
                path.reverse();
                return Some(path);
            }
            for byte in representatives.iter().flatten().copied() {
                let next = self.next(current, byte);
                let index = next as usize / self.stride;
                if next != DEAD && !seen[index] {
                    seen[index] = true;
                    parent[index] = Some((current, byte));
                    queue.push_back(next);
                }
            }
        }
        None
    }
}

impl std::fmt::Debug for ByteDfa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteDfa")
            .field("states", &self.state_count())
            .field("classes", &self.stride)
            .field("memory", &self.memory_usage())
            .finish()
    }
}

/// Byte classes for a DFA over the bytes `used`: each used byte a class of
/// its own, every other byte class 0 (which always leads to the dead
/// state); with all 256 bytes used, one class per byte. Returns the classes
/// and the row length.
fn used_byte_classes(used: impl Iterator<Item = u8>) -> ([u8; 256], usize) {
    let mut seen = [false; 256];
    for byte in used {
        seen[byte as usize] = true;
    }
    let mut classes = [0u8; 256];
    let mut stride = 1usize;
    for byte in 0..256 {
        if seen[byte] {
            classes[byte] = stride as u8;
            stride += 1;
        }
    }
    // A class id is a `u8`: with every byte used, shift nothing.
    if stride > 256 {
        for (byte, class) in classes.iter_mut().enumerate() {
            *class = byte as u8;
        }
        stride = 256;
    }
    (classes, stride)
}

/// A DFA under construction: dense rows of plain state indices, state 0 dead.
struct RawDfa {
    classes: [u8; 256],
    stride: usize,
    transitions: Vec<u32>,
    accepting: Vec<bool>,
    start: u32,
}

impl RawDfa {
    /// Which states can reach acceptance (never the dead state 0).
    ///
    /// States are numbered as exploration met them, so most edges lead to
    /// higher numbers: sweeping from the last state down marks most live
    /// states in one pass, and a second pass usually only confirms. Back
    /// edges can need more sweeps; past a few, a breadth-first search over
    /// reversed edges finishes in linear time.
    fn live_states(&self) -> Vec<bool> {
        const MAX_SWEEPS: usize = 4;
        let state_count = self.accepting.len();
        let stride = self.stride;
        let mut live = self.accepting.clone();
        live[0] = false;
        for _ in 0..MAX_SWEEPS {
            let mut changed = false;
            for state in (1..state_count).rev() {
                if !live[state]
                    && self.transitions[state * stride..(state + 1) * stride]
                        .iter()
                        .any(|&to| live[to as usize])
                {
                    live[state] = true;
                    changed = true;
                }
            }
            if !changed {
                return live;
            }
        }
        // Reverse edges (grouped by target in one array), then a
        // breadth-first search from accepting states.
        let mut starts = vec![0u32; state_count + 1];
        for &to in &self.transitions[..state_count * stride] {
            starts[to as usize + 1] += 1;
        }
        for state in 0..state_count {
            starts[state + 1] += starts[state];
        }
        let mut filled = starts.clone();
        let mut sources = vec![0u32; state_count * stride];
        for from in 0..state_count {
            for &to in &self.transitions[from * stride..(from + 1) * stride] {
                sources[filled[to as usize] as usize] = from as u32;
                filled[to as usize] += 1;
            }
        }
        let mut queue: VecDeque<usize> = (1..state_count).filter(|&s| live[s]).collect();
        while let Some(state) = queue.pop_front() {
            let incoming = &sources[starts[state] as usize..starts[state + 1] as usize];
            for &from in incoming {
                if from != 0 && !live[from as usize] {
                    live[from as usize] = true;
                    queue.push_back(from as usize);
                }
            }
        }
        live
    }

    /// Drops every state that cannot reach acceptance (mapping it to the dead
    /// state) and premultiplies state ids.
    fn finish(self) -> Result<ByteDfa, CompileError> {
        let state_count = self.accepting.len();
        let stride = self.stride;
        let live = self.live_states();
        if !live[self.start as usize] {
            return Err(CompileError::empty_language());
        }
        if live[1..].iter().all(|&l| l) {
            // Nothing to drop (the usual case): ids only get premultiplied.
            let mut transitions = self.transitions;
            transitions.truncate(state_count * stride);
            for to in &mut transitions {
                *to *= stride as u32;
            }
            return Ok(ByteDfa::new(
                self.classes,
                stride,
                transitions,
                self.accepting,
                self.start * stride as u32,
            ));
        }
        let mut new_index = vec![0u32; state_count];
        let mut next = 1u32;
        for state in 1..state_count {
            if live[state] {
                new_index[state] = next;
                next += 1;
            }
        }
        let live_count = next as usize;
        let mut transitions = vec![DEAD; live_count * stride];
        let mut accepting = vec![false; live_count];
        for state in (1..state_count).filter(|&s| live[s]) {
            let row = new_index[state] as usize * stride;
            accepting[new_index[state] as usize] = self.accepting[state];
            for class in 0..stride {
                let to = self.transitions[state * stride + class] as usize;
                transitions[row + class] = new_index[to] * stride as u32;
            }
        }
        Ok(ByteDfa::new(
            self.classes,
            stride,
            transitions,
            accepting,
            new_index[self.start as usize] * stride as u32,
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every string over `alphabet` of at most `length` characters.
    pub(crate) fn strings(alphabet: &[char], length: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..length {
            let mut longer = Vec::new();
            for prefix in &frontier {
                for &c in alphabet {
                    longer.push(format!("{prefix}{c}"));
                }
            }
            all.extend(longer.iter().cloned());
            frontier = longer;
        }
        all
    }

    #[test]
    fn canonical_encodings_compare_continuations() {
        let digits = ByteDfa::regex("a[0-9]+").unwrap();
        let other = ByteDfa::regex("(?:bc|d)[0-9]+").unwrap();
        let after_a = digits.next(digits.start(), b'a');
        let after_bc = other.next_bytes(other.start(), b"bc");
        let after_d = other.next(other.start(), b'd');
        let encoding = digits.canonical_from(after_a, 16).unwrap();
        assert_eq!(other.canonical_from(after_bc, 16).unwrap(), encoding);
        assert_eq!(other.canonical_from(after_d, 16).unwrap(), encoding);
        // One digit in, the state accepts: a different language.
        let after_a1 = digits.next(after_a, b'1');
        assert_ne!(digits.canonical_from(after_a1, 16).unwrap(), encoding);
        assert_eq!(digits.canonical_from(DEAD, 16), None);
        assert_eq!(digits.canonical_from(digits.start(), 1), None);
    }

    #[test]
    fn bounded_encodings_compare_continuations_up_to_the_bound() {
        let counter = ByteDfa::regex("a{0,50}").unwrap();
        let after = |n: usize| counter.next_bytes(counter.start(), &vec![b'a'; n]);
        let within = |n: usize| counter.canonical_within(after(n), 8, 1000).unwrap();
        // Far from the bound, the states look alike for 8 bytes.
        assert_eq!(within(3), within(20));
        // Within 8 bytes of it, they do not.
        assert_ne!(within(20), within(45));
        assert_ne!(within(44), within(45));
        // Unbounded, every count is its own state.
        assert_ne!(
            counter.canonical_from(after(3), 1000),
            counter.canonical_from(after(20), 1000)
        );
    }

    /// Whether `dfa` accepts the whole of `text`.
    pub(crate) fn accepts(dfa: &ByteDfa, text: &str) -> bool {
        let state = dfa.next_bytes(dfa.start(), text.as_bytes());
        state != DEAD && dfa.is_accepting(state)
    }

    #[test]
    fn forced_bytes_stop_at_choices_and_acceptance() {
        let dfa = ByteDfa::regex(r#"\{"name": "[a-z]+"\}"#).unwrap();
        assert_eq!(dfa.forced_bytes(dfa.start(), 100), br#"{"name": ""#);
        let after = dfa.next_bytes(dfa.start(), br#"{"name": "x"#);
        assert!(dfa.forced_bytes(after, 100).is_empty(), "letter or quote");
        let closing = dfa.next_bytes(dfa.start(), br#"{"name": "x""#);
        assert_eq!(dfa.forced_bytes(closing, 100), b"}");
        let done = dfa.next_bytes(closing, b"}");
        assert!(dfa.must_end(done));
    }

    #[test]
    fn dead_ends_are_pruned() {
        // `ab` can never complete the second branch; the DFA must not offer it.
        let dfa = ByteDfa::regex("a[b&&c]|ad").unwrap();
        let after_a = dfa.next(dfa.start(), b'a');
        assert_eq!(dfa.next(after_a, b'b'), DEAD);
        assert_ne!(dfa.next(after_a, b'd'), DEAD);
    }

    #[test]
    fn longest_match_is_finite_only_without_cycles() {
        assert_eq!(
            ByteDfa::regex("[0-9]{4}-[0-9]{2}").unwrap().longest_match(),
            Some(7)
        );
        assert_eq!(ByteDfa::regex("a|bcd|ef").unwrap().longest_match(), Some(3));
        assert_eq!(ByteDfa::regex("é{0,3}").unwrap().longest_match(), Some(6));
        assert_eq!(ByteDfa::regex("ab*c").unwrap().longest_match(), None);
        assert_eq!(ByteDfa::regex("(?:ab)+|x").unwrap().longest_match(), None);
    }

    #[test]
    fn states_that_cannot_accept_are_dropped_whatever_their_order() {
        // One byte class; state k steps to k - 1, state 1 accepts, state
        // 8 loops on itself: every sweep from the top marks one more
        // state, so the reverse search has to finish the job.
        let mut classes = [0u8; 256];
        classes[usize::from(b'x')] = 1;
        let stride = 2;
        let mut transitions = vec![0u32; 9 * stride];
        for state in 2..8 {
            transitions[state * stride + 1] = state as u32 - 1;
        }
        transitions[8 * stride + 1] = 8;
        let mut accepting = vec![false; 9];
        accepting[1] = true;
        let raw = RawDfa {
            classes,
            stride,
            transitions,
            accepting,
            start: 7,
        };
        assert_eq!(
            raw.live_states(),
            [false, true, true, true, true, true, true, true, false]
        );
        let dfa = raw.finish().unwrap();
        assert_eq!(dfa.state_count(), 8);
        let accepts = |text: &[u8]| dfa.is_accepting(dfa.next_bytes(dfa.start(), text));
        assert!(accepts(b"xxxxxx"));
        assert!(!accepts(b"xxxxx"));
        assert!(!accepts(b"xxxxxxx"));
    }

    #[test]
    fn shortest_completion_reaches_acceptance() {
        let dfa = ByteDfa::regex(r"\d{4}-\d{2}").unwrap();
        let path = dfa.shortest_completion(dfa.start()).unwrap();
        assert_eq!(path, b"0000-00");
        assert!(dfa.is_accepting(dfa.next_bytes(dfa.start(), &path)));
    }
}
