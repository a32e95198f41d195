//! Compiling a request's constraint before the request is admitted: off the
//! engine's path, bounded in time and memory, cached by its text.
//!
//! Compiles run on tokio's blocking threads, at most `compile_workers` at a
//! time (half the cores by default), so a slow or hostile constraint
//! occupies a compile slot and never the engine, and leaves cores to the
//! model's forward passes. Past `compile_time` the
//! request gets a 400 at once; the compile itself stops at its own limits
//! (rein-schema's `max_compile_time`, the regex and grammar size limits),
//! which are set no higher than the server's. Successful compiles are
//! cached by their exact text, least recently used first out.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use rein_core::{Constraint, Engine};
use rein_schema::{Options, Validator, Whitespace};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::dialect::{ConstraintSpec, Found};
use crate::error::ApiError;
use crate::metrics::Metrics;

/// Bounds on compiling one constraint.
#[derive(Clone, Debug)]
pub struct CompileLimits {
    /// The longest a compile may take.
    pub compile_time: Duration,
    /// The largest constraint text, in bytes.
    pub max_constraint_bytes: usize,
    /// The most memory a compiled constraint may hold.
    pub max_constraint_memory: usize,
    /// Compiles running at once (default: half the cores, at least 1).
    pub compile_workers: usize,
    /// Compiled constraints kept.
    pub cache_entries: usize,
}

impl Default for CompileLimits {
    fn default() -> CompileLimits {
        CompileLimits {
            compile_time: Duration::from_secs(10),
            max_constraint_bytes: 256 << 10,
            max_constraint_memory: 512 << 20,
            // Half the cores at most, so compiles never take every core
            // from the model's forward passes.
            compile_workers: std::thread::available_parallelism()
                .map_or(1, |cores| (cores.get() / 2).clamp(1, 8)),
            cache_entries: 256,
        }
    }
}

/// Compiles constraints with one engine (the model's) and keeps the
/// results.
pub struct Compiler {
    engine: Engine,
    limits: CompileLimits,
    slots: Arc<Semaphore>,
    cache: Mutex<VecDeque<(String, Constraint)>>,
}

impl Compiler {
    /// A compiler using `engine` under `limits`.
    pub fn new(engine: Engine, limits: CompileLimits) -> Compiler {
        Compiler {
            engine,
            slots: Arc::new(Semaphore::new(limits.compile_workers.max(1))),
            limits,
            cache: Mutex::new(VecDeque::new()),
        }
    }

    /// The constraint of `found`, from the cache or compiled now.
    pub async fn constraint(
        &self,
        found: &Found,
        metrics: &Metrics,
    ) -> Result<Constraint, ApiError> {
        let size = found.spec.text_len();
        if size > self.limits.max_constraint_bytes {
            return Err(ApiError::invalid(
                found.param.clone(),
                format!(
                    "{}: the constraint is {size} bytes, more than this server's limit of {}",
                    found.param, self.limits.max_constraint_bytes
                ),
            ));
        }
        let key = found.spec.cache_key();
        if let Some(constraint) = self.cached(&key) {
            metrics.record_compile(Duration::ZERO, true);
            return Ok(constraint);
        }
        let start = Instant::now();
        let slot = Arc::clone(&self.slots).acquire_owned().await.map_err(|_| {
            ApiError::status(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "shutting_down",
                "the server is shutting down",
            )
        })?;
        let engine = self.engine.clone();
        let spec = found.spec.clone();
        let compile_time = self.limits.compile_time;
        // The slot goes with the compile: one past its time limit still
        // holds it until it stops, so no more than `compile_workers` run.
        let task = tokio::task::spawn_blocking(move || {
            let compiled = compile(&spec, &engine, compile_time);
            drop(slot);
            compiled
        });
        let compiled = match tokio::time::timeout(compile_time, task).await {
            Ok(Ok(compiled)) => compiled,
            Ok(Err(_)) => Err("the compile failed unexpectedly".to_string()),
            Err(_) => Err(format!(
                "compiling the constraint took longer than this server's limit of {:.1} s",
                compile_time.as_secs_f64()
            )),
        };
        metrics.record_compile(start.elapsed(), false);
        let constraint = compiled.map_err(|message| {
            ApiError::invalid(found.param.clone(), format!("{}: {message}", found.param))
        })?;
        let memory = constraint.memory_usage();
        if memory > self.limits.max_constraint_memory {
            return Err(ApiError::invalid(
                found.param.clone(),
                format!(
                    "{}: the compiled constraint needs {memory} bytes, more than this server's limit of {}",
                    found.param, self.limits.max_constraint_memory
                ),
            ));
        }
        self.remember(key, constraint.clone());
        Ok(constraint)
    }

    fn cached(&self, key: &str) -> Option<Constraint> {
        let mut cache = self.cache.lock().ok()?;
        let index = cache.iter().position(|(known, _)| known == key)?;
        // Most recently used at the back.
        let entry = cache.remove(index)?;
        let constraint = entry.1.clone();
        cache.push_back(entry);
        Some(constraint)
    }

    fn remember(&self, key: String, constraint: Constraint) {
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        if cache.iter().any(|(known, _)| *known == key) {
            return;
        }
        cache.push_back((key, constraint));
        while cache.len() > self.limits.cache_entries {
            cache.pop_front();
        }
    }
}

/// Compiles `spec`; the error is one line saying what is wrong and where.
fn compile(
    spec: &ConstraintSpec,
    engine: &Engine,
    compile_time: Duration,
) -> Result<Constraint, String> {
    match spec {
        ConstraintSpec::JsonSchema(schema) => json_schema(schema, engine, compile_time),
        ConstraintSpec::JsonObject => json_schema(&json!({"type": "object"}), engine, compile_time),
        ConstraintSpec::Regex(pattern) => engine
            .regex(pattern)
            .map_err(|error| format!("regex: {error}")),
        ConstraintSpec::Choice(choices) => {
            engine.choice(choices).map_err(|error| error.to_string())
        }
        ConstraintSpec::Grammar(grammar) => engine
            .grammar(grammar)
            .map_err(|error| format!("grammar: {error}")),
    }
}

/// A schema as a constraint, in rein's generation layout; a schema the
/// `jsonschema` crate refuses is refused here too.
fn json_schema(
    schema: &serde_json::Value,
    engine: &Engine,
    compile_time: Duration,
) -> Result<Constraint, String> {
    Validator::new(schema).map_err(|error| format!("the schema is invalid: {error}"))?;
    let options = Options {
        whitespace: Whitespace::Spaced,
        max_compile_time: compile_time,
        ..Options::default()
    };
    let compiled = rein_schema::compile(schema, &options).map_err(|error| error.to_string())?;
    compiled
        .constraint(engine)
        .map_err(|error| error.to_string())
}
