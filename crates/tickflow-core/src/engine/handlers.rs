//! Which schedules this process can run. A schedule kept in the store whose handler is no
//! longer declared (the code that called `schedule()` for it is gone) would fail every fire;
//! instead its fires are skipped with reason `no_handler`, and its health says why.

use serde_json::{json, Value};

use super::core::Engine;
use super::schedule::Schedule;
use super::value::date_json;
use super::EngineError;

/// What `schedule()` writes into `scheduleConfig.createdBy`: tells a schedule it created (on
/// this boot or an earlier one) from one made by other means.
pub const DECLARED_BY_SCHEDULE: &str = "tickflow:schedule";

impl Engine {
    /// Whether the integration has an executor (which runs every schedule without a handler
    /// of its own).
    pub fn set_executor(&mut self, present: bool) {
        self.handlers.executor = present;
    }

    /// Whether this process holds a handler of its own for `schedule_id`.
    pub fn set_handled(&mut self, schedule_id: &str, handled: bool) {
        if handled {
            self.handlers.declared.insert(schedule_id.into());
        } else {
            self.handlers.declared.remove(schedule_id);
        }
    }

    /// Whether this process can run `schedule_id`'s executions.
    pub fn handles(&self, schedule_id: &str) -> bool {
        self.handlers.executor || self.handlers.declared.contains(schedule_id)
    }

    /// Refuses a manual run (trigger, retry, backfill) that nothing here could run. In a
    /// cluster another node may hold the handler: the execution waits for one that does.
    pub(crate) fn require_handler(&self, schedule_id: &str) -> Result<(), EngineError> {
        if self.handles(schedule_id) || self.is_cluster() {
            Ok(())
        } else {
            Err(EngineError::NoHandler {
                id: schedule_id.to_string(),
            })
        }
    }

    /// The health issue of a schedule this process has no handler for, if it is one. Not on
    /// a store opened to inspect it (it runs nothing), nor in a cluster, where another node
    /// may hold the handler (a fire waits for one that does, and is skipped if none).
    pub(crate) fn handler_issue(&self, s: &Schedule) -> Option<Value> {
        let id = &s.spec.fragments.schedule_id;
        if self.handles(id) || self.readonly || self.is_cluster() {
            return None;
        }
        let message = if declared_by_schedule(s) {
            format!(
                "undeclared: schedule() created '{id}' on an earlier boot and this process has not declared it, so its fires are skipped (no_handler); declare it again, delete it with deleteScheduledWorkflow('{id}'), or start with {{ undeclared: 'pause' }} or {{ undeclared: 'delete' }}"
            )
        } else {
            format!(
                "no handler: this process has no executor and no schedule() handler for '{id}', so its fires are skipped (no_handler); declare it with schedule(), give the integration an executor, or delete it with deleteScheduledWorkflow()"
            )
        };
        Some(json!({
            "type": "configuration",
            "severity": "medium",
            "message": message,
            "timestamp": date_json(self.now()),
        }))
    }
}

/// Whether `schedule()` made this schedule (its config carries the marker): one that this
/// process has not declared is then undeclared rather than simply without a handler.
pub(crate) fn declared_by_schedule(s: &Schedule) -> bool {
    s.config_value()["scheduleConfig"]["createdBy"] == DECLARED_BY_SCHEDULE
}
