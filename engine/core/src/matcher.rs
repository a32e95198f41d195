//! The matcher API: one way to drive every kind of constraint.
//!
//! A [`Constraint`] is compiled once by an [`Engine`] (which holds the
//! [`Vocabulary`], the caches shared between constraints and the configs)
//! and is immutable, `Send + Sync` and cheap to clone (an `Arc`). Each
//! sequence being generated gets its own [`Matcher`], a small state that:
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

use crate::automaton::{ByteDfa, DEAD};
use crate::engine::Engine;
use crate::grammar::automaton::GrammarAutomaton;
use crate::grammar::earley::Chart;
use crate::grammar::mask_walk::LexemeCaches;
use crate::grammar::{Grammar, GrammarError};
use crate::mask::TokenMask;
use crate::mask_cache::MaskCache;
use crate::vocab::{EscapedBytes, TokenId, Vocabulary};

/// The most forced bytes [`Matcher::forced`] reports in one call.
const MAX_FORCED_BYTES: usize = 4096;

/// A compiled constraint over one vocabulary, made by an [`Engine`].
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

/// The automaton behind a constraint; a grammar with the chart every
/// matcher starts from.
enum Automaton {
    Dfa(Arc<ByteDfa>),
    Grammar(Arc<GrammarAutomaton>, Chart),
}

impl Constraint {
    /// Compiles an already checked grammar for `engine`, within the limits
    /// it was checked with; see [`Engine::from_grammar`].
    pub(crate) fn from_grammar(
        engine: &Engine,
        grammar: &Grammar,
        description: String,
    ) -> Result<Constraint, GrammarError> {
        let vocabulary = engine.vocabulary().clone();
        let automaton = GrammarAutomaton::new(grammar, &vocabulary)?;
        let start = automaton.start().map_err(|_| {
            GrammarError::at(
                crate::grammar::GrammarErrorKind::Limit,
                &grammar.rule(grammar.root()).origin,
                "the grammar's start needs more Earley items than the limit",
            )
        })?;
        Ok(Constraint {
            inner: Arc::new(Compiled {
                vocabulary,
                automaton: Automaton::Grammar(Arc::new(automaton), start),
                description,
                masks: MaskCache::new(0),
                lexeme_masks: LexemeCaches::new(
                    engine.mask_cache_bytes(),
                    engine.shared_lexemes().clone(),
                ),
            }),
        })
    }

    /// Wraps an already built DFA for `engine`; see [`Engine::from_dfa`].
    pub(crate) fn from_dfa(engine: &Engine, dfa: ByteDfa, description: String) -> Constraint {
        Constraint {
            inner: Arc::new(Compiled {
                vocabulary: engine.vocabulary().clone(),
                automaton: Automaton::Dfa(Arc::new(dfa)),
                description,
                masks: MaskCache::new(engine.mask_cache_bytes()),
                lexeme_masks: LexemeCaches::new(0, engine.shared_lexemes().clone()),
            }),
        }
    }

