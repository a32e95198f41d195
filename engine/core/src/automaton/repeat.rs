//! Counted repetition written out directly: `open unit{min,max} close`.
//!
//! A length-bounded JSON string is `"` followed by at most `n` character
//! encodings and `"`. As a regex (`"(?:char){0,8192}"`) it determinizes
//! through a lazy DFA and a hash of every state set, which takes about half
//! a second for `n = 8192`, although the result has an obvious shape: one
//! copy of the unit's states per count. This module writes that shape
//! straight into a table, in time proportional to its size.
//!
//! The construction needs the unit to be *prefix-free* (no accepted unit
//! continues into a longer one, so the end of a unit is where its
//! accepting state is reached) and never to return to its start state, and
//! the first byte of `close` must not start a unit: then at every point
//! exactly one reading of the input exists, and counting units is counting
//! visits to the accepting states. A unit that does not have that shape is
//! refused as unsupported; the caller keeps its regex.
//!
//! The trade-off is the same as the regex's: the table has one row per
//! count and unit state, so the caller bounds `max` (see
//! [`RepeatConfig::max_states`]).

use super::{ByteDfa, CompileError, RawDfa, DEAD};

/// Limits for [`RepeatConfig::build`].
#[derive(Clone, Debug)]
pub struct RepeatConfig {
    max_states: usize,
}

impl Default for RepeatConfig {
    fn default() -> RepeatConfig {
        RepeatConfig::new()
    }
}

impl RepeatConfig {
    /// The default limits: at most 2,000,000 states.
    pub fn new() -> RepeatConfig {
        RepeatConfig {
            max_states: 2_000_000,
        }
    }

    /// The most states the result may have; past it, building is a
    /// `max_states` [`CompileError`] before any table is allocated.
    pub fn max_states(mut self, states: usize) -> RepeatConfig {
        self.max_states = states;
        self
    }

    /// The DFA of `open`, then between `min` and `max` (unbounded when
    /// `None`) strings of `unit`, then `close`. Refuses units that are not
    /// prefix-free, that can return to their start state, or whose first
    /// bytes include `close`'s first byte (see the module doc).
    pub fn build(
        &self,
        open: &[u8],
        unit: &ByteDfa,
        min: u64,
        max: Option<u64>,
        close: &[u8],
    ) -> Result<ByteDfa, CompileError> {
        if max.is_some_and(|max| max < min) {
            return Err(CompileError::empty_language());
        }
        let shape = UnitShape::of(unit, close.first().copied())?;
        // Layers count the units started so far, saturating at `top`.
        let top = max.unwrap_or(min.max(1));
        let block = 1 + shape.inside.len();
        let states = usize::try_from(top)
            .ok()
            .and_then(|top| top.checked_mul(block))
            .and_then(|n| n.checked_add(2 + open.len() + close.len()))
            .filter(|&n| n <= self.max_states)
            .ok_or_else(|| too_many(top.saturating_mul(block as u64), self.max_states))?;
        let top = top as usize;

        let (classes, stride) = classes(unit, open, close);
        let mut raw = RawDfa {
            classes,
            stride,
            transitions: vec![DEAD; states * stride],
            accepting: vec![false; states],
            start: 1,
        };
        // State numbering: 0 dead, then the `open` chain, then the state
        // before any unit, then per layer `k` (the `k`-th unit) the unit's
        // inner states and the state after it, then the `close` chain.
        let first_layer = 1 + open.len();
        let inside =
            |layer: usize, index: usize| (first_layer + 1 + (layer - 1) * block + index) as u32;
        let between = |layer: usize| match layer {
            0 => first_layer as u32,
            layer => inside(layer, shape.inside.len()),
        };
        let after_close = |offset: usize| (first_layer + 1 + top * block + offset) as u32;
        // One byte per class of the result stands for the others.
        let mut representatives = vec![0u8; stride];
        for byte in (0..=255u8).rev() {
            representatives[classes[byte as usize] as usize] = byte;
        }
        let unit_class = |byte: u8| unit.classes[byte as usize] as usize;
        let mut set = |from: u32, byte: u8, to: u32| {
            raw.transitions[from as usize * stride + classes[byte as usize] as usize] = to;
        };

        for (offset, &byte) in open.iter().enumerate() {
            set(1 + offset as u32, byte, 2 + offset as u32);
        }
        for layer in 0..=top {
            // A unit started here is the next layer's, or this one's again
            // past an unbounded `top`.
            let started = match (layer < top, max) {
                (true, _) => Some(layer + 1),
                (false, None) => Some(layer),
                (false, Some(_)) => None,
            };
            if let Some(started) = started {
                for &byte in &representatives {
                    let target = unit.transitions[unit.start as usize + unit_class(byte)];
                    if target != DEAD {
                        let to =
                            shape.place(target, |index| inside(started, index), between(started));
                        set(between(layer), byte, to);
                    }
                }
            }
            if layer as u64 >= min {
                match close.first() {
                    Some(&byte) => set(between(layer), byte, after_close(0)),
                    None => raw.accepting[between(layer) as usize] = true,
                }
            }
            if layer == 0 {
                continue;
            }
            for (index, &state) in shape.inside.iter().enumerate() {
                for &byte in &representatives {
                    let target = unit.transitions[state as usize + unit_class(byte)];
                    if target != DEAD {
                        let to = shape.place(target, |next| inside(layer, next), between(layer));
                        set(inside(layer, index), byte, to);
                    }
                }
            }
        }
        for (offset, &byte) in close.iter().enumerate().skip(1) {
            set(after_close(offset - 1), byte, after_close(offset));
        }
        if !close.is_empty() {
            raw.accepting[after_close(close.len() - 1) as usize] = true;
        }
        raw.finish()
    }
}

