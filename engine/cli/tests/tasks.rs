//! The task-level promises on rein's labelled set (`bench/tasks/`) and the
//! SmolLM2 GGUF: every document gets output that validates within a tight
//! token budget, a budget no output fits is refused before any document
//! runs, a batch gives each document the line it gets alone, extractive
//! values are copies of their document, and tagged entities index the
//! input whose text the output reproduces.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rein_test_support::repository;
use serde_json::Value;
use support::{model, rein};

fn tasks(file: &str) -> PathBuf {
    repository().join("bench/tasks").join(file)
}

fn path(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The documents of a labelled file, by id.
fn documents(file: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(tasks(file)).unwrap();
    jsonl(&text)
        .into_iter()
        .map(|line| {
            (
                line["id"].as_str().unwrap().to_string(),
                line["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
        Value::Object(members) => members.values().for_each(|member| strings(member, out)),
        _ => {}
    }
}

/// Runs `rein extract` over one labelled set and checks every line: an
/// output that validates, no error. Returns the outputs by id.
fn extract_all(set: &str, extra: &[&str]) -> BTreeMap<String, Value> {
    let schema_path = tasks(&format!("{set}.schema.json"));
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let model = model();
    let (schema_arg, input) = (path(&schema_path), path(&tasks(&format!("{set}.jsonl"))));
    let mut args = vec![
        "extract",
        "--quiet",
        "--model",
        &model,
        "--schema",
        &schema_arg,
        "--max-tokens",
        "60",
        "--input",
        &input,
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = rein(&args);
    let documents = documents(&format!("{set}.jsonl"));
    let results = jsonl(&stdout);
    assert_eq!(
        results.len(),
        documents.len(),
        "one line per document: {stderr}"
    );
    let mut outputs = BTreeMap::new();
    for result in results {
        let id = result["id"].as_str().unwrap().to_string();
        let output = result
            .get("output")
            .unwrap_or_else(|| panic!("{set} {id}: {result}"))
            .clone();
        assert!(validator.is_valid(&output), "{set} {id}: {output}");
        outputs.insert(id, output);
    }
    assert_eq!(code, 0, "{stderr}");
    outputs
}

#[test]
fn every_labelled_document_validates_within_sixty_tokens() {
    for set in ["films", "invoices", "people"] {
        extract_all(set, &[]);
    }
}

#[test]
fn extractive_values_are_copied_from_their_document() {
    for set in ["films", "people"] {
        let documents = documents(&format!("{set}.jsonl"));
        let outputs = extract_all(set, &["--extractive"]);
        for (id, output) in outputs {
            let mut values = Vec::new();
            strings(&output, &mut values);
            assert!(!values.is_empty());
            for value in values {
                assert!(
                    documents[&id].contains(&value),
                    "{id}: {value:?} is not in {:?}",
                    documents[&id]
                );
            }
        }
    }
}

#[test]
fn a_budget_no_output_fits_is_refused_before_any_document_runs() {
    let model = model();
    let schema = path(&tasks("invoices.schema.json"));
    let input = path(&tasks("invoices.jsonl"));
    let (code, stdout, stderr) = rein(&[
        "extract",
        "--model",
        &model,
        "--schema",
        &schema,
        "--max-tokens",
        "5",
        "--input",
        &input,
    ]);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--max-tokens 5 is too small"), "{stderr}");
    let needed: usize = stderr
        .split("needs ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(needed > 5, "{stderr}");
    // The number named is exact for this budget check: it is enough.
    let budget = needed.to_string();
    let (code, stdout, stderr) = rein(&[
        "extract",
        "--quiet",
        "--model",
        &model,
        "--schema",
        &schema,
        "--max-tokens",
        &budget,
        "--input",
        &input,
    ]);
    assert_eq!(code, 0, "{stderr}");
    for line in jsonl(&stdout) {
        assert!(line.get("output").is_some(), "{line}");
    }
}

#[test]
fn a_batch_gives_every_document_the_line_it_gets_alone() {
    let dir = std::env::temp_dir().join(format!("rein-tasks-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let documents: Vec<(String, String)> = documents("films.jsonl").into_iter().take(16).collect();
    assert_eq!(documents.len(), 16);
    let mut files = Vec::new();
    for (id, text) in &documents {
        let file = dir.join(format!("{id}.txt"));
        std::fs::write(&file, text).unwrap();
        files.push(path(&file));
    }
    let model = model();
    let schema = path(&tasks("films.schema.json"));
    let base = [
        "extract",
        "--quiet",
        "--model",
        &model,
        "--schema",
        &schema,
        "--max-tokens",
        "60",
    ];
    let mut args: Vec<&str> = base.to_vec();
    args.extend(files.iter().map(String::as_str));
    let (code, together, stderr) = rein(&args);
    assert_eq!(code, 0, "{stderr}");
    let together: Vec<&str> = together.lines().collect();
    assert_eq!(together.len(), files.len());
    for (file, line) in files.iter().zip(&together) {
        let mut args: Vec<&str> = base.to_vec();
        args.push(file);
        let (code, alone, stderr) = rein(&args);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(alone.trim_end(), *line, "{file}");
    }
}

/// Removes `<LABEL>` and `</LABEL>` tags of `labels` from `tagged`.
fn untag(tagged: &str, labels: &[&str]) -> String {
    let mut text = tagged.to_string();
    for label in labels {
        text = text
            .replace(&format!("<{label}>"), "")
            .replace(&format!("</{label}>"), "");
    }
    text
}

#[test]
fn tagged_entities_index_the_input_and_the_output_reproduces_it() {
    let labels = ["PER", "LOC", "ORG", "NUM", "DATE"];
    let dir = std::env::temp_dir().join(format!("rein-tasks-ner-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("ner.jsonl");
    let mut sentences: Vec<(String, String)> = documents("ner.jsonl").into_iter().take(6).collect();
    // One long document, tagged in chunks of whole sentences.
    let long = sentences
        .iter()
        .map(|(_, text)| text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    sentences.push(("long".to_string(), long));
    let lines: Vec<String> = sentences
        .iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let model = model();
    let input = path(&input);
    for format in ["inline", "lines"] {
        let (code, stdout, stderr) = rein(&[
            "ner",
            "--model",
            &model,
            "--format",
            format,
            "--chunk-words",
            "24",
            "--input",
            &input,
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("tag grammar compile per part"), "{stderr}");
        let results = jsonl(&stdout);
        assert_eq!(results.len(), sentences.len());
        let mut entities = 0;
        for (result, (id, text)) in results.iter().zip(&sentences) {
            assert_eq!(result["id"].as_str(), Some(id.as_str()));
            let tagged = result["tagged"]
                .as_str()
                .unwrap_or_else(|| panic!("{result}"));
            match format {
                "inline" => assert_eq!(untag(tagged, &labels), *text, "{id}"),
                _ => {
                    let words: Vec<&str> = tagged
                        .lines()
                        .map(|line| {
                            let label = labels.iter().find(|l| line.ends_with(&format!(": {l}")));
                            let cut = label.map_or(1, |l| l.len() + 2);
                            &line[..line.len() - cut]
                        })
                        .collect();
                    let mut at = 0;
                    for word in words {
                        let found = text[at..]
                            .find(word)
                            .unwrap_or_else(|| panic!("{id}: {word:?} out of order"));
                        at += found + word.len();
                    }
                }
            }
            for entity in result["entities"].as_array().unwrap() {
                let (start, end) = (
                    entity["start"].as_u64().unwrap() as usize,
                    entity["end"].as_u64().unwrap() as usize,
                );
                assert_eq!(&text[start..end], entity["text"].as_str().unwrap(), "{id}");
                assert!(labels.contains(&entity["label"].as_str().unwrap()));
                entities += 1;
            }
        }
        assert!(entities > 0, "{format}: no entity at all in {stdout}");
    }
}
