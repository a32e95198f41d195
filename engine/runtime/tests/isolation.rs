//! Decoding that means what it says, on the SmolLM2 GGUF fetched by
//! `scripts/fetch-assets`: a greedy request gives one output however often
//! it runs, a sampled one repeats under its seed, and documents sent at
//! once each get exactly the output they get alone — among them documents
//! whose prompts have exactly the same number of tokens, which mistral.rs
//! would decode in one batch — and the prefix cache, serving documents the
//! instructions they share, changes no answer.

use std::sync::Arc;

mod support;
use support::tokio;

use rein_core::Constraint;
use rein_runtime::{Decoding, Finish, GenerationRequest, GuessOptions, Prompt, Role, Runtime};

fn load(tokio: &tokio::runtime::Runtime) -> Arc<Runtime> {
    support::load(tokio, GuessOptions::off())
}

const FILM_SCHEMA: &str = r#"{
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "year": {"type": "integer"},
        "director": {"type": "string"}
    },
    "required": ["title", "year", "director"],
    "additionalProperties": false
}"#;

fn film_constraint(runtime: &Runtime) -> Constraint {
    let schema: serde_json::Value = serde_json::from_str(FILM_SCHEMA).unwrap();
    let options = rein_schema::Options {
        whitespace: rein_schema::Whitespace::Spaced,
        ..rein_schema::Options::default()
    };
    rein_schema::compile(&schema, &options)
        .unwrap()
        .constraint(runtime.engine())
        .unwrap()
}

/// Sixteen film paragraphs: pairs that differ only in one digit or one
/// single-token name, so their prompts have exactly equal token counts.
fn documents() -> Vec<String> {
    let mut documents = Vec::new();
    let films = [
        ("Harbour Lights", "Ines Moreau", 1994),
        ("The Quiet Field", "Tomas Berg", 2003),
        ("Copper Sky", "Lena Fischer", 1987),
        ("Night Train to Oslo", "Erik Lund", 2012),
        ("Salt and Stone", "Maria Costa", 1978),
        ("The Last Orchard", "Ken Sato", 2019),
        ("Paper Moons", "Ada Novak", 1999),
        ("Winter Glass", "Omar Haddad", 2008),
    ];
    for (title, director, year) in films {
        for shift in [0, 1] {
            documents.push(format!(
                "{title} is a film from {} directed by {director}. It was shown at festivals in Europe.",
                year + shift
            ));
        }
    }
    documents
}

fn request(
    runtime: &Runtime,
    text: &str,
    constrained: bool,
    decoding: Decoding,
) -> GenerationRequest {
    GenerationRequest {
        prompt: Prompt::Chat(vec![
            (
                Role::System,
                "Extract the film's title, year and director as JSON.".to_string(),
            ),
            (Role::User, text.to_string()),
        ]),
        constraint: constrained.then(|| film_constraint(runtime)),
        decoding,
        record_first_token: false,
    }
}

fn greedy(max_tokens: usize) -> Decoding {
    Decoding {
        max_tokens,
        ..Decoding::default()
    }
}

#[test]
fn greedy_repeats_and_seeds_repeat_samples() {
    let tokio = tokio();
    let runtime = load(&tokio);
    let text = &documents()[0];
    for constrained in [true, false] {
        let outputs: Vec<String> = (0..3)
            .map(|_| {
                let generation = tokio
                    .block_on(runtime.generate(request(&runtime, text, constrained, greedy(40))))
                    .unwrap();
                generation.choices[0].text.clone()
            })
            .collect();
        assert!(
            outputs.iter().all(|output| output == &outputs[0]),
            "constrained {constrained}: {outputs:?}"
        );
    }
    let sampled = |seed: u64| {
        let decoding = Decoding {
            temperature: Some(1.0),
            samples: 2,
            seed,
            ..greedy(40)
        };
        let generation = tokio
            .block_on(runtime.generate(request(&runtime, text, true, decoding)))
            .unwrap();
        generation
            .choices
            .iter()
            .map(|choice| choice.text.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(sampled(11), sampled(11), "a seed repeats its samples");
    let many: std::collections::BTreeSet<String> = (0..4).flat_map(sampled).collect();
    assert!(
        many.len() > 1,
        "sampling at temperature 1 varies with the seed: {many:?}"
    );
}

#[test]
fn documents_sent_at_once_get_their_own_answers() {
    let tokio = tokio();
    let runtime = load(&tokio);
    let documents = documents();
    // Pairs really are of equal prompt length (the case mistral.rs batches).
    for pair in documents.chunks(2) {
        let lengths: Vec<usize> = pair
            .iter()
            .map(|text| {
                tokio
                    .block_on(
                        runtime.prompt_tokens(&request(&runtime, text, false, greedy(1)).prompt),
                    )
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(lengths[0], lengths[1], "{pair:?}");
    }
    let handles: Vec<_> = documents
        .iter()
        .map(|text| {
            let runtime = Arc::clone(&runtime);
            let request = request(&runtime, text, true, greedy(48));
            tokio.spawn(async move { runtime.generate(request).await })
        })
        .collect();
    let together: Vec<String> = handles
        .into_iter()
        .map(|handle| {
            let generation = tokio.block_on(handle).unwrap().unwrap();
            assert_eq!(generation.choices[0].finish, Finish::Stop);
            generation.choices[0].text.clone()
        })
        .collect();
    for (text, output) in documents.iter().zip(&together) {
        let alone = tokio
            .block_on(runtime.generate(request(&runtime, text, true, greedy(48))))
            .unwrap();
        assert_eq!(output, &alone.choices[0].text, "{text}");
        let value: serde_json::Value = serde_json::from_str(output).unwrap();
        assert!(
            value["title"].is_string() && value["year"].is_i64(),
            "{output}"
        );
    }
    // The answers are the documents' own: no two differing documents share one.
    let distinct: std::collections::BTreeSet<&String> = together.iter().collect();
    assert!(distinct.len() >= documents.len() / 2, "{together:#?}");
}

#[test]
fn the_prefix_cache_changes_no_answer() {
    let tokio = tokio();
    let fresh = load(&tokio);
    let mut options = support::options();
    options.prefix_cache = true;
    let cached = support::load_with(&tokio, options, GuessOptions::off());
    // One after another, so every document after the first finds the
    // shared system message (and more, where titles share words) cached.
    for text in documents().iter().take(8) {
        let with_cache = tokio
            .block_on(cached.generate(request(&cached, text, true, greedy(48))))
            .unwrap();
        let without = tokio
            .block_on(fresh.generate(request(&fresh, text, true, greedy(48))))
            .unwrap();
        assert_eq!(
            with_cache.choices[0].text, without.choices[0].text,
            "{text}"
        );
    }
}
