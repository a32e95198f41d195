//! The grammar IR flattened into productions for the Earley parser: the
//! data the parser and the mask walk read.
//!
//! Every IR rule becomes a nonterminal; nested alternations, sequences and
//! repetitions get fresh nonterminals; every distinct terminal (literal,
//! character class, regex) becomes one byte-level [`ByteDfa`], scanned byte
//! by byte, and special tokens and token negations stay token-level
//! terminals, matched once per token. Ready-made automata
//! ([`Expr::Automaton`](super::Expr::Automaton)) are terminals as they are.
//! Whatever part of a rule is regular becomes one *lexeme* terminal.
//!
//! The work is split by job: [`lower`] flattens rules into productions,
//! [`lexemes`] decides which regular pieces become one DFA and builds it,
//! [`analysis`] computes what the parser needs to know about the result
//! (nullable nonterminals, shortest derivations). This module holds the
//! flattened grammar and answers questions about it.

use super::config::GrammarConfig;
use super::error::{GrammarError, GrammarErrorKind};
use super::ir::{Grammar, SpecialToken};
pub(crate) use members::{set_bit, MemberFamily, MemberGuard, MemberState, MemberStep};

use crate::automaton::ByteDfa;

mod analysis;
mod lexemes;
mod lower;
mod members;

/// A grammar symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// A terminal, by index into [`Cfg::terminals`].
    Terminal(u32),
    /// A nonterminal, by index.
    Nonterminal(u32),
}

/// A terminal: bytes matched by a DFA, or one whole token.
#[derive(Clone, Debug)]
pub enum Terminal {
    /// Bytes matched by a DFA (its start state is never accepting: empty
    /// terminals become empty productions).
    Bytes(Box<ByteDfa>),
    /// A special token.
    Special(SpecialToken),
    /// Any one whole token except this one (never an end-of-sequence
    /// token).
    TokenExcept(SpecialToken),
}

impl Terminal {
    /// Whether the terminal matches one whole token rather than bytes.
    pub fn is_whole_token(&self) -> bool {
        !matches!(self, Terminal::Bytes(_))
    }
}

/// `lhs ::= rhs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Production {
    /// The nonterminal it defines.
    pub lhs: u32,
    /// The symbols, in order; empty for `ε`.
    pub rhs: Vec<Symbol>,
    /// For a production of a member list, the step it takes: it applies
    /// only where the list's state allows that step.
    pub guard: Option<MemberGuard>,
}

/// A context-free grammar over byte-DFA terminals, with an augmented start.
#[derive(Clone, Debug)]
pub struct Cfg {
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
    /// The member lists ([`Expr::AnyOrder`]).
    pub families: Vec<MemberFamily>,
    /// For each nonterminal, the member list it belongs to, if any.
    pub family_of: Vec<Option<u32>>,
    /// Each nonterminal's shortest derivation's length in bytes.
    shortest_length: Vec<Option<usize>>,
    /// Each nonterminal's production starting a shortest derivation (`None`
    /// when it derives no byte string, e.g. only special tokens or nothing).
    shortest_production: Vec<Option<u32>>,
    /// Each terminal's shortest byte string (`None` for special tokens).
    terminal_shortest: Vec<Option<Vec<u8>>>,
    /// The most items one Earley set may hold
    /// ([`GrammarConfig::max_items_per_set`]).
    pub(crate) max_items_per_set: usize,
}

impl Cfg {
    /// Flattens `grammar` within the limits it was checked with.
    pub fn new(grammar: &Grammar) -> Result<Cfg, GrammarError> {
        Cfg::with_config(grammar, grammar.config())
    }

