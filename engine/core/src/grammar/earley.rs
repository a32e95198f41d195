//! A byte-level Earley recognizer over a [`Cfg`].
//!
//! Each Earley set is the parser state after some number of bytes. An item
//! is a production with a dot, the set it started in, and — when the symbol
//! after the dot is a byte terminal — the state of that terminal's DFA, so a
//! multi-byte terminal (a literal, a UTF-8 character, a regex) is scanned
//! one byte at a time without a separate lexer. Every length of every
//! terminal match is kept, so the recognizer decides exactly the language of
//! the grammar: ambiguity, left and right recursion and nullable rules all
//! work (nullable symbols are handled as Aycock and Horspool describe).
//!
//! The chart is a stack of sets: scanning a byte pushes a set, rolling back
//! pops, so the token-trie walk of the mask computation explores candidate
//! tokens by pushing and popping, and committed tokens are just a prefix of
//! the stack.
//!
//! Whole-token terminals — special tokens and token negations — are not
//! bytes: they match once per token, at token boundaries only. A special
//! token is one position of the chart; a text token is one position per
//! byte whichever way it matched, and the items it moves over a whole-token
//! terminal land in the set of its last byte, beside what its bytes reached
//! ([`Chart::scan_text_token`]). A token's positions are thus fixed by the
//! token alone, which is what rolling back by chart length relies on.
//!
//! This engine is the reference semantics. It is exact but does per-byte
//! parser work; masks avoid most of it by walking the frontier's lexeme
//! DFAs over the token trie and calling the parser only where a lexeme may
//! end ([`mask_walk`](super::mask_walk)), which the property tests hold to
//! this recognizer's verdicts token by token.

use foldhash::HashSet;

use super::cfg::MemberState;
use super::cfg::{Cfg, Symbol, Terminal};

mod member_states;

use crate::automaton::DEAD;
pub(crate) use member_states::MemberStates;

/// One Earley item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    /// The production.
    pub production: u32,
    /// How many symbols of it are matched.
    pub dot: u32,
    /// The set where the production started.
    pub origin: u32,
    /// The DFA state inside the byte terminal after the dot (0 otherwise).
    pub terminal_state: u32,
    /// For a production of a member list, the list's state where the
    /// production started, by index into the chart's [`MemberStates`]; 0
    /// otherwise.
    pub list_state: u32,
}

/// The items after some number of bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EarleySet {
    items: Vec<Item>,
}

impl EarleySet {
    /// The items.
    pub fn items(&self) -> &[Item] {
        &self.items
    }
}

/// Why a step was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepError {
    /// The byte or token is not allowed here.
    Rejected,
    /// The set would exceed [`GrammarConfig::max_items_per_set`](crate::grammar::GrammarConfig::max_items_per_set).
    TooManyItems,
}

/// An Earley chart over a grammar.
#[derive(Clone, Debug)]
pub struct Chart {
    sets: Vec<EarleySet>,
    lists: MemberStates,
}

impl Chart {
    /// The chart before any input.
    pub fn new(cfg: &Cfg) -> Result<Chart, StepError> {
        let mut chart = Chart {
            sets: Vec::new(),
            lists: MemberStates::default(),
        };
        let mut builder = SetBuilder::default();
        for &production in &cfg.by_lhs[cfg.start as usize] {
            builder.add(Item {
                production,
                dot: 0,
                origin: 0,
                terminal_state: 0,
                list_state: 0,
            });
        }
        let set = builder.close(cfg, &chart.sets, &mut chart.lists, 0)?;
        chart.sets.push(set);
        Ok(chart)
    }

    /// How many positions have been scanned: one per byte of each text
    /// token, one per special token.
    pub fn len(&self) -> usize {
        self.sets.len() - 1
    }

    /// The set after `scanned` positions, if that many were scanned.
    pub fn set(&self, scanned: usize) -> Option<&EarleySet> {
        self.sets.get(scanned)
    }

    /// The current set.
    pub fn last(&self) -> &EarleySet {
        &self.sets[self.sets.len() - 1]
    }

