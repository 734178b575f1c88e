//! The engine's side of a cluster node on PostgreSQL (see `crate::cluster`), in memory: it
//! is made from what the cluster holds, takes rows read from the database in place of what
//! it holds, gives up attempts it no longer owns, and names the scopes operations lock.
//! Which rows it is handed, which due timers the node fires and when it follows the others
//! are its coordinator's (`coordinator`, beside the engine); `cluster_driver` does the I/O
//! of each turn, `operation` runs a change in phases around its transaction.
//!
//! Every change happens inside a locked operation (`operation::locked`): the schedules it
//! touches are locked in the database, brought up to date in the engine when another node
//! changed them since, changed by the engine's usual code, and written back in the same
//! transaction. A failed write takes the messages of the operation back and reloads what it
//! touched, so nothing half-done is seen by JavaScript or stays in memory. Between
//! operations each node follows the others' commits (`cluster_driver::follow`), so reads
//! see the whole cluster's schedules and running work (finished work is read from the
//! database: `history`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::DateTime;
use serde_json::Value;

use super::core::{Engine, Message};
use super::execution::Outcome;
use super::execution::{Execution, ExecutionStatus};
use super::incoming::{Incoming, IncomingExecution};
use super::journal::Journal;
use super::state_record::StoredState;
use super::timers::Timer;
use super::EngineError;
use crate::cluster::{ClusterError, NodeState, Scope};
use crate::store::{ExecutionRow, SkipRow, Snapshot, StoreError};

/// What applying rows changed, for the coordinator that keeps their versions.
#[derive(Default)]
pub(crate) struct Applied {
    /// Schedules now held as of these versions (`None`: gone, never committed).
    pub(crate) versions: Vec<(String, Option<i64>)>,
    /// Schedules to read again: an execution running here finished elsewhere, and its
    /// record was not read.
    pub(crate) read_again: Vec<String>,
}

impl Engine {
    /// Makes what the cluster holds (read at the join: `Coordinator::join`) this engine's
    /// state, as the node `node`, with ids from `block`.
    pub(super) fn join_cluster(
        &mut self,
        snapshot: Snapshot,
        location: &str,
        block: u64,
        node: Arc<NodeState>,
        observer: bool,
    ) -> Result<(), EngineError> {
        self.clear_state();
        if let Err(err) = self.restore(snapshot, location) {
            self.clear_state();
            return Err(err);
        }
        self.numbers.start_block(block);
        self.store_pending = false;
        self.persistence = Some(Box::new(super::journal::Persistence::detached()));
        self.readonly = observer;
        self.session = Some(node);
        self.pending = Default::default();
        self.late = Default::default();
        Ok(())
    }

    pub fn is_cluster(&self) -> bool {
        self.session.is_some()
    }

    /// Whether this engine's work is the cluster's: queued work, retries and fires waiting
    /// their turn run on whichever node has the handler and room (claims), and wait in the
    /// database while this node stops; attempts of a node that died are the reapers'. A
    /// process alone owns its work: it dispatches it, and decides its fate at a stop.
    pub(crate) fn work_is_shared(&self) -> bool {
        self.session.is_some()
    }

    /// Whether finished executions are kept in the database rather than in this engine
    /// (retention applies there, `history`).
    pub(crate) fn history_in_database(&self) -> bool {
        self.session.is_some()
    }

    /// Whether executor answers wait for the driver's next write (written in batches,
    /// under their schedules' locks) rather than complete at once.
    pub(crate) fn answers_batched(&self) -> bool {
        self.session.is_some()
    }

    /// This node's token (attempts are recorded under it), when in a cluster.
    pub(crate) fn node_token(&self) -> Option<String> {
        self.session.as_ref().map(|node| node.token())
    }

    /// Leaves the cluster in memory, when the store is closed (`Shared::close_store` writes
    /// the answers waiting first, then drops the node's coordinator and has its row go).
    pub(crate) fn detach_cluster(&mut self) {
        self.session = None;
        // Answers not written by now are not written (`Shared::close_store` tried).
        self.pending = Default::default();
        self.late = Default::default();
        self.numbers.leave_blocks();
    }

