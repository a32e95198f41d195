//! The final per-step allow list: rein's mask adjusted to the model's
//! stopping ids, and its application to a row of logits.
//!
//! rein's [`Matcher`](rein_core::Matcher) allows the vocabulary's end-of-sequence ids when the
//! output may end; mistral.rs stops a sequence on its own list
//! (`metadata.eos_tok`). The two lists can differ (a chat model ends turns on
//! `<|im_end|>` while its tokenizer names `<|endoftext|>`), so this module
//! rewrites the ending ids: exactly the model's stopping ids are allowed
//! when the constraint may end, and no other end-of-sequence id. A row is
//! never left empty — a sampler given only `-inf` fails — so a dead end
//! allows the stopping ids and says so.

use rein_core::{MatchError, TokenId, TokenMask, Vocabulary};

use crate::tracker::Tracker;

/// The ids that stop a sequence in the model, and the vocabulary size.
#[derive(Debug)]
pub(crate) struct StopIds {
    /// mistral.rs's stopping ids (`metadata.eos_tok`).
    pub ids: Vec<TokenId>,
    /// rein's vocabulary size (the model's logits may be longer).
    pub vocabulary: usize,
}

/// Which ids may be sampled at one step, as bit words.
#[derive(Clone, Debug)]
pub(crate) struct AllowedSet {
    words: Vec<u32>,
    /// Whether the constraint could not continue and only the stopping ids
    /// were allowed to keep the row sampleable.
    pub dead_end: bool,
}

impl AllowedSet {
    /// Computes the allowed set of `tracker`'s current state: the matcher's
    /// mask, before the budget (which is checked on the token sampled).
    pub fn compute(tracker: &mut Tracker, stops: &StopIds) -> Result<AllowedSet, MatchError> {
        let mut mask = TokenMask::new(stops.vocabulary);
        tracker.fill_mask(&mut mask)?;
        let mut words = mask.as_words()[..stops.vocabulary.div_ceil(32)].to_vec();
        let vocabulary: &Vocabulary = tracker.matcher().constraint().vocabulary();
        for &eos in vocabulary.eos_tokens() {
            clear_bit(&mut words, eos);
        }
        if tracker.matcher().can_end() {
            for &stop in &stops.ids {
                set_bit(&mut words, stop);
            }
        }
        let mut set = AllowedSet {
            words,
            dead_end: false,
        };
        if set.count() == 0 {
            for &stop in &stops.ids {
                set_bit(&mut set.words, stop);
            }
            set.dead_end = true;
        }
        Ok(set)
    }

    /// Only the stopping ids: ends the sequence at once.
    pub fn stop_only(stops: &StopIds) -> AllowedSet {
        let mut words = vec![0; stops.vocabulary.div_ceil(32)];
        for &stop in &stops.ids {
            set_bit(&mut words, stop);
        }
        AllowedSet {
            words,
            dead_end: true,
        }
    }

    /// Whether `id` may be sampled.
    #[cfg(test)]
    pub fn contains(&self, id: TokenId) -> bool {
        let index = id as usize / 32;
        index < self.words.len() && self.words[index] & (1 << (id % 32)) != 0
    }

    /// How many ids may be sampled.
    pub fn count(&self) -> usize {
        self.words
            .iter()
            .map(|word| word.count_ones() as usize)
            .sum()
    }

    /// Sets every disallowed entry of `logits` to `-inf` (entries past the
    /// vocabulary, padding in some models, always).
    pub fn apply(&self, logits: &mut [f32]) {
        for (index, chunk) in logits.chunks_mut(32).enumerate() {
            let word = self.words.get(index).copied().unwrap_or(0);
            if word == u32::MAX {
                continue;
            }
            for (bit, value) in chunk.iter_mut().enumerate() {
                if word & (1 << bit) == 0 {
                    *value = f32::NEG_INFINITY;
                }
            }
        }
    }
}

fn set_bit(words: &mut [u32], id: TokenId) {
    if let Some(word) = words.get_mut(id as usize / 32) {
        *word |= 1 << (id % 32);
    }
}

fn clear_bit(words: &mut [u32], id: TokenId) {
    if let Some(word) = words.get_mut(id as usize / 32) {
        *word &= !(1 << (id % 32));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rein_core::{Engine, TokenKind, Vocabulary};

    use super::*;

    /// An engine over "a", "b", "ab", then `</s>` (rein's eos) and
    /// `<|end|>` (the model's).
    fn engine() -> Engine {
        let mut builder = Vocabulary::builder();
        for text in ["a", "b", "ab"] {
            builder.push(text.as_bytes().to_vec(), TokenKind::Text);
        }
        let eos = builder.push(b"</s>".to_vec(), TokenKind::Special);
        builder.push(b"<|end|>".to_vec(), TokenKind::Special);
        builder.eos_token(eos);
        Engine::new(Arc::new(builder.build().unwrap()))
    }

    #[test]
    fn ending_allows_exactly_the_model_stop_ids() {
        let constraint = engine().regex("ab?").unwrap();
        let stops = StopIds {
            ids: vec![4],
            vocabulary: 5,
        };
        let mut matcher = Tracker::Unbudgeted(constraint.matcher());
        let start = AllowedSet::compute(&mut matcher, &stops).unwrap();
        assert!(start.contains(0) && start.contains(2));
        assert!(!start.contains(3) && !start.contains(4), "cannot end yet");
        matcher.commit(0).unwrap();
        let after = AllowedSet::compute(&mut matcher, &stops).unwrap();
        assert!(after.contains(1) && after.contains(4));
        assert!(!after.contains(3), "rein's eos does not stop this model");
        assert!(!after.dead_end);
    }

    #[test]
    fn a_dead_end_still_leaves_the_stop_ids() {
        let constraint = engine().regex("ab").unwrap();
        // The model's only stop id is one rein's constraint never allows.
        let stops = StopIds {
            ids: vec![4],
            vocabulary: 5,
        };
        let mut matcher = Tracker::Unbudgeted(constraint.matcher());
        matcher.commit(2).unwrap();
        let mut set = AllowedSet::compute(&mut matcher, &stops).unwrap();
        assert_eq!(set.count(), 1);
        assert!(set.contains(4));
        set = AllowedSet::stop_only(&stops);
        assert!(set.dead_end && set.contains(4));
    }

    #[test]
    fn apply_masks_padding() {
        let constraint = engine().regex("b|ab").unwrap();
        let stops = StopIds {
            ids: vec![4],
            vocabulary: 5,
        };
        let set =
            AllowedSet::compute(&mut Tracker::Unbudgeted(constraint.matcher()), &stops).unwrap();
        // Six logits for five tokens: the padding entry must be masked.
        let mut logits = vec![5.0, 1.0, 2.0, 9.0, 9.0, 9.0];
        set.apply(&mut logits);
        assert_eq!(logits[3..], [f32::NEG_INFINITY; 3]);
        assert_eq!(logits[..3], [5.0, 1.0, 2.0]);
    }
}
