//! Persistence: what changed since the last commit (the journal), handed over as rows in
//! one piece (`take_changes`; the store itself is the edge's: `own_store`, `operation`);
//! and the way back: a snapshot restored into the engine, and the executions a crash
//! interrupted, recovered when the integration starts.
//!
//! Commits happen before messages leave the engine (`Shared::take_messages`), after each
//! slice of timers and after each command, so an executor is never called for a fire that
//! is not recorded, and a command that resolved is durable.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::config::parse_config;
use super::core::Engine;
use super::execution::{Execution, ExecutionStatus};
use super::journal::{Journal, Persistence, Sweep};
use super::schedule::Stats;
use super::state_record::{schedule_from_state, state_text, StoredState};
use super::timers::Timer;
use super::EngineError;
use crate::store::{Changes, ExecutionRow, ScheduleRow, SkipRow, Snapshot, StoreError};

/// The error code of an attempt that was running when its process stopped or ended.
pub const INTERRUPTED: &str = "INTERRUPTED";

/// Schedules a retention sweep looks at per commit: enough to keep up, small enough that
/// a fire never waits on it.
const SWEEP_CHUNK: usize = 1_000;
const SWEEP_EVERY_MS: i64 = 60_000;

impl Engine {
    /// Starts from what a store of its own holds (`OwnStore::attach`), and journals its
    /// changes for it from now on. A read-only store is only read: the integration can be
    /// inspected but not started.
    pub(crate) fn restore_store(
        &mut self,
        snapshot: Snapshot,
        location: &str,
        readonly: bool,
    ) -> Result<(), EngineError> {
        // The store holds everything this engine knew when it closed it: start from it.
        self.clear_state();
        if let Err(err) = self.restore(snapshot, location) {
            // Nothing half-restored stays behind.
            self.clear_state();
            return Err(err);
        }
        self.store_pending = false;
        if readonly {
            self.readonly = true;
        } else {
            self.persistence = Some(Box::new(Persistence::own()));
        }
        Ok(())
    }

    /// A store may be attached: one is configured and not open, and the engine is stopped.
    pub(crate) fn check_attachable(&self) -> Result<(), EngineError> {
        if !self.store_pending || self.lifecycle != super::Lifecycle::Stopped {
            return Err(EngineError::InvalidState {
                operation: "open the store",
                state: if self.store_pending {
                    self.lifecycle_name()
                } else {
                    "already open"
                },
            });
        }
        Ok(())
    }

    /// The store was closed (after a stop; a cluster node leaves the cluster in memory):
    /// changes are refused until one is attached again.
    pub(crate) fn store_closed(&mut self) {
        if self.persistence.is_none() {
            return;
        }
        self.detach_cluster();
        self.persistence = None;
        self.store_pending = true;
    }

    pub(crate) fn clear_state(&mut self) {
        self.registry.clear();
        self.executions.clear();
        self.timers.clear();
        self.run_queue.clear();
        self.totals = Stats::default();
        self.sweep = Sweep::default();
    }

    /// Whether commands may change state: not on a read-only store, and not before a
    /// durable store is open (its schedules would collide with what it holds).
    pub fn check_writable(&self) -> Result<(), EngineError> {
        if self.readonly {
            Err(EngineError::ReadOnly)
        } else if self.store_pending {
            Err(EngineError::NotInitialized)
        } else {
            Ok(())
        }
    }

    /// A durable store will be attached: changes wait for it.
    pub fn expect_store(&mut self) {
        self.store_pending = true;
    }

    fn journal(&mut self) -> Option<&mut Journal> {
        self.persistence.as_mut().map(|p| &mut p.journal)
    }

    pub(crate) fn touch_config(&mut self, index: u32) {
        if let Some(j) = self.journal() {
            j.configs.insert(index);
        }
    }

    pub(crate) fn touch_schedule(&mut self, index: u32) {
        if let Some(j) = self.journal() {
            j.states.insert(index);
        }
    }

    pub(crate) fn touch_execution(&mut self, key: u64) {
        if let Some(j) = self.journal() {
            j.executions.insert(key);
        }
    }

    pub(crate) fn journal_deleted(&mut self, schedule_id: &str) {
        if let Some(j) = self.journal() {
            j.deleted.push(schedule_id.to_string());
        }
    }

