//! `rein bench`: speed and accuracy measurements (never part of the test
//! suite). The flags are defined here; `mask` and `maskbench` run in
//! `rein_bench`'s drivers, and `tasks` runs the binary's own tasks
//! ([`crate::bench_tasks`]).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use rein_bench::drivers::mask::{self, Case, CaseKind, MaskOptions};
use rein_bench::drivers::maskbench::{self, MaskbenchOptions};
use rein_bench::maskbench::RunOptions;
use rein_bench::peer::Peer;

use crate::constraint_args::{
    AnyOrderArgs, ConstraintArgs, ConstraintSource, TextArgs, TokenizerArgs,
};
use crate::Outcome;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Time mask computation on every --tokenizer given (repeat the flag
    /// for several): a built-in suite of regexes and label sets, or one
    /// constraint with --text or --text-file.
    Mask(MaskArgs),
    /// Run the MaskBench protocol over JSONSchemaBench files.
    Maskbench(MaskbenchArgs),
    /// Accuracy and cost of extraction and NER on rein's labelled set,
    /// settings side by side on one model load.
    Tasks(crate::bench_tasks::TasksArgs),
}

/// `--peer`: a peer engine run beside rein.
#[derive(Args, Debug)]
pub struct PeerArgs {
    /// Also run a peer engine on the same tokenizer file and inputs
    /// (tokenizer.json files only), and print the ratios.
    #[arg(long, value_enum)]
    peer: Option<PeerName>,
}

/// Peer engines `--peer` can name.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum PeerName {
    /// The `llguidance` crate (grammars converted to its Lark dialect,
    /// schemas by its own JSON Schema compiler).
    Llguidance,
}

impl PeerArgs {
    fn peer(&self) -> Option<Peer> {
        self.peer.map(|PeerName::Llguidance| Peer::Llguidance)
    }
}

/// `--json`: the results as JSON.
#[derive(Args, Debug)]
pub struct JsonArgs {
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Arguments of `rein bench mask`.
#[derive(Args, Debug)]
#[command(mut_arg("tokenizer", |arg| arg.action(clap::ArgAction::Append)))]
pub struct MaskArgs {
    #[command(flatten)]
    tokenizer: TokenizerArgs,
    #[command(flatten)]
    constraint: ConstraintArgs,
    #[command(flatten)]
    text: TextArgs,
    /// How many times each text is walked.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Turn the per-state mask cache off: every step walks the token trie.
    #[arg(long)]
    no_cache: bool,
    #[command(flatten)]
    peer: PeerArgs,
    #[command(flatten)]
    json: JsonArgs,
}

/// Arguments of `rein bench maskbench`.
#[derive(Args, Debug)]
pub struct MaskbenchArgs {
    #[command(flatten)]
    tokenizer: TokenizerArgs,
    /// The folder of MaskBench files (`../shared/maskbench`).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Only the files named in LIST, one file name per line.
    #[arg(long, value_name = "LIST")]
    files_from: Option<PathBuf>,
    #[command(flatten)]
    peer: PeerArgs,
    #[command(flatten)]
    json: JsonArgs,
    /// The time one schema may take, per engine, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 60_000)]
    timeout_ms: u64,
    /// Commit tokens without computing masks (fast acceptance check; TBM
    /// is then not measured).
    #[arg(long)]
    no_masks: bool,
    /// Print each schema that does not pass, with why.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    any_order: AnyOrderArgs,
    /// Also write every schema's verdict and raw timings here, one JSON
    /// line per schema and engine (`engine`, `file`, `verdict`, `tokens`,
    /// `ttfm_us`, `tbm_us`), so runs over shards of MaskBench can be merged
    /// into one set of percentiles (`scripts/maskbench_merge.py`).
    #[arg(long, value_name = "OUT")]
    timings: Option<PathBuf>,
}

pub fn run(command: &BenchCommand) -> Result<Outcome> {
    match command {
        BenchCommand::Mask(args) => mask::run(&mask_options(args)?)?,
        BenchCommand::Maskbench(args) => maskbench::run(&maskbench_options(args))?,
        BenchCommand::Tasks(args) => crate::bench_tasks::run(args)?,
    }
    Ok(Outcome::Success)
}

/// The driver's options: the case given, or the built-in suite.
fn mask_options(args: &MaskArgs) -> Result<MaskOptions> {
    let text = args.text.read()?;
    let cases = match (args.constraint.read()?, text) {
        (None, None) => mask::builtin_cases(),
        (Some(source), Some(text)) => {
            let (name, kind) = match source {
                ConstraintSource::Regex(pattern) => ("regex".into(), CaseKind::Regex(pattern)),
                ConstraintSource::Choice(labels) => ("choice".into(), CaseKind::Choice(labels)),
                ConstraintSource::Grammar { path, source } => {
                    let grammar = rein_core::grammar::Grammar::from_gbnf(&source)
                        .map_err(|error| anyhow::anyhow!("{}:{error}", path.display()))?;
                    (mask::short_name(&path), CaseKind::Grammar(Box::new(grammar)))
                }
                ConstraintSource::Schema(schema) => (
                    mask::short_name(schema.path()),
                    CaseKind::Schema(schema.value().clone()),
                ),
            };
            vec![Case { name, kind, text }]
        }
        _ => bail!(
            "give --regex, --choice, --choice-file, --grammar or --schema, with --text or --text-file"
        ),
    };
    Ok(MaskOptions {
        tokenizers: args.tokenizer.all().to_vec(),
        cases,
        iterations: args.iterations,
        mask_cache: !args.no_cache,
        peer: args.peer.peer(),
        json: args.json.json.clone(),
    })
}

fn maskbench_options(args: &MaskbenchArgs) -> MaskbenchOptions {
    MaskbenchOptions {
        tokenizer: args.tokenizer.required().to_path_buf(),
        data: args.data.clone(),
        files_from: args.files_from.clone(),
        peer: args.peer.peer(),
        json: args.json.json.clone(),
        protocol: RunOptions {
            masks: !args.no_masks,
            timeout: Duration::from_millis(args.timeout_ms),
            compile: args.any_order.schema_options(),
        },
        verbose: args.verbose,
        timings: args.timings.clone(),
    }
}
