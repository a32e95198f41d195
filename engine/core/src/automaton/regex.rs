//! Regexes (Rust `regex` syntax) compiled to a [`ByteDfa`].
//!
//! The pattern is parsed with `regex-syntax` (so syntax errors carry a
//! column) and compiled to a Thompson NFA; `regex-automata`'s lazy DFA then
//! determinizes it one state at a time as rein explores it from the start
//! state and copies it into its own table, so that dead-end states can be
//! pruned and the hot loop is a plain array lookup. Driving the
//! determinization ourselves, state by state, is what lets the compile-time
//! limit interrupt a pattern whose DFA explodes instead of hanging on it.
//!
//! Two choices matter for correctness:
//!
//! * The whole output must match: the search is anchored at the start and a
//!   state accepts only if a match ends exactly at the end of input.
//! * The DFA is built with `MatchKind::All`. The default leftmost-first
//!   semantics stop exploring lower-priority alternatives after a match, so
//!   `a|ab` would reject `ab`; "all" semantics keep every alternative alive.

use foldhash::{HashMap, HashMapExt};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use regex_automata::hybrid::dfa::{Cache, DFA as LazyDfa};
use regex_automata::hybrid::LazyStateID;
use regex_automata::nfa::thompson;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};

use super::{ByteDfa, CompileError, RawDfa};

/// Limits and options for compiling a regex; every limit is an error when
/// exceeded, never a silent approximation.
#[derive(Clone, Debug)]
pub struct RegexConfig {
    max_pattern_bytes: usize,
    nest_limit: u32,
    max_nfa_bytes: usize,
    max_dfa_bytes: usize,
    max_states: usize,
    max_compile_time: Duration,
    case_insensitive: bool,
}

impl Default for RegexConfig {
    fn default() -> RegexConfig {
        RegexConfig {
            max_pattern_bytes: 64 << 10,
            nest_limit: 250,
            max_nfa_bytes: 16 << 20,
            max_dfa_bytes: 64 << 20,
            max_states: 200_000,
            max_compile_time: Duration::from_secs(10),
            case_insensitive: false,
        }
    }
}

impl RegexConfig {
    /// The default configuration.
    pub fn new() -> RegexConfig {
        RegexConfig::default()
    }

    /// The longest pattern accepted, in bytes. Default 64 KiB.
    pub fn max_pattern_bytes(mut self, bytes: usize) -> RegexConfig {
        self.max_pattern_bytes = bytes;
        self
    }

    /// How deeply groups and repetitions may nest. Default 250; deep nesting
    /// costs stack in the parser, so raise it with care.
    pub fn nest_limit(mut self, depth: u32) -> RegexConfig {
        self.nest_limit = depth;
        self
    }

    /// Heap the NFA may use. Default 16 MiB; large Unicode classes repeated
    /// many times (`\w{1000}`) are what hit it.
    pub fn max_nfa_bytes(mut self, bytes: usize) -> RegexConfig {
        self.max_nfa_bytes = bytes;
        self
    }

    /// Heap the lazy DFA may use while it is determinized and explored.
    /// Default 64 MiB. Patterns whose DFA blows up exponentially
    /// (`(a|b)*a(a|b){30}`) hit this limit or [`max_compile_time`].
    ///
    /// [`max_compile_time`]: RegexConfig::max_compile_time
    pub fn max_dfa_bytes(mut self, bytes: usize) -> RegexConfig {
        self.max_dfa_bytes = bytes;
        self
    }

    /// States the final table may have. Default 200,000 (each state costs
    /// 4 bytes per byte class).
    pub fn max_states(mut self, states: usize) -> RegexConfig {
        self.max_states = states;
        self
    }

    /// Wall-clock time determinizing and copying the DFA may take, checked
    /// every 64 states. Default 10 s.
    pub fn max_compile_time(mut self, time: Duration) -> RegexConfig {
        self.max_compile_time = time;
        self
    }

    /// Match letters case-insensitively, as the `i` flag does. Default off.
    pub fn case_insensitive(mut self, yes: bool) -> RegexConfig {
        self.case_insensitive = yes;
        self
    }

    /// The limits that decide whether a pattern compiles, as a memo key
    /// (the time limit only decides how long a failure takes).
    fn memo_key(&self, pattern: &str) -> MemoKey {
        MemoKey {
            pattern: pattern.to_string(),
            limits: [
                self.max_pattern_bytes,
                self.nest_limit as usize,
                self.max_nfa_bytes,
                self.max_dfa_bytes,
                self.max_states,
                usize::from(self.case_insensitive),
            ],
        }
    }

