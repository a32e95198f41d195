//! Reading a completion request: the prompt, the decoding settings, tools,
//! and refusing what rein cannot honour.
//!
//! Sampling follows the OpenAI API: a request without `temperature` samples
//! at temperature 1 (seeded, so it repeats; `seed` defaults to 0), and
//! `temperature: 0` is greedy. Parameters that would change the answer
//! and that rein does not implement (`stop`, penalties, `logit_bias`,
//! `logprobs`, several prompts) are a 400 naming them, never ignored.

use rein_runtime::{Decoding, Prompt, Role};
use serde_json::{json, Map, Value};

use crate::dialect::{self, ConstraintSpec, Found};
use crate::error::ApiError;

/// Which endpoint a request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/chat/completions`.
    Chat,
    /// `POST /v1/completions`.
    Completions,
}

/// A request, read and checked.
#[derive(Debug)]
pub struct CompletionRequest {
    /// The model named.
    pub model: String,
    /// The prompt.
    pub prompt: Prompt,
    /// Decoding settings.
    pub decoding: Decoding,
    /// Whether to stream.
    pub stream: bool,
    /// Whether the stream ends with a usage chunk.
    pub include_usage: bool,
    /// The constraint, if any.
    pub constraint: Option<Found>,
    /// Set when the output is a forced tool call.
    pub tool_call: Option<ToolCall>,
}

/// How a forced tool call's output is read.
#[derive(Clone, Debug)]
pub enum ToolCall {
    /// The output is the arguments of this function.
    Named(String),
    /// The output is `{"name": …, "arguments": …}` for one of several.
    Any,
}

/// The most samples one request may ask for.
const MAX_SAMPLES: usize = 16;

/// Reads `body` as a request to `endpoint`. `max_tokens_limit` bounds the
/// budget; `default_max_tokens` is used when the request gives none.
pub fn read(
    endpoint: Endpoint,
    body: &Map<String, Value>,
    default_max_tokens: usize,
    max_tokens_limit: usize,
) -> Result<CompletionRequest, ApiError> {
    refuse_unsupported(endpoint, body)?;
    let model = match body.get("model") {
        Some(Value::String(model)) => model.clone(),
        None | Some(Value::Null) => String::new(),
        Some(_) => return Err(ApiError::invalid("model", "model must be a string")),
    };
    let mut constraint = dialect::find(body)?;
    let (prompt, tool_call) = match endpoint {
        Endpoint::Chat => {
            let mut messages = messages(body)?;
            let tools = tools(body)?;
            if let Some((found, call, instructions)) = tools {
                if let Some(other) = &constraint {
                    return Err(ApiError::invalid(
                        other.param.clone(),
                        format!(
                            "a request takes one constraint: a forced tool call and {}",
                            other.param
                        ),
                    ));
                }
                constraint = Some(found);
                messages.insert(0, (Role::System, instructions));
                (Prompt::Chat(merge_system(messages)), Some(call))
            } else {
                (Prompt::Chat(merge_system(messages)), None)
            }
        }
        Endpoint::Completions => (Prompt::Text(completion_prompt(body)?), None),
    };
    let decoding = decoding(body, default_max_tokens, max_tokens_limit)?;
    let stream = optional_bool(body, "stream")?.unwrap_or(false);
    let include_usage = match body.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(Value::Object(options)) => optional_bool(options, "include_usage")?.unwrap_or(false),
        Some(_) => {
            return Err(ApiError::invalid(
                "stream_options",
                "stream_options must be an object",
            ))
        }
    };
    if stream && decoding.samples > 1 {
        return Err(ApiError::unsupported(
            "n",
            "streaming takes n = 1; send n > 1 without stream",
        ));
    }
    Ok(CompletionRequest {
        model,
        prompt,
        decoding,
        stream,
        include_usage,
        constraint,
        tool_call,
    })
}

/// Parameters rein does not implement, refused when set to anything but
/// their neutral value.
fn refuse_unsupported(endpoint: Endpoint, body: &Map<String, Value>) -> Result<(), ApiError> {
    let neutral = |value: &Value| match value {
        Value::Null => true,
        Value::Bool(set) => !set,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
    };
    let mut unsupported = vec![
        (
            "stop",
            "stop sequences are not supported; constrain the output instead",
        ),
        ("frequency_penalty", "frequency_penalty is not supported"),
        ("presence_penalty", "presence_penalty is not supported"),
        ("logit_bias", "logit_bias is not supported"),
        ("logprobs", "logprobs are not supported yet"),
        ("top_logprobs", "top_logprobs are not supported yet"),
        ("audio", "audio output is not supported"),
        ("prediction", "predicted outputs are not supported"),
    ];
    if endpoint == Endpoint::Completions {
        unsupported.push(("suffix", "suffix is not supported"));
        unsupported.push(("echo", "echo is not supported"));
    }
    for (field, why) in unsupported {
        if body.get(field).is_some_and(|value| !neutral(value)) {
            return Err(ApiError::unsupported(field, why));
        }
    }
    if let Some(best_of) = body.get("best_of").and_then(Value::as_u64) {
        if best_of > 1 {
            return Err(ApiError::unsupported(
                "best_of",
                "best_of above 1 is not supported",
            ));
        }
    }
    Ok(())
}

