//! Writing the engine's messages as JSON text directly: a message is built once per fire
//! or attempt, so it skips the intermediate `serde_json::Value` tree, and each schedule's
//! fixed parts (ids, metadata, variables) are serialized once, when it is configured.

use std::fmt::Write as _;

use serde_json::Value;

/// A JSON string literal for `s`, appended to `out`.
pub fn push_str(out: &mut String, s: &str) {
    // serde_json escapes exactly as JSON needs; writing into a String cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// `,"key":` then the raw JSON `value`.
pub fn push_raw(out: &mut String, key: &str, value: &str) {
    out.push(',');
    push_str(out, key);
    out.push(':');
    out.push_str(value);
}

pub fn push_date(out: &mut String, key: &str, ms: i64) {
    let _ = write!(out, ",\"{key}\":{{\"$date\":{ms}}}");
}

/// Appends each field of a JSON object as `,"key":value`.
pub fn push_fields(out: &mut String, payload: &Value) {
    if let Value::Object(map) = payload {
        for (key, value) in map {
            push_raw(out, key, &value.to_string());
        }
    }
}

/// The fixed parts of a schedule's messages, serialized once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fragments {
    /// `"id":…,"scheduleId":…,"workflowId":…`
    pub ids: String,
    pub metadata: String,
    pub variables: String,
    /// `null` or a JSON string.
    pub environment: String,
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
        let mut ids = String::from("\"id\":");
        push_str(&mut ids, config_id);
        push_raw(
            &mut ids,
            "scheduleId",
            &serde_json::to_string(schedule_id).unwrap_or_default(),
        );
        push_raw(
            &mut ids,
            "workflowId",
            &serde_json::to_string(workflow_id).unwrap_or_default(),
        );
        Fragments {
            ids,
            metadata: metadata.to_string(),
            variables: variables.to_string(),
            environment: serde_json::to_string(&environment).unwrap_or_else(|_| "null".into()),
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
        out.push_str(&f.ids);
        push_raw(&mut out, "metadata", &f.metadata);
        push_date(&mut out, "at", 42);
        push_fields(&mut out, &json!({ "reason": "x\ny" }));
        out.push('}');
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v,
            json!({ "id": "c\"1", "scheduleId": "s", "workflowId": "w", "metadata": { "k": [1, 2] }, "at": { "$date": 42 }, "reason": "x\ny" })
        );
    }
}
