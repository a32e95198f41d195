//! Loading the real assets fetched by `scripts/fetch-assets`.
//!
//! A missing asset is a loud failure that says how to fetch it, never a
//! skipped test.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use rein_tokenizer::Tokenizer;

/// Where the assets are: `$REIN_ASSETS`, or `.cache/assets` in the workspace.
pub fn assets_dir() -> PathBuf {
    match std::env::var_os("REIN_ASSETS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/assets"),
    }
}

/// The path of a named asset: `llama3`, `qwen3`, `gemma3` or `smollm2`.
pub fn asset_path(name: &str) -> PathBuf {
    let dir = assets_dir();
    match name {
        "smollm2" => dir.join("models/SmolLM2-135M-Instruct.Q4_1.gguf"),
        other => dir.join("tokenizers").join(other).join("tokenizer.json"),
    }
}

/// A named tokenizer, loaded once per test binary.
pub fn tokenizer(name: &str) -> &'static Tokenizer {
    static LOADED: OnceLock<Mutex<HashMap<String, &'static Tokenizer>>> = OnceLock::new();
    let mut loaded = LOADED.get_or_init(Default::default).lock().unwrap();
    if let Some(tokenizer) = loaded.get(name) {
        return tokenizer;
    }
    let path = asset_path(name);
    assert!(
        path.exists(),
        "asset {} is missing: run scripts/fetch-assets first",
        path.display()
    );
    let tokenizer = Tokenizer::from_path(&path).unwrap_or_else(|error| panic!("{error}"));
    let leaked: &'static Tokenizer = Box::leak(Box::new(tokenizer));
    loaded.insert(name.to_string(), leaked);
    leaked
}
