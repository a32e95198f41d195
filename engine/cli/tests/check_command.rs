//! `rein check` end to end: exit codes 0 (accepted), 1 (rejected, naming the
//! token) and 2 (bad input, one line, no panic), on the real Llama 3
//! tokenizer and the SmolLM2 GGUF fetched by `scripts/fetch-assets`.

mod support;

use support::{llama3, model, rein};

/// `rein check` of `text` against the date regex on Llama 3.
fn check_date(text: &str) -> (i32, String, String) {
    rein(&[
        "check",
        "--tokenizer",
        &llama3(),
        "--regex",
        r"\d{4}-\d{2}-\d{2}",
        "--text",
        text,
    ])
}

#[test]
fn a_matching_date_is_accepted() {
    let (code, stdout, _) = check_date("2026-11-24");
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("accepted:"), "{stdout}");
}

#[test]
fn a_bad_date_is_rejected_at_the_offending_token() {
    let (code, stdout, _) = check_date("2026-1-24");
    assert_eq!(code, 1, "{stdout}");
    // Llama 3 spells it "202" "6" "-" "1" "-" ...: the second "-" at byte 6 is refused.
    assert!(stdout.contains("token index 4"), "{stdout}");
    assert!(stdout.contains(r#""-""#), "{stdout}");
    assert!(stdout.contains("byte offset 6"), "{stdout}");
}

#[test]
fn texts_may_start_with_a_hyphen() {
    let (code, stdout, stderr) = rein(&[
        "check",
        "--tokenizer",
        &llama3(),
        "--regex",
        r"(- [a-z]+\n?)+",
        "--text",
        "- milk",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("accepted:"), "{stdout}");
    let (code, stdout, _) = check_date("-2026-11-24");
    assert_eq!(code, 1, "read as the text and rejected: {stdout}");
}

#[test]
fn a_short_text_is_rejected_with_what_is_expected() {
    let (code, stdout, _) = check_date("2026-11-2");
    assert_eq!(code, 1);
    assert!(stdout.contains("expects more"), "{stdout}");
}

#[test]
fn verbose_prints_mask_sizes() {
    let (code, stdout, _) = rein(&[
        "check",
        "--tokenizer",
        &llama3(),
        "--choice",
        "pos,positive,neg",
        "--text",
        "positive",
        "--verbose",
    ]);
    assert_eq!(code, 0, "{stdout}");
    let token_lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("token")).collect();
    assert!(!token_lines.is_empty());
    assert!(token_lines
        .iter()
        .all(|l| l.contains("allowed") && l.contains("µs")));
}

#[test]
fn labels_with_quotes_spaces_and_non_ascii_on_the_gguf_vocabulary() {
    let gguf = model();
    let labels = std::env::temp_dir().join(format!("rein-labels-{}.txt", std::process::id()));
    std::fs::write(&labels, "\"quoted\" label\nwith, comma\nżółw\n").unwrap();
    let labels = labels.to_string_lossy().into_owned();
    for (text, expected) in [
        ("\"quoted\" label", 0),
        ("with, comma", 0),
        ("żółw", 0),
        ("żół", 1),
        ("with", 1),
    ] {
        let (code, stdout, _) = rein(&[
            "check",
            "--tokenizer",
            &gguf,
            "--choice-file",
            &labels,
            "--text",
            text,
        ]);
        assert_eq!(code, expected, "{text}: {stdout}");
    }
}

fn assert_bad_input(args: &[&str], needle: &str) {
    let (code, stdout, stderr) = rein(args);
    assert_eq!(code, 2, "stdout: {stdout} stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{stderr}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let llama3 = llama3();
    assert_bad_input(
        &[
            "check",
            "--tokenizer",
            &llama3,
            "--regex",
            r"\d{4}-(\d{2}",
            "--text",
            "x",
        ],
        "invalid regex at column 7",
    );
    assert_bad_input(
        &[
            "check",
            "--tokenizer",
            &llama3,
            "--choice",
            "",
            "--text",
            "x",
        ],
        "the label list is empty",
    );
    assert_bad_input(
        &[
            "check",
            "--tokenizer",
            "/no/such/tokenizer.json",
            "--regex",
            "a",
            "--text",
            "a",
        ],
        "no such file",
    );
    assert_bad_input(
        &[
            "check",
            "--tokenizer",
            &llama3,
            "--regex",
            "[a&&b]",
            "--text",
            "a",
        ],
        "matches no output",
    );
    let not_json = std::env::temp_dir().join(format!("rein-not-json-{}.json", std::process::id()));
    std::fs::write(&not_json, "{ \"model\": ").unwrap();
    assert_bad_input(
        &[
            "check",
            "--tokenizer",
            &not_json.to_string_lossy(),
            "--regex",
            "a",
            "--text",
            "a",
        ],
        "not valid JSON at line 1",
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = rein(&["check", "--tokenizer", "x", "--text", "a"]);
    assert_eq!(code, 2, "{stderr}");
}

/// llama.cpp's grammars in `$REIN_SHARED/gbnf`, by default `../shared` beside
/// the repository.
fn shared_grammar(name: &str) -> String {
    let shared = rein_test_support::shared();
    let path = shared.join("gbnf").join(name);
    assert!(path.exists(), "{} is missing", path.display());
    path.to_string_lossy().into_owned()
}

#[test]
fn grammars_check_token_by_token() {
    let json = shared_grammar("json.gbnf");
    let (code, stdout, _) = rein(&[
        "check",
        "--tokenizer",
        &llama3(),
        "--grammar",
        &json,
        "--text",
        r#"{"name": "Padma", "tags": [1, 2]}"#,
    ]);
    assert_eq!(code, 0, "{stdout}");
    let (code, stdout, _) = rein(&[
        "check",
        "--tokenizer",
        &llama3(),
        "--grammar",
        &json,
        "--text",
        r#"{"name": "Padma",}"#,
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("token index"), "{stdout}");
    let japanese = shared_grammar("japanese.gbnf");
    let (code, stdout, _) = rein(&[
        "check",
        "--tokenizer",
        &llama3(),
        "--grammar",
        &japanese,
        "--text",
        "日本語 テスト",
    ]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn malformed_grammars_are_located() {
    let dir = std::env::temp_dir().join(format!("rein-grammars-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "undefined.gbnf",
            "root ::= item\n",
            "1:10: undefined rule `item`",
        ),
        (
            "twice.gbnf",
            "root ::= \"a\"\nroot ::= \"b\"\n",
            "2:1: rule `root` is defined twice",
        ),
        ("escape.gbnf", "root ::= \"\\q\"\n", "1:11: bad escape"),
        (
            "unproductive.gbnf",
            "root ::= \"a\" | x\nx ::= \"b\" x\n",
            "2:1: rule `x` can never finish",
        ),
        ("regex.gbnf", "root ::= /a(/\n", "1:10: bad regex"),
    ];
    for (file, source, expected) in cases {
        let path = dir.join(file);
        std::fs::write(&path, source).unwrap();
        let path = path.to_string_lossy().into_owned();
        assert_bad_input(
            &[
                "check",
                "--tokenizer",
                &llama3(),
                "--grammar",
                &path,
                "--text",
                "a",
            ],
            &format!("{path}:{expected}"),
        );
    }
}

#[test]
fn any_order_takes_members_in_another_order_but_never_twice() {
    let schema = std::env::temp_dir().join(format!("rein-any-order-{}.json", std::process::id()));
    std::fs::write(
        &schema,
        r#"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["a", "b"], "additionalProperties": false}"#,
    )
    .unwrap();
    let schema = schema.to_string_lossy().into_owned();
    let tokenizer = llama3();
    let check = |text: &str, any_order: bool| {
        let mut args = vec![
            "check",
            "--tokenizer",
            &tokenizer,
            "--schema",
            &schema,
            "--text",
            text,
        ];
        if any_order {
            args.push("--any-order");
        }
        rein(&args)
    };
    let reordered = r#"{"b": "x", "a": 1}"#;
    let (code, stdout, _) = check(reordered, true);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("valid by jsonschema"), "{stdout}");
    // Schema order stays the default.
    let (code, stdout, _) = check(reordered, false);
    assert_eq!(code, 1, "{stdout}");
    let (code, stdout, _) = check(r#"{"b": "x", "a": 1, "b": "y"}"#, true);
    assert_eq!(code, 1, "{stdout}");
    let (code, stdout, _) = check(r#"{"b": "x"}"#, true);
    assert_eq!(code, 1, "{stdout}");
    // The flag is about schemas only.
    let (code, _, stderr) = rein(&[
        "check",
        "--tokenizer",
        &tokenizer,
        "--regex",
        "a",
        "--text",
        "a",
        "--any-order",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--any-order"), "{stderr}");
}
