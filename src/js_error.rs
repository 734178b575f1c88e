//! One place where Rust errors become JavaScript errors.
//!
//! Every error thrown to JS is a TypeError, RangeError or Error with a stable `code`, and,
//! when an argument is at fault, its `path` (`options.count`) and the bad `value`.

use napi::bindgen_prelude::*;
use napi::{sys, JsRangeError, JsTypeError};
use tickflow_core::cron::CronError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Type,
    Range,
    Plain,
}

/// An error on its way to JS, boxed: results that may carry one stay small on the paths
/// that succeed.
#[derive(Debug)]
pub struct ApiError(Box<ApiErrorFields>);

/// What an `ApiError` says. `value` is the offending JS value, valid for the current call.
#[derive(Debug)]
pub struct ApiErrorFields {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    pub path: Option<String>,
    pub value: Option<sys::napi_value>,
    /// The bad value, when it comes from JSON rather than from a live JS value.
    pub value_json: Option<serde_json::Value>,
    /// Extra messages, exposed as `errors` (one per bad cron field).
    pub details: Vec<String>,
}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorFields;
    fn deref(&self) -> &ApiErrorFields {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorFields {
        &mut self.0
    }
}

impl ApiError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        ApiError(Box::new(ApiErrorFields {
            kind,
            code,
            message: message.into(),
            path: None,
            value: None,
            value_json: None,
            details: Vec::new(),
        }))
    }

    pub fn into_fields(self) -> ApiErrorFields {
        *self.0
    }

    pub fn with_json(mut self, value: serde_json::Value) -> Self {
        self.value_json = Some(value);
        self
    }

    pub fn at(mut self, path: &str, value: Option<sys::napi_value>) -> Self {
        self.message = format!("{path}: {}", self.message);
        self.path = Some(path.to_string());
        self.value = value;
        self
    }

    pub fn from_cron(err: CronError) -> Self {
        match err {
            CronError::InvalidPattern(errors) => {
                let mut e = ApiError::new(ErrorKind::Range, "ERR_INVALID_CRON", err_text(&errors));
                e.details = errors.iter().map(ToString::to_string).collect();
                e
            }
            CronError::UnknownTimezone(_) => {
                ApiError::new(ErrorKind::Range, "ERR_UNKNOWN_TIMEZONE", err.to_string())
            }
        }
    }

    /// Throws this error into JS and returns the error napi expects back, which tells it
    /// that an exception is already pending.
    pub fn throw(self, env: &Env) -> Error {
        match self.build(env).and_then(|obj| env.throw(obj)) {
            Ok(()) => Error::new(Status::PendingException, self.into_fields().message),
            // Building the object failed (the env is shutting down): let napi throw text.
            Err(_) => Error::new(Status::GenericFailure, self.into_fields().message),
        }
    }

    /// This error as a value napi can reject a promise with (an async task's failure).
    pub fn into_rejection(self, env: &Env) -> Error {
        match self.build(env) {
            Ok(obj) => Error::from(obj.to_unknown()),
            Err(_) => Error::new(Status::GenericFailure, self.into_fields().message),
        }
    }

    fn build<'a>(&self, env: &'a Env) -> Result<Object<'a>> {
        let base = Error::new(self.code, self.message.clone());
        let value = match self.kind {
            ErrorKind::Type => JsTypeError::from(base).into_unknown(*env),
            ErrorKind::Range => JsRangeError::from(base).into_unknown(*env),
            ErrorKind::Plain => napi::JsError::from(base).into_unknown(*env),
        };
        let mut obj: Object = unsafe { value.cast()? };
        if let Some(path) = &self.path {
            obj.set_named_property("path", path.as_str())?;
        }
        if let Some(raw) = self.value {
            let bad = unsafe { Unknown::from_raw_unchecked(env.raw(), raw) };
            obj.set_named_property("value", bad)?;
        }
        if let Some(json) = &self.value_json {
            obj.set_named_property("value", env.to_js_value(json)?)?;
        }
        if !self.details.is_empty() {
            obj.set_named_property("errors", self.details.clone())?;
        }
        Ok(obj)
    }
}

fn err_text(errors: &[tickflow_core::cron::SyntaxError]) -> String {
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("invalid cron pattern: {}", list.join("; "))
}

/// The binding's result type: errors are thrown with `ApiError::throw` at the boundary.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// Runs `body` and throws its error into JS, if any.
pub fn to_js<T>(env: &Env, result: ApiResult<T>) -> Result<T> {
    result.map_err(|e| e.throw(env))
}
