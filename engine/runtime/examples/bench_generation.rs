//! Benchmark (not a test): tokens/s with and without a constraint on the
//! same prompts, rein's time per step on the sampling path, and the share of
//! steps served by the background guess — beside mistral.rs's own JSON
//! Schema constraint (llguidance inside mistral.rs, `Constraint::JsonSchema`
//! on the request, no rein processor) on the same schema and prompts.
//!
//! ```text
//! cargo run --release -p rein-runtime --example bench_generation -- [MODEL.gguf] [ROUNDS]
//! ```
//!
//! Each setting runs the same batch of prompts (all requests in flight at
//! once, greedy) on a freshly loaded model; the first round warms up and is
//! not counted in tokens/s (the step statistics include it).
//!
//! Tokens/s only compares settings whose outputs have the same length: a
//! request that stops early leaves the rest of its round to a smaller batch,
//! which runs more slowly per token, so a constraint that ends outputs sooner
//! would look slower for reasons that have nothing to do with masking. The
//! prompts therefore ask for long answers, every constraint's language needs
//! more than `MAX_TOKENS` tokens, and the `short` column counts the requests
//! that stopped before `MAX_TOKENS` anyway (it should be 0).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rein_core::{Constraint, Engine};
use rein_runtime::{
    Decoding, Finish, GenerationRequest, GuessOptions, LoadOptions, ModelSource, Prompt, Role,
    Runtime,
};

const PROMPTS: [&str; 8] = [
    "Describe a cat in detail, as JSON.",
    "Give me a long JSON object about Paris and its history.",
    "Write a detailed JSON record for a book you like.",
    "Describe the colours of a sunset at length, as JSON.",
    "Describe your favourite meal in detail, as JSON.",
    "Write a long JSON object describing a car and its engine.",
    "Give a detailed JSON summary of the weather this week.",
    "Describe a planet and its moons at length, as a JSON object.",
];

/// Tokens per request: every constrained language below needs more.
const MAX_TOKENS: usize = 48;

/// A JSON Schema whose documents are longer than `MAX_TOKENS` tokens.
const LONG_SUMMARY_SCHEMA: &str = r#"{
    "type": "object",
    "properties": {
        "subject": {"type": "string", "maxLength": 40},
        "summary": {"type": "string", "minLength": 300, "maxLength": 2000}
    },
    "required": ["subject", "summary"],
    "additionalProperties": false
}"#;

/// A regex whose matches are longer than `MAX_TOKENS` tokens.
const LONG_DESCRIPTION_REGEX: &str = r#"\{"description": "[a-zA-Z ,.]{300,2000}"\}"#;

#[derive(Clone, Copy, Debug)]
enum Setting {
    Free,
    Grammar,
    Schema,
    Regex,
    /// mistral.rs's built-in constraint with [`LONG_SUMMARY_SCHEMA`].
    Builtin,
}

impl Setting {
    fn constraint(self, engine: &Engine, root: &Path) -> Option<Constraint> {
        match self {
            Setting::Free | Setting::Builtin => None,
            Setting::Grammar => {
                let json = std::fs::read_to_string(root.join("grammars/json.gbnf"))
                    .expect("grammars/json.gbnf");
                Some(engine.grammar(&json).expect("json.gbnf compiles"))
            }
            Setting::Schema => {
                let schema = serde_json::from_str(LONG_SUMMARY_SCHEMA).expect("schema parses");
                let compiled = rein_schema::compile(&schema, &rein_schema::Options::default())
                    .expect("schema compiles");
                Some(
                    engine
                        .from_grammar(compiled.grammar(), "schema")
                        .expect("schema grammar compiles"),
                )
            }
            Setting::Regex => Some(
                engine
                    .regex(LONG_DESCRIPTION_REGEX)
                    .expect("regex compiles"),
            ),
        }
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".cache/assets/models/SmolLM2-135M-Instruct.Q8_0.gguf"));
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(3);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio starts");
    println!(
        "{} prompts in one batch, {MAX_TOKENS} tokens each, {rounds} counted rounds",
        PROMPTS.len()
    );
    println!(
        "setting  guess  tokens  short  seconds  tokens/s  vs_free  steps  p50_us  p99_us  max_us  guess_hit"
    );
    let mut free_rate = None;
    for (setting, guess) in [
        (Setting::Free, false),
        (Setting::Grammar, false),
        (Setting::Grammar, true),
        (Setting::Schema, false),
        (Setting::Schema, true),
        (Setting::Regex, false),
        (Setting::Regex, true),
        (Setting::Builtin, false),
        // Again at the end: the spread between the two free runs is the
        // machine's noise, the yardstick for every other ratio.
        (Setting::Free, false),
    ] {
        let options = LoadOptions::new(ModelSource::Gguf(model.clone()));
        let guess_options = if guess {
            GuessOptions::on()
        } else {
            GuessOptions::off()
        };
        let runtime = Arc::new(
            tokio
                .block_on(Runtime::load(&options, guess_options))
                .unwrap_or_else(|error| panic!("{error}")),
        );
        let constraint = setting.constraint(runtime.engine(), &root);
        let builtin_schema: Option<serde_json::Value> = matches!(setting, Setting::Builtin)
            .then(|| serde_json::from_str(LONG_SUMMARY_SCHEMA).expect("schema parses"));
        let mut tokens = 0;
        let mut short = 0;
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
                            max_tokens: MAX_TOKENS,
                            ..Decoding::default()
                        },
                        record_first_token: false,
                    };
                    let builtin_schema = builtin_schema.clone();
                    tokio.spawn(async move {
                        match builtin_schema {
                            Some(schema) => {
                                runtime
                                    .generate_with_mistralrs_constraint(request, schema)
                                    .await
                            }
                            None => runtime.generate(request).await,
                        }
                    })
                })
                .collect();
            let mut round_tokens = 0;
            let mut round_short = 0;
            for handle in handles {
                let generation = tokio
                    .block_on(handle)
                    .expect("request task")
                    .unwrap_or_else(|error| panic!("{error}"));
                round_tokens += generation.completion_tokens;
                round_short += generation
                    .choices
                    .iter()
                    .filter(|choice| choice.finish != Finish::Length)
                    .count();
            }
            if round > 0 {
                tokens += round_tokens;
                short += round_short;
                seconds += start.elapsed().as_secs_f64();
            }
        }
        let rate = tokens as f64 / seconds;
        let free = *free_rate.get_or_insert(rate);
        let stats = runtime.stats();
        println!(
            "{:<8} {:<5} {:>7} {:>6} {:>8.2} {:>9.2} {:>7.1}% {:>6} {:>7} {:>7} {:>7} {:>9.3}",
            format!("{setting:?}"),
            guess,
            tokens,
            short,
            seconds,
            rate,
            100.0 * rate / free,
            stats.steps,
            stats.step_time(0.5).as_micros(),
            stats.step_time(0.99).as_micros(),
            stats.step_time(1.0).as_micros(),
            stats.guess_hit_share()
        );
    }
}
