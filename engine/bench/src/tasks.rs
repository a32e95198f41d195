//! Scoring for `rein bench tasks` on rein's labelled set (`bench/tasks/`):
//! reading labelled documents, comparing answers with the gold ones, and
//! the per-setting totals and table. The driver that runs the settings
//! lives in the `rein` binary, beside the extraction and NER tasks it runs.
//!
//! Extraction is scored by field accuracy (exact match after trimming
//! strings; lists element by element; an invalid answer scores 0 on every
//! field), NER by entity precision, recall and F1 (an entity right when its
//! label and byte span match the gold one exactly).

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Value};

/// One labelled document.
pub struct Labelled {
    /// The document's id.
    pub id: String,
    /// The document's text.
    pub text: String,
    /// The gold answer.
    pub gold: Value,
}

/// Every non-blank line of a JSONL file, parsed.
pub fn read_jsonl(path: &Path) -> Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_str(line).with_context(|| format!("{}:{}", path.display(), index + 1))
        })
        .collect()
}

/// The labelled documents of a JSONL file: `id`, `text`, and the gold
/// answer under `gold_key`.
pub fn labelled(path: &Path, gold_key: &str) -> Result<Vec<Labelled>> {
    read_jsonl(path)?
        .into_iter()
        .map(|line| {
            Ok(Labelled {
                id: line["id"]
                    .as_str()
                    .context("a line without an id")?
                    .to_string(),
                text: line["text"]
                    .as_str()
                    .context("a line without a text")?
                    .to_string(),
                gold: line[gold_key].clone(),
            })
        })
        .collect()
}

/// Whether `value` is `gold` after trimming strings.
pub fn same(value: &Value, gold: &Value) -> bool {
    match (value, gold) {
        (Value::String(a), Value::String(b)) => a.trim() == b.trim(),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (a, b) => a == b,
    }
}

/// The share of `gold`'s fields `output` has right (0 without output).
pub fn field_accuracy(output: Option<&Value>, gold: &Value) -> f64 {
    let Some(fields) = gold.as_object() else {
        return 0.0;
    };
    let Some(output) = output else {
        return 0.0;
    };
    let right = fields
        .iter()
        .filter(|(name, expected)| {
            output
                .get(name.as_str())
                .is_some_and(|value| same(value, expected))
        })
        .count();
    right as f64 / fields.len().max(1) as f64
}

/// Totals of one setting, added to document by document.
#[derive(Default)]
pub struct Tally {
    /// Documents run.
    pub documents: usize,
    /// Documents with a valid answer.
    pub valid: usize,
    /// Valid answers the token budget steered to an early ending.
    pub budget_closed: usize,
    /// Extraction: the sum of field accuracies.
    pub score: f64,
    /// Tokens generated.
    pub tokens: usize,
    /// Seconds taken.
    pub seconds: f64,
    /// NER: entities found with the gold label and span.
    pub true_positives: usize,
    /// NER: entities found (aligned or not).
    pub predicted: usize,
    /// NER: gold entities.
    pub gold: usize,
}

impl Tally {
    /// The setting's figures: counts and costs per document, with field
    /// accuracy (extraction) or precision, recall and F1 (`ner`).
    pub fn figures(&self, ner: bool) -> Value {
        let per = |x: f64| x / self.documents.max(1) as f64;
        let mut figures = json!({
            "documents": self.documents,
            "valid": self.valid,
            "budget_closed": self.budget_closed,
            "tokens_per_document": per(self.tokens as f64),
            "seconds_per_document": per(self.seconds),
        });
        if ner {
            let precision = self.true_positives as f64 / self.predicted.max(1) as f64;
            let recall = self.true_positives as f64 / self.gold.max(1) as f64;
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            figures["precision"] = json!(precision);
            figures["recall"] = json!(recall);
            figures["f1"] = json!(f1);
        } else {
            figures["field_accuracy"] = json!(per(self.score));
        }
        figures
    }

    /// Prints the setting's row of the table (under [`print_header`]).
    pub fn print_row(&self, setting: &str, ner: bool) {
        let figures = self.figures(ner);
        let accuracy = if ner {
            &figures["f1"]
        } else {
            &figures["field_accuracy"]
        };
        println!(
            "{:<20} {:>5} {:>6} {:>7} {:>9.3} {:>8.1} {:>8.2}",
            setting,
            self.documents,
            self.valid,
            self.budget_closed,
            accuracy.as_f64().unwrap_or(0.0),
            figures["tokens_per_document"].as_f64().unwrap_or(0.0),
            figures["seconds_per_document"].as_f64().unwrap_or(0.0),
        );
    }
}

/// Prints the table's header.
pub fn print_header() {
    println!(
        "{:<20} {:>5} {:>6} {:>7} {:>9} {:>8} {:>8}",
        "setting", "docs", "valid", "closed", "accuracy", "tok/doc", "s/doc"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_match_after_trimming_and_lists_element_by_element() {
        let gold = json!({"name": "Ada", "tags": ["a", "b"], "age": 36});
        let output = json!({"name": " Ada ", "tags": ["a", "c"], "age": 36.0});
        assert!((field_accuracy(Some(&output), &gold) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(field_accuracy(None, &gold), 0.0);
    }
}