    // ---------------------------------------------------------------------------------
    // Locked operations

    pub(super) fn take_journal(&mut self) -> Journal {
        self.persistence
            .as_mut()
            .map(|p| std::mem::take(&mut p.journal))
            .unwrap_or_default()
    }

    /// Puts back a journal taken out (a group of commands keeps a refused one's apart).
    pub(super) fn restore_journal(&mut self, journal: Journal) {
        if let Some(p) = self.persistence.as_mut() {
            p.journal.merge(journal);
        }
    }

    /// Schedule ids a journal touched (deleted ones included).
    pub(super) fn touched_ids(&self, j: &Journal) -> Vec<String> {
        let mut ids: HashSet<String> = j.deleted.iter().cloned().collect();
        for i in j.configs.iter().chain(&j.states) {
            if let Some(s) = self.schedule_at(*i) {
                ids.insert(s.spec.fragments.schedule_id.to_string());
            }
        }
        for key in &j.executions {
            if let Some(e) = self.executions.get(key) {
                ids.insert(e.schedule_id.to_string());
            }
        }
        ids.into_iter().collect()
    }

    /// Ids of the executions this engine holds as not final, for these schedules.
    pub(super) fn active_ids(&self, schedules: &[String]) -> Vec<String> {
        schedules
            .iter()
            .filter_map(|id| self.schedule(id))
            .flat_map(|s| s.rt().active.iter())
            .filter_map(|k| self.executions.get(k).map(|e| e.id.to_string()))
            .collect()
    }

    // ---------------------------------------------------------------------------------
    // Following the others

    /// Applies rows read from the database (their JSON read already, off the engine's
    /// lock: `Incoming::read`), except the schedules whose state `keep` says stays (by
    /// schedule id and the row's version: the coordinator holds it as new, or an
    /// operation is on it). For the schedules in `authoritative`, every row is applied, and the
    /// executions given are all those not final: others this engine holds as running or
    /// waiting were never committed, and go. Says which versions it now holds of what.
    pub(super) fn apply(
        &mut self,
        incoming: Incoming,
        authoritative: Option<&[String]>,
        keep: impl Fn(&str, i64) -> bool,
    ) -> Applied {
        let Incoming {
            schedules: rows,
            executions,
            skips,
        } = incoming;
        let mut applied = Applied::default();
        let mut current: HashMap<String, i64> = HashMap::new();
        if let Some(ids) = authoritative {
            // Asked for and not there: never committed (a create whose commit failed).
            let found: HashSet<&str> = rows.iter().map(|v| v.row.schedule_id.as_str()).collect();
            for id in ids.iter().filter(|id| !found.contains(id.as_str())) {
                self.forget_schedule(id);
                applied.versions.push((id.clone(), None));
            }
        }
        for v in rows {
            let id = v.row.schedule_id.clone();
            let newer_here = current.get(&id).is_some_and(|k| *k >= v.version);
            if authoritative.is_none() && (newer_here || keep(&id, v.version)) {
                continue;
            }
            current.insert(id.clone(), v.version);
            if v.deleted {
                self.forget_schedule(&id);
            } else if let Err(err) = self.replace_schedule(v.row, v.state) {
                self.report_error("ERR_STORE_CORRUPT", &err.to_string());
            }
            applied.versions.push((id, Some(v.version)));
        }
        if let Some(ids) = authoritative {
            let given: HashSet<&str> = executions.iter().map(|e| e.row.id.as_str()).collect();
            for key in self.active_keys(ids) {
                let gone = self
                    .executions
                    .get(&key)
                    .is_some_and(|e| !given.contains(&*e.id));
                if gone {
                    self.forget_execution(key);
                }
            }
        }
        for e in executions {
            if authoritative.is_some() || current.contains_key(&e.row.schedule_id) {
                self.replace_execution(e, &mut applied);
            }
        }
        for row in skips {
            if current.contains_key(&row.schedule_id) {
                self.add_skip(row);
            }
        }
        self.check_local_attempts();
        self.take_journal();
        applied
    }

