//! llama.cpp's example grammars (`../shared/gbnf/`) parse unmodified.

use rein_core::grammar::{gbnf, Grammar};

/// llama.cpp's grammars in `$REIN_SHARED/gbnf`, by default `../shared` beside
/// the repository.
fn corpus() -> Vec<(String, String)> {
    let shared = rein_test_support::shared();
    let dir = shared.join("gbnf");
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

/// Sentences of each example grammar, and near misses it must reject.
const SAMPLES: &[(&str, &[&str], &[&str])] = &[
    (
        "arithmetic.gbnf",
        &["1+2= 3\n", "(a+b1)*7= x\n", "x=1\ny=2\n"],
        &["1+2=3", "1++2=3\n", "= 3\n", "(1= 2\n"],
    ),
    (
        "c.gbnf",
        &["int main(){return 0;}", "float f(int x){x = x+1;}"],
        &["int main(){return 0}", "main(){}", "int 1x(){}"],
    ),
    (
        "chess.gbnf",
        &["1. e4 e5\n2. Nf3 Nc6\n", "1. d4 d5\n2. c4 O-O-O\n"],
        &["1. e4 e5\n", "1. e9 e5\n2. Nf3 Nc6\n", "1. e4 e5\n2. Nf3\n"],
    ),
    (
        "english.gbnf",
        &["Hello, world!", "a b\tc\nd"],
        &["", "Hello  world", "Zażółć"],
    ),
    (
        "japanese.gbnf",
        &["こんにちは", "カタカナ 日本語、テスト"],
        &["", "hello", "こんにちは  世界"],
    ),
    (
        "json.gbnf",
        &[
            r#"{"a": [1, -2, {"b": true}], "c": "x\ny\u00e9"}"#,
            "{}",
            r#"{"k":"v"}"#,
        ],
        &[r#"{"a": 1,}"#, "[1]", r#"{"a" 1}"#, r#"{"a": "\q"}"#],
    ),
    (
        "json_arr.gbnf",
        &["[\n1,\n\"two\",\n{\"three\": null}]", "[\n]"],
        &["[1]", "[\n1,]", "{}"],
    ),
    (
        "list.gbnf",
        &["- milk\n- eggs\n", "- żółw\n"],
        &["- milk", "milk\n", "- \n"],
    ),
];

#[test]
fn example_grammars_accept_their_sentences_and_reject_near_misses() {
    use rein_core::testing::Recognizer;
    let files = corpus();
    for (name, accepted, rejected) in SAMPLES {
        let (_, source) = files
            .iter()
            .find(|(file, _)| file == name)
            .unwrap_or_else(|| panic!("{name} is missing from ../shared/gbnf"));
        let recognizer = Recognizer::new(&Grammar::from_gbnf(source).unwrap()).unwrap();
        for text in *accepted {
            assert!(
                recognizer.recognizes(text.as_bytes()),
                "{name} rejects {text:?}"
            );
        }
        for text in *rejected {
            assert!(
                !recognizer.recognizes(text.as_bytes()),
                "{name} accepts {text:?}"
            );
        }
    }
}