    /// Flattens `grammar` within `config`'s limits.
    pub fn with_config(grammar: &Grammar, config: &GrammarConfig) -> Result<Cfg, GrammarError> {
        let builder = lower::flatten(grammar, config)?;
        let mut by_lhs = vec![Vec::new(); builder.names.len()];
        for (index, production) in builder.productions.iter().enumerate() {
            by_lhs[production.lhs as usize].push(index as u32);
        }
        let nullable = analysis::nullable(&builder.productions, builder.names.len());
        let mut family_of = vec![None; builder.names.len()];
        for (index, family) in builder.families.iter().enumerate() {
            family_of[family.first as usize] = Some(index as u32);
            family_of[family.next as usize] = Some(index as u32);
            // A list's state must change with every step, so no step may
            // be empty (the recognizer's nullable shortcut ignores guards).
            let empty = |symbol: &Symbol| match symbol {
                Symbol::Nonterminal(n) => nullable[*n as usize],
                Symbol::Terminal(_) => false,
            };
            let steps_empty = family.named.iter().chain(&family.extra).any(empty)
                || family.close.iter().all(empty);
            if steps_empty {
                return Err(GrammarError::at(
                    GrammarErrorKind::Syntax,
                    &builder.origin,
                    format!(
                        "member list `{}`: a member or the close matches the empty string",
                        builder.names[family.first as usize]
                    ),
                ));
            }
        }
        let terminal_shortest: Vec<Option<Vec<u8>>> = builder
            .terminals
            .iter()
            .map(|terminal| match terminal {
                Terminal::Bytes(dfa) => dfa.shortest_completion(dfa.start()),
                // A whole token is no byte string: spelled in bytes, it
                // could be cut into other tokens.
                Terminal::Special(_) | Terminal::TokenExcept(_) => None,
            })
            .collect();
        let (shortest_production, shortest_length) = analysis::shortest_productions(
            &builder.productions,
            &builder.families,
            builder.names.len(),
            &terminal_shortest,
        );
        Ok(Cfg {
            productions: builder.productions,
            by_lhs,
            terminals: builder.terminals,
            nullable,
            start: builder.start,
            families: builder.families,
            family_of,
            shortest_length,
            shortest_production,
            terminal_shortest,
            max_items_per_set: config.max_items_per_set,
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
                Terminal::Special(_) | Terminal::TokenExcept(_) => 0,
            })
            .sum();
        productions + terminals
    }

    /// A shortest byte string `symbol` derives, or `None` if it derives
    /// none (it needs a special token, or nothing at all). A member list
    /// is taken from its start.
    pub fn shortest_string(&self, symbol: Symbol) -> Option<Vec<u8>> {
        self.shortest_strings(&[symbol])
    }

    /// A shortest byte string the rest of member list `family` derives
    /// from `state` (`written` when a member came before, so a separator
    /// comes first).
    pub fn shortest_list_rest(
        &self,
        family: u32,
        state: &MemberState,
        written: bool,
    ) -> Option<Vec<u8>> {
        let rest = self.families[family as usize]
            .shortest_rest(state, written, |symbol| self.symbol_length(symbol))?;
        self.shortest_strings(&rest)
    }

    /// Shortest strings of `symbols`, concatenated.
    fn shortest_strings(&self, symbols: &[Symbol]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut pending: Vec<Symbol> = symbols.iter().rev().copied().collect();
        while let Some(symbol) = pending.pop() {
            match symbol {
                Symbol::Terminal(t) => {
                    out.extend_from_slice(self.terminal_shortest[t as usize].as_ref()?)
                }
                Symbol::Nonterminal(n) => match self.family_of[n as usize] {
                    Some(family) => {
                        let rest = self.families[family as usize].shortest_rest(
                            &MemberState::default(),
                            false,
                            |symbol| self.symbol_length(symbol),
                        )?;
                        pending.extend(rest.iter().rev());
                    }
                    None => {
                        let production = self.shortest_production[n as usize]?;
                        pending.extend(self.productions[production as usize].rhs.iter().rev());
                    }
                },
            }
        }
        Some(out)
    }

    /// The length of `symbol`'s shortest string.
    fn symbol_length(&self, symbol: Symbol) -> Option<usize> {
        match symbol {
            Symbol::Terminal(t) => self.terminal_shortest[t as usize].as_ref().map(Vec::len),
            Symbol::Nonterminal(n) => self.shortest_length[n as usize],
        }
    }

