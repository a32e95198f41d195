//! Lexemes: the regular pieces of rules, each compiled into one DFA
//! terminal.
//!
//! Whatever part of a rule is regular — it uses no special token and
//! reaches no rule that recurses back to it — becomes *one* terminal DFA
//! instead of a chain of productions: a JSON string (`"\"" char* "\"" ws`),
//! a number, a key with its colon, a whole non-recursive rule with the rules
//! it references inlined, a tail-recursive rule by Arden's rule. The
//! language is the same; the gain is that the mask walk steps one DFA per
//! byte inside such a lexeme and consults the parser only where a lexeme
//! may end (see [`mask_walk`](crate::grammar::mask_walk)).
//!
//! A piece that would pass the lexeme limits of [`GrammarConfig`] keeps its
//! plain structure instead, so the choice affects speed only, never the
//! language. The limits are sizes, not time: the same grammar gets the same
//! lexemes on every machine.
//!
//! A lexeme's DFA is put together from its pieces' DFAs (sequences and
//! unions over the parts' tables, see `automaton::compose`) rather than
//! determinized from its whole regex: the pieces — bounded whitespace, a
//! string body, a number — recur in every schema and come from the regex
//! memo, so a new key costs a walk over a hundred states instead of a
//! determinization. The whole pattern is still the lexeme's identity and
//! memo key, and the fallback when a piece is not composable.
//!
//! [`GrammarConfig`]: crate::grammar::GrammarConfig

use std::sync::Arc;

use regex_syntax::hir::{Hir, HirKind, Literal};

use super::super::error::GrammarError;
use super::super::ir::Expr;
use super::lower::Builder;
use super::{Symbol, Terminal};
use crate::automaton::{combine, ByteDfa, Combine};

/// Whether a rule is regular, as far as the builder knows.
#[derive(Clone, Debug)]
pub(super) enum Lexical {
    /// Not looked at yet.
    Unknown,
    /// Being looked at: meeting it again means recursion.
    Visiting,
    /// Not regular (or too large to print).
    No,
    /// Regular: this regex matches exactly the rule's language.
    Pattern(String),
}

/// A regex matching one character of a class, with every character
/// written as `\x{HHHH}` so no character needs escaping.
pub(super) fn class_pattern(ranges: &[(char, char)]) -> String {
    let mut pattern = String::from("[");
    for &(low, high) in ranges {
        pattern.push_str(&format!("\\x{{{:X}}}", low as u32));
        if low != high {
            pattern.push_str(&format!("-\\x{{{:X}}}", high as u32));
        }
    }
    pattern.push(']');
    pattern
}

