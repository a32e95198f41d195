//! Helpers shared by the schema tests: an engine over a byte-level
//! vocabulary (every byte a token, plus an end-of-sequence token), whole-document
//! acceptance, and agreement with `jsonschema`. Each test binary uses part
//! of it.
#![allow(dead_code)]

use std::sync::Arc;

use rein_core::{Engine, TokenKind, TokenMask, Vocabulary};
use rein_schema::{compile, python_dumps, CompiledSchema, Options, Validator};
use serde_json::Value;

/// An engine over 256 one-byte tokens and `</s>` as the end of sequence.
pub fn bytes_engine() -> Engine {
    let mut builder = Vocabulary::builder();
    for byte in 0..=255u8 {
        builder.push(vec![byte], TokenKind::Text);
    }
    let eos = builder.push(b"</s>".to_vec(), TokenKind::Special);
    builder.eos_token(eos);
    Engine::new(Arc::new(builder.build().unwrap()))
}

/// Whether the compiled schema accepts the whole of `text`, byte by byte.
pub fn accepts(compiled: &CompiledSchema, text: &str) -> bool {
    let constraint = compiled.constraint(&bytes_engine()).unwrap();
    let mut matcher = constraint.matcher();
    text.bytes()
        .all(|byte| matcher.commit(u32::from(byte)).is_ok())
        && matcher.can_end()
}

/// rein and `jsonschema` agree on every instance (written as rein writes
/// JSON, members in the order the instance has them), and the instances
/// cover both verdicts.
pub fn agree(schema: &Value, instances: &[Value]) {
    let compiled = compile(schema, &Options::default()).unwrap();
    let validator = Validator::new(schema).unwrap();
    let mut verdicts = [false, false];
    for instance in instances {
        let text = python_dumps(instance);
        let expected = validator.validate(instance).is_ok();
        assert_eq!(
            accepts(&compiled, &text),
            expected,
            "{text} against {schema}"
        );
        verdicts[usize::from(expected)] = true;
    }
    assert_eq!(verdicts, [true, true], "instances of one verdict only");
}

/// A document sampled from `compiled`: up to `steps` bytes chosen at random
/// (xorshift from `seed`) among the allowed ones, then the shortest
/// completion. Panics if a prefix cannot be completed (a soundness bug).
pub fn sample_document(compiled: &CompiledSchema, seed: u64, steps: usize) -> String {
    let engine = bytes_engine();
    let vocabulary = engine.vocabulary();
    let constraint = compiled.constraint(&engine).unwrap();
    let mut matcher = constraint.matcher();
    let mut mask = TokenMask::new(vocabulary.len());
    let mut state = seed | 1;
    let mut output = Vec::new();
    for _ in 0..steps {
        matcher.fill_mask(&mut mask).unwrap();
        let allowed: Vec<u32> = mask.iter().filter(|&t| t < 256).collect();
        if allowed.is_empty() {
            break;
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let token = allowed[(state % allowed.len() as u64) as usize];
        matcher.commit(token).unwrap();
        output.push(token as u8);
    }
    if !matcher.can_end() {
        let rest = matcher
            .shortest_completion()
            .expect("every prefix can be completed");
        for &byte in &rest {
            matcher.commit(u32::from(byte)).unwrap();
        }
        output.extend(rest);
    }
    assert!(matcher.can_end(), "the completion ends the document");
    String::from_utf8(output).unwrap()
}
