//! JSON Schemas for `extract` and `generate --schema`: reading the file,
//! compiling it into a constraint, validating outputs.
//!
//! The compiler and the validator are `rein-schema`'s; this module names the
//! file in errors and keeps the schema text for prompts. Outputs have a
//! fixed layout by default (`--whitespace`, see [`Layout`]): no free
//! whitespace a small model could wander into, and fewer tokens.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use rein_core::{Constraint, Engine};
use rein_schema::{Options, Validator, Whitespace};
use serde_json::Value;

/// The layout of generated JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    /// No whitespace: `{"a":1,"b":[1,2]}`.
    Compact,
    /// A space after each comma and colon: `{"a": 1, "b": [1, 2]}`.
    #[default]
    Spaced,
    /// Any whitespace JSON allows, at most 20 in a row (what checking
    /// arbitrary JSON text needs).
    Flexible,
}

impl Layout {
    /// `value` written in this layout (flexible as spaced).
    pub fn write(self, value: &Value) -> String {
        match self {
            Layout::Compact => value.to_string(),
            Layout::Spaced | Layout::Flexible => rein_schema::python_dumps(value),
        }
    }

    fn whitespace(self) -> Whitespace {
        match self {
            Layout::Compact => Whitespace::Compact,
            Layout::Spaced => Whitespace::Spaced,
            Layout::Flexible => Whitespace::Flexible { max: 20 },
        }
    }
}

/// `--whitespace`: the layout of the JSON a subcommand writes.
#[derive(Args, Clone, Copy, Debug)]
pub struct LayoutArgs {
    /// The layout of the JSON written (with a schema).
    #[arg(long, value_enum, default_value_t = Layout::default())]
    pub whitespace: Layout,
}

/// A schema file, parsed as JSON.
#[derive(Clone)]
pub struct SchemaSource {
    path: PathBuf,
    value: Value,
}

/// A compiled schema: its constraint and its validator.
pub struct Schema {
    constraint: Constraint,
    validator: Validator,
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

    /// Checks `value` against the schema.
    pub fn validate(&self, value: &Value) -> Result<(), String> {
        self.validator
            .validate(value)
            .map_err(|error| format!("the output does not validate: {error}"))
    }
}

impl SchemaSource {
    /// Compiles the schema with `engine` and `layout`; errors name
    /// the file and the schema keyword's JSON pointer. With `extractive`,
    /// free strings must be copied from that document
    /// (see [`rein_schema::extractive`]).
    pub fn compile(
        &self,
        engine: &Engine,
        layout: Layout,
        extractive: Option<&str>,
    ) -> Result<Schema> {
        let path = self.path.display();
        let options = Options {
            whitespace: layout.whitespace(),
            extractive: extractive.map(Arc::from),
            ..Options::default()
        };
        let compiled = rein_schema::compile(&self.value, &options)
            .map_err(|error| anyhow::anyhow!("{path}: {error}"))?;
        let constraint = compiled
            .constraint(engine)
            .map_err(|error| anyhow::anyhow!("{path}: {error}"))?;
        let validator =
            Validator::new(&self.value).map_err(|error| anyhow::anyhow!("{path}: {error}"))?;
        Ok(Schema {
            constraint,
            validator,
        })
    }

    /// The schema's JSON.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The file the schema was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
