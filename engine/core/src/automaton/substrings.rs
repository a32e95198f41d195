//! The substrings of a text: a DFA accepting every run of consecutive units
//! of it, for values that must be copied from a document.
//!
//! A *unit* is the smallest piece a copy may start or end at — for JSON
//! strings, one character's encoding (`é`, `\n`, `\"`). Cutting between
//! units rather than bytes keeps a copy from starting inside an escape
//! (`n` out of `\n` decodes to a letter the text never had) or inside a
//! multi-byte character.
//!
//! The automaton is a suffix automaton over units (Blumer et al.): at most
//! `2n` states and `3n` transitions for `n` units, built online in linear
//! time; each unit transition then becomes a path of its bytes, intermediate
//! states shared by units with a common prefix. Every suffix-automaton state
//! accepts (each stands for substrings), every intermediate state does not.

use std::collections::HashMap;

use super::{ByteDfa, CompileError, RawDfa};

/// A suffix-automaton state: transitions by unit id, suffix link, length
/// of the longest string it stands for.
struct SamState {
    next: HashMap<u32, u32>,
    link: Option<u32>,
    length: usize,
}

/// Builds the DFA of every run of consecutive `units` (the empty run
/// included), refusing inputs of more than `max_units` units.
pub(super) fn build<U: AsRef<[u8]>>(
    units: &[U],
    max_units: usize,
) -> Result<ByteDfa, CompileError> {
    if units.len() > max_units {
        return Err(CompileError::limit(
            "substrings",
            format!(
                "the text has {} units; at most {max_units} are allowed",
                units.len()
            ),
        ));
    }
    let mut ids: HashMap<&[u8], u32> = HashMap::new();
    let mut spelled: Vec<&[u8]> = Vec::new();
    let sequence: Vec<u32> = units
        .iter()
        .map(|unit| {
            let unit = unit.as_ref();
            *ids.entry(unit).or_insert_with(|| {
                spelled.push(unit);
                spelled.len() as u32 - 1
            })
        })
        .collect();
    if spelled.iter().any(|unit| unit.is_empty()) {
        return Err(CompileError::limit("substrings", "a unit is empty"));
    }
    let sam = suffix_automaton(&sequence);

    let (classes, stride) =
        super::used_byte_classes(spelled.iter().flat_map(|unit| unit.iter().copied()));
    // Raw state 0 is dead; suffix-automaton state `s` is raw state `s + 1`;
    // intermediate states follow.
    let mut accepting = vec![false];
    accepting.extend(std::iter::repeat_n(true, sam.len()));
    let mut transitions = vec![0u32; accepting.len() * stride];
    let mut inner: HashMap<(u32, Vec<u8>), u32> = HashMap::new();
    for (index, state) in sam.iter().enumerate() {
        let from = index as u32 + 1;
        for (&unit, &to) in &state.next {
            let bytes = spelled[unit as usize];
            let mut at = from;
            for depth in 1..bytes.len() {
                let key = (from, bytes[..depth].to_vec());
                let next = match inner.get(&key) {
                    Some(&next) => next,
                    None => {
                        let next = accepting.len() as u32;
                        accepting.push(false);
                        transitions.extend(std::iter::repeat_n(0, stride));
                        inner.insert(key, next);
                        next
                    }
                };
                transitions[at as usize * stride + classes[bytes[depth - 1] as usize] as usize] =
                    next;
                at = next;
            }
            let last = bytes[bytes.len() - 1];
            transitions[at as usize * stride + classes[last as usize] as usize] = to + 1;
        }
    }
    RawDfa {
        classes,
        stride,
        transitions,
        accepting,
        start: 1,
    }
    .finish()
}

/// The suffix automaton of `sequence`; state 0 is the start.
fn suffix_automaton(sequence: &[u32]) -> Vec<SamState> {
    let mut states = vec![SamState {
        next: HashMap::new(),
        link: None,
        length: 0,
    }];
    let mut last = 0u32;
    for &unit in sequence {
        let current = states.len() as u32;
        states.push(SamState {
            next: HashMap::new(),
            link: None,
            length: states[last as usize].length + 1,
        });
        let mut at = Some(last);
        while let Some(state) = at {
            if states[state as usize].next.contains_key(&unit) {
                break;
            }
            states[state as usize].next.insert(unit, current);
            at = states[state as usize].link;
        }
        match at {
            None => states[current as usize].link = Some(0),
            Some(state) => {
                let next = states[state as usize].next[&unit];
                if states[state as usize].length + 1 == states[next as usize].length {
                    states[current as usize].link = Some(next);
                } else {
                    let clone = states.len() as u32;
                    let copied = SamState {
                        next: states[next as usize].next.clone(),
                        link: states[next as usize].link,
                        length: states[state as usize].length + 1,
                    };
                    states.push(copied);
                    let mut at = Some(state);
                    while let Some(state) = at {
                        if states[state as usize].next.get(&unit) != Some(&next) {
                            break;
                        }
                        states[state as usize].next.insert(unit, clone);
                        at = states[state as usize].link;
                    }
                    states[next as usize].link = Some(clone);
                    states[current as usize].link = Some(clone);
                }
            }
        }
        last = current;
    }
    states
}

#[cfg(test)]
mod tests {
    use crate::automaton::tests::accepts;
    use crate::automaton::ByteDfa;

    fn chars(text: &str) -> Vec<String> {
        text.chars().map(String::from).collect()
    }

    #[test]
    fn every_substring_and_nothing_else() {
        let text = "abracadabra żółw";
        let dfa = ByteDfa::substrings(&chars(text), 1000).unwrap();
        let characters: Vec<char> = text.chars().collect();
        for start in 0..=characters.len() {
            for end in start..=characters.len() {
                let piece: String = characters[start..end].iter().collect();
                assert!(accepts(&dfa, &piece), "{piece:?}");
            }
        }
        for other in ["abrr", "cab", "aa", "dabrab", "wż", "ół ", "x"] {
            assert!(!accepts(&dfa, other), "{other:?}");
        }
        // A multi-byte character is not cut.
        let half = &"ż".as_bytes()[..1];
        assert_ne!(dfa.next_bytes(dfa.start(), half), crate::automaton::DEAD);
        assert!(!dfa.is_accepting(dfa.next_bytes(dfa.start(), half)));
    }

    #[test]
    fn copies_start_and_end_at_units() {
        // `\n` is one unit: "n" alone is not a copy of it.
        let units = ["a", "\\n", "b"];
        let dfa = ByteDfa::substrings(&units, 10).unwrap();
        for piece in ["", "a", "a\\n", "\\nb", "a\\nb", "b"] {
            assert!(accepts(&dfa, piece), "{piece:?}");
        }
        for piece in ["n", "nb", "a\\", "\\"] {
            assert!(!accepts(&dfa, piece), "{piece:?}");
        }
    }

    #[test]
    fn long_texts_are_refused_past_the_limit() {
        let units = chars(&"x".repeat(11));
        let error = ByteDfa::substrings(&units, 10).unwrap_err();
        assert!(error.to_string().contains("at most 10"), "{error}");
    }
}
