//! A compiled grammar as a constraint: the Earley recognizer driven by
//! tokens.
//!
//! Masks come from [`mask_walk`](super::mask_walk): a lexer walk of the
//! token trie with the parser consulted at lexeme boundaries; committing a
//! token scans its bytes into the chart.
//!
//! Special-token terminals (`<|eot_id|>`, `<[128009]>`) match exactly their
//! token and never text. Token negations (`!<|end_think|>`, `!<[128009]>`)
//! match any one whole token but theirs — text or special, never an
//! end-of-sequence token, since ending is what [`GrammarAutomaton::accepts`]
//! decides. Both are whole-token terminals: a token scan tries them once,
//! at the token's start, beside the byte path through its bytes
//! ([`Chart::scan_text_token`]), and a mask adds the tokens they admit to
//! what the byte walk allows. That addition depends on the current set
//! only, so the lexer walk and its caches never see these terminals.

use std::collections::{HashMap, HashSet, VecDeque};

use super::cfg::{Cfg, Symbol, Terminal};
use super::earley::{Chart, Item, StepError};
use super::error::GrammarError;
use super::ir::{Grammar, SpecialToken};
use super::mask_walk::{fill_text_mask, LexemeCaches};
use crate::mask::TokenMask;
use crate::vocab::{TokenId, Vocabulary};

/// A grammar compiled against a vocabulary.
#[derive(Clone, Debug)]
pub struct GrammarAutomaton {
    cfg: Cfg,
    /// Special-token ids by name, for `<|name|>` terminals.
    specials_by_name: HashMap<Vec<u8>, Vec<TokenId>>,
}

impl GrammarAutomaton {
    /// Compiles `grammar` for `vocabulary`: special-token terminals must
    /// name special tokens the vocabulary has.
    pub fn new(
        grammar: &Grammar,
        vocabulary: &Vocabulary,
    ) -> Result<GrammarAutomaton, GrammarError> {
        let cfg = Cfg::new(grammar)?;
        let mut specials_by_name: HashMap<Vec<u8>, Vec<TokenId>> = HashMap::new();
        for &id in vocabulary.special_tokens() {
            if let Some(bytes) = vocabulary.token_bytes(id) {
                specials_by_name.entry(bytes.to_vec()).or_default().push(id);
            }
        }
        let automaton = GrammarAutomaton {
            cfg,
            specials_by_name,
        };
        for terminal in &automaton.cfg.terminals {
            let (token, negated) = match terminal {
                Terminal::Bytes(_) => continue,
                Terminal::Special(token) => (token, false),
                Terminal::TokenExcept(token) => (token, true),
            };
            let ids = automaton.special_ids(token);
            let in_vocabulary = |id: TokenId| (id as usize) < vocabulary.len();
            // A negation by id may exclude a text token; every other
            // reference must find special tokens.
            let known = match token {
                SpecialToken::Id(id) if negated => in_vocabulary(*id),
                _ => {
                    !ids.is_empty()
                        && ids
                            .iter()
                            .all(|&id| in_vocabulary(id) && vocabulary.is_special(id))
                }
            };
            if !known {
                let root = grammar.rule(grammar.root());
                let message = match (negated, token) {
                    (false, _) => format!("the grammar names special token {token:?}, which the vocabulary has no special token for"),
                    (true, SpecialToken::Name(_)) => format!("the grammar's token negation !{token} names a token the vocabulary has no special token for"),
                    (true, SpecialToken::Id(_)) => format!(
                        "the grammar's token negation !{token} names a token id outside the vocabulary of {} tokens",
                        vocabulary.len()
                    ),
                };
                return Err(GrammarError::at(
                    super::error::GrammarErrorKind::UnknownToken,
                    &root.origin,
                    message,
                ));
            }
        }
        Ok(automaton)
    }

    /// The flattened grammar.
    pub fn cfg(&self) -> &Cfg {
        &self.cfg
    }

