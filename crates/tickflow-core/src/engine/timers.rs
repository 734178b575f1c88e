//! One timer heap for every schedule, retry and timeout in the engine.
//!
//! Entries are never removed early: each carries what it needs to tell whether it is still
//! current (a schedule's generation, an execution's attempt), and a stale entry is dropped
//! when it comes due. That keeps rescheduling O(log n) and the heap a flat vector.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    Fire { schedule: u32, generation: u32 },
    Retry { execution: u64, attempt: u32 },
    Timeout { execution: u64, attempt: u32 },
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    due_ms: i64,
    seq: u64,
    timer: TimerKey,
}

/// `Timer` packed for ordering; the heap orders by due time, then insertion.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum TimerKey {
    Fire(u32, u32),
    Retry(u64, u32),
    Timeout(u64, u32),
}

#[derive(Default, Debug)]
pub struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl Timers {
    pub fn push(&mut self, due: DateTime<Utc>, timer: Timer) {
        self.seq += 1;
        let timer = match timer {
            Timer::Fire {
                schedule,
                generation,
            } => TimerKey::Fire(schedule, generation),
            Timer::Retry { execution, attempt } => TimerKey::Retry(execution, attempt),
            Timer::Timeout { execution, attempt } => TimerKey::Timeout(execution, attempt),
        };
        // Rounded up to the next whole millisecond: a timer never fires before its time (a
        // 500 ms timeout started at x.6 ms would otherwise end after 499 ms).
        let due_ms =
            due.timestamp_millis() + i64::from(!due.timestamp_subsec_micros().is_multiple_of(1000));
        self.heap.push(Reverse(Entry {
            due_ms,
            seq: self.seq,
            timer,
        }));
    }

    /// The earliest due time, stale entries included.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.heap
            .peek()
            .and_then(|Reverse(e)| DateTime::from_timestamp_millis(e.due_ms))
    }

    /// The earliest timer due at or before `now`.
    pub fn pop_due(&mut self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, Timer)> {
        let Reverse(top) = self.heap.peek()?;
        if top.due_ms > now.timestamp_millis() {
            return None;
        }
        let Reverse(e) = self.heap.pop()?;
        let timer = match e.timer {
            TimerKey::Fire(schedule, generation) => Timer::Fire {
                schedule,
                generation,
            },
            TimerKey::Retry(execution, attempt) => Timer::Retry { execution, attempt },
            TimerKey::Timeout(execution, attempt) => Timer::Timeout { execution, attempt },
        };
        Some((DateTime::from_timestamp_millis(e.due_ms)?, timer))
    }

    pub fn clear(&mut self) {
        self.heap.clear();
    }

    /// Drops every fire and retry, keeping the timeouts of running attempts.
    pub fn keep_timeouts(&mut self) {
        self.heap
            .retain(|Reverse(e)| matches!(e.timer, TimerKey::Timeout(..)));
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn pops_in_due_order_then_insertion_order() {
        let t = |s| Utc.timestamp_opt(s, 0).unwrap();
        let mut timers = Timers::default();
        timers.push(
            t(30),
            Timer::Fire {
                schedule: 1,
                generation: 0,
            },
        );
        timers.push(
            t(10),
            Timer::Retry {
                execution: 7,
                attempt: 2,
            },
        );
        timers.push(
            t(10),
            Timer::Timeout {
                execution: 7,
                attempt: 1,
            },
        );
        assert_eq!(timers.next_due(), Some(t(10)));
        assert_eq!(timers.pop_due(t(5)), None);
        assert_eq!(
            timers.pop_due(t(40)),
            Some((
                t(10),
                Timer::Retry {
                    execution: 7,
                    attempt: 2
                }
            ))
        );
        assert_eq!(
            timers.pop_due(t(40)),
            Some((
                t(10),
                Timer::Timeout {
                    execution: 7,
                    attempt: 1
                }
            ))
        );
        assert_eq!(timers.pop_due(t(20)), None);
        assert_eq!(
            timers.pop_due(t(30)),
            Some((
                t(30),
                Timer::Fire {
                    schedule: 1,
                    generation: 0
                }
            ))
        );
        assert!(timers.is_empty());
    }

    #[test]
    fn a_timer_never_fires_before_its_time() {
        // A 500 ms timeout armed at 0.6 ms is due at 500.6 ms: not at 500 ms, at 501 ms.
        let micros = |us| Utc.timestamp_micros(us).unwrap();
        let mut timers = Timers::default();
        let timeout = Timer::Timeout {
            execution: 1,
            attempt: 1,
        };
        timers.push(micros(500_600), timeout.clone());
        assert_eq!(timers.pop_due(micros(500_999)), None);
        assert_eq!(
            timers.pop_due(micros(501_000)),
            Some((micros(501_000), timeout))
        );
    }
}
