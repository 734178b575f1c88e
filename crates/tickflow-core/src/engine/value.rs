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
        Value::Object(o) if o.contains_key("$date") => "Date",
        Value::Object(_) => "object",
    }
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
            Value::Object(map) if !map.contains_key("$date") => map,
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

    /// A non-empty string of at most 256 characters (ids and names).
    pub fn ident(&self, key: &str) -> FieldResult<Option<String>> {
        match self.string(key)? {
            Some(s) if s.is_empty() || s.chars().count() > 256 => Err(range_error(
                &self.path(key),
                "ERR_OUT_OF_RANGE",
                format!("expected 1 to 256 characters, got {}", s.chars().count()),
                &Value::String(s),
            )),
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
            Some(v @ Value::Object(map)) if !map.contains_key("$date") => Ok(Some(v.clone())),
            Some(other) => Err(type_error(&self.path(key), "an object", other)),
        }
    }
}

pub fn date_value(v: &Value, path: &str) -> FieldResult<DateTime<Utc>> {
    let ms = match v {
        Value::Object(map) if map.len() == 1 => map.get("$date"),
        _ => None,
    };
    let Some(ms) = ms else {
        return Err(type_error(path, "a Date", v));
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

pub fn date_json(at: DateTime<Utc>) -> Value {
    serde_json::json!({ "$date": at.timestamp_millis() })
}
