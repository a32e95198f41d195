//! Hugging Face `tokenizer.json` files.
//!
//! The vocabulary is read from the JSON itself (`model.vocab` and
//! `added_tokens`) rather than through the `tokenizers` crate's decoder, so
//! every id gets its exact bytes even where decoding a lone token would
//! produce replacement characters (a byte-level token holding half of a
//! UTF-8 sequence). The `tokenizers` crate is used for encoding only, after
//! the pipeline steps that rewrite text are removed:
//!
//! * normalizers other than `Replace` (Unicode normalization such as Qwen's
//!   NFC, dummy-prefix `Prepend`, lowercasing) — they change the text;
//! * dummy-prefix spaces in `Metaspace` and `ByteLevel` pre-tokenizers;
//! * the post-processor (it only adds special tokens).

use std::path::Path;

use rein_core::{TokenKind, Vocabulary};
use serde_json::Value;

use crate::byte_scheme::{ByteScheme, METASPACE};
use crate::eos::{ConfiguredEos, KNOWN_END_MARKERS};
use crate::error::LoadError;
use crate::tokenizer::Tokenizer;

/// The largest vocabulary accepted (ids must also fit the model's logits).
const MAX_VOCABULARY: usize = 16 << 20;

/// Loads a `tokenizer.json`, taking end-of-sequence ids from the
/// configuration files beside it (see [`crate::eos`]).
pub fn load(path: &Path) -> Result<Tokenizer, LoadError> {
    let text = std::fs::read(path).map_err(|error| LoadError::new(path, error.to_string()))?;
    let json: Value = serde_json::from_slice(&text).map_err(|error| {
        LoadError::new(
            path,
            format!(
                "not valid JSON at line {} column {}: {error}",
                error.line(),
                error.column()
            ),
        )
    })?;
    let eos = path
        .parent()
        .map(ConfiguredEos::read_folder)
        .unwrap_or_default();
    from_json(path, json, &eos)
}

/// Builds a tokenizer from an already parsed `tokenizer.json`; `path` only
/// names the source in errors.
pub fn from_json(
    path: &Path,
    mut json: Value,
    eos: &ConfiguredEos,
) -> Result<Tokenizer, LoadError> {
    let error = |message: String| LoadError::new(path, message);
    let scheme = detect_scheme(&json).map_err(error)?;
    let vocabulary = read_vocabulary(&json, scheme, eos).map_err(error)?;
    make_exact(&mut json);
    let bytes = serde_json::to_vec(&json).map_err(|e| error(e.to_string()))?;
    let mut encoder = tokenizers::Tokenizer::from_bytes(bytes)
        .map_err(|e| error(format!("the tokenizers crate rejected it: {e}")))?;
    encoder.set_encode_special_tokens(true);
    Ok(Tokenizer::new(vocabulary, encoder, scheme, path))
}

/// Every `"type"` in a pipeline component, nested sequences included.
fn component_types(component: &Value) -> Vec<String> {
    let mut types = Vec::new();
    let mut pending = vec![component];
    while let Some(value) = pending.pop() {
        if let Some(kind) = value.get("type").and_then(Value::as_str) {
            types.push(kind.to_string());
        }
        for key in ["decoders", "pretokenizers", "normalizers"] {
            if let Some(Value::Array(children)) = value.get(key) {
                pending.extend(children);
            }
        }
    }
    types
}

fn detect_scheme(json: &Value) -> Result<ByteScheme, String> {
    let decoder = json.get("decoder").unwrap_or(&Value::Null);
    let mut types = component_types(decoder);
    if decoder.is_null() {
        types = component_types(json.get("pre_tokenizer").unwrap_or(&Value::Null));
    }
    let model_byte_fallback = json
        .pointer("/model/byte_fallback")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let has = |name: &str| types.iter().any(|t| t == name);
    let replaces_metaspace = decoder.to_string().contains(METASPACE);
    if has("ByteLevel") {
        Ok(ByteScheme::ByteLevel)
    } else if has("Metaspace") || has("ByteFallback") || replaces_metaspace {
        Ok(ByteScheme::SentencePiece {
            byte_fallback: has("ByteFallback") || model_byte_fallback,
        })
    } else if types.is_empty() {
        Err("the tokenizer has no decoder, so the bytes of its tokens are unknown".into())
    } else {
        Err(format!(
            "unsupported decoder ({}); rein reads byte-level BPE and SentencePiece tokenizers",
            types.join(", ")
        ))
    }
}

