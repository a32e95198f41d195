//! JSON Schemas for `extract` and `generate --schema`: reading the file,
//! compiling it into a constraint, validating outputs.
//!
//! The compiler and the validator are `rein-schema`'s; this module names the
//! file in errors and keeps the schema text for prompts. Outputs are
//! compiled compact (no whitespace between JSON tokens): fewer tokens per
//! document, and a small model cannot wander into runs of blank lines.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use rein_core::{Constraint, Vocabulary};
use rein_schema::{Options, Validator, Whitespace};
use serde_json::Value;

/// A schema file, parsed as JSON.
pub struct SchemaSource {
    path: PathBuf,
    value: Value,
}

/// A compiled schema: its constraint and its validator.
pub struct Schema {
    constraint: Constraint,
    validator: Validator,
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
        self.validator
            .validate(value)
            .map_err(|error| format!("the output does not validate: {error}"))
    }
}

impl SchemaSource {
    /// Compiles the schema against `vocabulary`; errors name the file and
    /// the schema keyword's JSON pointer.
    pub fn compile(self, vocabulary: Arc<Vocabulary>) -> Result<Schema> {
        let path = self.path.display();
        let options = Options {
            whitespace: Whitespace::Compact,
            ..Options::default()
        };
        let compiled = rein_schema::compile(&self.value, &options)
            .map_err(|error| anyhow::anyhow!("{path}: {error}"))?;
        let constraint = compiled
            .constraint(vocabulary)
            .map_err(|error| anyhow::anyhow!("{path}: {error}"))?;
        let validator =
            Validator::new(&self.value).map_err(|error| anyhow::anyhow!("{path}: {error}"))?;
        Ok(Schema {
            constraint,
            validator,
            value: self.value,
        })
    }
}
