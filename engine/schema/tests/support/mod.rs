//! Helpers shared by the schema tests: a byte-level vocabulary (every
//! byte a token, plus an end-of-sequence token) and whole-document
//! acceptance. Each test binary uses part of it.
#![allow(dead_code)]

use std::sync::Arc;

use rein_core::{TokenKind, Vocabulary};
use rein_schema::CompiledSchema;

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
