//! Combining a document's samples: the first valid one, or the majority
//! (`--vote`, self-consistency) with its agreement. [`majority`] is the one
//! vote count, for batches' fields and `rein generate`'s texts alike.

use std::collections::HashMap;
use std::hash::Hash;

use serde_json::Value;

use crate::batch::{Fields, Task};

/// The majority among `keys` (a `None` is a sample that does not vote):
/// the index of the first sample with the most common key, and how many
/// samples gave that key; ties go to the key given earliest. `None` when no
/// sample votes.
pub fn majority<K: Hash + Eq>(keys: impl IntoIterator<Item = Option<K>>) -> Option<(usize, usize)> {
    let mut tally: HashMap<K, (usize, usize)> = HashMap::new();
    for (index, key) in keys.into_iter().enumerate() {
        if let Some(key) = key {
            tally.entry(key).or_insert((0, index)).0 += 1;
        }
    }
    tally
        .into_values()
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(votes, first)| (first, votes))
}

/// Combines the interpreted samples of one document.
///
/// One sample: its fields or its error. Several without voting: the first
/// valid sample's fields plus `"samples"`, every sample's fields (or error).
/// Several with voting: the fields of the answer most valid samples gave
/// (ties go to the earliest), plus `"agreement"`, the share of all samples
/// that gave it, and `"samples"`, the count. No valid sample: the first error.
pub fn combine(
    task: &dyn Task,
    samples: Vec<Result<Fields, String>>,
    vote: bool,
) -> Result<Fields, String> {
    let count = samples.len();
    if count <= 1 && !vote {
        return samples
            .into_iter()
            .next()
            .unwrap_or_else(|| Err("the model returned no output".to_string()));
    }
    if !samples.iter().any(Result::is_ok) {
        return match samples.into_iter().next() {
            Some(Err(error)) => Err(format!("no sample was valid; the first: {error}")),
            _ => Err("the model returned no output".to_string()),
        };
    }
    if vote {
        let keys = samples
            .iter()
            .map(|sample| sample.as_ref().ok().map(|fields| task.vote_key(fields)));
        let (winner, votes) = majority(keys).unwrap_or((0, 0));
        let mut fields = match samples.into_iter().nth(winner) {
            Some(Ok(fields)) => fields,
            _ => return Err("voting found no valid sample".to_string()),
        };
        fields.push((
            "agreement".to_string(),
            Value::from(votes as f64 / count as f64),
        ));
        fields.push(("samples".to_string(), Value::from(count)));
        return Ok(fields);
    }
    let all: Vec<Value> = samples
        .iter()
        .map(|sample| match sample {
            Ok(fields) => Value::Object(fields.iter().cloned().collect()),
            Err(error) => serde_json::json!({ "error": error }),
        })
        .collect();
    let mut first = samples.into_iter().find_map(Result::ok).unwrap_or_default();
    first.push(("samples".to_string(), Value::Array(all)));
    Ok(first)
}

#[cfg(test)]
mod tests {
    use rein_runtime::{Generation, GenerationRequest};

    use super::*;

    struct Labels;

    impl Task for Labels {
        fn request(&self, _: &str) -> Result<GenerationRequest, String> {
            Err("unused".to_string())
        }
        fn interpret(&self, _: &str, _: usize, _: &Generation) -> Result<Fields, String> {
            Err("unused".to_string())
        }
    }

    fn label(text: &str) -> Result<Fields, String> {
        Ok(vec![("label".to_string(), Value::from(text))])
    }

    #[test]
    fn the_majority_wins_with_its_agreement() {
        let samples = vec![label("b"), label("a"), Err("cut".to_string()), label("a")];
        let fields = combine(&Labels, samples, true).unwrap();
        assert_eq!(fields[0].1, Value::from("a"));
        assert_eq!(fields[1], ("agreement".to_string(), Value::from(0.5)));
        assert_eq!(fields[2], ("samples".to_string(), Value::from(4)));
    }

    #[test]
    fn ties_go_to_the_earliest_and_all_errors_fail() {
        let fields = combine(&Labels, vec![label("b"), label("a")], true).unwrap();
        assert_eq!(fields[0].1, Value::from("b"));
        let error = combine(
            &Labels,
            vec![Err("x".to_string()), Err("y".to_string())],
            true,
        );
        assert_eq!(error.unwrap_err(), "no sample was valid; the first: x");
    }

    #[test]
    fn the_majority_counts_voters_only_and_ties_go_to_the_earliest() {
        assert_eq!(
            majority([Some("b"), None, Some("a"), Some("a")]),
            Some((2, 2))
        );
        assert_eq!(majority([Some("b"), Some("a")]), Some((0, 1)));
        assert_eq!(majority::<&str>([None, None]), None);
    }

    #[test]
    fn without_voting_the_first_valid_sample_and_all_samples() {
        let fields = combine(&Labels, vec![Err("x".to_string()), label("c")], false).unwrap();
        assert_eq!(fields[0].1, Value::from("c"));
        assert_eq!(
            fields[1].1,
            serde_json::json!([{ "error": "x" }, { "label": "c" }])
        );
    }
}
