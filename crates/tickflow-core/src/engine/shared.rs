//! The engine as the JavaScript thread and the driver share it: its lock, the driver's
//! wake-ups, the executor answers and messages handed over without the lock, and, on a
//! cluster node, the database (I/O lives here, at the edge, not in the engine).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::core::Engine;
use super::execution::Outcome;
use super::guard::EngineGuard;
use super::EngineError;

/// The engine as shared between the JS thread and the driver task.
pub struct Shared {
    /// The engine, and on a cluster node its coordinator (`guard`).
    engine: Mutex<super::guard::EngineCell>,
    pub(super) notify: Notify,
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
    pub(super) commands: super::command_queue::Commands,
    /// On a cluster node, messages moved out of the engine's outbox (under its lock, so in
    /// order) when an operation ends: a drain takes them without waiting for the engine,
    /// which the driver may hold for a slice of a herd.
    published: Mutex<Vec<super::core::Message>>,
    /// The cluster's database (I/O lives here, at the edge, not in the engine): from the
    /// time this node joins, and after it left, for reads of history. Held only to clone.
    db: Mutex<Option<Arc<crate::cluster::Db>>>,
    /// The time the engine is handed each time it is taken.
    pub(super) clock: super::clock::Clock,
    /// A store of the engine's own (SQLite), which writes its changes. Taken after the
    /// engine, never before.
    store: Mutex<super::own_store::StoreSlot>,
}

impl Shared {
    pub fn new(engine: Engine) -> Shared {
        Shared {
            engine: Mutex::new(super::guard::EngineCell::new(engine)),
            notify: Notify::new(),
            epoch: AtomicU64::new(0),
            wake_pending: AtomicBool::new(false),
            answers: Mutex::new(Vec::new()),
            clustered: AtomicBool::new(false),
            commands: Default::default(),
            published: Mutex::new(Vec::new()),
            db: Mutex::new(None),
            clock: Default::default(),
            store: Default::default(),
        }
    }

    /// Opens a store of the engine's own: what it holds is restored into the engine, which
    /// is stopped and expects a store.
    pub fn attach_store(&self, store: Box<dyn crate::store::Store>) -> Result<(), EngineError> {
        let mut engine = self.lock();
        self.own_store().attach(&mut engine, store)
    }

    fn own_store(&self) -> MutexGuard<'_, super::own_store::StoreSlot> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes what `engine` (this one, locked by the caller) changed to its own store, if
    /// it has one.
    pub fn commit(&self, engine: &mut Engine) {
        self.own_store().commit(engine);
    }

    /// Runs a command on `engine` (this one, locked by the caller), acknowledged only once
    /// its own store, if it has one, has it (`OwnStore::committed`).
    pub(crate) fn committed<R, E>(
        &self,
        engine: &mut Engine,
        op: impl FnOnce(&mut Engine) -> Result<R, E>,
        wrap: fn(EngineError) -> E,
    ) -> Result<R, E> {
        self.own_store().committed(engine, op, wrap)
    }

    /// Commits and closes the engine's own store, if it has one, or leaves the cluster in
    /// memory (after a stop). When the last commit fails, the store stays open: the error
    /// names what would be lost if the process ended now.
    pub(super) fn close_own_store(&self, engine: &mut Engine) -> Result<(), EngineError> {
        self.own_store().close(engine)
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
            engine
                .outbox
                .move_to(&mut self.published.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }

    /// Everything said so far, in order. On a cluster node, when the engine is busy, what
    /// was published (the rest is published when the holder is done, and wakes JavaScript).
    pub fn take_messages(&self) -> Vec<super::core::Message> {
        let engine = if self.clustered() {
            let mut engine = match self.engine.try_lock() {
                Ok(e) => Some(EngineGuard::new(e)),
                Err(std::sync::TryLockError::Poisoned(e)) => Some(EngineGuard::new(e.into_inner())),
                Err(std::sync::TryLockError::WouldBlock) => None,
            };
            if let Some(engine) = engine.as_mut() {
                self.hand_time(engine);
            }
            engine
        } else {
            let mut engine = self.lock();
            self.commit(&mut engine);
            Some(engine)
        };
        let mut published = self.published.lock().unwrap_or_else(|e| e.into_inner());
        let mut messages = std::mem::take(&mut *published);
        drop(published);
        if let Some(mut engine) = engine {
            messages.append(&mut engine.take_messages());
        }
        messages
    }

    pub(super) fn has_published(&self) -> bool {
        !self
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// The engine, handed the time. A panic while it was held does not make it unusable:
    /// the engine's operations leave it consistent between steps, and the fault was
    /// already reported.
    pub fn lock(&self) -> EngineGuard<'_> {
        let mut engine = EngineGuard::new(
            self.engine
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        self.hand_time(&mut engine);
        engine
    }

    fn hand_time(&self, engine: &mut Engine) {
        if !engine.is_manual() {
            engine.hand_time(self.clock.now());
        }
    }

    /// Tests: time from tokio's clock (which they pause), from `origin`.
    pub fn use_tokio_clock(&self, origin: chrono::DateTime<chrono::Utc>) {
        self.clock.use_tokio(origin);
    }

    /// Whether time comes from tokio's clock (tests).
    pub fn on_tokio_clock(&self) -> bool {
        self.clock.on_tokio()
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
