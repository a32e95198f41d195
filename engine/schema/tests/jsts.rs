//! The official JSON-Schema-Test-Suite (`$REIN_SHARED/jsts`, drafts 4, 6,
//! 7, 2019-09 and 2020-12, `optional/` excluded) judged by the MaskBench
//! protocol: every test instance is serialized as Python's `json.dumps`
//! writes it, tokenized with the Llama 3 tokenizer, and walked token by
//! token with a mask before each token. A valid instance must be accepted
//! and allowed to end; an invalid one must be rejected somewhere. Objects'
//! members may come in any order ([`PropertyOrder::any`]), as the suite's
//! instances list them.
//!
//! A schema that no value satisfies is refused at compile time
//! ([`SchemaErrorKind::Unsatisfiable`]); that refusal rejects every
//! instance, so it is right for the invalid ones and wrong for any valid one.
//!
//! Two kinds of test are counted apart, not judged:
//! - *remote*: the group's schema refers outside itself (the suite's
//!   `http://localhost:1234/` documents, or a meta-schema), which rein does
//!   not fetch;
//! - *format annotation*: the suite calls an instance valid only because
//!   `format` is an annotation by default; rein enforces `format` when
//!   generating, so it rejects them on purpose. An instance is put here when
//!   the `jsonschema` crate accepts it with formats as annotations and
//!   rejects it with formats asserted.
//!
//! The test fails on any invalidation error, on any instance rein accepts
//! that the `jsonschema` crate (formats asserted) rejects, and on fewer
//! instances judged right than `.ci/jsts/baseline.json` records for a
//! draft. `REIN_JSTS_LIST=1` prints every instance judged wrong.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rein_core::{Constraint, TokenId, TokenMask};
use rein_schema::{compile, python_dumps, Draft, Options, PropertyOrder, SchemaErrorKind};
use serde_json::Value;

const DRAFTS: [(&str, Draft); 5] = [
    ("draft4", Draft::Draft4),
    ("draft6", Draft::Draft6),
    ("draft7", Draft::Draft7),
    ("draft2019-09", Draft::Draft201909),
    ("draft2020-12", Draft::Draft202012),
];

/// Instances of one draft, by how they were judged.
#[derive(Debug, Default)]
struct Counts {
    right: usize,
    compile_error: usize,
    validation_error: usize,
    invalidation_error: usize,
    /// Accepted by rein, rejected by `jsonschema` with formats asserted.
    disagreement: usize,
    format_annotation: usize,
    remote: usize,
}

impl Counts {
    fn in_scope(&self) -> usize {
        self.right + self.compile_error + self.validation_error + self.invalidation_error
    }
}

/// A retriever that fetches nothing and remembers that it was asked.
#[derive(Clone, Default)]
struct NoFetch {
    asked: Arc<Mutex<Vec<String>>>,
}

impl jsonschema::Retrieve for NoFetch {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.asked.lock().unwrap().push(uri.to_string());
        Err(format!("{uri} is outside the document").into())
    }
}

/// Whether `schema` refers to a document outside itself.
fn is_remote(schema: &Value, draft: Draft) -> bool {
    fn refers_to_meta_schema(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.iter().any(|(key, value)| {
                let is_ref = matches!(key.as_str(), "$ref" | "$dynamicRef" | "$recursiveRef");
                (is_ref
                    && value
                        .as_str()
                        .is_some_and(|r| r.contains("json-schema.org/")))
                    || refers_to_meta_schema(value)
            }),
            Value::Array(items) => items.iter().any(refers_to_meta_schema),
            _ => false,
        }
    }
    let retriever = NoFetch::default();
    let _ = jsonschema::options()
        .with_draft(validator_draft(draft))
        .with_retriever(retriever.clone())
        .build(schema);
    let asked = !retriever.asked.lock().unwrap().is_empty();
    asked || refers_to_meta_schema(schema)
}

fn validator_draft(draft: Draft) -> jsonschema::Draft {
    match draft {
        Draft::Draft4 => jsonschema::Draft::Draft4,
        Draft::Draft6 => jsonschema::Draft::Draft6,
        Draft::Draft7 => jsonschema::Draft::Draft7,
        Draft::Draft201909 => jsonschema::Draft::Draft201909,
        Draft::Draft202012 => jsonschema::Draft::Draft202012,
    }
}

fn validator(schema: &Value, draft: Draft, formats: bool) -> Option<jsonschema::Validator> {
    jsonschema::options()
        .with_draft(validator_draft(draft))
        .should_validate_formats(formats)
        .build(schema)
        .ok()
}

/// Walks `tokens` with a mask before each one; `Err(position)` where the
/// instance is rejected (`tokens.len()` when it may not end).
fn walk(constraint: &Constraint, tokens: &[TokenId], mask: &mut TokenMask) -> Result<(), usize> {
    let mut matcher = constraint.matcher();
    for (position, &token) in tokens.iter().enumerate() {
        let allowed = matcher.fill_mask(mask).is_ok()
            && mask.contains(token)
            && matcher.commit(token).is_ok();
        if !allowed {
            return Err(position);
        }
    }
    if matcher.can_end() {
        Ok(())
    } else {
        Err(tokens.len())
    }
}