    fn active_keys(&self, ids: &[String]) -> Vec<u64> {
        ids.iter()
            .filter_map(|id| self.schedule(id))
            .flat_map(|s| s.rt().active.iter().copied())
            .collect()
    }

    /// A schedule row from the database in place of what this engine holds.
    fn replace_schedule(
        &mut self,
        row: crate::store::ScheduleRow,
        state: Result<StoredState, String>,
    ) -> Result<(), EngineError> {
        let text = row.config.clone().unwrap_or_default();
        // Most changes are runtime state (a fire, a completion): the spec stays.
        let known = self
            .schedule(&row.schedule_id)
            .filter(|s| s.config == text)
            .map(|s| s.spec.clone());
        let spec = match known {
            Some(spec) => spec,
            None => {
                let config: Value = serde_json::from_str(&text).map_err(|e| {
                    EngineError::Internal(format!("schedule '{}': {e}", row.schedule_id))
                })?;
                let zone = self.options.default_zone.clone();
                super::config::parse_config(&config, &zone, &mut |t| self.compile_stored(t))?
            }
        };
        let state = state
            .map_err(|e| EngineError::Internal(format!("schedule '{}': {e}", row.schedule_id)))?;
        let mut fresh =
            super::state_record::schedule_from_state(spec, text, state).ok_or_else(|| {
                EngineError::Internal(format!("schedule '{}': unreadable state", row.schedule_id))
            })?;
        let index = match self.registry.slot_of(&row.schedule_id) {
            Some(index) => {
                let old = self.schedule_mut(index).expect("indexed");
                // What only this node keeps (its lists of records and skips, its samples)
                // stays; counters and waiting fires come from the row.
                let mut runtime = old.runtime.take().unwrap_or_default();
                if let Some(rt) = fresh.runtime.take() {
                    let rt = *rt;
                    runtime.buffered = rt.buffered;
                    let samples = std::mem::take(&mut runtime.stats.durations);
                    let (duration, lateness) = (runtime.stats.duration, runtime.stats.lateness);
                    runtime.stats = rt.stats;
                    runtime.stats.durations = samples;
                    runtime.stats.duration = duration;
                    runtime.stats.lateness = lateness;
                }
                fresh.runtime = Some(runtime);
                fresh.generation = old.generation;
                self.registry.replace(index, fresh);
                index
            }
            None => {
                if let Some(other) = self
                    .registry
                    .slot_of_config(&fresh.spec.fragments.config_id)
                {
                    // The config id moved to another schedule id: the old one is gone.
                    let old_id = self
                        .schedule_at(other)
                        .expect("indexed")
                        .spec
                        .fragments
                        .schedule_id
                        .clone();
                    self.forget_schedule(&old_id);
                }
                self.registry.insert(fresh)
            }
        };
        self.arm(index);
        Ok(())
    }

    /// A schedule another node deleted: gone here too, with its records.
    fn forget_schedule(&mut self, schedule_id: &str) {
        let Some(s) = self
            .registry
            .slot_of(schedule_id)
            .and_then(|index| self.registry.remove(index))
        else {
            return;
        };
        self.late.forget_schedule(schedule_id);
        for key in s.rt().history.iter().chain(s.rt().active.iter()) {
            self.executions.remove(key);
        }
    }

    fn forget_execution(&mut self, key: u64) {
        let Some(e) = self.executions.remove(&key) else {
            return;
        };
        if let Some(s) = self
            .registry
            .slot_of(&e.schedule_id)
            .and_then(|i| self.schedule_mut(i))
        {
            let rt = s.rt_mut();
            rt.active.retain(|k| *k != key);
            rt.history.retain(|k| *k != key);
        }
    }

