//! Grammar masks: the lexer walks the token trie, the parser works only at
//! lexeme boundaries, and what the lexer found is cached.
//!
//! A grammar's terminals are byte DFAs ([`Cfg`] makes them long: every
//! regular piece of a rule — a JSON string, a number, a key with its colon
//! — is one terminal). At any point of the output the parser is *inside*
//! (or about to start) a few of them: the frontier, a set of `(terminal,
//! DFA state)` pairs taken from the current Earley set. Walking the token
//! trie, each byte steps every frontier DFA; that is as cheap as a regex
//! mask, and a token whose bytes keep some DFA alive is allowed. Where a DFA
//! accepts inside the trie (a lexeme could end there) and the node has
//! children, the walk records a *boundary*: later, the parser advances the
//! items whose terminal just finished, closes the new Earley set, and walks
//! the subtree below the boundary with that set's frontier, recursively.
//!
//! The first part — the allowed tokens that stay inside the frontier's
//! lexemes, and where the boundaries are — depends on nothing but the
//! frontier's `(terminal, state)` pairs, so it is cached under them
//! ([`LexemeKey`]): inside a JSON string the whole mask becomes a copy of
//! 4,000 words plus a parser step at the few boundaries with children
//! (tokens such as `",` that close the string and go on). Only that
//! explorations below boundaries depend on the parse stack, and those
//! subtrees are small.
//!
//! Frontiers rarely repeat whole (inside an object the names still allowed
//! shrink member by member), but their lexemes do, so the walk from the
//! root is put together one lexeme at a time: each lexeme's walk is cached
//! on its own, the frontier's is their union, and the lexemes not cached
//! yet are walked together in one pass and split. And a lexeme state that
//! steps like an already walked state on all but a few first bytes (a key
//! that may still become one of the schema's names, against any other key)
//! takes that walk and walks only those first bytes' subtrees again.
//!
//! The result is exactly the byte-level Earley recognizer's: a token is
//! allowed iff its bytes can be scanned, because every path through its
//! bytes either stays within one frontier terminal or passes a boundary
//! where the parser takes over. Every item of an Earley set over productive
//! rules can be completed, and every live DFA state can reach acceptance, so
//! "scannable" is "viable".
//!
//! Whole-token terminals (special tokens, token negations) are not the
//! walk's: they match only at a token's start, never below a boundary, so
//! the frontier leaves them out and
//! [`GrammarAutomaton::fill_mask`](super::automaton::GrammarAutomaton) adds
//! the tokens they admit from the current set. No cached walk depends on
//! them.
//!
//! This module holds the walk itself; [`caches`] the walk caches and their
//! keys, [`lexeme_mask`] a walk's cached result, [`frontier`] the frontier
//! and boundary groups, [`product`] the lazy product of the frontier's
//! DFAs, and [`patches`] walks built from a reference state's walk.

use std::sync::Arc;

use super::cfg::Cfg;
use super::earley::Chart;
use crate::automaton::{ByteDfa, DEAD};
use crate::mask::TokenMask;
use crate::trie::TokenTrie;
use crate::vocab::{TokenId, Vocabulary};

mod caches;
mod frontier;
mod lexeme_mask;
mod patches;
mod product;

pub(crate) use caches::LexemeCaches;
pub use caches::LexemeKey;
pub(crate) use caches::SharedLexemes;
use caches::{LOCAL, SHARED, SUBWALK};
use frontier::{Frontier, Grouper};
pub use lexeme_mask::LexemeMask;
use lexeme_mask::{set_bits, Allowed};
use patches::MAX_REFERENCE_DEPTH;
use product::{ProductLexer, ACCEPTS};

/// Allows every text token whose bytes can be scanned from the chart's
/// current set. The chart is used as scratch and left as it was.
pub(crate) fn fill_text_mask(
    cfg: &Cfg,
    chart: &mut Chart,
    vocabulary: &Vocabulary,
    caches: &LexemeCaches,
    mask: &mut TokenMask,
) {
    let frontier = Frontier::of(cfg, chart.last(), caches);
    if frontier.lexemes.is_empty() {
        return;
    }
    let mut walker = Walker {
        cfg,
        trie: vocabulary.trie(),
        chart,
        caches,
        words: vocabulary.len().div_ceil(32),
        finished: Vec::new(),
        reached: Vec::new(),
        trie_states: Vec::new(),
    };
    let key: LexemeKey = frontier.key.clone().into();
    let is_shared = frontier.is_shared();
    let lexer = walker.root_mask(key.clone(), is_shared, &frontier);
    let words = mask.words_mut();
    lexer.allowed.add_to(words);
    walker.explore(&key, is_shared, &frontier, &lexer, words);
}

