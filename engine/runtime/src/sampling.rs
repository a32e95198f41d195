//! rein's own token choice: greedy or sampled, seeded, and able to refuse a
//! token and choose again.
//!
//! rein picks every token itself, inside its logits processor, and hands
//! mistral.rs a row in which only that token is finite; mistral.rs is asked
//! for argmax (`temperature: Some(0.0)`, which its sampler treats as
//! greedy), so it can only take rein's pick. This is how decoding keeps the
//! meaning rein documents:
//!
//! * mistral.rs 0.8.1 turns a missing temperature into 1.0
//!   (`engine/add_request.rs`), so "no temperature" was never greedy there;
//! * its random source is one per engine, shared by the sequences sampled
//!   in parallel threads, so a sampled run could not be repeated; here a
//!   request's seed, its sample index and the step decide the draw;
//! * a token budget ([`rein_core::BudgetedMatcher`]) needs to refuse the
//!   token about to be sampled and draw again from the rest — rejection
//!   sampling, which keeps the distribution over the tokens that fit exactly.
//!
//! Greedy is the argmax of the masked logits, ties to the lowest id. A
//! temperature above 0 samples from `softmax(logits / T)` after top-k (the
//! `k` highest logits) and top-p (the smallest set of most likely tokens
//! whose mass reaches `p`).

use rein_core::TokenId;

/// How a token is chosen from a row of logits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Sampler {
    /// `None` for greedy.
    pub temperature: Option<f64>,
    /// Keep only the `k` most likely tokens (sampling only).
    pub top_k: Option<usize>,
    /// Keep the most likely tokens up to this mass (sampling only).
    pub top_p: Option<f64>,
    /// The random stream's seed.
    pub seed: u64,
}

/// The most refusals before a step takes its fallback token.
pub(crate) const MAX_REFUSALS: usize = 32;

/// What [`Sampler::pick`] chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pick {
    /// The token.
    pub token: TokenId,
    /// How many better candidates were refused first.
    pub refused: usize,
}

impl Sampler {
    /// Chooses a token among the finite entries of `logits` for step `step`
    /// (the number of tokens generated before it). `accept` may refuse a
    /// candidate; the next is then chosen from the rest. After
    /// [`MAX_REFUSALS`], or when every candidate is refused, `fallback` is
    /// taken. `None` when the row has no finite entry and no fallback.
    pub fn pick(
        &self,
        logits: &[f32],
        step: usize,
        mut accept: impl FnMut(TokenId) -> bool,
        fallback: Option<TokenId>,
    ) -> Option<Pick> {
        let mut candidates = self.candidates(logits);
        let mut refused = 0;
        let mut rng = StepRng::new(self.seed, step as u64);
        while !candidates.is_empty() && refused < MAX_REFUSALS {
            let index = match self.temperature {
                None => 0,
                Some(_) => draw(&candidates, rng.next_f64()),
            };
            let token = candidates[index].0;
            if accept(token) {
                return Some(Pick { token, refused });
            }
            refused += 1;
            candidates.remove(index);
        }
        fallback.map(|token| Pick { token, refused })
    }

    /// The candidates and their weights: for greedy, every finite entry
    /// best first (ties to the lowest id), weights unused; for sampling,
    /// the entries top-k and top-p keep, with their probabilities.
    fn candidates(&self, logits: &[f32]) -> Vec<(TokenId, f64)> {
        let mut finite: Vec<(TokenId, f32)> = logits
            .iter()
            .enumerate()
            .filter(|(_, value)| value.is_finite())
            .map(|(id, &value)| (id as TokenId, value))
            .collect();
        let Some(temperature) = self.temperature else {
            // A refusal walks down the list; MAX_REFUSALS bounds its use.
            best_first(&mut finite, MAX_REFUSALS + 1);
            return finite.into_iter().map(|(id, _)| (id, 0.0)).collect();
        };
        let keep = self.top_k.filter(|&k| k > 0).unwrap_or(finite.len());
        best_first(&mut finite, keep);
        let Some(&(_, max)) = finite.first() else {
            return Vec::new();
        };
        let mut weighted: Vec<(TokenId, f64)> = finite
            .into_iter()
            .map(|(id, value)| {
                (
                    id,
                    ((f64::from(value) - f64::from(max)) / temperature).exp(),
                )
            })
            .collect();
        let total: f64 = weighted.iter().map(|&(_, weight)| weight).sum();
        for entry in &mut weighted {
            entry.1 /= total;
        }
        if let Some(p) = self.top_p.filter(|&p| p < 1.0) {
            let mut mass = 0.0;
            let keep = weighted
                .iter()
                .position(|&(_, probability)| {
                    mass += probability;
                    mass >= p
                })
                .map_or(weighted.len(), |last| last + 1);
            weighted.truncate(keep);
        }
        weighted
    }
}