fn too_many(states: u64, max: usize) -> CompileError {
    CompileError::limit(
        "max_states",
        format!("the counted repetition needs about {states} states; at most {max} are allowed"),
    )
}

/// The unit's states other than its start and its accepting ones, in a
/// fixed order, and the check that the unit has the shape the construction
/// needs.
struct UnitShape {
    /// Premultiplied ids of the states inside a unit.
    inside: Vec<u32>,
    /// `index[id / stride]`: the position of an inside state in `inside`.
    index: Vec<u32>,
    stride: usize,
}

impl UnitShape {
    fn of(unit: &ByteDfa, close: Option<u8>) -> Result<UnitShape, CompileError> {
        let stride = unit.stride;
        let not_supported =
            |why: &str| CompileError::unsupported(format!("a counted repetition's unit {why}"));
        if unit.is_accepting(unit.start) {
            return Err(not_supported("matches the empty string"));
        }
        if let Some(byte) = close {
            if unit.next(unit.start, byte) != DEAD {
                return Err(not_supported("may start with the closing byte"));
            }
        }
        let mut inside = Vec::new();
        let mut index = vec![u32::MAX; unit.state_count()];
        let rows = unit.transitions.chunks_exact(stride);
        for (row, (targets, slot)) in rows.zip(index.iter_mut()).enumerate().skip(1) {
            let id = (row * stride) as u32;
            if targets.contains(&unit.start) {
                return Err(not_supported("may return to its start"));
            }
            if unit.is_accepting(id) {
                if targets.iter().any(|&to| to != DEAD) {
                    return Err(not_supported("is not prefix-free"));
                }
            } else if id != unit.start {
                *slot = inside.len() as u32;
                inside.push(id);
            }
        }
        Ok(UnitShape {
            inside,
            index,
            stride,
        })
    }

    /// Where reading into the unit's state `target` leads: the inside
    /// state's place in the layer, or `end` when the unit is complete.
    fn place(&self, target: u32, inside: impl Fn(usize) -> u32, end: u32) -> u32 {
        match self.index[target as usize / self.stride] {
            u32::MAX => end,
            index => inside(index as usize),
        }
    }
}

