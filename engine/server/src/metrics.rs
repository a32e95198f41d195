//! Counters for `GET /metrics`, in Prometheus's text format.
//!
//! Requests are counted by path and status; compile times and request
//! times keep a window of the latest samples for their quantiles; mask time
//! comes from the runtime's own step statistics.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rein_runtime::StatsSnapshot;

/// How many recent samples a quantile is computed over.
const WINDOW: usize = 4096;

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    compile_times: Window,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    generated_tokens: AtomicU64,
    /// Microseconds spent generating.
    generation_micros: AtomicU64,
    in_flight: AtomicUsize,
}

#[derive(Default)]
struct Window(Mutex<VecDeque<f64>>);

impl Window {
    fn push(&self, seconds: f64) {
        if let Ok(mut samples) = self.0.lock() {
            if samples.len() == WINDOW {
                samples.pop_front();
            }
            samples.push_back(seconds);
        }
    }

    fn quantiles(&self, quantiles: &[f64]) -> Vec<f64> {
        let Ok(samples) = self.0.lock() else {
            return vec![0.0; quantiles.len()];
        };
        let mut sorted: Vec<f64> = samples.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        quantiles
            .iter()
            .map(|q| match sorted.len() {
                0 => 0.0,
                n => sorted[((n - 1) as f64 * q).round() as usize],
            })
            .collect()
    }
}

/// Counts a request as in flight while it lives.
pub struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts a finished request.
    pub fn record_request(&self, path: &str, status: u16) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((path.to_string(), status)).or_default() += 1;
        }
    }

    /// Counts a compile (or a cache hit).
    pub fn record_compile(&self, elapsed: Duration, hit: bool) {
        if hit {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.cache_misses.fetch_add(1, Ordering::Relaxed);
            self.compile_times.push(elapsed.as_secs_f64());
        }
    }

    /// Counts a generation's tokens and time.
    pub fn record_generation(&self, tokens: usize, elapsed: Duration) {
        self.generated_tokens
            .fetch_add(tokens as u64, Ordering::Relaxed);
        self.generation_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Marks a request admitted until the guard drops.
    pub fn in_flight(self: &Arc<Metrics>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }

    /// The Prometheus text.
    pub fn render(&self, steps: &StatsSnapshot) -> String {
        let mut out = String::new();
        out.push_str("# HELP rein_requests_total Requests answered, by path and HTTP status.\n");
        out.push_str("# TYPE rein_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((path, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "rein_requests_total{{path=\"{path}\",status=\"{status}\"}} {count}"
                );
            }
        }
        let quantiles = [0.5, 0.99];
        out.push_str(
            "# HELP rein_compile_seconds Constraint compile time (cache misses, recent window).\n",
        );
        out.push_str("# TYPE rein_compile_seconds summary\n");
        for (q, value) in quantiles
            .iter()
            .zip(self.compile_times.quantiles(&quantiles))
        {
            let _ = writeln!(out, "rein_compile_seconds{{quantile=\"{q}\"}} {value}");
        }
        let misses = self.cache_misses.load(Ordering::Relaxed);
        let _ = writeln!(out, "rein_compile_seconds_count {misses}");
        out.push_str("# TYPE rein_compile_cache_hits_total counter\n");
        let hits = self.cache_hits.load(Ordering::Relaxed);
        let _ = writeln!(out, "rein_compile_cache_hits_total {hits}");
        out.push_str(
            "# HELP rein_mask_seconds Time rein spends on a decoding step's mask and choice.\n",
        );
        out.push_str("# TYPE rein_mask_seconds summary\n");
        for q in quantiles {
            let _ = writeln!(
                out,
                "rein_mask_seconds{{quantile=\"{q}\"}} {}",
                steps.step_time(q).as_secs_f64()
            );
        }
        let tokens = self.generated_tokens.load(Ordering::Relaxed);
        let seconds = self.generation_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.push_str("# TYPE rein_generated_tokens_total counter\n");
        let _ = writeln!(out, "rein_generated_tokens_total {tokens}");
        out.push_str("# HELP rein_tokens_per_second Generated tokens per second of generation.\n");
        out.push_str("# TYPE rein_tokens_per_second gauge\n");
        let rate = if seconds > 0.0 {
            tokens as f64 / seconds
        } else {
            0.0
        };
        let _ = writeln!(out, "rein_tokens_per_second {rate}");
        out.push_str("# HELP rein_queue_depth Requests admitted and not yet answered.\n");
        out.push_str("# TYPE rein_queue_depth gauge\n");
        let _ = writeln!(
            out,
            "rein_queue_depth {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out
    }
}
