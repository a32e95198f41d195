//! The limits of one grammar, from its source to its parse.
//!
//! A grammar is compiled in three stages, each bounded here: checking or
//! lowering the rules (expressions, regex terminals), flattening them into
//! productions and lexemes, and running the Earley recognizer (items per
//! set). Exceeding a limit is an error naming it, never an approximation —
//! except the *lexeme* limits, which only decide whether a regular piece of
//! a rule becomes one DFA terminal or keeps its structure: the language is
//! the same either way, only mask speed and compile time differ.
//!
//! Lexeme decisions are made by size alone, never by wall clock, so a
//! grammar's shape (and its masks' speed) is the same on every machine and
//! under any load. Each lexeme limit bounds the work of one attempt: a piece
//! is printed to a regex of at most [`max_lexeme_pattern_bytes`], whose NFA
//! and lazy DFA must fit in [`max_lexeme_nfa_bytes`] and
//! [`max_lexeme_dfa_bytes`] (determinizing costs about the DFA's bytes
//! times its byte classes), and a lexeme combined from its pieces' DFAs may
//! step at most [`max_lexeme_combine_work`] state entries.
//!
//! [`max_lexeme_pattern_bytes`]: GrammarConfig::max_lexeme_pattern_bytes
//! [`max_lexeme_nfa_bytes`]: GrammarConfig::max_lexeme_nfa_bytes
//! [`max_lexeme_dfa_bytes`]: GrammarConfig::max_lexeme_dfa_bytes
//! [`max_lexeme_combine_work`]: GrammarConfig::max_lexeme_combine_work

use std::time::Duration;

use crate::automaton::{ProductConfig, RegexConfig};

/// Limits for compiling and running one grammar.
///
/// Built with [`GrammarConfig::new`] and its setters; a [`Grammar`] keeps
/// the configuration it was checked with, and flattening and parsing use
/// the same one.
///
/// [`Grammar`]: super::Grammar
#[derive(Clone, Debug)]
pub struct GrammarConfig {
    pub(super) max_expressions: usize,
    pub(super) max_regex_time: Duration,
    pub(super) max_productions: usize,
    pub(super) max_items_per_set: usize,
    pub(super) max_lexeme_states: usize,
    pub(super) max_lexeme_pattern_bytes: usize,
    pub(super) max_inlined_regex_bytes: usize,
    pub(super) max_lexeme_nfa_bytes: usize,
    pub(super) max_lexeme_dfa_bytes: usize,
    pub(super) max_lexeme_combine_work: usize,
}

impl Default for GrammarConfig {
    fn default() -> GrammarConfig {
        GrammarConfig {
            max_expressions: 1 << 20,
            max_regex_time: Duration::from_secs(10),
            max_productions: 1 << 20,
            max_items_per_set: 200_000,
            max_lexeme_states: 500,
            max_lexeme_pattern_bytes: 512,
            max_inlined_regex_bytes: 64,
            max_lexeme_nfa_bytes: 256 << 10,
            max_lexeme_dfa_bytes: 1 << 20,
            max_lexeme_combine_work: 1 << 21,
        }
    }
}

impl GrammarConfig {
    /// The default limits.
    pub fn new() -> GrammarConfig {
        GrammarConfig::default()
    }

    /// Expression nodes the rules may have in all. Default 1,048,576 (each
    /// costs a few dozen bytes while checking and flattening).
    pub fn max_expressions(mut self, count: usize) -> GrammarConfig {
        self.max_expressions = count;
        self
    }

    /// Wall-clock time compiling all of a grammar's `/regex/` terminals may
    /// take together. Default 10 s. An error limit, never a lexeme decision.
    pub fn max_regex_time(mut self, time: Duration) -> GrammarConfig {
        self.max_regex_time = time;
        self
    }

    /// Productions the flattened grammar may have. Default 1,048,576:
    /// bounded repetitions expand to one production per optional copy, so
    /// nested large bounds (`x{1,100000}` in `y{1,100000}`) are what hit it.
    pub fn max_productions(mut self, count: usize) -> GrammarConfig {
        self.max_productions = count;
        self
    }

    /// Items one Earley set may hold; a step that needs more is refused.
    /// Default 200,000 (12 bytes each, and a step costs time in
    /// proportion).
    pub fn max_items_per_set(mut self, count: usize) -> GrammarConfig {
        self.max_items_per_set = count;
        self
    }

    /// DFA states a regular piece of a rule may compile to and still become
    /// one lexeme. Default 500 (each state costs 4 bytes per byte class, and
    /// lexeme states are where mask walks are cached).
    pub fn max_lexeme_states(mut self, states: usize) -> GrammarConfig {
        self.max_lexeme_states = states;
        self
    }

    /// The longest regex a regular piece may print to and still be tried as
    /// one lexeme. Default 512 bytes: lexemes are meant to be small (a
    /// string body, a key with its colon, whitespace), and inlining rules
    /// multiplies sizes.
    pub fn max_lexeme_pattern_bytes(mut self, bytes: usize) -> GrammarConfig {
        self.max_lexeme_pattern_bytes = bytes;
        self
    }

