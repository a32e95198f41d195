//! Property tests of grammar constraints against an independent reference.
//!
//! Random small grammars (recursion, left recursion, nullable rules,
//! ambiguity, multi-byte characters) are printed as GBNF. Strings sampled
//! from them must be accepted token by token, under greedy and byte-by-byte
//! tokenizations of a synthetic vocabulary; mutated strings must be accepted
//! exactly when the reference recognizer — a fixed-point computation of
//! "which positions can each rule reach from each position", written here and
//! sharing no code with the Earley engine — accepts them; and every allowed
//! token must leave an output that can still be completed into a sentence
//! the reference accepts. The mask (lexer walk with the parser at lexeme
//! boundaries) must equal, token for token, what the byte-level recognizer
//! can scan.
//!
//! A second family mixes byte terminals with whole-token terminals (special
//! tokens, token negations `!<|name|>` and `!<[id]>`): along random token
//! walks the mask must equal what the chart can scan, ending must be allowed
//! exactly where a token-level reference accepts, and rolling back must
//! restore every mask.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use rein_core::{Engine, TokenId, TokenKind, TokenMask, Vocabulary};
use rein_test_support::grammar_gen::{grammar, mutate, reference_accepts, CHARS};
use rein_test_support::regex_gen::Rng64;
use rein_test_support::walk::{byte_tokens, greedy_tokens, walk_accepts};

fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut builder = Vocabulary::builder();
            let eos = builder.push(b"<eos>".to_vec(), TokenKind::Special);
            builder.eos_token(eos);
            for byte in 0..=255u8 {
                builder.push(vec![byte], TokenKind::Text);
            }
            for a in CHARS {
                for b in CHARS {
                    builder.push(format!("{a}{b}").into_bytes(), TokenKind::Text);
                }
                let split = format!("{a}é").into_bytes();
                builder.push(split[..split.len() - 1].to_vec(), TokenKind::Text);
            }
            Engine::new(Arc::new(builder.build().unwrap()))
        })
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn grammar_walks_agree_with_the_reference(grammar in grammar(), seed in any::<u64>()) {
        let source = grammar.gbnf();
        let engine = engine();
        let vocabulary = engine.vocabulary();
        let constraint = engine.grammar(&source)
            .unwrap_or_else(|e| panic!("{source}\n{e}"));
        let mut rng = Rng64(seed);
        for _ in 0..4 {
            let mut sentence = String::new();
            grammar.sample(&mut rng, &mut sentence);
            // The reference is cubic in the length; keep sentences short.
            if sentence.chars().count() > 24 {
                continue;
            }
            prop_assert!(reference_accepts(&grammar, &sentence), "sampler bug: {sentence:?}");
            let greedy = greedy_tokens(vocabulary, &sentence);
            prop_assert!(walk_accepts(&constraint, &greedy), "{source}\nrejects {sentence:?} (greedy)");
            prop_assert!(walk_accepts(&constraint, &byte_tokens(vocabulary, &sentence)),
                "{source}\nrejects {sentence:?} (bytes)");
            for _ in 0..3 {
                let mutant = mutate(&sentence, &mut rng);
                let expected = reference_accepts(&grammar, &mutant);
                prop_assert_eq!(walk_accepts(&constraint, &greedy_tokens(vocabulary, &mutant)), expected,
                    "{}\non {:?}", source, mutant);
            }
            // No dead ends along the sentence.
            let mut matcher = constraint.matcher();
            let mut mask = TokenMask::new(vocabulary.len());
            let mut prefix = Vec::new();
            for &token in &greedy {
                matcher.fill_mask(&mut mask).unwrap();
                // The mask is exactly the set of tokens the byte-level
                // recognizer can scan.
                for id in 0..vocabulary.len() as TokenId {
                    prop_assert_eq!(mask.contains(id), matcher.is_allowed(id),
                        "{}
after {:?}: token {}", source, prefix, id);
                }
                let allowed: Vec<TokenId> = mask.iter().collect();
                for _ in 0..8 {
                    let candidate = allowed[rng.below(allowed.len())];
                    let mut fork = matcher.clone();
                    fork.commit(candidate).unwrap();
                    if vocabulary.is_eos(candidate) {
                        prop_assert!(reference_accepts(&grammar, std::str::from_utf8(&prefix).unwrap()));
                        continue;
                    }
                    let completion = fork.shortest_completion();
                    prop_assert!(completion.is_some(), "{source}\ndead end after {prefix:?} + {candidate}");
                    let mut full = prefix.clone();
                    full.extend_from_slice(vocabulary.token_bytes(candidate).unwrap());
                    full.extend_from_slice(&completion.unwrap());
                    let text = String::from_utf8(full).unwrap();
                    prop_assert!(reference_accepts(&grammar, &text), "{source}\ncompletion {text:?} rejected");
                }
                matcher.commit(token).unwrap();
                prefix.extend_from_slice(vocabulary.token_bytes(token).unwrap());
            }
        }
    }
}

