//! Which token ids end a sequence.
//!
//! A `tokenizer.json` does not say which tokens end generation; the files
//! beside it do. rein takes the union of:
//!
//! 1. `eos_token` in `tokenizer_config.json` and `eos_token_id` (a number or a
//!    list) in `generation_config.json` and `config.json`, when present;
//! 2. the special tokens whose names are well-known end markers
//!    ([`KNOWN_END_MARKERS`]), because chat models stop on the turn marker
//!    (`<|eot_id|>`, `<|im_end|>`, `<end_of_turn>`) while the config often
//!    names only the end-of-text token.
//!
//! GGUF files name their ids in `tokenizer.ggml.eos_token_id` (and
//! `eot_token_id`, `eom_token_id`), to which the same markers are added.

use std::path::Path;

/// Special-token names that end a sequence in the common model families.
pub const KNOWN_END_MARKERS: &[&str] = &[
    "<|end_of_text|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|endoftext|>",
    "<|im_end|>",
    "<|end|>",
    "<eos>",
    "<end_of_turn>",
    "</s>",
];

/// End-of-sequence tokens named by the configuration files in `folder`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfiguredEos {
    /// Token names (`eos_token` in `tokenizer_config.json`).
    pub names: Vec<String>,
    /// Token ids (`eos_token_id` in `generation_config.json`, `config.json`).
    pub ids: Vec<u32>,
}

impl ConfiguredEos {
    /// Reads the configuration files beside a `tokenizer.json`; files that are
    /// missing or unreadable contribute nothing.
    pub fn read_folder(folder: &Path) -> ConfiguredEos {
        let mut found = ConfiguredEos::default();
        if let Some(config) = read_json(&folder.join("tokenizer_config.json")) {
            match config.get("eos_token") {
                Some(serde_json::Value::String(name)) => found.names.push(name.clone()),
                Some(serde_json::Value::Object(token)) => {
                    if let Some(serde_json::Value::String(name)) = token.get("content") {
                        found.names.push(name.clone());
                    }
                }
                _ => {}
            }
        }
        for file in ["generation_config.json", "config.json"] {
            if let Some(config) = read_json(&folder.join(file)) {
                match config.get("eos_token_id") {
                    Some(serde_json::Value::Number(n)) => found
                        .ids
                        .extend(n.as_u64().and_then(|n| u32::try_from(n).ok())),
                    Some(serde_json::Value::Array(list)) => found.ids.extend(
                        list.iter()
                            .filter_map(|n| n.as_u64())
                            .filter_map(|n| u32::try_from(n).ok()),
                    ),
                    _ => {}
                }
            }
        }
        found
    }
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}
