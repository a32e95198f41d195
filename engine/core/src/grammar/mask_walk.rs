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
//! The result is exactly the byte-level Earley recognizer's: a token is
//! allowed iff its bytes can be scanned, because every path through its
//! bytes either stays within one frontier terminal or passes a boundary
//! where the parser takes over. Every item of an Earley set over productive
//! rules can be completed, and every live DFA state can reach acceptance, so
//! "scannable" is "viable".

use foldhash::{HashMap, HashMapExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use super::cfg::{Cfg, Symbol, Terminal};
use super::earley::{Chart, EarleySet, Item};
use crate::automaton::{ByteDfa, DEAD};
use crate::mask::TokenMask;
use crate::mask_cache::MaskCache;
use crate::trie::TokenTrie;
use crate::vocab::{TokenId, Vocabulary};

/// What a cached lexer walk depends on: the frontier, written as
/// [`SHARED`] and its lexemes' shared ids, or [`LOCAL`] and its `(terminal,
/// DFA state)` pairs; for a walk below the boundaries of a cached walk, that
/// walk's key, [`SUBWALK`], the boundary group's index and the new
/// frontier's part.
pub type LexemeKey = Box<[u32]>;

/// Separates a parent walk's key from a sub-walk's part (no terminal id,
/// DFA state or shared id is this large).
const SUBWALK: u32 = u32::MAX;
/// Marks a frontier written with shared lexeme ids.
const SHARED: u32 = u32::MAX - 1;
/// Marks a frontier written with this grammar's `(terminal, state)` pairs.
const LOCAL: u32 = u32::MAX - 2;

/// The most states a lexeme may reach from its current state to get a
/// shared id; larger ones are cached per grammar only.
const MAX_SHARED_LEXEME_STATES: usize = 128;

/// The most `u32`s of canonical lexeme encodings a vocabulary keeps.
const MAX_SHARED_LEXEME_WORDS: usize = 4 << 20;

/// The default memory budget of the vocabulary-wide cache of lexer walks.
pub const DEFAULT_SHARED_LEXEME_CACHE_BYTES: usize = 128 << 20;

/// Lexer walks shared by every grammar compiled for one vocabulary.
///
/// A lexer walk depends only on what the frontier's lexemes can still
/// match, not on which grammar they came from: the body of a JSON string is
/// the same automaton in every schema. Each `(DFA, state)` is identified by
/// the canonical encoding of the automaton reachable from it
/// ([`ByteDfa::canonical_from`]); equal encodings get one shared id, and
/// walks over shared ids are cached here, so a batch of different schemas
/// (or a server's stream of requests) pays for each kind of lexeme once.
pub struct SharedLexemes {
    ids: RwLock<HashMap<Box<[u32]>, u32>>,
    words: AtomicUsize,
    masks: MaskCache<LexemeKey, LexemeMask>,
}

impl SharedLexemes {
    /// An empty cache holding up to `budget` bytes of walks.
    pub fn new(budget: usize) -> SharedLexemes {
        SharedLexemes {
            ids: RwLock::new(HashMap::new()),
            words: AtomicUsize::new(0),
            masks: MaskCache::new(budget),
        }
    }

    /// Bytes of walks stored.
    pub fn memory_usage(&self) -> usize {
        self.masks.bytes() + self.words.load(Ordering::Relaxed) * std::mem::size_of::<u32>()
    }

    fn intern(&self, encoding: Vec<u32>) -> Option<u32> {
        if let Some(&id) = read(&self.ids).get(&encoding[..]) {
            return Some(id);
        }
        let size = encoding.len();
        if self.words.load(Ordering::Relaxed) + size > MAX_SHARED_LEXEME_WORDS {
            return None;
        }
        let mut ids = self.ids.write().unwrap_or_else(|p| p.into_inner());
        let next = ids.len() as u32;
        let id = *ids.entry(encoding.into()).or_insert(next);
        if id == next {
            self.words.fetch_add(size, Ordering::Relaxed);
        }
        Some(id)
    }
}

impl std::fmt::Debug for SharedLexemes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLexemes")
            .field("bytes", &self.memory_usage())
            .finish()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One grammar constraint's caches: walks over its own lexemes, and which
/// of its `(terminal, state)` pairs have shared ids.
pub(crate) struct LexemeCaches {
    local: MaskCache<LexemeKey, LexemeMask>,
    shared_ids: RwLock<HashMap<(u32, u32), Option<u32>>>,
    /// Whether caching is on at all (a zero budget turns both caches off).
    enabled: bool,
}

impl LexemeCaches {
    /// Caches holding up to `budget` bytes of this grammar's own walks; 0
    /// turns caching off, the vocabulary-wide cache included.
    pub(crate) fn new(budget: usize) -> LexemeCaches {
        LexemeCaches {
            local: MaskCache::new(budget),
            shared_ids: RwLock::new(HashMap::new()),
            enabled: budget > 0,
        }
    }

    /// Bytes of this grammar's own walks.
    pub(crate) fn bytes(&self) -> usize {
        self.local.bytes()
    }

    fn shared_id(&self, shared: &SharedLexemes, dfa: &ByteDfa, pair: (u32, u32)) -> Option<u32> {
        if !self.enabled {
            return None;
        }
        if let Some(&id) = read(&self.shared_ids).get(&pair) {
            return id;
        }
        let id = dfa
            .canonical_from(pair.1, MAX_SHARED_LEXEME_STATES)
            .and_then(|encoding| shared.intern(encoding));
        self.shared_ids
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(pair, id);
        id
    }
}

/// The lexer part of a mask, cached under its [`LexemeKey`].
#[derive(Debug)]
pub struct LexemeMask {
    /// Tokens allowed without leaving the frontier's terminals.
    allowed: Allowed,
    /// Trie nodes with children where a terminal may end, grouped by which
    /// terminals end there.
    boundaries: Vec<BoundaryGroup>,
}

impl LexemeMask {
    /// Bytes of heap memory it holds.
    fn size(&self) -> usize {
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
#[derive(Debug)]
enum Allowed {
    Words(Box<[u32]>),
    Ids(Vec<TokenId>),
}

impl Allowed {
    fn extend(&mut self, tokens: &[TokenId]) {
        match self {
            Allowed::Words(words) => {
                for &id in tokens {
                    words[id as usize / 32] |= 1 << (id % 32);
                }
            }
            Allowed::Ids(ids) => ids.extend_from_slice(tokens),
        }
    }

    /// The smaller representation of the same set, for a vocabulary of
    /// `words` mask words.
    fn compact(self, words: usize) -> Allowed {
        match self {
            Allowed::Ids(mut ids) if ids.len() >= words => {
                let mut bits = vec![0u32; words];
                for id in ids.drain(..) {
                    bits[id as usize / 32] |= 1 << (id % 32);
                }
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

    fn size(&self) -> usize {
        match self {
            Allowed::Words(words) => std::mem::size_of_val(&**words),
            Allowed::Ids(ids) => ids.capacity() * std::mem::size_of::<TokenId>(),
        }
    }

    fn add_to(&self, words: &mut [u32]) {
        match self {
            Allowed::Words(mine) => {
                for (word, mine) in words.iter_mut().zip(mine.iter()) {
                    *word |= mine;
                }
            }
            Allowed::Ids(ids) => {
                for &id in ids.iter() {
                    words[id as usize / 32] |= 1 << (id % 32);
                }
            }
        }
    }
}

/// Trie nodes where the same frontier slots accept: the parser's next set
/// is the same for all of them, so it is built once.
#[derive(Debug)]
struct BoundaryGroup {
    /// The slots (indices into the frontier's lexemes) that accept.
    finished: Box<[u32]>,
    /// The nodes, in trie order.
    nodes: Vec<u32>,
}

/// Collects boundary nodes into groups by their finished slots.
///
/// The finished slots are a function of the [`ProductLexer`] state, so a
/// boundary reached in a state seen before joins that state's group
/// without working out its slots again: identifier-like lexemes make
/// almost every trie node a boundary.
#[derive(Default)]
struct Grouper {
    groups: Vec<BoundaryGroup>,
    index: HashMap<Box<[u32]>, usize>,
    /// The group of each product state id, [`NO_GROUP`] if none yet.
    group_of_state: Vec<u32>,
}

const NO_GROUP: u32 = u32::MAX;

impl Grouper {
    /// Adds the boundary `node`, reached in product state `state`.
    fn add(&mut self, node: usize, state: u32, product: &ProductLexer, finished: &mut Vec<u32>) {
        let id = (state & !ACCEPTS) as usize;
        if let Some(&slot) = self.group_of_state.get(id) {
            if slot != NO_GROUP {
                self.groups[slot as usize].nodes.push(node as u32);
                return;
            }
        }
        product.finished(state, finished);
        let slot = match self.index.get(finished.as_slice()) {
            Some(&slot) => slot,
            None => {
                self.groups.push(BoundaryGroup {
                    finished: finished.as_slice().into(),
                    nodes: Vec::new(),
                });
                self.index
                    .insert(finished.as_slice().into(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        if self.group_of_state.len() <= id {
            self.group_of_state.resize(id + 1, NO_GROUP);
        }
        self.group_of_state[id] = slot as u32;
        self.groups[slot].nodes.push(node as u32);
    }
}

/// The items of an Earley set waiting in byte terminals.
struct Frontier<'c> {
    /// One `(terminal, state)` per slot: distinct shared ids, sorted, or
    /// distinct pairs, sorted.
    lexemes: Vec<(u32, u32)>,
    /// The DFA of each slot.
    dfas: Vec<&'c ByteDfa>,
    /// Each waiting item with its slot.
    waiting: Vec<(Item, u32)>,
    /// The frontier's part of a cache key.
    key: Vec<u32>,
}

impl<'c> Frontier<'c> {
    fn of(
        cfg: &'c Cfg,
        set: &EarleySet,
        caches: &LexemeCaches,
        shared: &SharedLexemes,
    ) -> Frontier<'c> {
        let mut pairs: Vec<(Item, (u32, u32), &'c ByteDfa)> = Vec::new();
        for item in set.items() {
            let Some(Symbol::Terminal(terminal)) = cfg.symbol_at(item.production, item.dot) else {
                continue;
            };
            let Terminal::Bytes(dfa) = &cfg.terminals[terminal as usize] else {
                continue;
            };
            let state = if item.terminal_state == 0 {
                dfa.start()
            } else {
                item.terminal_state
            };
            pairs.push((*item, (terminal, state), dfa));
        }
        // Slot labels: shared ids when every lexeme has one, else pairs.
        let shared_ids: Option<Vec<u32>> = pairs
            .iter()
            .map(|&(_, pair, dfa)| caches.shared_id(shared, dfa, pair))
            .collect();
        let labels: Vec<(u32, u32)> = match &shared_ids {
            Some(ids) => ids.iter().map(|&id| (id, 0)).collect(),
            None => pairs.iter().map(|&(_, pair, _)| pair).collect(),
        };
        let mut slots: Vec<(u32, u32)> = labels.clone();
        slots.sort_unstable();
        slots.dedup();
        let mut lexemes = vec![(0, 0); slots.len()];
        let mut dfas: Vec<&ByteDfa> = Vec::with_capacity(slots.len());
        let mut waiting = Vec::with_capacity(pairs.len());
        let mut filled = vec![false; slots.len()];
        for ((item, pair, _), label) in pairs.iter().zip(&labels) {
            let slot = slots.binary_search(label).unwrap_or_else(|slot| slot);
            if !filled[slot] {
                filled[slot] = true;
                lexemes[slot] = *pair;
            }
            waiting.push((*item, slot as u32));
        }
        for &(terminal, _) in &lexemes {
            if let Terminal::Bytes(dfa) = &cfg.terminals[terminal as usize] {
                dfas.push(dfa);
            }
        }
        let key = match shared_ids {
            Some(_) => std::iter::once(SHARED)
                .chain(slots.iter().map(|&(id, _)| id))
                .collect(),
            None => std::iter::once(LOCAL)
                .chain(
                    slots
                        .iter()
                        .flat_map(|&(terminal, state)| [terminal, state]),
                )
                .collect(),
        };
        Frontier {
            lexemes,
            dfas,
            waiting,
            key,
        }
    }

    fn is_shared(&self) -> bool {
        self.key.first() == Some(&SHARED)
    }

    /// The waiting items in the `finished` slots.
    fn items_in(&self, finished: &[u32]) -> Vec<Item> {
        self.waiting
            .iter()
            .filter(|(_, slot)| finished.binary_search(slot).is_ok())
            .map(|&(item, _)| item)
            .collect()
    }
}

/// Allows every text token whose bytes can be scanned from the chart's
/// current set. The chart is used as scratch and left as it was.
pub(crate) fn fill_text_mask(
    cfg: &Cfg,
    chart: &mut Chart,
    vocabulary: &Vocabulary,
    caches: &LexemeCaches,
    mask: &mut TokenMask,
) {
    let shared = vocabulary.shared_lexemes();
    let frontier = Frontier::of(cfg, chart.last(), caches, shared);
    if frontier.lexemes.is_empty() {
        return;
    }
    let mut walker = Walker {
        cfg,
        trie: vocabulary.trie(),
        chart,
        caches,
        shared,
        words: vocabulary.len().div_ceil(32),
        finished: Vec::new(),
        reached: Vec::new(),
        trie_states: Vec::new(),
    };
    let key: LexemeKey = frontier.key.clone().into();
    let nodes = [TokenTrie::ROOT as u32];
    let is_shared = frontier.is_shared();
    let lexer = walker.lexer_mask(key.clone(), is_shared, &nodes, &frontier);
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
    shared: &'a SharedLexemes,
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
        let cache = if is_shared {
            &self.shared.masks
        } else {
            &self.caches.local
        };
        if self.caches.enabled {
            if let Some(lexer) = cache.get(&key) {
                return lexer;
            }
        }
        // Below the root most tokens may be allowed: collect a bitset;
        // below boundaries a few: collect ids.
        let mut found = if nodes == [TokenTrie::ROOT as u32] {
            Allowed::Words(vec![0u32; self.words].into())
        } else {
            Allowed::Ids(Vec::new())
        };
        let mut grouper = Grouper::default();
        let mut product = ProductLexer::new(&frontier.dfas);
        let start: Vec<u32> = frontier.lexemes.iter().map(|&(_, state)| state).collect();
        if let Some(start) = product.state(&start) {
            for &node in nodes {
                self.walk(node as usize, &mut product, start, &mut found, &mut grouper);
            }
        }
        let lexer = Arc::new(LexemeMask {
            allowed: found.compact(self.words),
            boundaries: grouper.groups,
        });
        if self.caches.enabled {
            let size = lexer.size() + std::mem::size_of_val(&*key);
            cache.insert(key, lexer.clone(), size);
        }
        lexer
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
            let next = Frontier::of(cfg, self.chart.last(), self.caches, self.shared);
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

/// Marks a [`ProductLexer`] state in which some lexeme accepts.
const ACCEPTS: u32 = 1 << 31;

/// The frontier's lexeme DFAs run in parallel as one lazily built DFA, so
/// the trie walk does one table lookup per byte however many lexemes the
/// frontier has. A state is the tuple of the lexemes' states, numbered as
/// it is first reached; its transitions are filled in on first use.
struct ProductLexer<'d, 'c> {
    dfas: &'d [&'c ByteDfa],
    /// `tuples[id * width..][..width]`: each lexeme's state in state `id`.
    tuples: Vec<u32>,
    index: HashMap<Box<[u32]>, u32>,
    /// `transitions[id * 256 + byte]`: the next state (with [`ACCEPTS`]),
    /// [`NO_STATE`] for dead, [`UNKNOWN`] not computed yet.
    transitions: Vec<u32>,
    scratch: Vec<u32>,
}

const UNKNOWN: u32 = u32::MAX;
/// States past this many get no transition row (1 KiB each): their steps are
/// computed every time, which bounds memory when a huge lexeme (a 100,000
/// value enum) meets the trie.
const MAX_MEMOIZED_STATES: usize = 4096;
const NO_STATE: u32 = u32::MAX - 1;

impl<'d, 'c> ProductLexer<'d, 'c> {
    fn new(dfas: &'d [&'c ByteDfa]) -> ProductLexer<'d, 'c> {
        ProductLexer {
            dfas,
            tuples: Vec::new(),
            index: HashMap::new(),
            transitions: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The state for `tuple` (with [`ACCEPTS`]), `None` when all are dead.
    fn state(&mut self, tuple: &[u32]) -> Option<u32> {
        if tuple.iter().all(|&state| state == DEAD) {
            return None;
        }
        let id = match self.index.get(tuple) {
            Some(&id) => id,
            None => {
                let id = self.index.len() as u32;
                self.index.insert(tuple.into(), id);
                self.tuples.extend_from_slice(tuple);
                if (id as usize) < MAX_MEMOIZED_STATES {
                    self.transitions.extend([UNKNOWN; 256]);
                }
                id
            }
        };
        let accepts = tuple
            .iter()
            .zip(self.dfas)
            .any(|(&state, dfa)| state != DEAD && dfa.is_accepting(state));
        Some(if accepts { id | ACCEPTS } else { id })
    }

    #[inline]
    fn step(&mut self, state: u32, byte: u8) -> Option<u32> {
        let id = (state & !ACCEPTS) as usize;
        let next = self
            .transitions
            .get(id * 256 + byte as usize)
            .copied()
            .unwrap_or(UNKNOWN);
        match next {
            NO_STATE => None,
            UNKNOWN => {
                let width = self.dfas.len();
                let mut tuple = std::mem::take(&mut self.scratch);
                tuple.clear();
                for (slot, dfa) in self.dfas.iter().enumerate() {
                    let component = self.tuples[id * width + slot];
                    tuple.push(if component == DEAD {
                        DEAD
                    } else {
                        dfa.next(component, byte)
                    });
                }
                let next = self.state(&tuple);
                self.scratch = tuple;
                if let Some(slot) = self.transitions.get_mut(id * 256 + byte as usize) {
                    *slot = next.unwrap_or(NO_STATE);
                }
                next
            }
            next => Some(next),
        }
    }

    /// The slots whose lexeme accepts in `state`, into `out`.
    fn finished(&self, state: u32, out: &mut Vec<u32>) {
        out.clear();
        let width = self.dfas.len();
        let id = (state & !ACCEPTS) as usize;
        for (slot, dfa) in self.dfas.iter().enumerate() {
            let component = self.tuples[id * width + slot];
            if component != DEAD && dfa.is_accepting(component) {
                out.push(slot as u32);
            }
        }
    }
}
