//! Random regexes for property tests, with a sampler of matching strings.
//!
//! The regex is generated as a small syntax tree so that the test can both
//! print it as a pattern and draw strings from its language; the `regex`
//! crate (a different engine) is the reference that judges every string.

use proptest::prelude::*;

/// A small deterministic generator (SplitMix64); proptest supplies the seed,
/// so failures shrink and replay.
#[derive(Clone, Debug)]
pub struct Rng64(pub u64);

impl Rng64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next_u64() % (u64::from(hi - lo) + 1)) as u32
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Characters the generated regexes and strings draw from: ASCII, two-byte,
/// three-byte and four-byte UTF-8, and regex metacharacters.
pub const ALPHABET: &[char] = &[
    'a', 'b', 'c', '0', '7', ' ', '-', '.', '"', 'é', 'α', '€', '😀',
];

/// A regex syntax tree.
#[derive(Clone, Debug)]
pub enum Regex {
    /// One literal character.
    Literal(char),
    /// A character class of inclusive ranges.
    Class(Vec<(char, char)>),
    /// `\d`.
    Digit,
    /// Items in sequence.
    Concat(Vec<Regex>),
    /// One of several alternatives.
    Alternation(Vec<Regex>),
    /// `{min,max}` repetitions.
    Repeat(Box<Regex>, u32, u32),
}

impl Regex {
    /// The pattern in Rust regex syntax.
    pub fn pattern(&self) -> String {
        match self {
            Regex::Literal(c) => regex_syntax::escape(&c.to_string()),
            Regex::Class(ranges) => {
                let mut out = String::from("[");
                for (lo, hi) in ranges {
                    out.push_str(&regex_syntax::escape(&lo.to_string()));
                    if lo != hi {
                        out.push('-');
                        out.push_str(&regex_syntax::escape(&hi.to_string()));
                    }
                }
                out.push(']');
                out
            }
            Regex::Digit => r"\d".to_string(),
            Regex::Concat(items) => items
                .iter()
                .map(|i| format!("(?:{})", i.pattern()))
                .collect(),
            Regex::Alternation(items) => {
                let inner: Vec<String> = items.iter().map(Regex::pattern).collect();
                format!("(?:{})", inner.join("|"))
            }
            Regex::Repeat(inner, min, max) => format!("(?:{}){{{min},{max}}}", inner.pattern()),
        }
    }

    /// A random string from the regex's language.
    pub fn sample(&self, rng: &mut Rng64, out: &mut String) {
        match self {
            Regex::Literal(c) => out.push(*c),
            Regex::Class(ranges) => {
                let (lo, hi) = ranges[rng.below(ranges.len())];
                let code = rng.between(lo as u32, hi as u32);
                out.push(char::from_u32(code).unwrap_or(lo));
            }
            Regex::Digit => out.push(char::from(b'0' + rng.below(10) as u8)),
            Regex::Concat(items) => items.iter().for_each(|i| i.sample(rng, out)),
            Regex::Alternation(items) => items[rng.below(items.len())].sample(rng, out),
            Regex::Repeat(inner, min, max) => {
                for _ in 0..rng.between(*min, *max) {
                    inner.sample(rng, out);
                }
            }
        }
    }
}

fn char_strategy() -> impl Strategy<Value = char> {
    prop::sample::select(ALPHABET)
}

/// Random regex trees of bounded size.
pub fn regex_strategy() -> impl Strategy<Value = Regex> {
    let leaf = prop_oneof![
        4 => char_strategy().prop_map(Regex::Literal),
        1 => prop::collection::vec((char_strategy(), 0u32..3), 1..3).prop_map(|ranges| {
            Regex::Class(
                ranges
                    .into_iter()
                    .map(|(c, width)| {
                        // Keep ranges valid: surrogates are not chars.
                        let hi = char::from_u32(c as u32 + width).unwrap_or(c);
                        (c, hi)
                    })
                    .collect(),
            )
        }),
        1 => Just(Regex::Digit),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Regex::Concat),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Regex::Alternation),
            (inner, 0u32..3, 0u32..3).prop_map(|(r, a, b)| Regex::Repeat(
                Box::new(r),
                a.min(b),
                a.max(b)
            )),
        ]
    })
}

/// Random strings over [`ALPHABET`].
pub fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(char_strategy(), 0..10).prop_map(|chars| chars.into_iter().collect())
}

/// Strings to judge for `regex`: samples from its language, mutations of
/// them, and unrelated random strings.
pub fn candidate_strings(regex: &Regex, rng: &mut Rng64, random: &[String]) -> Vec<String> {
    let mut out: Vec<String> = random.to_vec();
    for _ in 0..6 {
        let mut sample = String::new();
        regex.sample(rng, &mut sample);
        let mutant = mutate_text(&sample, ALPHABET, rng);
        out.push(sample);
        out.push(mutant);
    }
    out
}

/// One random edit of `text`: delete, insert or replace a character, the
/// new characters drawn from `alphabet`.
pub fn mutate_text(text: &str, alphabet: &[char], rng: &mut Rng64) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let position = rng.below(chars.len() + 1);
    let c = alphabet[rng.below(alphabet.len())];
    match rng.below(3) {
        0 if position < chars.len() => {
            chars.remove(position);
        }
        1 => chars.insert(position, c),
        _ if position < chars.len() => chars[position] = c,
        _ => chars.push(c),
    }
    chars.into_iter().collect()
}

/// The reference judgement: does `regex` match the whole of `text`?
pub fn reference(pattern: &str) -> regex::Regex {
    regex::Regex::new(&format!("^(?:{pattern})$")).expect("generated regexes are valid")
}
