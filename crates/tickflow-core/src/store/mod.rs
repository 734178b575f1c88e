//! Durable storage for the engine: the rows a store keeps, the trait a store implements,
//! and SQLite as the embedded implementation. The engine collects what changed between two
//! commits (`Changes`) and hands it over in one piece, so a store writes it in one
//! transaction; on open, a store gives back everything as a `Snapshot`.

mod sqlite;

pub use sqlite::{held, SqliteOptions, SqliteStore, Synchronous, SCHEMA_VERSION};

/// A schedule as stored: its configuration as given (JSON text) and its runtime state
/// (JSON text: paused, fired, cursor, counters, buffered fires).
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleRow {
    pub schedule_id: String,
    pub config_id: String,
    /// `None` in `Changes` when only the state changed.
    pub config: Option<String>,
    pub state: String,
}

/// One execution record, with its attempts, as JSON text.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionRow {
    pub seq: u64,
    pub id: String,
    pub schedule_id: String,
    pub status: &'static str,
    pub scheduled_ms: i64,
    pub record: String,
    /// The columns a cluster claims and reaps by (the SQLite store keeps them in `record`).
    pub trigger: &'static str,
    pub priority: u8,
    /// When a queued or retrying execution may start.
    pub due_ms: Option<i64>,
    /// The node running its current attempt.
    pub node: Option<String>,
    /// When it started and ended (the record's actualStartTime and completionTime), for a
    /// cluster's history counts and its nodes' duration samples without reading `record`.
    pub started_ms: Option<i64>,
    pub ended_ms: Option<i64>,
}

/// A due occurrence that did not run, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct SkipRow {
    pub schedule_id: String,
    pub scheduled_ms: i64,
    pub reason: String,
    pub recorded_ms: i64,
}

/// Everything that changed since the last commit; written in one transaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// The engine's id counter, so ids stay unique across restarts.
    pub seq: u64,
    /// Deleted schedules, with their executions and skips; applied before the upserts.
    pub deleted_schedules: Vec<String>,
    pub schedules: Vec<ScheduleRow>,
    pub executions: Vec<ExecutionRow>,
    /// Executions dropped by history retention, by seq.
    pub pruned_executions: Vec<u64>,
    pub skips: Vec<SkipRow>,
    /// Skips dropped by retention: a schedule's skips scheduled at or before this instant.
    pub pruned_skips: Vec<(String, i64)>,
}

/// What a store holds, read back on open. Executions and skips come in seq / time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub seq: u64,
    pub schedules: Vec<ScheduleRow>,
    pub executions: Vec<ExecutionRow>,
    pub skips: Vec<SkipRow>,
}

/// A place where the engine's state survives the process. A PostgreSQL store implements
/// the same two calls.
pub trait Store: Send {
    /// Everything stored.
    fn load(&mut self) -> Result<Snapshot, StoreError>;
    /// These schedules as last committed, with their executions and skips: what a change
    /// whose commit failed is undone to. Ids not stored are left out.
    fn load_schedules(&mut self, ids: &[String]) -> Result<Snapshot, StoreError>;
    /// Applies `changes` atomically: all of it or none.
    fn write(&mut self, changes: &Changes) -> Result<(), StoreError>;
    /// Opened for inspection only: `write` refuses.
    fn is_readonly(&self) -> bool;
    /// Where the store is, for messages (a file path, a connection name).
    fn location(&self) -> &str;
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at '{path}': {reason}")]
    Open { path: String, reason: String },
    #[error("'{path}' is not a tickflow store ({detail}); it was left untouched")]
    Foreign { path: String, detail: String },
    #[error("the store at '{path}' is damaged: {reason}; it was left untouched")]
    Corrupt { path: String, reason: String },
    #[error("the store at '{path}' has schema version {found}, newer than the {supported} this tickflow knows; upgrade tickflow")]
    Version {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("the store at '{path}' is in use by another running integration")]
    Locked { path: String },
    #[error("writing to the store failed: {0}")]
    Write(String),
    #[error("the store at '{path}' was opened read-only")]
    ReadOnly { path: String },
}

impl StoreError {
    /// The stable code JavaScript sees.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Open { .. } => "ERR_STORE_OPEN",
            StoreError::Foreign { .. } => "ERR_STORE_FOREIGN",
            StoreError::Corrupt { .. } => "ERR_STORE_CORRUPT",
            StoreError::Version { .. } => "ERR_STORE_VERSION",
            StoreError::Locked { .. } => "ERR_STORE_LOCKED",
            StoreError::Write(_) => "ERR_STORE_WRITE",
            StoreError::ReadOnly { .. } => "ERR_STORE_READONLY",
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