/// Grammars that mix byte terminals with whole-token terminals (special
/// tokens and token negations), judged over token sequences.
///
/// Tokens here are not just their bytes: a negation matches exactly one
/// whole token, so the reference works on *units* — each text token's
/// bytes, one unit per special token — and lets a negation span exactly
/// one token's units, from that token's start. Like the reference above it
/// is a fixed point of "which positions can each rule reach from each
/// position", sharing no code with the Earley chart.
mod whole_tokens {
    use std::collections::BTreeSet;

    use proptest::prelude::*;
    use rein_core::{TokenId, Vocabulary};

    use rein_test_support::grammar_gen::CHARS;

    pub const RULES: usize = 3;
    /// The special tokens' names, ids 1 and 2 (the stop token is id 0).
    pub const SPECIALS: [&str; 2] = ["<|s1|>", "<|s2|>"];

    #[derive(Clone, Debug)]
    pub enum Expr {
        Literal(String),
        Class(char, char),
        Rule(usize),
        /// `<|name|>`, by index into [`SPECIALS`].
        Special(usize),
        /// `!<|name|>`, by index into [`SPECIALS`].
        NotSpecial(usize),
        /// `!<[id]>`.
        NotId(TokenId),
        Sequence(Vec<Expr>),
        Alternation(Vec<Expr>),
        Repeat(Box<Expr>, u32, Option<u32>),
    }

    impl Expr {
        fn gbnf(&self) -> String {
            match self {
                Expr::Literal(text) => format!("{text:?}"),
                Expr::Class(low, high) => format!("[{low}-{high}]"),
                Expr::Rule(index) => format!("r{index}"),
                Expr::Special(index) => SPECIALS[*index].to_string(),
                Expr::NotSpecial(index) => format!("!{}", SPECIALS[*index]),
                Expr::NotId(id) => format!("!<[{id}]>"),
                Expr::Sequence(items) => {
                    let inner: Vec<String> = items.iter().map(Expr::gbnf).collect();
                    format!("({})", inner.join(" "))
                }
                Expr::Alternation(items) => {
                    let inner: Vec<String> = items.iter().map(Expr::gbnf).collect();
                    format!("({})", inner.join(" | "))
                }
                Expr::Repeat(inner, min, Some(max)) => format!("{}{{{min},{max}}}", inner.gbnf()),
                Expr::Repeat(inner, min, None) => format!("{}{{{min},}}", inner.gbnf()),
            }
        }
    }

    #[derive(Clone, Debug)]
    pub struct Grammar {
        pub bodies: Vec<Expr>,
        pub bases: Vec<String>,
    }

    impl Grammar {
        pub fn gbnf(&self) -> String {
            let mut out = String::new();
            for (index, (body, base)) in self.bodies.iter().zip(&self.bases).enumerate() {
                let name = if index == 0 {
                    "root".to_string()
                } else {
                    format!("r{index}")
                };
                out.push_str(&format!("{name} ::= {} | {base:?}\n", body.gbnf()));
            }
            out.replace("r0", "root")
        }
    }

    /// The vocabulary: stop token, the specials, every byte, pairs of
    /// [`CHARS`], and a few longer tokens whose bytes a literal may follow
    /// only part of the way.
    pub fn vocabulary() -> Vocabulary {
        let mut builder = Vocabulary::builder();
        let eos = builder.push(b"<eos>".to_vec(), rein_core::TokenKind::Special);
        builder.eos_token(eos);
        for name in SPECIALS {
            builder.push(name.as_bytes().to_vec(), rein_core::TokenKind::Special);
        }
        for byte in 0..=255u8 {
            builder.push(vec![byte], rein_core::TokenKind::Text);
        }
        for a in CHARS {
            for b in CHARS {
                builder.push(format!("{a}{b}").into_bytes(), rein_core::TokenKind::Text);
            }
        }
        for text in ["aab", "ab(", "(é(", "baba"] {
            builder.push(text.as_bytes().to_vec(), rein_core::TokenKind::Text);
        }
        builder.build().unwrap()
    }

    /// The token `!<[id]>` may exclude: `a`, a text token.
    pub fn excluded_text_token(vocabulary: &Vocabulary) -> TokenId {
        (0..vocabulary.len() as TokenId)
            .find(|&id| vocabulary.token_bytes(id) == Some(b"a") && !vocabulary.is_special(id))
            .unwrap()
    }

