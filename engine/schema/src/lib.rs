//! JSON Schema → rein grammar IR, and output validation.
//!
//! rein-schema compiles a JSON Schema (drafts 4, 6, 7, 2019-09 and 2020-12,
//! picked by `$schema`, [`Options::default_draft`] without it) into a [`rein_core::grammar::Grammar`]
//! whose language is the set of JSON texts that validate — exactly, or the
//! compile fails with an error naming the keyword and its JSON pointer. The
//! trade-off is deliberate: a keyword rein cannot enforce (`uniqueItems`,
//! `contains`, overlapping `oneOf` branches, …) is refused rather than
//! silently dropped, unless [`Options::lenient`] asks to drop it and list
//! it in [`CompiledSchema::ignored`].
//!
//! Generated documents are canonical where the schema does not care:
//! properties in schema order, strings in the common escape-minimal
//! encoding, bounded whitespace ([`Whitespace`]). Every output can be
//! checked independently with [`Validator`] (the `jsonschema` crate).
//! Checking documents written elsewhere, whose members come in another
//! order, is what [`PropertyOrder::Any`] is for.
//!
//! ```
//! use rein_schema::{compile, Options};
//! let schema = serde_json::json!({"type": "object",
//!     "properties": {"age": {"type": "integer", "minimum": 0}}, "required": ["age"]});
//! let compiled = compile(&schema, &Options::default()).unwrap();
//! assert!(compiled.ignored().is_empty());
//! ```
//!
//! Public modules: [`extractive`] (strings copied from a document) and
//! [`formats`] (which `format`s rein enforces, and their regexes); the
//! MaskBench protocol lives in the `rein-bench` crate. Inside, the compiler walks
//! schemas (`compiler`, one module per JSON type and rewrite), reading the
//! keyword table (`keywords`: every keyword, its drafts, its kind and the
//! module that handles it); `merge` intersects `allOf` parts and `negate`
//! rewrites `not` and conditions; `json_text`, `pattern`, `numbers` and
//! `formats` build the regex terminals, `lengths` intersects them where
//! one string has several, and `keys` splits object keys by
//! `patternProperties`; `references` and `private_keywords` prepare the
//! document; `validate` wraps `jsonschema` ([`Validator`]).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod compiler;
mod draft;
mod error;
pub mod extractive;
pub mod formats;
mod json_text;
mod keys;
mod keywords;
mod lengths;
mod merge;
mod negate;
mod numbers;
mod pattern;
mod private_keywords;
mod references;
mod validate;
mod values;

use rein_core::grammar::{Expr, Grammar, GrammarError, GrammarErrorKind, Origin, Rule, RuleId};
use rein_core::{Constraint, Engine};
use serde_json::Value;

pub use draft::Draft;
pub use error::{Ignored, SchemaError, SchemaErrorKind};
pub use json_text::python_dumps;
pub use validate::Validator;

/// Whitespace between JSON tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whitespace {
    /// Spaces, tabs and newlines wherever JSON allows them, at most `max`
    /// in a row, so a model cannot loop on whitespace forever.
    Flexible {
        /// The longest run of whitespace. Default 20.
        max: u32,
    },
    /// No whitespace at all: `{"a":1,"b":[1,2]}`.
    Compact,
    /// One space after each comma and colon, none elsewhere, as Python's
    /// `json.dumps` writes: `{"a": 1, "b": [1, 2]}`.
    Spaced,
}

/// The order in which an object's named members (its `properties`, and
/// `required` names without a schema) may come.
///
/// JSON Schema does not order members; rein's grammar does by default,
/// because a fixed order is the canonical one to generate in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyOrder {
    /// Named members in `properties` order (required names without a
    /// schema after them), then any other members. The default: the
    /// canonical order for generation.
    Schema,
    /// Named members in any order, each at most once, in an object with at
    /// most `max_properties` named members that can appear; `required`,
    /// `minProperties` and `maxProperties` stay exact, and other members
    /// (`additionalProperties`, `patternProperties`) may come between the
    /// named ones. The recognizer tracks the members written (see
    /// [`rein_core::grammar::MemberList`]), so the grammar stays about the
    /// size of schema order's however many members an object has.
    ///
    /// An object with more named members than `max_properties` keeps
    /// schema order: it then accepts fewer documents than the schema
    /// allows, never one it forbids.
    Any {
        /// The most named members an object may have and still take them
        /// in any order ([`PropertyOrder::any`] sets no limit).
        max_properties: usize,
    },
}

