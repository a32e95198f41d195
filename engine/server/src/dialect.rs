//! The structured-output fields of every dialect, read into one
//! [`ConstraintSpec`].
//!
//! Clients written for OpenAI, vLLM, SGLang, llama.cpp and mistral.rs each
//! name their constraint differently; all of them mean one of five things:
//! a JSON Schema, any JSON object, a regex, a choice of strings or a
//! grammar. A request may carry at most one constraint field (two, even
//! if equal, are an error: which one wins would be a guess), and a field
//! rein knows but cannot honour is an error naming it, never ignored.
//!
//! | dialect | fields |
//! |---|---|
//! | OpenAI | `response_format` (`json_schema`, `json_object`, `text`) |
//! | vLLM | `structured_outputs` {`json`, `regex`, `choice`, `grammar`, `json_object`}; `guided_json`, `guided_regex`, `guided_choice`, `guided_grammar` |
//! | SGLang | `regex`, `ebnf`, `json_schema` (a JSON string) |
//! | llama.cpp | `grammar` (GBNF text), `json_schema` (an object) |
//! | mistral.rs | `grammar` {`type`: `regex`, `json_schema`, `lark`, `llguidance`; `value`} |
//!
//! Tools (`tools` with a forced `tool_choice`) are read in
//! [`crate::request`]; they too count as the request's one constraint.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// What a request's output must be.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstraintSpec {
    /// JSON valid against this schema.
    JsonSchema(Value),
    /// Any JSON object.
    JsonObject,
    /// Text the whole of which matches this regex.
    Regex(String),
    /// Exactly one of these strings.
    Choice(Vec<String>),
    /// Text in the language of this GBNF grammar.
    Grammar(String),
}

impl ConstraintSpec {
    /// A key naming the constraint exactly, for the compile cache.
    pub fn cache_key(&self) -> String {
        match self {
            ConstraintSpec::JsonSchema(schema) => format!("json_schema\0{schema}"),
            ConstraintSpec::JsonObject => "json_object".to_string(),
            ConstraintSpec::Regex(pattern) => format!("regex\0{pattern}"),
            ConstraintSpec::Choice(choices) => {
                format!("choice\0{}", Value::from(choices.clone()))
            }
            ConstraintSpec::Grammar(grammar) => format!("grammar\0{grammar}"),
        }
    }

    /// The size of the constraint's text in bytes (what the size limit
    /// applies to).
    pub fn text_len(&self) -> usize {
        match self {
            ConstraintSpec::JsonSchema(schema) => schema.to_string().len(),
            ConstraintSpec::JsonObject => 0,
            ConstraintSpec::Regex(text) | ConstraintSpec::Grammar(text) => text.len(),
            ConstraintSpec::Choice(choices) => choices.iter().map(String::len).sum(),
        }
    }
}

/// A constraint and the request field it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The constraint.
    pub spec: ConstraintSpec,
    /// Where it was, e.g. `response_format.json_schema.schema`.
    pub param: String,
}

/// The top-level fields that carry a constraint in some dialect.
const CONSTRAINT_FIELDS: &[&str] = &[
    "response_format",
    "structured_outputs",
    "guided_json",
    "guided_regex",
    "guided_choice",
    "guided_grammar",
    "regex",
    "ebnf",
    "json_schema",
    "grammar",
];

/// Fields that change what a constraint means and rein does not do.
const UNSUPPORTED_FIELDS: &[(&str, &str)] = &[
    (
        "guided_whitespace_pattern",
        "rein writes JSON in one fixed layout and does not take a whitespace pattern",
    ),
    (
        "structural_tag",
        "structural tags are not supported; send one constraint (json_schema, regex, choice or grammar)",
    ),
    (
        "guided_decoding_backend",
        "rein is the only backend: remove guided_decoding_backend",
    ),
];

