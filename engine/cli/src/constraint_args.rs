//! The flags that pick a constraint, shared by every subcommand.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use rein_core::{Constraint, Vocabulary};

/// Exactly one constraint source.
#[derive(Args, Clone, Debug)]
#[group(required = true, multiple = false)]
pub struct ConstraintArgs {
    /// A regex (Rust syntax) the whole output must match.
    #[arg(long, value_name = "REGEX")]
    pub regex: Option<String>,
    /// A label set: the output is exactly one of these comma-separated labels.
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    pub choice: Option<Vec<String>>,
    /// A label set read from a file, one label per line (labels may contain commas).
    #[arg(long, value_name = "FILE")]
    pub choice_file: Option<PathBuf>,
    /// A grammar in GBNF (llama.cpp's format, plus `/regex/` terminals and
    /// special tokens `<|name|>` / `<[id]>`); `root` is the start rule.
    #[arg(long, value_name = "FILE.gbnf")]
    pub grammar: Option<PathBuf>,
    /// A JSON Schema (drafts 4 to 2020-12): the output is a JSON document
    /// that validates against it.
    #[arg(long, value_name = "FILE.json")]
    pub schema: Option<PathBuf>,
}

impl ConstraintArgs {
    /// Compiles the chosen constraint against `vocabulary`; a schema with
    /// `schema_options`.
    pub fn compile(
        &self,
        vocabulary: &Arc<Vocabulary>,
        schema_options: &rein_schema::Options,
    ) -> Result<Constraint> {
        if let Some(pattern) = &self.regex {
            return Constraint::regex(vocabulary.clone(), pattern)
                .with_context(|| format!("bad --regex {pattern:?}"));
        }
        if let Some(path) = &self.grammar {
            let source = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --grammar {}", path.display()))?;
            // `FILE:line:column: message`, as compilers write it.
            return Constraint::grammar(vocabulary.clone(), &source)
                .map_err(|error| anyhow::anyhow!("{}:{error}", path.display()));
        }
        if let Some(path) = &self.schema {
            let schema = read_schema(path)?;
            return rein_schema::compile(&schema, schema_options)
                .and_then(|compiled| compiled.constraint(vocabulary.clone()))
                .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()));
        }
        let labels = self.labels()?;
        Ok(Constraint::choice(vocabulary.clone(), &labels)?)
    }

    /// The labels of `--choice` or `--choice-file`.
    fn labels(&self) -> Result<Vec<String>> {
        let labels: Vec<String> = match (&self.choice, &self.choice_file) {
            (Some(labels), _) => labels.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --choice-file {}", path.display()))?
                .lines()
                .map(str::to_string)
                .collect(),
            (None, None) => Vec::new(),
        };
        // `--choice ""` parses as one empty label: treat it as no labels.
        if labels.iter().all(String::is_empty) {
            bail!("the label list is empty: give --choice A,B,C or a non-empty --choice-file");
        }
        Ok(labels)
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        if let Some(path) = &self.schema {
            return format!("schema {}", path.display());
        }
        match (&self.regex, &self.choice, &self.choice_file, &self.grammar) {
            (Some(pattern), _, _, _) => format!("regex {pattern}"),
            (_, Some(labels), _, _) => format!("choice of {} labels", labels.len()),
            (_, _, Some(path), _) => format!("choice from {}", path.display()),
            (_, _, _, Some(path)) => format!("grammar {}", path.display()),
            _ => "nothing".to_string(),
        }
    }
}

/// Reads a JSON Schema file; errors name the file, line and column.
pub fn read_schema(path: &std::path::Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --schema {}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| {
        anyhow::anyhow!(
            "{}:{}:{}: not valid JSON: {error}",
            path.display(),
            error.line(),
            error.column()
        )
    })
}
