//! Several nodes on one PostgreSQL database. The database decides: a schedule's row lock
//! serializes every change to that schedule and its executions, a unique index on
//! (schedule, scheduled instant) refuses a second run of an occurrence, `now()` says what
//! is due, and a node's lease plus a session advisory lock say whether it lives. Each node
//! keeps its schedules and the executions not final in its engine, fed by the changes other
//! nodes commit; finished work is read from the database (`history`).
//!
//! This module is the database side only (connections, schema, statements, the node's
//! session); `engine::cluster_driver` and `engine::operation` drive the engine with it.

mod connect;
mod db;
mod history;
mod nodes;
mod observer;
mod schema;
mod session;
mod tx;

pub use connect::redact;
pub use db::{Db, Locked, Scope, Tail, VersionedRow, ID_BLOCK};
pub use history::{
    ExecutionQuery, Expired, HistoryCounts, Order, RetentionLimits, RETENTION_BATCH,
};
pub use nodes::NodeRow;
pub use schema::{valid_schema_name, MAX_SCHEMA_NAME, SCHEMA_VERSION};
pub use session::NodeState;
pub use tx::Tx;

/// How a node joins the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterOptions {
    /// `postgres://user:pass@host:port/db?sslmode=require` or `host=… user=…`.
    pub connection_string: String,
    /// The PostgreSQL schema tickflow keeps its tables in; nothing outside it is touched.
    pub schema: String,
    /// Pooled connections besides the node's own session.
    pub pool_size: usize,
    /// A name for this node in records and status; unique per running process is best.
    pub node_id: String,
    /// How long one operation (a command, a fire, a claim) waits for the database, row
    /// locks included, before it gives up with `Unavailable` or `LockTimeout`.
    pub command_timeout_ms: u64,
    /// Only watch (`readonly: true`): no lease, no row in `nodes`, nothing written, so the
    /// other nodes never count it among those that share the work.
    pub observer: bool,
}

/// `ClusterOptions::command_timeout_ms` unless given.
pub const COMMAND_TIMEOUT_MS: u64 = 10_000;

/// Tests only (with `TICKFLOW_TEST_FAULTS=1`): this process's clock is off by
/// `TICKFLOW_TEST_CLOCK_SKEW_MS`, to prove that a node with a wrong clock still fires on the
/// database's time.
pub fn test_clock_skew_ms() -> i64 {
    static SKEW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *SKEW.get_or_init(|| {
        if std::env::var("TICKFLOW_TEST_FAULTS").as_deref() != Ok("1") {
            return 0;
        }
        std::env::var("TICKFLOW_TEST_CLOCK_SKEW_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

/// The lease a node renews; past it, other nodes take its work over.
pub const LEASE_MS: i64 = 10_000;
/// How often the lease is renewed.
pub const RENEW_MS: u64 = 2_000;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClusterError {
    #[error("the PostgreSQL connection string is not valid: {0}")]
    Config(String),
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("PostgreSQL refused: {0}")]
    Permission(String),
    #[error("the schema '{schema}' holds tickflow schema version {found}, newer than the {supported} this tickflow knows; upgrade tickflow")]
    Version {
        schema: String,
        found: i64,
        supported: i64,
    },
    #[error("the schema '{schema}' holds tables that are not tickflow's ({detail}); it was left untouched")]
    Foreign { schema: String, detail: String },
    #[error("session features do not work through this connection ({0}); connect to PostgreSQL directly or through a session-pooling proxy")]
    Pooler(String),
    #[error("PostgreSQL: {0}")]
    Database(String),
    #[error("PostgreSQL cannot be reached: {0}")]
    Unavailable(String),
    #[error("PostgreSQL did not answer within {0} ms")]
    Timeout(u64),
    #[error("a schedule's row stayed locked by another session for longer than {0} ms")]
    LockTimeout(u64),
    #[error("this node lost its lease: another node has taken its work over")]
    Fenced,
    #[error("the schema '{0}' holds no tickflow tables yet: a read-only store is opened on a database a node has started on")]
    NoSchema(String),
    #[error("a second run of '{schedule_id}' at {scheduled_ms} was refused by the database")]
    Duplicate {
        schedule_id: String,
        scheduled_ms: i64,
    },
}

impl ClusterError {
    /// The stable code JavaScript sees.
    pub fn code(&self) -> &'static str {
        match self {
            ClusterError::Config(_) => "ERR_STORE_CONFIG",
            ClusterError::Connect { .. } => "ERR_STORE_CONNECT",
            ClusterError::Permission(_) => "ERR_STORE_PERMISSION",
            ClusterError::Version { .. } => "ERR_STORE_VERSION",
            ClusterError::Foreign { .. } => "ERR_STORE_FOREIGN",
            ClusterError::NoSchema(_) => "ERR_STORE_OPEN",
            ClusterError::Pooler(_) => "ERR_STORE_POOLER",
            ClusterError::Database(_) => "ERR_STORE_WRITE",
            ClusterError::Unavailable(_)
            | ClusterError::Timeout(_)
            | ClusterError::LockTimeout(_) => "ERR_STORE_UNAVAILABLE",
            ClusterError::Fenced => "ERR_NODE_FENCED",
            ClusterError::Duplicate { .. } => "ERR_STORE_DUPLICATE",
        }
    }
}

impl From<tokio_postgres::Error> for ClusterError {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        match e.code() {
            Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => {
                ClusterError::Permission(db_message(&e))
            }
            // The server going away (shut down, restarted, the session killed) or the
            // connection lost: an outage, retried.
            // Its wait is known where the lock was asked for (`Db::begin`).
            Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE => ClusterError::LockTimeout(0),
            Some(c)
                if *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW =>
            {
                ClusterError::Unavailable(db_message(&e))
            }
            None if e.is_closed() || std::error::Error::source(&e).is_some() => {
                ClusterError::Unavailable(db_message(&e))
            }
            _ => ClusterError::Database(db_message(&e)),
        }
    }
}

impl From<deadpool_postgres::PoolError> for ClusterError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => ClusterError::Unavailable(other.to_string()),
        }
    }
}

/// The server's own words when it sent any, else tokio-postgres's.
pub(crate) fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests;
