//! Flags shared by the generating subcommands: which model, and how to
//! decode.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use rein_runtime::{Decoding, GuessOptions, LoadOptions, ModelSource, Runtime};

/// The model loaded when `--model` is not given (after `scripts/fetch-assets`).
const DEFAULT_MODEL: &str = ".cache/assets/models/SmolLM2-135M-Instruct.Q4_1.gguf";

/// Which model runs, and where rein's vocabulary comes from.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// A .gguf file, a Hugging Face model folder, or a hub id (downloaded
    /// when online). Default: $REIN_MODEL, else the SmolLM2-135M-Instruct
    /// GGUF fetched by scripts/fetch-assets.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Read rein's vocabulary from this tokenizer.json, folder or .gguf
    /// instead of the model's own files; it must match the model's.
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
    /// Do not compute the next step's mask in the background.
    #[arg(long, conflicts_with = "guess")]
    pub no_guess: bool,
    /// Compute the next step's mask in the background while the model runs
    /// (the default on machines with 4 or more hardware threads).
    #[arg(long)]
    pub guess: bool,
}

impl ModelArgs {
    /// The model name: `--model`, `$REIN_MODEL`, or the default GGUF looked
    /// up from the working directory and then from the executable's
    /// ancestors (a checkout's `target/release/rein`).
    fn model_name(&self) -> Result<String> {
        if let Some(model) = &self.model {
            return Ok(model.clone());
        }
        if let Ok(model) = std::env::var("REIN_MODEL") {
            return Ok(model);
        }
        let mut roots = vec![PathBuf::from(".")];
        if let Ok(executable) = std::env::current_exe() {
            roots.extend(executable.ancestors().skip(1).map(PathBuf::from));
        }
        for root in roots {
            let candidate = root.join(DEFAULT_MODEL);
            if candidate.is_file() {
                return Ok(candidate.display().to_string());
            }
        }
        bail!("no --model given and the default model {DEFAULT_MODEL} is missing: run scripts/fetch-assets or pass --model")
    }

    /// Loads the model (on the given tokio runtime).
    pub fn load(&self, tokio: &tokio::runtime::Runtime) -> Result<Arc<Runtime>> {
        let name = self.model_name()?;
        let source = ModelSource::parse(&name)?;
        let mut options = LoadOptions::new(source);
        options.tokenizer = self.tokenizer.clone();
        let guess = if self.no_guess {
            GuessOptions::off()
        } else if self.guess {
            GuessOptions::on()
        } else {
            GuessOptions::default()
        };
        let runtime = tokio.block_on(Runtime::load(&options, guess))?;
        Ok(Arc::new(runtime))
    }
}

/// Decoding settings; greedy unless `--temperature` is given.
#[derive(Args, Clone, Debug)]
pub struct DecodingArgs {
    /// Sampling temperature (0 or absent: greedy).
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// Sample among the K most likely allowed tokens.
    #[arg(long, value_name = "K")]
    pub top_k: Option<usize>,
    /// Sample among the most likely allowed tokens up to this mass.
    #[arg(long, value_name = "P")]
    pub top_p: Option<f64>,
    /// The most tokens generated per document.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_tokens: usize,
    /// Samples per document. With more than one and no --temperature,
    /// sampling uses temperature 1.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub samples: usize,
    /// Answer with the majority of the samples (self-consistency) and its
    /// agreement, the share of samples that gave it.
    #[arg(long)]
    pub vote: bool,
}

impl DecodingArgs {
    /// The runtime's decoding settings, checked.
    pub fn decoding(&self) -> Result<Decoding> {
        if self.samples == 0 {
            bail!("--samples must be at least 1");
        }
        if self.max_tokens == 0 {
            bail!("--max-tokens must be at least 1");
        }
        if let Some(t) = self.temperature {
            if !t.is_finite() || t < 0.0 {
                bail!("--temperature must be a number >= 0, not {t}");
            }
        }
        if let Some(p) = self.top_p {
            if !(p > 0.0 && p <= 1.0) {
                bail!("--top-p must be in (0, 1], not {p}");
            }
        }
        let temperature = match self.temperature {
            None if self.samples > 1 => Some(1.0),
            other => other,
        };
        Ok(Decoding {
            temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            max_tokens: self.max_tokens,
            samples: self.samples,
        })
    }
}

/// A multi-threaded tokio runtime for mistral.rs.
pub fn tokio_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
