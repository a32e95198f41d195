//! The GBNF syntax tree, as written (names unresolved), with spans.

use super::super::error::Span;

/// A parsed grammar: its rules in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grammar {
    /// The rule definitions.
    pub rules: Vec<RuleDefinition>,
}

/// `name ::= body`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDefinition {
    /// The rule's name.
    pub name: String,
    /// Where the name is.
    pub span: Span,
    /// The right-hand side.
    pub body: Expression,
}

/// A right-hand side expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expression {
    /// Alternatives (`a | b`); an empty sequence is an empty alternative.
    Alternation(Vec<Expression>),
    /// Items in order; empty means the empty string.
    Sequence(Vec<Expression>),
    /// `expr*`, `expr+`, `expr?`, `expr{m,n}`.
    Repeat {
        /// What is repeated.
        inner: Box<Expression>,
        /// At least this many times.
        min: u32,
        /// At most this many times, or unbounded.
        max: Option<u32>,
    },
    /// A string literal.
    Literal(String),
    /// A character class (`negated` complements it).
    Class {
        /// `[^...]`.
        negated: bool,
        /// Inclusive ranges.
        ranges: Vec<(char, char)>,
    },
    /// `.`: any character.
    AnyChar,
    /// `/.../`.
    Regex {
        /// The pattern between the slashes.
        pattern: String,
        /// Where it is.
        span: Span,
    },
    /// A reference to a rule.
    Reference {
        /// The rule's name.
        name: String,
        /// Where the reference is.
        span: Span,
    },
    /// A special token by name (`<|eot_id|>`).
    SpecialName(String),
    /// A special token by id (`<[128009]>`).
    SpecialId(u32),
    /// Any one token except the special token of this name
    /// (`!<|eot_id|>`).
    NotSpecialName(String),
    /// Any one token except the token with this id (`!<[128009]>`).
    NotSpecialId(u32),
}
