//! `allOf` merging and `oneOf` overlap: many schemas made into one.
//!
//! **Why.** A grammar has no intersection, but schema objects are
//! conjunctions of keywords: `allOf` parts (with their `$ref` targets and
//! nested parts, inlined) are merged keyword by keyword ([`crate::merge`]).
//! The `anyOf`/`oneOf` groups a merge cannot combine come back as one
//! `allOf`, compiled by distributing the rest of the object into each
//! branch ([`distribute`]). `oneOf` needs "exactly one": a conservative
//! disjointness check ([`Compiler::disjoint`]) tells which branches can
//! stay as they are.
//!
//! **Trade-off.** Distribution multiplies branches, so their product is
//! capped at [`MAX_DISTRIBUTED_BRANCHES`]; expansion stops after 256
//! parts. The disjointness check only answers "surely disjoint" or "maybe
//! not", and overlapping `oneOf` branches then cost a negation each.

use serde_json::{Map, Value};

use super::{error, json_type, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::merge;
use crate::values::type_names;

/// The most schema pairs one `oneOf` disjointness check looks at (unions
/// nested in unions multiply them); past it, the branches count as
/// overlapping.
const MAX_DISJOINT_CHECKS: usize = 4096;

/// The most alternatives `allOf` parts with `anyOf`/`oneOf` groups may
/// combine into (each group multiplies them).
const MAX_DISTRIBUTED_BRANCHES: usize = 1024;

impl<'a> Compiler<'a> {
    /// The first two branches the conservative disjointness check cannot
    /// tell apart.
    pub(super) fn overlapping_pair(&self, branches: &[(Value, String)]) -> Option<(usize, usize)> {
        for i in 0..branches.len() {
            for j in i + 1..branches.len() {
                if !self.disjoint(&branches[i].0, &branches[j].0, 0) {
                    return Some((i, j));
                }
            }
        }
        None
    }

    /// Merges schemas that must all hold into one object, inlining `$ref`s.
    pub(super) fn merge_all(&mut self, parts: &[Value], pointer: &str) -> Result<Value> {
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
        let mut budget = MAX_DISJOINT_CHECKS;
        self.disjoint_within(a, b, depth, &mut budget)
    }

    /// [`disjoint`](Compiler::disjoint), spending one of `budget`'s checks
    /// per pair looked at: unions inside unions multiply the pairs.
    fn disjoint_within(&self, a: &Value, b: &Value, depth: usize, budget: &mut usize) -> bool {
        if depth > 8 || *budget == 0 {
            return false;
        }
        *budget -= 1;
        let a = self.follow(a);
        let b = self.follow(b);
        let (Some(a_map), Some(b_map)) = (a.as_object(), b.as_object()) else {
            return a == &Value::Bool(false) || b == &Value::Bool(false);
        };
        // A value of a schema also matches each of its parts: one of its
        // `oneOf`/`anyOf` branches, every `allOf` part and its `$ref`'s
        // target. Disjoint from a part whose values cover it is disjoint.
        for (one, other) in [(a_map, b), (b_map, a)] {
            for union in ["oneOf", "anyOf"] {
                if let Some(Value::Array(branches)) = one.get(union) {
                    if !branches.is_empty()
                        && branches
                            .iter()
                            .all(|branch| self.disjoint_within(branch, other, depth + 1, budget))
                    {
                        return true;
                    }
                }
            }
            if let Some(Value::Array(parts)) = one.get("allOf") {
                if parts
                    .iter()
                    .any(|part| self.disjoint_within(part, other, depth + 1, budget))
                {
                    return true;
                }
            }
            if let Some(reference) = one.get("$ref").and_then(Value::as_str) {
                if let Ok((_, target)) = self.resolve(reference, "#") {
                    if self.disjoint_within(target, other, depth + 1, budget) {
                        return true;
                    }
                }
            }
        }
        let (a, b) = (a_map, b_map);
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
                if self.disjoint_within(&pa, &pb, depth + 1, budget) {
                    return true;
                }
            }
        }
        // A required name the other side forbids.
        let forbids = |o: &Map<String, Value>, name: &str| {
            o.get("additionalProperties") == Some(&Value::Bool(false))
                && property(o, name).is_none()
                && o.get("type").is_some_and(|t| type_names(t) == ["object"])
                && match o.get("patternProperties") {
                    None => true,
                    Some(Value::Object(patterns)) => no_pattern_matches(patterns, name),
                    Some(_) => false,
                }
        };
        ra.iter().any(|n| forbids(b, n)) || rb.iter().any(|n| forbids(a, n))
    }
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

/// Whether `name` matches none of `patterns` (`patternProperties` keys);
/// `false` when a pattern cannot be read.
fn no_pattern_matches(patterns: &Map<String, Value>, name: &str) -> bool {
    crate::keys::PatternKeys::of_patterns(patterns.keys().map(String::as_str))
        .is_ok_and(|keys| keys.matching(name).is_empty())
}
