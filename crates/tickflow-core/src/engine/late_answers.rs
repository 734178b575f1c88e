//! The attempts a cluster node let go of before their executor answered, by execution key
//! and attempt: their late answer is still recorded (`late`), for an hour at most.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Attempts let go of whose answer a node still waits for, at most.
const MAX_ABANDONED: usize = 10_000;
/// How long a node waits for the answer of an attempt it let go of (an executor that
/// ignores its abort signal may never answer).
const LATE_WAIT: Duration = Duration::from_secs(3_600);

/// The attempts this node let go of, by (execution key, attempt).
#[derive(Default)]
pub(crate) struct LateAnswers {
    abandoned: HashMap<(u64, u32), Abandoned>,
}

/// An attempt a node let go of before its executor answered.
struct Abandoned {
    id: String,
    schedule_id: String,
    /// Its answer arrived and waits to be recorded.
    answered: bool,
    since: Instant,
}

impl LateAnswers {
    pub(super) fn remember(&mut self, key: u64, attempt: u32, id: String, schedule_id: String) {
        self.abandoned.retain(|_, a| a.since.elapsed() < LATE_WAIT);
        if self.abandoned.len() >= MAX_ABANDONED {
            if let Some(oldest) = self.abandoned.keys().min().copied() {
                self.abandoned.remove(&oldest);
            }
        }
        let entry = Abandoned {
            id,
            schedule_id,
            answered: false,
            since: Instant::now(),
        };
        self.abandoned.insert((key, attempt), entry);
    }

    /// The schedule's attempts are forgotten with it (deleted elsewhere).
    pub(super) fn forget_schedule(&mut self, schedule_id: &str) {
        self.abandoned.retain(|_, a| a.schedule_id != schedule_id);
    }

    /// Marks the answer as arrived; the execution id, if the attempt is remembered.
    pub(super) fn answer(&mut self, key: u64, attempt: u32) -> Option<String> {
        let entry = self.abandoned.get_mut(&(key, attempt))?;
        entry.answered = true;
        Some(entry.id.clone())
    }

    /// Marks the answer as arrived; true when the attempt is still waited for (one past
    /// `LATE_WAIT` is given up).
    pub(super) fn note_answer(&mut self, key: u64, attempt: u32) -> bool {
        match self.abandoned.get_mut(&(key, attempt)) {
            Some(entry) if entry.since.elapsed() < LATE_WAIT => {
                entry.answered = true;
                true
            }
            Some(_) => {
                self.abandoned.remove(&(key, attempt));
                false
            }
            None => false,
        }
    }

    pub(super) fn answered_for(&self, key: u64) -> bool {
        self.abandoned
            .iter()
            .any(|((k, _), a)| *k == key && a.answered)
    }

    pub(super) fn schedule_of(&self, execution_id: &str) -> Option<String> {
        self.abandoned
            .values()
            .find(|a| a.id == execution_id)
            .map(|a| a.schedule_id.clone())
    }

    /// (schedule id, execution id) of the attempts whose answer arrived.
    pub(super) fn answered(&self) -> impl Iterator<Item = (&str, &str)> {
        self.abandoned
            .values()
            .filter(|a| a.answered)
            .map(|a| (a.schedule_id.as_str(), a.id.as_str()))
    }

    pub(super) fn forget_ids(&mut self, ids: &[&String]) {
        self.abandoned.retain(|_, a| !ids.contains(&&a.id));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.abandoned.is_empty()
    }

    pub(super) fn attempts(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.abandoned.keys().copied()
    }

    pub(super) fn forget(&mut self, key: u64, attempt: u32) {
        self.abandoned.remove(&(key, attempt));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_noted_only_for_an_attempt_let_go_of_and_goes_with_its_schedule() {
        let mut late = LateAnswers::default();
        late.remember(7, 1, "exec_a".into(), "s-a".into());
        late.remember(8, 2, "exec_b".into(), "s-b".into());
        assert!(!late.answered_for(7));
        assert_eq!(late.answer(7, 2), None, "another attempt");
        assert_eq!(late.answer(7, 1).as_deref(), Some("exec_a"));
        assert!(late.answered_for(7));
        assert_eq!(late.schedule_of("exec_b").as_deref(), Some("s-b"));
        let answered: Vec<(&str, &str)> = late.answered().collect();
        assert_eq!(answered, [("s-a", "exec_a")]);
        late.forget_schedule("s-a");
        assert!(!late.answered_for(7));
        assert!(late.note_answer(8, 2));
        late.forget(8, 2);
        assert!(late.is_empty());
    }
}
