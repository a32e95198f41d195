//! Label sets: the output is exactly one string out of a list.
//!
//! Labels become a trie-shaped DFA directly, without going through regex
//! syntax: no escaping pitfalls, no regex size limits for long lists, and
//! labels that are prefixes of each other (`"pos"`, `"positive"`) simply
//! mark an inner trie node as accepting.

use std::collections::HashMap;

use super::{ByteDfa, CompileError, RawDfa};

/// The most bytes all labels together may hold (64 MiB).
const MAX_TOTAL_LABEL_BYTES: usize = 64 << 20;

pub(super) fn build<S: AsRef<str>>(labels: &[S]) -> Result<ByteDfa, CompileError> {
    if labels.is_empty() {
        return Err(CompileError::no_labels());
    }
    let total: usize = labels.iter().map(|l| l.as_ref().len()).sum();
    if total > MAX_TOTAL_LABEL_BYTES {
        return Err(CompileError::limit(
            "labels",
            format!("the labels hold {total} bytes; at most {MAX_TOTAL_LABEL_BYTES} are allowed"),
        ));
    }
    let (classes, stride) =
        super::used_byte_classes(labels.iter().flat_map(|label| label.as_ref().bytes()));
    // State 0 is dead, state 1 is the root.
    let mut transitions = vec![0u32; 2 * stride];
    let mut accepting = vec![false, false];
    let mut children: HashMap<(u32, u8), u32> = HashMap::new();
    for label in labels {
        let mut state = 1u32;
        for &byte in label.as_ref().as_bytes() {
            let class = classes[byte as usize];
            state = *children.entry((state, class)).or_insert_with(|| {
                let new = accepting.len() as u32;
                accepting.push(false);
                transitions.extend(std::iter::repeat_n(0, stride));
                new
            });
        }
        accepting[state as usize] = true;
    }
    for (&(from, class), &to) in &children {
        transitions[from as usize * stride + class as usize] = to;
    }
    RawDfa {
        classes,
        stride,
        transitions,
        accepting,
        start: 1,
    }
    .finish()
}

#[cfg(test)]
mod tests {
    use crate::automaton::tests::accepts;
    use crate::automaton::ByteDfa;

    #[test]
    fn labels_sharing_prefixes() {
        let dfa = ByteDfa::labels(&["pos", "positive", "neg", "\"quoted\" label", "żółw"]).unwrap();
        for label in ["pos", "positive", "neg", "\"quoted\" label", "żółw"] {
            assert!(accepts(&dfa, label), "{label}");
        }
        for other in ["", "po", "posi", "positives", "negative", "żół"] {
            assert!(!accepts(&dfa, other), "{other}");
        }
    }

    #[test]
    fn all_bytes_in_labels() {
        let labels: Vec<String> = (0..=0x7Fu8).map(|b| (b as char).to_string()).collect();
        let mut labels = labels;
        labels.push("é€😀".to_string());
        let dfa = ByteDfa::labels(&labels).unwrap();
        assert!(accepts(&dfa, "\u{0}"));
        assert!(accepts(&dfa, "é€😀"));
    }

    #[test]
    fn empty_list_is_an_error() {
        let empty: [&str; 0] = [];
        assert_eq!(
            ByteDfa::labels(&empty).unwrap_err().to_string(),
            "the label list is empty"
        );
    }
}