fn decoding(
    body: &Map<String, Value>,
    default_max_tokens: usize,
    max_tokens_limit: usize,
) -> Result<Decoding, ApiError> {
    let temperature = optional_f64(body, "temperature")?.unwrap_or(1.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(ApiError::invalid(
            "temperature",
            "temperature must be between 0 and 2",
        ));
    }
    let top_p = optional_f64(body, "top_p")?;
    if top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
        return Err(ApiError::invalid(
            "top_p",
            "top_p must be above 0 and at most 1",
        ));
    }
    let top_k = match body.get("top_k") {
        None | Some(Value::Null) => None,
        // vLLM's "no top-k".
        Some(value) if value.as_i64() == Some(-1) || value.as_i64() == Some(0) => None,
        Some(value) => Some(value.as_u64().ok_or_else(|| {
            ApiError::invalid("top_k", "top_k must be a positive integer, or -1 for none")
        })? as usize),
    };
    let seed = match body.get("seed") {
        None | Some(Value::Null) => 0,
        Some(value) => value
            .as_u64()
            .ok_or_else(|| ApiError::invalid("seed", "seed must be a non-negative integer"))?,
    };
    let samples = match body.get("n") {
        None | Some(Value::Null) => 1,
        Some(value) => match value.as_u64() {
            Some(n) if (1..=MAX_SAMPLES as u64).contains(&n) => n as usize,
            _ => {
                return Err(ApiError::invalid(
                    "n",
                    format!("n must be an integer from 1 to {MAX_SAMPLES}"),
                ))
            }
        },
    };
    let mut max_tokens = None;
    for field in ["max_completion_tokens", "max_tokens"] {
        match body.get(field) {
            None | Some(Value::Null) => {}
            Some(value) => match value.as_u64() {
                Some(n) if n >= 1 && n as usize <= max_tokens_limit => {
                    max_tokens.get_or_insert(n as usize);
                }
                _ => {
                    return Err(ApiError::invalid(
                        field,
                        format!("{field} must be an integer from 1 to this server's limit of {max_tokens_limit}"),
                    ))
                }
            },
        }
    }
    let greedy = temperature == 0.0;
    Ok(Decoding {
        temperature: (!greedy).then_some(temperature),
        top_k: if greedy { None } else { top_k },
        top_p: if greedy {
            None
        } else {
            top_p.filter(|&p| p < 1.0)
        },
        max_tokens: max_tokens.unwrap_or(default_max_tokens),
        samples,
        seed,
    })
}

/// The chat messages, with their roles mapped onto rein's three.
fn messages(body: &Map<String, Value>) -> Result<Vec<(Role, String)>, ApiError> {
    let list = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::invalid("messages", "messages must be a list of messages"))?;
    if list.is_empty() {
        return Err(ApiError::invalid("messages", "messages must not be empty"));
    }
    let mut messages = Vec::with_capacity(list.len());
    for (index, message) in list.iter().enumerate() {
        let param = format!("messages[{index}]");
        let message = message.as_object().ok_or_else(|| {
            ApiError::invalid(param.clone(), format!("{param} must be an object"))
        })?;
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        let content = content(&param, message.get("content"))?;
        let (role, text) = match role {
            "system" | "developer" => (Role::System, content),
            "user" => (Role::User, content),
            "assistant" => {
                let mut text = content;
                if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
                    for call in calls {
                        let function = &call["function"];
                        text.push_str(
                            &json!({"name": function["name"], "arguments": function["arguments"]})
                                .to_string(),
                        );
                    }
                }
                (Role::Assistant, text)
            }
            "tool" | "function" => (Role::User, format!("Tool result: {content}")),
            other => {
                return Err(ApiError::invalid(
                    format!("{param}.role"),
                    format!(
                    "{param}.role {other:?} is not one of system, developer, user, assistant, tool"
                ),
                ))
            }
        };
        messages.push((role, text));
    }
    Ok(messages)
}

