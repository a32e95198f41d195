//! The logits processor mistral.rs calls at every sampling step, where rein
//! masks the logits and chooses the token.
//!
//! What mistral.rs 0.8.1 gives a `CustomLogitsProcessor` (read from
//! `mistralrs-core/src/sampler.rs` and `pipeline/sampling.rs`): CPU `f32`
//! logits, possibly longer than the vocabulary, after the repetition
//! penalties and before its own temperature, top-k and top-p; and `context`,
//! the sequence's tokens — prompt then generated — with no sequence id. On a
//! prefix-cache hit the first step's context holds only the uncached suffix
//! of the prompt (`prefix_cacher.rs` hands the sequence the tokens after the
//! match).
//!
//! Every step the processor masks the row with the constraint, chooses the
//! token with rein's [`Sampler`] — checking that a completion still fits the
//! token budget, and choosing again when it does not — and returns a row in
//! which only that token is finite; mistral.rs, asked for argmax, takes it.
//! A request without a constraint is only sampled.
//!
//! The matcher state is keyed by the context, not by call order. The
//! request's prompt length is known (rein tokenizes the prompt and sends
//! token ids); the generated tokens are what follows it, or nothing when the
//! context is no longer than the prompt (the first step, prefix-cached or
//! not). A small table maps generated-token lists to matcher states: a
//! repeated call finds its entry and a new step extends the entry sharing
//! the longest prefix (its parent, normally).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mistralrs::{CustomLogitsProcessor, Tensor};
use rein_core::{BudgetError, Constraint, TokenId};

use crate::allowed::{AllowedSet, StopIds};
use crate::guess::{Claimed, GuessPool, GuessSlot, StepState};
use crate::sampling::Sampler;
use crate::stats::{StepSource, StepStats};
use crate::tracker::Tracker;
use crate::watch::TextStream;

/// How many entries the state table keeps.
const TABLE_ENTRIES: usize = 3;

/// The first step's allowed tokens with their logits (for label
/// probabilities).
type FirstStep = Vec<(TokenId, f32)>;

/// Per-request state; one per request (one sequence).
pub(crate) struct StepProcessor {
    /// The constraint's state; `None` for a request that is only sampled.
    masking: Option<Masking>,
    sampler: Sampler,
    stops: Arc<StopIds>,
    prompt_len: usize,
    stats: Arc<StepStats>,
    failure: Mutex<Option<String>>,
    dead_end: AtomicBool,
    /// Whether the budget refused a token the sampler chose first.
    budget_closed: AtomicBool,
    /// When asked for, the first step's allowed tokens with their logits.
    first_step: Option<Mutex<Option<FirstStep>>>,
    /// The longest generated-token list seen.
    tip: Mutex<Vec<TokenId>>,
    /// The last token chosen, with the number of tokens before it.
    last_pick: Mutex<Option<(usize, TokenId)>>,
    /// Where the output text goes as it is produced, when watched.
    stream: Option<TextStream>,
    /// Set when the request is to stop.
    cancel: Arc<AtomicBool>,
}

/// The constraint's side of a processor.
struct Masking {
    /// The tracker at the start of the output (budget included).
    start: Tracker,
    table: Mutex<Table>,
    pool: Option<Arc<GuessPool>>,
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
    /// Tokens of output text allowed (the stopping token is not counted).
    pub budget: usize,
    pub sampler: Sampler,
    pub pool: Option<Arc<GuessPool>>,
    pub record_first_step: bool,
    pub stream: Option<TextStream>,
    pub cancel: Arc<AtomicBool>,
}

