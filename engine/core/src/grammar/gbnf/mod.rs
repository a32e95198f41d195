//! GBNF, llama.cpp's grammar format, plus regex terminals and special tokens.
//!
//! ```text
//! root   ::= answer ("\n" answer)*       # rules, alternation, grouping
//! answer ::= [A-Z] [a-z]{1,12} | /\d+/   # classes, bounded repeats, regexes
//! end    ::= <|eot_id|> | <[128009]>     # special tokens by name or id
//! think  ::= !<|end_think|>* <|end_think|>  # any token but one, by name or id
//! ```
//!
//! A special token (`<|name|>`, `<[id]>`) matches exactly that token, never
//! the text of its name. A token negation (`!<|name|>`, `!<[id]>`, the `!`
//! touching the `<`) matches exactly one whole token — text or special —
//! other than the named one: it is matched once per token, never byte by
//! byte, so it cannot start or end inside a token. It never matches an
//! end-of-sequence token; whether the output may end is the grammar's
//! `root` to say, not a negation's. `!<|name|>` needs the vocabulary to have
//! a special token of that name (like `<|name|>`); `!<[id]>` may name any
//! id of the vocabulary, text tokens included.
//!
//! Lexing is hand-written ([`lexer`]); the structure is a `lalrpop` grammar
//! (`parser.lalrpop`, generated at build time and fenced off in a private
//! module). The result is an [`ast::Grammar`] with spans; `lower` resolves
//! names and checks the rules into the grammar IR (`grammar::ir`).

pub mod ast;
pub mod lexer;
mod lower;

pub(in crate::grammar) use lower::lower;

use lalrpop_util::ParseError;

use super::error::{GrammarError, Span};
use lexer::Token;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_qualifications, missing_docs)]
    parser,
    "/grammar/gbnf/parser.rs"
);

/// The most bytes of grammar source accepted (4 MiB).
pub const MAX_SOURCE_BYTES: usize = 4 << 20;

/// The deepest nesting of parentheses accepted.
pub const MAX_NESTING: usize = 200;

/// The most repetition operators in a row (`"a"*+?` is three).
pub const MAX_POSTFIX_RUN: usize = 8;

/// Parses GBNF source into a syntax tree.
pub fn parse(source: &str) -> Result<ast::Grammar, GrammarError> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(GrammarError::new(
            super::error::GrammarErrorKind::Limit,
            source,
            Span::new(0, 0),
            format!(
                "the grammar is {} bytes long; at most {MAX_SOURCE_BYTES} are accepted",
                source.len()
            ),
        ));
    }
    let tokens = lexer::tokenize(source)?;
    check_nesting(source, &tokens)?;
    if !tokens
        .iter()
        .any(|(_, token, _)| matches!(token, Token::RuleStart(_)))
    {
        return Err(GrammarError::syntax(
            source,
            Span::new(0, 0),
            "the grammar has no rules (expected `name ::= ...`)",
        ));
    }
    let end = source.len();
    parser::GrammarParser::new()
        .parse(tokens.into_iter().map(Ok::<_, ()>))
        .map_err(|error| parse_error(source, end, error))
}

/// Checks nesting before the LR parser sees the tokens: parentheses no
/// deeper than [`MAX_NESTING`] and none left unclosed (reported where it
/// opens, more useful than the end of the file), and at most
/// [`MAX_POSTFIX_RUN`] repetition operators in a row. Together these bound
/// the depth of the syntax tree, so no later recursive pass can overflow
/// the stack.
fn check_nesting(source: &str, tokens: &[lexer::Spanned]) -> Result<(), GrammarError> {
    let mut open: Vec<Span> = Vec::new();
    let mut postfix_run = 0usize;
    for (start, token, end) in tokens {
        if matches!(
            token,
            Token::Star | Token::Plus | Token::Question | Token::Repeat(_)
        ) {
            postfix_run += 1;
            if postfix_run > MAX_POSTFIX_RUN {
                return Err(GrammarError::new(
                    super::error::GrammarErrorKind::Limit,
                    source,
                    Span::new(*start, *end),
                    format!("more than {MAX_POSTFIX_RUN} repetition operators in a row"),
                ));
            }
        } else {
            postfix_run = 0;
        }
        match token {
            Token::Open => {
                open.push(Span::new(*start, *end));
                if open.len() > MAX_NESTING {
                    return Err(GrammarError::new(
                        super::error::GrammarErrorKind::Limit,
                        source,
                        Span::new(*start, *end),
                        format!("parentheses nest deeper than {MAX_NESTING}"),
                    ));
                }
            }
            Token::Close => {
                open.pop();
            }
            // A new rule cannot start inside parentheses.
            Token::RuleStart(_) => {
                if let Some(span) = open.pop() {
                    return Err(GrammarError::syntax(source, span, "unclosed `(`"));
                }
            }
            _ => {}
        }
    }
    match open.pop() {
        Some(span) => Err(GrammarError::syntax(source, span, "unclosed `(`")),
        None => Ok(()),
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::RuleStart(name) => format!("a new rule `{name} ::=`"),
        Token::Name(name) => format!("rule name `{name}`"),
        Token::Literal(text) => format!("literal {text:?}"),
        Token::Class(_) => "a character class".into(),
        Token::AnyChar => "`.`".into(),
        Token::Regex(pattern) => format!("regex /{pattern}/"),
        Token::SpecialName(name) => format!("special token {name}"),
        Token::SpecialId(id) => format!("special token <[{id}]>"),
        Token::NotSpecialName(name) => format!("token negation !{name}"),
        Token::NotSpecialId(id) => format!("token negation !<[{id}]>"),
        Token::Bar => "`|`".into(),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
        Token::Star => "`*`".into(),
        Token::Plus => "`+`".into(),
        Token::Question => "`?`".into(),
        Token::Repeat(_) => "a repetition `{m,n}`".into(),
    }
}

