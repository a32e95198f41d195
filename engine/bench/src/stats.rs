//! Latency summaries: p50, p99 and max, never only the mean.

use std::time::Duration;

/// A summary of a set of durations, in microseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    pub count: usize,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

impl Summary {
    /// Summarises `samples` (nearest-rank percentiles).
    pub fn of(samples: &[Duration]) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        let mut micros: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        micros.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let index = ((p / 100.0) * micros.len() as f64).ceil() as usize;
            micros[index.clamp(1, micros.len()) - 1]
        };
        Summary {
            count: micros.len(),
            mean_us: micros.iter().sum::<f64>() / micros.len() as f64,
            p50_us: rank(50.0),
            p90_us: rank(90.0),
            p99_us: rank(99.0),
            max_us: micros[micros.len() - 1],
        }
    }
}

impl Summary {
    /// `p50 …, p99 …, max … ms over N`.
    pub fn milliseconds(&self) -> String {
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {}",
            self.p50_us / 1e3,
            self.p99_us / 1e3,
            self.max_us / 1e3,
            self.count
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let summary = Summary::of(&samples);
        assert_eq!(summary.p50_us, 50.0);
        assert_eq!(summary.p99_us, 99.0);
        assert_eq!(summary.max_us, 100.0);
        assert_eq!(summary.mean_us, 50.5);
        assert_eq!(Summary::of(&[]).count, 0);
    }
}
