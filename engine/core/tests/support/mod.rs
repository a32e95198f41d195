//! Helpers shared by rein's property tests (also included by the
//! `rein-tokenizer` tests that run them on real vocabularies).

pub mod grammar_gen;
pub mod regex_gen;
pub mod walk;
