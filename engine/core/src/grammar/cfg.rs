//! The grammar IR flattened into productions for the Earley parser.
//!
//! Every IR rule becomes a nonterminal; nested alternations, sequences and
//! repetitions get fresh nonterminals; every distinct terminal (literal,
//! character class, regex) becomes one byte-level [`ByteDfa`], scanned byte
//! by byte, and special tokens and token negations stay token-level
//! terminals, matched once per token. Ready-made
//! automata ([`Expr::Automaton`]) are terminals as they are: they have no
//! regex to print, so they never join a larger lexeme.
//!
//! **Lexemes.** Whatever part of a rule is regular — it uses no special
//! token and reaches no rule that recurses back to it — is compiled into
//! *one* terminal DFA instead of a chain of productions: a JSON string
//! (`"\"" char* "\"" ws`), a number, a key with its colon, a whole
//! non-recursive rule with the rules it references inlined. The language
//! is the same; the gain is that the mask walk steps one DFA per byte inside
//! such a lexeme and consults the parser only where a lexeme may end (see
//! [`mask_walk`](super::mask_walk)). A lexeme whose DFA would pass
//! [`MAX_LEXEME_STATES`] (or any other compile limit) keeps the plain
//! structure instead, so the choice affects speed only, never the language.
//!
//! A lexeme's DFA is put together from its pieces' DFAs (sequences and
//! unions over the parts' tables, see `automaton::compose`) rather than
//! determinized from its whole regex: the pieces — bounded whitespace, a
//! string body, a number — recur in every schema and come from the regex
//! memo, so a new key costs a walk over a hundred states instead of a
//! determinization. The whole pattern is still the lexeme's identity and
//! memo key, and the fallback when a piece is not composable.
//!
//! Repetitions: `x*` is `R ::= ε | R x` (left recursion, which Earley
//! handles in linear space), `x{m,n}` is `m` copies of `x` followed by a
//! chain of `n - m` optional copies. The number of productions is bounded
//! by [`MAX_PRODUCTIONS`], so `x{1,100000}` nested in `y{1,100000}` is an
//! error rather than an out-of-memory abort.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::error::{GrammarError, GrammarErrorKind, Location};
use super::ir::{Expr, Grammar, SpecialToken};
use super::member_list::{set_bit, MemberFamily, MemberGuard, MemberList, MemberState, MemberStep};
use std::sync::Arc;

use regex_syntax::hir::{Hir, HirKind, Literal};

use crate::automaton::{combine, ByteDfa, Combine, ProductConfig, RegexConfig};

/// The most productions a flattened grammar may have.
pub const MAX_PRODUCTIONS: usize = 1 << 20;

/// The most DFA states a regular piece of a rule may compile to and still
/// become one lexeme; larger pieces keep their structure.
pub const MAX_LEXEME_STATES: usize = 500;

/// The longest regex a regular piece of a rule may print to (inlining
/// rules can multiply sizes) and still be tried as one lexeme. Lexemes are
/// meant to be small — a string body, a key with its colon, whitespace —
/// and determinizing big pieces costs more compile time than their masks
/// save.
const MAX_LEXEME_PATTERN_BYTES: usize = 512;

/// A `/regex/` terminal longer than this stays a terminal of its own rather
/// than being inlined into a bigger lexeme: it is one lexeme already, and
/// long regexes (a JSON Schema string with its pattern and length) are the
/// expensive ones to determinize again.
const MAX_INLINED_REGEX_BYTES: usize = 64;

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
                guard: None,
            }],
            families: Vec::new(),
            terminals: Vec::new(),
            terminal_ids: HashMap::new(),
            failed_lexemes: HashSet::new(),
            regex_config: RegexConfig::new(),
            lexeme_config: RegexConfig::new()
                .max_states(MAX_LEXEME_STATES)
                .max_compile_time(std::time::Duration::from_millis(50)),
            compose_config: ProductConfig::new()
                .max_states(4 * MAX_LEXEME_STATES)
                .max_compile_time(std::time::Duration::from_millis(50)),
            composed: HashMap::new(),
            lexical: vec![Lexical::Unknown; grammar.rules().len()],
            wanted: Vec::new(),
            defined: vec![false; grammar.rules().len()],
            location: Location { line: 1, column: 1 },
        };
        let start = builder.fresh("start");
        builder.productions[0] = Production {
            lhs: start,
            rhs: vec![Symbol::Nonterminal(grammar.root().0)],
            guard: None,
        };
        // Rules are flattened from the root down, and only when a production
        // refers to them: a rule inlined into a lexeme is never flattened
        // (or compiled) on its own.
        builder.wanted.push(grammar.root().0);
        builder.defined[grammar.root().0 as usize] = true;
        while let Some(index) = builder.wanted.pop() {
            let rule = &grammar.rules()[index as usize];
            builder.location = rule.location;
            let context = format!("rule `{}`", rule.name);
            builder.define(index, &rule.body, &rule.name, &context)?;
        }
        let mut by_lhs = vec![Vec::new(); builder.names.len()];
        for (index, production) in builder.productions.iter().enumerate() {
            by_lhs[production.lhs as usize].push(index as u32);
        }
        let nullable = nullable(&builder.productions, builder.names.len());
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
                    builder.location,
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
        let (shortest_production, shortest_length) = shortest_productions(
            &builder.productions,
            &builder.families,
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
            families: builder.families,
            family_of,
            shortest_length,
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
    /// The member lists flattened so far.
    families: Vec<MemberFamily>,
    terminals: Vec<Terminal>,
    terminal_ids: HashMap<String, u32>,
    /// Lexeme patterns whose DFA was past the lexeme limits: not tried again.
    failed_lexemes: HashSet<String>,
    regex_config: RegexConfig,
    /// The limits a lexeme's DFA must fit in.
    lexeme_config: RegexConfig,
    /// The limits a lexeme built from its pieces' DFAs must fit in.
    compose_config: ProductConfig,
    /// Each expression's DFA built from its pieces, by its pattern.
    composed: HashMap<String, Option<Arc<ByteDfa>>>,
    /// Each rule as one regex, once known (see [`Lexical`]).
    lexical: Vec<Lexical>,
    /// Rules referenced by a production and not flattened yet.
    wanted: Vec<u32>,
    /// Rules referenced by a production (flattened or wanted).
    defined: Vec<bool>,
    /// Where the rule being flattened is defined, for errors.
    location: Location,
}

