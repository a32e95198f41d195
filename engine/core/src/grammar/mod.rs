//! Context-free grammars, from GBNF source or compiler-built rules to masks.
//!
//! Pipeline: source text → [`gbnf::lexer`] → [`gbnf`] (lalrpop) → syntax tree
//! ([`gbnf::ast`]) with spans → lowered into the `ir`: resolved rules over
//! terminals, checked (duplicates, undefined rules, missing root, bad
//! regexes, unproductive rules). Errors anywhere carry `line:column`
//! ([`GrammarError`]). JSON Schemas compile to the same IR
//! ([`Grammar::from_rules`]). `cfg` flattens it into productions over
//! byte-DFA terminals, each regular piece one lexeme; `earley` recognizes
//! them byte by byte — the exact reference engine — and `mask_walk`
//! computes masks by walking the lexemes over the token trie, calling the
//! parser only at lexeme boundaries. `automaton` ties these into what a
//! [`Constraint`](crate::Constraint) drives. Every limit is in
//! [`GrammarConfig`].

pub(crate) mod automaton;
pub(crate) mod cfg;
mod config;
pub(crate) mod earley;
pub mod error;
pub mod gbnf;
mod ir;
pub(crate) mod mask_walk;

pub use config::GrammarConfig;
pub use error::{GrammarError, GrammarErrorKind, Location, Origin, Span};
pub use ir::{DfaTerminal, Expr, Grammar, MemberList, Rule, RuleId, SpecialToken};
