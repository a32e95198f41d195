//! JSON Schema drafts, picked by `$schema`; the caller's default (2020-12
//! unless set otherwise) when it is absent.
//!
//! Only the differences the compiler needs are modelled: boolean
//! `exclusiveMinimum` (draft 4), `$ref` siblings (ignored before 2019-09),
//! which assertion keywords exist (`if` from draft 7, `prefixItems` from
//! 2020-12, …, [`Draft::defines`], kept with the keyword table) and the validator to
//! check outputs with.

use serde_json::Value;

/// A JSON Schema draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Draft {
    /// Draft 4.
    Draft4,
    /// Draft 6.
    Draft6,
    /// Draft 7.
    Draft7,
    /// Draft 2019-09.
    Draft201909,
    /// Draft 2020-12 (the default).
    Draft202012,
}

impl Draft {
    /// The draft `schema`'s `$schema` names; `default` when it names none,
    /// 2020-12 when it names one rein does not know.
    pub fn of(schema: &Value, default: Draft) -> Draft {
        let Some(uri) = schema.get("$schema").and_then(Value::as_str) else {
            return default;
        };
        if uri.contains("draft-04") {
            Draft::Draft4
        } else if uri.contains("draft-06") {
            Draft::Draft6
        } else if uri.contains("draft-07") {
            Draft::Draft7
        } else if uri.contains("2019-09") {
            Draft::Draft201909
        } else {
            Draft::Draft202012
        }
    }

    /// Whether keywords next to `$ref` apply (2019-09 on) or are ignored.
    pub fn ref_has_siblings(self) -> bool {
        self >= Draft::Draft201909
    }

    /// The `jsonschema` crate's name for this draft.
    pub(crate) fn validator_draft(self) -> jsonschema::Draft {
        match self {
            Draft::Draft4 => jsonschema::Draft::Draft4,
            Draft::Draft6 => jsonschema::Draft::Draft6,
            Draft::Draft7 => jsonschema::Draft::Draft7,
            Draft::Draft201909 => jsonschema::Draft::Draft201909,
            Draft::Draft202012 => jsonschema::Draft::Draft202012,
        }
    }
}