    /// Scans one byte; on error the chart is unchanged.
    pub fn scan_byte(&mut self, cfg: &Cfg, byte: u8) -> Result<(), StepError> {
        let mut builder = SetBuilder::default();
        self.step_byte(cfg, byte, &mut builder);
        self.push_built(cfg, builder)
    }

    /// Adds to `builder` the current items that `byte` moves on: each one
    /// inside (or before) a byte terminal whose DFA survives the byte, and
    /// its advance over the terminal when the DFA accepts there.
    fn step_byte(&self, cfg: &Cfg, byte: u8, builder: &mut SetBuilder) {
        for item in &self.last().items {
            let Some((_, dfa, state)) =
                cfg.byte_terminal_at(item.production, item.dot, item.terminal_state)
            else {
                continue;
            };
            let next = dfa.next(state, byte);
            if next == DEAD {
                continue;
            }
            builder.add(Item {
                terminal_state: next,
                ..*item
            });
            if dfa.is_accepting(next) {
                builder.add(advance(item));
            }
        }
    }

    /// Closes `builder`'s items into the next set and pushes it; refused
    /// (chart unchanged) when there are none or too many.
    fn push_built(&mut self, cfg: &Cfg, builder: SetBuilder) -> Result<(), StepError> {
        if builder.is_empty() {
            return Err(StepError::Rejected);
        }
        let position = self.sets.len() as u32;
        let set = builder.close(cfg, &self.sets, &mut self.lists, position)?;
        self.sets.push(set);
        Ok(())
    }

    /// Pushes the set reached when the byte terminals of `finished` items
    /// have just been matched in full: each item is advanced over its
    /// terminal and the set is closed. Items still inside a terminal are not
    /// carried over, so this is the parser's view right after a lexeme
    /// boundary; the mask walk uses it and follows the unfinished terminals
    /// itself. Refused (chart unchanged) when nothing survives or the set
    /// grows past [`GrammarConfig::max_items_per_set`](crate::grammar::GrammarConfig::max_items_per_set).
    pub fn push_finished(&mut self, cfg: &Cfg, finished: &[Item]) -> Result<(), StepError> {
        let position = self.sets.len() as u32;
        let mut builder = SetBuilder::default();
        for item in finished {
            builder.add(advance(item));
        }
        if builder.is_empty() {
            return Err(StepError::Rejected);
        }
        let set = builder.close(cfg, &self.sets, &mut self.lists, position)?;
        self.sets.push(set);
        Ok(())
    }

    /// Scans a special token as one position: the current items waiting
    /// for a whole-token terminal that `admits` it (see
    /// [`Chart::scan_text_token`]) advance. On error the chart is
    /// unchanged.
    pub fn scan_special(
        &mut self,
        cfg: &Cfg,
        admits: impl Fn(&Terminal) -> bool,
    ) -> Result<(), StepError> {
        let mut builder = SetBuilder::default();
        self.advance_whole_token(cfg, admits, &mut builder);
        self.push_built(cfg, builder)
    }

    /// Scans a text token of `bytes` (never empty): one position per byte,
    /// as [`Chart::scan_byte`] does, and in the same step the current items
    /// waiting for a whole-token terminal that `admits` the token advance
    /// into the set of its last byte, merged with whatever the bytes
    /// reached there.
    ///
    /// The token occupies exactly `bytes.len()` positions whichever path
    /// matched it, so the chart's length after a token depends only on the
    /// token, and [`Chart::truncate`] to the length before it undoes it.
    /// When only the whole-token path matches, the positions inside the
    /// token are empty sets: every item that survives the token started
    /// before it or at its end, so nothing ever looks inside.
    ///
    /// On error the chart is unchanged.
    pub fn scan_text_token(
        &mut self,
        cfg: &Cfg,
        bytes: &[u8],
        admits: impl Fn(&Terminal) -> bool,
    ) -> Result<(), StepError> {
        let Some((&last, inner)) = bytes.split_last() else {
            return Err(StepError::Rejected);
        };
        let before = self.len();
        let mut builder = SetBuilder::default();
        self.advance_whole_token(cfg, admits, &mut builder);
        let whole = !builder.is_empty();
        let mut bytes_alive = true;
        for &byte in inner {
            if bytes_alive {
                match self.scan_byte(cfg, byte) {
                    Ok(()) => continue,
                    Err(StepError::Rejected) if whole => bytes_alive = false,
                    Err(error) => {
                        self.truncate(before);
                        return Err(error);
                    }
                }
            }
            self.sets.push(EarleySet::default());
        }
        if bytes_alive {
            self.step_byte(cfg, last, &mut builder);
        }
        self.push_built(cfg, builder)
            .inspect_err(|_| self.truncate(before))
    }

