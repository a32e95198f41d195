//! The grammar IR flattened into productions for the Earley parser.
//!
//! Every IR rule becomes a nonterminal; nested alternations, sequences and
//! repetitions get fresh nonterminals; every distinct terminal (literal,
//! character class, regex) becomes one byte-level [`ByteDfa`], scanned byte
//! by byte, and special tokens stay token-level terminals.
//!
//! Repetitions: `x*` is `R ::= ε | R x` (left recursion, which Earley
//! handles in linear space), `x{m,n}` is `m` copies of `x` followed by a
//! chain of `n - m` optional copies. The number of productions is bounded
//! by [`MAX_PRODUCTIONS`], so `x{1,100000}` nested in `y{1,100000}` is an
//! error rather than an out-of-memory abort.

use std::collections::HashMap;

use super::error::{GrammarError, GrammarErrorKind, Location};
use super::ir::{Expr, Grammar, SpecialToken};
use crate::automaton::{ByteDfa, RegexConfig};

/// The most productions a flattened grammar may have.
pub const MAX_PRODUCTIONS: usize = 1 << 20;

/// A grammar symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// A terminal, by index into [`Cfg::terminals`].
    Terminal(u32),
    /// A nonterminal, by index.
    Nonterminal(u32),
}

/// A terminal: bytes matched by a DFA, or one special token.
#[derive(Clone, Debug)]
pub enum Terminal {
    /// Bytes matched by a DFA (its start state is never accepting: empty
    /// terminals become empty productions).
    Bytes(Box<ByteDfa>),
    /// A special token.
    Special(SpecialToken),
}

/// `lhs ::= rhs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Production {
    /// The nonterminal it defines.
    pub lhs: u32,
    /// The symbols, in order; empty for `ε`.
    pub rhs: Vec<Symbol>,
}

/// A context-free grammar over byte-DFA terminals, with an augmented start.
#[derive(Clone, Debug)]
pub struct Cfg {
    /// Nonterminal names (fresh ones are named after their rule).
    pub names: Vec<String>,
    /// Every production; production 0 is the augmented `start ::= root`.
    pub productions: Vec<Production>,
    /// The productions of each nonterminal.
    pub by_lhs: Vec<Vec<u32>>,
    /// The terminals.
    pub terminals: Vec<Terminal>,
    /// Which nonterminals derive the empty string.
    pub nullable: Vec<bool>,
    /// The augmented start nonterminal.
    pub start: u32,
    /// Each nonterminal's production starting a shortest derivation (`None`
    /// when it derives no byte string, e.g. only special tokens or nothing).
    shortest_production: Vec<Option<u32>>,
    /// Each terminal's shortest byte string (`None` for special tokens).
    terminal_shortest: Vec<Option<Vec<u8>>>,
}

impl Cfg {
    /// Flattens `grammar`.
    pub fn new(grammar: &Grammar) -> Result<Cfg, GrammarError> {
        let mut builder = Builder {
            grammar,
            names: grammar.rules().iter().map(|r| r.name.clone()).collect(),
            productions: vec![Production {
                lhs: 0,
                rhs: Vec::new(),
            }],
            terminals: Vec::new(),
            terminal_ids: HashMap::new(),
            regex_config: RegexConfig::new(),
            location: Location { line: 1, column: 1 },
        };
        let start = builder.fresh("start");
        builder.productions[0] = Production {
            lhs: start,
            rhs: vec![Symbol::Nonterminal(grammar.root().0)],
        };
        for (index, rule) in grammar.rules().iter().enumerate() {
            builder.location = rule.location;
            let context = format!("rule `{}`", rule.name);
            builder.define(index as u32, &rule.body, &rule.name, &context)?;
        }
        let mut by_lhs = vec![Vec::new(); builder.names.len()];
        for (index, production) in builder.productions.iter().enumerate() {
            by_lhs[production.lhs as usize].push(index as u32);
        }
        let nullable = nullable(&builder.productions, builder.names.len());
        let terminal_shortest: Vec<Option<Vec<u8>>> = builder
            .terminals
            .iter()
            .map(|terminal| match terminal {
                Terminal::Bytes(dfa) => dfa.shortest_completion(dfa.start()),
                Terminal::Special(_) => None,
            })
            .collect();
        let shortest_production = shortest_productions(
            &builder.productions,
            builder.names.len(),
            &terminal_shortest,
        );
        Ok(Cfg {
            names: builder.names,
            productions: builder.productions,
            by_lhs,
            terminals: builder.terminals,
            nullable,
            start,
            shortest_production,
            terminal_shortest,
        })
    }

