//! The GGUF metadata reader and its conversion to a tokenizer description
//! must turn any byte string into a value or an error, never a panic or an
//! unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rein_tokenizer::gguf::{tokenizer_json, Metadata};

fuzz_target!(|data: &[u8]| {
    let mut input = b"GGUF".to_vec();
    input.extend_from_slice(data);
    if let Ok(metadata) = Metadata::parse(&input) {
        let _ = tokenizer_json(&metadata);
    }
});
