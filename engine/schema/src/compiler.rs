//! The schema walk: one schema object at a time into grammar IR.
//!
//! Structure that needs nesting (objects, arrays, `$ref` recursion) becomes
//! rules; everything else — a whole string with its length, pattern or
//! format, a number with its range, a property key with its colon — is one
//! regex terminal, because the mask engine is fastest on long lexemes.
//! `$ref`s to the same place share one rule, which is also how recursive
//! schemas terminate; `allOf` parts are merged ([`crate::merge`]) and
//! `anyOf`/`oneOf` groups are distributed over the rest of their object.
//! Keywords rein cannot enforce are errors, or — with the lenient option —
//! entries in [`Compiler::ignored`].
//!
//! This file holds the walk itself ([`Compiler::schema`]: references,
//! combinators and conditions first, then one plain object split by
//! `type`) and what every part shares: the [`Compiler`] with its limits,
//! `seq`/`alt`, errors and terminal automata. Each JSON type and each
//! rewrite has its own module, one `impl Compiler` block each:
//!
//! - [`layout`]: punctuation under the whitespace option, and the `true`
//!   schema;
//! - [`strings`], [`numbers`], [`objects`] (with [`any_order`] and
//!   [`property_names`]), [`arrays`] (with [`contains`] and [`unique`]):
//!   a schema object's values of one type;
//! - [`enums`]: `enum`/`const` and the exclusions negation writes;
//! - [`refs`]: `$ref`s, one rule per target;
//! - [`combine`]: `allOf` merging, `anyOf`/`oneOf` distribution, `oneOf`
//!   overlap;
//! - [`conditions`]: `not`, `if`/`then`/`else` and dependencies as
//!   positive schemas;
//! - [`unevaluated`]: `unevaluated*` rewritten where they sit.

mod any_order;
mod arrays;
mod combine;
mod conditions;
mod contains;
mod enums;
mod layout;
mod numbers;
mod objects;
mod property_names;
mod refs;
mod strings;
mod unevaluated;
mod unique;

use std::collections::HashMap;

use rein_core::automaton::{CompileError, CompileErrorKind, ProductConfig, RegexConfig};
use rein_core::grammar::{DfaTerminal, Expr, Origin, Rule, RuleId};
use rein_core::ByteDfa;
use serde_json::{Map, Value};

use crate::draft::Draft;
use crate::error::{Ignored, SchemaError, SchemaErrorKind};
use crate::values::type_names;
use crate::{keywords, Options, Whitespace};

use enums::Exclusions;
use numbers::not_integer;

/// The assertions [`Compiler::plain`] handles, besides the private
/// keywords (`then` and `else` without `if` assert nothing). Every other
/// assertion is rewritten before a schema object gets there (`$ref`,
/// `allOf`/`anyOf`/`oneOf`, `if` and dependencies, `unevaluated*`); one
/// left over is refused (a dynamic reference with several answers, say)
/// unless it asserts nothing there (`if` alone, `unevaluatedProperties:
/// true`).
pub(crate) const PLAIN_KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "items",
    "prefixItems",
    "additionalItems",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "nullable",
    "not",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "then",
    "else",
];

const ALL_TYPES: [&str; 6] = ["null", "boolean", "object", "array", "string", "number"];

/// The limits of one compilation.
pub(crate) struct Limits {
    pub depth: usize,
    pub rules: usize,
    pub enum_values: usize,
    pub repeat: u64,
    pub string_length: u64,
    pub time: std::time::Duration,
}