/// Keeps the `count` best entries of `entries`, best first; equal logits
/// by id, so the order is total.
fn best_first(entries: &mut Vec<(TokenId, f32)>, count: usize) {
    let order = |a: &(TokenId, f32), b: &(TokenId, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if count == 0 {
        entries.clear();
        return;
    }
    if entries.len() > count {
        entries.select_nth_unstable_by(count - 1, order);
        entries.truncate(count);
    }
    entries.sort_unstable_by(order);
}

/// The index whose cumulative weight first passes `unit × total`.
fn draw(candidates: &[(TokenId, f64)], unit: f64) -> usize {
    let total: f64 = candidates.iter().map(|&(_, weight)| weight).sum();
    let target = unit * total;
    let mut mass = 0.0;
    for (index, &(_, weight)) in candidates.iter().enumerate() {
        mass += weight;
        if mass > target {
            return index;
        }
    }
    candidates.len() - 1
}

/// A random stream decided by the seed and the step alone, so a repeated
/// call for the same step draws the same numbers (SplitMix64).
struct StepRng(u64);

impl StepRng {
    fn new(seed: u64, step: u64) -> StepRng {
        let mut rng = StepRng(seed ^ step.wrapping_mul(0xA24B_AED4_963E_E407));
        rng.next_u64();
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GREEDY: Sampler = Sampler {
        temperature: None,
        top_k: None,
        top_p: None,
        seed: 0,
    };

    #[test]
    fn greedy_takes_the_best_finite_logit_and_ties_go_to_the_lowest_id() {
        let logits = [1.0, f32::NEG_INFINITY, 3.0, 3.0, 2.0];
        let pick = GREEDY.pick(&logits, 0, |_| true, None).unwrap();
        assert_eq!(
            pick,
            Pick {
                token: 2,
                refused: 0
            }
        );
        let pick = GREEDY.pick(&logits, 0, |token| token != 2, None).unwrap();
        assert_eq!(
            pick,
            Pick {
                token: 3,
                refused: 1
            }
        );
        let pick = GREEDY.pick(&logits, 0, |_| false, Some(4)).unwrap();
        assert_eq!(pick.token, 4, "every candidate refused: the fallback");
        assert_eq!(GREEDY.pick(&[f32::NEG_INFINITY], 0, |_| true, None), None);
    }

    #[test]
    fn sampling_is_decided_by_seed_and_step() {
        let sampler = Sampler {
            temperature: Some(1.0),
            seed: 7,
            ..GREEDY
        };
        let logits: Vec<f32> = (0..50).map(|i| (i % 7) as f32 * 0.3).collect();
        let picks = |sampler: Sampler| -> Vec<TokenId> {
            (0..64)
                .map(|step| sampler.pick(&logits, step, |_| true, None).unwrap().token)
                .collect()
        };
        assert_eq!(picks(sampler), picks(sampler), "the same seed repeats");
        let other = Sampler { seed: 8, ..sampler };
        assert_ne!(picks(sampler), picks(other), "another seed differs");
        let distinct: std::collections::BTreeSet<_> = picks(sampler).into_iter().collect();
        assert!(distinct.len() > 5, "sampling spreads: {distinct:?}");
    }

    #[test]
    fn top_k_and_top_p_keep_the_most_likely() {
        let logits = [0.0, 5.0, 4.9, -3.0, 4.8];
        let top_k = Sampler {
            temperature: Some(1.0),
            top_k: Some(2),
            ..GREEDY
        };
        for step in 0..200 {
            let token = top_k.pick(&logits, step, |_| true, None).unwrap().token;
            assert!(token == 1 || token == 2, "top-k 2 drew {token}");
        }
        let top_p = Sampler {
            temperature: Some(1.0),
            top_p: Some(0.3),
            ..GREEDY
        };
        for step in 0..200 {
            let token = top_p.pick(&logits, step, |_| true, None).unwrap().token;
            assert_eq!(token, 1, "the best token alone holds 0.3 of the mass");
        }
    }

    #[test]
    fn refused_tokens_are_never_drawn() {
        let sampler = Sampler {
            temperature: Some(2.0),
            seed: 3,
            ..GREEDY
        };
        let logits = [1.0, 1.0, 1.0, 1.0];
        for step in 0..200 {
            let pick = sampler
                .pick(&logits, step, |token| token >= 2, None)
                .unwrap();
            assert!(pick.token >= 2);
        }
    }
}
