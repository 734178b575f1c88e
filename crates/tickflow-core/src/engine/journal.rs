//! What changed since the last commit (the journal), and who writes it: a store of the
//! engine's own (SQLite, `OwnStore`), or a cluster's operations, which write their own.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::store::SkipRow;

#[derive(Default)]
pub(crate) struct Journal {
    pub(crate) configs: HashSet<u32>,
    pub(crate) states: HashSet<u32>,
    pub(crate) deleted: Vec<String>,
    pub(crate) executions: HashSet<u64>,
    pub(crate) pruned: Vec<u64>,
    pub(crate) skips: Vec<SkipRow>,
    pub(crate) pruned_skips: Vec<(String, i64)>,
}

impl Journal {
    pub(crate) fn is_empty(&self) -> bool {
        self.configs.is_empty()
            && self.states.is_empty()
            && self.deleted.is_empty()
            && self.executions.is_empty()
            && self.pruned.is_empty()
            && self.skips.is_empty()
            && self.pruned_skips.is_empty()
    }

    /// Puts back what a failed commit took out; the next commit writes it with the state
    /// of that moment.
    pub(super) fn merge(&mut self, old: Journal) {
        self.configs.extend(old.configs);
        self.states.extend(old.states);
        self.deleted.splice(0..0, old.deleted);
        self.executions.extend(old.executions);
        self.pruned.extend(old.pruned);
        self.skips.splice(0..0, old.skips);
        self.pruned_skips.extend(old.pruned_skips);
    }
}

pub(crate) struct Persistence {
    /// A store of the engine's own (SQLite) writes the journal (`OwnStore`); a cluster's
    /// operations write their own changes (`operation`).
    pub(super) own_store: bool,
    pub(crate) journal: Journal,
    /// The last commit failed: reported once, until one succeeds again.
    pub(super) failing: bool,
}

impl Persistence {
    /// A journal that a store of the engine's own writes.
    pub(crate) fn own() -> Persistence {
        Persistence {
            own_store: true,
            journal: Journal::default(),
            failing: false,
        }
    }

    /// A journal without a store of its own: a cluster node's.
    pub(crate) fn detached() -> Persistence {
        Persistence {
            own_store: false,
            journal: Journal::default(),
            failing: false,
        }
    }
}

/// Where the retention sweep goes on.
#[derive(Default)]
pub(crate) struct Sweep {
    pub(super) next_at: Option<DateTime<Utc>>,
    pub(super) index: usize,
}