    /// Bytes of heap memory held by the productions and terminal DFAs.
    pub fn memory_usage(&self) -> usize {
        let productions: usize = self
            .productions
            .iter()
            .map(|p| {
                std::mem::size_of::<Production>() + p.rhs.capacity() * std::mem::size_of::<Symbol>()
            })
            .sum();
        let terminals: usize = self
            .terminals
            .iter()
            .map(|terminal| match terminal {
                Terminal::Bytes(dfa) => dfa.memory_usage(),
                Terminal::Special(_) => 0,
            })
            .sum();
        productions + terminals
    }

    /// A shortest byte string `symbol` derives, or `None` if it derives
    /// none (it needs a special token, or nothing at all).
    pub fn shortest_string(&self, symbol: Symbol) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut pending = vec![symbol];
        while let Some(symbol) = pending.pop() {
            match symbol {
                Symbol::Terminal(t) => {
                    out.extend_from_slice(self.terminal_shortest[t as usize].as_ref()?)
                }
                Symbol::Nonterminal(n) => {
                    let production = self.shortest_production[n as usize]?;
                    pending.extend(self.productions[production as usize].rhs.iter().rev());
                }
            }
        }
        Some(out)
    }

    /// The symbol after the dot, if any.
    #[inline]
    pub fn symbol_at(&self, production: u32, dot: u32) -> Option<Symbol> {
        self.productions[production as usize]
            .rhs
            .get(dot as usize)
            .copied()
    }
}

struct Builder<'a> {
    grammar: &'a Grammar,
    names: Vec<String>,
    productions: Vec<Production>,
    terminals: Vec<Terminal>,
    terminal_ids: HashMap<String, u32>,
    regex_config: RegexConfig,
    /// Where the rule being flattened is defined, for errors.
    location: Location,
}

/// A regex matching one character of a class, with every character
/// written as `\x{HHHH}` so no character needs escaping.
fn class_pattern(ranges: &[(char, char)]) -> String {
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
    fn fresh(&mut self, base: &str) -> u32 {
        self.names.push(format!("{base}#{}", self.names.len()));
        (self.names.len() - 1) as u32
    }

    fn add(&mut self, lhs: u32, rhs: Vec<Symbol>, context: &str) -> Result<(), GrammarError> {
        if self.productions.len() >= MAX_PRODUCTIONS {
            return Err(GrammarError::at(
                GrammarErrorKind::Limit,
                self.location,
                format!(
                    "{context}: the grammar expands to more than {MAX_PRODUCTIONS} productions \
                     (large bounded repetitions multiply)"
                ),
            ));
        }
        self.productions.push(Production { lhs, rhs });
        Ok(())
    }

    /// Adds the productions of `lhs ::= expression`.
    fn define(
        &mut self,
        lhs: u32,
        expression: &Expr,
        base: &str,
        context: &str,
    ) -> Result<(), GrammarError> {
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
                let mut symbols = Vec::with_capacity(items.len());
                for item in items {
                    if !matches!(item, Expr::Empty) {
                        symbols.push(self.symbol(item, base, context)?);
                    }
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
                self.location,
                format!("{context}: {message}"),
            )
        })?;
        let id = self.terminals.len() as u32;
        self.terminals.push(terminal);
        self.terminal_ids.insert(key, id);
        Ok(Symbol::Terminal(id))
    }

    /// One symbol standing for `expression`.
    fn symbol(
        &mut self,
        expression: &Expr,
        base: &str,
        context: &str,
    ) -> Result<Symbol, GrammarError> {
        match expression {
            Expr::Rule(id) => Ok(Symbol::Nonterminal(id.0)),
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
                        // Checking the grammar compiled its regexes already.
                        Some(dfa) => Ok(Terminal::Bytes(Box::new(dfa.clone()))),
                        None => builder
                            .regex_config
                            .build(pattern)
                            .map(|dfa| Terminal::Bytes(Box::new(dfa)))
                            .map_err(|e| e.to_string()),
                    },
                    context,
                )?;
                let matches_empty = match terminal {
                    Symbol::Terminal(id) => matches!(
                        &self.terminals[id as usize],
                        Terminal::Bytes(dfa) if dfa.is_accepting(dfa.start())
                    ),
                    Symbol::Nonterminal(_) => false,
                };
                // A regex that also matches the empty string is `ε | regex`.
                if matches_empty {
                    let optional = self.fresh(base);
                    self.add(optional, Vec::new(), context)?;
                    self.add(optional, vec![terminal], context)?;
                    Ok(Symbol::Nonterminal(optional))
                } else {
                    Ok(terminal)
                }
            }
            Expr::Special(token) => {
                let key = format!("S{token:?}");
                let token = token.clone();
                self.terminal(key, |_| Ok(Terminal::Special(token)), context)
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
            Expr::Empty | Expr::Sequence(_) | Expr::Alternation(_) | Expr::Nothing => {
                let fresh = self.fresh(base);
                self.define(fresh, expression, base, context)?;
                Ok(Symbol::Nonterminal(fresh))
            }
        }
    }
}

