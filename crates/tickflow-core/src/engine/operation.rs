//! A locked operation of a cluster node, in phases, so that the engine's lock is never held
//! while the database works (JavaScript's reads and commands take that lock too):
//!
//! 1. engine (locked): what to lock;            2. database: begin, lock the rows;
//! 3. engine (locked): mark them, find stale;   4. database: read the stale ones;
//! 5. engine (locked): apply them, run the operation, take its changes and messages;
//! 6. database: commit;                         7. engine (locked): accept, or take back.
//!
//! What may run in memory between the phases, and why it is safe:
//! - Operations on other schedules (fires, claims, commands from JavaScript) run their own
//!   phases: other rows in the database, other schedules in memory. The engine's shared
//!   parts are each changed inside one locked phase: ids come from this node's block, the
//!   journal is taken before and after the operation in phase 5, and the operation's
//!   messages are held back from 5 to 7.
//! - Operations on the same schedules: from 2 to 6 the database's row locks keep them out;
//!   from 6 to 7 (committed or failed, not yet accepted in memory) the marks of phase 3 do:
//!   a second operation that got the rows waits in its phase 3, without the engine's lock,
//!   until the first one's phase 7 has run. So no operation builds on changes that may yet
//!   be taken back.
//! - JavaScript never sees an operation's messages (executor calls, events) before its
//!   commit; its reads may see the operation's changes in memory from 5 to 7, and see them
//!   taken back when the commit fails.
//! - Executor answers only queue (`Engine::pending`); the driver writes them in an
//!   operation of its own.
//! - A timer taken in phase 1 is checked against its schedule in phase 5 (its generation),
//!   as it always was when another node changed the schedule in between.
//! - Other nodes' commits (`follow`) leave marked schedules alone: their versions tell the
//!   next operation on them to read them first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::core::{Engine, Message};
use super::incoming::Incoming;
use super::shared::Shared;
use super::EngineError;
use crate::cluster::{ClusterError, Db, Locked, Scope, ID_BLOCK};
use crate::store::Changes;

/// What an operation changed, on its way to the database.
struct Uncommitted {
    changes: Changes,
    touched: Vec<String>,
    /// Its messages, for JavaScript once committed.
    held: Vec<Message>,
}

/// Schedules an operation has marked (phase 3 to 7); unmarked when dropped, should the
/// operation end early. Never dropped while its engine's lock is held.
struct Marks<'a> {
    shared: &'a Shared,
    ids: Vec<String>,
}

impl Drop for Marks<'_> {
    fn drop(&mut self) {
        if !self.ids.is_empty() {
            let ids = std::mem::take(&mut self.ids);
            if let Some(coordinator) = self.shared.lock().coordinator() {
                coordinator.unmark(&ids);
            }
        }
    }
}

/// The database error as the engine reports it (taken in a statement of its own, so that
/// no guard of the engine lives on where a `Marks` drops).
pub(super) fn failed(shared: &Shared, err: ClusterError) -> EngineError {
    let mut e = shared.lock();
    match e.split() {
        (engine, Some(coordinator)) => coordinator.db_failed(engine, err),
        (_, None) => EngineError::Cluster(err),
    }
}

/// Runs `op` with the rows of `scope` locked and current, in the phases above; its changes
/// are committed with them, or, when the commit fails, taken back. Every wait for the
/// database ends by `deadline`.
pub(crate) fn locked<R>(
    shared: &Shared,
    db: &Arc<Db>,
    deadline: Instant,
    scope: Scope,
    op: impl FnOnce(&mut Engine, &Locked) -> R,
) -> Result<R, EngineError> {
    // 1. A spare block of ids first, so that taking ids never waits for the database, and
    // an operation never waits for a second pooled connection inside its transaction (the
    // pool may hold only one).
    if shared.lock().needs_spare_block() {
        if let Ok(block) = db.next_block(deadline) {
            shared.lock().add_spare_block(block);
        }
    }
    // 2.
    let (tx, locked) = match db.begin(scope, deadline) {
        Ok(x) => x,
        Err(err) => return Err(failed(shared, err)),
    };
    // 3.
    let mut marks = Marks {
        shared,
        ids: Vec::new(),
    };
    let stale = loop {
        let mut e = shared.lock();
        let Some(coordinator) = e.coordinator() else {
            return Err(detached());
        };
        if let Some(mut stale) = coordinator.mark(&locked) {
            marks.ids = locked.versions.iter().map(|(id, _)| id.clone()).collect();
            let abandoned = e.abandoned_rows(&locked.versions);
            for (schedule, _) in &abandoned {
                if !stale.contains(schedule) {
                    stale.push(schedule.clone());
                }
            }
            let mut active = e.active_ids(&stale);
            let late: Vec<String> = abandoned.into_iter().map(|(_, id)| id).collect();
            active.extend(late.iter().cloned());
            break (stale, active, late);
        }
        drop(e);
        if Instant::now() >= deadline {
            return Err(failed(
                shared,
                ClusterError::Timeout(db.timeout().as_millis() as u64),
            ));
        }
        // Another operation of this node committed these rows and is about to say so.
        std::thread::sleep(Duration::from_millis(1));
    };
    // 4.
    let (stale, active, late) = stale;
    let loaded = if stale.is_empty() {
        None
    } else {
        match tx.load(stale.clone(), active) {
            Ok((rows, executions)) => Some(Incoming::read(rows, executions, Vec::new())),
            Err(err) => return Err(failed(shared, err)),
        }
    };
    // 5.
    let (result, uncommitted) = {
        let mut e = shared.lock();
        let (engine, coordinator) = e.split();
        let Some(coordinator) = coordinator else {
            return Err(detached());
        };
        if let Some(incoming) = loaded {
            coordinator.apply(engine, incoming, Some(&stale));
            engine.drop_missing_late(&late);
        }
        let (result, uncommitted) = engine.run_operation(&locked, op);
        if let Some(u) = &uncommitted {
            // What it touched beyond its rows (rare) is marked too.
            let extra: Vec<String> = u
                .touched
                .iter()
                .filter(|id| !marks.ids.contains(id))
                .cloned()
                .collect();
            coordinator.mark_ids(&extra);
            marks.ids.extend(extra);
        }
        (result, uncommitted)
    };
    let Some(u) = uncommitted else {
        return Ok(result);
    };
    if shared.lock().take_out_of_ids() {
        // Rolled back (the transaction is dropped): the numbers it used are another node's.
        // Its caller is told; no outage to report.
        let err = EngineError::Cluster(ClusterError::Unavailable(format!(
            "one operation took more than the {ID_BLOCK} execution numbers this node held; try again, or in smaller batches"
        )));
        drop(tx);
        reload(shared, db, u.touched, deadline);
        return Err(err);
    }
    // 6.
    let written: Vec<u64> = u.changes.executions.iter().map(|r| r.seq).collect();
    match tx.commit(u.changes, true) {
        Ok(versions) => {
            // 7.
            let mut e = shared.lock();
            let ids = std::mem::take(&mut marks.ids);
            if let Some(coordinator) = e.coordinator() {
                coordinator.committed(versions);
                coordinator.unmark(&ids);
            }
            e.outbox.release(u.held);
            e.settle_late(&written);
            shared.publish(&mut e);
            Ok(result)
        }
        Err(err) => {
            // 7. Nothing of it happened: its messages go, what it touched is read back.
            let err = failed(shared, err);
            reload(shared, db, u.touched, deadline);
            Err(err)
        }
    }
}

