//! Flattening: the grammar IR's rules into productions over terminals.
//!
//! Rules are flattened from the root down, and only when a production
//! refers to them, so a rule inlined into a lexeme is never flattened (or
//! compiled) on its own. Before a piece of a rule gets productions, it is
//! offered to [`lexemes`](super::lexemes) as one terminal.
//!
//! Repetitions: `x*` is `R ::= ε | R x` (left recursion, which Earley
//! handles in linear space), `x{m,n}` is `m` copies of `x` followed by a
//! chain of `n - m` optional copies. The number of productions is bounded
//! by [`GrammarConfig::max_productions`], so `x{1,100000}` nested in
//! `y{1,100000}` is an error rather than an out-of-memory abort.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::sync::Arc;

use super::super::config::GrammarConfig;
use super::super::error::{GrammarError, GrammarErrorKind, Origin};
use super::super::ir::MemberList;
use super::super::ir::{Expr, Grammar};
use super::lexemes::{class_pattern, Lexical};
use super::{set_bit, MemberFamily, MemberGuard, MemberStep};
use super::{Production, Symbol, Terminal};
use crate::automaton::{ByteDfa, ProductConfig, RegexConfig};

/// A grammar's productions and terminals, before analysis.
pub(super) struct Flattened {
    pub names: Vec<String>,
    pub productions: Vec<Production>,
    pub families: Vec<MemberFamily>,
    pub terminals: Vec<Terminal>,
    /// The augmented start nonterminal.
    pub start: u32,
    /// The last rule flattened, for errors found afterwards.
    pub origin: Origin,
}

/// Flattens `grammar`'s rules reachable from its root.
pub(super) fn flatten(
    grammar: &Grammar,
    config: &GrammarConfig,
) -> Result<Flattened, GrammarError> {
    let mut builder = Builder {
        grammar,
        config,
        names: grammar.rules().iter().map(|r| r.name.clone()).collect(),
        productions: vec![Production {
            lhs: 0,
            rhs: Vec::new(),
            guard: None,
        }],
        families: Vec::new(),
        terminals: Vec::new(),
        terminal_ids: HashMap::new(),
        failed_lexemes: HashSet::new(),
        regex_config: RegexConfig::new(),
        lexeme_config: config.lexeme_regex(),
        compose_config: config.lexeme_combine(),
        composed: HashMap::new(),
        lexical: vec![Lexical::Unknown; grammar.rules().len()],
        wanted: Vec::new(),
        defined: vec![false; grammar.rules().len()],
        origin: Origin::Built,
    };
    let start = builder.fresh("start");
    builder.productions[0] = Production {
        lhs: start,
        rhs: vec![Symbol::Nonterminal(grammar.root().0)],
        guard: None,
    };
    builder.wanted.push(grammar.root().0);
    builder.defined[grammar.root().0 as usize] = true;
    while let Some(index) = builder.wanted.pop() {
        let rule = &grammar.rules()[index as usize];
        builder.origin = rule.origin.clone();
        let context = format!("rule `{}`", rule.name);
        builder.define(index, &rule.body, &rule.name, &context)?;
    }
    Ok(Flattened {
        names: builder.names,
        productions: builder.productions,
        families: builder.families,
        terminals: builder.terminals,
        start,
        origin: builder.origin,
    })
}

/// The state of one flattening.
pub(super) struct Builder<'a> {
    pub grammar: &'a Grammar,
    pub config: &'a GrammarConfig,
    pub names: Vec<String>,
    pub productions: Vec<Production>,
    /// The member lists flattened so far.
    pub families: Vec<MemberFamily>,
    pub terminals: Vec<Terminal>,
    pub terminal_ids: HashMap<String, u32>,
    /// Lexeme patterns whose DFA was past the lexeme limits: not tried again.
    pub failed_lexemes: HashSet<String>,
    pub regex_config: RegexConfig,
    /// The limits a lexeme's DFA must fit in.
    pub lexeme_config: RegexConfig,
    /// The limits a lexeme built from its pieces' DFAs must fit in.
    pub compose_config: ProductConfig,
    /// Each expression's DFA built from its pieces, by its pattern.
    pub composed: HashMap<String, Option<Arc<ByteDfa>>>,
    /// Each rule as one regex, once known (see [`Lexical`]).
    pub lexical: Vec<Lexical>,
    /// Rules referenced by a production and not flattened yet.
    pub wanted: Vec<u32>,
    /// Rules referenced by a production (flattened or wanted).
    pub defined: Vec<bool>,
    /// Where the rule being flattened is defined, for errors.
    pub origin: Origin,
}

