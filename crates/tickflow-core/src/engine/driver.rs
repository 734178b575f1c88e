//! The system-clock driver: one tokio task sleeps until the earliest timer of all
//! schedules, fires what is due, and wakes JavaScript when there are messages to drain.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration as StdDuration;

use tokio::sync::Notify;

use super::core::Engine;
use super::run::Outcome;

/// Longest single sleep: wall-clock jumps (a host that slept, an NTP step) are noticed
/// within this time, at the cost of one wake-up per second while idle.
pub const MAX_SLEEP: StdDuration = StdDuration::from_secs(1);

/// tokio's timer has millisecond ticks and rounds a deadline up, so a sleep until the due
/// instant wakes up to a millisecond late. The driver sleeps until this much before a fire
/// and yields its way through the rest: fires start within a fraction of a millisecond.
const SPIN: StdDuration = StdDuration::from_millis(1);

/// The engine as shared between the JS thread and the driver task.
pub struct Shared {
    engine: Mutex<Engine>,
    notify: Notify,
    /// Each start gets a new epoch; a driver runs while the epoch it was started with is
    /// current, so a driver from before a quick stop-and-start cannot linger beside the new one.
    epoch: AtomicU64,
    /// A wake-up has been sent and JS has not drained since.
    wake_pending: AtomicBool,
    /// On a cluster node, executors' answers (engine key, attempt, outcome) are handed over
    /// here, without the engine's lock, which a driver's turn may hold for a while: the
    /// JavaScript thread never waits for it to answer. The driver takes them at its turn.
    answers: Mutex<Vec<(u64, u32, Outcome)>>,
    clustered: AtomicBool,
    /// Commands waiting for the next transaction of commands (`group`).
    pub(super) commands: super::group::Commands,
    /// On a cluster node, messages moved out of the engine's outbox (under its lock, so in
    /// order) when an operation ends: a drain takes them without waiting for the engine,
    /// which the driver may hold for a slice of a herd.
    published: Mutex<Vec<super::core::Message>>,
    /// The cluster's database (I/O lives here, at the edge, not in the engine): from the
    /// time this node joins, and after it left, for reads of history. Held only to clone.
    db: Mutex<Option<Arc<crate::cluster::Db>>>,
}

impl Shared {
    pub fn new(engine: Engine) -> Shared {
        Shared {
            engine: Mutex::new(engine),
            notify: Notify::new(),
            epoch: AtomicU64::new(0),
            wake_pending: AtomicBool::new(false),
            answers: Mutex::new(Vec::new()),
            clustered: AtomicBool::new(false),
            commands: Default::default(),
            published: Mutex::new(Vec::new()),
            db: Mutex::new(None),
        }
    }

    pub(super) fn set_db(&self, db: Option<Arc<crate::cluster::Db>>) {
        *self.db.lock().unwrap_or_else(|e| e.into_inner()) = db;
    }

