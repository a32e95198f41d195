//! The token vocabulary: what every token id means as bytes.
//!
//! A constraint speaks bytes; a model speaks token ids. The [`Vocabulary`] is
//! the bridge: for every id it stores the exact bytes the token stands for in
//! the output text, whether the token is [`TokenKind::Special`] (control
//! tokens such as `<|eot_id|>`, which no text constraint ever matches) and
//! which ids end a sequence.
//!
//! Bytes are stored in one flat buffer with offsets rather than one `Vec` per
//! token: a 262k-token vocabulary then costs two allocations, and the
//! [`TokenTrie`] built at the end of [`VocabularyBuilder::build`] is what the
//! hot path reads anyway.

use std::fmt;

use crate::trie::TokenTrie;

/// A token id as the model numbers it.
pub type TokenId = u32;

/// The longest token, in bytes, a vocabulary may hold.
///
/// Real vocabularies top out at a few hundred bytes; the limit keeps the
/// trie's depth in a `u16` and rejects corrupt inputs early.
pub const MAX_TOKEN_BYTES: usize = u16::MAX as usize;

/// What kind of token an id is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A token that stands for its bytes in the output text.
    Text,
    /// A control token (begin/end of text, chat markers, padding, unused ids).
    /// Text constraints never allow it; end-of-sequence ids are allowed only
    /// when the constraint may end.
    Special,
}

/// An error building a [`Vocabulary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VocabularyError {
    message: String,
}

impl VocabularyError {
    fn new(message: impl Into<String>) -> VocabularyError {
        VocabularyError {
            message: message.into(),
        }
    }
}

impl fmt::Display for VocabularyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for VocabularyError {}

/// Every token id's bytes and kind, the end-of-sequence ids and a token trie.
///
/// Immutable once built, and data only: the caches built over it belong
/// to the [`Engine`](crate::Engine) that shares it between constraints
/// behind an `Arc`.
#[derive(Clone)]
pub struct Vocabulary {
    bytes: Vec<u8>,
    /// `offsets[id]..offsets[id + 1]` is token `id`'s slice of `bytes`.
    offsets: Vec<u32>,
    kinds: Vec<TokenKind>,
    eos_tokens: Vec<TokenId>,
    /// The ids of special tokens, sorted.
    special_tokens: Vec<TokenId>,
    trie: TokenTrie,
}

impl Vocabulary {
    /// Starts building a vocabulary token by token.
    pub fn builder() -> VocabularyBuilder {
        VocabularyBuilder::default()
    }

    /// The number of token ids, `0..len()`.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Whether the vocabulary has no tokens (never true once built).
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// The bytes token `id` stands for, or `None` when `id` is out of range.
    ///
    /// Special tokens keep their textual name here (e.g. `<|eot_id|>`) for
    /// display; they never match text.
    pub fn token_bytes(&self, id: TokenId) -> Option<&[u8]> {
        let index = usize::try_from(id).ok()?;
        let start = *self.offsets.get(index)? as usize;
        let end = *self.offsets.get(index + 1)? as usize;
        Some(&self.bytes[start..end])
    }

    /// The kind of token `id`, or `None` when `id` is out of range.
    pub fn kind(&self, id: TokenId) -> Option<TokenKind> {
        self.kinds.get(usize::try_from(id).ok()?).copied()
    }

    /// Whether `id` is a special token (out-of-range ids count as special:
    /// no text constraint allows them).
    pub fn is_special(&self, id: TokenId) -> bool {
        self.kind(id) != Some(TokenKind::Text)
    }

    /// The ids of the special tokens, sorted.
    pub fn special_tokens(&self) -> &[TokenId] {
        &self.special_tokens
    }

    /// The ids that end a sequence, sorted.
    pub fn eos_tokens(&self) -> &[TokenId] {
        &self.eos_tokens
    }

    /// Whether `id` ends a sequence.
    pub fn is_eos(&self, id: TokenId) -> bool {
        self.eos_tokens.binary_search(&id).is_ok()
    }

    /// The trie over every text token's bytes.
    pub fn trie(&self) -> &TokenTrie {
        &self.trie
    }

    /// The concatenated bytes of `tokens`; out-of-range ids contribute nothing.
    pub fn concat_bytes(&self, tokens: &[TokenId]) -> Vec<u8> {
        let mut out = Vec::new();
        for &token in tokens {
            out.extend_from_slice(self.token_bytes(token).unwrap_or_default());
        }
        out
    }

    /// A printable rendering of token `id` for messages: its text with
    /// invalid UTF-8 shown as `\xNN` escapes, or `<id N>` when out of range.
    pub fn display_token(&self, id: TokenId) -> String {
        match self.token_bytes(id) {
            Some(bytes) => format!("{:?}", EscapedBytes(bytes)),
            None => format!("<id {id}>"),
        }
    }

    /// Bytes of heap memory held by this vocabulary and its trie.
    pub fn memory_usage(&self) -> usize {
        self.bytes.capacity()
            + self.offsets.capacity() * std::mem::size_of::<u32>()
            + self.kinds.capacity() * std::mem::size_of::<TokenKind>()
            + (self.eos_tokens.capacity() + self.special_tokens.capacity())
                * std::mem::size_of::<TokenId>()
            + self.trie.memory_usage()
    }
}

impl fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vocabulary")
            .field("len", &self.len())
            .field("eos_tokens", &self.eos_tokens)
            .field("trie_nodes", &self.trie.node_count())
            .finish()
    }
}

