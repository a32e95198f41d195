//! Sequences and unions of [`ByteDfa`]s, built from the parts' own tables.
//!
//! A grammar's lexemes are mostly sequences of small pieces that recur
//! everywhere — bounded whitespace, a JSON string body, a number — around
//! a literal that is new each time (an object key). Determinizing each
//! lexeme's regex from its NFA pays again for every piece, and a counter
//! such as `[ \t\n\r]{0,20}` is the expensive kind. Here the pieces are
//! DFAs already (the regex memo keeps them), and the lexeme is explored
//! over sets of `(part, part state)` pairs: in a sequence, a part that may
//! end lets the next part start; in a union, every part starts at once. A
//! state costs one table step per pair, usually one or two.
//!
//! The trade-off is the product's: the result is not minimized, so two
//! constructions of one language may differ in shape (never in language),
//! and its size is bounded by [`ProductConfig`], an error past the bound.
//! Dead ends are pruned as for every [`ByteDfa`].

use super::explore::Explorer;
use super::{ByteDfa, CompileError, ProductConfig, DEAD};

/// How the parts combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Combine {
    /// Each part's match followed by the next part's.
    Sequence,
    /// Any one part's match.
    Union,
}

/// The DFA for `parts` combined as `how` says. `parts` must not be empty.
pub(crate) fn combine(
    parts: &[&ByteDfa],
    how: Combine,
    config: &ProductConfig,
) -> Result<ByteDfa, CompileError> {
    if parts.is_empty() {
        return Err(CompileError::unsupported(
            "combining automata needs at least one part",
        ));
    }
    let (classes, representatives) = super::product::shared_classes(parts);
    let composition = Composition { parts, how };
    let mut explorer = Explorer::new(config, representatives.len());
    let mut start: Vec<(u32, u32)> = match how {
        Combine::Sequence => vec![(0, parts[0].start())],
        Combine::Union => (0u32..)
            .zip(parts)
            .map(|(part, dfa)| (part, dfa.start()))
            .collect(),
    };
    let mut scratch = Vec::new();
    composition.close(&mut start, &mut scratch);
    let start = composition.intern(&mut explorer, &start)?;
    let mut next = Vec::new();
    while let Some((pairs, from)) = explorer.next_pending()? {
        for (class, &byte) in representatives.iter().enumerate() {
            next.clear();
            next.extend(pairs.iter().filter_map(|&(part, state)| {
                let to = parts[part as usize].next(state, byte);
                (to != DEAD).then_some((part, to))
            }));
            if next.len() > 1 {
                next.sort_unstable();
                next.dedup();
            }
            composition.close(&mut next, &mut scratch);
            let to = composition.intern(&mut explorer, &next)?;
            explorer.set(from, class, to);
        }
    }
    explorer.finish(classes, start)
}

/// What a state of a composition is: a sorted set of `(part, part state)`
/// pairs.
struct Composition<'a> {
    parts: &'a [&'a ByteDfa],
    how: Combine,
}

impl Composition<'_> {
    /// In a sequence, adds the start of every part that the part before it
    /// may hand over to (its state accepts), in part order so that a
    /// nullable part hands over in turn. `pairs` is sorted and stays so.
    fn close(&self, pairs: &mut Vec<(u32, u32)>, scratch: &mut Vec<(u32, u32)>) {
        if self.how == Combine::Union || pairs.is_empty() {
            return;
        }
        let last = self.parts.len() as u32 - 1;
        let hands_over = |&(part, state): &(u32, u32)| {
            part < last && self.parts[part as usize].is_accepting(state)
        };
        if !pairs.iter().any(hands_over) {
            return;
        }
        scratch.clear();
        let mut handed_over = false;
        let mut index = 0;
        for (part, dfa) in (0u32..).zip(self.parts) {
            let begin = scratch.len();
            while index < pairs.len() && pairs[index].0 == part {
                scratch.push(pairs[index]);
                index += 1;
            }
            if handed_over {
                let start = (part, dfa.start());
                if !scratch[begin..].contains(&start) {
                    scratch.push(start);
                    scratch[begin..].sort_unstable();
                }
            }
            if !handed_over && begin == scratch.len() && index == pairs.len() {
                break;
            }
            handed_over = scratch[begin..]
                .iter()
                .any(|&(_, state)| dfa.is_accepting(state));
        }
        std::mem::swap(pairs, scratch);
    }

    /// The state made of `pairs`: dead when no pair is left; accepting
    /// when a part that may end the whole accepts.
    fn intern(
        &self,
        explorer: &mut Explorer<(u32, u32)>,
        pairs: &[(u32, u32)],
    ) -> Result<u32, CompileError> {
        if pairs.is_empty() {
            return Ok(0);
        }
        let last = self.parts.len() as u32 - 1;
        explorer.intern(pairs, || {
            pairs.iter().any(|&(part, state)| {
                (self.how == Combine::Union || part == last)
                    && self.parts[part as usize].is_accepting(state)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automaton::tests::{accepts, strings};

    fn dfa(pattern: &str) -> ByteDfa {
        ByteDfa::regex(pattern).unwrap()
    }

    /// The combination accepts exactly what the regex `expected` does.
    fn check(parts: &[&str], how: Combine, expected: &str) {
        let dfas: Vec<ByteDfa> = parts.iter().map(|p| dfa(p)).collect();
        let refs: Vec<&ByteDfa> = dfas.iter().collect();
        let combined = combine(&refs, how, &ProductConfig::new()).unwrap();
        let reference = dfa(expected);
        for text in strings(&['a', 'b', ' ', ','], 6) {
            assert_eq!(
                accepts(&combined, &text),
                accepts(&reference, &text),
                "{parts:?} {how:?} on {text:?}"
            );
        }
    }

    #[test]
    fn sequences_match_the_concatenated_regex() {
        check(
            &[" {0,3}", ",", " {0,3}"],
            Combine::Sequence,
            " {0,3}, {0,3}",
        );
        // Overlapping junctions: both parts may take the same bytes.
        check(&[" {0,2}", " {0,2}"], Combine::Sequence, " {0,4}");
        check(&["a*", "ab", "b*"], Combine::Sequence, "a*abb*");
        // Nullable parts hand over in turn.
        check(&["a?", "(?:)", "b?", ","], Combine::Sequence, "a?b?,");
        check(&["(?:)"], Combine::Sequence, "(?:)");
    }

    #[test]
    fn unions_match_the_alternation() {
        check(&["ab", "a", "b+"], Combine::Union, "ab|a|b+");
        check(&["a{0,2}", ", "], Combine::Union, "a{0,2}|, ");
    }

    #[test]
    fn limits_are_errors() {
        let parts = [dfa("[ab]*a[ab]{6}"), dfa("b")];
        let refs: Vec<&ByteDfa> = parts.iter().collect();
        let error = combine(
            &refs,
            Combine::Sequence,
            &ProductConfig::new().max_states(8),
        )
        .unwrap_err();
        assert!(error.to_string().contains("max_states"), "{error}");
    }
}
