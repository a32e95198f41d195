//! Walks built from another state's walk. A lexeme state that steps like a
//! reference state on all but a few first bytes (a key that may still
//! become one of the schema's names, against any other key) takes the
//! reference's walk and walks only those first bytes' subtrees again.

use std::sync::Arc;

use super::caches::LexemeKey;
use super::{LexemeMask, Walker};
use crate::automaton::{ByteDfa, DEAD};

/// The most first bytes in which a lexeme state's walk may differ from its
/// reference state's to be built from it ([`Walker::reference`]).
const MAX_PATCHED_FIRST_BYTES: usize = 32;

/// The longest chain of reference walks one walk may build on.
pub(super) const MAX_REFERENCE_DEPTH: usize = 4;

impl Walker<'_> {
    /// One lexeme's walk from the root patched from its reference state's,
    /// if that one is cached (then cached too, under `key`).
    pub(super) fn patched_from_cache(
        &mut self,
        dfa: &ByteDfa,
        terminal: u32,
        state: u32,
        (key, is_shared): (LexemeKey, bool),
    ) -> Option<Arc<LexemeMask>> {
        let (reference, differing) = self.reference(dfa, state)?;
        let (base_key, base_shared) = self.lexeme_key(dfa, terminal, reference);
        let base = self.cached(&base_key, base_shared)?;
        let lexer = Arc::new(self.patch(&base, dfa, state, &differing));
        self.store(key, is_shared, &lexer);
        Some(lexer)
    }

    /// A state whose walk from the root can stand in for `state`'s, with
    /// the root's children (first bytes) where the two step differently:
    /// the most common successor of `state`, which is the right one when
    /// that successor loops on most bytes, as any "inside a string" state
    /// does. `None` when no state differs in few enough first bytes.
    pub(super) fn reference(&self, dfa: &ByteDfa, state: u32) -> Option<(u32, Vec<usize>)> {
        let trie = self.trie;
        let mut counts: Vec<(u32, u32)> = Vec::new();
        for child in trie.first_byte_nodes() {
            let next = dfa.next(state, trie.byte(child));
            if next == DEAD {
                continue;
            }
            match counts.iter_mut().find(|(candidate, _)| *candidate == next) {
                Some((_, count)) => *count += 1,
                None => counts.push((next, 1)),
            }
        }
        let (reference, _) = counts.into_iter().max_by_key(|&(_, count)| count)?;
        if reference == state {
            return None;
        }
        let differing: Vec<usize> = trie
            .first_byte_nodes()
            .filter(|&child| {
                let byte = trie.byte(child);
                dfa.next(state, byte) != dfa.next(reference, byte)
            })
            .collect();
        (differing.len() <= MAX_PATCHED_FIRST_BYTES).then_some((reference, differing))
    }

    /// `base` (the one-lexeme walk from a reference state) with the
    /// subtrees of the root children `differing` walked again from `state`.
    pub(super) fn patch(
        &mut self,
        base: &LexemeMask,
        dfa: &ByteDfa,
        state: u32,
        differing: &[usize],
    ) -> LexemeMask {
        let trie = self.trie;
        let mut found = base.allowed.clone();
        for &child in differing {
            found.remove(trie.subtree_tokens(child));
        }
        let outside = |node: u32| {
            !differing
                .iter()
                .any(|&child| (child..trie.skip(child)).contains(&(node as usize)))
        };
        let mut ends: Vec<u32> = base
            .boundaries
            .iter()
            .flat_map(|group| group.nodes.iter().copied())
            .filter(|&node| outside(node))
            .collect();
        for &child in differing {
            let next = dfa.next(state, trie.byte(child));
            if next == DEAD {
                continue;
            }
            found.extend(trie.tokens(child));
            if dfa.is_accepting(next) && !trie.is_leaf(child) {
                ends.push(child as u32);
            }
            self.walk_one(child, dfa, next, &mut found, &mut ends);
        }
        ends.sort_unstable();
        LexemeMask::of_one(found, ends, self.words)
    }
}
