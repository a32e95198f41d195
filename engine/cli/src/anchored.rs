//! Tag formats anchored to the input: grammars built from one document, so
//! the model reproduces its text exactly and chooses only where entities
//! start and end and which label each gets.
//!
//! A document is cut into *words* — runs of non-whitespace with leading and
//! trailing punctuation cut off (`"Paris,"` is the word `Paris` and the text
//! `,`), `<` and `>` always outside words — and the text between them.
//! Entities are runs of whole words. Two formats:
//!
//! * **lines**: every word on its own line, in order, as `word:` or
//!   `word: LABEL`; consecutive words with one label and only whitespace
//!   between them form one entity;
//! * **inline**: the document verbatim with `<LABEL>`…`</LABEL>` around
//!   entities.
//!
//! Either way an entity's offsets come from the word spans, so
//! `document[start..end]` is the entity's text by construction. Long
//! documents are cut into [`chunks`] of whole sentences so each grammar and
//! budget stays small.

use std::ops::Range;

use rein_core::grammar::{Expr, Grammar, GrammarError, Origin, Rule, RuleId};

/// A document cut into words.
#[derive(Clone, Debug)]
pub struct Words<'a> {
    text: &'a str,
    /// Byte spans of the words, in order.
    spans: Vec<Range<usize>>,
}

/// One entity: a label over a byte span of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub label: String,
    pub start: usize,
    pub end: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

impl<'a> Words<'a> {
    /// Cuts `text` into words.
    pub fn split(text: &'a str) -> Words<'a> {
        let mut spans = Vec::new();
        let mut offset = 0;
        for piece in text.split(|c: char| c.is_whitespace() || c == '<' || c == '>') {
            let start = offset;
            offset += piece.len();
            // The separator that ended the piece (one character), if any.
            offset += text[offset..].chars().next().map_or(0, char::len_utf8);
            let Some(first) = piece.find(is_word_char) else {
                continue;
            };
            let last = piece
                .char_indices()
                .rev()
                .find(|&(_, c)| is_word_char(c))
                .map_or(piece.len(), |(at, c)| at + c.len_utf8());
            spans.push(start + first..start + last);
        }
        Words { text, spans }
    }

    /// The number of words.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// The byte offset where word `index` starts.
    pub fn start(&self, index: usize) -> usize {
        self.spans[index].start
    }

    fn word(&self, index: usize) -> &'a str {
        &self.text[self.spans[index].clone()]
    }

    /// The text after word `index` up to the next word (or the end);
    /// `None` for the text before the first word.
    fn after(&self, index: Option<usize>) -> &'a str {
        let start = index.map_or(0, |index| self.spans[index].end);
        let end = match index {
            None => self
                .spans
                .first()
                .map_or(self.text.len(), |span| span.start),
            Some(index) => self
                .spans
                .get(index + 1)
                .map_or(self.text.len(), |span| span.start),
        };
        &self.text[start..end]
    }
}

/// Byte ranges of `text` holding whole sentences, as many as fit in
/// `max_words` words (a longer sentence is cut between words); they cover
/// the text, in order. A sentence ends at a line break, or at `.`, `!` or
/// `?` followed by whitespace after a word of three or more characters (so
/// `Dr.` and `St.` do not end one).
pub fn chunks(text: &str, max_words: usize) -> Vec<Range<usize>> {
    let words = Words::split(text);
    let max_words = max_words.max(1);
    // Each sentence as (first word, words).
    let mut sentences: Vec<(usize, usize)> = Vec::new();
    let mut first = 0;
    for index in 0..words.len() {
        let after = words.after(Some(index));
        let long_word = words.word(index).chars().count() >= 3;
        let ends = after.contains('\n')
            || (long_word
                && after.starts_with(['.', '!', '?'])
                && after.contains(char::is_whitespace));
        if ends || index + 1 == words.len() {
            sentences.push((first, index + 1 - first));
            first = index + 1;
        }
    }
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (first, length) in sentences {
        if count > 0 && count + length > max_words {
            let next = words.spans[first].start;
            chunks.push(start..next);
            start = next;
            count = 0;
        }
        // A sentence longer than a chunk is cut between words.
        let mut cut = first;
        let mut left = length;
        while count + left > max_words {
            cut += max_words - count;
            left -= max_words - count;
            let next = words.spans[cut].start;
            chunks.push(start..next);
            start = next;
            count = 0;
        }
        count += left;
    }
    chunks.push(start..text.len());
    chunks
}

fn rule(name: String, body: Expr) -> Rule {
    Rule {
        name,
        body,
        origin: Origin::Built,
    }
}

