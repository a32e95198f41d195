//! A rein grammar printed in llguidance's Lark dialect, so both engines can
//! be timed on the same language.
//!
//! llguidance splits a grammar into lexemes (upper-case terminals, matched
//! by its lexer) and parser rules. To give it its best case, every rule
//! that is regular — no special token or token negation, no recursion
//! through it — is printed as a terminal, and the rest as parser rules;
//! literals, classes and regexes are printed as `/regex/` with every
//! non-alphanumeric character escaped as `\x{HHHH}`, so no Lark or regex
//! quoting rule can change the language. Benchmarks only: an expression
//! this printer does not state (an empty class, a token negation) is an
//! error.

use anyhow::{bail, Result};
use rein_core::grammar::{Expr, Grammar, RuleId, SpecialToken};

/// The Lark text of `grammar`, starting at its root rule.
pub fn to_lark(grammar: &Grammar) -> Result<String> {
    let regular = regular_rules(grammar);
    let name = |id: RuleId| -> String {
        let rule = &grammar.rules()[id.0 as usize];
        let clean: String = rule
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if regular[id.0 as usize] {
            format!("T{}_{}", id.0, clean.to_ascii_uppercase())
        } else {
            format!("r{}_{}", id.0, clean.to_ascii_lowercase())
        }
    };
    let mut out = format!("start: {}\n", name(grammar.root()));
    for (index, rule) in grammar.rules().iter().enumerate() {
        let id = RuleId(index as u32);
        out.push_str(&format!(
            "{}: {}\n",
            name(id),
            expression(&rule.body, &name)?
        ));
    }
    Ok(out)
}

fn expression(expr: &Expr, name: &dyn Fn(RuleId) -> String) -> Result<String> {
    Ok(match expr {
        Expr::Empty => "\"\"".to_string(),
        Expr::Literal(text) => format!("/{}/", escape(text)),
        Expr::Class(ranges) => {
            let mut class = String::from("/[");
            for &(low, high) in ranges {
                class.push_str(&format!("\\x{{{:X}}}", low as u32));
                if low != high {
                    class.push_str(&format!("-\\x{{{:X}}}", high as u32));
                }
            }
            class.push_str("]/");
            class
        }
        Expr::Regex(pattern) => format!("/{}/", pattern.replace('/', "\\/")),
        Expr::Special(SpecialToken::Name(token)) => token.clone(),
        Expr::Special(SpecialToken::Id(id)) => format!("<[{id}]>"),
        Expr::Rule(id) => name(*id),
        Expr::Sequence(items) => {
            let parts: Result<Vec<String>> = items.iter().map(|e| expression(e, name)).collect();
            format!("({})", parts?.join(" "))
        }
        Expr::Alternation(alternatives) => {
            let parts: Result<Vec<String>> =
                alternatives.iter().map(|e| expression(e, name)).collect();
            format!("({})", parts?.join(" | "))
        }
        Expr::Repeat { inner, min, max } => {
            let inner = expression(inner, name)?;
            match max {
                Some(max) => format!("{inner}{{{min},{max}}}"),
                None => format!("{inner}{{{min},}}"),
            }
        }
        Expr::AnyOrder(_) => {
            bail!("this grammar has a member list in any order, which Lark cannot state")
        }
        Expr::TokenExcept(_) => {
            bail!("this grammar has a token negation (`!<|name|>`), which is not printed in Lark")
        }
        _ => bail!("this grammar has an expression Lark cannot state (an empty class)"),
    })
}

/// `text` as a regex matching exactly it.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == ' ' {
                c.to_string()
            } else {
                format!("\\x{{{:X}}}", c as u32)
            }
        })
        .collect()
}

/// Which rules are regular: they use no special token and reach no rule
/// that recurses.
fn regular_rules(grammar: &Grammar) -> Vec<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unknown,
        Visiting,
        Done(bool),
    }
    fn visit(grammar: &Grammar, id: usize, marks: &mut Vec<Mark>) -> bool {
        match marks[id] {
            Mark::Done(regular) => return regular,
            Mark::Visiting => return false,
            Mark::Unknown => {}
        }
        marks[id] = Mark::Visiting;
        let regular = expr_regular(grammar, &grammar.rules()[id].body, marks);
        marks[id] = Mark::Done(regular);
        regular
    }
    fn expr_regular(grammar: &Grammar, expr: &Expr, marks: &mut Vec<Mark>) -> bool {
        match expr {
            Expr::Special(_) | Expr::TokenExcept(_) | Expr::AnyOrder(_) => false,
            Expr::Rule(id) => visit(grammar, id.0 as usize, marks),
            Expr::Sequence(items) | Expr::Alternation(items) => {
                items.iter().all(|item| expr_regular(grammar, item, marks))
            }
            Expr::Repeat { inner, .. } => expr_regular(grammar, inner, marks),
            _ => true,
        }
    }
    let mut marks = vec![Mark::Unknown; grammar.rules().len()];
    (0..grammar.rules().len())
        .map(|id| visit(grammar, id, &mut marks))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_rules_become_terminals() {
        let grammar =
            Grammar::from_gbnf("root ::= \"(\" root \")\" | word\nword ::= [a-z]+ \"/\"").unwrap();
        let lark = to_lark(&grammar).unwrap();
        assert!(lark.contains("start: r0_root"), "{lark}");
        assert!(
            lark.contains("T1_WORD: (/[\\x{61}-\\x{7A}]/{1,} /\\x{2F}/)"),
            "{lark}"
        );
    }
}
