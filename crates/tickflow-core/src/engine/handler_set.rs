//! The handlers JavaScript holds (an executor, `schedule()` handlers), as the engine keeps
//! them; what the engine does with them is `handlers`.

use std::sync::Arc;

use rustc_hash::FxHashSet;

/// The handlers JavaScript holds, as the engine knows them.
#[derive(Clone, Debug)]
pub(crate) struct Handlers {
    /// The integration has an executor: every schedule has a handler. True until told
    /// otherwise, so an engine driven without JavaScript runs everything.
    pub(crate) executor: bool,
    /// Schedule ids with a handler of their own (`schedule()`).
    pub(crate) declared: FxHashSet<Arc<str>>,
}

impl Default for Handlers {
    fn default() -> Self {
        Handlers {
            executor: true,
            declared: FxHashSet::default(),
        }
    }
}

impl Handlers {
    /// The schedule ids a node without an executor may run; `None` for all of them.
    pub(crate) fn only(&self) -> Option<Vec<String>> {
        (!self.executor).then(|| self.declared.iter().map(|id| id.to_string()).collect())
    }
}
