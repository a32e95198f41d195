//! Prompts for extraction: how the schema and the document are shown to
//! the model.
//!
//! The constraint decides what the output may be; the prompt decides what
//! the model wants to write inside it. Three styles, compared on rein's
//! labelled set by `rein bench tasks` (figures in `bench/README.md`):
//!
//! * `fields` (the default): a short list of the fields, each with its type
//!   and description, as the system message; the document as the user
//!   message;
//! * `schema`: the JSON Schema itself as the system message;
//! * `fields-user`: the field list and the document in one user message.
//!
//! Any style can show a worked example first (`--example`): a document
//! and its answer as a turn of the chat.

use clap::ValueEnum;
use rein_runtime::{Prompt, Role};
use serde_json::Value;

/// How the schema is shown to the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum PromptStyle {
    /// The fields with types and descriptions, as the system message.
    #[default]
    Fields,
    /// The JSON Schema as the system message.
    Schema,
    /// The fields and the document in one user message.
    FieldsUser,
}

/// The prompt of one extraction, without its document.
#[derive(Clone, Debug)]
pub struct ExtractionPrompt {
    style: PromptStyle,
    instructions: String,
    /// A worked example: a document and its answer, shown as a turn
    /// before the document.
    example: Option<(String, String)>,
}

impl ExtractionPrompt {
    /// The prompt for `schema` in `style`, with the user's own words first
    /// when given.
    pub fn new(style: PromptStyle, schema: &Value, extra: Option<&str>) -> ExtractionPrompt {
        let mut instructions = String::new();
        if let Some(extra) = extra {
            instructions.push_str(extra.trim());
            instructions.push('\n');
        }
        match style {
            PromptStyle::Schema => {
                instructions.push_str(
                    "Extract the information from the document. Answer with one JSON object that follows this JSON Schema:\n",
                );
                instructions.push_str(&serde_json::to_string(schema).unwrap_or_default());
            }
            PromptStyle::Fields | PromptStyle::FieldsUser => {
                instructions.push_str(
                    "Extract these fields from the document and answer with one JSON object:\n",
                );
                instructions.push_str(&field_list(schema));
                instructions.push_str("Copy names and values exactly as the document writes them.");
            }
        }
        ExtractionPrompt {
            style,
            instructions,
            example: None,
        }
    }

    /// The same prompt with a worked example: `document` and its answer
    /// `output`, written as the constraint writes JSON.
    pub fn with_example(mut self, document: &str, output: &str) -> ExtractionPrompt {
        self.example = Some((document.to_string(), output.to_string()));
        self
    }

    /// The prompt for one document.
    pub fn prompt(&self, document: &str) -> Prompt {
        let user = |document: &str| match self.style {
            PromptStyle::Fields | PromptStyle::Schema => document.to_string(),
            PromptStyle::FieldsUser => format!("{}\n\nDocument:\n{document}", self.instructions),
        };
        let mut messages = Vec::new();
        if self.style != PromptStyle::FieldsUser {
            messages.push((Role::System, self.instructions.clone()));
        }
        if let Some((example, answer)) = &self.example {
            messages.push((Role::User, user(example)));
            messages.push((Role::Assistant, answer.clone()));
        }
        messages.push((Role::User, user(document)));
        Prompt::Chat(messages)
    }
}

/// `- name (type): description` for each property of an object schema, in
/// schema order; a schema that is not an object with properties gets one
/// line naming its type.
fn field_list(schema: &Value) -> String {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        let kind = type_name(schema);
        return format!("- the value ({kind})\n");
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut out = String::new();
    for (name, property) in properties {
        out.push_str(&format!("- {name} ({}", type_name(property)));
        if !required.contains(&name.as_str()) {
            out.push_str(", optional");
        }
        out.push(')');
        if let Some(description) = property.get("description").and_then(Value::as_str) {
            out.push_str(": ");
            out.push_str(description);
        }
        out.push('\n');
    }
    out
}

/// A short name of a schema's type: `string`, `integer`, `list of string`,
/// `one of "EUR", "USD"`.
fn type_name(schema: &Value) -> String {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let listed: Vec<String> = values.iter().map(Value::to_string).collect();
        return format!("one of {}", listed.join(", "));
    }
    match schema.get("type") {
        Some(Value::String(kind)) if kind == "array" => match schema.get("items") {
            Some(items) => format!("list of {}", type_name(items)),
            None => "list".to_string(),
        },
        Some(Value::String(kind)) => match schema.get("format").and_then(Value::as_str) {
            Some(format) => format!("{kind}, {format}"),
            None => kind.clone(),
        },
        Some(Value::Array(kinds)) => {
            let names: Vec<String> = kinds
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
            names.join(" or ")
        }
        _ => "value".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_list_types_descriptions_and_optional_members() {
        let schema = json!({
            "type": "object",
            "properties": {
                "title": {"type": "string", "description": "The title"},
                "year": {"type": "integer"},
                "cast": {"type": "array", "items": {"type": "string"}},
                "currency": {"enum": ["EUR", "USD"]},
                "date": {"type": "string", "format": "date"}
            },
            "required": ["title", "year"]
        });
        // Members come in the map's order (the schema's, with serde_json's
        // `preserve_order`).
        let mut lines: Vec<String> = field_list(&schema).lines().map(String::from).collect();
        lines.sort();
        assert_eq!(
            lines,
            [
                "- cast (list of string, optional)",
                "- currency (one of \"EUR\", \"USD\", optional)",
                "- date (string, date, optional)",
                "- title (string): The title",
                "- year (integer)",
            ]
        );
        let prompt = ExtractionPrompt::new(PromptStyle::FieldsUser, &schema, Some("Be careful."));
        let Prompt::Chat(messages) = prompt.prompt("DOC") else {
            panic!("a chat prompt");
        };
        assert_eq!(messages.len(), 1);
        assert!(messages[0]
            .1
            .starts_with("Be careful.\nExtract these fields"));
        assert!(messages[0].1.ends_with("Document:\nDOC"));
    }
}
