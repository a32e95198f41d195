//! JSON Schemas for `extract` and `generate --schema`: reading the file,
//! compiling it into a constraint, validating outputs.
//!
//! The schema compiler and validator are `rein-schema`'s; this module only
//! names files in errors and keeps the pretty-printed schema for prompts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rein_core::{Constraint, Vocabulary};
use serde_json::Value;

/// A schema file, parsed as JSON.
pub struct SchemaSource {
    path: PathBuf,
    value: Value,
}

/// A compiled schema: its constraint and its validator.
pub struct Schema {
    constraint: Constraint,
    value: Value,
}

impl Schema {
    /// Reads `path` as JSON; errors name the file, line and column.
    pub fn read(path: &Path) -> Result<SchemaSource> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --schema {}", path.display()))?;
        let value: Value = serde_json::from_str(&text).map_err(|error| {
            anyhow::anyhow!(
                "{}:{}:{}: the schema is not valid JSON: {error}",
                path.display(),
                error.line(),
                error.column()
            )
        })?;
        Ok(SchemaSource {
            path: path.to_path_buf(),
            value,
        })
    }

    /// The constraint outputs follow.
    pub fn constraint(&self) -> &Constraint {
        &self.constraint
    }

    /// The schema as shown to the model.
    pub fn prompt_text(&self) -> String {
        serde_json::to_string(&self.value).unwrap_or_default()
    }

    /// Checks `value` against the schema.
    pub fn validate(&self, value: &Value) -> Result<(), String> {
        let _ = value;
        Err("schema validation is not available".to_string())
    }
}

impl SchemaSource {
    /// Compiles the schema against `vocabulary`.
    pub fn compile(self, vocabulary: Arc<Vocabulary>) -> Result<Schema> {
        let _ = (vocabulary, &self.value);
        bail!(
            "{}: JSON Schema constraints need rein-schema, which is not in this build",
            self.path.display()
        )
    }
}
