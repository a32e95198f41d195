//! Flags shared by the generating subcommands: which model, and how to
//! decode.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use rein_core::{BudgetError, BudgetedMatcher, Constraint};
use rein_runtime::{Decoding, GuessOptions, LoadOptions, ModelSource, Runtime};

use crate::constraint_args::TokenizerArgs;

/// The model loaded when `--model` is not given (after `scripts/fetch-assets`).
const DEFAULT_MODEL: &str = ".cache/assets/models/SmolLM2-135M-Instruct.Q8_0.gguf";

/// Which model runs, and where rein's vocabulary comes from.
#[derive(Args, Clone, Debug)]
#[command(mut_arg("tokenizer", |arg| arg.required(false)))]
pub struct ModelArgs {
    /// A .gguf file, a Hugging Face model folder, or a hub id (downloaded
    /// when online). Default: $REIN_MODEL, else the SmolLM2-135M-Instruct
    /// GGUF fetched by scripts/fetch-assets.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    #[command(flatten)]
    pub tokenizer: TokenizerArgs,
    /// Do not compute the next step's mask in the background.
    #[arg(long, conflicts_with = "guess")]
    pub no_guess: bool,
    /// Compute the next step's mask in the background while the model runs
    /// (the default on machines with 4 or more hardware threads).
    #[arg(long)]
    pub guess: bool,
    /// Reuse the KV cache of a prompt's start already computed for an
    /// earlier document (the instructions documents share), so only the
    /// rest of each prompt is prefilled. mistral.rs 0.8.1 keeps every
    /// finished sequence's cache on the CPU for the life of the process
    /// (about 24 MB each for SmolLM2-135M), so it is for batches of bounded
    /// size, not for `rein serve`.
    #[arg(long)]
    pub prefix_cache: bool,
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
        options.tokenizer = self.tokenizer.path().map(PathBuf::from);
        options.prefix_cache = self.prefix_cache;
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
    /// Sampling temperature (0 or absent: greedy, the most likely allowed
    /// token every step).
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// When sampling, draw among the K most likely allowed tokens.
    #[arg(long, value_name = "K")]
    pub top_k: Option<usize>,
    /// When sampling, draw among the most likely allowed tokens up to this
    /// probability mass.
    #[arg(long, value_name = "P")]
    pub top_p: Option<f64>,
    /// The seed of sampling; a sampled run with the same seed repeats.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// The most tokens of output per document (the stopping token not
    /// counted). Under a constraint every output is complete within it: when
    /// the budget runs short the output is steered to a valid ending.
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
        if self.top_k == Some(0) {
            bail!("--top-k must be at least 1");
        }
        let temperature = match self.temperature {
            None if self.samples > 1 => Some(1.0),
            other => other.filter(|&t| t > 0.0),
        };
        if temperature.is_none() {
            for (flag, given) in [
                ("--top-k", self.top_k.is_some()),
                ("--top-p", self.top_p.is_some()),
            ] {
                if given {
                    bail!("{flag} applies when sampling: give --temperature above 0 (greedy decoding takes the most likely token)");
                }
            }
        }
        Ok(Decoding {
            temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            max_tokens: self.max_tokens,
            samples: self.samples,
            seed: self.seed,
        })
    }
}

/// Refuses, before any document runs, a `--max-tokens` too small for the
/// shortest output of `constraint`.
pub fn check_budget(constraint: &Constraint, decoding: &Decoding) -> Result<()> {
    match BudgetedMatcher::check(constraint, decoding.max_tokens) {
        Ok(()) => Ok(()),
        Err(BudgetError::TooSmall { needed, budget }) => bail!(
            "--max-tokens {budget} is too small: the shortest valid output needs {needed} tokens"
        ),
        Err(error) => Err(error.into()),
    }
}

/// A multi-threaded tokio runtime for mistral.rs.
pub fn tokio_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
