//! The cached result of a lexer walk: the tokens allowed inside the
//! frontier's lexemes and the boundary nodes where the parser must take
//! over. Allowed tokens are kept as a sparse list or a dense bitset,
//! whichever is smaller.

use std::sync::Arc;

use super::frontier::{BoundaryGroup, Grouper};
use crate::vocab::TokenId;

/// The lexer part of a mask, cached under its [`LexemeKey`].
#[derive(Debug)]
pub struct LexemeMask {
    /// Tokens allowed without leaving the frontier's terminals.
    pub(super) allowed: Allowed,
    /// Trie nodes with children where a terminal may end, grouped by which
    /// terminals end there.
    pub(super) boundaries: Vec<BoundaryGroup>,
}

impl LexemeMask {
    /// The walk of a one-lexeme frontier: `allowed`, and the boundary
    /// nodes `ends` (in trie order), where slot 0 finishes.
    pub(super) fn of_one(allowed: Allowed, ends: Vec<u32>, words: usize) -> LexemeMask {
        let boundaries = if ends.is_empty() {
            Vec::new()
        } else {
            vec![BoundaryGroup {
                finished: Box::new([0]),
                nodes: ends,
            }]
        };
        LexemeMask {
            allowed: allowed.compact(words),
            boundaries,
        }
    }

    /// The walk of a frontier whose slot `i` walked as `parts[i]` (each a
    /// one-lexeme walk, whose boundaries all finish slot 0): every part's
    /// tokens, and each boundary node with the slots that end there.
    pub(super) fn union(parts: &[Arc<LexemeMask>], words: usize) -> LexemeMask {
        let allowed = if parts
            .iter()
            .any(|part| matches!(part.allowed, Allowed::Words(_)))
        {
            let mut all = vec![0u32; words];
            for part in parts {
                part.allowed.add_to(&mut all);
            }
            Allowed::Words(all.into())
        } else {
            let mut all = Allowed::Ids(Vec::new());
            for part in parts {
                if let Allowed::Ids(ids) = &part.allowed {
                    all.extend(ids);
                }
            }
            all
        };
        let mut ends: Vec<(u32, u32)> = Vec::new();
        for (slot, part) in parts.iter().enumerate() {
            for group in &part.boundaries {
                ends.extend(group.nodes.iter().map(|&node| (node, slot as u32)));
            }
        }
        ends.sort_unstable();
        let mut grouper = Grouper::default();
        let mut finished = Vec::new();
        for run in ends.chunk_by(|a, b| a.0 == b.0) {
            finished.clear();
            finished.extend(run.iter().map(|&(_, slot)| slot));
            grouper.push(&finished, run[0].0);
        }
        LexemeMask {
            allowed: allowed.compact(words),
            boundaries: grouper.groups,
        }
    }

    /// Bytes of heap memory it holds.
    pub(super) fn size(&self) -> usize {
        self.allowed.size()
            + self
                .boundaries
                .iter()
                .map(|group| {
                    std::mem::size_of::<BoundaryGroup>()
                        + std::mem::size_of_val(&*group.finished)
                        + group.nodes.capacity() * std::mem::size_of::<u32>()
                })
                .sum::<usize>()
    }
}

/// A set of tokens: a bitset, or a list when that is smaller (walks below
/// boundaries usually allow a handful of tokens).
#[derive(Clone, Debug)]
pub(super) enum Allowed {
    Words(Box<[u32]>),
    Ids(Vec<TokenId>),
}

impl Allowed {
    pub(super) fn extend(&mut self, tokens: &[TokenId]) {
        match self {
            Allowed::Words(words) => set_bits(words, tokens),
            Allowed::Ids(ids) => ids.extend_from_slice(tokens),
        }
    }

    /// Takes `tokens` out of the set.
    pub(super) fn remove(&mut self, tokens: &[TokenId]) {
        match self {
            Allowed::Words(words) => {
                for &id in tokens {
                    words[id as usize / 32] &= !(1 << (id % 32));
                }
            }
            Allowed::Ids(ids) => {
                let mut gone = tokens.to_vec();
                gone.sort_unstable();
                ids.retain(|id| gone.binary_search(id).is_err());
            }
        }
    }

    /// The smaller representation of the same set, for a vocabulary of
    /// `words` mask words.
    pub(super) fn compact(self, words: usize) -> Allowed {
        match self {
            Allowed::Ids(ids) if ids.len() >= words => {
                let mut bits = vec![0u32; words];
                set_bits(&mut bits, &ids);
                Allowed::Words(bits.into())
            }
            Allowed::Ids(mut ids) => {
                ids.sort_unstable();
                ids.dedup();
                ids.shrink_to_fit();
                Allowed::Ids(ids)
            }
            words => words,
        }
    }

    pub(super) fn size(&self) -> usize {
        match self {
            Allowed::Words(words) => std::mem::size_of_val(&**words),
            Allowed::Ids(ids) => ids.capacity() * std::mem::size_of::<TokenId>(),
        }
    }

    pub(super) fn add_to(&self, words: &mut [u32]) {
        match self {
            Allowed::Words(mine) => {
                for (word, mine) in words.iter_mut().zip(mine.iter()) {
                    *word |= mine;
                }
            }
            Allowed::Ids(ids) => set_bits(words, ids),
        }
    }
}

/// Sets the bits of `ids` in a mask's `words`.
#[inline]
pub(super) fn set_bits(words: &mut [u32], ids: &[TokenId]) {
    for &id in ids {
        words[id as usize / 32] |= 1 << (id % 32);
    }
}