    /// The byte terminal after the dot of `production`, with its DFA and the
    /// DFA's state for an item that reached `terminal_state` in it (0: not
    /// started); `None` when the symbol after the dot is no byte terminal.
    #[inline]
    pub(crate) fn byte_terminal_at(
        &self,
        production: u32,
        dot: u32,
        terminal_state: u32,
    ) -> Option<(u32, &ByteDfa, u32)> {
        let Some(Symbol::Terminal(terminal)) = self.symbol_at(production, dot) else {
            return None;
        };
        let Terminal::Bytes(dfa) = &self.terminals[terminal as usize] else {
            return None;
        };
        let state = if terminal_state == 0 {
            dfa.start()
        } else {
            terminal_state
        };
        Some((terminal, dfa, state))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::Expr;

    fn cfg(source: &str) -> Cfg {
        Cfg::new(&Grammar::from_gbnf(source).unwrap()).unwrap()
    }

    #[test]
    fn regular_rules_become_one_lexeme() {
        let g = cfg("root ::= \"a\" \"a\" [x-z]{2,4} b*\nb ::= \"a\" | /c+/");
        let root = &g.by_lhs[0];
        assert_eq!(root.len(), 1);
        assert_eq!(g.productions[root[0] as usize].rhs.len(), 1);
        let Symbol::Terminal(t) = g.productions[root[0] as usize].rhs[0] else {
            panic!("root is one lexeme");
        };
        let Terminal::Bytes(dfa) = &g.terminals[t as usize] else {
            panic!("a byte terminal");
        };
        for text in ["aaxy", "aaxyzx", "aaxyacccca"] {
            assert!(
                dfa.is_accepting(dfa.next_bytes(dfa.start(), text.as_bytes())),
                "{text}"
            );
        }
        assert!(!dfa.is_accepting(dfa.next_bytes(dfa.start(), b"aax")));
    }

    #[test]
    fn recursion_and_special_tokens_keep_structure_and_share_terminals() {
        let g = cfg("root ::= \"(\" root \")\" b | \"x\"\nb ::= \"x\" [0-9]* | <[7]>");
        // "(", ")", "x", the lexeme `"x" [0-9]*`, <[7]>.
        assert_eq!(g.terminals.len(), 5, "{:?}", g.terminals);
        assert!(!g.nullable[0]);
        let text_lexemes = g
            .terminals
            .iter()
            .filter(|t| matches!(t, Terminal::Bytes(_)))
            .count();
        assert_eq!(text_lexemes, 4);
    }

    #[test]
    fn tail_recursive_rules_are_lexemes() {
        let g = cfg("root ::= \"[\" ws \"]\"\nws ::= ([ \\t\\n] ws)?");
        let root = &g.productions[g.by_lhs[0][0] as usize].rhs;
        assert_eq!(root.len(), 1, "{:?}", g.productions);
        let Symbol::Terminal(t) = root[0] else {
            panic!("root is one lexeme");
        };
        let Terminal::Bytes(dfa) = &g.terminals[t as usize] else {
            panic!("a byte terminal");
        };
        for (text, accepted) in [("[]", true), ("[ \n\t ]", true), ("[x]", false)] {
            let state = dfa.next_bytes(dfa.start(), text.as_bytes());
            assert_eq!(dfa.is_accepting(state), accepted, "{text:?}");
        }
        // Recursion in the middle is not regular and keeps its structure.
        let nested = cfg("root ::= \"(\" root \")\" | \"x\"");
        let root = &nested.by_lhs[0];
        assert_eq!(root.len(), 2);
        assert!(root
            .iter()
            .any(|&p| nested.productions[p as usize].rhs.len() == 3));
    }

    #[test]
    fn automaton_terminals_stay_whole_terminals() {
        use crate::grammar::earley::Chart;
        use crate::grammar::ir::{DfaTerminal, Rule, RuleId};
        use crate::grammar::Origin;
        // Two or three letters from a-c, but not `ab`; optional around it.
        let letters = ByteDfa::regex("[a-c]{2,3}")
            .unwrap()
            .difference(&ByteDfa::regex("ab").unwrap())
            .unwrap();
        let terminal = Expr::Automaton(DfaTerminal::new("letters", letters));
        let maybe_empty = Expr::Automaton(DfaTerminal::new(
            "digits",
            ByteDfa::regex("[0-9]{0,2}").unwrap(),
        ));
        let body = Expr::Sequence(vec![
            Expr::Literal("<".into()),
            terminal.clone(),
            Expr::Regex("-+".into()),
            maybe_empty,
            Expr::Alternation(vec![terminal, Expr::Literal(">".into())]),
        ]);
        let rules = vec![Rule {
            name: "root".into(),
            body,
            origin: Origin::Built,
        }];
        let grammar = Grammar::from_rules(rules, RuleId(0)).unwrap();
        let g = Cfg::new(&grammar).unwrap();
        // The same automaton twice is one terminal.
        // `<`, the letters, `-+`, the digits, `>`.
        assert_eq!(g.terminals.len(), 5, "{:?}", g.terminals);
        for (text, accepted) in [
            ("<ba->", true),
            ("<ccc--12>", true),
            ("<ac-7cb", true),
            ("<ab->", false),
            ("<a->", false),
            ("<ba-123>", false),
            ("<ba-ab", false),
        ] {
            assert_eq!(Chart::recognizes(&g, text.as_bytes()), accepted, "{text:?}");
        }
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
