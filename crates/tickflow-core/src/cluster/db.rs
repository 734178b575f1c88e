//! The statements, run on a runtime of their own and called synchronously: the engine is
//! a synchronous state machine, and a transaction spans engine work between its statements
//! (lock and read, let the engine decide, write what it decided). The caller holds no
//! engine lock while it waits here (`engine::cluster`), and every wait ends by a deadline:
//! a server that stops answering (paused, unplugged) costs an operation its deadline, never
//! a hang.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio::sync::mpsc;
use tokio_postgres::Row;

use super::connect::{self, Target};
use super::schema::{self, quote};
use super::session::{self, NodeState};
use super::{ClusterError, ClusterOptions};
use crate::store::{Changes, ExecutionRow, ScheduleRow, SkipRow};

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

enum TxCommand {
    Load {
        schedules: Vec<String>,
        executions: Vec<String>,
        reply: std::sync::mpsc::SyncSender<Result<Loaded, ClusterError>>,
    },
    Commit {
        changes: Box<Changes>,
        notify: bool,
        reply: std::sync::mpsc::SyncSender<Result<Vec<(String, i64)>, ClusterError>>,
    },
}

/// An open transaction; dropped without `commit`, it rolls back.
pub struct Tx {
    commands: mpsc::UnboundedSender<TxCommand>,
    /// Its statements give up at this instant (the operation's deadline).
    deadline: Instant,
}

