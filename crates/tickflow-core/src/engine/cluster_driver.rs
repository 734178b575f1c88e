//! A cluster node's side of the driver: the I/O. Each turn follows the others' commits,
//! then fires, claims and writes executor answers in one transaction (group commit); the
//! engine's lock is taken only between the database's steps (`operation`), never across
//! one. How the engine applies what it reads is `cluster`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::cluster::cluster_error;
use super::coordinator::{Coordinator, Joining, DEFER_MS};
use super::core::{Engine, Lifecycle};
use super::execution::ExecutionStatus;
use super::incoming::Incoming;
use super::operation::{failed, locked, reload};
use super::shared::Shared;
use super::timers::Timer;
use super::EngineError;
use crate::cluster::{Db, Scope, Tail};

/// Schedules applied per hold of the engine's lock while following the others.
const FOLLOW_SLICE: usize = 128;

impl Shared {
    /// Joins the cluster through `db`: read what it holds (without the engine's lock),
    /// then make it this engine's state. An observer's (`Db::is_observer`) engine is
    /// read-only: it takes no block of ids, and follows the nodes through `Shared::observe`.
    pub fn attach_cluster(&self, db: Db) -> Result<(), EngineError> {
        self.lock().check_attachable()?;
        let tail = db.tail(None).map_err(cluster_error)?;
        let block = match db.is_observer() {
            true => 0,
            false => db.next_block(db.deadline()).map_err(cluster_error)?,
        };
        let joining = Joining {
            tail,
            block,
            node: db.node.clone(),
            location: db.location().to_string(),
            observer: db.is_observer(),
        };
        // Before the engine says it is joined, so that whoever sees it joined finds it.
        let previous = self.history_db();
        let previous_clock = self.clock.follow_database(Some(db.node.clone()));
        self.set_db(Some(Arc::new(db)));
        let joined = {
            let mut e = self.lock();
            Coordinator::join(&mut e, joining).map(|c| e.joined(c))
        };
        if joined.is_err() {
            self.clock.follow_database(previous_clock);
            self.set_db(previous);
        }
        joined
    }
}

/// Follows what other nodes committed since the last look: read without the engine's
/// lock, applied with it (rows this node holds newer, or is working on, are left).
pub(super) fn follow(shared: &Shared, db: &Db, deadline: Instant) {
    let (xmin, local) = {
        let e = shared.lock();
        let Some(xmin) = e.coordinator_ref().map(|c| c.follow_from()) else {
            return;
        };
        (xmin, e.run_queue.running().map(|(k, _)| k as i64).collect())
    };
    match db.tail_until(deadline, Some(xmin), local) {
        Ok(Tail {
            xmin,
            schedules,
            executions,
            skips,
            ..
        }) => {
            // A herd's worth of rows is read here, without the lock, and applied a slice
            // at a time, so that JavaScript's reads and drains wait for one slice at most.
            // A row not applied yet is only older here than in the database, as between
            // two follows: an operation on it reads it first (its version says so).
            for slice in Incoming::read(schedules, executions, skips).slices(FOLLOW_SLICE) {
                let mut e = shared.lock();
                let (engine, Some(coordinator)) = e.split() else {
                    return;
                };
                coordinator.apply(engine, slice, None);
                shared.publish(&mut e);
            }
            if let Some(coordinator) = shared.lock().coordinator() {
                coordinator.followed(xmin);
            }
        }
        Err(err) => {
            failed(shared, err);
        }
    }
}

/// One turn of a cluster node's driver: follow the others, fire what is due, write
/// answers, claim work, take over from dead nodes. True when more is due at once.
pub(crate) fn cluster_turn(shared: &Shared, now: DateTime<Utc>, limit: usize) -> bool {
    let Some((news, suspect)) = ({
        let mut e = shared.lock();
        let (engine, coordinator) = e.split();
        coordinator.map(|c| c.turn_start(engine))
    }) else {
        return false;
    };
    let Some(db) = shared.cluster_db() else {
        return false;
    };
    if news {
        follow(shared, &db, db.turn_deadline());
    }
    if !suspect.is_empty() {
        reload(shared, &db, suspect, db.turn_deadline());
    }
    let live = db.node.lease_holds() && shared.lock().lifecycle == Lifecycle::Running;
    let more = work(shared, &db, now, limit, live);
    let reap_now = shared.lock().coordinator().is_some_and(|c| c.reap_due());
    if reap_now {
        reap(shared, &db);
    }
    more
}

