//! Schema errors: what is wrong, the keyword, and where (a JSON pointer).
//!
//! One error type for the whole compiler so callers can print it as
//! `#/properties/a/pattern: …` and match on its kind; the grammar checks
//! that run after compilation come back as [`SchemaErrorKind::Grammar`] (or
//! [`SchemaErrorKind::Limit`]) at the pointer of the schema part whose rule
//! failed.

use std::fmt;

/// What kind of problem a [`SchemaError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaErrorKind {
    /// The schema is malformed (a keyword has the wrong JSON type).
    Invalid,
    /// A keyword rein cannot enforce exactly; the lenient option ignores it.
    Unsupported,
    /// A `$ref` that does not resolve in the document.
    BadReference,
    /// A size or depth limit was exceeded.
    Limit,
    /// No JSON value satisfies the schema (or a part every value needs).
    Unsatisfiable,
    /// The grammar built from the schema failed its checks.
    Grammar,
}

/// A schema error: kind, JSON pointer, keyword and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    kind: SchemaErrorKind,
    pointer: String,
    keyword: String,
    message: String,
}

impl SchemaError {
    /// An error of `kind` at `pointer` (in `#/a/b` form) about `keyword`.
    pub(crate) fn new(
        kind: SchemaErrorKind,
        pointer: &str,
        keyword: &str,
        message: impl Into<String>,
    ) -> SchemaError {
        SchemaError {
            kind,
            pointer: pointer.to_string(),
            keyword: keyword.to_string(),
            message: message.into(),
        }
    }

    /// The kind of problem.
    pub fn kind(&self) -> SchemaErrorKind {
        self.kind
    }

    /// The JSON pointer of the schema object at fault, `#` for the root.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The keyword at fault (empty when the whole schema is).
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.keyword.is_empty() {
            write!(f, "{}: {}", self.pointer, self.message)
        } else {
            write!(f, "{}/{}: {}", self.pointer, self.keyword, self.message)
        }
    }
}

impl std::error::Error for SchemaError {}

/// A keyword the lenient option skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignored {
    /// The schema object's JSON pointer.
    pub pointer: String,
    /// The keyword.
    pub keyword: String,
    /// Why it could not be enforced.
    pub reason: String,
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}: {}", self.pointer, self.keyword, self.reason)
    }
}
