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

use std::sync::Arc;

use super::cfg::{Cfg, Symbol, Terminal};
use super::earley::{Chart, EarleySet, Item};
use crate::automaton::{ByteDfa, DEAD};
use crate::mask::TokenMask;
use crate::mask_cache::MaskCache;
use crate::trie::TokenTrie;
use crate::vocab::{TokenId, Vocabulary};

/// The frontier's distinct `(terminal, DFA state)` pairs, sorted: what the
/// lexer part of a mask depends on.
pub type LexemeKey = Box<[(u32, u32)]>;

/// The lexer part of a mask, cached under its [`LexemeKey`].
#[derive(Debug)]
pub struct LexemeMask {
    /// Tokens allowed without leaving the frontier's terminals.
    words: Box<[u32]>,
    /// Trie nodes with children where a terminal may end, in trie order.
    boundaries: Vec<Boundary>,
}

impl LexemeMask {
    /// Bytes of heap memory it holds.
    fn size(&self) -> usize {
        std::mem::size_of_val(&*self.words)
            + self
                .boundaries
                .iter()
                .map(|b| std::mem::size_of::<Boundary>() + std::mem::size_of_val(&*b.states))
                .sum::<usize>()
    }
}

/// A trie node where some frontier terminal accepts.
#[derive(Debug)]
struct Boundary {
    node: u32,
    /// Each lexeme's DFA state at the node ([`DEAD`] for the dead ones).
    states: Box<[u32]>,
}

/// The items of an Earley set waiting in byte terminals.
struct Frontier {
    /// Distinct `(terminal, state)` pairs, sorted.
    lexemes: Vec<(u32, u32)>,
    /// Each waiting item with the index of its pair in `lexemes`.
    waiting: Vec<(Item, u32)>,
}

impl Frontier {
    fn of(cfg: &Cfg, set: &EarleySet) -> Frontier {
        let mut pairs: Vec<(Item, (u32, u32))> = Vec::new();
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
            pairs.push((*item, (terminal, state)));
        }
        let mut lexemes: Vec<(u32, u32)> = pairs.iter().map(|&(_, pair)| pair).collect();
        lexemes.sort_unstable();
        lexemes.dedup();
        let waiting = pairs
            .into_iter()
            .map(|(item, pair)| {
                let slot = lexemes.binary_search(&pair).unwrap_or_else(|slot| slot);
                (item, slot as u32)
            })
            .collect();
        Frontier { lexemes, waiting }
    }

    /// The waiting items whose terminal accepts in `states`.
    fn finished(&self, cfg: &Cfg, states: &[u32]) -> Vec<Item> {
        self.waiting
            .iter()
            .filter(|&&(_, slot)| {
                let state = states[slot as usize];
                let terminal = self.lexemes[slot as usize].0;
                state != DEAD && terminal_dfa(cfg, terminal).is_some_and(|d| d.is_accepting(state))
            })
            .map(|&(item, _)| item)
            .collect()
    }
}

fn terminal_dfa(cfg: &Cfg, terminal: u32) -> Option<&ByteDfa> {
    match &cfg.terminals[terminal as usize] {
        Terminal::Bytes(dfa) => Some(dfa),
        Terminal::Special(_) => None,
    }
}

/// Allows every text token whose bytes can be scanned from the chart's
/// current set. The chart is used as scratch and left as it was.
pub(crate) fn fill_text_mask(
    cfg: &Cfg,
    chart: &mut Chart,
    vocabulary: &Vocabulary,
    cache: &MaskCache<LexemeKey, LexemeMask>,
    mask: &mut TokenMask,
) {
    let frontier = Frontier::of(cfg, chart.last());
    if frontier.lexemes.is_empty() {
        return;
    }
    let trie = vocabulary.trie();
    let lexer = match cache.get(&frontier.lexemes[..]) {
        Some(lexer) => lexer,
        None => {
            let lexer = Arc::new(lexer_mask(cfg, trie, vocabulary, &frontier.lexemes));
            let size = lexer.size();
            cache.insert(frontier.lexemes.clone().into(), lexer.clone(), size);
            lexer
        }
    };
    mask.union_words(&lexer.words);
    for boundary in &lexer.boundaries {
        explore(
            cfg,
            chart,
            trie,
            boundary.node as usize,
            &frontier,
            &boundary.states,
            mask,
        );
    }
}

