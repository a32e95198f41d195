//! Counters of the masking work: time per step on the sampling path and how
//! often the background guess served the step.
//!
//! One [`StepStats`] is shared by every request of a runtime; processors add
//! to it from mistral.rs's sampling threads, so counts are atomics and step
//! times go to a mutex-guarded list (a few bytes per step; a run of a
//! million steps costs 4 MB).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// How a step's mask was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepSource {
    /// The background guess had computed it (or was computing it).
    Guess,
    /// A repeated call for a context already seen.
    Repeat,
    /// Computed on the sampling path: no guess, or a wrong one.
    Computed,
}

/// Masking counters shared by all requests of a runtime.
#[derive(Debug, Default)]
pub struct StepStats {
    steps: AtomicU64,
    guessed: AtomicU64,
    repeated: AtomicU64,
    guess_made: AtomicU64,
    dead_ends: AtomicU64,
    micros: Mutex<Vec<u32>>,
}

impl StepStats {
    pub(crate) fn record(&self, source: StepSource, took: Duration) {
        self.steps.fetch_add(1, Ordering::Relaxed);
        match source {
            StepSource::Guess => self.guessed.fetch_add(1, Ordering::Relaxed),
            StepSource::Repeat => self.repeated.fetch_add(1, Ordering::Relaxed),
            StepSource::Computed => 0,
        };
        let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        if let Ok(mut list) = self.micros.lock() {
            list.push(micros);
        }
    }

    pub(crate) fn record_guess(&self) {
        self.guess_made.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_dead_end(&self) {
        self.dead_ends.fetch_add(1, Ordering::Relaxed);
    }

    /// A copy of the counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let mut micros = self
            .micros
            .lock()
            .map(|list| list.clone())
            .unwrap_or_default();
        micros.sort_unstable();
        StatsSnapshot {
            steps: self.steps.load(Ordering::Relaxed),
            served_by_guess: self.guessed.load(Ordering::Relaxed),
            repeated: self.repeated.load(Ordering::Relaxed),
            guesses: self.guess_made.load(Ordering::Relaxed),
            dead_ends: self.dead_ends.load(Ordering::Relaxed),
            sorted_micros: micros,
        }
    }
}

/// Masking counters at one moment.
#[derive(Clone, Debug, Default)]
pub struct StatsSnapshot {
    /// Constrained sampling steps.
    pub steps: u64,
    /// Steps whose mask the background guess had computed.
    pub served_by_guess: u64,
    /// Steps repeated for a context already seen (mistral.rs may resample).
    pub repeated: u64,
    /// Background guesses started.
    pub guesses: u64,
    /// Steps where the constraint could not continue and only the stopping
    /// ids were left.
    pub dead_ends: u64,
    sorted_micros: Vec<u32>,
}

impl StatsSnapshot {
    /// The share of steps served by the background guess, in `[0, 1]`.
    pub fn guess_hit_share(&self) -> f64 {
        if self.steps == 0 {
            0.0
        } else {
            self.served_by_guess as f64 / self.steps as f64
        }
    }

    /// The time the sampling path spent in rein at quantile `q` (0.5 for the
    /// median), or zero without steps.
    pub fn step_time(&self, q: f64) -> Duration {
        if self.sorted_micros.is_empty() {
            return Duration::ZERO;
        }
        let last = self.sorted_micros.len() - 1;
        let index = ((last as f64) * q.clamp(0.0, 1.0)).round() as usize;
        Duration::from_micros(u64::from(self.sorted_micros[index.min(last)]))
    }

    /// Total time the sampling path spent in rein.
    pub fn total_time(&self) -> Duration {
        Duration::from_micros(self.sorted_micros.iter().map(|&m| u64::from(m)).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_shares_follow_the_records() {
        let stats = StepStats::default();
        for micros in [30, 10, 20, 1000] {
            stats.record(StepSource::Computed, Duration::from_micros(micros));
        }
        stats.record(StepSource::Guess, Duration::from_micros(5));
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.steps, 5);
        assert_eq!(snapshot.step_time(0.5), Duration::from_micros(20));
        assert_eq!(snapshot.step_time(1.0), Duration::from_micros(1000));
        assert_eq!(snapshot.step_time(0.0), Duration::from_micros(5));
        assert!((snapshot.guess_hit_share() - 0.2).abs() < 1e-9);
        assert_eq!(snapshot.total_time(), Duration::from_micros(1065));
    }
}