impl PropertyOrder {
    /// [`PropertyOrder::Any`] for objects of any size.
    pub fn any() -> PropertyOrder {
        PropertyOrder::Any {
            max_properties: usize::MAX,
        }
    }

    /// [`PropertyOrder::any`] when `any` is set, else
    /// [`PropertyOrder::Schema`]: what an `--any-order` flag asks for.
    pub fn any_when(any: bool) -> PropertyOrder {
        if any {
            PropertyOrder::any()
        } else {
            PropertyOrder::Schema
        }
    }
}

/// Compile options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Whitespace between tokens. Default: flexible, at most 20 in a row.
    pub whitespace: Whitespace,
    /// Skip keywords rein cannot enforce (listed in
    /// [`CompiledSchema::ignored`]) instead of failing. Default off: the
    /// grammar is then exactly the schema.
    pub lenient: bool,
    /// Compile `oneOf` as `anyOf` when its branches may overlap and rein
    /// cannot write "exactly one" as a schema (overlapping branches are
    /// otherwise made exclusive by negating the others). Default off (an
    /// error).
    pub one_of_as_any_of: bool,
    /// How deep schemas may nest, counting `$ref` and `allOf` expansion.
    /// Default 128; deeper schemas are an error, never a stack overflow.
    pub max_depth: usize,
    /// The most grammar rules a schema may need. Default 200,000.
    pub max_rules: usize,
    /// The most values in one `enum`. Default 200,000.
    pub max_enum_values: usize,
    /// The largest `minItems`/`maxItems` enforced. Default 10,000.
    pub max_items: u64,
    /// The largest `minLength`/`maxLength` enforced. Default 1,048,576. A
    /// plain string costs a grammar production per 1,024 characters of its
    /// bound; one also held to a `pattern` or `format` is a product
    /// automaton, refused past 150,000 states (about 10,000 characters).
    pub max_string_length: u64,
    /// The time compiling the schema into grammar rules may take (the
    /// rewrites of `allOf`, `oneOf` and conditions can multiply a schema).
    /// Default 10 s; past it the compile fails with a limit error.
    pub max_compile_time: std::time::Duration,
    /// The order of an object's named members. Default
    /// [`PropertyOrder::Schema`].
    pub property_order: PropertyOrder,
    /// A document that free strings must be copied from (see
    /// [`extractive`]): every string without `enum`, `const`, `pattern` or
    /// `format` is then a substring of it. Default `None`.
    pub extractive: Option<std::sync::Arc<str>>,
    /// The draft a schema without `$schema` is read as. Default 2020-12.
    pub default_draft: Draft,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            whitespace: Whitespace::Flexible { max: 20 },
            extractive: None,
            lenient: false,
            one_of_as_any_of: false,
            max_depth: 128,
            max_rules: 200_000,
            max_enum_values: 200_000,
            max_items: 10_000,
            max_string_length: 1 << 20,
            max_compile_time: std::time::Duration::from_secs(10),
            property_order: PropertyOrder::Schema,
            default_draft: Draft::Draft202012,
        }
    }
}

/// A compiled schema: its grammar and what was ignored.
#[derive(Clone, Debug)]
pub struct CompiledSchema {
    grammar: Grammar,
    ignored: Vec<Ignored>,
    draft: Draft,
}

impl CompiledSchema {
    /// The grammar whose language is the schema's valid documents.
    pub fn grammar(&self) -> &Grammar {
        &self.grammar
    }

    /// Keywords skipped under [`Options::lenient`] (empty otherwise).
    pub fn ignored(&self) -> &[Ignored] {
        &self.ignored
    }

    /// The draft the schema was read as.
    pub fn draft(&self) -> Draft {
        self.draft
    }

    /// The grammar as a constraint compiled by `engine` (over its
    /// vocabulary, sharing its caches).
    pub fn constraint(&self, engine: &Engine) -> Result<Constraint, SchemaError> {
        engine
            .from_grammar(&self.grammar, "JSON schema")
            .map_err(grammar_error)
    }
}