pub struct Db {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pub(super) pool: Pool,
    schema: String,
    pub(super) q: Arc<str>,
    label: String,
    /// How long an operation waits for the database (`ClusterOptions::command_timeout_ms`).
    timeout: Duration,
    pub node: Arc<NodeState>,
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
            node,
        };
        let target = Arc::new(target);
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
        let pool = self.pool.clone();
        let q = self.q.clone();
        let token = self.node.token();
        self.node.shutdown();
        let _ = self.run(async move {
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
    fn run<T: Send + 'static>(
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
        self.tail_until(self.deadline(), xmin)
    }

    /// `tail`, giving up at `deadline`.
    pub fn tail_until(
        &self,
        deadline: Instant,
        xmin: Option<String>,
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
            let executions = tx
                .query(
                    &changed(
                        &format!("{EXECUTION_COLUMNS} FROM {q}.executions"),
                        if joining {
                            "AND status IN ('queued', 'running', 'retrying') ORDER BY seq"
                        } else {
                            "ORDER BY seq"
                        },
                    ),
                    &args,
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
        self.run(async move {
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

    /// Opens a transaction and locks the rows of `scope`; its statements give up at
    /// `deadline`, and a row lock is waited for until then at most (`lock_timeout`).
    pub fn begin(&self, scope: Scope, deadline: Instant) -> Result<(Tx, Locked), ClusterError> {
        let (commands, mut inbox) = mpsc::unbounded_channel::<TxCommand>();
        let (first_tx, first_rx) = std::sync::mpsc::sync_channel(1);
        let pool = self.pool.clone();
        let q = self.q.clone();
        let me = self.node.token();
        let ms = self.timeout.as_millis() as u64;
        self.handle.spawn(async move {
            let at = tokio::time::Instant::from_std(deadline);
            let opened = tokio::time::timeout_at(at, async {
                let client = pool.get().await?;
                // The server reports a lock it could not get shortly before the client
                // would give up (and with it the error names the lock, not the server).
                let wait = deadline
                    .saturating_duration_since(Instant::now())
                    .saturating_sub(Duration::from_millis(50))
                    .as_millis()
                    .max(1) as u64;
                Ok::<_, ClusterError>((client, wait))
            })
            .await;
            let (mut client, wait) = match opened {
                Ok(Ok(x)) => x,
                Ok(Err(e)) => return drop(first_tx.send(Err(e))),
                Err(_) => return drop(first_tx.send(Err(ClusterError::Timeout(ms)))),
            };
            let tx = match tokio::time::timeout_at(at, client.transaction()).await {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => return drop(first_tx.send(Err(e.into()))),
                Err(_) => return drop(first_tx.send(Err(ClusterError::Timeout(ms)))),
            };
            let locking = async {
                tx.batch_execute(&format!("SET LOCAL lock_timeout = {wait}"))
                    .await?;
                lock(&tx, &q, &scope, &me).await
            };
            match tokio::time::timeout_at(at, locking).await {
                Ok(Ok(locked)) => {
                    if first_tx.send(Ok(locked)).is_err() {
                        return;
                    }
                }
                Ok(Err(ClusterError::LockTimeout(_))) => {
                    return drop(first_tx.send(Err(ClusterError::LockTimeout(wait))))
                }
                Ok(Err(e)) => return drop(first_tx.send(Err(e))),
                Err(_) => return drop(first_tx.send(Err(ClusterError::Timeout(ms)))),
            }
            while let Some(command) = inbox.recv().await {
                match command {
                    TxCommand::Load {
                        schedules,
                        executions,
                        reply,
                    } => {
                        let read =
                            tokio::time::timeout_at(at, load(&tx, &q, &schedules, &executions))
                                .await
                                .unwrap_or(Err(ClusterError::Timeout(ms)));
                        let failed = read.is_err();
                        let _ = reply.send(read);
                        if failed {
                            return;
                        }
                    }
                    TxCommand::Commit {
                        changes,
                        notify,
                        reply,
                    } => {
                        // Past the deadline the outcome is unknown (the server may still
                        // commit): the engine reads the rows back, as after any failed commit.
                        let result = tokio::time::timeout_at(at, async {
                            let versions = write(&tx, &q, &changes, notify, &me).await?;
                            tx.commit().await?;
                            Ok(versions)
                        })
                        .await
                        .unwrap_or(Err(ClusterError::Timeout(ms)));
                        let _ = reply.send(result);
                        return;
                    }
                }
            }
            // Dropped without a commit: the transaction rolls back as it drops.
        });
        let wait = deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(100);
        let locked = match first_rx.recv_timeout(wait) {
            Ok(answer) => answer?,
            Err(_) => return Err(ClusterError::Timeout(ms)),
        };
        Ok((Tx { commands, deadline }, locked))
    }
}

impl Tx {
    /// The current rows of these schedules, with their executions that are not final or
    /// are named in `executions` (those this node holds as not final).
    pub fn load(
        &self,
        schedules: Vec<String>,
        executions: Vec<String>,
    ) -> Result<Loaded, ClusterError> {
        let (reply, rx) = std::sync::mpsc::sync_channel(1);
        self.send(TxCommand::Load {
            schedules,
            executions,
            reply,
        })?;
        self.answer(rx)
    }

    /// Writes `changes` and commits; returns the new version of each schedule written.
    pub fn commit(
        self,
        changes: Changes,
        notify: bool,
    ) -> Result<Vec<(String, i64)>, ClusterError> {
        let (reply, rx) = std::sync::mpsc::sync_channel(1);
        self.send(TxCommand::Commit {
            changes: Box::new(changes),
            notify,
            reply,
        })?;
        self.answer(rx)
    }

    /// The transaction's task answers by the deadline (it gives up then); a little more
    /// is allowed for it to say so.
    fn answer<T>(
        &self,
        rx: std::sync::mpsc::Receiver<Result<T, ClusterError>>,
    ) -> Result<T, ClusterError> {
        let wait = self.deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
        rx.recv_timeout(wait).map_err(|_| gone())?
    }

    fn send(&self, command: TxCommand) -> Result<(), ClusterError> {
        self.commands.send(command).map_err(|_| gone())
    }
}

fn gone() -> ClusterError {
    ClusterError::Database("the connection was lost during a transaction".into())
}

/// Execution numbers come in blocks, one block per node at a time.
pub const ID_BLOCK: u64 = 100_000;

const SCHEDULE_COLUMNS: &str = "SELECT schedule_id, config_id, config, state, version, deleted";

pub(super) const EXECUTION_COLUMNS: &str =
    "SELECT seq, id, schedule_id, status, scheduled_ms, record, trigger, priority, due_ms, node";

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
    }
}

fn versioned(r: &Row) -> VersionedRow {
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

async fn lock(
    tx: &tokio_postgres::Transaction<'_>,
    q: &str,
    scope: &Scope,
    me: &str,
) -> Result<Locked, ClusterError> {
    let live: bool = tx
        .query_one(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM {q}.nodes WHERE token = $1 AND lease_until > now())"
            ),
            &[&me],
        )
        .await?
        .get(0);
    let mut locked = Locked {
        live,
        ..Default::default()
    };
    let pairs = |rows: Vec<Row>| -> Vec<(String, i64)> {
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    };
    match scope {
        Scope::Schedules { ids, skip_locked } => {
            let skip = if *skip_locked { " SKIP LOCKED" } else { "" };
            locked.versions = pairs(
                tx.query(
                    &format!(
                        "SELECT schedule_id, version FROM {q}.schedules WHERE schedule_id = ANY($1)
                         ORDER BY schedule_id FOR UPDATE{skip}"
                    ),
                    &[ids],
                )
                .await?,
            );
        }
        Scope::Config { ids, all } => {
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&schema::LOCK_CLASS, &format!("config:{q}")],
            )
            .await?;
            let filter = if *all {
                "true"
            } else {
                "schedule_id = ANY($1)"
            };
            locked.versions = pairs(
                tx.query(
                    &format!(
                        "SELECT schedule_id, version FROM {q}.schedules WHERE {filter} OR (schedule_id = ANY($1))
                         ORDER BY schedule_id FOR UPDATE"
                    ),
                    &[ids],
                )
                .await?,
            );
        }
        Scope::Claim { limit, only } => {
            let rows = tx
                .query(
                    &format!(
                        "WITH ready AS (
                             SELECT id, schedule_id, priority, scheduled_ms, seq FROM {q}.executions
                             WHERE status IN ('queued', 'retrying')
                               AND due_ms <= (extract(epoch from now()) * 1000)::bigint
                               AND ($2::text[] IS NULL OR schedule_id = ANY($2))
                             ORDER BY priority DESC, scheduled_ms, seq LIMIT $1
                             FOR UPDATE SKIP LOCKED),
                         held AS (
                             SELECT s.schedule_id, s.version FROM {q}.schedules s
                             WHERE s.schedule_id = ANY(ARRAY(SELECT schedule_id FROM ready))
                             ORDER BY s.schedule_id FOR UPDATE OF s SKIP LOCKED)
                         SELECT r.id, h.schedule_id, h.version FROM ready r JOIN held h USING (schedule_id)
                         ORDER BY r.priority DESC, r.scheduled_ms, r.seq"
                    ),
                    &[&(limit * 2), only],
                )
                .await?;
            let mut seen = std::collections::HashSet::new();
            for r in rows {
                let schedule: String = r.get(1);
                if seen.insert(schedule.clone()) {
                    locked.versions.push((schedule, r.get(2)));
                }
                locked.executions.push(r.get(0));
            }
        }
        Scope::Orphans => {
            let rows = tx
                .query(
                    &format!(
                        "WITH orphans AS (
                             SELECT id, schedule_id FROM {q}.executions e
                             WHERE status = 'running'
                               AND NOT EXISTS (SELECT 1 FROM {q}.nodes n WHERE n.token = e.node)
                             LIMIT 1000),
                         held AS (
                             SELECT s.schedule_id, s.version FROM {q}.schedules s
                             WHERE s.schedule_id = ANY(ARRAY(SELECT schedule_id FROM orphans))
                             ORDER BY s.schedule_id FOR UPDATE OF s SKIP LOCKED)
                         SELECT o.id, h.schedule_id, h.version FROM orphans o JOIN held h USING (schedule_id)"
                    ),
                    &[],
                )
                .await?;
            let mut seen = std::collections::HashSet::new();
            for r in rows {
                let schedule: String = r.get(1);
                if seen.insert(schedule.clone()) {
                    locked.versions.push((schedule, r.get(2)));
                }
                locked.executions.push(r.get(0));
            }
        }
    }
    Ok(locked)
}