    /// A chart before any output.
    pub fn start(&self) -> Result<Chart, StepError> {
        Chart::new(&self.cfg)
    }

    /// Whether the output so far is complete.
    pub fn accepts(&self, chart: &Chart) -> bool {
        chart.accepts(&self.cfg)
    }

    /// The token ids a special-token terminal stands for.
    fn special_ids<'a>(&'a self, token: &'a SpecialToken) -> &'a [TokenId] {
        match token {
            SpecialToken::Id(id) => std::slice::from_ref(id),
            SpecialToken::Name(name) => self
                .specials_by_name
                .get(name.as_bytes())
                .map_or(&[], Vec::as_slice),
        }
    }

    /// Whether whole-token `terminal` matches `token`.
    fn admits(&self, vocabulary: &Vocabulary, terminal: &Terminal, token: TokenId) -> bool {
        match terminal {
            Terminal::Bytes(_) => false,
            Terminal::Special(special) => self.special_ids(special).contains(&token),
            Terminal::TokenExcept(excluded) => {
                (token as usize) < vocabulary.len()
                    && !vocabulary.is_eos(token)
                    && !self.special_ids(excluded).contains(&token)
            }
        }
    }

    /// Scans `token`: a special token as one position, a text token one
    /// position per byte (see [`Chart::scan_text_token`]); on refusal the
    /// chart is unchanged.
    pub fn scan_token(
        &self,
        chart: &mut Chart,
        vocabulary: &Vocabulary,
        token: TokenId,
    ) -> Result<(), StepError> {
        let admits = |terminal: &Terminal| self.admits(vocabulary, terminal, token);
        if vocabulary.is_special(token) {
            return chart.scan_special(&self.cfg, admits);
        }
        let bytes = vocabulary.token_bytes(token).unwrap_or_default();
        chart.scan_text_token(&self.cfg, bytes, admits)
    }

    /// Allows every token that keeps the output a viable prefix: the text
    /// tokens whose bytes the chart can scan (see
    /// [`mask_walk`](super::mask_walk)), whose lexer results are cached in
    /// `cache`, and every token a whole-token terminal of the current set
    /// admits. The chart is used as scratch and left as it was.
    pub(crate) fn fill_mask(
        &self,
        chart: &mut Chart,
        vocabulary: &Vocabulary,
        cache: &LexemeCaches,
        mask: &mut TokenMask,
    ) {
        fill_text_mask(&self.cfg, chart, vocabulary, cache, mask);
        // The tokens every waiting negation excludes; `None` when no
        // negation waits.
        let mut excluded: Option<Vec<TokenId>> = None;
        for terminal in chart.expected_tokens(&self.cfg) {
            if let Terminal::TokenExcept(token) = terminal {
                let ids = self.special_ids(token);
                match &mut excluded {
                    None => excluded = Some(ids.to_vec()),
                    Some(common) => common.retain(|id| ids.contains(id)),
                }
            }
        }
        if let Some(excluded) = excluded {
            // Every token but those and the stops, keeping whatever the
            // byte walk allowed among them.
            let refused: Vec<TokenId> = excluded
                .iter()
                .chain(vocabulary.eos_tokens())
                .copied()
                .filter(|&id| !mask.contains(id))
                .collect();
            mask.allow_below(vocabulary.len());
            for id in refused {
                mask.disallow(id);
            }
        }
        for terminal in chart.expected_tokens(&self.cfg) {
            if let Terminal::Special(special) = terminal {
                for &id in self.special_ids(special) {
                    mask.allow(id);
                }
            }
        }
    }

