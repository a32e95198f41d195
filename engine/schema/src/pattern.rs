//! `pattern`: an ECMA-262 regex, searched (not anchored) in the *decoded*
//! string, translated into an anchored regex over the *encoded* string.
//!
//! The ECMA text is first rewritten into Rust syntax where the two differ
//! (`\d \w \s` are ASCII-only or ECMA-specific, `.` excludes line
//! terminators, `\/` is an escaped slash), then parsed with `regex-syntax`;
//! every character class in the tree is replaced by the canonical
//! encodings of its characters ([`encode_class`]). `^` and `$` at the
//! start and end of a top-level alternative are dropped with the `.*` they
//! rule out; anywhere else they are rewritten away by [`anchors`].
//! Lookaround, backreferences and word boundaries are refused rather than
//! approximated.

mod anchors;

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look};

use crate::json_text::{encode_class, CHAR_UNIT};

/// ECMA-262 `\s`: white space and line terminators.
const ECMA_SPACE: &str = r"\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// Translates `pattern` into a regex over the canonical encoding of the
/// string's contents (without the quotes); the message says why not.
pub fn translate(pattern: &str) -> Result<String, String> {
    let rust = rewrite(pattern)?;
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(true)
        .utf8(true)
        .nest_limit(100)
        .build()
        .parse(&rust)
        .map_err(|error| format!("cannot translate pattern {pattern:?}: {error}"))?;
    let alternatives = match hir.kind() {
        HirKind::Alternation(items) => items.clone(),
        _ => vec![hir.clone()],
    };
    if alternatives.iter().any(has_inner_anchor) {
        let any = regex_syntax::parse(CHAR_UNIT)
            .map_err(|error| format!("cannot translate pattern {pattern:?}: {error}"))?;
        let encode = |piece: &Hir| encode(piece, pattern);
        let search = anchors::contexts(&hir, &encode, pattern)?.search(&any);
        return Ok(format!("(?:{search})"));
    }
    let mut out = Vec::new();
    for alternative in alternatives {
        let mut items = match alternative.kind() {
            HirKind::Concat(items) => items.clone(),
            _ => vec![alternative.clone()],
        };
        let anchored_start = matches!(
            items.first().map(Hir::kind),
            Some(HirKind::Look(Look::Start))
        );
        if anchored_start {
            items.remove(0);
        }
        let anchored_end = matches!(items.last().map(Hir::kind), Some(HirKind::Look(Look::End)));
        if anchored_end {
            items.pop();
        }
        let mut encoded = String::new();
        if !anchored_start {
            encoded.push_str(&format!("{CHAR_UNIT}*"));
        }
        for item in &items {
            encoded.push_str(&format!("(?:{})", encode(item, pattern)?));
        }
        if !anchored_end {
            encoded.push_str(&format!("{CHAR_UNIT}*"));
        }
        out.push(format!("(?:{encoded})"));
    }
    Ok(format!("(?:{})", out.join("|")))
}

/// Whether `alternative` has an anchor (or any other look) that is not
/// its leading `^` or trailing `$`.
fn has_inner_anchor(alternative: &Hir) -> bool {
    let items = match alternative.kind() {
        HirKind::Concat(items) => items.as_slice(),
        _ => std::slice::from_ref(alternative),
    };
    let mut inner = items;
    if let [first, rest @ ..] = inner {
        if matches!(first.kind(), HirKind::Look(Look::Start)) {
            inner = rest;
        }
    }
    if let [rest @ .., last] = inner {
        if matches!(last.kind(), HirKind::Look(Look::End)) {
            inner = rest;
        }
    }
    inner
        .iter()
        .any(|item| !item.properties().look_set().is_empty())
}