impl StepProcessor {
    /// A processor for `constraint` (or none: sampling only). A budget
    /// below the constraint's shortest output is an error.
    pub fn new(
        constraint: Option<&Constraint>,
        stops: Arc<StopIds>,
        config: ProcessorConfig,
        stats: Arc<StepStats>,
    ) -> Result<StepProcessor, BudgetError> {
        let masking = match constraint {
            Some(constraint) => Some(Masking {
                start: Tracker::new(constraint, config.budget)?,
                table: Mutex::new(Table::default()),
                pool: config.pool,
            }),
            None => None,
        };
        Ok(StepProcessor {
            masking,
            sampler: config.sampler,
            stops,
            prompt_len: config.prompt_len,
            stats,
            failure: Mutex::new(None),
            dead_end: AtomicBool::new(false),
            budget_closed: AtomicBool::new(false),
            first_step: config.record_first_step.then(|| Mutex::new(None)),
            tip: Mutex::new(Vec::new()),
            last_pick: Mutex::new(None),
            stream: config.stream,
            cancel: config.cancel,
        })
    }

    /// The sequence's output tokens once it has ended: the tip, and the
    /// last token chosen when it was text (a sequence cut at its length
    /// has no step after its last token). Sends what the stream has not.
    pub fn finish(&self) -> Vec<TokenId> {
        let mut tokens = self.tip();
        let last = self.last_pick.lock().ok().and_then(|last| *last);
        if let Some((before, token)) = last {
            if before == tokens.len() && !self.stops.ids.contains(&token) {
                tokens.push(token);
            }
        }
        if let Some(stream) = &self.stream {
            stream.finish(&tokens);
        }
        tokens
    }

    /// Whether the request was cancelled.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Whether the token budget changed a choice: the output was steered to
    /// an ending that fits rather than the one the model preferred.
    pub fn budget_closed(&self) -> bool {
        self.budget_closed.load(Ordering::Relaxed)
    }

    /// The generated tokens up to the last step. A sequence ended by a
    /// stopping id had a step after its last text token, so the tip spells
    /// its whole output.
    pub fn tip(&self) -> Vec<TokenId> {
        self.tip.lock().map(|tip| tip.clone()).unwrap_or_default()
    }