fn read_vocabulary(
    json: &Value,
    scheme: ByteScheme,
    eos: &ConfiguredEos,
) -> Result<Vocabulary, String> {
    let model_type = json
        .pointer("/model/type")
        .and_then(Value::as_str)
        .unwrap_or("BPE");
    let mut entries: Vec<(usize, Vec<u8>, TokenKind)> = Vec::new();
    match (model_type, json.pointer("/model/vocab")) {
        ("BPE" | "WordLevel", Some(Value::Object(vocab))) => {
            for (token, id) in vocab {
                let id =
                    as_id(id).ok_or_else(|| format!("model.vocab[{token:?}] is not a token id"))?;
                entries.push((id, scheme.model_token_bytes(token), TokenKind::Text));
            }
        }
        ("Unigram", Some(Value::Array(vocab))) => {
            for (id, entry) in vocab.iter().enumerate() {
                let token = entry
                    .get(0)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("model.vocab[{id}] is not a [token, score] pair"))?;
                entries.push((id, scheme.model_token_bytes(token), TokenKind::Text));
            }
        }
        (other, _) => {
            return Err(format!(
                "unsupported tokenizer model {other:?}; rein reads BPE, Unigram and WordLevel"
            ))
        }
    }
    let added = match json.get("added_tokens") {
        Some(Value::Array(added)) => added.as_slice(),
        _ => &[],
    };
    let mut special_names = Vec::new();
    for (index, token) in added.iter().enumerate() {
        let id = token
            .get("id")
            .and_then(as_id)
            .ok_or_else(|| format!("added_tokens[{index}] has no valid id"))?;
        let content = token
            .get("content")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("added_tokens[{index}] has no content"))?;
        let special = token
            .get("special")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if special {
            entries.push((id, content.as_bytes().to_vec(), TokenKind::Special));
            special_names.push((content.to_string(), id));
        } else {
            entries.push((id, scheme.added_token_bytes(content), TokenKind::Text));
        }
    }
    let size = entries.iter().map(|(id, _, _)| id + 1).max().unwrap_or(0);
    if size > MAX_VOCABULARY {
        return Err(format!(
            "a token id of {} is past the limit of {MAX_VOCABULARY} tokens",
            size - 1
        ));
    }
    // Later entries (added tokens) override the model vocabulary.
    let mut slots: Vec<Option<(Vec<u8>, TokenKind)>> = vec![None; size];
    for (id, bytes, kind) in entries {
        slots[id] = Some((bytes, kind));
    }
    let mut builder = Vocabulary::builder();
    for slot in slots {
        let (bytes, kind) = slot.unwrap_or((Vec::new(), TokenKind::Special));
        builder.push(bytes, kind);
    }
    for id in end_of_sequence_ids(&special_names, eos) {
        if (id as usize) < builder.len() {
            builder.eos_token(id);
        }
    }
    builder.build().map_err(|error| error.to_string())
}

/// Ids named by the configuration plus the special tokens with well-known
/// end-marker names.
pub(crate) fn end_of_sequence_ids(special: &[(String, usize)], eos: &ConfiguredEos) -> Vec<u32> {
    let mut ids: Vec<u32> = eos.ids.clone();
    for (name, id) in special {
        if eos.names.contains(name) || KNOWN_END_MARKERS.contains(&name.as_str()) {
            ids.push(*id as u32);
        }
    }
    ids
}

fn as_id(value: &Value) -> Option<usize> {
    value.as_u64().and_then(|id| usize::try_from(id).ok())
}

