//! The logits processor mistral.rs calls at every sampling step of a
//! constrained request.
//!
//! What mistral.rs 0.8.1 gives a `CustomLogitsProcessor` (read from
//! `mistralrs-core/src/sampler.rs` and `pipeline/sampling.rs`): CPU `f32`
//! logits, possibly longer than the vocabulary, after the repetition
//! penalties and before temperature, top-k and top-p; and `context`, the
//! sequence's tokens — prompt then generated — with no sequence id. The
//! sequences of a batch are sampled concurrently, the processor is shared by
//! the `n_choices` sequences of a request, and on a prefix-cache hit the
//! first step's context holds only the uncached suffix of the prompt.
//!
//! So the state is keyed by the context, not by call order. The request's
//! prompt length is known (rein tokenizes the prompt and sends token ids);
//! the generated tokens are what follows it, or nothing when the context is
//! no longer than the prompt (the first step, prefix-cached or not). A small
//! table maps generated-token lists to matcher states: a repeated call finds
//! its entry, a new step extends the entry sharing the longest prefix (its
//! parent, normally), and forked choices each get their own entry. Entries
//! are pruned to a few per sequence.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mistralrs::{CustomLogitsProcessor, Tensor};
use rein_core::{Constraint, TokenId};

use crate::allowed::{AllowedSet, StopIds};
use crate::guess::{Claimed, GuessPool, GuessSlot, StepState};
use crate::stats::{StepSource, StepStats};

/// How many entries per sequence the state table keeps.
const ENTRIES_PER_SEQUENCE: usize = 3;

/// The first step's allowed tokens with their logits (for label
/// probabilities).
type FirstStep = Vec<(TokenId, f32)>;

/// Per-request masking state; one per constrained request.
pub(crate) struct StepProcessor {
    constraint: Constraint,
    stops: Arc<StopIds>,
    prompt_len: usize,
    sequences: usize,
    table: Mutex<Table>,
    pool: Option<Arc<GuessPool>>,
    guesses_per_step: usize,
    stats: Arc<StepStats>,
    failure: Mutex<Option<String>>,
    dead_end: AtomicBool,
    /// When asked for, the first step's allowed tokens with their logits.
    first_step: Option<Mutex<Option<FirstStep>>>,
    /// The longest generated-token list of every sequence seen (its tip).
    tips: Mutex<Vec<Vec<TokenId>>>,
}

#[derive(Default)]
struct Table {
    entries: Vec<Entry>,
    guesses: Vec<Arc<GuessSlot>>,
}

struct Entry {
    tokens: Vec<TokenId>,
    state: StepState,
}

/// Settings of a processor.
pub(crate) struct ProcessorConfig {
    pub prompt_len: usize,
    pub sequences: usize,
    pub pool: Option<Arc<GuessPool>>,
    pub guesses_per_step: usize,
    pub record_first_step: bool,
}

impl StepProcessor {
    pub fn new(
        constraint: Constraint,
        stops: Arc<StopIds>,
        config: ProcessorConfig,
        stats: Arc<StepStats>,
    ) -> StepProcessor {
        StepProcessor {
            constraint,
            stops,
            prompt_len: config.prompt_len,
            sequences: config.sequences.max(1),
            table: Mutex::new(Table::default()),
            pool: config.pool,
            guesses_per_step: config.guesses_per_step,
            stats,
            failure: Mutex::new(None),
            dead_end: AtomicBool::new(false),
            first_step: config.record_first_step.then(|| Mutex::new(None)),
            tips: Mutex::new(Vec::new()),
        }
    }

    /// The generated tokens of each sequence up to its last masked step.
    /// A sequence ended by a stopping id was masked after its last text
    /// token, so its tip spells its whole output.
    pub fn tips(&self) -> Vec<Vec<TokenId>> {
        self.tips
            .lock()
            .map(|tips| tips.clone())
            .unwrap_or_default()
    }

    fn record_tip(&self, generated: &[TokenId]) {
        let Ok(mut tips) = self.tips.lock() else {
            return;
        };
        if tips.iter().any(|tip| tip == generated) {
            return;
        }
        if let Some((_, parent)) = generated.split_last() {
            if let Some(index) = tips.iter().position(|tip| tip == parent) {
                tips[index] = generated.to_vec();
                return;
            }
        }
        tips.push(generated.to_vec());
    }

