//! The system-clock driver: one tokio task sleeps until the earliest timer of all
//! schedules, fires what is due, and wakes JavaScript when there are messages to drain.

use super::core::Lifecycle;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration as StdDuration;

pub use super::shared::Shared;

/// Longest single sleep: wall-clock jumps (a host that slept, an NTP step) are noticed
/// within this time, at the cost of one wake-up per second while idle.
pub const MAX_SLEEP: StdDuration = StdDuration::from_secs(1);

/// tokio's timer has millisecond ticks and rounds a deadline up, so a sleep until the due
/// instant wakes up to a millisecond late. The driver sleeps until this much before a fire
/// and yields its way through the rest: fires start within a fraction of a millisecond.
const SPIN: StdDuration = StdDuration::from_millis(1);

/// Timers handled per turn of the lock: JavaScript can drain the first fires of a herd
/// while the driver works through the rest.
pub const SLICE: usize = 512;

/// Runs until the next `shutdown` after `epoch` (read with `Shared::epoch` when the driver
/// is started, not when its task first runs: a stop in between must still end it). `wake`
/// asks JavaScript to drain the outbox; it must not block.
pub async fn drive(shared: std::sync::Arc<Shared>, epoch: u64, wake: impl Fn()) {
    while shared.epoch() == epoch {
        // (sleep before the next turn, or None to go on at once; messages waiting?)
        let (wait, has_messages, spin) = {
            let (spin, now, cluster, in_flight) = {
                let engine = shared.lock();
                // Not under a test's paused tokio clock: yielding would never let it advance.
                let spin = !shared.on_tokio_clock();
                (spin, engine.now(), engine.is_cluster(), engine.in_flight())
            };
            let mut more = false;
            if catch_unwind(AssertUnwindSafe(|| {
                more = if cluster {
                    // Takes the lock only between its database steps.
                    super::cluster_driver::cluster_turn(&shared, now, SLICE)
                } else {
                    shared.lock().process_due_some(now, SLICE)
                };
                let mut engine = shared.lock();
                // Durable even while JavaScript is too busy to drain.
                engine.maintain();
                shared.commit(&mut engine);
            }))
            .is_err()
            {
                let mut engine = shared.lock();
                engine.report_error(
                    "ERR_INTERNAL",
                    "an internal fault (panic) interrupted timer processing; the scheduler goes on",
                );
                if catch_unwind(AssertUnwindSafe(|| engine.recover())).is_err() {
                    engine.report_error("ERR_INTERNAL", "recovering from an internal fault failed");
                }
            }
            let mut engine = shared.lock();
            if cluster {
                shared.publish(&mut engine);
            }
            let wait = if more {
                None
            } else {
                let timers = match engine.next_due() {
                    Some(due) => (due - engine.now())
                        .to_std()
                        .unwrap_or(StdDuration::ZERO)
                        .min(MAX_SLEEP),
                    None => MAX_SLEEP,
                };
                let news = engine.coordinator_ref().and_then(|c| c.wait());
                Some(news.map_or(timers, |w| w.min(timers)))
            };
            // A stop waits in JavaScript for the last attempt to end. On a cluster node the
            // driver writes its answer, so JavaScript hears of it only by a wake-up: one is
            // sent when this turn ended the last, even with no event to deliver.
            let last_ended =
                engine.lifecycle == Lifecycle::Stopping && in_flight > 0 && engine.in_flight() == 0;
            let tell = engine.has_messages() || shared.has_published() || last_ended;
            (wait, tell, spin)
        };
        if has_messages && shared.claim_wake() {
            wake();
        }
        match wait {
            Some(wait) if spin && wait <= SPIN => tokio::task::yield_now().await,
            Some(wait) if wait > StdDuration::ZERO => {
                let sleep = if spin { wait - SPIN } else { wait };
                tokio::select! {
                    _ = tokio::time::sleep(sleep) => {}
                    _ = shared.notify.notified() => {}
                }
            }
            _ => tokio::task::yield_now().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::engine::{EngineOptions, JsonMessage};
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn fires_on_time_under_tokio_paused_clock_with_one_wake_per_batch() {
        let origin: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut engine = Engine::new(EngineOptions::default(), None);
        engine.hand_time(origin);
        engine.start().unwrap();
        for i in 0..3 {
            engine
                .create(json!({
                    "id": format!("c{i}"), "workflowId": "w",
                    "scheduleConfig": { "cronExpression": "*/10 * * * * *", "overlapPolicy": "allow" },
                }))
                .unwrap();
        }
        engine.take_json_messages();
        let shared = Arc::new(Shared::new(engine));
        shared.use_tokio_clock(origin);
        let wakes = Arc::new(AtomicUsize::new(0));
        let task = {
            let (shared, wakes) = (shared.clone(), wakes.clone());
            let epoch = shared.epoch();
            tokio::spawn(async move {
                drive(shared, epoch, move || {
                    wakes.fetch_add(1, Ordering::SeqCst);
                })
                .await
            })
        };
        // 35 s of paused time pass in an instant.
        tokio::time::sleep(StdDuration::from_secs(35)).await;
        shared.clear_wake();
        let executes: Vec<i64> = shared
            .lock()
            .take_json_messages()
            .into_iter()
            .filter_map(|m| match m {
                JsonMessage::Execute(text) => serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap()["scheduledTime"]["$date"]
                    .as_i64(),
                _ => None,
            })
            .collect();
        let base = origin.timestamp_millis();
        // Three schedules at :10, :20 and :30, each batch of three fired together.
        assert_eq!(executes.len(), 9);
        assert_eq!(executes.iter().filter(|t| **t == base + 10_000).count(), 3);
        assert_eq!(executes.iter().filter(|t| **t == base + 30_000).count(), 3);
        // Until JS drains, one wake-up stands for any number of messages.
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        // The fires were on time: no trigger latency.
        assert_eq!(shared.lock().trigger_latency().1, 0.0);
        shared.shutdown();
        task.await.unwrap();
    }

    #[test]
    fn a_cluster_node_drains_what_was_published_while_the_engine_is_held() {
        let shared = Shared::new(Engine::new(EngineOptions::default(), None));
        shared.set_clustered(true);
        {
            let mut engine = shared.lock();
            engine.report_error("ERR_TEST", "first");
            shared.publish(&mut engine);
            engine.report_error("ERR_TEST", "second");
        }
        let held = shared.lock();
        // The engine is busy: what was published comes out at once, the rest stays.
        let first = shared.take_messages();
        assert_eq!(first.len(), 1);
        assert!(held.has_messages());
        drop(held);
        // Free again: the rest, in order; then nothing.
        assert_eq!(shared.take_messages().len(), 1);
        assert!(shared.take_messages().is_empty());
        // Off a cluster a drain waits for the engine, as before.
        shared.set_clustered(false);
        shared.lock().report_error("ERR_TEST", "third");
        assert_eq!(shared.take_messages().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_driver_stopped_before_its_task_runs_still_ends() {
        let shared = Arc::new(Shared::new(Engine::new(EngineOptions::default(), None)));
        let epoch = shared.epoch();
        shared.shutdown();
        // The task starts only now, after the stop: it must end at once.
        tokio::time::timeout(StdDuration::from_secs(5), drive(shared, epoch, || {}))
            .await
            .expect("the driver ended");
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_while_firing_becomes_an_error_event_and_the_driver_goes_on() {
        let origin: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut engine = Engine::new(EngineOptions::default(), None);
        engine.hand_time(origin);
        engine.start().unwrap();
        engine
            .create(json!({
                "id": "c", "workflowId": "w",
                "scheduleConfig": { "cronExpression": "*/10 * * * * *", "overlapPolicy": "allow" },
            }))
            .unwrap();
        engine.inject_fault();
        engine.take_json_messages();
        let shared = Arc::new(Shared::new(engine));
        shared.use_tokio_clock(origin);
        let task = {
            let shared = shared.clone();
            let epoch = shared.epoch();
            tokio::spawn(async move { drive(shared, epoch, || {}).await })
        };
        tokio::time::sleep(StdDuration::from_secs(25)).await;
        let messages = shared.lock().take_json_messages();
        let errors = messages
            .iter()
            .filter(|m| matches!(m, JsonMessage::Event(t) if t.contains("integration.error") && t.contains("ERR_INTERNAL")))
            .count();
        let executes = messages
            .iter()
            .filter(|m| matches!(m, JsonMessage::Execute(_)))
            .count();
        assert_eq!(errors, 1);
        // The :10 fire, lost with the fault, was armed again and ran; then :20 ran as usual.
        assert_eq!(executes, 2);
        shared.shutdown();
        task.await.unwrap();
    }
}
