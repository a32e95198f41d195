//! The GBNF lexer: source text to tokens with byte spans.
//!
//! GBNF ends a rule at a newline unless a parenthesis is open or the line
//! ends in `|` or `::=`. Instead of tracking newlines, the lexer fuses a
//! rule name with the `::=` after it into one [`Token::RuleStart`]: a new
//! rule then always begins exactly there, so the parser needs no newline
//! tokens and every grammar llama.cpp accepts parses the same way. (It also
//! accepts a continuation line that starts with `|`, which llama.cpp
//! rejects.)
//!
//! Literals, character classes and regexes are decoded here, escapes
//! included, so the parser only sees finished values. A token negation
//! (`!<|name|>`, `!<[id]>`) is one token too: the `!` must touch its
//! special token, as in llama.cpp, and a `!` before anything else is an
//! error here rather than a puzzling parse error later.

use super::super::error::{GrammarError, Span};

/// A lexical token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// `name ::=`: the start of a rule definition.
    RuleStart(String),
    /// A rule name used as a reference.
    Name(String),
    /// `"..."`, decoded.
    Literal(String),
    /// `[...]` or `[^...]`, decoded.
    Class(CharClass),
    /// `.`: any character.
    AnyChar,
    /// `/.../`: a regex terminal, its source between the slashes.
    Regex(String),
    /// `<|name|>`: a special token by name (with the angle brackets' bars).
    SpecialName(String),
    /// `<[id]>`: a special token by id.
    SpecialId(u32),
    /// `!<|name|>`: any one token except the special token of that name.
    NotSpecialName(String),
    /// `!<[id]>`: any one token except the token with that id.
    NotSpecialId(u32),
    /// `|`.
    Bar,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `*`.
    Star,
    /// `+`.
    Plus,
    /// `?`.
    Question,
    /// `{m}`, `{m,}`, `{m,n}` or `{,n}`.
    Repeat(Bounds),
}

/// A character class as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharClass {
    /// Whether the class starts with `^`.
    pub negated: bool,
    /// Inclusive ranges, in source order.
    pub ranges: Vec<(char, char)>,
}

/// Repetition bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The least number of repetitions.
    pub min: u32,
    /// The most, or `None` for no bound.
    pub max: Option<u32>,
}

/// A token with its start and end byte offsets.
pub type Spanned = (usize, Token, usize);

/// The most repetitions a `{m,n}` bound may name.
pub const MAX_REPEAT: u32 = 100_000;

/// Splits `source` into tokens.
pub fn tokenize(source: &str) -> Result<Vec<Spanned>, GrammarError> {
    Lexer {
        source,
        position: 0,
    }
    .run()
}