    /// Checks that `pattern` parses within the limits, without compiling
    /// it: the cheap part of [`build`](RegexConfig::build), for regexes that
    /// may end up inlined into a larger lexeme and never be compiled on
    /// their own. A pattern that passes can still fail
    /// [`build`](RegexConfig::build) (an NFA or DFA past the limits, an
    /// empty language).
    pub fn check(&self, pattern: &str) -> Result<(), CompileError> {
        if memo().contains(&self.memo_key(pattern)) {
            return Ok(());
        }
        self.syntax(pattern).map(drop)
    }

    /// Compiles `pattern`, to be matched against the whole output.
    ///
    /// Compiled DFAs are memoized process-wide by pattern and limits (up to
    /// `MEMO_BYTES` of tables): generated grammars repeat the same
    /// lexemes — a JSON string, a number, bounded whitespace — schema after
    /// schema, and determinizing them again would dominate compile time.
    pub fn build(&self, pattern: &str) -> Result<ByteDfa, CompileError> {
        self.build_shared(pattern).map(Arc::unwrap_or_clone)
    }

    /// [`build`](RegexConfig::build) without copying the memoized table.
    pub(crate) fn build_shared(&self, pattern: &str) -> Result<Arc<ByteDfa>, CompileError> {
        self.build_with(pattern, || None)
    }

    /// [`build_shared`](RegexConfig::build_shared), but on a memo miss
    /// `compose` may supply the DFA built another way (from the DFAs of
    /// the pattern's pieces, see `compose`); it is used, and memoized
    /// under the pattern, if it fits in [`max_states`](RegexConfig::max_states).
    pub(crate) fn build_with(
        &self,
        pattern: &str,
        compose: impl FnOnce() -> Option<Arc<ByteDfa>>,
    ) -> Result<Arc<ByteDfa>, CompileError> {
        let key = self.memo_key(pattern);
        if let Some(dfa) = memo().lookup(&key) {
            return Ok(dfa);
        }
        let dfa = match compose().filter(|dfa| dfa.state_count() <= self.max_states) {
            Some(dfa) => dfa,
            None => Arc::new(self.build_uncached(pattern)?),
        };
        memo().insert(key, &dfa);
        Ok(dfa)
    }

    fn build_uncached(&self, pattern: &str) -> Result<ByteDfa, CompileError> {
        let started = Instant::now();
        let hir = self.syntax(pattern)?;
        // A finite language whose longest string is `n` bytes needs `n + 1`
        // live states (its DFA has no cycle) and the dead one: known too
        // big before any determinizing.
        if let Some(longest) = hir.properties().maximum_len() {
            if longest.saturating_add(2) > self.max_states {
                return Err(CompileError::limit(
                    "max_states",
                    format!(
                        "the regex matches strings of up to {longest} bytes and so needs more \
                         than {} DFA states",
                        self.max_states
                    ),
                ));
            }
        }
        let nfa = self.nfa(&hir)?;
        let dfa = LazyDfa::builder()
            .configure(
                LazyDfa::config()
                    .match_kind(MatchKind::All)
                    .byte_classes(true)
                    .cache_capacity(self.max_dfa_bytes)
                    .skip_cache_capacity_check(true)
                    // Never clear the cache (it would invalidate the state ids
                    // being explored): running out of room is an error.
                    .minimum_cache_clear_count(Some(0)),
            )
            .build_from_nfa(nfa)
            .map_err(|error| dfa_error(&error.to_string()))?;
        self.copy_table(&dfa, started)
    }

