//! # rein-tokenizer: vocabularies from real tokenizer files
//!
//! `rein-core` works on a [`Vocabulary`](rein_core::Vocabulary): the exact
//! bytes of every token id. This crate builds one from what users have:
//!
//! * a Hugging Face `tokenizer.json` ([`hf`]): byte-level BPE with the GPT-2
//!   byte alphabet (Llama 3, Qwen) or SentencePiece with `▁` for spaces and
//!   `<0xNN>` byte fallback (Gemma);
//! * a GGUF model file ([`gguf`]), whose `tokenizer.ggml.*` metadata carries
//!   the vocabulary, so a GGUF model needs no separate `tokenizer.json`.
//!
//! Either way the result is a [`Tokenizer`]: the vocabulary plus an *exact*
//! encoder, whose tokens' bytes concatenate back to the input text. The
//! encoder drops the steps of a tokenizer pipeline that rewrite text (Unicode
//! normalization, dummy-prefix spaces) and treats special-token names in the
//! text as plain text; that is what checking a text against a constraint
//! token by token needs.
//!
//! How bytes are decoded from token strings is in [`byte_scheme`]; which ids
//! end a sequence is found as described in [`eos`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod byte_scheme;
pub mod eos;
mod error;
pub mod gguf;
pub mod hf;
mod tokenizer;

pub use error::{EncodeError, LoadError};
pub use tokenizer::Tokenizer;
