//! Helpers shared by the schema tests: a byte-level vocabulary (every
//! byte a token, plus an end-of-sequence token), whole-document
//! acceptance, and agreement with `jsonschema`. Each test binary uses part
//! of it.
#![allow(dead_code)]

use std::sync::Arc;

use rein_core::{TokenKind, Vocabulary};
use rein_schema::{compile, python_dumps, CompiledSchema, Options, Validator};
use serde_json::Value;

/// 256 one-byte tokens and `</s>` as the end of sequence.
pub fn bytes_vocabulary() -> Arc<Vocabulary> {
    let mut builder = Vocabulary::builder();
    for byte in 0..=255u8 {
        builder.push(vec![byte], TokenKind::Text);
    }
    let eos = builder.push(b"</s>".to_vec(), TokenKind::Special);
    builder.eos_token(eos);
    Arc::new(builder.build().unwrap())
}

/// Whether the compiled schema accepts the whole of `text`, byte by byte.
pub fn accepts(compiled: &CompiledSchema, text: &str) -> bool {
    let constraint = compiled.constraint(bytes_vocabulary()).unwrap();
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
