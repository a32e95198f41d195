//! The flags that say what to check against what: the tokenizer, the
//! constraint, the text. Each is defined once here, with its help text, and
//! flattened into every subcommand that takes it; a subcommand that needs
//! one of them makes it required with `mut_arg`/`mut_group` rather than
//! defining its own.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{ArgGroup, Args};
use rein_core::{Constraint, Engine};

use crate::schema::{Schema, SchemaSource};

/// `--tokenizer`: where rein's vocabulary comes from.
///
/// Required and given once by default; `rein bench mask` lets it repeat
/// (`ArgAction::Append`), and the model's flags make it optional.
#[derive(Args, Clone, Debug)]
pub struct TokenizerArgs {
    /// A tokenizer.json, a folder holding one, a .gguf model, or a Hugging
    /// Face id in the local cache. With a model, rein's vocabulary is read
    /// from it instead of the model's own files, and it must match the
    /// model's.
    #[arg(long, value_name = "PATH", required = true, action = clap::ArgAction::Set)]
    tokenizer: Vec<PathBuf>,
}

impl TokenizerArgs {
    /// The tokenizer given, if any.
    pub fn path(&self) -> Option<&Path> {
        self.tokenizer.first().map(PathBuf::as_path)
    }

    /// The tokenizer given, where the subcommand requires one.
    pub fn required(&self) -> &Path {
        self.path().expect("clap requires --tokenizer")
    }

    /// Every tokenizer given (where the flag may repeat).
    pub fn all(&self) -> &[PathBuf] {
        &self.tokenizer
    }
}

/// At most one constraint source (`rein check` requires one: its group
/// `constraint` is made required).
#[derive(Args, Clone, Debug)]
#[group(skip)]
#[command(group(
    ArgGroup::new("constraint")
        .args(["regex", "choice", "choice_file", "grammar", "schema"])
        .multiple(false)
))]
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
    #[command(flatten)]
    pub schema: SchemaArgs,
}

/// `--schema`, alone (`rein extract`, where it is required) or as one of
/// the constraint sources.
#[derive(Args, Clone, Debug)]
pub struct SchemaArgs {
    /// A JSON Schema (drafts 4 to 2020-12): the output is a JSON document
    /// that validates against it.
    #[arg(long, value_name = "FILE.json")]
    pub schema: Option<PathBuf>,
}

impl SchemaArgs {
    /// The schema file, where the subcommand requires one.
    pub fn required(&self) -> &Path {
        self.schema.as_deref().expect("clap requires --schema")
    }
}

/// A constraint as the user gave it, its files read.
pub enum ConstraintSource {
    /// `--regex`.
    Regex(String),
    /// `--choice` or `--choice-file`: at least one non-empty label.
    Choice(Vec<String>),
    /// `--grammar`: the file and its text.
    Grammar { path: PathBuf, source: String },
    /// `--schema`, parsed.
    Schema(SchemaSource),
}

impl ConstraintArgs {
    /// Reads the constraint given, if any (files are read here, before any
    /// model loads, so a missing file fails fast).
    pub fn read(&self) -> Result<Option<ConstraintSource>> {
        if let Some(pattern) = &self.regex {
            return Ok(Some(ConstraintSource::Regex(pattern.clone())));
        }
        if let Some(path) = &self.grammar {
            let source = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --grammar {}", path.display()))?;
            return Ok(Some(ConstraintSource::Grammar {
                path: path.clone(),
                source,
            }));
        }
        if let Some(path) = &self.schema.schema {
            return Ok(Some(ConstraintSource::Schema(Schema::read(path)?)));
        }
        if self.choice.is_none() && self.choice_file.is_none() {
            return Ok(None);
        }
        Ok(Some(ConstraintSource::Choice(self.labels()?)))
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
        if let Some(path) = &self.schema.schema {
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

impl ConstraintSource {
    /// Compiles the constraint with `engine`; a schema with
    /// `schema_options`.
    pub fn compile(
        &self,
        engine: &Engine,
        schema_options: &rein_schema::Options,
    ) -> Result<Constraint> {
        match self {
            ConstraintSource::Regex(pattern) => engine
                .regex(pattern)
                .with_context(|| format!("bad --regex {pattern:?}")),
            // `FILE:line:column: message`, as compilers write it.
            ConstraintSource::Grammar { path, source } => engine
                .grammar(source)
                .map_err(|error| anyhow::anyhow!("{}:{error}", path.display())),
            ConstraintSource::Schema(schema) => {
                rein_schema::compile(schema.value(), schema_options)
                    .and_then(|compiled| compiled.constraint(engine))
                    .map_err(|error| anyhow::anyhow!("{}: {error}", schema.path().display()))
            }
            ConstraintSource::Choice(labels) => Ok(engine.choice(labels)?),
        }
    }
}

/// The text a constraint walks: inline or from a file (`rein check`
/// requires one of the two).
#[derive(Args, Clone, Debug)]
pub struct TextArgs {
    /// The text, given inline (it may start with `-`: `--text "- milk"`).
    #[arg(
        long,
        value_name = "STRING",
        conflicts_with = "text_file",
        allow_hyphen_values = true
    )]
    text: Option<String>,
    /// The text, read from a file (UTF-8).
    #[arg(long, value_name = "FILE")]
    text_file: Option<PathBuf>,
}

impl TextArgs {
    /// The text given, read from its file if need be.
    pub fn read(&self) -> Result<Option<String>> {
        match (&self.text, &self.text_file) {
            (Some(text), _) => Ok(Some(text.clone())),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --text-file {}", path.display()))
                .map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// `--any-order`: how a schema orders objects' members.
#[derive(Args, Clone, Debug)]
pub struct AnyOrderArgs {
    /// Compile schemas with objects' named members in any order (each
    /// once), with `required` and the member counts still exact.
    #[arg(long)]
    any_order: bool,
}

impl AnyOrderArgs {
    /// Whether the flag was given.
    pub fn given(&self) -> bool {
        self.any_order
    }

    /// Schema compile options with the order asked for.
    pub fn schema_options(&self) -> rein_schema::Options {
        rein_schema::Options {
            property_order: rein_schema::PropertyOrder::any_when(self.any_order),
            ..rein_schema::Options::default()
        }
    }
}
