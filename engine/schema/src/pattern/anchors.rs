//! `^` and `$` anywhere in a pattern, rewritten away.
//!
//! A JSON Schema `pattern` is searched in the string, and without flags
//! `^` and `$` hold only at the string's start and end. Where they sit at
//! the edges of top-level alternatives, [`super::translate`] drops them and
//! leaves out the matching `.*`; that covers most patterns and keeps their
//! regexes as small as they were. Elsewhere (`^$|(^a+$)`, `^(x|$)`, or a
//! common `^` that `regex-syntax` factored out of `^in$|^out$`), this module
//! computes, for every piece of the pattern, what it matches in each of
//! four contexts: whether the text before the piece is empty and whether
//! the text after it is. An anchor then matches the empty string in the
//! contexts where it holds and nothing in the others, and the result has no
//! anchors left.
//!
//! Anchors only ever allow more in a context where they hold, so a piece's
//! language only grows from "not at the start" to "at the start". That
//! lets an anchor-free piece stand for itself in every context (its
//! language there may include the empty string, which is then also a match
//! in the context it really has) and keeps the rules below short. The price
//! is size: a pattern can appear up to four times in its regex, which is
//! why the edge-only case keeps its own, smaller translation.

use regex_syntax::hir::{Hir, HirKind, Look, Repetition};

/// What one piece of a pattern matches, by context: `[start][end]`, where
/// `start` says the text before the piece is empty (it begins at the
/// string's start) and `end` that the text after it is.
pub(super) struct Contexts {
    /// The piece's matches, `None` where it matches no non-empty text. An
    /// anchor-free piece's regex may also match the empty string.
    matches: [[Option<Hir>; 2]; 2],
    /// Whether the piece matches the empty string.
    empty: [[bool; 2]; 2],
}

impl Contexts {
    /// The whole pattern's language as a regex over whole strings, with
    /// `any` (one character's encoding) for the text around a match.
    pub(super) fn search(&self, any: &Hir) -> Hir {
        let anywhere = Hir::repetition(Repetition {
            min: 0,
            max: None,
            greedy: true,
            sub: Box::new(any.clone()),
        });
        let mut ways = Vec::new();
        for start in [true, false] {
            for end in [true, false] {
                let Some(matched) = self.whole(start, end) else {
                    continue;
                };
                let mut parts = Vec::new();
                if !start {
                    parts.push(anywhere.clone());
                }
                parts.push(matched);
                if !end {
                    parts.push(anywhere.clone());
                }
                ways.push(Hir::concat(parts));
            }
        }
        if ways.is_empty() {
            Hir::fail()
        } else {
            Hir::alternation(ways)
        }
    }

    /// The piece's language in one context, the empty string included.
    fn whole(&self, start: bool, end: bool) -> Option<Hir> {
        let (s, e) = (start as usize, end as usize);
        match (&self.matches[s][e], self.empty[s][e]) {
            (Some(hir), false) => Some(hir.clone()),
            (Some(hir), true) => Some(optional(hir.clone())),
            (None, true) => Some(Hir::empty()),
            (None, false) => None,
        }
    }

    fn matches(&self, start: bool, end: bool) -> Option<&Hir> {
        self.matches[start as usize][end as usize].as_ref()
    }

    fn empty(&self, start: bool, end: bool) -> bool {
        self.empty[start as usize][end as usize]
    }

    /// Builds a value from a rule giving each context's matches and
    /// emptiness.
    fn each(mut rule: impl FnMut(bool, bool) -> (Option<Hir>, bool)) -> Contexts {
        let mut matches: [[Option<Hir>; 2]; 2] = Default::default();
        let mut empty = [[false; 2]; 2];
        for start in [false, true] {
            for end in [false, true] {
                let (hir, is_empty) = rule(start, end);
                matches[start as usize][end as usize] = hir;
                empty[start as usize][end as usize] = is_empty;
            }
        }
        Contexts { matches, empty }
    }
}

