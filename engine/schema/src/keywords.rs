//! Every JSON Schema keyword rein knows, in one table.
//!
//! **Why.** Which keywords exist, in which drafts, whether they assert
//! anything and where their subschemas sit is needed in several places:
//! the compiler refuses an assertion it cannot enforce but ignores an
//! annotation, [`crate::merge`] keeps an annotation's first value but
//! refuses two different assertions, [`Draft::defines`] drops a later
//! draft's keywords, and [`crate::references`] and
//! [`crate::private_keywords`] walk every subschema position. Each of those
//! reads this table ([`KEYWORDS`]), so a keyword is added once, and a
//! newcomer finds the module that handles it in its row.
//!
//! **Trade-off.** The table records what rein does, which is not always
//! what the specifications say: a row's [`Drafts`] are the drafts rein
//! reads the keyword in. `dependencies`, `additionalItems` and
//! `definitions` are read in every draft, and `$recursiveRef` in 2020-12
//! too, although later drafts dropped them (validators ignore them there);
//! `nullable` is OpenAPI's, read in every draft. Keeping the behaviour
//! in the table, rather than the specification, is what lets every list
//! above be derived from it without changing what is accepted.

use crate::draft::Draft;

/// Private keyword: patterns a string must match besides `pattern` (the
/// `pattern`s of other `allOf` parts).
pub(crate) const ALSO_PATTERNS: &str = "x-rein-also-patterns";

/// Private keyword: the value is none of these JSON values.
pub(crate) const NOT_VALUES: &str = "x-rein-not-values";

/// Private keyword: a string matching none of these patterns (each with
/// `pattern`'s search semantics); other types are unaffected.
pub(crate) const NOT_PATTERNS: &str = "x-rein-not-patterns";

/// Private keyword: a string matching none of these formats' supersets
/// ([`crate::formats::superset`]), so valid for none of the formats;
/// other types are unaffected.
pub(crate) const NOT_FORMATS: &str = "x-rein-not-formats";

/// Private keyword: a number whose value is not an integer (written with
/// a fraction, see [`crate::numbers::FRACTION`]).
pub(crate) const NOT_INTEGER: &str = "x-rein-not-integer";

/// Private keyword: `contains` in every draft. Negating `items` gives
/// "some item fails it", which draft 4 has no keyword for.
pub(crate) const CONTAINS: &str = "x-rein-contains";

/// Private keyword: an object with some key that is none of `names` and
/// matches none of `patterns` (`{"names": [..], "patterns": [..]}`): the
/// negation of `additionalProperties: false` beside those `properties`
/// and `patternProperties`.
pub(crate) const SOME_OTHER_KEY: &str = "x-rein-some-other-key";

impl Draft {
    /// Whether `keyword` may assert in this draft: false only for an
    /// assertion rein reads from a later draft on (`if` before draft 7,
    /// `const` before draft 6, …), which is an unknown keyword here and
    /// validators ignore. The drafts come from the table.
    pub fn defines(self, keyword: &str) -> bool {
        find(keyword).is_none_or(|row| !row.kind.asserts() || row.drafts.contains(self))
    }
}

/// One keyword: its name, where it exists, what it is, who handles it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keyword {
    /// The keyword as it is spelled in a schema.
    pub name: &'static str,
    /// The drafts rein reads it in; in others it is an unknown keyword,
    /// which asserts nothing.
    pub drafts: Drafts,
    /// What its value is.
    pub kind: Kind,
    /// The module that handles it, as a path under `engine/schema/src`
    /// without `.rs` (`"compiler/strings"`). For readers: only the tests
    /// read it, checking that the module exists.
    #[cfg_attr(not(test), allow(dead_code))]
    pub module: &'static str,
}

/// A range of drafts, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Drafts {
    /// The first draft with the keyword.
    pub first: Draft,
    /// The last draft with the keyword.
    pub last: Draft,
}

