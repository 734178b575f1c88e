//! A read-only store on a cluster's database (an observer): the engine is never started, so
//! no driver turns; a thread of its own follows the nodes' commits instead, so that reads
//! are current. It fires, claims and reaps nothing, and writes nothing.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use super::cluster_driver::follow;
use super::coordinator::{POLL, TAIL_EVERY};
use super::shared::Shared;

impl Shared {
    /// Follows the nodes while this observer's store is open (nothing to do on any other
    /// store). The thread holds neither the engine nor the store between looks, and ends
    /// once the store is closed or opened again (that opening follows on its own).
    pub fn observe(self: &Arc<Self>) {
        let Some(db) = self.cluster_db().filter(|db| db.is_observer()) else {
            return;
        };
        let (weak_shared, weak_db) = (Arc::downgrade(self), Arc::downgrade(&db));
        drop(db);
        let spawned = std::thread::Builder::new()
            .name("tickflow-observer".into())
            .spawn(move || {
                let mut last = Instant::now();
                loop {
                    std::thread::sleep(TAIL_EVERY);
                    let (Some(shared), Some(db)) = (weak_shared.upgrade(), weak_db.upgrade())
                    else {
                        return;
                    };
                    let current = shared
                        .cluster_db()
                        .is_some_and(|open| Arc::ptr_eq(&open, &db));
                    if !current {
                        return;
                    }
                    // A lost notification is covered by a look every POLL.
                    if db.node.changed.swap(false, Ordering::SeqCst) || last.elapsed() >= POLL {
                        follow(&shared, &db, db.deadline());
                        last = Instant::now();
                        // Nothing drains an engine that never starts: what a look said
                        // (an outage report) goes, or it would pile up.
                        shared.lock().outbox.clear();
                    }
                }
            });
        if spawned.is_err() {
            self.lock().report_error(
                "ERR_INTERNAL",
                "the thread that follows the cluster could not be started; reads show the store as it was opened",
            );
        }
    }
}
