//! # rein-runtime: constrained generation on mistral.rs
//!
//! This is the only crate that knows mistral.rs. It loads a model (a GGUF
//! file, a Hugging Face folder or a hub id), builds rein's vocabulary from the
//! same tokenizer and checks the two agree, then runs requests whose every
//! sampling step is masked by a rein [`Constraint`](rein_core::Constraint).
//!
//! * [`model`]: loading, and the vocabulary check.
//! * [`generate`]: [`Runtime`], prompts, decoding settings, results.
//! * `processor`: the per-request logits processor; matcher state keyed by
//!   the token context, so repeated calls, `n_choices > 1` and concurrent
//!   requests stay correct.
//! * `allowed`: the per-step allow list, with exactly the model's stopping
//!   ids when the constraint may end, and never an empty row.
//! * `guess`: the next step's mask computed in the background while the
//!   model runs its forward pass.
//! * [`stats`]: time per step on the sampling path and the guess hit share.
//!
//! The trade-off: mistral.rs 0.8.1 gives a logits processor no sequence id
//! and no hook after sampling, so state is found by looking the context up
//! rather than carried along; the lookup is a short scan of a few entries.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod allowed;
mod error;
pub mod generate;
mod guess;
pub mod model;
mod processor;
pub mod stats;

pub use error::RuntimeError;
pub use generate::{
    Choice, Decoding, Finish, Generation, GenerationRequest, GuessOptions, Prompt, Role, Runtime,
};
pub use model::{LoadOptions, ModelSource};
pub use stats::{StatsSnapshot, StepStats};
