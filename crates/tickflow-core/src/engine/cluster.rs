//! The engine as one node of a cluster on PostgreSQL (see `crate::cluster`), in memory:
//! joining, applying the rows other nodes committed, choosing which due timers this node
//! fires, and the scopes operations lock. It touches no database: `cluster_driver` does the
//! I/O of each turn, `operation` runs a change in phases around its transaction.
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
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::core::{Engine, Lifecycle, Message};
use super::execution::Outcome;
use super::execution::{Execution, ExecutionStatus};
use super::incoming::{Incoming, IncomingExecution};
use super::journal::Journal;
use super::link::{ClusterLink, Joining};
use super::state_record::StoredState;
use super::timers::Timer;
use super::EngineError;
use crate::cluster::{ClusterError, Scope};
use crate::store::{ExecutionRow, SkipRow, Snapshot, StoreError};

/// A lost notification is covered by a look at the database this often.
pub(super) const POLL: StdDuration = StdDuration::from_millis(1_000);
/// Other nodes' commits are read at most this often: under load, many commits (and several
/// changes of one row) are read at once.
pub(super) const TAIL_EVERY: StdDuration = StdDuration::from_millis(50);
/// Dead nodes are looked for this often.
pub(super) const REAP: StdDuration = StdDuration::from_millis(1_000);
/// How long claims may wait while a herd's fires are recorded (`cluster_driver::work`).
/// Turns of fires alone recorded a 20,000 herd's fires in 1.47 s instead of 2.05 s, and
/// finished the herd as soon (`node bench/cluster-async.js 20000 10`).
pub(super) const CLAIM_HOLD: StdDuration = StdDuration::from_millis(250);
/// A timer whose schedule another node holds is looked at again this much later.
pub(super) const DEFER_MS: i64 = 200;
/// What `take_due` takes for a turn: the timers (with their instants), the schedules to
/// lock for them, and whether more are due at once.
pub(super) type TakenDue = (Vec<(DateTime<Utc>, Timer)>, Vec<String>, bool);
/// Each schedule has a preferred node among those alive (rendezvous hashing): it fires the
/// schedule, and the others only step in when it has not this long after the due time,
/// in a turn without timers of their own due, or `STEP_IN_LATEST_MS` later (`take_due`).
/// So firing (and the work a fire starts) spreads over the nodes, and nodes do not race
/// for the same rows.
const STEP_IN_MS: i64 = 100;
/// A node with its own timers due still steps in for a fire this long past its time to
/// step in, with room in its turn: a steady stream of its own timers (timeouts, retries)
/// holds another node's schedule back no longer, well within the misfire threshold's
/// default (1 s). Only a backlog of its own that fills its turns holds it longer.
const STEP_IN_LATEST_MS: i64 = 400;
/// How long a node without a schedule's handler leaves its fire to nodes with one.
const NO_HANDLER_WAIT_MS: i64 = 2_000;

/// Whose turn a due timer is, on this node (`Engine::turn_of`).
enum Turn {
    Own,
    /// Since when this node may step in.
    StepIn(DateTime<Utc>),
    NotBefore(DateTime<Utc>),
}

impl Engine {
    pub(super) fn join_cluster(&mut self, joining: Joining) -> Result<(), EngineError> {
        self.check_attachable()?;
        let Joining {
            tail,
            block,
            node,
            location,
            observer,
        } = joining;
        let mut versions = HashMap::new();
        let mut schedules = Vec::new();
        for v in tail.schedules {
            versions.insert(v.row.schedule_id.clone(), v.version);
            if !v.deleted {
                schedules.push(v.row);
            }
        }
        let snapshot = Snapshot {
            // The engine's counter comes from this node's own block, just below.
            seq: 0,
            schedules,
            executions: tail.executions,
            skips: tail.skips,
        };
        self.clear_state();
        if let Err(err) = self.restore(snapshot, &location) {
            self.clear_state();
            return Err(err);
        }
        self.numbers.start_block(block);
        self.store_pending = false;
        self.persistence = Some(Box::new(super::journal::Persistence::detached()));
        self.readonly = observer;
        let now = Instant::now();
        self.cluster = Some(Box::new(ClusterLink {
            incarnation: node.incarnation.load(std::sync::atomic::Ordering::SeqCst),
            node,
            versions,
            busy: HashMap::new(),
            xmin: Some(tail.xmin),
            last_tail: now,
            last_reap: now - REAP,
            // A herd due at the join is claimed from at once.
            last_claim: now - CLAIM_HOLD,
            pending: Default::default(),
            late: Default::default(),
            failing: false,
            peers: Vec::new(),
            suspect: Vec::new(),
            retention: Default::default(),
        }));
        Ok(())
    }