/// Bytes rendered as a quoted string, with invalid UTF-8 as `\xNN`.
pub struct EscapedBytes<'a>(pub &'a [u8]);

impl fmt::Debug for EscapedBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                write!(f, "{}", c.escape_debug())?;
            }
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02X}")?;
            }
        }
        f.write_str("\"")
    }
}

/// Builds a [`Vocabulary`] one token id at a time.
#[derive(Clone, Debug, Default)]
pub struct VocabularyBuilder {
    bytes: Vec<u8>,
    offsets: Vec<u32>,
    kinds: Vec<TokenKind>,
    eos_tokens: Vec<TokenId>,
    error: Option<VocabularyError>,
}

impl VocabularyBuilder {
    /// Appends the next token id with its bytes and kind, returning its id.
    ///
    /// A text token with no bytes is stored as special: it would let a model
    /// loop forever without making progress.
    pub fn push(&mut self, bytes: Vec<u8>, kind: TokenKind) -> TokenId {
        let id = self.kinds.len() as TokenId;
        if self.error.is_none() && bytes.len() > MAX_TOKEN_BYTES {
            self.error = Some(VocabularyError::new(format!(
                "token {id} is {} bytes long; the limit is {MAX_TOKEN_BYTES}",
                bytes.len()
            )));
        }
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.bytes.extend_from_slice(&bytes);
        match u32::try_from(self.bytes.len()) {
            Ok(end) => self.offsets.push(end),
            Err(_) => {
                self.offsets.push(u32::MAX);
                if self.error.is_none() {
                    self.error = Some(VocabularyError::new(
                        "the vocabulary's tokens add up to more than 4 GiB",
                    ));
                }
            }
        }
        let kind = if bytes.is_empty() {
            TokenKind::Special
        } else {
            kind
        };
        self.kinds.push(kind);
        id
    }

    /// Marks `id` as an end-of-sequence token.
    pub fn eos_token(&mut self, id: TokenId) -> &mut VocabularyBuilder {
        self.eos_tokens.push(id);
        self
    }

    /// The number of tokens pushed so far.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Whether no token has been pushed yet.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Checks the tokens and builds the vocabulary and its trie.
    ///
    /// Fails on an empty vocabulary, an end-of-sequence id out of range or
    /// a token longer than [`MAX_TOKEN_BYTES`].
    pub fn build(mut self) -> Result<Vocabulary, VocabularyError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.kinds.is_empty() {
            return Err(VocabularyError::new("the vocabulary has no tokens"));
        }
        if self.kinds.len() >= u32::MAX as usize {
            return Err(VocabularyError::new(format!(
                "the vocabulary has {} tokens; token ids must fit in 32 bits",
                self.kinds.len()
            )));
        }
        self.eos_tokens.sort_unstable();
        self.eos_tokens.dedup();
        if let Some(&bad) = self
            .eos_tokens
            .iter()
            .find(|&&id| id as usize >= self.kinds.len())
        {
            return Err(VocabularyError::new(format!(
                "end-of-sequence id {bad} is outside the vocabulary of {} tokens",
                self.kinds.len()
            )));
        }
        let offsets = &self.offsets;
        let bytes = &self.bytes;
        let text_tokens = self
            .kinds
            .iter()
            .enumerate()
            .filter(|(_, kind)| **kind == TokenKind::Text)
            .map(|(id, _)| {
                let range = offsets[id] as usize..offsets[id + 1] as usize;
                (id as TokenId, &bytes[range])
            });
        let trie = TokenTrie::new(text_tokens);
        let special_tokens = (0..self.kinds.len() as TokenId)
            .filter(|&id| self.kinds[id as usize] != TokenKind::Text)
            .collect();
        Ok(Vocabulary {
            bytes: self.bytes,
            offsets: self.offsets,
            kinds: self.kinds,
            special_tokens,
            eos_tokens: self.eos_tokens,
            trie,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_their_bytes_and_kinds() {
        let mut builder = Vocabulary::builder();
        builder.push(b"ab".to_vec(), TokenKind::Text);
        builder.push(Vec::new(), TokenKind::Text);
        let eos = builder.push(b"</s>".to_vec(), TokenKind::Special);
        builder.eos_token(eos);
        let vocab = builder.build().unwrap();
        assert_eq!(vocab.len(), 3);
        assert_eq!(vocab.token_bytes(0), Some(&b"ab"[..]));
        assert_eq!(vocab.kind(1), Some(TokenKind::Special), "empty text token");
        assert!(vocab.is_special(2));
        assert!(vocab.is_eos(2));
        assert!(vocab.is_special(99));
        assert_eq!(vocab.token_bytes(3), None);
        assert_eq!(vocab.concat_bytes(&[0, 0]), b"abab");
    }

    #[test]
    fn bad_vocabularies_are_errors() {
        assert!(Vocabulary::builder().build().is_err());
        let mut builder = Vocabulary::builder();
        builder.push(b"a".to_vec(), TokenKind::Text);
        builder.eos_token(5);
        let error = builder.build().unwrap_err().to_string();
        assert!(error.contains("end-of-sequence id 5"), "{error}");
    }

    #[test]
    fn display_escapes_invalid_utf8() {
        let mut builder = Vocabulary::builder();
        builder.push(vec![b'a', 0xE2, b'\n'], TokenKind::Text);
        let vocab = builder.build().unwrap();
        assert_eq!(vocab.display_token(0), r#""a\xE2\n""#);
        assert_eq!(vocab.display_token(7), "<id 7>");
    }
}