/// Chat templates expect at most one system message, first: system
/// messages are joined and put first.
fn merge_system(messages: Vec<(Role, String)>) -> Vec<(Role, String)> {
    let (system, rest): (Vec<_>, Vec<_>) = messages
        .into_iter()
        .partition(|(role, _)| *role == Role::System);
    let mut merged = Vec::with_capacity(rest.len() + 1);
    if !system.is_empty() {
        let text: Vec<String> = system.into_iter().map(|(_, text)| text).collect();
        merged.push((Role::System, text.join("\n\n")));
    }
    merged.extend(rest);
    merged
}

/// A message's text: a string, or a list of text parts.
fn content(param: &str, content: Option<&Value>) -> Result<String, ApiError> {
    match content {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            for (index, part) in parts.iter().enumerate() {
                match (part["type"].as_str(), part["text"].as_str()) {
                    (Some("text"), Some(piece)) => text.push_str(piece),
                    _ => {
                        return Err(ApiError::unsupported(
                            format!("{param}.content[{index}]"),
                            format!("{param}.content[{index}]: only text parts are supported"),
                        ))
                    }
                }
            }
            Ok(text)
        }
        Some(_) => Err(ApiError::invalid(
            format!("{param}.content"),
            format!("{param}.content must be a string or a list of text parts"),
        )),
    }
}

fn completion_prompt(body: &Map<String, Value>) -> Result<String, ApiError> {
    match body.get("prompt") {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Array(items)) if items.len() == 1 && items[0].is_string() => {
            Ok(items[0].as_str().unwrap_or_default().to_string())
        }
        Some(Value::Array(_)) => Err(ApiError::unsupported(
            "prompt",
            "prompt must be one string; send several prompts as several requests",
        )),
        _ => Err(ApiError::invalid("prompt", "prompt must be a string")),
    }
}

/// A forced tool call: its constraint, how to read the output, and the
/// instructions that tell the model about the tools. `None` when no tool
/// call is forced (no tools, or `tool_choice` `"none"`).
fn tools(body: &Map<String, Value>) -> Result<Option<(Found, ToolCall, String)>, ApiError> {
    let Some(list) = body.get("tools").filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    let list = list
        .as_array()
        .ok_or_else(|| ApiError::invalid("tools", "tools must be a list"))?;
    let mut functions = Vec::with_capacity(list.len());
    for (index, tool) in list.iter().enumerate() {
        let param = format!("tools[{index}]");
        if tool["type"].as_str() != Some("function") {
            return Err(ApiError::unsupported(
                format!("{param}.type"),
                format!("{param}: only tools of type \"function\" are supported"),
            ));
        }
        let function = &tool["function"];
        let name = function["name"].as_str().ok_or_else(|| {
            ApiError::invalid(
                format!("{param}.function.name"),
                format!("{param} needs a function name"),
            )
        })?;
        let parameters = match function.get("parameters") {
            None | Some(Value::Null) => json!({"type": "object", "properties": {}}),
            Some(parameters) => parameters.clone(),
        };
        functions.push((
            name.to_string(),
            function["description"].clone(),
            parameters,
        ));
    }
    if functions.is_empty() {
        return Ok(None);
    }
    let choice = body.get("tool_choice").cloned().unwrap_or(Value::Null);
    let named = match &choice {
        Value::String(mode) if mode == "none" => return Ok(None),
        Value::String(mode) if mode == "required" => None,
        Value::Object(object) => {
            let name = object
                .get("function")
                .and_then(|function| function["name"].as_str())
                .ok_or_else(|| ApiError::invalid("tool_choice", "tool_choice needs function.name"))?;
            if !functions.iter().any(|(known, _, _)| known == name) {
                return Err(ApiError::invalid(
                    "tool_choice",
                    format!("tool_choice names {name:?}, which is not among the tools"),
                ));
            }
            Some(name.to_string())
        }
        _ => {
            return Err(ApiError::unsupported(
                "tool_choice",
                "tool_choice \"auto\" (the default with tools) is not supported: send \"required\", a named function, or \"none\"",
            ))
        }
    };
    let listing: Vec<Value> = functions
        .iter()
        .map(|(name, description, parameters)| {
            json!({"name": name, "description": description, "parameters": parameters})
        })
        .collect();
    let listing = Value::Array(listing);
    let (found, call, instructions) = match named {
        Some(name) => {
            let parameters = functions
                .iter()
                .find(|(known, _, _)| *known == name)
                .map(|(_, _, parameters)| parameters.clone())
                .unwrap_or(Value::Null);
            let instructions = format!(
                "You call the function {name}. Answer with its arguments as a JSON object. Functions: {listing}"
            );
            (
                Found {
                    spec: ConstraintSpec::JsonSchema(parameters),
                    param: "tools".to_string(),
                },
                ToolCall::Named(name),
                instructions,
            )
        }
        None => {
            let branches: Vec<Value> = functions
                .iter()
                .map(|(name, _, parameters)| {
                    json!({
                        "type": "object",
                        "properties": {"name": {"const": name}, "arguments": parameters},
                        "required": ["name", "arguments"],
                        "additionalProperties": false,
                    })
                })
                .collect();
            let schema = if branches.len() == 1 {
                branches[0].clone()
            } else {
                json!({"anyOf": branches})
            };
            let instructions = format!(
                "You call one of these functions. Answer with {{\"name\": the function, \"arguments\": its arguments}}. Functions: {listing}"
            );
            (
                Found {
                    spec: ConstraintSpec::JsonSchema(schema),
                    param: "tools".to_string(),
                },
                ToolCall::Any,
                instructions,
            )
        }
    };
    Ok(Some((found, call, instructions)))
}

