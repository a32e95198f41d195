//! The MaskBench ratchet: a fixed subset of `$REIN_SHARED/maskbench`
//! (listed in `.ci/maskbench/subset.txt`) runs through the protocol with
//! commits (masks are timed by `rein bench maskbench`, not here). The test
//! fails on any invalidation error, on fewer passing schemas than
//! `.ci/maskbench/baseline.txt` records, and on any valid instance rein
//! accepts that the `jsonschema` crate rejects.

use std::time::Duration;

use rein_bench::maskbench::{run_file, BenchFile, RunOptions, Summary, Verdict};
use rein_schema::{compile, python_dumps, Options, Validator};

fn subset() -> Vec<String> {
    let list = rein_test_support::repository().join(".ci/maskbench/subset.txt");
    std::fs::read_to_string(&list)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", list.display()))
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn baseline() -> usize {
    let path = rein_test_support::repository().join(".ci/maskbench/baseline.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .find(|l| !l.starts_with('#'))
        .and_then(|l| l.trim().parse().ok())
        .expect("the baseline file holds the number of passing schemas")
}

#[test]
fn subset_ratchet_and_accepted_instances_validate() {
    let data = rein_test_support::shared().join("maskbench");
    assert!(data.is_dir(), "{} is missing", data.display());
    let tokenizer = rein_test_support::tokenizer("llama3");
    let engine = rein_test_support::engine("llama3");
    let encode = |text: &str| tokenizer.encode(text).map_err(|e| e.to_string());
    let options = RunOptions {
        masks: false,
        timeout: Duration::from_secs(30),
        ..RunOptions::default()
    };
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in subset() {
        let text = std::fs::read_to_string(data.join(&name)).unwrap();
        let file = BenchFile::parse(&text).unwrap();
        let report = run_file(&file, engine, &encode, &options);
        if let Verdict::InvalidationError(test) = report.verdict {
            failures.push(format!("{name}: invalid test {test} accepted"));
        }
        summary.add(&report);
        // Every valid instance rein accepts must validate independently.
        let Ok(compiled) = compile(&file.schema, &Options::default()) else {
            continue;
        };
        let Ok(validator) = Validator::new(&file.schema) else {
            continue;
        };
        let constraint = compiled.constraint(engine).unwrap();
        for (valid, instance) in file.tests.iter().filter(|(valid, _)| *valid) {
            let _ = valid;
            let Ok(tokens) = encode(&python_dumps(instance)) else {
                continue;
            };
            let mut matcher = constraint.matcher();
            if matcher.commit_all(&tokens).is_ok() && matcher.can_end() {
                checked += 1;
                if let Err(problem) = validator.validate(instance) {
                    failures.push(format!(
                        "{name}: rein accepts an instance jsonschema rejects: {problem}"
                    ));
                }
            }
        }
    }
    assert!(checked > 0);
    assert!(failures.is_empty(), "{failures:#?}");
    let passing = baseline();
    assert!(
        summary.passing >= passing,
        "{} of {} schemas pass, fewer than the baseline {passing}: {}",
        summary.passing,
        summary.schemas,
        summary.to_json()
    );
}