/// The encoded form of one piece of the decoded pattern.
fn encode(hir: &Hir, pattern: &str) -> Result<Hir, String> {
    Ok(match hir.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(literal) => {
            let text = std::str::from_utf8(&literal.0)
                .map_err(|_| format!("pattern {pattern:?} matches bytes, not text"))?;
            Hir::concat(
                text.chars()
                    .map(|c| encode_class(&ClassUnicode::new([ClassUnicodeRange::new(c, c)])))
                    .collect(),
            )
        }
        HirKind::Class(Class::Unicode(class)) => encode_class(class),
        HirKind::Class(Class::Bytes(_)) => {
            return Err(format!("pattern {pattern:?} matches bytes, not text"))
        }
        HirKind::Look(_) => {
            return Err(format!(
                "pattern {pattern:?}: word boundaries and multi-line anchors are not supported"
            ))
        }
        HirKind::Repetition(repetition) => {
            let mut repetition = repetition.clone();
            repetition.sub = Box::new(anchors::grouped(encode(&repetition.sub, pattern)?));
            Hir::repetition(repetition)
        }
        HirKind::Capture(capture) => encode(&capture.sub, pattern)?,
        HirKind::Concat(items) => Hir::concat(
            items
                .iter()
                .map(|item| encode(item, pattern))
                .collect::<Result<_, _>>()?,
        ),
        HirKind::Alternation(items) => Hir::alternation(
            items
                .iter()
                .map(|item| encode(item, pattern))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// ECMA-262 syntax → Rust syntax for the constructs whose meaning differs.
fn rewrite(pattern: &str) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    return Err(format!("pattern {pattern:?} ends with a lone backslash"));
                };
                let (inside, outside) = match next {
                    'd' => ("0-9".to_string(), "[0-9]".to_string()),
                    'w' => ("A-Za-z0-9_".to_string(), "[A-Za-z0-9_]".to_string()),
                    's' => (ECMA_SPACE.to_string(), format!("[{ECMA_SPACE}]")),
                    'D' | 'W' | 'S' if in_class => {
                        return Err(format!(
                            "pattern {pattern:?}: negated class escapes inside brackets are not \
                             supported"
                        ))
                    }
                    'D' => (String::new(), "[^0-9]".to_string()),
                    'W' => (String::new(), "[^A-Za-z0-9_]".to_string()),
                    'S' => (String::new(), format!("[^{ECMA_SPACE}]")),
                    'b' if in_class => (r"\x08".to_string(), String::new()),
                    'b' | 'B' => {
                        return Err(format!(
                            "pattern {pattern:?}: word boundaries are not supported"
                        ))
                    }
                    '1'..='9' => {
                        return Err(format!(
                            "pattern {pattern:?}: backreferences are not supported"
                        ))
                    }
                    '0' => (r"\x00".to_string(), r"\x00".to_string()),
                    'c' => {
                        return Err(format!(
                            "pattern {pattern:?}: control escapes are not supported"
                        ))
                    }
                    '/' => ("/".to_string(), "/".to_string()),
                    'u' if chars.peek() == Some(&'{') => ("\\u".to_string(), "\\u".to_string()),
                    other => (format!("\\{other}"), format!("\\{other}")),
                };
                out.push_str(if in_class { &inside } else { &outside });
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    return Err(format!(
                        "pattern {pattern:?}: `[]` and `[^]` are not supported"
                    ));
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            '(' if !in_class && chars.peek() == Some(&'?') => {
                let mut ahead = chars.clone();
                ahead.next();
                match ahead.next() {
                    Some(':') => out.push('('),
                    _ => {
                        return Err(format!(
                            "pattern {pattern:?}: lookaround and named groups are not supported"
                        ))
                    }
                }
            }
            '&' | '~' | '-' if in_class && chars.peek() == Some(&c) => {
                // Rust reads `&&`, `~~` and `--` in classes as set operations.
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_text::encode_string;
    use rein_core::ByteDfa;

    fn accepts(pattern: &str, text: &str) -> bool {
        let regex = format!("\"{}\"", translate(pattern).unwrap());
        let dfa = match ByteDfa::regex(&regex) {
            Ok(dfa) => dfa,
            // A pattern that matches nothing.
            Err(error)
                if error.kind() == &rein_core::automaton::CompileErrorKind::EmptyLanguage =>
            {
                return false
            }
            Err(error) => panic!("{pattern}: {error}"),
        };
        dfa.is_accepting(dfa.next_bytes(dfa.start(), encode_string(text).as_bytes()))
    }

    #[test]
    fn search_semantics_and_anchors() {
        assert!(accepts("ab", "xxabyy"));
        assert!(!accepts("ab", "xxayy"));
        assert!(accepts("^ab", "aby"));
        assert!(!accepts("^ab", "xab"));
        assert!(accepts("^a+$", "aaa"));
        assert!(!accepts("^a+$", "aab"));
        assert!(accepts("^\\d{3}$", "123"));
        assert!(!accepts("^\\d{3}$", "١٢٣"));
        assert!(accepts("^a.c$", "a\"c"));
        assert!(!accepts("^a.c$", "a\nc"));
        assert!(accepts("^[\\w-]+$", "a-b_c"));
        assert!(accepts("^\\/x$", "/x"));
        assert!(accepts("^[^a]$", "\n"));
        assert!(accepts("^a:([a-z]+)?:b$", "a::b"));
        assert!(accepts("^a:([a-z]+)?:b$", "a:xy:b"));
        assert!(accepts("^(?:x{2})*$", "xxxx"));
        assert!(!accepts("^(?:x{2})*$", "xxx"));
    }

    #[test]
    fn anchors_inside_the_pattern() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("^$|(^a+$)", &["", "a", "aaa"], &["b", "ab", "a "]),
            ("^in$|^out$", &["in", "out"], &["inn", "xout", ""]),
            ("^([^,]|$)", &["", "x", "xy,"], &[",", ",x"]),
            ("a^b", &[], &["", "ab", "a^b"]),
            ("/^[0-9]{4}$/", &[], &["2024", "/2024/"]),
            ("(^x|y$)z", &["xz", "xzq"], &["yz", "qxz", "z"]),
            ("x(^|-)y", &["x-y", "ax-yb"], &["xy"]),
            (
                "^(a($|/))*$",
                &["", "a", "a/a/", "a/a"],
                &["aa", "a//", "/"],
            ),
            ("^$[a-z]*$", &[""], &["a"]),
            (
                "(?:^a|b)+$",
                &["a", "ab", "bb", "xbb", "abab", "xab"],
                &["aa", "xa", "ba"],
            ),
        ];
        for (pattern, accepted, rejected) in cases {
            for text in *accepted {
                assert!(accepts(pattern, text), "{pattern} should accept {text:?}");
            }
            for text in *rejected {
                assert!(!accepts(pattern, text), "{pattern} should reject {text:?}");
            }
        }
    }

    /// Patterns built from anchors, groups, alternations and repetitions
    /// over `a` and `b`, judged on strings of `a`, `b` and `-` against the
    /// `jsonschema` crate's own `pattern` check.
    mod anchor_properties {
        use super::accepts;
        use proptest::prelude::*;

        fn piece() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                Just("a".to_string()),
                Just("b".to_string()),
                Just("[ab]".to_string()),
                Just("^".to_string()),
                Just("$".to_string()),
            ];
            leaf.prop_recursive(4, 24, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 1..4).prop_map(|items| items.concat()),
                    prop::collection::vec(inner.clone(), 2..4)
                        .prop_map(|items| format!("(?:{})", items.join("|"))),
                    (inner, 0..4usize).prop_map(|(item, kind)| {
                        let op = ["*", "+", "?", "{2,3}"][kind];
                        format!("(?:{item}){op}")
                    }),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn verdicts_match_the_checker(pattern in piece(), texts in prop::collection::vec("[ab-]{0,5}", 8)) {
                let schema = serde_json::json!({"type": "string", "pattern": pattern});
                // The checker refuses some quantified anchors, `(?:$)?`;
                // so does a schema compile, which checks the schema first.
                let checker = jsonschema::validator_for(&schema);
                prop_assume!(checker.is_ok());
                let checker = checker.unwrap();
                for text in texts {
                    let expected = checker.is_valid(&serde_json::json!(text));
                    prop_assert_eq!(accepts(&pattern, &text), expected, "{} on {:?}", pattern, text);
                }
            }
        }
    }

    #[test]
    fn unsupported_constructs_are_refused() {
        for pattern in ["(?=a)", "(a)\\1", "\\bword", "(?<name>x)", "(?m)^a"] {
            assert!(translate(pattern).is_err(), "{pattern}");
        }
    }
}
