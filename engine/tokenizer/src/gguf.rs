//! Vocabularies from GGUF model files.
//!
//! A GGUF file starts with a header and a list of typed key–value pairs; the
//! tokenizer lives under `tokenizer.ggml.*`: `model` (`gpt2` for byte-level
//! BPE, `llama` for SentencePiece), `tokens`, `token_type` (1 normal, 2
//! unknown, 3 control, 4 user-defined, 5 unused, 6 byte), `merges`, `scores`
//! and the special ids. Only this metadata is read, never the tensors.
//!
//! The reader is defensive: every length is checked against a limit and the
//! remaining file size before anything is allocated, so a corrupt or hostile
//! file is an error, not an out-of-memory abort.
//!
//! For encoding, the metadata is turned into the equivalent `tokenizer.json`
//! (BPE with the byte-level pre-tokenizer for `gpt2`, Unigram with byte
//! fallback for `llama`) and loaded through [`crate::hf`], so both sources
//! share one exact-encoding path.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde_json::{json, Value};

use crate::eos::ConfiguredEos;
use crate::error::LoadError;
use crate::tokenizer::Tokenizer;

/// The first four bytes of every GGUF file.
pub const MAGIC: &[u8; 4] = b"GGUF";

/// The most elements an array value may have.
const MAX_ARRAY_LEN: u64 = 1 << 24;
/// The longest string value, in bytes.
const MAX_STRING_LEN: u64 = 1 << 24;
/// The most key–value pairs in the header.
const MAX_KEYS: u64 = 1 << 16;

/// Whether the file at `path` starts with the GGUF magic.
pub fn has_magic(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .map(|()| &magic == MAGIC)
        .unwrap_or(false)
}

/// A metadata value.
#[derive(Clone, Debug, PartialEq)]
pub enum MetadataValue {
    /// Any unsigned integer type.
    Unsigned(u64),
    /// Any signed integer type.
    Signed(i64),
    /// `f32` or `f64`.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A UTF-8 string.
    String(String),
    /// An array of values of one type.
    Array(Vec<MetadataValue>),
}

impl MetadataValue {
    fn as_u32(&self) -> Option<u32> {
        match self {
            MetadataValue::Unsigned(n) => u32::try_from(*n).ok(),
            MetadataValue::Signed(n) => u32::try_from(*n).ok(),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            MetadataValue::String(s) => Some(s),
            _ => None,
        }
    }
}

/// The key–value metadata of a GGUF file.
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    /// The format version (2 or 3).
    pub version: u32,
    /// Every key with its value.
    pub entries: BTreeMap<String, MetadataValue>,
}

