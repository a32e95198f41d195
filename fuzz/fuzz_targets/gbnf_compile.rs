//! The GBNF lexer, parser, lowering to the grammar IR and flattening to
//! productions, then a short token walk: any text gives a grammar or a
//! located error, never a panic, a hang or a stack overflow, and a compiled
//! grammar never offers a token it then refuses.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use rein_core::grammar::Grammar;
use rein_core::{Constraint, TokenKind, TokenMask, Vocabulary};

fn vocabulary() -> Arc<Vocabulary> {
    static VOCABULARY: OnceLock<Arc<Vocabulary>> = OnceLock::new();
    VOCABULARY
        .get_or_init(|| {
            let mut builder = Vocabulary::builder();
            let eos = builder.push(b"<|eot_id|>".to_vec(), TokenKind::Special);
            builder.eos_token(eos);
            for byte in 0..=255u8 {
                builder.push(vec![byte], TokenKind::Text);
            }
            for text in ["ab", "a b", "\": ", "{\"", "12", "é"] {
                builder.push(text.as_bytes().to_vec(), TokenKind::Text);
            }
            Arc::new(builder.build().unwrap())
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let grammar = match Grammar::from_gbnf(&source) {
        Ok(grammar) => grammar,
        Err(error) => {
            let location = error.location();
            assert!(location.line >= 1 && location.column >= 1);
            return;
        }
    };
    let Ok(constraint) = Constraint::from_grammar(vocabulary(), &grammar, "fuzz") else {
        return;
    };
    let mut matcher = constraint.matcher();
    let mut mask = TokenMask::new(constraint.vocabulary().len());
    for step in 0..8usize {
        matcher.fill_mask(&mut mask).unwrap();
        let allowed: Vec<u32> = mask.iter().collect();
        assert!(!allowed.is_empty(), "an empty mask");
        let token = allowed[(step * 7919 + data.len()) % allowed.len()];
        matcher.commit(token).expect("an allowed token commits");
        if matcher.is_finished() {
            break;
        }
    }
});
