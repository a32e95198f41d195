//! Helpers shared by rein's tests, as a dev-dependency of every crate:
//!
//! - where things are: the repository, the shared data folder
//!   (`$REIN_SHARED`, else `../shared` beside the repository), and the real
//!   tokenizers and model that `scripts/fetch-assets` puts in
//!   `$REIN_ASSETS`, else `.cache/assets`. A missing asset is a loud
//!   failure that says how to fetch it, never a skipped test;
//! - with the `tokenizer` feature, `tokenizer()`: a real tokenizer loaded
//!   once per test binary, and `engine()`: the engine over its vocabulary;
//! - the property tests' generators: [`regex_gen`] (random regexes and
//!   strings drawn from them, judged by the `regex` crate), [`grammar_gen`]
//!   (random small grammars and a reference recognizer that shares no code
//!   with the Earley engine) and [`walk`] (token-level walks of a
//!   constraint), used by rein-core's tests on synthetic vocabularies and by
//!   rein-tokenizer's on real ones.

#![forbid(unsafe_code)]

pub mod grammar_gen;
pub mod regex_gen;
pub mod walk;

use std::path::PathBuf;

/// The repository's root folder.
pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared data folder (MaskBench, the JSON-Schema-Test-Suite,
/// llama.cpp's grammars): `$REIN_SHARED`, else `../shared` beside the
/// repository.
pub fn shared() -> PathBuf {
    match std::env::var_os("REIN_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => repository().join("../shared"),
    }
}

/// The assets folder: `$REIN_ASSETS`, else `.cache/assets` in the
/// repository.
pub fn assets() -> PathBuf {
    match std::env::var_os("REIN_ASSETS") {
        Some(dir) => PathBuf::from(dir),
        None => repository().join(".cache/assets"),
    }
}

/// The path of one asset, relative to [`assets`]; panics (never skips)
/// naming the fetch script when it is missing.
pub fn asset(relative: &str) -> PathBuf {
    let path = assets().join(relative);
    assert!(
        path.exists(),
        "asset {} is missing: run scripts/fetch-assets first",
        path.display()
    );
    path
}

/// The SmolLM2-135M-Instruct GGUF requantized to Q8_0, the default model.
pub fn model() -> PathBuf {
    asset("models/SmolLM2-135M-Instruct.Q8_0.gguf")
}

/// The path of a named tokenizer: `llama3`, `qwen3` or `gemma3` (their
/// `tokenizer.json`), or `smollm2` (the Q4_1 GGUF as fetched, whose
/// vocabulary the Q8_0 file shares); panics when it is missing.
pub fn tokenizer_path(name: &str) -> PathBuf {
    match name {
        "smollm2" => asset("models/SmolLM2-135M-Instruct.Q4_1.gguf"),
        other => asset(&format!("tokenizers/{other}/tokenizer.json")),
    }
}

/// A named tokenizer (see [`tokenizer_path`]), loaded once per test binary.
#[cfg(feature = "tokenizer")]
pub fn tokenizer(name: &str) -> &'static rein_tokenizer::Tokenizer {
    &loaded(name).0
}

/// The engine over a named tokenizer's vocabulary, made once per test
/// binary, so the tests of a binary share its caches as one long-lived
/// process would.
#[cfg(feature = "tokenizer")]
pub fn engine(name: &str) -> &'static rein_core::Engine {
    &loaded(name).1
}

/// A named tokenizer and the engine over its vocabulary, loaded once.
#[cfg(feature = "tokenizer")]
fn loaded(name: &str) -> &'static (rein_tokenizer::Tokenizer, rein_core::Engine) {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    type Loaded = (rein_tokenizer::Tokenizer, rein_core::Engine);
    static LOADED: OnceLock<Mutex<HashMap<String, &'static Loaded>>> = OnceLock::new();
    let mut loaded = LOADED.get_or_init(Default::default).lock().unwrap();
    if let Some(tokenizer) = loaded.get(name) {
        return tokenizer;
    }
    let tokenizer = rein_tokenizer::Tokenizer::from_path(tokenizer_path(name))
        .unwrap_or_else(|error| panic!("{error}"));
    let engine = rein_core::Engine::new(tokenizer.vocabulary().clone());
    let leaked: &'static Loaded = Box::leak(Box::new((tokenizer, engine)));
    loaded.insert(name.to_string(), leaked);
    leaked
}