    /// Parses `pattern` and compiles its Thompson NFA within the limits.
    fn nfa(&self, hir: &regex_syntax::hir::Hir) -> Result<thompson::NFA, CompileError> {
        thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(self.max_nfa_bytes))
                    .shrink(true),
            )
            .build_from_hir(hir)
            .map_err(|error| {
                CompileError::limit(
                    "max_nfa_bytes",
                    format!("the regex is too large to compile: {error}"),
                )
            })
    }

    /// Parses `pattern` within the length and nesting limits.
    fn syntax(&self, pattern: &str) -> Result<regex_syntax::hir::Hir, CompileError> {
        if pattern.len() > self.max_pattern_bytes {
            return Err(CompileError::limit(
                "max_pattern_bytes",
                format!(
                    "the regex is {} bytes long; at most {} are allowed",
                    pattern.len(),
                    self.max_pattern_bytes
                ),
            ));
        }
        regex_syntax::ParserBuilder::new()
            .nest_limit(self.nest_limit)
            .utf8(true)
            .unicode(true)
            .case_insensitive(self.case_insensitive)
            .build()
            .parse(pattern)
            .map_err(|error| syntax_error(pattern, &error))
    }

    /// Explores `dfa` from its anchored start state into a [`RawDfa`].
    fn copy_table(&self, dfa: &LazyDfa, started: Instant) -> Result<ByteDfa, CompileError> {
        let byte_classes = dfa.byte_classes();
        let mut classes = [0u8; 256];
        for byte in 0..=255u8 {
            classes[byte as usize] = byte_classes.get(byte);
        }
        let stride = byte_classes.alphabet_len() - 1; // minus end-of-input
        let mut representatives = vec![0u8; stride];
        for byte in (0..=255u8).rev() {
            representatives[classes[byte as usize] as usize] = byte;
        }
        let mut cache = dfa.create_cache();
        let start_config = start::Config::new().anchored(Anchored::Yes);
        let start = dfa
            .start_state(&mut cache, &start_config)
            .map_err(|error| dfa_error(&error.to_string()))?;

        // State 0 of the raw table is dead; the lazy DFA's ids map to ours.
        let mut table = Exploration {
            dfa,
            cache: &mut cache,
            config: self,
            stride,
            ids: HashMap::new(),
            pending: Vec::new(),
            transitions: vec![0u32; stride],
            accepting: vec![false],
        };
        let start = table.intern(start)?;
        let mut explored = 0usize;
        while let Some(id) = table.pending.pop() {
            explored += 1;
            if explored % 64 == 0 && started.elapsed() > self.max_compile_time {
                return Err(CompileError::limit(
                    "max_compile_time",
                    format!(
                        "compiling the regex took longer than {:?}",
                        self.max_compile_time
                    ),
                ));
            }
            let from = table.ids[&id] as usize;
            for (class, &byte) in representatives.iter().enumerate() {
                let next = dfa
                    .next_state(table.cache, id, byte)
                    .map_err(|_| table.out_of_memory())?;
                let to = table.intern(next)?;
                table.transitions[from * stride + class] = to;
            }
        }
        let Exploration {
            transitions,
            accepting,
            ..
        } = table;
        RawDfa {
            classes,
            stride,
            transitions,
            accepting,
            start,
        }
        .finish()
    }
}

/// The lazy DFA reachable from the start, copied into a table.
struct Exploration<'a> {
    dfa: &'a LazyDfa,
    cache: &'a mut Cache,
    config: &'a RegexConfig,
    stride: usize,
    ids: HashMap<LazyStateID, u32>,
    pending: Vec<LazyStateID>,
    transitions: Vec<u32>,
    accepting: Vec<bool>,
}

impl Exploration<'_> {
    fn out_of_memory(&self) -> CompileError {
        CompileError::limit(
            "max_dfa_bytes",
            format!(
                "the regex's DFA grew past {} bytes",
                self.config.max_dfa_bytes
            ),
        )
    }

    /// Our id for the lazy DFA's state `id`, adding a row when it is new.
    fn intern(&mut self, id: LazyStateID) -> Result<u32, CompileError> {
        if id.is_dead() || id.is_quit() {
            return Ok(0);
        }
        if let Some(&ours) = self.ids.get(&id) {
            return Ok(ours);
        }
        if self.accepting.len() >= self.config.max_states {
            return Err(CompileError::limit(
                "max_states",
                format!(
                    "the regex needs more than {} DFA states",
                    self.config.max_states
                ),
            ));
        }
        let ours = self.accepting.len() as u32;
        self.ids.insert(id, ours);
        let eoi = self
            .dfa
            .next_eoi_state(self.cache, id)
            .map_err(|_| self.out_of_memory())?;
        self.accepting.push(eoi.is_match());
        self.transitions.extend(std::iter::repeat_n(0, self.stride));
        self.pending.push(id);
        Ok(ours)
    }
}

/// Turns a `regex-syntax` error into a one-line message with a column.
fn syntax_error(pattern: &str, error: &regex_syntax::Error) -> CompileError {
    match error {
        regex_syntax::Error::Parse(error) => {
            CompileError::syntax(error.span().start.column, error.kind().to_string())
        }
        regex_syntax::Error::Translate(error) => {
            CompileError::syntax(error.span().start.column, error.kind().to_string())
        }
        other => {
            // regex-syntax's error enum is non-exhaustive; keep its first line.
            let text = other.to_string();
            let line = text.lines().last().unwrap_or("invalid regex").to_string();
            CompileError::syntax(pattern.chars().count().min(1), line)
        }
    }
}

/// The most table bytes [`RegexConfig::build`]'s process-wide memo keeps;
/// past it the memo starts over.
pub const MEMO_BYTES: usize = 64 << 20;

#[derive(Clone, PartialEq, Eq, Hash)]
struct MemoKey {
    pattern: String,
    limits: [usize; 6],
}

