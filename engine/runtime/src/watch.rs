//! Watching a running request: its text as it is produced, and a way to
//! stop it.
//!
//! The processor learns a token is part of the output when the next step's
//! context contains it, so streamed text trails the model by one step; the
//! last token of a sequence, and any bytes of an incomplete UTF-8 character,
//! are sent when the sequence ends. Pieces are always whole characters
//! except at the very end (where invalid bytes become U+FFFD, as in the
//! final text), so the pieces of a sample, concatenated, are exactly its
//! [`Choice::text`](crate::Choice::text).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rein_core::{TokenId, Vocabulary};
use tokio::sync::mpsc::UnboundedSender;

/// A piece of a sample's text: the sample's index and the text.
pub type TextPiece = (usize, String);

/// What a caller of [`Runtime::generate_watched`](crate::Runtime::generate_watched)
/// can see and do while the request runs.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    /// Receives every sample's text in pieces, as it is produced.
    pub text: Option<UnboundedSender<TextPiece>>,
    /// Set it to stop the request: the running sequence ends at its next
    /// step and the request fails with
    /// [`RuntimeError::Cancelled`](crate::RuntimeError::Cancelled).
    pub cancel: Arc<AtomicBool>,
}

impl Watch {
    /// Whether the request was asked to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// One sample's stream of text pieces.
pub(crate) struct TextStream {
    sender: UnboundedSender<TextPiece>,
    sample: usize,
    vocabulary: Arc<Vocabulary>,
    state: Mutex<StreamState>,
}

#[derive(Default)]
struct StreamState {
    /// Output tokens already turned into bytes.
    sent_tokens: usize,
    /// Bytes not yet sent: the start of an incomplete character.
    pending: Vec<u8>,
}

impl TextStream {
    pub fn new(
        sender: UnboundedSender<TextPiece>,
        sample: usize,
        vocabulary: Arc<Vocabulary>,
    ) -> TextStream {
        TextStream {
            sender,
            sample,
            vocabulary,
            state: Mutex::new(StreamState::default()),
        }
    }

    /// The output is known up to `tokens` (a longer list each call, or
    /// the same one again): sends the whole characters not yet sent.
    pub fn advance(&self, tokens: &[TokenId]) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if tokens.len() <= state.sent_tokens {
            return;
        }
        let bytes = self.vocabulary.concat_bytes(&tokens[state.sent_tokens..]);
        state.sent_tokens = tokens.len();
        state.pending.extend_from_slice(&bytes);
        let complete = complete_prefix(&state.pending);
        if complete > 0 {
            let piece: Vec<u8> = state.pending.drain(..complete).collect();
            self.send(String::from_utf8_lossy(&piece).into_owned());
        }
    }

    /// The sequence ended with `tokens` as its output: sends the rest.
    pub fn finish(&self, tokens: &[TokenId]) {
        self.advance(tokens);
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if !state.pending.is_empty() {
            let rest = std::mem::take(&mut state.pending);
            self.send(String::from_utf8_lossy(&rest).into_owned());
        }
    }

    fn send(&self, piece: String) {
        // A receiver that went away only stops the stream.
        let _ = self.sender.send((self.sample, piece));
    }
}

/// The length of the longest prefix of `bytes` that holds no incomplete
/// character at its end. Invalid bytes count as complete (they become
/// U+FFFD either way); only a valid but unfinished sequence at the very end
/// is held back.
fn complete_prefix(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(error) => match error.error_len() {
            // An unfinished character at the end: hold it back.
            None => error.valid_up_to(),
            // Invalid bytes: everything up to and past them is final.
            Some(length) => {
                let after = error.valid_up_to() + length;
                after + complete_prefix(&bytes[after..])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::complete_prefix;

    #[test]
    fn holds_back_only_an_unfinished_character() {
        assert_eq!(complete_prefix(b"abc"), 3);
        let euro = "€".as_bytes();
        assert_eq!(complete_prefix(&euro[..2]), 0);
        assert_eq!(complete_prefix(&[b'a', euro[0]]), 1);
        // An invalid byte is final; the unfinished character after it is not.
        assert_eq!(complete_prefix(&[0xff, b'a', euro[0], euro[1]]), 2);
    }

    #[test]
    fn pieces_concatenate_to_the_lossy_whole() {
        let text = "a€b\u{1F600}c".as_bytes().to_vec();
        let mut bytes = text.clone();
        bytes.insert(3, 0xff);
        for cut in 0..=bytes.len() {
            let mut pending = Vec::new();
            let mut out = String::new();
            for chunk in [&bytes[..cut], &bytes[cut..]] {
                pending.extend_from_slice(chunk);
                let complete = complete_prefix(&pending);
                let piece: Vec<u8> = pending.drain(..complete).collect();
                out.push_str(&String::from_utf8_lossy(&piece));
            }
            out.push_str(&String::from_utf8_lossy(&pending));
            assert_eq!(out, String::from_utf8_lossy(&bytes), "cut at {cut}");
        }
    }
}