    /// Where history is read: the cluster's database, or after a stop the one this node
    /// left (its records are not in memory).
    pub fn history_db(&self) -> Option<Arc<crate::cluster::Db>> {
        self.db.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The cluster's database while `engine` (this one, locked) is a node of it.
    pub fn cluster_db_of(&self, engine: &Engine) -> Option<Arc<crate::cluster::Db>> {
        engine.is_cluster().then(|| self.history_db()).flatten()
    }

    /// The cluster's database while this engine is a node of it.
    pub fn cluster_db(&self) -> Option<Arc<crate::cluster::Db>> {
        self.cluster_db_of(&self.lock())
    }

    /// Whether this engine is a node of a cluster (its answers go through `hand_answers`).
    pub fn clustered(&self) -> bool {
        self.clustered.load(Ordering::SeqCst)
    }

    pub fn set_clustered(&self, on: bool) {
        self.clustered.store(on, Ordering::SeqCst);
    }

    /// Executors' answers for the driver's next turn (cluster nodes).
    pub fn hand_answers(&self, answers: impl IntoIterator<Item = (u64, u32, Outcome)>) {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(answers);
        self.poke();
    }

    /// The answers handed over since the last call, given to `engine` (which holds them
    /// for its next write, or completes them at once when no longer in a cluster).
    pub(crate) fn take_answers(&self, engine: &mut Engine) {
        let answers = std::mem::take(&mut *self.answers.lock().unwrap_or_else(|e| e.into_inner()));
        for (key, attempt, outcome) in answers {
            engine.complete_key(key, attempt, outcome);
        }
    }

    /// Moves what `engine` (this one, locked by the caller) has to say to the published
    /// messages.
    pub(crate) fn publish(&self, engine: &mut Engine) {
        if !engine.outbox.is_empty() {
            self.published
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .append(&mut engine.outbox);
        }
    }

    /// Everything said so far, in order. On a cluster node, when the engine is busy, what
    /// was published (the rest is published when the holder is done, and wakes JavaScript).
    pub fn take_messages(&self) -> Vec<super::core::Message> {
        let engine = if self.clustered() {
            match self.engine.try_lock() {
                Ok(e) => Some(e),
                Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            }
        } else {
            Some(self.lock())
        };
        let mut published = self.published.lock().unwrap_or_else(|e| e.into_inner());
        let mut messages = std::mem::take(&mut *published);
        drop(published);
        if let Some(mut engine) = engine {
            messages.append(&mut engine.take_messages());
        }
        messages
    }

    fn has_published(&self) -> bool {
        !self
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// The engine. A panic while it was held does not make it unusable: the engine's
    /// operations leave it consistent between steps, and the fault was already reported.
    pub fn lock(&self) -> MutexGuard<'_, Engine> {
        self.engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the driver that timers changed (a schedule was added, resumed, updated).
    pub fn poke(&self) {
        self.notify.notify_one();
    }

    /// Ends the current driver.
    pub fn shutdown(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// The epoch for a new driver.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Called by JS before it drains: later messages need a new wake-up.
    pub fn clear_wake(&self) {
        self.wake_pending.store(false, Ordering::SeqCst);
    }

    /// True when the caller should send a wake-up (none is outstanding).
    pub fn claim_wake(&self) -> bool {
        !self.wake_pending.swap(true, Ordering::SeqCst)
    }
}

/// Timers handled per turn of the lock: JavaScript can drain the first fires of a herd
/// while the driver works through the rest.
pub const SLICE: usize = 512;

/// Runs until the next `shutdown` after `epoch` (read with `Shared::epoch` when the driver
/// is started, not when its task first runs: a stop in between must still end it). `wake`
/// asks JavaScript to drain the outbox; it must not block.
pub async fn drive(shared: std::sync::Arc<Shared>, epoch: u64, wake: impl Fn()) {
    while shared.epoch() == epoch {
        // (sleep before the next turn, or None to go on at once; messages waiting?)
        let (wait, has_messages, spin) = {
            let (spin, now, cluster) = {
                let engine = shared.lock();
                // Not under a test's paused tokio clock: yielding would never let it advance.
                (!engine.on_tokio_clock(), engine.now(), engine.is_cluster())
            };
            let mut more = false;
            if catch_unwind(AssertUnwindSafe(|| {
                more = if cluster {
                    // Takes the lock only between its database steps.
                    super::cluster::cluster_turn(&shared, now, SLICE)
                } else {
                    shared.lock().process_due_some(now, SLICE)
                };
                let mut engine = shared.lock();
                // Durable even while JavaScript is too busy to drain.
                engine.maintain();
                engine.commit();
            }))
            .is_err()
            {
                let mut engine = shared.lock();
                engine.report_error(
                    "ERR_INTERNAL",
                    "an internal fault (panic) interrupted timer processing; the scheduler goes on",
                );
                if catch_unwind(AssertUnwindSafe(|| engine.recover())).is_err() {
                    engine.report_error("ERR_INTERNAL", "recovering from an internal fault failed");
                }
            }
            let mut engine = shared.lock();
            if cluster {
                shared.publish(&mut engine);
            }
            let wait = if more {
                None
            } else {
                let timers = match engine.next_due() {
                    Some(due) => (due - engine.now())
                        .to_std()
                        .unwrap_or(StdDuration::ZERO)
                        .min(MAX_SLEEP),
                    None => MAX_SLEEP,
                };
                Some(engine.cluster_wait().map_or(timers, |w| w.min(timers)))
            };
            (wait, engine.has_messages() || shared.has_published(), spin)
        };
        if has_messages && shared.claim_wake() {
            wake();
        }
        match wait {
            Some(wait) if spin && wait <= SPIN => tokio::task::yield_now().await,
            Some(wait) if wait > StdDuration::ZERO => {
                let sleep = if spin { wait - SPIN } else { wait };
                tokio::select! {
                    _ = tokio::time::sleep(sleep) => {}
                    _ = shared.notify.notified() => {}
                }
            }
            _ => tokio::task::yield_now().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineOptions, JsonMessage};
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn fires_on_time_under_tokio_paused_clock_with_one_wake_per_batch() {
        let origin: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut engine = Engine::new(EngineOptions::default(), None);
        engine.use_tokio_clock(origin);
        engine.start().unwrap();
        for i in 0..3 {
            engine
                .create(json!({
                    "id": format!("c{i}"), "workflowId": "w",
                    "scheduleConfig": { "cronExpression": "*/10 * * * * *", "overlapPolicy": "allow" },
                }))
                .unwrap();
        }
        engine.take_json_messages();
        let shared = Arc::new(Shared::new(engine));
        let wakes = Arc::new(AtomicUsize::new(0));
        let task = {
            let (shared, wakes) = (shared.clone(), wakes.clone());
            let epoch = shared.epoch();
            tokio::spawn(async move {
                drive(shared, epoch, move || {
                    wakes.fetch_add(1, Ordering::SeqCst);
                })
                .await
            })
        };
        // 35 s of paused time pass in an instant.
        tokio::time::sleep(StdDuration::from_secs(35)).await;
        shared.clear_wake();
        let executes: Vec<i64> = shared
            .lock()
            .take_json_messages()
            .into_iter()
            .filter_map(|m| match m {
                JsonMessage::Execute(text) => serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap()["scheduledTime"]["$date"]
                    .as_i64(),
                _ => None,
            })
            .collect();
        let base = origin.timestamp_millis();
        // Three schedules at :10, :20 and :30, each batch of three fired together.
        assert_eq!(executes.len(), 9);
        assert_eq!(executes.iter().filter(|t| **t == base + 10_000).count(), 3);
        assert_eq!(executes.iter().filter(|t| **t == base + 30_000).count(), 3);
        // Until JS drains, one wake-up stands for any number of messages.
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        // The fires were on time: no trigger latency.
        assert_eq!(shared.lock().trigger_latency().1, 0.0);
        shared.shutdown();
        task.await.unwrap();
    }

    #[test]
    fn a_cluster_node_drains_what_was_published_while_the_engine_is_held() {
        let shared = Shared::new(Engine::new(EngineOptions::default(), None));
        shared.set_clustered(true);
        {
            let mut engine = shared.lock();
            engine.report_error("ERR_TEST", "first");
            shared.publish(&mut engine);
            engine.report_error("ERR_TEST", "second");
        }
        let held = shared.lock();
        // The engine is busy: what was published comes out at once, the rest stays.
        let first = shared.take_messages();
        assert_eq!(first.len(), 1);
        assert!(held.has_messages());
        drop(held);
        // Free again: the rest, in order; then nothing.
        assert_eq!(shared.take_messages().len(), 1);
        assert!(shared.take_messages().is_empty());
        // Off a cluster a drain waits for the engine, as before.
        shared.set_clustered(false);
        shared.lock().report_error("ERR_TEST", "third");
        assert_eq!(shared.take_messages().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_driver_stopped_before_its_task_runs_still_ends() {
        let shared = Arc::new(Shared::new(Engine::new(EngineOptions::default(), None)));
        let epoch = shared.epoch();
        shared.shutdown();
        // The task starts only now, after the stop: it must end at once.
        tokio::time::timeout(StdDuration::from_secs(5), drive(shared, epoch, || {}))
            .await
            .expect("the driver ended");
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_while_firing_becomes_an_error_event_and_the_driver_goes_on() {
        let origin: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut engine = Engine::new(EngineOptions::default(), None);
        engine.use_tokio_clock(origin);
        engine.start().unwrap();
        engine
            .create(json!({
                "id": "c", "workflowId": "w",
                "scheduleConfig": { "cronExpression": "*/10 * * * * *", "overlapPolicy": "allow" },
            }))
            .unwrap();
        engine.inject_fault();
        engine.take_json_messages();
        let shared = Arc::new(Shared::new(engine));
        let task = {
            let shared = shared.clone();
            let epoch = shared.epoch();
            tokio::spawn(async move { drive(shared, epoch, || {}).await })
        };
        tokio::time::sleep(StdDuration::from_secs(25)).await;
        let messages = shared.lock().take_json_messages();
        let errors = messages
            .iter()
            .filter(|m| matches!(m, JsonMessage::Event(t) if t.contains("integration.error") && t.contains("ERR_INTERNAL")))
            .count();
        let executes = messages
            .iter()
            .filter(|m| matches!(m, JsonMessage::Execute(_)))
            .count();
        assert_eq!(errors, 1);
        // The :10 fire, lost with the fault, was armed again and ran; then :20 ran as usual.
        assert_eq!(executes, 2);
        shared.shutdown();
        task.await.unwrap();
    }
}