/// Compiles one schema document into rules.
pub(crate) struct Compiler<'a> {
    root: &'a Value,
    draft: Draft,
    options: &'a Options,
    limits: Limits,
    pub rules: Vec<Rule>,
    refs: HashMap<String, RuleId>,
    any_value: Option<RuleId>,
    depth: usize,
    pub ignored: Vec<Ignored>,
    ws: String,
    /// Between a key's closing quote and its value (a regex).
    colon: String,
    /// A comma between members and items, with the layout's space.
    comma: &'static str,
    /// When compiling started, for [`Limits::time`].
    started: std::time::Instant,
    /// Combined string automata by (content regexes, excluded regexes,
    /// minLength, maxLength), so a repeated string schema shares one
    /// terminal.
    strings: HashMap<StringKey, Expr>,
    /// The DFA of strings copied from [`Options::extractive`]'s document,
    /// built at its first use.
    extractive: Option<ByteDfa>,
    /// What objects in any order share across one schema ([`any_order`]).
    any_order: any_order::Shared,
}

type StringKey = (Vec<String>, Vec<String>, u64, Option<u64>);

type Result<T> = std::result::Result<T, SchemaError>;

fn error(
    kind: SchemaErrorKind,
    pointer: &str,
    keyword: &str,
    message: impl Into<String>,
) -> SchemaError {
    SchemaError::new(kind, pointer, keyword, message)
}

/// `items` in order; `Nothing` anywhere makes the sequence `Nothing`.
pub(crate) fn seq(items: Vec<Expr>) -> Expr {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Expr::Nothing => return Expr::Nothing,
            Expr::Empty => {}
            Expr::Sequence(inner) => out.extend(inner),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => Expr::Empty,
        1 => out.pop().unwrap_or(Expr::Empty),
        _ => Expr::Sequence(out),
    }
}

/// One of `items`; `Nothing` alternatives are dropped.
pub(crate) fn alt(items: Vec<Expr>) -> Expr {
    let mut out: Vec<Expr> = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Expr::Nothing => {}
            Expr::Alternation(inner) => out.extend(inner),
            other => {
                if !out.contains(&other) {
                    out.push(other)
                }
            }
        }
    }
    match out.len() {
        0 => Expr::Nothing,
        1 => out.pop().unwrap_or(Expr::Nothing),
        _ => Expr::Alternation(out),
    }
}

fn child(pointer: &str, segment: &str) -> String {
    format!(
        "{pointer}/{}",
        segment.replace('~', "~0").replace('/', "~1")
    )
}

