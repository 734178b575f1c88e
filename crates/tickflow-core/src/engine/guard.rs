//! What the engine's lock guards: the engine and, on a cluster node, its coordinator beside
//! it (`coordinator`). Of the cluster, the engine knows only which node it is (its session's
//! token) and the executor answers it holds for the next write; the coordinator holds what
//! the node knows of the database and the other nodes. `Shared::lock` hands out the pair as
//! an `EngineGuard`, which reads as the engine; cluster code splits it into both.

use std::ops::{Deref, DerefMut};
use std::sync::MutexGuard;

use super::coordinator::Coordinator;
use super::core::Engine;

pub(crate) struct EngineCell {
    engine: Engine,
    coordinator: Option<Coordinator>,
}

impl EngineCell {
    pub(crate) fn new(engine: Engine) -> EngineCell {
        EngineCell {
            engine,
            coordinator: None,
        }
    }
}

/// The engine, locked (and its coordinator with it).
pub struct EngineGuard<'a> {
    cell: MutexGuard<'a, EngineCell>,
}

impl<'a> EngineGuard<'a> {
    pub(crate) fn new(cell: MutexGuard<'a, EngineCell>) -> Self {
        EngineGuard { cell }
    }

    /// The engine and, on a cluster node, its coordinator.
    pub(crate) fn split(&mut self) -> (&mut Engine, Option<&mut Coordinator>) {
        let cell = &mut *self.cell;
        debug_assert_eq!(cell.engine.is_cluster(), cell.coordinator.is_some());
        (&mut cell.engine, cell.coordinator.as_mut())
    }

    pub(crate) fn coordinator(&mut self) -> Option<&mut Coordinator> {
        self.cell.coordinator.as_mut()
    }

    pub(crate) fn coordinator_ref(&self) -> Option<&Coordinator> {
        self.cell.coordinator.as_ref()
    }

    /// A node joined its cluster: the coordinator made at the join (`Coordinator::join`).
    pub(crate) fn joined(&mut self, coordinator: Coordinator) {
        self.cell.coordinator = Some(coordinator);
    }

    /// The node left its cluster (after `Engine::detach_cluster`): its coordinator goes.
    pub(crate) fn left(&mut self) {
        self.cell.coordinator = None;
    }
}

impl Deref for EngineGuard<'_> {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.cell.engine
    }
}

impl DerefMut for EngineGuard<'_> {
    fn deref_mut(&mut self) -> &mut Engine {
        &mut self.cell.engine
    }
}
