//! Reading user configuration out of JSON with field paths in every error.
//!
//! The binding hands configuration over as JSON in which each JavaScript `Date` is written
//! as `{"$date": <ms since epoch>}`; everything else is plain JSON.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Which JavaScript error class a problem maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Type,
    Range,
}

/// A problem with one field of the user's configuration.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FieldError {
    pub kind: Kind,
    pub code: &'static str,
    pub path: String,
    pub message: String,
    pub value: Value,
}

pub type FieldResult<T> = Result<T, FieldError>;

pub fn type_error(path: &str, expected: &str, value: &Value) -> FieldError {
    FieldError {
        kind: Kind::Type,
        code: "ERR_INVALID_ARG_TYPE",
        path: path.to_string(),
        message: format!("expected {expected}, got {}", describe(value)),
        value: value.clone(),
    }
}

pub fn range_error(path: &str, code: &'static str, message: String, value: &Value) -> FieldError {
    FieldError {
        kind: Kind::Range,
        code,
        path: path.to_string(),
        message,
        value: value.clone(),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(o) if is_date(o) => "Date",
        Value::Object(_) => "object",
    }
}

/// An id holding a NUL character: C strings, SQLite and PostgreSQL text each end or refuse
/// it differently, so it is refused here, at the check.
pub fn nul_error(path: &str, id: &str) -> FieldError {
    range_error(
        path,
        "ERR_INVALID_ID",
        "cannot hold a NUL character (\\0)".into(),
        &Value::String(id.to_string()),
    )
}

/// A Date as it crosses from JavaScript: `{ "$date": ms }` and no other key. A user's own
/// object of that shape arrives wrapped, as `{ "$esc": object }` (lib/json.js).
pub fn is_date(map: &Map<String, Value>) -> bool {
    map.len() == 1 && map.contains_key("$date")
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// An object whose keys are checked against a known list.
pub struct Fields<'a> {
    pub map: &'a Map<String, Value>,
    pub path: String,
}

impl<'a> Fields<'a> {
    pub fn new(value: &'a Value, path: &str, known: &[&str]) -> FieldResult<Fields<'a>> {
        let map = match value {
            Value::Object(map) if !is_date(map) => map,
            other => return Err(type_error(path, "an object", other)),
        };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(FieldError {
                kind: Kind::Type,
                code: "ERR_UNKNOWN_OPTION",
                path: join(path, unknown),
                message: format!(
                    "unknown field '{unknown}'; known fields: {}",
                    known.join(", ")
                ),
                // The mistake is the key; its value may be a secret (a misplaced password).
                value: Value::Null,
            });
        }
        Ok(Fields {
            map,
            path: path.to_string(),
        })
    }

    /// A field that is present and not null.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub fn string(&self, key: &str) -> FieldResult<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(type_error(&self.path(key), "a string", other)),
        }
    }

    /// A non-empty string of at most 256 characters without NUL (ids and names).
    pub fn ident(&self, key: &str) -> FieldResult<Option<String>> {
        match self.string(key)? {
            Some(s) if s.is_empty() || s.chars().count() > 256 => Err(range_error(
                &self.path(key),
                "ERR_OUT_OF_RANGE",
                format!("expected 1 to 256 characters, got {}", s.chars().count()),
                &Value::String(s),
            )),
            Some(s) if s.contains('\0') => Err(nul_error(&self.path(key), &s)),
            other => Ok(other),
        }
    }

    pub fn required_ident(&self, key: &str) -> FieldResult<String> {
        self.ident(key)?.ok_or_else(|| FieldError {
            kind: Kind::Type,
            code: "ERR_MISSING_FIELD",
            path: self.path(key),
            message: "is required".into(),
            value: Value::Null,
        })
    }

    pub fn boolean(&self, key: &str) -> FieldResult<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(type_error(&self.path(key), "a boolean", other)),
        }
    }

    /// A whole number in `min..=max`.
    pub fn integer(&self, key: &str, min: u64, max: u64) -> FieldResult<Option<u64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Some(n) = v.as_f64() else {
            return Err(type_error(&self.path(key), "a number", v));
        };
        if n.fract() != 0.0 || n < min as f64 || n > max as f64 {
            return Err(range_error(
                &self.path(key),
                "ERR_OUT_OF_RANGE",
                format!("expected a whole number from {min} to {max}, got {n}"),
                v,
            ));
        }
        Ok(Some(n as u64))
    }

    pub fn number(&self, key: &str, min: f64, max: f64) -> FieldResult<Option<f64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Some(n) = v.as_f64() else {
            return Err(type_error(&self.path(key), "a number", v));
        };
        if !(min..=max).contains(&n) {
            return Err(range_error(
                &self.path(key),
                "ERR_OUT_OF_RANGE",
                format!("expected a number from {min} to {max}, got {n}"),
                v,
            ));
        }
        Ok(Some(n))
    }

    pub fn date(&self, key: &str) -> FieldResult<Option<DateTime<Utc>>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => date_value(v, &self.path(key)).map(Some),
        }
    }

    pub fn choice(&self, key: &str, allowed: &[&'static str]) -> FieldResult<Option<&'static str>> {
        let Some(s) = self.string(key)? else {
            return Ok(None);
        };
        match allowed.iter().find(|a| **a == s) {
            Some(a) => Ok(Some(a)),
            None => Err(range_error(
                &self.path(key),
                "ERR_INVALID_OPTION_VALUE",
                format!("expected one of '{}', got '{s}'", allowed.join("', '")),
                &Value::String(s),
            )),
        }
    }

    pub fn strings(&self, key: &str) -> FieldResult<Option<Vec<String>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(type_error(
                        &format!("{}[{i}]", self.path(key)),
                        "a string",
                        other,
                    )),
                })
                .collect::<FieldResult<Vec<_>>>()
                .map(Some),
            Some(other) => Err(type_error(&self.path(key), "an array of strings", other)),
        }
    }

    /// A plain object (user data such as metadata or variables), kept as given.
    pub fn object(&self, key: &str) -> FieldResult<Option<Value>> {
        match self.get(key) {
            None => Ok(None),
            Some(v @ Value::Object(map)) if !is_date(map) => Ok(Some(v.clone())),
            Some(other) => Err(type_error(&self.path(key), "an object", other)),
        }
    }
}

