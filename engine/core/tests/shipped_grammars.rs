//! The grammars in `grammars/` compile, accept their sentences and reject
//! near misses.

use rein_core::grammar::Grammar;
use rein_core::testing::Recognizer;

const CASES: &[(&str, &[&str], &[&str])] = &[
    (
        "json.gbnf",
        &[
            r#"{"a": [1, -2.5e+3, {"b": true}], "c": "x\ny\u00e9\"", "d": null}"#,
            " 42 ",
            r#""just a string""#,
            "[]",
            r#"{"żółw": "日本"}"#,
        ],
        &[
            "{\"a\": 1,}",
            "01",
            "1.",
            "-",
            "\"tab\there\"",
            "{\"a\" 1}",
            "\"\\x\"",
            "[1 2]",
        ],
    ),
    (
        "ner-lines.gbnf",
        &[
            "Padma: PER\nsprzedała:\n23: NUM\nparasole:\nw:\nGwatemali: LOC\n",
            "x:",
        ],
        &["Padma: PERSON", "Padma PER", "Padma: per", "\n"],
    ),
    (
        "ner-inline.gbnf",
        &[
            "<PER>Padma</PER> sprzedała 23 parasole w <LOC>Gwatemali</LOC>.",
            "no entities here",
            "",
        ],
        &[
            "<PER>Padma</LOC>",
            "<PER>Padma",
            "<XYZ>a</XYZ>",
            "<PER></PER>",
        ],
    ),
    (
        "csv-row.gbnf",
        &["a,b,c\n", "\"x, y\",\"say \"\"hi\"\"\",3\r\n", ",,", "one"],
        &["\"unclosed,b\n", "a\"b,c", "a,b\n\n"],
    ),
    (
        "arithmetic.gbnf",
        &["1 + 2 * (3 - 4.5) / -6", "((7))", "2*3-1"],
        &["1 +", "(1", "1 2", "1..5", ""],
    ),
    (
        "reasoning-answer.gbnf",
        &["Reasoning: the speaker thanks everyone.\nAnswer: celebratory"],
        &[
            "Reasoning: x\nAnswer: happy",
            "Answer: other",
            "Reasoning: \nAnswer: other",
            "Reasoning: x\nAnswer: other\n",
        ],
    ),
];

#[test]
fn shipped_grammars_accept_and_reject() {
    let dir = rein_test_support::repository().join("grammars");
    for (file, accepted, rejected) in CASES {
        let source = std::fs::read_to_string(dir.join(file)).unwrap();
        let grammar = Grammar::from_gbnf(&source).unwrap_or_else(|e| panic!("{file}: {e}"));
        let recognizer = Recognizer::new(&grammar).unwrap();
        for text in *accepted {
            assert!(
                recognizer.recognizes(text.as_bytes()),
                "{file} rejects {text:?}"
            );
        }
        for text in *rejected {
            assert!(
                !recognizer.recognizes(text.as_bytes()),
                "{file} accepts {text:?}"
            );
        }
    }
}

#[test]
fn every_shipped_grammar_is_tested() {
    let dir = rein_test_support::repository().join("grammars");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".gbnf") {
            assert!(
                CASES.iter().any(|(file, _, _)| *file == name),
                "{name} has no test"
            );
        }
    }
}
