//! Readers for JavaScript arguments. Each checks the type and range it needs and reports the
//! argument's path on failure; nothing is coerced silently.

use chrono::{DateTime, Utc};
use napi::bindgen_prelude::*;
use napi::{JsDate, JsValue, ValueType};

use crate::js_error::{ApiError, ApiResult, ErrorKind};

fn type_name(value: &Unknown) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "boolean",
        Ok(ValueType::Number) => "number",
        Ok(ValueType::String) => "string",
        Ok(ValueType::Symbol) => "symbol",
        Ok(ValueType::Function) => "function",
        Ok(ValueType::BigInt) => "bigint",
        Ok(ValueType::Object) if value.is_array().unwrap_or(false) => "array",
        Ok(ValueType::Object) if value.is_date().unwrap_or(false) => "Date",
        Ok(ValueType::Object) => "object",
        _ => "unknown",
    }
}

pub fn wrong_type(path: &str, expected: &str, value: &Unknown) -> ApiError {
    ApiError::new(
        ErrorKind::Type,
        "ERR_INVALID_ARG_TYPE",
        format!("expected {expected}, got {}", type_name(value)),
    )
    .at(path, Some(value.raw()))
}

pub fn out_of_range(path: &str, message: String, value: &Unknown) -> ApiError {
    ApiError::new(ErrorKind::Range, "ERR_OUT_OF_RANGE", message).at(path, Some(value.raw()))
}

/// `undefined` and `null` both mean "not given".
pub fn is_absent(value: &Unknown) -> bool {
    matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null))
}

pub fn string(value: &Unknown, path: &str) -> ApiResult<String> {
    if !matches!(value.get_type(), Ok(ValueType::String)) {
        return Err(wrong_type(path, "a string", value));
    }
    unsafe { value.cast::<String>() }.map_err(|e| {
        ApiError::new(ErrorKind::Type, "ERR_INVALID_ARG_TYPE", e.reason.clone())
            .at(path, Some(value.raw()))
    })
}

pub fn number(value: &Unknown, path: &str) -> ApiResult<f64> {
    if !matches!(value.get_type(), Ok(ValueType::Number)) {
        return Err(wrong_type(path, "a number", value));
    }
    unsafe { value.cast::<f64>() }.map_err(|_| wrong_type(path, "a number", value))
}

/// A whole number in `min..=max`; NaN, Infinity and fractions are refused.
pub fn integer(value: &Unknown, path: &str, min: u64, max: u64) -> ApiResult<u64> {
    let n = number(value, path)?;
    if !n.is_finite() || n.fract() != 0.0 || n < min as f64 || n > max as f64 {
        return Err(out_of_range(
            path,
            format!("expected a whole number from {min} to {max}, got {n}"),
            value,
        ));
    }
    Ok(n as u64)
}

/// A Date, or an ISO 8601 date-time string with a zone offset.
pub fn date(value: &Unknown, path: &str) -> ApiResult<DateTime<Utc>> {
    if matches!(value.get_type(), Ok(ValueType::String)) {
        let text = string(value, path)?;
        return tickflow_core::engine::value::parse_iso(&text).map_err(|why| {
            ApiError::new(ErrorKind::Range, "ERR_INVALID_DATE", why).at(path, Some(value.raw()))
        });
    }
    if !value.is_date().unwrap_or(false) {
        return Err(wrong_type(path, "a Date or an ISO 8601 string", value));
    }
    let ms = unsafe { value.cast::<JsDate>() }
        .and_then(|d| d.value_of())
        .map_err(|_| wrong_type(path, "a Date", value))?;
    DateTime::from_timestamp_millis(ms as i64)
        .filter(|_| ms.is_finite())
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::Range,
                "ERR_INVALID_DATE",
                "expected a valid Date, got Invalid Date",
            )
            .at(path, Some(value.raw()))
        })
}

/// One of `allowed`, as a string.
pub fn choice(value: &Unknown, path: &str, allowed: &[&'static str]) -> ApiResult<&'static str> {
    let s = string(value, path)?;
    allowed.iter().copied().find(|a| *a == s).ok_or_else(|| {
        ApiError::new(
            ErrorKind::Range,
            "ERR_INVALID_OPTION_VALUE",
            format!(
                "expected one of '{}', got '{}'",
                allowed.join("', '"),
                clip(&s)
            ),
        )
        .at(path, Some(value.raw()))
    })
}

/// An options object: checks it is a plain object and that every key is known.
pub fn options<'a>(
    value: Option<&Unknown<'a>>,
    path: &str,
    known: &[&str],
) -> ApiResult<Option<Object<'a>>> {
    let Some(value) = value.filter(|v| !is_absent(v)) else {
        return Ok(None);
    };
    if !matches!(value.get_type(), Ok(ValueType::Object))
        || value.is_array().unwrap_or(false)
        || value.is_date().unwrap_or(false)
    {
        return Err(wrong_type(path, "an options object", value));
    }
    let obj: Object =
        unsafe { value.cast() }.map_err(|_| wrong_type(path, "an options object", value))?;
    let names: Vec<String> = obj
        .get_property_names()
        .and_then(|names| {
            let len = names.get_array_length()?;
            (0..len).map(|i| names.get_element::<String>(i)).collect()
        })
        .unwrap_or_default();
    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(ApiError::new(
            ErrorKind::Type,
            "ERR_UNKNOWN_OPTION",
            format!(
                "unknown option '{}'; known options: {}",
                clip(unknown),
                known.join(", ")
            ),
        )
        // The mistake is the key; its value may be a secret (a misplaced password).
        .at(&format!("{path}.{}", clip(unknown)), None));
    }
    Ok(Some(obj))
}

/// A property of an options object, or `None` when absent (undefined or null).
pub fn field<'a>(obj: &Object<'a>, name: &str) -> Option<Unknown<'a>> {
    obj.get_named_property::<Unknown>(name)
        .ok()
        .filter(|v| !is_absent(v))
}

/// Long user strings are cut in messages (the full value stays on `error.value`).
pub fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}