/// Walks the whole trie with `lexemes` alone.
fn lexer_mask(
    cfg: &Cfg,
    trie: &TokenTrie,
    vocabulary: &Vocabulary,
    lexemes: &[(u32, u32)],
) -> LexemeMask {
    let mut words = vec![0u32; vocabulary.len().div_ceil(32)];
    let mut boundaries = Vec::new();
    walk_lexemes(
        cfg,
        trie,
        TokenTrie::ROOT,
        lexemes,
        |ids| {
            for &id in ids {
                words[id as usize / 32] |= 1 << (id % 32);
            }
        },
        |node, states| {
            boundaries.push(Boundary {
                node: node as u32,
                states: states.into(),
            })
        },
    );
    LexemeMask {
        words: words.into(),
        boundaries,
    }
}

/// The parser's turn at a boundary: finish the terminals that accept at
/// `node`, close the new set, and walk the subtree below with its frontier.
fn explore(
    cfg: &Cfg,
    chart: &mut Chart,
    trie: &TokenTrie,
    node: usize,
    frontier: &Frontier,
    states: &[u32],
    mask: &mut TokenMask,
) {
    let finished = frontier.finished(cfg, states);
    let before = chart.len();
    if chart.push_finished(cfg, &finished).is_err() {
        return;
    }
    let next = Frontier::of(cfg, chart.last());
    if !next.lexemes.is_empty() {
        let mut boundaries: Vec<(usize, Box<[u32]>)> = Vec::new();
        walk_lexemes(
            cfg,
            trie,
            node,
            &next.lexemes,
            |ids| {
                for &id in ids {
                    mask.allow(id);
                }
            },
            |node, states| boundaries.push((node, states.into())),
        );
        for (node, states) in boundaries {
            explore(cfg, chart, trie, node, &next, &states, mask);
        }
    }
    chart.truncate(before);
}

/// Walks the subtree below `from`, stepping every lexeme's DFA on each
/// byte: `allow` gets the tokens of nodes where some DFA is alive, and
/// `boundary` the nodes with children where some DFA accepts, with every
/// lexeme's state there.
fn walk_lexemes(
    cfg: &Cfg,
    trie: &TokenTrie,
    from: usize,
    lexemes: &[(u32, u32)],
    mut allow: impl FnMut(&[TokenId]),
    mut boundary: impl FnMut(usize, &[u32]),
) {
    let dfas: Vec<&ByteDfa> = lexemes
        .iter()
        .filter_map(|&(terminal, _)| terminal_dfa(cfg, terminal))
        .collect();
    let width = dfas.len();
    if width == 0 {
        return;
    }
    let base_depth = trie.depth(from);
    // `states[d * width..][..width]` holds the states `d` bytes below `from`.
    let mut states = vec![DEAD; width * (trie.max_depth() - base_depth + 1)];
    for (slot, &(_, state)) in lexemes.iter().enumerate() {
        states[slot] = state;
    }
    let below = trie.below(from);
    let mut node = below.start;
    while node < below.end {
        let depth = trie.depth(node) - base_depth;
        let byte = trie.byte(node);
        let (before, after) = states.split_at_mut(depth * width);
        let previous = &before[(depth - 1) * width..];
        let next = &mut after[..width];
        let mut alive = false;
        let mut accepting = false;
        for (slot, dfa) in dfas.iter().enumerate() {
            let state = previous[slot];
            let stepped = if state == DEAD {
                DEAD
            } else {
                dfa.next(state, byte)
            };
            next[slot] = stepped;
            if stepped != DEAD {
                alive = true;
                accepting |= dfa.is_accepting(stepped);
            }
        }
        if !alive {
            node = trie.skip(node);
            continue;
        }
        allow(trie.tokens(node));
        if accepting && !trie.is_leaf(node) {
            boundary(node, next);
        }
        node += 1;
    }
}