impl Builder<'_> {
    /// `expression` as one lexeme: a terminal, or `ε | terminal` when it
    /// also matches the empty string. `None` when it is not regular, is a
    /// single terminal already, or its DFA is past the lexeme limits.
    pub(super) fn lexeme(
        &mut self,
        expression: &Expr,
        base: &str,
        context: &str,
    ) -> Result<Option<Symbol>, GrammarError> {
        if matches!(
            expression,
            Expr::Rule(_)
                | Expr::Literal(_)
                | Expr::Class(_)
                | Expr::Regex(_)
                | Expr::Automaton(_)
                | Expr::Empty
        ) {
            return Ok(None);
        }
        let Some(pattern) = self.pattern(expression) else {
            return Ok(None);
        };
        let key = format!("R{pattern}");
        let id = match self.terminal_ids.get(&key) {
            Some(&id) => id,
            None => {
                if self.failed_lexemes.contains(&key) {
                    return Ok(None);
                }
                let config = self.lexeme_config.clone();
                let built = config.build_with(&pattern, || self.compose(expression));
                let Ok(dfa) = built.map(Arc::unwrap_or_clone) else {
                    self.failed_lexemes.insert(key);
                    return Ok(None);
                };
                let id = self.terminals.len() as u32;
                self.terminals.push(Terminal::Bytes(Box::new(dfa)));
                self.terminal_ids.insert(key, id);
                id
            }
        };
        self.optional_if_empty(Symbol::Terminal(id), base, context)
            .map(Some)
    }

    /// `expression`'s DFA built from its pieces' DFAs (see
    /// [`combine`]): leaves are compiled alone, where the process-wide regex
    /// memo makes recurring ones (whitespace, a string body) free, and
    /// sequences and alternations are explored over them. `None` when a
    /// piece is not regular or a limit is hit; the caller then compiles the
    /// whole pattern.
    pub(super) fn compose(&mut self, expression: &Expr) -> Option<Arc<ByteDfa>> {
        // Lexemes are tried from the outside in, so the same inner
        // expressions come up again and again: memoized by their pattern.
        let pattern = self.pattern(expression)?;
        if let Some(dfa) = self.composed.get(&pattern) {
            return dfa.clone();
        }
        let dfa = self.compose_uncached(expression);
        self.composed.insert(pattern, dfa.clone());
        dfa
    }

    fn compose_uncached(&mut self, expression: &Expr) -> Option<Arc<ByteDfa>> {
        match expression {
            Expr::Empty => self.piece("(?:)"),
            Expr::Literal(text) => self.literal(text),
            Expr::Class(ranges) => self.piece(&class_pattern(ranges)),
            Expr::Regex(pattern) if pattern.len() <= self.config.max_inlined_regex_bytes => {
                let hir = regex_syntax::ParserBuilder::new()
                    .utf8(true)
                    .unicode(true)
                    .build()
                    .parse(pattern)
                    .ok()?;
                self.compose_hir(&hir)
            }
            Expr::Rule(id) => {
                let body = &self.grammar.rules()[id.0 as usize].body;
                if mentions(body, id.0) {
                    // Right-linear: its regex (`(a|…)*(b|…)`) is the piece.
                    let pattern = self.pattern(expression)?;
                    self.piece(&pattern)
                } else {
                    self.compose(body)
                }
            }
            Expr::Sequence(items) | Expr::Alternation(items) => {
                let how = match expression {
                    Expr::Sequence(_) => Combine::Sequence,
                    _ => Combine::Union,
                };
                let parts: Option<Vec<Arc<ByteDfa>>> =
                    items.iter().map(|item| self.compose(item)).collect();
                self.combine_parts(parts?, how)
            }
            Expr::Repeat { .. } => {
                let pattern = self.pattern(expression)?;
                self.piece(&pattern)
            }
            Expr::Regex(_)
            | Expr::Special(_)
            | Expr::TokenExcept(_)
            | Expr::Automaton(_)
            | Expr::Nothing
            | Expr::AnyOrder(_) => None,
        }
    }

    /// A parsed regex's DFA built the way [`Builder::compose`] builds an
    /// expression's: `"key"[ \t\n\r]{0,20}:` is a literal, a memoized
    /// whitespace counter and another literal, not a pattern to
    /// determinize whole. Classes and repetitions are compiled alone
    /// (printed back as regexes, memoized); look-around is refused.
    fn compose_hir(&mut self, hir: &Hir) -> Option<Arc<ByteDfa>> {
        match hir.kind() {
            HirKind::Empty => self.piece("(?:)"),
            HirKind::Literal(Literal(bytes)) => match std::str::from_utf8(bytes) {
                Ok(text) => self.literal(text),
                Err(_) => self.piece(&hir.to_string()),
            },
            HirKind::Class(_) | HirKind::Repetition(_) => self.piece(&hir.to_string()),
            HirKind::Capture(capture) => self.compose_hir(&capture.sub),
            HirKind::Concat(items) | HirKind::Alternation(items) => {
                let how = match hir.kind() {
                    HirKind::Concat(_) => Combine::Sequence,
                    _ => Combine::Union,
                };
                let parts: Option<Vec<Arc<ByteDfa>>> =
                    items.iter().map(|item| self.compose_hir(item)).collect();
                self.combine_parts(parts?, how)
            }
            HirKind::Look(_) => None,
        }
    }

    /// `parts` combined as `how` says, within the lexeme limits.
    fn combine_parts(&self, parts: Vec<Arc<ByteDfa>>, how: Combine) -> Option<Arc<ByteDfa>> {
        if let [only] = &parts[..] {
            return Some(only.clone());
        }
        let parts: Vec<&ByteDfa> = parts.iter().map(|part| &**part).collect();
        combine(&parts, how, &self.compose_config)
            .ok()
            .map(Arc::new)
    }

    /// A piece compiled alone from its regex (memoized process-wide).
    fn piece(&self, pattern: &str) -> Option<Arc<ByteDfa>> {
        self.lexeme_config.build_shared(pattern).ok()
    }

    /// A literal's DFA (the empty string's for an empty literal).
    fn literal(&self, text: &str) -> Option<Arc<ByteDfa>> {
        if text.is_empty() {
            return self.piece("(?:)");
        }
        ByteDfa::labels(&[text]).ok().map(Arc::new)
    }

    /// A regex matching exactly `expression`'s language, if it is regular
    /// and prints within [`GrammarConfig::max_lexeme_pattern_bytes`].
    ///
    /// [`GrammarConfig::max_lexeme_pattern_bytes`]: crate::grammar::GrammarConfig::max_lexeme_pattern_bytes
    pub(super) fn pattern(&mut self, expression: &Expr) -> Option<String> {
        let pattern = match expression {
            Expr::Empty => String::from("(?:)"),
            Expr::Literal(text) => format!("(?:{})", regex_syntax::escape(text)),
            Expr::Class(ranges) => class_pattern(ranges),
            Expr::Regex(pattern) if pattern.len() <= self.config.max_inlined_regex_bytes => {
                format!("(?:{pattern})")
            }
            Expr::Regex(_)
            | Expr::Special(_)
            | Expr::TokenExcept(_)
            | Expr::Automaton(_)
            | Expr::Nothing
            | Expr::AnyOrder(_) => return None,
            Expr::Rule(id) => format!("(?:{})", self.rule_pattern(id.0)?),
            Expr::Sequence(items) => {
                let mut out = String::from("(?:");
                for item in items {
                    out.push_str(&self.pattern(item)?);
                    if out.len() > self.config.max_lexeme_pattern_bytes {
                        return None;
                    }
                }
                out.push(')');
                out
            }
            Expr::Alternation(alternatives) => {
                let mut out = String::from("(?:");
                for (index, alternative) in alternatives.iter().enumerate() {
                    if index > 0 {
                        out.push('|');
                    }
                    out.push_str(&self.pattern(alternative)?);
                    if out.len() > self.config.max_lexeme_pattern_bytes {
                        return None;
                    }
                }
                out.push(')');
                out
            }
            Expr::Repeat { inner, min, max } => {
                let inner = self.pattern(inner)?;
                match max {
                    Some(max) => format!("(?:{inner}){{{min},{max}}}"),
                    None => format!("(?:{inner}){{{min},}}"),
                }
            }
        };
        (pattern.len() <= self.config.max_lexeme_pattern_bytes).then_some(pattern)
    }

    /// A rule that refers to itself only at the very end of its
    /// alternatives, `X ::= a1 X | … | b1 | …` with regular `a`s and `b`s, is
    /// regular: `X = (a1|…)* (b1|…)` (Arden's rule). This is how GBNF writes
    /// whitespace and lists (`ws ::= ([ \t\n] ws)?`); as a lexeme it costs
    /// one DFA step per byte instead of an Earley completion chain as deep
    /// as the run.
    fn right_linear_pattern(&mut self, body: &Expr, id: u32) -> Option<String> {
        let mut recursive = Vec::new();
        let mut base = Vec::new();
        split_tail_recursion(body, id, Vec::new(), &mut recursive, &mut base)?;
        let mut alternatives = |parts: Vec<Vec<Expr>>| -> Option<String> {
            let printed: Option<Vec<String>> = parts
                .into_iter()
                .map(|items| self.pattern(&Expr::Sequence(items)))
                .collect();
            Some(printed?.join("|"))
        };
        if base.is_empty() {
            return None;
        }
        let repeated = alternatives(recursive)?;
        let ending = alternatives(base)?;
        let pattern = format!("(?:(?:{repeated})*(?:{ending}))");
        (pattern.len() <= self.config.max_lexeme_pattern_bytes).then_some(pattern)
    }

    /// Rule `id` as a regex, if it is regular (no recursion through it, no
    /// special token).
    pub(super) fn rule_pattern(&mut self, id: u32) -> Option<String> {
        match &self.lexical[id as usize] {
            Lexical::Pattern(pattern) => return Some(pattern.clone()),
            Lexical::No | Lexical::Visiting => return None,
            Lexical::Unknown => {}
        }
        self.lexical[id as usize] = Lexical::Visiting;
        let grammar = self.grammar;
        let body = &grammar.rules()[id as usize].body;
        let result = if mentions(body, id) {
            self.right_linear_pattern(body, id)
        } else {
            self.pattern(body)
        };
        self.lexical[id as usize] = match &result {
            Some(pattern) => Lexical::Pattern(pattern.clone()),
            None => Lexical::No,
        };
        result
    }
}