    /// An execution row in place of what this engine holds (or added).
    fn replace_execution(&mut self, incoming: IncomingExecution, applied: &mut Applied) {
        let IncomingExecution { row, parsed } = incoming;
        // Read back for the late answer of an attempt this node let go of: held again.
        let wanted = self.awaits_late_record(row.seq) && !row.record.is_empty();
        let parsed = match parsed {
            Some(parsed) => parsed,
            None if wanted => Execution::from_row(&row),
            None if !self.executions.contains_key(&row.seq) => return,
            // Final when read, and held here as not final: the follow left its record out.
            None if row.record.is_empty() => return self.finished_elsewhere(&row, applied),
            None => Execution::from_row(&row),
        };
        let Some(e) = parsed else {
            return;
        };
        let Some(index) = self.registry.slot_of(&e.schedule_id) else {
            return;
        };
        let key = row.seq;
        let is_final = e.status.is_final();
        let duration = e.duration_ms().filter(|_| is_final);
        if is_final && !self.executions.contains_key(&key) && !wanted {
            // Finished elsewhere and never held here: it stays in the database.
            return;
        }
        let known = self.executions.insert(key, e);
        let s = self.schedule_mut(index).expect("indexed");
        let rt = s.rt_mut();
        if known.is_none() {
            let at = rt.history.partition_point(|k| *k < key);
            rt.history.insert(at, key);
        }
        let position = rt.active.binary_search(&key);
        match (is_final, position) {
            (false, Err(at)) => rt.active.insert(at, key),
            (true, Ok(at)) => {
                rt.active.remove(at);
                sample_duration(rt, duration);
            }
            _ => {}
        }
        self.prune_history(index);
    }

    /// An execution this node held as waiting or running, which another node finished:
    /// its duration is sampled and it goes (the database keeps finished work). One that
    /// runs here (it started after the follow began: a cancel from another node, say)
    /// needs its record: its schedule is read again at the next turn.
    fn finished_elsewhere(&mut self, row: &ExecutionRow, applied: &mut Applied) {
        let key = row.seq;
        if self.run_queue.runs_here(key) {
            applied.read_again.push(row.schedule_id.clone());
            return;
        }
        let duration = row.started_ms.zip(row.ended_ms).map(|(s, e)| e - s);
        let index = self.registry.slot_of(&row.schedule_id);
        if let Some(s) = index.and_then(|i| self.schedule_mut(i)) {
            sample_duration(s.rt_mut(), duration);
        }
        self.forget_execution(key);
    }

    fn add_skip(&mut self, row: SkipRow) {
        let (Some(index), Some(at), Some(recorded)) = (
            self.registry.slot_of(&row.schedule_id),
            DateTime::from_timestamp_millis(row.scheduled_ms),
            DateTime::from_timestamp_millis(row.recorded_ms),
        ) else {
            return;
        };
        let reason = super::persist::skip_reason(&row.reason);
        let s = self.schedule_mut(index).expect("indexed");
        let skips = &mut s.rt_mut().skips;
        if skips.iter().rev().take(64).any(|(t, _, _)| *t == at) {
            return;
        }
        let position = skips.partition_point(|(t, _, _)| *t < at);
        skips.insert(position, (at, recorded, reason));
    }

    /// Attempts this node runs whose record no longer says so (cancelled from another
    /// node, taken over after this node lost its lease): aborted here; whatever their
    /// executor answers is recorded as late.
    fn check_local_attempts(&mut self) {
        let token = self.node_token();
        let lost: Vec<(u64, u32)> = self
            .run_queue
            .running()
            .filter(|(key, attempt)| {
                let Some(e) = self.executions.get(key) else {
                    return true;
                };
                let ours = e.attempts.last().is_some_and(|a| {
                    a.number == *attempt
                        && a.ended.is_none()
                        && a.node.as_deref() == token.as_deref()
                });
                e.status != ExecutionStatus::Running || !ours
            })
            .collect();
        for (key, attempt) in lost {
            let cancelled = self
                .executions
                .get(&key)
                .is_some_and(|e| e.status == ExecutionStatus::Cancelled);
            let reason = if cancelled { "cancelled" } else { "reassigned" };
            self.abort_local_attempt(key, attempt, reason);
        }
    }