    fn record_tip(&self, generated: &[TokenId]) {
        if let Ok(mut tip) = self.tip.lock() {
            if generated.len() > tip.len() {
                *tip = generated.to_vec();
            }
        }
        if let Some(stream) = &self.stream {
            stream.advance(generated);
        }
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

    /// Masks `values` for the step after `generated` and chooses its token.
    fn masked_pick(
        &self,
        masking: &Masking,
        generated: &[TokenId],
        values: &mut [f32],
    ) -> (Option<TokenId>, StepSource) {
        let (mut state, source) = self.state_for(masking, generated);
        state.1.apply(values);
        let dead_end = state.1.dead_end;
        if dead_end {
            self.dead_end.store(true, Ordering::Relaxed);
            self.stats.record_dead_end();
        }
        if generated.is_empty() {
            self.record_first_step(values);
        }
        let stops = &self.stops.ids;
        let tracker = &mut state.0;
        let can_end = tracker.matcher().can_end();
        // The plan's next token always fits; a complete output may end.
        let fallback = match (tracker.planned(), stops.first()) {
            (Some(planned), _) => Some(planned),
            (None, Some(&stop)) if can_end || dead_end => Some(stop),
            (None, _) => None,
        };
        let pick = self.sampler.pick(
            values,
            generated.len(),
            |token| dead_end || (stops.contains(&token) && can_end) || tracker.fits(token),
            fallback,
        );
        if pick.is_some_and(|pick| pick.refused > 0) {
            self.budget_closed.store(true, Ordering::Relaxed);
        }
        let token = pick.map(|pick| pick.token);
        let mut guesses = Vec::new();
        if let (Some(pool), Some(token), false) = (&masking.pool, token, dead_end) {
            if !stops.contains(&token) {
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
        self.remember(masking, generated, &state, guesses);
        (token, source)
    }

    /// The state after `generated`, and how it was obtained.
    fn state_for(&self, masking: &Masking, generated: &[TokenId]) -> (StepState, StepSource) {
        let Ok(mut table) = masking.table.lock() else {
            return (self.fresh(masking, generated), StepSource::Computed);
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
                    return ((masking.start.clone(), allowed), StepSource::Computed);
                }
                Claimed::Gone => return (self.fresh(masking, generated), StepSource::Computed),
            }
        }
        // Extend the longest entry that `generated` continues. A budgeted
        // matcher does not roll back (its plan is for the state it reached),
        // so anything else starts over.
        let parent = table
            .entries
            .iter()
            .filter(|entry| generated.starts_with(&entry.tokens))
            .max_by_key(|entry| entry.tokens.len())
            .map(|entry| (entry.tokens.len(), entry.state.0.clone()));
        drop(table);
        let state = match parent {
            Some((shared, tracker)) => self.extend(tracker, &generated[shared..]),
            None => self.fresh(masking, generated),
        };
        (state, StepSource::Computed)
    }

    fn fresh(&self, masking: &Masking, generated: &[TokenId]) -> StepState {
        self.extend(masking.start.clone(), generated)
    }

    fn extend(&self, mut tracker: Tracker, tokens: &[TokenId]) -> StepState {
        if let Err(error) = tracker.commit_all(tokens) {
            let allowed = self.fail(format!("the model produced a refused token: {error}"));
            return (tracker, allowed);
        }
        match AllowedSet::compute(&mut tracker, &self.stops) {
            Ok(allowed) => (tracker, allowed),
            Err(error) => {
                let allowed = self.fail(error.to_string());
                (tracker, allowed)
            }
        }
    }

    fn remember(
        &self,
        masking: &Masking,
        generated: &[TokenId],
        state: &StepState,
        guesses: Vec<Arc<GuessSlot>>,
    ) {
        let Ok(mut table) = masking.table.lock() else {
            return;
        };
        if let Some(entry) = table
            .entries
            .iter_mut()
            .find(|entry| entry.tokens == generated)
        {
            // The state after this step's budget check carries its plan.
            entry.state = state.clone();
        } else {
            table.entries.push(Entry {
                tokens: generated.to_vec(),
                state: state.clone(),
            });
        }
        if table.entries.len() > TABLE_ENTRIES {
            let excess = table.entries.len() - TABLE_ENTRIES;
            table.entries.drain(..excess);
        }
        // Guesses for steps already passed can no longer be used.
        table
            .guesses
            .retain(|slot| slot.tokens.len() > generated.len());
        table.guesses.extend(guesses);
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

impl CustomLogitsProcessor for StepProcessor {
    fn apply(&self, logits: &Tensor, context: &[u32]) -> mistralrs::Result<Tensor> {
        let start = Instant::now();
        let generated = context.get(self.prompt_len..).unwrap_or(&[]);
        let mut values: Vec<f32> = logits.flatten_all()?.to_vec1()?;
        let (token, source) = match &self.masking {
            // A cancelled request ends here; its result is discarded.
            _ if self.cancelled() => (self.stops.ids.first().copied(), StepSource::Computed),
            Some(masking) => self.masked_pick(masking, generated, &mut values),
            None => {
                let pick = self.sampler.pick(&values, generated.len(), |_| true, None);
                (pick.map(|pick| pick.token), StepSource::Computed)
            }
        };
        self.record_tip(generated);
        if let (Some(token), Ok(mut last)) = (token, self.last_pick.lock()) {
            *last = Some((generated.len(), token));
        }
        // Only the chosen token stays finite; mistral.rs's argmax takes it.
        if let Some(token) = token {
            values.fill(f32::NEG_INFINITY);
            if let Some(value) = values.get_mut(token as usize) {
                *value = 0.0;
            }
        }
        let length = values.len();
        let masked = Tensor::from_vec(values, length, logits.device())?;
        let masked = masked.reshape(logits.shape())?;
        if self.masking.is_some() {
            self.stats.record(source, start.elapsed());
        }
        Ok(masked)
    }
}