/// The request's constraint, if it has one: at most one field may carry
/// it.
pub fn find(body: &Map<String, Value>) -> Result<Option<Found>, ApiError> {
    for &(field, why) in UNSUPPORTED_FIELDS {
        if body.get(field).is_some_and(|value| !value.is_null()) {
            return Err(ApiError::unsupported(field, format!("{field}: {why}")));
        }
    }
    let mut found: Vec<Found> = Vec::new();
    for &field in CONSTRAINT_FIELDS {
        let Some(value) = body.get(field).filter(|value| !value.is_null()) else {
            continue;
        };
        if let Some(constraint) = read_field(field, value)? {
            found.push(constraint);
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => {
            let names: Vec<&str> = found.iter().map(|found| found.param.as_str()).collect();
            Err(ApiError::invalid(
                found[1].param.clone(),
                format!(
                    "a request takes one constraint, this one has {}: {}",
                    found.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

fn read_field(field: &str, value: &Value) -> Result<Option<Found>, ApiError> {
    let found = |spec, param: String| Ok(Some(Found { spec, param }));
    match field {
        "response_format" => response_format(value),
        "structured_outputs" => structured_outputs(value),
        "guided_json" => found(schema_value(field, value)?, field.to_string()),
        "guided_regex" | "regex" => found(
            ConstraintSpec::Regex(string(field, value)?.to_string()),
            field.to_string(),
        ),
        "guided_choice" => found(choices(field, value)?, field.to_string()),
        "guided_grammar" | "ebnf" => found(
            ConstraintSpec::Grammar(string(field, value)?.to_string()),
            field.to_string(),
        ),
        "json_schema" => found(schema_value(field, value)?, field.to_string()),
        "grammar" => grammar(value),
        _ => Ok(None),
    }
}

/// OpenAI's `response_format`.
fn response_format(value: &Value) -> Result<Option<Found>, ApiError> {
    let object = object_of("response_format", value)?;
    let kind = object.get("type").and_then(Value::as_str).ok_or_else(|| {
        ApiError::invalid(
            "response_format.type",
            "response_format needs a \"type\": \"json_schema\", \"json_object\" or \"text\"",
        )
    })?;
    match kind {
        "text" => Ok(None),
        "json_object" => Ok(Some(Found {
            spec: ConstraintSpec::JsonObject,
            param: "response_format".to_string(),
        })),
        "json_schema" => {
            let inner = object
                .get("json_schema")
                .ok_or_else(|| {
                    ApiError::invalid(
                        "response_format.json_schema",
                        "response_format of type json_schema needs a \"json_schema\" object",
                    )
                })
                .and_then(|inner| object_of("response_format.json_schema", inner))?;
            let schema = inner.get("schema").ok_or_else(|| {
                ApiError::invalid(
                    "response_format.json_schema.schema",
                    "response_format.json_schema needs a \"schema\"",
                )
            })?;
            let param = "response_format.json_schema.schema";
            Ok(Some(Found {
                spec: schema_value(param, schema)?,
                param: param.to_string(),
            }))
        }
        other => Err(ApiError::invalid(
            "response_format.type",
            format!(
                "response_format.type {other:?} is not one of \"json_schema\", \"json_object\", \"text\""
            ),
        )),
    }
}

/// vLLM's `structured_outputs`.
fn structured_outputs(value: &Value) -> Result<Option<Found>, ApiError> {
    let object = object_of("structured_outputs", value)?;
    let mut found = Vec::new();
    for (key, inner) in object {
        if inner.is_null() {
            continue;
        }
        let param = format!("structured_outputs.{key}");
        let spec = match key.as_str() {
            "json" => schema_value(&param, inner)?,
            "regex" => ConstraintSpec::Regex(string(&param, inner)?.to_string()),
            "choice" => choices(&param, inner)?,
            "grammar" => ConstraintSpec::Grammar(string(&param, inner)?.to_string()),
            "json_object" => match inner {
                Value::Bool(true) => ConstraintSpec::JsonObject,
                Value::Bool(false) => continue,
                _ => return Err(ApiError::invalid(param, "json_object must be a boolean")),
            },
            // rein never falls back and never writes free whitespace.
            "disable_fallback" | "disable_any_whitespace" => continue,
            "disable_additional_properties" if inner == &Value::Bool(false) => continue,
            _ => {
                return Err(ApiError::unsupported(
                    param.clone(),
                    format!("{param} is not supported; structured_outputs takes one of json, regex, choice, grammar, json_object"),
                ))
            }
        };
        found.push(Found { spec, param });
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(ApiError::invalid(
            "structured_outputs",
            format!(
                "structured_outputs takes one constraint, this one has {}",
                found.len()
            ),
        )),
    }
}

/// llama.cpp's `grammar` (GBNF text) or mistral.rs's
/// `{"type": …, "value": …}`.
fn grammar(value: &Value) -> Result<Option<Found>, ApiError> {
    if let Value::String(text) = value {
        return Ok(Some(Found {
            spec: ConstraintSpec::Grammar(text.clone()),
            param: "grammar".to_string(),
        }));
    }
    let object = object_of("grammar", value)?;
    let kind = object.get("type").and_then(Value::as_str).unwrap_or("");
    let inner = object.get("value").ok_or_else(|| {
        ApiError::invalid("grammar.value", "grammar needs a \"type\" and a \"value\"")
    })?;
    let param = "grammar.value".to_string();
    let spec = match kind {
        "regex" => ConstraintSpec::Regex(string(&param, inner)?.to_string()),
        "json_schema" => schema_value(&param, inner)?,
        "gbnf" => ConstraintSpec::Grammar(string(&param, inner)?.to_string()),
        "lark" | "llguidance" => {
            return Err(ApiError::unsupported(
                "grammar.type",
                format!("grammar.type {kind:?} is not supported: rein reads GBNF grammars (send the grammar as a string, or type \"regex\" or \"json_schema\")"),
            ))
        }
        other => {
            return Err(ApiError::invalid(
                "grammar.type",
                format!("grammar.type {other:?} is not one of \"regex\", \"json_schema\", \"gbnf\""),
            ))
        }
    };
    Ok(Some(Found { spec, param }))
}

/// A schema given as an object, a boolean, or JSON text.
fn schema_value(param: &str, value: &Value) -> Result<ConstraintSpec, ApiError> {
    match value {
        Value::Object(_) | Value::Bool(_) => Ok(ConstraintSpec::JsonSchema(value.clone())),
        Value::String(text) => serde_json::from_str(text)
            .map(ConstraintSpec::JsonSchema)
            .map_err(|error| {
                ApiError::invalid(
                    param,
                    format!(
                        "{param}: the schema text is not JSON at {}:{}: {error}",
                        error.line(),
                        error.column()
                    ),
                )
            }),
        _ => Err(ApiError::invalid(
            param,
            format!("{param} must be a JSON Schema (an object or a boolean)"),
        )),
    }
}

fn choices(param: &str, value: &Value) -> Result<ConstraintSpec, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::invalid(param, format!("{param} must be a list of strings")))?;
    let mut choices = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let text = item.as_str().ok_or_else(|| {
            ApiError::invalid(param, format!("{param}[{index}] must be a string"))
        })?;
        choices.push(text.to_string());
    }
    if choices.is_empty() {
        return Err(ApiError::invalid(
            param,
            format!("{param} must hold at least one choice"),
        ));
    }
    Ok(ConstraintSpec::Choice(choices))
}

fn string<'a>(param: &str, value: &'a Value) -> Result<&'a str, ApiError> {
    value
        .as_str()
        .ok_or_else(|| ApiError::invalid(param, format!("{param} must be a string")))
}

fn object_of<'a>(param: &str, value: &'a Value) -> Result<&'a Map<String, Value>, ApiError> {
    value
        .as_object()
        .ok_or_else(|| ApiError::invalid(param, format!("{param} must be an object")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn find_in(body: Value) -> Result<Option<Found>, ApiError> {
        find(body.as_object().expect("an object"))
    }

    fn spec(body: Value) -> ConstraintSpec {
        find_in(body).expect("accepted").expect("a constraint").spec
    }

    #[test]
    fn every_dialect_reads_into_one_spec() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "integer"}}});
        let as_schema = ConstraintSpec::JsonSchema(schema.clone());
        assert_eq!(
            spec(
                json!({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema, "strict": true}}})
            ),
            as_schema
        );
        assert_eq!(
            spec(json!({"structured_outputs": {"json": schema}})),
            as_schema
        );
        assert_eq!(spec(json!({"guided_json": schema})), as_schema);
        assert_eq!(spec(json!({"json_schema": schema.to_string()})), as_schema);
        assert_eq!(spec(json!({"json_schema": schema})), as_schema);
        assert_eq!(
            spec(json!({"grammar": {"type": "json_schema", "value": schema}})),
            as_schema
        );
        let regex = ConstraintSpec::Regex("[0-9]+".to_string());
        for body in [
            json!({"guided_regex": "[0-9]+"}),
            json!({"regex": "[0-9]+"}),
            json!({"structured_outputs": {"regex": "[0-9]+"}}),
            json!({"grammar": {"type": "regex", "value": "[0-9]+"}}),
        ] {
            assert_eq!(spec(body), regex);
        }
        let choice = ConstraintSpec::Choice(vec!["yes".to_string(), "no".to_string()]);
        assert_eq!(spec(json!({"guided_choice": ["yes", "no"]})), choice);
        assert_eq!(
            spec(json!({"structured_outputs": {"choice": ["yes", "no"]}})),
            choice
        );
        let grammar = ConstraintSpec::Grammar("root ::= \"a\"".to_string());
        for body in [
            json!({"grammar": "root ::= \"a\""}),
            json!({"guided_grammar": "root ::= \"a\""}),
            json!({"ebnf": "root ::= \"a\""}),
            json!({"structured_outputs": {"grammar": "root ::= \"a\""}}),
        ] {
            assert_eq!(spec(body), grammar);
        }
        assert_eq!(
            spec(json!({"response_format": {"type": "json_object"}})),
            ConstraintSpec::JsonObject
        );
        assert_eq!(
            spec(json!({"structured_outputs": {"json_object": true}})),
            ConstraintSpec::JsonObject
        );
    }

    #[test]
    fn no_constraint_is_none() {
        assert_eq!(find_in(json!({"messages": []})).unwrap(), None);
        assert_eq!(
            find_in(json!({"response_format": {"type": "text"}})).unwrap(),
            None
        );
        assert_eq!(find_in(json!({"guided_json": null})).unwrap(), None);
    }

    #[test]
    fn two_constraints_are_an_error_naming_both() {
        let error =
            find_in(json!({"guided_regex": "a", "response_format": {"type": "json_object"}}))
                .unwrap_err();
        assert_eq!(error.status, 400);
        assert!(
            error.message.contains("response_format"),
            "{}",
            error.message
        );
        assert!(error.message.contains("guided_regex"), "{}", error.message);
        let error =
            find_in(json!({"structured_outputs": {"regex": "a", "choice": ["a"]}})).unwrap_err();
        assert!(
            error.message.contains("one constraint"),
            "{}",
            error.message
        );
    }

    #[test]
    fn fields_rein_cannot_honour_are_named() {
        for (body, param) in [
            (
                json!({"grammar": {"type": "lark", "value": "start: \"a\""}}),
                "grammar.type",
            ),
            (
                json!({"guided_whitespace_pattern": " "}),
                "guided_whitespace_pattern",
            ),
            (
                json!({"structured_outputs": {"structural_tag": "x"}}),
                "structured_outputs.structural_tag",
            ),
            (
                json!({"structured_outputs": {"disable_additional_properties": true}}),
                "structured_outputs.disable_additional_properties",
            ),
        ] {
            let error = find_in(body).unwrap_err();
            assert_eq!(error.param.as_deref(), Some(param));
            assert_eq!(error.code, "unsupported_parameter");
        }
    }

    #[test]
    fn malformed_fields_say_where() {
        let error = find_in(json!({"json_schema": "{\"type\": "})).unwrap_err();
        assert!(error.message.contains("1:"), "{}", error.message);
        let error = find_in(json!({"guided_choice": ["a", 3]})).unwrap_err();
        assert!(
            error.message.contains("guided_choice[1]"),
            "{}",
            error.message
        );
        let error = find_in(json!({"response_format": {"type": "json_schema"}})).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("response_format.json_schema"));
        let error = find_in(json!({"response_format": {"type": "xml"}})).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("response_format.type"));
    }
}
