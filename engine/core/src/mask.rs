//! The allowed-token bitset handed to the sampler.
//!
//! One bit per token id in `u32` words (`ceil(len / 32)` of them), the layout
//! inference engines expect for logit masks. The length is the model's logit
//! count, which may exceed the vocabulary (padded embedding matrices); bits
//! past the vocabulary are never set.

use crate::vocab::TokenId;

/// A bitset over token ids: bit `id % 32` of word `id / 32`.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenMask {
    words: Vec<u32>,
    len: usize,
}

impl TokenMask {
    /// An empty mask over token ids `0..len`.
    pub fn new(len: usize) -> TokenMask {
        TokenMask {
            words: vec![0; len.div_ceil(32)],
            len,
        }
    }

    /// The number of token ids the mask covers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mask covers no ids at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Clears every bit.
    pub fn clear(&mut self) {
        self.words.fill(0);
    }

    /// Allows `id`. Ids past [`len`](TokenMask::len) are ignored.
    #[inline]
    pub fn allow(&mut self, id: TokenId) {
        let index = id as usize;
        if index < self.len {
            self.words[index / 32] |= 1 << (index % 32);
        }
    }

    /// Allows every id below `count` (and below [`len`](TokenMask::len)).
    pub(crate) fn allow_below(&mut self, count: usize) {
        let count = count.min(self.len);
        let (full, rest) = (count / 32, count % 32);
        self.words[..full].fill(u32::MAX);
        if rest > 0 {
            self.words[full] |= (1u32 << rest) - 1;
        }
    }

    /// Disallows `id`. Ids past [`len`](TokenMask::len) are ignored.
    #[inline]
    pub(crate) fn disallow(&mut self, id: TokenId) {
        let index = id as usize;
        if index < self.len {
            self.words[index / 32] &= !(1 << (index % 32));
        }
    }

    /// Whether `id` is allowed.
    #[inline]
    pub fn contains(&self, id: TokenId) -> bool {
        let index = id as usize;
        index < self.len && self.words[index / 32] & (1 << (index % 32)) != 0
    }

    /// The number of allowed ids.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The allowed ids in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = TokenId> + '_ {
        self.words
            .iter()
            .enumerate()
            .flat_map(|(word_index, &word)| {
                let mut rest = word;
                std::iter::from_fn(move || {
                    if rest == 0 {
                        return None;
                    }
                    let bit = rest.trailing_zeros();
                    rest &= rest - 1;
                    Some(word_index as u32 * 32 + bit)
                })
            })
    }

    /// The words, `ceil(len / 32)` of them.
    pub fn as_words(&self) -> &[u32] {
        &self.words
    }

    /// Clears the mask, then copies `words` into its first words (the rest
    /// stay clear). `words` must not be longer than the mask's words.
    pub(crate) fn copy_from_words(&mut self, words: &[u32]) {
        self.words.fill(0);
        self.words[..words.len()].copy_from_slice(words);
    }

    /// The words, to set bits in directly (bits past `len` must stay clear).
    pub(crate) fn words_mut(&mut self) -> &mut [u32] {
        &mut self.words
    }
}

impl std::fmt::Debug for TokenMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 16;
        let ids: Vec<TokenId> = self.iter().take(SHOWN + 1).collect();
        let mut list = f.debug_list();
        list.entries(ids.iter().take(SHOWN));
        if ids.len() > SHOWN {
            list.entry(&format_args!("… {} allowed of {}", self.count(), self.len));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip() {
        let mut mask = TokenMask::new(70);
        assert_eq!(mask.as_words().len(), 3);
        for id in [0, 31, 32, 69, 70, 1000] {
            mask.allow(id);
        }
        assert_eq!(mask.iter().collect::<Vec<_>>(), vec![0, 31, 32, 69]);
        assert_eq!(mask.count(), 4);
        assert!(mask.contains(69) && !mask.contains(70) && !mask.contains(1));
        mask.clear();
        assert_eq!(mask.count(), 0);
    }
}
