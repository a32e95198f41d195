//! # rein-server: an OpenAI-compatible server whose answers keep their constraint
//!
//! `rein serve` puts a [`Runtime`] behind HTTP so pipelines can call it as
//! they call any OpenAI-compatible endpoint: `POST /v1/chat/completions`,
//! `POST /v1/completions`, `GET /v1/models`, `GET /health`, `GET /metrics`.
//!
//! * [`dialect`]: the structured-output fields of OpenAI, vLLM, SGLang,
//!   llama.cpp and mistral.rs, read into one constraint.
//! * [`request`]: the prompt, decoding settings and forced tool calls; what
//!   rein cannot honour is refused by name.
//! * [`compile`]: constraints compiled before admission, off the engine's
//!   path, with time, size and memory limits, cached by their text.
//! * `handlers`: the endpoints, responses and server-sent-event streams.
//! * [`metrics`]: the Prometheus text of `GET /metrics`.
//! * [`error`]: OpenAI error bodies.
//!
//! The trade-offs: the engine runs one sequence at a time (see
//! [`Runtime`]), so concurrent requests queue for it and throughput does not
//! grow with concurrency on the CPU; every generation runs to its end in its
//! own task, and a client that goes away only cancels it at the next step,
//! so no request can leave the engine in a state another request sees.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod compile;
pub mod dialect;
pub mod error;
mod handlers;
pub mod metrics;
pub mod request;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rein_runtime::Runtime;
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

pub use compile::CompileLimits;
pub use error::ApiError;

/// Bounds on what the server accepts.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Requests admitted at once (running or queued for the engine); past
    /// it a request gets a 503.
    pub max_concurrent: usize,
    /// The largest `max_tokens` a request may ask for.
    pub max_tokens: usize,
    /// The budget of a request that gives no `max_tokens`.
    pub default_max_tokens: usize,
    /// The longest a request may take from admission to its last token;
    /// past it the generation is stopped and the request gets a 503.
    pub request_time: Duration,
    /// Limits on compiling constraints.
    pub compile: CompileLimits,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 2 << 20,
            max_concurrent: 64,
            max_tokens: 4096,
            default_max_tokens: 256,
            request_time: Duration::from_secs(600),
            compile: CompileLimits::default(),
        }
    }
}

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen (`127.0.0.1:8000` unless told otherwise).
    pub address: SocketAddr,
    /// When set, every `/v1/*` and `/metrics` request must carry
    /// `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// The model's name in `/v1/models` and in responses; requests must
    /// name it (or no model).
    pub model_id: String,
    /// Request bounds.
    pub limits: Limits,
}

/// What every handler shares.
pub(crate) struct Server {
    runtime: Arc<Runtime>,
    config: Config,
    compiler: compile::Compiler,
    metrics: Arc<metrics::Metrics>,
    admission: Arc<Semaphore>,
    next_id: AtomicU64,
    started: u64,
}

/// The router with every endpoint, for `runtime` under `config`.
pub fn router(runtime: Arc<Runtime>, config: Config) -> Router {
    let compiler = compile::Compiler::new(runtime.engine().clone(), config.limits.compile.clone());
    let server = Arc::new(Server {
        admission: Arc::new(Semaphore::new(config.limits.max_concurrent.max(1))),
        runtime,
        compiler,
        metrics: Arc::new(metrics::Metrics::default()),
        next_id: AtomicU64::new(1),
        started: unix_seconds(),
        config,
    });
    Router::new()
        .route("/v1/chat/completions", post(handlers::chat_completions))
        .route("/v1/completions", post(handlers::completions))
        .route("/v1/models", get(handlers::models))
        .route("/health", get(handlers::health))
        .route("/metrics", get(handlers::metrics))
        .fallback(handlers::not_found)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&server),
            request_layer,
        ))
        .with_state(server)
}

/// Serves `runtime` on `config.address` until `shutdown` completes, then
/// stops accepting and waits for the requests in flight.
pub async fn serve(
    runtime: Arc<Runtime>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.address).await?;
    let address = listener.local_addr()?;
    log(
        json!({"event": "listening", "address": format!("http://{address}"), "model": config.model_id}),
    );
    let app = router(runtime, config);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    log(json!({"event": "stopped"}));
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    log(json!({"event": "shutting down: finishing the requests in flight"}));
}

/// Request ids, the API key check, the log line and the request count.
async fn request_layer(
    State(server): State<Arc<Server>>,
    mut request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map(str::to_string)
        .unwrap_or_else(|| format!("req-{}", server.next_id.fetch_add(1, Ordering::Relaxed)));
    let path = request.uri().path().to_string();
    let method = request.method().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let protected = path.starts_with("/v1/") || path == "/metrics";
    let mut response = match (&server.config.api_key, protected) {
        (Some(key), true) if !authorized(&request, key) => ApiError::status(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid_api_key",
            "missing or wrong API key: send Authorization: Bearer <key>",
        )
        .into_response(),
        _ => next.run(request).await,
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let status = response.status().as_u16();
    let known = [
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/models",
        "/health",
        "/metrics",
    ];
    let counted = if known.contains(&path.as_str()) {
        path.as_str()
    } else {
        "other"
    };
    server.metrics.record_request(counted, status);
    log(json!({
        "request_id": id,
        "method": method,
        "path": path,
        "status": status,
        "ms": (start.elapsed().as_secs_f64() * 1e3 * 10.0).round() / 10.0,
    }));
    response
}

/// The id of a request, for handlers that log.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub String);

fn authorized(request: &Request, key: &str) -> bool {
    let Some(given) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return false;
    };
    given.as_bytes().ct_eq(key.as_bytes()).into()
}

/// One structured log line on stderr.
pub(crate) fn log(mut fields: serde_json::Value) {
    if let Some(object) = fields.as_object_mut() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |time| time.as_secs_f64());
        object.insert("time".to_string(), json!((now * 1e3).round() / 1e3));
    }
    eprintln!("{fields}");
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |time| time.as_secs())
}
