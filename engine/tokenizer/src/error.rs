//! Errors loading tokenizers and encoding text.

use std::fmt;
use std::path::{Path, PathBuf};

/// A tokenizer file could not be loaded; the message names the file and
/// what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    path: PathBuf,
    message: String,
}

impl LoadError {
    pub(crate) fn new(path: &Path, message: impl Into<String>) -> LoadError {
        LoadError {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// The file (or id) that failed to load.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot load tokenizer {}: {}",
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for LoadError {}

/// A text could not be encoded exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
    message: String,
}

impl EncodeError {
    pub(crate) fn new(message: impl Into<String>) -> EncodeError {
        EncodeError {
            message: message.into(),
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EncodeError {}