impl Metadata {
    /// Reads the metadata section of the GGUF file at `path`.
    pub fn read(path: &Path) -> Result<Metadata, LoadError> {
        let file = File::open(path).map_err(|e| LoadError::new(path, e.to_string()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        let mut reader = Reader {
            inner: BufReader::with_capacity(1 << 20, file),
            offset: 0,
            size,
        };
        read_metadata(&mut reader).map_err(|message| LoadError::new(path, message))
    }

    /// Parses the metadata section from the first bytes of a GGUF file
    /// (tensor data after it is ignored).
    pub fn parse(bytes: &[u8]) -> Result<Metadata, String> {
        let mut reader = Reader {
            inner: bytes,
            offset: 0,
            size: bytes.len() as u64,
        };
        read_metadata(&mut reader)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&MetadataValue> {
        self.entries.get(key)
    }
}

struct Reader<R> {
    inner: R,
    offset: u64,
    size: u64,
}

impl<R: Read> Reader<R> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut buffer = [0u8; N];
        self.inner.read_exact(&mut buffer).map_err(|_| {
            format!(
                "the file ends inside its metadata (at byte {})",
                self.offset
            )
        })?;
        self.offset += N as u64;
        Ok(buffer)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn string(&mut self) -> Result<String, String> {
        let len = self.u64()?;
        if len > MAX_STRING_LEN || len > self.size.saturating_sub(self.offset) {
            return Err(format!(
                "a string at byte {} claims {len} bytes, more than the file holds or {MAX_STRING_LEN}",
                self.offset
            ));
        }
        let mut buffer = vec![0u8; len as usize];
        self.inner
            .read_exact(&mut buffer)
            .map_err(|_| format!("the file ends inside a string at byte {}", self.offset))?;
        let at = self.offset;
        self.offset += len;
        String::from_utf8(buffer).map_err(|_| format!("the string at byte {at} is not UTF-8"))
    }

    fn value(&mut self, kind: u32, depth: u32) -> Result<MetadataValue, String> {
        Ok(match kind {
            0 => MetadataValue::Unsigned(u64::from(self.bytes::<1>()?[0])),
            1 => MetadataValue::Signed(i64::from(self.bytes::<1>()?[0] as i8)),
            2 => MetadataValue::Unsigned(u64::from(u16::from_le_bytes(self.bytes()?))),
            3 => MetadataValue::Signed(i64::from(i16::from_le_bytes(self.bytes()?))),
            4 => MetadataValue::Unsigned(u64::from(self.u32()?)),
            5 => MetadataValue::Signed(i64::from(i32::from_le_bytes(self.bytes()?))),
            6 => MetadataValue::Float(f64::from(f32::from_le_bytes(self.bytes()?))),
            7 => MetadataValue::Bool(self.bytes::<1>()?[0] != 0),
            8 => MetadataValue::String(self.string()?),
            9 => {
                if depth > 0 {
                    return Err("nested arrays are not supported in GGUF metadata".into());
                }
                let element = self.u32()?;
                let len = self.u64()?;
                if len > MAX_ARRAY_LEN || len > self.size.saturating_sub(self.offset) {
                    return Err(format!(
                        "an array at byte {} claims {len} elements, more than the file holds or {MAX_ARRAY_LEN}",
                        self.offset
                    ));
                }
                let mut values = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    values.push(self.value(element, depth + 1)?);
                }
                MetadataValue::Array(values)
            }
            10 => MetadataValue::Unsigned(self.u64()?),
            11 => MetadataValue::Signed(i64::from_le_bytes(self.bytes()?)),
            12 => MetadataValue::Float(f64::from_le_bytes(self.bytes()?)),
            other => {
                return Err(format!(
                    "unknown metadata value type {other} at byte {}",
                    self.offset
                ))
            }
        })
    }
}

fn read_metadata<R: Read>(reader: &mut Reader<R>) -> Result<Metadata, String> {
    if &reader.bytes::<4>()? != MAGIC {
        return Err("not a GGUF file (wrong magic bytes)".into());
    }
    let version = reader.u32()?;
    if !(2..=3).contains(&version) {
        return Err(format!(
            "GGUF version {version} is not supported (2 and 3 are)"
        ));
    }
    let _tensor_count = reader.u64()?;
    let key_count = reader.u64()?;
    if key_count > MAX_KEYS {
        return Err(format!("the header claims {key_count} metadata keys"));
    }
    let mut entries = BTreeMap::new();
    for _ in 0..key_count {
        let key = reader.string()?;
        let kind = reader.u32()?;
        let value = reader.value(kind, 0)?;
        entries.insert(key, value);
    }
    Ok(Metadata { version, entries })
}

/// GGUF token types.
const TOKEN_TYPE_NORMAL: u32 = 1;
const TOKEN_TYPE_USER_DEFINED: u32 = 4;
const TOKEN_TYPE_BYTE: u32 = 6;

/// Loads the tokenizer stored in a GGUF file's metadata.
pub fn load(path: &Path) -> Result<Tokenizer, LoadError> {
    let metadata = Metadata::read(path)?;
    let json = tokenizer_json(&metadata).map_err(|message| LoadError::new(path, message))?;
    let mut eos = ConfiguredEos::default();
    for key in [
        "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.eot_token_id",
        "tokenizer.ggml.eom_token_id",
    ] {
        eos.ids
            .extend(metadata.get(key).and_then(MetadataValue::as_u32));
    }
    crate::hf::from_json(path, json, &eos)
}

fn string_array<'a>(metadata: &'a Metadata, key: &str) -> Result<Vec<&'a str>, String> {
    match metadata.get(key) {
        Some(MetadataValue::Array(values)) => values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .ok_or_else(|| format!("{key}[{i}] is not a string"))
            })
            .collect(),
        Some(_) => Err(format!("{key} is not an array")),
        None => Err(format!("the file has no {key}")),
    }
}

