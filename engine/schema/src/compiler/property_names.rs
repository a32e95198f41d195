//! `propertyNames`: every key of an object is a string its schema accepts.
//!
//! The keys' schema is compiled as a string schema; when that is one
//! regular terminal, its automaton restricts every key terminal of the
//! object (the generic "other key", each `patternProperties` key class)
//! by product, and a named property whose name it rejects may not appear.
//! A keys' schema that is not one terminal (a `$ref` cycle, alternatives of
//! several terminals) is refused.

use rein_core::automaton::{ProductConfig, RegexConfig};
use rein_core::grammar::Expr;
use rein_core::ByteDfa;
use serde_json::{json, Map, Value};

use super::{child, error, product_terminal, terminal_dfa, Compiler, Result};
use crate::error::SchemaErrorKind;
use crate::json_text::encode_string;

/// Which keys an object may have.
pub(super) enum KeyNames {
    /// Any key.
    Any,
    /// No key at all.
    Nothing,
    /// Keys the automaton accepts (over the quoted key), and the same
    /// followed by the colon between key and value.
    Only {
        quoted: Box<ByteDfa>,
        with_colon: Box<ByteDfa>,
    },
}

impl KeyNames {
    /// Whether `name` may be a key.
    pub(super) fn allows(&self, name: &str) -> bool {
        match self {
            KeyNames::Any => true,
            KeyNames::Nothing => false,
            KeyNames::Only { quoted, .. } => quoted
                .is_accepting(quoted.next_bytes(quoted.start(), encode_string(name).as_bytes())),
        }
    }
}

/// The automaton of `strings`: one terminal, or alternatives of literals
/// and regexes (an `enum` of names).
fn strings_dfa(
    strings: &Expr,
) -> Option<std::result::Result<ByteDfa, rein_core::automaton::CompileError>> {
    let Expr::Alternation(items) = strings else {
        return terminal_dfa(strings);
    };
    let regexes: Option<Vec<String>> = items
        .iter()
        .map(|item| match item {
            Expr::Regex(pattern) => Some(format!("(?:{pattern})")),
            Expr::Literal(text) => Some(regex_syntax::escape(text)),
            _ => None,
        })
        .collect();
    Some(RegexConfig::new().build(&regexes?.join("|")))
}

impl Compiler<'_> {
    /// The keys `object`'s `propertyNames` allows.
    pub(super) fn property_names(
        &mut self,
        object: &Map<String, Value>,
        pointer: &str,
    ) -> Result<KeyNames> {
        match object.get("propertyNames") {
            Some(names) => self.key_names(names, pointer),
            None => Ok(KeyNames::Any),
        }
    }

    /// The keys a `propertyNames` schema, `names`, allows.
    pub(super) fn key_names(&mut self, names: &Value, pointer: &str) -> Result<KeyNames> {
        if crate::values::is_trivial(names) {
            return Ok(KeyNames::Any);
        }
        let at = child(pointer, "propertyNames");
        let strings = self.schema(&json!({"allOf": [names, {"type": "string"}]}), &at)?;
        if strings == Expr::Nothing {
            return Ok(KeyNames::Nothing);
        }
        let built = strings_dfa(&strings).map(|quoted| {
            let quoted = quoted?;
            let colon = RegexConfig::new().build(&self.colon)?;
            let with_colon = ProductConfig::new().sequence(&[&quoted, &colon])?;
            Ok::<_, rein_core::automaton::CompileError>((quoted, with_colon))
        });
        match built {
            Some(Ok((quoted, with_colon))) => Ok(KeyNames::Only {
                quoted: Box::new(quoted),
                with_colon: Box::new(with_colon),
            }),
            Some(Err(problem)) => Err(error(
                SchemaErrorKind::Limit,
                &at,
                "",
                format!("cannot build the automaton of the keys: {problem}"),
            )),
            None => {
                self.unsupported(
                    pointer,
                    "propertyNames",
                    "rein enforces `propertyNames` only when its strings are one regular language",
                )?;
                Ok(KeyNames::Any)
            }
        }
    }

    /// `key` (one terminal: a quoted key, with the colon when `colon`)
    /// restricted to the keys `names` allows.
    pub(super) fn restrict_key(
        &self,
        key: Expr,
        names: &KeyNames,
        colon: bool,
        pointer: &str,
    ) -> Result<Expr> {
        let allowed = match names {
            KeyNames::Any => return Ok(key),
            KeyNames::Nothing => return Ok(Expr::Nothing),
            KeyNames::Only { quoted, with_colon } => {
                if colon {
                    with_colon
                } else {
                    quoted
                }
            }
        };
        let Some(Ok(key_dfa)) = terminal_dfa(&key) else {
            return Err(error(
                SchemaErrorKind::Unsupported,
                pointer,
                "propertyNames",
                "rein cannot restrict these keys",
            ));
        };
        let label = format!("{pointer} keys by propertyNames");
        product_terminal(&[&key_dfa, &**allowed], &[], label).map_err(|problem| {
            error(
                SchemaErrorKind::Limit,
                pointer,
                "propertyNames",
                format!("cannot restrict the keys: {problem}"),
            )
        })
    }
}
