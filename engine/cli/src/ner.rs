//! `rein ner`: tag named entities with a given label set.
//!
//! By default each document gets a grammar built from its own text (see
//! [`crate::anchored`]): the model reproduces the document exactly and
//! chooses only where entities start and end and which label each gets, so
//! every entity is a run of the document's words and its byte offsets index
//! the document. Two formats: `lines` (`word:` or `word: LABEL` per word)
//! and `inline` (the text with `<LABEL>`…`</LABEL>` around entities). Long
//! documents are tagged in chunks of whole sentences (`--chunk-words`),
//! halved between words until the shortest tagging of each fits
//! `--max-tokens`, with offsets into the whole document.
//!
//! `--free-text` uses the shipped tag grammars instead
//! (`grammars/ner-lines.gbnf`, `ner-inline.gbnf`, with the label rule
//! replaced): the output always parses and names only the labels, but its
//! text is the model's; tagged spans are then searched for in the input and
//! those not found are listed apart.

use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use rein_core::{BudgetedMatcher, Constraint, Engine};
use rein_runtime::{Decoding, Finish, Generation, GenerationRequest, Prompt, Role};
use serde_json::{json, Value};

use crate::anchored::{self, Words};
use crate::batch::{self, Fields, InputArgs, Task};
use crate::labels;
use crate::model_args::{tokio_runtime, DecodingArgs, ModelArgs};
use crate::Outcome;

const LINES_GRAMMAR: &str = include_str!("../../../grammars/ner-lines.gbnf");
const INLINE_GRAMMAR: &str = include_str!("../../../grammars/ner-inline.gbnf");

/// The tag format of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `word: TAG` per line, `word:` for no entity.
    Lines,
    /// `<TAG>…</TAG>` around entities in the running text.
    Inline,
}

/// Arguments of `rein ner`.
#[derive(Args, Debug)]
pub struct NerArgs {
    /// The entity labels, comma-separated.
    #[arg(long, value_name = "PER,LOC,…", default_value = "PER,LOC,ORG,NUM,DATE")]
    labels: String,
    /// The tag format the model writes (lines scored best on rein's
    /// labelled set, see bench/README.md).
    #[arg(long, value_enum, default_value_t = Format::Lines)]
    format: Format,
    /// Let the model write its own text in the tag format (the shipped
    /// free-text grammars) instead of tagging the document's words.
    #[arg(long)]
    free_text: bool,
    /// The most words tagged in one request; longer documents are cut into
    /// chunks of whole sentences, and a chunk whose shortest tagging does
    /// not fit --max-tokens is halved.
    #[arg(long, value_name = "N", default_value_t = 60)]
    chunk_words: usize,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    decoding: DecodingArgs,
}

/// One entity found in a free-text output.
#[derive(Clone, Debug, PartialEq)]
pub struct Entity {
    pub text: String,
    pub label: String,
}

/// Runs `rein ner`.
pub fn run(args: &NerArgs) -> Result<Outcome> {
    let forbidden: &[char] = match args.format {
        Format::Lines => &[':', '\n'],
        Format::Inline => &['<', '>', '/'],
    };
    let labels = labels::parse(&args.labels, forbidden)?;
    if args.chunk_words == 0 {
        anyhow::bail!("--chunk-words must be at least 1");
    }
    let decoding = args.decoding.decoding()?;
    let documents = args.input.documents()?;
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let engine = runtime.engine().clone();
    let tags = Tags::new(
        args.free_text,
        args.format,
        &labels,
        engine,
        args.chunk_words,
    )?;
    let task = Arc::new(NerTask::new(labels, args.format, tags, decoding));
    let outcome = batch::run(
        &tokio,
        runtime,
        Arc::clone(&task) as Arc<dyn Task>,
        documents,
        args.decoding.vote,
        args.input.quiet.quiet,
        "ner",
    )?;
    if !args.input.quiet.quiet {
        task.report_compile_times();
    }
    Ok(outcome)
}

/// The shipped grammar of `format` with its label set replaced.
pub fn grammar(format: Format, labels: &[String]) -> Result<String> {
    match format {
        Format::Lines => {
            let alternatives: Vec<String> = labels.iter().map(|l| labels::literal(l)).collect();
            labels::replace_rule(LINES_GRAMMAR, "label", &alternatives.join(" | "))
        }
        Format::Inline => {
            let alternatives: Vec<String> = labels
                .iter()
                .map(|label| {
                    format!(
                        "{} inner {}",
                        labels::literal(&format!("<{label}>")),
                        labels::literal(&format!("</{label}>"))
                    )
                })
                .collect();
            labels::replace_rule(INLINE_GRAMMAR, "entity", &alternatives.join(" | "))
        }
    }
    .context("building the tag grammar")
}

