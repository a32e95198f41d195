//! The matcher API: one way to drive every kind of constraint.
//!
//! A [`Constraint`] is compiled once against a [`Vocabulary`] and is
//! immutable, `Send + Sync` and cheap to clone (an `Arc`). Each sequence being
//! generated gets its own [`Matcher`], a small state that:
//!
//! * fills the allowed-token bitset for the next step ([`Matcher::fill_mask`]),
//! * commits the sampled token ([`Matcher::commit`], an error if not allowed),
//! * rolls back `n` tokens ([`Matcher::rollback`], for speculative decoding),
//! * reports the forced continuation ([`Matcher::forced`]),
//! * says whether the output may end now ([`Matcher::can_end`]); only then
//!   are the end-of-sequence ids allowed.
//!
//! Regexes, label sets and grammars (JSON Schemas compile to grammars) sit
//! behind the same types: the runtime never sees which automaton is
//! underneath.

use std::fmt;
use std::sync::Arc;

use crate::automaton::{ByteDfa, CompileError, RegexConfig, DEAD};
use crate::grammar::automaton::GrammarAutomaton;
use crate::grammar::earley::Chart;
use crate::grammar::mask_walk::LexemeCaches;
use crate::grammar::{Grammar, GrammarConfig, GrammarError};
use crate::mask::TokenMask;
use crate::mask_cache::MaskCache;
use crate::vocab::{EscapedBytes, TokenId, Vocabulary};

/// The most forced bytes [`Matcher::forced`] reports in one call.
const MAX_FORCED_BYTES: usize = 4096;

/// The default memory budget of a constraint's mask cache (64 MiB: 4,000
/// masks of a 128k vocabulary, 2,000 of a 262k one).
pub const DEFAULT_MASK_CACHE_BYTES: usize = 64 << 20;

/// A compiled constraint over one vocabulary.
#[derive(Clone)]
pub struct Constraint {
    inner: Arc<Compiled>,
}

struct Compiled {
    vocabulary: Arc<Vocabulary>,
    automaton: Automaton,
    description: String,
    /// DFA masks by DFA state.
    masks: MaskCache<u32, [u32]>,
    /// Grammar masks by the lexemes the parser is inside.
    lexeme_masks: LexemeCaches,
}

/// The automaton behind a constraint.
enum Automaton {
    Dfa(Box<ByteDfa>),
    Grammar(Box<GrammarAutomaton>, Chart),
}

impl Constraint {
    /// Compiles a regex (Rust `regex` syntax) that the whole output must match.
    pub fn regex(vocabulary: Arc<Vocabulary>, pattern: &str) -> Result<Constraint, CompileError> {
        Constraint::regex_with(vocabulary, pattern, &RegexConfig::default())
    }

    /// Compiles a regex with explicit limits and options.
    pub fn regex_with(
        vocabulary: Arc<Vocabulary>,
        pattern: &str,
        config: &RegexConfig,
    ) -> Result<Constraint, CompileError> {
        let dfa = config.build(pattern)?;
        Ok(Constraint::from_dfa(
            vocabulary,
            dfa,
            format!("regex {pattern:?}"),
        ))
    }

    /// Compiles a label set: the output is exactly one of `labels`.
    pub fn choice<S: AsRef<str>>(
        vocabulary: Arc<Vocabulary>,
        labels: &[S],
    ) -> Result<Constraint, CompileError> {
        let dfa = ByteDfa::labels(labels)?;
        Ok(Constraint::from_dfa(
            vocabulary,
            dfa,
            format!("choice of {} labels", labels.len()),
        ))
    }

    /// Compiles a grammar in GBNF (with `/regex/` terminals and special
    /// tokens); errors carry `line:column`.
    pub fn grammar(vocabulary: Arc<Vocabulary>, source: &str) -> Result<Constraint, GrammarError> {
        Constraint::grammar_with(vocabulary, source, &GrammarConfig::default())
    }

    /// Compiles a grammar in GBNF within `config`'s limits.
    pub fn grammar_with(
        vocabulary: Arc<Vocabulary>,
        source: &str,
        config: &GrammarConfig,
    ) -> Result<Constraint, GrammarError> {
        let grammar = Grammar::from_gbnf_with(source, config)?;
        Constraint::from_grammar(vocabulary, &grammar, "grammar")
    }

    /// Compiles an already checked grammar, within the limits it was
    /// checked with ([`Grammar::config`]).
    pub fn from_grammar(
        vocabulary: Arc<Vocabulary>,
        grammar: &Grammar,
        description: impl Into<String>,
    ) -> Result<Constraint, GrammarError> {
        let automaton = GrammarAutomaton::new(grammar, &vocabulary)?;
        let start = automaton.start().map_err(|_| {
            GrammarError::at(
                crate::grammar::GrammarErrorKind::Limit,
                grammar.rule(grammar.root()).location,
                "the grammar's start needs more Earley items than the limit",
            )
        })?;
        Ok(Constraint {
            inner: Arc::new(Compiled {
                vocabulary,
                automaton: Automaton::Grammar(Box::new(automaton), start),
                description: description.into(),
                masks: MaskCache::new(0),
                lexeme_masks: LexemeCaches::new(DEFAULT_MASK_CACHE_BYTES),
            }),
        })
    }