fn suite_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn baseline() -> BTreeMap<String, usize> {
    let path = rein_test_support::repository().join(".ci/jsts/baseline.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let value: Value = serde_json::from_str(&text).expect("the baseline is JSON");
    value["right"]
        .as_object()
        .expect("the baseline has `right`: {draft: instances}")
        .iter()
        .map(|(draft, right)| (draft.clone(), right.as_u64().unwrap() as usize))
        .collect()
}

#[test]
fn json_schema_test_suite_ratchet() {
    let tests = rein_test_support::shared().join("jsts/tests");
    assert!(tests.is_dir(), "{} is missing", tests.display());
    let tokenizer = rein_test_support::tokenizer("llama3");
    let engine = rein_test_support::engine("llama3");
    let vocabulary = engine.vocabulary();
    let mut mask = TokenMask::new(vocabulary.len());
    let list = std::env::var_os("REIN_JSTS_LIST").is_some();
    let mut failures = Vec::new();
    let mut table = BTreeMap::new();
    for (name, draft) in DRAFTS {
        let mut counts = Counts::default();
        // The suite's objects list their members in any order.
        let options = Options {
            default_draft: draft,
            property_order: PropertyOrder::any(),
            ..Options::default()
        };
        for path in suite_files(&tests.join(name)) {
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let groups: Vec<Value> = serde_json::from_str(&text).unwrap();
            for group in &groups {
                let schema = &group["schema"];
                let cases = group["tests"].as_array().unwrap();
                if is_remote(schema, draft) {
                    counts.remote += cases.len();
                    continue;
                }
                let asserting = validator(schema, draft, true);
                let annotating = validator(schema, draft, false);
                let constraint =
                    compile(schema, &options).and_then(|compiled| compiled.constraint(engine));
                for case in cases {
                    let instance = &case["data"];
                    let valid = case["valid"].as_bool().unwrap();
                    let where_ = format!(
                        "{name}/{file}: {} / {}",
                        group["description"].as_str().unwrap_or("?"),
                        case["description"].as_str().unwrap_or("?")
                    );
                    let format_only = valid
                        && annotating.as_ref().is_some_and(|v| v.is_valid(instance))
                        && asserting.as_ref().is_some_and(|v| !v.is_valid(instance));
                    if format_only {
                        counts.format_annotation += 1;
                        continue;
                    }
                    let constraint = match &constraint {
                        Ok(constraint) => constraint,
                        // rein refuses a schema no value satisfies, which
                        // rejects every instance: right for the invalid ones.
                        Err(error) if error.kind() == SchemaErrorKind::Unsatisfiable && !valid => {
                            counts.right += 1;
                            continue;
                        }
                        Err(error) => {
                            counts.compile_error += 1;
                            if list {
                                println!("compile error\t{where_}\t{error}");
                            }
                            continue;
                        }
                    };
                    let tokens = tokenizer.encode(&python_dumps(instance)).unwrap();
                    let accepted = walk(constraint, &tokens, &mut mask);
                    match (valid, accepted) {
                        (true, Ok(())) | (false, Err(_)) => counts.right += 1,
                        (true, Err(position)) => {
                            counts.validation_error += 1;
                            if list {
                                println!("validation error\t{where_}\ttoken {position}");
                            }
                        }
                        (false, Ok(())) => {
                            counts.invalidation_error += 1;
                            failures.push(format!("invalid instance accepted: {where_}"));
                        }
                    }
                    if accepted.is_ok() && asserting.as_ref().is_some_and(|v| !v.is_valid(instance))
                    {
                        counts.disagreement += 1;
                        failures.push(format!(
                            "rein accepts an instance jsonschema rejects: {where_}"
                        ));
                    }
                }
            }
        }
        table.insert(name, counts);
    }
    println!(
        "{:<14}{:>9}{:>7}{:>7}{:>9}{:>12}{:>14}{:>9}{:>8}",
        "draft",
        "in scope",
        "right",
        "%",
        "compile",
        "validation",
        "invalidation",
        "format",
        "remote"
    );
    for (name, counts) in &table {
        println!(
            "{:<14}{:>9}{:>7}{:>7.1}{:>9}{:>12}{:>14}{:>9}{:>8}",
            name,
            counts.in_scope(),
            counts.right,
            100.0 * counts.right as f64 / counts.in_scope().max(1) as f64,
            counts.compile_error,
            counts.validation_error,
            counts.invalidation_error,
            counts.format_annotation,
            counts.remote
        );
    }
    let baseline = baseline();
    for (name, counts) in &table {
        let floor = *baseline
            .get(*name)
            .unwrap_or_else(|| panic!("the baseline has no figure for {name}"));
        if counts.right < floor {
            failures.push(format!(
                "{name}: {} instances right, fewer than the baseline {floor}",
                counts.right
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
