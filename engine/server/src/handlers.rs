//! The endpoints: reading a request, running it, and writing the answer
//! or the stream.
//!
//! A completion request goes: body (size-limited) → JSON → [`request::read`]
//! → model check → admission (a 503 past `max_concurrent`) → compile (see
//! [`crate::compile`]) → budget check (a 400 naming both numbers) → one
//! task that runs the generation to its end. The handler, or the stream,
//! waits for that task; if the client goes away first, the task is told to
//! cancel and ends at its next step. A timer cancels it past
//! `request_time`.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::stream;
use rein_core::{BudgetError, BudgetedMatcher, Constraint};
use rein_runtime::{Finish, Generation, GenerationRequest, RuntimeError, Watch};
use serde_json::{json, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::sync::OwnedSemaphorePermit;

use crate::error::ApiError;
use crate::metrics::InFlight;
use crate::request::{self, CompletionRequest, Endpoint, ToolCall};
use crate::{RequestId, Server};

/// `POST /v1/chat/completions`.
pub async fn chat_completions(
    State(server): State<Arc<Server>>,
    Extension(id): Extension<RequestId>,
    body: Body,
) -> Response {
    complete(server, id, Endpoint::Chat, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /v1/completions`.
pub async fn completions(
    State(server): State<Arc<Server>>,
    Extension(id): Extension<RequestId>,
    body: Body,
) -> Response {
    complete(server, id, Endpoint::Completions, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /v1/models`.
pub async fn models(State(server): State<Arc<Server>>) -> Json<Value> {
    Json(json!({
        "object": "list",
        "data": [{
            "id": server.config.model_id,
            "object": "model",
            "created": server.started,
            "owned_by": "rein",
        }],
    }))
}

/// `GET /health`.
pub async fn health(State(server): State<Arc<Server>>) -> Json<Value> {
    Json(json!({"status": "ok", "model": server.config.model_id}))
}

/// `GET /metrics`.
pub async fn metrics(State(server): State<Arc<Server>>) -> Response {
    let text = server.metrics.render(&server.runtime.stats());
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

/// Any other path.
pub async fn not_found() -> ApiError {
    ApiError::status(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "not_found",
        "no such endpoint: rein serves /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics",
    )
}

/// What a running generation needs to answer with.
struct Answer {
    server: Arc<Server>,
    endpoint: Endpoint,
    id: String,
    created: u64,
    tool_call: Option<ToolCall>,
}

async fn complete(
    server: Arc<Server>,
    request_id: RequestId,
    endpoint: Endpoint,
    body: Body,
) -> Result<Response, ApiError> {
    let limits = &server.config.limits;
    let bytes = axum::body::to_bytes(body, limits.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                "request_too_large",
                format!(
                    "the request body is larger than this server's limit of {} bytes",
                    limits.max_body_bytes
                ),
            )
        })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|error| {
        ApiError::bad_request(format!(
            "the request body is not JSON at {}:{}: {error}",
            error.line(),
            error.column()
        ))
    })?;
    let body = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("the request body must be a JSON object"))?;
    let request = request::read(endpoint, body, limits.default_max_tokens, limits.max_tokens)?;
    if !request.model.is_empty() && request.model != server.config.model_id {
        return Err(ApiError {
            status: StatusCode::NOT_FOUND,
            code: "model_not_found",
            ..ApiError::invalid(
                "model",
                format!(
                    "model {:?} is not served here; this server runs {:?}",
                    request.model, server.config.model_id
                ),
            )
        });
    }
    let permit = Arc::clone(&server.admission)
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::status(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "server_busy",
                format!(
                    "the server has {} requests in flight, its limit; retry later",
                    limits.max_concurrent
                ),
            )
        })?;
    let in_flight = server.metrics.in_flight();
    let constraint = match &request.constraint {
        Some(found) => Some(server.compiler.constraint(found, &server.metrics).await?),
        None => None,
    };
    if let Some(constraint) = &constraint {
        // Planning the shortest output can take a while for a large
        // grammar: off the async threads, within the compile time limit.
        let (constraint, budget) = (constraint.clone(), request.decoding.max_tokens);
        let limit = server.config.limits.compile.compile_time;
        let check = tokio::task::spawn_blocking(move || check_budget(&constraint, budget));
        match tokio::time::timeout(limit, check).await {
            Ok(Ok(checked)) => checked?,
            Ok(Err(_)) => return Err(ApiError::bad_request("the budget check failed unexpectedly")),
            Err(_) => {
                return Err(ApiError::invalid(
                    "max_tokens",
                    format!(
                        "planning the shortest output of the constraint took longer than this server's compile limit of {:.1} s",
                        limit.as_secs_f64()
                    ),
                ))
            }
        }
    }
    let answer = Answer {
        id: format!("rein-{}", request_id.0),
        created: crate::unix_seconds(),
        tool_call: request.tool_call.clone(),
        endpoint,
        server: Arc::clone(&server),
    };
    if request.stream {
        Ok(stream_response(
            answer, request, constraint, permit, in_flight,
        ))
    } else {
        whole_response(answer, request, constraint, permit, in_flight).await
    }
}

