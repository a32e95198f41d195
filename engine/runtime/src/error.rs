//! Errors of the runtime: loading a model and running a request.
//!
//! Each variant names what went wrong and where (a path, a model id, a
//! request); messages are one line so the CLI can print them as they are.

use std::fmt;
use std::path::PathBuf;

/// Why loading a model or running a generation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The model path or id does not name anything loadable.
    ModelNotFound {
        /// What the user asked for.
        model: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// rein could not read the tokenizer of the model.
    Tokenizer(rein_tokenizer::LoadError),
    /// mistral.rs failed to load the model.
    Load {
        /// What the user asked for.
        model: String,
        /// mistral.rs's message.
        message: String,
    },
    /// rein's vocabulary differs from the tokenizer the model runs with.
    VocabularyMismatch {
        /// Where rein's vocabulary came from.
        vocabulary: PathBuf,
        /// The model.
        model: String,
        /// The first difference found.
        difference: String,
    },
    /// The prompt could not be turned into tokens.
    Prompt(String),
    /// mistral.rs reported an error for a request.
    Inference(String),
    /// The constraint could not be followed (an internal matcher error).
    Constraint(String),
    /// The token budget cannot hold the constraint's shortest output.
    Budget(rein_core::BudgetError),
    /// The request was cancelled through its [`Watch`](crate::Watch).
    Cancelled,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::ModelNotFound { model, reason } => {
                write!(f, "model {model}: {reason}")
            }
            RuntimeError::Tokenizer(error) => write!(f, "{error}"),
            RuntimeError::Load { model, message } => {
                write!(f, "model {model} failed to load: {}", one_line(message))
            }
            RuntimeError::VocabularyMismatch {
                vocabulary,
                model,
                difference,
            } => write!(
                f,
                "the vocabulary from {} does not match the tokenizer of model {model}: {difference}",
                vocabulary.display()
            ),
            RuntimeError::Prompt(message) => write!(f, "prompt: {}", one_line(message)),
            RuntimeError::Inference(message) => {
                write!(f, "generation failed: {}", one_line(message))
            }
            RuntimeError::Constraint(message) => write!(f, "constraint: {}", one_line(message)),
            RuntimeError::Budget(error) => write!(f, "max_tokens: {error}"),
            RuntimeError::Cancelled => write!(f, "the request was cancelled"),
        }
    }
}

impl std::error::Error for RuntimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RuntimeError::Tokenizer(error) => Some(error),
            RuntimeError::Budget(error) => Some(error),
            _ => None,
        }
    }
}

/// Joins a multi-line message (mistral.rs errors often carry backtraces or
/// chains) into one line.
pub(crate) fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