impl Builder<'_> {
    pub(super) fn fresh(&mut self, base: &str) -> u32 {
        self.names.push(format!("{base}#{}", self.names.len()));
        (self.names.len() - 1) as u32
    }

    pub(super) fn add(
        &mut self,
        lhs: u32,
        rhs: Vec<Symbol>,
        context: &str,
    ) -> Result<(), GrammarError> {
        self.add_guarded(lhs, rhs, None, context)
    }

    fn add_guarded(
        &mut self,
        lhs: u32,
        rhs: Vec<Symbol>,
        guard: Option<MemberGuard>,
        context: &str,
    ) -> Result<(), GrammarError> {
        if self.productions.len() >= self.config.max_productions {
            return Err(GrammarError::at(
                GrammarErrorKind::Limit,
                &self.origin,
                format!(
                    "{context}: the grammar expands to more than {} productions \
                     (large bounded repetitions multiply)",
                    self.config.max_productions
                ),
            ));
        }
        self.productions.push(Production { lhs, rhs, guard });
        Ok(())
    }

    /// A member list as two nonterminals, the first member and every later
    /// one, each production taking one step of the list (see
    /// [`members`](super::members)); the first one stands for the
    /// list.
    fn member_list(
        &mut self,
        list: &MemberList,
        base: &str,
        context: &str,
    ) -> Result<Symbol, GrammarError> {
        let first = self.fresh(base);
        let next = self.fresh(base);
        let named: Vec<Symbol> = list
            .named
            .iter()
            .map(|(member, _)| self.symbol(member, base, context))
            .collect::<Result<_, _>>()?;
        let extra = match &list.extra {
            Some(extra) => Some(self.symbol(extra, base, context)?),
            None => None,
        };
        let separator = self.sequence(&list.separator, base, context)?;
        let close = self.sequence(&list.close, base, context)?;
        let mut required = Vec::new();
        for (index, (_, is_required)) in list.named.iter().enumerate() {
            if *is_required {
                set_bit(&mut required, index as u32);
            }
        }
        // Members may hold lists of their own, flattened just above.
        let family = self.families.len() as u32;
        let guard = |step| Some(MemberGuard { family, step });
        let members = named
            .iter()
            .enumerate()
            .map(|(index, &symbol)| (MemberStep::Named(index as u32), symbol))
            .chain(extra.map(|symbol| (MemberStep::Extra, symbol)));
        for (step, symbol) in members {
            let later = [&separator[..], &[symbol, Symbol::Nonterminal(next)]].concat();
            self.add_guarded(
                first,
                later[separator.len()..].to_vec(),
                guard(step),
                context,
            )?;
            self.add_guarded(next, later, guard(step), context)?;
        }
        self.add_guarded(next, close.clone(), guard(MemberStep::Close), context)?;
        self.families.push(MemberFamily {
            first,
            next,
            named,
            required: required.into_boxed_slice(),
            extra,
            separator,
            close,
            min: list.min,
            max: list.max,
        });
        Ok(Symbol::Nonterminal(first))
    }

    /// Adds the productions of `lhs ::= expression`.
    fn define(
        &mut self,
        lhs: u32,
        expression: &Expr,
        base: &str,
        context: &str,
    ) -> Result<(), GrammarError> {
        if let Some(lexeme) = self.lexeme(expression, base, context)? {
            return self.add(lhs, vec![lexeme], context);
        }
        match expression {
            Expr::Alternation(alternatives) => {
                for alternative in alternatives {
                    let rhs = self.sequence(alternative, base, context)?;
                    self.add(lhs, rhs, context)?;
                }
                Ok(())
            }
            Expr::Nothing => Ok(()),
            other => {
                let rhs = self.sequence(other, base, context)?;
                self.add(lhs, rhs, context)
            }
        }
    }

    /// The symbols of `expression` used as one alternative.
    fn sequence(
        &mut self,
        expression: &Expr,
        base: &str,
        context: &str,
    ) -> Result<Vec<Symbol>, GrammarError> {
        match expression {
            Expr::Empty => Ok(Vec::new()),
            Expr::Sequence(items) => {
                let items: Vec<&Expr> = items
                    .iter()
                    .filter(|item| !matches!(item, Expr::Empty))
                    .collect();
                let mut symbols = Vec::with_capacity(items.len());
                let regular: Vec<bool> = items
                    .iter()
                    .map(|item| self.pattern(item).is_some())
                    .collect();
                let mut index = 0;
                while index < items.len() {
                    // The longest regular run starting here, as one lexeme.
                    let run = regular[index..].iter().take_while(|&&yes| yes).count();
                    if run >= 2 {
                        let run_expr = Expr::Sequence(
                            items[index..index + run]
                                .iter()
                                .map(|&e| e.clone())
                                .collect(),
                        );
                        if let Some(lexeme) = self.lexeme(&run_expr, base, context)? {
                            symbols.push(lexeme);
                            index += run;
                            continue;
                        }
                    }
                    symbols.push(self.symbol(items[index], base, context)?);
                    index += 1;
                }
                Ok(symbols)
            }
            other => Ok(vec![self.symbol(other, base, context)?]),
        }
    }

    fn terminal(
        &mut self,
        key: String,
        make: impl FnOnce(&Builder) -> Result<Terminal, String>,
        context: &str,
    ) -> Result<Symbol, GrammarError> {
        if let Some(&id) = self.terminal_ids.get(&key) {
            return Ok(Symbol::Terminal(id));
        }
        let terminal = make(self).map_err(|message| {
            GrammarError::at(
                GrammarErrorKind::BadRegex,
                &self.origin,
                format!("{context}: {message}"),
            )
        })?;
        let id = self.terminals.len() as u32;
        self.terminals.push(terminal);
        self.terminal_ids.insert(key, id);
        Ok(Symbol::Terminal(id))
    }

    /// `terminal`, or `ε | terminal` when its DFA also matches the empty
    /// string.
    pub(super) fn optional_if_empty(
        &mut self,
        terminal: Symbol,
        base: &str,
        context: &str,
    ) -> Result<Symbol, GrammarError> {
        let matches_empty = match terminal {
            Symbol::Terminal(id) => matches!(
                &self.terminals[id as usize],
                Terminal::Bytes(dfa) if dfa.is_accepting(dfa.start())
            ),
            Symbol::Nonterminal(_) => false,
        };
        if !matches_empty {
            return Ok(terminal);
        }
        let optional = self.fresh(base);
        self.add(optional, Vec::new(), context)?;
        self.add(optional, vec![terminal], context)?;
        Ok(Symbol::Nonterminal(optional))
    }

    /// One symbol standing for `expression`.
    fn symbol(
        &mut self,
        expression: &Expr,
        base: &str,
        context: &str,
    ) -> Result<Symbol, GrammarError> {
        match expression {
            Expr::Rule(id) => {
                if !self.defined[id.0 as usize] {
                    self.defined[id.0 as usize] = true;
                    self.wanted.push(id.0);
                }
                Ok(Symbol::Nonterminal(id.0))
            }
            Expr::Literal(text) => self.terminal(
                format!("L{text}"),
                |_| {
                    ByteDfa::labels(&[text.as_str()])
                        .map(|dfa| Terminal::Bytes(Box::new(dfa)))
                        .map_err(|e| e.to_string())
                },
                context,
            ),
            Expr::Class(ranges) => {
                let pattern = class_pattern(ranges);
                self.terminal(
                    format!("R{pattern}"),
                    |builder| {
                        builder
                            .regex_config
                            .build(&pattern)
                            .map(|dfa| Terminal::Bytes(Box::new(dfa)))
                            .map_err(|e| e.to_string())
                    },
                    context,
                )
            }
            Expr::Regex(pattern) => {
                let terminal = self.terminal(
                    format!("R{pattern}"),
                    |builder| match builder.grammar.regex_dfa(pattern) {
                        // GBNF grammars compile their regexes when checked.
                        Some(dfa) => Ok(Terminal::Bytes(Box::new(dfa.clone()))),
                        None => builder
                            .regex_config
                            .build(pattern)
                            .map(|dfa| Terminal::Bytes(Box::new(dfa)))
                            .map_err(|e| e.to_string()),
                    },
                    context,
                )?;
                self.optional_if_empty(terminal, base, context)
            }
            Expr::Automaton(automaton) => {
                let terminal = self.terminal(
                    format!("A{}", automaton.identity()),
                    |_| Ok(Terminal::Bytes(Box::new(automaton.dfa().clone()))),
                    context,
                )?;
                self.optional_if_empty(terminal, base, context)
            }
            Expr::Special(token) => {
                let key = format!("S{token:?}");
                let token = token.clone();
                self.terminal(key, |_| Ok(Terminal::Special(token)), context)
            }
            Expr::TokenExcept(token) => {
                let key = format!("N{token:?}");
                let token = token.clone();
                self.terminal(key, |_| Ok(Terminal::TokenExcept(token)), context)
            }
            Expr::Repeat { inner, min, max } => {
                let item = self.symbol(inner, base, context)?;
                let repeat = self.fresh(base);
                let mut rhs = vec![item; *min as usize];
                match max {
                    None => {
                        // star ::= ε | star item
                        let star = self.fresh(base);
                        self.add(star, Vec::new(), context)?;
                        self.add(star, vec![Symbol::Nonterminal(star), item], context)?;
                        rhs.push(Symbol::Nonterminal(star));
                    }
                    Some(max) if max > min => {
                        // optional_k ::= ε | item optional_(k-1), optional_1 ::= ε | item
                        let mut tail: Option<u32> = None;
                        for _ in 0..(max - min) {
                            let optional = self.fresh(base);
                            self.add(optional, Vec::new(), context)?;
                            let mut body = vec![item];
                            body.extend(tail.map(Symbol::Nonterminal));
                            self.add(optional, body, context)?;
                            tail = Some(optional);
                        }
                        rhs.extend(tail.map(Symbol::Nonterminal));
                    }
                    Some(_) => {}
                }
                self.add(repeat, rhs, context)?;
                Ok(Symbol::Nonterminal(repeat))
            }
            Expr::AnyOrder(list) => self.member_list(list, base, context),
            Expr::Empty | Expr::Sequence(_) | Expr::Alternation(_) | Expr::Nothing => {
                let fresh = self.fresh(base);
                self.define(fresh, expression, base, context)?;
                Ok(Symbol::Nonterminal(fresh))
            }
        }
    }
}
