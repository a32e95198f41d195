//! `rein classify`: one label per document, with probabilities.
//!
//! The output is constrained to exactly one of the labels, so a label always
//! comes back. Probabilities come from the model's distribution at the first
//! label token, read inside rein's logits processor (natural log-softmax at
//! temperature 1 over the tokens the constraint allows). They are not taken
//! from mistral.rs's returned logprobs: those are base 10, and under greedy
//! decoding mistral.rs 0.8.1 takes the log of the raw logit rather than of a
//! probability (`Sampler::sample_argmax`), so they are not probabilities.
//! A first token that begins several labels has its mass split evenly among
//! them — exact when labels differ in their first token, an approximation
//! otherwise. Under greedy decoding the label is the most probable one (the
//! single best first token can begin a label with less total mass); when
//! sampling, it is the sampled label.
//!
//! `--reasoning` lets the model write a line of reasoning first
//! (`grammars/reasoning-answer.gbnf` with the labels put in); the label and
//! its probabilities then come from a second, label-only request that
//! continues the reasoning after `Answer: `.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use rein_core::{Constraint, TokenId, Vocabulary};
use rein_runtime::{Decoding, Finish, Generation, GenerationRequest, Prompt, Role};
use serde_json::Value;

use crate::batch::{self, Fields, InputArgs, Task};
use crate::labels;
use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::Outcome;

const REASONING_GRAMMAR: &str = include_str!("../../../grammars/reasoning-answer.gbnf");

/// Arguments of `rein classify`.
#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// The labels, comma-separated.
    #[arg(long, value_name = "A,B,…")]
    labels: String,
    /// Few-shot examples: a JSONL file of `{"text": …, "label": …}` lines.
    #[arg(long, value_name = "few-shot.jsonl")]
    examples: Option<PathBuf>,
    /// Let the model reason in one line before it answers.
    #[arg(long)]
    reasoning: bool,
    /// What to say to the model before the examples and the document.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    instructions: Option<String>,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    decoding: DecodingArgs,
}

/// Runs `rein classify`.
pub fn run(args: &ClassifyArgs) -> Result<Outcome> {
    let labels = labels::parse(&args.labels, &['\n'])?;
    let examples = match &args.examples {
        Some(path) => read_examples(path, &labels)?,
        None => Vec::new(),
    };
    let mut decoding = args.decoding.decoding()?;
    let documents = args.input.documents()?;
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let engine = runtime.engine();
    let choice = engine.choice(&labels)?;
    let reasoning = if args.reasoning {
        let alternatives: Vec<String> = labels.iter().map(|l| labels::literal(l)).collect();
        let source = labels::replace_rule(REASONING_GRAMMAR, "label", &alternatives.join(" | "))?;
        let constraint = engine
            .grammar(&source)
            .map_err(|error| anyhow::anyhow!("the reasoning grammar for --labels: {error}"))?;
        Some(constraint)
    } else {
        // A label is short: the budget only bounds runaway tokenizations.
        decoding.max_tokens = decoding.max_tokens.min(64);
        None
    };
    let instructions = args.instructions.clone().unwrap_or_else(|| {
        format!(
            "Classify the text. Answer with exactly one of these labels: {}.",
            labels.join(", ")
        )
    });
    let task = ClassifyTask {
        labels,
        examples,
        instructions,
        choice,
        reasoning,
        vocabulary: runtime.vocabulary(),
        decoding,
    };
    batch::run(
        &tokio,
        runtime,
        Arc::new(task),
        documents,
        args.decoding.vote,
        args.input.quiet.quiet,
        "classify",
    )
}

fn read_examples(path: &PathBuf, labels: &[String]) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --examples {}", path.display()))?;
    let mut examples = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), index + 1);
        let value: Value =
            serde_json::from_str(line).with_context(|| format!("{at}: not a JSON line"))?;
        let (Some(text), Some(label)) = (
            value.get("text").and_then(Value::as_str),
            value.get("label").and_then(Value::as_str),
        ) else {
            bail!("{at}: an example needs \"text\" and \"label\" strings");
        };
        if !labels.iter().any(|known| known == label) {
            bail!("{at}: label {label:?} is not one of --labels");
        }
        examples.push((text.to_string(), label.to_string()));
    }
    Ok(examples)
}

struct ClassifyTask {
    labels: Vec<String>,
    examples: Vec<(String, String)>,
    instructions: String,
    choice: Constraint,
    reasoning: Option<Constraint>,
    vocabulary: Arc<Vocabulary>,
    decoding: Decoding,
}

impl ClassifyTask {
    fn messages(&self, text: &str) -> Vec<(Role, String)> {
        let mut messages = vec![(Role::System, self.instructions.clone())];
        for (example, label) in &self.examples {
            messages.push((Role::User, example.clone()));
            let answer = if self.reasoning.is_some() {
                format!("Reasoning: this is an example.\nAnswer: {label}")
            } else {
                label.clone()
            };
            messages.push((Role::Assistant, answer));
        }
        messages.push((Role::User, text.to_string()));
        messages
    }

