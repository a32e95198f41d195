//! The engine: one vocabulary, the caches built over it, and the configs
//! constraints are compiled with.
//!
//! Some work outlives a single constraint. A grammar's lexer walk over the
//! token trie depends only on what its lexemes can still match, so a JSON
//! string's body walks alike in every schema: the walks are cached once per
//! vocabulary and shared by every grammar compiled for it (a batch of
//! schemas, or a server's stream of requests, pays for each kind of lexeme
//! once). That cache needs an owner whose lifetime and budget are visible.
//! An [`Engine`] is that owner: it holds the [`Vocabulary`] (plain data),
//! the shared cache of lexer walks and the configs, and every
//! [`Constraint`] is compiled through it ([`Engine::regex`],
//! [`Engine::choice`], [`Engine::grammar`], [`Engine::from_grammar`],
//! [`Engine::from_dfa`]). A constraint keeps the vocabulary and the shared
//! cache behind `Arc`s, so its masks share walks with every other
//! constraint of the same engine, and it stays usable after the engine is
//! dropped.
//!
//! Built like regex-automata's engines: [`Engine::new`] takes the
//! defaults, [`Engine::builder`] sets the configs and budgets, and the
//! result is immutable, `Send + Sync` and cheap to clone (an `Arc`).
//!
//! What it trades off:
//!
//! * Sharing follows the engine, not the vocabulary: two engines over the
//!   same vocabulary keep two caches, each paying for its walks and
//!   holding its own budget. A long-lived process creates one engine per
//!   vocabulary and reuses it.
//! * The configs are fixed when the engine is built. A constraint that
//!   needs other grammar limits is compiled from a [`Grammar`] checked
//!   with them ([`Grammar::from_gbnf_with`], then [`Engine::from_grammar`],
//!   which uses the grammar's own limits) and still shares the engine's
//!   walks; another engine would share nothing.
//! * The shared cache is bounded by
//!   [`EngineBuilder::shared_lexeme_cache_bytes`] and starts over (a new
//!   generation) when spent, rather than evicting walk by walk: a process
//!   meeting new lexemes keeps caching them, at the price of walking the
//!   old ones once more.
//!
//! Regexes are memoized separately and process-wide, by pattern and limits
//! (in [`automaton`](crate::automaton)): a DFA depends on neither the
//! vocabulary nor an engine, and schema compilation builds its regexes
//! with no engine at hand.

use std::fmt;
use std::sync::Arc;

use crate::automaton::{ByteDfa, CompileError, RegexConfig};
use crate::grammar::mask_walk::SharedLexemes;
use crate::grammar::{Grammar, GrammarConfig, GrammarError};
use crate::matcher::Constraint;
use crate::vocab::Vocabulary;

/// The default memory budget of one constraint's mask cache (64 MiB: 4,000
/// masks of a 128k vocabulary, 2,000 of a 262k one).
pub const DEFAULT_MASK_CACHE_BYTES: usize = 64 << 20;

/// The default memory budget of an engine's cache of lexer walks shared by
/// its grammars (128 MiB).
pub const DEFAULT_SHARED_LEXEME_CACHE_BYTES: usize = 128 << 20;

/// A vocabulary with its shared caches and configs; compiles constraints.
///
/// Cheap to clone: clones share the vocabulary and the caches.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    vocabulary: Arc<Vocabulary>,
    shared_lexemes: Arc<SharedLexemes>,
    config: EngineBuilder,
}

impl Engine {
    /// An engine over `vocabulary` with the default configs and budgets.
    pub fn new(vocabulary: Arc<Vocabulary>) -> Engine {
        EngineBuilder::new().build(vocabulary)
    }

    /// Starts configuring an engine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// Compiles a regex (Rust `regex` syntax) that the whole output must
    /// match, within the engine's [`RegexConfig`].
    pub fn regex(&self, pattern: &str) -> Result<Constraint, CompileError> {
        let dfa = self.inner.config.regex.build(pattern)?;
        Ok(self.from_dfa(dfa, format!("regex {pattern:?}")))
    }

    /// Compiles a label set: the output is exactly one of `labels`.
    pub fn choice<S: AsRef<str>>(&self, labels: &[S]) -> Result<Constraint, CompileError> {
        let dfa = ByteDfa::labels(labels)?;
        Ok(self.from_dfa(dfa, format!("choice of {} labels", labels.len())))
    }

    /// Compiles a grammar in GBNF (with `/regex/` terminals and special
    /// tokens) within the engine's [`GrammarConfig`]; errors carry
    /// `line:column`.
    pub fn grammar(&self, source: &str) -> Result<Constraint, GrammarError> {
        let grammar = Grammar::from_gbnf_with(source, &self.inner.config.grammar)?;
        self.from_grammar(&grammar, "grammar")
    }

    /// Compiles an already checked grammar, within the limits it was
    /// checked with ([`Grammar::config`]), not the engine's.
    pub fn from_grammar(
        &self,
        grammar: &Grammar,
        description: impl Into<String>,
    ) -> Result<Constraint, GrammarError> {
        Constraint::from_grammar(self, grammar, description.into())
    }

    /// Wraps an already built DFA.
    pub fn from_dfa(&self, dfa: ByteDfa, description: impl Into<String>) -> Constraint {
        Constraint::from_dfa(self, dfa, description.into())
    }

