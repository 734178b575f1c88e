//! Persistence: what changed since the last commit (the journal), handed to the store in
//! one piece; and the way back: a snapshot restored into the engine, and the executions
//! a crash interrupted, recovered when the integration starts.
//!
//! Commits happen before messages leave the engine (`take_messages`), after each slice of
//! timers and after each command, so an executor is never called for a fire that is not
//! recorded, and a command that resolved is durable.

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
use crate::store::{Changes, ExecutionRow, ScheduleRow, SkipRow, Snapshot, Store, StoreError};

/// The error code of an attempt that was running when its process stopped or ended.
pub const INTERRUPTED: &str = "INTERRUPTED";

/// Schedules a retention sweep looks at per commit: enough to keep up, small enough that
/// a fire never waits on it.
const SWEEP_CHUNK: usize = 1_000;
const SWEEP_EVERY_MS: i64 = 60_000;

impl Engine {
    /// Uses `store` from now on, after restoring what it holds. A read-only store is only
    /// read: the integration can be inspected but not started.
    pub fn attach_store(&mut self, mut store: Box<dyn Store>) -> Result<(), EngineError> {
        self.check_attachable()?;
        let snapshot = store.load()?;
        // The store holds everything this engine knew when it closed it: start from it.
        self.clear_state();
        if let Err(err) = self.restore(snapshot, store.location()) {
            // Nothing half-restored stays behind.
            self.clear_state();
            return Err(err);
        }
        self.store_pending = false;
        if store.is_readonly() {
            self.readonly = true;
        } else {
            self.persistence = Some(Box::new(Persistence {
                store: Some(store),
                journal: Journal::default(),
                failing: false,
            }));
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

    /// Commits and closes the store (after a stop): changes are refused until it is
    /// attached again. When the last commit fails, the store stays open and what it could
    /// not write stays in memory (a later `detach_store` or start writes it): the error
    /// names what would be lost if the process ended now.
    pub fn detach_store(&mut self) -> Result<(), EngineError> {
        if self.persistence.is_none() {
            return Ok(());
        }
        if self.cluster.is_some() {
            self.detach_cluster();
            self.persistence = None;
            self.store_pending = true;
            return Ok(());
        }
        if let Err(err) = self.try_commit() {
            let what = self.unwritten().unwrap_or_default();
            return Err(EngineError::Unwritten {
                what,
                reason: err.to_string(),
            });
        }
        self.persistence = None;
        self.store_pending = true;
        Ok(())
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

    /// Writes what changed since the last commit, in one transaction. A failed write is
    /// reported once (`integration.error`, ERR_STORE_WRITE) and tried again at the next
    /// commit; nothing is dropped.
    pub fn commit(&mut self) {
        if let Err(err) = self.try_commit() {
            let p = self
                .persistence
                .as_mut()
                .expect("a failed commit has a store");
            if !std::mem::replace(&mut p.failing, true) {
                self.report_error(err.code(), &err.to_string());
            }
        }
    }

    /// `commit`, saying whether it worked; on failure the journal is kept for the next one.
    fn try_commit(&mut self) -> Result<(), StoreError> {
        let Some(p) = self.persistence.as_mut() else {
            return Ok(());
        };
        if p.journal.is_empty() || p.store.is_none() {
            return Ok(());
        }
        let journal = std::mem::take(&mut p.journal);
        let changes = self.changes(&journal);
        let p = self.persistence.as_mut().expect("checked above");
        let store = p.store.as_mut().expect("checked above");
        match store.write(&changes) {
            Ok(()) => {
                p.failing = false;
                Ok(())
            }
            Err(err) => {
                p.journal.merge(journal);
                Err(err)
            }
        }
    }

    /// Whether a durable store (not memory) keeps what this engine does.
    pub(crate) fn has_store(&self) -> bool {
        self.persistence.as_ref().is_some_and(|p| p.store.is_some())
    }

    /// Runs a command so that it is acknowledged only once stored: what the engine recorded
    /// on its own (fires, outcomes) is committed first, then the command's change in a
    /// commit of its own. When either fails, the command is refused with the store's error
    /// and the engine is as it was before the call: the schedules the command touched are
    /// read back as the store has them, and its messages go. In memory it simply runs.
    pub(crate) fn committed<R, E>(
        &mut self,
        op: impl FnOnce(&mut Engine) -> Result<R, E>,
        wrap: fn(EngineError) -> E,
    ) -> Result<R, E> {
        if !self.has_store() {
            return op(self);
        }
        self.try_commit()
            .map_err(|err| wrap(EngineError::Store(err)))?;
        let mark = self.outbox.mark();
        let result = op(self);
        if result.is_ok() {
            if let Err(err) = self.try_commit() {
                self.undo_uncommitted(mark);
                return Err(wrap(EngineError::Store(err)));
            }
        }
        result
    }

    /// Takes back what the journal holds (one command's change, since the commit before it
    /// succeeded): the touched schedules, their executions and skips as last committed.
    fn undo_uncommitted(&mut self, mark: usize) {
        self.outbox.take_back_to(mark);
        let journal = self.take_journal();
        let ids = self.touched_ids(&journal);
        let store = self
            .persistence
            .as_mut()
            .and_then(|p| p.store.as_mut())
            .expect("only with a store");
        match store.load_schedules(&ids) {
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
                self.apply(
                    super::incoming::Incoming::read(rows, snapshot.executions, skips),
                    Some(&ids),
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
    fn unwritten(&self) -> Option<String> {
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
            seq: self.seq,
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
        self.seq = self.seq.max(seq);
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
