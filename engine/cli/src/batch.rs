//! Running many documents as concurrent requests, and writing one JSONL line
//! per document.
//!
//! Every document becomes its own request; they are all in flight at once
//! (up to a cap) and the runtime runs them one after another, each exactly
//! as it would run alone. A line whose output the token budget steered to an
//! early ending carries `"budget_closed": true`. A document that cannot be read,
//! is empty, is too long for the model, or whose output fails its check gets
//! an `{"id", "error"}` line and costs the others nothing. Lines are written
//! in input order, each as soon as it and all before it are done. A progress
//! bar and a summary go to stderr (`--quiet` drops both).

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rein_runtime::{Generation, GenerationRequest, Runtime};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::vote;
use crate::Outcome;

/// Requests in flight at once (prompts are tokenized ahead of the engine).
const IN_FLIGHT: usize = 64;

/// Where documents come from.
#[derive(Args, Clone, Debug)]
pub struct InputArgs {
    /// Documents, one per file; a document's id is its path.
    #[arg(
        value_name = "FILES",
        required_unless_present = "input",
        conflicts_with = "input"
    )]
    pub files: Vec<PathBuf>,
    /// A JSONL file of documents: `{"id": …, "text": …}` per line.
    #[arg(long, value_name = "docs.jsonl")]
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub quiet: QuietArgs,
}

/// `--quiet`: only the output on stdout, and errors.
#[derive(Args, Clone, Copy, Debug)]
pub struct QuietArgs {
    /// No progress bar and no summary on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// One input document: its id and its text, or why there is none.
pub struct Document {
    pub id: String,
    pub text: Result<String, String>,
}

impl InputArgs {
    /// Reads every document; failures become per-document errors, except
    /// an unreadable `--input` file, which fails the whole run.
    pub fn documents(&self) -> Result<Vec<Document>> {
        if let Some(path) = &self.input {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --input {}", path.display()))?;
            return Ok(jsonl_documents(&path.display().to_string(), &text));
        }
        Ok(self.files.iter().map(read_file).collect())
    }
}

fn read_file(path: &PathBuf) -> Document {
    let id = path.display().to_string();
    let text = match std::fs::read(path) {
        Err(error) => Err(format!("cannot read the file: {error}")),
        Ok(bytes) => match String::from_utf8(bytes) {
            Err(error) => Err(format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            )),
            Ok(text) if text.trim().is_empty() => Err("the document is empty".to_string()),
            Ok(text) => Ok(text),
        },
    };
    Document { id, text }
}

fn jsonl_documents(source: &str, text: &str) -> Vec<Document> {
    let mut documents = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fallback_id = format!("{source}:{}", index + 1);
        let parsed: Result<Value, _> = serde_json::from_str(line);
        let document = match parsed {
            Err(error) => Document {
                id: fallback_id,
                text: Err(format!("not a JSON line: {error}")),
            },
            Ok(value) => {
                let id = match value.get("id") {
                    Some(Value::String(id)) => id.clone(),
                    Some(Value::Number(id)) => id.to_string(),
                    _ => fallback_id,
                };
                let text = match value.get("text") {
                    Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
                    Some(Value::String(_)) => Err("the document is empty".to_string()),
                    _ => Err("the line has no \"text\" string".to_string()),
                };
                Document { id, text }
            }
        };
        documents.push(document);
    }
    documents
}

/// The one part that is all of `text`.
pub fn whole(text: &str) -> Vec<Range<usize>> {
    std::iter::once(0..text.len()).collect()
}

/// Output fields of one document, in order.
pub type Fields = Vec<(String, Value)>;

/// What a subcommand does with each document.
pub trait Task: Send + Sync + 'static {
    /// The byte ranges of a document sent as requests of their own, in
    /// order (default: the whole text, one request).
    fn parts(&self, text: &str) -> Vec<Range<usize>> {
        whole(text)
    }
    /// Joins the fields of a document's parts, each with its range
    /// (default: the fields of the first part).
    fn join(&self, _text: &str, parts: Vec<(Range<usize>, Fields)>) -> Result<Fields, String> {
        parts
            .into_iter()
            .next()
            .map(|(_, fields)| fields)
            .ok_or_else(|| "the document has no part".to_string())
    }
    /// The request for a document's text (or a part's).
    fn request(&self, text: &str) -> Result<GenerationRequest, String>;
    /// The output fields for one generated sample, or why it is not valid.
    fn interpret(
        &self,
        text: &str,
        sample: usize,
        generation: &Generation,
    ) -> Result<Fields, String>;
    /// What samples are compared by when voting (default: the first field).
    fn vote_key(&self, fields: &Fields) -> String {
        fields
            .first()
            .map(|(_, value)| value.to_string())
            .unwrap_or_default()
    }
    /// A second request that refines a first generation (classification
    /// after reasoning); `None` when there is none.
    fn follow_up(
        &self,
        _text: &str,
        _first: &Generation,
    ) -> Option<Result<GenerationRequest, String>> {
        None
    }
}