    /// Ends this process's part in an attempt: its slot is free, its executor is told, and
    /// its answer, whenever it comes, is recorded as late (`late`).
    pub(super) fn abort_local_attempt(&mut self, key: u64, attempt: u32, reason: &str) {
        self.release(key);
        self.remember_abandoned(key, attempt);
        if let Some(e) = self.executions.get(&key) {
            self.outbox.push(Message::Abort {
                execution_id: e.id.to_string(),
                attempt,
                reason: reason.into(),
            });
        }
    }

    /// The schedules of these executions, sorted and once each (the order rows are locked in).
    pub(super) fn schedules_of(&self, keys: impl Iterator<Item = u64>) -> Vec<String> {
        let mut ids: Vec<String> = keys
            .filter_map(|k| self.executions.get(&k))
            .map(|e| e.schedule_id.to_string())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The schedule a timer belongs to.
    pub(super) fn timer_schedule(&self, timer: &Timer) -> Option<String> {
        match timer {
            Timer::Fire { schedule, .. } => self
                .schedule_at(*schedule)
                .map(|s| s.spec.fragments.schedule_id.to_string()),
            Timer::Retry { execution, .. } | Timer::Timeout { execution, .. } => self
                .executions
                .get(execution)
                .map(|e| e.schedule_id.to_string()),
        }
    }

    /// This node's attempts, after it lost its lease: aborted, their slots freed. With
    /// `keep`, those started under that (current) token stay.
    pub(super) fn abandon_local_attempts(&mut self, keep: Option<&str>) {
        let local: Vec<(u64, u32)> =
            self.run_queue
                .running()
                .filter(|(key, _)| {
                    keep.is_none()
                        || self.executions.get(key).is_none_or(|e| {
                            e.attempts.last().and_then(|a| a.node.as_deref()) != keep
                        })
                })
                .collect();
        for (key, attempt) in local {
            self.abort_local_attempt(key, attempt, "lease lost");
        }
    }

    /// In a cluster, an executor's answer waits for the driver, which writes a batch of
    /// them in one transaction. Returns true when it was taken (cluster mode).
    pub(crate) fn defer_completion(
        &mut self,
        id: &str,
        attempt: u32,
        outcome: Outcome,
    ) -> Option<Outcome> {
        if !self.answers_batched() {
            return Some(outcome);
        }
        self.pending.push((id.to_string(), attempt, outcome));
        None
    }

    /// Answers taken for a write that did not write them: back before those that arrived
    /// since. Not once the node left its cluster: its answers went with it.
    pub(super) fn answers_not_written(&mut self, answers: Vec<super::answers::Answer>) {
        if self.is_cluster() {
            self.pending.put_back(answers);
        }
    }

    /// The scope of a command on one schedule.
    pub fn schedule_scope(&self, schedule_id: &str) -> Scope {
        Scope::Schedules {
            ids: vec![schedule_id.to_string()],
            skip_locked: false,
        }
    }

    /// The scope of a command on one execution: its schedule.
    pub fn execution_scope(&self, execution_id: &str) -> Scope {
        let ids = self
            .executions
            .key_of(execution_id)
            .and_then(|k| self.executions.get(&k))
            .map(|e| vec![e.schedule_id.to_string()])
            .unwrap_or_default();
        Scope::Schedules {
            ids,
            skip_locked: false,
        }
    }

    /// The scope of a configuration change: these schedules (by schedule id or config id).
    pub fn config_scope(&self, ids: Vec<String>, all: bool) -> Scope {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(s) = self.registry.by_config(&id) {
                out.push(s.spec.fragments.schedule_id.to_string());
            }
            out.push(id);
        }
        Scope::Config { ids: out, all }
    }

    pub(crate) fn release(&mut self, key: u64) {
        self.run_queue.release(key);
    }

