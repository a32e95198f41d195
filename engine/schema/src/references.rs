//! In-document references: every `$ref` rewritten to the JSON pointer of
//! its target before compiling.
//!
//! A `$ref` is a URI reference resolved against the base URI in force where
//! it sits: the document's, changed by each enclosing `$id` (`id` in draft
//! 4). Its target is a schema resource (an `$id`) plus a fragment, either a
//! JSON pointer into that resource or an anchor (`$anchor`,
//! `$dynamicAnchor`, or an `$id` of the form `#name` before 2019-09).
//! Resolving all of that once, up front, turns every reference into
//! `#/pointer/from/the/root`, so the compiler — which merges and rewrites
//! subschemas, losing where each came from — only ever follows plain
//! pointers.
//!
//! Dynamic references are made static where the document leaves one
//! answer: `$recursiveRef` when the resource it names has no
//! `$recursiveAnchor`, or the root has one (the root is the outermost
//! scope of every evaluation); `$dynamicRef` likewise with
//! `$dynamicAnchor`. Any other dynamic reference, and any reference to a
//! document outside this one, is left as written for the compiler to
//! refuse.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};
use url::Url;

use crate::draft::Draft;
use crate::keywords;

/// The base URI of a document without `$id`.
const DOCUMENT_BASE: &str = "rein-document:///root.json";

/// Where resources and anchors are, by absolute URI.
#[derive(Default)]
struct Index {
    /// A resource's URI (no fragment) → its pointer.
    resources: HashMap<String, String>,
    /// (resource URI, anchor name) → pointer.
    anchors: HashMap<(String, String), String>,
    /// `$dynamicAnchor` name → (resource URI, pointer) of each.
    dynamic_anchors: HashMap<String, Vec<(String, String)>>,
    /// Resources with `$recursiveAnchor: true`.
    recursive_anchors: Vec<String>,
    /// Each reference: (pointer of its schema, keyword, base URI, its
    /// resource's URI).
    sites: Vec<Site>,
}

struct Site {
    pointer: String,
    keyword: &'static str,
    base: Url,
    resource: String,
}

/// `root` with every `$ref` (and every dynamic reference with one static
/// answer) rewritten to `#` + the JSON pointer of its target; borrowed
/// when nothing changes.
pub(crate) fn with_pointer_refs(root: &Value, draft: Draft) -> Cow<'_, Value> {
    let Ok(base) = Url::parse(DOCUMENT_BASE) else {
        return Cow::Borrowed(root);
    };
    let mut index = Index::default();
    index.walk(root, String::new(), &base, DOCUMENT_BASE, draft);
    let root_resource = resource_key(&base_of(root, &base, draft));
    let mut rewrites: Vec<(String, &'static str, String)> = Vec::new();
    for site in &index.sites {
        let Some(Value::String(reference)) = root
            .pointer(&site.pointer)
            .and_then(|schema| schema.get(site.keyword))
        else {
            continue;
        };
        let target = match site.keyword {
            "$ref" => index.resolve(reference, &site.base, root),
            "$recursiveRef" => index.recursive(reference, site, &root_resource, root),
            _ => index.dynamic(reference, &site.base, &root_resource, root),
        };
        if let Some(target) = target {
            let written = format!("#{}", target.replace('%', "%25"));
            if site.keyword != "$ref" || written != *reference {
                rewrites.push((site.pointer.clone(), site.keyword, written));
            }
        }
    }
    if rewrites.is_empty() {
        return Cow::Borrowed(root);
    }
    let mut document = root.clone();
    for (pointer, keyword, written) in rewrites {
        let Some(Value::Object(schema)) = document.pointer_mut(&pointer) else {
            continue;
        };
        if keyword == "$ref" {
            schema.insert("$ref".to_string(), Value::String(written));
            continue;
        }
        // A dynamic reference becomes a `$ref`, beside any `$ref` already
        // there through `allOf`.
        schema.remove(keyword);
        let reference = Value::Object(Map::from_iter([(
            "$ref".to_string(),
            Value::String(written),
        )]));
        if schema.contains_key("$ref") {
            match schema
                .entry("allOf")
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(parts) => parts.push(reference),
                _ => continue,
            }
        } else if let Value::Object(reference) = reference {
            schema.extend(reference);
        }
    }
    Cow::Owned(document)
}

/// The base URI of `schema` (its `$id` resolved against `base`), or `base`.
fn base_of(schema: &Value, base: &Url, draft: Draft) -> Url {
    own_id(schema, draft)
        .and_then(|id| base.join(id).ok())
        .unwrap_or_else(|| base.clone())
}

/// The `$id` that changes `schema`'s base URI, if any: `id` in draft 4;
/// ignored beside `$ref` before 2019-09, and when it is only a fragment.
fn own_id(schema: &Value, draft: Draft) -> Option<&str> {
    let keyword = if keywords::in_draft("id", draft) {
        "id"
    } else {
        "$id"
    };
    let id = schema.get(keyword)?.as_str()?;
    if !draft.ref_has_siblings() && schema.get("$ref").is_some() {
        return None;
    }
    (!id.starts_with('#')).then_some(id)
}

/// A URI without its fragment, as the index keys resources.
fn resource_key(uri: &Url) -> String {
    let mut uri = uri.clone();
    uri.set_fragment(None);
    uri.to_string()
}

