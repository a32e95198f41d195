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

use foldhash::{HashMap, HashMapExt};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use super::cfg::{Cfg, Symbol, Terminal};
use super::earley::{Chart, EarleySet, Item};
use crate::automaton::{ByteDfa, DEAD};
use crate::mask::TokenMask;
use crate::mask_cache::MaskCache;
use crate::trie::TokenTrie;
use crate::vocab::{TokenId, Vocabulary};

/// What a cached lexer walk depends on: the frontier, written as
/// [`SHARED`], the generation and its lexemes' shared ids (see
/// [`SharedLexemes`]), or [`LOCAL`] and its `(terminal,
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

/// The most states a lexeme may reach from its current state (within a
/// token's length) to get a shared id; larger ones are cached per grammar
/// only. A string of bounded length reaches about a dozen states per
/// character, so this covers a counter a long token deep.
const MAX_SHARED_LEXEME_STATES: usize = 2048;

/// The most first bytes in which a lexeme state's walk may differ from its
/// reference state's to be built from it ([`Walker::reference`]).
const MAX_PATCHED_FIRST_BYTES: usize = 32;

/// The longest chain of reference walks one walk may build on.
const MAX_REFERENCE_DEPTH: usize = 4;

/// The most `u32`s of canonical lexeme encodings a vocabulary keeps.
const MAX_SHARED_LEXEME_WORDS: usize = 16 << 20;

/// The default memory budget of the vocabulary-wide cache of lexer walks.
pub const DEFAULT_SHARED_LEXEME_CACHE_BYTES: usize = 128 << 20;

/// Lexer walks shared by every grammar compiled for one vocabulary.
///
/// A lexer walk depends only on what the frontier's lexemes can still
/// match, not on which grammar they came from: the body of a JSON string is
/// the same automaton in every schema. Each `(DFA, state)` is identified by
/// the canonical encoding of the automaton reachable from it
/// as far as the longest token reaches ([`ByteDfa::canonical_within`]):
/// a walk goes no deeper, so equal encodings walk alike and get one
/// shared id, and
/// walks over shared ids are cached here, so a batch of different schemas
/// (or a server's stream of requests) pays for each kind of lexeme once.
///
/// Both the encodings and the walks have a budget. When either is spent,
/// the whole cache starts over as a new *generation*: ids are numbered
/// afresh, every key carries its generation, and ids a grammar still
/// holds from an earlier one are looked up again. A long-running process
/// thus keeps caching the lexemes it meets now, at the price of walking
/// them once more after each restart.
pub struct SharedLexemes {
    /// How far a walk reaches: the longest token's bytes.
    max_depth: usize,
    ids: RwLock<Interned>,
    /// The current generation (as in `ids`, readable without its lock).
    generation: AtomicU32,
    words: AtomicUsize,
    masks: MaskCache<LexemeKey, LexemeMask>,
}

/// The canonical encodings of one generation, by shared id.
#[derive(Default)]
struct Interned {
    generation: u32,
    ids: HashMap<Box<[u32]>, u32>,
}

/// A shared id and the generation that numbered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SharedId {
    generation: u32,
    id: u32,
}

impl SharedLexemes {
    /// An empty cache holding up to `budget` bytes of walks.
    pub fn new(budget: usize) -> SharedLexemes {
        SharedLexemes {
            max_depth: usize::MAX,
            ids: RwLock::new(Interned::default()),
            generation: AtomicU32::new(0),
            words: AtomicUsize::new(0),
            masks: MaskCache::new(budget),
        }
    }

    /// The cache for a vocabulary whose longest token has `bytes` bytes:
    /// lexeme states that agree that far share their walks.
    pub(crate) fn reaching(mut self, bytes: usize) -> SharedLexemes {
        self.max_depth = bytes;
        self
    }

    /// Bytes of walks stored.
    pub fn memory_usage(&self) -> usize {
        self.masks.bytes() + self.words.load(Ordering::Relaxed) * std::mem::size_of::<u32>()
    }

    /// The generation ids are numbered in now.
    pub(crate) fn generation(&self) -> u32 {
        self.generation.load(Ordering::Acquire)
    }

    fn intern(&self, encoding: Vec<u32>) -> SharedId {
        {
            let interned = read(&self.ids);
            if let Some(&id) = interned.ids.get(&encoding[..]) {
                return SharedId {
                    generation: interned.generation,
                    id,
                };
            }
        }
        let size = encoding.len();
        let mut interned = self.ids.write().unwrap_or_else(|p| p.into_inner());
        if self.words.load(Ordering::Relaxed) + size > MAX_SHARED_LEXEME_WORDS {
            self.start_over(&mut interned);
        }
        let next = interned.ids.len() as u32;
        let id = *interned.ids.entry(encoding.into()).or_insert(next);
        if id == next {
            self.words.fetch_add(size, Ordering::Relaxed);
        }
        SharedId {
            generation: interned.generation,
            id,
        }
    }

    /// Caches the walk `lexer` under `key` (of generation `generation`);
    /// when the budget is spent, starts a new generation instead.
    fn store(&self, key: LexemeKey, generation: u32, lexer: &Arc<LexemeMask>, size: usize) {
        if !self.masks.has_room(size) {
            let mut interned = self.ids.write().unwrap_or_else(|p| p.into_inner());
            if interned.generation == generation && !self.masks.has_room(size) {
                self.start_over(&mut interned);
            }
            return;
        }
        self.masks.insert(key, lexer.clone(), size);
    }

