//! The scheduling engine: schedules fire on their cron patterns, executions run through
//! the user's executor (reached through messages), and every step is recorded and reported.

mod answers;
mod browse;
mod clock;
mod cluster;
mod cluster_driver;
mod command_queue;
mod config;
mod coordinator;
mod core;
mod driver;
mod execution;
mod execution_table;
mod group;
mod guard;
mod handler_set;
mod handlers;
mod histogram;
mod history;
mod ids;
mod incoming;
mod journal;
mod late;
mod late_answers;
mod metrics;
mod numbers;
mod observer;
mod operation;
mod options;
pub mod outbound;
mod outbox;
mod own_store;
mod persist;
mod query;
mod registry;
mod run;
mod run_queue;
mod schedule;
mod shared;
mod stall;
mod state_record;
pub mod text;
mod timers;
pub mod value;
mod view;

pub use self::core::{Engine, EngineOptions, Lifecycle, Synced, Upsert};
pub use self::schedule::Schedule;
pub use browse::{parse_page_query, PageQuery, PageScan, Timeline};
pub use config::{Backoff, CatchupKind, OverlapPolicy, RetryPolicy, ScheduleSpec};
pub use driver::{drive, Shared, MAX_SLEEP};
pub use execution::{Execution, ExecutionStatus, Outcome, TriggerType};
pub use guard::EngineGuard;
pub use handlers::DECLARED_BY_SCHEDULE;
pub use metrics::{families as prometheus_families, Exposition};
pub use options::{parse_options, IntegrationOptions, StoreOptions, MAX_CONCURRENCY};
pub use outbound::{JsonMessage, Message};
pub use persist::INTERRUPTED;
pub use query::{parse_filters, Filters};
pub use value::{FieldError, Kind};

/// The engine's errors; the binding maps each to a JS error with a stable code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("{what} '{id}' not found{hint}")]
    NotFound {
        what: &'static str,
        id: String,
        /// Where the id names something else (a config id given for a schedule id), what.
        hint: String,
    },
    #[error("{what} '{id}' already exists")]
    Duplicate { what: &'static str, id: String },
    #[error("cannot {operation} while the integration is {state}")]
    InvalidState {
        operation: &'static str,
        state: &'static str,
    },
    #[error("execution '{id}' has already finished ({status})")]
    AlreadyFinished { id: String, status: &'static str },
    #[error("execution '{id}' has not finished yet ({status})")]
    NotFinished { id: String, status: &'static str },
    #[error("advanceTime needs clock: 'manual'")]
    NotManualClock,
    #[error(transparent)]
    Store(crate::store::StoreError),
    #[error(transparent)]
    Cluster(crate::cluster::ClusterError),
    #[error("the integration was opened on a read-only store: it can be inspected, not changed or started")]
    ReadOnly,
    #[error("internal fault: {0}")]
    Internal(String),
    #[error("the store is not open yet: call initialize() first")]
    NotInitialized,
    #[error("{what} could not be written to the store ({reason}); they are kept in memory and written by the next stop() or start() once the store can be written again, and are lost if the process ends first")]
    Unwritten { what: String, reason: String },
    #[error("schedule '{id}' has no handler in this process: declare it with schedule(id, cron, options, handler), or give the integration an executor")]
    NoHandler { id: String },
}

impl EngineError {
    /// The stable code JavaScript sees.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Field(f) => f.code,
            EngineError::NotFound { .. } => "ERR_NOT_FOUND",
            EngineError::Duplicate { .. } => "ERR_DUPLICATE_ID",
            EngineError::InvalidState { .. } => "ERR_INVALID_STATE",
            EngineError::AlreadyFinished { .. } => "ERR_EXECUTION_FINISHED",
            EngineError::NotFinished { .. } => "ERR_EXECUTION_NOT_FINISHED",
            EngineError::NotManualClock => "ERR_NOT_MANUAL_CLOCK",
            EngineError::Store(e) => e.code(),
            EngineError::Cluster(e) => e.code(),
            EngineError::ReadOnly => "ERR_STORE_READONLY",
            EngineError::NotInitialized => "ERR_NOT_INITIALIZED",
            EngineError::Unwritten { .. } => "ERR_STORE_WRITE",
            EngineError::Internal(_) => "ERR_INTERNAL",
            EngineError::NoHandler { .. } => "ERR_NO_HANDLER",
        }
    }
}

/// A stored status name as the engine's own (unknown names read as failed).
pub(crate) fn status_name(s: &str) -> &'static str {
    ExecutionStatus::parse(s).map_or("failed", ExecutionStatus::as_str)
}

/// A stored trigger name as the engine's own.
pub(crate) fn trigger_name(s: &str) -> &'static str {
    TriggerType::parse(s).map_or("manual", TriggerType::as_str)
}

#[cfg(test)]
mod durable_tests;
#[cfg(test)]
mod persist_tests;
#[cfg(test)]
mod tests;
