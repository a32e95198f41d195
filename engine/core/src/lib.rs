//! # rein-core: the constraint core
//!
//! rein keeps a language model's output valid by masking its logits at every
//! decoding step. This crate holds everything that work needs and nothing
//! that loads models or tokenizer files:
//!
//! * [`vocab`]: a [`Vocabulary`] — the exact bytes of every token id, which
//!   ids are special (never matched by text) and which ids end a sequence.
//! * [`engine`]: an [`Engine`] — one vocabulary with the caches shared by
//!   the constraints compiled over it and the configs they are compiled
//!   with; every [`Constraint`] is made through one.
//! * [`trie`]: a [`TokenTrie`] over those bytes, stored in preorder so the
//!   mask computation walks it with a flat loop instead of recursion.
//! * [`mask`]: a [`TokenMask`], the allowed-token bitset in `u32` words.
//! * [`automaton`]: byte-level deterministic automata compiled from regexes
//!   and label sets ([`ByteDfa`]), with explicit compile limits.
//! * [`matcher`]: the one API every constraint is used through: compile a
//!   [`Constraint`] once (with an [`Engine`]), then drive one [`Matcher`]
//!   per sequence (fill the mask, commit a token, roll back, forced
//!   continuation, may it end?).
//! * [`budget`]: a [`BudgetedMatcher`] holds a matcher to a token budget, so
//!   the output is complete within it instead of cut by it.
//! * [`grammar`]: GBNF and compiler-built grammars ([`grammar::Grammar`],
//!   the rule IR JSON Schemas compile to, and [`grammar::GrammarConfig`]);
//!   how they are flattened, parsed and masked stays inside the crate.
//! * [`testing`]: the reference recognizer that tests and fuzz targets
//!   check masks and outputs against.
//!
//! Adapters that turn a Hugging Face `tokenizer.json` or a GGUF file into a
//! [`Vocabulary`] live in the `rein-tokenizer` crate; this crate stays free of
//! heavy dependencies so it builds, tests and fuzzes quickly.
//!
//! ```
//! use std::sync::Arc;
//! use rein_core::{Engine, TokenKind, TokenMask, Vocabulary};
//!
//! let mut builder = Vocabulary::builder();
//! for text in ["0", "1", "12", "-", "a"] {
//!     builder.push(text.as_bytes().to_vec(), TokenKind::Text);
//! }
//! let eos = builder.push(b"</s>".to_vec(), TokenKind::Special);
//! builder.eos_token(eos);
//! let engine = Engine::new(Arc::new(builder.build().unwrap()));
//!
//! let constraint = engine.regex(r"\d+-\d").unwrap();
//! let mut matcher = constraint.matcher();
//! let mut mask = TokenMask::new(constraint.vocabulary().len());
//! matcher.fill_mask(&mut mask).unwrap();
//! assert!(mask.contains(2)); // "12" may start the output
//! assert!(!mask.contains(3)); // "-" may not
//! matcher.commit(2).unwrap();
//! matcher.commit(3).unwrap();
//! matcher.commit(0).unwrap();
//! assert!(matcher.can_end());
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod automaton;
pub mod budget;
pub mod engine;
pub mod grammar;
pub mod mask;
mod mask_cache;
pub mod matcher;
pub mod testing;
pub mod trie;
pub mod vocab;

pub use automaton::{ByteDfa, CompileError, RegexConfig};
pub use budget::{BudgetError, BudgetedMatcher};
pub use engine::{Engine, EngineBuilder};
pub use mask::TokenMask;
pub use matcher::{Constraint, ForcedContinuation, MatchError, Matcher};
pub use trie::TokenTrie;
pub use vocab::{TokenId, TokenKind, Vocabulary, VocabularyBuilder, VocabularyError};