    /// Adds to `builder` the current items waiting for a whole-token
    /// terminal that `admits` the token being scanned, advanced over it.
    fn advance_whole_token(
        &self,
        cfg: &Cfg,
        admits: impl Fn(&Terminal) -> bool,
        builder: &mut SetBuilder,
    ) {
        for (item, terminal) in self.waiting_for_tokens(cfg) {
            if admits(terminal) {
                builder.add(advance(item));
            }
        }
    }

    /// The whole-token terminals (special tokens and token negations) the
    /// current items wait for, each as often as an item waits for it.
    pub fn expected_tokens<'a>(&'a self, cfg: &'a Cfg) -> impl Iterator<Item = &'a Terminal> + 'a {
        self.waiting_for_tokens(cfg).map(|(_, terminal)| terminal)
    }

    /// The current items whose next symbol is a whole-token terminal.
    fn waiting_for_tokens<'a>(
        &'a self,
        cfg: &'a Cfg,
    ) -> impl Iterator<Item = (&'a Item, &'a Terminal)> + 'a {
        self.last().items.iter().filter_map(move |item| {
            match cfg.symbol_at(item.production, item.dot)? {
                Symbol::Terminal(terminal) => {
                    let terminal = &cfg.terminals[terminal as usize];
                    terminal.is_whole_token().then_some((item, terminal))
                }
                Symbol::Nonterminal(_) => None,
            }
        })
    }

    /// The member-list state with index `id` (see [`Item::list_state`]).
    pub fn list_state(&self, id: u32) -> &MemberState {
        self.lists.state(id)
    }

    /// The list state the nonterminal after `parent`'s dot starts in, when
    /// it is a member list's (0 for any other nonterminal); `None` when
    /// this chart never predicted it.
    pub fn child_list_state(&self, cfg: &Cfg, parent: &Item) -> Option<u32> {
        child_list_state(cfg, parent, |state, production| {
            self.lists.known_after(state, production)
        })
    }

    /// Goes back to the chart after `scanned` positions (a text token
    /// occupies one per byte, a special token one).
    pub fn truncate(&mut self, scanned: usize) {
        self.sets.truncate(scanned + 1);
    }

    /// Whether the input so far is a complete sentence.
    pub fn accepts(&self, cfg: &Cfg) -> bool {
        self.last().items.iter().any(|item| {
            item.origin == 0
                && cfg.productions[item.production as usize].lhs == cfg.start
                && cfg.symbol_at(item.production, item.dot).is_none()
        })
    }

    /// Whether the whole of `bytes` is a sentence of `cfg`.
    pub fn recognizes(cfg: &Cfg, bytes: &[u8]) -> bool {
        let Ok(mut chart) = Chart::new(cfg) else {
            return false;
        };
        for &byte in bytes {
            if chart.scan_byte(cfg, byte).is_err() {
                return false;
            }
        }
        chart.accepts(cfg)
    }
}

/// The item with its dot moved over one symbol.
fn advance(item: &Item) -> Item {
    Item {
        production: item.production,
        dot: item.dot + 1,
        origin: item.origin,
        terminal_state: 0,
        list_state: item.list_state,
    }
}

/// The list state the nonterminal after `parent`'s dot starts in: the state
/// after the parent's step when the parent is a list's production and the
/// nonterminal is that list's next member (`after(state, production)`
/// gives that state), and 0 — the empty list state — otherwise.
#[inline]
fn child_list_state(
    cfg: &Cfg,
    parent: &Item,
    after: impl FnOnce(u32, u32) -> Option<u32>,
) -> Option<u32> {
    let Some(Symbol::Nonterminal(child)) = cfg.symbol_at(parent.production, parent.dot) else {
        return Some(0);
    };
    if cfg.family_of[child as usize].is_none() {
        return Some(0);
    }
    match cfg.productions[parent.production as usize].guard {
        Some(guard) if cfg.families[guard.family as usize].next == child => {
            after(parent.list_state, parent.production)
        }
        _ => Some(0),
    }
}

