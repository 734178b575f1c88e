//! One operation's transaction (`engine::operation`), held by a task on the database's
//! runtime while the engine works between its steps. Its statements go out pipelined:
//! BEGIN with the row locks, the reads of stale rows together, the writes with the COMMIT.
//! Each statement is prepared once per connection. So an operation waits for two round
//! trips (three when it reads stale rows back), however much it writes.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use deadpool_postgres::Object;
use futures_util::future::{join_all, try_join_all};
use tokio::sync::mpsc;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use super::db::{
    execution, gone, versioned, Db, Loaded, Locked, Scope, EXECUTION_COLUMNS, SCHEDULE_COLUMNS,
};
use super::{schema, ClusterError};
use crate::store::Changes;

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

impl Db {
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
            let client = match tokio::time::timeout_at(at, pool.get()).await {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return drop(first_tx.send(Err(e.into()))),
                Err(_) => return drop(first_tx.send(Err(ClusterError::Timeout(ms)))),
            };
            // The server reports a lock it could not get shortly before the client would
            // give up (and with it the error names the lock, not the server).
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(Duration::from_millis(50))
                .as_millis()
                .max(1) as u64;
            let mut open = InTransaction(Some(client));
            let locking = lock(open.client(), &q, &scope, &me, wait);
            match tokio::time::timeout_at(at, locking).await {
                Ok(Ok(locked)) => {
                    if first_tx.send(Ok(locked)).is_err() {
                        return open.rollback().await;
                    }
                }
                Ok(Err(e)) => {
                    open.rollback().await;
                    let e = match e {
                        ClusterError::LockTimeout(_) => ClusterError::LockTimeout(wait),
                        e => e,
                    };
                    return drop(first_tx.send(Err(e)));
                }
                Err(_) => return drop(first_tx.send(Err(ClusterError::Timeout(ms)))),
            }
            while let Some(command) = inbox.recv().await {
                match command {
                    TxCommand::Load {
                        schedules,
                        executions,
                        reply,
                    } => {
                        let reading = load(open.client(), &q, &schedules, &executions);
                        let read = tokio::time::timeout_at(at, reading)
                            .await
                            .unwrap_or(Err(ClusterError::Timeout(ms)));
                        let failed = read.is_err();
                        let _ = reply.send(read);
                        if failed {
                            return open.rollback().await;
                        }
                    }
                    TxCommand::Commit {
                        changes,
                        notify,
                        reply,
                    } => {
                        // Past the deadline the outcome is unknown (the server may still
                        // commit): the engine reads the rows back, as after any failed commit.
                        let writing = write(&mut open, &q, &changes, notify, &me);
                        let result = tokio::time::timeout_at(at, writing)
                            .await
                            .unwrap_or(Err(ClusterError::Timeout(ms)));
                        let _ = reply.send(result);
                        return;
                    }
                }
            }
            // Dropped without a commit.
            open.rollback().await;
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

/// A pooled connection inside a transaction opened by hand (so that BEGIN and COMMIT share
/// a round trip with other statements). Dropped before its transaction ended (a deadline, a
/// broken connection), the connection leaves the pool rather than go back to it with a
/// transaction open.
struct InTransaction(Option<Object>);

impl InTransaction {
    fn client(&self) -> &Object {
        self.0
            .as_ref()
            .expect("a transaction's connection is held until it ends")
    }

    /// The transaction is over on the server: the connection may serve another.
    fn ended(&mut self) {
        self.0.take();
    }

    async fn rollback(mut self) {
        if self.client().batch_execute("ROLLBACK").await.is_ok() {
            self.ended();
        }
    }
}

impl Drop for InTransaction {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            drop(Object::take(client));
        }
    }
}

type Step<'a> = Pin<Box<dyn Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + Send + 'a>>;

fn statement<'a>(c: &'a Object, s: &'a Statement, params: Params<'a>) -> Step<'a> {
    Box::pin(async move { c.query(s, &params).await })
}

