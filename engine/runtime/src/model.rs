//! Loading a model into mistral.rs, with rein's vocabulary beside it.
//!
//! A model is named by a path or an id: a GGUF file (the tokenizer is read
//! from its metadata), a local Hugging Face folder (`config.json`,
//! `tokenizer.json`, safetensors), or a hub id that mistral.rs downloads
//! when online. rein reads its vocabulary from the same source with
//! `rein-tokenizer` — or from `--tokenizer` when given — and checks it
//! against the tokenizer mistral.rs loaded, id by id, before any request
//! runs: a mask built for another vocabulary would silently allow the wrong
//! tokens.
//!
//! mistral.rs's high-level builders hide the pipeline's metadata; rein
//! builds the pipeline with the same public functions the builders use
//! (`mistralrs::model_builder_trait`) so it can read the stopping ids
//! (`metadata.eos_tok`) and the tokenizer before wrapping it into a model.

use std::path::{Path, PathBuf};

use mistralrs::model_builder_trait::{
    build_gguf_pipeline, build_model_from_pipeline, build_text_pipeline,
};
use mistralrs::{GgufModelBuilder, Model, TextModelBuilder};
use rein_core::{TokenId, Vocabulary};
use rein_tokenizer::Tokenizer;

use crate::error::RuntimeError;

/// Where a model comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    /// A local `.gguf` file.
    Gguf(PathBuf),
    /// A local Hugging Face model folder.
    Folder(PathBuf),
    /// A Hugging Face hub id (`org/name`), downloaded when not cached.
    Hub(String),
}

impl ModelSource {
    /// Interprets `name`: an existing file is a GGUF model, an existing
    /// folder a Hugging Face folder, and `org/name` that is not a path a hub
    /// id.
    pub fn parse(name: &str) -> Result<ModelSource, RuntimeError> {
        let path = Path::new(name);
        if path.is_file() {
            let mut magic = [0u8; 4];
            let is_gguf = std::fs::File::open(path)
                .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut magic))
                .map(|()| &magic == b"GGUF")
                .unwrap_or(false);
            if !is_gguf {
                return Err(RuntimeError::ModelNotFound {
                    model: name.to_string(),
                    reason: "the file is not a GGUF model (no GGUF magic bytes)".to_string(),
                });
            }
            return Ok(ModelSource::Gguf(path.to_path_buf()));
        }
        if path.is_dir() {
            if !path.join("config.json").is_file() {
                return Err(RuntimeError::ModelNotFound {
                    model: name.to_string(),
                    reason: "the folder has no config.json (not a Hugging Face model folder)"
                        .to_string(),
                });
            }
            return Ok(ModelSource::Folder(path.to_path_buf()));
        }
        let parts: Vec<&str> = name.split('/').collect();
        let hub_like = parts.len() == 2
            && parts
                .iter()
                .all(|part| !part.is_empty() && !part.starts_with('.'))
            && !name.ends_with(".gguf");
        if hub_like {
            return Ok(ModelSource::Hub(name.to_string()));
        }
        Err(RuntimeError::ModelNotFound {
            model: name.to_string(),
            reason: "no such file or folder".to_string(),
        })
    }

    fn name(&self) -> String {
        match self {
            ModelSource::Gguf(path) | ModelSource::Folder(path) => path.display().to_string(),
            ModelSource::Hub(id) => id.clone(),
        }
    }
}

/// How to load a model.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The model.
    pub source: ModelSource,
    /// Where rein's vocabulary comes from; `None` reads it from the model's
    /// own files (the GGUF, or the folder's `tokenizer.json`).
    pub tokenizer: Option<PathBuf>,
    /// The most sequences mistral.rs keeps scheduled (default 32); rein
    /// runs one at a time (see [`crate::Runtime`]).
    pub max_batch: usize,
    /// Whether mistral.rs reuses the KV cache of shared prompt prefixes.
    /// Default off, for what mistral.rs 0.8.1's `prefix_cacher.rs` does:
    /// it never evicts an entry held on the CPU (`evict_caches` counts only
    /// entries on other devices), so every finished sequence keeps its
    /// whole KV cache for the life of the process and a long batch or a
    /// server grows without bound; and an entry is keyed by all of the
    /// sequence's tokens, its last sampled token included, whose keys and
    /// values were never computed — a later prompt that extends the whole
    /// key (a chat that repeats an earlier answer and its end-of-turn token)
    /// is served that position unfilled.
    pub prefix_cache: bool,
    /// The most sequences the engine runs at once (default 1). mistral.rs
    /// 0.8.1 decodes sequences of one batch wrongly on the CPU (see
    /// [`crate::Runtime`]): more than 1 is only correct where its batching
    /// is, and exists to measure exactly that
    /// (`examples/batch_isolation.rs`).
    pub concurrent_sequences: usize,
}

impl LoadOptions {
    /// Defaults for `source`.
    pub fn new(source: ModelSource) -> LoadOptions {
        LoadOptions {
            source,
            tokenizer: None,
            max_batch: 32,
            prefix_cache: false,
            concurrent_sequences: 1,
        }
    }
}