/// Compiled regexes shared by every grammar in the process.
#[derive(Default)]
struct Memo {
    dfas: Mutex<(HashMap<MemoKey, Arc<ByteDfa>>, usize)>,
}

fn memo() -> &'static Memo {
    static MEMO: OnceLock<Memo> = OnceLock::new();
    MEMO.get_or_init(Memo::default)
}

impl Memo {
    fn contains(&self, key: &MemoKey) -> bool {
        let dfas = self
            .dfas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        dfas.0.contains_key(key)
    }

    fn lookup(&self, key: &MemoKey) -> Option<Arc<ByteDfa>> {
        let dfas = self
            .dfas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        dfas.0.get(key).cloned()
    }

    fn insert(&self, key: MemoKey, dfa: &Arc<ByteDfa>) {
        let bytes = dfa.memory_usage() + key.pattern.len();
        if bytes > MEMO_BYTES / 16 {
            return;
        }
        let mut dfas = self
            .dfas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if dfas.1 + bytes > MEMO_BYTES {
            dfas.0.clear();
            dfas.1 = 0;
        }
        if dfas.0.insert(key, dfa.clone()).is_none() {
            dfas.1 += bytes;
        }
    }
}

/// Turns a determinization failure into a one-line message.
fn dfa_error(message: &str) -> CompileError {
    let message = message.replace('\n', " ");
    if message.contains("Unicode word boundar") {
        CompileError::unsupported(format!(
            "the regex uses a Unicode word boundary (\\b or \\B), which a DFA cannot \
             enforce; write (?-u:\\b) for an ASCII boundary ({message})"
        ))
    } else if message.contains("exceeded") || message.contains("limit") {
        CompileError::limit(
            "max_dfa_bytes",
            format!("the regex's DFA grew past its size limit: {message}"),
        )
    } else {
        CompileError::unsupported(format!("the regex cannot be compiled to a DFA: {message}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automaton::tests::accepts;

    #[test]
    fn whole_output_must_match() {
        let dfa = ByteDfa::regex(r"\d{4}-\d{2}-\d{2}").unwrap();
        assert!(accepts(&dfa, "2026-11-24"));
        assert!(!accepts(&dfa, "2026-1-24"));
        assert!(!accepts(&dfa, "x2026-11-24"));
        assert!(!accepts(&dfa, "2026-11-245"));
    }

    #[test]
    fn all_alternatives_stay_alive() {
        let dfa = ByteDfa::regex("a|ab|abc").unwrap();
        assert!(accepts(&dfa, "a") && accepts(&dfa, "ab") && accepts(&dfa, "abc"));
    }

    #[test]
    fn unicode_classes() {
        let dfa = ByteDfa::regex(r"\p{Greek}+ \w+").unwrap();
        assert!(accepts(&dfa, "αβγ żółw"));
        assert!(!accepts(&dfa, "abc żółw"));
    }

    #[test]
    fn syntax_errors_name_the_column() {
        let error = ByteDfa::regex(r"ab(c").unwrap_err().to_string();
        assert!(error.starts_with("invalid regex at column 3:"), "{error}");
        assert!(!error.contains('\n'));
        let error = ByteDfa::regex(r"x{2,1}").unwrap_err().to_string();
        assert!(error.contains("column"), "{error}");
    }

    #[test]
    fn empty_language_is_an_error() {
        let error = ByteDfa::regex(r"[a&&b]").unwrap_err().to_string();
        assert_eq!(error, "the constraint matches no output at all");
    }

    #[test]
    fn long_finite_languages_are_refused_by_length() {
        let config = RegexConfig::new().max_states(100);
        // 99 bytes at most: 100 live states and the dead one.
        let error = config.build("[0-9]{99}").unwrap_err().to_string();
        assert!(error.contains("up to 99 bytes"), "{error}");
        let dfa = config.build("[0-9]{90}").unwrap();
        assert_eq!(dfa.state_count(), 92);
        // Unbounded languages are judged by exploring.
        assert!(config.build("[0-9]{40}x*").is_ok());
    }

    #[test]
    fn limits_are_errors() {
        let error = RegexConfig::new()
            .max_dfa_bytes(1 << 20)
            .build("(a|b)*a(a|b){24}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("raise `"), "{error}");
        let error = RegexConfig::new()
            .max_states(10)
            .build(r"\d{20}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_states"), "{error}");
        let error = RegexConfig::new()
            .max_pattern_bytes(3)
            .build("abcd")
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_pattern_bytes"), "{error}");
    }

    #[test]
    fn unicode_word_boundary_is_explained() {
        let error = ByteDfa::regex(r"\bword\b").unwrap_err().to_string();
        assert!(error.contains("(?-u:\\b)"), "{error}");
    }
}