/// Where the tags' constraint comes from.
pub enum Tags {
    /// A grammar per document part, from its words.
    Anchored { engine: Engine, chunk_words: usize },
    /// One shipped grammar for every document.
    FreeText(Constraint),
}

impl Tags {
    /// Free-text grammars, or grammars anchored to each part of at most
    /// `chunk_words` words.
    pub fn new(
        free_text: bool,
        format: Format,
        labels: &[String],
        engine: Engine,
        chunk_words: usize,
    ) -> Result<Tags> {
        if !free_text {
            return Ok(Tags::Anchored {
                engine,
                chunk_words,
            });
        }
        let grammar = grammar(format, labels)?;
        let constraint = engine
            .grammar(&grammar)
            .map_err(|error| anyhow::anyhow!("the tag grammar for --labels: {error}"))?;
        Ok(Tags::FreeText(constraint))
    }
}

/// Tagging documents with a label set.
pub struct NerTask {
    labels: Vec<String>,
    format: Format,
    tags: Tags,
    decoding: Decoding,
    /// How long each part's grammar took to compile.
    compile_times: Mutex<Vec<Duration>>,
    /// Constraints compiled while sizing a document's parts, by the part's
    /// text, each taken by the part's request so no part compiles twice.
    sized: Mutex<Vec<(String, Constraint)>>,
}

/// The most sized parts' constraints kept for their requests.
const MAX_SIZED_PARTS: usize = 256;

/// The sentence of the worked example, and an entity of it for each kind
/// of label it can show, by the label names users commonly give.
const EXAMPLE: &str = "Ada Lovelace met 2 engineers from Siemens in Paris on 4 May 1843.";
const EXAMPLE_ENTITIES: [(&str, &[&str]); 5] = [
    ("Ada Lovelace", &["PER", "PERSON", "NAME"]),
    ("2", &["NUM", "NUMBER", "CARDINAL", "QUANTITY"]),
    (
        "Siemens",
        &["ORG", "ORGANIZATION", "ORGANISATION", "COMPANY"],
    ),
    ("Paris", &["LOC", "LOCATION", "CITY", "GPE", "PLACE"]),
    ("4 May 1843", &["DATE", "TIME"]),
];

impl NerTask {
    /// The task.
    pub fn new(labels: Vec<String>, format: Format, tags: Tags, decoding: Decoding) -> NerTask {
        NerTask {
            labels,
            format,
            tags,
            decoding,
            compile_times: Mutex::new(Vec::new()),
            sized: Mutex::new(Vec::new()),
        }
    }

    /// The worked example's answer in the task's format, with the entities
    /// whose kind one of the labels names; `None` when no label does.
    fn example_answer(&self) -> Option<String> {
        let words = Words::split(EXAMPLE);
        let mut spans = Vec::new();
        for (text, names) in EXAMPLE_ENTITIES {
            let label = self
                .labels
                .iter()
                .find(|label| names.contains(&label.to_uppercase().as_str()));
            if let (Some(label), Some(start)) = (label, EXAMPLE.find(text)) {
                spans.push(anchored::Span {
                    label: label.clone(),
                    start,
                    end: start + text.len(),
                });
            }
        }
        if spans.is_empty() {
            return None;
        }
        Some(match self.format {
            Format::Lines => anchored::render_lines(&words, &spans),
            Format::Inline => anchored::render_inline(&words, &spans),
        })
    }

    /// The chat: instructions, the worked example as a turn when there is
    /// one, then the document.
    fn messages(&self, text: &str) -> Vec<(Role, String)> {
        let mut messages = vec![(Role::System, self.instructions())];
        if let Some(answer) = self.example_answer() {
            messages.push((Role::User, EXAMPLE.to_string()));
            messages.push((Role::Assistant, answer));
        }
        messages.push((Role::User, text.to_string()));
        messages
    }