fn optional_bool(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("{field} must be a boolean"),
        )),
    }
}

fn optional_f64(body: &Map<String, Value>, field: &str) -> Result<Option<f64>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, format!("{field} must be a number"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chat(body: Value) -> Result<CompletionRequest, ApiError> {
        read(Endpoint::Chat, body.as_object().expect("object"), 256, 4096)
    }

    #[test]
    fn openai_defaults_and_greedy() {
        let request =
            chat(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})).unwrap();
        assert_eq!(request.decoding.temperature, Some(1.0));
        assert_eq!(request.decoding.max_tokens, 256);
        let request = chat(json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0, "top_p": 0.5, "max_tokens": 9})).unwrap();
        assert_eq!(request.decoding.temperature, None);
        assert_eq!(request.decoding.top_p, None);
        assert_eq!(request.decoding.max_tokens, 9);
    }

    #[test]
    fn system_messages_come_first_and_once() {
        let request = chat(json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "system", "content": "s1"},
            {"role": "developer", "content": [{"type": "text", "text": "s2"}]},
        ]}))
        .unwrap();
        let Prompt::Chat(messages) = request.prompt else {
            panic!("a chat prompt")
        };
        assert_eq!(
            messages,
            vec![
                (Role::System, "s1\n\ns2".to_string()),
                (Role::User, "a".to_string())
            ]
        );
    }

    #[test]
    fn what_rein_cannot_honour_is_refused_by_name() {
        let base = json!({"messages": [{"role": "user", "content": "hi"}]});
        for (field, value) in [
            ("stop", json!(["\n"])),
            ("logprobs", json!(true)),
            ("frequency_penalty", json!(0.5)),
            ("logit_bias", json!({"1": 2})),
        ] {
            let mut body = base.clone();
            body[field] = value;
            let error = chat(body).unwrap_err();
            assert_eq!(error.param.as_deref(), Some(field));
        }
        let mut neutral = base.clone();
        neutral["stop"] = Value::Null;
        neutral["logprobs"] = json!(false);
        neutral["frequency_penalty"] = json!(0);
        assert!(chat(neutral).is_ok());
        let mut streamed = base.clone();
        streamed["stream"] = json!(true);
        streamed["n"] = json!(2);
        assert_eq!(chat(streamed).unwrap_err().param.as_deref(), Some("n"));
        let mut too_long = base;
        too_long["max_tokens"] = json!(5000);
        assert_eq!(
            chat(too_long).unwrap_err().param.as_deref(),
            Some("max_tokens")
        );
    }

    #[test]
    fn forced_tool_calls_become_the_constraint() {
        let tools = json!([{"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}}]);
        let request = chat(json!({"messages": [{"role": "user", "content": "1+1"}], "tools": tools, "tool_choice": {"type": "function", "function": {"name": "add"}}})).unwrap();
        assert!(matches!(request.tool_call, Some(ToolCall::Named(ref name)) if name == "add"));
        assert!(matches!(
            request.constraint.unwrap().spec,
            ConstraintSpec::JsonSchema(_)
        ));
        let error = chat(json!({"messages": [{"role": "user", "content": "x"}], "tools": tools}))
            .unwrap_err();
        assert_eq!(error.param.as_deref(), Some("tool_choice"));
        let error = chat(json!({"messages": [{"role": "user", "content": "x"}], "tools": tools, "tool_choice": "required", "guided_regex": "a"})).unwrap_err();
        assert!(
            error.message.contains("one constraint"),
            "{}",
            error.message
        );
        let none = chat(json!({"messages": [{"role": "user", "content": "x"}], "tools": tools, "tool_choice": "none"})).unwrap();
        assert!(none.constraint.is_none() && none.tool_call.is_none());
    }
}
