//! Label sets: parsing `--labels`, and putting them into the shipped
//! grammars in place of their default `label` (or `entity`) rule.
//!
//! The shipped grammars (`grammars/ner-*.gbnf`, `reasoning-answer.gbnf`) are
//! compiled into the binary and say which rule tools replace. Replacing the
//! rule's text keeps the grammar file the single description of the format;
//! the cost is a small line-based rewrite that relies on rules starting at
//! the beginning of a line, which those files keep.

use anyhow::{bail, Result};

/// Parses a comma-separated label list: trimmed, non-empty, distinct.
pub fn parse(list: &str, forbidden: &[char]) -> Result<Vec<String>> {
    let labels: Vec<String> = list
        .split(',')
        .map(|label| label.trim().to_string())
        .collect();
    if labels.iter().any(String::is_empty) {
        bail!("--labels {list:?} has an empty label");
    }
    for label in &labels {
        if let Some(bad) = label
            .chars()
            .find(|c| forbidden.contains(c) || c.is_control())
        {
            bail!("label {label:?} contains {bad:?}, which the output format cannot hold");
        }
    }
    for (index, label) in labels.iter().enumerate() {
        if labels[..index].contains(label) {
            bail!("label {label:?} is given twice in --labels");
        }
    }
    Ok(labels)
}

/// A GBNF string literal for `text`.
pub fn literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `source` with the definition of rule `name` replaced by
/// `name ::= definition`. The definition runs from the line starting with
/// `name ::=` to the next line that starts another rule, a comment or is
/// blank.
pub fn replace_rule(source: &str, name: &str, definition: &str) -> Result<String> {
    let mut out = String::with_capacity(source.len() + definition.len());
    let mut replaced = false;
    let mut inside = false;
    for line in source.lines() {
        let starts_rule = rule_name(line).is_some();
        if inside && (starts_rule || line.trim().is_empty() || line.trim_start().starts_with('#')) {
            inside = false;
        }
        if rule_name(line) == Some(name) {
            out.push_str(&format!("{name} ::= {definition}\n"));
            replaced = true;
            inside = true;
            continue;
        }
        if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        bail!("the grammar has no rule {name} to put the labels in");
    }
    Ok(out)
}

fn rule_name(line: &str) -> Option<&str> {
    let (head, _) = line.split_once("::=")?;
    let name = head.trim_end();
    let valid = !name.is_empty()
        && !line.starts_with(char::is_whitespace)
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_checked() {
        assert_eq!(parse(" PER, LOC ", &[]).unwrap(), vec!["PER", "LOC"]);
        assert!(parse("PER,,LOC", &[]).is_err());
        assert!(parse("PER,PER", &[])
            .unwrap_err()
            .to_string()
            .contains("twice"));
        assert!(parse("A<B", &['<'])
            .unwrap_err()
            .to_string()
            .contains("'<'"));
    }

    #[test]
    fn a_multi_line_rule_is_replaced_and_the_rest_kept() {
        let source = "# c\nroot ::= x entity\nentity ::= \"a\"\n   | \"b\"\nx ::= \"x\"\n";
        let replaced = replace_rule(source, "entity", "\"q\\\"\"").unwrap();
        assert_eq!(
            replaced,
            "# c\nroot ::= x entity\nentity ::= \"q\\\"\"\nx ::= \"x\"\n"
        );
        assert!(replace_rule(source, "label", "\"a\"").is_err());
        assert_eq!(literal("a\"b[c]"), "\"a\\\"b\\[c\\]\"");
    }
}