/// One finished document.
struct Finished {
    index: usize,
    fields: Result<Fields, String>,
    tokens: usize,
}

/// Runs `task` over `documents`, writing JSONL to stdout.
pub fn run(
    tokio: &tokio::runtime::Runtime,
    runtime: Arc<Runtime>,
    task: Arc<dyn Task>,
    documents: Vec<Document>,
    vote: bool,
    quiet: bool,
    command: &str,
) -> Result<Outcome> {
    let start = Instant::now();
    let total = documents.len();
    let progress = if quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} documents [{elapsed_precise}] {wide_bar} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message("loading…");
        bar
    };
    let ids: Vec<String> = documents
        .iter()
        .map(|document| document.id.clone())
        .collect();
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Finished>();
    let semaphore = Arc::new(Semaphore::new(IN_FLIGHT));
    for (index, document) in documents.into_iter().enumerate() {
        let sender = sender.clone();
        let runtime = Arc::clone(&runtime);
        let task = Arc::clone(&task);
        let semaphore = Arc::clone(&semaphore);
        tokio.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let (fields, tokens) = match document.text {
                Err(error) => (Err(error), 0),
                Ok(text) => process(&runtime, task.as_ref(), &text, vote, Engine::Rein).await,
            };
            let _ = sender.send(Finished {
                index,
                fields,
                tokens,
            });
        });
    }
    drop(sender);
    let mut pending: BTreeMap<usize, Result<Fields, String>> = BTreeMap::new();
    let mut next = 0;
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut tokens = 0usize;
    let stdout = std::io::stdout();
    tokio.block_on(async {
        while let Some(finished) = receiver.recv().await {
            tokens += finished.tokens;
            progress.inc(1);
            progress.set_message(format!("{tokens} tokens"));
            pending.insert(finished.index, finished.fields);
            while let Some(fields) = pending.remove(&next) {
                let id = &ids[next];
                let line = match fields {
                    Ok(fields) => json_line(id, fields),
                    Err(error) => {
                        failures.push((id.clone(), error.clone()));
                        json_line(id, vec![("error".to_string(), Value::String(error))])
                    }
                };
                let mut out = stdout.lock();
                // A closed stdout (a pipe to `head`) ends the output quietly.
                if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                    return;
                }
                next += 1;
            }
        }
    });
    progress.finish_and_clear();
    if !quiet {
        summary(command, total, &failures, tokens, start.elapsed(), &runtime);
    }
    if next < total {
        // Tasks that never reported (a panic inside mistral.rs) — say so.
        for id in &ids[next..] {
            eprintln!("error: {id}: no result was produced");
        }
        return Ok(Outcome::SomeFailed);
    }
    Ok(if failures.is_empty() {
        Outcome::Success
    } else {
        Outcome::SomeFailed
    })
}

/// Which constraint engine runs a task's requests.
#[derive(Clone, Copy)]
pub enum Engine<'a> {
    /// rein's matcher, as every subcommand runs.
    Rein,
    /// mistral.rs's built-in JSON Schema constraint with this schema, for
    /// `rein bench tasks` (the request's own constraint is not used).
    MistralrsJsonSchema(&'a Value),
}

/// Generates for one document — each of its parts in turn — and
/// interprets the samples; returns the fields and the tokens generated.
pub async fn process(
    runtime: &Runtime,
    task: &dyn Task,
    text: &str,
    vote: bool,
    engine: Engine<'_>,
) -> (Result<Fields, String>, usize) {
    let ranges = task.parts(text);
    let count = ranges.len();
    let mut parts = Vec::with_capacity(count);
    let mut tokens = 0;
    for (index, range) in ranges.into_iter().enumerate() {
        let (fields, used) = process_part(runtime, task, &text[range.clone()], vote, engine).await;
        tokens += used;
        match fields {
            Ok(fields) => parts.push((range, fields)),
            Err(error) if count == 1 => return (Err(error), tokens),
            Err(error) => {
                let error = format!("part {} of {count} (bytes {range:?}): {error}", index + 1);
                return (Err(error), tokens);
            }
        }
    }
    (task.join(text, parts), tokens)
}