fn simple(c: &Object, sql: String) -> Step<'_> {
    Box::pin(async move { c.batch_execute(&sql).await.map(|()| Vec::new()) })
}

type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

/// Prepares `sqls` on this connection (once: later calls find them cached).
async fn prepare(c: &Object, sqls: &[String]) -> Result<Vec<Statement>, tokio_postgres::Error> {
    try_join_all(sqls.iter().map(|s| c.prepare_cached(s))).await
}

/// Sends `steps` at once and returns their answers in order. Statements after a failed one
/// fail only because the transaction is aborted: the first error is the one that counts.
async fn pipelined(steps: Vec<Step<'_>>) -> Vec<Result<Vec<Row>, tokio_postgres::Error>> {
    join_all(steps).await
}

fn first_error(
    answers: Vec<Result<Vec<Row>, tokio_postgres::Error>>,
) -> Result<Vec<Vec<Row>>, tokio_postgres::Error> {
    answers.into_iter().collect()
}

/// What one part of a scope locks, as SQL, and how its rows read.
fn scope_sql(q: &str, part: &Scope) -> Vec<String> {
    match part {
        Scope::Schedules { skip_locked, .. } => {
            let skip = if *skip_locked { " SKIP LOCKED" } else { "" };
            vec![format!(
                "SELECT schedule_id, version FROM {q}.schedules WHERE schedule_id = ANY($1)
                 ORDER BY schedule_id FOR UPDATE{skip}"
            )]
        }
        Scope::Config { all, .. } => {
            let filter = if *all {
                "true"
            } else {
                "schedule_id = ANY($1)"
            };
            vec![
                "SELECT pg_advisory_xact_lock($1, hashtext($2))".into(),
                format!(
                    "SELECT schedule_id, version FROM {q}.schedules WHERE {filter} OR (schedule_id = ANY($1))
                     ORDER BY schedule_id FOR UPDATE"
                ),
            ]
        }
        Scope::Claim { .. } => vec![format!(
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
        )],
        Scope::Orphans => vec![format!(
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
        )],
        Scope::Together(_) => Vec::new(),
    }
}

