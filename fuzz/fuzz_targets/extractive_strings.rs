//! The extractive string automaton: for any document, every substring cut
//! at character boundaries is accepted in canonical JSON, and a string is
//! accepted only if it decodes to a substring of the document.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(dfa) = rein_schema::extractive::quoted_substrings(text) else {
        return;
    };
    let accepts = |bytes: &[u8]| dfa.is_accepting(dfa.next_bytes(dfa.start(), bytes));
    let characters: Vec<char> = text.chars().collect();
    let start = cut as usize % (characters.len() + 1);
    for end in start..=characters.len().min(start + 8) {
        let piece: String = characters[start..end].iter().collect();
        let encoded = serde_json::to_string(&piece).unwrap();
        assert!(accepts(encoded.as_bytes()), "{encoded} from {text:?}");
    }
    // Whatever the automaton accepts from the raw input decodes to a
    // substring.
    if accepts(rest) {
        let decoded: String = serde_json::from_slice(rest).expect("accepted text is a JSON string");
        assert!(text.contains(&decoded), "{decoded:?} is not in {text:?}");
    }
});