    fn instructions(&self) -> String {
        let labels = self.labels.join(", ");
        let first = &self.labels[0];
        let second = self.labels.get(1).unwrap_or(first);
        match self.format {
            Format::Lines => format!(
                "You tag named entities. Labels: {labels}.\n\
                 Write every word of the text on its own line as `word: LABEL`, \
                 or `word:` when it is not an entity.\n\
                 Example for \"Ada visited Paris\":\nAda: {first}\nvisited:\nParis: {second}"
            ),
            Format::Inline => format!(
                "You tag named entities. Labels: {labels}.\n\
                 Copy the text exactly and wrap every entity in its tag, like <LABEL>entity</LABEL>.\n\
                 Example for \"Ada visited Paris\": <{first}>Ada</{first}> visited <{second}>Paris</{second}>"
            ),
        }
    }

    /// The anchored constraint of one part: the one compiled while sizing
    /// the parts, or compiled now.
    fn anchored_constraint(&self, engine: &Engine, text: &str) -> Result<Constraint, String> {
        let sized = self.sized.lock().ok().and_then(|mut sized| {
            let index = sized.iter().position(|(part, _)| part == text)?;
            Some(sized.swap_remove(index).1)
        });
        match sized {
            Some(constraint) => Ok(constraint),
            None => self.timed_compile(engine, text),
        }
    }

    /// [`NerTask::compile_anchored`], its time recorded.
    fn timed_compile(&self, engine: &Engine, text: &str) -> Result<Constraint, String> {
        let start = Instant::now();
        let constraint = self.compile_anchored(engine, text)?;
        if let Ok(mut times) = self.compile_times.lock() {
            times.push(start.elapsed());
        }
        Ok(constraint)
    }

    fn compile_anchored(&self, engine: &Engine, text: &str) -> Result<Constraint, String> {
        let words = Words::split(text);
        let grammar = match self.format {
            Format::Lines => anchored::lines_grammar(&words, &self.labels),
            Format::Inline => anchored::inline_grammar(&words, &self.labels),
        }
        .map_err(|error| format!("the document's tag grammar: {error}"))?;
        engine
            .from_grammar(&grammar, "anchored tags")
            .map_err(|error| format!("the document's tag grammar: {error}"))
    }

    /// Pushes `range` onto `parts`, halved between words until the
    /// shortest tagging of every piece fits the token budget; each part's
    /// constraint is kept for its request. A piece whose grammar does not
    /// compile is kept whole: its request reports why.
    fn push_fitting(
        &self,
        engine: &Engine,
        text: &str,
        range: Range<usize>,
        parts: &mut Vec<Range<usize>>,
    ) {
        let piece = &text[range.clone()];
        let start = Instant::now();
        let compiled = self.compile_anchored(engine, piece);
        let elapsed = start.elapsed();
        let fits = match &compiled {
            Ok(constraint) => BudgetedMatcher::check(constraint, self.decoding.max_tokens).is_ok(),
            Err(_) => true,
        };
        let words = Words::split(piece);
        if fits || words.len() < 2 {
            if let (Ok(constraint), Ok(mut sized)) = (compiled, self.sized.lock()) {
                sized.push((piece.to_string(), constraint));
                // Parts of a document that failed early are never taken:
                // the oldest go (a part not found is compiled again).
                if sized.len() > MAX_SIZED_PARTS {
                    sized.remove(0);
                }
                if let Ok(mut times) = self.compile_times.lock() {
                    times.push(elapsed);
                }
            }
            parts.push(range);
            return;
        }
        let middle = range.start + words.start(words.len() / 2);
        self.push_fitting(engine, text, range.start..middle, parts);
        self.push_fitting(engine, text, middle..range.end, parts);
    }

    fn report_compile_times(&self) {
        let Ok(times) = self.compile_times.lock() else {
            return;
        };
        if !times.is_empty() {
            let summary = rein_bench::stats::Summary::of(&times).milliseconds();
            eprintln!("  tag grammar compile per part: {summary} parts");
        }
    }
}

impl Task for NerTask {
    fn parts(&self, text: &str) -> Vec<Range<usize>> {
        match &self.tags {
            Tags::Anchored {
                chunk_words,
                engine,
            } => {
                // Chunks of whole sentences first, then halved until the
                // shortest tagging of each fits the budget, so no part is
                // refused for its length.
                let mut parts = Vec::new();
                for range in anchored::chunks(text, *chunk_words) {
                    self.push_fitting(engine, text, range, &mut parts);
                }
                parts
            }
            Tags::FreeText(_) => batch::whole(text),
        }
    }