impl<'a> Compiler<'a> {
    pub fn new(root: &'a Value, options: &'a Options, limits: Limits) -> Compiler<'a> {
        let (ws, colon, comma) = match options.whitespace {
            Whitespace::Compact => (String::new(), ":".to_string(), ","),
            Whitespace::Spaced => (String::new(), ": ".to_string(), ", "),
            Whitespace::Flexible { max } => {
                let ws = format!("[ \\t\\n\\r]{{0,{max}}}");
                let colon = format!("{ws}:{ws}");
                (ws, colon, ",")
            }
        };
        Compiler {
            root,
            draft: Draft::of(root, options.default_draft),
            options,
            limits,
            rules: Vec::new(),
            refs: HashMap::new(),
            any_value: None,
            depth: 0,
            ignored: Vec::new(),
            ws,
            colon,
            comma,
            started: std::time::Instant::now(),
            strings: HashMap::new(),
            extractive: None,
            any_order: any_order::Shared::default(),
        }
    }

    pub fn draft(&self) -> Draft {
        self.draft
    }

    fn new_rule(&mut self, name: String, pointer: &str) -> Result<RuleId> {
        if self.rules.len() >= self.limits.rules {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "",
                format!(
                    "the schema needs more than {} grammar rules",
                    self.limits.rules
                ),
            ));
        }
        self.rules.push(Rule {
            name,
            body: Expr::Nothing,
            origin: Origin::Pointer(pointer.to_string()),
        });
        Ok(RuleId(self.rules.len() as u32 - 1))
    }

    /// A keyword rein cannot enforce: an error, or ignored when lenient.
    fn unsupported(
        &mut self,
        pointer: &str,
        keyword: &str,
        reason: impl Into<String>,
    ) -> Result<()> {
        let reason = reason.into();
        if self.options.lenient {
            self.ignored.push(Ignored {
                pointer: pointer.to_string(),
                keyword: keyword.to_string(),
                reason,
            });
            Ok(())
        } else {
            Err(error(
                SchemaErrorKind::Unsupported,
                pointer,
                keyword,
                reason,
            ))
        }
    }

    // Schemas ----------------------------------------------------------

    /// Compiles the schema at `pointer`.
    pub fn schema(&mut self, schema: &Value, pointer: &str) -> Result<Expr> {
        if self.started.elapsed() > self.limits.time {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "",
                format!(
                    "compiling the schema took longer than {:?}",
                    self.limits.time
                ),
            ));
        }
        self.depth += 1;
        if self.depth > self.limits.depth {
            self.depth -= 1;
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "",
                format!(
                    "schemas nest (or expand) more than {} deep",
                    self.limits.depth
                ),
            ));
        }
        let result = self.schema_inner(schema, pointer);
        self.depth -= 1;
        result
    }

    fn schema_inner(&mut self, schema: &Value, pointer: &str) -> Result<Expr> {
        let object = match schema {
            Value::Bool(true) => return self.any_value(),
            Value::Bool(false) => return Ok(Expr::Nothing),
            // Keywords of a later draft are annotations in this one.
            Value::Object(object) if object.keys().any(|k| !self.draft.defines(k)) => {
                let known: Map<String, Value> = object
                    .iter()
                    .filter(|(keyword, _)| self.draft.defines(keyword))
                    .map(|(keyword, value)| (keyword.clone(), value.clone()))
                    .collect();
                return self.schema_inner(&Value::Object(known), pointer);
            }
            Value::Object(object) => object,
            _ => {
                return Err(error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    "",
                    "a schema must be an object or a boolean",
                ))
            }
        };
        if let Some(rewritten) = self.without_unevaluated(object, pointer)? {
            return self.schema_inner(&Value::Object(rewritten), pointer);
        }
        if let Some(reference) = object.get("$ref") {
            let reference = reference.as_str().ok_or_else(|| {
                error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    "$ref",
                    "`$ref` must be a string",
                )
            })?;
            let has_siblings = self.draft.ref_has_siblings()
                && object.keys().any(|k| k != "$ref" && keywords::asserts(k));
            if !has_siblings {
                return self.reference(reference, pointer);
            }
            let target = self.resolve(reference, pointer)?.1.clone();
            let mut rest = object.clone();
            rest.remove("$ref");
            let merged = self.merge_all(&[target, Value::Object(rest)], pointer)?;
            return self.schema(&merged, pointer);
        }
        if let Some(parts) = object.get("allOf") {
            let parts = parts.as_array().ok_or_else(|| {
                error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    "allOf",
                    "`allOf` must be an array",
                )
            })?;
            let mut rest = object.clone();
            rest.remove("allOf");
            let mut all = vec![Value::Object(rest)];
            all.extend(parts.iter().cloned());
            let merged = self.merge_all(&all, pointer)?;
            return self.schema(&merged, pointer);
        }
        if let Some(branches) = object.get("oneOf").or_else(|| object.get("anyOf")) {
            let keyword = if object.contains_key("oneOf") {
                "oneOf"
            } else {
                "anyOf"
            };
            let branches = branches.as_array().ok_or_else(|| {
                error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    keyword,
                    "must be an array",
                )
            })?;
            let mut rest = object.clone();
            rest.remove(keyword);
            let has_rest = rest.keys().any(|k| keywords::asserts(k));
            let mut resolved = Vec::new();
            for (index, branch) in branches.iter().enumerate() {
                let branch_pointer = child(&child(pointer, keyword), &index.to_string());
                let branch = if has_rest {
                    self.merge_all(
                        &[Value::Object(rest.clone()), branch.clone()],
                        &branch_pointer,
                    )?
                } else {
                    branch.clone()
                };
                resolved.push((branch, branch_pointer));
            }
            if keyword == "oneOf" && !self.options.one_of_as_any_of {
                if let Some((i, j)) = self.overlapping_pair(&resolved) {
                    // Exactly one: each branch also excludes the others
                    // (the keywords beside `oneOf` hold for all of them).
                    let exclusive =
                        self.negator_result(|negator| negator.exclusive_branches(branches));
                    match exclusive {
                        Ok(exclusive) => {
                            for ((branch, branch_pointer), exclusive) in
                                resolved.iter_mut().zip(exclusive)
                            {
                                *branch = self.merge_all(
                                    &[Value::Object(rest.clone()), exclusive],
                                    branch_pointer,
                                )?;
                            }
                        }
                        Err(refusal) => {
                            return Err(error(
                                SchemaErrorKind::Unsupported,
                                pointer,
                                "oneOf",
                                format!(
                                    "branches {i} and {j} may both match a value, and rein cannot \
                                     enforce \"exactly one\" (`{}`: {}); use the anyOf option to \
                                     accept either",
                                    refusal.keyword, refusal.reason
                                ),
                            ));
                        }
                    }
                }
            }
            let mut alternatives = Vec::new();
            for (branch, branch_pointer) in &resolved {
                alternatives.push(self.schema(branch, branch_pointer)?);
            }
            return Ok(alt(alternatives));
        }
        if let Some(rewritten) = self.rewrite_conditions(object, pointer)? {
            return self.schema(&rewritten, pointer);
        }
        self.plain(object, pointer)
    }

    /// A schema object without `$ref`, `allOf`, `anyOf` or `oneOf`.
    fn plain(&mut self, object: &Map<String, Value>, pointer: &str) -> Result<Expr> {
        for keyword in object.keys() {
            let handled =
                PLAIN_KEYWORDS.contains(&keyword.as_str()) || keywords::is_private(keyword);
            if keywords::asserts(keyword) && !handled {
                if keyword == "if" && !object.contains_key("then") && !object.contains_key("else") {
                    continue;
                }
                if keyword == "unevaluatedProperties"
                    && object.get(keyword) == Some(&Value::Bool(true))
                {
                    continue;
                }
                self.unsupported(pointer, keyword, "rein cannot enforce this keyword")?;
            }
        }
        let mut types: Vec<String> = match object.get("type") {
            None => ALL_TYPES.iter().map(|t| t.to_string()).collect(),
            Some(value) => {
                let names = type_names(value);
                if names.is_empty() && !value.is_array() {
                    return Err(error(
                        SchemaErrorKind::Invalid,
                        pointer,
                        "type",
                        "`type` must be a string or an array",
                    ));
                }
                names
            }
        };
        if object.get("nullable") == Some(&Value::Bool(true)) && !types.iter().any(|t| t == "null")
        {
            types.push("null".into());
        }
        if let Some(not) = object.get("not") {
            self.apply_not(not, &mut types, pointer)?;
        }
        let exclusions = Exclusions::of(object, pointer)?;
        if let Some(values) = object
            .get("enum")
            .or_else(|| object.get("const").map(|_| &Value::Null))
        {
            let values: Vec<Value> = match object.get("const") {
                Some(constant) => vec![constant.clone()],
                None => values.as_array().cloned().ok_or_else(|| {
                    error(
                        SchemaErrorKind::Invalid,
                        pointer,
                        "enum",
                        "`enum` must be an array",
                    )
                })?,
            };
            if let (Some(_), Some(Value::Array(_))) = (object.get("const"), object.get("enum")) {
                // Both: keep the const only if the enum lists it.
                if !object["enum"]
                    .as_array()
                    .is_some_and(|e| e.contains(&values[0]))
                {
                    return Ok(Expr::Nothing);
                }
            }
            let mut kept = Vec::with_capacity(values.len());
            for value in values {
                if !exclusions.excludes(&value) {
                    kept.push(value);
                }
            }
            return self.enumeration(object, &kept, &types, pointer);
        }
        let mut alternatives = Vec::new();
        let has_integer = types.iter().any(|t| t == "integer");
        let fractions_only = not_integer(object);
        for name in &types {
            let expr = match name.as_str() {
                "null" if exclusions.has_value(&Value::Null) => continue,
                "null" => Expr::Literal("null".into()),
                "boolean" => alt([true, false]
                    .into_iter()
                    .filter(|b| !exclusions.has_value(&Value::Bool(*b)))
                    .map(|b| Expr::Literal(b.to_string()))
                    .collect()),
                "string" => self.string(object, pointer, &exclusions.string_regexes())?,
                // Not an integer: only fractions, so `integer` gives nothing.
                "integer" if fractions_only => continue,
                "number" if !has_integer || fractions_only => {
                    let number = self.number(object, pointer, false)?;
                    let number = if fractions_only {
                        self.intersect(number, crate::numbers::FRACTION, pointer)?
                    } else {
                        number
                    };
                    if !exclusions.values.iter().any(Value::is_number) {
                        number
                    } else if let Some(excluded) = exclusions.number_regexes() {
                        // Among precise spellings (no exponent, at most 15
                        // digits with a fraction) equal values are equal
                        // texts up to trailing zeros, so excluding those
                        // texts excludes the values.
                        let precise =
                            self.restrict(number, &crate::numbers::precise(), pointer, "not")?;
                        self.exclude(precise, &excluded, pointer)?
                    } else {
                        self.unsupported(
                            pointer,
                            "not",
                            "rein can exclude single numbers only when written without exponent",
                        )?;
                        number
                    }
                }
                "number" => continue,
                "integer" => {
                    let number = self.number(object, pointer, true)?;
                    self.exclude(number, &exclusions.integer_regexes(), pointer)?
                }
                "object" | "array"
                    if exclusions
                        .values
                        .iter()
                        .any(|v| json_type(v) == name.as_str()) =>
                {
                    self.unsupported(
                        pointer,
                        "not",
                        format!("rein cannot exclude single {name} values"),
                    )?;
                    continue;
                }
                "object" => self.object(object, pointer)?,
                "array" => self.array(object, pointer)?,
                other => {
                    return Err(error(
                        SchemaErrorKind::Invalid,
                        pointer,
                        "type",
                        format!("unknown type {other:?}"),
                    ))
                }
            };
            alternatives.push(expr);
        }
        Ok(alt(alternatives))
    }

    fn count(
        &self,
        object: &Map<String, Value>,
        keyword: &str,
        pointer: &str,
    ) -> Result<Option<u64>> {
        match object.get(keyword) {
            None => Ok(None),
            Some(value) => match (value.as_u64(), value.as_f64()) {
                (Some(n), _) => Ok(Some(n)),
                (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 => Ok(Some(f as u64)),
                _ => Err(error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    keyword,
                    "must be a non-negative integer",
                )),
            },
        }
    }

    // References and merging --------------------------------------------
}

/// `expr`'s automaton when it is one regular terminal (a regex, a literal
/// or an automaton); `None` for any other expression.
fn terminal_dfa(expr: &Expr) -> Option<std::result::Result<ByteDfa, CompileError>> {
    match expr {
        Expr::Regex(pattern) => Some(RegexConfig::new().build(pattern)),
        Expr::Literal(text) => Some(RegexConfig::new().build(&regex_syntax::escape(text))),
        Expr::Automaton(terminal) => Some(Ok(terminal.dfa().clone())),
        _ => None,
    }
}

/// The product automaton of `included` minus `excluded` as one terminal,
/// or `Nothing` when its language is empty.
fn product_terminal(
    included: &[&ByteDfa],
    excluded: &[&ByteDfa],
    label: String,
) -> std::result::Result<Expr, CompileError> {
    match ProductConfig::new().build(included, excluded) {
        Ok(dfa) => Ok(Expr::Automaton(DfaTerminal::new(label, dfa))),
        Err(problem) if problem.kind() == &CompileErrorKind::EmptyLanguage => Ok(Expr::Nothing),
        Err(problem) => Err(problem),
    }
}

fn json_type(value: &Value) -> String {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
    .to_string()
}