    fn literal() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(CHARS), 1..3)
            .prop_map(|c| c.into_iter().collect())
    }

    fn expr(excluded: TokenId) -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            3 => literal().prop_map(Expr::Literal),
            1 => Just(Expr::Class('a', 'c')),
            1 => Just(Expr::Class('à', 'é')),
            2 => (0..RULES).prop_map(Expr::Rule),
            1 => (0..SPECIALS.len()).prop_map(Expr::Special),
            2 => (0..SPECIALS.len()).prop_map(Expr::NotSpecial),
            1 => Just(Expr::NotId(excluded)),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4).prop_map(Expr::Sequence),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Alternation),
                (inner, 0u32..2, prop::option::of(1u32..3)).prop_map(|(e, min, max)| {
                    Expr::Repeat(Box::new(e), min, max.map(|m| m.max(min)))
                }),
            ]
        })
    }

    pub fn grammar(excluded: TokenId) -> impl Strategy<Value = Grammar> {
        (
            prop::collection::vec(expr(excluded), RULES),
            prop::collection::vec(literal(), RULES),
        )
            .prop_map(|(bodies, bases)| Grammar { bodies, bases })
    }

    /// One unit of output: a text token's byte, or a special token.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Unit {
        Byte(u8),
        Special(TokenId),
    }

    /// Token sequences as units, with each token's span.
    struct Units {
        units: Vec<Unit>,
        /// For each unit position where a token starts: its end and id.
        tokens: Vec<Option<(usize, TokenId)>>,
        eos: Vec<TokenId>,
    }

    /// Whether `tokens`, as a whole, is a sentence of `grammar`.
    pub fn reference_accepts(
        grammar: &Grammar,
        vocabulary: &Vocabulary,
        tokens: &[TokenId],
    ) -> bool {
        let mut units = Vec::new();
        let mut starts = Vec::new();
        for &token in tokens {
            let start = units.len();
            if vocabulary.is_special(token) {
                units.push(Unit::Special(token));
            } else {
                units.extend(
                    vocabulary
                        .token_bytes(token)
                        .unwrap()
                        .iter()
                        .map(|&b| Unit::Byte(b)),
                );
            }
            starts.push((start, units.len(), token));
        }
        let mut token_at = vec![None; units.len() + 1];
        for (start, end, token) in starts {
            token_at[start] = Some((end, token));
        }
        let input = Units {
            units,
            tokens: token_at,
            eos: vocabulary.eos_tokens().to_vec(),
        };
        let n = input.units.len();
        let mut reach: Vec<Vec<BTreeSet<usize>>> = vec![vec![BTreeSet::new(); n + 1]; RULES];
        loop {
            let mut changed = false;
            for rule in 0..RULES {
                for start in 0..=n {
                    let mut ends = ends_of(&grammar.bodies[rule], start, &input, &reach);
                    ends.extend(literal_ends(&grammar.bases[rule], start, &input));
                    if !ends.is_subset(&reach[rule][start]) {
                        reach[rule][start].extend(ends);
                        changed = true;
                    }
                }
            }
            if !changed {
                return reach[0][0].contains(&n);
            }
        }
    }

    fn literal_ends(literal: &str, start: usize, input: &Units) -> BTreeSet<usize> {
        let end = start + literal.len();
        let matches = end <= input.units.len()
            && literal
                .bytes()
                .zip(&input.units[start..end])
                .all(|(byte, unit)| *unit == Unit::Byte(byte));
        if matches {
            BTreeSet::from([end])
        } else {
            BTreeSet::new()
        }
    }

    /// The character the byte units at `start` spell, with its length.
    fn char_at(start: usize, input: &Units) -> Option<(char, usize)> {
        let mut bytes = Vec::new();
        for unit in input.units[start..].iter().take(4) {
            let Unit::Byte(byte) = unit else { break };
            bytes.push(*byte);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                return text.chars().next().map(|c| (c, bytes.len()));
            }
        }
        None
    }

    fn ends_of(
        expr: &Expr,
        start: usize,
        input: &Units,
        reach: &[Vec<BTreeSet<usize>>],
    ) -> BTreeSet<usize> {
        let whole_token = |admits: &dyn Fn(TokenId) -> bool| match input.tokens.get(start) {
            Some(Some((end, token))) if admits(*token) && !input.eos.contains(token) => {
                BTreeSet::from([*end])
            }
            _ => BTreeSet::new(),
        };
        match expr {
            Expr::Literal(text) => literal_ends(text, start, input),
            Expr::Class(low, high) => match char_at(start, input) {
                Some((c, length)) if *low <= c && c <= *high => BTreeSet::from([start + length]),
                _ => BTreeSet::new(),
            },
            Expr::Rule(rule) => reach[*rule][start].clone(),
            // Special token `index` has id `index + 1`.
            Expr::Special(index) => match input.units.get(start) {
                Some(Unit::Special(id)) if *id == *index as TokenId + 1 => {
                    BTreeSet::from([start + 1])
                }
                _ => BTreeSet::new(),
            },
            Expr::NotSpecial(index) => whole_token(&|token| token != *index as TokenId + 1),
            Expr::NotId(excluded) => whole_token(&|token| token != *excluded),
            Expr::Sequence(items) => {
                let mut positions = BTreeSet::from([start]);
                for item in items {
                    positions = positions
                        .iter()
                        .flat_map(|&p| ends_of(item, p, input, reach))
                        .collect();
                }
                positions
            }
            Expr::Alternation(items) => items
                .iter()
                .flat_map(|item| ends_of(item, start, input, reach))
                .collect(),
            Expr::Repeat(inner, min, max) => {
                let limit = max
                    .unwrap_or(u32::MAX)
                    .min(*min + input.units.len() as u32 + 1);
                let mut result = BTreeSet::new();
                let mut positions = BTreeSet::from([start]);
                for count in 0..=limit {
                    if count >= *min {
                        result.extend(positions.iter().copied());
                    }
                    if count == limit {
                        break;
                    }
                    positions = positions
                        .iter()
                        .flat_map(|&p| ends_of(inner, p, input, reach))
                        .collect();
                    if positions.is_empty() {
                        break;
                    }
                }
                result
            }
        }
    }
}

