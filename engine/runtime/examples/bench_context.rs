//! Benchmark (not a test): what one generated token costs as the prompt
//! grows, and what the prompt itself costs.
//!
//! ```text
//! cargo run --release -p rein-runtime --example bench_context -- \
//!     [--model M.gguf]... [--sizes 30,300,1000,2000] [--tokens 40] [--rounds 3]
//! ```
//!
//! For every model (all of them in one run, so their ratios share the
//! machine's state) and every prompt size, the prompt is the start of rein's
//! labelled documents (`bench/tasks/*.jsonl`, their texts one after another)
//! cut to about that many tokens, under a one-line instruction. Each round
//! runs the prompt greedily and unconstrained for `--tokens` tokens with its
//! text streamed ([`Watch`]), and reads off the stream:
//!
//! * `first_ms`: the time to the first piece of text — the prefill of the
//!   whole prompt and one step; `first_per_p` is that per prompt token;
//! * `step_ms`: the time per step between the first and the last streamed
//!   piece, the cost of one generated token with the prompt in the KV cache;
//!   `vs_first` is it over the smallest prompt's;
//! * `overall_ms`: the whole request's time over its generated tokens, the
//!   prefill included (what a user waiting for the answer pays per token).
//!
//! Rounds are reduced to their median.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rein_runtime::{
    Decoding, GenerationRequest, GuessOptions, LoadOptions, ModelSource, Prompt, Role, Runtime,
    Watch,
};

struct Args {
    models: Vec<PathBuf>,
    sizes: Vec<usize>,
    tokens: usize,
    rounds: usize,
}

fn parse_args(root: &Path) -> Args {
    let mut args = Args {
        models: Vec::new(),
        sizes: vec![30, 300, 1000, 2000],
        tokens: 40,
        rounds: 3,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .unwrap_or_else(|| panic!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--model" => args.models.push(PathBuf::from(value())),
            "--sizes" => {
                args.sizes = value()
                    .split(',')
                    .map(|size| size.parse().expect("--sizes: numbers"))
                    .collect()
            }
            "--tokens" => args.tokens = value().parse().expect("--tokens: a number"),
            "--rounds" => args.rounds = value().parse().expect("--rounds: a number"),
            other => panic!("unknown argument {other}"),
        }
    }
    if args.models.is_empty() {
        args.models
            .push(root.join(".cache/assets/models/SmolLM2-135M-Instruct.Q8_0.gguf"));
    }
    args
}

/// The texts of rein's labelled documents, one after another.
fn corpus(root: &Path) -> String {
    let mut corpus = String::new();
    for set in ["films", "invoices", "people", "ner"] {
        let path = root.join(format!("bench/tasks/{set}.jsonl"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            corpus.push_str(value["text"].as_str().expect("a text"));
            corpus.push('\n');
        }
    }
    corpus
}

fn prompt(text: &str) -> Prompt {
    Prompt::Chat(vec![(
        Role::User,
        format!("Summarize these notes in one paragraph.\n\n{text}"),
    )])
}

/// The prompt of about `size` tokens: the longest start of `corpus` (cut at
/// a character boundary) whose prompt has at most `size` tokens, or the
/// shortest prompt when even that is longer.
async fn sized_prompt(runtime: &Runtime, corpus: &str, size: usize) -> (Prompt, usize) {
    let count = |bytes: usize| {
        let mut end = bytes.min(corpus.len());
        while !corpus.is_char_boundary(end) {
            end -= 1;
        }
        let prompt = prompt(&corpus[..end]);
        async move {
            let tokens = runtime.prompt_tokens(&prompt).await.expect("tokenizes");
            (prompt, tokens.len())
        }
    };
    let (mut low, mut high) = (0, corpus.len());
    while low < high {
        let middle = (low + high).div_ceil(2);
        if count(middle).await.1 <= size {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    count(low).await
}

/// One greedy, unconstrained run of `prompt` for `max_tokens`, watched:
/// the time to its first streamed piece (the prefill and one step), the
/// time per step between its first and last streamed pieces, the whole
/// request's time and its tokens.
async fn run(runtime: &Runtime, prompt: &Prompt, max_tokens: usize) -> Run {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let watch = Watch {
        text: Some(sender),
        ..Watch::default()
    };
    let start = Instant::now();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let watcher = {
        let arrivals = Arc::clone(&arrivals);
        tokio::spawn(async move {
            while receiver.recv().await.is_some() {
                arrivals.lock().expect("not poisoned").push(start.elapsed());
            }
        })
    };
    let generation = runtime
        .generate_watched(
            GenerationRequest {
                prompt: prompt.clone(),
                constraint: None,
                decoding: Decoding {
                    max_tokens,
                    ..Decoding::default()
                },
                record_first_token: false,
            },
            &watch,
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    // Every piece is sent before the request returns; let the watcher
    // stamp the last ones.
    tokio::time::sleep(Duration::from_millis(50)).await;
    watcher.abort();
    let arrivals = arrivals.lock().expect("not poisoned").clone();
    // The last piece is flushed when the sequence ends, not by a step.
    let steps = &arrivals[..arrivals.len().saturating_sub(1)];
    let per_step = match (steps.first(), steps.last()) {
        (Some(first), Some(last)) if steps.len() > 1 => {
            (*last - *first).as_secs_f64() * 1000.0 / (steps.len() - 1) as f64
        }
        _ => f64::NAN,
    };
    Run {
        first_piece_ms: arrivals
            .first()
            .map_or(f64::NAN, |at| at.as_secs_f64() * 1000.0),
        per_step_ms: per_step,
        elapsed_ms: generation.elapsed.as_secs_f64() * 1000.0,
        tokens: generation.completion_tokens,
    }
}

struct Run {
    first_piece_ms: f64,
    per_step_ms: f64,
    elapsed_ms: f64,
    tokens: usize,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let args = parse_args(&root);
    let corpus = corpus(&root);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio starts");
    println!(
        "{} generated tokens a run, median of {} rounds",
        args.tokens, args.rounds
    );
    println!(
        "model                              prompt  first_ms  first_per_p  step_ms  vs_first  overall_ms  tokens"
    );
    for model in &args.models {
        let options = LoadOptions::new(ModelSource::Gguf(model.clone()));
        let runtime = Arc::new(
            tokio
                .block_on(Runtime::load(&options, GuessOptions::off()))
                .unwrap_or_else(|error| panic!("{}: {error}", model.display())),
        );
        let name = model
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        // A warm-up run: the first request pays for allocations.
        tokio.block_on(run(&runtime, &prompt("Hello."), 4));
        let mut first = None;
        for &size in &args.sizes {
            let (prompt, prompt_tokens) = tokio.block_on(sized_prompt(&runtime, &corpus, size));
            let runs: Vec<Run> = (0..args.rounds)
                .map(|_| tokio.block_on(run(&runtime, &prompt, args.tokens)))
                .collect();
            let first_piece = median(runs.iter().map(|run| run.first_piece_ms).collect());
            let per_step = median(runs.iter().map(|run| run.per_step_ms).collect());
            let overall = median(
                runs.iter()
                    .map(|run| run.elapsed_ms / run.tokens.max(1) as f64)
                    .collect(),
            );
            let tokens = runs.iter().map(|run| run.tokens).min().unwrap_or(0);
            let base = *first.get_or_insert(per_step);
            println!(
                "{name:<34} {prompt_tokens:>6} {first_piece:>10.0} {:>12.2} {per_step:>9.1} {:>8.2} {overall:>10.1} {tokens:>6}",
                first_piece / prompt_tokens as f64,
                per_step / base
            );
        }
    }
}