    /// Wraps an already built DFA.
    pub fn from_dfa(
        vocabulary: Arc<Vocabulary>,
        dfa: ByteDfa,
        description: impl Into<String>,
    ) -> Constraint {
        Constraint {
            inner: Arc::new(Compiled {
                vocabulary,
                automaton: Automaton::Dfa(Box::new(dfa)),
                description: description.into(),
                masks: MaskCache::new(DEFAULT_MASK_CACHE_BYTES),
                lexeme_masks: LexemeCaches::new(0),
            }),
        }
    }

    /// The same constraint with a mask cache of at most `bytes` (0 turns the
    /// cache off). Default [`DEFAULT_MASK_CACHE_BYTES`]. Masks computed so
    /// far are dropped.
    pub fn with_mask_cache_bytes(self, bytes: usize) -> Constraint {
        let automaton = match &self.inner.automaton {
            Automaton::Dfa(dfa) => Automaton::Dfa(dfa.clone()),
            Automaton::Grammar(grammar, start) => {
                Automaton::Grammar(grammar.clone(), start.clone())
            }
        };
        Constraint {
            inner: Arc::new(Compiled {
                vocabulary: self.inner.vocabulary.clone(),
                automaton,
                description: self.inner.description.clone(),
                masks: MaskCache::new(bytes),
                lexeme_masks: LexemeCaches::new(bytes),
            }),
        }
    }

    /// A fresh matcher at the start of the output.
    pub fn matcher(&self) -> Matcher {
        let (start, chart) = match &self.inner.automaton {
            Automaton::Dfa(dfa) => (dfa.start(), None),
            Automaton::Grammar(_, start) => (0, Some(start.clone())),
        };
        Matcher {
            constraint: self.clone(),
            states: vec![start],
            chart,
        }
    }

    /// The vocabulary this constraint was compiled for.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.inner.vocabulary
    }

    /// Bytes of heap memory held by the compiled automaton (the vocabulary,
    /// shared between constraints, is not counted).
    pub fn memory_usage(&self) -> usize {
        let automaton = match &self.inner.automaton {
            Automaton::Dfa(dfa) => dfa.memory_usage(),
            Automaton::Grammar(grammar, _) => grammar.cfg().memory_usage(),
        };
        automaton + self.inner.masks.bytes() + self.inner.lexeme_masks.bytes()
    }
}

impl fmt::Debug for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Constraint");
        debug.field("description", &self.inner.description);
        match &self.inner.automaton {
            Automaton::Dfa(dfa) => debug.field("dfa", dfa),
            Automaton::Grammar(grammar, _) => {
                debug.field("productions", &grammar.cfg().productions.len())
            }
        };
        debug.finish()
    }
}

/// A matcher error: what was refused and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatchError {
    /// The token is not allowed at this point of the output.
    TokenNotAllowed {
        /// The refused token id.
        token: TokenId,
        /// The token as text, for messages.
        text: String,
        /// How many tokens had been committed before it.
        position: usize,
    },
    /// The token id is outside the vocabulary.
    TokenOutOfRange {
        /// The id.
        token: TokenId,
        /// The vocabulary size.
        vocabulary: usize,
    },
    /// A rollback asked for more tokens than were committed.
    RollbackTooFar {
        /// Tokens asked for.
        requested: usize,
        /// Tokens committed.
        committed: usize,
    },
    /// The mask covers fewer ids than the vocabulary has.
    MaskTooSmall {
        /// The mask's length.
        mask: usize,
        /// The vocabulary size.
        vocabulary: usize,
    },
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchError::TokenNotAllowed {
                token,
                text,
                position,
            } => write!(
                f,
                "token {token} ({text}) is not allowed at token index {position}"
            ),
            MatchError::TokenOutOfRange { token, vocabulary } => write!(
                f,
                "token id {token} is outside the vocabulary of {vocabulary} tokens"
            ),
            MatchError::RollbackTooFar {
                requested,
                committed,
            } => write!(
                f,
                "cannot roll back {requested} tokens: only {committed} are committed"
            ),
            MatchError::MaskTooSmall { mask, vocabulary } => write!(
                f,
                "the mask covers {mask} token ids but the vocabulary has {vocabulary}"
            ),
        }
    }
}

impl std::error::Error for MatchError {}

/// What every continuation must start with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForcedContinuation {
    /// The bytes every valid continuation starts with.
    pub bytes: Vec<u8>,
    /// Tokens spelling a prefix of those bytes that can be committed without
    /// sampling. The last token that merely ends at the boundary of the
    /// forced bytes is left out unless the output must end there: a longer
    /// token crossing the boundary may be the better tokenization.
    pub tokens: Vec<TokenId>,
    /// Whether the output must end after `bytes` (nothing else can follow).
    pub then_end: bool,
}

