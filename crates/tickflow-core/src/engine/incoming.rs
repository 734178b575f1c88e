//! Rows read from the database (a follow, a reload, a join), their JSON parsed before the
//! engine's lock is taken: the costly part of applying them (`Engine::apply`).

use std::collections::HashMap;

use super::execution::{Execution, ExecutionStatus};
use super::state_record::StoredState;
use crate::store::{ExecutionRow, SkipRow};

/// A schedule row from the database with its state read.
pub(super) struct IncomingSchedule {
    pub(super) row: crate::store::ScheduleRow,
    pub(super) version: i64,
    pub(super) deleted: bool,
    pub(super) state: Result<StoredState, String>,
}

/// An execution row with its record read; `None` for a final one, read only if needed.
pub(super) struct IncomingExecution {
    pub(super) row: ExecutionRow,
    pub(super) parsed: Option<Option<Execution>>,
}

/// Rows read from the database, their JSON parsed: the costly part of applying them,
/// done before the engine's lock is taken.
#[derive(Default)]
pub(super) struct Incoming {
    pub(super) schedules: Vec<IncomingSchedule>,
    pub(super) executions: Vec<IncomingExecution>,
    pub(super) skips: Vec<SkipRow>,
}

impl Incoming {
    pub(super) fn read(
        schedules: Vec<crate::cluster::VersionedRow>,
        executions: Vec<ExecutionRow>,
        skips: Vec<SkipRow>,
    ) -> Incoming {
        Incoming {
            schedules: schedules
                .into_iter()
                .map(|v| IncomingSchedule {
                    state: StoredState::parse(&v.row.state),
                    row: v.row,
                    version: v.version,
                    deleted: v.deleted,
                })
                .collect(),
            executions: executions
                .into_iter()
                .map(|row| {
                    // Most finished records of a follow are other nodes' and are never
                    // held here: not worth reading.
                    let is_final = ExecutionStatus::parse(row.status).is_some_and(|s| s.is_final());
                    let parsed = (!is_final).then(|| Execution::from_row(&row));
                    IncomingExecution { row, parsed }
                })
                .collect(),
            skips,
        }
    }

    /// Split into parts of at most `n` schedules, each with its executions and skips.
    pub(super) fn slices(self, n: usize) -> Vec<Incoming> {
        if self.schedules.len() <= n {
            return vec![self];
        }
        let mut part_of: HashMap<String, usize> = HashMap::new();
        let mut parts: Vec<Incoming> = Vec::new();
        for (i, v) in self.schedules.into_iter().enumerate() {
            if i % n == 0 {
                parts.push(Incoming::default());
            }
            part_of.insert(v.row.schedule_id.clone(), parts.len() - 1);
            parts.last_mut().expect("pushed").schedules.push(v);
        }
        // Rows of schedules not in this read are not applied (`apply`): dropped here too.
        for e in self.executions {
            if let Some(&p) = part_of.get(&e.row.schedule_id) {
                parts[p].executions.push(e);
            }
        }
        for k in self.skips {
            if let Some(&p) = part_of.get(&k.schedule_id) {
                parts[p].skips.push(k);
            }
        }
        parts
    }
}
