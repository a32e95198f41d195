//! JSON's punctuation under the layout option, and the `true` schema.
//!
//! **Why.** [`Whitespace`](crate::Whitespace) decides how every `{`, `,`,
//! `:` and key is spelled: a literal when the layout is fixed (compact, or
//! spaced as Python writes), a regex with bounded whitespace around it
//! when flexible. Every module builds its punctuation here, so a layout is
//! one decision, and the empty `{}`/`[]` ([`Close`]) and the generic value
//! of the `true` schema ([`Compiler::any_value`]) follow it too.
//!
//! **Trade-off.** Literals keep fixed layouts cheap to mask; flexible
//! whitespace is part of the neighbouring terminal's regex rather than a
//! rule of its own, so it joins lexemes but makes every punctuation
//! terminal a regex.

use rein_core::grammar::Expr;

use super::{alt, seq, Compiler, Result};
use crate::json_text::{encode_string, CHAR_UNIT};

impl<'a> Compiler<'a> {
    pub(super) fn punct(&self, before: bool, text: &str, after: bool) -> Expr {
        if self.ws.is_empty() {
            return Expr::Literal(if text == "," { self.comma } else { text }.to_string());
        }
        let mut out = String::new();
        if before {
            out.push_str(&self.ws);
        }
        out.push_str(&regex_syntax::escape(text));
        if after {
            out.push_str(&self.ws);
        }
        Expr::Regex(out)
    }

    pub(super) fn comma(&self) -> Expr {
        self.punct(true, ",", true)
    }

    pub(super) fn key(&self, name: &str) -> Expr {
        let encoded = encode_string(name);
        if self.ws.is_empty() {
            return Expr::Literal(format!("{encoded}{}", self.colon));
        }
        Expr::Regex(format!("{}{}", regex_syntax::escape(&encoded), self.colon))
    }

    /// Any JSON value (the `true` schema).
    pub(super) fn any_value(&mut self) -> Result<Expr> {
        if let Some(id) = self.any_value {
            return Ok(Expr::Rule(id));
        }
        let value = self.new_rule("any value".into(), "#")?;
        self.any_value = Some(value);
        let object = self.new_rule("any object".into(), "#")?;
        let array = self.new_rule("any array".into(), "#")?;
        let string = Expr::Regex(format!("\"{CHAR_UNIT}*\""));
        let member = seq(vec![
            Expr::Regex(format!("\"{CHAR_UNIT}*\"{}", self.colon)),
            Expr::Rule(value),
        ]);
        self.rules[object.0 as usize].body = alt(vec![
            self.punct(false, "{", false).then_close(self, "}"),
            seq(vec![
                self.punct(false, "{", true),
                member.clone(),
                Expr::Repeat {
                    inner: Box::new(seq(vec![self.comma(), member])),
                    min: 0,
                    max: None,
                },
                self.punct(true, "}", false),
            ]),
        ]);
        self.rules[array.0 as usize].body = alt(vec![
            self.punct(false, "[", false).then_close(self, "]"),
            seq(vec![
                self.punct(false, "[", true),
                Expr::Rule(value),
                Expr::Repeat {
                    inner: Box::new(seq(vec![self.comma(), Expr::Rule(value)])),
                    min: 0,
                    max: None,
                },
                self.punct(true, "]", false),
            ]),
        ]);
        self.rules[value.0 as usize].body = alt(vec![
            Expr::Rule(object),
            Expr::Rule(array),
            string,
            Expr::Regex(crate::numbers::NUMBER.to_string()),
            Expr::Literal("true".into()),
            Expr::Literal("false".into()),
            Expr::Literal("null".into()),
        ]);
        Ok(Expr::Rule(value))
    }
}

/// Helpers for the empty `{}` / `[]` terminals.
pub(super) trait Close {
    fn then_close(self, compiler: &Compiler<'_>, close: &str) -> Expr;
}

impl Close for Expr {
    /// `{` directly followed (whitespace allowed) by `}`.
    fn then_close(self, compiler: &Compiler<'_>, close: &str) -> Expr {
        match self {
            Expr::Regex(open) => Expr::Regex(format!(
                "{open}{}{}",
                compiler.ws,
                regex_syntax::escape(close)
            )),
            Expr::Literal(open) => Expr::Literal(format!("{open}{close}")),
            other => seq(vec![other, Expr::Literal(close.to_string())]),
        }
    }
}