/// BEGIN, the lease check and the row locks of every part of `scope`, in one round trip.
/// Only the first part may wait for a row (the others skip locked rows or are configuration
/// changes alone), so two nodes never wait for each other in a circle.
async fn lock(
    c: &Object,
    q: &str,
    scope: &Scope,
    me: &str,
    wait_ms: u64,
) -> Result<Locked, ClusterError> {
    let parts: Vec<&Scope> = match scope {
        Scope::Together(parts) => parts.iter().collect(),
        one => vec![one],
    };
    let mut sqls = vec![format!(
        "SELECT EXISTS (SELECT 1 FROM {q}.nodes WHERE token = $1 AND lease_until > now())"
    )];
    for part in &parts {
        sqls.extend(scope_sql(q, part));
    }
    let stmts = prepare(c, &sqls).await?;
    let config_key = format!("config:{q}");
    let claim_limits: Vec<i64> = parts
        .iter()
        .map(|p| match p {
            Scope::Claim { limit, .. } => limit * 2,
            _ => 0,
        })
        .collect();
    // An operation's statements find a few rows by key, in tables that grew in the last
    // seconds and have no statistics yet: the planner would read whole tables (a hash join
    // over every execution to update a few) and start parallel workers, whose start costs
    // more than the read. So, for the whole transaction: indexes, and no workers. A claim
    // also takes no bitmap: the claimable index is in the claim's order already, and the
    // planner would sort every queued row to lock a few.
    let claim = if parts.iter().any(|p| matches!(p, Scope::Claim { .. })) {
        "; SET LOCAL enable_bitmapscan = off"
    } else {
        ""
    };
    // A node cut off from the database between two steps of this transaction would leave
    // its session idle in it, holding these row locks until the server notices the lost
    // connection (TCP keepalive: hours), and no other node could fire or change these
    // schedules meanwhile. The server ends such a session shortly after the deadline by
    // which this node gives up on the transaction anyway.
    let idle_ms = wait_ms + 1_000;
    let mut steps = vec![
        simple(
            c,
            format!(
                "BEGIN; SET LOCAL lock_timeout = {wait_ms}; SET LOCAL enable_seqscan = off;
                 SET LOCAL idle_in_transaction_session_timeout = {idle_ms};
                 SET LOCAL max_parallel_workers_per_gather = 0{claim}"
            ),
        ),
        statement(c, &stmts[0], vec![&me]),
    ];
    // Which answer each part reads, and whether its rows carry execution ids.
    let mut reads = Vec::new();
    let mut next = 1;
    for (i, part) in parts.iter().enumerate() {
        match part {
            Scope::Schedules { ids, .. } => {
                steps.push(statement(c, &stmts[next], vec![ids]));
                reads.push((next + 1, false));
                next += 1;
            }
            Scope::Config { ids, .. } => {
                steps.push(statement(
                    c,
                    &stmts[next],
                    vec![&schema::LOCK_CLASS, &config_key],
                ));
                steps.push(statement(c, &stmts[next + 1], vec![ids]));
                reads.push((next + 2, false));
                next += 2;
            }
            Scope::Claim { only, .. } => {
                steps.push(statement(c, &stmts[next], vec![&claim_limits[i], only]));
                reads.push((next + 1, true));
                next += 1;
            }
            Scope::Orphans => {
                steps.push(statement(c, &stmts[next], vec![]));
                reads.push((next + 1, true));
                next += 1;
            }
            Scope::Together(_) => {}
        }
    }
    let answers = first_error(pipelined(steps).await)?;
    let mut locked = Locked {
        live: answers[1].first().is_some_and(|r| r.get(0)),
        ..Default::default()
    };
    let mut seen = std::collections::HashSet::new();
    for (index, with_executions) in reads {
        for r in &answers[index] {
            let (schedule, version): (String, i64) = if with_executions {
                locked.executions.push(r.get(0));
                (r.get(1), r.get(2))
            } else {
                (r.get(0), r.get(1))
            };
            if seen.insert(schedule.clone()) {
                locked.versions.push((schedule, version));
            }
        }
    }
    Ok(locked)
}

async fn load(
    c: &Object,
    q: &str,
    schedules: &[String],
    executions: &[String],
) -> Result<Loaded, ClusterError> {
    let stmts = prepare(
        c,
        &[
            format!("{SCHEDULE_COLUMNS} FROM {q}.schedules WHERE schedule_id = ANY($1)"),
            format!(
                "{EXECUTION_COLUMNS} FROM {q}.executions
                 WHERE schedule_id = ANY($1)
                   AND (status IN ('queued', 'running', 'retrying') OR id = ANY($2))
                 ORDER BY seq"
            ),
        ],
    )
    .await?;
    // A few schedules' rows, through their indexes (the transaction's BEGIN says so).
    let steps = vec![
        statement(c, &stmts[0], vec![&schedules]),
        statement(c, &stmts[1], vec![&schedules, &executions]),
    ];
    let answers = first_error(pipelined(steps).await)?;
    let rows = answers[0].iter().map(versioned).collect();
    let execs = answers[1].iter().map(execution).collect();
    Ok((rows, execs))
}

