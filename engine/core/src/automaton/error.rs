//! Errors compiling a constraint into an automaton.

use std::fmt;

/// Why a regex or label set could not be compiled.
///
/// The message is one line that names what is wrong and, for regex syntax
/// errors, the 1-based column in the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    kind: CompileErrorKind,
}

/// What went wrong, for callers that want to branch on it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompileErrorKind {
    /// The regex does not parse; `column` is 1-based, in characters.
    Syntax {
        /// The 1-based column where the error starts.
        column: usize,
        /// What the parser objected to.
        message: String,
    },
    /// The constraint is valid but matches no output at all.
    EmptyLanguage,
    /// A compile limit was exceeded.
    Limit {
        /// Which limit, named as its [`RegexConfig`](super::RegexConfig) setter.
        limit: &'static str,
        /// What happened, with the limit's value.
        message: String,
    },
    /// The label list is empty.
    NoLabels,
    /// The pattern uses a feature the automaton cannot enforce.
    Unsupported {
        /// What is unsupported and what to write instead.
        message: String,
    },
}

impl CompileError {
    pub(crate) fn syntax(column: usize, message: impl Into<String>) -> CompileError {
        CompileError {
            kind: CompileErrorKind::Syntax {
                column,
                message: message.into(),
            },
        }
    }

    pub(crate) fn empty_language() -> CompileError {
        CompileError {
            kind: CompileErrorKind::EmptyLanguage,
        }
    }

    pub(crate) fn limit(limit: &'static str, message: impl Into<String>) -> CompileError {
        CompileError {
            kind: CompileErrorKind::Limit {
                limit,
                message: message.into(),
            },
        }
    }

    pub(crate) fn no_labels() -> CompileError {
        CompileError {
            kind: CompileErrorKind::NoLabels,
        }
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> CompileError {
        CompileError {
            kind: CompileErrorKind::Unsupported {
                message: message.into(),
            },
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &CompileErrorKind {
        &self.kind
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CompileErrorKind::Syntax { column, message } => {
                write!(f, "invalid regex at column {column}: {message}")
            }
            CompileErrorKind::EmptyLanguage => {
                f.write_str("the constraint matches no output at all")
            }
            CompileErrorKind::Limit { limit, message } => {
                write!(f, "{message} (raise `{limit}` to allow more)")
            }
            CompileErrorKind::NoLabels => f.write_str("the label list is empty"),
            CompileErrorKind::Unsupported { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for CompileError {}