impl Drafts {
    /// Every draft rein knows.
    const ALL: Drafts = Drafts::since(Draft::Draft4);

    /// `first` and every later draft.
    const fn since(first: Draft) -> Drafts {
        Drafts {
            first,
            last: Draft::Draft202012,
        }
    }

    /// `draft` alone.
    const fn only(draft: Draft) -> Drafts {
        Drafts {
            first: draft,
            last: draft,
        }
    }

    /// Whether `draft` is in the range.
    pub fn contains(self, draft: Draft) -> bool {
        self.first <= draft && draft <= self.last
    }
}

/// What a keyword's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A check on the instance itself (`minLength`, `required`, `enum`).
    Assertion,
    /// An applicator: the instance, or parts of it, must match the
    /// subschemas the value holds.
    Applicator(Subschemas),
    /// A reference to a subschema elsewhere (`$ref`).
    Reference,
    /// Subschemas kept for references to name (`$defs`): asserts nothing
    /// itself.
    Definitions,
    /// Names or places a schema (`$schema`, `$id`, anchors): asserts
    /// nothing.
    Identifier,
    /// Describes the instance (`title`, `default`): asserts nothing.
    Annotation,
    /// An `x-rein-*` keyword: written by merging or negation, never read
    /// from a user's schema (see [`crate::private_keywords`]).
    Private,
}

/// Where an applicator's subschemas sit in its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subschemas {
    /// The value is one schema.
    One,
    /// The value is an array of schemas.
    Array,
    /// The value is one schema or an array of them (`items` before
    /// 2020-12; rein reads both forms in every draft).
    OneOrArray,
    /// The value maps names (or patterns) to schemas.
    Map,
}

impl Kind {
    /// Whether a keyword of this kind constrains the instance: rein must
    /// enforce it or refuse it, and two different values of it cannot be
    /// merged by keeping one.
    pub fn asserts(self) -> bool {
        !matches!(
            self,
            Kind::Definitions | Kind::Identifier | Kind::Annotation
        )
    }
}

use Draft::{Draft201909, Draft202012, Draft6, Draft7};
use Kind::{Annotation, Applicator, Assertion, Definitions, Identifier, Private, Reference};
use Subschemas::{Array, Map, One, OneOrArray};

const fn row(name: &'static str, drafts: Drafts, kind: Kind, module: &'static str) -> Keyword {
    Keyword {
        name,
        drafts,
        kind,
        module,
    }
}

