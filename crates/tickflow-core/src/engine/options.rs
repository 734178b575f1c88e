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
    "nodeId",
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
    Postgres(crate::cluster::ClusterOptions),
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
    // Checked on every store (a node's name means something only on PostgreSQL).
    let mut node_id = match o.string("nodeId")? {
        Some(id) if id.contains('\0') => {
            return Err(super::value::nul_error(&o.path("nodeId"), &id))
        }
        Some(id) if !id.is_empty() && id.len() <= 200 => Some(id),
        Some(id) => {
            return Err(range_error(
                &o.path("nodeId"),
                "ERR_INVALID_OPTION_VALUE",
                "expected 1 to 200 characters".into(),
                &Value::String(id),
            ))
        }
        None => None,
    };
    let store = match o.get("store") {
        None => StoreOptions::Memory,
        // A connection string where the store's options belong: shown without its password.
        Some(Value::String(text)) => {
            return Err(type_error(
                &o.path("store"),
                "an object such as { type: 'postgres', connectionString }",
                &Value::String(crate::cluster::redact(text)),
            ))
        }
        Some(s) => {
            let s = Fields::new(
                s,
                &o.path("store"),
                &[
                    "type",
                    "path",
                    "readonly",
                    "synchronous",
                    "connectionString",
                    "schema",
                    "poolSize",
                    "commandTimeoutMs",
                ],
            )?;
            match s.choice("type", &["memory", "sqlite", "postgres"])? {
                Some("postgres") => {
                    let connection_string = s.string("connectionString")?.ok_or_else(|| {
                        type_error(
                            &s.path("connectionString"),
                            "a PostgreSQL connection string (postgres://user@host/db)",
                            &Value::Null,
                        )
                    })?;
                    if connection_string.trim().is_empty() {
                        return Err(range_error(
                            &s.path("connectionString"),
                            "ERR_INVALID_OPTION_VALUE",
                            "expected a PostgreSQL connection string".into(),
                            &Value::String(connection_string),
                        ));
                    }
                    let schema = s.string("schema")?.unwrap_or_else(|| "tickflow".into());
                    if !crate::cluster::valid_schema_name(&schema) {
                        return Err(range_error(
                            &s.path("schema"),
                            "ERR_INVALID_OPTION_VALUE",
                            format!(
                                "expected a lower-case SQL identifier (letters, digits, _; at most {} characters, so that the names tickflow derives from it fit PostgreSQL's 63; not pg_…)",
                                crate::cluster::MAX_SCHEMA_NAME
                            ),
                            &Value::String(schema),
                        ));
                    }
                    let pool_size = s.integer("poolSize", 1, 100)?.unwrap_or(5) as usize;
                    let command_timeout_ms = s
                        .integer("commandTimeoutMs", 100, 3_600_000)?
                        .unwrap_or(crate::cluster::COMMAND_TIMEOUT_MS);
                    let node_id = node_id.take().unwrap_or_else(default_node_id);
                    StoreOptions::Postgres(crate::cluster::ClusterOptions {
                        connection_string,
                        schema,
                        pool_size,
                        node_id,
                        command_timeout_ms,
                        observer: s.boolean("readonly")?.unwrap_or(false),
                    })
                }
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
                        "'memory', 'sqlite' or 'postgres'",
                        &Value::Null,
                    ))
                }
                _ => StoreOptions::Memory,
            }
        }
    };
    let manual = o.choice("clock", &["system", "manual"])? == Some("manual");
    if manual && matches!(store, StoreOptions::Postgres(_)) {
        return Err(range_error(
            &o.path("clock"),
            "ERR_INVALID_OPTION_VALUE",
            "a manual clock runs one process on its own; a PostgreSQL store runs on the database's clock (use the memory or SQLite store in tests that move time by hand)".into(),
            &Value::String("manual".into()),
        ));
    }
    let start = o.date("startTime")?;
    let manual_start = manual.then(|| start.unwrap_or_else(Utc::now));
    Ok(IntegrationOptions {
        engine,
        manual_start,
        store,
    })
}

/// host-pid: tells the nodes of a cluster apart in records and status.
fn default_node_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!("{host}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cluster(store: Value) -> crate::cluster::ClusterOptions {
        match parse_options(&json!({ "store": store })).unwrap().store {
            StoreOptions::Postgres(options) => options,
            _ => panic!("not a PostgreSQL store"),
        }
    }

    #[test]
    fn a_readonly_postgres_store_is_an_observer_and_a_plain_one_a_node() {
        let url = "postgres://u@h/db";
        let node = cluster(json!({ "type": "postgres", "connectionString": url }));
        assert!(!node.observer);
        let observer =
            cluster(json!({ "type": "postgres", "connectionString": url, "readonly": true }));
        assert!(observer.observer);
        let bad = parse_options(
            &json!({ "store": { "type": "postgres", "connectionString": url, "readonly": "yes" } }),
        )
        .err()
        .expect("refused");
        assert_eq!(bad.path, "options.store.readonly");
    }
}
