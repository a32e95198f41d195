//! How a tokenizer spells bytes in its token strings.
//!
//! Token strings in `tokenizer.json` and GGUF files are not the bytes the
//! tokens stand for:
//!
//! * **Byte-level BPE** (GPT-2, Llama 3, Qwen) maps every byte to a printable
//!   character: bytes `!`..`~`, `¡`..`¬` and `®`..`ÿ` stand for themselves,
//!   the other 68 bytes take the characters from U+0100 upwards in order, so
//!   a space is `Ġ` and a newline `Ċ`.
//! * **SentencePiece** (Gemma, Llama 2) writes a space as `▁` (U+2581) and,
//!   with byte fallback, a raw byte as a token named `<0xNN>`.
//!
//! Added (non-special) tokens are written as plain text in both schemes,
//! except that SentencePiece tokenizers still spell spaces `▁` there.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The SentencePiece word-boundary symbol that stands for a space.
pub const METASPACE: char = '\u{2581}';

/// A tokenizer's spelling of bytes; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteScheme {
    /// GPT-2's byte-to-character alphabet.
    ByteLevel,
    /// `▁` for spaces, and `<0xNN>` for raw bytes when `byte_fallback` is on.
    SentencePiece {
        /// Whether `<0xNN>` tokens stand for single bytes.
        byte_fallback: bool,
    },
}

/// GPT-2's alphabet, character to byte.
static BYTE_LEVEL_CHARS: LazyLock<HashMap<char, u8>> = LazyLock::new(|| {
    let mut map = HashMap::with_capacity(256);
    let mut next_free = 256u32;
    for byte in 0..=255u8 {
        let printable = matches!(byte, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        let code = if printable {
            u32::from(byte)
        } else {
            let code = next_free;
            next_free += 1;
            code
        };
        if let Some(c) = char::from_u32(code) {
            map.insert(c, byte);
        }
    }
    map
});

impl ByteScheme {
    /// The bytes a model-vocabulary token string stands for.
    ///
    /// A byte-level token with a character outside GPT-2's alphabet keeps
    /// that character's UTF-8 bytes, as Hugging Face's decoder does.
    pub fn model_token_bytes(self, token: &str) -> Vec<u8> {
        match self {
            ByteScheme::ByteLevel => {
                let mut bytes = Vec::with_capacity(token.len());
                for c in token.chars() {
                    match BYTE_LEVEL_CHARS.get(&c) {
                        Some(&byte) => bytes.push(byte),
                        None => {
                            let mut buffer = [0u8; 4];
                            bytes.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                        }
                    }
                }
                bytes
            }
            ByteScheme::SentencePiece { byte_fallback } => {
                if byte_fallback {
                    if let Some(byte) = parse_byte_token(token) {
                        return vec![byte];
                    }
                }
                metaspace_to_spaces(token)
            }
        }
    }

    /// The bytes an added (non-special) token's content stands for.
    pub fn added_token_bytes(self, content: &str) -> Vec<u8> {
        match self {
            ByteScheme::ByteLevel => content.as_bytes().to_vec(),
            ByteScheme::SentencePiece { .. } => metaspace_to_spaces(content),
        }
    }
}

fn metaspace_to_spaces(token: &str) -> Vec<u8> {
    token.replace(METASPACE, " ").into_bytes()
}

/// `<0xNN>` → the byte `NN`.
fn parse_byte_token(token: &str) -> Option<u8> {
    let hex = token.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_alphabet() {
        assert_eq!(BYTE_LEVEL_CHARS.len(), 256);
        let scheme = ByteScheme::ByteLevel;
        assert_eq!(scheme.model_token_bytes("Ġhello"), b" hello");
        assert_eq!(scheme.model_token_bytes("ĊĉĠ"), b"\n\t ");
        // "é" in UTF-8 is C3 A9, spelled "Ã©" in the alphabet.
        assert_eq!(scheme.model_token_bytes("Ã©"), "é".as_bytes());
        assert_eq!(scheme.model_token_bytes("Ā"), [0u8]);
        assert_eq!(scheme.added_token_bytes("<think>"), b"<think>");
    }

    #[test]
    fn sentencepiece_spaces_and_bytes() {
        let scheme = ByteScheme::SentencePiece {
            byte_fallback: true,
        };
        assert_eq!(scheme.model_token_bytes("▁the"), b" the");
        assert_eq!(scheme.model_token_bytes("<0x0A>"), b"\n");
        assert_eq!(scheme.model_token_bytes("<0xE2>"), [0xE2]);
        assert_eq!(scheme.model_token_bytes("<0x0G>"), b"<0x0G>");
        assert_eq!(scheme.added_token_bytes("▁▁"), b"  ");
        let no_fallback = ByteScheme::SentencePiece {
            byte_fallback: false,
        };
        assert_eq!(no_fallback.model_token_bytes("<0x0A>"), b"<0x0A>");
    }
}