/// Whether a rule is regular, as far as the builder knows.
#[derive(Clone, Debug)]
enum Lexical {
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
        self.add_guarded(lhs, rhs, None, context)
    }

    fn add_guarded(
        &mut self,
        lhs: u32,
        rhs: Vec<Symbol>,
        guard: Option<MemberGuard>,
        context: &str,
    ) -> Result<(), GrammarError> {
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
        self.productions.push(Production { lhs, rhs, guard });
        Ok(())
    }

    /// A member list as two nonterminals, the first member and every later
    /// one, each production taking one step of the list (see
    /// [`member_list`](super::member_list)); the first one stands for the
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
                self.location,
                format!("{context}: {message}"),
            )
        })?;
        let id = self.terminals.len() as u32;
        self.terminals.push(terminal);
        self.terminal_ids.insert(key, id);
        Ok(Symbol::Terminal(id))
    }

    /// `expression` as one lexeme: a terminal, or `ε | terminal` when it
    /// also matches the empty string. `None` when it is not regular, is a
    /// single terminal already, or its DFA is past the lexeme limits.
    fn lexeme(
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
    fn compose(&mut self, expression: &Expr) -> Option<Arc<ByteDfa>> {
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
            Expr::Regex(pattern) if pattern.len() <= MAX_INLINED_REGEX_BYTES => {
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
    /// and prints within [`MAX_LEXEME_PATTERN_BYTES`].
    fn pattern(&mut self, expression: &Expr) -> Option<String> {
        let pattern = match expression {
            Expr::Empty => String::from("(?:)"),
            Expr::Literal(text) => format!("(?:{})", regex_syntax::escape(text)),
            Expr::Class(ranges) => class_pattern(ranges),
            Expr::Regex(pattern) if pattern.len() <= MAX_INLINED_REGEX_BYTES => {
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
                    if out.len() > MAX_LEXEME_PATTERN_BYTES {
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
                    if out.len() > MAX_LEXEME_PATTERN_BYTES {
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
        (pattern.len() <= MAX_LEXEME_PATTERN_BYTES).then_some(pattern)
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
        (pattern.len() <= MAX_LEXEME_PATTERN_BYTES).then_some(pattern)
    }

    /// Rule `id` as a regex, if it is regular (no recursion through it, no
    /// special token).
    fn rule_pattern(&mut self, id: u32) -> Option<String> {
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

    /// `terminal`, or `ε | terminal` when its DFA also matches the empty
    /// string.
    fn optional_if_empty(
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

/// For each nonterminal, a production that starts one of its shortest
/// derivations. Lengths only ever decrease strictly, so the chosen
/// productions never form a cycle and expanding them terminates.
///
/// A member list's productions are left out: its first nonterminal's
/// length is that of the list's shortest completion from the start (see
/// [`MemberFamily::shortest_rest`]), which also only ever decreases.
/// Returns the productions and the lengths.
fn shortest_productions(
    productions: &[Production],
    families: &[MemberFamily],
    nonterminals: usize,
    terminal_shortest: &[Option<Vec<u8>>],
) -> (Vec<Option<u32>>, Vec<Option<usize>>) {
    let mut length: Vec<Option<usize>> = vec![None; nonterminals];
    let mut best: Vec<Option<u32>> = vec![None; nonterminals];
    loop {
        let mut changed = false;
        let symbol_length = |length: &[Option<usize>], symbol: &Symbol| match symbol {
            Symbol::Terminal(t) => terminal_shortest[*t as usize].as_ref().map(Vec::len),
            Symbol::Nonterminal(n) => length[*n as usize],
        };
        for family in families {
            let rest = family.shortest_rest(&MemberState::default(), false, |symbol| {
                symbol_length(&length, &symbol)
            });
            let total = rest.and_then(|symbols| {
                symbols.iter().try_fold(0usize, |sum, symbol| {
                    Some(sum.saturating_add(symbol_length(&length, symbol)?))
                })
            });
            let lhs = family.first as usize;
            if let Some(total) = total {
                if length[lhs].is_none_or(|current| total < current) {
                    length[lhs] = Some(total);
                    changed = true;
                }
            }
        }
        for (index, production) in productions.iter().enumerate() {
            if production.guard.is_some() {
                continue;
            }
            let total = production.rhs.iter().try_fold(0usize, |sum, symbol| {
                Some(sum.saturating_add(symbol_length(&length, symbol)?))
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
            return (best, length);
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
        use crate::grammar::Location;
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
            location: Location { line: 1, column: 1 },
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