/// A loaded model, its rein tokenizer and its stopping ids.
pub(crate) struct LoadedModel {
    pub model: Model,
    pub tokenizer: Tokenizer,
    pub stop_ids: Vec<TokenId>,
    pub name: String,
}

pub(crate) async fn load(options: &LoadOptions) -> Result<LoadedModel, RuntimeError> {
    let name = options.source.name();
    let vocabulary_source: PathBuf = match (&options.tokenizer, &options.source) {
        (Some(path), _) => path.clone(),
        (None, ModelSource::Gguf(path)) | (None, ModelSource::Folder(path)) => path.clone(),
        (None, ModelSource::Hub(id)) => PathBuf::from(id),
    };
    let tokenizer = Tokenizer::from_path(&vocabulary_source).map_err(RuntimeError::Tokenizer)?;
    let prefix_cache = options.prefix_cache.then_some(16);
    let load_error = |error: anyhow::Error| RuntimeError::Load {
        model: name.clone(),
        message: format!("{error:#}"),
    };
    let (pipeline, scheduler, config) = match &options.source {
        ModelSource::Gguf(path) => {
            let folder = path
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let file = path
                .file_name()
                .map(|file| file.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut builder = GgufModelBuilder::new(folder.display().to_string(), vec![file])
                .with_max_num_seqs(options.max_batch)
                .with_prefix_cache_n(prefix_cache);
            if !cfg!(feature = "cuda") {
                builder = builder.with_force_cpu();
            }
            build_gguf_pipeline(builder).await.map_err(load_error)?
        }
        ModelSource::Folder(_) | ModelSource::Hub(_) => {
            let mut builder = TextModelBuilder::new(&name)
                .with_max_num_seqs(options.max_batch)
                .with_prefix_cache_n(prefix_cache);
            if !cfg!(feature = "cuda") {
                builder = builder.with_force_cpu();
            }
            build_text_pipeline(builder).await.map_err(load_error)?
        }
    };
    let (stop_ids, model_tokenizer) = {
        let pipeline = pipeline.lock().await;
        (
            pipeline.get_metadata().eos_tok.clone(),
            pipeline.tokenizer(),
        )
    };
    let Some(model_tokenizer) = model_tokenizer else {
        return Err(RuntimeError::Load {
            model: name,
            message: "mistral.rs loaded no tokenizer for it".to_string(),
        });
    };
    verify_vocabulary(&tokenizer, &model_tokenizer, &stop_ids).map_err(|difference| {
        RuntimeError::VocabularyMismatch {
            vocabulary: vocabulary_source.clone(),
            model: name.clone(),
            difference,
        }
    })?;
    let model = build_model_from_pipeline(pipeline, scheduler, config).await;
    Ok(LoadedModel {
        model,
        tokenizer,
        stop_ids,
        name,
    })
}

/// Checks that rein's tokenizer and the model's have the same token at every
/// id, and that the stopping ids are inside the vocabulary.
fn verify_vocabulary(
    rein: &Tokenizer,
    model: &tokenizers::Tokenizer,
    stop_ids: &[TokenId],
) -> Result<(), String> {
    let vocabulary: &Vocabulary = rein.vocabulary();
    let model_size = model.get_vocab_size(true);
    if vocabulary.len() != model_size {
        return Err(format!(
            "{} tokens against the model's {model_size}",
            vocabulary.len()
        ));
    }
    let encoder = rein.encoder();
    for id in 0..model_size as TokenId {
        let ours = encoder.id_to_token(id);
        let theirs = model.id_to_token(id);
        if ours != theirs {
            return Err(format!(
                "token {id} is {} here but {} in the model",
                ours.as_deref().unwrap_or("missing"),
                theirs.as_deref().unwrap_or("missing")
            ));
        }
    }
    if let Some(&bad) = stop_ids.iter().find(|&&id| id as usize >= vocabulary.len()) {
        return Err(format!(
            "the model's stopping id {bad} is outside the vocabulary"
        ));
    }
    if stop_ids.is_empty() {
        return Err("the model has no stopping id".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_classified_and_missing_paths_named() {
        assert_eq!(
            ModelSource::parse("HuggingFaceTB/SmolLM2-135M-Instruct").unwrap(),
            ModelSource::Hub("HuggingFaceTB/SmolLM2-135M-Instruct".to_string())
        );
        let missing = ModelSource::parse("no/such/model.gguf").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "model no/such/model.gguf: no such file or folder"
        );
        let folder = std::env::temp_dir();
        assert!(ModelSource::parse(&folder.display().to_string())
            .unwrap_err()
            .to_string()
            .contains("no config.json"));
        let not_gguf = folder.join(format!("rein-not-gguf-{}.bin", std::process::id()));
        std::fs::write(&not_gguf, b"hello").unwrap();
        let error = ModelSource::parse(&not_gguf.display().to_string()).unwrap_err();
        std::fs::remove_file(&not_gguf).unwrap();
        assert!(error.to_string().contains("not a GGUF model"));
    }
}