/// Every keyword rein knows. A keyword missing here is an extension:
/// it asserts nothing and is ignored in every draft.
#[rustfmt::skip]
pub(crate) const KEYWORDS: &[Keyword] = &[
    // Any type.
    row("type", Drafts::ALL, Assertion, "compiler"),
    row("nullable", Drafts::ALL, Assertion, "compiler"),
    row("enum", Drafts::ALL, Assertion, "compiler/enums"),
    row("const", Drafts::since(Draft6), Assertion, "compiler/enums"),
    // Objects.
    row("properties", Drafts::ALL, Applicator(Map), "compiler/objects"),
    row("required", Drafts::ALL, Assertion, "compiler/objects"),
    row("additionalProperties", Drafts::ALL, Applicator(One), "compiler/objects"),
    row("patternProperties", Drafts::ALL, Applicator(Map), "compiler/objects"),
    row("minProperties", Drafts::ALL, Assertion, "compiler/objects"),
    row("maxProperties", Drafts::ALL, Assertion, "compiler/objects"),
    row("propertyNames", Drafts::since(Draft6), Applicator(One), "compiler/property_names"),
    // Arrays.
    row("items", Drafts::ALL, Applicator(OneOrArray), "compiler/arrays"),
    row("prefixItems", Drafts::since(Draft202012), Applicator(Array), "compiler/arrays"),
    row("additionalItems", Drafts::ALL, Applicator(One), "compiler/arrays"),
    row("minItems", Drafts::ALL, Assertion, "compiler/arrays"),
    row("maxItems", Drafts::ALL, Assertion, "compiler/arrays"),
    row("uniqueItems", Drafts::ALL, Assertion, "compiler/unique"),
    row("contains", Drafts::since(Draft6), Applicator(One), "compiler/contains"),
    row("minContains", Drafts::since(Draft201909), Assertion, "compiler/contains"),
    row("maxContains", Drafts::since(Draft201909), Assertion, "compiler/contains"),
    // Strings.
    row("minLength", Drafts::ALL, Assertion, "compiler/strings"),
    row("maxLength", Drafts::ALL, Assertion, "compiler/strings"),
    row("pattern", Drafts::ALL, Assertion, "compiler/strings"),
    row("format", Drafts::ALL, Assertion, "compiler/strings"),
    // Numbers.
    row("minimum", Drafts::ALL, Assertion, "compiler/numbers"),
    row("maximum", Drafts::ALL, Assertion, "compiler/numbers"),
    row("exclusiveMinimum", Drafts::ALL, Assertion, "compiler/numbers"),
    row("exclusiveMaximum", Drafts::ALL, Assertion, "compiler/numbers"),
    row("multipleOf", Drafts::ALL, Assertion, "compiler/numbers"),
    // Combinators.
    row("allOf", Drafts::ALL, Applicator(Array), "compiler/combine"),
    row("anyOf", Drafts::ALL, Applicator(Array), "compiler/combine"),
    row("oneOf", Drafts::ALL, Applicator(Array), "compiler/combine"),
    // Negation and conditions.
    row("not", Drafts::ALL, Applicator(One), "compiler/conditions"),
    row("if", Drafts::since(Draft7), Applicator(One), "compiler/conditions"),
    row("then", Drafts::since(Draft7), Applicator(One), "compiler/conditions"),
    row("else", Drafts::since(Draft7), Applicator(One), "compiler/conditions"),
    row("dependentRequired", Drafts::since(Draft201909), Assertion, "compiler/conditions"),
    row("dependentSchemas", Drafts::since(Draft201909), Applicator(Map), "compiler/conditions"),
    row("dependencies", Drafts::ALL, Applicator(Map), "compiler/conditions"),
    row("unevaluatedProperties", Drafts::since(Draft201909), Applicator(One), "compiler/unevaluated"),
    row("unevaluatedItems", Drafts::since(Draft201909), Applicator(One), "compiler/unevaluated"),
    // References: resolved to `#/pointer` up front, then followed.
    row("$ref", Drafts::ALL, Reference, "compiler/refs"),
    row("$recursiveRef", Drafts::since(Draft201909), Reference, "references"),
    row("$dynamicRef", Drafts::since(Draft202012), Reference, "references"),
    row("$defs", Drafts::ALL, Definitions, "references"),
    row("definitions", Drafts::ALL, Definitions, "references"),
    row("$schema", Drafts::ALL, Identifier, "draft"),
    row("id", Drafts::only(Draft::Draft4), Identifier, "references"),
    row("$id", Drafts::since(Draft6), Identifier, "references"),
    row("$anchor", Drafts::since(Draft201909), Identifier, "references"),
    row("$recursiveAnchor", Drafts::only(Draft201909), Identifier, "references"),
    row("$dynamicAnchor", Drafts::since(Draft202012), Identifier, "references"),
    // Annotations: the compiler ignores them in every draft.
    row("title", Drafts::ALL, Annotation, "compiler"),
    row("description", Drafts::ALL, Annotation, "compiler"),
    row("default", Drafts::ALL, Annotation, "compiler"),
    row("examples", Drafts::ALL, Annotation, "compiler"),
    row("$comment", Drafts::ALL, Annotation, "compiler"),
    row("readOnly", Drafts::ALL, Annotation, "compiler"),
    row("writeOnly", Drafts::ALL, Annotation, "compiler"),
    row("deprecated", Drafts::ALL, Annotation, "compiler"),
    // rein's own, written by merging and negation in every draft.
    row(ALSO_PATTERNS, Drafts::ALL, Private, "compiler/strings"),
    row(NOT_VALUES, Drafts::ALL, Private, "compiler/enums"),
    row(NOT_PATTERNS, Drafts::ALL, Private, "compiler/enums"),
    row(NOT_FORMATS, Drafts::ALL, Private, "compiler/enums"),
    row(NOT_INTEGER, Drafts::ALL, Private, "compiler/numbers"),
    row(CONTAINS, Drafts::ALL, Private, "compiler/contains"),
    row(SOME_OTHER_KEY, Drafts::ALL, Private, "compiler/objects"),
];

