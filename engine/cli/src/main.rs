//! `rein`: structured generation from the command line.
//!
//! The binary is thin glue over the library crates: argument parsing (each
//! flag defined once, in a struct the subcommands that take it flatten), one
//! module per subcommand, and the exit-code convention shared by all of
//! them — 0 success, 1 a negative answer (a text the constraint rejects),
//! 2 bad input (a missing file, a malformed regex), with a one-line error,
//! 3 a batch in which some documents failed (each has an error line).

mod anchored;
mod batch;
mod bench;
mod bench_tasks;
mod check;
mod classify;
mod constraint_args;
mod extract;
mod generate;
mod labels;
mod model_args;
mod ner;
mod prompt;
mod schema;
mod serve;
mod vote;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// rein: keep a language model's output valid with regexes, label sets,
/// grammars and JSON Schemas.
#[derive(Parser)]
#[command(name = "rein", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Walk a text through a constraint token by token, as a model would
    /// produce it, and say whether and where it is rejected.
    Check(check::CheckArgs),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Extract JSON that validates against a schema from each document.
    Extract(extract::ExtractArgs),
    /// Tag named entities in each document with a given label set.
    Ner(ner::NerArgs),
    /// Give each document one label from a set, with probabilities.
    Classify(classify::ClassifyArgs),
    /// Generate one text under a regex, grammar, schema or label set.
    Generate(generate::GenerateArgs),
    /// Serve the model over an OpenAI-compatible HTTP API, every answer
    /// under its request's constraint.
    Serve(serve::ServeArgs),
}

/// What a subcommand reports back to `main`.
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the answer is "no" (e.g. the text is rejected).
    Rejected,
    /// Exit 3: some documents failed; their error lines are in the output.
    SomeFailed,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS // --help, --version
            };
        }
    };
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Bench(command) => bench::run(&command),
        Command::Extract(args) => extract::run(&args),
        Command::Ner(args) => ner::run(&args),
        Command::Classify(args) => classify::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Serve(args) => serve::run(&args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Rejected) => ExitCode::from(1),
        Ok(Outcome::SomeFailed) => ExitCode::from(3),
        Err(error) => {
            eprintln!("error: {}", one_line(&format!("{error:#}")));
            ExitCode::from(2)
        }
    }
}

/// Error chains printed on one line.
fn one_line(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}
