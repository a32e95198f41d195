//! The grammar IR: resolved rules over terminals, the common target of GBNF
//! and JSON Schema.
//!
//! Rules are numbered ([`RuleId`]) and referenced by number; terminals are
//! literals, character classes (always positive, sorted, merged), regexes,
//! special tokens, token negations (one whole token but a named one) and
//! ready-made automata ([`DfaTerminal`], for languages
//! that compilers build by intersecting or subtracting regexes). Lowering
//! from GBNF ([`gbnf::lower`](super::gbnf)) resolves names and checks the
//! grammar, each error with the `line:column` of its cause; compilers that
//! build rules directly ([`Grammar::from_rules`]) go through the same checks
//! (this module), located at each rule's [`Rule::origin`]:
//!
//! * a rule defined twice, a reference to an undefined rule, no `root`;
//! * a `/regex/` that does not compile (within [`RegexConfig`] limits; a
//!   compiler-built grammar's regexes are only parsed here and compiled
//!   when the grammar is flattened);
//! * unproductive rules — rules reachable from `root` that can never finish
//!   (`a ::= "x" a`), and so an empty language;
//! * more than [`GrammarConfig::max_expressions`] expression nodes, or
//!   regexes that take more than [`GrammarConfig::max_regex_time`] to
//!   compile all together.
//!
//! A grammar keeps the [`GrammarConfig`] it was checked with; flattening
//! and parsing it use the same limits.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::GrammarConfig;
use super::error::{GrammarError, GrammarErrorKind, Origin};
use super::gbnf;
use crate::automaton::{ByteDfa, CompileErrorKind, RegexConfig};

/// A rule's index in [`Grammar::rules`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// A special token named in a grammar; resolved against a vocabulary when
/// the grammar is compiled into a constraint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SpecialToken {
    /// By its text, e.g. `<|eot_id|>`.
    Name(String),
    /// By its id.
    Id(u32),
}

impl std::fmt::Display for SpecialToken {
    /// As GBNF writes it: `<|eot_id|>` (the name keeps its brackets) or
    /// `<[128009]>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpecialToken::Name(name) => f.write_str(name),
            SpecialToken::Id(id) => write!(f, "<[{id}]>"),
        }
    }
}

/// An expression over rules and terminals.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expr {
    /// The empty string.
    Empty,
    /// A literal string.
    Literal(String),
    /// One character from sorted, non-overlapping, non-adjacent inclusive
    /// ranges (never empty: an empty class is [`Expr::Nothing`]).
    Class(Vec<(char, char)>),
    /// A regex matched as one terminal.
    Regex(String),
    /// A special token.
    Special(SpecialToken),
    /// Any one whole token except this one, and never an end-of-sequence
    /// token (GBNF `!<|name|>`, `!<[id]>`). A name must be a special
    /// token's; an id may be any token's.
    TokenExcept(SpecialToken),
    /// Bytes matched by a ready-made automaton, as one terminal.
    Automaton(DfaTerminal),
    /// A rule.
    Rule(RuleId),
    /// Items in order.
    Sequence(Vec<Expr>),
    /// One of the alternatives.
    Alternation(Vec<Expr>),
    /// `inner` between `min` and `max` times (`None`: unbounded).
    Repeat {
        /// What is repeated.
        inner: Box<Expr>,
        /// At least this many times.
        min: u32,
        /// At most this many times.
        max: Option<u32>,
    },
    /// Matches nothing (an empty character class).
    Nothing,
    /// Members in any order, each named one at most once: see
    /// [`MemberList`].
    AnyOrder(Arc<MemberList>),
}

/// A terminal given directly as a [`ByteDfa`], for languages no single
/// regex states (a `pattern` cut to a length, an object key matching one
/// regex but not another). Shared, so cloning an expression is cheap; two
/// terminals are equal when they share the same automaton, which is what
/// deduplication needs (separately built equal languages simply stay two
/// terminals).
#[derive(Clone)]
pub struct DfaTerminal {
    label: String,
    dfa: Arc<ByteDfa>,
}

impl DfaTerminal {
    /// Wraps `dfa`; `label` names it in debug output and errors.
    pub fn new(label: impl Into<String>, dfa: ByteDfa) -> DfaTerminal {
        DfaTerminal {
            label: label.into(),
            dfa: Arc::new(dfa),
        }
    }

    /// The automaton (matched against the whole terminal).
    pub fn dfa(&self) -> &ByteDfa {
        &self.dfa
    }

