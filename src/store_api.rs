//! `sqliteStoreHeld(path)`: whether an integration holds a SQLite store, for the command's
//! read-only views (not part of the package's public API).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::js_error::{to_js, ApiError, ErrorKind};

/// Looks at the store's lock without taking it; an unreadable lock file is ERR_STORE_OPEN.
#[napi(catch_unwind)]
pub fn sqlite_store_held(env: Env, path: String) -> Result<bool> {
    let held = tickflow_core::store::held(&path).map_err(|e| {
        ApiError::new(
            ErrorKind::Plain,
            "ERR_STORE_OPEN",
            format!("{path}: cannot read its lock file: {e}"),
        )
    });
    to_js(&env, held)
}