/// For each nonterminal, a production that starts one of its shortest
/// derivations. Lengths only ever decrease strictly, so the chosen
/// productions never form a cycle and expanding them terminates.
fn shortest_productions(
    productions: &[Production],
    nonterminals: usize,
    terminal_shortest: &[Option<Vec<u8>>],
) -> Vec<Option<u32>> {
    let mut length: Vec<Option<usize>> = vec![None; nonterminals];
    let mut best: Vec<Option<u32>> = vec![None; nonterminals];
    loop {
        let mut changed = false;
        for (index, production) in productions.iter().enumerate() {
            let total = production.rhs.iter().try_fold(0usize, |sum, symbol| {
                let part = match symbol {
                    Symbol::Terminal(t) => terminal_shortest[*t as usize].as_ref()?.len(),
                    Symbol::Nonterminal(n) => length[*n as usize]?,
                };
                Some(sum.saturating_add(part))
            });
            let lhs = production.lhs as usize;
            if let Some(total) = total {
                if length[lhs].is_none_or(|current| total < current) {
                    length[lhs] = Some(total);
                    best[lhs] = Some(index as u32);
                    changed = true;
                }
            }
        }
        if !changed {
            return best;
        }
    }
}

/// Which nonterminals derive the empty string (fixed point).
fn nullable(productions: &[Production], nonterminals: usize) -> Vec<bool> {
    let mut nullable = vec![false; nonterminals];
    loop {
        let mut changed = false;
        for production in productions {
            if !nullable[production.lhs as usize]
                && production.rhs.iter().all(|symbol| match symbol {
                    Symbol::Nonterminal(n) => nullable[*n as usize],
                    Symbol::Terminal(_) => false,
                })
            {
                nullable[production.lhs as usize] = true;
                changed = true;
            }
        }
        if !changed {
            return nullable;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(source: &str) -> Cfg {
        Cfg::new(&Grammar::from_gbnf(source).unwrap()).unwrap()
    }

    #[test]
    fn terminals_are_shared_and_repeats_expand() {
        let g = cfg("root ::= \"a\" \"a\" [x-z]{2,4} b*\nb ::= \"a\" | /c+/");
        // "a", [x-z], /c+/ : three distinct terminals.
        assert_eq!(g.terminals.len(), 3);
        let star_is_nullable = g
            .names
            .iter()
            .enumerate()
            .any(|(i, n)| n.starts_with("root#") && g.nullable[i]);
        assert!(star_is_nullable);
        assert!(!g.nullable[0], "root needs aa and two letters");
    }

    #[test]
    fn huge_repetitions_are_a_limit() {
        // Repetitions of one symbol share it, so nesting adds rather than
        // multiplies; many large bounds still add up past the limit.
        let source = format!("root ::= {}", "\"a\"{0,100000} ".repeat(6));
        let grammar = Grammar::from_gbnf(&source).unwrap();
        match Cfg::new(&grammar) {
            Ok(cfg) => panic!("{} productions accepted", cfg.productions.len()),
            Err(error) => assert!(error.to_string().contains("productions"), "{error}"),
        }
    }
}