    fn label_request(&self, prompt: Prompt, samples: usize) -> GenerationRequest {
        let mut decoding = self.decoding.clone();
        decoding.samples = samples;
        decoding.max_tokens = decoding.max_tokens.min(64);
        GenerationRequest {
            prompt,
            constraint: Some(self.choice.clone()),
            decoding,
            record_first_token: true,
        }
    }
}

impl Task for ClassifyTask {
    fn request(&self, text: &str) -> Result<GenerationRequest, String> {
        let prompt = Prompt::Chat(self.messages(text));
        match &self.reasoning {
            None => Ok(self.label_request(prompt, self.decoding.samples)),
            Some(grammar) => Ok(GenerationRequest {
                prompt,
                constraint: Some(grammar.clone()),
                decoding: self.decoding.clone(),
                record_first_token: false,
            }),
        }
    }

    fn follow_up(
        &self,
        text: &str,
        first: &Generation,
    ) -> Option<Result<GenerationRequest, String>> {
        self.reasoning.as_ref()?;
        let choice = first.choices.first()?;
        let Some(at) = choice.text.find("\nAnswer: ") else {
            return Some(Err(if choice.finish == Finish::Length {
                format!(
                    "the reasoning was cut at --max-tokens {} before its answer",
                    self.decoding.max_tokens
                )
            } else {
                "the reasoning output has no answer line".to_string()
            }));
        };
        let prefix = choice.text[..at + "\nAnswer: ".len()].to_string();
        let prompt = Prompt::ChatContinued(self.messages(text), prefix);
        Some(Ok(self.label_request(prompt, self.decoding.samples)))
    }

    fn interpret(
        &self,
        _text: &str,
        sample: usize,
        generation: &Generation,
    ) -> Result<Fields, String> {
        let choice = generation
            .choices
            .get(sample)
            .ok_or_else(|| "the model returned no output".to_string())?;
        let generated = choice.text.trim();
        if !self.labels.iter().any(|known| known == generated) {
            return Err(format!("the output {generated:?} is not one of the labels"));
        }
        let probabilities = generation
            .first_token
            .as_ref()
            .map(|first| label_probabilities(&self.vocabulary, &self.labels, first));
        // Greedy decoding follows the single best token, which can begin a
        // less likely label than the one whose tokens hold the most mass;
        // the most probable label is the better greedy answer. Sampling
        // keeps the sampled label (votes count samples).
        let label = match (&probabilities, self.decoding.temperature) {
            (Some(probabilities), None) => probabilities
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(label, _)| label.as_str())
                .unwrap_or(generated),
            _ => generated,
        };
        let mut fields = vec![("label".to_string(), Value::String(label.to_string()))];
        if let Some(probabilities) = probabilities {
            let map: serde_json::Map<String, Value> = probabilities
                .into_iter()
                .map(|(label, p)| (label, Value::from(round(p))))
                .collect();
            fields.push(("probabilities".to_string(), Value::Object(map)));
        }
        Ok(fields)
    }
}

fn round(p: f64) -> f64 {
    (p * 1e6).round() / 1e6
}

/// Label probabilities from the first-token distribution: each allowed first
/// token's probability goes to the labels it begins, split evenly; the result
/// is normalized over the labels. Labels keep their input order.
pub fn label_probabilities(
    vocabulary: &Vocabulary,
    labels: &[String],
    first: &[(TokenId, f32)],
) -> Vec<(String, f64)> {
    let mut mass: BTreeMap<usize, f64> = BTreeMap::new();
    for &(token, log_probability) in first {
        let Some(bytes) = vocabulary.token_bytes(token) else {
            continue;
        };
        let starts: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, label)| !bytes.is_empty() && label.as_bytes().starts_with(bytes))
            .map(|(index, _)| index)
            .collect();
        let share = f64::from(log_probability).exp() / starts.len().max(1) as f64;
        for index in starts {
            *mass.entry(index).or_default() += share;
        }
    }
    let total: f64 = mass.values().sum();
    labels
        .iter()
        .enumerate()
        .map(|(index, label)| {
            let p = mass.get(&index).copied().unwrap_or(0.0);
            (label.clone(), if total > 0.0 { p / total } else { 0.0 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rein_core::TokenKind;

    use super::*;

    #[test]
    fn shared_first_tokens_split_their_mass() {
        let mut builder = Vocabulary::builder();
        for text in ["sup", "supportive", "ant", "m", "x"] {
            builder.push(text.as_bytes().to_vec(), TokenKind::Text);
        }
        let vocabulary = builder.build().unwrap();
        let labels: Vec<String> = ["supportive", "support", "antagonistic", "mournful"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // p("sup") = 0.4 (two labels), p("supportive") = 0.2, p("ant") = 0.3, p("m") = 0.1.
        let first = [
            (0, 0.4f32.ln()),
            (1, 0.2f32.ln()),
            (2, 0.3f32.ln()),
            (3, 0.1f32.ln()),
        ];
        let p: Vec<f64> = label_probabilities(&vocabulary, &labels, &first)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        let expected = [0.4, 0.2, 0.3, 0.1];
        for (got, want) in p.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{p:?}");
        }
    }
}