    /// The label given at construction.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// An identity for the automaton, equal for equal terminals and unique
    /// among the terminals alive at the same time.
    pub fn identity(&self) -> usize {
        Arc::as_ptr(&self.dfa) as usize
    }
}

impl PartialEq for DfaTerminal {
    fn eq(&self, other: &DfaTerminal) -> bool {
        Arc::ptr_eq(&self.dfa, &other.dfa)
    }
}

impl Eq for DfaTerminal {}

impl std::fmt::Debug for DfaTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DfaTerminal")
            .field("label", &self.label)
            .field("states", &self.dfa.state_count())
            .finish()
    }
}

/// A member list (see [`Expr::AnyOrder`], and `cfg/members.rs` for how it is
/// recognized): one or more members separated
/// by `separator`, then `close`. Named members come in any order, each at
/// most once, and every required one is there; `extra` members may repeat;
/// the number of members in all is between `min` and `max`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberList {
    /// The named members (a whole member each: key, colon, value), each
    /// with whether it is required.
    pub named: Vec<(Expr, bool)>,
    /// Any other member, if other members are allowed.
    pub extra: Option<Expr>,
    /// What comes between two members.
    pub separator: Expr,
    /// What comes after the last member.
    pub close: Expr,
    /// At least this many members in all.
    pub min: u64,
    /// At most this many members in all (`None`: no bound).
    pub max: Option<u64>,
}

impl MemberList {
    /// Every expression of the list: the named members, the extra member,
    /// the separator and the close.
    pub fn parts(&self) -> impl Iterator<Item = &Expr> {
        self.named
            .iter()
            .map(|(member, _)| member)
            .chain(&self.extra)
            .chain([&self.separator, &self.close])
    }

    /// Whether some list can be written, given which member expressions
    /// derive a string at all.
    pub fn derives(&self, derives: impl Fn(&Expr) -> bool) -> bool {
        if !derives(&self.close) {
            return false;
        }
        let mut required = 0u64;
        let mut optional = 0u64;
        for (member, is_required) in &self.named {
            match (derives(member), is_required) {
                (false, true) => return false,
                (false, false) => {}
                (true, true) => required += 1,
                (true, false) => optional += 1,
            }
        }
        let extras = self.extra.as_ref().is_some_and(&derives);
        let fewest = required.max(self.min).max(1);
        let most = if extras {
            u64::MAX
        } else {
            required + optional
        };
        let most = self.max.map_or(most, |max| most.min(max));
        fewest <= most && (fewest == 1 || derives(&self.separator))
    }
}

/// A named rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    /// Its right-hand side.
    pub body: Expr,
    /// Where it comes from: its place in GBNF source, the schema part it
    /// was compiled from, or a program.
    pub origin: Origin,
}

/// A checked grammar.
#[derive(Clone, Debug)]
pub struct Grammar {
    rules: Vec<Rule>,
    root: RuleId,
    /// The DFA of every `/regex/` terminal, compiled once while checking.
    regexes: HashMap<String, ByteDfa>,
    /// The limits it was checked with, and will be flattened and parsed with.
    config: GrammarConfig,
}

impl Grammar {
    /// Parses and checks GBNF source; the start rule is `root`.
    pub fn from_gbnf(source: &str) -> Result<Grammar, GrammarError> {
        Grammar::from_gbnf_with(source, &GrammarConfig::default())
    }

    /// [`from_gbnf`](Grammar::from_gbnf) within `config`'s limits.
    pub fn from_gbnf_with(source: &str, config: &GrammarConfig) -> Result<Grammar, GrammarError> {
        let syntax = gbnf::parse(source)?;
        gbnf::lower(source, &syntax, config)
    }

    /// A grammar from lowered rules; the checks are the caller's.
    pub(super) fn assemble(
        rules: Vec<Rule>,
        root: RuleId,
        regexes: RegexTerminals,
        config: &GrammarConfig,
    ) -> Grammar {
        Grammar {
            rules,
            root,
            regexes: regexes.dfas,
            config: config.clone(),
        }
    }

    /// Checks rules built by a compiler (JSON Schema, say) with the same
    /// checks as GBNF lowering: every referenced rule exists, every regex
    /// compiles within the limits, classes are normalized and non-empty,
    /// rules reachable from `root` are productive, and the size limits hold.
    /// Errors carry the offending rule's [`Rule::origin`] and name it.
    pub fn from_rules(rules: Vec<Rule>, root: RuleId) -> Result<Grammar, GrammarError> {
        Grammar::from_rules_with(rules, root, &GrammarConfig::default())
    }

