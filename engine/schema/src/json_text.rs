//! JSON text as rein writes it: the canonical encoding of strings, as
//! regexes over encoded bytes, and a serializer that writes documents the
//! way Python's `json.dumps(ensure_ascii=False)` does.
//!
//! rein constrains the *encoded* string, but schemas speak about the
//! *decoded* one. Allowing every escape (`\u0041` for `A`) would make every
//! character class a large alternation, so generated strings use one
//! canonical encoding per character — the one Python and most serializers
//! use: characters as themselves, `\"` and `\\`, `\b\f\n\r\t`, and
//! `\u00XX` for the other control characters. Every generated string is
//! valid JSON; strings spelled with other escapes are rejected, which can
//! only cost a rejected valid document, never an accepted invalid one.

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir};
use serde_json::Value;

/// One character of a JSON string in the canonical encoding, as a regex.
pub const CHAR_UNIT: &str = r#"(?:[^"\\\x00-\x1F]|\\["\\bfnrt]|\\u00[01][0-9a-fA-F])"#;

/// The canonical spelling of `c` inside a JSON string.
pub fn encode_char(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

/// `text` as a JSON string literal, quotes included.
pub fn encode_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        encode_char(c, &mut out);
    }
    out.push('"');
    out
}

/// A regex (as a syntax tree) matching the canonical encodings of the
/// characters in `class`, one character each.
pub fn encode_class(class: &ClassUnicode) -> Hir {
    let mut special = ClassUnicode::new([
        ClassUnicodeRange::new('\0', '\u{1F}'),
        ClassUnicodeRange::new('"', '"'),
        ClassUnicodeRange::new('\\', '\\'),
    ]);
    special.intersect(class);
    let mut raw = class.clone();
    raw.difference(&special);
    let mut alternatives = Vec::new();
    if !raw.ranges().is_empty() {
        alternatives.push(Hir::class(Class::Unicode(raw)));
    }
    for range in special.ranges() {
        for c in range.start()..=range.end() {
            let mut spelled = String::new();
            encode_char(c, &mut spelled);
            if spelled.starts_with("\\u") {
                // `\u00XX`: either case for the hex digits.
                let hex = format!("{:02x}", c as u32);
                let mut items = vec![Hir::literal(b"\\u00".as_slice())];
                for digit in hex.chars() {
                    let upper = digit.to_ascii_uppercase();
                    items.push(Hir::class(Class::Unicode(ClassUnicode::new([
                        ClassUnicodeRange::new(digit, digit),
                        ClassUnicodeRange::new(upper, upper),
                    ]))));
                }
                alternatives.push(Hir::concat(items));
            } else {
                alternatives.push(Hir::literal(spelled.into_bytes()));
            }
        }
    }
    Hir::alternation(alternatives)
}

/// `value` as Python's `json.dumps(value, ensure_ascii=False)` writes it
/// (separators `", "` and `": "`, keys in document order).
pub fn python_dumps(value: &Value) -> String {
    let mut out = String::new();
    write_python(value, &mut out);
    out
}

fn write_python(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (_, Some(u), _) => out.push_str(&u.to_string()),
            (_, _, Some(f)) => out.push_str(&python_float(f)),
            _ => out.push_str(&number.to_string()),
        },
        Value::String(text) => out.push_str(&encode_string(text)),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_python(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (index, (key, item)) in members.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(&encode_string(key));
                out.push_str(": ");
                write_python(item, out);
            }
            out.push('}');
        }
    }
}

/// Python's `repr(float)`: the shortest round-tripping digits, scientific
/// notation below 1e-4 and from 1e16 up (`1e-05`, `1.5e+16`), and `.0` on
/// integral values.
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // `{:e}` gives the shortest digits: `d.ddde±x`.
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..16).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let plain = format!("{f}");
    if plain.contains('.') {
        plain
    } else {
        format!("{plain}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.00001), "1e-05");
        assert_eq!(python_float(0.0001), "0.0001");
        assert_eq!(python_float(1.5e16), "1.5e+16");
        assert_eq!(python_float(1e15), "1000000000000000.0");
        assert_eq!(python_float(-2.5), "-2.5");
        assert_eq!(python_float(0.1), "0.1");
        assert_eq!(python_float(1.2345e-7), "1.2345e-07");
    }

    #[test]
    fn documents_print_like_python() {
        let value: Value =
            serde_json::from_str(r#"{"b": [1, 2.0, "é\n\u0001"], "a": {"x": null, "y": true}}"#)
                .unwrap();
        assert_eq!(
            python_dumps(&value),
            r#"{"b": [1, 2.0, "é\n\u0001"], "a": {"x": null, "y": true}}"#
        );
    }

    #[test]
    fn class_encoding_covers_escapes() {
        let class = ClassUnicode::new([ClassUnicodeRange::new('\0', '#')]);
        let pattern = encode_class(&class).to_string();
        let dfa = rein_core::ByteDfa::regex(&pattern).unwrap();
        for text in ["\\\"", "\\n", "\\u0001", "\\u001F", " ", "#"] {
            let state = dfa.next_bytes(dfa.start(), text.as_bytes());
            assert!(dfa.is_accepting(state), "{text} in {pattern}");
        }
        for text in ["\"", "$", "\\u0020", "\\\\"] {
            let state = dfa.next_bytes(dfa.start(), text.as_bytes());
            assert!(!dfa.is_accepting(state), "{text} in {pattern}");
        }
    }
}
