//! Strings held to several regular constraints at once: `pattern`,
//! `format` and `minLength`/`maxLength` together.
//!
//! Each constraint alone is a regex over the encoded string (see
//! [`crate::json_text`]), but their conjunction is not one regex: rein
//! compiles each to a [`ByteDfa`] over the whole quoted string and
//! intersects them ([`ProductConfig`]). Lengths count *decoded* characters:
//! the length automaton repeats [`CHAR_UNIT`], one canonical encoding of
//! one character (`é`, `\n`, `\u0001`) per step, and canonical encodings
//! split into units in exactly one way, so the count is exact.
//!
//! The trade-off is size: the product of a loose pattern with a long
//! length bound can have many states, so a bound the regex already implies
//! (a `uuid` is never longer than 36 characters) is dropped first, and the
//! product is limited in states and time; past a limit the caller gets the
//! error and refuses the keyword rather than approximating it.
//!
//! A plain string with a long bound (`maxLength: 65535`, common for text
//! columns) needs no product, and one table would hold about 13 rows per
//! character. [`long_string`] counts in blocks instead: whole blocks of
//! [`BLOCK`] characters are one grammar terminal repeated by the grammar,
//! and only the remainder is counted by a table, so the grammar grows by
//! one production per block and the tables stay a few megabytes at any
//! bound.

use std::time::Duration;

use rein_core::automaton::{CompileError, ProductConfig, RegexConfig, RepeatConfig};
use rein_core::grammar::{DfaTerminal, Expr};
use rein_core::ByteDfa;

use crate::json_text::CHAR_UNIT;

/// The most states one combined string automaton may have.
const MAX_STATES: usize = 150_000;

/// The most time one combined string automaton may take.
const MAX_TIME: Duration = Duration::from_secs(3);

/// The DFA of quoted strings whose contents match every regex of
/// `contents` and none of `excluded` (all over the canonical encoding,
/// without quotes) and whose decoded length is between `min` and `max`
/// characters. An empty language is
/// [`CompileErrorKind::EmptyLanguage`](rein_core::automaton::CompileErrorKind).
pub fn string_dfa(
    contents: &[String],
    excluded: &[String],
    min: u64,
    max: Option<u64>,
) -> Result<ByteDfa, CompileError> {
    let regex = RegexConfig::new()
        .max_states(MAX_STATES)
        .max_compile_time(MAX_TIME);
    let product = ProductConfig::new()
        .max_states(MAX_STATES)
        .max_compile_time(MAX_TIME);
    let mut combined: Option<ByteDfa> = None;
    for content in contents {
        let dfa = regex.build(&format!("\"(?:{content})\""))?;
        combined = Some(match combined {
            None => dfa,
            Some(previous) => product.build(&[&previous, &dfa], &[])?,
        });
    }
    if combined.is_none() && excluded.is_empty() {
        return counted(min, max);
    }
    let combined = match combined {
        Some(dfa) => dfa,
        None => regex.build(&format!("\"{CHAR_UNIT}*\""))?,
    };
    let combined = if excluded.is_empty() {
        combined
    } else {
        let excluded = excluded
            .iter()
            .map(|content| regex.build(&format!("\"(?:{content})\"")))
            .collect::<Result<Vec<_>, _>>()?;
        let excluded: Vec<&ByteDfa> = excluded.iter().collect();
        product.build(&[&combined], &excluded)?
    };
    // Bounds the contents already imply need no product. Every character
    // takes at least one byte, so at most `bytes - 2` characters (quotes).
    let max = max.filter(|&max| {
        combined
            .longest_match()
            .is_none_or(|bytes| bytes.saturating_sub(2) as u64 > max)
    });
    let empty_possible = combined.is_accepting(combined.next_bytes(combined.start(), b"\"\""));
    let min = if min == 1 && !empty_possible { 0 } else { min };
    if (min, max) == (0, None) {
        return Ok(combined);
    }
    product.build(&[&combined, &counted(min, max)?], &[])
}

/// The DFA of quoted strings of between `min` and `max` decoded characters,
/// written out by count ([`RepeatConfig`]) rather than determinized from
/// `"(?:char){min,max}"`: the same automaton, in time proportional to its
/// size.
pub fn counted(min: u64, max: Option<u64>) -> Result<ByteDfa, CompileError> {
    characters(b"\"", min, max, b"\"")
}

/// The characters one block of a [`long_string`] holds.
pub const BLOCK: u64 = 1024;