/// The state marking that an end-of-sequence token was committed.
const FINISHED: u32 = u32::MAX;

/// Per-sequence matching state; clone it to fork a sequence.
#[derive(Clone)]
pub struct Matcher {
    constraint: Constraint,
    /// The state before any token, then after each committed token: a DFA
    /// state, or for grammars the chart length; [`FINISHED`] after the end.
    states: Vec<u32>,
    /// The Earley chart, for grammar constraints.
    chart: Option<Chart>,
}

impl Matcher {
    /// The constraint this matcher follows.
    pub fn constraint(&self) -> &Constraint {
        &self.constraint
    }

    fn vocabulary(&self) -> &Vocabulary {
        &self.constraint.inner.vocabulary
    }

    fn current(&self) -> u32 {
        self.states[self.states.len() - 1]
    }

    /// How many tokens have been committed (end-of-sequence included).
    pub fn committed(&self) -> usize {
        self.states.len() - 1
    }

    /// Whether an end-of-sequence token has been committed.
    pub fn is_finished(&self) -> bool {
        self.current() == FINISHED
    }

    /// Whether the output may end now (the end-of-sequence ids are allowed).
    pub fn can_end(&self) -> bool {
        let state = self.current();
        match (&self.constraint.inner.automaton, &self.chart) {
            _ if state == FINISHED => true,
            (Automaton::Dfa(dfa), _) => dfa.is_accepting(state),
            (Automaton::Grammar(grammar, _), Some(chart)) => grammar.accepts(chart),
            (Automaton::Grammar(..), None) => false,
        }
    }

    /// Clears `mask` and allows exactly the tokens that may come next.
    ///
    /// `mask` may be longer than the vocabulary (a model's padded logits);
    /// ids past the vocabulary stay disallowed. Once finished, only the
    /// end-of-sequence ids are allowed, so a sampler never sees an empty row.
    pub fn fill_mask(&mut self, mask: &mut TokenMask) -> Result<(), MatchError> {
        let vocabulary = &self.constraint.inner.vocabulary;
        if mask.len() < vocabulary.len() {
            return Err(MatchError::MaskTooSmall {
                mask: mask.len(),
                vocabulary: vocabulary.len(),
            });
        }
        let state = self.current();
        match (&self.constraint.inner.automaton, &mut self.chart) {
            _ if state == FINISHED => mask.clear(),
            (Automaton::Dfa(dfa), _) => {
                // Masks of a DFA depend only on its state: cache them.
                let cache = &self.constraint.inner.masks;
                match cache.get(&state) {
                    Some(words) => mask.copy_from_words(&words),
                    None => {
                        mask.clear();
                        fill_from_dfa(dfa, vocabulary, state, mask);
                        let words = &mask.as_words()[..vocabulary.len().div_ceil(32)];
                        cache.insert(state, Arc::from(words), std::mem::size_of_val(words));
                    }
                }
            }
            (Automaton::Grammar(grammar, _), Some(chart)) => {
                mask.clear();
                grammar.fill_mask(chart, vocabulary, &self.constraint.inner.lexeme_masks, mask);
            }
            (Automaton::Grammar(..), None) => mask.clear(),
        }
        if self.can_end() {
            for &eos in self.constraint.inner.vocabulary.eos_tokens() {
                mask.allow(eos);
            }
        }
        Ok(())
    }

    /// Decides `token`: the state to push after it, or `None` when it is not
    /// allowed. A grammar scans an allowed token into its chart in place; a
    /// refused one leaves the chart as it was.
    ///
    /// A grammar scans before it considers ending, so a special token it
    /// expects (`<|eot_id|>` in the grammar) is part of the output even when
    /// it also ends sequences; a DFA never matches special tokens, so for it
    /// an end-of-sequence token can only end the output.
    fn advance(&mut self, token: TokenId) -> Result<Option<u32>, MatchError> {
        let state = self.current();
        let may_end = self.can_end();
        let vocabulary = &self.constraint.inner.vocabulary;
        let Some(bytes) = vocabulary.token_bytes(token) else {
            return Err(MatchError::TokenOutOfRange {
                token,
                vocabulary: vocabulary.len(),
            });
        };
        let ends = vocabulary.is_eos(token) && may_end;
        match (&self.constraint.inner.automaton, &mut self.chart) {
            (Automaton::Grammar(grammar, _), Some(chart)) => {
                if state != FINISHED && grammar.scan_token(chart, vocabulary, token).is_ok() {
                    return Ok(Some(chart.len() as u32));
                }
                Ok(ends.then_some(FINISHED))
            }
            (Automaton::Grammar(..), None) => Ok(ends.then_some(FINISHED)),
            (Automaton::Dfa(dfa), _) => {
                if ends {
                    return Ok(Some(FINISHED));
                }
                if state == FINISHED || vocabulary.is_special(token) {
                    return Ok(None);
                }
                let next = dfa.next_bytes(state, bytes);
                Ok((next != DEAD).then_some(next))
            }
        }
    }