/// The `tokenizer.json` equivalent of the GGUF tokenizer metadata.
pub fn tokenizer_json(metadata: &Metadata) -> Result<Value, String> {
    let model = metadata
        .get("tokenizer.ggml.model")
        .and_then(MetadataValue::as_str)
        .ok_or("the file has no tokenizer.ggml.model")?;
    let tokens = string_array(metadata, "tokenizer.ggml.tokens")?;
    let types: Vec<u32> = match metadata.get("tokenizer.ggml.token_type") {
        Some(MetadataValue::Array(values)) => values
            .iter()
            .map(|v| v.as_u32().unwrap_or(TOKEN_TYPE_NORMAL))
            .collect(),
        _ => vec![TOKEN_TYPE_NORMAL; tokens.len()],
    };
    if types.len() != tokens.len() {
        return Err(format!(
            "tokenizer.ggml.token_type has {} entries for {} tokens",
            types.len(),
            tokens.len()
        ));
    }
    // Control, unknown and unused tokens are special; user-defined tokens
    // are text written as is.
    let mut added = Vec::new();
    for (id, (&token, &kind)) in tokens.iter().zip(&types).enumerate() {
        let special = !matches!(
            kind,
            TOKEN_TYPE_NORMAL | TOKEN_TYPE_USER_DEFINED | TOKEN_TYPE_BYTE
        );
        if special || kind == TOKEN_TYPE_USER_DEFINED {
            added.push(json!({
                "id": id, "content": token, "special": special, "single_word": false,
                "lstrip": false, "rstrip": false, "normalized": false
            }));
        }
    }
    match model {
        "gpt2" => {
            let merges = string_array(metadata, "tokenizer.ggml.merges")?;
            let vocab: serde_json::Map<String, Value> = tokens
                .iter()
                .enumerate()
                .map(|(id, token)| (token.to_string(), Value::from(id)))
                .collect();
            let byte_level = json!({"type": "ByteLevel", "add_prefix_space": false,
                                     "trim_offsets": false, "use_regex": true});
            Ok(json!({
                "version": "1.0",
                "added_tokens": added,
                "normalizer": null,
                "pre_tokenizer": byte_level,
                "post_processor": null,
                "decoder": byte_level,
                "model": {"type": "BPE", "dropout": null, "unk_token": null,
                          "continuing_subword_prefix": null, "end_of_word_suffix": null,
                          "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                          "vocab": vocab, "merges": merges}
            }))
        }
        "llama" => {
            let scores: Vec<f64> = match metadata.get("tokenizer.ggml.scores") {
                Some(MetadataValue::Array(values)) => values
                    .iter()
                    .map(|v| match v {
                        MetadataValue::Float(f) => *f,
                        _ => 0.0,
                    })
                    .collect(),
                _ => vec![0.0; tokens.len()],
            };
            let vocab: Vec<Value> = tokens
                .iter()
                .enumerate()
                .map(|(id, token)| json!([token, scores.get(id).copied().unwrap_or(0.0)]))
                .collect();
            let unk = metadata
                .get("tokenizer.ggml.unknown_token_id")
                .and_then(MetadataValue::as_u32)
                .unwrap_or(0);
            Ok(json!({
                "version": "1.0",
                "added_tokens": added,
                "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u{2581}"},
                "pre_tokenizer": null,
                "post_processor": null,
                "decoder": {"type": "Sequence", "decoders": [
                    {"type": "Replace", "pattern": {"String": "\u{2581}"}, "content": " "},
                    {"type": "ByteFallback"}, {"type": "Fuse"}]},
                "model": {"type": "Unigram", "unk_id": unk, "vocab": vocab, "byte_fallback": true}
            }))
        }
        other => Err(format!(
            "tokenizer.ggml.model {other:?} is not supported (gpt2 and llama are)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }

    fn gguf_bytes(entries: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        for (key, kind, payload) in entries {
            write_string(&mut out, key);
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(payload);
        }
        out
    }

    fn string_value(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        write_string(&mut out, s);
        out
    }

    fn string_array_value(items: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&(items.len() as u64).to_le_bytes());
        for item in items {
            write_string(&mut out, item);
        }
        out
    }

    fn read(bytes: &[u8]) -> Result<Metadata, String> {
        Metadata::parse(bytes)
    }

    #[test]
    fn reads_a_gpt2_vocabulary() {
        let bytes = gguf_bytes(&[
            ("tokenizer.ggml.model", 8, string_value("gpt2")),
            (
                "tokenizer.ggml.tokens",
                9,
                string_array_value(&["<|end|>", "a", "b", "ab", "Ġ"]),
            ),
            ("tokenizer.ggml.merges", 9, string_array_value(&["a b"])),
            (
                "tokenizer.ggml.eos_token_id",
                4,
                0u32.to_le_bytes().to_vec(),
            ),
        ]);
        let metadata = read(&bytes).unwrap();
        assert_eq!(metadata.version, 3);
        let json = tokenizer_json(&metadata).unwrap();
        assert_eq!(json["model"]["vocab"]["ab"], 3);
        // Without token types every token is normal text.
        assert_eq!(json["added_tokens"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn a_sentencepiece_vocabulary_encodes_exactly() {
        let mut tokens: Vec<String> = vec!["<unk>".into(), "<s>".into(), "</s>".into()];
        let mut types = vec![2u32, 3, 3];
        for byte in 0..=255u8 {
            tokens.push(format!("<0x{byte:02X}>"));
            types.push(TOKEN_TYPE_BYTE);
        }
        for piece in ["▁a", "b", "▁", "ab", "<think>"] {
            tokens.push(piece.to_string());
            types.push(if piece == "<think>" {
                TOKEN_TYPE_USER_DEFINED
            } else {
                TOKEN_TYPE_NORMAL
            });
        }
        let mut entries = BTreeMap::new();
        entries.insert(
            "tokenizer.ggml.model".to_string(),
            MetadataValue::String("llama".into()),
        );
        entries.insert(
            "tokenizer.ggml.tokens".to_string(),
            MetadataValue::Array(tokens.iter().cloned().map(MetadataValue::String).collect()),
        );
        entries.insert(
            "tokenizer.ggml.token_type".to_string(),
            MetadataValue::Array(
                types
                    .iter()
                    .map(|&t| MetadataValue::Unsigned(t.into()))
                    .collect(),
            ),
        );
        let metadata = Metadata {
            version: 3,
            entries,
        };
        let json = tokenizer_json(&metadata).unwrap();
        let mut eos = ConfiguredEos::default();
        eos.ids.push(2);
        let tokenizer = crate::hf::from_json(Path::new("t.gguf"), json, &eos).unwrap();
        let vocabulary = tokenizer.vocabulary();
        assert!(vocabulary.is_special(0) && vocabulary.is_special(1) && vocabulary.is_eos(2));
        assert_eq!(vocabulary.token_bytes(3 + 0x0A), Some(&b"\n"[..]));
        assert_eq!(vocabulary.token_bytes(259), Some(&b" a"[..]));
        assert!(!vocabulary.is_special(263), "user-defined tokens are text");
        for text in ["ab a", " a\nb", "żółw <think>", "<s></s>"] {
            let ids = tokenizer.encode(text).unwrap();
            assert_eq!(vocabulary.concat_bytes(&ids), text.as_bytes(), "{text}");
        }
    }

    #[test]
    fn hostile_lengths_are_errors_not_allocations() {
        let mut bytes = gguf_bytes(&[]);
        bytes[16..24].copy_from_slice(&1u64.to_le_bytes()); // one key follows
        bytes.extend_from_slice(&u64::MAX.to_le_bytes()); // a huge key length
        let error = read(&bytes).unwrap_err();
        assert!(error.contains("claims"), "{error}");
        assert!(read(b"GGUF").unwrap_err().contains("ends inside"));
        assert!(read(b"NOPE\x03\0\0\0").unwrap_err().contains("magic"));
        let mut old = gguf_bytes(&[]);
        old[4..8].copy_from_slice(&1u32.to_le_bytes());
        assert!(read(&old).unwrap_err().contains("version 1"));
    }
}