async fn load(
    tx: &tokio_postgres::Transaction<'_>,
    q: &str,
    schedules: &[String],
    executions: &[String],
) -> Result<Loaded, ClusterError> {
    // A few schedules' rows, through their indexes: a table that grew in the last seconds
    // has no statistics, and the planner would read all of it instead.
    tx.batch_execute("SET LOCAL enable_seqscan = off").await?;
    let rows = tx
        .query(
            &format!("{SCHEDULE_COLUMNS} FROM {q}.schedules WHERE schedule_id = ANY($1)"),
            &[&schedules],
        )
        .await?
        .iter()
        .map(versioned)
        .collect();
    let execs = tx
        .query(
            &format!(
                "{EXECUTION_COLUMNS} FROM {q}.executions
                 WHERE schedule_id = ANY($1)
                   AND (status IN ('queued', 'running', 'retrying') OR id = ANY($2))
                 ORDER BY seq"
            ),
            &[&schedules, &executions],
        )
        .await?
        .iter()
        .map(execution)
        .collect();
    Ok((rows, execs))
}

/// Writes one engine commit. Deleted schedules go first (a tombstone row, their records
/// removed), then schedules, executions and skips, as arrays in one statement each.
async fn write(
    tx: &tokio_postgres::Transaction<'_>,
    q: &str,
    c: &Changes,
    notify: bool,
    me: &str,
) -> Result<Vec<(String, i64)>, ClusterError> {
    let mut versions = Vec::new();
    if !c.deleted_schedules.is_empty() {
        let ids = &c.deleted_schedules;
        tx.execute(
            &format!("DELETE FROM {q}.executions WHERE schedule_id = ANY($1)"),
            &[ids],
        )
        .await?;
        tx.execute(
            &format!("DELETE FROM {q}.skips WHERE schedule_id = ANY($1)"),
            &[ids],
        )
        .await?;
        for r in tx
            .query(
                &format!(
                    "UPDATE {q}.schedules SET deleted = true, version = version + 1,
                         tx = pg_current_xact_id(), writer = $2
                     WHERE schedule_id = ANY($1) RETURNING schedule_id, version"
                ),
                &[ids, &me],
            )
            .await?
        {
            versions.push((r.get(0), r.get(1)));
        }
    }
    if !c.schedules.is_empty() {
        let ids: Vec<&str> = c.schedules.iter().map(|s| s.schedule_id.as_str()).collect();
        let config_ids: Vec<&str> = c.schedules.iter().map(|s| s.config_id.as_str()).collect();
        let configs: Vec<Option<&str>> = c.schedules.iter().map(|s| s.config.as_deref()).collect();
        let states: Vec<&str> = c.schedules.iter().map(|s| s.state.as_str()).collect();
        for r in tx
            .query(
                &format!(
                    "INSERT INTO {q}.schedules AS s (schedule_id, config_id, config, state, version, writer)
                     SELECT i, ci, coalesce(c, ''), st, 1, $5
                     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(i, ci, c, st)
                     ON CONFLICT (schedule_id) DO UPDATE SET
                         config_id = excluded.config_id,
                         config = CASE WHEN excluded.config = '' THEN s.config ELSE excluded.config END,
                         state = excluded.state,
                         version = s.version + 1,
                         deleted = false,
                         writer = excluded.writer,
                         tx = pg_current_xact_id()
                     RETURNING schedule_id, version"
                ),
                &[&ids, &config_ids, &configs, &states, &me],
            )
            .await?
        {
            versions.push((r.get(0), r.get(1)));
        }
    }
    if !c.pruned_executions.is_empty() {
        let seqs: Vec<i64> = c.pruned_executions.iter().map(|s| *s as i64).collect();
        tx.execute(
            &format!("DELETE FROM {q}.executions WHERE seq = ANY($1)"),
            &[&seqs],
        )
        .await?;
    }
    if !c.executions.is_empty() {
        let e = &c.executions;
        let seqs: Vec<i64> = e.iter().map(|r| r.seq as i64).collect();
        let ids: Vec<&str> = e.iter().map(|r| r.id.as_str()).collect();
        let schedules: Vec<&str> = e.iter().map(|r| r.schedule_id.as_str()).collect();
        let statuses: Vec<&str> = e.iter().map(|r| r.status).collect();
        let triggers: Vec<&str> = e.iter().map(|r| r.trigger).collect();
        let scheduled: Vec<i64> = e.iter().map(|r| r.scheduled_ms).collect();
        let priorities: Vec<i32> = e.iter().map(|r| r.priority as i32).collect();
        let due: Vec<Option<i64>> = e.iter().map(|r| r.due_ms).collect();
        let nodes: Vec<Option<&str>> = e.iter().map(|r| r.node.as_deref()).collect();
        let records: Vec<&str> = e.iter().map(|r| r.record.as_str()).collect();
        let written = tx
            .execute(
                &format!(
                    "INSERT INTO {q}.executions AS e
                         (seq, id, schedule_id, status, trigger, scheduled_ms, priority, due_ms, node, record, writer)
                     SELECT *, $11 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                                          $6::bigint[], $7::int[], $8::bigint[], $9::text[], $10::text[])
                     ON CONFLICT (seq) DO UPDATE SET
                         status = excluded.status, due_ms = excluded.due_ms, node = excluded.node,
                         record = excluded.record, writer = excluded.writer, tx = pg_current_xact_id()"
                ),
                &[&seqs, &ids, &schedules, &statuses, &triggers, &scheduled, &priorities, &due, &nodes, &records, &me],
            )
            .await;
        if let Err(err) = written {
            if err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                return Err(ClusterError::Duplicate {
                    schedule_id: schedules.first().map(|s| s.to_string()).unwrap_or_default(),
                    scheduled_ms: scheduled.first().copied().unwrap_or(0),
                });
            }
            return Err(err.into());
        }
    }
    if !c.pruned_skips.is_empty() {
        let ids: Vec<&str> = c.pruned_skips.iter().map(|(s, _)| s.as_str()).collect();
        let upto: Vec<i64> = c.pruned_skips.iter().map(|(_, t)| *t).collect();
        tx.execute(
            &format!(
                "DELETE FROM {q}.skips k USING unnest($1::text[], $2::bigint[]) AS u(i, t)
                 WHERE k.schedule_id = u.i AND k.scheduled_ms <= u.t"
            ),
            &[&ids, &upto],
        )
        .await?;
    }
    if !c.skips.is_empty() {
        let ids: Vec<&str> = c.skips.iter().map(|s| s.schedule_id.as_str()).collect();
        let at: Vec<i64> = c.skips.iter().map(|s| s.scheduled_ms).collect();
        let reasons: Vec<&str> = c.skips.iter().map(|s| s.reason.as_str()).collect();
        let recorded: Vec<i64> = c.skips.iter().map(|s| s.recorded_ms).collect();
        tx.execute(
            &format!(
                "INSERT INTO {q}.skips (schedule_id, scheduled_ms, reason, recorded_ms, writer)
                 SELECT *, $5 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
                 ON CONFLICT (schedule_id, scheduled_ms) DO NOTHING"
            ),
            &[&ids, &at, &reasons, &recorded, &me],
        )
        .await?;
    }
    if notify {
        // Delivered at commit, to every node listening (this one included, which ignores
        // versions it already holds).
        tx.execute("SELECT pg_notify($1, '')", &[&session::channel(q)])
            .await?;
    }
    Ok(versions)
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
