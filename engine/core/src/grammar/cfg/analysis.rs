//! What the parser and the completions need to know about a flattened
//! grammar: which nonterminals derive the empty string, and a shortest
//! derivation of each. Both are fixed points over the productions.

use super::{MemberFamily, MemberState};
use super::{Production, Symbol};

/// For each nonterminal, a production that starts one of its shortest
/// derivations. Lengths only ever decrease strictly, so the chosen
/// productions never form a cycle and expanding them terminates.
///
/// A member list's productions are left out: its first nonterminal's
/// length is that of the list's shortest completion from the start (see
/// [`MemberFamily::shortest_rest`]), which also only ever decreases.
/// Returns the productions and the lengths.
pub(super) fn shortest_productions(
    productions: &[Production],
    families: &[MemberFamily],
    nonterminals: usize,
    terminal_shortest: &[Option<Vec<u8>>],
) -> (Vec<Option<u32>>, Vec<Option<usize>>) {
    let mut length: Vec<Option<usize>> = vec![None; nonterminals];
    let mut best: Vec<Option<u32>> = vec![None; nonterminals];
    loop {
        let mut changed = false;
        let symbol_length = |length: &[Option<usize>], symbol: &Symbol| match symbol {
            Symbol::Terminal(t) => terminal_shortest[*t as usize].as_ref().map(Vec::len),
            Symbol::Nonterminal(n) => length[*n as usize],
        };
        for family in families {
            let rest = family.shortest_rest(&MemberState::default(), false, |symbol| {
                symbol_length(&length, &symbol)
            });
            let total = rest.and_then(|symbols| {
                symbols.iter().try_fold(0usize, |sum, symbol| {
                    Some(sum.saturating_add(symbol_length(&length, symbol)?))
                })
            });
            let lhs = family.first as usize;
            if let Some(total) = total {
                if length[lhs].is_none_or(|current| total < current) {
                    length[lhs] = Some(total);
                    changed = true;
                }
            }
        }
        for (index, production) in productions.iter().enumerate() {
            if production.guard.is_some() {
                continue;
            }
            let total = production.rhs.iter().try_fold(0usize, |sum, symbol| {
                Some(sum.saturating_add(symbol_length(&length, symbol)?))
            });
            let lhs = production.lhs as usize;
            if let Some(total) = total {
                if length[lhs].is_none_or(|current| total < current) {
                    length[lhs] = Some(total);
                    best[lhs] = Some(index as u32);
                    changed = true;
                }
            }
        }
        if !changed {
            return (best, length);
        }
    }
}

/// Which nonterminals derive the empty string (fixed point).
pub(super) fn nullable(productions: &[Production], nonterminals: usize) -> Vec<bool> {
    let mut nullable = vec![false; nonterminals];
    loop {
        let mut changed = false;
        for production in productions {
            if !nullable[production.lhs as usize]
                && production.rhs.iter().all(|symbol| match symbol {
                    Symbol::Nonterminal(n) => nullable[*n as usize],
                    Symbol::Terminal(_) => false,
                })
            {
                nullable[production.lhs as usize] = true;
                changed = true;
            }
        }
        if !changed {
            return nullable;
        }
    }
}