fn parse_error(source: &str, end: usize, error: ParseError<usize, Token, ()>) -> GrammarError {
    let (span, message) = match error {
        ParseError::UnrecognizedToken {
            token: (start, token, stop),
            expected,
        } => {
            let message = match &token {
                Token::Star | Token::Plus | Token::Question | Token::Repeat(_) => {
                    format!("{} has nothing to repeat", describe(&token))
                }
                Token::Close => "unmatched `)`".to_string(),
                _ if expected.iter().any(|e| e == "\")\"") => {
                    format!("expected `)` before {}", describe(&token))
                }
                _ => format!("unexpected {}", describe(&token)),
            };
            (Span::new(start, stop), message)
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let message = if expected.iter().any(|e| e == "\")\"") {
                "unclosed `(` at the end of the grammar".to_string()
            } else {
                "the grammar ends unexpectedly".to_string()
            };
            (Span::new(location.min(end), end), message)
        }
        ParseError::ExtraToken {
            token: (start, token, stop),
        } => (
            Span::new(start, stop),
            format!("unexpected {}", describe(&token)),
        ),
        ParseError::InvalidToken { location } => (
            Span::new(location, location + 1),
            "invalid token".to_string(),
        ),
        ParseError::User { .. } => (Span::new(0, 0), "invalid grammar".to_string()),
    };
    GrammarError::syntax(source, span, message)
}

#[cfg(test)]
mod tests {
    use super::ast::Expression;
    use super::*;

    #[test]
    fn rules_alternatives_and_repeats() {
        let grammar = parse("root ::= a | \"b\"+ (c d)?\na ::= [x-z]{2,3}\n").unwrap();
        assert_eq!(grammar.rules.len(), 2);
        let Expression::Alternation(alternatives) = &grammar.rules[0].body else {
            panic!("{:?}", grammar.rules[0].body);
        };
        assert_eq!(alternatives.len(), 2);
        assert!(matches!(&alternatives[1], Expression::Sequence(items) if items.len() == 2));
    }

    #[test]
    fn empty_alternatives_and_continuation_lines() {
        let grammar = parse("ws ::= | \" \" ws\nroot ::= \"a\"\n     | \"b\"").unwrap();
        let Expression::Alternation(alternatives) = &grammar.rules[0].body else {
            panic!()
        };
        assert_eq!(alternatives[0], Expression::Sequence(vec![]));
        assert!(matches!(&grammar.rules[1].body, Expression::Alternation(a) if a.len() == 2));
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let cases = [
            ("root ::= (\"a\"", "1:10: unclosed `(`"),
            ("root ::= (\"a\"\nb ::= \"c\"", "1:10: unclosed `(`"),
            ("root ::= \"a\" )", "1:14: unmatched `)`"),
            ("root ::= * \"a\"", "1:10: `*` has nothing to repeat"),
            ("\"a\"", "1:1: the grammar has no rules"),
        ];
        for (source, expected) in cases {
            let error = parse(source).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{source:?}: {error}");
        }
    }

    #[test]
    fn token_negations() {
        let grammar =
            parse("root ::= \"<think>\" !<|end_think|>* <|end_think|> !<[128009]>").unwrap();
        let Expression::Sequence(items) = &grammar.rules[0].body else {
            panic!("{:?}", grammar.rules[0].body);
        };
        assert_eq!(
            items[1],
            Expression::Repeat {
                inner: Box::new(Expression::NotSpecialName("<|end_think|>".into())),
                min: 0,
                max: None,
            }
        );
        assert_eq!(items[2], Expression::SpecialName("<|end_think|>".into()));
        assert_eq!(items[3], Expression::NotSpecialId(128009));
        let error = parse("root ::= \"a\"\nb ::= (!x)").unwrap_err().to_string();
        assert!(
            error.starts_with("2:8: `!` must be followed by a special token"),
            "{error}"
        );
        let error = parse("!<[5]>\nroot ::= \"a\"").unwrap_err().to_string();
        assert!(
            error.starts_with("1:1: unexpected token negation !<[5]>"),
            "{error}"
        );
    }

    #[test]
    fn deep_nesting_is_a_limit_not_a_crash() {
        let source = format!("root ::= {}\"a\"{}", "(".repeat(5000), ")".repeat(5000));
        let error = parse(&source).unwrap_err().to_string();
        assert!(error.contains("nest deeper"), "{error}");
        let ok = format!("root ::= {}\"a\"{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&ok).is_ok());
        let error = parse(&format!("root ::= \"a\"{}", "*".repeat(100_000))).unwrap_err();
        assert!(error.to_string().contains("in a row"), "{error}");
        assert!(parse("root ::= \"a\"*+?").is_ok());
    }
}
