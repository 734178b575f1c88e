//! Where the engine's time comes from. The engine reads no clock: it is handed the time
//! each time it is taken (`Shared::lock`), so a test, a manual clock and a cluster node
//! all drive the same state machine, and which clock decides what is due is settled here,
//! at the edge.

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Duration, Utc};

use crate::cluster::NodeState;

/// The time handed to an engine that is not on a manual clock (a manual clock moves only
/// when the user advances it: `Engine::advance`).
#[derive(Default)]
pub(crate) struct Clock {
    /// Tests: tokio's (pausable) clock, counted from this origin.
    tokio: OnceLock<(DateTime<Utc>, tokio::time::Instant)>,
    /// A cluster node's session: the database's clock decides what is due, as this node's
    /// offset to it was last measured.
    database: Mutex<Option<Arc<NodeState>>>,
}

impl Clock {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        if let Some((origin, at)) = self.tokio.get() {
            return *origin + Duration::from_std(at.elapsed()).unwrap_or_else(|_| Duration::zero());
        }
        let offset = match &*self.database.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(node) => {
                node.offset_ms.load(std::sync::atomic::Ordering::Relaxed)
                    + crate::cluster::test_clock_skew_ms()
            }
            None => 0,
        };
        Utc::now() + Duration::milliseconds(offset)
    }

    /// Time from tokio's clock (which tests pause), from `origin`; set once.
    pub(crate) fn use_tokio(&self, origin: DateTime<Utc>) {
        let _ = self.tokio.set((origin, tokio::time::Instant::now()));
    }

    pub(crate) fn on_tokio(&self) -> bool {
        self.tokio.get().is_some()
    }

    /// While `node` is given, the database's clock; the system's again after. Returns the
    /// node followed until now.
    pub(crate) fn follow_database(&self, node: Option<Arc<NodeState>>) -> Option<Arc<NodeState>> {
        std::mem::replace(
            &mut *self.database.lock().unwrap_or_else(|e| e.into_inner()),
            node,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, EngineOptions, Shared};
    use std::sync::atomic::Ordering;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn each_time_the_engine_is_taken_it_is_handed_the_clocks_time() {
        let shared = Shared::new(Engine::new(EngineOptions::default(), None));
        shared.use_tokio_clock(at("2026-01-01T00:00:00Z"));
        let first = shared.lock().now();
        assert_eq!(first, at("2026-01-01T00:00:00Z"));
        tokio::time::advance(std::time::Duration::from_millis(1500)).await;
        let second = shared.lock().now();
        assert_eq!(second, at("2026-01-01T00:00:01.500Z"));
    }

    #[test]
    fn held_the_engine_reads_no_clock_time_stands_until_it_is_handed_another() {
        let shared = Shared::new(Engine::new(EngineOptions::default(), None));
        let mut engine = shared.lock();
        let taken = engine.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(engine.now(), taken);
        engine.hand_time(at("2026-01-01T00:02:00Z"));
        assert_eq!(engine.now(), at("2026-01-01T00:02:00Z"));
    }

    #[test]
    fn a_manual_clock_moves_only_when_the_user_advances_it() {
        let start = at("2026-01-01T00:00:00Z");
        let shared = Shared::new(Engine::new(EngineOptions::default(), Some(start)));
        assert_eq!(shared.lock().now(), start);
        shared.lock().hand_time(at("2030-01-01T00:00:00Z"));
        assert_eq!(shared.lock().now(), start);
        shared.lock().advance(2_000, true).unwrap();
        assert_eq!(shared.lock().now(), at("2026-01-01T00:00:02Z"));
    }

    #[test]
    fn a_cluster_node_runs_on_the_databases_clock_and_on_its_own_after_it_left() {
        let clock = Clock::default();
        let node = NodeState::new("n", Arc::new(|| {}));
        node.offset_ms.store(3_600_000, Ordering::Relaxed);
        clock.follow_database(Some(node));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > Duration::minutes(59) && ahead <= Duration::minutes(60));
        clock.follow_database(None);
        let ahead = clock.now() - Utc::now();
        assert!(ahead.num_minutes().abs() < 1);
    }
}
