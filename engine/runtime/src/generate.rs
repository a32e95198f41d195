//! Requests: a prompt, an optional constraint and decoding settings in; the
//! generated texts out.
//!
//! rein tokenizes the prompt itself — through mistral.rs, with the model's
//! chat template — and sends token ids, so each request knows its prompt
//! length and its processor can tell generated tokens from prompt tokens
//! (see `processor.rs`). Requests are independent futures and may be
//! sent at once; the engine runs them one at a time (see [`Runtime`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use either::Either;
use mistralrs::{
    CustomLogitsProcessor, NormalRequest, Request, Response, SamplingParams, TextMessageRole,
    TextMessages,
};
use rein_core::{Constraint, Engine, TokenId, Vocabulary};
use tokio::sync::mpsc::channel;

use crate::allowed::StopIds;
use crate::error::RuntimeError;
use crate::guess::GuessPool;
use crate::model::{self, LoadOptions, LoadedModel};
use crate::processor::{ProcessorConfig, StepProcessor};
use crate::sampling::Sampler;
use crate::stats::{StatsSnapshot, StepStats};
use crate::watch::{TextStream, Watch};

/// Who speaks a chat message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Instructions.
    System,
    /// The user.
    User,
    /// The model (for few-shot examples).
    Assistant,
}

/// What the model is given.
#[derive(Clone, Debug)]
pub enum Prompt {
    /// Chat messages, rendered with the model's chat template.
    Chat(Vec<(Role, String)>),
    /// Raw text, tokenized as it is (with the tokenizer's special prefix).
    Text(String),
    /// Chat messages, then the start of the model's answer (the text is
    /// tokenized on its own and appended after the chat template).
    ChatContinued(Vec<(Role, String)>, String),
}

/// Decoding settings. Greedy unless a temperature above 0 is given.
///
/// rein chooses every token itself (see `sampling.rs`): greedy is the
/// argmax of the masked logits, every run; sampling draws from a stream
/// decided by `seed`, the sample's index and the step, so a sampled run
/// repeats too.
#[derive(Clone, Debug)]
pub struct Decoding {
    /// Sampling temperature; `None` or 0 decodes greedily.
    pub temperature: Option<f64>,
    /// When sampling, keep only the `k` most likely tokens.
    pub top_k: Option<usize>,
    /// When sampling, keep the most likely tokens up to this probability
    /// mass.
    pub top_p: Option<f64>,
    /// The most tokens of output text per sequence; the stopping token is
    /// not counted. Under a constraint every output is complete within it
    /// (see [`rein_core::budget`]).
    pub max_tokens: usize,
    /// Sequences generated for the prompt, each its own request, sample `i`
    /// drawn with seed `seed + i`.
    pub samples: usize,
    /// The seed of the random stream.
    pub seed: u64,
}

impl Default for Decoding {
    fn default() -> Decoding {
        Decoding {
            temperature: None,
            top_k: None,
            top_p: None,
            max_tokens: 256,
            samples: 1,
            seed: 0,
        }
    }
}

/// One generation request.
#[derive(Clone, Debug)]
pub struct GenerationRequest {
    /// The prompt.
    pub prompt: Prompt,
    /// The constraint every output follows; `None` generates freely.
    pub constraint: Option<Constraint>,
    /// Decoding settings.
    pub decoding: Decoding,
    /// Record the constrained distribution of the first generated token
    /// (see [`Generation::first_token`]).
    pub record_first_token: bool,
}

/// Why a sequence stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    /// A stopping id: the output is complete.
    Stop,
    /// `max_tokens` was reached: the output may be cut short.
    Length,
    /// Something else mistral.rs reported.
    Other(String),
}

/// One generated sequence.
#[derive(Clone, Debug)]
pub struct Choice {
    /// The text.
    pub text: String,
    /// Why it stopped.
    pub finish: Finish,
    /// Whether the token budget steered the output to an earlier ending
    /// than the model preferred (a value may have been closed early).
    pub budget_closed: bool,
    /// Tokens of output text (the stopping token not counted).
    pub tokens: usize,
}

