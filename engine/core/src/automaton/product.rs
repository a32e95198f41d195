//! Boolean combinations of [`ByteDfa`]s: intersection and difference.
//!
//! Some languages are easy to state as regexes but not as *one* regex: a
//! JSON Schema string that must match a `pattern` *and* have at most 20
//! characters, or an object key that matches one `patternProperties` regex
//! but none of the others and is not a named property. `regex-automata`
//! cannot intersect or complement, so rein combines its own DFAs with the
//! classic product construction: a state of the product is a tuple of
//! component states, explored breadth-first from the tuple of start states.
//!
//! The trade-off: the product is not minimized, so it can be larger than
//! needed (at worst the product of the component sizes). It is bounded by
//! [`ProductConfig`] — states and wall-clock time — and running past either
//! bound is a [`CompileError`] naming the limit, never a hang. Dead ends are
//! pruned as for every [`ByteDfa`], so the result keeps the invariant that
//! every state but the dead one can still reach acceptance; an empty result
//! is [`CompileErrorKind::EmptyLanguage`](super::CompileErrorKind).
//!
//! Complement is only ever relative (`a` minus `b`): the product accepts a
//! subset of its first included DFA, so it never accepts bytes (invalid
//! UTF-8, say) that no component allowed.

use std::time::Duration;

use super::explore::Explorer;
use super::{ByteDfa, CompileError, DEAD};

/// Limits for a product construction; exceeding one is an error.
#[derive(Clone, Debug)]
pub struct ProductConfig {
    pub(super) max_states: usize,
    pub(super) max_work: usize,
    pub(super) max_compile_time: Duration,
}

impl Default for ProductConfig {
    fn default() -> ProductConfig {
        ProductConfig {
            max_states: 100_000,
            max_work: usize::MAX,
            max_compile_time: Duration::from_secs(5),
        }
    }
}

impl ProductConfig {
    /// The default limits: 100,000 states, 5 s.
    pub fn new() -> ProductConfig {
        ProductConfig::default()
    }

    /// States the product may have, the dead state included.
    pub fn max_states(mut self, states: usize) -> ProductConfig {
        self.max_states = states;
        self
    }

    /// Key entries the construction may step, summed over its states: a
    /// state made of `k` component states costs `k` times the byte classes
    /// to fill. Default unlimited (states and time bound it). Unlike the
    /// time limit, the same inputs always pass or fail it.
    pub fn max_work(mut self, work: usize) -> ProductConfig {
        self.max_work = work;
        self
    }

    /// Wall-clock time the construction may take, checked every 64 states.
    pub fn max_compile_time(mut self, time: Duration) -> ProductConfig {
        self.max_compile_time = time;
        self
    }

    /// The DFA accepting exactly the strings every DFA of `include` accepts
    /// and no DFA of `exclude` does. `include` must not be empty.
    pub fn build(
        &self,
        include: &[&ByteDfa],
        exclude: &[&ByteDfa],
    ) -> Result<ByteDfa, CompileError> {
        if include.is_empty() {
            return Err(CompileError::unsupported(
                "a product needs at least one included automaton (complements are relative)",
            ));
        }
        let components: Vec<&ByteDfa> = include.iter().chain(exclude).copied().collect();
        let (included, excluded) = components.split_at(include.len());
        let (classes, representatives) = shared_classes(&components);
        let mut explorer = Explorer::new(self, representatives.len());
        let accepts = |(dfa, &state): (&&ByteDfa, &u32)| state != DEAD && dfa.is_accepting(state);
        // A tuple of component states; dead once an included one is.
        let intern = |explorer: &mut Explorer<u32>, tuple: &[u32]| {
            if tuple[..included.len()].contains(&DEAD) {
                return Ok(0);
            }
            explorer.intern(tuple, || {
                included.iter().zip(tuple).all(accepts)
                    && !excluded.iter().zip(&tuple[included.len()..]).any(accepts)
            })
        };
        let start: Vec<u32> = components.iter().map(|dfa| dfa.start()).collect();
        let start = intern(&mut explorer, &start)?;
        let mut next = vec![DEAD; components.len()];
        while let Some((tuple, from)) = explorer.next_pending()? {
            for (class, &byte) in representatives.iter().enumerate() {
                for ((slot, dfa), &state) in next.iter_mut().zip(&components).zip(&tuple) {
                    *slot = if state == DEAD {
                        DEAD
                    } else {
                        dfa.next(state, byte)
                    };
                }
                let to = intern(&mut explorer, &next)?;
                explorer.set(from, class, to);
            }
        }
        explorer.finish(classes, start)
    }
}

impl ProductConfig {
    /// The DFA accepting each part's match followed by the next part's,
    /// built from the parts' tables (within these limits). `parts` must
    /// not be empty.
    pub fn sequence(&self, parts: &[&ByteDfa]) -> Result<ByteDfa, CompileError> {
        super::compose::combine(parts, super::compose::Combine::Sequence, self)
    }

    /// The DFA accepting any one part's match. `parts` must not be empty.
    pub fn union(&self, parts: &[&ByteDfa]) -> Result<ByteDfa, CompileError> {
        super::compose::combine(parts, super::compose::Combine::Union, self)
    }
}