    /// The bytes every continuation must start with (up to `limit`), and
    /// whether the output must then end.
    pub fn forced_bytes(&self, chart: &Chart, limit: usize) -> (Vec<u8>, bool) {
        let mut chart = chart.clone();
        let mut forced = Vec::new();
        while forced.len() < limit && !self.accepts(&chart) {
            // A whole token may come next: no byte is forced.
            if chart.expected_tokens(&self.cfg).next().is_some() {
                break;
            }
            let mut only = None;
            for byte in 0..=255u8 {
                if !self.refuses_byte(&mut chart, byte) {
                    if only.is_some() {
                        return (forced, false);
                    }
                    only = Some(byte);
                }
            }
            let Some(byte) = only else {
                break;
            };
            if chart.scan_byte(&self.cfg, byte).is_err() {
                break;
            }
            forced.push(byte);
        }
        let must_end = self.accepts(&chart)
            && chart.expected_tokens(&self.cfg).next().is_none()
            && (0..=255u8).all(|byte| self.refuses_byte(&mut chart, byte));
        (forced, must_end)
    }

    /// Whether `byte` cannot follow; the chart is left as it was.
    fn refuses_byte(&self, chart: &mut Chart, byte: u8) -> bool {
        let before = chart.len();
        let refused = chart.scan_byte(&self.cfg, byte).is_err();
        chart.truncate(before);
        refused
    }

    /// A byte string completing the output, built from the grammar rather
    /// than searched for: from an item of the current set, finish its
    /// terminal and the rest of its production with shortest derivations,
    /// then do the same for the item that predicted it, up to the start
    /// rule. Every item's chain is followed (each item once) and the
    /// shortest result is kept. `None` when no completion can be spelled in
    /// bytes (the grammar needs a special token or a token negation first).
    pub fn shortest_completion(&self, chart: &Chart) -> Option<Vec<u8>> {
        let cfg = &self.cfg;
        let mut best: Option<Vec<u8>> = None;
        let mut seen: HashSet<Item> = HashSet::new();
        let mut queue: VecDeque<(Item, Vec<u8>)> = chart
            .last()
            .items()
            .iter()
            .map(|&item| (item, Vec::new()))
            .collect();
        while let Some((item, mut suffix)) = queue.pop_front() {
            if !seen.insert(item) {
                continue;
            }
            let production = &cfg.productions[item.production as usize];
            let mut dot = item.dot as usize;
            if item.terminal_state != 0 {
                let Some(Symbol::Terminal(terminal)) = production.rhs.get(dot) else {
                    continue;
                };
                let Terminal::Bytes(dfa) = &cfg.terminals[*terminal as usize] else {
                    continue;
                };
                let Some(rest) = dfa.shortest_completion(item.terminal_state) else {
                    continue;
                };
                suffix.extend_from_slice(&rest);
                dot += 1;
            }
            let rest: Option<Vec<Vec<u8>>> = production.rhs[dot..]
                .iter()
                .enumerate()
                .map(|(offset, &symbol)| {
                    // A list's next member starts in the state after this
                    // production's step.
                    let at = Item {
                        dot: (dot + offset) as u32,
                        ..item
                    };
                    match chart.child_list_state(cfg, &at)? {
                        0 => cfg.shortest_string(symbol),
                        // Only a list's next member has a state of its own.
                        state => {
                            let family = production.guard?.family;
                            cfg.shortest_list_rest(family, chart.list_state(state), true)
                        }
                    }
                })
                .collect();
            let Some(rest) = rest else {
                continue;
            };
            suffix.extend(rest.into_iter().flatten());
            if production.lhs == cfg.start && item.origin == 0 {
                if best.as_ref().is_none_or(|b| suffix.len() < b.len()) {
                    best = Some(suffix);
                }
                continue;
            }
            let Some(origin) = chart.set(item.origin as usize) else {
                continue;
            };
            for parent in origin.items() {
                if parent.terminal_state == 0
                    && cfg.symbol_at(parent.production, parent.dot)
                        == Some(Symbol::Nonterminal(production.lhs))
                    && chart.child_list_state(cfg, parent) == Some(item.list_state)
                {
                    let advanced = Item {
                        dot: parent.dot + 1,
                        terminal_state: 0,
                        ..*parent
                    };
                    if !seen.contains(&advanced) {
                        queue.push_back((advanced, suffix.clone()));
                    }
                }
            }
        }
        best
    }
}
