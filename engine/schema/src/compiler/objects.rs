//! Objects: members in schema order, keys as terminals, counts as rules.
//!
//! **Why.** An object's named members come in `properties` order (the
//! canonical order to generate in), each key with its colon one terminal.
//! Every other member's key is a terminal too: "any key but the named
//! ones" as an automaton difference, or one key class per combination of
//! `patternProperties` it matches ([`crate::keys`]), each with the
//! `allOf` of the schemas that apply. `minProperties`/`maxProperties` and
//! `required` are counted by rules, one per (member, count) pair.
//!
//! **Trade-off.** Counting needs a rule per member and count, so counts
//! past 1,000 are refused; [`PropertyOrder::Any`](crate::PropertyOrder::Any)
//! swaps these rules for one member list ([`super::any_order`]). Extra
//! members may repeat a key, which no grammar of this size can exclude.

use rein_core::automaton::{ProductConfig, RegexConfig};
use rein_core::grammar::{DfaTerminal, Expr, RuleId};
use rein_core::ByteDfa;
use serde_json::{json, Map, Value};

use super::layout::Close;
use super::{alt, child, error, property_names, seq, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::json_text::{encode_string, CHAR_UNIT};
use crate::values::is_trivial;
use crate::{keys, keywords, negate, pattern};

impl<'a> Compiler<'a> {
    pub(super) fn object(&mut self, object: &Map<String, Value>, pointer: &str) -> Result<Expr> {
        if let Some(branches) = self.some_member_branches(object, pointer)? {
            return Ok(branches);
        }
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
        let names: Vec<&str> = members.iter().map(|(n, _, _)| n.as_str()).collect();
        let extra = self.extras(patterns.as_ref(), &names, &additional, &key_names, pointer)?;
        // The members `SOME_OTHER_KEY` asks for among the other members:
        // each required once, any number of others beside them.
        let mut wanted = Vec::new();
        for spec in some_other_key_specs(object.get(keywords::SOME_OTHER_KEY)) {
            match self.wanted_extra(object, spec, &patterns, &names, &additional, pointer)? {
                Some(member) => wanted.push(member),
                None => return Ok(Expr::Nothing),
            }
        }
        let mut compiled = Vec::new();
        for (name, schema, is_required) in &members {
            let value = self.schema(schema, &child(&child(pointer, "properties"), name))?;
            if value == Expr::Nothing && *is_required {
                return Ok(Expr::Nothing);
            }
            compiled.push((seq(vec![self.key(name), value]), *is_required));
        }
        // In any order, the wanted members are more required members.
        let mut any_order_members = compiled.clone();
        any_order_members.extend(wanted.iter().map(|member| (member.clone(), true)));
        if let Some(any_order) = self.any_order(&any_order_members, &extra, min, max, pointer)? {
            return Ok(any_order);
        }
        self.members(compiled, extra, wanted, min, max, pointer)
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

    /// The members other than `names` with a key `key_names` allows: by
    /// the patterns' key classes when there are patterns, else any key
    /// with `additional`. `None` when no such member is possible.
    fn extras(
        &mut self,
        patterns: Option<&PatternSchemas>,
        names: &[&str],
        additional: &Value,
        key_names: &property_names::KeyNames,
        pointer: &str,
    ) -> Result<Option<Expr>> {
        if let Some((keys, schemas)) = patterns {
            return self.pattern_extras(keys, schemas, names, additional, key_names, pointer);
        }
        if additional == &Value::Bool(false) {
            return Ok(None);
        }
        let value = self.schema(additional, &child(pointer, "additionalProperties"))?;
        let key = self.restrict_key(self.other_key(names), key_names, true, pointer)?;
        Ok(if value == Expr::Nothing || key == Expr::Nothing {
            None
        } else {
            Some(seq(vec![key, value]))
        })
    }

    /// The member [`SOME_OTHER_KEY`](keywords::SOME_OTHER_KEY) (marked
    /// `extra`) asks for among the members other than `names`: an extra
    /// member whose key the keyword's keys and the object's
    /// `propertyNames` allow, and whose value matches the keyword's
    /// `value` schema besides the object's own. `None` when there is none.
    fn wanted_extra(
        &mut self,
        object: &Map<String, Value>,
        spec: &Value,
        patterns: &Option<PatternSchemas>,
        names: &[&str],
        additional: &Value,
        pointer: &str,
    ) -> Result<Option<Expr>> {
        let refuse = |why: String| {
            error(
                SchemaErrorKind::Unsupported,
                pointer,
                "additionalProperties",
                format!("rein cannot enforce `not` of `additionalProperties` {why}"),
            )
        };
        let other =
            OtherKeys::of(spec).map_err(|problem| refuse(format!("(a pattern: {problem})")))?;
        let mut keys = other.key_schema(spec);
        if let Some(names) = object.get("propertyNames") {
            keys = negate::all_of(vec![names.clone(), keys]);
        }
        let key_names = self.key_names(&keys, pointer)?;
        let with_value = |schema: &Value| negate::all_of(vec![schema.clone(), other.value.clone()]);
        let patterns = patterns.as_ref().map(|(keys, schemas)| {
            let schemas: Vec<(String, Value)> = schemas
                .iter()
                .map(|(pattern, schema)| (pattern.clone(), with_value(schema)))
                .collect();
            (keys, schemas)
        });
        let additional = if additional == &Value::Bool(false) {
            Value::Bool(false)
        } else {
            with_value(additional)
        };
        match patterns {
            Some((keys, schemas)) => {
                self.pattern_extras(keys, &schemas, names, &additional, &key_names, pointer)
            }
            None => self.extras(None, names, &additional, &key_names, pointer),
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

    /// Members in order, optional ones skippable, then extras, among which
    /// each of `wanted` must come once; the count of members kept between
    /// `min` and `max`.
    fn members(
        &mut self,
        members: Vec<(Expr, bool)>,
        extra: Option<Expr>,
        wanted: Vec<Expr>,
        min: u64,
        max: Option<u64>,
        pointer: &str,
    ) -> Result<Expr> {
        if max.is_some_and(|max| max < min) {
            return Ok(Expr::Nothing);
        }
        // `{}` only when nothing is required.
        if wanted.len() > MAX_WANTED {
            return Err(error(
                SchemaErrorKind::Unsupported,
                pointer,
                "additionalProperties",
                format!("rein asks for at most {MAX_WANTED} members of a kind in one object"),
            ));
        }
        let empty_allowed =
            min == 0 && wanted.is_empty() && members.iter().all(|(_, required)| !required);
        let cap = member_cap(
            min,
            max,
            members.len() + wanted.len(),
            extra.is_some() || !wanted.is_empty(),
        );
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
        // tail[seen][c]: the extras with `c` members written and the
        // wanted members in the bit set `seen` among them; the object may
        // close once all are seen.
        let all_seen = (1usize << wanted.len()) - 1;
        let mut tail: Vec<Vec<RuleId>> = Vec::with_capacity(all_seen + 1);
        for seen in 0..=all_seen {
            tail.push(
                (0..=cap)
                    .map(|c| self.new_rule(format!("{pointer} extras {seen}/{c}"), pointer))
                    .collect::<Result<_>>()?,
            );
        }
        for seen in 0..=all_seen {
            for c in (0..=cap).rev() {
                let separator = if c == 0 { Expr::Empty } else { self.comma() };
                let next = (c + 1).min(cap);
                let mut alternatives = Vec::new();
                if seen == all_seen && satisfied(c) && c > 0 {
                    alternatives.push(close.clone());
                }
                if !at_max(c) {
                    if let Some(extra) = &extra {
                        alternatives.push(seq(vec![
                            separator.clone(),
                            extra.clone(),
                            Expr::Rule(tail[seen][next]),
                        ]));
                    }
                    for (i, member) in wanted.iter().enumerate() {
                        if seen & (1 << i) == 0 {
                            alternatives.push(seq(vec![
                                separator.clone(),
                                member.clone(),
                                Expr::Rule(tail[seen | (1 << i)][next]),
                            ]));
                        }
                    }
                }
                self.rules[tail[seen][c].0 as usize].body = alt(alternatives);
            }
        }
        let tail_rules = tail.swap_remove(0);
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
}

/// The most members an object's count must tell apart: `maxProperties`,
/// or `minProperties` without it, and no more than the `named` members
/// when no other member may come.
fn member_cap(min: u64, max: Option<u64>, named: usize, extras: bool) -> u64 {
    let cap = max.unwrap_or(min);
    if extras {
        cap
    } else {
        cap.min(named as u64)
    }
}

/// The most members `SOME_OTHER_KEY` may ask for in one object: each
/// doubles the rules of a schema-order object's tail.
const MAX_WANTED: usize = 3;

/// The specs of a [`SOME_OTHER_KEY`](keywords::SOME_OTHER_KEY) value: one
/// spec, or a list of specs each asking for a member of its own.
pub(super) fn some_other_key_specs(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None => Vec::new(),
        Some(Value::Array(specs)) => specs.iter().collect(),
        Some(spec) => vec![spec],
    }
}

/// `patternProperties` compiled over keys, with each regex and its schema.
type PatternSchemas = (keys::PatternKeys, Vec<(String, Value)>);

impl Compiler<'_> {
    /// The objects of `object` with [`SOME_OTHER_KEY`](keywords::SOME_OTHER_KEY)
    /// taken one spec at a time, once every keyword that adds named members
    /// has been merged in: "one of the object's named members (its
    /// `properties` and `required` names) that the spec asks for is present
    /// with a value it accepts" is one object per such name, requiring it
    /// (the other specs then asking for members other than that one), and
    /// an object whose other members may also count gets one more, asking
    /// for such a member among them (the spec marked `extra`, which
    /// [`Self::wanted_extra`] builds). `None` when the keyword is absent or
    /// every spec is marked.
    fn some_member_branches(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
    ) -> Result<Option<Expr>> {
        let specs: Vec<Value> = some_other_key_specs(object.get(keywords::SOME_OTHER_KEY))
            .into_iter()
            .cloned()
            .collect();
        let mut others = Vec::with_capacity(specs.len());
        for spec in &specs {
            let other = OtherKeys::of(spec).map_err(|problem| {
                error(
                    SchemaErrorKind::Unsupported,
                    pointer,
                    "additionalProperties",
                    format!(
                        "rein cannot enforce `not` of `additionalProperties` (a pattern: {problem})"
                    ),
                )
            })?;
            others.push(other);
        }
        let Some(first) = others.iter().position(|other| !other.extra) else {
            return Ok(None);
        };
        let other = &others[first];
        let properties = object.get("properties").and_then(Value::as_object);
        let required = object.get("required").and_then(Value::as_array);
        let mut named: Vec<&str> = properties
            .into_iter()
            .flatten()
            .filter(|(_, schema)| **schema != Value::Bool(false))
            .map(|(name, _)| name.as_str())
            .collect();
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if !named.contains(&name) && !properties.is_some_and(|p| p.contains_key(name)) {
                named.push(name);
            }
        }
        // The object with the spec at `first` replaced (or left out), `name`
        // asked of no other spec, and `also` merged in.
        let branch = |replacement: Option<Value>, name: Option<&str>, also: Option<Value>| {
            let mut kept = Vec::new();
            for (i, spec) in specs.iter().enumerate() {
                let mut spec = if i == first {
                    match &replacement {
                        Some(replacement) => replacement.clone(),
                        None => continue,
                    }
                } else {
                    spec.clone()
                };
                if let Some(name) = name {
                    match spec.get_mut("names").and_then(Value::as_array_mut) {
                        Some(names) => names.push(Value::String(name.to_string())),
                        None => spec["names"] = json!([name]),
                    }
                }
                kept.push(spec);
            }
            let mut branch = object.clone();
            branch.insert("type".to_string(), json!("object"));
            branch.remove(keywords::SOME_OTHER_KEY);
            if !kept.is_empty() {
                branch.insert(keywords::SOME_OTHER_KEY.to_string(), Value::Array(kept));
            }
            if let Some(also) = also {
                match branch.get_mut("allOf") {
                    Some(Value::Array(parts)) => parts.push(also),
                    _ => {
                        branch.insert("allOf".to_string(), json!([also]));
                    }
                }
            }
            Value::Object(branch)
        };
        let mut alternatives = Vec::new();
        for name in named.into_iter().filter(|name| other.counts(name)) {
            let mut also = json!({ "required": [name] });
            if !is_trivial(&other.value) {
                also["properties"] = json!({ name: other.value });
            }
            let branch = branch(None, Some(name), Some(also));
            alternatives.push(self.schema(&branch, pointer)?);
        }
        let closed = object.get("additionalProperties") == Some(&Value::Bool(false))
            && !object.contains_key("patternProperties");
        if !closed {
            let mut extra = specs[first].clone();
            extra["extra"] = Value::Bool(true);
            let branch = branch(Some(extra), None, None);
            alternatives.push(self.schema(&branch, pointer)?);
        }
        Ok(Some(alt(alternatives)))
    }
}

/// The members one spec of [`SOME_OTHER_KEY`](keywords::SOME_OTHER_KEY)
/// asks for one of: a key that is none of its `names`, matches none of its
/// `patterns` and every one of its `within`; a value its `value` schema
/// accepts (any value without one). With `extra`, the object's own named
/// members have been tried apart and only its other members count.
pub(super) struct OtherKeys {
    names: Vec<String>,
    patterns: keys::PatternKeys,
    within: Option<keys::PatternKeys>,
    /// The ECMA patterns of `within`, as written.
    within_patterns: Vec<String>,
    /// The value's schema.
    pub(super) value: Value,
    /// Only members other than the object's named ones count.
    pub(super) extra: bool,
}

impl OtherKeys {
    /// Reads the keyword's `{"names", "patterns", "within", "value",
    /// "extra"}`; an error when a pattern cannot be read.
    pub(super) fn of(spec: &Value) -> std::result::Result<OtherKeys, String> {
        let strings = |key: &str| -> Vec<String> {
            spec.get(key)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let patterns = strings("patterns");
        let within_patterns = strings("within");
        let within = match within_patterns.is_empty() {
            false => Some(keys::PatternKeys::of_patterns(
                within_patterns.iter().map(String::as_str),
            )?),
            true => None,
        };
        Ok(OtherKeys {
            names: strings("names"),
            patterns: keys::PatternKeys::of_patterns(patterns.iter().map(String::as_str))?,
            within,
            within_patterns,
            value: spec.get("value").cloned().unwrap_or(Value::Bool(true)),
            extra: spec.get("extra") == Some(&Value::Bool(true)),
        })
    }

    /// Whether `key` is one of the keys asked for.
    pub(super) fn counts(&self, key: &str) -> bool {
        !self.names.iter().any(|name| name == key)
            && self.patterns.matching(key).is_empty()
            && self
                .within
                .as_ref()
                .is_none_or(|within| within.matching(key).len() == self.within_patterns.len())
    }

    /// The keys asked for as a string schema, for `propertyNames`.
    fn key_schema(&self, spec: &Value) -> Value {
        let mut schema = json!({
            "type": "string",
            keywords::NOT_VALUES: self.names,
            keywords::NOT_PATTERNS: spec.get("patterns").cloned().unwrap_or(json!([])),
        });
        if let Some((first, also)) = self.within_patterns.split_first() {
            schema["pattern"] = Value::String(first.clone());
            schema[keywords::ALSO_PATTERNS] = json!(also);
        }
        schema
    }
}