/// These schedules as the database has them (after a failed commit, or when one could not
/// be read back earlier): until they are, the next operation on them reads them first.
pub(super) fn reload(shared: &Shared, db: &Db, ids: Vec<String>, deadline: Instant) {
    let active = {
        let mut e = shared.lock();
        let Some(coordinator) = e.coordinator() else {
            return;
        };
        coordinator.forget_versions(&ids);
        e.active_ids(&ids)
    };
    let read = db
        .begin(
            Scope::Schedules {
                ids: Vec::new(),
                skip_locked: true,
            },
            deadline,
        )
        .and_then(|(tx, _)| tx.load(ids.clone(), active));
    let read = read.map(|(rows, executions)| Incoming::read(rows, executions, Vec::new()));
    let mut e = shared.lock();
    let (engine, coordinator) = e.split();
    match (read, coordinator) {
        (Ok(incoming), Some(coordinator)) => coordinator.apply(engine, incoming, Some(&ids)),
        // The node left meanwhile: what it holds is still what the database has.
        (Ok(incoming), None) => {
            engine.apply(incoming, Some(&ids), |_, _| false);
        }
        // Read back at the driver's next turn.
        (Err(_), Some(coordinator)) => coordinator.read_again(ids),
        (Err(_), None) => {}
    }
    engine.take_journal();
}

fn detached() -> EngineError {
    EngineError::Cluster(ClusterError::Unavailable("the store was closed".into()))
}

impl Engine {
    pub(super) fn needs_spare_block(&self) -> bool {
        self.numbers.needs_spare()
    }

    /// Whether an operation ran out of ids (`Numbers::next`); cleared.
    pub(super) fn take_out_of_ids(&mut self) -> bool {
        self.numbers.take_exhausted()
    }

    pub(super) fn add_spare_block(&mut self, block: u64) {
        self.numbers.add_spare(block);
    }

    /// Phase 5: runs `op`; its changes (if any) with what they touched, and its messages
    /// taken out of the outbox until they are committed.
    fn run_operation<R>(
        &mut self,
        locked: &Locked,
        op: impl FnOnce(&mut Engine, &Locked) -> R,
    ) -> (R, Option<Uncommitted>) {
        // Anything journaled outside an operation was this node's own bookkeeping.
        self.take_journal();
        let mark = self.outbox.mark();
        let result = op(self, locked);
        // Queued work that did not start here stays claimable by any node.
        self.run_queue.clear_waiting();
        let mut journal = self.take_journal();
        if journal.is_empty() {
            return (result, None);
        }
        // A schedule's version covers its executions: whatever changes one of them writes
        // the schedule's row too, so that a node holding the old version knows to reload.
        // (Without it, a node saw an execution as still queued that another had started,
        // and started it again: caught by the chaos test.)
        for key in &journal.executions {
            if let Some(index) = self
                .executions
                .get(key)
                .and_then(|e| self.registry.slot_of(&e.schedule_id))
            {
                journal.states.insert(index);
            }
        }
        let touched = self.touched_ids(&journal);
        let changes = self.changes(&journal);
        let held = self.outbox.hold_from(mark);
        (
            result,
            Some(Uncommitted {
                changes,
                touched,
                held,
            }),
        )
    }
}