    /// [`from_rules`](Grammar::from_rules) within `config`'s limits.
    pub fn from_rules_with(
        rules: Vec<Rule>,
        root: RuleId,
        config: &GrammarConfig,
    ) -> Result<Grammar, GrammarError> {
        let at_rule = |index: usize| {
            rules
                .get(index)
                .map_or(Origin::Built, |rule| rule.origin.clone())
        };
        if root.0 as usize >= rules.len() {
            return Err(GrammarError::at(
                GrammarErrorKind::MissingRoot,
                &at_rule(0),
                format!("the root rule #{} does not exist", root.0),
            ));
        }
        let mut regexes = RegexTerminals::new(false, config);
        let mut expressions = ExpressionCount::new(config);
        for (index, rule) in rules.iter().enumerate() {
            check_expression(&rule.body, rules.len(), &mut regexes, &mut expressions).map_err(
                |(kind, message)| {
                    GrammarError::at(
                        kind,
                        &at_rule(index),
                        format!("rule `{}`: {message}", rule.name),
                    )
                },
            )?;
        }
        let grammar = Grammar::assemble(rules, root, regexes, config);
        match first_unproductive(&grammar) {
            None => Ok(grammar),
            Some(index) => {
                let rule = &grammar.rules[index];
                let message = if index == grammar.root.0 as usize {
                    format!(
                        "the grammar matches no output at all: `{}` can never finish",
                        rule.name
                    )
                } else {
                    format!(
                        "rule `{}` can never finish: every alternative needs itself or another \
                         rule that never finishes",
                        rule.name
                    )
                };
                Err(GrammarError::at(
                    GrammarErrorKind::Unproductive,
                    &rule.origin,
                    message,
                ))
            }
        }
    }

    /// The limits the grammar was checked with.
    pub fn config(&self) -> &GrammarConfig {
        &self.config
    }

    /// Every rule, indexed by [`RuleId`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule `id`.
    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[id.0 as usize]
    }

    /// The start rule.
    pub fn root(&self) -> RuleId {
        self.root
    }

    /// The compiled DFA of the regex terminal `pattern`, if the grammar has
    /// one (it is matched as a whole, like the rest of the output).
    pub fn regex_dfa(&self, pattern: &str) -> Option<&ByteDfa> {
        self.regexes.get(pattern)
    }

    /// The id of the rule called `name`.
    pub fn rule_id(&self, name: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|rule| rule.name == name)
            .map(|index| RuleId(index as u32))
    }
}

/// The last Unicode scalar value before the surrogates, and the first after.
const BEFORE_SURROGATES: char = '\u{D7FF}';
const AFTER_SURROGATES: char = '\u{E000}';

/// Sorts and merges `ranges`; with `negated`, complements them over all
/// Unicode scalar values.
pub fn normalize_class(ranges: &[(char, char)], negated: bool) -> Vec<(char, char)> {
    let mut sorted: Vec<(u32, u32)> = ranges.iter().map(|&(a, b)| (a as u32, b as u32)).collect();
    sorted.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (low, high) in sorted {
        match merged.last_mut() {
            Some(last) if low <= last.1.saturating_add(1) => last.1 = last.1.max(high),
            _ => merged.push((low, high)),
        }
    }
    let merged = if negated {
        let mut complement = Vec::new();
        let mut next = 0u32;
        for (low, high) in merged {
            if low > next {
                complement.push((next, low - 1));
            }
            next = high + 1;
        }
        if next <= char::MAX as u32 {
            complement.push((next, char::MAX as u32));
        }
        complement
    } else {
        merged
    };
    // Split around the surrogate gap, which no `char` occupies.
    let mut out = Vec::new();
    for (low, high) in merged {
        let pieces = [
            (low, high.min(BEFORE_SURROGATES as u32)),
            (low.max(AFTER_SURROGATES as u32), high),
        ];
        for (a, b) in pieces {
            if a <= b {
                if let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b)) {
                    out.push((a, b));
                }
            }
        }
    }
    out
}

/// The regex terminals of one grammar, each compiled once, all within one
/// shared [`GrammarConfig::max_regex_time`].
///
/// Compiler-built grammars ([`Grammar::from_rules`]) only parse their
/// regexes here: most are small pieces that flattening inlines into larger
/// lexemes, so determinizing each on its own would be wasted work; the ones
/// matched on their own are compiled (and their errors reported) when the
/// grammar is flattened. GBNF grammars are small and compile eagerly, so
/// `rein check --grammar` reports every regex error.
pub(super) struct RegexTerminals {
    config: RegexConfig,
    max_time: Duration,
    dfas: HashMap<String, ByteDfa>,
    /// Patterns that parsed, when not eager (a schema repeats its string
    /// and number regexes many times).
    parsed: HashSet<String>,
    started: Instant,
    eager: bool,
}

