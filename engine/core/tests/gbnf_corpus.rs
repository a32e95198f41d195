//! llama.cpp's example grammars (`../shared/gbnf/`) parse unmodified.

use std::path::PathBuf;

use rein_core::grammar::{gbnf, Grammar};

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/gbnf");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): it holds llama.cpp's grammars",
            dir.display()
        )
    });
    let mut files: Vec<(String, String)> = entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "gbnf"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_grammar_parses() {
    let files = corpus();
    assert!(
        files.len() >= 8,
        "expected llama.cpp's 8 example grammars, found {}",
        files.len()
    );
    for (name, source) in files {
        let grammar = gbnf::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            grammar.rules.iter().any(|rule| rule.name == "root"),
            "{name} has a root rule"
        );
    }
}

#[test]
fn every_example_grammar_lowers_to_checked_ir() {
    for (name, source) in corpus() {
        let grammar = Grammar::from_gbnf(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(grammar.rule(grammar.root()).name, "root", "{name}");
    }
}