/// Refuses a budget below the constraint's shortest output.
fn check_budget(constraint: &Constraint, max_tokens: usize) -> Result<(), ApiError> {
    match BudgetedMatcher::check(constraint, max_tokens) {
        Ok(()) => Ok(()),
        Err(BudgetError::TooSmall { needed, budget }) => Err(ApiError::invalid(
            "max_tokens",
            format!("max_tokens {budget} is too small: the shortest output the constraint allows needs {needed} tokens"),
        )),
        Err(error) => Err(ApiError::invalid("max_tokens", format!("max_tokens: {error}"))),
    }
}

/// Sets the cancel flag when dropped before it is disarmed: the client
/// went away.
struct CancelOnDrop(Option<Arc<AtomicBool>>);

impl CancelOnDrop {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(cancel) = &self.0 {
            cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Runs the generation in its own task (so it always runs to its end and
/// the engine is never left mid-sequence), with a timer that cancels it
/// past the request time. Returns the result and whether it timed out.
fn spawn_generation(
    server: &Arc<Server>,
    request: GenerationRequest,
    watch: Watch,
    permit: OwnedSemaphorePermit,
    in_flight: InFlight,
) -> tokio::task::JoinHandle<(Result<Generation, RuntimeError>, bool)> {
    let server = Arc::clone(server);
    tokio::spawn(async move {
        let timed_out = Arc::new(AtomicBool::new(false));
        let timer = {
            let cancel = Arc::clone(&watch.cancel);
            let timed_out = Arc::clone(&timed_out);
            let limit = server.config.limits.request_time;
            tokio::spawn(async move {
                tokio::time::sleep(limit).await;
                timed_out.store(true, Ordering::Relaxed);
                cancel.store(true, Ordering::Relaxed);
            })
        };
        let start = Instant::now();
        let result = server.runtime.generate_watched(request, &watch).await;
        timer.abort();
        if let Ok(generation) = &result {
            server
                .metrics
                .record_generation(generation.completion_tokens, start.elapsed());
        }
        drop(permit);
        drop(in_flight);
        (result, timed_out.load(Ordering::Relaxed))
    })
}

async fn whole_response(
    answer: Answer,
    request: CompletionRequest,
    constraint: Option<Constraint>,
    permit: OwnedSemaphorePermit,
    in_flight: InFlight,
) -> Result<Response, ApiError> {
    let watch = Watch::default();
    let mut guard = CancelOnDrop(Some(Arc::clone(&watch.cancel)));
    let generation_request = GenerationRequest {
        prompt: request.prompt,
        constraint,
        decoding: request.decoding,
        record_first_token: false,
    };
    let task = spawn_generation(&answer.server, generation_request, watch, permit, in_flight);
    let joined = task.await;
    guard.disarm();
    let (result, timed_out) = joined.map_err(|error| {
        ApiError::status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal_error",
            format!("the generation task failed: {error}"),
        )
    })?;
    let generation = result.map_err(|error| runtime_error(error, timed_out, &answer))?;
    let choices: Vec<Value> = generation
        .choices
        .iter()
        .enumerate()
        .map(|(index, choice)| {
            answer.choice(index, &choice.text, &choice.finish, choice.budget_closed)
        })
        .collect();
    Ok(Json(json!({
        "id": answer.id,
        "object": answer.object(false),
        "created": answer.created,
        "model": answer.server.config.model_id,
        "choices": choices,
        "usage": usage(&generation),
    }))
    .into_response())
}

fn stream_response(
    answer: Answer,
    request: CompletionRequest,
    constraint: Option<Constraint>,
    permit: OwnedSemaphorePermit,
    in_flight: InFlight,
) -> Response {
    let (events, receiver) = unbounded_channel::<Event>();
    let include_usage = request.include_usage;
    tokio::spawn(async move {
        let (pieces, mut piece_receiver) = unbounded_channel();
        let watch = Watch {
            text: Some(pieces),
            ..Watch::default()
        };
        let cancel = Arc::clone(&watch.cancel);
        // A send that fails means the client went away: cancel.
        let send = |events: &UnboundedSender<Event>, value: Value| {
            if events
                .send(Event::default().data(value.to_string()))
                .is_err()
            {
                cancel.store(true, Ordering::Relaxed);
            }
        };
        if answer.endpoint == Endpoint::Chat {
            send(
                &events,
                answer.chunk(json!({"role": "assistant", "content": ""}), None),
            );
        }
        let generation_request = GenerationRequest {
            prompt: request.prompt,
            constraint,
            decoding: request.decoding,
            record_first_token: false,
        };
        let mut task =
            spawn_generation(&answer.server, generation_request, watch, permit, in_flight);
        let mut text = String::new();
        let joined = loop {
            tokio::select! {
                piece = piece_receiver.recv() => match piece {
                    Some((_, piece)) => answer.send_piece(&events, &send, &mut text, piece),
                    None => break (&mut task).await,
                },
                joined = &mut task => break joined,
            }
        };
        while let Ok((_, piece)) = piece_receiver.try_recv() {
            answer.send_piece(&events, &send, &mut text, piece);
        }
        match joined {
            Ok((Ok(generation), _)) => {
                let choice = generation.choices.first();
                let finish = choice.map_or(Finish::Stop, |choice| choice.finish.clone());
                let closed = choice.is_some_and(|choice| choice.budget_closed);
                let last = match (&answer.tool_call, answer.endpoint) {
                    (Some(_), _) => {
                        let mut message = answer.message(&text);
                        message.as_object_mut().map(|object| object.remove("role"));
                        answer.final_chunk(message, &finish, closed)
                    }
                    (None, Endpoint::Chat) => answer.final_chunk(json!({}), &finish, closed),
                    (None, Endpoint::Completions) => answer.final_chunk(json!(""), &finish, closed),
                };
                send(&events, last);
                if include_usage {
                    let mut chunk = answer.chunk_with(Vec::new());
                    chunk["usage"] = usage(&generation);
                    send(&events, chunk);
                }
            }
            Ok((Err(error), timed_out)) => {
                send(&events, runtime_error(error, timed_out, &answer).body());
            }
            Err(error) => send(
                &events,
                json!({"error": {"message": format!("the generation task failed: {error}"), "type": "server_error", "param": null, "code": "internal_error"}}),
            ),
        }
        let _ = events.send(Event::default().data("[DONE]"));
    });
    let events = stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|event| (Ok::<Event, Infallible>(event), receiver))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

impl Answer {
    fn object(&self, chunk: bool) -> &'static str {
        match (self.endpoint, chunk) {
            (Endpoint::Chat, false) => "chat.completion",
            (Endpoint::Chat, true) => "chat.completion.chunk",
            (Endpoint::Completions, _) => "text_completion",
        }
    }

