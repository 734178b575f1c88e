//! `clusterNodes()`: the nodes of the cluster on the integration's PostgreSQL store, as the
//! `nodes` table lists them, read on the database's runtime (never on the JavaScript
//! thread). Any integration on the store may ask, a read-only one (an observer) included.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{json, Value};
use tickflow_core::cluster::NodeRow;
use tickflow_core::engine::EngineError;

use crate::integration::{engine_error, NativeIntegration};
use crate::js_error::{ApiError, ErrorKind};

type Settle = Box<dyn FnOnce(Env) -> Result<String> + Send>;

fn not_cluster() -> ApiError {
    ApiError::new(
        ErrorKind::Plain,
        "ERR_NOT_CLUSTER",
        "getClusterNodes: the integration's store is not PostgreSQL; only a cluster has nodes",
    )
}

/// One node as JSON, dates as `{ "$date": ms }`; its lease measured on the database's clock.
fn node_json(n: &NodeRow, now_ms: i64, own_token: Option<&str>) -> Value {
    let date = |ms: i64| json!({ "$date": ms });
    json!({
        "nodeId": n.node_id,
        "token": n.token,
        "startedAt": date(n.started_ms),
        "leaseUntil": date(n.lease_until_ms),
        "leaseRemainingMs": (n.lease_until_ms - now_ms).max(0),
        "lastRenewal": date(n.renewed_ms),
        "clockOffsetMs": n.clock_offset_ms,
        // What the reaper goes by: a node is dead once its lease ran out or its session
        // (and with it its advisory lock) is gone.
        "alive": n.lease_until_ms > now_ms && n.session,
        "self": own_token == Some(n.token.as_str()),
    })
}

#[napi]
impl NativeIntegration {
    /// The cluster's nodes (JSON array); rejects ERR_NOT_CLUSTER on memory and SQLite, and
    /// ERR_NOT_INITIALIZED before a PostgreSQL store is open.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn cluster_nodes<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let (deferred, promise) = env.create_deferred::<String, Settle>()?;
        let db = self.shared.cluster_db();
        let Some(db) = db else {
            // As the other reads, it does not open the store.
            let pending = self.on_postgres();
            deferred.resolve(Box::new(move |env: Env| {
                let err = match pending {
                    true => engine_error(EngineError::NotInitialized),
                    false => not_cluster(),
                };
                Err(err.into_rejection(&env))
            }));
            return Ok(promise);
        };
        // An observer is not among the nodes: nothing in the list is itself.
        let own = (!db.is_observer()).then(|| db.node.token());
        let reader = db.clone();
        // Always spawned: the runtime lives as long as `db`, held here.
        db.spawn_blocking(move || {
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                reader.nodes().map_err(EngineError::Cluster)
            }))
            .unwrap_or_else(|_| {
                Err(EngineError::Internal(
                    "a fault (panic) while reading the nodes".into(),
                ))
            })
            .map(|(now, nodes)| {
                let list: Vec<Value> = nodes
                    .iter()
                    .map(|n| node_json(n, now, own.as_deref()))
                    .collect();
                Value::Array(list).to_string()
            });
            deferred.resolve(Box::new(move |env: Env| {
                answer.map_err(|e| engine_error(e).into_rejection(&env))
            }));
        });
        Ok(promise)
    }
}
