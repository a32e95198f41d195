//! The GBNF lexer, parser, lowering to the grammar IR and flattening to
//! productions, then a short token walk: any text gives a grammar or a
//! located error, never a panic, a hang or a stack overflow, and a compiled
//! grammar's mask is exactly the set of tokens it can commit.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use rein_core::grammar::Grammar;
use rein_core::{Engine, TokenMask};

mod common;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let extra: [&[u8]; 6] = [b"ab", b"a b", b"\": ", b"{\"", b"12", "é".as_bytes()];
    ENGINE.get_or_init(|| Engine::new(Arc::new(common::byte_vocabulary("<|eot_id|>", &extra))))
}

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let grammar = match Grammar::from_gbnf(&source) {
        Ok(grammar) => grammar,
        Err(error) => {
            // A GBNF error always points into the source.
            let location = error.location().expect("a source location");
            assert!(location.line >= 1 && location.column >= 1);
            return;
        }
    };
    let Ok(constraint) = engine().from_grammar(&grammar, "fuzz") else {
        return;
    };
    let mut matcher = constraint.matcher();
    let mut mask = TokenMask::new(constraint.vocabulary().len());
    for step in 0..8usize {
        matcher.fill_mask(&mut mask).unwrap();
        let allowed: Vec<u32> = mask.iter().collect();
        assert!(!allowed.is_empty(), "an empty mask");
        // The lexer-walk mask is exactly what the byte-level recognizer
        // can scan.
        for id in 0..constraint.vocabulary().len() as u32 {
            assert_eq!(mask.contains(id), matcher.is_allowed(id), "token {id}");
        }
        let token = allowed[(step * 7919 + data.len()) % allowed.len()];
        matcher.commit(token).expect("an allowed token commits");
        if matcher.is_finished() {
            break;
        }
    }
});