/// A turn's work in one transaction (group commit): the executor answers waiting, the
/// timers due and, while this node has free slots, queued work to claim. Every part skips
/// rows another node holds: what it skips is done at a later turn, and no part waits.
/// Executor calls and events of all of it reach JavaScript once it is committed.
fn work(shared: &Shared, db: &Arc<Db>, now: DateTime<Utc>, limit: usize, live: bool) -> bool {
    let (answers, answered, due, due_ids, more, claim) = {
        let mut e = shared.lock();
        shared.take_answers(&mut e);
        let (e, Some(coordinator)) = e.split() else {
            return false;
        };
        let answers = e.pending.take_all();
        let answered = e.answer_schedules(&answers);
        let (due, due_ids, more) = coordinator.take_due(e, now, limit, live);
        // Each answer frees a slot.
        let free = (e.options.max_concurrency + answers.len()).saturating_sub(e.in_flight());
        let only = e.handlers.only();
        let hold = coordinator.holds_claims(more);
        let claim = (live && free > 0 && !hold).then_some(Scope::Claim {
            limit: free as i64,
            only,
        });
        (answers, answered, due, due_ids, more, claim)
    };
    let mut parts = Vec::new();
    for ids in [answered, due_ids] {
        if !ids.is_empty() {
            parts.push(Scope::Schedules {
                ids,
                skip_locked: true,
            });
        }
    }
    let claiming = claim.is_some();
    parts.extend(claim);
    if answers.is_empty() && due.is_empty() && !claiming {
        return more;
    }
    let kept_answers = answers.clone();
    let kept_due = due.clone();
    let result = locked(
        shared,
        db,
        db.turn_deadline(),
        Scope::Together(parts),
        move |e, locked| {
            let held: HashSet<&str> = locked.versions.iter().map(|(id, _)| id.as_str()).collect();
            let mut later = Vec::new();
            for (id, attempt, outcome) in answers {
                match e.answer_schedule(&id) {
                    Some(s) if !held.contains(s.as_str()) => later.push((id, attempt, outcome)),
                    _ => {
                        e.complete_now(&id, attempt, outcome);
                    }
                }
            }
            // Answers this operation re-queued (`complete_at`) go with those it left.
            later.extend(e.pending.take_all());
            let mut deferred = Vec::new();
            for (at, timer) in due {
                match e.timer_schedule(&timer) {
                    Some(id) if held.contains(id.as_str()) => {
                        if locked.live || matches!(timer, Timer::Timeout { .. }) {
                            e.on_timer_now(timer, at, now);
                        } else {
                            deferred.push(timer);
                        }
                    }
                    Some(_) => deferred.push(timer),
                    None => {}
                }
            }
            if claiming && locked.live {
                for id in &locked.executions {
                    let Some(key) = e.executions.key_of(id) else {
                        continue;
                    };
                    if matches!(
                        e.executions.get(&key).map(|x| x.status),
                        Some(ExecutionStatus::Queued | ExecutionStatus::Retrying)
                    ) {
                        e.enqueue(key);
                    }
                }
            }
            e.dispatch();
            (deferred, later)
        },
    );
    let mut e = shared.lock();
    match result {
        Ok((deferred, later)) => {
            // Left for a later turn.
            e.answers_not_written(later);
            if let Some(coordinator) = e.coordinator().filter(|_| claiming) {
                coordinator.claimed();
            }
            let defer = now + chrono::Duration::milliseconds(DEFER_MS);
            for timer in deferred {
                e.timers.push(defer, timer);
            }
        }
        Err(_) => {
            // The answers wait for the next turn; the timers are tried again shortly (late
            // fires then go through their catch-up policy).
            e.answers_not_written(kept_answers);
            let retry = now + chrono::Duration::milliseconds(1_000);
            for (_, timer) in kept_due {
                e.timers.push(retry, timer);
            }
        }
    }
    more
}

/// Nodes that died: their rows go, and their running attempts end INTERRUPTED and run
/// again (here or anywhere; `Engine::interrupt`).
fn reap(shared: &Shared, db: &Arc<Db>) {
    match db.reap_nodes() {
        Ok(alive) => {
            if let Some(coordinator) = shared.lock().coordinator() {
                coordinator.set_peers(alive);
            }
        }
        Err(err) => {
            failed(shared, err);
            return;
        }
    }
    let _ = locked(
        shared,
        db,
        db.turn_deadline(),
        Scope::Orphans,
        |e, locked| {
            for id in &locked.executions {
                if let Some(key) = e.executions.key_of(id) {
                    e.interrupt(key, "its node stopped answering");
                }
            }
            e.dispatch();
        },
    );
    super::history::expire_history(shared, db);
}

