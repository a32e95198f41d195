//! The module layering ARCHITECTURE.md promises, checked on the sources:
//! no import cycle between modules of different layers.
//!
//! Each module's imports are read from its non-test code (`crate::…` and
//! `super::…` paths, comments left out); a path names the longest module it
//! reaches. A cycle is a strongly connected set of modules. In rein-schema
//! there must be none; in rein-core only the sibling groups listed in
//! `SAME_LAYER` may form one, and the grammar layers must point one way.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Sibling modules of one layer that may import each other.
const SAME_LAYER: &[&[&str]] = &[
    // The vocabulary data: token ids, the trie over them, masks of them.
    &["mask", "trie", "vocab"],
    // Sequences and unions are products' construction, and vice versa.
    &["automaton::compose", "automaton::product"],
    // One flattening `Builder`, its lexeme half in its own file.
    &["grammar::cfg::lexemes", "grammar::cfg::lower"],
    // The API: an engine makes constraints, a constraint keeps its engine's
    // caches.
    &["engine", "matcher"],
];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every module of the crate at `src` with the modules it imports.
fn imports(src: &Path) -> Graph {
    let mut files = Vec::new();
    collect(src, &mut files);
    let module_of = |path: &Path| -> String {
        let relative = path.strip_prefix(src).unwrap().with_extension("");
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .filter(|part| part != "mod" && part != "lib")
            .collect();
        parts.join("::")
    };
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut graph = Graph::new();
    for file in &files {
        let module = module_of(file);
        let text = fs::read_to_string(file).unwrap();
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .map(|line| line.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let parent: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
        let parent = parent[..parent.len().saturating_sub(1)].join("::");
        let mut edges = BTreeSet::new();
        for (marker, base) in [("crate::", String::new()), ("super::", parent)] {
            for (index, _) in code.match_indices(marker) {
                // `super::super::x` is read from its last `super::`.
                if marker == "super::" && code[index + marker.len()..].starts_with("super::") {
                    continue;
                }
                let path: String = code[index + marker.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
                while !parts.is_empty() {
                    let joined = parts.join("::");
                    let candidate = if base.is_empty() || marker == "crate::" {
                        joined
                    } else {
                        format!("{base}::{joined}")
                    };
                    if modules.contains(&candidate) {
                        if candidate != module {
                            edges.insert(candidate);
                        }
                        break;
                    }
                    parts.pop();
                }
            }
        }
        graph.insert(module, edges);
    }
    graph
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The strongly connected sets of more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<BTreeSet<String>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g str) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        state.on_stack.insert(node);
        for target in state.graph.get(node).into_iter().flatten() {
            let target = target.as_str();
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut set = BTreeSet::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                set.insert(member.to_string());
                if member == node {
                    break;
                }
            }
            if set.len() > 1 {
                state.found.push(set);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn rein_schema_has_no_import_cycle() {
    let graph = imports(&rein_test_support::repository().join("engine/schema/src"));
    assert!(graph.contains_key("keywords") && graph.contains_key("compiler::objects"));
    assert_eq!(cycles(&graph), Vec::<BTreeSet<String>>::new());
    for leaf in ["keywords", "values", "draft"] {
        let inside: BTreeSet<&String> = graph[leaf]
            .iter()
            .filter(|m| !["draft", "values"].contains(&m.as_str()))
            .collect();
        assert!(inside.is_empty(), "{leaf} imports {inside:?}");
    }
}

#[test]
fn rein_core_cycles_stay_within_a_layer_and_the_grammar_points_one_way() {
    let graph = imports(&rein_test_support::repository().join("engine/core/src"));
    assert!(graph.contains_key("grammar::cfg::members"));
    for cycle in cycles(&graph) {
        let allowed = SAME_LAYER
            .iter()
            .any(|group| cycle.iter().all(|module| group.contains(&module.as_str())));
        assert!(allowed, "an import cycle across layers: {cycle:?}");
    }
    let imports_under = |module: &str, prefix: &str| {
        graph[module]
            .iter()
            .any(|m| m == prefix || m.starts_with(&format!("{prefix}::")))
    };
    assert!(!imports_under("grammar::ir", "grammar::cfg"));
    assert!(!imports_under("grammar::ir", "grammar::earley"));
    assert!(!imports_under("grammar::cfg", "grammar::earley"));
    assert!(!imports_under("grammar::cfg", "grammar::mask_walk"));
    assert!(!imports_under("vocab", "grammar"));
    assert!(!imports_under("trie", "grammar"));
}
