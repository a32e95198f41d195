//! Grammar errors, located where the offending rule came from: `line:column`
//! in GBNF source, or the JSON pointer of the schema part a rule was
//! compiled from.

use std::fmt;

/// A byte range in the grammar source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The first byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The bytes `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// A 1-based line and column (in characters) in the grammar source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, counted in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `source`.
    pub fn of(source: &str, offset: usize) -> Location {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            line,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where a rule comes from, so errors about it point at its cause.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A place in grammar source text.
    Source(Location),
    /// The part of a JSON Schema the rule was compiled from, as a JSON
    /// pointer (`#/properties/a`).
    Pointer(String),
    /// Built by a program from no text (the rule's name says which one).
    Built,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Source(location) => location.fmt(f),
            Origin::Pointer(pointer) => f.write_str(pointer),
            Origin::Built => f.write_str("built rule"),
        }
    }
}

/// What kind of mistake a [`GrammarError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrammarErrorKind {
    /// The text does not lex or parse.
    Syntax,
    /// A reference to a rule that is not defined.
    UndefinedRule,
    /// A rule defined more than once.
    DuplicateRule,
    /// No `root` rule.
    MissingRoot,
    /// A rule that can never produce a finite string.
    Unproductive,
    /// A `/regex/` terminal that does not compile.
    BadRegex,
    /// A size limit was exceeded.
    Limit,
    /// A special token (or token negation) the vocabulary has no token for.
    UnknownToken,
}

/// A grammar error: what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrammarError {
    kind: GrammarErrorKind,
    origin: Origin,
    message: String,
}

impl GrammarError {
    /// An error of `kind` at `span` of `source`.
    pub(crate) fn new(
        kind: GrammarErrorKind,
        source: &str,
        span: Span,
        message: impl Into<String>,
    ) -> GrammarError {
        GrammarError {
            kind,
            origin: Origin::Source(Location::of(source, span.start)),
            message: message.into(),
        }
    }

    /// An error of `kind` about what came from `origin`.
    pub(crate) fn at(
        kind: GrammarErrorKind,
        origin: &Origin,
        message: impl Into<String>,
    ) -> GrammarError {
        GrammarError {
            kind,
            origin: origin.clone(),
            message: message.into(),
        }
    }

    pub(crate) fn syntax(source: &str, span: Span, message: impl Into<String>) -> GrammarError {
        GrammarError::new(GrammarErrorKind::Syntax, source, span, message)
    }

    /// The kind of mistake.
    pub fn kind(&self) -> GrammarErrorKind {
        self.kind
    }

    /// Where its cause is.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Where in the source text it is, for grammars that have one.
    pub fn location(&self) -> Option<Location> {
        match self.origin {
            Origin::Source(location) => Some(location),
            _ => None,
        }
    }

    /// What is wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for GrammarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.origin {
            Origin::Built => f.write_str(&self.message),
            _ => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for GrammarError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters() {
        let source = "ab\nżółw x";
        assert_eq!(Location::of(source, 0).to_string(), "1:1");
        assert_eq!(Location::of(source, 3).to_string(), "2:1");
        let x = source.find('x').unwrap();
        assert_eq!(Location::of(source, x).to_string(), "2:6");
    }
}
