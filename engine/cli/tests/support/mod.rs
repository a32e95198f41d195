//! Helpers shared by the CLI's end-to-end tests: where the repository and
//! the assets fetched by `scripts/fetch-assets` are, and running the `rein`
//! binary. Each test binary uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository's root folder.
pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The assets folder: `$REIN_ASSETS`, or `.cache/assets` in the repository.
pub fn assets() -> PathBuf {
    match std::env::var_os("REIN_ASSETS") {
        Some(dir) => PathBuf::from(dir),
        None => repository().join(".cache/assets"),
    }
}

/// The path of one asset; fails loudly (never skips) when it is missing.
pub fn asset(relative: &str) -> String {
    let path = assets().join(relative);
    assert!(
        path.exists(),
        "asset {} is missing: run scripts/fetch-assets first",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// The SmolLM2-135M GGUF.
pub fn model() -> String {
    asset("models/SmolLM2-135M-Instruct.Q8_0.gguf")
}

/// The Llama 3 tokenizer.
pub fn llama3() -> String {
    asset("tokenizers/llama3/tokenizer.json")
}

/// Runs `rein` with `args`; returns (exit code, stdout, stderr). A panic
/// in rein fails the test.
pub fn rein(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(args)
        .output()
        .expect("rein runs");
    let stdout = String::from_utf8(stdout).unwrap();
    let stderr = String::from_utf8(stderr).unwrap();
    assert!(!stderr.contains("panicked"), "rein panicked: {stderr}");
    (status.code().expect("rein exits normally"), stdout, stderr)
}