/// Removes the pipeline steps that rewrite text; see the module docs.
fn make_exact(json: &mut Value) {
    if let Some(normalizer) = json.get_mut("normalizer") {
        *normalizer = keep_replacements(normalizer.take());
    }
    if let Some(pre_tokenizer) = json.get_mut("pre_tokenizer") {
        drop_prefix_spaces(pre_tokenizer);
    }
    if let Some(post_processor) = json.get_mut("post_processor") {
        *post_processor = Value::Null;
    }
}

fn keep_replacements(normalizer: Value) -> Value {
    match normalizer.get("type").and_then(Value::as_str) {
        Some("Replace") => normalizer,
        Some("Sequence") => {
            let kept: Vec<Value> = match normalizer.get("normalizers") {
                Some(Value::Array(list)) => list
                    .iter()
                    .cloned()
                    .map(keep_replacements)
                    .filter(|n| !n.is_null())
                    .collect(),
                _ => Vec::new(),
            };
            if kept.is_empty() {
                Value::Null
            } else {
                serde_json::json!({"type": "Sequence", "normalizers": kept})
            }
        }
        _ => Value::Null,
    }
}

fn drop_prefix_spaces(pre_tokenizer: &mut Value) {
    match pre_tokenizer.get("type").and_then(Value::as_str) {
        Some("Metaspace") => {
            pre_tokenizer["prepend_scheme"] = Value::from("never");
            pre_tokenizer["add_prefix_space"] = Value::from(false);
        }
        Some("ByteLevel") => pre_tokenizer["add_prefix_space"] = Value::from(false),
        Some("Sequence") => {
            if let Some(Value::Array(list)) = pre_tokenizer.get_mut("pretokenizers") {
                list.iter_mut().for_each(drop_prefix_spaces);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn byte_level_json() -> Value {
        json!({
            "version": "1.0",
            "added_tokens": [
                {"id": 7, "content": "<|eot_id|>", "special": true, "single_word": false,
                 "lstrip": false, "rstrip": false, "normalized": false},
                {"id": 8, "content": "<tool>", "special": false, "single_word": false,
                 "lstrip": false, "rstrip": false, "normalized": false}
            ],
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
            "post_processor": null,
            "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
            "model": {"type": "BPE", "dropout": null, "unk_token": null,
                      "continuing_subword_prefix": null, "end_of_word_suffix": null,
                      "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġa": 4, "Ã": 5, "©": 6},
                      "merges": ["a b", "Ġ a"]}
        })
    }

    #[test]
    fn byte_level_vocabulary_and_exact_encoding() {
        let tokenizer = from_json(
            Path::new("test.json"),
            byte_level_json(),
            &ConfiguredEos::default(),
        )
        .unwrap();
        let vocab = tokenizer.vocabulary();
        assert_eq!(vocab.len(), 9);
        assert_eq!(vocab.token_bytes(2), Some(&b" "[..]));
        assert_eq!(vocab.token_bytes(4), Some(&b" a"[..]));
        assert!(vocab.is_special(7) && vocab.is_eos(7));
        assert!(!vocab.is_special(8));
        assert_eq!(vocab.token_bytes(5), Some(&[0xC3u8][..]));
        // No prefix space is added, and the special name is spelled as text.
        let ids = tokenizer.encode("ab a").unwrap();
        assert_eq!(ids, vec![3, 4]);
        assert!(
            tokenizer.encode("<|eot_id|>").is_err(),
            "no tokens spell it in this toy vocab"
        );
        assert_eq!(tokenizer.encode("<tool>").unwrap(), vec![8]);
    }

    #[test]
    fn unsupported_models_are_named() {
        let mut json = byte_level_json();
        json["decoder"] = json!({"type": "WordPiece", "prefix": "##", "cleanup": true});
        json["pre_tokenizer"] = Value::Null;
        let error = from_json(Path::new("t.json"), json, &ConfiguredEos::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("unsupported decoder (WordPiece)"), "{error}");
    }

    #[test]
    fn normalizers_that_rewrite_text_are_dropped() {
        let sequence = json!({"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
            {"type": "NFKC"}
        ]});
        let kept = keep_replacements(sequence);
        assert_eq!(kept["normalizers"].as_array().unwrap().len(), 1);
        assert!(keep_replacements(json!({"type": "NFC"})).is_null());
    }
}