/// Whether `expression` refers to rule `id` (directly).
fn mentions(expression: &Expr, id: u32) -> bool {
    match expression {
        Expr::Rule(rule) => rule.0 == id,
        Expr::Sequence(items) | Expr::Alternation(items) => {
            items.iter().any(|item| mentions(item, id))
        }
        Expr::Repeat { inner, .. } => mentions(inner, id),
        Expr::AnyOrder(list) => list.parts().any(|part| mentions(part, id)),
        _ => false,
    }
}

/// Splits `expression` (preceded by `prefix`) into the alternatives that end
/// in rule `id`, without it (`recursive`), and those that do not mention it
/// (`base`). `None` when `id` appears anywhere but at the very end.
fn split_tail_recursion(
    expression: &Expr,
    id: u32,
    prefix: Vec<Expr>,
    recursive: &mut Vec<Vec<Expr>>,
    base: &mut Vec<Vec<Expr>>,
) -> Option<()> {
    if !mentions(expression, id) {
        let mut items = prefix;
        items.push(expression.clone());
        base.push(items);
        return Some(());
    }
    match expression {
        Expr::Rule(_) => recursive.push(prefix),
        Expr::Alternation(alternatives) => {
            for alternative in alternatives {
                split_tail_recursion(alternative, id, prefix.clone(), recursive, base)?;
            }
        }
        Expr::Repeat {
            inner,
            min: 0,
            max: Some(1),
        } => {
            base.push(prefix.clone());
            split_tail_recursion(inner, id, prefix, recursive, base)?;
        }
        Expr::Sequence(items) => {
            let (last, head) = items.split_last()?;
            if head.iter().any(|item| mentions(item, id)) {
                return None;
            }
            let mut longer = prefix;
            longer.extend(head.iter().cloned());
            split_tail_recursion(last, id, longer, recursive, base)?;
        }
        _ => return None,
    }
    Some(())
}