    pub fn is_cluster(&self) -> bool {
        self.cluster.is_some()
    }

    /// Whether this engine's work is the cluster's: queued work, retries and fires waiting
    /// their turn run on whichever node has the handler and room (claims), and wait in the
    /// database while this node stops; attempts of a node that died are the reapers'. A
    /// process alone owns its work: it dispatches it, and decides its fate at a stop.
    pub(crate) fn work_is_shared(&self) -> bool {
        self.cluster.is_some()
    }

    /// Whether finished executions are kept in the database rather than in this engine
    /// (retention applies there, `history`).
    pub(crate) fn history_in_database(&self) -> bool {
        self.cluster.is_some()
    }

    /// Whether executor answers wait for the driver's next write (written in batches,
    /// under their schedules' locks) rather than complete at once.
    pub(crate) fn answers_batched(&self) -> bool {
        self.cluster.is_some()
    }

    /// This node's token (attempts are recorded under it), when in a cluster.
    pub(crate) fn node_token(&self) -> Option<String> {
        self.cluster.as_ref().map(|c| c.node.token())
    }

    /// Leaves the cluster in memory (`Shared::close_store` writes the answers waiting first,
    /// and then has the node's row go).
    pub(crate) fn detach_cluster(&mut self) {
        self.cluster = None;
        self.numbers.leave_blocks();
    }

    // ---------------------------------------------------------------------------------
    // Locked operations

