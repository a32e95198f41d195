//! Evidence (not a test): do documents sent at once get the answers they
//! get alone? Runs the same greedy requests concurrently and then one by
//! one, with the engine allowed `LANES` sequences at once, and counts the
//! documents whose answers differ.
//!
//! ```text
//! cargo run --release -p rein-runtime --example batch_isolation -- [MODEL.gguf] [LANES]
//! ```
//!
//! With `LANES` 1 (rein's default) every answer matches. With more,
//! mistral.rs 0.8.1 decodes the sequences of a batch together and its CPU
//! attention for one-token steps hands every sequence the last one's
//! attention (`attention/backends/cpu.rs`, `flash_attn_cpu_single_q`), so
//! documents come back with each other's answers.

use std::path::PathBuf;
use std::sync::Arc;

use rein_runtime::{
    Decoding, GenerationRequest, GuessOptions, LoadOptions, ModelSource, Prompt, Role, Runtime,
};

const DOCUMENTS: [&str; 6] = [
    "Breathe is a 2017 film directed by Andy Serkis, starring Andrew Garfield.",
    "The Imaginarium of Doctor Parnassus is a 2009 film by Terry Gilliam with Heath Ledger.",
    "Boy A is a 2007 drama directed by John Crowley, with Peter Mullan.",
    "Moon is a 2009 science fiction film directed by Duncan Jones, starring Sam Rockwell.",
    "Paddington is a 2014 comedy directed by Paul King, with Hugh Bonneville.",
    "Locke is a 2013 drama written and directed by Steven Knight, starring Tom Hardy.",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".cache/assets/models/SmolLM2-135M-Instruct.Q8_0.gguf"));
    let lanes: usize = args
        .next()
        .and_then(|lanes| lanes.parse().ok())
        .unwrap_or(2);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut options = LoadOptions::new(ModelSource::Gguf(model));
    options.concurrent_sequences = lanes;
    let runtime = Arc::new(
        tokio
            .block_on(Runtime::load(&options, GuessOptions::off()))
            .expect("the model loads"),
    );
    let request = |text: &str| GenerationRequest {
        prompt: Prompt::Chat(vec![
            (
                Role::System,
                "Name the film and its director in one sentence.".to_string(),
            ),
            (Role::User, text.to_string()),
        ]),
        constraint: None,
        decoding: Decoding {
            max_tokens: 32,
            ..Decoding::default()
        },
        record_first_token: false,
    };
    let handles: Vec<_> = DOCUMENTS
        .iter()
        .map(|text| {
            let runtime = Arc::clone(&runtime);
            let request = request(text);
            tokio.spawn(async move { runtime.generate(request).await })
        })
        .collect();
    let together: Vec<String> = handles
        .into_iter()
        .map(|handle| {
            tokio.block_on(handle).unwrap().unwrap().choices[0]
                .text
                .clone()
        })
        .collect();
    let mut differ = 0;
    for (text, output) in DOCUMENTS.iter().zip(&together) {
        let alone = tokio
            .block_on(runtime.generate(request(text)))
            .unwrap()
            .choices[0]
            .text
            .clone();
        if &alone != output {
            differ += 1;
            println!("document: {text}\n  together: {output:?}\n  alone:    {alone:?}");
        }
    }
    println!(
        "lanes {lanes}: {differ} of {} documents got a different answer together than alone",
        DOCUMENTS.len()
    );
}
