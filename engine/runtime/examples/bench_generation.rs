//! Benchmark (not a test): tokens/s with and without a constraint on the
//! same prompts, rein's time per step on the sampling path, and the share of
//! steps served by the background guess.
//!
//! ```text
//! cargo run --release -p rein-runtime --example bench_generation -- [MODEL.gguf] [ROUNDS]
//! ```
//!
//! Each configuration runs the same batch of prompts (all requests in
//! flight at once, greedy, 64 tokens at most) on a freshly loaded model;
//! the first round warms up and is not counted in tokens/s (the step
//! statistics include it).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rein_core::Constraint;
use rein_runtime::{
    Decoding, GenerationRequest, GuessOptions, LoadOptions, ModelSource, Prompt, Role, Runtime,
};

const PROMPTS: [&str; 8] = [
    "Describe a cat as JSON.",
    "Give me a JSON object about Paris.",
    "Write a JSON record for a book you like.",
    "List three colours as a JSON array.",
    "Describe your favourite meal as JSON.",
    "Write a JSON object describing a car.",
    "Give a JSON summary of the weather today.",
    "Describe a planet as a JSON object.",
];

#[derive(Clone, Copy, Debug)]
enum Setting {
    Free,
    Grammar,
    Regex,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let model = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../.cache/assets/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    });
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(3);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio starts");
    let json = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../grammars/json.gbnf"),
    )
    .expect("grammars/json.gbnf");
    println!("setting   guess  tokens  seconds  tokens/s  steps  p50_us  p99_us  guess_hit");
    for (setting, guess) in [
        (Setting::Free, false),
        (Setting::Grammar, false),
        (Setting::Grammar, true),
        (Setting::Regex, false),
        (Setting::Regex, true),
    ] {
        let options = LoadOptions::new(ModelSource::Gguf(model.clone()));
        let guess_options = if guess {
            GuessOptions::default()
        } else {
            GuessOptions {
                per_step: 0,
                workers: 0,
            }
        };
        let runtime = Arc::new(
            tokio
                .block_on(Runtime::load(&options, guess_options))
                .unwrap_or_else(|error| panic!("{error}")),
        );
        let vocabulary = runtime.vocabulary();
        let constraint = match setting {
            Setting::Free => None,
            Setting::Grammar => Some(Constraint::grammar(Arc::clone(&vocabulary), &json).unwrap()),
            Setting::Regex => Some(
                Constraint::regex(
                    Arc::clone(&vocabulary),
                    r#"\{"name": "[a-zA-Z ,.]{1,200}"\}"#,
                )
                .unwrap(),
            ),
        };
        let mut tokens = 0;
        let mut seconds = 0.0;
        for round in 0..=rounds {
            let start = Instant::now();
            let handles: Vec<_> = PROMPTS
                .iter()
                .map(|prompt| {
                    let runtime = Arc::clone(&runtime);
                    let request = GenerationRequest {
                        prompt: Prompt::Chat(vec![(Role::User, prompt.to_string())]),
                        constraint: constraint.clone(),
                        decoding: Decoding {
                            max_tokens: 64,
                            ..Decoding::default()
                        },
                        record_first_token: false,
                    };
                    tokio.spawn(async move { runtime.generate(request).await })
                })
                .collect();
            let mut round_tokens = 0;
            for handle in handles {
                let generation = tokio.block_on(handle).unwrap().unwrap();
                round_tokens += generation.completion_tokens;
            }
            if round > 0 {
                tokens += round_tokens;
                seconds += start.elapsed().as_secs_f64();
            }
        }
        let stats = runtime.stats();
        println!(
            "{:<9} {:<5} {:>7} {:>8.2} {:>9.1} {:>6} {:>7} {:>7} {:>9.3}",
            format!("{setting:?}"),
            guess,
            tokens,
            seconds,
            tokens as f64 / seconds,
            stats.steps,
            stats.step_time(0.5).as_micros(),
            stats.step_time(0.99).as_micros(),
            stats.guess_hit_share()
        );
    }
}