impl Index {
    fn walk(&mut self, schema: &Value, pointer: String, base: &Url, resource: &str, draft: Draft) {
        let Value::Object(object) = schema else {
            return;
        };
        let base = base_of(schema, base, draft);
        let mut resource = resource.to_string();
        if own_id(schema, draft).is_some() || pointer.is_empty() {
            resource = resource_key(&base);
            self.resources
                .entry(resource.clone())
                .or_insert_with(|| pointer.clone());
        }
        self.anchors(object, &pointer, &resource, draft);
        for keyword in ["$ref", "$recursiveRef", "$dynamicRef"] {
            if object.get(keyword).is_some_and(Value::is_string) {
                self.sites.push(Site {
                    pointer: pointer.clone(),
                    keyword,
                    base: base.clone(),
                    resource: resource.clone(),
                });
            }
        }
        for (keyword, value) in object {
            let here = format!("{pointer}/{}", escape(keyword));
            let keyword = keyword.as_str();
            if keywords::holds_schema(keyword) && !value.is_array() {
                self.walk(value, here.clone(), &base, &resource, draft);
            }
            if keywords::holds_schema_array(keyword) {
                for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                    self.walk(item, format!("{here}/{i}"), &base, &resource, draft);
                }
            }
            if keywords::holds_schema_map(keyword) {
                for (name, item) in value.as_object().into_iter().flatten() {
                    let at = format!("{here}/{}", escape(name));
                    self.walk(item, at, &base, &resource, draft);
                }
            }
        }
    }

    fn anchors(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
        resource: &str,
        draft: Draft,
    ) {
        let mut named = |name: &str| {
            self.anchors
                .entry((resource.to_string(), name.to_string()))
                .or_insert_with(|| pointer.to_string());
        };
        if keywords::in_draft("$anchor", draft) {
            if let Some(name) = object.get("$anchor").and_then(Value::as_str) {
                named(name);
            }
        } else {
            let keyword = if keywords::in_draft("id", draft) {
                "id"
            } else {
                "$id"
            };
            let plain_name = object
                .get(keyword)
                .and_then(Value::as_str)
                .and_then(|id| id.strip_prefix('#'))
                .filter(|_| object.get("$ref").is_none());
            if let Some(name) = plain_name {
                named(name);
            }
        }
        if keywords::in_draft("$dynamicAnchor", draft) {
            if let Some(name) = object.get("$dynamicAnchor").and_then(Value::as_str) {
                named(name);
                self.dynamic_anchors
                    .entry(name.to_string())
                    .or_default()
                    .push((resource.to_string(), pointer.to_string()));
            }
        }
        if keywords::in_draft("$recursiveAnchor", draft)
            && object.get("$recursiveAnchor") == Some(&Value::Bool(true))
        {
            self.recursive_anchors.push(resource.to_string());
        }
    }

    /// The pointer `reference` names, resolved against `base`; `None` when
    /// it leaves the document or names nothing in it.
    fn resolve(&self, reference: &str, base: &Url, root: &Value) -> Option<String> {
        let uri = base.join(reference).ok()?;
        let fragment = uri.fragment().map(percent_decode).unwrap_or_default();
        let resource = resource_key(&uri);
        let start = self.resources.get(&resource)?;
        let target = if fragment.is_empty() {
            start.clone()
        } else if fragment.starts_with('/') {
            format!("{start}{fragment}")
        } else {
            self.anchors.get(&(resource, fragment))?.clone()
        };
        root.pointer(&target).map(|_| target)
    }

    /// `$recursiveRef` (2019-09): `reference` (always `#`) names its own
    /// resource, unless that resource has `$recursiveAnchor: true`; then
    /// the outermost such resource of the evaluation — the root, when the
    /// root has one; otherwise only a lone anchor has one answer.
    fn recursive(
        &self,
        reference: &str,
        site: &Site,
        root_resource: &str,
        root: &Value,
    ) -> Option<String> {
        let target = self.resolve(reference, &site.base, root)?;
        if !self.recursive_anchors.contains(&site.resource) {
            return Some(target);
        }
        if self.recursive_anchors.iter().any(|r| r == root_resource) {
            return self.resources.get(root_resource).cloned();
        }
        (self.recursive_anchors.len() == 1).then_some(target)
    }

    /// `$dynamicRef` (2020-12): a static `$ref`, unless its target has a
    /// `$dynamicAnchor` of the fragment's name; then the outermost resource
    /// with that dynamic anchor — the root's, when the root has one;
    /// otherwise only a lone anchor of that name has one answer.
    fn dynamic(
        &self,
        reference: &str,
        base: &Url,
        root_resource: &str,
        root: &Value,
    ) -> Option<String> {
        let target = self.resolve(reference, base, root)?;
        let name = base.join(reference).ok()?.fragment().map(percent_decode);
        let Some(candidates) = name.and_then(|name| self.dynamic_anchors.get(&name)) else {
            return Some(target);
        };
        if !candidates.iter().any(|(_, pointer)| *pointer == target) {
            return Some(target);
        }
        if let Some((_, pointer)) = candidates.iter().find(|(r, _)| r == root_resource) {
            return Some(pointer.clone());
        }
        (candidates.len() == 1).then_some(target)
    }
}

/// A name as one JSON pointer segment.
pub(crate) fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// `%XX` escapes decoded (as URI fragments carry JSON pointers).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() && text.is_char_boundary(i + 3) {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}