    fn join(&self, _text: &str, parts: Vec<(Range<usize>, Fields)>) -> Result<Fields, String> {
        let mut tagged = String::new();
        let mut entities = Vec::new();
        let mut extra: Fields = Vec::new();
        let separator = match self.format {
            Format::Lines => "\n",
            Format::Inline => "",
        };
        for (index, (range, fields)) in parts.into_iter().enumerate() {
            for (key, value) in fields {
                match (key.as_str(), value) {
                    ("tagged", Value::String(text)) => {
                        if index > 0 {
                            tagged.push_str(separator);
                        }
                        tagged.push_str(&text);
                    }
                    ("entities", Value::Array(found)) => {
                        entities.extend(found.into_iter().map(|mut entity| {
                            for offset in ["start", "end"] {
                                if let Some(at) = entity[offset].as_u64() {
                                    entity[offset] = Value::from(at + range.start as u64);
                                }
                            }
                            entity
                        }))
                    }
                    (key, value) => {
                        if !extra.iter().any(|(known, _)| known == key) {
                            extra.push((key.to_string(), value));
                        }
                    }
                }
            }
        }
        let mut fields = vec![
            ("tagged".to_string(), Value::String(tagged)),
            ("entities".to_string(), Value::Array(entities)),
        ];
        fields.extend(extra);
        Ok(fields)
    }

    fn request(&self, text: &str) -> Result<GenerationRequest, String> {
        let constraint = match &self.tags {
            Tags::Anchored { engine, .. } => self.anchored_constraint(engine, text)?,
            Tags::FreeText(constraint) => constraint.clone(),
        };
        Ok(GenerationRequest {
            prompt: Prompt::Chat(self.messages(text)),
            constraint: Some(constraint),
            decoding: self.decoding.clone(),
            record_first_token: false,
        })
    }

    fn interpret(
        &self,
        text: &str,
        sample: usize,
        generation: &Generation,
    ) -> Result<Fields, String> {
        let choice = generation
            .choices
            .get(sample)
            .ok_or_else(|| "the model returned no output".to_string())?;
        if choice.finish == Finish::Length {
            return Err(format!(
                "the output was cut at --max-tokens {} before the text was tagged",
                self.decoding.max_tokens
            ));
        }
        let tagged = Value::String(choice.text.clone());
        if let Tags::Anchored { .. } = self.tags {
            let words = Words::split(text);
            let spans = match self.format {
                Format::Lines => anchored::parse_lines(&words, &self.labels, &choice.text)?,
                Format::Inline => anchored::parse_inline(&words, &self.labels, &choice.text)?,
            };
            let entities = spans
                .into_iter()
                .map(|span| {
                    json!({
                        "text": &text[span.start..span.end],
                        "label": span.label,
                        "start": span.start,
                        "end": span.end,
                    })
                })
                .collect();
            return Ok(vec![
                ("tagged".to_string(), tagged),
                ("entities".to_string(), Value::Array(entities)),
            ]);
        }
        let entities = match self.format {
            Format::Lines => parse_lines(&choice.text, &self.labels)?,
            Format::Inline => parse_inline(&choice.text, &self.labels)?,
        };
        let (aligned, unaligned) = align(text, &entities);
        let mut fields = vec![
            ("tagged".to_string(), tagged),
            ("entities".to_string(), Value::Array(aligned)),
        ];
        if !unaligned.is_empty() {
            fields.push(("unaligned".to_string(), Value::Array(unaligned)));
        }
        Ok(fields)
    }
}

/// Entities of the lines format; consecutive words with the same label form
/// one entity.
pub fn parse_lines(tagged: &str, labels: &[String]) -> Result<Vec<Entity>, String> {
    let mut entities: Vec<Entity> = Vec::new();
    let mut previous_label: Option<String> = None;
    for (number, line) in tagged.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let Some((word, rest)) = line.split_once(':') else {
            return Err(format!("output line {} has no `:`: {line:?}", number + 1));
        };
        let label = rest.strip_prefix(' ').unwrap_or(rest);
        if label.is_empty() {
            previous_label = None;
            continue;
        }
        if !labels.iter().any(|known| known == label) {
            return Err(format!(
                "output line {} has an unknown label {label:?}",
                number + 1
            ));
        }
        match (entities.last_mut(), &previous_label) {
            (Some(last), Some(previous)) if previous == label => {
                last.text.push(' ');
                last.text.push_str(word);
            }
            _ => entities.push(Entity {
                text: word.to_string(),
                label: label.to_string(),
            }),
        }
        previous_label = Some(label.to_string());
    }
    Ok(entities)
}

