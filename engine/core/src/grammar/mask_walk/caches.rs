//! The caches of lexer walks: per grammar ([`LexemeCaches`]) and per
//! engine, across its grammars ([`SharedLexemes`]), and the keys they are
//! stored under.
//!
//! A walk is keyed by its frontier. Within one grammar a frontier is its
//! `(terminal, state)` pairs; across grammars, a lexeme state is known by
//! the canonical encoding of what it can still match within a token's
//! length, so equal lexemes of different schemas share one walk. Both
//! caches are bounded; the shared one starts over by generation when
//! spent.

use foldhash::{HashMap, HashMapExt};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use super::LexemeMask;
use crate::automaton::ByteDfa;
use crate::mask_cache::MaskCache;

/// What a cached lexer walk depends on: the frontier, written as
/// [`SHARED`], the generation and its lexemes' shared ids (see
/// [`SharedLexemes`]), or [`LOCAL`] and its `(terminal,
/// DFA state)` pairs; for a walk below the boundaries of a cached walk, that
/// walk's key, [`SUBWALK`], the boundary group's index and the new
/// frontier's part.
pub type LexemeKey = Box<[u32]>;

/// Separates a parent walk's key from a sub-walk's part (no terminal id,
/// DFA state or shared id is this large).
pub(super) const SUBWALK: u32 = u32::MAX;
/// Marks a frontier written with shared lexeme ids.
pub(super) const SHARED: u32 = u32::MAX - 1;
/// Marks a frontier written with this grammar's `(terminal, state)` pairs.
pub(super) const LOCAL: u32 = u32::MAX - 2;

/// The most states a lexeme may reach from its current state (within a
/// token's length) to get a shared id; larger ones are cached per grammar
/// only. A string of bounded length reaches about a dozen states per
/// character, so this covers a counter a long token deep.
pub(super) const MAX_SHARED_LEXEME_STATES: usize = 2048;

/// The most `u32`s of canonical lexeme encodings a shared cache keeps.
pub(super) const MAX_SHARED_LEXEME_WORDS: usize = 16 << 20;

/// Lexer walks shared by every grammar compiled by one
/// [`Engine`](crate::Engine), over its vocabulary.
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
    pub(super) max_depth: usize,
    pub(super) ids: RwLock<Interned>,
    /// The current generation (as in `ids`, readable without its lock).
    pub(super) generation: AtomicU32,
    pub(super) words: AtomicUsize,
    pub(super) masks: MaskCache<LexemeKey, LexemeMask>,
}

/// The canonical encodings of one generation, by shared id.
#[derive(Default)]
pub(super) struct Interned {
    pub(super) generation: u32,
    pub(super) ids: HashMap<Box<[u32]>, u32>,
}

/// A shared id and the generation that numbered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SharedId {
    pub(super) generation: u32,
    pub(super) id: u32,
}

impl SharedLexemes {
    /// An empty cache holding up to `budget` bytes of walks, for a
    /// vocabulary whose longest token has `max_depth` bytes: lexeme states
    /// that agree that far share their walks.
    pub(crate) fn new(budget: usize, max_depth: usize) -> SharedLexemes {
        SharedLexemes {
            max_depth,
            ids: RwLock::new(Interned::default()),
            generation: AtomicU32::new(0),
            words: AtomicUsize::new(0),
            masks: MaskCache::new(budget),
        }
    }

    /// Bytes of walks stored.
    pub(crate) fn memory_usage(&self) -> usize {
        self.masks.bytes() + self.words.load(Ordering::Relaxed) * std::mem::size_of::<u32>()
    }

    /// The generation ids are numbered in now.
    pub(crate) fn generation(&self) -> u32 {
        self.generation.load(Ordering::Acquire)
    }

    pub(super) fn intern(&self, encoding: Vec<u32>) -> SharedId {
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
    pub(super) fn store(
        &self,
        key: LexemeKey,
        generation: u32,
        lexer: &Arc<LexemeMask>,
        size: usize,
    ) {
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
    pub(super) fn start_over(&self, interned: &mut Interned) {
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

pub(super) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One grammar constraint's caches: walks over its own lexemes, which of
/// its `(terminal, state)` pairs have shared ids, and the engine's cache
/// those ids belong to.
pub(crate) struct LexemeCaches {
    pub(super) local: MaskCache<LexemeKey, LexemeMask>,
    /// The walks shared with the other grammars of the engine.
    pub(super) shared: Arc<SharedLexemes>,
    /// `None`: the lexeme reaches too many states to be shared.
    pub(super) shared_ids: RwLock<HashMap<(u32, u32), Option<SharedId>>>,
    /// Whether caching is on at all (a zero budget turns both caches off).
    pub(super) enabled: bool,
}

impl LexemeCaches {
    /// Caches holding up to `budget` bytes of this grammar's own walks,
    /// beside the engine's `shared` ones; 0 turns caching off, the shared
    /// cache included.
    pub(crate) fn new(budget: usize, shared: Arc<SharedLexemes>) -> LexemeCaches {
        LexemeCaches {
            local: MaskCache::new(budget),
            shared,
            shared_ids: RwLock::new(HashMap::new()),
            enabled: budget > 0,
        }
    }

    /// Bytes of this grammar's own walks.
    pub(crate) fn bytes(&self) -> usize {
        self.local.bytes()
    }

    /// The engine's cache these caches share walks through.
    pub(crate) fn shared(&self) -> &Arc<SharedLexemes> {
        &self.shared
    }

    /// The shared id of `dfa` in the pair's state, `None` when it reaches
    /// too many states to be shared (or caching is off).
    pub(super) fn shared_id(&self, dfa: &ByteDfa, pair: (u32, u32)) -> Option<SharedId> {
        let shared = &*self.shared;
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
