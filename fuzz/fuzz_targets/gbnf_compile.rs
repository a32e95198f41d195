//! The GBNF lexer, parser and lowering to the grammar IR: any text gives a
//! grammar or a located error, never a panic, a hang or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rein_core::grammar::Grammar;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    match Grammar::from_gbnf(&source) {
        Ok(grammar) => assert!(!grammar.rules().is_empty()),
        Err(error) => {
            let location = error.location();
            assert!(location.line >= 1 && location.column >= 1);
        }
    }
});