/// Writes the executor answers waiting, waiting for their rows if it must (at stop: a turn
/// leaves rows other nodes hold for later); on failure they wait for the next try.
fn flush_completions(shared: &Shared, db: &Arc<Db>) {
    let (batch, ids) = {
        let mut e = shared.lock();
        shared.take_answers(&mut e);
        if !e.is_cluster() || e.pending.is_empty() {
            return;
        }
        let batch = e.pending.take_all();
        let ids = e.answer_schedules(&batch);
        (batch, ids)
    };
    let kept = batch.clone();
    let result = locked(
        shared,
        db,
        db.stop_deadline(),
        Scope::Schedules {
            ids,
            skip_locked: false,
        },
        |e, _| {
            for (id, attempt, outcome) in batch {
                e.complete_now(&id, attempt, outcome);
            }
        },
    );
    if result.is_err() {
        shared.lock().answers_not_written(kept);
    }
}

impl Shared {
    /// Ends what still runs after a stop's grace (`Engine::abort_running`); in a cluster,
    /// attempts still running here end INTERRUPTED, to run again on the nodes that go on
    /// (queued work stays queued for them), without the engine's lock across the database.
    pub fn abort_running(&self) {
        let Some(db) = self.cluster_db() else {
            return self.lock().abort_running();
        };
        db.begin_stop();
        let ids = {
            let e = self.lock();
            if e.run_queue.running_len() == 0 {
                // Nothing runs here: no transaction (the database may be away).
                return;
            }
            e.schedules_of(e.run_queue.running().map(|(k, _)| k))
        };
        let result = locked(
            self,
            &db,
            db.stop_deadline(),
            Scope::Schedules {
                ids,
                skip_locked: false,
            },
            |e, _| {
                // What is still ours once the rows are current (another node may have
                // taken an attempt over meanwhile: that one is not ours to end).
                let local: Vec<(u64, u32)> = e.run_queue.running().collect();
                for (key, attempt) in local {
                    e.abort_local_attempt(key, attempt, "stop");
                    e.interrupt(key, "its node stopped");
                }
            },
        );
        if result.is_err() {
            // The database is away: the reaper of another node takes these over.
            self.lock().abandon_local_attempts(None);
        }
    }

    /// Commits and closes the durable store after a stop (`close_own_store`); in a
    /// cluster, the executor answers waiting are written first.
    pub fn close_store(&self) -> Result<(), EngineError> {
        let db = self.cluster_db();
        if let Some(db) = &db {
            flush_completions(self, db);
        }
        let mut e = self.lock();
        let closed = self.close_own_store(&mut e);
        let left = !e.is_cluster();
        if left {
            e.left();
            // Answers from now on complete in memory, as on a store of one process.
            self.set_clustered(false);
            self.clock.follow_database(None);
            self.take_answers(&mut e);
        }
        drop(e);
        if let Some(db) = &db {
            if left {
                // The node's row goes; the database stays this node's for reads of history.
                db.leave();
            }
            db.end_stop();
        }
        closed
    }

    /// Runs a command: on memory and SQLite under the engine's lock, committed before it
    /// answers (`OwnStore::committed`); on one node of a cluster, under the locks of the rows
    /// `scope` names, in the phases of `operation` (call it off the JavaScript thread: it
    /// waits for the database, until the store's `commandTimeoutMs`).
    pub fn command<R, E>(
        &self,
        scope: impl FnOnce(&Engine) -> Scope,
        op: impl FnOnce(&mut Engine) -> Result<R, E> + Send + 'static,
        wrap: fn(EngineError) -> E,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: Send + 'static,
    {
        let db = {
            let mut e = self.lock();
            match self.cluster_db_of(&e) {
                Some(db) => db,
                // Refused while the store is closing or closed (a change on a cluster node
                // stopping): it would be answered and never written.
                None => match e.check_writable() {
                    Ok(()) => return self.committed(&mut e, op, wrap),
                    Err(err) => return Err(wrap(err)),
                },
            }
        };
        let deadline = db.deadline();
        if db
            .node
            .changed
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            follow(self, &db, deadline);
        }
        let scope = scope(&self.lock());
        let result = self.grouped(&db, deadline, scope, op, wrap);
        // Its timers may have moved.
        self.poke();
        result
    }
}