/// The walk's borrowed context and reusable scratch space.
struct Walker<'a> {
    cfg: &'a Cfg,
    trie: &'a TokenTrie,
    chart: &'a mut Chart,
    caches: &'a LexemeCaches,
    /// The number of mask words the vocabulary needs.
    words: usize,
    /// The slots accepting at the current node.
    finished: Vec<u32>,
    /// Scratch for [`Walker::walk`]: the boundaries one walk reached, and
    /// the trie walk's stack of states.
    reached: Vec<(usize, u32)>,
    trie_states: Vec<u32>,
}

impl Walker<'_> {
    /// The lexer walk below `nodes` with `frontier`, from the cache or
    /// computed (and cached) now.
    fn lexer_mask(
        &mut self,
        key: LexemeKey,
        is_shared: bool,
        nodes: &[u32],
        frontier: &Frontier,
    ) -> Arc<LexemeMask> {
        if let Some(lexer) = self.cached(&key, is_shared) {
            return lexer;
        }
        let start: Vec<u32> = frontier.lexemes.iter().map(|&(_, state)| state).collect();
        let lexer = Arc::new(self.walk_mask(nodes, &frontier.dfas, &start));
        self.store(key, is_shared, &lexer);
        lexer
    }

    /// The cached walk under `key`, if caching is on and it is there.
    fn cached(&self, key: &[u32], is_shared: bool) -> Option<Arc<LexemeMask>> {
        if !self.caches.enabled {
            return None;
        }
        if is_shared {
            self.caches.shared.masks.get(key)
        } else {
            self.caches.local.get(key)
        }
    }

    /// Caches `lexer` under `key` (when caching is on).
    fn store(&self, key: LexemeKey, is_shared: bool, lexer: &Arc<LexemeMask>) {
        if !self.caches.enabled {
            return;
        }
        let size = lexer.size() + std::mem::size_of_val(&*key);
        if is_shared {
            // A shared key is `[SHARED, generation, ..]`.
            self.caches.shared.store(key.clone(), key[1], lexer, size);
        } else {
            self.caches.local.insert(key, lexer.clone(), size);
        }
    }

    /// Walks below `nodes` with the lexemes `dfas` in the states `start`.
    fn walk_mask(&mut self, nodes: &[u32], dfas: &[&ByteDfa], start: &[u32]) -> LexemeMask {
        // Below the root most tokens may be allowed: collect a bitset;
        // below boundaries a few: collect ids.
        let mut found = if nodes == [TokenTrie::ROOT as u32] {
            Allowed::Words(vec![0u32; self.words].into())
        } else {
            Allowed::Ids(Vec::new())
        };
        if let ([dfa], &[start]) = (dfas, start) {
            let mut ends = Vec::new();
            for &node in nodes {
                self.walk_one(node as usize, dfa, start, &mut found, &mut ends);
            }
            return LexemeMask::of_one(found, ends, self.words);
        }
        let mut grouper = Grouper::default();
        let mut product = ProductLexer::new(dfas);
        if let Some(start) = product.state(start) {
            for &node in nodes {
                self.walk(node as usize, &mut product, start, &mut found, &mut grouper);
            }
        }
        LexemeMask {
            allowed: found.compact(self.words),
            boundaries: grouper.groups,
        }
    }

    /// [`Walker::walk`] for a frontier of one lexeme: the DFA's own table,
    /// no product states. Boundaries (nodes with children where the
    /// lexeme accepts) go into `ends`, in trie order.
    fn walk_one(
        &mut self,
        from: usize,
        dfa: &ByteDfa,
        start: u32,
        found: &mut Allowed,
        ends: &mut Vec<u32>,
    ) {
        // The set's kind is settled once, not matched at every node.
        match found {
            Allowed::Words(words) => {
                self.walk_one_into(from, dfa, start, ends, |tokens| set_bits(words, tokens))
            }
            Allowed::Ids(ids) => self.walk_one_into(from, dfa, start, ends, |tokens| {
                ids.extend_from_slice(tokens)
            }),
        }
    }

    /// [`Walker::walk_one`] handing each allowed node's tokens to `add`.
    fn walk_one_into(
        &mut self,
        from: usize,
        dfa: &ByteDfa,
        start: u32,
        ends: &mut Vec<u32>,
        mut add: impl FnMut(&[TokenId]),
    ) {
        let trie = self.trie;
        trie.walk_below_with(
            from,
            start,
            &mut self.trie_states,
            |state, byte| {
                let next = dfa.next(state, byte);
                (next != DEAD).then_some(next)
            },
            |node, tokens, state| {
                add(tokens);
                if dfa.is_accepting(state) && !trie.is_leaf(node) {
                    ends.push(node as u32);
                }
            },
        );
    }

    /// The lexer walk from the root with `frontier`, cached under `key`.
    ///
    /// Frontiers change from step to step (inside an object, the keys
    /// still allowed shrink after every member) while their lexemes recur,
    /// so a frontier of several lexemes is put together from each lexeme's
    /// own walk, cached on its own: the union of their tokens, and their
    /// boundaries with the lexemes that end at each.
    fn root_mask(
        &mut self,
        key: LexemeKey,
        is_shared: bool,
        frontier: &Frontier,
    ) -> Arc<LexemeMask> {
        if !self.caches.enabled {
            return self.lexer_mask(key, is_shared, &[TokenTrie::ROOT as u32], frontier);
        }
        if let Some(lexer) = self.cached(&key, is_shared) {
            return lexer;
        }
        let mut parts: Vec<Option<Arc<LexemeMask>>> = Vec::new();
        let mut keys: Vec<(LexemeKey, bool)> = Vec::new();
        let mut missing: Vec<usize> = Vec::new();
        for (slot, (&(terminal, state), dfa)) in
            frontier.lexemes.iter().zip(&frontier.dfas).enumerate()
        {
            let (key, is_shared) = self.lexeme_key(dfa, terminal, state);
            let part = self.cached(&key, is_shared).or_else(|| {
                self.patched_from_cache(dfa, terminal, state, (key.clone(), is_shared))
            });
            if part.is_none() {
                missing.push(slot);
            }
            parts.push(part);
            keys.push((key, is_shared));
        }
        if let [slot] = missing[..] {
            let (terminal, state) = frontier.lexemes[slot];
            parts[slot] = Some(self.lexeme_mask(frontier.dfas[slot], terminal, state, 0));
        } else if !missing.is_empty() {
            // One walk for all the lexemes not cached yet, split by lexeme.
            let dfas: Vec<&ByteDfa> = missing.iter().map(|&slot| frontier.dfas[slot]).collect();
            let start: Vec<u32> = missing
                .iter()
                .map(|&slot| frontier.lexemes[slot].1)
                .collect();
            for (&slot, lexer) in missing.iter().zip(self.walk_split(&dfas, &start)) {
                let (key, is_shared) = std::mem::take(&mut keys[slot]);
                let lexer = Arc::new(lexer);
                self.store(key, is_shared, &lexer);
                parts[slot] = Some(lexer);
            }
        }
        let parts: Vec<Arc<LexemeMask>> = parts.into_iter().flatten().collect();
        match <[_; 1]>::try_from(parts) {
            Ok([only]) => only,
            Err(parts) => {
                let lexer = Arc::new(LexemeMask::union(&parts, self.words));
                self.store(key, is_shared, &lexer);
                lexer
            }
        }
    }

    /// The walk from the root with one lexeme, `dfa` in `state`, cached
    /// under the lexeme's own key.
    ///
    /// Most states of a long lexeme differ from a state already walked
    /// in a few first bytes only: inside a key that may still become one of
    /// the schema's names, every byte but the name's next one leads where
    /// any other key's byte leads. Such a walk is the [reference]
    /// walk's, with the subtrees of those first bytes walked again.
    ///
    /// [reference]: Walker::reference
    fn lexeme_mask(
        &mut self,
        dfa: &ByteDfa,
        terminal: u32,
        state: u32,
        depth: usize,
    ) -> Arc<LexemeMask> {
        let (key, is_shared) = self.lexeme_key(dfa, terminal, state);
        if let Some(lexer) = self.cached(&key, is_shared) {
            return lexer;
        }
        let reference = (depth < MAX_REFERENCE_DEPTH)
            .then(|| self.reference(dfa, state))
            .flatten();
        let lexer = match reference {
            Some((reference, differing)) => {
                let base = self.lexeme_mask(dfa, terminal, reference, depth + 1);
                self.patch(&base, dfa, state, &differing)
            }
            None => self.walk_mask(&[TokenTrie::ROOT as u32], &[dfa], &[state]),
        };
        let lexer = Arc::new(lexer);
        self.store(key, is_shared, &lexer);
        lexer
    }

    /// The cache key of one lexeme's walk from the root: its shared id, or
    /// its `(terminal, state)` pair.
    fn lexeme_key(&self, dfa: &ByteDfa, terminal: u32, state: u32) -> (LexemeKey, bool) {
        match self.caches.shared_id(dfa, (terminal, state)) {
            Some(id) => (Box::new([SHARED, id.generation, id.id]), true),
            None => (Box::new([LOCAL, terminal, state]), false),
        }
    }

    /// The walks from the root of several lexemes, `dfas` in the states
    /// `start`, in one pass over the trie: each lexeme's own walk, as if
    /// it were walked alone.
    fn walk_split(&mut self, dfas: &[&ByteDfa], start: &[u32]) -> Vec<LexemeMask> {
        let trie = self.trie;
        let mut product = ProductLexer::new(dfas);
        let mut visits: Vec<(u32, u32)> = Vec::new();
        if let Some(start) = product.state(start) {
            trie.walk_below_with(
                TokenTrie::ROOT,
                start,
                &mut self.trie_states,
                |state, byte| product.step(state, byte),
                |node, tokens, state| {
                    if !tokens.is_empty() || (state & ACCEPTS != 0 && !trie.is_leaf(node)) {
                        visits.push((node as u32, state));
                    }
                },
            );
        }
        let mut found: Vec<Allowed> = dfas.iter().map(|_| Allowed::Ids(Vec::new())).collect();
        let mut ends: Vec<Vec<u32>> = vec![Vec::new(); dfas.len()];
        // Per product state: its live slots and its accepting slots.
        let mut slots_of: Vec<Option<(Vec<u32>, Vec<u32>)>> = Vec::new();
        for (node, state) in visits {
            let id = (state & !ACCEPTS) as usize;
            if slots_of.len() <= id {
                slots_of.resize(id + 1, None);
            }
            let (live, accepting) = slots_of[id].get_or_insert_with(|| product.slots(state));
            let node = node as usize;
            for &slot in live.iter() {
                found[slot as usize].extend(trie.tokens(node));
            }
            if !trie.is_leaf(node) {
                for &slot in accepting.iter() {
                    ends[slot as usize].push(node as u32);
                }
            }
        }
        found
            .into_iter()
            .zip(ends)
            .map(|(allowed, nodes)| LexemeMask::of_one(allowed, nodes, self.words))
            .collect()
    }

    /// The parser's turn at each boundary group of `lexer` (the walk cached
    /// under `key`): finish the group's terminals, close the new set, and
    /// walk the subtrees below the group's nodes with its frontier (cached
    /// too: the walk depends on nothing but the nodes and the new
    /// frontier), then do the same for the boundaries found there.
    fn explore(
        &mut self,
        key: &[u32],
        is_shared: bool,
        frontier: &Frontier,
        lexer: &LexemeMask,
        words: &mut [u32],
    ) {
        let cfg = self.cfg;
        for (index, group) in lexer.boundaries.iter().enumerate() {
            let finished = frontier.items_in(&group.finished);
            let before = self.chart.len();
            if self.chart.push_finished(cfg, &finished).is_err() {
                continue;
            }
            let next = Frontier::of(cfg, self.chart.last(), self.caches);
            if !next.lexemes.is_empty() {
                let mut sub_key = Vec::with_capacity(key.len() + 2 + next.key.len());
                sub_key.extend_from_slice(key);
                sub_key.extend([SUBWALK, index as u32]);
                sub_key.extend_from_slice(&next.key);
                let sub_key: LexemeKey = sub_key.into();
                let sub_shared = is_shared && next.is_shared();
                let below = self.lexer_mask(sub_key.clone(), sub_shared, &group.nodes, &next);
                below.allowed.add_to(words);
                self.explore(&sub_key, sub_shared, &next, &below, words);
            }
            self.chart.truncate(before);
        }
    }

    /// Walks the subtree below `from`, stepping every lexeme's DFA on each
    /// byte (through a [`ProductLexer`]): tokens of nodes where some DFA is
    /// alive go into `words`, and nodes with children where some DFA
    /// accepts into `boundaries`.
    fn walk(
        &mut self,
        from: usize,
        product: &mut ProductLexer,
        start: u32,
        found: &mut Allowed,
        boundaries: &mut Grouper,
    ) {
        let trie = self.trie;
        let mut reached = std::mem::take(&mut self.reached);
        reached.clear();
        trie.walk_below_with(
            from,
            start,
            &mut self.trie_states,
            |state, byte| product.step(state, byte),
            |node, tokens, state| {
                found.extend(tokens);
                if state & ACCEPTS != 0 && !trie.is_leaf(node) {
                    reached.push((node, state));
                }
            },
        );
        for &(node, state) in &reached {
            boundaries.add(node, state, product, &mut self.finished);
        }
        self.reached = reached;
    }
}
