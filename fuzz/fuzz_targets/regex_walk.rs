//! Regex and label-set compilation plus random token walks.
//!
//! Input layout: byte 0 picks regex or labels and the pattern length, the
//! pattern follows, and every remaining byte is one walk action (fill the
//! mask and commit an allowed token, commit an arbitrary token, roll back,
//! ask for the forced continuation). Invariants checked: compiling never
//! panics; an allowed token always commits and never leads to a dead end;
//! a refused commit leaves the state unchanged; when the output may end,
//! the end-of-sequence token is allowed.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use rein_core::{Engine, RegexConfig, TokenMask};

mod common;

/// The engine over the target's vocabulary, its regexes compiled within
/// small limits so a hard pattern fails fast.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let extra: [&[u8]; 12] = [
        b"ab",
        b"abc",
        b"a-",
        b"12",
        b"2026",
        b" the",
        b"\"}",
        "é".as_bytes(),
        "é!".as_bytes(),
        "日本".as_bytes(),
        "😀".as_bytes(),
        &[0xC3], // half of "é"
    ];
    ENGINE.get_or_init(|| {
        let config = RegexConfig::new()
            .max_dfa_bytes(1 << 20)
            .max_nfa_bytes(1 << 20)
            .max_states(5_000)
            .max_compile_time(Duration::from_secs(1));
        Engine::builder()
            .regex_config(config)
            .build(Arc::new(common::byte_vocabulary("</s>", &extra)))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&header, rest)) = data.split_first() else {
        return;
    };
    let length = (header & 0x7F) as usize;
    let (pattern, actions) = rest.split_at(length.min(rest.len()));
    let pattern = String::from_utf8_lossy(pattern);
    let engine = engine();
    let vocabulary = engine.vocabulary();
    let constraint = if header & 0x80 == 0 {
        engine.regex(&pattern)
    } else {
        let labels: Vec<&str> = pattern.split('|').collect();
        engine.choice(&labels)
    };
    let Ok(constraint) = constraint else {
        return;
    };
    let mut matcher = constraint.matcher();
    let mut mask = TokenMask::new(vocabulary.len() + 3);
    for &action in actions {
        match action % 4 {
            0 | 1 => {
                matcher.fill_mask(&mut mask).unwrap();
                if matcher.can_end() {
                    assert!(mask.contains(0), "may end but eos is not allowed");
                }
                let allowed: Vec<u32> = mask.iter().collect();
                if allowed.is_empty() {
                    panic!("an empty mask: the matcher reached a dead end");
                }
                let token = allowed[(action as usize / 4) % allowed.len()];
                matcher.commit(token).expect("an allowed token commits");
                if !matcher.is_finished() {
                    assert!(
                        matcher.shortest_completion().is_some(),
                        "token {token} led to a dead end"
                    );
                }
            }
            2 => {
                let token = u32::from(action / 4) * 5;
                let before = matcher.committed();
                let allowed = matcher.is_allowed(token);
                let committed = matcher.commit(token).is_ok();
                assert_eq!(allowed, committed);
                if !committed {
                    assert_eq!(matcher.committed(), before);
                }
            }
            _ => {
                let back = (action as usize / 4) % 3;
                if matcher.rollback(back).is_err() {
                    assert!(back > matcher.committed());
                }
                let forced = matcher.forced();
                let bytes = vocabulary.concat_bytes(&forced.tokens);
                assert!(forced.bytes.starts_with(&bytes));
            }
        }
    }
});