/// Byte classes for the result: the unit's classes, split further so that
/// every byte of `open` and `close` has a class of its own.
fn classes(unit: &ByteDfa, open: &[u8], close: &[u8]) -> ([u8; 256], usize) {
    let mut classes = [0u8; 256];
    let mut seen: Vec<(u8, u16)> = Vec::new();
    for byte in 0..=255u8 {
        let own = if open.contains(&byte) || close.contains(&byte) {
            u16::from(byte) + 1
        } else {
            0
        };
        let signature = (unit.classes[byte as usize], own);
        let class = match seen.iter().position(|&s| s == signature) {
            Some(class) => class,
            None => {
                seen.push(signature);
                seen.len() - 1
            }
        };
        classes[byte as usize] = class as u8;
    }
    (classes, seen.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automaton::RegexConfig;

    const CHAR: &str = r#"(?:[^"\\\x00-\x1F]|\\["\\bfnrt]|\\u00[01][0-9a-fA-F])"#;

    fn accepts(dfa: &ByteDfa, text: &[u8]) -> bool {
        dfa.is_accepting(dfa.next_bytes(dfa.start(), text))
    }

    #[test]
    fn counts_units_like_the_regex() {
        let unit = ByteDfa::regex(CHAR).unwrap();
        for (min, max) in [
            (0, Some(0)),
            (0, Some(3)),
            (2, Some(4)),
            (3, None),
            (0, None),
        ] {
            let direct = RepeatConfig::new()
                .build(b"\"", &unit, min, max, b"\"")
                .unwrap();
            let bounds = match max {
                Some(max) => format!("{{{min},{max}}}"),
                None => format!("{{{min},}}"),
            };
            let regex = RegexConfig::new()
                .build(&format!("\"{CHAR}{bounds}\""))
                .unwrap();
            let texts: [&[u8]; 12] = [
                b"\"\"",
                b"\"a\"",
                b"\"ab\"",
                b"\"abc\"",
                b"\"\\n\\u001fb\"",
                b"\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"",
                b"\"abcde\"",
                b"\"\\\"",
                b"\"a\"b",
                b"\"\xc3\"",
                b"a",
                b"\"\\u0020\"",
            ];
            for text in texts {
                assert_eq!(
                    accepts(&direct, text),
                    accepts(&regex, text),
                    "{min} {max:?} {}",
                    String::from_utf8_lossy(text)
                );
            }
            // Bounded counts need every layer; an unbounded one may keep a
            // layer the regex's DFA merges.
            if max.is_some() {
                assert_eq!(direct.state_count(), regex.state_count(), "{min} {max:?}");
            }
        }
    }

    #[test]
    fn limits_and_shapes_are_errors() {
        let unit = ByteDfa::regex(CHAR).unwrap();
        let error = RepeatConfig::new()
            .max_states(100)
            .build(b"\"", &unit, 0, Some(1000), b"\"")
            .unwrap_err();
        assert!(error.to_string().contains("max_states"), "{error}");
        let error = RepeatConfig::new()
            .build(b"", &unit, 3, Some(2), b"")
            .unwrap_err();
        assert_eq!(
            error.kind(),
            &crate::automaton::CompileErrorKind::EmptyLanguage
        );
        for pattern in ["a|ab", "a*b", "(?:ab)*c", "\"|b"] {
            let unit = ByteDfa::regex(pattern).unwrap();
            let result = RepeatConfig::new().build(b"", &unit, 0, Some(3), b"\"");
            assert!(
                matches!(
                    result.as_ref().map_err(CompileError::kind),
                    Err(crate::automaton::CompileErrorKind::Unsupported { .. })
                ),
                "{pattern}: {result:?}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// The written-out table and the regex's DFA agree on strings cut
        /// from escapes, multi-byte characters and quotes, whole or broken.
        #[test]
        fn agrees_with_the_regex(
            min in 0u64..6,
            extra in proptest::option::of(0u64..6),
            pieces in proptest::collection::vec(0usize..9, 0..12),
        ) {
            const PIECES: [&[u8]; 9] =
                [b"a", b"\xc3\xa9", b"\\n", b"\\u001f", b"\"", b"\\", b"\\u0", b"\xc3", b"\x01"];
            let max = extra.map(|extra| min + extra);
            let unit = ByteDfa::regex(CHAR).unwrap();
            let direct = RepeatConfig::new().build(b"\"", &unit, min, max, b"\"").unwrap();
            let bounds = match max {
                Some(max) => format!("{{{min},{max}}}"),
                None => format!("{{{min},}}"),
            };
            let regex = RegexConfig::new().build(&format!("\"{CHAR}{bounds}\"")).unwrap();
            let mut text = b"\"".to_vec();
            for piece in pieces {
                text.extend_from_slice(PIECES[piece]);
            }
            text.push(b'"');
            // Every prefix: live and accepting alike.
            for end in 0..=text.len() {
                let (a, b) = (
                    direct.next_bytes(direct.start(), &text[..end]),
                    regex.next_bytes(regex.start(), &text[..end]),
                );
                proptest::prop_assert_eq!(a == DEAD, b == DEAD, "{:?}", &text[..end]);
                proptest::prop_assert_eq!(direct.is_accepting(a), regex.is_accepting(b));
            }
        }
    }
}