/// Entities of the inline format.
pub fn parse_inline(tagged: &str, labels: &[String]) -> Result<Vec<Entity>, String> {
    let mut entities = Vec::new();
    let mut rest = tagged;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close_bracket = after
            .find('>')
            .ok_or_else(|| format!("unclosed tag in the output at {:?}", &rest[open..]))?;
        let label = &after[..close_bracket];
        if !labels.iter().any(|known| known == label) {
            return Err(format!("the output has an unknown tag <{label}>"));
        }
        let body = &after[close_bracket + 1..];
        let end_tag = format!("</{label}>");
        let end = body
            .find(&end_tag)
            .ok_or_else(|| format!("<{label}> is never closed in the output"))?;
        entities.push(Entity {
            text: body[..end].to_string(),
            label: label.to_string(),
        });
        rest = &body[end + end_tag.len()..];
    }
    Ok(entities)
}

/// Byte offsets of each entity in `input`, searched in order; entities not
/// found in the input are returned apart.
pub fn align(input: &str, entities: &[Entity]) -> (Vec<Value>, Vec<Value>) {
    let mut aligned = Vec::new();
    let mut unaligned = Vec::new();
    let mut cursor = 0;
    for entity in entities {
        let needle = entity.text.trim();
        let found = if needle.is_empty() {
            None
        } else {
            input[cursor..]
                .find(needle)
                .map(|at| cursor + at)
                .or_else(|| input.find(needle))
        };
        match found {
            Some(start) => {
                let end = start + needle.len();
                if start >= cursor {
                    cursor = end;
                }
                aligned.push(json!({
                    "text": needle, "label": entity.label, "start": start, "end": end
                }));
            }
            None => unaligned.push(json!({ "text": entity.text, "label": entity.label })),
        }
    }
    (aligned, unaligned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        vec!["PER".to_string(), "LOC".to_string()]
    }

    #[test]
    fn lines_merge_runs_of_one_label() {
        let tagged = "Ada: PER\nLovelace: PER\nvisited:\nNew: LOC\nYork: LOC\n";
        let entities = parse_lines(tagged, &labels()).unwrap();
        assert_eq!(
            entities,
            vec![
                Entity {
                    text: "Ada Lovelace".into(),
                    label: "PER".into()
                },
                Entity {
                    text: "New York".into(),
                    label: "LOC".into()
                },
            ]
        );
        assert!(parse_lines("Ada: ORG", &labels())
            .unwrap_err()
            .contains("unknown label"));
    }

    #[test]
    fn inline_tags_are_read_and_aligned_by_bytes() {
        let input = "Zoë met Ada in Paris, then Ada left.";
        let tagged = "Zoë met <PER>Ada</PER> in <LOC>Paris</LOC>, then <PER>Ada</PER> left.";
        let entities = parse_inline(tagged, &labels()).unwrap();
        let (aligned, unaligned) = align(input, &entities);
        assert!(unaligned.is_empty());
        let spans: Vec<(u64, u64)> = aligned
            .iter()
            .map(|e| (e["start"].as_u64().unwrap(), e["end"].as_u64().unwrap()))
            .collect();
        // "Zoë" is 4 bytes: Ada starts at byte 9, not character 8.
        assert_eq!(spans, vec![(9, 12), (16, 21), (28, 31)]);
        for entity in &aligned {
            let (start, end) = (
                entity["start"].as_u64().unwrap() as usize,
                entity["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(&input[start..end], entity["text"].as_str().unwrap());
        }
        let (_, unaligned) = align(
            input,
            &[Entity {
                text: "Bob".into(),
                label: "PER".into(),
            }],
        );
        assert_eq!(unaligned.len(), 1);
    }

    #[test]
    fn grammars_take_the_labels() {
        let labels = vec!["ANIMAL".to_string(), "COLOR".to_string()];
        let lines = grammar(Format::Lines, &labels).unwrap();
        assert!(lines.contains("label ::= \"ANIMAL\" | \"COLOR\""));
        assert!(!lines.contains("\"PER\""), "{lines}");
        let inline = grammar(Format::Inline, &labels).unwrap();
        assert!(inline.contains("\"<ANIMAL>\" inner \"</ANIMAL>\""));
        let rules: Vec<&str> = inline.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(rules.iter().all(|line| !line.contains("<PER>")), "{inline}");
    }
}