/// `name`'s row, if rein knows it.
pub(crate) fn find(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|keyword| keyword.name == name)
}

/// Whether `name` constrains the instance in some draft: one rein must
/// enforce or refuse. Anything else is an annotation or an extension.
pub(crate) fn asserts(name: &str) -> bool {
    find(name).is_some_and(|keyword| keyword.kind.asserts())
}

/// Whether `name` is one of rein's keywords in `draft`.
pub(crate) fn in_draft(name: &str, draft: Draft) -> bool {
    find(name).is_some_and(|keyword| keyword.drafts.contains(draft))
}

/// Whether `name` is one of rein's private keywords.
pub(crate) fn is_private(name: &str) -> bool {
    find(name).is_some_and(|keyword| keyword.kind == Kind::Private)
}

/// The keywords whose value holds subschemas as `shape` says (`items`,
/// one schema or an array, is in the lists of both).
fn holding(shape: Subschemas) -> impl Iterator<Item = &'static str> {
    KEYWORDS
        .iter()
        .filter(move |keyword| match (keyword.kind, shape) {
            (Kind::Applicator(Subschemas::OneOrArray), One | Array) => true,
            (Kind::Definitions, Map) => true,
            (Kind::Applicator(holds), _) => holds == shape,
            _ => false,
        })
        .map(|keyword| keyword.name)
}

/// Whether `name`'s value is one schema (`not`, `items` as a schema).
pub(crate) fn holds_schema(name: &str) -> bool {
    holding(One).any(|keyword| keyword == name)
}

/// Whether `name`'s value is an array of schemas (`anyOf`, `prefixItems`).
pub(crate) fn holds_schema_array(name: &str) -> bool {
    holding(Array).any(|keyword| keyword == name)
}

