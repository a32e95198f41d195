//! The JSON Schema compiler on arbitrary JSON: any document gives a grammar
//! or an error naming a JSON pointer, never a panic, a hang or a stack
//! overflow; a compiled schema's walk commits only allowed tokens, and a
//! finished walk's output validates with the `jsonschema` crate.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use rein_core::{Engine, TokenMask};
use rein_schema::{compile, Options, Validator};

mod common;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let extra: [&[u8]; 6] = [b"{\"", b"\": ", b"\", \"", b"true", b"null", b"12"];
    ENGINE.get_or_init(|| Engine::new(Arc::new(common::byte_vocabulary("<|eot_id|>", &extra))))
}

fuzz_target!(|data: &[u8]| {
    // serde_json refuses documents nested deeper than 128, so parsing is bounded.
    let Ok(schema) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let options = Options {
        max_depth: 32,
        max_rules: 20_000,
        max_enum_values: 1_000,
        max_items: 100,
        max_string_length: 100,
        ..Options::default()
    };
    let compiled = match compile(&schema, &options) {
        Ok(compiled) => compiled,
        Err(error) => {
            assert!(error.pointer().starts_with('#'), "{error}");
            return;
        }
    };
    let Ok(constraint) = compiled.constraint(engine()) else {
        return;
    };
    let mut matcher = constraint.matcher();
    let mut mask = TokenMask::new(constraint.vocabulary().len());
    let mut output = Vec::new();
    for step in 0..24usize {
        if matcher.fill_mask(&mut mask).is_err() {
            return;
        }
        let allowed: Vec<u32> = mask.iter().collect();
        assert!(!allowed.is_empty(), "an empty mask");
        let token = allowed[(step * 7919 + data.len()) % allowed.len()];
        matcher.commit(token).expect("an allowed token commits");
        if matcher.is_finished() {
            break;
        }
        output.extend_from_slice(constraint.vocabulary().token_bytes(token).unwrap_or_default());
    }
    if matcher.can_end() {
        if let (Ok(text), Ok(validator)) = (String::from_utf8(output), Validator::new(&schema)) {
            if let Err(problem) = validator.validate_text(&text) {
                panic!("rein accepted {text:?}, which jsonschema rejects: {problem}");
            }
        }
    }
});