impl RegexTerminals {
    pub(super) fn new(eager: bool, config: &GrammarConfig) -> RegexTerminals {
        RegexTerminals {
            config: RegexConfig::new(),
            max_time: config.max_regex_time,
            dfas: HashMap::new(),
            parsed: HashSet::new(),
            started: Instant::now(),
            eager,
        }
    }

    /// Compiles `pattern` unless it already is (or, when not eager, checks
    /// that it parses); the error names the kind and says what is wrong.
    pub(super) fn compile(&mut self, pattern: &str) -> Result<(), (GrammarErrorKind, String)> {
        if self.dfas.contains_key(pattern) || self.parsed.contains(pattern) {
            return Ok(());
        }
        if !self.eager {
            self.config.check(pattern).map_err(|error| {
                (
                    GrammarErrorKind::BadRegex,
                    format!("bad regex /{}/: {error}", abbreviated(pattern)),
                )
            })?;
            self.parsed.insert(pattern.to_string());
            return Ok(());
        }
        let remaining = self.max_time.saturating_sub(self.started.elapsed());
        if remaining.is_zero() {
            return Err((
                GrammarErrorKind::Limit,
                format!(
                    "compiling the grammar's regexes took longer than {:?}",
                    self.max_time
                ),
            ));
        }
        let config = self.config.clone().max_compile_time(remaining);
        let dfa = config.build(pattern).map_err(|error| {
            let message = match error.kind() {
                CompileErrorKind::EmptyLanguage => {
                    format!("regex /{}/ matches nothing", abbreviated(pattern))
                }
                _ => format!("bad regex /{}/: {error}", abbreviated(pattern)),
            };
            (GrammarErrorKind::BadRegex, message)
        })?;
        self.dfas.insert(pattern.to_string(), dfa);
        Ok(())
    }
}

/// `pattern` cut to its first 80 characters, for error messages: a
/// generated regex can be many kilobytes long.
fn abbreviated(pattern: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 80;
    match pattern.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &pattern[..end]).into(),
        None => pattern.into(),
    }
}

/// Expression nodes met so far, against [`GrammarConfig::max_expressions`].
pub(super) struct ExpressionCount {
    count: usize,
    max: usize,
}

impl ExpressionCount {
    pub(super) fn new(config: &GrammarConfig) -> ExpressionCount {
        ExpressionCount {
            count: 0,
            max: config.max_expressions,
        }
    }

    /// Counts one more node.
    pub(super) fn add(&mut self) -> Result<(), (GrammarErrorKind, String)> {
        self.count += 1;
        if self.count > self.max {
            return Err((
                GrammarErrorKind::Limit,
                format!("the grammar has more than {} expressions", self.max),
            ));
        }
        Ok(())
    }
}

/// Checks one expression of a compiler-built rule: references in range,
/// regexes compiled, classes normalized, the size limit.
fn check_expression(
    expression: &Expr,
    rule_count: usize,
    regexes: &mut RegexTerminals,
    expressions: &mut ExpressionCount,
) -> Result<(), (GrammarErrorKind, String)> {
    expressions.add()?;
    match expression {
        Expr::Empty
        | Expr::Literal(_)
        | Expr::Special(_)
        | Expr::TokenExcept(_)
        | Expr::Automaton(_)
        | Expr::Nothing => Ok(()),
        Expr::Class(ranges) => {
            let pairs: Vec<(char, char)> = ranges.clone();
            if ranges.is_empty() || normalize_class(&pairs, false) != *ranges {
                return Err((
                    GrammarErrorKind::Syntax,
                    "a character class must be non-empty, sorted and merged (see normalize_class)"
                        .to_string(),
                ));
            }
            Ok(())
        }
        Expr::Regex(pattern) => regexes.compile(pattern),
        Expr::Rule(id) if (id.0 as usize) < rule_count => Ok(()),
        Expr::Rule(id) => Err((
            GrammarErrorKind::UndefinedRule,
            format!("reference to rule #{} of {rule_count}", id.0),
        )),
        Expr::Sequence(items) | Expr::Alternation(items) => items
            .iter()
            .try_for_each(|item| check_expression(item, rule_count, regexes, expressions)),
        Expr::Repeat { inner, min, max } => {
            if max.is_some_and(|max| max < *min) {
                return Err((
                    GrammarErrorKind::Syntax,
                    format!("a repetition of at least {min} and at most {max:?} times"),
                ));
            }
            check_expression(inner, rule_count, regexes, expressions)
        }
        Expr::AnyOrder(list) => {
            if list.named.len() >= u32::MAX as usize {
                return Err((
                    GrammarErrorKind::Limit,
                    "a member list with too many named members".to_string(),
                ));
            }
            list.parts()
                .try_for_each(|item| check_expression(item, rule_count, regexes, expressions))
        }
    }
}