/// Generates for one part of a document and interprets its samples.
async fn process_part(
    runtime: &Runtime,
    task: &dyn Task,
    text: &str,
    vote: bool,
    engine: Engine<'_>,
) -> (Result<Fields, String>, usize) {
    let request = match task.request(text) {
        Ok(request) => request,
        Err(error) => return (Err(error), 0),
    };
    let generated = match engine {
        Engine::Rein => runtime.generate(request).await,
        Engine::MistralrsJsonSchema(schema) => {
            runtime
                .generate_with_mistralrs_constraint(request, schema.clone())
                .await
        }
    };
    let mut generation = match generated {
        Ok(generation) => generation,
        Err(error) => return (Err(error.to_string()), 0),
    };
    let mut tokens = generation.completion_tokens;
    if let Some(follow_up) = task.follow_up(text, &generation) {
        let request = match follow_up {
            Ok(request) => request,
            Err(error) => return (Err(error), tokens),
        };
        generation = match runtime.generate(request).await {
            Ok(second) => second,
            Err(error) => return (Err(error.to_string()), tokens),
        };
        tokens += generation.completion_tokens;
    }
    let samples: Vec<Result<Fields, String>> = generation
        .choices
        .iter()
        .enumerate()
        .map(|(index, choice)| {
            let mut fields = task.interpret(text, index, &generation)?;
            if choice.budget_closed {
                fields.push(("budget_closed".to_string(), Value::Bool(true)));
            }
            Ok(fields)
        })
        .collect();
    (vote::combine(task, samples, vote), tokens)
}

/// `{"id": …, <fields>}` with `id` first.
pub fn json_line(id: &str, fields: Fields) -> String {
    let mut line = format!("{{\"id\":{}", Value::String(id.to_string()));
    for (key, value) in fields {
        line.push(',');
        line.push_str(&Value::String(key).to_string());
        line.push(':');
        line.push_str(&value.to_string());
    }
    line.push('}');
    line
}

fn summary(
    command: &str,
    total: usize,
    failures: &[(String, String)],
    tokens: usize,
    elapsed: Duration,
    runtime: &Runtime,
) {
    let stats = runtime.stats();
    let seconds = elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "rein {command}: {total} documents, {} ok, {} failed; {tokens} tokens in {seconds:.1} s ({:.1} tokens/s)",
        total - failures.len(),
        failures.len(),
        tokens as f64 / seconds
    );
    if stats.steps > 0 {
        eprintln!(
            "  mask per step: p50 {} µs, p99 {} µs over {} steps; {:.1}% served by the background guess",
            stats.step_time(0.5).as_micros(),
            stats.step_time(0.99).as_micros(),
            stats.steps,
            100.0 * stats.guess_hit_share()
        );
    }
    for (id, error) in failures {
        eprintln!("  failed: {id}: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_take_their_ids_and_report_bad_lines() {
        let text = "{\"id\": \"a\", \"text\": \"hello\"}\n\nnot json\n{\"id\": 7, \"text\": \"  \"}\n{\"text\": \"x\"}\n";
        let documents = jsonl_documents("docs.jsonl", text);
        let summary: Vec<(&str, Result<&str, &str>)> = documents
            .iter()
            .map(|d| (d.id.as_str(), d.text.as_deref().map_err(String::as_str)))
            .collect();
        assert_eq!(summary[0], ("a", Ok("hello")));
        assert_eq!(summary[1].0, "docs.jsonl:3");
        assert!(summary[1].1.unwrap_err().starts_with("not a JSON line"));
        assert_eq!(summary[2], ("7", Err("the document is empty")));
        assert_eq!(summary[3], ("docs.jsonl:5", Ok("x")));
    }

    #[test]
    fn lines_put_the_id_first_and_escape() {
        let line = json_line(
            "a\"b",
            vec![("output".to_string(), serde_json::json!({"z": 1}))],
        );
        assert_eq!(line, r#"{"id":"a\"b","output":{"z":1}}"#);
    }
}