/// Compiles `schema` into a grammar.
pub fn compile(schema: &Value, options: &Options) -> Result<CompiledSchema, SchemaError> {
    let limits = compiler::Limits {
        depth: options.max_depth,
        rules: options.max_rules,
        enum_values: options.max_enum_values,
        repeat: options.max_items,
        string_length: options.max_string_length,
        time: options.max_compile_time,
    };
    let document = private_keywords::without_private_keywords(references::with_pointer_refs(
        schema,
        Draft::of(schema, options.default_draft),
    ));
    let mut compiler = compiler::Compiler::new(&document, options, limits);
    let draft = compiler.draft();
    let root = compiler.schema(&document, "#")?;
    let mut rules = std::mem::take(&mut compiler.rules);
    let ignored = std::mem::take(&mut compiler.ignored);
    rules.push(Rule {
        name: "root".to_string(),
        body: root,
        origin: Origin::Pointer("#".to_string()),
    });
    let root = RuleId(rules.len() as u32 - 1);
    prune_unproductive(&mut rules);
    if rules[root.0 as usize].body == Expr::Nothing {
        return Err(SchemaError::new(
            SchemaErrorKind::Unsatisfiable,
            "#",
            "",
            "no JSON value satisfies the schema (or a `$ref` cycle has no base case)",
        ));
    }
    let grammar = Grammar::from_rules(rules, root).map_err(grammar_error)?;
    Ok(CompiledSchema {
        grammar,
        ignored,
        draft,
    })
}

/// A grammar error about rules compiled from the schema, at the pointer of
/// the schema part its rule came from: limits stay limits, everything else
/// is a failed grammar check.
fn grammar_error(error: GrammarError) -> SchemaError {
    let pointer = match error.origin() {
        Origin::Pointer(pointer) => pointer.as_str(),
        _ => "#",
    };
    let kind = match error.kind() {
        GrammarErrorKind::Limit => SchemaErrorKind::Limit,
        _ => SchemaErrorKind::Grammar,
    };
    SchemaError::new(kind, pointer, "", error.message())
}

/// Replaces references to rules that derive nothing by `Nothing`, and
/// simplifies, so that only productive rules stay reachable.
fn prune_unproductive(rules: &mut [Rule]) {
    let mut productive = vec![false; rules.len()];
    loop {
        let mut changed = false;
        for (index, rule) in rules.iter().enumerate() {
            if !productive[index] && derives(&rule.body, &productive) {
                productive[index] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for rule in rules.iter_mut() {
        let body = std::mem::replace(&mut rule.body, Expr::Nothing);
        rule.body = without_dead(body, &productive);
    }
}

fn derives(expression: &Expr, productive: &[bool]) -> bool {
    match expression {
        Expr::Nothing => false,
        Expr::Rule(id) => productive[id.0 as usize],
        Expr::Sequence(items) => items.iter().all(|i| derives(i, productive)),
        Expr::Alternation(items) => items.iter().any(|i| derives(i, productive)),
        Expr::Repeat { inner, min, .. } => *min == 0 || derives(inner, productive),
        Expr::AnyOrder(list) => list.derives(|part| derives(part, productive)),
        _ => true,
    }
}

fn without_dead(expression: Expr, productive: &[bool]) -> Expr {
    match expression {
        Expr::Rule(id) if !productive[id.0 as usize] => Expr::Nothing,
        Expr::Sequence(items) => compiler::seq(
            items
                .into_iter()
                .map(|i| without_dead(i, productive))
                .collect(),
        ),
        Expr::Alternation(items) => compiler::alt(
            items
                .into_iter()
                .map(|i| without_dead(i, productive))
                .collect(),
        ),
        Expr::Repeat { inner, min, max } => match without_dead(*inner, productive) {
            Expr::Nothing if min == 0 => Expr::Empty,
            Expr::Nothing => Expr::Nothing,
            inner => Expr::Repeat {
                inner: Box::new(inner),
                min,
                max,
            },
        },
        Expr::AnyOrder(list) => {
            let list = std::sync::Arc::unwrap_or_clone(list);
            let named: Vec<(Expr, bool)> = list
                .named
                .into_iter()
                .map(|(member, required)| (without_dead(member, productive), required))
                .collect();
            if named
                .iter()
                .any(|(m, required)| *required && *m == Expr::Nothing)
            {
                return Expr::Nothing;
            }
            let named = named
                .into_iter()
                .filter(|(member, _)| *member != Expr::Nothing)
                .collect();
            let list = rein_core::grammar::MemberList {
                named,
                extra: list
                    .extra
                    .map(|extra| without_dead(extra, productive))
                    .filter(|extra| *extra != Expr::Nothing),
                ..list
            };
            if list.derives(|part| derives(part, productive)) {
                Expr::AnyOrder(std::sync::Arc::new(list))
            } else {
                Expr::Nothing
            }
        }
        other => other,
    }
}
