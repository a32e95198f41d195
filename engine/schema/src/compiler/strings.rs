//! Strings: a string schema as one automaton terminal.
//!
//! **Why.** A string's `pattern`s, `format` and lengths all constrain the
//! same bytes, and the mask engine is fastest on long lexemes, so they are
//! intersected into one terminal ([`lengths::string_dfa`]) rather than
//! checked by the grammar. Free strings copied from a document
//! ([`crate::extractive`]) and the exclusions negation writes
//! ([`Compiler::exclude`]) are automaton products too, and
//! [`Compiler::restrict`] is the same product for a number's spelling.
//!
//! **Trade-off.** Short counts stay a regex (memoized process-wide, able to
//! join a lexeme); longer ones are written out as a table, and plain
//! strings past [`BLOCKS_PAST`] characters are counted in blocks by the
//! grammar ([`lengths::long_string`]), trading a lexeme boundary for
//! tables that stay small at any bound. Combined automata are cached per
//! compile by their regexes and bounds, so a repeated string schema shares
//! one terminal. A combination past the product's limits is refused (or,
//! when lenient, the first regex alone is kept).

use rein_core::automaton::{CompileError, CompileErrorKind, ProductConfig, RegexConfig};
use rein_core::grammar::{DfaTerminal, Expr};
use rein_core::ByteDfa;
use serde_json::{Map, Value};