/// Writes one engine commit and commits, in one round trip. Deleted schedules go first (a
/// tombstone row, their records removed), then schedules, executions and skips, as arrays in
/// one statement each.
async fn write(
    open: &mut InTransaction,
    q: &str,
    c: &Changes,
    notify: bool,
    me: &str,
) -> Result<Vec<(String, i64)>, ClusterError> {
    let deleted = &c.deleted_schedules;
    let ids: Vec<&str> = c.schedules.iter().map(|s| s.schedule_id.as_str()).collect();
    let config_ids: Vec<&str> = c.schedules.iter().map(|s| s.config_id.as_str()).collect();
    let configs: Vec<Option<&str>> = c.schedules.iter().map(|s| s.config.as_deref()).collect();
    let states: Vec<&str> = c.schedules.iter().map(|s| s.state.as_str()).collect();
    let pruned: Vec<i64> = c.pruned_executions.iter().map(|s| *s as i64).collect();
    let e = &c.executions;
    let seqs: Vec<i64> = e.iter().map(|r| r.seq as i64).collect();
    let exec_ids: Vec<&str> = e.iter().map(|r| r.id.as_str()).collect();
    let exec_schedules: Vec<&str> = e.iter().map(|r| r.schedule_id.as_str()).collect();
    let statuses: Vec<&str> = e.iter().map(|r| r.status).collect();
    let triggers: Vec<&str> = e.iter().map(|r| r.trigger).collect();
    let scheduled: Vec<i64> = e.iter().map(|r| r.scheduled_ms).collect();
    let priorities: Vec<i32> = e.iter().map(|r| r.priority as i32).collect();
    let due: Vec<Option<i64>> = e.iter().map(|r| r.due_ms).collect();
    let nodes: Vec<Option<&str>> = e.iter().map(|r| r.node.as_deref()).collect();
    let records: Vec<&str> = e.iter().map(|r| r.record.as_str()).collect();
    let started: Vec<Option<i64>> = e.iter().map(|r| r.started_ms).collect();
    let ended: Vec<Option<i64>> = e.iter().map(|r| r.ended_ms).collect();
    let skip_prune_ids: Vec<&str> = c.pruned_skips.iter().map(|(s, _)| s.as_str()).collect();
    let skip_prune_upto: Vec<i64> = c.pruned_skips.iter().map(|(_, t)| *t).collect();
    let skip_ids: Vec<&str> = c.skips.iter().map(|s| s.schedule_id.as_str()).collect();
    let skip_at: Vec<i64> = c.skips.iter().map(|s| s.scheduled_ms).collect();
    let skip_reasons: Vec<&str> = c.skips.iter().map(|s| s.reason.as_str()).collect();
    let skip_recorded: Vec<i64> = c.skips.iter().map(|s| s.recorded_ms).collect();
    let channel = schema::channel(q);

    // The statements this commit needs, in the order they must run.
    #[derive(PartialEq)]
    enum Kind {
        DeleteExecutions,
        DeleteSkips,
        Tombstone,
        Schedules,
        PruneExecutions,
        Executions,
        PruneSkips,
        Skips,
        Notify,
    }
    let mut kinds = Vec::new();
    if !deleted.is_empty() {
        kinds.extend([Kind::DeleteExecutions, Kind::DeleteSkips, Kind::Tombstone]);
    }
    if !ids.is_empty() {
        kinds.push(Kind::Schedules);
    }
    if !pruned.is_empty() {
        kinds.push(Kind::PruneExecutions);
    }
    if !seqs.is_empty() {
        kinds.push(Kind::Executions);
    }
    if !skip_prune_ids.is_empty() {
        kinds.push(Kind::PruneSkips);
    }
    if !skip_ids.is_empty() {
        kinds.push(Kind::Skips);
    }
    if notify {
        // Delivered at commit, to every node listening (this one included, which ignores
        // versions it already holds).
        kinds.push(Kind::Notify);
    }
    let sqls: Vec<String> = kinds
        .iter()
        .map(|k| match k {
            Kind::DeleteExecutions => format!("DELETE FROM {q}.executions WHERE schedule_id = ANY($1)"),
            Kind::DeleteSkips => format!("DELETE FROM {q}.skips WHERE schedule_id = ANY($1)"),
            Kind::Tombstone => format!(
                "UPDATE {q}.schedules SET deleted = true, version = version + 1,
                     tx = pg_current_xact_id(), writer = $2
                 WHERE schedule_id = ANY($1) RETURNING schedule_id, version"
            ),
            Kind::Schedules => format!(
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
            Kind::PruneExecutions => format!("DELETE FROM {q}.executions WHERE seq = ANY($1)"),
            // Rows this operation changed are updated, and new ones inserted, in one
            // statement: their schedules are locked, so no other session writes their
            // numbers meanwhile, and an update skips ON CONFLICT's speculative insertion.
            // (Were that broken, a collision on `seq` or `id` would fail the commit as a
            // duplicate rather than overwrite another node's row.)
            Kind::Executions => format!(
                "WITH u (seq, id, schedule_id, status, trigger, scheduled_ms, priority, due_ms, node,
                         record, started_ms, ended_ms) AS (
                     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                                          $6::bigint[], $7::int[], $8::bigint[], $9::text[], $10::text[],
                                          $11::bigint[], $12::bigint[])),
                 changed AS (
                     UPDATE {q}.executions e SET
                         status = u.status, due_ms = u.due_ms, node = u.node, record = u.record,
                         started_ms = u.started_ms, ended_ms = u.ended_ms, writer = $13,
                         tx = pg_current_xact_id()
                     FROM u WHERE e.seq = u.seq
                     RETURNING e.seq)
                 INSERT INTO {q}.executions
                     (seq, id, schedule_id, status, trigger, scheduled_ms, priority, due_ms, node, record,
                      started_ms, ended_ms, writer)
                 SELECT u.*, $13 FROM u WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.seq = u.seq)"
            ),
            Kind::PruneSkips => format!(
                "DELETE FROM {q}.skips k USING unnest($1::text[], $2::bigint[]) AS u(i, t)
                 WHERE k.schedule_id = u.i AND k.scheduled_ms <= u.t"
            ),
            Kind::Skips => format!(
                "INSERT INTO {q}.skips (schedule_id, scheduled_ms, reason, recorded_ms, writer)
                 SELECT *, $5 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
                 ON CONFLICT (schedule_id, scheduled_ms) DO NOTHING"
            ),
            Kind::Notify => "SELECT pg_notify($1, '')".into(),
        })
        .collect();
    let answers = {
        let c = open.client();
        let stmts = prepare(c, &sqls).await?;
        let mut steps: Vec<Step<'_>> = kinds
            .iter()
            .zip(&stmts)
            .map(|(kind, s)| {
                let params: Params<'_> = match kind {
                    Kind::DeleteExecutions | Kind::DeleteSkips => vec![deleted],
                    Kind::Tombstone => vec![deleted, &me],
                    Kind::Schedules => vec![&ids, &config_ids, &configs, &states, &me],
                    Kind::PruneExecutions => vec![&pruned],
                    Kind::Executions => vec![
                        &seqs,
                        &exec_ids,
                        &exec_schedules,
                        &statuses,
                        &triggers,
                        &scheduled,
                        &priorities,
                        &due,
                        &nodes,
                        &records,
                        &started,
                        &ended,
                        &me,
                    ],
                    Kind::PruneSkips => vec![&skip_prune_ids, &skip_prune_upto],
                    Kind::Skips => vec![&skip_ids, &skip_at, &skip_reasons, &skip_recorded, &me],
                    Kind::Notify => vec![&channel],
                };
                statement(c, s, params)
            })
            .collect();
        // A COMMIT after a failed statement rolls back: either way the transaction ends.
        steps.push(simple(c, "COMMIT".into()));
        pipelined(steps).await
    };
    // A server's error leaves the connection usable; without a code it is the connection
    // that failed, and it does not go back to the pool.
    if answers
        .iter()
        .all(|a| a.as_ref().err().is_none_or(|e| e.code().is_some()))
    {
        open.ended();
    }
    let mut versions = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        let rows = match answer {
            Ok(rows) => rows,
            Err(err) if err.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                return Err(ClusterError::Duplicate {
                    schedule_id: exec_schedules
                        .first()
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    scheduled_ms: scheduled.first().copied().unwrap_or(0),
                });
            }
            Err(err) => return Err(err.into()),
        };
        if matches!(kinds.get(i), Some(Kind::Tombstone | Kind::Schedules)) {
            versions.extend(rows.iter().map(|r| (r.get(0), r.get(1))));
        }
    }
    Ok(versions)
}
