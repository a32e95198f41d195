//! Context-free grammars: the GBNF front end.
//!
//! Pipeline: source text → [`gbnf::lexer`] → [`gbnf`] (lalrpop) → syntax tree
//! ([`gbnf::ast`]) with spans. Errors anywhere carry `line:column`
//! ([`GrammarError`]). Name resolution, checks and the grammar IR that JSON
//! Schemas will also compile to come next, followed by the Earley matcher.

pub mod error;
pub mod gbnf;

pub use error::{GrammarError, GrammarErrorKind, Location, Span};
