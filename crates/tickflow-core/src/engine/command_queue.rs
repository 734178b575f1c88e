//! The commands of a cluster node waiting for their transaction (`group` runs them).

use std::sync::{Condvar, Mutex};
use std::time::Instant;

use super::core::Engine;
use super::EngineError;
use crate::cluster::Scope;

/// What a command's run hands back: given the commit's outcome, it answers its caller.
pub(super) type Finish = Box<dyn FnOnce(Option<EngineError>) + Send>;

/// A command waiting: the rows it locks, by when, what it does, and how it is refused.
pub(super) struct Queued {
    pub(super) scope: Scope,
    pub(super) deadline: Instant,
    pub(super) run: Box<dyn FnOnce(&mut Engine) -> Finish + Send>,
    pub(super) fail: Box<dyn FnOnce(EngineError) + Send>,
}

#[derive(Default)]
pub(crate) struct Commands {
    pub(super) state: Mutex<Waiting>,
    pub(super) done: Condvar,
}

#[derive(Default)]
pub(super) struct Waiting {
    pub(super) queued: Vec<Queued>,
    /// A batch is between its lock and its commit.
    pub(super) busy: bool,
}
