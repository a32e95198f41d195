//! # rein-runtime: constrained generation on mistral.rs
//!
//! This is the only crate that knows mistral.rs. It loads a model (a GGUF
//! file, a Hugging Face folder or a hub id), builds rein's vocabulary from the
//! same tokenizer and checks the two agree, then runs requests whose every
//! sampling step is masked by a rein [`Constraint`](rein_core::Constraint).
//!
//! * [`model`]: loading, and the vocabulary check.
//! * [`generate`]: [`Runtime`], prompts, decoding settings, results.
//! * `processor`: the per-request logits processor: masks the step, chooses
//!   the token and leaves only it for mistral.rs to take; matcher state
//!   keyed by the token context, so repeated calls stay correct.
//! * `sampling`: rein's own greedy and seeded sampling, which can refuse a
//!   token (one that would break the token budget) and draw again.
//! * `tracker`: a sequence's matcher, held to the token budget.
//! * `allowed`: the per-step allow list, with exactly the model's stopping
//!   ids when the constraint may end, and never an empty row.
//! * `guess`: the next step's mask computed in the background while the
//!   model runs its forward pass.
//! * [`stats`]: time per step on the sampling path and the guess hit share.
//! * [`watch`]: a request's text as it is produced, and cancelling it.
//!
//! The trade-offs: mistral.rs 0.8.1 gives a logits processor no sequence id
//! and no hook after sampling, so state is found by looking the context up
//! rather than carried along (a short scan of a few entries); and its CPU
//! attention mixes up sequences decoded in one batch, so the engine runs one
//! sequence at a time (see [`Runtime`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod allowed;
mod error;
pub mod generate;
mod guess;
pub mod model;
mod processor;
mod sampling;
pub mod stats;
mod tracker;
pub mod watch;

pub use error::RuntimeError;
pub use generate::{
    Choice, Decoding, Finish, Generation, GenerationRequest, GuessOptions, Prompt, Role, Runtime,
};
pub use model::{LoadOptions, ModelSource};
pub use stats::{StatsSnapshot, StepStats};
pub use watch::Watch;