    pub(crate) fn journal_pruned(&mut self, key: u64) {
        if let Some(j) = self.journal() {
            j.pruned.push(key);
        }
    }

    pub(crate) fn journal_skip(&mut self, row: SkipRow) {
        if let Some(j) = self.journal() {
            j.skips.push(row);
        }
    }

    pub(crate) fn journal_pruned_skips(&mut self, schedule_id: &str, up_to: DateTime<Utc>) {
        if let Some(j) = self.journal() {
            j.pruned_skips
                .push((schedule_id.to_string(), up_to.timestamp_millis()));
        }
    }

    /// What changed since the last commit, for a store of its own to write: the journal
    /// (given back with `changes_written`) and its rows. `None` when nothing did, or when
    /// no store of its own keeps them.
    pub(crate) fn take_changes(&mut self) -> Option<(Journal, Changes)> {
        let p = self.persistence.as_mut().filter(|p| p.own_store)?;
        if p.journal.is_empty() {
            return None;
        }
        let journal = std::mem::take(&mut p.journal);
        let changes = self.changes(&journal);
        Some((journal, changes))
    }

    /// How the write of `take_changes`'s rows went: when it failed, their journal is kept
    /// for the next commit, which writes them with the state of that moment.
    pub(crate) fn changes_written(&mut self, journal: Journal, ok: bool) {
        let Some(p) = self.persistence.as_mut() else {
            return;
        };
        if ok {
            p.failing = false;
        } else {
            p.journal.merge(journal);
        }
    }

    /// A commit failed: reported once, until one succeeds again.
    pub(crate) fn report_failed_commit(&mut self, err: &StoreError) {
        let Some(p) = self.persistence.as_mut() else {
            return;
        };
        if !std::mem::replace(&mut p.failing, true) {
            self.report_error(err.code(), &err.to_string());
        }
    }

    /// Whether a durable store (not memory) keeps what this engine does.
    pub(crate) fn has_store(&self) -> bool {
        self.persistence.as_ref().is_some_and(|p| p.own_store)
    }

    /// A command's change whose commit failed, taken out to be undone: its messages since
    /// `mark` go; its journal, and the schedules it touched (to read back).
    pub(crate) fn take_uncommitted(&mut self, mark: usize) -> (Journal, Vec<String>) {
        self.outbox.take_back_to(mark);
        let journal = self.take_journal();
        let ids = self.touched_ids(&journal);
        (journal, ids)
    }

    /// Takes back a change that was not committed (`take_uncommitted`): the touched
    /// schedules, their executions and skips as the store read them back.
    pub(crate) fn undo_uncommitted(
        &mut self,
        journal: Journal,
        ids: Vec<String>,
        read_back: Result<Snapshot, StoreError>,
    ) {
        match read_back {
            Ok(snapshot) => {
                let rows = snapshot
                    .schedules
                    .into_iter()
                    .map(|row| crate::cluster::VersionedRow {
                        row,
                        version: 0,
                        deleted: false,
                    })
                    .collect();
                // A deleted schedule comes back whole; the others kept their skips.
                let skips = snapshot
                    .skips
                    .into_iter()
                    .filter(|s| journal.deleted.contains(&s.schedule_id))
                    .collect();
                // Every row it reads back replaces what the engine holds.
                self.apply(
                    super::incoming::Incoming::read(rows, snapshot.executions, skips),
                    Some(&ids),
                    |_, _| false,
                );
            }
            Err(err) => self.report_error(
                err.code(),
                &format!(
                    "a refused change could not be undone in memory ({err}); restart the \
                     integration to read the store again"
                ),
            ),
        }
    }

