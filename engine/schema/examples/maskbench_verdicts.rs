//! MaskBench verdicts for rein alone, without building the runtime: the
//! fast loop while working on the compiler (`rein bench maskbench` is the
//! full runner, with masks timed and the llguidance peer).
//!
//! ```text
//! cargo run --release -p rein-schema --example maskbench_verdicts -- \
//!     TOKENIZER.json MASKBENCH_DIR [LIST] [--masks]
//! ```
//!
//! Prints one `file<TAB>verdict` line per schema that does not pass, then
//! the counts. Without `--masks` tokens are only committed (acceptance
//! only, several times faster); `LIST` names the files to run, one per line.

use std::path::PathBuf;
use std::time::Duration;

use rein_schema::maskbench::{run_file, BenchFile, RunOptions, Summary, Verdict};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let masks = args.iter().any(|a| a == "--masks");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [tokenizer, data, rest @ ..] = positional.as_slice() else {
        eprintln!("usage: maskbench_verdicts TOKENIZER.json MASKBENCH_DIR [LIST] [--masks]");
        std::process::exit(2);
    };
    let data = PathBuf::from(data);
    let names: Vec<String> = match rest.first() {
        Some(list) => std::fs::read_to_string(list)
            .unwrap_or_else(|e| panic!("cannot read {list}: {e}"))
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
            .collect(),
        None => {
            let mut names: Vec<String> = std::fs::read_dir(&data)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", data.display()))
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".json"))
                .collect();
            names.sort();
            names
        }
    };
    let tokenizer =
        rein_tokenizer::Tokenizer::from_path(tokenizer.as_str()).unwrap_or_else(|e| panic!("{e}"));
    let vocabulary = tokenizer.vocabulary().clone();
    let encode = |text: &str| tokenizer.encode(text).map_err(|e| e.to_string());
    let options = RunOptions {
        masks,
        timeout: Duration::from_secs(30),
        ..RunOptions::default()
    };
    let mut summary = Summary::default();
    for name in names {
        let text = match std::fs::read_to_string(data.join(&name)) {
            Ok(text) => text,
            Err(error) => {
                println!("{name}\tunreadable: {error}");
                continue;
            }
        };
        let file = match BenchFile::parse(&text) {
            Ok(file) => file,
            Err(error) => {
                println!("{name}\tnot a MaskBench file: {error}");
                continue;
            }
        };
        let report = run_file(&file, &vocabulary, &encode, &options);
        match &report.verdict {
            Verdict::Passing => {}
            Verdict::CompileError(message) => println!("{name}\tcompile error: {message}"),
            other => println!("{name}\t{other:?}"),
        }
        summary.add(&report);
    }
    println!(
        "schemas {} passing {} compile_error {} validation_error {} invalidation_error {} timeout {}",
        summary.schemas,
        summary.passing,
        summary.compile_error,
        summary.validation_error,
        summary.invalidation_error,
        summary.timeout
    );
}