    fn finish_reason(&self, finish: &Finish) -> String {
        match finish {
            Finish::Stop if self.tool_call.is_some() => "tool_calls".to_string(),
            Finish::Stop => "stop".to_string(),
            Finish::Length => "length".to_string(),
            Finish::Other(reason) => reason.clone(),
        }
    }

    /// The assistant message for `text`: its content, or the tool call it
    /// spells.
    fn message(&self, text: &str) -> Value {
        let call = match &self.tool_call {
            None => None,
            Some(ToolCall::Named(name)) => Some((name.clone(), text.to_string())),
            Some(ToolCall::Any) => serde_json::from_str::<Value>(text).ok().and_then(|value| {
                let name = value["name"].as_str()?.to_string();
                Some((name, value["arguments"].to_string()))
            }),
        };
        match call {
            Some((name, arguments)) => json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "index": 0,
                    "id": format!("call-{}", self.id),
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }],
            }),
            None => json!({"role": "assistant", "content": text}),
        }
    }

    fn choice(&self, index: usize, text: &str, finish: &Finish, budget_closed: bool) -> Value {
        let mut choice = match self.endpoint {
            Endpoint::Chat => json!({"index": index, "message": self.message(text)}),
            Endpoint::Completions => json!({"index": index, "text": text, "logprobs": null}),
        };
        choice["finish_reason"] = json!(self.finish_reason(finish));
        choice["budget_closed"] = json!(budget_closed);
        choice
    }

    fn chunk_with(&self, choices: Vec<Value>) -> Value {
        json!({
            "id": self.id,
            "object": self.object(true),
            "created": self.created,
            "model": self.server.config.model_id,
            "choices": choices,
        })
    }

    /// A chunk carrying `delta` (chat) or `delta` as text (completions).
    fn chunk(&self, delta: Value, finish: Option<String>) -> Value {
        let choice = match self.endpoint {
            Endpoint::Chat => json!({"index": 0, "delta": delta, "finish_reason": finish}),
            Endpoint::Completions => {
                json!({"index": 0, "text": delta, "logprobs": null, "finish_reason": finish})
            }
        };
        self.chunk_with(vec![choice])
    }

    fn final_chunk(&self, delta: Value, finish: &Finish, budget_closed: bool) -> Value {
        let mut chunk = self.chunk(delta, Some(self.finish_reason(finish)));
        chunk["choices"][0]["budget_closed"] = json!(budget_closed);
        chunk
    }

    /// Streams a piece of text, or keeps it for the tool call sent at the
    /// end.
    fn send_piece(
        &self,
        events: &UnboundedSender<Event>,
        send: &impl Fn(&UnboundedSender<Event>, Value),
        text: &mut String,
        piece: String,
    ) {
        text.push_str(&piece);
        if self.tool_call.is_some() || piece.is_empty() {
            return;
        }
        let delta = match self.endpoint {
            Endpoint::Chat => json!({"content": piece}),
            Endpoint::Completions => json!(piece),
        };
        send(events, self.chunk(delta, None));
    }
}

fn usage(generation: &Generation) -> Value {
    json!({
        "prompt_tokens": generation.prompt_tokens,
        "completion_tokens": generation.completion_tokens,
        "total_tokens": generation.prompt_tokens + generation.completion_tokens,
    })
}

fn runtime_error(error: RuntimeError, timed_out: bool, answer: &Answer) -> ApiError {
    match error {
        RuntimeError::Cancelled if timed_out => ApiError::status(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "request_timeout",
            format!(
                "the request ran past this server's limit of {} s",
                answer.server.config.limits.request_time.as_secs()
            ),
        ),
        RuntimeError::Budget(error) => {
            ApiError::invalid("max_tokens", format!("max_tokens: {error}"))
        }
        RuntimeError::Prompt(message) => ApiError::invalid(
            match answer.endpoint {
                Endpoint::Chat => "messages",
                Endpoint::Completions => "prompt",
            },
            message,
        ),
        other => ApiError::status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "generation_failed",
            other.to_string(),
        ),
    }
}
