//! Object keys split into disjoint classes by `patternProperties`.
//!
//! JSON Schema gives a key that is not a named property the schemas of
//! *every* `patternProperties` regex it matches, and `additionalProperties`
//! only when it matches none. A grammar can offer one value schema per key
//! only if the key languages do not overlap, so the keys are partitioned
//! by the exact set of patterns they match: for patterns `P1, P2` the
//! classes are `P1 ∩ P2`, `P1 − P2`, `P2 − P1` and (for
//! `additionalProperties`) neither — each minus the named properties,
//! which the compiler writes as literal keys. Each class is one automaton
//! over the quoted key (see [`rein_core::automaton::ProductConfig`]).
//!
//! The trade-off is the number of classes, `2^n` for `n` patterns, each a
//! product of up to `n + 2` automata: rein takes at most
//! [`MAX_PATTERNS`] patterns and refuses more, and every product is
//! limited in states and time.

use std::time::Duration;

use rein_core::automaton::{CompileError, CompileErrorKind, ProductConfig, RegexConfig};
use rein_core::ByteDfa;

use crate::json_text::{encode_string, CHAR_UNIT};

/// The most `patternProperties` regexes one object may have.
pub const MAX_PATTERNS: usize = 4;

/// The most states one key automaton may have.
const MAX_STATES: usize = 50_000;

/// The most time one key automaton may take.
const MAX_TIME: Duration = Duration::from_secs(2);

/// The keys that match exactly the patterns [`KeyClass::patterns`].
#[derive(Debug)]
pub struct KeyClass {
    /// Indices of the patterns every key of the class matches; the keys
    /// match no other pattern. Empty for the keys no pattern matches.
    pub patterns: Vec<usize>,
    /// The quoted keys (canonical encoding) of the class.
    pub dfa: ByteDfa,
}

/// The patterns of one object, compiled over quoted keys.
pub struct PatternKeys {
    translated: Vec<String>,
    patterns: Vec<ByteDfa>,
}

impl PatternKeys {
    /// Translates ECMA `patterns` ([`crate::pattern::translate`]) and
    /// compiles them; the first pattern that cannot be read is the error.
    pub fn of_patterns<'p>(
        patterns: impl IntoIterator<Item = &'p str>,
    ) -> Result<PatternKeys, String> {
        let translated: Result<Vec<String>, String> = patterns
            .into_iter()
            .map(crate::pattern::translate)
            .collect();
        PatternKeys::new(&translated?)
    }

    /// Compiles `translated` regexes (from [`crate::pattern::translate`],
    /// over the encoded contents of a string); at most [`MAX_PATTERNS`].
    pub fn new(translated: &[String]) -> Result<PatternKeys, String> {
        if translated.len() > MAX_PATTERNS {
            return Err(format!(
                "rein enforces at most {MAX_PATTERNS} patternProperties regexes per object, \
                 this object has {}",
                translated.len()
            ));
        }
        let config = RegexConfig::new()
            .max_states(MAX_STATES)
            .max_compile_time(MAX_TIME);
        let patterns = translated
            .iter()
            .map(|regex| config.build(&format!("\"(?:{regex})\"")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| format!("a patternProperties regex does not compile: {error}"))?;
        Ok(PatternKeys {
            translated: translated.to_vec(),
            patterns,
        })
    }

    /// How many patterns there are.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// The translated regex of pattern `index`, as given to [`PatternKeys::new`].
    pub fn regex(&self, index: usize) -> &str {
        &self.translated[index]
    }

    /// The indices of the patterns that match `name`.
    pub fn matching(&self, name: &str) -> Vec<usize> {
        let quoted = encode_string(name);
        self.patterns
            .iter()
            .enumerate()
            .filter(|(_, dfa)| {
                let state = dfa.next_bytes(dfa.start(), quoted.as_bytes());
                dfa.is_accepting(state)
            })
            .map(|(index, _)| index)
            .collect()
    }

    /// The non-empty classes of keys other than `named`, by the set of
    /// patterns they match; with `unmatched`, also the keys no pattern
    /// matches. Classes are disjoint and, with `unmatched`, cover every
    /// key but the named ones.
    pub fn classes(&self, named: &[&str], unmatched: bool) -> Result<Vec<KeyClass>, String> {
        let product = ProductConfig::new()
            .max_states(MAX_STATES)
            .max_compile_time(MAX_TIME);
        let encoded: Vec<String> = named.iter().map(|name| encode_string(name)).collect();
        let named = if encoded.is_empty() {
            None
        } else {
            Some(ByteDfa::labels(&encoded).map_err(|error| error.to_string())?)
        };
        let any = RegexConfig::new()
            .build(&format!("\"{CHAR_UNIT}*\""))
            .map_err(|error| error.to_string())?;
        let count = self.patterns.len();
        let mut classes = Vec::new();
        for subset in 0u32..(1 << count) {
            if subset == 0 && !unmatched {
                continue;
            }
            let inside = |index: usize| subset & (1 << index) != 0;
            let mut include: Vec<&ByteDfa> = (0..count)
                .filter(|&i| inside(i))
                .map(|i| &self.patterns[i])
                .collect();
            if include.is_empty() {
                include.push(&any);
            }
            let mut exclude: Vec<&ByteDfa> = (0..count)
                .filter(|&i| !inside(i))
                .map(|i| &self.patterns[i])
                .collect();
            exclude.extend(named.as_ref());
            let dfa = match product.build(&include, &exclude) {
                Ok(dfa) => dfa,
                Err(error) if error.kind() == &CompileErrorKind::EmptyLanguage => continue,
                Err(error) => return Err(class_error(&error)),
            };
            classes.push(KeyClass {
                patterns: (0..count).filter(|&i| inside(i)).collect(),
                dfa,
            });
        }
        Ok(classes)
    }
}

