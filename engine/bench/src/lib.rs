//! rein's benchmarks, as a library the `rein bench` subcommands call.
//!
//! - [`maskbench`]: the MaskBench protocol (JSONSchemaBench's
//!   `maskbench/data`): per schema, compile, then walk every test instance
//!   token by token with a mask before each token; verdicts, timings and
//!   the summary with the keys scripts read.
//! - [`peer`]: peer engines (the `llguidance` crate) behind the same small
//!   matcher interface as rein, and a rein grammar printed in llguidance's
//!   Lark dialect, so both are timed on the same language, tokenizer file,
//!   text and thread.
//! - [`drivers`]: what `rein bench mask` and `rein bench maskbench` run —
//!   reading files, timing both engines, printing the tables and writing
//!   the JSON files. The command-line flags stay in the `rein` binary,
//!   which turns them into these drivers' options.
//! - [`stats`]: latency summaries (p50, p99 and max, never only the mean).
//!
//! `rein bench tasks` stays in the binary: it runs the binary's own
//! extraction and NER tasks; it scores them with [`tasks`].
//!
//! Benchmarks measure; they are never part of the test suite, except the
//! MaskBench ratchet (`tests/maskbench_subset.rs`).

#![forbid(unsafe_code)]

pub mod drivers;
pub mod maskbench;
pub mod peer;
pub mod stats;
pub mod tasks;