fn literal(text: &str) -> Expr {
    if text.is_empty() {
        Expr::Empty
    } else {
        Expr::Literal(text.to_string())
    }
}

/// The lines format of `words`: `word:` or `word: LABEL` per line.
pub fn lines_grammar(words: &Words, labels: &[String]) -> Result<Grammar, GrammarError> {
    let tag = Expr::Repeat {
        inner: Box::new(Expr::Alternation(
            labels
                .iter()
                .map(|label| literal(&format!(" {label}")))
                .collect(),
        )),
        min: 0,
        max: Some(1),
    };
    let mut body = Vec::with_capacity(3 * words.len());
    for index in 0..words.len() {
        if index > 0 {
            body.push(literal("\n"));
        }
        body.push(literal(&format!("{}:", words.word(index))));
        body.push(tag.clone());
    }
    let body = if body.is_empty() {
        Expr::Empty
    } else {
        Expr::Sequence(body)
    };
    Grammar::from_rules(vec![rule("root".to_string(), body)], RuleId(0))
}

/// The inline format of `words`: the text with `<LABEL>`…`</LABEL>` around
/// runs of whole words.
///
/// Rules: `outside(i)` before word `i` outside any entity, and
/// `inside(i, L)` just after word `i` inside an entity labelled `L`:
///
/// ```text
/// root         ::= text(-1) outside(0)
/// outside(i)   ::= word(i) text(i) outside(i+1) | "<L>" word(i) inside(i, L) | …
/// inside(i, L) ::= "</L>" text(i) outside(i+1) | text(i) word(i+1) inside(i+1, L)
/// ```
///
/// with `outside(n)` empty and no second alternative for `inside(n-1, L)`.
pub fn inline_grammar(words: &Words, labels: &[String]) -> Result<Grammar, GrammarError> {
    let n = words.len();
    let outside = |index: usize| RuleId(index as u32);
    let inside = |index: usize, label: usize| RuleId((n + 1 + index * labels.len() + label) as u32);
    let mut rules: Vec<Rule> = Vec::with_capacity(n + 2 + n * labels.len());
    for index in 0..=n {
        let body = if index == n {
            Expr::Empty
        } else {
            let mut alternatives = vec![Expr::Sequence(vec![
                literal(words.word(index)),
                literal(words.after(Some(index))),
                Expr::Rule(outside(index + 1)),
            ])];
            for (number, label) in labels.iter().enumerate() {
                alternatives.push(Expr::Sequence(vec![
                    literal(&format!("<{label}>")),
                    literal(words.word(index)),
                    Expr::Rule(inside(index, number)),
                ]));
            }
            Expr::Alternation(alternatives)
        };
        rules.push(rule(format!("outside {index}"), body));
    }
    for index in 0..n {
        for (number, label) in labels.iter().enumerate() {
            let mut alternatives = vec![Expr::Sequence(vec![
                literal(&format!("</{label}>")),
                literal(words.after(Some(index))),
                Expr::Rule(outside(index + 1)),
            ])];
            if index + 1 < n {
                alternatives.push(Expr::Sequence(vec![
                    literal(words.after(Some(index))),
                    literal(words.word(index + 1)),
                    Expr::Rule(inside(index + 1, number)),
                ]));
            }
            rules.push(rule(
                format!("inside {index} {label}"),
                Expr::Alternation(alternatives),
            ));
        }
    }
    rules.push(rule(
        "root".to_string(),
        Expr::Sequence(vec![literal(words.after(None)), Expr::Rule(outside(0))]),
    ));
    let root = RuleId(rules.len() as u32 - 1);
    Grammar::from_rules(rules, root)
}