/// Collects the items of a new set, then closes it under prediction and
/// completion.
#[derive(Default)]
struct SetBuilder {
    items: Vec<Item>,
    seen: HashSet<Item>,
}

impl SetBuilder {
    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn add(&mut self, item: Item) {
        if self.seen.insert(item) {
            self.items.push(item);
        }
    }

    fn close(
        mut self,
        cfg: &Cfg,
        sets: &[EarleySet],
        lists: &mut MemberStates,
        position: u32,
    ) -> Result<EarleySet, StepError> {
        let mut next = 0;
        while next < self.items.len() {
            if self.items.len() > cfg.max_items_per_set {
                return Err(StepError::TooManyItems);
            }
            let item = self.items[next];
            next += 1;
            match cfg.symbol_at(item.production, item.dot) {
                None => {
                    // Completion: advance every item waiting for this lhs.
                    // Parents in this very set are the ones present now; any
                    // added later that wait for a nullable lhs are advanced
                    // when predicted.
                    let lhs = cfg.productions[item.production as usize].lhs;
                    let waiting = Some(Symbol::Nonterminal(lhs));
                    // A member list's parent waits for the list in the
                    // state this item started in.
                    let in_list = cfg.family_of[lhs as usize].is_some();
                    let matches = |parent: &Item| {
                        cfg.symbol_at(parent.production, parent.dot) == waiting
                            && (!in_list
                                || child_list_state(cfg, parent, |state, production| {
                                    lists.known_after(state, production)
                                }) == Some(item.list_state))
                    };
                    if item.origin == position {
                        for index in 0..self.items.len() {
                            let parent = self.items[index];
                            if matches(&parent) {
                                self.add(advance(&parent));
                            }
                        }
                    } else {
                        for parent in &sets[item.origin as usize].items {
                            if matches(parent) {
                                self.add(advance(parent));
                            }
                        }
                    }
                }
                Some(Symbol::Nonterminal(nonterminal)) => {
                    let productions = &cfg.by_lhs[nonterminal as usize];
                    match cfg.family_of[nonterminal as usize] {
                        None => {
                            for &production in productions {
                                self.add(Item {
                                    production,
                                    dot: 0,
                                    origin: position,
                                    terminal_state: 0,
                                    list_state: 0,
                                });
                            }
                        }
                        Some(_) => {
                            let Some(state) = child_list_state(cfg, &item, |state, production| {
                                lists.after(cfg, state, production)
                            }) else {
                                continue;
                            };
                            // Every production of a list takes a step.
                            for &production in productions {
                                if lists.after(cfg, state, production).is_some() {
                                    self.add(Item {
                                        production,
                                        dot: 0,
                                        origin: position,
                                        terminal_state: 0,
                                        list_state: state,
                                    });
                                }
                            }
                        }
                    }
                    if cfg.nullable[nonterminal as usize] {
                        self.add(advance(&item));
                    }
                }
                Some(Symbol::Terminal(_)) => {}
            }
        }
        Ok(EarleySet { items: self.items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::Grammar;

    fn cfg(source: &str) -> Cfg {
        Cfg::new(&Grammar::from_gbnf(source).unwrap()).unwrap()
    }

    #[test]
    fn left_recursion_ambiguity_and_nullables() {
        let g = cfg(
            "root ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]+ | \"(\" expr \")\"",
        );
        for text in ["1", "1+2", "(1+2)+34", "((7))"] {
            assert!(Chart::recognizes(&g, text.as_bytes()), "{text}");
        }
        for text in ["", "+", "1+", "(1", "1)"] {
            assert!(!Chart::recognizes(&g, text.as_bytes()), "{text}");
        }
        let ambiguous = cfg("root ::= s\ns ::= s s | \"a\" | ");
        assert!(Chart::recognizes(&ambiguous, b""));
        assert!(Chart::recognizes(&ambiguous, b"aaaa"));
        assert!(!Chart::recognizes(&ambiguous, b"ab"));
    }

    #[test]
    fn multi_byte_terminals_and_regexes() {
        let g = cfg("root ::= \"żółw\" [α-ω]{2} /[0-9]{2,3}/ \"!\"?");
        assert!(Chart::recognizes(&g, "żółwαβ12".as_bytes()));
        assert!(Chart::recognizes(&g, "żółwαβ123!".as_bytes()));
        assert!(!Chart::recognizes(&g, "żółwαβ1".as_bytes()));
        assert!(!Chart::recognizes(&g, "żółwab12".as_bytes()));
        let optional = cfg("root ::= \"x\" /a*/ /a*/ \"y\"");
        for text in ["xy", "xay", "xaaay"] {
            assert!(Chart::recognizes(&optional, text.as_bytes()), "{text}");
        }
        assert!(!Chart::recognizes(&optional, b"xby"));
    }

    #[test]
    fn deep_nesting() {
        let g = cfg("root ::= \"(\" root \")\" | \"x\"");
        let text = format!("{}x{}", "(".repeat(100), ")".repeat(100));
        assert!(Chart::recognizes(&g, text.as_bytes()));
        let text = format!("{}x{}", "(".repeat(100), ")".repeat(99));
        assert!(!Chart::recognizes(&g, text.as_bytes()));
    }

    #[test]
    fn a_text_token_occupies_one_position_per_byte_whichever_path_matched() {
        let g = cfg("root ::= \"ab\" \"c\" | !<[5]> \"!\"");
        let negation = |terminal: &Terminal| matches!(terminal, Terminal::TokenExcept(_));
        let nothing = |_: &Terminal| false;
        let mut chart = Chart::new(&g).unwrap();
        // Only the negation matches `xyz`: the sets inside it are empty.
        chart.scan_text_token(&g, b"xyz", negation).unwrap();
        assert_eq!(chart.len(), 3);
        assert!(
            chart.set(1).unwrap().items().is_empty() && chart.set(2).unwrap().items().is_empty()
        );
        chart.scan_text_token(&g, b"!", nothing).unwrap();
        assert!(chart.accepts(&g));
        chart.truncate(0);
        // The byte path follows `axy` one byte, then only the negation.
        chart.scan_text_token(&g, b"axy", negation).unwrap();
        assert_eq!(chart.len(), 3);
        assert!(
            !chart.set(1).unwrap().items().is_empty() && chart.set(2).unwrap().items().is_empty()
        );
        chart.truncate(0);
        // Both paths match `ab`: the last set has both continuations.
        chart.scan_text_token(&g, b"ab", negation).unwrap();
        assert_eq!(chart.len(), 2);
        assert!(
            !chart.set(1).unwrap().items().is_empty(),
            "the byte path's set"
        );
        let mut after_c = chart.clone();
        after_c.scan_text_token(&g, b"c", nothing).unwrap();
        assert!(after_c.accepts(&g));
        chart.scan_text_token(&g, b"!", nothing).unwrap();
        assert!(chart.accepts(&g));
        // Neither path: refused, the chart as it was.
        chart.truncate(0);
        assert_eq!(
            chart.scan_text_token(&g, b"axy", nothing),
            Err(StepError::Rejected)
        );
        assert_eq!(chart.len(), 0);
        // Whole-token terminals are not bytes.
        assert_eq!(chart.scan_byte(&g, b'x'), Err(StepError::Rejected));
        chart.scan_special(&g, negation).unwrap();
        assert_eq!(chart.len(), 1);
    }

    #[test]
    fn rejected_bytes_leave_the_chart_alone() {
        let g = cfg("root ::= \"ab\"");
        let mut chart = Chart::new(&g).unwrap();
        assert_eq!(chart.scan_byte(&g, b'b'), Err(StepError::Rejected));
        assert_eq!(chart.len(), 0);
        chart.scan_byte(&g, b'a').unwrap();
        chart.scan_byte(&g, b'b').unwrap();
        assert!(chart.accepts(&g));
        chart.truncate(1);
        assert!(!chart.accepts(&g));
    }
}
