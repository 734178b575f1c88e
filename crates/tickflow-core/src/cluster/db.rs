//! The statements, run on a runtime of their own and called synchronously: the engine is
//! a synchronous state machine, and a transaction spans engine work between its statements
//! (lock and read, let the engine decide, write what it decided). The caller holds no
//! engine lock while it waits here (`engine::cluster_driver`, `engine::operation`), and every wait ends by a deadline:
//! a server that stops answering (paused, unplugged) costs an operation its deadline, never
//! a hang.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio_postgres::Row;

use super::connect::{self, Target};
use super::schema::{self, quote};
use super::session::{self, NodeState};
use super::{ClusterError, ClusterOptions};
use crate::store::{ExecutionRow, ScheduleRow, SkipRow};

/// Which schedule rows a transaction locks.
#[derive(Clone, Debug)]
pub enum Scope {
    /// These schedules; `skip_locked`: leave those another node holds (firing), else wait.
    Schedules { ids: Vec<String>, skip_locked: bool },
    /// Configuration changes, one at a time cluster-wide: these schedules, or all of them.
    Config { ids: Vec<String>, all: bool },
    /// Schedules with executions ready to start (queued, or retrying and due), enough for
    /// `limit` of them; those another node holds are left. `only`: of these schedules
    /// alone (those this node has a handler for); `None` for any.
    Claim {
        limit: i64,
        only: Option<Vec<String>>,
    },
    /// Schedules with an execution running on a node that is no longer alive.
    Orphans,
    /// Several of the above in one transaction (group commit); only the first may wait for
    /// a row (`tx::lock`).
    Together(Vec<Scope>),
}

/// A schedule row with its version.
#[derive(Clone, Debug)]
pub struct VersionedRow {
    pub row: ScheduleRow,
    pub version: i64,
    pub deleted: bool,
}

/// What a transaction locked.
#[derive(Debug, Default)]
pub struct Locked {
    /// (schedule id, version) of every locked row.
    pub versions: Vec<(String, i64)>,
    /// Claim: executions ready to start, best first. Orphans: executions to interrupt.
    pub executions: Vec<String>,
    /// This node's lease holds, on the database's clock.
    pub live: bool,
}

/// Changes committed since a point, read in one snapshot.
#[derive(Debug, Default)]
pub struct Tail {
    /// Where the next tail starts: the snapshot's oldest running transaction.
    pub xmin: String,
    pub schedules: Vec<VersionedRow>,
    pub executions: Vec<ExecutionRow>,
    pub skips: Vec<SkipRow>,
}

/// Schedule rows with their executions not final, read inside a transaction.
pub type Loaded = (Vec<VersionedRow>, Vec<ExecutionRow>);

pub struct Db {
    runtime: Option<tokio::runtime::Runtime>,
    pub(super) handle: tokio::runtime::Handle,
    pub(super) pool: Pool,
    schema: String,
    pub(super) q: Arc<str>,
    label: String,
    /// How long an operation waits for the database (`ClusterOptions::command_timeout_ms`).
    pub(super) timeout: Duration,
    pub node: Arc<NodeState>,
    /// Opened read-only (`ClusterOptions::observer`): it only reads and listens.
    observer: bool,
    /// When a stop's database work gives up (`stop_deadline`).
    stop_by: std::sync::Mutex<Option<Instant>>,
}