/// Whether `name`'s value maps names to schemas (`properties`, `$defs`).
pub(crate) fn holds_schema_map(name: &str) -> bool {
    holding(Map).any(|keyword| keyword == name)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde_json::{json, Value};

    use super::*;

    const DRAFTS: [Draft; 5] = [
        Draft::Draft4,
        Draft::Draft6,
        Draft::Draft7,
        Draft::Draft201909,
        Draft::Draft202012,
    ];

    #[test]
    fn each_keyword_has_one_row_and_an_existing_module() {
        let mut seen = std::collections::HashSet::new();
        for keyword in KEYWORDS {
            assert!(seen.insert(keyword.name), "{} twice", keyword.name);
            assert!(
                keyword.drafts.first <= keyword.drafts.last,
                "{}",
                keyword.name
            );
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src")
                .join(format!("{}.rs", keyword.module));
            assert!(file.is_file(), "{}: no {}", keyword.name, file.display());
        }
    }

    #[test]
    fn the_private_keywords_are_exactly_the_prefixed_rows() {
        for keyword in KEYWORDS {
            let prefixed = keyword.name.starts_with(crate::private_keywords::PREFIX);
            assert_eq!(prefixed, keyword.kind == Kind::Private, "{}", keyword.name);
            assert_eq!(prefixed, is_private(keyword.name), "{}", keyword.name);
        }
        for private in [
            ALSO_PATTERNS,
            NOT_VALUES,
            NOT_PATTERNS,
            NOT_FORMATS,
            NOT_INTEGER,
            CONTAINS,
            SOME_OTHER_KEY,
        ] {
            assert!(is_private(private) && asserts(private), "{private}");
        }
    }

    #[test]
    fn every_assertion_is_handled_by_the_plain_walk_or_rewritten_before_it() {
        let rewritten = [
            "$ref",
            "$recursiveRef",
            "$dynamicRef",
            "allOf",
            "anyOf",
            "oneOf",
            "if",
            "dependentRequired",
            "dependentSchemas",
            "dependencies",
            "unevaluatedProperties",
            "unevaluatedItems",
        ];
        let plain = crate::compiler::PLAIN_KEYWORDS;
        for name in plain.iter().chain(&rewritten) {
            assert!(asserts(name), "{name} is not an assertion in the table");
        }
        for keyword in KEYWORDS.iter().filter(|k| k.kind.asserts()) {
            let handled = plain.contains(&keyword.name)
                || rewritten.contains(&keyword.name)
                || keyword.kind == Kind::Private;
            assert!(handled, "nothing handles {}", keyword.name);
        }
    }

    #[test]
    fn assertions_once_introduced_stay() {
        // `Draft::defines` drops only a later draft's assertions.
        for keyword in KEYWORDS.iter().filter(|k| k.kind.asserts()) {
            assert_eq!(keyword.drafts.last, Draft::Draft202012, "{}", keyword.name);
            for draft in DRAFTS {
                assert_eq!(
                    draft.defines(keyword.name),
                    keyword.drafts.contains(draft),
                    "{} in {draft:?}",
                    keyword.name
                );
            }
        }
        for draft in DRAFTS {
            assert!(draft.defines("title") && draft.defines("x-unknown"));
        }
        assert!(!Draft::Draft6.defines("if") && Draft::Draft7.defines("if"));
        assert!(!Draft::Draft4.defines("const") && Draft::Draft6.defines("const"));
        assert!(!Draft::Draft201909.defines("prefixItems"));
    }

    /// `keyword`'s value holding `schema` in each shape the table gives.
    fn placed(keyword: &Keyword, schema: &Value) -> Vec<Value> {
        let one = schema.clone();
        let array = json!([schema]);
        let map = json!({ "a": schema });
        match keyword.kind {
            Kind::Applicator(Subschemas::One) => vec![one],
            Kind::Applicator(Subschemas::Array) => vec![array],
            Kind::Applicator(Subschemas::OneOrArray) => vec![one, array],
            Kind::Applicator(Subschemas::Map) | Kind::Definitions => vec![map],
            _ => vec![one, array, map],
        }
    }

    #[test]
    fn references_and_private_keywords_walk_exactly_the_subschema_positions() {
        let reference = json!({ "$ref": "root.json#/target" });
        let private = json!({ NOT_INTEGER: true });
        for keyword in KEYWORDS.iter().filter(|k| k.kind != Kind::Private) {
            let holds = matches!(keyword.kind, Kind::Applicator(_) | Kind::Definitions);
            for value in placed(keyword, &reference) {
                let document = json!({
                    "$id": "https://example.com/root.json",
                    "target": true,
                    keyword.name: value,
                });
                let rewritten = crate::references::with_pointer_refs(&document, Draft::Draft202012);
                let found = rewritten.to_string().contains("\"#/target\"");
                assert_eq!(found, holds, "`$ref` under {} in {value}", keyword.name);
            }
            for value in placed(keyword, &private) {
                let document = json!({ keyword.name: value });
                let stripped =
                    crate::private_keywords::without_private_keywords(Cow::Borrowed(&document));
                let kept = stripped.to_string().contains(NOT_INTEGER);
                assert_eq!(
                    kept, !holds,
                    "private keyword under {} in {value}",
                    keyword.name
                );
            }
        }
    }
}
