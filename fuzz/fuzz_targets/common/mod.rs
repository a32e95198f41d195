//! Shared by the fuzz targets: a small vocabulary with every byte.

use rein_core::{TokenKind, Vocabulary};

/// Token 0 is the special end-of-sequence token `eos`, tokens 1..=256 are
/// the single bytes, then `extra` multi-byte tokens in order.
pub fn byte_vocabulary(eos: &str, extra: &[&[u8]]) -> Vocabulary {
    let mut builder = Vocabulary::builder();
    let eos = builder.push(eos.as_bytes().to_vec(), TokenKind::Special);
    builder.eos_token(eos);
    for byte in 0..=255u8 {
        builder.push(vec![byte], TokenKind::Text);
    }
    for bytes in extra {
        builder.push(bytes.to_vec(), TokenKind::Text);
    }
    builder.build().expect("a valid vocabulary")
}
