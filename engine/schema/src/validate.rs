//! Output validation with the `jsonschema` crate, an implementation
//! independent of rein's compiler: the check users run on what rein
//! generated, and what the tests hold rein's outputs to.

use serde_json::Value;

use crate::draft::Draft;
use crate::error::{SchemaError, SchemaErrorKind};

/// A compiled validator for one schema (formats asserted).
pub struct Validator {
    inner: jsonschema::Validator,
}

impl Validator {
    /// Builds the validator for `schema` under the draft its `$schema`
    /// names, 2020-12 when it names none.
    pub fn new(schema: &Value) -> Result<Validator, SchemaError> {
        Validator::with_default_draft(schema, Draft::Draft202012)
    }

    /// Builds the validator for `schema` under the draft its `$schema`
    /// names, `default` when it names none (as [`crate::Options::default_draft`]).
    pub fn with_default_draft(schema: &Value, default: Draft) -> Result<Validator, SchemaError> {
        let draft = Draft::of(schema, default);
        let inner = jsonschema::options()
            .with_draft(draft.validator_draft())
            .should_validate_formats(true)
            .build(schema)
            .map_err(|error| {
                // A schema the meta-schema rejects: the error's instance is
                // the schema, so its path points at the bad keyword.
                let pointer = format!("#{}", error.instance_path());
                SchemaError::new(
                    SchemaErrorKind::Invalid,
                    &pointer,
                    "",
                    format!("jsonschema: {error}"),
                )
            })?;
        Ok(Validator { inner })
    }

    /// `Ok` when `instance` is valid, else the first problem found.
    pub fn validate(&self, instance: &Value) -> Result<(), String> {
        match self.inner.iter_errors(instance).next() {
            None => Ok(()),
            Some(error) => Err(format!("{}: {error}", error.instance_path())),
        }
    }

    /// Parses `text` as JSON and validates it.
    pub fn validate_text(&self, text: &str) -> Result<(), String> {
        let value: Value =
            serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
        self.validate(&value)
    }
}