/// The first rule reachable from `root` that can never finish (`root`
/// itself first), if any.
pub(super) fn first_unproductive(grammar: &Grammar) -> Option<usize> {
    let productive = productive_rules(grammar);
    let mut reachable = vec![false; grammar.rules.len()];
    let mut pending = vec![grammar.root];
    while let Some(id) = pending.pop() {
        if std::mem::replace(&mut reachable[id.0 as usize], true) {
            continue;
        }
        referenced_rules(&grammar.rule(id).body, &mut pending);
    }
    if !productive[grammar.root.0 as usize] {
        return Some(grammar.root.0 as usize);
    }
    (0..grammar.rules.len()).find(|&i| reachable[i] && !productive[i])
}

/// The rules `expression` refers to.
fn referenced_rules(expression: &Expr, out: &mut Vec<RuleId>) {
    match expression {
        Expr::Rule(id) => out.push(*id),
        Expr::Sequence(items) | Expr::Alternation(items) => {
            items.iter().for_each(|item| referenced_rules(item, out))
        }
        Expr::Repeat { inner, .. } => referenced_rules(inner, out),
        Expr::AnyOrder(list) => list.parts().for_each(|part| referenced_rules(part, out)),
        _ => {}
    }
}

/// For every rule, whether it derives at least one finite string.
pub fn productive_rules(grammar: &Grammar) -> Vec<bool> {
    let mut productive = vec![false; grammar.rules.len()];
    loop {
        let mut changed = false;
        for (index, rule) in grammar.rules.iter().enumerate() {
            if !productive[index] && is_productive(&rule.body, &productive) {
                productive[index] = true;
                changed = true;
            }
        }
        if !changed {
            return productive;
        }
    }
}

