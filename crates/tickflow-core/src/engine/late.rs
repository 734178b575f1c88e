//! Late answers on a cluster node: an attempt this node let go of before its executor
//! answered (its lease lapsed, another node took it over, a cancel from another node) is
//! remembered (`late_answers`), so that whatever the executor answers later is recorded on
//! that attempt (`lateOutcome`), even when the execution has left this node's memory
//! meanwhile: its row is then read back with its schedule's (`operation::locked`).

use super::core::Engine;
use super::execution::Outcome;

impl Engine {
    /// Remembers an attempt this node let go of (`abort_local_attempt`).
    pub(super) fn remember_abandoned(&mut self, key: u64, attempt: u32) {
        let Some(e) = self.executions.get(&key) else {
            return;
        };
        let (id, schedule_id) = (e.id.to_string(), e.schedule_id.to_string());
        if self.session.is_some() {
            self.late.remember(key, attempt, id, schedule_id);
        }
    }

    /// An answer for an attempt this node let go of, whose execution is no longer held
    /// here: queued to be written; false when no such attempt is remembered.
    pub(crate) fn defer_late_answer(&mut self, key: u64, attempt: u32, outcome: Outcome) -> bool {
        let Some(id) = self.late.answer(key, attempt) else {
            return false;
        };
        self.pending.push((id, attempt, outcome));
        true
    }

    /// The answer of an attempt let go of here and not yet ended in the database (the
    /// takeover has not come back yet): tried again at the next write.
    pub(super) fn write_late_answer_later(&mut self, id: String, attempt: u32, outcome: Outcome) {
        if self.session.is_some() {
            self.pending.push((id, attempt, outcome));
        }
    }

    /// Marks the answer of an attempt let go of as arrived; true when it was one (and is
    /// still waited for: one past `LATE_WAIT` is given up).
    pub(super) fn note_late_answer(&mut self, key: u64, attempt: u32) -> bool {
        self.late.note_answer(key, attempt)
    }

    /// Whether this execution is held (or read back) for a late answer that arrived.
    pub(super) fn awaits_late_record(&self, key: u64) -> bool {
        self.late.answered_for(key)
    }

    /// The schedule of an execution an answer names: held here, or let go of.
    pub(super) fn answer_schedule(&self, execution_id: &str) -> Option<String> {
        if let Some(e) = self
            .executions
            .key_of(execution_id)
            .and_then(|k| self.executions.get(&k))
        {
            return Some(e.schedule_id.to_string());
        }
        self.late.schedule_of(execution_id)
    }

    /// The schedules of these answers, sorted and once each (the order rows are locked in).
    pub(super) fn answer_schedules(&self, answers: &[(String, u32, Outcome)]) -> Vec<String> {
        let mut ids: Vec<String> = answers
            .iter()
            .filter_map(|(id, _, _)| self.answer_schedule(id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Executions whose late answer arrived and that this node no longer holds, among these
    /// locked schedules (schedule id, execution id): read back with them.
    pub(super) fn abandoned_rows(&self, locked: &[(String, i64)]) -> Vec<(String, String)> {
        self.late
            .answered()
            .filter(|(schedule, id)| {
                !self.executions.holds_id(id) && locked.iter().any(|(s, _)| s == schedule)
            })
            .map(|(schedule, id)| (schedule.to_string(), id.to_string()))
            .collect()
    }

    /// After these executions were asked for with their schedules (`abandoned_rows`):
    /// those not there (the execution or its schedule is gone) are given up.
    pub(super) fn drop_missing_late(&mut self, asked: &[String]) {
        let missing: Vec<&String> = asked
            .iter()
            .filter(|id| !self.executions.holds_id(id))
            .collect();
        if missing.is_empty() {
            return;
        }
        self.late.forget_ids(&missing);
    }

    /// After a commit that wrote these executions: late answers it recorded are done with.
    pub(super) fn settle_late(&mut self, written: &[u64]) {
        if self.late.is_empty() {
            return;
        }
        let recorded: Vec<(u64, u32)> = self
            .late
            .attempts()
            .filter(|(key, attempt)| {
                written.contains(key)
                    && self.executions.get(key).is_some_and(|e| {
                        e.attempts
                            .iter()
                            .any(|a| a.number == *attempt && a.late.is_some())
                    })
            })
            .collect();
        for (key, attempt) in recorded {
            self.late.forget(key, attempt);
        }
    }
}
