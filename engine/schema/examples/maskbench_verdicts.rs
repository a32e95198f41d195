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
//! `--split` also times the parts of the time to first mask — schema to
//! grammar, grammar to constraint (lexemes), the first mask — and prints
//! their percentiles.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rein_core::TokenMask;
use rein_schema::maskbench::{run_file, BenchFile, RunOptions, Summary, Verdict};
use rein_schema::{compile, Options};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let masks = args.iter().any(|a| a == "--masks");
    let split = args.iter().any(|a| a == "--split");
    let mut parts: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
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
        if split {
            let started = Instant::now();
            if let Ok(compiled) = compile(&file.schema, &Options::default()) {
                let compiled_at = started.elapsed();
                if let Ok(constraint) = compiled.constraint(vocabulary.clone()) {
                    let built_at = started.elapsed();
                    let mut mask = TokenMask::new(vocabulary.len());
                    if constraint.matcher().fill_mask(&mut mask).is_ok() {
                        let masked_at = started.elapsed();
                        parts[0].push(compiled_at.as_secs_f64() * 1e6);
                        parts[1].push((built_at - compiled_at).as_secs_f64() * 1e6);
                        parts[2].push((masked_at - built_at).as_secs_f64() * 1e6);
                    }
                }
            }
        }
        let report = run_file(&file, &vocabulary, &encode, &options);
        match &report.verdict {
            Verdict::Passing => {}
            Verdict::CompileError(message) => println!("{name}\tcompile error: {message}"),
            other => println!("{name}\t{other:?}"),
        }
        summary.add(&report);
    }
    for (name, values) in ["schema to grammar", "lexemes", "first mask"]
        .iter()
        .zip(&mut parts)
    {
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name}: p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs (first runs, cold caches)",
            at(0.5),
            at(0.9),
            at(0.99)
        );
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