fn whole_token_engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| Engine::new(Arc::new(whole_tokens::vocabulary())))
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Over random token walks through grammars with special tokens and
    /// token negations: the mask is exactly the set of tokens whose scan
    /// succeeds; the output may end exactly when the reference accepts the
    /// tokens so far (and a refused token makes a sequence the reference
    /// refuses); rolling back restores each step's mask.
    #[test]
    fn whole_token_masks_agree_with_scans(
        grammar in whole_tokens::grammar(whole_tokens::excluded_text_token(whole_token_engine().vocabulary())),
        seed in any::<u64>(),
    ) {
        let source = grammar.gbnf();
        let engine = whole_token_engine();
        let vocabulary = engine.vocabulary();
        let constraint = engine.grammar(&source)
            .unwrap_or_else(|e| panic!("{source}\n{e}"));
        // Tokens a walk prefers: the grammar's characters, pairs of them,
        // the longer tokens and the specials.
        let interesting: Vec<TokenId> = (0..vocabulary.len() as TokenId)
            .filter(|&id| {
                vocabulary.is_special(id)
                    || std::str::from_utf8(vocabulary.token_bytes(id).unwrap())
                        .is_ok_and(|text| text.chars().all(|c| CHARS.contains(&c)))
            })
            .collect();
        let mut rng = Rng64(seed);
        let mut matcher = constraint.matcher();
        let mut mask = TokenMask::new(vocabulary.len());
        for _ in 0..4 {
            let mut masks: Vec<Vec<TokenId>> = Vec::new();
            let mut tokens: Vec<TokenId> = Vec::new();
            for _ in 0..8 {
                matcher.fill_mask(&mut mask).unwrap();
                for id in 0..vocabulary.len() as TokenId {
                    prop_assert_eq!(mask.contains(id), matcher.is_allowed(id),
                        "{}\nafter {:?}: token {}", source, tokens, id);
                }
                prop_assert_eq!(matcher.can_end(),
                    whole_tokens::reference_accepts(&grammar, vocabulary, &tokens),
                    "{}\nending after {:?}", source, tokens);
                masks.push(mask.iter().collect());
                // Now and then a token the mask refuses: no sentence goes on
                // with it (the reference refuses the sequence ended there).
                let refused = interesting[rng.below(interesting.len())];
                if !mask.contains(refused) {
                    let mut with = tokens.clone();
                    with.push(refused);
                    prop_assert!(!whole_tokens::reference_accepts(&grammar, vocabulary, &with),
                        "{}\n{:?} refused", source, with);
                }
                let candidates: Vec<TokenId> = interesting
                    .iter()
                    .copied()
                    .filter(|&id| mask.contains(id) && !vocabulary.is_eos(id))
                    .collect();
                let allowed: Vec<TokenId> = mask
                    .iter()
                    .filter(|&id| !vocabulary.is_eos(id))
                    .collect();
                let token = match (candidates.is_empty(), allowed.is_empty()) {
                    (_, true) => break,
                    (false, _) if rng.below(4) != 0 => candidates[rng.below(candidates.len())],
                    _ => allowed[rng.below(allowed.len())],
                };
                matcher.commit(token).unwrap();
                tokens.push(token);
            }
            while matcher.committed() > 0 {
                let back = 1 + rng.below(matcher.committed().min(3));
                matcher.rollback(back).unwrap();
                matcher.fill_mask(&mut mask).unwrap();
                let restored: Vec<TokenId> = mask.iter().collect();
                prop_assert_eq!(&restored, &masks[matcher.committed()],
                    "{}\nrolled back to {:?}", source, &tokens[..matcher.committed()]);
            }
        }
    }
}
