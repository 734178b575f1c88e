//! Writing the engine's messages as JSON text directly: a message is built once per fire
//! or attempt, so it skips the intermediate `serde_json::Value` tree, and each schedule's
//! fixed parts (ids, metadata, variables) are serialized once, when it is configured.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::Value;

/// A JSON string literal for `s`, appended to `out`, escaped as JSON requires. Ids and
/// names rarely need escaping, so the plain case copies the text in one piece.
pub fn push_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        plain = i + 1;
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// `value` as JSON text. `Value::to_string` goes through `core::fmt` a token at a time;
/// serde_json's writer is several times faster, and configs are written 100,000 at a time.
pub fn json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// `,"key":` for a key that needs no escaping (the engine's own field names).
fn push_key(out: &mut String, key: &str) {
    debug_assert!(key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'$' || b == b'_'));
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
}

/// `,"key":` then the raw JSON `value`.
pub fn push_raw(out: &mut String, key: &str, value: &str) {
    push_key(out, key);
    out.push_str(value);
}

/// `,"key":` then `value` as a JSON string.
pub fn push_string(out: &mut String, key: &str, value: &str) {
    push_key(out, key);
    push_str(out, value);
}

/// `,"key":` then a number.
pub fn push_number(out: &mut String, key: &str, value: impl std::fmt::Display) {
    push_key(out, key);
    let _ = write!(out, "{value}");
}

pub fn push_date(out: &mut String, key: &str, ms: i64) {
    let _ = write!(out, ",\"{key}\":{{\"$date\":{ms}}}");
}

/// `,"key":` then a date, or `null`.
pub fn push_opt_date(out: &mut String, key: &str, ms: Option<i64>) {
    match ms {
        Some(ms) => push_date(out, key, ms),
        None => push_raw(out, key, "null"),
    }
}

/// Appends each field of a JSON object as `,"key":value`.
pub fn push_fields(out: &mut String, payload: &Value) {
    if let Value::Object(map) = payload {
        for (key, value) in map {
            out.push(',');
            push_str(out, key);
            out.push(':');
            out.push_str(&value.to_string());
        }
    }
}

/// The fixed parts of a schedule's messages: its ids, and its metadata, variables and
/// environment serialized once. Shared (`Arc`) by the schedule and every message about it,
/// so that the binding can tell which version JavaScript already has.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fragments {
    pub config_id: Arc<str>,
    pub schedule_id: Arc<str>,
    pub workflow_id: Arc<str>,
    /// The usual `{}` and `null` are shared static text: most schedules have no metadata,
    /// variables or environment, and an allocation each would cost an idle schedule ~100 B.
    pub metadata: Cow<'static, str>,
    pub variables: Cow<'static, str>,
    /// `null` or a JSON string.
    pub environment: Cow<'static, str>,
}

fn shared(text: String) -> Cow<'static, str> {
    match text.as_str() {
        "{}" => Cow::Borrowed("{}"),
        "null" => Cow::Borrowed("null"),
        _ => Cow::Owned(text),
    }
}

impl Fragments {
    pub fn new(
        config_id: &str,
        schedule_id: &str,
        workflow_id: &str,
        metadata: &Value,
        variables: &Value,
        environment: Option<&str>,
    ) -> Fragments {
        // The schedule id is the config id unless given: one allocation for both.
        let config_id: Arc<str> = config_id.into();
        let same_or_new = |id: &str| -> Arc<str> {
            if id == &*config_id {
                config_id.clone()
            } else {
                id.into()
            }
        };
        Fragments {
            schedule_id: same_or_new(schedule_id),
            workflow_id: same_or_new(workflow_id),
            config_id,
            metadata: shared(json(metadata)),
            variables: shared(json(variables)),
            environment: shared(
                serde_json::to_string(&environment).unwrap_or_else(|_| "null".into()),
            ),
        }
    }

    /// These ids with no metadata, variables or environment: for an execution whose
    /// schedule is gone.
    pub fn bare(config_id: &str, schedule_id: &str, workflow_id: &str) -> Fragments {
        Fragments {
            config_id: config_id.into(),
            schedule_id: schedule_id.into(),
            workflow_id: workflow_id.into(),
            metadata: Cow::Borrowed("{}"),
            variables: Cow::Borrowed("{}"),
            environment: Cow::Borrowed("null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fragments_and_fields_make_valid_json() {
        let f = Fragments::new("c\"1", "s", "w", &json!({ "k": [1, 2] }), &json!({}), None);
        let mut out = String::from("{");
        crate::engine::outbound::push_ids(&mut out, &f);
        out.remove(1);
        push_raw(&mut out, "metadata", &f.metadata);
        push_date(&mut out, "at", 42);
        push_fields(&mut out, &json!({ "reason": "x\ny" }));
        push_string(&mut out, "text", "tab\t \"quote\" \\ \u{1} é");
        push_number(&mut out, "n", 7);
        push_opt_date(&mut out, "none", None);
        out.push('}');
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v,
            json!({ "scheduledWorkflowId": "c\"1", "scheduleId": "s", "workflowId": "w", "metadata": { "k": [1, 2] }, "at": { "$date": 42 }, "reason": "x\ny", "text": "tab\t \"quote\" \\ \u{1} é", "n": 7, "none": null })
        );
    }
}
