//! The integration's constructor options, checked.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::core::EngineOptions;
use super::value::{range_error, type_error, FieldResult, Fields};
use crate::cron;
use crate::store::{SqliteOptions, Synchronous};

const OPTION_KEYS: &[&str] = &[
    "store",
    "maxConcurrency",
    "defaultTimezone",
    "clock",
    "startTime",
    "historyRetention",
    "misfireThresholdMs",
    "environment",
];

/// Largest maxConcurrency accepted.
pub const MAX_CONCURRENCY: u64 = 100_000;

pub struct IntegrationOptions {
    pub engine: EngineOptions,
    /// Where a manual clock starts; `None` for the system clock.
    pub manual_start: Option<DateTime<Utc>>,
    pub store: StoreOptions,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreOptions {
    Memory,
    Sqlite(SqliteOptions),
}

pub fn parse_options(value: &Value) -> FieldResult<IntegrationOptions> {
    let empty = Value::Object(Default::default());
    let o = Fields::new(
        if value.is_null() { &empty } else { value },
        "options",
        OPTION_KEYS,
    )?;
    let mut engine = EngineOptions::default();
    if let Some(n) = o.integer("maxConcurrency", 1, MAX_CONCURRENCY)? {
        engine.max_concurrency = n as usize;
    }
    if let Some(name) = o.string("defaultTimezone")? {
        engine.default_zone = cron::parse_timezone(&name).map_err(|e| {
            range_error(
                &o.path("defaultTimezone"),
                "ERR_UNKNOWN_TIMEZONE",
                e.to_string(),
                &Value::String(name.clone()),
            )
        })?;
    }
    if let Some(ms) = o.integer("misfireThresholdMs", 0, 86_400_000)? {
        engine.misfire_threshold_ms = ms;
    }
    if let Some(environment) = o.string("environment")? {
        engine.environment = environment;
    }
    if let Some(h) = o.get("historyRetention") {
        let h = Fields::new(
            h,
            &o.path("historyRetention"),
            &["maxPerSchedule", "maxAgeMs"],
        )?;
        if let Some(n) = h.integer("maxPerSchedule", 1, 10_000_000)? {
            engine.history_max_per_schedule = n as usize;
        }
        if let Some(ms) = h.integer("maxAgeMs", 1, 100 * 366 * 86_400_000)? {
            engine.history_max_age_ms = Some(ms);
        }
    }
    let store = match o.get("store") {
        None => StoreOptions::Memory,
        Some(s) => {
            let s = Fields::new(
                s,
                &o.path("store"),
                &["type", "path", "readonly", "synchronous"],
            )?;
            match s.choice("type", &["memory", "sqlite"])? {
                Some("sqlite") => {
                    let path = s.string("path")?.ok_or_else(|| {
                        type_error(&s.path("path"), "a file path (string)", &Value::Null)
                    })?;
                    if path.is_empty() || path.contains('\0') {
                        return Err(range_error(
                            &s.path("path"),
                            "ERR_INVALID_OPTION_VALUE",
                            "expected a file path".into(),
                            &Value::String(path),
                        ));
                    }
                    let synchronous = match s.choice("synchronous", &["normal", "full"])? {
                        Some("full") => Synchronous::Full,
                        _ => Synchronous::Normal,
                    };
                    StoreOptions::Sqlite(SqliteOptions {
                        path,
                        readonly: s.boolean("readonly")?.unwrap_or(false),
                        synchronous,
                    })
                }
                None => {
                    return Err(type_error(
                        &s.path("type"),
                        "'memory' or 'sqlite'",
                        &Value::Null,
                    ))
                }
                _ => StoreOptions::Memory,
            }
        }
    };
    let manual = o.choice("clock", &["system", "manual"])? == Some("manual");
    let start = o.date("startTime")?;
    let manual_start = manual.then(|| start.unwrap_or_else(Utc::now));
    Ok(IntegrationOptions {
        engine,
        manual_start,
        store,
    })
}
