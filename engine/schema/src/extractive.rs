//! Extractive strings: values copied verbatim from a document.
//!
//! With [`Options::extractive`](crate::Options::extractive) set, every string
//! value whose schema has no `enum`, `const`, `pattern` or `format` must be a
//! copy of a run of consecutive characters of the document: the model may
//! choose where a value starts and ends, never invent its text. Precisely:
//!
//! * the value, JSON-decoded, is a substring of the document (the empty
//!   string included), cut at character boundaries;
//! * it is written in rein's canonical JSON encoding — `"`, `\` and control
//!   characters escaped (`\n`, `\t`, `\u0001`), everything else, non-ASCII
//!   included, as its UTF-8 bytes — so each character has one spelling and a
//!   copy can never start inside an escape;
//! * `minLength` and `maxLength` still hold (in characters), as do `not`
//!   exclusions; strings with a `pattern` or `format` follow those instead,
//!   and `enum`/`const` values are what they list.
//!
//! The automaton is a suffix automaton of the document's characters
//! ([`ByteDfa::substrings`]), linear in the document, between quotes.

use rein_core::automaton::{CompileError, ProductConfig};
use rein_core::ByteDfa;

use crate::json_text::encode_string;

/// The most characters of a document extractive strings may copy from.
pub const MAX_DOCUMENT_CHARS: usize = 1 << 20;

/// The DFA of quoted JSON strings whose decoded value is a substring of
/// `document`.
pub fn quoted_substrings(document: &str) -> Result<ByteDfa, CompileError> {
    let units: Vec<String> = document
        .chars()
        .map(|c| {
            let quoted = encode_string(c.encode_utf8(&mut [0; 4]));
            quoted[1..quoted.len() - 1].to_string()
        })
        .collect();
    let body = ByteDfa::substrings(&units, MAX_DOCUMENT_CHARS)?;
    let quote = ByteDfa::labels(&["\""])?;
    ProductConfig::new().sequence(&[&quote, &body, &quote])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(dfa: &ByteDfa, text: &str) -> bool {
        dfa.is_accepting(dfa.next_bytes(dfa.start(), text.as_bytes()))
    }

    #[test]
    fn copies_of_the_document_in_canonical_json() {
        let dfa = quoted_substrings("Zoë said \"hi\"\nthen left.").unwrap();
        for value in ["", "Zoë", "said \"hi\"", "\"hi\"\nthen", "left."] {
            let encoded = serde_json::to_string(value).unwrap();
            assert!(accepts(&dfa, &encoded), "{encoded}");
        }
        for encoded in [
            "\"Zoe\"",
            "\"nthen\"",
            "\"hi\\\"\\t\"",
            "\"Zo\\u00eb\"",
            "Zoë",
            "\"said\" ",
        ] {
            assert!(!accepts(&dfa, encoded), "{encoded}");
        }
        assert!(accepts(&dfa, "\"hi\\\"\\nthen\""));
    }
}
