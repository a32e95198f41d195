//! Small questions about schema values that the rewriting modules
//! (`merge`, `negate`) and the compiler all ask: which type names a `type`
//! keyword lists, and whether a schema lets everything through. A leaf
//! module, so the modules that share them need not import each other.

use serde_json::Value;

/// Whether `schema` allows anything (`true` or `{}`).
pub(crate) fn is_trivial(schema: &Value) -> bool {
    match schema {
        Value::Bool(b) => *b,
        Value::Object(object) => object.is_empty(),
        _ => false,
    }
}

/// The JSON type names a `type` value allows (`integer` inside `number`).
pub(crate) fn type_names(value: &Value) -> Vec<String> {
    match value {
        Value::String(name) => vec![name.clone()],
        Value::Array(names) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}
