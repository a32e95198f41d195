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

mod any_order;
mod contains;
mod property_names;
mod unevaluated;
mod unique;

use std::collections::HashMap;

use rein_core::automaton::{CompileError, CompileErrorKind, ProductConfig, RegexConfig};
use rein_core::grammar::{DfaTerminal, Expr, Location, Rule, RuleId};
use rein_core::ByteDfa;
use serde_json::{json, Map, Value};

use crate::draft::Draft;
use crate::error::{Ignored, SchemaError, SchemaErrorKind};
use crate::json_text::{encode_string, CHAR_UNIT};
use crate::merge::{self, type_names};
use crate::negate::{self, Negator, Refusal};
use crate::validate::Validator;
use crate::{formats, keys, lengths, numbers, pattern, Options, Whitespace};

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

/// Standard assertion keywords; any of these that rein does not handle is
/// an error (or ignored, when lenient). Anything else is an extension.
pub(crate) const ASSERTIONS: &[&str] = &[
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
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "$ref",
    "$dynamicRef",
    "$recursiveRef",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "unevaluatedProperties",
    "unevaluatedItems",
    "nullable",
    // Written only by merging and negation (`private_keywords::KEYWORDS`).
    merge::ALSO_PATTERNS,
    negate::NOT_VALUES,
    negate::NOT_PATTERNS,
    negate::NOT_INTEGER,
    negate::CONTAINS,
];

const ALL_TYPES: [&str; 6] = ["null", "boolean", "object", "array", "string", "number"];

/// The most alternatives `allOf` parts with `anyOf`/`oneOf` groups may
/// combine into (each group multiplies them).
const MAX_DISTRIBUTED_BRANCHES: usize = 1024;

/// The most dependencies one object may have: each doubles the branches.
const MAX_DEPENDENCIES: usize = 6;

/// A bounded `multipleOf` range with fewer multiples than this is spelled
/// out value by value.
const MAX_ENUMERATED_MULTIPLES: i128 = 1000;

