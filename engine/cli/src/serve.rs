//! `rein serve`: the OpenAI-compatible server (see `rein_server`) on a
//! loaded model.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use rein_server::{CompileLimits, Config, Limits};

use crate::model_args::{tokio_runtime, ModelArgs};
use crate::Outcome;

/// Flags of `rein serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on; 127.0.0.1 unless told otherwise.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The port (0 picks a free one; the address is logged).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Require `Authorization: Bearer KEY` on /v1/* and /metrics. Default:
    /// $REIN_API_KEY when set, else no key.
    #[arg(long, value_name = "KEY", env = "REIN_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The model's name in /v1/models and responses (default: the model
    /// path's file name).
    #[arg(long, value_name = "NAME")]
    served_model_name: Option<String>,
    /// Requests admitted at once; past it a request gets a 503.
    #[arg(long, value_name = "N", default_value_t = 64)]
    max_concurrent: usize,
    /// The largest max_tokens a request may ask for.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    max_tokens_limit: usize,
    /// The budget of a request that gives no max_tokens.
    #[arg(long, value_name = "N", default_value_t = 256)]
    default_max_tokens: usize,
    /// Seconds a request may take from admission to its last token.
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    request_timeout: f64,
    /// Seconds compiling one constraint may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    compile_timeout: f64,
    /// The largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 2 << 20)]
    max_body_bytes: usize,
    /// The largest constraint (schema, regex, grammar) text, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 10)]
    max_constraint_bytes: usize,
    #[command(flatten)]
    model: ModelArgs,
}

/// Loads the model and serves until SIGTERM or Ctrl-C.
pub fn run(args: &ServeArgs) -> Result<Outcome> {
    let seconds = |value: f64, flag: &str| {
        Duration::try_from_secs_f64(value)
            .ok()
            .filter(|duration| !duration.is_zero())
            .with_context(|| format!("{flag} must be a positive number of seconds"))
    };
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        max_concurrent: args.max_concurrent,
        max_tokens: args.max_tokens_limit,
        default_max_tokens: args.default_max_tokens.min(args.max_tokens_limit),
        request_time: seconds(args.request_timeout, "--request-timeout")?,
        compile: CompileLimits {
            compile_time: seconds(args.compile_timeout, "--compile-timeout")?,
            max_constraint_bytes: args.max_constraint_bytes,
            ..CompileLimits::default()
        },
    };
    let tokio = tokio_runtime()?;
    let runtime = args.model.load(&tokio)?;
    let model_id = args.served_model_name.clone().unwrap_or_else(|| {
        let name = runtime.model_name();
        std::path::Path::new(name)
            .file_name()
            .map_or(name.to_string(), |file| file.to_string_lossy().into_owned())
    });
    let config = Config {
        address: SocketAddr::new(args.host, args.port),
        api_key: args.api_key.clone().filter(|key| !key.is_empty()),
        model_id,
        limits,
    };
    tokio
        .block_on(rein_server::serve(
            runtime,
            config,
            rein_server::shutdown_signal(),
        ))
        .with_context(|| format!("cannot serve on {}:{}", args.host, args.port))?;
    Ok(Outcome::Success)
}
