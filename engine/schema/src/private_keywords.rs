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

use crate::keywords;
use crate::references::escape;

/// What every private keyword's name starts with.
pub(crate) const PREFIX: &str = "x-rein-";

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
        if keywords::holds_schema(keyword) && !value.is_array() {
            find(value, here.clone(), found);
        }
        if keywords::holds_schema_array(keyword) {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                find(item, format!("{here}/{i}"), found);
            }
        }
        if keywords::holds_schema_map(keyword) {
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
