//! rein's private keywords never come from the user's schema.
//!
//! `allOf` merging and negation write what JSON Schema has no keyword for —
//! "none of these values", "none of these patterns", "not an integer",
//! "these patterns too" — as `x-rein-*` keywords in the schemas they build,
//! and the compiler reads them back. A user's schema may carry any unknown
//! keyword, those names included, and an unknown keyword changes nothing a
//! validator accepts. So before compiling, every `x-rein-*` keyword at a
//! schema position of the user's document is removed; property names,
//! `const` and `enum` values and other data are not schema positions and
//! keep theirs. A `$ref` into a removed keyword's value names nothing
//! afterwards and is refused like any other dangling reference.

use std::borrow::Cow;

use serde_json::Value;

use crate::references::{escape, SCHEMA_ARRAY_KEYWORDS, SCHEMA_KEYWORDS, SCHEMA_MAP_KEYWORDS};

/// What every private keyword's name starts with.
pub(crate) const PREFIX: &str = "x-rein-";

/// Every private keyword the compiler reads.
pub(crate) const KEYWORDS: [&str; 5] = [
    crate::merge::ALSO_PATTERNS,
    crate::negate::NOT_VALUES,
    crate::negate::NOT_PATTERNS,
    crate::negate::NOT_INTEGER,
    crate::negate::CONTAINS,
];

/// `document` without private keywords at its schema positions; borrowed
/// when it has none.
pub(crate) fn without_private_keywords(document: Cow<'_, Value>) -> Cow<'_, Value> {
    let mut found = Vec::new();
    find(&document, String::new(), &mut found);
    if found.is_empty() {
        return document;
    }
    let mut document = document.into_owned();
    for pointer in found {
        if let Some(Value::Object(schema)) = document.pointer_mut(&pointer) {
            schema.retain(|keyword, _| !keyword.starts_with(PREFIX));
        }
    }
    Cow::Owned(document)
}

/// Collects the pointers of the schemas under `schema` (itself included)
/// that carry a private keyword.
fn find(schema: &Value, pointer: String, found: &mut Vec<String>) {
    let Value::Object(object) = schema else {
        return;
    };
    if object.keys().any(|keyword| keyword.starts_with(PREFIX)) {
        found.push(pointer.clone());
    }
    for (keyword, value) in object {
        let here = format!("{pointer}/{}", escape(keyword));
        let keyword = keyword.as_str();
        if SCHEMA_KEYWORDS.contains(&keyword) && !value.is_array() {
            find(value, here.clone(), found);
        }
        if SCHEMA_ARRAY_KEYWORDS.contains(&keyword) {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                find(item, format!("{here}/{i}"), found);
            }
        }
        if SCHEMA_MAP_KEYWORDS.contains(&keyword) {
            for (name, item) in value.as_object().into_iter().flatten() {
                find(item, format!("{here}/{}", escape(name)), found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_compilers_keywords_have_the_prefix_and_assert() {
        for keyword in KEYWORDS {
            assert!(keyword.starts_with(PREFIX), "{keyword}");
            assert!(crate::compiler::ASSERTIONS.contains(&keyword), "{keyword}");
        }
    }

    #[test]
    fn only_schema_positions_lose_them() {
        let schema = json!({
            "x-rein-not-values": ["a"],
            "properties": {
                "x-rein-not-values": {"const": {"x-rein-not-integer": true}},
                "b": {"items": [{"x-rein-also-patterns": ["^a"]}]}
            },
            "enum": [{"x-rein-not-patterns": ["x"]}]
        });
        let stripped = without_private_keywords(Cow::Borrowed(&schema)).into_owned();
        assert_eq!(
            stripped,
            json!({
                "properties": {
                    "x-rein-not-values": {"const": {"x-rein-not-integer": true}},
                    "b": {"items": [{}]}
                },
                "enum": [{"x-rein-not-patterns": ["x"]}]
            })
        );
        let plain = json!({"type": "string"});
        assert!(matches!(
            without_private_keywords(Cow::Borrowed(&plain)),
            Cow::Borrowed(_)
        ));
    }
}
