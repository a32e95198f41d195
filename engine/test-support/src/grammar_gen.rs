//! Random small grammars for property tests: printed as GBNF, sampled, and
//! judged by a reference recognizer — a fixed-point computation of "which
//! positions can each rule reach from each position" that shares no code
//! with the Earley engine.

use std::collections::BTreeSet;

use proptest::prelude::*;

use crate::regex_gen::Rng64;

pub const RULES: usize = 3;
pub const CHARS: &[char] = &['a', 'b', 'é', '('];

/// A grammar expression over rules `r0` (root) .. `r2`.
#[derive(Clone, Debug)]
pub enum Expr {
    Literal(String),
    Class(char, char),
    Rule(usize),
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

/// Rule bodies; each rule also gets a literal alternative (its base case).
#[derive(Clone, Debug)]
pub struct RandomGrammar {
    /// Rule bodies, `r0` (root) first.
    pub bodies: Vec<Expr>,
    /// Each rule's base-case literal.
    pub bases: Vec<String>,
}

impl RandomGrammar {
    /// The grammar in GBNF.
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

    /// A random sentence; past `depth` every rule takes its base case.
    pub fn sample(&self, rng: &mut Rng64, out: &mut String) {
        self.sample_rule(0, rng, out, 0);
    }

    fn sample_rule(&self, rule: usize, rng: &mut Rng64, out: &mut String, depth: usize) {
        if depth > 6 || rng.below(3) == 0 {
            out.push_str(&self.bases[rule]);
        } else {
            self.sample_expr(&self.bodies[rule], rng, out, depth + 1);
        }
    }

    fn sample_expr(&self, expr: &Expr, rng: &mut Rng64, out: &mut String, depth: usize) {
        match expr {
            Expr::Literal(text) => out.push_str(text),
            Expr::Class(low, high) => {
                let code = rng.between(*low as u32, *high as u32);
                out.push(char::from_u32(code).unwrap_or(*low));
            }
            Expr::Rule(rule) => self.sample_rule(*rule, rng, out, depth),
            Expr::Sequence(items) => items
                .iter()
                .for_each(|i| self.sample_expr(i, rng, out, depth)),
            Expr::Alternation(items) => {
                self.sample_expr(&items[rng.below(items.len())], rng, out, depth)
            }
            Expr::Repeat(inner, min, max) => {
                let max = max.unwrap_or(min + 2);
                for _ in 0..rng.between(*min, max) {
                    self.sample_expr(inner, rng, out, depth);
                }
            }
        }
    }
}

/// The reference recognizer: `reach[rule][i]` = the positions rule can end
/// at when it starts at char position `i`, computed to a fixed point.
pub fn reference_accepts(grammar: &RandomGrammar, text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut reach: Vec<Vec<BTreeSet<usize>>> = vec![vec![BTreeSet::new(); n + 1]; RULES];
    loop {
        let mut changed = false;
        for rule in 0..RULES {
            for start in 0..=n {
                let mut ends = ends_of(&grammar.bodies[rule], start, &chars, &reach);
                ends.extend(literal_ends(&grammar.bases[rule], start, &chars));
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

fn literal_ends(literal: &str, start: usize, chars: &[char]) -> BTreeSet<usize> {
    let literal: Vec<char> = literal.chars().collect();
    let end = start + literal.len();
    if end <= chars.len() && chars[start..end] == literal[..] {
        BTreeSet::from([end])
    } else {
        BTreeSet::new()
    }
}

fn ends_of(
    expr: &Expr,
    start: usize,
    chars: &[char],
    reach: &[Vec<BTreeSet<usize>>],
) -> BTreeSet<usize> {
    match expr {
        Expr::Literal(text) => literal_ends(text, start, chars),
        Expr::Class(low, high) => match chars.get(start) {
            Some(c) if low <= c && c <= high => BTreeSet::from([start + 1]),
            _ => BTreeSet::new(),
        },
        Expr::Rule(rule) => reach[*rule][start].clone(),
        Expr::Sequence(items) => {
            let mut positions = BTreeSet::from([start]);
            for item in items {
                positions = positions
                    .iter()
                    .flat_map(|&p| ends_of(item, p, chars, reach))
                    .collect();
            }
            positions
        }
        Expr::Alternation(items) => items
            .iter()
            .flat_map(|item| ends_of(item, start, chars, reach))
            .collect(),
        Expr::Repeat(inner, min, max) => {
            let limit = max.unwrap_or(u32::MAX).min(*min + chars.len() as u32 + 1);
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
                    .flat_map(|&p| ends_of(inner, p, chars, reach))
                    .collect();
                if positions.is_empty() {
                    break;
                }
            }
            result
        }
    }
}

fn literal() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(CHARS), 1..3).prop_map(|c| c.into_iter().collect())
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => literal().prop_map(Expr::Literal),
        1 => Just(Expr::Class('a', 'c')),
        1 => Just(Expr::Class('à', 'é')),
        2 => (0..RULES).prop_map(Expr::Rule),
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

pub fn grammar() -> impl Strategy<Value = RandomGrammar> {
    (
        prop::collection::vec(expr(), RULES),
        prop::collection::vec(literal(), RULES),
    )
        .prop_map(|(bodies, bases)| RandomGrammar { bodies, bases })
}

/// One random edit of `text` over [`CHARS`].
pub fn mutate(text: &str, rng: &mut Rng64) -> String {
    crate::regex_gen::mutate_text(text, CHARS, rng)
}