/// The lines-format output of `words` with entities `spans` (each a run of
/// whole words, in order).
pub fn render_lines(words: &Words, spans: &[Span]) -> String {
    (0..words.len())
        .map(|index| {
            let word = &words.spans[index];
            let label = spans
                .iter()
                .find(|span| span.start <= word.start && word.end <= span.end);
            match label {
                Some(span) => format!("{}: {}", words.word(index), span.label),
                None => format!("{}:", words.word(index)),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The inline-format output of `words` with entities `spans` (each a run of
/// whole words, in order, not overlapping).
pub fn render_inline(words: &Words, spans: &[Span]) -> String {
    let mut out = String::with_capacity(words.text.len() + 16 * spans.len());
    let mut at = 0;
    for span in spans {
        out.push_str(&words.text[at..span.start]);
        out.push_str(&format!(
            "<{}>{}</{}>",
            span.label,
            &words.text[span.start..span.end],
            span.label
        ));
        at = span.end;
    }
    out.push_str(&words.text[at..]);
    out
}

/// The entities of a lines-format `output` of `words`.
pub fn parse_lines(words: &Words, labels: &[String], output: &str) -> Result<Vec<Span>, String> {
    let lines: Vec<&str> = if words.len() == 0 {
        Vec::new()
    } else {
        output.split('\n').collect()
    };
    if lines.len() != words.len() {
        return Err(format!(
            "the output has {} lines for {} words",
            lines.len(),
            words.len()
        ));
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut previous: Option<&str> = None;
    for (index, line) in lines.iter().enumerate() {
        let word = words.word(index);
        let rest = line
            .strip_prefix(word)
            .and_then(|rest| rest.strip_prefix(':'))
            .ok_or_else(|| format!("output line {} is not `{word}:`: {line:?}", index + 1))?;
        let label = match rest.strip_prefix(' ') {
            None if rest.is_empty() => None,
            Some(label) if labels.iter().any(|known| known == label) => Some(label),
            _ => {
                return Err(format!(
                    "output line {} has no known label: {line:?}",
                    index + 1
                ))
            }
        };
        let span = &words.spans[index];
        match (label, spans.last_mut()) {
            (Some(label), Some(last))
                if previous == Some(label) && words.after(Some(index - 1)).trim().is_empty() =>
            {
                last.end = span.end;
            }
            (Some(label), _) => spans.push(Span {
                label: label.to_string(),
                start: span.start,
                end: span.end,
            }),
            (None, _) => {}
        }
        previous = label;
    }
    Ok(spans)
}

/// A partial reading of an inline output: the next word, the open entity
/// (label index, start byte), the output offset, the entities closed.
type Reading = (usize, Option<(usize, usize)>, usize, Vec<Span>);

/// The entities of an inline-format `output` of `words`. The format's
/// grammar can read some outputs two ways (a document that itself holds
/// `</PER>`); the parse follows the grammar's rules and takes the first
/// reading that spells the whole output.
pub fn parse_inline(words: &Words, labels: &[String], output: &str) -> Result<Vec<Span>, String> {
    let n = words.len();
    let leading = words.after(None);
    let rest = output
        .strip_prefix(leading)
        .ok_or_else(|| "the output does not start with the document's text".to_string())?;
    // Depth-first over (word, open entity, output offset); a state that
    // failed once fails again, so each is tried once.
    let mut failed = std::collections::HashSet::new();
    let mut stack: Vec<Reading> = vec![(0, None, output.len() - rest.len(), Vec::new())];
    while let Some((index, open, at, spans)) = stack.pop() {
        if !failed.insert((index, open.map(|(label, _)| label), at)) {
            continue;
        }
        let remaining = &output[at..];
        match open {
            None if index == n => {
                if remaining.is_empty() {
                    return Ok(spans);
                }
            }
            None => {
                let word = words.word(index);
                let after = words.after(Some(index));
                for (number, label) in labels.iter().enumerate().rev() {
                    let tag = format!("<{label}>");
                    if remaining.starts_with(&tag) && remaining[tag.len()..].starts_with(word) {
                        let start = words.spans[index].start;
                        stack.push((
                            index,
                            Some((number, start)),
                            at + tag.len() + word.len(),
                            spans.clone(),
                        ));
                    }
                }
                if remaining.starts_with(word) && remaining[word.len()..].starts_with(after) {
                    stack.push((index + 1, None, at + word.len() + after.len(), spans));
                }
            }
            Some((number, start)) => {
                let after = words.after(Some(index));
                if index + 1 < n {
                    let next = words.word(index + 1);
                    if remaining.starts_with(after) && remaining[after.len()..].starts_with(next) {
                        stack.push((
                            index + 1,
                            open,
                            at + after.len() + next.len(),
                            spans.clone(),
                        ));
                    }
                }
                let close = format!("</{}>", labels[number]);
                if remaining.starts_with(&close) && remaining[close.len()..].starts_with(after) {
                    let mut spans = spans;
                    spans.push(Span {
                        label: labels[number].clone(),
                        start,
                        end: words.spans[index].end,
                    });
                    stack.push((index + 1, None, at + close.len() + after.len(), spans));
                }
            }
        }
    }
    Err("the output is not the document with tags around whole words".to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rein_core::{Engine, TokenKind, Vocabulary};

    use super::*;

    fn labels() -> Vec<String> {
        vec!["PER".to_string(), "LOC".to_string()]
    }

    fn bytes_engine() -> Engine {
        let mut builder = Vocabulary::builder();
        let eos = builder.push(b"<eos>".to_vec(), TokenKind::Special);
        builder.eos_token(eos);
        for byte in 0..=255u8 {
            builder.push(vec![byte], TokenKind::Text);
        }
        Engine::new(Arc::new(builder.build().unwrap()))
    }

    fn accepts(grammar: &Grammar, text: &str) -> bool {
        let constraint = bytes_engine().from_grammar(grammar, "test").unwrap();
        let mut matcher = constraint.matcher();
        text.bytes()
            .all(|byte| matcher.commit(byte as u32 + 1).is_ok())
            && matcher.can_end()
    }

    const TEXT: &str = "Dr. Zoë Laurent (of Łódź) met <Ada> in Paris, 2024.";

    #[test]
    fn words_drop_punctuation_and_angle_brackets() {
        let words = Words::split(TEXT);
        let texts: Vec<&str> = (0..words.len()).map(|index| words.word(index)).collect();
        assert_eq!(
            texts,
            ["Dr", "Zoë", "Laurent", "of", "Łódź", "met", "Ada", "in", "Paris", "2024"]
        );
        assert_eq!(words.after(None), "");
        assert_eq!(words.after(Some(0)), ". ");
        assert_eq!(words.after(Some(9)), ".");
    }

    #[test]
    fn lines_reproduce_the_words_and_merge_label_runs() {
        let words = Words::split(TEXT);
        let grammar = lines_grammar(&words, &labels()).unwrap();
        let output =
            "Dr:\nZoë: PER\nLaurent: PER\nof:\nŁódź: LOC\nmet:\nAda: PER\nin:\nParis: LOC\n2024:";
        assert!(accepts(&grammar, output));
        assert!(!accepts(&grammar, "Dr:\nZoe: PER"), "the words are fixed");
        assert!(!accepts(&grammar, &output.replace("Ada: PER", "Ada: ORG")));
        let spans = parse_lines(&words, &labels(), output).unwrap();
        let found: Vec<(&str, &str)> = spans
            .iter()
            .map(|span| (span.label.as_str(), &TEXT[span.start..span.end]))
            .collect();
        assert_eq!(
            found,
            [
                ("PER", "Zoë Laurent"),
                ("LOC", "Łódź"),
                ("PER", "Ada"),
                ("LOC", "Paris")
            ]
        );
    }

    #[test]
    fn inline_reproduces_the_text_with_tags_around_whole_words() {
        let words = Words::split(TEXT);
        let grammar = inline_grammar(&words, &labels()).unwrap();
        let output =
            "Dr. <PER>Zoë Laurent</PER> (of <LOC>Łódź</LOC>) met <<PER>Ada</PER>> in <LOC>Paris</LOC>, 2024.";
        assert!(accepts(&grammar, output));
        assert!(accepts(&grammar, TEXT), "no entity at all");
        for wrong in [
            "Dr. <PER>Zo</PER>ë Laurent (of Łódź) met <Ada> in Paris, 2024.",
            "Dr. <PER>Zoë Laurent</LOC> (of Łódź) met <Ada> in Paris, 2024.",
            "Dr. Zoe Laurent (of Łódź) met <Ada> in Paris, 2024.",
            "Dr. <PER>Zoë Laurent (</PER>of Łódź) met <Ada> in Paris, 2024.",
        ] {
            assert!(!accepts(&grammar, wrong), "{wrong}");
        }
        let spans = parse_inline(&words, &labels(), output).unwrap();
        let found: Vec<(&str, &str)> = spans
            .iter()
            .map(|span| (span.label.as_str(), &TEXT[span.start..span.end]))
            .collect();
        assert_eq!(
            found,
            [
                ("PER", "Zoë Laurent"),
                ("LOC", "Łódź"),
                ("PER", "Ada"),
                ("LOC", "Paris")
            ]
        );
        assert!(parse_inline(&words, &labels(), TEXT).unwrap().is_empty());
    }

    #[test]
    fn chunks_hold_whole_sentences_and_cover_the_text() {
        let text = "Dr. Ng left. Four five!\nSix seven eight nine ten eleven. Twelve";
        let chunks = chunks(text, 4);
        let pieces: Vec<&str> = chunks.iter().map(|range| &text[range.clone()]).collect();
        assert_eq!(
            pieces,
            [
                "Dr. Ng left. ",
                "Four five!\n",
                "Six seven eight nine ",
                "ten eleven. Twelve"
            ]
        );
        assert_eq!(pieces.concat(), text);
        assert_eq!(super::chunks(text, 100), crate::batch::whole(text));
    }
}
