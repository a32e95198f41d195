//! Runs MaskBench files through rein with commits only (no masks) and
//! prints the summary and each failure: `maskbench_quick TOKENIZER DIR [LIST]`.
//! `ANY_ORDER=N` compiles with objects' named members in any order, for
//! objects of up to N named members; `MASKS=1` computes masks too;
//! `SPLIT=1` also times the parts of the time to first mask — schema to
//! grammar, grammar to constraint (lexemes), the first mask — on a first,
//! cold compile of each schema, and prints their percentiles.

use std::time::{Duration, Instant};

use rein_bench::maskbench::{run_file, BenchFile, RunOptions, Summary, Verdict};
use rein_core::TokenMask;
use rein_schema::{compile, Options, PropertyOrder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let tokenizer = rein_tokenizer::Tokenizer::from_path(&args[1])?;
    let engine = rein_core::Engine::new(tokenizer.vocabulary().clone());
    let vocabulary = engine.vocabulary();
    let mut names: Vec<String> = match args.get(3) {
        Some(list) => std::fs::read_to_string(list)?
            .lines()
            .map(str::to_string)
            .collect(),
        None => std::fs::read_dir(&args[2])?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect(),
    };
    names.sort();
    let masks = std::env::var("MASKS").is_ok();
    let property_order = match std::env::var("ANY_ORDER") {
        Ok(cap) => PropertyOrder::Any {
            max_properties: cap.parse()?,
        },
        Err(_) => PropertyOrder::Schema,
    };
    let options = RunOptions {
        masks,
        timeout: Duration::from_secs(20),
        compile: Options {
            property_order,
            ..Options::default()
        },
    };
    let encode = |text: &str| tokenizer.encode(text).map_err(|e| e.to_string());
    let split = std::env::var("SPLIT").is_ok();
    let mut parts: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut summary = Summary::default();
    for name in &names {
        let text = std::fs::read_to_string(format!("{}/{name}", args[2]))?;
        let Ok(file) = BenchFile::parse(&text) else {
            continue;
        };
        if split {
            let started = Instant::now();
            if let Ok(compiled) = compile(&file.schema, &options.compile) {
                let compiled_at = started.elapsed();
                if let Ok(constraint) = compiled.constraint(&engine) {
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
        let report = run_file(&file, &engine, &encode, &options);
        if std::env::var("PER_FILE").is_ok() {
            let worst = report.tbm_us.iter().copied().fold(0.0, f64::max);
            println!(
                "{name}\tttfm_us {:.0}\ttbm_max_us {worst:.0}",
                report.ttfm_us.unwrap_or(0.0)
            );
        }
        match &report.verdict {
            Verdict::Passing => {}
            other => println!("{name}\t{other:?}"),
        }
        summary.add(&report);
    }
    let names = ["schema to grammar", "lexemes", "first mask"];
    for (name, values) in names.iter().zip(&mut parts) {
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name}: p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs",
            at(0.5),
            at(0.9),
            at(0.99)
        );
    }
    println!("{}", summary.to_json());
    Ok(())
}
