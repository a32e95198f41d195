//! Context-free grammars: the GBNF front end.
//!
//! Pipeline: source text → [`gbnf::lexer`] → [`gbnf`] (lalrpop) → syntax tree
//! ([`gbnf::ast`]) with spans → [`ir`]: resolved rules over terminals, checked
//! (duplicates, undefined rules, missing root, bad regexes, unproductive
//! rules). Errors anywhere carry `line:column` ([`GrammarError`]). The IR is
//! also what JSON Schemas will compile to. [`cfg`] flattens it into
//! productions over byte-DFA terminals and [`earley`] recognizes them byte by
//! byte — the exact reference engine behind grammar constraints.

pub mod automaton;
pub mod cfg;
mod config;
pub mod earley;
pub mod error;
pub mod gbnf;
pub mod ir;
pub mod mask_walk;
pub mod member_list;

pub use config::GrammarConfig;
pub use error::{GrammarError, GrammarErrorKind, Location, Span};
pub use ir::{DfaTerminal, Expr, Grammar, Rule, RuleId, SpecialToken};
pub use member_list::MemberList;