impl Drop for Db {
    fn drop(&mut self) {
        self.node.shutdown();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Db {
    /// Connects, migrates the schema, and joins as a node (its session holds its advisory
    /// lock and listens for changes). `wake` is called when another node changed something.
    /// An observer checks the schema instead, and only listens (`observer`).
    pub fn open(
        options: &ClusterOptions,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Db, ClusterError> {
        let target = connect::target(&options.connection_string)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tickflow-pg")
            .enable_all()
            .build()
            .map_err(|e| ClusterError::Database(e.to_string()))?;
        let handle = runtime.handle().clone();
        let pool = connect::pool(&target, options.pool_size)?;
        let schema = options.schema.clone();
        let q: Arc<str> = quote(&schema).into();
        let label = target.label.clone();
        let node = NodeState::new(&options.node_id, wake);
        let db = Db {
            runtime: Some(runtime),
            handle,
            pool,
            schema,
            q,
            label,
            timeout: Duration::from_millis(options.command_timeout_ms.max(1)),
            stop_by: std::sync::Mutex::new(None),
            node,
            observer: options.observer,
        };
        let target = Arc::new(target);
        if db.observer {
            db.run({
                let pool = db.pool.clone();
                let schema = db.schema.clone();
                let target = target.clone();
                async move {
                    let client = pool.get().await.map_err(|e| connect_error(&target, e))?;
                    schema::check(&client, &schema).await
                }
            })?;
            super::observer::start(&db.handle, target, db.q.clone(), db.node.clone());
            return Ok(db);
        }
        db.run({
            let pool = db.pool.clone();
            let schema = db.schema.clone();
            let target = target.clone();
            async move {
                let mut client = pool.get().await.map_err(|e| connect_error(&target, e))?;
                schema::migrate(&mut client, &schema).await
            }
        })?;
        // The session: registers the node, and gives up at once when it cannot.
        let first = session::start(&db.handle, target, db.q.clone(), db.node.clone());
        db.wait(first)?;
        if let Err(err) = db.check_not_pooled() {
            db.leave();
            return Err(err);
        }
        Ok(db)
    }

    /// Behind a transaction-pooling proxy, the server session that holds this node's
    /// advisory lock goes back to the proxy's pool between statements, and the next
    /// connection of ours is often given that very session (PgBouncer hands out the most
    /// recently used one). Directly or through a session pooler that cannot happen.
    fn check_not_pooled(&self) -> Result<(), ClusterError> {
        let pool = self.pool.clone();
        let key = session::lock_key(&self.node.token());
        self.run(async move {
            let mut held = Vec::new();
            // Several connections at once (each a different one), as many as the pool has.
            for _ in 0..pool.status().max_size.min(3) {
                let client = pool.get().await?;
                let shared: bool = client
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                             AND pid = pg_backend_pid() AND classid = $1::int::oid AND objid = $2::int::oid)",
                        &[&schema::LOCK_CLASS, &key],
                    )
                    .await?
                    .get(0);
                if shared {
                    return Err(ClusterError::Pooler(
                        "a pooled connection ran on the server session that holds this node's session lock".into(),
                    ));
                }
                held.push(client);
            }
            Ok(())
        })
    }

    /// Leaves the cluster: the node's row goes (its advisory lock goes with the session).
    pub fn leave(&self) {
        let token = self.node.token();
        self.node.shutdown();
        if !self.observer {
            let pool = self.pool.clone();
            let q = self.q.clone();
            let _ = self.run_until(self.stop_deadline(), async move {
                let client = pool.get().await?;
                client
                    .execute(
                        &format!("DELETE FROM {q}.nodes WHERE token = $1"),
                        &[&token],
                    )
                    .await?;
                Ok::<_, ClusterError>(())
            });
        }
        // A stopped integration holds no connection: its idle ones close now, and a read
        // of its history afterwards opens one when it needs it.
        drop(self.pool.retain(|_, _| false));
    }

    /// Opened read-only: not a node of the cluster.
    pub fn is_observer(&self) -> bool {
        self.observer
    }

    /// Where the store is, for messages.
    pub fn location(&self) -> &str {
        &self.label
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The deadline of an operation that starts now.
    pub fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    /// The deadline of a stop's database work (ending the attempts still running, writing
    /// the answers waiting, leaving), set by the first of it: all of it together waits one
    /// `commandTimeoutMs` at most, so a stop with the database away ends within its grace
    /// and one timeout, not one timeout per step.
    pub fn stop_deadline(&self) -> Instant {
        *self
            .stop_by
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| self.deadline())
    }

    /// A stop starts (or starts again, after one that could not finish): its database
    /// work has a whole `commandTimeoutMs` from now.
    pub fn begin_stop(&self) {
        *self.stop_by.lock().unwrap_or_else(|p| p.into_inner()) = Some(self.deadline());
    }

    /// The stop's database work is over: a later one starts afresh.
    pub fn end_stop(&self) {
        *self.stop_by.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The deadline of a driver's turn: also when this node's lease runs out. A turn that
    /// waits on a database it cannot reach then ends in time for the next one to see the
    /// lease lapsed and stop its attempts, before another node takes them over.
    pub fn turn_deadline(&self) -> Instant {
        let deadline = self.deadline();
        match self.node.lease_deadline() {
            Some(lease) => deadline.min(lease.max(Instant::now())),
            None => deadline,
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs `job` on a thread of the database's runtime made for blocking work (a command
    /// from JavaScript: it waits for the engine's lock and the database there, not on the
    /// JavaScript thread). False when the runtime is gone (the store closed).
    pub fn spawn_blocking(&self, job: impl FnOnce() + Send + 'static) -> bool {
        if self.runtime.is_none() {
            return false;
        }
        drop(self.handle.spawn_blocking(job));
        true
    }

    /// Runs `fut` on the database's runtime and waits for it, until `self.timeout`.
    pub(super) fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, ClusterError>> + Send + 'static,
    ) -> Result<T, ClusterError> {
        self.run_until(self.deadline(), fut)
    }

    /// Runs `fut` until `deadline`; past it, `fut` is dropped (a transaction it holds rolls
    /// back) and the answer is `Timeout`.
    pub(super) fn run_until<T: Send + 'static>(
        &self,
        deadline: Instant,
        fut: impl Future<Output = Result<T, ClusterError>> + Send + 'static,
    ) -> Result<T, ClusterError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let ms = self.timeout.as_millis() as u64;
        self.handle.spawn(async move {
            let answer = tokio::time::timeout_at(deadline.into(), fut)
                .await
                .unwrap_or(Err(ClusterError::Timeout(ms)));
            let _ = tx.send(answer);
        });
        rx.recv().map_err(|_| gone())?
    }

    fn wait<T>(&self, rx: std::sync::mpsc::Receiver<T>) -> T {
        rx.recv()
            .expect("the database runtime runs while the store is open")
    }

    /// What committed after `xmin`. For `None` (joining), what a node holds: every
    /// schedule and the executions not final; finished work and skips stay in the
    /// database, read from there when asked for (`history`).
    pub fn tail(&self, xmin: Option<String>) -> Result<Tail, ClusterError> {
        self.tail_until(self.deadline(), xmin, Vec::new())
    }

    /// `tail`, giving up at `deadline`. A finished execution comes without its record
    /// (`record` empty: a node does not hold finished work, its columns say what ended and
    /// how long it ran), unless its number is in `records_of` (attempts this node runs).
    pub fn tail_until(
        &self,
        deadline: Instant,
        xmin: Option<String>,
        records_of: Vec<i64>,
    ) -> Result<Tail, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        // This node's own writes are in its engine already.
        let me = self.node.token();
        self.run_until(deadline, async move {
            let mut client = pool.get().await?;
            // Read committed: the oldest running transaction is taken first, and what the
            // later statements see besides (newer commits) is read again next time. No
            // snapshot is held open across the reads, which would keep vacuum from
            // clearing the dead rows of a busy queue.
            let tx = client.build_transaction().read_only(true).start().await?;
            let joining = xmin.is_none();
            if !joining {
                // A few hundred rows changed since the last look. Tables that grew in the
                // last seconds have no statistics: the planner expected tens of thousands
                // and started parallel workers, whose start took 20 ms of a 25 ms read.
                tx.batch_execute("SET LOCAL max_parallel_workers_per_gather = 0")
                    .await?;
            }
            let since = xmin.unwrap_or_else(|| "0".into());
            let xmin: String = tx
                .query_one("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", &[])
                .await?
                .get(0);
            // Rows written since `since`, by other nodes.
            let changed = |select: &str, order: &str| {
                format!(
                    "{select} WHERE tx >= $1::text::xid8 AND writer IS DISTINCT FROM $2 {order}"
                )
            };
            let args: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&since, &me];
            let schedules = tx
                .query(
                    &changed(&format!("{SCHEDULE_COLUMNS} FROM {q}.schedules"), ""),
                    &args,
                )
                .await?
                .iter()
                .map(versioned)
                .collect();
            let columns = EXECUTION_COLUMNS.replace(
                "record",
                &format!("CASE WHEN status IN {FINAL} AND seq <> ALL($3) THEN '' ELSE record END"),
            );
            let executions = tx
                .query(
                    &changed(
                        &format!("{columns} FROM {q}.executions"),
                        if joining {
                            "AND status IN ('queued', 'running', 'retrying') ORDER BY seq"
                        } else {
                            "ORDER BY seq"
                        },
                    ),
                    &[&since, &me, &records_of],
                )
                .await?
                .iter()
                .map(execution)
                .collect();
            // Skips are counted in their schedule's row; the records stay in the database.
            let skips = Vec::new();
            tx.commit().await?;
            Ok(Tail {
                xmin,
                schedules,
                executions,
                skips,
            })
        })
    }

    /// A fresh block of execution numbers: [start, start + ID_BLOCK).
    pub fn next_block(&self, deadline: Instant) -> Result<u64, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let client = pool.get().await?;
            let row = client
                .query_one(&format!("SELECT nextval('{q}.id_blocks')"), &[])
                .await?;
            Ok(row.get::<_, i64>(0) as u64 * ID_BLOCK)
        })
    }

    /// Drops the rows of nodes that died: lease run out, or session gone (their advisory
    /// lock is free). Returns the tokens of the nodes alive, this one included.
    pub fn reap_nodes(&self) -> Result<Vec<String>, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        let me = self.node.token();
        // A driver's turn: it ends by the lease, as the turn's other steps do.
        self.run_until(self.turn_deadline(), async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let rows = tx
                .query(
                    &format!(
                        "SELECT token, lock_key, lease_until < now() FROM {q}.nodes
                         WHERE token <> $1 FOR UPDATE SKIP LOCKED"
                    ),
                    &[&me],
                )
                .await?;
            let mut dead = Vec::new();
            let mut alive = vec![me.clone()];
            for row in rows {
                let (token, key, expired): (String, i32, bool) =
                    (row.get(0), row.get(1), row.get(2));
                let free: bool = tx
                    .query_one(
                        "SELECT pg_try_advisory_xact_lock($1, $2)",
                        &[&schema::LOCK_CLASS, &key],
                    )
                    .await?
                    .get(0);
                if expired || free {
                    dead.push(token);
                } else {
                    alive.push(token);
                }
            }
            if !dead.is_empty() {
                tx.execute(
                    &format!("DELETE FROM {q}.nodes WHERE token = ANY($1)"),
                    &[&dead],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(alive)
        })
    }
}