/// The most digits of an open-ended multiple: 15 digits stay below 2^53,
/// where every validator reads the number exactly.
const MAX_MULTIPLE_DIGITS: u32 = 15;

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
            location: Location { line: 1, column: 1 },
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

    // Terminals --------------------------------------------------------

    fn punct(&self, before: bool, text: &str, after: bool) -> Expr {
        if self.ws.is_empty() {
            return Expr::Literal(if text == "," { self.comma } else { text }.to_string());
        }
        let mut out = String::new();
        if before {
            out.push_str(&self.ws);
        }
        out.push_str(&regex_syntax::escape(text));
        if after {
            out.push_str(&self.ws);
        }
        Expr::Regex(out)
    }

    fn comma(&self) -> Expr {
        self.punct(true, ",", true)
    }

    fn key(&self, name: &str) -> Expr {
        let encoded = encode_string(name);
        if self.ws.is_empty() {
            return Expr::Literal(format!("{encoded}{}", self.colon));
        }
        Expr::Regex(format!("{}{}", regex_syntax::escape(&encoded), self.colon))
    }

    /// Any JSON value (the `true` schema).
    fn any_value(&mut self) -> Result<Expr> {
        if let Some(id) = self.any_value {
            return Ok(Expr::Rule(id));
        }
        let value = self.new_rule("any value".into(), "#")?;
        self.any_value = Some(value);
        let object = self.new_rule("any object".into(), "#")?;
        let array = self.new_rule("any array".into(), "#")?;
        let string = Expr::Regex(format!("\"{CHAR_UNIT}*\""));
        let member = seq(vec![
            Expr::Regex(format!("\"{CHAR_UNIT}*\"{}", self.colon)),
            Expr::Rule(value),
        ]);
        self.rules[object.0 as usize].body = alt(vec![
            self.punct(false, "{", false).then_close(self, "}"),
            seq(vec![
                self.punct(false, "{", true),
                member.clone(),
                Expr::Repeat {
                    inner: Box::new(seq(vec![self.comma(), member])),
                    min: 0,
                    max: None,
                },
                self.punct(true, "}", false),
            ]),
        ]);
        self.rules[array.0 as usize].body = alt(vec![
            self.punct(false, "[", false).then_close(self, "]"),
            seq(vec![
                self.punct(false, "[", true),
                Expr::Rule(value),
                Expr::Repeat {
                    inner: Box::new(seq(vec![self.comma(), Expr::Rule(value)])),
                    min: 0,
                    max: None,
                },
                self.punct(true, "]", false),
            ]),
        ]);
        self.rules[value.0 as usize].body = alt(vec![
            Expr::Rule(object),
            Expr::Rule(array),
            string,
            Expr::Regex(numbers::NUMBER.to_string()),
            Expr::Literal("true".into()),
            Expr::Literal("false".into()),
            Expr::Literal("null".into()),
        ]);
        Ok(Expr::Rule(value))
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
                && object
                    .keys()
                    .any(|k| k != "$ref" && ASSERTIONS.contains(&k.as_str()));
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
            let has_rest = rest.keys().any(|k| ASSERTIONS.contains(&k.as_str()));
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

    /// The first two branches the conservative disjointness check cannot
    /// tell apart.
    fn overlapping_pair(&self, branches: &[(Value, String)]) -> Option<(usize, usize)> {
        for i in 0..branches.len() {
            for j in i + 1..branches.len() {
                if !self.disjoint(&branches[i].0, &branches[j].0, 0) {
                    return Some((i, j));
                }
            }
        }
        None
    }

    /// Runs `f` with a [`Negator`] resolving this document's references.
    fn negator_result<T>(
        &self,
        f: impl FnOnce(&Negator<'_>) -> std::result::Result<T, Refusal>,
    ) -> std::result::Result<T, Refusal> {
        let resolve = |reference: &str| {
            self.resolve(reference, "#")
                .map(|(_, target)| target.clone())
                .map_err(|error| error.to_string())
        };
        f(&Negator::new(self.draft, &resolve))
    }

    /// `if`/`then`/`else`, dependencies and `not` (beyond whole types) as
    /// positive schemas merged with the rest of `object`, or `None` when
    /// `object` has none of them.
    fn rewrite_conditions(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
    ) -> Result<Option<Value>> {
        let rewritten = [
            "if",
            "dependentRequired",
            "dependentSchemas",
            "dependencies",
        ]
        .iter()
        .any(|keyword| object.contains_key(*keyword))
            || object.get("not").is_some_and(|not| !self.not_on_types(not));
        if !rewritten {
            return Ok(None);
        }
        let mut rest = object.clone();
        let mut parts: Vec<Value> = Vec::new();
        parts.extend(self.take_condition(&mut rest, pointer)?);
        let mut dependencies: Vec<(String, Value, bool)> = Vec::new();
        for keyword in ["dependentRequired", "dependentSchemas", "dependencies"] {
            let Some(map) = rest.remove(keyword) else {
                continue;
            };
            let map = map.as_object().cloned().ok_or_else(|| {
                error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    keyword,
                    "must be an object",
                )
            })?;
            for (name, dependency) in map {
                let required = keyword == "dependentRequired"
                    || (keyword == "dependencies" && dependency.is_array());
                dependencies.push((name, dependency, required));
            }
        }
        if dependencies.len() > MAX_DEPENDENCIES {
            self.unsupported(
                pointer,
                "dependencies",
                format!("more than {MAX_DEPENDENCIES} dependencies on one object"),
            )?;
        } else {
            for (name, dependency, required) in dependencies {
                // Either the property is absent, or it is present with its
                // dependents: two disjoint branches.
                let dependents = if required {
                    json!({ "required": dependency })
                } else {
                    dependency
                };
                parts.push(negate::any_of(vec![
                    json!({ "properties": { name.clone(): false } }),
                    negate::all_of(vec![
                        json!({ "type": "object", "required": [name] }),
                        dependents,
                    ]),
                ]));
            }
        }
        if let Some(not) = rest.get("not").cloned() {
            if !self.not_on_types(&not) {
                rest.remove("not");
                match self.negator_result(|negator| negator.negate(&not)) {
                    Ok(positive) => parts.push(positive),
                    Err(refusal) => {
                        self.unsupported(&child(pointer, "not"), &refusal.keyword, refusal.reason)?
                    }
                }
            }
        }
        let mut all = vec![Value::Object(rest)];
        all.extend(parts);
        self.merge_all(&all, pointer).map(Some)
    }

    /// Removes `if`/`then`/`else` from `object` and returns them as one
    /// positive schema (`None` without a condition that constrains).
    fn take_condition(
        &mut self,
        object: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<Option<Value>> {
        let Some(condition) = object.remove("if") else {
            return Ok(None);
        };
        let then = object.remove("then");
        let otherwise = object.remove("else");
        if then.is_none() && otherwise.is_none() {
            return Ok(None);
        }
        let rewritten = self.negator_result(|negator| {
            negator.conditional(&condition, then.as_ref(), otherwise.as_ref())
        });
        match rewritten {
            Ok(positive) => Ok(Some(positive)),
            Err(refusal) => {
                self.unsupported(
                    pointer,
                    "if",
                    format!(
                        "rein cannot enforce `if` without its negation (`{}`: {})",
                        refusal.keyword, refusal.reason
                    ),
                )?;
                Ok(None)
            }
        }
    }

    /// Whether `apply_not` handles `not` directly: a boolean, `{}` or a
    /// bare `type`.
    fn not_on_types(&self, not: &Value) -> bool {
        match not {
            Value::Bool(_) => true,
            Value::Object(inner) => {
                // `not: {type: integer}` keeps non-integer numbers: the
                // negation spells those out.
                let integer_only = |types: Vec<String>| {
                    types.iter().any(|t| t == "integer") && !types.iter().any(|t| t == "number")
                };
                inner.is_empty()
                    || (inner.len() == 1
                        && inner
                            .get("type")
                            .is_some_and(|t| !integer_only(type_names(t))))
            }
            _ => false,
        }
    }

    /// A schema object without `$ref`, `allOf`, `anyOf` or `oneOf`.
    fn plain(&mut self, object: &Map<String, Value>, pointer: &str) -> Result<Expr> {
        for keyword in object.keys() {
            let handled = matches!(
                keyword.as_str(),
                "type"
                    | "enum"
                    | "const"
                    | "properties"
                    | "required"
                    | "additionalProperties"
                    | "patternProperties"
                    | "propertyNames"
                    | "minProperties"
                    | "maxProperties"
                    | "items"
                    | "prefixItems"
                    | "additionalItems"
                    | "minItems"
                    | "maxItems"
                    | "minLength"
                    | "maxLength"
                    | "pattern"
                    | "format"
                    | "minimum"
                    | "maximum"
                    | "exclusiveMinimum"
                    | "exclusiveMaximum"
                    | "multipleOf"
                    | "nullable"
                    | "not"
                    | "uniqueItems"
                    | "contains"
                    | "minContains"
                    | "maxContains"
                    | "then"
                    | "else"
            ) || crate::private_keywords::KEYWORDS.contains(&keyword.as_str());
            if ASSERTIONS.contains(&keyword.as_str()) && !handled {
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
                        self.intersect(number, numbers::FRACTION, pointer)?
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
                        let precise = self.restrict(number, &numbers::precise(), pointer, "not")?;
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

    fn apply_not(&mut self, not: &Value, types: &mut Vec<String>, pointer: &str) -> Result<()> {
        match not {
            Value::Bool(false) => return Ok(()),
            Value::Bool(true) => {
                types.clear();
                return Ok(());
            }
            Value::Object(inner) if inner.is_empty() => {
                types.clear();
                return Ok(());
            }
            Value::Object(inner) if inner.len() == 1 && inner.contains_key("type") => {
                let excluded = type_names(&inner["type"]);
                types.retain(|t| {
                    !excluded
                        .iter()
                        .any(|e| e == t || (e == "number" && t == "integer"))
                });
                if excluded.iter().any(|e| e == "integer") && types.iter().any(|t| t == "number") {
                    return self.unsupported(pointer, "not", "`not: {type: integer}` on numbers");
                }
                return Ok(());
            }
            _ => {}
        }
        self.unsupported(pointer, "not", "rein can only enforce `not` on whole types")
    }

    /// A finite set of values, each written out.
    fn enumeration(
        &mut self,
        object: &Map<String, Value>,
        values: &[Value],
        types: &[String],
        pointer: &str,
    ) -> Result<Expr> {
        if values.len() > self.limits.enum_values {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "enum",
                format!("more than {} values", self.limits.enum_values),
            ));
        }
        let checked = ["type", "enum", "const", "nullable", "$schema"];
        let mut siblings: Map<String, Value> = object
            .iter()
            .filter(|(keyword, _)| {
                ASSERTIONS.contains(&keyword.as_str())
                    && !checked.contains(&keyword.as_str())
                    && !keyword.starts_with(crate::private_keywords::PREFIX)
            })
            .map(|(keyword, value)| (keyword.clone(), value.clone()))
            .collect();
        let private = [merge::ALSO_PATTERNS, negate::NOT_INTEGER, negate::CONTAINS];
        if siblings.is_empty() && !private.iter().any(|k| object.contains_key(*k)) {
            return self.enumeration_values(values, types);
        }
        // The other keywords pick among the listed values: each value is
        // checked against them by the `jsonschema` crate.
        let keyword = siblings.keys().next().cloned().unwrap_or_default();
        // Private keywords, written in standard ones of every draft.
        let mut parts: Vec<Value> = Vec::new();
        if let Some(Value::Array(patterns)) = object.get(merge::ALSO_PATTERNS) {
            parts.extend(patterns.iter().map(|p| json!({ "pattern": p })));
        }
        if let Some(contains) = object.get(negate::CONTAINS) {
            parts.push(json!({"anyOf": [
                {"not": {"type": "array"}},
                {"not": {"items": {"not": contains}}},
            ]}));
        }
        if !parts.is_empty() {
            match siblings
                .entry("allOf")
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(all_of) => all_of.extend(parts),
                other => {
                    let mut all_of = vec![other.clone()];
                    all_of.extend(parts);
                    *other = Value::Array(all_of);
                }
            }
        }
        if not_integer(object) {
            siblings.insert("not".to_string(), json!({ "type": "integer" }));
        }
        match self.sibling_validator(siblings) {
            Ok(validator) => {
                let kept: Vec<Value> = values
                    .iter()
                    .filter(|value| validator.validate(value).is_ok())
                    .cloned()
                    .collect();
                self.enumeration_values(&kept, types)
            }
            Err(reason) => {
                self.unsupported(
                    pointer,
                    &keyword,
                    format!("rein cannot combine this keyword with `enum`/`const`: {reason}"),
                )?;
                self.enumeration_values(values, types)
            }
        }
    }

    /// A validator for keywords beside an `enum`, with the document's
    /// definitions so their `$ref`s resolve; references elsewhere are
    /// refused.
    fn sibling_validator(
        &self,
        mut siblings: Map<String, Value>,
    ) -> std::result::Result<Validator, String> {
        fn local_references_only(value: &Value) -> bool {
            match value {
                Value::Object(object) => object.iter().all(|(key, item)| {
                    if key == "$ref" {
                        item.as_str().is_some_and(|reference| {
                            reference.starts_with("#/definitions/")
                                || reference.starts_with("#/$defs/")
                        })
                    } else {
                        local_references_only(item)
                    }
                }),
                Value::Array(items) => items.iter().all(local_references_only),
                _ => true,
            }
        }
        if !siblings.values().all(local_references_only) {
            return Err("a `$ref` outside the definitions".into());
        }
        for keyword in ["definitions", "$defs", "$schema"] {
            if let Some(value) = self.root.get(keyword) {
                siblings.insert(keyword.to_string(), value.clone());
            }
        }
        Validator::new(&Value::Object(siblings)).map_err(|error| error.to_string())
    }

    fn enumeration_values(&mut self, values: &[Value], types: &[String]) -> Result<Expr> {
        let mut alternatives = Vec::new();
        for value in values {
            let fits = types.iter().any(|t| match (t.as_str(), value) {
                ("null", Value::Null)
                | ("boolean", Value::Bool(_))
                | ("string", Value::String(_)) => true,
                ("object", Value::Object(_))
                | ("array", Value::Array(_))
                | ("number", Value::Number(_)) => true,
                ("integer", Value::Number(n)) => {
                    n.is_i64()
                        || n.is_u64()
                        || (self.draft != Draft::Draft4
                            && n.as_f64().is_some_and(|f| f.fract() == 0.0))
                }
                _ => false,
            });
            if fits {
                // Draft 4 integers have no fraction: `1.0` is no `integer`.
                let integer_only = self.draft == Draft::Draft4
                    && !types.iter().any(|t| t == "number")
                    && value.is_number();
                if integer_only {
                    alternatives.push(Expr::Literal(value.to_string()));
                } else {
                    alternatives.push(self.literal_value(value));
                }
            }
        }
        Ok(alt(alternatives))
    }

    /// Exactly `value`, with flexible whitespace inside objects and arrays.
    fn literal_value(&self, value: &Value) -> Expr {
        match value {
            Value::Object(members) if !members.is_empty() => {
                let mut items = vec![self.punct(false, "{", true)];
                for (index, (key, item)) in members.iter().enumerate() {
                    if index > 0 {
                        items.push(self.comma());
                    }
                    items.push(self.key(key));
                    items.push(self.literal_value(item));
                }
                items.push(self.punct(true, "}", false));
                seq(items)
            }
            Value::Array(entries) if !entries.is_empty() => {
                let mut items = vec![self.punct(false, "[", true)];
                for (index, item) in entries.iter().enumerate() {
                    if index > 0 {
                        items.push(self.comma());
                    }
                    items.push(self.literal_value(item));
                }
                items.push(self.punct(true, "]", false));
                seq(items)
            }
            Value::Object(_) => self.punct(false, "{", false).then_close(self, "}"),
            Value::Array(_) => self.punct(false, "[", false).then_close(self, "]"),
            Value::String(text) => Expr::Literal(encode_string(text)),
            Value::Number(number) => {
                let integral = number.is_i64() || number.is_u64();
                let spelled = match number.as_f64() {
                    Some(f) if !integral => crate::json_text::python_float(f),
                    _ => number.to_string(),
                };
                // JSON Schema compares numbers by value: a whole number is
                // `2` and `2.0` alike. Each spelling is kept only when
                // serde_json reads it as exactly this value.
                let whole = match number.as_f64() {
                    _ if integral => Some(number.to_string()),
                    Some(f) if f.fract() == 0.0 && f.abs() < 1.0e19 => {
                        Some(format!("{}", f as i128))
                    }
                    _ => None,
                };
                let mut spellings = vec![spelled];
                if let Some(whole) = whole {
                    spellings.push(whole.clone());
                    spellings.push(format!("{whole}.0"));
                }
                let mut kept: Vec<String> = Vec::new();
                for text in spellings {
                    let same = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|v| v.as_number().map(|n| numbers_equal(n, number)))
                        .unwrap_or(false);
                    if same && !kept.contains(&text) {
                        kept.push(text);
                    }
                }
                match kept.len() {
                    0 => Expr::Literal(number.to_string()),
                    1 => Expr::Literal(kept.remove(0)),
                    _ => alt(kept.into_iter().map(Expr::Literal).collect()),
                }
            }
            other => Expr::Literal(other.to_string()),
        }
    }

    /// Strings under `object`'s keywords whose contents match none of
    /// `excluded` (regexes over the canonical encoding, as `contents`).
    fn string(
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
                .get(merge::ALSO_PATTERNS)
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
    fn intersect(&mut self, expr: Expr, regex: &str, pointer: &str) -> Result<Expr> {
        self.restrict(expr, regex, pointer, "not")
    }

    /// `expr` (one terminal) restricted to the spellings `regex` matches;
    /// problems are reported on `keyword`.
    fn restrict(&mut self, expr: Expr, regex: &str, pointer: &str, keyword: &str) -> Result<Expr> {
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
    fn exclude(&mut self, expr: Expr, excluded: &[String], pointer: &str) -> Result<Expr> {
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

    fn number(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
        integer: bool,
    ) -> Result<Expr> {
        let draft4 = self.draft == Draft::Draft4;
        let mut low: Option<numbers::Bound> = None;
        let mut high: Option<numbers::Bound> = None;
        for keyword in ["minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"] {
            let Some(value) = object.get(keyword).and_then(bound_value) else {
                continue;
            };
            let upper = keyword.ends_with("aximum");
            let exclusive = match keyword {
                "minimum" | "maximum" => {
                    let flag = if upper {
                        "exclusiveMaximum"
                    } else {
                        "exclusiveMinimum"
                    };
                    draft4 && object.get(flag) == Some(&Value::Bool(true))
                }
                _ => true,
            };
            // No precise spelling reaches a bound whose shortest decimal
            // has more digits than a precise number: below or above it is
            // all that can be told, so it is as good as exclusive.
            let reachable = value.is_integer() || value.digits() <= numbers::PRECISE_DIGITS;
            let bound = numbers::Bound {
                value,
                inclusive: !exclusive && reachable,
            };
            let slot = if upper { &mut high } else { &mut low };
            let tighter = match slot.as_ref() {
                None => true,
                Some(current) => match bound.value.cmp(&current.value) {
                    std::cmp::Ordering::Equal => !bound.inclusive,
                    order => (order == std::cmp::Ordering::Less) == upper,
                },
            };
            if tighter {
                *slot = Some(bound);
            }
        }
        let spelling = match (integer, draft4) {
            (false, _) => numbers::Spelling::Any,
            (true, true) => numbers::Spelling::Integer,
            (true, false) => numbers::Spelling::Whole,
        };
        if let Some(multiple) = object.get("multipleOf") {
            return self.multiple_of_value(object, multiple, low, high, spelling, pointer);
        }
        self.number_with_bounds(low, high, spelling, pointer)
    }

    /// `multipleOf` as a number: integer multiples by [`Self::multiple_of`],
    /// decimal ones by [`Self::decimal_multiple_of`].
    fn multiple_of_value(
        &mut self,
        object: &Map<String, Value>,
        multiple: &Value,
        low: Option<numbers::Bound>,
        high: Option<numbers::Bound>,
        spelling: numbers::Spelling,
        pointer: &str,
    ) -> Result<Expr> {
        let whole = match multiple.as_u64() {
            Some(k) => Some(k),
            None => multiple
                .as_f64()
                .filter(|f| *f > 0.0 && f.fract() == 0.0 && *f < 9.0e15)
                .map(|f| f as u64),
        };
        match whole {
            Some(1) => {
                // Every integer, however the type lets it be written.
                let spelling = match spelling {
                    numbers::Spelling::Any => numbers::Spelling::Whole,
                    other => other,
                };
                self.number_with_bounds(low, high, spelling, pointer)
            }
            Some(k) if k > 1 => {
                let (low, high) = integer_bounds(low.as_ref(), high.as_ref());
                self.multiple_of(k, low, high, pointer)
            }
            _ => match multiple.as_f64() {
                Some(m) if m > 0.0 && m.is_finite() => {
                    self.decimal_multiple_of(object, m, low, high, spelling, pointer)
                }
                _ => {
                    self.unsupported(
                        pointer,
                        "multipleOf",
                        "rein enforces `multipleOf` only for positive numbers",
                    )?;
                    self.number_with_bounds(low, high, spelling, pointer)
                }
            },
        }
    }

    fn number_with_bounds(
        &mut self,
        low: Option<numbers::Bound>,
        high: Option<numbers::Bound>,
        spelling: numbers::Spelling,
        pointer: &str,
    ) -> Result<Expr> {
        if low.is_none() && high.is_none() {
            return Ok(Expr::Regex(
                match spelling {
                    numbers::Spelling::Integer => numbers::INTEGER,
                    numbers::Spelling::Whole => numbers::WHOLE,
                    numbers::Spelling::Any => numbers::NUMBER,
                }
                .to_string(),
            ));
        }
        match numbers::range(low.as_ref(), high.as_ref(), spelling) {
            Some(pattern) => {
                let precise = numbers::precise();
                self.restrict(Expr::Regex(pattern), &precise, pointer, "minimum")
            }
            None => Ok(Expr::Nothing),
        }
    }

    /// A non-integer `multipleOf` `m`, checked as the `jsonschema` crate
    /// checks it: the number and `m` are each turned into a fraction
    /// (digits of the double, scaled by powers of ten until the product is
    /// a whole double) and the quotient must be an integer; below `m`, only
    /// zero passes, so no negative number is a multiple. That check is
    /// not decimal arithmetic (`4192.94` is rejected for `0.01`), so rein
    /// writes only values it can vouch for:
    /// - a bounded range with at most [`MAX_ENUMERATED_MULTIPLES`]
    ///   multiples: each multiple, kept when the crate accepts it;
    /// - on integers: the non-negative multiples of the smallest integer
    ///   multiple of `m` (an integer's fraction is exact);
    /// - `m` = 10^-q or 2^-q on numbers: the non-negative multiples of
    ///   2^-q (`0.25`, `1.5`): doubles hold them exactly, so the crate's
    ///   fraction is exact too. For `m` = 2^-q those are all multiples; for
    ///   10^-q a documented subset (`0.01` allows `.25` but not `.01`).
    ///
    /// Anything else is refused.
    fn decimal_multiple_of(
        &mut self,
        object: &Map<String, Value>,
        m: f64,
        low: Option<numbers::Bound>,
        high: Option<numbers::Bound>,
        spelling: numbers::Spelling,
        pointer: &str,
    ) -> Result<Expr> {
        let Some(decimal) = numbers::Decimal::parse(&format!("{m}")) else {
            self.unsupported(pointer, "multipleOf", "rein cannot read this `multipleOf`")?;
            return self.number_with_bounds(low, high, spelling, pointer);
        };
        let places = decimal.fraction_digits().len() as u32;
        let numerator = decimal.to_string().replace('.', "").parse::<u128>().ok();
        let zero = numbers::Bound::inclusive(numbers::Decimal::from_i128(0));
        // Negative numbers never pass: the range starts at 0 at the least.
        let low = match low {
            Some(l) if l.value >= zero.value => Some(l),
            _ => Some(zero),
        };
        if let (Some(l), Some(h), Some(numerator)) = (&low, &high, numerator) {
            if let Some(expr) =
                self.enumerate_decimal_multiples(object, numerator, places, l, h, spelling)?
            {
                return Ok(expr);
            }
        }
        let Some(numerator) = numerator.filter(|_| places <= 12) else {
            self.unsupported(
                pointer,
                "multipleOf",
                "rein enforces a non-integer `multipleOf` with at most 12 decimal places",
            )?;
            return self.number_with_bounds(low, high, spelling, pointer);
        };
        let scale = 10u128.pow(places);
        if spelling != numbers::Spelling::Any {
            // Integers: multiples of numerator / gcd(numerator, 10^places).
            let k = numerator / gcd(numerator, scale);
            let accepted = Validator::new(&json!({ "multipleOf": m }))
                .is_ok_and(|v| v.validate(&json!(k as u64)).is_ok());
            if k <= 1000 && accepted {
                let (low, high) = integer_bounds(low.as_ref(), high.as_ref());
                return if k == 1 {
                    let low =
                        low.map(|l| numbers::Bound::inclusive(numbers::Decimal::from_i128(l)));
                    let high =
                        high.map(|h| numbers::Bound::inclusive(numbers::Decimal::from_i128(h)));
                    self.number_with_bounds(low, high, numbers::Spelling::Integer, pointer)
                } else {
                    self.multiple_of(k as u64, low, high, pointer)
                };
            }
        } else if let Some(power) = binary_places(numerator, places) {
            if checker_fraction(m) == Some((numerator, places)) {
                let fractions = binary_fractions(power);
                let pattern = format!(r"(?:0|[1-9][0-9]*)(?:\.(?:0|{fractions})0*)?");
                let bounded = self.number_with_bounds(low, high, spelling, pointer)?;
                return self.restrict(bounded, &pattern, pointer, "multipleOf");
            }
        }
        self.unsupported(
            pointer,
            "multipleOf",
            format!(
                "rein enforces `multipleOf: {m}` only on integers or over a bounded range of at \
                 most {MAX_ENUMERATED_MULTIPLES} multiples (the `jsonschema` crate's float check \
                 is not decimal arithmetic)"
            ),
        )?;
        self.number_with_bounds(low, high, spelling, pointer)
    }

    /// The multiples `k * numerator / 10^places` between `low` and `high`
    /// that the `jsonschema` crate accepts under `object`'s numeric
    /// keywords, each written out; `None` when there are too many.
    fn enumerate_decimal_multiples(
        &mut self,
        object: &Map<String, Value>,
        numerator: u128,
        places: u32,
        low: &numbers::Bound,
        high: &numbers::Bound,
        spelling: numbers::Spelling,
    ) -> Result<Option<Expr>> {
        // Bounds in units of 10^-places, rounded inwards.
        let (Some(low_units), Some(high_units)) =
            (low.value.shifted(places), high.value.shifted(places))
        else {
            return Ok(None);
        };
        let (Some(first), Some(last)) = (low_units.ceil(), high_units.floor()) else {
            return Ok(None);
        };
        let step = i128::try_from(numerator).unwrap_or(i128::MAX);
        let first = first.div_euclid(step) + i128::from(first.rem_euclid(step) != 0);
        let last = last.div_euclid(step);
        if last - first >= MAX_ENUMERATED_MULTIPLES {
            return Ok(None);
        }
        let mut checked = Map::new();
        for keyword in [
            "multipleOf",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
        ] {
            if let Some(value) = object.get(keyword) {
                checked.insert(keyword.to_string(), value.clone());
            }
        }
        if spelling != numbers::Spelling::Any {
            checked.insert("type".into(), json!("integer"));
        }
        if let Some(schema) = self.root.get("$schema") {
            checked.insert("$schema".into(), schema.clone());
        }
        let Ok(validator) = Validator::with_default_draft(&Value::Object(checked), self.draft)
        else {
            return Ok(None);
        };
        let mut values = Vec::new();
        for k in first..=last.max(first - 1) {
            let units = k * step;
            let text = scaled_text(units, places);
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if validator.validate(&value).is_ok() {
                values.push(Expr::Literal(text));
            }
        }
        Ok(Some(alt(values)))
    }

    /// Integers divisible by `k`: a right-linear grammar over remainders.
    /// Integers divisible by `k` within optional bounds.
    ///
    /// A range holding at most [`MAX_ENUMERATED_MULTIPLES`] multiples is
    /// spelled out. Otherwise the multiples are a right-linear grammar over
    /// (remainder, digits left): at most [`MAX_MULTIPLE_DIGITS`] digits, so
    /// every output stays inside the range where JSON numbers are exact
    /// doubles (RFC 8259 section 6) and a validator agrees it is a multiple.
    /// A lower bound just below the first non-negative or first positive
    /// multiple keeps that half; any other open range is refused rather than
    /// approximated.
    fn multiple_of(
        &mut self,
        k: u64,
        low: Option<i128>,
        high: Option<i128>,
        pointer: &str,
    ) -> Result<Expr> {
        let k128 = i128::from(k);
        let first_at_or_above = |from: i128| {
            from.div_euclid(k128) * k128 + if from.rem_euclid(k128) == 0 { 0 } else { k128 }
        };
        let last_at_or_below = |to: i128| to.div_euclid(k128) * k128;
        if let (Some(low), Some(high)) = (low, high) {
            let (first, last) = (first_at_or_above(low), last_at_or_below(high));
            if first > last {
                return Ok(Expr::Nothing);
            }
            if (last - first) / k128 < MAX_ENUMERATED_MULTIPLES {
                let values = (0..=(last - first) / k128)
                    .map(|i| Expr::Literal((first + i * k128).to_string()))
                    .collect();
                return Ok(alt(values));
            }
        }
        let as_bounds = |low: Option<i128>, high: Option<i128>| {
            (
                low.map(|l| numbers::Bound::inclusive(numbers::Decimal::from_i128(l))),
                high.map(|h| numbers::Bound::inclusive(numbers::Decimal::from_i128(h))),
            )
        };
        if k > 1000 {
            self.unsupported(
                pointer,
                "multipleOf",
                "rein enforces an integer `multipleOf` above 1000 only over a bounded range \
                 of at most 1000 multiples",
            )?;
            let (low, high) = as_bounds(low, high);
            return self.number_with_bounds(low, high, numbers::Spelling::Integer, pointer);
        }
        let k = k as u32;
        // Whether negative multiples and zero are in range.
        let (negative, zero) = match (low, high) {
            (None, None) => (true, true),
            (Some(low), None) if first_at_or_above(low) == 0 => (false, true),
            (Some(low), None) if first_at_or_above(low) == k128 => (false, false),
            _ => {
                self.unsupported(
                    pointer,
                    "multipleOf",
                    "rein combines `multipleOf` with bounds only for small ranges or a lower bound at 0",
                )?;
                let (low, high) = as_bounds(low, high);
                return self.number_with_bounds(low, high, numbers::Spelling::Integer, pointer);
            }
        };
        // rules[first + r * (D + 1) + d]: the rest of a number whose digits
        // so far leave remainder r, with at most d more digits.
        let first = self.rules.len();
        let digits = MAX_MULTIPLE_DIGITS;
        let id = |r: u32, d: u32| RuleId((first as u32) + r * (digits + 1) + d);
        for r in 0..k {
            for d in 0..=digits {
                self.new_rule(format!("{pointer} remainder {r} digits {d}"), pointer)?;
            }
        }
        for r in 0..k {
            for d in 0..=digits {
                let mut alternatives = Vec::new();
                if r == 0 {
                    alternatives.push(Expr::Empty);
                }
                if d > 0 {
                    for digit in 0..10u32 {
                        alternatives.push(seq(vec![
                            Expr::Literal(digit.to_string()),
                            Expr::Rule(id((r * 10 + digit) % k, d - 1)),
                        ]));
                    }
                }
                self.rules[id(r, d).0 as usize].body = alt(alternatives);
            }
        }
        let positive = alt((1..10u32)
            .map(|digit| {
                seq(vec![
                    Expr::Literal(digit.to_string()),
                    Expr::Rule(id(digit % k, digits - 1)),
                ])
            })
            .collect());
        let mut alternatives = vec![positive.clone()];
        if zero {
            alternatives.push(Expr::Literal("0".into()));
        }
        if negative {
            alternatives.push(seq(vec![Expr::Literal("-".into()), positive]));
        }
        Ok(alt(alternatives))
    }

    fn object(&mut self, object: &Map<String, Value>, pointer: &str) -> Result<Expr> {
        let empty = Map::new();
        let properties = match object.get("properties") {
            Some(Value::Object(p)) => p,
            Some(_) => {
                return Err(error(
                    SchemaErrorKind::Invalid,
                    pointer,
                    "properties",
                    "must be an object",
                ))
            }
            None => &empty,
        };
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let min = self.count(object, "minProperties", pointer)?.unwrap_or(0);
        let max = self.count(object, "maxProperties", pointer)?;
        let additional = object
            .get("additionalProperties")
            .cloned()
            .unwrap_or(Value::Bool(true));
        let patterns = self.pattern_keys(object, pointer)?;
        // The schema of a named key: its own and every matching pattern's.
        let with_patterns = |name: &str, own: Value| -> Value {
            let Some((keys, schemas)) = &patterns else {
                return own;
            };
            let matching = keys.matching(name);
            if matching.is_empty() {
                return own;
            }
            let mut parts = vec![own];
            parts.extend(matching.iter().map(|&i| schemas[i].1.clone()));
            negate::all_of(parts)
        };
        // Required names without a declared schema get the patterns' or
        // the additional schema.
        let mut members: Vec<(String, Value, bool)> = properties
            .iter()
            .map(|(name, schema)| {
                (
                    name.clone(),
                    with_patterns(name, schema.clone()),
                    required.contains(&name.as_str()),
                )
            })
            .collect();
        for name in &required {
            if !properties.contains_key(*name) {
                let schema = match &patterns {
                    Some((keys, schemas)) if !keys.matching(name).is_empty() => negate::all_of(
                        keys.matching(name)
                            .iter()
                            .map(|&i| schemas[i].1.clone())
                            .collect(),
                    ),
                    _ => additional.clone(),
                };
                members.push((name.to_string(), schema, true));
            }
        }
        let key_names = self.property_names(object, pointer)?;
        if members
            .iter()
            .any(|(name, _, required)| *required && !key_names.allows(name))
        {
            return Ok(Expr::Nothing);
        }
        members.retain(|(name, _, _)| key_names.allows(name));
        let extras_allowed = additional != Value::Bool(false);
        let extra = if let Some((keys, schemas)) = &patterns {
            let names: Vec<&str> = members.iter().map(|(n, _, _)| n.as_str()).collect();
            self.pattern_extras(keys, schemas, &names, &additional, &key_names, pointer)?
        } else if extras_allowed {
            let value = self.schema(&additional, &child(pointer, "additionalProperties"))?;
            let names: Vec<&str> = members.iter().map(|(n, _, _)| n.as_str()).collect();
            let key = self.restrict_key(self.other_key(&names), &key_names, true, pointer)?;
            if value == Expr::Nothing || key == Expr::Nothing {
                None
            } else {
                Some(seq(vec![key, value]))
            }
        } else {
            None
        };
        let mut compiled = Vec::new();
        for (name, schema, is_required) in &members {
            let value = self.schema(schema, &child(&child(pointer, "properties"), name))?;
            if value == Expr::Nothing && *is_required {
                return Ok(Expr::Nothing);
            }
            compiled.push((seq(vec![self.key(name), value]), *is_required));
        }
        if let Some(any_order) = self.any_order(&compiled, &extra, min, max, pointer)? {
            return Ok(any_order);
        }
        self.members(compiled, extra, min, max, pointer)
    }

    /// The object's `patternProperties`, compiled over quoted keys, with
    /// each regex and its schema; `None` without any (or, when lenient,
    /// when rein cannot enforce them: they are then ignored).
    fn pattern_keys(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
    ) -> Result<Option<PatternSchemas>> {
        let patterns = match object.get("patternProperties") {
            Some(Value::Object(p)) if !p.is_empty() => p,
            _ => return Ok(None),
        };
        let mut translated = Vec::new();
        for text in patterns.keys() {
            match pattern::translate(text) {
                Ok(regex) => translated.push(regex),
                Err(message) => {
                    self.unsupported(pointer, "patternProperties", message)?;
                    return Ok(None);
                }
            }
        }
        match keys::PatternKeys::new(&translated) {
            Ok(keys) => Ok(Some((
                keys,
                patterns
                    .iter()
                    .map(|(text, schema)| (text.clone(), schema.clone()))
                    .collect(),
            ))),
            Err(message) => {
                self.unsupported(pointer, "patternProperties", message)?;
                Ok(None)
            }
        }
    }

    /// The members other than `names`, key class by key class: keys that
    /// match some patterns get all their schemas, keys that match none get
    /// `additional`. `None` when no extra member is possible.
    fn pattern_extras(
        &mut self,
        keys: &keys::PatternKeys,
        schemas: &[(String, Value)],
        names: &[&str],
        additional: &Value,
        key_names: &property_names::KeyNames,
        pointer: &str,
    ) -> Result<Option<Expr>> {
        let unmatched = additional != &Value::Bool(false);
        let classes = match keys.classes(names, unmatched) {
            Ok(classes) => classes,
            Err(message) => {
                self.unsupported(pointer, "patternProperties", message)?;
                // Lenient: no extra members at all (fewer documents, never
                // an invalid one).
                return Ok(None);
            }
        };
        let colon = self.punct(true, ":", true);
        let mut alternatives = Vec::new();
        for class in classes {
            let (schema, value_pointer) = match class.patterns.as_slice() {
                [] => (additional.clone(), child(pointer, "additionalProperties")),
                [only] => (
                    schemas[*only].1.clone(),
                    child(&child(pointer, "patternProperties"), &schemas[*only].0),
                ),
                several => (
                    negate::all_of(several.iter().map(|&i| schemas[i].1.clone()).collect()),
                    child(pointer, "patternProperties"),
                ),
            };
            let value = self.schema(&schema, &value_pointer)?;
            if value == Expr::Nothing {
                continue;
            }
            let key = match class.patterns.as_slice() {
                // One pattern alone is its own regex, which can join a lexeme.
                [only] if keys.len() == 1 && names.is_empty() && !unmatched => {
                    let key = Expr::Regex(format!("\"{}\"{}", keys.regex(*only), self.colon));
                    self.restrict_key(key, key_names, true, pointer)?
                }
                _ => {
                    let label = format!("{pointer} keys matching {:?}", class.patterns);
                    let key = Expr::Automaton(DfaTerminal::new(label, class.dfa));
                    match self.restrict_key(key, key_names, false, pointer)? {
                        Expr::Nothing => Expr::Nothing,
                        key => seq(vec![key, colon.clone()]),
                    }
                }
            };
            if key == Expr::Nothing {
                continue;
            }
            alternatives.push(seq(vec![key, value]));
        }
        Ok(match alt(alternatives) {
            Expr::Nothing => None,
            extra => Some(extra),
        })
    }

    /// A key (with its colon) that is none of `names`.
    fn other_key(&self, names: &[&str]) -> Expr {
        let any_key = format!("\"{CHAR_UNIT}*\"{}", self.colon);
        if names.is_empty() {
            return Expr::Regex(any_key);
        }
        // Any key minus the names, as an automaton difference: the names'
        // trie and the (memoized) generic key are small to determinize,
        // where one regex spelling out the complement is not.
        let quoted: Vec<String> = names.iter().map(|name| encode_string(name)).collect();
        let regex = RegexConfig::new();
        let products = ProductConfig::new();
        let difference = regex.build(&any_key).and_then(|any| {
            // The names' trie, then anything: no regex to determinize.
            let named =
                products.sequence(&[&ByteDfa::labels(&quoted)?, &regex.build("(?s:.*)")?])?;
            products.build(&[&any], &[&named])
        });
        if let Ok(dfa) = difference {
            return Expr::Automaton(DfaTerminal::new("other key", dfa));
        }
        self.other_key_regex(names)
    }

    /// [`Compiler::other_key`] spelled as one regex (when the automaton
    /// difference is past its limits).
    fn other_key_regex(&self, names: &[&str]) -> Expr {
        // A trie of the names: leave it anywhere with a different character,
        // or stop at a node that ends no name.
        let mut trie: Vec<(std::collections::BTreeMap<char, usize>, bool)> =
            vec![(Default::default(), false)];
        for name in names {
            let mut node = 0;
            for c in name.chars() {
                node = match trie[node].0.get(&c) {
                    Some(&next) => next,
                    None => {
                        trie.push((Default::default(), false));
                        let next = trie.len() - 1;
                        trie[node].0.insert(c, next);
                        next
                    }
                };
            }
            trie[node].1 = true;
        }
        fn walk(trie: &[(std::collections::BTreeMap<char, usize>, bool)], node: usize) -> String {
            use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};
            let (children, terminal) = &trie[node];
            let mut alternatives = Vec::new();
            if !terminal {
                alternatives.push(String::new());
            }
            let plain = children.keys().all(|&c| c >= ' ' && c != '"' && c != '\\');
            if plain {
                // The usual case: the children are plain characters, so
                // "any other character" is one class plus every escape.
                let mut class = String::from(r#"[^"\\\x00-\x1F"#);
                for &c in children.keys() {
                    class.push_str(&regex_syntax::escape(&c.to_string()));
                }
                alternatives.push(format!(
                    r#"(?:{class}]|\\["\\bfnrt]|\\u00[01][0-9a-fA-F]){CHAR_UNIT}*"#
                ));
            } else {
                let mut others =
                    ClassUnicode::new(children.keys().map(|&c| ClassUnicodeRange::new(c, c)));
                others.negate();
                if !others.ranges().is_empty() {
                    alternatives.push(format!(
                        "(?:{}){CHAR_UNIT}*",
                        crate::json_text::encode_class(&others)
                    ));
                }
            }
            for (&c, &next) in children {
                let mut spelled = String::new();
                crate::json_text::encode_char(c, &mut spelled);
                alternatives.push(format!(
                    "{}{}",
                    regex_syntax::escape(&spelled),
                    walk(trie, next)
                ));
            }
            format!("(?:{})", alternatives.join("|"))
        }
        Expr::Regex(format!("\"{}\"{}", walk(&trie, 0), self.colon))
    }

    /// Members in order, optional ones skippable, then extras; the count
    /// of members kept between `min` and `max`.
    fn members(
        &mut self,
        members: Vec<(Expr, bool)>,
        extra: Option<Expr>,
        min: u64,
        max: Option<u64>,
        pointer: &str,
    ) -> Result<Expr> {
        if max.is_some_and(|max| max < min) {
            return Ok(Expr::Nothing);
        }
        // `{}` only when nothing is required.
        let empty_allowed = min == 0 && members.iter().all(|(_, required)| !required);
        let cap = member_cap(min, max, members.len(), extra.is_some());
        if cap > 1000 {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                if max.is_some() {
                    "maxProperties"
                } else {
                    "minProperties"
                },
                "rein counts object members only up to 1000",
            ));
        }
        // State 0 (nothing written yet) and 1 (a comma comes next) always differ.
        let cap = cap.max(1) as usize;
        // state[i][c]: the rest from member i with c members written.
        let mut next: Vec<Expr> = Vec::new();
        // Tail: extras.
        let satisfied = |c: usize| c as u64 >= min;
        let at_max = |c: usize| max.is_some_and(|m| c as u64 >= m);
        let close = self.punct(true, "}", false);
        let tail_rules: Vec<RuleId> = (0..=cap)
            .map(|c| self.new_rule(format!("{pointer} extras {c}"), pointer))
            .collect::<Result<_>>()?;
        for c in (0..=cap).rev() {
            let mut alternatives = Vec::new();
            if satisfied(c) && c > 0 {
                alternatives.push(close.clone());
            }
            if let Some(extra) = &extra {
                if !at_max(c) {
                    let following = Expr::Rule(tail_rules[(c + 1).min(cap)]);
                    let separator = if c == 0 { Expr::Empty } else { self.comma() };
                    alternatives.push(seq(vec![separator, extra.clone(), following]));
                }
            }
            self.rules[tail_rules[c].0 as usize].body = alt(alternatives);
        }
        next.extend(
            tail_rules
                .iter()
                .take(cap + 1)
                .map(|&rule| Expr::Rule(rule)),
        );
        for (member, required) in members.into_iter().rev() {
            let mut current = Vec::with_capacity(cap + 1);
            for c in 0..=cap {
                let mut alternatives = Vec::new();
                if !at_max(c) {
                    let separator = if c == 0 { Expr::Empty } else { self.comma() };
                    alternatives.push(seq(vec![
                        separator,
                        member.clone(),
                        next[(c + 1).min(cap)].clone(),
                    ]));
                }
                if !required {
                    alternatives.push(next[c].clone());
                }
                let body = alt(alternatives);
                // Share big bodies through rules so the size stays linear.
                let id = self.new_rule(format!("{pointer} member {c}"), pointer)?;
                self.rules[id.0 as usize].body = body;
                current.push(Expr::Rule(id));
            }
            next = current;
        }
        // `{` then the members; an empty object closes without a comma rule.
        let open = self.punct(false, "{", true);
        let start = next[0].clone();
        Ok(alt(vec![
            if empty_allowed {
                self.punct(false, "{", false).then_close(self, "}")
            } else {
                Expr::Nothing
            },
            seq(vec![open, start]),
        ]))
    }

    fn array(&mut self, object: &Map<String, Value>, pointer: &str) -> Result<Expr> {
        let min = self.count(object, "minItems", pointer)?.unwrap_or(0);
        let max = self.count(object, "maxItems", pointer)?;
        if max.is_some_and(|max| max < min) {
            return Ok(Expr::Nothing);
        }
        if min > self.limits.repeat {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "minItems",
                format!("more than {} items", self.limits.repeat),
            ));
        }
        if max.is_some_and(|m| m > self.limits.repeat) {
            return Err(error(
                SchemaErrorKind::Limit,
                pointer,
                "maxItems",
                format!("more than {} items", self.limits.repeat),
            ));
        }
        if object.get("uniqueItems") == Some(&Value::Bool(true)) && max.is_none_or(|max| max > 1) {
            if let Some(unique) = self.unique_array(object, min, max)? {
                return Ok(unique);
            }
            self.unsupported(
                pointer,
                "uniqueItems",
                "rein cannot enforce unique array items (only items from a finite set of values)",
            )?;
        }
        if object.contains_key("contains") || object.contains_key(negate::CONTAINS) {
            return self.array_with_contains(object, pointer);
        }
        let (prefix, rest): (Vec<Value>, Value) =
            match (object.get("prefixItems"), object.get("items")) {
                (Some(Value::Array(prefix)), items) => {
                    (prefix.clone(), items.cloned().unwrap_or(Value::Bool(true)))
                }
                (_, Some(Value::Array(prefix))) => (
                    prefix.clone(),
                    object
                        .get("additionalItems")
                        .cloned()
                        .unwrap_or(Value::Bool(true)),
                ),
                (_, Some(items)) => (Vec::new(), items.clone()),
                (_, None) => (Vec::new(), Value::Bool(true)),
            };
        let mut prefix_exprs = Vec::new();
        for (index, schema) in prefix.iter().enumerate() {
            let keyword = if object.contains_key("prefixItems") {
                "prefixItems"
            } else {
                "items"
            };
            prefix_exprs
                .push(self.schema(schema, &child(&child(pointer, keyword), &index.to_string()))?);
        }
        let rest_pointer = if object.get("items").is_some_and(Value::is_array) {
            child(pointer, "additionalItems")
        } else {
            child(pointer, "items")
        };
        let rest = self.schema(&rest, &rest_pointer)?;
        let k = prefix_exprs.len() as u64;
        // tail(j): items j.. when j items are written (j >= 1).
        let tail_from_rest = |me: &Self, j: u64| -> Expr {
            let low = min.saturating_sub(j);
            let high = max.map(|m| m.saturating_sub(j));
            if rest == Expr::Nothing || high == Some(0) {
                return if j >= min { Expr::Empty } else { Expr::Nothing };
            }
            Expr::Repeat {
                inner: Box::new(seq(vec![me.comma(), rest.clone()])),
                min: low as u32,
                max: high.map(|h| h as u32),
            }
        };
        let mut tail = tail_from_rest(self, k.max(1));
        for j in (1..k).rev() {
            if max.is_some_and(|m| j >= m) {
                tail = if j >= min { Expr::Empty } else { Expr::Nothing };
                continue;
            }
            let more = seq(vec![self.comma(), prefix_exprs[j as usize].clone(), tail]);
            tail = if j >= min {
                alt(vec![Expr::Empty, more])
            } else {
                more
            };
        }
        let first = prefix_exprs
            .first()
            .cloned()
            .unwrap_or_else(|| rest.clone());
        let items = if max == Some(0) {
            Expr::Nothing
        } else {
            seq(vec![first, tail])
        };
        Ok(self.bracketed_items(min == 0, items))
    }

    /// An array: `[]` when `may_be_empty`, or `[`, `items` (one or more
    /// items with their commas), `]`.
    fn bracketed_items(&self, may_be_empty: bool, items: Expr) -> Expr {
        let non_empty = match items {
            Expr::Nothing => Expr::Nothing,
            items => seq(vec![
                self.punct(false, "[", true),
                items,
                self.punct(true, "]", false),
            ]),
        };
        alt(vec![
            if may_be_empty {
                self.punct(false, "[", false).then_close(self, "]")
            } else {
                Expr::Nothing
            },
            non_empty,
        ])
    }

    // References and merging --------------------------------------------

    fn resolve(&self, reference: &str, pointer: &str) -> Result<(String, &'a Value)> {
        let fragment = match reference.split_once('#') {
            Some((base, fragment)) => {
                let root_id = self
                    .root
                    .get("$id")
                    .or_else(|| self.root.get("id"))
                    .and_then(Value::as_str);
                if !base.is_empty() && root_id.map(|id| id.trim_end_matches('#')) != Some(base) {
                    return Err(error(
                        SchemaErrorKind::BadReference,
                        pointer,
                        "$ref",
                        format!("{reference:?} points outside this document"),
                    ));
                }
                fragment
            }
            None => {
                return Err(error(
                    SchemaErrorKind::BadReference,
                    pointer,
                    "$ref",
                    format!("{reference:?} points outside this document"),
                ))
            }
        };
        let decoded = crate::references::percent_decode(fragment);
        if !decoded.is_empty() && !decoded.starts_with('/') {
            return Err(error(
                SchemaErrorKind::BadReference,
                pointer,
                "$ref",
                format!("anchor references such as {reference:?} are not supported"),
            ));
        }
        match self.root.pointer(&decoded) {
            Some(target) => Ok((format!("#{decoded}"), target)),
            None => Err(error(
                SchemaErrorKind::BadReference,
                pointer,
                "$ref",
                format!("{reference:?} does not resolve"),
            )),
        }
    }

    fn reference(&mut self, reference: &str, pointer: &str) -> Result<Expr> {
        let (target_pointer, target) = self.resolve(reference, pointer)?;
        if let Some(&id) = self.refs.get(&target_pointer) {
            return Ok(Expr::Rule(id));
        }
        let id = self.new_rule(target_pointer.clone(), &target_pointer)?;
        self.refs.insert(target_pointer.clone(), id);
        let body = self.schema(target, &target_pointer)?;
        self.rules[id.0 as usize].body = body;
        Ok(Expr::Rule(id))
    }

    /// Merges schemas that must all hold into one object, inlining `$ref`s.
    fn merge_all(&mut self, parts: &[Value], pointer: &str) -> Result<Value> {
        let mut merged = Map::new();
        // A stack, so the parts go in reversed: properties keep the order in
        // which the parts list them (documents follow it).
        let mut pending: Vec<Value> = parts.iter().rev().cloned().collect();
        let mut steps = 0;
        while let Some(part) = pending.pop() {
            steps += 1;
            if steps > 256 {
                return Err(error(
                    SchemaErrorKind::Limit,
                    pointer,
                    "allOf",
                    "`allOf`/`$ref` expands more than 256 parts",
                ));
            }
            let mut part = match part {
                Value::Bool(true) => continue,
                Value::Bool(false) => return Ok(Value::Bool(false)),
                Value::Object(object) => object,
                _ => {
                    return Err(error(
                        SchemaErrorKind::Invalid,
                        pointer,
                        "allOf",
                        "a part is not a schema",
                    ))
                }
            };
            // A part's own `unevaluated*` sees only that part's evaluations.
            if let Some(rewritten) = self.without_unevaluated(&part, pointer)? {
                part = rewritten;
            }
            // `then` and `else` mean something only beside their own `if`.
            if !part.contains_key("if") {
                part.remove("then");
                part.remove("else");
            }
            // Two parts' conditions cannot be merged keyword by keyword: a
            // later part's condition becomes its `anyOf` form.
            if ["if", "then", "else"]
                .iter()
                .any(|k| merged.contains_key(*k))
                && part.contains_key("if")
            {
                pending.extend(self.take_condition(&mut part, pointer)?);
            }
            // A part's `$ref` target goes first, then its own keywords, then
            // its nested `allOf` parts in order (pushed in reverse).
            let reference = part.remove("$ref");
            let nested = part.remove("allOf");
            if reference.is_some() || nested.is_some() {
                if let Some(Value::Array(more)) = nested {
                    pending.extend(more.into_iter().rev());
                }
                let mut target = None;
                if let Some(reference) = reference {
                    let reference = reference.as_str().unwrap_or_default().to_string();
                    target = Some(self.resolve(&reference, pointer)?.1.clone());
                    if !self.draft.ref_has_siblings() {
                        part.clear();
                    }
                }
                pending.push(Value::Object(part));
                pending.extend(target);
                continue;
            }
            merged = merge::merge(&merged, &part)
                .map_err(|c| error(SchemaErrorKind::Unsupported, pointer, &c.keyword, c.reason))?;
        }
        // Groups kept aside by the merge come back as one `allOf`, compiled
        // by distributing: {anyOf: [..]} ∧ rest.
        if let Some(Value::Array(groups)) = merged.remove("allOf") {
            // Each group multiplies the branches: bound the product.
            let mut branches: usize = 1;
            for group in &groups {
                let width = group
                    .as_object()
                    .and_then(|g| g.values().next())
                    .and_then(Value::as_array)
                    .map_or(1, Vec::len);
                branches = branches.saturating_mul(width.max(1));
                if branches > MAX_DISTRIBUTED_BRANCHES {
                    return Err(error(
                        SchemaErrorKind::Limit,
                        pointer,
                        "allOf",
                        format!(
                            "the `anyOf`/`oneOf` groups (or conditions) of these `allOf` parts \
                             combine into more than {MAX_DISTRIBUTED_BRANCHES} alternatives"
                        ),
                    ));
                }
            }
            let mut out = Value::Object(merged);
            for group in groups {
                out = distribute(out, group);
            }
            return Ok(out);
        }
        Ok(Value::Object(merged))
    }

    /// Whether no value can match both `a` and `b` (a conservative check:
    /// `false` means "maybe not").
    fn disjoint(&self, a: &Value, b: &Value, depth: usize) -> bool {
        if depth > 8 {
            return false;
        }
        let a = self.follow(a);
        let b = self.follow(b);
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
            return a == &Value::Bool(false) || b == &Value::Bool(false);
        };
        let types = |o: &Map<String, Value>| -> Option<Vec<String>> {
            if let Some(c) = o.get("const") {
                return Some(vec![json_type(c)]);
            }
            if let Some(Value::Array(values)) = o.get("enum") {
                return Some(values.iter().map(json_type).collect());
            }
            let mut names = type_names(o.get("type")?);
            if o.get("nullable") == Some(&Value::Bool(true)) {
                names.push("null".into());
            }
            Some(names)
        };
        if let (Some(ta), Some(tb)) = (types(a), types(b)) {
            let overlap = ta.iter().any(|x| {
                tb.iter().any(|y| {
                    x == y
                        || matches!(
                            (x.as_str(), y.as_str()),
                            ("number", "integer") | ("integer", "number")
                        )
                })
            });
            if !overlap {
                return true;
            }
        }
        let values = |o: &Map<String, Value>| -> Option<Vec<Value>> {
            o.get("const")
                .map(|c| vec![c.clone()])
                .or_else(|| o.get("enum").and_then(Value::as_array).cloned())
        };
        if let (Some(va), Some(vb)) = (values(a), values(b)) {
            if !va.iter().any(|v| vb.contains(v)) {
                return true;
            }
        }
        // Objects told apart by a property both require.
        let required = |o: &Map<String, Value>| -> Vec<String> {
            o.get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let property = |o: &Map<String, Value>, name: &str| {
            o.get("properties").and_then(|p| p.get(name)).cloned()
        };
        let (ra, rb) = (required(a), required(b));
        for name in &ra {
            if let (true, Some(pa), Some(pb)) =
                (rb.contains(name), property(a, name), property(b, name))
            {
                if self.disjoint(&pa, &pb, depth + 1) {
                    return true;
                }
            }
        }
        // A required name the other side forbids.
        let forbids = |o: &Map<String, Value>, name: &str| {
            o.get("additionalProperties") == Some(&Value::Bool(false))
                && property(o, name).is_none()
                && !o.contains_key("patternProperties")
                && o.get("type").is_some_and(|t| type_names(t) == ["object"])
        };
        ra.iter().any(|n| forbids(b, n)) || rb.iter().any(|n| forbids(a, n))
    }

    fn follow<'v>(&'v self, value: &'v Value) -> &'v Value {
        let mut value = value;
        for _ in 0..8 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference)
                    if value.as_object().is_some_and(|o| o.len() == 1)
                        || !self.draft.ref_has_siblings() =>
                {
                    match self.resolve(reference, "#") {
                        Ok((_, target)) => value = target,
                        Err(_) => return value,
                    }
                }
                _ => return value,
            }
        }
        value
    }
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