struct Lexer<'a> {
    source: &'a str,
    position: usize,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.source[self.position..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.position += c.len_utf8();
        Some(c)
    }

    fn error(&self, start: usize, message: impl Into<String>) -> GrammarError {
        GrammarError::syntax(
            self.source,
            Span::new(start, self.position.max(start + 1)),
            message,
        )
    }

    fn skip_blanks_and_comments(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '#' {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn run(mut self) -> Result<Vec<Spanned>, GrammarError> {
        let mut tokens = Vec::new();
        loop {
            self.skip_blanks_and_comments();
            let start = self.position;
            let Some(c) = self.bump() else {
                return Ok(tokens);
            };
            let token = match c {
                '|' => Token::Bar,
                '(' => Token::Open,
                ')' => Token::Close,
                '*' => Token::Star,
                '+' => Token::Plus,
                '?' => Token::Question,
                '.' => Token::AnyChar,
                '{' => self.repeat(start)?,
                '"' => Token::Literal(self.literal(start)?),
                '[' => self.class(start)?,
                '/' => Token::Regex(self.regex(start)?),
                '<' => self.special(start)?,
                '!' => self.not_special(start)?,
                c if is_name_char(c) => {
                    while self.peek().is_some_and(is_name_char) {
                        self.bump();
                    }
                    let name = self.source[start..self.position].to_string();
                    let after_name = self.position;
                    // `name ::=`, possibly with blanks (not comments) between.
                    let rest = &self.source[self.position..];
                    let trimmed = rest.trim_start_matches([' ', '\t']);
                    if trimmed.starts_with("::=") {
                        self.position += rest.len() - trimmed.len() + 3;
                        Token::RuleStart(name)
                    } else {
                        self.position = after_name;
                        Token::Name(name)
                    }
                }
                ':' if self.source[start..].starts_with("::=") => {
                    return Err(self.error(start, "`::=` must follow a rule name"));
                }
                other => {
                    return Err(self.error(start, format!("unexpected character {other:?}")));
                }
            };
            tokens.push((start, token, self.position));
        }
    }

    fn number(&mut self) -> Option<u64> {
        let start = self.position;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        self.source[start..self.position].parse().ok()
    }

    fn repeat(&mut self, start: usize) -> Result<Token, GrammarError> {
        let bound = |lexer: &Lexer, value: Option<u64>| -> Result<Option<u32>, GrammarError> {
            match value {
                None => Ok(None),
                Some(v) if v <= u64::from(MAX_REPEAT) => Ok(Some(v as u32)),
                Some(v) => Err(lexer.error(
                    start,
                    format!("repetition bound {v} is larger than the limit of {MAX_REPEAT}"),
                )),
            }
        };
        self.skip_spaces();
        let min = self.number();
        let min = bound(self, min)?;
        self.skip_spaces();
        let (min, max) = match self.bump() {
            Some('}') => match min {
                Some(n) => (n, Some(n)),
                None => return Err(self.error(start, "empty repetition `{}`")),
            },
            Some(',') => {
                self.skip_spaces();
                let max = self.number();
                let max = bound(self, max)?;
                self.skip_spaces();
                if self.bump() != Some('}') {
                    return Err(self.error(start, "expected `}` to close the repetition"));
                }
                (min.unwrap_or(0), max)
            }
            _ => return Err(self.error(start, "expected a repetition like {2}, {2,} or {2,5}")),
        };
        if let Some(max) = max {
            if max < min {
                return Err(self.error(start, format!("repetition {{{min},{max}}} has max < min")));
            }
        }
        Ok(Token::Repeat(Bounds { min, max }))
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.bump();
        }
    }

    /// One character of a literal or class, decoding escapes.
    fn character(&mut self, literal_start: usize) -> Result<char, GrammarError> {
        let escape_start = self.position;
        match self.bump() {
            None => Err(self.error(literal_start, "unterminated literal or class")),
            Some('\\') => {
                let escaped = self
                    .bump()
                    .ok_or_else(|| self.error(escape_start, "unterminated escape"))?;
                let digits = match escaped {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    'n' => return Ok('\n'),
                    't' => return Ok('\t'),
                    'r' => return Ok('\r'),
                    '0' => return Ok('\0'),
                    '\\' | '"' | '[' | ']' | '-' | '^' | '/' | '\'' => return Ok(escaped),
                    other => {
                        return Err(self.error(escape_start, format!("bad escape `\\{other}`")))
                    }
                };
                let hex_start = self.position;
                for _ in 0..digits {
                    if !self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                        return Err(self.error(
                            escape_start,
                            format!("bad escape: `\\{escaped}` needs {digits} hex digits"),
                        ));
                    }
                    self.bump();
                }
                let code = u32::from_str_radix(&self.source[hex_start..self.position], 16)
                    .map_err(|_| self.error(escape_start, "bad hex escape"))?;
                char::from_u32(code).ok_or_else(|| {
                    self.error(
                        escape_start,
                        format!("bad escape: U+{code:X} is not a Unicode scalar value"),
                    )
                })
            }
            Some(c) => Ok(c),
        }
    }

    fn literal(&mut self, start: usize) -> Result<String, GrammarError> {
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error(start, "unterminated string literal")),
                Some('"') => {
                    self.bump();
                    return Ok(text);
                }
                Some(_) => text.push(self.character(start)?),
            }
        }
    }

    fn class(&mut self, start: usize) -> Result<Token, GrammarError> {
        let negated = self.peek() == Some('^');
        if negated {
            self.bump();
        }
        let mut ranges = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error(start, "unterminated character class")),
                Some(']') => {
                    self.bump();
                    return Ok(Token::Class(CharClass { negated, ranges }));
                }
                Some(_) => {
                    let range_start = self.position;
                    let low = self.character(start)?;
                    let rest = &self.source[self.position..];
                    let high = if rest.starts_with('-') && !rest.starts_with("-]") {
                        self.bump();
                        self.character(start)?
                    } else {
                        low
                    };
                    if high < low {
                        return Err(
                            self.error(range_start, format!("range {low:?}-{high:?} is backwards"))
                        );
                    }
                    ranges.push((low, high));
                }
            }
        }
    }

    fn regex(&mut self, start: usize) -> Result<String, GrammarError> {
        let mut pattern = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return Err(self.error(start, "unterminated regex `/.../`")),
                Some('/') => return Ok(pattern),
                Some('\\') if self.peek() == Some('/') => {
                    self.bump();
                    pattern.push('/');
                }
                Some('\\') => {
                    pattern.push('\\');
                    if let Some(c) = self.bump() {
                        pattern.push(c);
                    }
                }
                Some(c) => pattern.push(c),
            }
        }
    }

    fn special(&mut self, start: usize) -> Result<Token, GrammarError> {
        let rest = &self.source[self.position..];
        if let Some(body) = rest.strip_prefix('[') {
            let end = body
                .find("]>")
                .ok_or_else(|| self.error(start, "expected `<[id]>`"))?;
            let id = body[..end].trim().parse::<u32>().map_err(|_| {
                self.error(start, "a special token id must be a number: `<[128009]>`")
            })?;
            self.position += 1 + end + 2;
            return Ok(Token::SpecialId(id));
        }
        if let Some(body) = rest.strip_prefix('|') {
            if let Some(end) = body.find("|>") {
                let name = format!("<|{}|>", &body[..end]);
                self.position += end + 3;
                return Ok(Token::SpecialName(name));
            }
        }
        Err(self.error(start, "expected a special token `<|name|>` or `<[id]>`"))
    }

    /// `!<|name|>` or `!<[id]>`, the `!` already read at `start`.
    fn not_special(&mut self, start: usize) -> Result<Token, GrammarError> {
        if self.peek() != Some('<') {
            return Err(self.error(
                start,
                "`!` must be followed by a special token: `!<|name|>` or `!<[id]>`",
            ));
        }
        self.bump();
        match self.special(start)? {
            Token::SpecialName(name) => Ok(Token::NotSpecialName(name)),
            Token::SpecialId(id) => Ok(Token::NotSpecialId(id)),
            other => unreachable!("a special token lexes as one of two tokens, not {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Token> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|(_, t, _)| t)
            .collect()
    }

    #[test]
    fn rule_starts_fuse_name_and_arrow() {
        assert_eq!(
            kinds("root ::= a b\nb ::= \"x\""),
            vec![
                Token::RuleStart("root".into()),
                Token::Name("a".into()),
                Token::Name("b".into()),
                Token::RuleStart("b".into()),
                Token::Literal("x".into()),
            ]
        );
    }

    #[test]
    fn escapes_classes_and_repeats() {
        assert_eq!(
            kinds(r#""\x41\u00e9\n\"" [^a-c\]\U0001F600] {2,} {,3} {4}"#),
            vec![
                Token::Literal("Aé\n\"".into()),
                Token::Class(CharClass {
                    negated: true,
                    ranges: vec![('a', 'c'), (']', ']'), ('😀', '😀')]
                }),
                Token::Repeat(Bounds { min: 2, max: None }),
                Token::Repeat(Bounds {
                    min: 0,
                    max: Some(3)
                }),
                Token::Repeat(Bounds {
                    min: 4,
                    max: Some(4)
                }),
            ]
        );
    }

    #[test]
    fn regexes_and_special_tokens() {
        assert_eq!(
            kinds(r"/[a-z]+\/x/ <|eot_id|> <[128009]> # comment"),
            vec![
                Token::Regex(r"[a-z]+/x".into()),
                Token::SpecialName("<|eot_id|>".into()),
                Token::SpecialId(128009),
            ]
        );
    }

    #[test]
    fn negated_special_tokens() {
        assert_eq!(
            kinds("root ::= !<[128009]> !<|eot_id|>* <|eot_id|>"),
            vec![
                Token::RuleStart("root".into()),
                Token::NotSpecialId(128009),
                Token::NotSpecialName("<|eot_id|>".into()),
                Token::Star,
                Token::SpecialName("<|eot_id|>".into()),
            ]
        );
        let spans: Vec<(usize, usize)> = tokenize("!<[7]> !<|a|>")
            .unwrap()
            .into_iter()
            .map(|(start, _, end)| (start, end))
            .collect();
        assert_eq!(spans, vec![(0, 6), (7, 13)], "the `!` is part of the token");
    }

    #[test]
    fn a_bang_needs_a_special_token() {
        let cases = [
            (
                "root ::= !\"a\"",
                "1:10: `!` must be followed by a special token",
            ),
            (
                "root ::= \"a\"\n  ! <|x|>",
                "2:3: `!` must be followed by a special token",
            ),
            (
                "root ::= !",
                "1:10: `!` must be followed by a special token",
            ),
            (
                "root ::= !<x>",
                "1:10: expected a special token `<|name|>` or `<[id]>`",
            ),
            (
                "root ::= !<[x]>",
                "1:10: a special token id must be a number",
            ),
            ("root ::= !<[1]", "1:10: expected `<[id]>`"),
        ];
        for (source, expected) in cases {
            let error = tokenize(source).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{source:?}: {error}");
        }
    }

    #[test]
    fn errors_carry_line_and_column() {
        let error = tokenize("root ::= \"a\"\nb ::= \"\\q\"")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("2:8: bad escape `\\q`"), "{error}");
        let error = tokenize("root ::= [z-a]").unwrap_err().to_string();
        assert!(error.starts_with("1:11:"), "{error}");
        let error = tokenize("root ::= \"abc").unwrap_err().to_string();
        assert!(error.contains("unterminated"), "{error}");
        let error = tokenize("root ::= x{5,2}").unwrap_err().to_string();
        assert!(error.contains("max < min"), "{error}");
        let error = tokenize("root ::= x{999999999999}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("limit"), "{error}");
    }
}
