//! Helpers shared by the CLI's end-to-end tests: assets as command-line
//! arguments (found by `rein-test-support`), and running the `rein` binary.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The SmolLM2-135M GGUF, as a command-line argument; fails loudly (never
/// skips) when it is missing.
pub fn model() -> String {
    argument(rein_test_support::model())
}

/// The Llama 3 tokenizer, as a command-line argument.
pub fn llama3() -> String {
    argument(rein_test_support::tokenizer_path("llama3"))
}

fn argument(path: PathBuf) -> String {
    path.to_string_lossy().into_owned()
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