    /// A `/regex/` terminal longer than this is never inlined into a larger
    /// lexeme: it is one lexeme already, and long regexes are the expensive
    /// ones to determinize again. Default 64 bytes.
    pub fn max_inlined_regex_bytes(mut self, bytes: usize) -> GrammarConfig {
        self.max_inlined_regex_bytes = bytes;
        self
    }

    /// Heap a lexeme's NFA may use. Default 256 KiB (about twenty large
    /// Unicode classes).
    pub fn max_lexeme_nfa_bytes(mut self, bytes: usize) -> GrammarConfig {
        self.max_lexeme_nfa_bytes = bytes;
        self
    }

    /// Heap a lexeme's lazy DFA may use while it is determinized. Default
    /// 1 MiB; the work of determinizing is about this many bytes times the
    /// byte classes, a few dozen milliseconds at the most.
    pub fn max_lexeme_dfa_bytes(mut self, bytes: usize) -> GrammarConfig {
        self.max_lexeme_dfa_bytes = bytes;
        self
    }

    /// State entries a lexeme combined from its pieces' DFAs may step (each
    /// state of the combination costs its entries times the byte classes).
    /// Default 2,097,152, a few milliseconds.
    pub fn max_lexeme_combine_work(mut self, work: usize) -> GrammarConfig {
        self.max_lexeme_combine_work = work;
        self
    }

    /// The limits one lexeme's regex must fit in (no time limit: the sizes
    /// bound the work).
    pub(super) fn lexeme_regex(&self) -> RegexConfig {
        RegexConfig::new()
            .max_states(self.max_lexeme_states)
            .max_nfa_bytes(self.max_lexeme_nfa_bytes)
            .max_dfa_bytes(self.max_lexeme_dfa_bytes)
            .max_compile_time(Duration::MAX)
    }

    /// The limits a lexeme combined from its pieces must fit in.
    pub(super) fn lexeme_combine(&self) -> ProductConfig {
        ProductConfig::new()
            .max_states(4 * self.max_lexeme_states)
            .max_work(self.max_lexeme_combine_work)
            .max_compile_time(Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::cfg::{Cfg, Symbol};
    use crate::grammar::earley::Chart;
    use crate::grammar::{Grammar, GrammarErrorKind};

    #[test]
    fn size_limits_are_errors_naming_the_limit() {
        let config = GrammarConfig::new().max_productions(10);
        let grammar = Grammar::from_gbnf_with(
            "root ::= \"a\" | \"b\" x{0,50}\nx ::= \"c\" | x \"d\"",
            &config,
        )
        .unwrap();
        let error = Cfg::new(&grammar).unwrap_err();
        assert_eq!(error.kind(), GrammarErrorKind::Limit);
        assert!(error.to_string().contains("10 productions"), "{error}");
        assert!(Cfg::with_config(&grammar, &GrammarConfig::new()).is_ok());

        let config = GrammarConfig::new().max_expressions(3);
        let error =
            Grammar::from_gbnf_with("root ::= \"a\" \"b\" \"c\" \"d\"", &config).unwrap_err();
        assert_eq!(error.kind(), GrammarErrorKind::Limit);
        assert!(error.to_string().contains("3 expressions"), "{error}");
    }

    #[test]
    fn the_item_limit_refuses_a_step() {
        // `x ::= x x` is ambiguous: every set holds items from every earlier
        // position, so the sets grow with the input.
        let source = "root ::= x\nx ::= x x | \"a\" | \"b\"";
        let tight =
            Grammar::from_gbnf_with(source, &GrammarConfig::new().max_items_per_set(40)).unwrap();
        let roomy = Grammar::from_gbnf(source).unwrap();
        let input = "ab".repeat(40);
        let input = input.as_bytes();
        assert!(Chart::recognizes(&Cfg::new(&roomy).unwrap(), input));
        assert!(!Chart::recognizes(&Cfg::new(&tight).unwrap(), input));
    }

    #[test]
    fn lexeme_limits_change_the_shape_never_the_language() {
        let source =
            "root ::= item (\",\" ws item)*\nitem ::= [a-z]{1,6} \"=\" [0-9]{1,3}\nws ::= [ ]{0,2}";
        let lexemes = Cfg::new(&Grammar::from_gbnf(source).unwrap()).unwrap();
        let none = GrammarConfig::new().max_lexeme_states(2);
        let structure = Cfg::new(&Grammar::from_gbnf_with(source, &none).unwrap()).unwrap();
        assert!(
            structure.productions.len() > lexemes.productions.len(),
            "{} vs {}",
            structure.productions.len(),
            lexemes.productions.len()
        );
        let single_lexeme = |cfg: &Cfg| {
            cfg.by_lhs[0].len() == 1
                && matches!(
                    cfg.productions[cfg.by_lhs[0][0] as usize].rhs[..],
                    [Symbol::Terminal(_)]
                )
        };
        assert!(single_lexeme(&lexemes));
        assert!(!single_lexeme(&structure));
        for text in [
            "a=1",
            "abc=12, x=999,y=0",
            "abcdef=1,  b=2",
            "a=1,",
            "a=1234",
            "=1",
            "a=1,   b=2",
        ] {
            assert_eq!(
                Chart::recognizes(&lexemes, text.as_bytes()),
                Chart::recognizes(&structure, text.as_bytes()),
                "{text}"
            );
        }
        assert!(Chart::recognizes(&lexemes, b"abc=12, x=999,y=0"));
    }
}