    /// Whether `token` may be committed now, without committing it.
    pub fn is_allowed(&self, token: TokenId) -> bool {
        matches!(self.clone().advance(token), Ok(Some(_)))
    }

    /// Commits `token`. An error leaves the matcher unchanged.
    pub fn commit(&mut self, token: TokenId) -> Result<(), MatchError> {
        match self.advance(token)? {
            Some(next) => {
                self.states.push(next);
                Ok(())
            }
            None => Err(MatchError::TokenNotAllowed {
                token,
                text: self.vocabulary().display_token(token),
                position: self.committed(),
            }),
        }
    }

    /// Commits `tokens` in order, stopping at the first refused one (the
    /// tokens before it stay committed).
    pub fn commit_all(&mut self, tokens: &[TokenId]) -> Result<(), MatchError> {
        tokens.iter().try_for_each(|&token| self.commit(token))
    }

    /// Un-commits the last `count` tokens.
    pub fn rollback(&mut self, count: usize) -> Result<(), MatchError> {
        if count > self.committed() {
            return Err(MatchError::RollbackTooFar {
                requested: count,
                committed: self.committed(),
            });
        }
        self.states.truncate(self.states.len() - count);
        self.sync_chart();
        Ok(())
    }

    /// Goes back to the start of the output.
    pub fn reset(&mut self) {
        self.states.truncate(1);
        self.sync_chart();
    }

    /// Truncates the chart to the last committed token that scanned bytes.
    fn sync_chart(&mut self) {
        if let Some(chart) = &mut self.chart {
            let length = self
                .states
                .iter()
                .rev()
                .find(|&&state| state != FINISHED)
                .copied()
                .unwrap_or(0);
            chart.truncate(length as usize);
        }
    }

    /// A byte string that would complete the output from here — the shortest
    /// for regexes and label sets, one built from shortest derivations for
    /// grammars — or `None` once finished (or when a grammar needs a special
    /// token first). A debugging aid: it shows what the constraint still
    /// expects (`rein check` prints it when a text stops short).
    pub fn shortest_completion(&self) -> Option<Vec<u8>> {
        let state = self.current();
        if state == FINISHED {
            return None;
        }
        match (&self.constraint.inner.automaton, &self.chart) {
            (Automaton::Dfa(dfa), _) => dfa.shortest_completion(state),
            (Automaton::Grammar(grammar, _), Some(chart)) => grammar.shortest_completion(chart),
            (Automaton::Grammar(..), None) => None,
        }
    }

    /// A completion of the output from here spelled in text tokens: the
    /// [shortest completion](Matcher::shortest_completion)'s bytes cut into
    /// the longest tokens that prefix them, left to right. Its length is an
    /// upper bound on the tokens the output still needs (not always the
    /// least: a longer byte string may take fewer tokens). Every token of it
    /// is allowed in turn, since each spells a prefix of a valid completion.
    /// Empty when the output may end now; `None` once finished, when the
    /// completion needs a special token, or when some byte of it is no text
    /// token's prefix.
    pub fn completion_tokens(&self) -> Option<Vec<TokenId>> {
        if self.is_finished() {
            return None;
        }
        if self.can_end() {
            return Some(Vec::new());
        }
        let bytes = self.shortest_completion()?;
        let trie = self.vocabulary().trie();
        let mut tokens = Vec::new();
        let mut offset = 0;
        while offset < bytes.len() {
            let (token, length) = trie.longest_prefix(&bytes[offset..])?;
            tokens.push(token);
            offset += length;
        }
        Some(tokens)
    }

    /// The continuation every valid output must take from here.
    pub fn forced(&self) -> ForcedContinuation {
        let state = self.current();
        if state == FINISHED {
            return ForcedContinuation::default();
        }
        let (bytes, then_end) = match (&self.constraint.inner.automaton, &self.chart) {
            (Automaton::Dfa(dfa), _) => {
                let bytes = dfa.forced_bytes(state, MAX_FORCED_BYTES);
                let end = dfa.next_bytes(state, &bytes);
                (bytes, dfa.must_end(end))
            }
            (Automaton::Grammar(grammar, _), Some(chart)) => {
                grammar.forced_bytes(chart, MAX_FORCED_BYTES)
            }
            (Automaton::Grammar(..), None) => (Vec::new(), false),
        };
        let trie = self.vocabulary().trie();
        let mut tokens = Vec::new();
        let mut offset = 0;
        let mut last_reaches_boundary = false;
        while let Some((token, length)) = trie.longest_prefix(&bytes[offset..]) {
            tokens.push(token);
            offset += length;
            last_reaches_boundary = offset == bytes.len();
            if last_reaches_boundary {
                break;
            }
        }
        if last_reaches_boundary && !then_end {
            tokens.pop();
        }
        ForcedContinuation {
            bytes,
            tokens,
            then_end,
        }
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("committed", &self.committed())
            .field("finished", &self.is_finished())
            .field("can_end", &self.can_end())
            .field("forced", &EscapedBytes(&self.forced().bytes))
            .finish()
    }
}

