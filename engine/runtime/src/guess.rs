//! Background guesses: the next step's mask, computed while the model runs.
//!
//! rein chooses each token itself (see [`crate::sampling`]), so once a step
//! is masked and sampled its successor's context is known exactly. A
//! [`GuessSlot`] holds the matcher of the current step and the chosen token;
//! a worker thread commits the
//! token and computes the allowed set while mistral.rs runs its next forward
//! pass. When the next step's context ends with the guessed token, the step
//! takes the finished result (or waits for the running one, which is the same
//! work it would do itself); a slot no worker has started yet is computed by
//! the step itself.
//!
//! Trade-off: each guess clones the matcher (a grammar's Earley chart grows
//! with the output), and on a machine with few cores the worker competes
//! with the model's threads. One worker is the default.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use rein_core::TokenId;

use crate::allowed::{AllowedSet, StopIds};
use crate::tracker::Tracker;

/// A step's state: the matcher after the generated tokens and what it allows.
pub(crate) type StepState = (Tracker, AllowedSet);

/// Commits `token` and computes the allowed set that follows.
pub(crate) fn advance(
    mut matcher: Tracker,
    token: TokenId,
    stops: &StopIds,
) -> Result<StepState, String> {
    matcher.commit(token)?;
    let allowed = AllowedSet::compute(&mut matcher, stops).map_err(|error| error.to_string())?;
    Ok((matcher, allowed))
}

enum SlotState {
    Pending(Box<Tracker>, TokenId),
    Running,
    Done(Box<Result<StepState, String>>),
    Taken,
}

/// One guessed next step.
pub(crate) struct GuessSlot {
    /// The generated tokens the guess is for (the current ones plus the guess).
    pub tokens: Vec<TokenId>,
    stops: Arc<StopIds>,
    state: Mutex<SlotState>,
    ready: Condvar,
}

/// What claiming a slot found.
pub(crate) enum Claimed {
    /// The worker computed it (the step waited for it if it was running).
    Computed(Result<StepState, String>),
    /// No worker had started it; the step computed it itself.
    NotStarted(Result<StepState, String>),
    /// Someone claimed it already (a concurrent duplicate step).
    Gone,
}

impl GuessSlot {
    pub fn new(
        tokens: Vec<TokenId>,
        matcher: Tracker,
        token: TokenId,
        stops: Arc<StopIds>,
    ) -> GuessSlot {
        GuessSlot {
            tokens,
            stops,
            state: Mutex::new(SlotState::Pending(Box::new(matcher), token)),
            ready: Condvar::new(),
        }
    }

    /// Runs the guess on a worker.
    fn run(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let SlotState::Pending(..) = &*state else {
            return;
        };
        let SlotState::Pending(matcher, token) = std::mem::replace(&mut *state, SlotState::Running)
        else {
            return;
        };
        drop(state);
        let result = advance(*matcher, token, &self.stops);
        if let Ok(mut state) = self.state.lock() {
            *state = SlotState::Done(Box::new(result));
        }
        self.ready.notify_all();
    }

    /// Takes the result for the step, waiting for a running worker.
    pub fn claim(&self) -> Claimed {
        let Ok(mut state) = self.state.lock() else {
            return Claimed::Gone;
        };
        loop {
            match std::mem::replace(&mut *state, SlotState::Taken) {
                SlotState::Pending(matcher, token) => {
                    drop(state);
                    return Claimed::NotStarted(advance(*matcher, token, &self.stops));
                }
                SlotState::Running => {
                    *state = SlotState::Running;
                    state = match self.ready.wait(state) {
                        Ok(state) => state,
                        Err(_) => return Claimed::Gone,
                    };
                }
                SlotState::Done(result) => return Claimed::Computed(*result),
                SlotState::Taken => return Claimed::Gone,
            }
        }
    }
}

/// Worker threads that run guesses.
pub(crate) struct GuessPool {
    sender: Mutex<Sender<Arc<GuessSlot>>>,
}

impl GuessPool {
    /// Starts `workers` threads (at least one); they stop when the pool is
    /// dropped.
    pub fn new(workers: usize) -> GuessPool {
        let (sender, receiver) = channel::<Arc<GuessSlot>>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..workers.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = thread::Builder::new()
                .name(format!("rein-guess-{index}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(slot) => slot.run(),
                        Err(_) => return,
                    }
                });
            // Without a worker, guesses stay pending and steps compute them.
            drop(spawned);
        }
        GuessPool {
            sender: Mutex::new(sender),
        }
    }

    /// Queues a guess; if no worker takes it in time the step computes it.
    pub fn submit(&self, slot: Arc<GuessSlot>) {
        if let Ok(sender) = self.sender.lock() {
            let _ = sender.send(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rein_core::{Constraint, Engine, TokenKind, Vocabulary};

    use super::*;

    fn constraint() -> Constraint {
        let mut builder = Vocabulary::builder();
        for text in ["a", "b"] {
            builder.push(text.as_bytes().to_vec(), TokenKind::Text);
        }
        let eos = builder.push(b"</s>".to_vec(), TokenKind::Special);
        builder.eos_token(eos);
        Engine::new(Arc::new(builder.build().unwrap()))
            .regex("ab")
            .unwrap()
    }

    fn stops() -> Arc<StopIds> {
        Arc::new(StopIds {
            ids: vec![2],
            vocabulary: 3,
        })
    }

    #[test]
    fn a_worker_computes_the_guess_and_the_step_takes_it_once() {
        let pool = GuessPool::new(1);
        let slot = Arc::new(GuessSlot::new(
            vec![0],
            Tracker::Unbudgeted(constraint().matcher()),
            0,
            stops(),
        ));
        pool.submit(Arc::clone(&slot));
        let claimed = slot.claim();
        let (matcher, allowed) = match claimed {
            Claimed::Computed(result) | Claimed::NotStarted(result) => result.unwrap(),
            Claimed::Gone => panic!("the first claim must get the result"),
        };
        assert_eq!(matcher.matcher().committed(), 1);
        assert!(allowed.contains(1) && !allowed.contains(0) && !allowed.contains(2));
        assert!(matches!(slot.claim(), Claimed::Gone));
    }

    #[test]
    fn an_unstarted_guess_is_computed_by_the_step_and_errors_are_kept() {
        // No pool: the slot is never started.
        let slot = GuessSlot::new(
            vec![1],
            Tracker::Unbudgeted(constraint().matcher()),
            1,
            stops(),
        );
        match slot.claim() {
            Claimed::NotStarted(Err(message)) => assert!(message.contains("not allowed")),
            _ => panic!("'b' cannot start \"ab\": the step must see the error"),
        }
    }
}