/// A Date (`{ "$date": ms }`) or an ISO 8601 date-time string with a zone offset.
pub fn date_value(v: &Value, path: &str) -> FieldResult<DateTime<Utc>> {
    if let Value::String(text) = v {
        return parse_iso(text).map_err(|why| range_error(path, "ERR_INVALID_DATE", why, v));
    }
    let ms = match v {
        Value::Object(map) if map.len() == 1 => map.get("$date"),
        _ => None,
    };
    let Some(ms) = ms else {
        return Err(type_error(path, "a Date or an ISO 8601 string", v));
    };
    ms.as_f64()
        .filter(|ms| ms.is_finite())
        .and_then(|ms| DateTime::from_timestamp_millis(ms as i64))
        .ok_or_else(|| {
            range_error(
                path,
                "ERR_INVALID_DATE",
                "expected a valid Date, got Invalid Date".into(),
                v,
            )
        })
}

/// An ISO 8601 date-time in the RFC 3339 profile (`2026-01-31T09:00:00Z`,
/// `2026-01-31T10:00:00.250+01:00`), as `Date.toISOString` and JSON write them. One without
/// an offset is refused: its instant would depend on the zone of whichever host reads it.
pub fn parse_iso(text: &str) -> Result<DateTime<Utc>, String> {
    // Long text is cut in the message (the whole value stays on the error's `value`).
    let shown: String = text.chars().take(80).collect();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"));
    if local.is_ok() {
        return Err(format!(
            "'{shown}' has no zone offset: add 'Z' for UTC or an offset such as '+02:00'"
        ));
    }
    Err(format!(
        "expected an ISO 8601 date-time such as '2026-01-31T09:00:00Z', got '{shown}'"
    ))
}

pub fn date_json(at: DateTime<Utc>) -> Value {
    serde_json::json!({ "$date": at.timestamp_millis() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iso_strings_with_an_offset_are_dates() {
        let at = |v: Value| date_value(&v, "p").map(|d| d.timestamp_millis());
        assert_eq!(at(json!("1970-01-01T00:00:01Z")), Ok(1_000));
        assert_eq!(at(json!("1970-01-01T01:00:01.250+01:00")), Ok(1_250));
        assert_eq!(at(json!({ "$date": 7 })), Ok(7));
    }

    #[test]
    fn iso_strings_without_an_offset_or_malformed_are_range_errors_with_path_and_value() {
        for (text, says) in [
            ("2026-01-31T09:00:00", "no zone offset"),
            ("2026-01-31T09:00", "no zone offset"),
            ("2026-01-31", "expected an ISO 8601 date-time"),
            ("yesterday", "expected an ISO 8601 date-time"),
            ("2026-02-30T00:00:00Z", "expected an ISO 8601 date-time"),
        ] {
            let err = date_value(&json!(text), "config.scheduleConfig.startDate").unwrap_err();
            assert_eq!(
                (err.kind, err.code),
                (Kind::Range, "ERR_INVALID_DATE"),
                "{text}"
            );
            assert_eq!(err.path, "config.scheduleConfig.startDate");
            assert_eq!(err.value, json!(text));
            assert!(err.message.contains(says), "{text}: {}", err.message);
        }
        let err = date_value(&json!(5), "from").unwrap_err();
        assert_eq!(err.code, "ERR_INVALID_ARG_TYPE");
    }

    #[test]
    fn ids_with_nul_are_refused_with_their_path() {
        let v = json!({ "id": "a\u{0}b" });
        let f = Fields::new(&v, "config", &["id"]).unwrap();
        let err = f.ident("id").unwrap_err();
        assert_eq!(
            (err.kind, err.code, err.path.as_str()),
            (Kind::Range, "ERR_INVALID_ID", "config.id")
        );
        assert_eq!(err.value, json!("a\u{0}b"));
    }

    #[test]
    fn user_objects_with_a_date_key_are_objects_only_a_lone_date_key_is_a_date() {
        let v = json!({ "a": { "$date": 1, "x": 2 }, "b": { "$esc": { "$date": 1 } }, "c": { "$date": 1 } });
        let f = Fields::new(&v, "m", &["a", "b", "c"]).unwrap();
        assert!(f.object("a").unwrap().is_some());
        assert!(f.object("b").unwrap().is_some());
        assert_eq!(f.object("c").unwrap_err().code, "ERR_INVALID_ARG_TYPE");
    }
}