/// The result of a request.
#[derive(Clone, Debug)]
pub struct Generation {
    /// One entry per sample.
    pub choices: Vec<Choice>,
    /// Prompt length in tokens.
    pub prompt_tokens: usize,
    /// Generated tokens over all choices, as mistral.rs counts them (the
    /// stopping tokens included).
    pub completion_tokens: usize,
    /// When asked for: natural-log probabilities of the first token among
    /// the tokens the constraint allowed, at temperature 1.
    pub first_token: Option<Vec<(TokenId, f32)>>,
    /// Whether the constraint met a dead end (the output is then invalid).
    pub dead_end: bool,
    /// Wall time of the request.
    pub elapsed: Duration,
}

/// Settings of the background guess (see `guess.rs`).
#[derive(Clone, Copy, Debug)]
pub struct GuessOptions {
    /// Worker threads; 0 turns guessing off. Each step has one guess, the
    /// token rein chose, so a guess is never wrong.
    pub workers: usize,
}

impl GuessOptions {
    /// The fewest hardware threads on which guessing is on by default.
    ///
    /// The guess worker runs beside the model's forward pass; on a CPU with
    /// fewer threads it takes them from the model, and measured on a 2-core
    /// machine it cost more than it saved (see `examples/bench_generation.rs`).
    pub const MIN_THREADS_FOR_DEFAULT: usize = 4;

    /// One worker.
    pub fn on() -> GuessOptions {
        GuessOptions { workers: 1 }
    }

    /// No guessing: every mask is computed on the sampling path.
    pub fn off() -> GuessOptions {
        GuessOptions { workers: 0 }
    }

    /// Whether guessing is on.
    pub fn enabled(&self) -> bool {
        self.workers > 0
    }
}

impl Default for GuessOptions {
    /// [`GuessOptions::on`] where the machine has at least
    /// [`GuessOptions::MIN_THREADS_FOR_DEFAULT`] hardware threads, otherwise
    /// [`GuessOptions::off`].
    fn default() -> GuessOptions {
        let threads = std::thread::available_parallelism().map_or(1, |threads| threads.get());
        if threads >= GuessOptions::MIN_THREADS_FOR_DEFAULT {
            GuessOptions::on()
        } else {
            GuessOptions::off()
        }
    }
}

/// A loaded model ready for constrained requests; share it with `Arc`.
///
/// Requests may be sent concurrently, but the engine runs one sequence at a
/// time: mistral.rs 0.8.1's CPU attention for one-token steps
/// (`attention/backends/cpu.rs`, `flash_attn_cpu_single_q`) keeps its
/// scratch buffers per tile and head but not per sequence, so when two or
/// more sequences decode in one batch every one of them receives the last
/// one's attention output — documents run together got each other's
/// answers. Its scheduler merges any sequences whose lengths coincide, so no
/// choice of request sizes avoids it; running one sequence at a time does,
/// and gives each document exactly the output it gets alone.
pub struct Runtime {
    loaded: LoadedModel,
    /// The engine over the model's vocabulary: every constraint for this
    /// model is compiled with it, so they share its caches.
    engine: Engine,
    stops: Arc<StopIds>,
    pool: Option<Arc<GuessPool>>,
    stats: Arc<StepStats>,
    max_sequence: Option<usize>,
    /// A permit per sequence the engine may run at once
    /// ([`LoadOptions::concurrent_sequences`], 1 by default).
    engine_lane: tokio::sync::Semaphore,
}

