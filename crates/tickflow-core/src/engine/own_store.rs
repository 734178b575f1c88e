//! A store of the engine's own (SQLite; memory has none): the edge where the engine's
//! changes become writes. The engine reads and writes no store. It hands over what changed
//! since the last commit (`Engine::take_changes`) and is told how the write went; a
//! command whose change could not be written is undone from the rows read back here. (A
//! cluster node's operations write their own changes: `operation`.)

use super::core::Engine;
use super::EngineError;
use crate::store::{Store, StoreError};

struct OwnStore {
    store: Box<dyn Store>,
}

impl OwnStore {
    /// Restores what `store` holds into `engine` (stopped, expecting a store). A read-only
    /// store is only read: `None`, and the engine can be inspected but not started.
    fn attach(
        engine: &mut Engine,
        mut store: Box<dyn Store>,
    ) -> Result<Option<OwnStore>, EngineError> {
        engine.check_attachable()?;
        let snapshot = store.load()?;
        let readonly = store.is_readonly();
        engine.restore_store(snapshot, store.location(), readonly)?;
        Ok((!readonly).then_some(OwnStore { store }))
    }

    /// Writes what changed since the last commit, in one transaction. A failed write is
    /// reported once (`integration.error`, ERR_STORE_WRITE) and tried again at the next
    /// commit; nothing is dropped.
    fn commit(&mut self, engine: &mut Engine) {
        if let Err(err) = self.try_commit(engine) {
            engine.report_failed_commit(&err);
        }
    }

    /// `commit`, saying whether it worked; on failure the engine keeps the changes for the
    /// next one.
    fn try_commit(&mut self, engine: &mut Engine) -> Result<(), StoreError> {
        let Some((journal, changes)) = engine.take_changes() else {
            return Ok(());
        };
        let written = self.store.write(&changes);
        engine.changes_written(journal, written.as_ref().err().is_none());
        written
    }

    /// Runs a command so that it is acknowledged only once stored: what the engine recorded
    /// on its own (fires, outcomes) is committed first, then the command's change in a
    /// commit of its own. When either fails, the command is refused with the store's error
    /// and the engine is as it was before the call: the schedules the command touched are
    /// read back as the store has them, and its messages go.
    fn committed<R, E>(
        &mut self,
        engine: &mut Engine,
        op: impl FnOnce(&mut Engine) -> Result<R, E>,
        wrap: fn(EngineError) -> E,
    ) -> Result<R, E> {
        self.try_commit(engine)
            .map_err(|err| wrap(EngineError::Store(err)))?;
        let mark = engine.outbox.mark();
        let result = op(engine);
        if result.is_ok() {
            if let Err(err) = self.try_commit(engine) {
                let (journal, ids) = engine.take_uncommitted(mark);
                let read_back = self.store.load_schedules(&ids);
                engine.undo_uncommitted(journal, ids, read_back);
                return Err(wrap(EngineError::Store(err)));
            }
        }
        result
    }
}

/// Where an engine keeps its own store, if it has one (`Shared`; tests' `Durable`).
#[derive(Default)]
pub(crate) struct StoreSlot(Option<OwnStore>);

impl StoreSlot {
    /// Opens `store` for `engine` (`OwnStore::attach`); a read-only one leaves the slot empty.
    pub(crate) fn attach(
        &mut self,
        engine: &mut Engine,
        store: Box<dyn Store>,
    ) -> Result<(), EngineError> {
        self.0 = OwnStore::attach(engine, store)?;
        Ok(())
    }

    /// `OwnStore::commit`, when there is a store.
    pub(crate) fn commit(&mut self, engine: &mut Engine) {
        if let Some(store) = self.0.as_mut() {
            store.commit(engine);
        }
    }

    /// `OwnStore::committed`; without a store the command simply runs.
    pub(crate) fn committed<R, E>(
        &mut self,
        engine: &mut Engine,
        op: impl FnOnce(&mut Engine) -> Result<R, E>,
        wrap: fn(EngineError) -> E,
    ) -> Result<R, E> {
        match self.0.as_mut() {
            Some(store) => store.committed(engine, op, wrap),
            None => op(engine),
        }
    }

    /// Commits what is left and closes the store (after a stop); a cluster node leaves the
    /// cluster in memory. Changes are refused until a store is attached again. When the
    /// last commit fails, the store stays open and what it could not write stays in memory:
    /// the error names what would be lost if the process ended now.
    pub(crate) fn close(&mut self, engine: &mut Engine) -> Result<(), EngineError> {
        if let Some(store) = self.0.as_mut() {
            if let Err(err) = store.try_commit(engine) {
                let what = engine.unwritten().unwrap_or_default();
                let reason = err.to_string();
                return Err(EngineError::Unwritten { what, reason });
            }
        }
        self.0 = None;
        engine.store_closed();
        Ok(())
    }
}

/// Tests: an engine with its own store, as `Shared` holds them, without the lock: it
/// commits before messages leave, as `Shared::take_messages` does.
#[cfg(test)]
pub(crate) struct Durable {
    engine: Engine,
    store: StoreSlot,
}

#[cfg(test)]
impl Durable {
    pub(crate) fn new(engine: Engine) -> Durable {
        Durable {
            engine,
            store: StoreSlot::default(),
        }
    }

    pub(crate) fn attach_store(&mut self, store: Box<dyn Store>) -> Result<(), EngineError> {
        self.store.attach(&mut self.engine, store)
    }

    pub(crate) fn detach_store(&mut self) -> Result<(), EngineError> {
        self.store.close(&mut self.engine)
    }

    pub(crate) fn commit(&mut self) {
        self.store.commit(&mut self.engine);
    }

    pub(crate) fn committed<R, E>(
        &mut self,
        op: impl FnOnce(&mut Engine) -> Result<R, E>,
        wrap: fn(EngineError) -> E,
    ) -> Result<R, E> {
        self.store.committed(&mut self.engine, op, wrap)
    }

    pub(crate) fn take_messages(&mut self) -> Vec<super::Message> {
        self.commit();
        self.engine.take_messages()
    }

    pub(crate) fn take_json_messages(&mut self) -> Vec<super::JsonMessage> {
        self.commit();
        self.engine.take_json_messages()
    }
}

#[cfg(test)]
impl std::ops::Deref for Durable {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.engine
    }
}

#[cfg(test)]
impl std::ops::DerefMut for Durable {
    fn deref_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }
}
