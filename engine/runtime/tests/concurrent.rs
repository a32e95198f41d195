//! Per-context state under load, on the SmolLM2 GGUF fetched by
//! `scripts/fetch-assets`: several samples of one request, and sixteen
//! concurrent requests with different constraints, each output checked
//! against its own constraint (by re-walking it token by token).

use std::sync::Arc;

mod support;

use rein_core::Constraint;
use rein_runtime::{Decoding, Finish, GenerationRequest, GuessOptions, Prompt, Role, Runtime};

fn load(tokio: &tokio::runtime::Runtime) -> Arc<Runtime> {
    support::load(tokio, GuessOptions::on())
}

/// Whether `text` is a complete output of `constraint`: its exact
/// tokenization is walked through a matcher, which must accept every token
/// and be able to end.
fn satisfies(runtime: &Runtime, constraint: &Constraint, text: &str) -> bool {
    let Ok(tokens) = runtime.tokenizer().encode(text) else {
        return false;
    };
    let mut matcher = constraint.matcher();
    matcher.commit_all(&tokens).is_ok() && matcher.can_end()
}

fn ask(question: &str) -> Prompt {
    Prompt::Chat(vec![(Role::User, question.to_string())])
}

#[test]
fn sixteen_concurrent_requests_and_several_samples_each_follow_their_constraint() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = load(&tokio);
    let engine = runtime.engine();
    let patterns = [
        r"[0-9]{3}-[0-9]{4}",
        r"(yes|no)",
        r"[A-Z][a-z]{2,8}",
        r"[a-z]+@[a-z]+\.com",
        r"\d{4}-\d{2}-\d{2}",
        r"(red|green|blue), (cat|dog)",
        r"#[0-9a-f]{6}",
        r"[a-z]{1,6}( [a-z]{1,6}){2}",
    ];
    let mut requests = Vec::new();
    for index in 0..16 {
        let constraint = if index % 4 == 3 {
            let labels = ["alpha", "beta", "gamma", "delta"];
            engine.choice(&labels[..2 + index % 3]).unwrap()
        } else {
            engine.regex(patterns[index % patterns.len()]).unwrap()
        };
        requests.push((
            constraint,
            ask(&format!("Give answer number {index}.")),
            1usize,
        ));
    }
    // Several samples of one request share one processor: their contexts
    // diverge at the first sampled token.
    let forked = engine.regex(r"[a-z]{2,5} [0-9]{1,3}").unwrap();
    requests.push((forked, ask("Name a word and a number."), 4));

    let handles: Vec<_> = requests
        .into_iter()
        .map(|(constraint, prompt, samples)| {
            let runtime = Arc::clone(&runtime);
            tokio.spawn(async move {
                let request = GenerationRequest {
                    prompt,
                    constraint: Some(constraint.clone()),
                    decoding: Decoding {
                        temperature: (samples > 1).then_some(1.0),
                        max_tokens: 24,
                        samples,
                        ..Decoding::default()
                    },
                    record_first_token: false,
                };
                (constraint, samples, runtime.generate(request).await)
            })
        })
        .collect();
    for (index, handle) in handles.into_iter().enumerate() {
        let (constraint, samples, result) = tokio.block_on(handle).unwrap();
        let generation = result.unwrap_or_else(|error| panic!("request {index}: {error}"));
        assert_eq!(generation.choices.len(), samples, "request {index}");
        for choice in &generation.choices {
            assert_eq!(choice.finish, Finish::Stop, "request {index}: {choice:?}");
            assert!(
                satisfies(&runtime, &constraint, &choice.text),
                "request {index}: {:?} does not satisfy {constraint:?}",
                choice.text
            );
        }
    }
    let stats = runtime.stats();
    assert!(stats.steps > 0);
    assert_eq!(stats.dead_ends, 0);
}