/// Allows every text token whose bytes keep `dfa` alive from `state`.
fn fill_from_dfa(dfa: &ByteDfa, vocabulary: &Vocabulary, state: u32, mask: &mut TokenMask) {
    vocabulary.trie().walk(
        state,
        |state, byte| {
            let next = dfa.next(state, byte);
            (next != DEAD).then_some(next)
        },
        |tokens, _| {
            for &token in tokens {
                mask.allow(token);
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::TokenKind;

    fn vocab(texts: &[&str]) -> Arc<Vocabulary> {
        let mut builder = Vocabulary::builder();
        for text in texts {
            builder.push(text.as_bytes().to_vec(), TokenKind::Text);
        }
        let eos = builder.push(b"<eos>".to_vec(), TokenKind::Special);
        builder.eos_token(eos);
        Arc::new(builder.build().unwrap())
    }

    fn allowed(matcher: &mut Matcher) -> Vec<TokenId> {
        let mut mask = TokenMask::new(matcher.vocabulary().len() + 40);
        matcher.fill_mask(&mut mask).unwrap();
        mask.iter().collect()
    }

    #[test]
    fn mask_commit_rollback_end() {
        let v = vocab(&["a", "b", "ab", "<eos>", "c"]);
        let constraint = Constraint::regex(v, "ab?c").unwrap();
        let mut m = constraint.matcher();
        assert_eq!(
            allowed(&mut m),
            vec![0, 2],
            "a literal <eos> text token stays text"
        );
        m.commit(0).unwrap();
        assert_eq!(allowed(&mut m), vec![1, 4]);
        assert!(!m.can_end());
        m.commit(4).unwrap();
        assert!(m.can_end());
        assert_eq!(allowed(&mut m), vec![5], "only end of sequence");
        m.commit(5).unwrap();
        assert!(m.is_finished());
        assert_eq!(allowed(&mut m), vec![5], "finished: never an empty row");
        m.rollback(2).unwrap();
        assert_eq!(m.committed(), 1);
        assert_eq!(allowed(&mut m), vec![1, 4]);
        assert!(matches!(
            m.rollback(3),
            Err(MatchError::RollbackTooFar {
                requested: 3,
                committed: 1
            })
        ));
    }

    #[test]
    fn refused_tokens_leave_the_state_alone() {
        let v = vocab(&["a", "b"]);
        let mut m = Constraint::regex(v, "ab").unwrap().matcher();
        let error = m.commit(1).unwrap_err();
        assert_eq!(
            error.to_string(),
            "token 1 (\"b\") is not allowed at token index 0"
        );
        assert_eq!(m.committed(), 0);
        assert!(
            matches!(m.commit(2), Err(MatchError::TokenNotAllowed { .. })),
            "eos"
        );
        assert!(matches!(
            m.commit(9),
            Err(MatchError::TokenOutOfRange { .. })
        ));
        m.commit_all(&[0, 1]).unwrap();
        assert!(m.can_end());
    }

    #[test]
    fn a_spent_shared_cache_starts_over_and_masks_stay_exact() {
        let texts = [
            "a", "b", "c", "ab", "bc", "abc", "\"", "\",", ",", "1", "12", "{", "}", ":", " ",
        ];
        let roomy = vocab(&texts);
        let mut builder = Vocabulary::builder();
        for text in texts {
            builder.push(text.as_bytes().to_vec(), TokenKind::Text);
        }
        let eos = builder.push(b"<eos>".to_vec(), TokenKind::Special);
        builder.eos_token(eos);
        // Room for a few walks only: the cache starts over again and again.
        let tight = Arc::new(builder.build().unwrap().with_shared_lexeme_budget(600));
        let grammars = [
            r#"root ::= "{" ( /"[a-c]{0,6}"/ ":" /[0-9]{1,3}/ ","? )* "}""#,
            r#"root ::= /[ab]{2,9}/ " " /c+/ | /[0-9]{1,4}/ root?"#,
            r#"root ::= ( "ab" | /a[bc]{0,5}/ | """ /[ac]*/ """ )+"#,
        ];
        for (round, source) in grammars.iter().cycle().take(9).enumerate() {
            let mut expected = Constraint::grammar(roomy.clone(), source)
                .unwrap()
                .matcher();
            let mut actual = Constraint::grammar(tight.clone(), source)
                .unwrap()
                .matcher();
            // A greedy walk: the allowed token `round` places past the
            // smallest, while the output may go on.
            for _ in 0..12 {
                let allowed_now = allowed(&mut expected);
                assert_eq!(allowed(&mut actual), allowed_now, "{source}");
                let texts: Vec<TokenId> = allowed_now.into_iter().filter(|&id| id != eos).collect();
                let Some(&token) = texts.get(round % texts.len().max(1)) else {
                    break;
                };
                expected.commit(token).unwrap();
                actual.commit(token).unwrap();
            }
        }
        assert!(
            tight.shared_lexemes().generation() > 0,
            "the budget was spent"
        );
    }

    #[test]
    fn mask_must_cover_the_vocabulary() {
        let v = vocab(&["a", "b"]);
        let mut m = Constraint::regex(v, "a").unwrap().matcher();
        let mut small = TokenMask::new(2);
        assert!(matches!(
            m.fill_mask(&mut small),
            Err(MatchError::MaskTooSmall { .. })
        ));
    }

    #[test]
    fn forced_continuation_keeps_the_boundary_token_open() {
        let v = vocab(&["{", "\"", "{\"", "name", "\":", "x", "\"}"]);
        let c = Constraint::regex(v, r#"\{"name":x+"\}"#).unwrap();
        let m = c.matcher();
        let forced = m.forced();
        assert_eq!(forced.bytes, br#"{"name":x"#);
        // `{"` `name` `":` then `x` ends at the boundary and is held back.
        assert_eq!(forced.tokens, vec![2, 3, 4]);
        assert!(!forced.then_end);
        let mut m = c.matcher();
        m.commit_all(&[2, 3, 4, 5, 5]).unwrap();
        assert!(m.forced().bytes.is_empty());
        m.commit(1).unwrap();
        let forced = m.forced();
        assert_eq!(forced.bytes, b"}");
        assert!(forced.then_end);
    }

    #[test]
    fn choice_constraint() {
        let v = vocab(&["pos", "itive", "neg", "ative", "p", "n"]);
        let c = Constraint::choice(v, &["positive", "negative", "pos"]).unwrap();
        let mut m = c.matcher();
        assert_eq!(allowed(&mut m), vec![0, 2, 4, 5]);
        m.commit(0).unwrap();
        assert!(m.can_end());
        assert_eq!(allowed(&mut m), vec![1, 6]);
    }

    #[test]
    fn cached_masks_equal_fresh_ones() {
        let v = vocab(&["a", "b", "ab", "ba", "c"]);
        let cached = Constraint::regex(v, "(ab|ba)*c?").unwrap();
        let fresh = cached.clone().with_mask_cache_bytes(0);
        let (mut a, mut b) = (cached.matcher(), fresh.matcher());
        for token in [2, 3, 0, 1, 1, 0, 4] {
            assert_eq!(allowed(&mut a), allowed(&mut b));
            a.commit(token).unwrap();
            b.commit(token).unwrap();
        }
        assert_eq!(allowed(&mut a), allowed(&mut b));
        assert!(
            cached.memory_usage() > fresh.memory_usage(),
            "masks were cached"
        );
    }

    #[test]
    fn is_allowed_agrees_with_commit_on_grammar_special_tokens() {
        let mut builder = Vocabulary::builder();
        let a = builder.push(b"a".to_vec(), TokenKind::Text);
        let eot = builder.push(b"<|eot_id|>".to_vec(), TokenKind::Special);
        builder.eos_token(eot);
        let v = Arc::new(builder.build().unwrap());
        let c = Constraint::grammar(v, "root ::= \"a\" <|eot_id|>").unwrap();
        let mut m = c.matcher();
        assert!(m.is_allowed(a) && !m.is_allowed(eot));
        m.commit(a).unwrap();
        assert!(!m.can_end(), "the grammar still expects <|eot_id|>");
        assert!(m.is_allowed(eot) && !m.is_allowed(a));
        m.commit(eot).unwrap();
        assert!(m.can_end() && !m.is_finished());
        assert!(m.is_allowed(eot), "now it may end");
        m.commit(eot).unwrap();
        assert!(m.is_finished());
        let v = c.vocabulary().clone();
        for unknown in ["root ::= <[999]>", "root ::= <[0]>", "root ::= <|pad|>"] {
            let error = Constraint::grammar(Arc::new(v.clone()), unknown).unwrap_err();
            assert!(
                error.to_string().contains("no special token"),
                "{unknown}: {error}"
            );
        }
        assert!(Constraint::grammar(Arc::new(v), "root ::= <[1]>").is_ok());
    }

    /// Text tokens, then `<|end_think|>`, `<|other|>` (special) and
    /// `<|eot_id|>` (special, the stop token).
    fn thinking_vocab(texts: &[&str]) -> (Arc<Vocabulary>, [TokenId; 3]) {
        let mut builder = Vocabulary::builder();
        for text in texts {
            builder.push(text.as_bytes().to_vec(), TokenKind::Text);
        }
        let end_think = builder.push(b"<|end_think|>".to_vec(), TokenKind::Special);
        let other = builder.push(b"<|other|>".to_vec(), TokenKind::Special);
        let eot = builder.push(b"<|eot_id|>".to_vec(), TokenKind::Special);
        builder.eos_token(eot);
        (Arc::new(builder.build().unwrap()), [end_think, other, eot])
    }

    fn id(v: &Vocabulary, text: &str) -> TokenId {
        (0..v.len() as TokenId)
            .find(|&id| v.token_bytes(id) == Some(text.as_bytes()))
            .unwrap()
    }

    const THINK_TEXTS: &[&str] = &[
        "<think>", "<", "think", ">", "a", "b", "ab", "abx", "c", "!", "answer", "ans", "wer", " ",
        "x",
    ];

    #[test]
    fn negated_token_allows_every_other_token() {
        let (v, [end_think, other, eot]) = thinking_vocab(THINK_TEXTS);
        let text_tokens: Vec<TokenId> = (0..THINK_TEXTS.len() as TokenId).collect();
        let c = Constraint::grammar(
            v.clone(),
            r#"root ::= "<think>" ( !<|end_think|> )* <|end_think|> "answer""#,
        )
        .unwrap();
        let mut m = c.matcher();
        assert_eq!(allowed(&mut m), vec![id(&v, "<think>"), id(&v, "<")]);
        m.commit(id(&v, "<think>")).unwrap();
        // Every text token, `<|other|>`, and `<|end_think|>` through the
        // positive terminal; never the stop token.
        let mut inside = text_tokens.clone();
        inside.extend([end_think, other]);
        assert_eq!(allowed(&mut m), inside);
        for token in [id(&v, "abx"), other, id(&v, "<think>"), id(&v, " ")] {
            m.commit(token).unwrap();
            assert_eq!(allowed(&mut m), inside, "after {token}");
        }
        assert!(!m.is_allowed(eot) && !m.can_end());
        m.commit(end_think).unwrap();
        assert_eq!(
            allowed(&mut m),
            vec![id(&v, "a"), id(&v, "answer"), id(&v, "ans")]
        );
        assert!(!m.is_allowed(end_think));
        m.commit_all(&[id(&v, "ans"), id(&v, "wer")]).unwrap();
        assert!(m.can_end());
        assert_eq!(allowed(&mut m), vec![eot], "only the end");

        // Where only the negation waits, the excluded token is refused.
        let c = Constraint::grammar(v.clone(), r#"root ::= !<|end_think|> "x""#).unwrap();
        let mut m = c.matcher();
        let mut first = text_tokens.clone();
        first.push(other);
        assert_eq!(allowed(&mut m), first);
        assert!(!m.is_allowed(end_think) && !m.is_allowed(eot));
        assert!(matches!(
            m.commit(end_think),
            Err(MatchError::TokenNotAllowed { .. })
        ));
        m.commit(other).unwrap();
        assert_eq!(allowed(&mut m), vec![id(&v, "x")]);
    }

    #[test]
    fn negated_token_starts_and_ends_at_token_boundaries() {
        let (v, [_, other, _]) = thinking_vocab(THINK_TEXTS);
        let c = Constraint::grammar(v.clone(), r#"root ::= "a" !<|end_think|> "c""#).unwrap();
        let mut m = c.matcher();
        // `ab` would need the negation to start inside the token.
        assert_eq!(allowed(&mut m), vec![id(&v, "a")]);
        assert!(!m.is_allowed(id(&v, "ab")));
        m.commit(id(&v, "a")).unwrap();
        // `abx` is one whole token, so it is one negation, and `c` follows.
        m.commit(id(&v, "abx")).unwrap();
        assert_eq!(allowed(&mut m), vec![id(&v, "c")]);
        m.rollback(1).unwrap();
        m.commit(other).unwrap();
        assert_eq!(allowed(&mut m), vec![id(&v, "c")]);
        m.commit(id(&v, "c")).unwrap();
        assert!(m.can_end());
    }

    #[test]
    fn negation_by_id_may_exclude_a_text_token() {
        let (v, [end_think, other, eot]) = thinking_vocab(THINK_TEXTS);
        let a = id(&v, "a");
        let c = Constraint::grammar(v.clone(), &format!("root ::= !<[{a}]>")).unwrap();
        let mut m = c.matcher();
        let expected: Vec<TokenId> = (0..v.len() as TokenId)
            .filter(|&t| t != a && t != eot)
            .collect();
        assert_eq!(allowed(&mut m), expected);
        assert!(expected.contains(&end_think) && expected.contains(&other));
        // The byte path allows it back.
        let c = Constraint::grammar(v.clone(), &format!("root ::= !<[{a}]> | \"a\"")).unwrap();
        let mut m = c.matcher();
        assert!(m.is_allowed(a));
        assert_eq!(allowed(&mut m).len(), expected.len() + 1);
        // Two negations admit what either admits.
        let c = Constraint::grammar(v.clone(), r#"root ::= ( !<|end_think|> | !<|other|> ) "x""#)
            .unwrap();
        let mut m = c.matcher();
        assert!(m.is_allowed(end_think) && m.is_allowed(other) && !m.is_allowed(eot));
        let all_but_stop: Vec<TokenId> = (0..v.len() as TokenId).filter(|&t| t != eot).collect();
        assert_eq!(allowed(&mut m), all_but_stop);
        let c = Constraint::grammar(
            v.clone(),
            r#"root ::= ( !<|end_think|> | !<|end_think|> "c" ) "x""#,
        )
        .unwrap();
        let mut m = c.matcher();
        assert!(!m.is_allowed(end_think));
        let all_but_two: Vec<TokenId> = (0..v.len() as TokenId)
            .filter(|&t| t != eot && t != end_think)
            .collect();
        assert_eq!(allowed(&mut m), all_but_two);
    }

    #[test]
    fn negated_token_merges_with_the_byte_path() {
        let (v, [end_think, ..]) = thinking_vocab(THINK_TEXTS);
        let c =
            Constraint::grammar(v.clone(), r#"root ::= "ab" "c" | !<|end_think|> "!""#).unwrap();
        let mut m = c.matcher();
        m.commit(id(&v, "ab")).unwrap();
        // `ab` is both the literal's bytes and one negated token.
        assert_eq!(allowed(&mut m), vec![id(&v, "c"), id(&v, "!")]);
        let mut fork = m.clone();
        fork.commit(id(&v, "c")).unwrap();
        assert!(fork.can_end());
        m.commit(id(&v, "!")).unwrap();
        assert!(m.can_end());
        // The byte path dies inside `abx` (at `x`); the negation carries it.
        let mut m = c.matcher();
        m.commit(id(&v, "abx")).unwrap();
        assert_eq!(allowed(&mut m), vec![id(&v, "!")]);
        assert!(!m.is_allowed(end_think));
    }

    #[test]
    fn commit_and_rollback_across_negated_tokens_restore_masks() {
        let (v, [end_think, other, _]) = thinking_vocab(THINK_TEXTS);
        let source = r#"root ::= ( "ab" "c" | !<|end_think|> "!" | "<think>" ( !<|end_think|> )* <|end_think|> )+"#;
        let cached = Constraint::grammar(v.clone(), source).unwrap();
        let fresh = cached.clone().with_mask_cache_bytes(0);
        let tokens = [
            id(&v, "abx"),
            id(&v, "!"),
            id(&v, "ab"),
            id(&v, "c"),
            id(&v, "<think>"),
            id(&v, "abx"),
            other,
            id(&v, "ab"),
            end_think,
            id(&v, "ab"),
            id(&v, "!"),
        ];
        let mut m = cached.matcher();
        let mut masks = vec![allowed(&mut m)];
        for &token in &tokens {
            m.commit(token).unwrap();
            let mask = allowed(&mut m);
            let mut replay = fresh.matcher();
            replay.commit_all(&tokens[..masks.len()]).unwrap();
            assert_eq!(mask, allowed(&mut replay), "cached vs fresh after {token}");
            masks.push(mask);
        }
        for back in [1, 3, 2, 4, 1] {
            m.rollback(back).unwrap();
            assert_eq!(allowed(&mut m), masks[m.committed()], "back {back}");
            let count = m.committed();
            m.commit_all(&tokens[count..count + back]).unwrap();
            assert_eq!(allowed(&mut m), masks[m.committed()]);
        }
        m.reset();
        assert_eq!(allowed(&mut m), masks[0]);
    }

    #[test]
    fn forced_continuation_stops_before_a_negation() {
        let (v, _) = thinking_vocab(THINK_TEXTS);
        let c =
            Constraint::grammar(v.clone(), r#"root ::= "<think>" !<|end_think|>* "x""#).unwrap();
        let mut m = c.matcher();
        let forced = m.forced();
        assert_eq!(forced.bytes, b"<think>");
        assert!(!forced.then_end);
        m.commit(id(&v, "<think>")).unwrap();
        assert!(m.forced().bytes.is_empty());
        assert_eq!(m.shortest_completion(), Some(b"x".to_vec()));
        let c = Constraint::grammar(v.clone(), r#"root ::= "ab" !<[0]>"#).unwrap();
        let mut m = c.matcher();
        m.commit(id(&v, "ab")).unwrap();
        let forced = m.forced();
        assert!(forced.bytes.is_empty() && !forced.then_end);
        assert_eq!(
            m.shortest_completion(),
            None,
            "a whole token is no byte string"
        );
        assert_eq!(m.completion_tokens(), None);
    }

    #[test]
    fn negations_name_tokens_the_vocabulary_has() {
        let (v, _) = thinking_vocab(THINK_TEXTS);
        let cases = [
            ("root ::= !<|pad|>", "!<|pad|>"),
            ("root ::= !<[999]>", "!<[999]>"),
        ];
        for (source, name) in cases {
            let error = Constraint::grammar(v.clone(), source)
                .unwrap_err()
                .to_string();
            assert!(error.contains(name), "{source}: {error}");
        }
        let error = Constraint::grammar(v.clone(), "root ::= \"a\" !\"b\"")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("1:14: `!` must be followed"), "{error}");
        assert!(Constraint::grammar(v.clone(), "root ::= !<|other|> !<[0]> !<|eot_id|>").is_ok());
    }

    #[test]
    fn constraints_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Constraint>();
        check::<Matcher>();
    }
}