fn class_error(error: &CompileError) -> String {
    format!("rein cannot split the object's keys by patternProperties: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::translate;

    fn keys(patterns: &[&str]) -> PatternKeys {
        let translated: Vec<String> = patterns.iter().map(|p| translate(p).unwrap()).collect();
        PatternKeys::new(&translated).unwrap()
    }

    fn class_of<'a>(classes: &'a [KeyClass], name: &str) -> Option<&'a [usize]> {
        let quoted = encode_string(name);
        let mut found = classes.iter().filter(|class| {
            let state = class.dfa.next_bytes(class.dfa.start(), quoted.as_bytes());
            class.dfa.is_accepting(state)
        });
        let first = found.next().map(|class| class.patterns.as_slice());
        assert!(found.next().is_none(), "{name:?} is in two classes");
        first
    }

    #[test]
    fn classes_partition_the_keys() {
        let keys = keys(&["^a", "b$"]);
        let classes = keys.classes(&["ab", "x"], true).unwrap();
        assert_eq!(classes.len(), 4);
        for (name, expected) in [
            ("ab", None),
            ("x", None),
            ("a", Some(&[0][..])),
            ("axb", Some(&[0, 1][..])),
            ("b", Some(&[1][..])),
            ("", Some(&[][..])),
            ("é\n\"", Some(&[][..])),
            ("abb", Some(&[0, 1][..])),
        ] {
            assert_eq!(class_of(&classes, name), expected, "{name:?}");
            if expected.is_some() {
                assert_eq!(keys.matching(name), expected.unwrap_or_default());
            }
        }
        // Without the unmatched class, unmatched keys are in no class.
        let classes = keys.classes(&[], false).unwrap();
        assert_eq!(class_of(&classes, "zz"), None);
        assert_eq!(class_of(&classes, "ab"), Some(&[0, 1][..]));
    }

    #[test]
    fn empty_classes_are_dropped_and_limits_hold() {
        // Every key matching `^ab` matches `^a`.
        let classes = keys(&["^a", "^ab"]).classes(&[], false).unwrap();
        let sets: Vec<&[usize]> = classes.iter().map(|c| c.patterns.as_slice()).collect();
        assert_eq!(sets, vec![&[0][..], &[0, 1][..]]);
        let five: Vec<String> = (0..5).map(|i| translate(&i.to_string()).unwrap()).collect();
        let error = PatternKeys::new(&five).err().unwrap_or_default();
        assert!(error.contains("at most 4"), "{error}");
    }
}
