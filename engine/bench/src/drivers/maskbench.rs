//! `rein bench maskbench`: the MaskBench protocol over a folder of
//! JSONSchemaBench files, for rein and optionally llguidance in the same
//! process, on the same files and tokenizer.
//!
//! The protocol itself (serialization, per-token masks, verdicts, the
//! summary and its JSON keys) lives in [`crate::maskbench`]; this module
//! reads files, runs the peer the same way, and prints both columns with
//! their ratios. Single thread.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use rein_tokenizer::Tokenizer;
use serde_json::Value;

use crate::maskbench::{run_file, BenchFile, FileReport, RunOptions, Summary, Verdict};
use crate::peer::llguidance::Llguidance;
use crate::peer::Peer;

/// What `rein bench maskbench` runs.
#[derive(Clone, Debug)]
pub struct MaskbenchOptions {
    /// The tokenizer (MaskBench's figures use Llama 3's).
    pub tokenizer: PathBuf,
    /// The folder of MaskBench files.
    pub data: PathBuf,
    /// Only the files named in this list, one file name per line (`#`
    /// starts a comment line).
    pub files_from: Option<PathBuf>,
    /// Also run this peer over the same files.
    pub peer: Option<Peer>,
    /// Write `{"rein": {...}, "llguidance": {...}}` here.
    pub json: Option<PathBuf>,
    /// Masks or not, the time one schema may take per engine, and rein's
    /// compile options.
    pub protocol: RunOptions,
    /// Print each schema that does not pass, with why.
    pub verbose: bool,
    /// Also write every schema's verdict and raw timings here, one JSON
    /// line per schema and engine (`engine`, `file`, `verdict`, `tokens`,
    /// `ttfm_us`, `tbm_us`), so runs over shards of MaskBench can be merged
    /// into one set of percentiles (`scripts/maskbench_merge.py`).
    pub timings: Option<PathBuf>,
}

/// Runs rein (and the peer) over the files, prints the table and writes
/// the files asked for.
pub fn run(args: &MaskbenchOptions) -> Result<()> {
    let tokenizer = Tokenizer::from_path(&args.tokenizer)?;
    let engine = rein_core::Engine::new(tokenizer.vocabulary().clone());
    let names = file_names(&args.data, args.files_from.as_deref())?;
    let options = &args.protocol;
    let encode = |text: &str| tokenizer.encode(text).map_err(|e| e.to_string());
    let peer = match args.peer {
        Some(Peer::Llguidance) => Some(Llguidance::from_tokenizer_json(&args.tokenizer)?),
        None => None,
    };
    let mut rein = Summary::default();
    let mut llguidance = Summary::default();
    let mut timings = match &args.timings {
        Some(out) => Some(std::io::BufWriter::new(
            std::fs::File::create(out)
                .with_context(|| format!("cannot write {}", out.display()))?,
        )),
        None => None,
    };
    let mut record = |engine: &str, name: &str, report: &FileReport| -> Result<()> {
        if let Some(out) = &mut timings {
            let line = serde_json::json!({
                "engine": engine, "file": name, "verdict": verdict_name(&report.verdict),
                "tokens": report.tokens, "ttfm_us": report.ttfm_us, "tbm_us": report.tbm_us,
            });
            writeln!(out, "{line}").context("cannot write the timings")?;
        }
        Ok(())
    };
    for name in &names {
        let path = args.data.join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file = BenchFile::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let report = run_file(&file, &engine, &encode, options);
        if args.verbose && report.verdict != Verdict::Passing {
            println!("rein\t{name}\t{}", describe(&report.verdict));
        }
        rein.add(&report);
        record("rein", name, &report)?;
        if let Some(peer) = &peer {
            let report = peer.run_maskbench_file(&file, &encode, options);
            if args.verbose && report.verdict != Verdict::Passing {
                println!("llguidance\t{name}\t{}", describe(&report.verdict));
            }
            llguidance.add(&report);
            record("llguidance", name, &report)?;
        }
    }
    if let Some(mut out) = timings {
        out.flush().context("cannot write the timings")?;
    }
    print_table(&rein, peer.as_ref().map(|_| &llguidance));
    if let Some(out) = &args.json {
        let mut json = serde_json::Map::new();
        json.insert("rein".into(), rein.to_json());
        if peer.is_some() {
            json.insert("llguidance".into(), llguidance.to_json());
        }
        std::fs::write(out, serde_json::to_string_pretty(&Value::Object(json))?)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}

/// The summary key a verdict counts under.
fn verdict_name(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Passing => "passing",
        Verdict::CompileError(_) => "compile_error",
        Verdict::ValidationError(..) => "validation_error",
        Verdict::InvalidationError(_) => "invalidation_error",
        Verdict::Timeout => "timeout",
    }
}

fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Passing => "passing".into(),
        Verdict::CompileError(message) => format!("compile error: {message}"),
        Verdict::ValidationError(test, token) => {
            format!("validation error: valid test {test} rejected at token {token}")
        }
        Verdict::InvalidationError(test) => {
            format!("invalidation error: invalid test {test} accepted")
        }
        Verdict::Timeout => "timeout".into(),
    }
}

fn file_names(data: &Path, list: Option<&Path>) -> Result<Vec<String>> {
    let mut names: Vec<String> = match list {
        Some(list) => std::fs::read_to_string(list)
            .with_context(|| format!("cannot read --files-from {}", list.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect(),
        None => std::fs::read_dir(data)
            .with_context(|| format!("cannot read --data {}", data.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect(),
    };
    names.sort();
    Ok(names)
}

/// A summary field by name, read as a number.
type Column = (&'static str, Box<dyn Fn(&Summary) -> f64>);

fn print_table(rein: &Summary, peer: Option<&Summary>) {
    let rows: [Column; 17] = [
        ("schemas", Box::new(|s: &Summary| s.schemas as f64)),
        ("passing", Box::new(|s: &Summary| s.passing as f64)),
        (
            "compile_error",
            Box::new(|s: &Summary| s.compile_error as f64),
        ),
        (
            "validation_error",
            Box::new(|s: &Summary| s.validation_error as f64),
        ),
        (
            "invalidation_error",
            Box::new(|s: &Summary| s.invalidation_error as f64),
        ),
        ("timeout", Box::new(|s: &Summary| s.timeout as f64)),
        ("tokens", Box::new(|s: &Summary| s.tokens as f64)),
        ("tbm_avg_us", Box::new(|s: &Summary| s.tbm()[0])),
        ("tbm_p50_us", Box::new(|s: &Summary| s.tbm()[1])),
        ("tbm_p90_us", Box::new(|s: &Summary| s.tbm()[2])),
        ("tbm_p99_us", Box::new(|s: &Summary| s.tbm()[3])),
        ("tbm_max_us", Box::new(|s: &Summary| s.tbm()[4])),
        ("ttfm_avg_us", Box::new(|s: &Summary| s.ttfm()[0])),
        ("ttfm_p50_us", Box::new(|s: &Summary| s.ttfm()[1])),
        ("ttfm_p90_us", Box::new(|s: &Summary| s.ttfm()[2])),
        ("ttfm_p99_us", Box::new(|s: &Summary| s.ttfm()[3])),
        ("ttfm_max_us", Box::new(|s: &Summary| s.ttfm()[4])),
    ];
    match peer {
        None => println!("{:<20} {:>12}", "", "rein"),
        Some(_) => println!(
            "{:<20} {:>12} {:>12} {:>8}",
            "", "rein", "llguidance", "ratio"
        ),
    }
    for (name, get) in rows.iter() {
        let ours = get(rein);
        match peer {
            None => println!("{name:<20} {ours:>12.1}"),
            Some(peer) => {
                let theirs = get(peer);
                let ratio = if theirs > 0.0 {
                    ours / theirs
                } else {
                    f64::NAN
                };
                println!("{name:<20} {ours:>12.1} {theirs:>12.1} {ratio:>8.2}");
            }
        }
    }
}