impl Runtime {
    /// Loads the model and checks rein's vocabulary against it.
    pub async fn load(options: &LoadOptions, guess: GuessOptions) -> Result<Runtime, RuntimeError> {
        let loaded = model::load(options).await?;
        let stops = Arc::new(StopIds {
            ids: loaded.stop_ids.clone(),
            vocabulary: loaded.tokenizer.vocabulary().len(),
        });
        let pool = guess
            .enabled()
            .then(|| Arc::new(GuessPool::new(guess.workers)));
        let max_sequence = loaded.model.max_sequence_length().ok().flatten();
        let engine = Engine::new(loaded.tokenizer.vocabulary().clone());
        Ok(Runtime {
            loaded,
            engine,
            stops,
            pool,
            stats: Arc::new(StepStats::default()),
            max_sequence,
            engine_lane: tokio::sync::Semaphore::new(options.concurrent_sequences.max(1)),
        })
    }

    /// The engine constraints for this model are compiled with: one per
    /// runtime, over the model's vocabulary, so every request's constraint
    /// shares its caches.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The model's vocabulary (the [engine](Runtime::engine)'s).
    pub fn vocabulary(&self) -> Arc<Vocabulary> {
        self.engine.vocabulary().clone()
    }

    /// The rein tokenizer matching the model.
    pub fn tokenizer(&self) -> &rein_tokenizer::Tokenizer {
        &self.loaded.tokenizer
    }

    /// The ids that stop a sequence (mistral.rs's `metadata.eos_tok`).
    pub fn stop_ids(&self) -> &[TokenId] {
        &self.stops.ids
    }

    /// The model's name as given.
    pub fn model_name(&self) -> &str {
        &self.loaded.name
    }

    /// Masking counters over all requests so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Tokenizes `prompt` the way mistral.rs would.
    pub async fn prompt_tokens(&self, prompt: &Prompt) -> Result<Vec<TokenId>, RuntimeError> {
        let chat = |messages: &[(Role, String)]| {
            let mut chat = TextMessages::new();
            for (role, content) in messages {
                let role = match role {
                    Role::System => TextMessageRole::System,
                    Role::User => TextMessageRole::User,
                    Role::Assistant => TextMessageRole::Assistant,
                };
                chat = chat.add_message(role, content);
            }
            chat
        };
        let messages = match prompt {
            Prompt::Chat(messages) | Prompt::ChatContinued(messages, _) => messages.as_slice(),
            Prompt::Text(_) => &[],
        };
        for (_, content) in messages {
            self.check_length(content)?;
        }
        match prompt {
            Prompt::Chat(messages) => self.tokenize(Either::Left(chat(messages)), true).await,
            Prompt::Text(text) => {
                self.check_length(text)?;
                self.tokenize(Either::Right(text.clone()), true).await
            }
            Prompt::ChatContinued(messages, answer) => {
                let mut tokens = self.tokenize(Either::Left(chat(messages)), true).await?;
                tokens.extend(self.tokenize(Either::Right(answer.clone()), false).await?);
                Ok(tokens)
            }
        }
    }

    async fn tokenize(
        &self,
        input: Either<TextMessages, String>,
        special: bool,
    ) -> Result<Vec<TokenId>, RuntimeError> {
        self.loaded
            .model
            .tokenize(input, None, special, special, None)
            .await
            .map_err(|error| RuntimeError::Prompt(error.to_string()))
    }

    /// Refuses a text that cannot fit the model's context before it reaches
    /// mistral.rs, whose engine would spend a long time tokenizing it. No
    /// token of these vocabularies is longer than 64 bytes, so a text of
    /// more than `64 × context` bytes cannot fit.
    fn check_length(&self, text: &str) -> Result<(), RuntimeError> {
        if let Some(limit) = self.max_sequence {
            if text.len() > limit.saturating_mul(64) {
                return Err(RuntimeError::Prompt(format!(
                    "the text is {} bytes, more than the model's context of {limit} tokens can hold",
                    text.len()
                )));
            }
        }
        Ok(())
    }

    /// Runs one request: its samples one after another, each with its own
    /// seed. A constrained request whose budget is below the constraint's
    /// shortest output is refused before anything runs.
    pub async fn generate(&self, request: GenerationRequest) -> Result<Generation, RuntimeError> {
        self.generate_watched(request, &Watch::default()).await
    }

