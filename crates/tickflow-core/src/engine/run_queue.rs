//! The work this process runs: executions waiting their turn (highest priority first, then
//! the earliest scheduled, then the oldest), and the attempts running here, each holding
//! one of `maxConcurrency`'s slots.

use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Waiting {
    priority: u8,
    /// Earlier scheduled times first: stored negated for the max-heap.
    neg_due_ms: i64,
    neg_seq: i64,
    key: u64,
}

#[derive(Default)]
pub(crate) struct RunQueue {
    waiting: BinaryHeap<Waiting>,
    /// Execution key → the number of the attempt running here.
    running: FxHashMap<u64, u32>,
}

impl RunQueue {
    /// An execution waits its turn. The queue keeps no status: whoever takes the next
    /// checks that it still waits (`next_waiting`).
    pub(crate) fn wait(&mut self, key: u64, priority: u8, scheduled_ms: i64, seq: u64) {
        self.waiting.push(Waiting {
            priority,
            neg_due_ms: -scheduled_ms,
            neg_seq: -(seq as i64),
            key,
        });
    }

    pub(crate) fn next_waiting(&mut self) -> Option<u64> {
        self.waiting.pop().map(|w| w.key)
    }

    pub(crate) fn waiting_len(&self) -> usize {
        self.waiting.len()
    }

    pub(crate) fn clear_waiting(&mut self) {
        self.waiting.clear();
    }

    pub(crate) fn start(&mut self, key: u64, attempt: u32) {
        self.running.insert(key, attempt);
    }

    /// The attempt's slot is free.
    pub(crate) fn release(&mut self, key: u64) {
        self.running.remove(&key);
    }

    /// The attempt of this execution running here, if one does.
    pub(crate) fn attempt_of(&self, key: u64) -> Option<u32> {
        self.running.get(&key).copied()
    }

    pub(crate) fn runs_here(&self, key: u64) -> bool {
        self.running.contains_key(&key)
    }

    /// (execution key, attempt) of what runs here.
    pub(crate) fn running(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.running.iter().map(|(k, a)| (*k, *a))
    }

    pub(crate) fn running_len(&self) -> usize {
        self.running.len()
    }

    pub(crate) fn clear(&mut self) {
        self.waiting.clear();
        self.running.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_priority_goes_first_then_the_earliest_scheduled_then_the_oldest() {
        let mut q = RunQueue::default();
        q.wait(1, 1, 1_000, 1);
        q.wait(2, 3, 5_000, 2);
        q.wait(3, 1, 500, 3);
        q.wait(4, 1, 500, 2);
        let order: Vec<u64> = std::iter::from_fn(|| q.next_waiting()).collect();
        assert_eq!(order, [2, 4, 3, 1]);
    }

    #[test]
    fn a_slot_is_held_from_the_start_of_an_attempt_until_its_release() {
        let mut q = RunQueue::default();
        q.start(7, 2);
        assert_eq!(
            (q.attempt_of(7), q.runs_here(7), q.running_len()),
            (Some(2), true, 1)
        );
        q.release(7);
        assert_eq!(
            (q.attempt_of(7), q.runs_here(7), q.running_len()),
            (None, false, 0)
        );
    }
}
