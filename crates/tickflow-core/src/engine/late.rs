//! Late answers on a cluster node: an attempt this node let go of before its executor
//! answered (its lease lapsed, another node took it over, a cancel from another node) is
//! remembered, so that whatever the executor answers later is recorded on that attempt
//! (`lateOutcome`), even when the execution has left this node's memory meanwhile: its row
//! is then read back with its schedule's (`operation::locked`).

use std::time::{Duration, Instant};

use super::core::Engine;
use super::execution::Outcome;
use super::link::Abandoned;

/// Attempts let go of whose answer a node still waits for, at most.
const MAX_ABANDONED: usize = 10_000;
/// How long a node waits for the answer of an attempt it let go of (an executor that
/// ignores its abort signal may never answer).
const LATE_WAIT: Duration = Duration::from_secs(3_600);

impl Engine {
    /// Remembers an attempt this node let go of (`abort_local_attempt`).
    pub(super) fn remember_abandoned(&mut self, key: u64, attempt: u32) {
        let Some(e) = self.executions.get(&key) else {
            return;
        };
        let entry = Abandoned {
            id: e.id.to_string(),
            schedule_id: e.schedule_id.to_string(),
            answered: false,
            since: Instant::now(),
        };
        let Some(link) = self.cluster.as_mut() else {
            return;
        };
        link.abandoned.retain(|_, a| a.since.elapsed() < LATE_WAIT);
        if link.abandoned.len() >= MAX_ABANDONED {
            if let Some(oldest) = link.abandoned.keys().min().copied() {
                link.abandoned.remove(&oldest);
            }
        }
        link.abandoned.insert((key, attempt), entry);
    }

    /// An answer for an attempt this node let go of, whose execution is no longer held
    /// here: queued to be written; false when no such attempt is remembered.
    pub(crate) fn defer_late_answer(&mut self, key: u64, attempt: u32, outcome: Outcome) -> bool {
        let Some(link) = self.cluster.as_mut() else {
            return false;
        };
        let Some(entry) = link.abandoned.get_mut(&(key, attempt)) else {
            return false;
        };
        entry.answered = true;
        link.pending.push((entry.id.clone(), attempt, outcome));
        true
    }

    /// The answer of an attempt let go of here and not yet ended in the database (the
    /// takeover has not come back yet): tried again at the next write.
    pub(super) fn write_late_answer_later(&mut self, id: String, attempt: u32, outcome: Outcome) {
        if let Some(link) = self.cluster.as_mut() {
            link.pending.push((id, attempt, outcome));
        }
    }

    /// Marks the answer of an attempt let go of as arrived; true when it was one (and is
    /// still waited for: one past `LATE_WAIT` is given up).
    pub(super) fn note_late_answer(&mut self, key: u64, attempt: u32) -> bool {
        let Some(link) = self.cluster.as_mut() else {
            return false;
        };
        match link.abandoned.get_mut(&(key, attempt)) {
            Some(entry) if entry.since.elapsed() < LATE_WAIT => {
                entry.answered = true;
                true
            }
            Some(_) => {
                link.abandoned.remove(&(key, attempt));
                false
            }
            None => false,
        }
    }

    /// Whether this execution is held (or read back) for a late answer that arrived.
    pub(super) fn awaits_late_record(&self, key: u64) -> bool {
        self.cluster.as_ref().is_some_and(|link| {
            link.abandoned
                .iter()
                .any(|((k, _), a)| *k == key && a.answered)
        })
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
        self.cluster.as_ref().and_then(|link| {
            link.abandoned
                .values()
                .find(|a| a.id == execution_id)
                .map(|a| a.schedule_id.clone())
        })
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
        let Some(link) = self.cluster.as_ref() else {
            return Vec::new();
        };
        link.abandoned
            .values()
            .filter(|a| {
                a.answered
                    && !self.executions.holds_id(&a.id)
                    && locked.iter().any(|(s, _)| *s == a.schedule_id)
            })
            .map(|a| (a.schedule_id.clone(), a.id.clone()))
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
        if let Some(link) = self.cluster.as_mut() {
            link.abandoned.retain(|_, a| !missing.contains(&&a.id));
        }
    }

    /// After a commit that wrote these executions: late answers it recorded are done with.
    pub(super) fn settle_late(&mut self, written: &[u64]) {
        let Some(link) = self.cluster.as_ref() else {
            return;
        };
        if link.abandoned.is_empty() {
            return;
        }
        let recorded: Vec<(u64, u32)> = link
            .abandoned
            .keys()
            .filter(|(key, attempt)| {
                written.contains(key)
                    && self.executions.get(key).is_some_and(|e| {
                        e.attempts
                            .iter()
                            .any(|a| a.number == *attempt && a.late.is_some())
                    })
            })
            .copied()
            .collect();
        let link = self.cluster.as_mut().expect("in a cluster");
        for k in recorded {
            link.abandoned.remove(&k);
        }
    }
}