fn is_productive(expression: &Expr, productive: &[bool]) -> bool {
    match expression {
        Expr::Empty
        | Expr::Literal(_)
        | Expr::Class(_)
        | Expr::Regex(_)
        | Expr::Special(_)
        | Expr::TokenExcept(_)
        | Expr::Automaton(_) => true,
        Expr::Nothing => false,
        Expr::Rule(id) => productive[id.0 as usize],
        Expr::Sequence(items) => items.iter().all(|i| is_productive(i, productive)),
        Expr::Alternation(items) => items.iter().any(|i| is_productive(i, productive)),
        Expr::Repeat { inner, min, .. } => *min == 0 || is_productive(inner, productive),
        Expr::AnyOrder(list) => list.derives(|part| is_productive(part, productive)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(source: &str) -> String {
        Grammar::from_gbnf(source).unwrap_err().to_string()
    }

    #[test]
    fn names_resolve_to_ids() {
        let grammar = Grammar::from_gbnf("root ::= item+\nitem ::= [a-c] | \"x\"").unwrap();
        assert_eq!(grammar.root(), RuleId(0));
        let item = grammar.rule_id("item").unwrap();
        assert_eq!(
            grammar.rule(grammar.root()).body,
            Expr::Repeat {
                inner: Box::new(Expr::Rule(item)),
                min: 1,
                max: None
            }
        );
    }

    #[test]
    fn every_error_class_has_a_location() {
        assert_eq!(
            error("root ::= a\na ::= \"x\"\na ::= \"y\""),
            "3:1: rule `a` is defined twice (first at 2:1)"
        );
        assert_eq!(
            error("root ::= \"x\" missing"),
            "1:14: undefined rule `missing`"
        );
        assert_eq!(
            error("start ::= \"x\""),
            "1:1: the grammar has no `root` rule"
        );
        assert!(
            error("root ::= a\na ::= \"x\" a").starts_with("1:1: the grammar matches no output")
        );
        assert!(error("root ::= \"x\" | a\na ::= \"x\" a")
            .starts_with("2:1: rule `a` can never finish"));
        assert!(error("root ::= /a(/").starts_with("1:10: bad regex /a(/"));
        assert!(error("root ::= /[a&&b]/").starts_with("1:10: regex /[a&&b]/ matches nothing"));
        assert!(error("root ::= [^\\x00-\\U0010FFFF]").contains("matches no output"));
    }

    #[test]
    fn recursion_with_a_base_case_is_fine() {
        let grammar =
            Grammar::from_gbnf("root ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]");
        assert!(grammar.is_ok(), "{grammar:?}");
    }

    fn rule(name: &str, body: Expr) -> Rule {
        Rule {
            name: name.to_string(),
            body,
            origin: Origin::Built,
        }
    }

    #[test]
    fn built_rules_get_the_gbnf_checks() {
        let ok = Grammar::from_rules(
            vec![
                rule(
                    "root",
                    Expr::Sequence(vec![Expr::Rule(RuleId(1)), Expr::Regex("[0-9]+".into())]),
                ),
                rule("key", Expr::Literal("k".into())),
            ],
            RuleId(0),
        )
        .unwrap();
        // Built grammars only parse their regexes; flattening compiles them.
        assert!(ok.regex_dfa("[0-9]+").is_none());
        let empty =
            Grammar::from_rules(vec![rule("root", Expr::Regex("[a&&b]".into()))], RuleId(0))
                .unwrap();
        let error = crate::grammar::cfg::Cfg::new(&empty)
            .unwrap_err()
            .to_string();
        assert!(error.contains("matches no output"), "{error}");
        let message = |rules: Vec<Rule>| {
            Grammar::from_rules(rules, RuleId(0))
                .unwrap_err()
                .to_string()
        };
        assert!(message(vec![rule("root", Expr::Rule(RuleId(7)))]).contains("rule #7 of 1"));
        assert!(message(vec![rule("root", Expr::Regex("a(".into()))]).contains("bad regex /a(/"));
        assert!(message(vec![
            rule(
                "root",
                Expr::Alternation(vec![Expr::Empty, Expr::Rule(RuleId(1))])
            ),
            rule(
                "loop",
                Expr::Sequence(vec![Expr::Literal("x".into()), Expr::Rule(RuleId(1))])
            ),
        ])
        .contains("rule `loop` can never finish"));
        assert!(message(vec![rule("root", Expr::Nothing)]).contains("matches no output"));
        assert!(message(vec![rule(
            "root",
            Expr::Class(vec![('b', 'c'), ('a', 'a')])
        )])
        .contains("sorted and merged"));
        assert!(Grammar::from_rules(vec![], RuleId(0)).is_err());
    }

    #[test]
    fn errors_point_where_the_rule_came_from() {
        let from_schema = Rule {
            name: "string".into(),
            body: Expr::Regex("a(".into()),
            origin: Origin::Pointer("#/properties/name".into()),
        };
        let error = Grammar::from_rules(
            vec![rule("root", Expr::Rule(RuleId(1))), from_schema],
            RuleId(0),
        )
        .unwrap_err();
        assert_eq!(error.origin(), &Origin::Pointer("#/properties/name".into()));
        assert_eq!(error.location(), None);
        assert!(
            error
                .to_string()
                .starts_with("#/properties/name: rule `string`: bad regex"),
            "{error}"
        );
        // A rule a program built from no text is named, not placed.
        let error = Grammar::from_rules(vec![rule("root", Expr::Nothing)], RuleId(0)).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the grammar matches no output"),
            "{error}"
        );
        // GBNF errors keep their line and column.
        let error = Grammar::from_gbnf("root ::= \"x\"\nroot ::= \"y\"").unwrap_err();
        assert_eq!(
            error.location(),
            Some(crate::grammar::Location { line: 2, column: 1 })
        );
    }

    #[test]
    fn classes_are_normalized() {
        assert_eq!(
            normalize_class(&[('c', 'd'), ('a', 'b'), ('x', 'x')], false),
            vec![('a', 'd'), ('x', 'x')]
        );
        let negated = normalize_class(&[('\u{1}', '\u{10FFFF}')], true);
        assert_eq!(negated, vec![('\0', '\0')]);
        let any = normalize_class(&[], true);
        assert_eq!(any, vec![('\0', '\u{D7FF}'), ('\u{E000}', '\u{10FFFF}')]);
        let around = normalize_class(&[('\u{D000}', '\u{F000}')], false);
        assert_eq!(
            around,
            vec![('\u{D000}', '\u{D7FF}'), ('\u{E000}', '\u{F000}')]
        );
    }
}