    /// Forgets every id and walk: the next generation begins.
    fn start_over(&self, interned: &mut Interned) {
        interned.ids.clear();
        interned.generation = interned.generation.wrapping_add(1);
        self.generation
            .store(interned.generation, Ordering::Release);
        self.words.store(0, Ordering::Relaxed);
        self.masks.clear();
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
    /// `None`: the lexeme reaches too many states to be shared.
    shared_ids: RwLock<HashMap<(u32, u32), Option<SharedId>>>,
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

    fn shared_id(
        &self,
        shared: &SharedLexemes,
        dfa: &ByteDfa,
        pair: (u32, u32),
    ) -> Option<SharedId> {
        if !self.enabled {
            return None;
        }
        match read(&self.shared_ids).get(&pair) {
            Some(None) => return None,
            Some(Some(id)) if id.generation == shared.generation() => return Some(*id),
            _ => {}
        }
        let id = dfa
            .canonical_within(pair.1, shared.max_depth, MAX_SHARED_LEXEME_STATES)
            .map(|encoding| shared.intern(encoding));
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
    /// The walk of a one-lexeme frontier: `allowed`, and the boundary
    /// nodes `ends` (in trie order), where slot 0 finishes.
    fn of_one(allowed: Allowed, ends: Vec<u32>, words: usize) -> LexemeMask {
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
    fn union(parts: &[Arc<LexemeMask>], words: usize) -> LexemeMask {
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
#[derive(Clone, Debug)]
enum Allowed {
    Words(Box<[u32]>),
    Ids(Vec<TokenId>),
}

impl Allowed {
    fn extend(&mut self, tokens: &[TokenId]) {
        match self {
            Allowed::Words(words) => set_bits(words, tokens),
            Allowed::Ids(ids) => ids.extend_from_slice(tokens),
        }
    }

    /// Takes `tokens` out of the set.
    fn remove(&mut self, tokens: &[TokenId]) {
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
    fn compact(self, words: usize) -> Allowed {
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
            Allowed::Ids(ids) => set_bits(words, ids),
        }
    }
}

/// Sets the bits of `ids` in a mask's `words`.
#[inline]
fn set_bits(words: &mut [u32], ids: &[TokenId]) {
    for &id in ids {
        words[id as usize / 32] |= 1 << (id % 32);
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
    /// Adds the boundary `node`, where the `finished` slots accept, and
    /// returns its group's index.
    fn push(&mut self, finished: &[u32], node: u32) -> usize {
        let slot = match self.index.get(finished) {
            Some(&slot) => slot,
            None => {
                self.groups.push(BoundaryGroup {
                    finished: finished.into(),
                    nodes: Vec::new(),
                });
                self.index.insert(finished.into(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        self.groups[slot].nodes.push(node);
        slot
    }

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
        let slot = self.push(finished, node as u32);
        if self.group_of_state.len() <= id {
            self.group_of_state.resize(id + 1, NO_GROUP);
        }
        self.group_of_state[id] = slot as u32;
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
        // Slot labels: shared ids when every lexeme has one of the same
        // generation, else pairs.
        let shared_ids: Option<Vec<SharedId>> = pairs
            .iter()
            .map(|&(_, pair, dfa)| caches.shared_id(shared, dfa, pair))
            .collect();
        let generation = match shared_ids.as_deref() {
            Some([first, rest @ ..]) if rest.iter().all(|id| id.generation == first.generation) => {
                Some(first.generation)
            }
            _ => None,
        };
        let labels: Vec<(u32, u32)> = match (&shared_ids, generation) {
            (Some(ids), Some(_)) => ids.iter().map(|id| (id.id, 0)).collect(),
            _ => pairs.iter().map(|&(_, pair, _)| pair).collect(),
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
        let key = match generation {
            Some(generation) => [SHARED, generation]
                .into_iter()
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
            self.shared.masks.get(key)
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
            self.shared.store(key.clone(), key[1], lexer, size);
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
        match self.caches.shared_id(self.shared, dfa, (terminal, state)) {
            Some(id) => (Box::new([SHARED, id.generation, id.id]), true),
            None => (Box::new([LOCAL, terminal, state]), false),
        }
    }

    /// One lexeme's walk from the root patched from its reference state's,
    /// if that one is cached (then cached too, under `key`).
    fn patched_from_cache(
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

    /// A state whose walk from the root can stand in for `state`'s, with
    /// the root's children (first bytes) where the two step differently:
    /// the most common successor of `state`, which is the right one when
    /// that successor loops on most bytes, as any "inside a string" state
    /// does. `None` when no state differs in few enough first bytes.
    fn reference(&self, dfa: &ByteDfa, state: u32) -> Option<(u32, Vec<usize>)> {
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
    fn patch(
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

    /// The slots whose lexeme is alive in `state`, and those whose lexeme
    /// accepts.
    fn slots(&self, state: u32) -> (Vec<u32>, Vec<u32>) {
        let width = self.dfas.len();
        let id = (state & !ACCEPTS) as usize;
        let mut live = Vec::new();
        let mut accepting = Vec::new();
        for (slot, dfa) in self.dfas.iter().enumerate() {
            let component = self.tuples[id * width + slot];
            if component != DEAD {
                live.push(slot as u32);
                if dfa.is_accepting(component) {
                    accepting.push(slot as u32);
                }
            }
        }
        (live, accepting)
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
