//! The cluster as the `nodes` table tells it: who holds a lease, until when, when it last
//! renewed it, and the clock offset it measured. A read, for status views; it takes no lock.

use super::db::Db;
use super::schema::LOCK_CLASS;
use super::{ClusterError, LEASE_MS};

/// One node's row, times in milliseconds since the epoch on the database's clock.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    pub node_id: String,
    /// The node's id and a per-join suffix: a node that lost its lease joins again under a
    /// new one.
    pub token: String,
    pub started_ms: i64,
    pub lease_until_ms: i64,
    /// Its last renewal: a renewal sets the lease to `LEASE_MS` from then.
    pub renewed_ms: i64,
    /// Database time minus the node's, as the node measured it at a renewal; `None` until
    /// its first one (or written by a tickflow that did not record it).
    pub clock_offset_ms: Option<i64>,
    /// Its session still holds its advisory lock (a node whose process died loses it within
    /// milliseconds, before its lease runs out).
    pub session: bool,
}

impl Db {
    /// The nodes' rows, and the database's time they were read at.
    pub fn nodes(&self) -> Result<(i64, Vec<NodeRow>), ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run(async move {
            let client = pool.get().await?;
            // Through JSON: a schema from before the offset column reads as without one.
            let rows = client
                .query(
                    &format!(
                        "SELECT n.node_id, n.token,
                             (extract(epoch from n.started_at) * 1000)::float8,
                             (extract(epoch from n.lease_until) * 1000)::float8,
                             (row_to_json(n)::jsonb ->> 'clock_offset_ms')::bigint,
                             EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'
                                 AND l.granted AND l.classid = $1::int::oid
                                 AND l.objid = n.lock_key::oid),
                             (extract(epoch from now()) * 1000)::float8
                         FROM {q}.nodes n ORDER BY n.node_id, n.token"
                    ),
                    &[&LOCK_CLASS],
                )
                .await?;
            let now = match rows.first() {
                Some(r) => r.get::<_, f64>(6),
                None => client
                    .query_one("SELECT (extract(epoch from now()) * 1000)::float8", &[])
                    .await?
                    .get(0),
            };
            let nodes = rows
                .iter()
                .map(|r| {
                    let lease_until_ms = r.get::<_, f64>(3).round() as i64;
                    NodeRow {
                        node_id: r.get(0),
                        token: r.get(1),
                        started_ms: r.get::<_, f64>(2).round() as i64,
                        lease_until_ms,
                        renewed_ms: lease_until_ms - LEASE_MS,
                        clock_offset_ms: r.get(4),
                        session: r.get(5),
                    }
                })
                .collect();
            Ok((now.round() as i64, nodes))
        })
    }
}
