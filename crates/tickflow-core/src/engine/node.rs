//! What the engine's lock guards: the engine and, on a cluster node, its coordinator beside
//! it (`coordinator`). The engine knows nothing of the other nodes or of the database; the
//! coordinator holds what the node knows of both. `Shared::lock` hands out the pair as an
//! `EngineGuard`, which reads as the engine; cluster code splits it into both.

use std::ops::{Deref, DerefMut};
use std::sync::MutexGuard;

use super::coordinator::Coordinator;
use super::core::Engine;

pub(crate) struct Node {
    engine: Engine,
    coordinator: Option<Coordinator>,
}

impl Node {
    pub(crate) fn new(engine: Engine) -> Node {
        Node {
            engine,
            coordinator: None,
        }
    }
}

/// The engine, locked (and its coordinator with it).
pub struct EngineGuard<'a> {
    node: MutexGuard<'a, Node>,
}

impl<'a> EngineGuard<'a> {
    pub(crate) fn new(node: MutexGuard<'a, Node>) -> Self {
        EngineGuard { node }
    }

    /// The engine and, on a cluster node, its coordinator.
    pub(crate) fn split(&mut self) -> (&mut Engine, Option<&mut Coordinator>) {
        let node = &mut *self.node;
        (&mut node.engine, node.coordinator.as_mut())
    }

    pub(crate) fn coordinator(&mut self) -> Option<&mut Coordinator> {
        self.node.coordinator.as_mut()
    }

    pub(crate) fn has_coordinator(&self) -> bool {
        self.node.coordinator.is_some()
    }

    /// A node joined (`Some`) or left (`None`) its cluster.
    pub(crate) fn set_coordinator(&mut self, coordinator: Option<Coordinator>) {
        self.node.coordinator = coordinator;
    }
}

impl Deref for EngineGuard<'_> {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.node.engine
    }
}

impl DerefMut for EngineGuard<'_> {
    fn deref_mut(&mut self) -> &mut Engine {
        &mut self.node.engine
    }
}
