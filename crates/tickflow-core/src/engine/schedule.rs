//! A schedule as the engine holds it: its configuration, where it stands, and what it keeps
//! once it has run (open executions, waiting fires, history, counters).

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::config::ScheduleSpec;
use super::execution::{ExecutionStatus, TriggerType};

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub triggered: u64,
    pub completed: u64,
    /// Failures, timeouts included.
    pub failed: u64,
    pub cancelled: u64,
    pub skipped: u64,
    /// Scheduled and catch-up occurrences that fired.
    pub fires: u64,
    /// Skips by reason, in `metrics::SKIP_REASONS` order.
    pub skipped_by: [u64; 5],
    /// Of `failed`, those that timed out.
    pub timed_out: u64,
    /// Attempts that failed and were tried again.
    pub retries: u64,
    pub last_success: Option<DateTime<Utc>>,
    pub duration: super::histogram::Histogram<16>,
    pub lateness: super::histogram::Histogram<14>,
    pub durations: VecDeque<u64>,
    pub last_status: Option<ExecutionStatus>,
    pub last_error: Option<String>,
    pub last_run: Option<DateTime<Utc>>,
    pub last_duration: Option<u64>,
}

impl Stats {
    pub const EMPTY: Stats = Stats {
        triggered: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
        skipped: 0,
        fires: 0,
        skipped_by: [0; 5],
        timed_out: 0,
        retries: 0,
        last_success: None,
        duration: super::histogram::Histogram::EMPTY,
        lateness: super::histogram::Histogram::EMPTY,
        durations: VecDeque::new(),
        last_status: None,
        last_error: None,
        last_run: None,
        last_duration: None,
    };
}

/// What a schedule keeps once it has run: its open executions, waiting fires, history and
/// counters. Boxed and made on first use, so an idle schedule does not carry it.
#[derive(Clone, Debug, Default)]
pub struct Runtime {
    /// Executions not yet final, by key; keys grow with creation, so this stays sorted and
    /// the usual first-in, first-out finish removes from the front.
    pub active: VecDeque<u64>,
    /// Occurrences waiting for the running one (overlap buffering), and how they fired.
    pub buffered: VecDeque<(DateTime<Utc>, TriggerType)>,
    pub history: VecDeque<u64>,
    pub stats: Stats,
    /// Occurrences not run: (scheduled, recorded, reason), oldest first, as many as the
    /// history limit keeps.
    pub skips: VecDeque<(DateTime<Utc>, DateTime<Utc>, &'static str)>,
}

static NEVER_RAN: Runtime = Runtime {
    active: VecDeque::new(),
    buffered: VecDeque::new(),
    history: VecDeque::new(),
    stats: Stats::EMPTY,
    skips: VecDeque::new(),
};

#[derive(Clone, Debug)]
pub struct Schedule {
    pub spec: ScheduleSpec,
    /// The configuration as given (dates as `{ "$date": ms }`), with its scheduleId.
    /// Kept as compact JSON text: read back rarely, and a `Value` tree would cost more
    /// memory than everything else about an idle schedule.
    pub config: String,
    pub paused: bool,
    pub pause_note: Option<String>,
    pub expired: bool,
    /// Scheduled and catch-up executions started, counted against maxExecutions.
    pub fired: u64,
    /// Occurrences up to here have been handled (run or skipped).
    pub cursor: DateTime<Utc>,
    /// The occurrence the schedule's timer waits for.
    pub next_fire: Option<DateTime<Utc>>,
    /// That occurrence falls into a daylight-saving gap under `dstGap: 'skip'`: it is only
    /// recorded as skipped (reason `dst`) when its time comes.
    pub next_is_dst_skip: bool,
    pub generation: u32,
    pub runtime: Option<Box<Runtime>>,
    pub created: DateTime<Utc>,
    /// When its configuration last changed (created, updated, upserted).
    pub updated: DateTime<Utc>,
}

impl Schedule {
    pub fn rt(&self) -> &Runtime {
        self.runtime.as_deref().unwrap_or(&NEVER_RAN)
    }

    pub fn rt_mut(&mut self) -> &mut Runtime {
        self.runtime.get_or_insert_with(Default::default)
    }
    /// The configuration as given, with its scheduleId.
    pub fn config_value(&self) -> Value {
        serde_json::from_str(&self.config).unwrap_or(Value::Null)
    }

    /// Whether scheduled fires run (manual triggers always do).
    pub fn is_live(&self) -> bool {
        self.spec.enabled && !self.paused && !self.expired
    }

    pub fn state(&self) -> &'static str {
        if self.expired {
            "expired"
        } else if !self.spec.enabled {
            "disabled"
        } else if self.paused {
            "paused"
        } else {
            "active"
        }
    }
}
