//! Helpers shared by the runtime's tests: the SmolLM2 GGUF fetched by
//! `scripts/fetch-assets`, a tokio runtime, and loading the model.
#![allow(dead_code)]

use std::sync::Arc;

use rein_runtime::{GuessOptions, LoadOptions, ModelSource, Runtime};

/// A multi-threaded tokio runtime.
pub fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The model, loaded with `guess`.
pub fn load(tokio: &tokio::runtime::Runtime, guess: GuessOptions) -> Arc<Runtime> {
    load_with(tokio, options(), guess)
}

/// The model's default load options, for changing some before
/// [`load_with`].
pub fn options() -> LoadOptions {
    LoadOptions::new(ModelSource::Gguf(rein_test_support::model()))
}

/// The model, loaded with `options` and `guess`.
pub fn load_with(
    tokio: &tokio::runtime::Runtime,
    options: LoadOptions,
    guess: GuessOptions,
) -> Arc<Runtime> {
    Arc::new(
        tokio
            .block_on(Runtime::load(&options, guess))
            .expect("the SmolLM2 GGUF loads"),
    )
}
