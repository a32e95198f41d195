//! The loaded tokenizer: a vocabulary and an exact encoder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rein_core::{TokenId, Vocabulary};

use crate::byte_scheme::{ByteScheme, METASPACE};
use crate::error::{EncodeError, LoadError};
use crate::{gguf, hf};

/// A vocabulary plus an encoder whose tokens spell the input exactly.
#[derive(Clone)]
pub struct Tokenizer {
    vocabulary: Arc<Vocabulary>,
    encoder: tokenizers::Tokenizer,
    scheme: ByteScheme,
    source: PathBuf,
}

impl Tokenizer {
    pub(crate) fn new(
        vocabulary: Vocabulary,
        encoder: tokenizers::Tokenizer,
        scheme: ByteScheme,
        source: &Path,
    ) -> Tokenizer {
        Tokenizer {
            vocabulary: Arc::new(vocabulary),
            encoder,
            scheme,
            source: source.to_path_buf(),
        }
    }

    /// Loads a tokenizer from a path or a Hugging Face id:
    ///
    /// * a GGUF file (recognised by its magic bytes) — see [`gguf`];
    /// * a `tokenizer.json` file, or a folder holding one — see [`hf`];
    /// * a Hugging Face id (`org/name`) already in the local Hugging Face
    ///   cache (`$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Tokenizer, LoadError> {
        let path = path.as_ref();
        if path.is_dir() {
            let file = path.join("tokenizer.json");
            if file.is_file() {
                return hf::load(&file);
            }
            return Err(LoadError::new(path, "the folder has no tokenizer.json"));
        }
        if path.is_file() {
            return if gguf::has_magic(path) {
                gguf::load(path)
            } else {
                hf::load(path)
            };
        }
        if let Some(file) = find_in_hub_cache(path) {
            return hf::load(&file);
        }
        let hint = if looks_like_hub_id(path) {
            " (as a Hugging Face id it is not in the local cache either; download it first)"
        } else {
            ""
        };
        Err(LoadError::new(
            path,
            format!("no such file or folder{hint}"),
        ))
    }

    /// The vocabulary, shareable between constraints.
    pub fn vocabulary(&self) -> &Arc<Vocabulary> {
        &self.vocabulary
    }

    /// How token strings spell bytes in this tokenizer.
    pub fn scheme(&self) -> ByteScheme {
        self.scheme
    }

    /// The file the tokenizer was loaded from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The Hugging Face tokenizer used for encoding (text-rewriting steps
    /// removed; see the crate docs).
    pub fn encoder(&self) -> &tokenizers::Tokenizer {
        &self.encoder
    }

    /// Encodes `text` without special tokens so that the tokens' bytes
    /// concatenate to exactly `text`; names of special tokens in the text
    /// are encoded as plain text.
    ///
    /// Fails when the tokenizer cannot spell the text exactly: a
    /// SentencePiece tokenizer cannot tell `▁` (U+2581) from a space.
    pub fn encode(&self, text: &str) -> Result<Vec<TokenId>, EncodeError> {
        if matches!(self.scheme, ByteScheme::SentencePiece { .. }) {
            if let Some(offset) = text.find(METASPACE) {
                return Err(EncodeError::new(format!(
                    "the text holds U+2581 '▁' at byte {offset}, which this SentencePiece \
                     tokenizer cannot tell apart from a space"
                )));
            }
        }
        let encoding = self
            .encoder
            .encode_fast(text, false)
            .map_err(|error| EncodeError::new(format!("the tokenizer failed: {error}")))?;
        let ids = encoding.get_ids().to_vec();
        let spelled = self.vocabulary.concat_bytes(&ids);
        if spelled != text.as_bytes() {
            let offset = spelled
                .iter()
                .zip(text.as_bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let character = text
                .get(floor_char_boundary(text, offset)..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or('?');
            return Err(EncodeError::new(format!(
                "the tokenizer cannot spell the text exactly: its tokens differ from the \
                 text at byte {offset} (character {character:?}), which its vocabulary \
                 does not cover"
            )));
        }
        Ok(ids)
    }
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("source", &self.source)
            .field("scheme", &self.scheme)
            .field("vocabulary", &self.vocabulary)
            .finish()
    }
}

/// The largest char boundary at or before `offset`.
fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn looks_like_hub_id(path: &Path) -> bool {
    let text = path.to_string_lossy();
    let parts: Vec<&str> = text.split('/').collect();
    parts.len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && *p != "." && *p != "..")
}

/// `tokenizer.json` of the newest snapshot of a hub id in the local cache.
fn find_in_hub_cache(path: &Path) -> Option<PathBuf> {
    if !looks_like_hub_id(path) {
        return None;
    }
    let cache = std::env::var_os("HF_HUB_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HF_HOME").map(|home| PathBuf::from(home).join("hub")))
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/huggingface/hub"))
        })?;
    snapshot_tokenizer(&cache, &path.to_string_lossy())
}

/// The newest `snapshots/*/tokenizer.json` of `id` (`org/name`) in a hub cache.
fn snapshot_tokenizer(cache: &Path, id: &str) -> Option<PathBuf> {
    let snapshots = cache
        .join(format!("models--{}", id.replace('/', "--")))
        .join("snapshots");
    let mut candidates: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(snapshots)
        .ok()?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("tokenizer.json"))
        .filter(|file| file.is_file())
        .filter_map(|file| Some((file.metadata().ok()?.modified().ok()?, file)))
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, file)| file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_ids_resolve_in_the_cache_layout() {
        let cache = std::env::temp_dir().join(format!("rein-hub-{}", std::process::id()));
        let snapshot = cache.join("models--org--model/snapshots/abc123");
        std::fs::create_dir_all(&snapshot).unwrap();
        std::fs::write(snapshot.join("tokenizer.json"), "{}").unwrap();
        assert_eq!(
            snapshot_tokenizer(&cache, "org/model"),
            Some(snapshot.join("tokenizer.json"))
        );
        assert_eq!(snapshot_tokenizer(&cache, "org/other"), None);
        assert!(looks_like_hub_id(Path::new("meta-llama/Llama-3.1-8B")));
        assert!(!looks_like_hub_id(Path::new("./tokenizer.json")));
        assert!(!looks_like_hub_id(Path::new("/a/b/c")));
        std::fs::remove_dir_all(&cache).unwrap();
    }

    #[test]
    fn missing_paths_name_the_hub_cache() {
        let error = Tokenizer::from_path("no-such-org/no-such-model").unwrap_err();
        assert!(error.to_string().contains("Hugging Face id"), "{error}");
        let error = Tokenizer::from_path("/no/such/file.json").unwrap_err();
        assert!(
            error.to_string().ends_with("no such file or folder"),
            "{error}"
        );
    }
}