    pub(super) fn db_failed(&mut self, e: ClusterError) -> EngineError {
        let Some(link) = self.cluster.as_mut() else {
            return cluster_error(e);
        };
        // A second run refused, a row another session held too long: no outage; the
        // operation is taken back (or tried again), nothing more.
        let busy = matches!(
            e,
            ClusterError::Duplicate { .. } | ClusterError::LockTimeout(_)
        );
        if !busy && !std::mem::replace(&mut link.failing, true) {
            let text = format!("{e}; tickflow retries until it works again (reported once)");
            self.report_error(e.code(), &text);
        }
        cluster_error(e)
    }

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
    /// lock: `Incoming::read`). For the schedules in `authoritative`, the executions given
    /// are all those not final: others this engine holds as running or waiting were never
    /// committed, and go.
    pub(super) fn apply(&mut self, incoming: Incoming, authoritative: Option<&[String]>) {
        let Incoming {
            schedules: rows,
            executions,
            skips,
        } = incoming;
        let mut current: HashSet<String> = HashSet::new();
        if let Some(ids) = authoritative {
            // Asked for and not there: never committed (a create whose commit failed).
            let found: HashSet<&str> = rows.iter().map(|v| v.row.schedule_id.as_str()).collect();
            for id in ids.iter().filter(|id| !found.contains(id.as_str())) {
                self.forget_schedule(id);
                if let Some(c) = self.cluster.as_mut() {
                    c.versions.remove(id);
                }
            }
        }
        for v in rows {
            let id = v.row.schedule_id.clone();
            let known = self
                .cluster
                .as_ref()
                .and_then(|c| c.versions.get(&id).copied());
            // Not while an operation of this node is on it: its version makes the next
            // operation read it (`operation`).
            if authoritative.is_none()
                && (known.is_some_and(|k| k >= v.version) || self.is_marked(&id))
            {
                continue;
            }
            current.insert(id.clone());
            if v.deleted {
                self.forget_schedule(&id);
            } else if let Err(err) = self.replace_schedule(v.row, v.state) {
                self.report_error("ERR_STORE_CORRUPT", &err.to_string());
            }
            if let Some(c) = self.cluster.as_mut() {
                c.versions.insert(id, v.version);
            }
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
            if authoritative.is_some() || current.contains(&e.row.schedule_id) {
                self.replace_execution(e);
            }
        }
        for row in skips {
            if current.contains(&row.schedule_id) {
                self.add_skip(row);
            }
        }
        self.check_local_attempts();
        self.take_journal();
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
        if let Some(link) = self.cluster.as_mut() {
            link.late.forget_schedule(schedule_id);
        }
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
    fn replace_execution(&mut self, incoming: IncomingExecution) {
        let IncomingExecution { row, parsed } = incoming;
        // Read back for the late answer of an attempt this node let go of: held again.
        let wanted = self.awaits_late_record(row.seq) && !row.record.is_empty();
        let parsed = match parsed {
            Some(parsed) => parsed,
            None if wanted => Execution::from_row(&row),
            None if !self.executions.contains_key(&row.seq) => return,
            // Final when read, and held here as not final: the follow left its record out.
            None if row.record.is_empty() => return self.finished_elsewhere(&row),
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
    fn finished_elsewhere(&mut self, row: &ExecutionRow) {
        let key = row.seq;
        if self.run_queue.runs_here(key) {
            if let Some(link) = self.cluster.as_mut() {
                link.versions.remove(&row.schedule_id);
                link.suspect.push(row.schedule_id.clone());
            }
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

    /// The in-memory start of a driver's turn: reports, a new incarnation, and whether to
    /// follow the others now; the database and the schedules to read back.
    pub(super) fn turn_start(&mut self) -> Option<(bool, Vec<String>)> {
        let link = self.cluster.as_mut()?;
        let node = link.node.clone();
        let reports: Vec<_> =
            std::mem::take(&mut *node.reports.lock().unwrap_or_else(|p| p.into_inner()));
        for (code, message) in reports {
            self.report_error(code, &message);
        }
        let incarnation = node.incarnation.load(std::sync::atomic::Ordering::SeqCst);
        let link = self.cluster.as_mut().expect("in a cluster");
        if incarnation != link.incarnation {
            // The node joined again under a new token: whatever it ran under the old one
            // has been (or will be) taken over. (What it started under the new one, in a
            // turn that began before this one saw the change, is its own.)
            link.incarnation = incarnation;
            self.abandon_local_attempts(Some(&node.token()));
        }
        // Cut off from the database past its lease: the other nodes are taking its attempts
        // over, so they stop here (their late answers are recorded once it is back).
        if node.lease_lapsed()
            && self.run_queue.running_len() > 0
            && self.lifecycle == Lifecycle::Running
        {
            self.abandon_local_attempts(None);
            // Not under this token again, even if its lease is renewed after all: the
            // attempts just given up would stay running in the database.
            node.fence();
        }
        let link = self.cluster.as_mut().expect("in a cluster");
        let since = link.last_tail.elapsed();
        let news = node.changed.load(std::sync::atomic::Ordering::SeqCst);
        let follow = since >= POLL || (news && since >= TAIL_EVERY);
        if follow {
            node.changed
                .store(false, std::sync::atomic::Ordering::SeqCst);
        }
        let suspect = std::mem::take(&mut link.suspect);
        Some((follow, suspect))
    }

    /// Whether this node fires `timer` now: its own (a fire it is preferred for, or a retry or
    /// timeout), another node's it may step in for, or another node's not yet. A node
    /// without the schedule's handler waits longer, for one with it; when none fired it by
    /// then, it records the occurrence skipped (no_handler).
    fn turn_of(&self, timer: &Timer, now: DateTime<Utc>) -> Turn {
        let Timer::Fire { schedule, .. } = timer else {
            return Turn::Own;
        };
        let (Some(link), Some(s)) = (self.cluster.as_ref(), self.schedule_at(*schedule)) else {
            return Turn::Own;
        };
        let wait_ms = if !self.handles(&s.spec.fragments.schedule_id) {
            NO_HANDLER_WAIT_MS
        } else {
            let token = link.node.token();
            let preferred = link
                .peers
                .iter()
                .max_by_key(|peer| rendezvous(&s.spec.fragments.schedule_id, peer));
            if preferred.is_none_or(|p| *p == token) {
                return Turn::Own;
            }
            STEP_IN_MS
        };
        let Some(next_fire) = s.next_fire else {
            return Turn::Own;
        };
        let due =
            next_fire + chrono::Duration::milliseconds(s.spec.extras().jitter_ms as i64 + wait_ms);
        if now < due {
            Turn::NotBefore(due)
        } else {
            Turn::StepIn(due)
        }
    }

    /// How soon the driver must look again, for news it holds back (`TAIL_EVERY`).
    pub fn cluster_wait(&self) -> Option<StdDuration> {
        let link = self.cluster.as_ref()?;
        if !link.node.changed.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        Some(TAIL_EVERY.saturating_sub(link.last_tail.elapsed()))
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

    /// The timers due now that this node fires (at most `limit`), with the schedules to
    /// lock for them; whether more are due at once.
    pub(super) fn take_due(&mut self, now: DateTime<Utc>, limit: usize, live: bool) -> TakenDue {
        let mut due = Vec::new();
        let mut later = Vec::new();
        // Every node holds every timer, in the same order: each takes its slice from a
        // place of its own among what is due, so that nodes racing for a herd lock
        // different rows instead of queueing behind each other's locks.
        let mut popped = Vec::new();
        while popped.len() < limit * 4 {
            let Some(item) = self.timers.pop_due(now) else {
                break;
            };
            popped.push(item);
        }
        if popped.len() > limit {
            let start = (self.random() % popped.len() as u64) as usize;
            popped.rotate_left(start);
        }
        let mut step_ins = Vec::new();
        for (at, timer) in popped {
            if due.len() >= limit {
                self.timers.push(at, timer);
                continue;
            }
            // Without a lease this node fires nothing; its own attempts still time out.
            if !live && !matches!(timer, Timer::Timeout { .. }) {
                later.push((at, timer));
                continue;
            }
            match self.turn_of(&timer, now) {
                Turn::Own => due.push((at, timer)),
                Turn::StepIn(since) => step_ins.push((at, timer, since)),
                Turn::NotBefore(until) => self.timers.push(until, timer),
            }
        }
        // A node steps in for the others in a turn without timers of its own: in a herd
        // every node is busy with its own share, and stepping in meanwhile would race the
        // others for rows they are about to fire, and read back rows they just fired. A
        // fire left that long (`STEP_IN_LATEST_MS`) is stood in for anyway, with room left.
        let own_due = !due.is_empty();
        let latest = now - chrono::Duration::milliseconds(STEP_IN_LATEST_MS);
        for (at, timer, since) in step_ins {
            if due.len() < limit && (!own_due || since <= latest) {
                due.push((at, timer));
            } else {
                self.timers.push(at, timer);
            }
        }
        let more = self.timers.next_due().is_some_and(|d| d <= now);
        let defer = now + chrono::Duration::milliseconds(DEFER_MS);
        for (_, timer) in later {
            self.timers.push(defer, timer);
        }
        let mut ids: Vec<String> = due
            .iter()
            .filter_map(|(_, t)| self.timer_schedule(t))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        (due, ids, more)
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
        match self.cluster.as_mut() {
            Some(c) => {
                c.pending.push((id.to_string(), attempt, outcome));
                None
            }
            None => Some(outcome),
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

/// Rendezvous (highest random weight) hashing: every node computes the same preferred node
/// for a schedule from the same list, and a node joining or leaving moves only its share.
fn rendezvous(schedule_id: &str, token: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in schedule_id.bytes().chain([0xff]).chain(token.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    // FNV alone mixes the last bytes weakly: finish with a multiply-xorshift.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
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
mod tests {
    use super::*;
    use crate::cluster::{NodeState, Tail, VersionedRow, ID_BLOCK};
    use crate::store::ScheduleRow;
    use std::sync::Arc;

    fn schedule(id: &str) -> VersionedRow {
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

    /// An engine joined to a cluster in memory, with ids from `block`.
    fn joined(block: u64) -> Engine {
        let mut e = Engine::new(Default::default(), None);
        e.expect_store();
        e.join_cluster(Joining {
            tail: Tail {
                xmin: "1".into(),
                ..Default::default()
            },
            block,
            node: NodeState::new("n1", Arc::new(|| {})),
            location: "test".into(),
            observer: false,
        })
        .unwrap();
        e
    }

    #[test]
    fn a_joined_node_numbers_its_executions_from_its_block_without_the_database() {
        // The blocks' own rules: `numbers`.
        let mut e = joined(ID_BLOCK);
        e.next_id("exec");
        assert_eq!(e.numbers.last(), ID_BLOCK + 1);
        assert!(e.needs_spare_block());
        e.add_spare_block(7 * ID_BLOCK);
        assert!(!e.needs_spare_block());
        assert!(!e.take_out_of_ids());
        assert!(e.outbox.is_empty(), "no error reported");
    }

    /// A schedule row due every minute, from `2026-03-01T00:00:00Z`.
    fn every_minute(id: &str) -> VersionedRow {
        let mut v = schedule(id);
        v.row.config = Some(format!(
            r#"{{"id":"{id}","scheduleId":"{id}","workflowId":"w","scheduleConfig":{{"cronExpression":"* * * * *"}}}}"#
        ));
        v.row.state =
            r#"{"paused":false,"expired":false,"fired":0,"cursor":1772323200000,"created":0}"#
                .into();
        v
    }

    #[test]
    fn in_a_herd_a_node_fires_its_own_share_before_it_steps_in_for_the_others() {
        let t0 = super::super::tests::at("2026-03-01T00:00:00Z");
        let mut e = Engine::new(Default::default(), Some(t0));
        e.expect_store();
        let ids: Vec<String> = (0..300).map(|i| format!("s{i}")).collect();
        e.join_cluster(Joining {
            tail: Tail {
                xmin: "1".into(),
                schedules: ids.iter().map(|id| every_minute(id)).collect(),
                ..Default::default()
            },
            block: ID_BLOCK,
            node: NodeState::new("n1", Arc::new(|| {})),
            location: "test".into(),
            observer: false,
        })
        .unwrap();
        e.start().unwrap();
        let me = e.node_token().unwrap();
        let peers = vec![me.clone(), "n2#x".to_string(), "n3#y".to_string()];
        e.cluster.as_mut().unwrap().peers = peers.clone();
        let own: std::collections::HashSet<&str> = ids
            .iter()
            .filter(|id| peers.iter().max_by_key(|p| rendezvous(id, p)) == Some(&me))
            .map(String::as_str)
            .collect();
        assert!(
            (60..140).contains(&own.len()),
            "about a third: {}",
            own.len()
        );
        let due = super::super::tests::at("2026-03-01T00:01:00Z");

        // Before the time to step in, only this node's own fires are taken.
        let (taken, schedules, more) = e.take_due(due, 1_000, true);
        assert_eq!(taken.len(), own.len());
        assert!(schedules.iter().all(|id| own.contains(id.as_str())));
        assert!(!more, "the others' fires wait for their time to step in");
        for (at, timer) in taken {
            e.timers.push(at, timer);
        }

        // Past it, a node that still has its own fires due takes those first, turn after
        // turn, and steps in for the others only with room left in a turn.
        let later = due + chrono::Duration::milliseconds(STEP_IN_MS + 1);
        let mut turns = Vec::new();
        loop {
            let (taken, schedules, more) = e.take_due(later, 40, true);
            assert!(taken.len() <= 40);
            let mine = schedules
                .iter()
                .filter(|id| own.contains(id.as_str()))
                .count();
            turns.push((mine, schedules.len() - mine));
            if !more {
                break;
            }
        }
        let own_turns = turns.iter().take_while(|(_, others)| *others == 0).count();
        assert_eq!(
            turns[..own_turns]
                .iter()
                .map(|(mine, _)| mine)
                .sum::<usize>(),
            own.len(),
            "{turns:?}"
        );
        assert!(
            turns[own_turns..].iter().all(|(mine, _)| *mine == 0),
            "{turns:?}"
        );
        assert_eq!(
            turns[own_turns..]
                .iter()
                .map(|(_, others)| others)
                .sum::<usize>(),
            ids.len() - own.len()
        );

        // A node whose own timers keep coming due still steps in, once a fire of another
        // node's has waited past STEP_IN_LATEST_MS.
        let (taken, ..) = e.take_due(later, 1_000, true);
        assert!(taken.is_empty());
        for id in ids.iter().filter(|id| !own.contains(id.as_str())).take(3) {
            let slot = e.registry.slot_of(id).unwrap();
            e.timers.push(
                due,
                Timer::Fire {
                    schedule: slot,
                    generation: e.schedule_at(slot).unwrap().generation,
                },
            );
        }
        let busy = |e: &mut Engine| {
            for _ in 0..5 {
                e.timers.push(
                    due,
                    Timer::Retry {
                        execution: 999,
                        attempt: 1,
                    },
                );
            }
        };
        busy(&mut e);
        let (taken, ..) = e.take_due(later, 40, true);
        assert_eq!(taken.len(), 5, "its own only: {taken:?}");
        let past = due + chrono::Duration::milliseconds(STEP_IN_MS + STEP_IN_LATEST_MS);
        busy(&mut e);
        let (taken, ..) = e.take_due(past, 40, true);
        assert_eq!(taken.len(), 8, "its own and the others' now: {taken:?}");
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
