//! Lowering a GBNF syntax tree into the grammar IR.
//!
//! Names are resolved to [`RuleId`]s, classes normalized, regexes compiled
//! (GBNF grammars are small, so every regex error is reported here with its
//! `line:column`), and the rules reachable from `root` checked to be able to
//! finish. Every error points into the source.

use std::collections::HashMap;

use super::ast;
use crate::grammar::config::GrammarConfig;
use crate::grammar::error::{GrammarError, GrammarErrorKind, Location, Origin, Span};
use crate::grammar::ir::{
    first_unproductive, normalize_class, Expr, ExpressionCount, Grammar, RegexTerminals, Rule,
    RuleId, SpecialToken,
};

/// Lowers `syntax`, parsed from `source`, within `config`'s limits.
pub(in crate::grammar) fn lower(
    source: &str,
    syntax: &ast::Grammar,
    config: &GrammarConfig,
) -> Result<Grammar, GrammarError> {
    Lowering::new(source, config).lower(syntax)
}

/// The state of lowering one grammar's syntax tree.
struct Lowering<'a> {
    source: &'a str,
    ids: HashMap<&'a str, (RuleId, Span)>,
    expressions: ExpressionCount,
    regexes: RegexTerminals,
    config: &'a GrammarConfig,
}

impl<'a> Lowering<'a> {
    fn new(source: &'a str, config: &'a GrammarConfig) -> Lowering<'a> {
        Lowering {
            source,
            ids: HashMap::new(),
            expressions: ExpressionCount::new(config),
            regexes: RegexTerminals::new(true, config),
            config,
        }
    }

    fn error(&self, kind: GrammarErrorKind, span: Span, message: String) -> GrammarError {
        GrammarError::new(kind, self.source, span, message)
    }

    fn lower(mut self, syntax: &'a ast::Grammar) -> Result<Grammar, GrammarError> {
        for (index, rule) in syntax.rules.iter().enumerate() {
            if let Some((_, first)) = self.ids.get(rule.name.as_str()) {
                let first = Location::of(self.source, first.start);
                return Err(self.error(
                    GrammarErrorKind::DuplicateRule,
                    rule.span,
                    format!("rule `{}` is defined twice (first at {first})", rule.name),
                ));
            }
            self.ids
                .insert(rule.name.as_str(), (RuleId(index as u32), rule.span));
        }
        let Some(&(root, _)) = self.ids.get("root") else {
            return Err(self.error(
                GrammarErrorKind::MissingRoot,
                Span::new(0, 0),
                "the grammar has no `root` rule".to_string(),
            ));
        };
        let mut rules = Vec::with_capacity(syntax.rules.len());
        for rule in &syntax.rules {
            rules.push(Rule {
                name: rule.name.clone(),
                body: self.expression(&rule.body)?,
                origin: Origin::Source(Location::of(self.source, rule.span.start)),
            });
        }
        let regexes = std::mem::replace(&mut self.regexes, RegexTerminals::new(true, self.config));
        let grammar = Grammar::assemble(rules, root, regexes, self.config);
        self.check_productive(&grammar, syntax)?;
        Ok(grammar)
    }

    fn expression(&mut self, expression: &ast::Expression) -> Result<Expr, GrammarError> {
        self.expressions
            .add()
            .map_err(|(kind, message)| self.error(kind, Span::new(0, 0), message))?;
        Ok(match expression {
            ast::Expression::Alternation(alternatives) => Expr::Alternation(
                alternatives
                    .iter()
                    .map(|a| self.expression(a))
                    .collect::<Result<_, _>>()?,
            ),
            ast::Expression::Sequence(items) if items.is_empty() => Expr::Empty,
            ast::Expression::Sequence(items) => Expr::Sequence(
                items
                    .iter()
                    .map(|i| self.expression(i))
                    .collect::<Result<_, _>>()?,
            ),
            ast::Expression::Repeat { inner, min, max } => Expr::Repeat {
                inner: Box::new(self.expression(inner)?),
                min: *min,
                max: *max,
            },
            ast::Expression::Literal(text) if text.is_empty() => Expr::Empty,
            ast::Expression::Literal(text) => Expr::Literal(text.clone()),
            ast::Expression::Class { negated, ranges } => {
                let ranges = normalize_class(ranges, *negated);
                if ranges.is_empty() {
                    Expr::Nothing
                } else {
                    Expr::Class(ranges)
                }
            }
            ast::Expression::AnyChar => Expr::Class(normalize_class(&[], true)),
            ast::Expression::Regex { pattern, span } => {
                self.regexes
                    .compile(pattern)
                    .map_err(|(kind, message)| self.error(kind, *span, message))?;
                Expr::Regex(pattern.clone())
            }
            ast::Expression::Reference { name, span } => match self.ids.get(name.as_str()) {
                Some(&(id, _)) => Expr::Rule(id),
                None => {
                    return Err(self.error(
                        GrammarErrorKind::UndefinedRule,
                        *span,
                        format!("undefined rule `{name}`"),
                    ))
                }
            },
            ast::Expression::SpecialName(name) => Expr::Special(SpecialToken::Name(name.clone())),
            ast::Expression::SpecialId(id) => Expr::Special(SpecialToken::Id(*id)),
            ast::Expression::NotSpecialName(name) => {
                Expr::TokenExcept(SpecialToken::Name(name.clone()))
            }
            ast::Expression::NotSpecialId(id) => Expr::TokenExcept(SpecialToken::Id(*id)),
        })
    }

    /// Every rule reachable from `root` must be able to finish.
    fn check_productive(
        &self,
        grammar: &Grammar,
        syntax: &ast::Grammar,
    ) -> Result<(), GrammarError> {
        let Some(index) = first_unproductive(grammar) else {
            return Ok(());
        };
        let rule = &syntax.rules[index];
        if index == grammar.root().0 as usize {
            return Err(self.error(
                GrammarErrorKind::Unproductive,
                rule.span,
                "the grammar matches no output at all: `root` can never finish".to_string(),
            ));
        }
        Err(self.error(
            GrammarErrorKind::Unproductive,
            rule.span,
            format!(
                "rule `{}` can never finish: every alternative needs itself or another \
                 rule that never finishes",
                rule.name
            ),
        ))
    }
}