    /// The vocabulary every constraint of this engine is compiled for.
    pub fn vocabulary(&self) -> &Arc<Vocabulary> {
        &self.inner.vocabulary
    }

    /// The limits [`Engine::regex`] compiles with.
    pub fn regex_config(&self) -> &RegexConfig {
        &self.inner.config.regex
    }

    /// The limits [`Engine::grammar`] compiles with.
    pub fn grammar_config(&self) -> &GrammarConfig {
        &self.inner.config.grammar
    }

    /// The mask cache budget of each constraint, in bytes.
    pub fn mask_cache_bytes(&self) -> usize {
        self.inner.config.mask_cache_bytes
    }

    /// Bytes of heap memory held by the shared cache of lexer walks (the
    /// vocabulary and each constraint's own caches are not counted).
    pub fn memory_usage(&self) -> usize {
        self.inner.shared_lexemes.memory_usage()
    }

    /// The cache of lexer walks shared by this engine's grammars.
    pub(crate) fn shared_lexemes(&self) -> &Arc<SharedLexemes> {
        &self.inner.shared_lexemes
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("vocabulary", &self.inner.vocabulary)
            .field("config", &self.inner.config)
            .field("shared_lexemes", &self.inner.shared_lexemes)
            .finish()
    }
}

/// Configures and builds an [`Engine`].
///
/// Every setter takes and returns the builder; [`EngineBuilder::build`]
/// borrows it, so one builder can build engines for several vocabularies.
#[derive(Clone, Debug)]
pub struct EngineBuilder {
    regex: RegexConfig,
    grammar: GrammarConfig,
    mask_cache_bytes: usize,
    shared_lexeme_cache_bytes: usize,
}

impl Default for EngineBuilder {
    fn default() -> EngineBuilder {
        EngineBuilder {
            regex: RegexConfig::default(),
            grammar: GrammarConfig::default(),
            mask_cache_bytes: DEFAULT_MASK_CACHE_BYTES,
            shared_lexeme_cache_bytes: DEFAULT_SHARED_LEXEME_CACHE_BYTES,
        }
    }
}

impl EngineBuilder {
    /// The defaults.
    pub fn new() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The limits [`Engine::regex`] compiles with. Default
    /// [`RegexConfig::default`].
    pub fn regex_config(mut self, config: RegexConfig) -> EngineBuilder {
        self.regex = config;
        self
    }

    /// The limits [`Engine::grammar`] compiles with. Default
    /// [`GrammarConfig::default`]. Grammars given to
    /// [`Engine::from_grammar`] keep their own.
    pub fn grammar_config(mut self, config: GrammarConfig) -> EngineBuilder {
        self.grammar = config;
        self
    }

    /// Each constraint's mask cache budget in bytes: DFA masks by state,
    /// a grammar's own lexer walks. Default [`DEFAULT_MASK_CACHE_BYTES`].
    /// Past it masks are computed at every step instead of copied; 0 turns
    /// caching off, the shared walks included (for measuring cold masks).
    /// [`Constraint::with_mask_cache_bytes`] changes it for one constraint.
    pub fn mask_cache_bytes(mut self, bytes: usize) -> EngineBuilder {
        self.mask_cache_bytes = bytes;
        self
    }

    /// The budget in bytes of the lexer walks shared by the engine's
    /// grammars. Default [`DEFAULT_SHARED_LEXEME_CACHE_BYTES`]. When spent,
    /// the cache starts over empty and walks lexemes again as they come.
    pub fn shared_lexeme_cache_bytes(mut self, bytes: usize) -> EngineBuilder {
        self.shared_lexeme_cache_bytes = bytes;
        self
    }

    /// An engine over `vocabulary` with these settings and an empty cache.
    pub fn build(&self, vocabulary: Arc<Vocabulary>) -> Engine {
        let shared_lexemes = SharedLexemes::new(
            self.shared_lexeme_cache_bytes,
            vocabulary.trie().max_depth(),
        );
        Engine {
            inner: Arc::new(Inner {
                vocabulary,
                shared_lexemes: Arc::new(shared_lexemes),
                config: self.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::tests::vocab;

    fn engine() -> Engine {
        Engine::new(vocab(&["a", "b", "ab"]))
    }

    #[test]
    fn engines_are_send_sync_and_clones_share_their_state() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Engine>();
        let engine = engine();
        let clone = engine.clone();
        assert!(Arc::ptr_eq(engine.vocabulary(), clone.vocabulary()));
        assert!(Arc::ptr_eq(engine.shared_lexemes(), clone.shared_lexemes()));
    }

    #[test]
    fn constraints_use_the_engine_config() {
        let engine = Engine::builder()
            .regex_config(RegexConfig::new().max_pattern_bytes(4))
            .grammar_config(GrammarConfig::new().max_expressions(2))
            .build(engine().vocabulary().clone());
        assert!(engine.regex("ab").is_ok());
        assert!(engine.regex("a|b|ab").is_err(), "past max_pattern_bytes");
        let long = r#"root ::= "a" "b" "a" "b""#;
        assert!(engine.grammar(long).is_err(), "past max_expressions");
        let grammar = Grammar::from_gbnf(long).unwrap();
        assert!(
            engine.from_grammar(&grammar, "checked").is_ok(),
            "a checked grammar keeps its own limits"
        );
    }
}