    /// The first internal error met, if any (the sequence was ended there).
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|failure| failure.clone())
    }

    /// Whether some step found no way to continue the constraint.
    pub fn hit_dead_end(&self) -> bool {
        self.dead_end.load(Ordering::Relaxed)
    }

    /// Natural-log probabilities of the allowed first tokens (normalized
    /// over them), when recording was asked for.
    pub fn first_step(&self) -> Option<Vec<(TokenId, f32)>> {
        self.first_step
            .as_ref()
            .and_then(|slot| slot.lock().ok().and_then(|value| value.clone()))
    }

    fn fail(&self, message: String) -> AllowedSet {
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert(message);
        }
        AllowedSet::stop_only(&self.stops)
    }

    /// The state after `generated`, and how it was obtained.
    fn state_for(&self, generated: &[TokenId]) -> (StepState, StepSource) {
        let Ok(mut table) = self.table.lock() else {
            return (self.fresh(generated), StepSource::Computed);
        };
        if let Some(entry) = table.entries.iter().find(|entry| entry.tokens == generated) {
            return (entry.state.clone(), StepSource::Repeat);
        }
        let guess = table
            .guesses
            .iter()
            .position(|slot| slot.tokens == generated)
            .map(|index| table.guesses.swap_remove(index));
        if let Some(slot) = guess {
            drop(table);
            match slot.claim() {
                Claimed::Computed(Ok(state)) => return (state, StepSource::Guess),
                Claimed::NotStarted(Ok(state)) => return (state, StepSource::Computed),
                Claimed::Computed(Err(message)) | Claimed::NotStarted(Err(message)) => {
                    let allowed = self.fail(message);
                    return ((self.constraint.matcher(), allowed), StepSource::Computed);
                }
                Claimed::Gone => return (self.fresh(generated), StepSource::Computed),
            }
        }
        // Extend the entry sharing the longest prefix with `generated`.
        let parent = table
            .entries
            .iter()
            .map(|entry| (common_prefix(&entry.tokens, generated), entry))
            .max_by_key(|(shared, _)| *shared)
            .map(|(shared, entry)| (shared, entry.tokens.len(), entry.state.0.clone()));
        drop(table);
        let state = match parent {
            Some((shared, length, mut matcher)) => match matcher.rollback(length - shared) {
                Ok(()) => self.extend(matcher, &generated[shared..]),
                Err(_) => self.fresh(generated),
            },
            None => self.fresh(generated),
        };
        (state, StepSource::Computed)
    }

    fn fresh(&self, generated: &[TokenId]) -> StepState {
        self.extend(self.constraint.matcher(), generated)
    }

    fn extend(&self, mut matcher: rein_core::Matcher, tokens: &[TokenId]) -> StepState {
        if let Err(error) = matcher.commit_all(tokens) {
            let allowed = self.fail(format!("the model produced a refused token: {error}"));
            return (matcher, allowed);
        }
        match AllowedSet::compute(&mut matcher, &self.stops) {
            Ok(allowed) => (matcher, allowed),
            Err(error) => {
                let allowed = self.fail(error.to_string());
                (matcher, allowed)
            }
        }
    }

    fn remember(&self, generated: &[TokenId], state: &StepState, guesses: Vec<Arc<GuessSlot>>) {
        let Ok(mut table) = self.table.lock() else {
            return;
        };
        if !table.entries.iter().any(|entry| entry.tokens == generated) {
            table.entries.push(Entry {
                tokens: generated.to_vec(),
                state: state.clone(),
            });
        }
        let keep = ENTRIES_PER_SEQUENCE * self.sequences;
        if table.entries.len() > keep {
            let excess = table.entries.len() - keep;
            table.entries.drain(..excess);
        }
        // Guesses for steps already passed can no longer be used.
        table
            .guesses
            .retain(|slot| slot.tokens.len() > generated.len());
        table.guesses.extend(guesses);
        let keep = self.guesses_per_step.max(1) * self.sequences * 2;
        if table.guesses.len() > keep {
            let excess = table.guesses.len() - keep;
            table.guesses.drain(..excess);
        }
    }

    fn record_first_step(&self, logits: &[f32]) {
        let Some(slot) = &self.first_step else {
            return;
        };
        let finite: Vec<(TokenId, f32)> = logits
            .iter()
            .enumerate()
            .filter(|(_, value)| value.is_finite())
            .map(|(id, &value)| (id as TokenId, value))
            .collect();
        let max = finite
            .iter()
            .map(|&(_, value)| value)
            .fold(f32::NEG_INFINITY, f32::max);
        let sum: f32 = finite.iter().map(|&(_, value)| (value - max).exp()).sum();
        let log_sum = max + sum.ln();
        let distribution = finite
            .into_iter()
            .map(|(id, value)| (id, value - log_sum))
            .collect();
        if let Ok(mut slot) = slot.lock() {
            slot.get_or_insert(distribution);
        }
    }
}

fn common_prefix(a: &[TokenId], b: &[TokenId]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl CustomLogitsProcessor for StepProcessor {
    fn apply(&self, logits: &Tensor, context: &[u32]) -> mistralrs::Result<Tensor> {
        let start = Instant::now();
        let generated = context.get(self.prompt_len..).unwrap_or(&[]);
        let (state, source) = self.state_for(generated);
        let mut values: Vec<f32> = logits.flatten_all()?.to_vec1()?;
        state.1.apply(&mut values);
        if state.1.dead_end {
            self.dead_end.store(true, Ordering::Relaxed);
            self.stats.record_dead_end();
        }
        if generated.is_empty() {
            self.record_first_step(&values);
        }
        let mut guesses = Vec::new();
        if let (Some(pool), false) = (&self.pool, state.1.dead_end) {
            for token in state
                .1
                .best(&values, self.guesses_per_step, &self.stops.ids)
            {
                let mut tokens = generated.to_vec();
                tokens.push(token);
                let slot = Arc::new(GuessSlot::new(
                    tokens,
                    state.0.clone(),
                    token,
                    Arc::clone(&self.stops),
                ));
                pool.submit(Arc::clone(&slot));
                self.stats.record_guess();
                guesses.push(slot);
            }
        }
        self.remember(generated, &state, guesses);
        self.record_tip(generated);
        let length = values.len();
        let masked = Tensor::from_vec(values, length, logits.device())?;
        let masked = masked.reshape(logits.shape())?;
        self.stats.record(source, start.elapsed());
        Ok(masked)
    }
}