use super::{error, product_terminal, terminal_dfa, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::json_text::CHAR_UNIT;
use crate::{formats, keywords, lengths, pattern};

/// Strings counted up to this many characters stay a regex terminal, which
/// is memoized process-wide and may join a lexeme; longer counts are
/// written out by [`lengths::counted`], far faster than determinizing
/// `(?:char){0,n}` (half a second at 8,192).
const COUNTED_FROM: u64 = 32;

/// Plain strings counted past this many characters are counted in blocks
/// by the grammar ([`lengths::long_string`]): their tables stay a few
/// megabytes at any bound. Up to it, one table (16 MB at the most) keeps
/// the whole string one lexeme, which masks a little faster.
const BLOCKS_PAST: u64 = 8 * lengths::BLOCK;

impl<'a> Compiler<'a> {
    /// Strings under `object`'s keywords whose contents match none of
    /// `excluded` (regexes over the canonical encoding, as `contents`).
    pub(super) fn string(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
        excluded: &[String],
    ) -> Result<Expr> {
        let min = self.count(object, "minLength", pointer)?.unwrap_or(0);
        let max = self.count(object, "maxLength", pointer)?;
        if max.is_some_and(|max| max < min) {
            return Ok(Expr::Nothing);
        }
        if min > self.limits.string_length || max.is_some_and(|m| m > self.limits.string_length) {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                if min > self.limits.string_length {
                    "minLength"
                } else {
                    "maxLength"
                },
                format!(
                    "string lengths above {} are not supported",
                    self.limits.string_length
                ),
            ));
        }
        let has_lengths = min > 0 || max.is_some();
        // The regexes the contents must match, each with its keyword.
        let mut contents: Vec<(String, &str)> = Vec::new();
        if let Some(format) = object.get("format").and_then(Value::as_str) {
            match formats::regex(format) {
                formats::FormatRegex::Enforced(regex) => contents.push((regex, "format")),
                formats::FormatRegex::Annotation => {}
                formats::FormatRegex::Unsupported => self.unsupported(
                    pointer,
                    "format",
                    format!("format {format:?} is not enforced by rein"),
                )?,
            }
        }
        let mut patterns: Vec<&str> = Vec::new();
        if let Some(pattern_value) = object.get("pattern") {
            patterns.push(pattern_value.as_str().ok_or_else(|| {
                error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    "pattern",
                    "`pattern` must be a string",
                )
            })?);
        }
        // The `pattern`s of other `allOf` parts hold too.
        patterns.extend(
            object
                .get(keywords::ALSO_PATTERNS)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
        for text in patterns {
            match pattern::translate(text) {
                Ok(regex) => contents.push((regex, "pattern")),
                Err(message) => self.unsupported(pointer, "pattern", message)?,
            }
        }
        let lengths = match (min, max) {
            (0, None) => "*".to_string(),
            (min, None) => format!("{{{min},}}"),
            (min, Some(max)) => format!("{{{min},{max}}}"),
        };
        if contents.is_empty() && !object.contains_key("format") {
            if let Some(document) = self.options.extractive.clone() {
                return self.extractive_string(&document, excluded, min, max, pointer);
            }
        }
        if contents.is_empty() && excluded.is_empty() && max.unwrap_or(min) > BLOCKS_PAST {
            // One expression per bound: every field sharing it shares its
            // terminals too.
            let key = (Vec::new(), Vec::new(), min, max);
            if let Some(expr) = self.strings.get(&key) {
                return Ok(expr.clone());
            }
            let keyword = if max.is_some() {
                "maxLength"
            } else {
                "minLength"
            };
            let expr = lengths::long_string(min, max, &format!("{pointer} string"))
                .map_err(|problem| error(SchemaErrorKind::Limit, pointer, keyword, problem))?;
            self.strings.insert(key, expr.clone());
            return Ok(expr);
        }
        match contents.as_slice() {
            [] if excluded.is_empty() && max.unwrap_or(min) < COUNTED_FROM => {
                return Ok(Expr::Regex(format!("\"(?:{CHAR_UNIT}{lengths})\"")))
            }
            [(content, _)] if !has_lengths && excluded.is_empty() => {
                return Ok(Expr::Regex(format!("\"(?:{content})\"")))
            }
            _ => {}
        }
        let key = (
            contents
                .iter()
                .map(|(regex, _)| regex.clone())
                .collect::<Vec<_>>(),
            excluded.to_vec(),
            min,
            max,
        );
        if let Some(expr) = self.strings.get(&key) {
            return Ok(expr.clone());
        }
        let expr = match lengths::string_dfa(&key.0, &key.1, min, max) {
            Ok(dfa) => Expr::Automaton(DfaTerminal::new(format!("{pointer} string"), dfa)),
            Err(problem) if problem.kind() == &CompileErrorKind::EmptyLanguage => Expr::Nothing,
            Err(problem) => {
                let keyword = match (has_lengths, max, contents.last()) {
                    (true, Some(_), _) => "maxLength",
                    (true, None, _) => "minLength",
                    (false, _, Some((_, keyword))) => keyword,
                    (false, _, None) => "not",
                };
                self.unsupported(
                    pointer,
                    keyword,
                    format!(
                        "rein cannot combine {} on one string: {problem}",
                        combined_keywords(&contents, has_lengths)
                    ),
                )?;
                // Lenient: the first regex alone.
                match contents.first() {
                    Some((content, _)) => Expr::Regex(format!("\"(?:{content})\"")),
                    None => Expr::Regex(format!("\"(?:{CHAR_UNIT}{lengths})\"")),
                }
            }
        };
        self.strings.insert(key, expr.clone());
        Ok(expr)
    }

    /// A string copied from `document` (see [`crate::extractive`]), held to
    /// `excluded` and the lengths.
    fn extractive_string(
        &mut self,
        document: &str,
        excluded: &[String],
        min: u64,
        max: Option<u64>,
        pointer: &str,
    ) -> Result<Expr> {
        let limit = |problem: CompileError| {
            error(
                SchemaErrorKind::Limit,
                pointer,
                "",
                format!("the extractive string automaton: {problem}"),
            )
        };
        let copies = match &self.extractive {
            Some(dfa) => dfa.clone(),
            None => {
                let dfa = crate::extractive::quoted_substrings(document).map_err(limit)?;
                self.extractive = Some(dfa.clone());
                dfa
            }
        };
        if excluded.is_empty() && min == 0 && max.is_none() {
            return Ok(Expr::Automaton(DfaTerminal::new(
                format!("{pointer} extractive string"),
                copies,
            )));
        }
        let bounded = lengths::string_dfa(&[], excluded, min, max)
            .and_then(|bounded| ProductConfig::new().build(&[&copies, &bounded], &[]));
        match bounded {
            Ok(dfa) => Ok(Expr::Automaton(DfaTerminal::new(
                format!("{pointer} extractive string"),
                dfa,
            ))),
            Err(problem) if problem.kind() == &CompileErrorKind::EmptyLanguage => Ok(Expr::Nothing),
            Err(problem) => Err(limit(problem)),
        }
    }

    /// `expr` (a regular terminal) restricted to the strings `regex` matches.
    pub(super) fn intersect(&mut self, expr: Expr, regex: &str, pointer: &str) -> Result<Expr> {
        self.restrict(expr, regex, pointer, "not")
    }

    /// `expr` (one terminal) restricted to the spellings `regex` matches;
    /// problems are reported on `keyword`.
    pub(super) fn restrict(
        &mut self,
        expr: Expr,
        regex: &str,
        pointer: &str,
        keyword: &str,
    ) -> Result<Expr> {
        if expr == Expr::Nothing {
            return Ok(expr);
        }
        let Some(included) = terminal_dfa(&expr) else {
            return Err(error(
                SchemaErrorKind::Unsupported,
                pointer,
                keyword,
                "rein cannot restrict this value's spelling",
            ));
        };
        included
            .and_then(|included| {
                let restriction = RegexConfig::new().build(regex)?;
                product_terminal(
                    &[&included, &restriction],
                    &[],
                    format!("{pointer} restricted"),
                )
            })
            .map_err(|problem| {
                error(
                    SchemaErrorKind::Limit,
                    pointer,
                    keyword,
                    format!("cannot restrict the number's spelling: {problem}"),
                )
            })
    }

    /// `expr` (a regular terminal) without the strings `excluded` match.
    pub(super) fn exclude(
        &mut self,
        expr: Expr,
        excluded: &[String],
        pointer: &str,
    ) -> Result<Expr> {
        if excluded.is_empty() || expr == Expr::Nothing {
            return Ok(expr);
        }
        let regex = RegexConfig::new();
        let build = |pattern: &str| {
            regex.build(pattern).map_err(|problem| {
                error(
                    SchemaErrorKind::Limit,
                    pointer,
                    "not",
                    format!("cannot compile an excluded value: {problem}"),
                )
            })
        };
        let included = match terminal_dfa(&expr) {
            Some(built) => built.map_err(|problem| {
                error(
                    SchemaErrorKind::Limit,
                    pointer,
                    "not",
                    format!("cannot compile an excluded value: {problem}"),
                )
            })?,
            None => {
                self.unsupported(pointer, "not", "rein cannot exclude values here")?;
                return Ok(expr);
            }
        };
        let excluded = excluded
            .iter()
            .map(|pattern| build(pattern))
            .collect::<Result<Vec<_>>>()?;
        let excluded: Vec<&ByteDfa> = excluded.iter().collect();
        let label = format!("{pointer} without excluded values");
        match product_terminal(&[&included], &excluded, label) {
            Ok(terminal) => Ok(terminal),
            Err(problem) => {
                self.unsupported(pointer, "not", format!("cannot exclude values: {problem}"))?;
                Ok(expr)
            }
        }
    }
}

/// `pattern`, `format` and lengths, as far as a string combines them.
fn combined_keywords(contents: &[(String, &str)], has_lengths: bool) -> String {
    let mut names: Vec<String> = contents
        .iter()
        .map(|(_, keyword)| format!("`{keyword}`"))
        .collect();
    if has_lengths {
        names.push("string lengths".to_string());
    }
    names.join(" with ")
}