    /// [`Runtime::generate`], with its text sent to `watch` as it is
    /// produced and a way to stop it (see [`Watch`]).
    pub async fn generate_watched(
        &self,
        request: GenerationRequest,
        watch: &Watch,
    ) -> Result<Generation, RuntimeError> {
        let start = Instant::now();
        let prompt = self.prompt_tokens(&request.prompt).await?;
        let decoding = &request.decoding;
        if let Some(limit) = self.max_sequence {
            let needed = prompt.len() + decoding.max_tokens + 1;
            if needed > limit {
                return Err(RuntimeError::Prompt(format!(
                    "{} prompt tokens plus {} to generate exceed the model's context of {limit} tokens",
                    prompt.len(),
                    decoding.max_tokens
                )));
            }
        }
        if let Some(constraint) = &request.constraint {
            if constraint.vocabulary().len() != self.stops.vocabulary {
                return Err(RuntimeError::Constraint(format!(
                    "the constraint was compiled for a vocabulary of {} tokens, the model has {}",
                    constraint.vocabulary().len(),
                    self.stops.vocabulary
                )));
            }
        }
        let mut generation = Generation {
            choices: Vec::new(),
            prompt_tokens: prompt.len(),
            completion_tokens: 0,
            first_token: None,
            dead_end: false,
            elapsed: Duration::ZERO,
        };
        for sample in 0..decoding.samples.max(1) {
            let sampler = Sampler {
                temperature: decoding.temperature.filter(|&t| t > 0.0),
                top_k: decoding.top_k,
                top_p: decoding.top_p,
                seed: decoding.seed.wrapping_add(sample as u64),
            };
            let processor = StepProcessor::new(
                request.constraint.as_ref(),
                Arc::clone(&self.stops),
                ProcessorConfig {
                    prompt_len: prompt.len(),
                    budget: decoding.max_tokens,
                    sampler,
                    pool: self.pool.clone(),
                    record_first_step: request.record_first_token && sample == 0,
                    stream: watch
                        .text
                        .clone()
                        .map(|sender| TextStream::new(sender, sample, self.vocabulary())),
                    cancel: Arc::clone(&watch.cancel),
                },
                Arc::clone(&self.stats),
            )
            .map_err(RuntimeError::Budget)?;
            let processor = Arc::new(processor);
            // A constrained output has `max_tokens` of text, then its
            // stopping token; mistral.rs counts both.
            let max_len = match &request.constraint {
                Some(_) => decoding.max_tokens + 1,
                None => decoding.max_tokens,
            };
            let (choice, completion_tokens) = self
                .run_sequence(
                    &prompt,
                    Some(Arc::clone(&processor)),
                    mistralrs::Constraint::None,
                    max_len,
                )
                .await?;
            if processor.cancelled() {
                return Err(RuntimeError::Cancelled);
            }
            if let Some(failure) = processor.failure() {
                return Err(RuntimeError::Constraint(failure));
            }
            generation.completion_tokens += completion_tokens;
            generation.dead_end |= processor.hit_dead_end();
            if sample == 0 {
                generation.first_token = processor.first_step();
            }
            generation.choices.push(choice);
        }
        generation.elapsed = start.elapsed();
        Ok(generation)
    }

    /// Runs a request under mistral.rs's own JSON Schema constraint
    /// (llguidance inside mistral.rs) instead of rein's, greedily — rein's
    /// peer on the same model load, for side-by-side measurement. Its
    /// outputs are cut at `max_tokens` (it keeps no budget); the request's
    /// `constraint` and sampling settings are not used.
    pub async fn generate_with_mistralrs_constraint(
        &self,
        request: GenerationRequest,
        schema: serde_json::Value,
    ) -> Result<Generation, RuntimeError> {
        let start = Instant::now();
        let prompt = self.prompt_tokens(&request.prompt).await?;
        let (choice, completion_tokens) = self
            .run_sequence(
                &prompt,
                None,
                mistralrs::Constraint::JsonSchema(schema),
                request.decoding.max_tokens + 1,
            )
            .await?;
        Ok(Generation {
            choices: vec![choice],
            prompt_tokens: prompt.len(),
            completion_tokens,
            first_token: None,
            dead_end: false,
            elapsed: start.elapsed(),
        })
    }