    /// What a journal would still write, for a message: "2 schedules, 5 executions".
    pub(crate) fn unwritten(&self) -> Option<String> {
        let j = &self.persistence.as_ref()?.journal;
        if j.is_empty() {
            return None;
        }
        let schedules = j.configs.union(&j.states).count() + j.deleted.len();
        let parts: Vec<String> = [
            (schedules, "schedule"),
            (j.executions.len() + j.pruned.len(), "execution"),
            (j.skips.len() + j.pruned_skips.len(), "skipped occurrence"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}{}", if *n == 1 { "" } else { "s" }))
        .collect();
        Some(parts.join(", "))
    }

    pub(crate) fn changes(&self, j: &Journal) -> Changes {
        let mut schedules: Vec<u32> = j.configs.union(&j.states).copied().collect();
        schedules.sort_unstable();
        let mut executions: Vec<u64> = j.executions.iter().copied().collect();
        executions.sort_unstable();
        Changes {
            seq: self.numbers.last(),
            deleted_schedules: j.deleted.clone(),
            schedules: schedules
                .into_iter()
                .filter_map(|i| {
                    let s = self.schedule_at(i)?;
                    Some(ScheduleRow {
                        schedule_id: s.spec.fragments.schedule_id.to_string(),
                        config_id: s.spec.fragments.config_id.to_string(),
                        config: j.configs.contains(&i).then(|| s.config.clone()),
                        state: state_text(s),
                    })
                })
                .collect(),
            executions: executions
                .into_iter()
                .filter_map(|key| {
                    let e = self.executions.get(&key)?;
                    // Records of a deleted schedule went with it.
                    self.registry.slot_of(&e.schedule_id)?;
                    // What claims and the reaper read, where work is shared.
                    let (due_ms, node) = if self.work_is_shared() {
                        self.cluster_columns(e)
                    } else {
                        (None, None)
                    };
                    Some(ExecutionRow {
                        seq: key,
                        id: e.id.to_string(),
                        schedule_id: e.schedule_id.to_string(),
                        status: e.status.as_str(),
                        scheduled_ms: e.scheduled_time.timestamp_millis(),
                        record: super::text::json(&e.to_record()),
                        trigger: e.trigger.as_str(),
                        priority: e.priority,
                        due_ms,
                        node,
                        started_ms: e.started.map(|t| t.timestamp_millis()),
                        ended_ms: e.ended.map(|t| t.timestamp_millis()),
                    })
                })
                .collect(),
            pruned_executions: j.pruned.clone(),
            skips: j.skips.clone(),
            pruned_skips: j.pruned_skips.clone(),
        }
    }

    /// History retention by age, a chunk of schedules at a time, once a minute (count
    /// limits apply as executions are created).
    pub fn maintain(&mut self) {
        let now = self.now();
        if self.sweep.next_at.is_some_and(|at| now < at) {
            return;
        }
        let total = self.registry.slot_count();
        let start = self.sweep.index.min(total);
        let end = (start + SWEEP_CHUNK).min(total);
        for index in start..end {
            self.prune_history(index as u32);
        }
        if end >= total {
            self.sweep.index = 0;
            self.sweep.next_at = Some(now + Duration::milliseconds(SWEEP_EVERY_MS));
        } else {
            self.sweep.index = end;
        }
    }

    /// Rebuilds schedules, executions and skips from a store's snapshot.
    pub(crate) fn restore(
        &mut self,
        snapshot: Snapshot,
        location: &str,
    ) -> Result<(), EngineError> {
        let corrupt = |what: String| -> EngineError {
            StoreError::Corrupt {
                path: location.to_string(),
                reason: what,
            }
            .into()
        };
        let zone = self.options.default_zone.clone();
        for row in snapshot.schedules {
            let text = row.config.unwrap_or_default();
            let mut config: Value = serde_json::from_str(&text)
                .map_err(|e| corrupt(format!("schedule '{}': {e}", row.schedule_id)))?;
            // Rows are written with their schedule id in the config; the row's own column
            // stands in for one that is not.
            if config.get("scheduleId").is_none() && config.is_object() {
                config["scheduleId"] = Value::String(row.schedule_id.clone());
            }
            let spec = parse_config(&config, &zone, &mut |t| self.compile_stored(t))
                .map_err(|e| corrupt(format!("schedule '{}': {e}", row.schedule_id)))?;
            let state = StoredState::parse(&row.state)
                .map_err(|e| corrupt(format!("schedule '{}' state: {e}", row.schedule_id)))?;
            let schedule = schedule_from_state(spec, text, state)
                .ok_or_else(|| corrupt(format!("schedule '{}' state", row.schedule_id)))?;
            self.registry.insert(schedule);
        }
        let mut seq = snapshot.seq;
        for row in snapshot.executions {
            let record: Value = serde_json::from_str(&row.record)
                .map_err(|e| corrupt(format!("execution '{}': {e}", row.id)))?;
            let e = Execution::from_record(&record, row.seq)
                .ok_or_else(|| corrupt(format!("execution '{}'", row.id)))?;
            seq = seq.max(row.seq);
            if let Ok(index) = self.schedule_index(&e.schedule_id) {
                let s = self.schedule_mut(index).expect("indexed");
                let rt = s.rt_mut();
                rt.history.push_back(row.seq);
                if !e.status.is_final() {
                    rt.active.push_back(row.seq);
                }
                if let Some(d) = e.duration_ms().filter(|_| e.status.is_final()) {
                    rt.stats.durations.push_back(d.max(0) as u64);
                }
            }
            self.executions.insert(row.seq, e);
        }
        for row in snapshot.skips {
            let Ok(index) = self.schedule_index(&row.schedule_id) else {
                continue;
            };
            let (Some(at), Some(recorded)) = (
                DateTime::from_timestamp_millis(row.scheduled_ms),
                DateTime::from_timestamp_millis(row.recorded_ms),
            ) else {
                continue;
            };
            let reason = skip_reason(&row.reason);
            let s = self.schedule_mut(index).expect("indexed");
            s.rt_mut().skips.push_back((at, recorded, reason));
        }
        self.numbers.at_least(seq);
        let mut totals = Stats::default();
        for s in self.registry.iter() {
            let st = &s.rt().stats;
            totals.triggered += st.triggered;
            totals.completed += st.completed;
            totals.failed += st.failed;
            totals.cancelled += st.cancelled;
            totals.skipped += st.skipped;
        }
        self.totals = totals;
        Ok(())
    }

    /// When starting on a restored store: attempts that were running when the process
    /// ended are interrupted (they run again, or fail with INTERRUPTED: `interrupt`);
    /// queued work is queued again, and waiting retries wait for what is left of their
    /// delay.
    pub(crate) fn recover_interrupted(&mut self) {
        let now = self.now();
        let mut keys: Vec<u64> = self
            .executions
            .iter()
            .filter(|(_, e)| !e.status.is_final())
            .map(|(k, _)| *k)
            .collect();
        keys.sort_unstable();
        for key in keys {
            let Some(e) = self.executions.get(&key) else {
                continue;
            };
            let (status, attempt, counted) = (e.status, e.attempt(), e.counted_attempts());
            let ended = e.attempts.last().and_then(|a| a.ended).unwrap_or(now);
            match status {
                ExecutionStatus::Running => self.interrupt(key, "its process ended"),
                ExecutionStatus::Queued => self.enqueue(key),
                ExecutionStatus::Retrying => {
                    let delay = self
                        .schedule(&e.schedule_id)
                        .map_or(0, |s| s.spec.extras().retry.delay_ms(counted));
                    let at = ended + Duration::milliseconds(delay as i64);
                    self.timers.push(
                        at.max(now),
                        Timer::Retry {
                            execution: key,
                            attempt,
                        },
                    );
                }
                _ => {}
            }
        }
    }

    /// Occurrences a schedule did not run, oldest first (at most the history limit).
    pub fn skipped(&self, schedule_id: &str) -> Result<Value, EngineError> {
        let index = self.schedule_index(schedule_id)?;
        let s = self.schedule_at(index).expect("indexed");
        Ok(Value::Array(
            s.rt()
                .skips
                .iter()
                .map(|(at, recorded, reason)| {
                    json!({
                        "scheduleId": schedule_id,
                        "scheduledTime": super::value::date_json(*at),
                        "reason": reason,
                        "recordedAt": super::value::date_json(*recorded),
                    })
                })
                .collect(),
        ))
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        EngineError::Store(e)
    }
}

/// A stored skip reason as one of the engine's own (`SKIP_REASONS`), or "unknown".
pub(crate) fn skip_reason(reason: &str) -> &'static str {
    super::metrics::SKIP_REASONS
        .iter()
        .find(|r| **r == reason)
        .copied()
        .unwrap_or("unknown")
}