/// Quoted strings of between `min` and `max` decoded characters, as a
/// grammar expression that counts whole blocks of [`BLOCK`] characters with
/// a repetition and the rest with a table (see the module doc). A length
/// `n` is `n / BLOCK` blocks and `n % BLOCK` more characters, so the
/// alternatives below are disjoint: the block count fixed by the lower
/// bound with a remainder from the lower bound's up, the block counts
/// strictly between the bounds with any remainder, and the block count
/// fixed by the upper bound with a remainder up to the upper bound's.
/// `label` names the terminals in errors and debug output. An error is a
/// message naming the limit hit.
pub fn long_string(min: u64, max: Option<u64>, label: &str) -> Result<Expr, String> {
    let block = DfaTerminal::new(
        format!("{label} ({BLOCK} characters)"),
        characters(b"", BLOCK, Some(BLOCK), b"").map_err(|e| e.to_string())?,
    );
    let blocks = |low: u64, high: Option<u64>| -> Result<Expr, String> {
        let count = |n: u64| {
            u32::try_from(n)
                .map_err(|_| format!("{n} blocks of {BLOCK} characters is too long a string"))
        };
        if high == Some(0) {
            return Ok(Expr::Empty);
        }
        Ok(Expr::Repeat {
            inner: Box::new(Expr::Automaton(block.clone())),
            min: count(low)?,
            max: high.map(count).transpose()?,
        })
    };
    // The remainder carries the closing quote: a terminal that accepts
    // only at the string's end, so the mask walk meets no lexeme boundary
    // inside the string.
    let rest = |low: u64, high: Option<u64>| -> Result<Expr, String> {
        Ok(Expr::Automaton(DfaTerminal::new(
            format!("{label} (the last {low} to {high:?} characters)"),
            characters(b"", low, high, b"\"").map_err(|e| e.to_string())?,
        )))
    };
    let (low_blocks, low_rest) = (min / BLOCK, min % BLOCK);
    let mut alternatives = Vec::new();
    match max {
        None => alternatives.push(vec![
            blocks(low_blocks, Some(low_blocks))?,
            rest(low_rest, None)?,
        ]),
        Some(max) => {
            let (high_blocks, high_rest) = (max / BLOCK, max % BLOCK);
            if low_blocks == high_blocks {
                alternatives.push(vec![
                    blocks(low_blocks, Some(low_blocks))?,
                    rest(low_rest, Some(high_rest))?,
                ]);
            } else {
                alternatives.push(vec![
                    blocks(low_blocks, Some(low_blocks))?,
                    rest(low_rest, Some(BLOCK - 1))?,
                ]);
                if high_blocks - low_blocks >= 2 {
                    alternatives.push(vec![
                        blocks(low_blocks + 1, Some(high_blocks - 1))?,
                        rest(0, Some(BLOCK - 1))?,
                    ]);
                }
                alternatives.push(vec![
                    blocks(high_blocks, Some(high_blocks))?,
                    rest(0, Some(high_rest))?,
                ]);
            }
        }
    }
    let body = Expr::Alternation(alternatives.into_iter().map(Expr::Sequence).collect());
    Ok(Expr::Sequence(vec![Expr::Literal("\"".into()), body]))
}

/// `open`, between `min` and `max` character encodings, and `close`,
/// counted by a table.
fn characters(
    open: &[u8],
    min: u64,
    max: Option<u64>,
    close: &[u8],
) -> Result<ByteDfa, CompileError> {
    let unit = RegexConfig::new().build(CHAR_UNIT)?;
    RepeatConfig::new()
        .max_states(MAX_STATES)
        .build(open, &unit, min, max, close)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_text::encode_string;
    use crate::pattern::translate;
    use rein_core::automaton::CompileErrorKind;

    fn accepts(dfa: &ByteDfa, text: &str) -> bool {
        dfa.is_accepting(dfa.next_bytes(dfa.start(), encode_string(text).as_bytes()))
    }

    #[test]
    fn lengths_count_decoded_characters() {
        let dfa = string_dfa(&[translate("^[a-zé\n\"]+$").unwrap()], &[], 2, Some(3)).unwrap();
        for (text, accepted) in [
            ("ab", true),
            ("abc", true),
            ("a", false),
            ("abcd", false),
            ("éé", true),
            ("é\né", true),
            ("\n\"\n", true),
            ("\n\"\n\n", false),
            ("aB", false),
        ] {
            assert_eq!(accepts(&dfa, text), accepted, "{text:?}");
        }
    }

    #[test]
    fn pattern_and_format_intersect() {
        let format = match crate::formats::regex("date") {
            crate::formats::FormatRegex::Enforced(regex) => regex,
            other => panic!("{other:?}"),
        };
        let dfa = string_dfa(&[format, translate("-12-").unwrap()], &[], 0, None).unwrap();
        assert!(accepts(&dfa, "2024-12-01"));
        assert!(!accepts(&dfa, "2024-11-01"));
        assert!(!accepts(&dfa, "x-12-"));
        // A bound the format implies is dropped, a tighter one is kept.
        let format = crate::formats::regex("uuid");
        let crate::formats::FormatRegex::Enforced(uuid) = format else {
            panic!("{format:?}");
        };
        let loose = string_dfa(std::slice::from_ref(&uuid), &[], 1, Some(100)).unwrap();
        assert!(accepts(&loose, "123e4567-e89b-12d3-a456-426614174000"));
        let error = string_dfa(&[uuid], &[], 0, Some(35)).unwrap_err();
        assert_eq!(error.kind(), &CompileErrorKind::EmptyLanguage);
    }

    #[test]
    fn unanchored_patterns_with_lengths() {
        let dfa = string_dfa(&[translate("ab").unwrap()], &[], 0, Some(4)).unwrap();
        for (text, accepted) in [("ab", true), ("xaby", true), ("xxaby", false), ("a", false)] {
            assert_eq!(accepts(&dfa, text), accepted, "{text:?}");
        }
        let long = string_dfa(&[translate("^a").unwrap()], &[], 10, None).unwrap();
        assert!(accepts(&long, "a\u{1}\u{2}345678é"));
        assert!(!accepts(&long, "a12345678"));
    }
}