/// The contexts of `hir` (a pattern's tree, classes not yet encoded);
/// `encode` turns an anchor-free piece into its encoded regex.
pub(super) fn contexts(
    hir: &Hir,
    encode: &impl Fn(&Hir) -> Result<Hir, String>,
    pattern: &str,
) -> Result<Contexts, String> {
    if hir.properties().look_set().is_empty() {
        let encoded = encode(hir)?;
        let empty = hir.properties().minimum_len() == Some(0);
        return Ok(Contexts::each(|_, _| (Some(encoded.clone()), empty)));
    }
    Ok(match hir.kind() {
        HirKind::Look(Look::Start) => Contexts::each(|start, _| (None, start)),
        HirKind::Look(Look::End) => Contexts::each(|_, end| (None, end)),
        HirKind::Look(_) => {
            return Err(format!(
                "pattern {pattern:?}: word boundaries and multi-line anchors are not supported"
            ))
        }
        HirKind::Capture(capture) => contexts(&capture.sub, encode, pattern)?,
        HirKind::Concat(items) => {
            let mut items = items.iter();
            let Some(first) = items.next() else {
                return Ok(Contexts::each(|_, _| (None, true)));
            };
            let mut whole = contexts(first, encode, pattern)?;
            for item in items {
                whole = then(&whole, &contexts(item, encode, pattern)?);
            }
            whole
        }
        HirKind::Alternation(items) => {
            let items = items
                .iter()
                .map(|item| contexts(item, encode, pattern))
                .collect::<Result<Vec<_>, _>>()?;
            Contexts::each(|start, end| {
                let ways: Vec<Hir> = items
                    .iter()
                    .filter_map(|item| item.matches(start, end).cloned())
                    .collect();
                let empty = items.iter().any(|item| item.empty(start, end));
                (either(ways), empty)
            })
        }
        HirKind::Repetition(repetition) => repeat(
            &contexts(&repetition.sub, encode, pattern)?,
            repetition.min,
            repetition.max,
        ),
        // Literals, classes and the empty regex have no anchors.
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => {
            unreachable!("an anchor-free piece is encoded above")
        }
    })
}

/// `first` followed by `second`: the text both match is split in two, and
/// an empty half passes its side's context on to the other half.
fn then(first: &Contexts, second: &Contexts) -> Contexts {
    Contexts::each(|start, end| {
        let mut ways = Vec::new();
        if let (Some(a), Some(b)) = (first.matches(start, false), second.matches(false, end)) {
            ways.push(Hir::concat(vec![a.clone(), b.clone()]));
        }
        if first.empty(start, false) {
            ways.extend(second.matches(start, end).cloned());
        }
        if second.empty(false, end) {
            ways.extend(first.matches(start, end).cloned());
        }
        (
            either(ways),
            first.empty(start, end) && second.empty(start, end),
        )
    })
}

/// `sub{min,max}`. Only its non-empty iterations change the text: the
/// first has the repetition's start context, the last its end context, the
/// ones between neither. The empty iterations that reaching `min` may need
/// can all stand before the first non-empty one or after the last.
fn repeat(sub: &Contexts, min: u32, max: Option<u32>) -> Contexts {
    Contexts::each(|start, end| {
        let empty = min == 0 || sub.empty(start, end);
        let pads = sub.empty(start, false) || sub.empty(false, end);
        // The fewest non-empty iterations a non-empty match can have.
        let fewest = if pads { 1 } else { min.max(1) };
        let mut ways = Vec::new();
        if fewest <= 1 && max.is_none_or(|max| max >= 1) {
            ways.extend(sub.matches(start, end).cloned());
        }
        let lo = fewest.max(2);
        if max.is_none_or(|max| max >= lo) {
            if let (Some(first), Some(last)) = (sub.matches(start, false), sub.matches(false, end))
            {
                let middle = match sub.matches(false, false) {
                    Some(middle) => Some(Hir::repetition(Repetition {
                        min: lo - 2,
                        max: max.map(|max| max - 2),
                        greedy: true,
                        sub: Box::new(grouped(middle.clone())),
                    })),
                    None if lo == 2 => Some(Hir::empty()),
                    None => None,
                };
                if let Some(middle) = middle {
                    ways.push(Hir::concat(vec![first.clone(), middle, last.clone()]));
                }
            }
        }
        (either(ways), empty)
    })
}

/// The alternation of `ways`, `None` when there are none.
fn either(ways: Vec<Hir>) -> Option<Hir> {
    (!ways.is_empty()).then(|| Hir::alternation(ways))
}

/// `hir?`.
fn optional(hir: Hir) -> Hir {
    Hir::repetition(Repetition {
        min: 0,
        max: Some(1),
        greedy: true,
        sub: Box::new(grouped(hir)),
    })
}

/// `hir` in a group when it is a repetition itself, so that printing the
/// outer repetition cannot read as a lazy one (`a+?`).
pub(super) fn grouped(hir: Hir) -> Hir {
    match hir.kind() {
        HirKind::Repetition(_) => Hir::capture(regex_syntax::hir::Capture {
            index: 1,
            name: None,
            sub: Box::new(hir),
        }),
        _ => hir,
    }
}