    /// Executions a cluster records per row, for claims and the reaper.
    pub(crate) fn cluster_columns(&self, e: &Execution) -> (Option<i64>, Option<String>) {
        match e.status {
            ExecutionStatus::Queued => (Some(e.created.timestamp_millis()), None),
            ExecutionStatus::Retrying => {
                let ended = e.attempts.last().and_then(|a| a.ended).unwrap_or(e.created);
                let delay = self
                    .schedule(&e.schedule_id)
                    .map_or(0, |s| s.spec.extras().retry.delay_ms(e.counted_attempts()));
                (Some(ended.timestamp_millis() + delay as i64), None)
            }
            ExecutionStatus::Running => (None, e.attempts.last().and_then(|a| a.node.clone())),
            _ => (None, None),
        }
    }
}

pub(super) fn cluster_error(e: ClusterError) -> EngineError {
    EngineError::Cluster(e)
}

impl From<StoreError> for ClusterError {
    fn from(e: StoreError) -> Self {
        ClusterError::Database(e.to_string())
    }
}

/// A finished run's duration among a schedule's recent samples (metrics' percentiles).
fn sample_duration(rt: &mut super::schedule::Runtime, duration: Option<i64>) {
    if let Some(d) = duration {
        if rt.stats.durations.len() >= super::run::DURATION_SAMPLES {
            rt.stats.durations.pop_front();
        }
        rt.stats.durations.push_back(d.max(0) as u64);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::cluster::VersionedRow;
    use crate::store::ScheduleRow;

    pub(in crate::engine) fn schedule(id: &str) -> VersionedRow {
        VersionedRow {
            row: ScheduleRow {
                schedule_id: id.into(),
                config_id: id.into(),
                config: Some("{}".into()),
                state: r#"{"paused":false,"expired":false,"fired":0,"cursor":0,"created":0}"#
                    .into(),
            },
            version: 1,
            deleted: false,
        }
    }

    fn execution(seq: u64, schedule_id: &str, status: &'static str) -> ExecutionRow {
        ExecutionRow {
            seq,
            id: format!("e{seq}"),
            schedule_id: schedule_id.into(),
            status,
            scheduled_ms: 0,
            record: "not json".into(),
            trigger: "scheduled",
            priority: 5,
            due_ms: None,
            node: None,
            started_ms: None,
            ended_ms: None,
        }
    }

    #[test]
    fn a_follow_is_applied_in_slices_each_with_its_schedules_rows() {
        let schedules = (0..5).map(|i| schedule(&format!("s{i}"))).collect();
        let executions = vec![
            execution(1, "s0", "running"),
            execution(2, "s4", "completed"),
            execution(3, "s3", "queued"),
            // Of a schedule not in this read: never applied, so not kept.
            execution(4, "other", "queued"),
        ];
        let skips = vec![SkipRow {
            schedule_id: "s2".into(),
            scheduled_ms: 0,
            reason: "overlap".into(),
            recorded_ms: 0,
        }];
        let incoming = Incoming::read(schedules, executions, skips);
        // States are read; records of finished executions are left unread.
        assert!(incoming.schedules.iter().all(|s| s.state.is_ok()));
        let parsed: Vec<bool> = incoming
            .executions
            .iter()
            .map(|e| e.parsed.is_some())
            .collect();
        assert_eq!(parsed, [true, false, true, true]);

        let slices = incoming.slices(2);
        let ids = |i: &Incoming| -> Vec<String> {
            i.schedules
                .iter()
                .map(|s| s.row.schedule_id.clone())
                .collect()
        };
        assert_eq!(slices.len(), 3);
        assert_eq!(ids(&slices[0]), ["s0", "s1"]);
        assert_eq!(ids(&slices[2]), ["s4"]);
        let seqs = |i: &Incoming| -> Vec<u64> { i.executions.iter().map(|e| e.row.seq).collect() };
        assert_eq!(seqs(&slices[0]), [1]);
        assert_eq!(seqs(&slices[1]), [3]);
        assert_eq!(seqs(&slices[2]), [2]);
        assert_eq!(slices[1].skips.len(), 1);
        assert!(slices[0].skips.is_empty() && slices[2].skips.is_empty());
    }
}
