//! The generating subcommands end to end on the SmolLM2-135M GGUF fetched
//! by `scripts/fetch-assets`, on CPU, with small `--max-tokens`: every
//! output is checked against what the command promises (schema-valid JSON,
//! tags from the given labels, a label from the set, a regex match), and
//! bad inputs give error lines or one-line errors with the documented exit
//! status.

mod support;

use std::path::{Path, PathBuf};

use rein_test_support::repository;
use serde_json::Value;
use support::{llama3, model, rein};

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rein-generation-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

const VENDORS: [&str; 5] = ["ACME Ltd", "Northwind", "Contoso", "Globex", "Initech"];
const CURRENCIES: [&str; 4] = ["EUR", "USD", "GBP", "PLN"];

#[test]
fn twenty_invoices_in_one_batch_all_validate() {
    let dir = scratch("invoices");
    let mut files = Vec::new();
    for index in 0..20 {
        let file = dir.join(format!("invoice-{index:02}.txt"));
        std::fs::write(
            &file,
            format!(
                "{}\nInvoice no. INV-{:04}\nDate: 2026-{:02}-{:02}\nTotal: {}.{:02} {}\n",
                VENDORS[index % VENDORS.len()],
                100 + index,
                1 + index % 12,
                1 + index % 28,
                40 + 7 * index,
                index * 3 % 100,
                CURRENCIES[index % CURRENCIES.len()],
            ),
        )
        .unwrap();
        files.push(path(&file));
    }
    let schema_path = repository().join("schemas/invoice.json");
    let schema_text = std::fs::read_to_string(&schema_path).unwrap();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the invoice schema compiles");
    let model = model();
    let schema_arg = path(&schema_path);
    let mut args = vec![
        "extract",
        "--quiet",
        "--model",
        &model,
        "--schema",
        &schema_arg,
        "--max-tokens",
        "160",
    ];
    args.extend(files.iter().map(String::as_str));
    let (code, stdout, stderr) = rein(&args);
    let results = lines(&stdout);
    assert_eq!(
        results.len(),
        20,
        "one line per document: {stdout}\n{stderr}"
    );
    for (result, file) in results.iter().zip(&files) {
        assert_eq!(
            result["id"],
            Value::String(file.clone()),
            "lines keep input order"
        );
        let output = result
            .get("output")
            .unwrap_or_else(|| panic!("{file} failed: {result}"));
        let errors: Vec<String> = validator
            .iter_errors(output)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{output} does not validate: {errors:?}");
    }
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn ner_tags_use_only_the_given_labels_in_both_formats() {
    let dir = scratch("ner");
    let text = "Maria Kowalska flew from Warsaw to Lisbon on 3 March 2025.";
    let file = dir.join("paragraph.txt");
    std::fs::write(&file, text).unwrap();
    let model = model();
    let file_arg = path(&file);
    for format in ["inline", "lines"] {
        let (code, stdout, stderr) = rein(&[
            "ner",
            "--quiet",
            "--model",
            &model,
            "--labels",
            "PERSON,CITY",
            "--format",
            format,
            "--max-tokens",
            "96",
            &file_arg,
        ]);
        let results = lines(&stdout);
        assert_eq!(results.len(), 1, "{stdout}");
        let result = &results[0];
        // The budget closes the tagging within --max-tokens: never cut.
        assert!(result.get("error").is_none(), "{result}");
        assert_eq!(code, 0, "{stderr}");
        let tagged = result["tagged"].as_str().unwrap();
        let tags: Vec<&str> = match format {
            "inline" => tagged
                .split('<')
                .skip(1)
                .map(|rest| rest.split('>').next().unwrap().trim_start_matches('/'))
                .collect(),
            _ => tagged
                .lines()
                .filter_map(|line| line.split_once(':'))
                .map(|(_, label)| label.trim())
                .filter(|label| !label.is_empty())
                .collect(),
        };
        for tag in &tags {
            assert!(
                ["PERSON", "CITY"].contains(tag),
                "tag {tag:?} in {tagged:?}"
            );
        }
        for entity in result["entities"].as_array().unwrap() {
            let start = entity["start"].as_u64().unwrap() as usize;
            let end = entity["end"].as_u64().unwrap() as usize;
            assert_eq!(&text[start..end], entity["text"].as_str().unwrap());
            assert!(["PERSON", "CITY"].contains(&entity["label"].as_str().unwrap()));
        }
    }
}

#[test]
fn classification_always_returns_a_label_with_probabilities() {
    let labels = [
        "supportive",
        "antagonistic",
        "mournful",
        "celebratory",
        "other",
    ];
    let input = repository().join("examples/sentiment/speeches.jsonl");
    let examples = repository().join("examples/sentiment/few-shot.jsonl");
    let model = model();
    let (code, stdout, stderr) = rein(&[
        "classify",
        "--quiet",
        "--model",
        &model,
        "--labels",
        &labels.join(","),
        "--examples",
        &path(&examples),
        "--input",
        &path(&input),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let results = lines(&stdout);
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["id"], "toast");
    for result in &results {
        let label = result["label"]
            .as_str()
            .unwrap_or_else(|| panic!("{result}"));
        assert!(labels.contains(&label), "{result}");
        let probabilities = result["probabilities"].as_object().unwrap();
        assert_eq!(probabilities.len(), labels.len());
        let sum: f64 = probabilities.values().map(|p| p.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-3, "{result}");
    }
}

#[test]
fn a_regex_generation_matches_the_regex() {
    let pattern = r"[A-Z][a-z]+, [0-9]{2} (Jan|Feb|Mar) [0-9]{4}";
    let model = model();
    let (code, stdout, stderr) = rein(&[
        "generate",
        "--quiet",
        "--model",
        &model,
        "--regex",
        pattern,
        "--max-tokens",
        "32",
        "--prompt",
        "When and where were you born?",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = stdout.strip_suffix('\n').unwrap();
    let full = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
    assert!(full.is_match(text), "{text:?}");
}

#[test]
fn bad_documents_get_error_lines_and_the_others_results() {
    let dir = scratch("bad-batch");
    let good = dir.join("good.txt");
    std::fs::write(&good, "We are so proud of you, congratulations!").unwrap();
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let unreadable = dir.join("a-folder.txt");
    std::fs::create_dir_all(&unreadable).unwrap();
    let missing = dir.join("missing.txt");
    let huge = dir.join("huge.txt");
    std::fs::write(&huge, "word ".repeat(1 << 18)).unwrap();
    let other = dir.join("other.txt");
    std::fs::write(&other, "The meeting moves to Friday.").unwrap();
    let files: Vec<String> = [&good, &empty, &unreadable, &missing, &huge, &other]
        .iter()
        .map(|p| path(p))
        .collect();
    let model = model();
    let mut args = vec![
        "classify",
        "--model",
        &model,
        "--labels",
        "celebratory,other",
    ];
    args.extend(files.iter().map(String::as_str));
    let (code, stdout, stderr) = rein(&args);
    assert_eq!(code, 3, "some documents failed: {stderr}");
    let results = lines(&stdout);
    assert_eq!(results.len(), files.len(), "nothing is lost: {stdout}");
    for (result, file) in results.iter().zip(&files) {
        assert_eq!(result["id"].as_str(), Some(file.as_str()));
    }
    for index in [0, 5] {
        assert!(results[index].get("label").is_some(), "{}", results[index]);
    }
    let error = |index: usize| {
        results[index]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(error(1).contains("empty"), "{}", error(1));
    assert!(error(2).contains("cannot read"), "{}", error(2));
    assert!(error(3).contains("cannot read"), "{}", error(3));
    assert!(error(4).contains("context"), "{}", error(4));
    // The summary names each failure.
    assert!(stderr.contains("4 failed"), "{stderr}");
}

#[test]
fn bad_setups_fail_with_one_line_errors() {
    let dir = scratch("bad-setups");
    let document = dir.join("doc.txt");
    std::fs::write(&document, "Invoice 12, total 3 EUR").unwrap();
    let bad_schema = dir.join("bad.json");
    std::fs::write(&bad_schema, "{\"type\": \"object\",\n \"properties\": {").unwrap();
    let model = model();
    let document = path(&document);

    let (code, stdout, stderr) = rein(&[
        "extract",
        "--model",
        &model,
        "--schema",
        &path(&bad_schema),
        &document,
    ]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.json:2:"), "{stderr}");

    let (code, _, stderr) = rein(&[
        "classify",
        "--model",
        "/no/such/model.gguf",
        "--labels",
        "a,b",
        &document,
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim_end(),
        "error: model /no/such/model.gguf: no such file or folder"
    );

    let llama3 = llama3();
    let (code, _, stderr) = rein(&[
        "classify",
        "--model",
        &model,
        "--tokenizer",
        &llama3,
        "--labels",
        "a,b",
        &document,
    ]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("does not match the tokenizer of model"),
        "{stderr}"
    );
    assert!(stderr.contains("128256"), "{stderr}");
}