    /// Runs one sequence on the engine, alone (see [`Runtime`]), and reads
    /// its choice and mistral.rs's count of generated tokens. Without a
    /// processor mistral.rs decodes greedily itself.
    async fn run_sequence(
        &self,
        prompt: &[TokenId],
        processor: Option<Arc<StepProcessor>>,
        constraint: mistralrs::Constraint,
        max_len: usize,
    ) -> Result<(Choice, usize), RuntimeError> {
        // Argmax: rein's processor leaves only its chosen token finite.
        let sampling = SamplingParams {
            temperature: Some(0.0),
            top_k: None,
            top_p: None,
            min_p: None,
            top_n_logprobs: 0,
            frequency_penalty: None,
            presence_penalty: None,
            repetition_penalty: None,
            stop_toks: None,
            max_len: Some(max_len),
            logits_bias: None,
            n_choices: 1,
            dry_params: None,
        };
        let runner = self.loaded.model.inner();
        let (sender, mut receiver) = channel(4);
        let normal = NormalRequest {
            messages: mistralrs::core::RequestMessage::CompletionTokens(prompt.to_vec()),
            sampling_params: sampling,
            response: sender,
            return_logprobs: false,
            is_streaming: false,
            id: runner.next_request_id(),
            constraint,
            suffix: None,
            tools: None,
            tool_choice: None,
            logits_processors: processor
                .as_ref()
                .map(|processor| vec![Arc::clone(processor) as Arc<dyn CustomLogitsProcessor>]),
            return_raw_logits: false,
            web_search_options: None,
            model_id: None,
            truncate_sequence: false,
        };
        let engine = runner
            .get_sender(None)
            .map_err(|error| RuntimeError::Inference(error.to_string()))?;
        let _lane = self
            .engine_lane
            .acquire()
            .await
            .map_err(|error| RuntimeError::Inference(error.to_string()))?;
        engine
            .send(Request::Normal(Box::new(normal)))
            .await
            .map_err(|error| RuntimeError::Inference(error.to_string()))?;
        let response = receiver.recv().await.ok_or_else(|| {
            RuntimeError::Inference("mistral.rs closed the request without answering".to_string())
        })?;
        let done = match response {
            Response::CompletionDone(done) => done,
            Response::CompletionModelError(message, _) => {
                return Err(RuntimeError::Inference(message))
            }
            Response::InternalError(error) | Response::ValidationError(error) => {
                return Err(RuntimeError::Inference(error.to_string()))
            }
            _ => {
                return Err(RuntimeError::Inference(
                    "mistral.rs answered with an unexpected response kind".to_string(),
                ))
            }
        };
        let Some(answer) = done.choices.into_iter().next() else {
            return Err(RuntimeError::Inference(
                "mistral.rs answered with no choice".to_string(),
            ));
        };
        let finish = match answer.finish_reason.as_str() {
            "stop" => Finish::Stop,
            "length" => Finish::Length,
            other => Finish::Other(other.to_string()),
        };
        // mistral.rs trims the start of its text; rein's processor knows
        // the output's tokens, so its text is spelled exactly.
        let (text, tokens) = match (&processor, &finish) {
            (Some(processor), _) => {
                let output = processor.finish();
                let bytes = self.loaded.tokenizer.vocabulary().concat_bytes(&output);
                (String::from_utf8_lossy(&bytes).into_owned(), output.len())
            }
            (None, Finish::Stop) => (answer.text, done.usage.completion_tokens.saturating_sub(1)),
            (None, _) => (answer.text, done.usage.completion_tokens),
        };
        let choice = Choice {
            text,
            finish,
            budget_closed: processor.as_ref().is_some_and(|p| p.budget_closed()),
            tokens,
        };
        Ok((choice, done.usage.completion_tokens))
    }
}