/// A bound keyword's value as a decimal: integers exactly, other doubles
/// as their shortest decimal (`format!("{}")`). Values past 2^64 are
/// clamped to ±2^64, which leaves every precise spelling on the same side.
fn bound_value(value: &Value) -> Option<numbers::Decimal> {
    const LIMIT: i128 = 1 << 64;
    let number = value.as_number()?;
    if let Some(i) = number.as_i64() {
        return Some(numbers::Decimal::from_i128(i128::from(i)));
    }
    if let Some(u) = number.as_u64() {
        return Some(numbers::Decimal::from_i128(i128::from(u)));
    }
    let f = number.as_f64()?;
    if f.abs() >= LIMIT as f64 || !f.is_finite() {
        return Some(numbers::Decimal::from_i128(if f < 0.0 {
            -LIMIT
        } else {
            LIMIT
        }));
    }
    if f.fract() == 0.0 {
        return Some(numbers::Decimal::from_i128(f as i128));
    }
    numbers::Decimal::parse(&format!("{f}"))
}

/// Bounds on integers: the smallest allowed integer at or above `low`,
/// the largest at or below `high`.
fn integer_bounds(
    low: Option<&numbers::Bound>,
    high: Option<&numbers::Bound>,
) -> (Option<i128>, Option<i128>) {
    let low = low.and_then(|l| {
        let ceil = l.value.ceil()?;
        Some(if !l.inclusive && l.value.is_integer() {
            ceil + 1
        } else {
            ceil
        })
    });
    let high = high.and_then(|h| {
        let floor = h.value.floor()?;
        Some(if !h.inclusive && h.value.is_integer() {
            floor - 1
        } else {
            floor
        })
    });
    (low, high)
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// For `multipleOf` = numerator / 10^places: `q` when every multiple of
/// 2^-q is one too (10^-q, 2^-q), for q up to 8.
fn binary_places(numerator: u128, places: u32) -> Option<u32> {
    let fits = numerator == 1 || Some(numerator) == 5u128.checked_pow(places);
    (fits && places <= 8).then_some(places)
}

/// The fractions c / 2^q (0 < c < 2^q) as decimal digits after the point,
/// trailing zeros dropped, as regex alternatives.
fn binary_fractions(power: u32) -> String {
    (1..1u128 << power)
        .map(|c| {
            let digits = format!("{:0width$}", c * 5u128.pow(power), width = power as usize);
            digits.trim_end_matches('0').to_string()
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Whether the `jsonschema` crate reads `m` as exactly numerator /
/// 10^places: it scales `m` by 10^p, p = 0, 1, ..., until the product is
/// a whole double, and takes that product over 10^p.
fn checker_fraction(m: f64) -> Option<(u128, u32)> {
    let mut p = 0i32;
    let mut scaled = m;
    while (scaled.floor() - scaled).abs() >= f64::EPSILON {
        p += 1;
        scaled = m * 10f64.powi(p);
        if scaled.is_infinite() || p > 30 {
            return None;
        }
    }
    // Reduce N / 10^p by common factors of ten.
    let mut numerator = scaled as u128;
    let mut places = p as u32;
    while places > 0 && numerator % 10 == 0 {
        numerator /= 10;
        places -= 1;
    }
    Some((numerator, places))
}

/// `units` × 10^-places as a plain decimal (`450`, 2 → `4.5`).
fn scaled_text(units: i128, places: u32) -> String {
    let value = numbers::Decimal::from_i128(units);
    value.shifted_down(places).to_string()
}

/// Whether `object` carries the private "not an integer" keyword
/// ([`negate::NOT_INTEGER`]).
fn not_integer(object: &Map<String, Value>) -> bool {
    object.get(negate::NOT_INTEGER) == Some(&Value::Bool(true))
}

/// The most members an object's count must tell apart: `maxProperties`,
/// or `minProperties` without it, and no more than the `named` members
/// when no other member may come.
pub(super) fn member_cap(min: u64, max: Option<u64>, named: usize, extras: bool) -> u64 {
    let cap = max.unwrap_or(min);
    if extras {
        cap
    } else {
        cap.min(named as u64)
    }
}

/// What the private negation keywords of one schema object exclude
/// ([`negate::NOT_VALUES`], [`negate::NOT_PATTERNS`]).
struct Exclusions {
    values: Vec<Value>,
    /// Each pattern translated to a regex over string contents, with its
    /// automaton over the quoted string to test `enum` values against.
    patterns: Vec<(String, ByteDfa)>,
}

impl Exclusions {
    fn of(object: &Map<String, Value>, pointer: &str) -> Result<Exclusions> {
        let values = object
            .get(negate::NOT_VALUES)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut patterns = Vec::new();
        for pattern in object
            .get(negate::NOT_PATTERNS)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = pattern.as_str().unwrap_or_default();
            let regex = pattern::translate(text)
                .map_err(|message| error(SchemaErrorKind::Unsupported, pointer, "not", message))?;
            let dfa = RegexConfig::new()
                .build(&format!("\"(?:{regex})\""))
                .map_err(|problem| {
                    error(
                        SchemaErrorKind::Unsupported,
                        pointer,
                        "not",
                        format!("cannot compile pattern {text:?}: {problem}"),
                    )
                })?;
            patterns.push((regex, dfa));
        }
        Ok(Exclusions { values, patterns })
    }

    /// Whether `value` is one of the excluded values.
    fn has_value(&self, value: &Value) -> bool {
        self.values
            .iter()
            .any(|excluded| json_equal(excluded, value))
    }

    /// Whether `value` is excluded: listed, or a string matching a pattern.
    fn excludes(&self, value: &Value) -> bool {
        if self.has_value(value) {
            return true;
        }
        let Value::String(text) = value else {
            return false;
        };
        let encoded = encode_string(text);
        self.patterns
            .iter()
            .any(|(_, dfa)| dfa.is_accepting(dfa.next_bytes(dfa.start(), encoded.as_bytes())))
    }

    /// Regexes over string contents matching what is excluded from strings.
    fn string_regexes(&self) -> Vec<String> {
        let mut regexes: Vec<String> = self.patterns.iter().map(|(r, _)| r.clone()).collect();
        for value in &self.values {
            if let Value::String(text) = value {
                let encoded = encode_string(text);
                let contents = &encoded[1..encoded.len() - 1];
                regexes.push(regex_syntax::escape(contents));
            }
        }
        regexes
    }

    /// Regexes matching every spelling without exponent of the excluded
    /// numbers (`1.5`, `1.50`; `2`, `2.0`; `0`, `-0.0`); `None` when one
    /// of them has no plain decimal form.
    fn number_regexes(&self) -> Option<Vec<String>> {
        let mut regexes = Vec::new();
        for value in &self.values {
            let Value::Number(number) = value else {
                continue;
            };
            let decimal = numbers::Decimal::parse(&number.to_string())?;
            let text = regex_syntax::escape(&decimal.to_string());
            regexes.push(if !decimal.is_integer() {
                format!("{text}0*")
            } else if text == "0" {
                r"-?0(?:\.0+)?".to_string()
            } else {
                format!(r"{text}(?:\.0+)?")
            });
        }
        Some(regexes)
    }

    /// Regexes matching the excluded integers as rein spells integers,
    /// with or without a zero fraction (`5`, `5.0`).
    fn integer_regexes(&self) -> Vec<String> {
        self.values
            .iter()
            .filter_map(|value| {
                let number = value.as_number()?;
                let digits = if let Some(i) = number.as_i64() {
                    i.to_string()
                } else if let Some(u) = number.as_u64() {
                    u.to_string()
                } else {
                    let f = number.as_f64()?;
                    if f.fract() != 0.0 || f.abs() >= 9e15 {
                        return None;
                    }
                    format!("{}", f as i64)
                };
                Some(format!(r"{digits}(?:\.0+)?"))
            })
            .collect()
    }
}

/// Whether two JSON numbers are equal as the `jsonschema` crate compares
/// them: integers exactly, an integer and a double exactly by value.
fn numbers_equal(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    let exact = |n: &serde_json::Number| -> Option<i128> {
        if let Some(i) = n.as_i64() {
            return Some(i128::from(i));
        }
        if let Some(u) = n.as_u64() {
            return Some(i128::from(u));
        }
        None
    };
    match (exact(a), exact(b), a.as_f64(), b.as_f64()) {
        (Some(x), Some(y), _, _) => x == y,
        (Some(x), None, _, Some(f)) | (None, Some(x), Some(f), _) => {
            f.fract() == 0.0 && f.abs() < 1.0e38 && f as i128 == x
        }
        (None, None, Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// JSON equality as JSON Schema defines it: numbers by value.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, a)| y.get(key).is_some_and(|b| json_equal(a, b)))
        }
        _ => a == b,
    }
}

/// `patternProperties` compiled over keys, with each regex and its schema.
type PatternSchemas = (keys::PatternKeys, Vec<(String, Value)>);

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

/// `base ∧ group` where `group` is `{anyOf: [...]}` or `{oneOf: [...]}`:
/// the group with `base` merged into each branch by `allOf`.
fn distribute(base: Value, group: Value) -> Value {
    let Value::Object(group) = group else {
        return base;
    };
    let Some((keyword, Value::Array(branches))) = group.into_iter().next() else {
        return base;
    };
    let branches = branches
        .into_iter()
        .map(|branch| merge::all_of(&base, &branch))
        .collect();
    Value::Object(Map::from_iter([(keyword, Value::Array(branches))]))
}

/// Helpers for the empty `{}` / `[]` terminals.
trait Close {
    fn then_close(self, compiler: &Compiler<'_>, close: &str) -> Expr;
}

impl Close for Expr {
    /// `{` directly followed (whitespace allowed) by `}`.
    fn then_close(self, compiler: &Compiler<'_>, close: &str) -> Expr {
        match self {
            Expr::Regex(open) => Expr::Regex(format!(
                "{open}{}{}",
                compiler.ws,
                regex_syntax::escape(close)
            )),
            Expr::Literal(open) => Expr::Literal(format!("{open}{close}")),
            other => seq(vec![other, Expr::Literal(close.to_string())]),
        }
    }
}