pub(super) fn gone() -> ClusterError {
    ClusterError::Database("the connection was lost during a transaction".into())
}

/// Execution numbers come in blocks, one block per node at a time.
pub const ID_BLOCK: u64 = 100_000;

pub(super) const SCHEDULE_COLUMNS: &str =
    "SELECT schedule_id, config_id, config, state, version, deleted";

pub(super) const EXECUTION_COLUMNS: &str =
    "SELECT seq, id, schedule_id, status, scheduled_ms, record, trigger, priority, due_ms, node, started_ms, ended_ms";

/// Statuses of executions that are over.
pub(super) const FINAL: &str = "('completed', 'failed', 'cancelled', 'timeout')";

pub(super) fn execution(r: &Row) -> ExecutionRow {
    ExecutionRow {
        seq: r.get::<_, i64>(0) as u64,
        id: r.get(1),
        schedule_id: r.get(2),
        status: crate::engine::status_name(r.get(3)),
        scheduled_ms: r.get(4),
        record: r.get(5),
        trigger: crate::engine::trigger_name(r.get(6)),
        priority: r.get::<_, i32>(7).clamp(0, 255) as u8,
        due_ms: r.get(8),
        node: r.get(9),
        started_ms: r.get(10),
        ended_ms: r.get(11),
    }
}

pub(super) fn versioned(r: &Row) -> VersionedRow {
    VersionedRow {
        row: ScheduleRow {
            schedule_id: r.get(0),
            config_id: r.get(1),
            config: Some(r.get(2)),
            state: r.get(3),
        },
        version: r.get(4),
        deleted: r.get(5),
    }
}

fn connect_error(target: &Target, e: deadpool_postgres::PoolError) -> ClusterError {
    let reason = match &e {
        deadpool_postgres::PoolError::Backend(e) => super::db_message(e),
        other => other.to_string(),
    };
    ClusterError::Connect {
        target: target.label.clone(),
        reason,
    }
}