/// Byte classes for an automaton built from `components`: bytes that no
/// component tells apart share a class. Returns each byte's class and one
/// byte of each class.
pub(super) fn shared_classes(components: &[&ByteDfa]) -> ([u8; 256], Vec<u8>) {
    // Refine one component at a time: a byte's class is the pair (class so
    // far, the component's class), renumbered in byte order.
    let mut classes = [0u8; 256];
    let mut count = 1usize;
    for dfa in components {
        let mut renumbered = vec![u16::MAX; count * dfa.stride];
        let mut next = 0u16;
        for (class, &theirs) in classes.iter_mut().zip(&dfa.classes) {
            let pair = *class as usize * dfa.stride + theirs as usize;
            if renumbered[pair] == u16::MAX {
                renumbered[pair] = next;
                next += 1;
            }
            // At most 256 classes, one per byte.
            *class = renumbered[pair] as u8;
        }
        count = next as usize;
    }
    let mut representatives = vec![0u8; count];
    for byte in (0..=255u8).rev() {
        representatives[classes[byte as usize] as usize] = byte;
    }
    (classes, representatives)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automaton::tests::{accepts, strings};
    use crate::automaton::CompileErrorKind;

    /// Checks the product of regexes against the regexes themselves on
    /// every short string.
    fn check(include: &[&str], exclude: &[&str]) {
        let compile = |patterns: &[&str]| -> Vec<ByteDfa> {
            patterns
                .iter()
                .map(|p| ByteDfa::regex(p).unwrap())
                .collect()
        };
        let (included, excluded) = (compile(include), compile(exclude));
        let included_refs: Vec<&ByteDfa> = included.iter().collect();
        let excluded_refs: Vec<&ByteDfa> = excluded.iter().collect();
        let product = ProductConfig::new().build(&included_refs, &excluded_refs);
        let alphabet = ['a', 'b', 'c', 'é', '"'];
        let mut any = false;
        for text in strings(&alphabet, 5) {
            let expected = included.iter().all(|dfa| accepts(dfa, &text))
                && !excluded.iter().any(|dfa| accepts(dfa, &text));
            any |= expected;
            let got = product.as_ref().is_ok_and(|dfa| accepts(dfa, &text));
            assert_eq!(got, expected, "{text:?} in {include:?} minus {exclude:?}");
        }
        if !any {
            // Nothing short matched: the language is empty or has only long
            // strings; an empty language is an error, never a DFA.
            if let Err(error) = product {
                assert_eq!(error.kind(), &CompileErrorKind::EmptyLanguage);
            }
        }
    }

    #[test]
    fn intersections_match_brute_force() {
        check(&["[ab]*", "a*b*"], &[]);
        check(&["(?:a|b)*a(?:a|b)", "[abc]{2,4}"], &[]);
        check(&[r#""[^"]*""#, r#""(?:a|é)+"#], &[]);
        check(&["a+", "b+"], &[]);
        check(&[".*a.*", ".*b.*", ".{0,3}"], &[]);
        check(&["(?:ab|c)*", ".*"], &[]);
    }

    #[test]
    fn differences_match_brute_force() {
        check(&["[abc]*"], &["a*"]);
        check(&["[abé]{1,4}"], &["[ab]*é[ab]*", "aa"]);
        check(&[".*"], &[".*ab.*"]);
        check(&["(?:a|é)*"], &["(?:a|é)*"]);
        check(&[r#""[a-c]*""#], &[r#""a""#, r#""bc""#]);
    }

    #[test]
    fn pruned_and_empty_results() {
        let error = ByteDfa::regex("a+")
            .unwrap()
            .intersection(&ByteDfa::regex("b+").unwrap())
            .unwrap_err();
        assert_eq!(error.kind(), &CompileErrorKind::EmptyLanguage);
        // `ab` minus `a.` leaves nothing after `a`: that branch is dead.
        let dfa = ByteDfa::regex("ab|cd")
            .unwrap()
            .difference(&ByteDfa::regex("a.").unwrap())
            .unwrap();
        assert_eq!(dfa.next(dfa.start(), b'a'), DEAD);
        assert!(accepts(&dfa, "cd"));
        assert!(ProductConfig::new().build(&[], &[&dfa]).is_err());
    }

    #[test]
    fn limits_are_errors() {
        let any = ByteDfa::regex("[a-z]{0,300}").unwrap();
        let letters = ByteDfa::regex(".*a.{8}").unwrap();
        let error = ProductConfig::new()
            .max_states(50)
            .build(&[&any, &letters], &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_states"), "{error}");
        let error = ProductConfig::new()
            .max_compile_time(Duration::ZERO)
            .build(&[&any, &letters], &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_compile_time"), "{error}");
        // Work is counted, not timed: the same limit fails at the same
        // point every time, and a generous one passes.
        let short = ByteDfa::regex("[a-z]{0,40}").unwrap();
        let near_end = ByteDfa::regex(".*a.{3}").unwrap();
        let tight = ProductConfig::new().max_work(1_000);
        for _ in 0..2 {
            let error = tight
                .build(&[&short, &near_end], &[])
                .unwrap_err()
                .to_string();
            assert!(error.contains("max_work"), "{error}");
        }
        assert!(ProductConfig::new()
            .max_work(10_000_000)
            .build(&[&short, &near_end], &[])
            .is_ok());
    }
}