    /// The same constraint with a mask cache of at most `bytes` (0 turns the
    /// cache off, the engine's shared walks included). Default the engine's
    /// [`mask_cache_bytes`](crate::EngineBuilder::mask_cache_bytes). Masks
    /// computed so far are dropped.
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
                lexeme_masks: LexemeCaches::new(bytes, self.inner.lexeme_masks.shared().clone()),
            }),
        }
    }

    /// A fresh matcher at the start of the output.
    pub fn matcher(&self) -> Matcher {
        let cursor = match &self.inner.automaton {
            Automaton::Dfa(dfa) => Cursor::Dfa {
                dfa: dfa.clone(),
                states: vec![dfa.start()],
            },
            Automaton::Grammar(grammar, start) => Cursor::Grammar {
                grammar: grammar.clone(),
                chart: start.clone(),
                lengths: vec![0],
            },
        };
        Matcher {
            constraint: self.clone(),
            cursor,
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
    cursor: Cursor,
}

/// Where a sequence is, with the automaton it moves in.
#[derive(Clone)]
enum Cursor {
    /// The DFA's state before any token, then after each committed token;
    /// [`FINISHED`] after the end.
    Dfa { dfa: Arc<ByteDfa>, states: Vec<u32> },
    /// The grammar's chart, and its length before any token, then after
    /// each committed token; [`FINISHED`] after the end.
    Grammar {
        grammar: Arc<GrammarAutomaton>,
        chart: Chart,
        lengths: Vec<u32>,
    },
}

impl Cursor {
    /// The position before any token, then after each committed token.
    fn positions(&self) -> &[u32] {
        match self {
            Cursor::Dfa { states, .. } => states,
            Cursor::Grammar { lengths, .. } => lengths,
        }
    }

    fn positions_mut(&mut self) -> &mut Vec<u32> {
        match self {
            Cursor::Dfa { states, .. } => states,
            Cursor::Grammar { lengths, .. } => lengths,
        }
    }

    /// Truncates a grammar's chart to the last committed token that
    /// scanned bytes.
    fn sync_chart(&mut self) {
        if let Cursor::Grammar { chart, lengths, .. } = self {
            let length = lengths
                .iter()
                .rev()
                .find(|&&length| length != FINISHED)
                .copied()
                .unwrap_or(0);
            chart.truncate(length as usize);
        }
    }
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
        let positions = self.cursor.positions();
        positions[positions.len() - 1]
    }

    /// How many tokens have been committed (end-of-sequence included).
    pub fn committed(&self) -> usize {
        self.cursor.positions().len() - 1
    }

    /// Whether an end-of-sequence token has been committed.
    pub fn is_finished(&self) -> bool {
        self.current() == FINISHED
    }

    /// Whether the output may end now (the end-of-sequence ids are allowed).
    pub fn can_end(&self) -> bool {
        let state = self.current();
        match &self.cursor {
            _ if state == FINISHED => true,
            Cursor::Dfa { dfa, .. } => dfa.is_accepting(state),
            Cursor::Grammar { grammar, chart, .. } => grammar.accepts(chart),
        }
    }

    /// Clears `mask` and allows exactly the tokens that may come next.
    ///
    /// `mask` may be longer than the vocabulary (a model's padded logits);
    /// ids past the vocabulary stay disallowed. Once finished, only the
    /// end-of-sequence ids are allowed, so a sampler never sees an empty row.
    pub fn fill_mask(&mut self, mask: &mut TokenMask) -> Result<(), MatchError> {
        let compiled = &*self.constraint.inner;
        let vocabulary = &compiled.vocabulary;
        if mask.len() < vocabulary.len() {
            return Err(MatchError::MaskTooSmall {
                mask: mask.len(),
                vocabulary: vocabulary.len(),
            });
        }
        let state = self.current();
        match &mut self.cursor {
            _ if state == FINISHED => mask.clear(),
            Cursor::Dfa { dfa, .. } => {
                // Masks of a DFA depend only on its state: cache them.
                match compiled.masks.get(&state) {
                    Some(words) => mask.copy_from_words(&words),
                    None => {
                        mask.clear();
                        fill_from_dfa(dfa, vocabulary, state, mask);
                        let words = &mask.as_words()[..vocabulary.len().div_ceil(32)];
                        compiled.masks.insert(
                            state,
                            Arc::from(words),
                            std::mem::size_of_val(words),
                        );
                    }
                }
            }
            Cursor::Grammar { grammar, chart, .. } => {
                mask.clear();
                grammar.fill_mask(chart, vocabulary, &compiled.lexeme_masks, mask);
            }
        }
        if self.can_end() {
            for &eos in vocabulary.eos_tokens() {
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
        match &mut self.cursor {
            Cursor::Grammar { grammar, chart, .. } => {
                if state != FINISHED && grammar.scan_token(chart, vocabulary, token).is_ok() {
                    return Ok(Some(chart.len() as u32));
                }
                Ok(ends.then_some(FINISHED))
            }
            Cursor::Dfa { dfa, .. } => {
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

    /// Whether `token` may be committed now. The matcher is left as it was
    /// (a grammar's chart is used as scratch and truncated back).
    pub fn is_allowed(&mut self, token: TokenId) -> bool {
        let allowed = matches!(self.advance(token), Ok(Some(_)));
        self.cursor.sync_chart();
        allowed
    }

    /// Commits `token`. An error leaves the matcher unchanged.
    pub fn commit(&mut self, token: TokenId) -> Result<(), MatchError> {
        match self.advance(token)? {
            Some(next) => {
                self.cursor.positions_mut().push(next);
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
        let positions = self.cursor.positions_mut();
        positions.truncate(positions.len() - count);
        self.cursor.sync_chart();
        Ok(())
    }

    /// Goes back to the start of the output.
    pub fn reset(&mut self) {
        self.cursor.positions_mut().truncate(1);
        self.cursor.sync_chart();
    }

    /// A byte string that would complete the output from here — the shortest
    /// for regexes and label sets, one built from shortest derivations for
    /// grammars — or `None` once finished (or when a grammar needs a special
    /// token first). A debugging aid: it shows what the constraint still
    /// expects (`rein check` prints it when a text stops short).
    pub fn shortest_completion(&self) -> Option<Vec<u8>> {
        let state = self.current();
        match &self.cursor {
            _ if state == FINISHED => None,
            Cursor::Dfa { dfa, .. } => dfa.shortest_completion(state),
            Cursor::Grammar { grammar, chart, .. } => grammar.shortest_completion(chart),
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
        let (bytes, then_end) = match &self.cursor {
            _ if state == FINISHED => return ForcedContinuation::default(),
            Cursor::Dfa { dfa, .. } => {
                let bytes = dfa.forced_bytes(state, MAX_FORCED_BYTES);
                let end = dfa.next_bytes(state, &bytes);
                (bytes, dfa.must_end(end))
            }
            Cursor::Grammar { grammar, chart, .. } => grammar.forced_bytes(chart, MAX_FORCED_BYTES),
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
pub(crate) mod tests;
