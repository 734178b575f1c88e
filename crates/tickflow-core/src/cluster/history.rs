//! Finished work, read from the database instead of mirrored in every node: executions
//! (one, a page, or a schedule's history with its counts and daily trends), skipped
//! occurrences, and the recent durations metrics average. Each read is one statement (or
//! two in one read-only transaction) through an index, bounded by the operation's
//! deadline, on the database's runtime. Retention by count and age runs here too, in
//! bounded batches, one node at a time.

use std::time::Instant;

use tokio_postgres::types::ToSql;

use super::db::{execution, EXECUTION_COLUMNS, FINAL};
use super::schema::LOCK_CLASS;
use super::{ClusterError, Db};
use crate::store::{ExecutionRow, SkipRow};

/// Statuses in the engine's order (`ExecutionStatus`), for sorting by status.
const STATUS_ORDER: &str =
    "array_position(ARRAY['queued','running','retrying','completed','failed','cancelled','timeout'], e.status)";
/// When an execution started and ended (`t.started`, `t.ended`): columns since migration
/// step 4. Rows written before it (or by a node of an older tickflow) have them in the
/// record alone, which is then parsed once (OFFSET 0 keeps the planner from inlining it
/// into each use). Rows with both columns, every finished run that started since, are
/// not parsed; those that have not started or ended yet are.
const TIMES: &str = "CROSS JOIN LATERAL (
    SELECT coalesce(e.started_ms, (o.j->'actualStartTime'->>'$date')::bigint) AS started,
           coalesce(e.ended_ms, (o.j->'completionTime'->>'$date')::bigint) AS ended
    FROM (SELECT CASE WHEN e.started_ms IS NULL OR e.ended_ms IS NULL THEN e.record::jsonb END AS j
          OFFSET 0) o) t";
const STARTED: &str = "t.started";
const ENDED: &str = "t.ended";
/// The record as jsonb, parsed once per row (OFFSET 0 keeps the planner from inlining it
/// into every use); joined only when a filter needs the record's other fields.
const RECORD: &str = "CROSS JOIN LATERAL (SELECT e.record::jsonb AS j OFFSET 0) r";

/// What executions are sorted by (`ExecutionFilters.sortBy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Scheduled,
    Started,
    Completed,
    Duration,
    Status,
    Priority,
}

/// Which executions, as columns and record fields; every `None` matches all.
#[derive(Clone, Debug)]
pub struct ExecutionQuery {
    pub schedule_ids: Option<Vec<String>>,
    pub workflow_id: Option<String>,
    pub statuses: Option<Vec<String>>,
    pub priorities: Option<Vec<i32>>,
    pub triggers: Option<Vec<String>>,
    /// On the start time, or the scheduled time when it has not started.
    pub after_ms: Option<i64>,
    pub before_ms: Option<i64>,
    pub order: Order,
    pub descending: bool,
    pub offset: i64,
    pub limit: Option<i64>,
}

/// A schedule history's counts over every match.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryCounts {
    pub total: i64,
    pub success: i64,
    pub failure: i64,
    /// Sum and number of the durations of finished matches.
    pub duration_sum: f64,
    pub duration_count: i64,
    /// (day since the epoch, matches, completed, duration sum, durations), newest last,
    /// the last 30 days that had any.
    pub days: Vec<(i64, i64, i64, f64, i64)>,
}

/// Rows one retention pass may delete, of each kind.
pub const RETENTION_BATCH: i64 = 1_000;
/// Schedules one retention pass checks against the count limit.
pub const RETENTION_SCHEDULES: i64 = 16;

/// The limits history is kept to (`historyRetention`).
#[derive(Clone, Debug)]
pub struct RetentionLimits {
    pub max_per_schedule: i64,
    pub max_age_ms: Option<i64>,
}

/// What one retention pass did; `cursor` is where the next pass's count check starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expired {
    pub executions: u64,
    pub skips: u64,
    pub cursor: String,
    /// Another node held the retention lock: it did this turn.
    pub skipped: bool,
}

type Params = Vec<Box<dyn ToSql + Sync + Send>>;

impl ExecutionQuery {
    fn needs_record(&self) -> bool {
        self.workflow_id.is_some()
    }

    fn needs_times(&self) -> bool {
        self.after_ms.is_some()
            || self.before_ms.is_some()
            || matches!(
                self.order,
                Order::Started | Order::Completed | Order::Duration
            )
    }

    /// `FROM … WHERE …` with its parameters; `times`: with the start and end times joined
    /// even if no filter or order needs them.
    fn sql_from_where(&self, q: &str, times: bool) -> (String, Params) {
        let mut params: Params = Vec::new();
        let mut terms = Vec::new();
        let arg = |params: &mut Params, value: Box<dyn ToSql + Sync + Send>| {
            params.push(value);
            format!("${}", params.len())
        };
        if let Some(ids) = &self.schedule_ids {
            terms.push(format!(
                "e.schedule_id = ANY({})",
                arg(&mut params, Box::new(ids.clone()))
            ));
        }
        if let Some(statuses) = &self.statuses {
            terms.push(format!(
                "e.status = ANY({})",
                arg(&mut params, Box::new(statuses.clone()))
            ));
        }
        if let Some(p) = &self.priorities {
            terms.push(format!(
                "e.priority = ANY({})",
                arg(&mut params, Box::new(p.clone()))
            ));
        }
        if let Some(t) = &self.triggers {
            terms.push(format!(
                "e.trigger = ANY({})",
                arg(&mut params, Box::new(t.clone()))
            ));
        }
        if let Some(w) = &self.workflow_id {
            terms.push(format!(
                "r.j->>'workflowId' = {}",
                arg(&mut params, Box::new(w.clone()))
            ));
        }
        let when = format!("coalesce({STARTED}, e.scheduled_ms)");
        if let Some(a) = self.after_ms {
            terms.push(format!("{when} >= {}", arg(&mut params, Box::new(a))));
        }
        if let Some(b) = self.before_ms {
            terms.push(format!("{when} <= {}", arg(&mut params, Box::new(b))));
        }
        let mut join = String::new();
        if self.needs_record() {
            join.push_str(RECORD);
        }
        if times || self.needs_times() {
            join.push(' ');
            join.push_str(TIMES);
        }
        let filter = if terms.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", terms.join(" AND "))
        };
        (format!("FROM {q}.executions e {join} {filter}"), params)
    }

    /// `ORDER BY`: the engine's (key, seq), a missing key lowest; descending reverses both.
    fn order_by(&self) -> String {
        let key = match self.order {
            Order::Scheduled => "e.scheduled_ms".to_string(),
            Order::Started => STARTED.to_string(),
            Order::Completed => ENDED.to_string(),
            Order::Duration => format!("({ENDED} - {STARTED})"),
            Order::Status => STATUS_ORDER.to_string(),
            Order::Priority => "e.priority".to_string(),
        };
        let (dir, nulls) = if self.descending {
            ("DESC", "LAST")
        } else {
            ("ASC", "FIRST")
        };
        format!("ORDER BY {key} {dir} NULLS {nulls}, e.seq {dir}")
    }
}

fn refs(params: &Params) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

impl Db {
    /// One execution by id.
    pub fn read_execution(
        &self,
        deadline: Instant,
        id: String,
    ) -> Result<Option<ExecutionRow>, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let client = pool.get().await?;
            let row = client
                .query_opt(
                    &format!("{EXECUTION_COLUMNS} FROM {q}.executions WHERE id = $1"),
                    &[&id],
                )
                .await?;
            Ok(row.as_ref().map(execution))
        })
    }

    /// The newest `per` executions of each of these schedules (a dashboard page's recent
    /// runs), newest first per schedule: one index range each.
    pub fn read_recent(
        &self,
        deadline: Instant,
        schedule_ids: Vec<String>,
        per: i64,
    ) -> Result<Vec<ExecutionRow>, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let client = pool.get().await?;
            let columns = EXECUTION_COLUMNS
                .replace("SELECT ", "SELECT r.")
                .replace(", ", ", r.");
            let rows = client
                .query(
                    &format!(
                        "{columns} FROM unnest($1::text[]) AS s(id)
                         CROSS JOIN LATERAL (SELECT * FROM {q}.executions
                             WHERE schedule_id = s.id ORDER BY seq DESC LIMIT $2) r"
                    ),
                    &[&schedule_ids, &per],
                )
                .await?;
            Ok(rows.iter().map(execution).collect())
        })
    }

    /// A page of the executions `query` matches, in its order.
    pub fn read_executions(
        &self,
        deadline: Instant,
        query: ExecutionQuery,
    ) -> Result<Vec<ExecutionRow>, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let client = pool.get().await?;
            let (from, mut params) = query.sql_from_where(&q, false);
            let columns = EXECUTION_COLUMNS
                .replace("SELECT ", "SELECT e.")
                .replace(", ", ", e.");
            let mut sql = format!("{columns} {from} {}", query.order_by());
            if let Some(limit) = query.limit {
                params.push(Box::new(limit));
                sql.push_str(&format!(" LIMIT ${}", params.len()));
            }
            if query.offset > 0 {
                params.push(Box::new(query.offset));
                sql.push_str(&format!(" OFFSET ${}", params.len()));
            }
            let rows = client.query(&sql, &refs(&params)).await?;
            Ok(rows.iter().map(execution).collect())
        })
    }

    /// Counts and daily trends over every execution `query` matches (its order and page
    /// are not used): one scan, grouped by day and in all.
    pub fn read_history_counts(
        &self,
        deadline: Instant,
        query: ExecutionQuery,
    ) -> Result<HistoryCounts, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let client = pool.get().await?;
            let (from, params) = query.sql_from_where(&q, true);
            let sql = format!(
                "WITH x AS (
                     SELECT e.status, floor(e.scheduled_ms::numeric / 86400000)::bigint AS day,
                            CASE WHEN e.status IN {FINAL} THEN {ENDED} - {STARTED} END AS d
                     {from})
                 SELECT day, count(*), count(*) FILTER (WHERE status = 'completed'),
                        count(*) FILTER (WHERE status IN ('failed', 'timeout')),
                        coalesce(sum(d), 0)::float8, count(d)
                 FROM x GROUP BY GROUPING SETS ((day), ()) ORDER BY day NULLS FIRST"
            );
            let rows = client.query(&sql, &refs(&params)).await?;
            let mut counts = HistoryCounts::default();
            for r in rows {
                let day: Option<i64> = r.get(0);
                let (n, ok, bad, sum, durations): (i64, i64, i64, f64, i64) =
                    (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
                match day {
                    None => {
                        counts.total = n;
                        counts.success = ok;
                        counts.failure = bad;
                        counts.duration_sum = sum;
                        counts.duration_count = durations;
                    }
                    Some(day) => counts.days.push((day, n, ok, sum, durations)),
                }
            }
            let keep = counts.days.len().saturating_sub(30);
            counts.days.drain(..keep);
            Ok(counts)
        })
    }

    /// A schedule's newest finished execution.
    pub fn read_last_finished(
        &self,
        deadline: Instant,
        schedule_id: String,
    ) -> Result<Option<ExecutionRow>, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let client = pool.get().await?;
            let row = client
                .query_opt(
                    &format!(
                        "{EXECUTION_COLUMNS} FROM {q}.executions
                         WHERE schedule_id = $1 AND status IN {FINAL} ORDER BY seq DESC LIMIT 1"
                    ),
                    &[&schedule_id],
                )
                .await?;
            Ok(row.as_ref().map(execution))
        })
    }

    /// The durations (ms) of a schedule's newest `count` finished executions that ran.
    pub fn read_durations(
        &self,
        deadline: Instant,
        schedule_id: String,
        count: i64,
    ) -> Result<Vec<u64>, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let client = pool.get().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {ENDED} - {STARTED} FROM (
                             SELECT e.record, e.started_ms, e.ended_ms FROM {q}.executions e
                             WHERE e.schedule_id = $1 AND e.status IN {FINAL}
                             ORDER BY e.seq DESC LIMIT $2) e {TIMES}"
                    ),
                    &[&schedule_id, &count],
                )
                .await?;
            Ok(rows
                .iter()
                .filter_map(|r| r.get::<_, Option<i64>>(0))
                .map(|d| d.max(0) as u64)
                .collect())
        })
    }

    /// A schedule's skipped occurrences, oldest first.
    pub fn read_skips(
        &self,
        deadline: Instant,
        schedule_id: String,
    ) -> Result<Vec<SkipRow>, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let client = pool.get().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT schedule_id, scheduled_ms, reason, recorded_ms FROM {q}.skips
                         WHERE schedule_id = $1 ORDER BY scheduled_ms"
                    ),
                    &[&schedule_id],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| SkipRow {
                    schedule_id: r.get(0),
                    scheduled_ms: r.get(1),
                    reason: r.get(2),
                    recorded_ms: r.get(3),
                })
                .collect())
        })
    }

    /// One retention pass: finished executions and skips older than the age limit, then
    /// those beyond the count limit of the next few schedules after `cursor`; at most
    /// `RETENTION_BATCH` rows of each kind. One node at a time (a transaction advisory lock
    /// tried, not waited for): the others leave the turn to it.
    pub fn expire(
        &self,
        deadline: Instant,
        limits: RetentionLimits,
        cursor: String,
    ) -> Result<Expired, ClusterError> {
        let pool = self.pool.clone();
        let q = self.q.clone();
        self.run_until(deadline, async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let mine: bool = tx
                .query_one(
                    "SELECT pg_try_advisory_xact_lock($1, hashtext($2))",
                    &[&LOCK_CLASS, &format!("retention:{q}")],
                )
                .await?
                .get(0);
            if !mine {
                return Ok(Expired {
                    cursor,
                    skipped: true,
                    ..Default::default()
                });
            }
            let mut done = Expired::default();
            if let Some(age) = limits.max_age_ms {
                let cutoff = "(extract(epoch from now()) * 1000)::bigint - $1";
                // Ended before the cutoff means scheduled before it too: the index on
                // scheduled_ms narrows the rows whose record is read.
                done.executions += tx
                    .execute(
                        &format!(
                            "DELETE FROM {q}.executions WHERE seq IN (
                                 SELECT e.seq FROM {q}.executions e {TIMES}
                                 WHERE e.scheduled_ms < {cutoff} AND e.status IN {FINAL}
                                   AND {ENDED} < {cutoff}
                                 ORDER BY e.scheduled_ms LIMIT $2)"
                        ),
                        &[&age, &RETENTION_BATCH],
                    )
                    .await?;
                done.skips += tx
                    .execute(
                        &format!(
                            "DELETE FROM {q}.skips WHERE ctid IN (
                                 SELECT ctid FROM {q}.skips WHERE recorded_ms < {cutoff}
                                 ORDER BY recorded_ms LIMIT $2)"
                        ),
                        &[&age, &RETENTION_BATCH],
                    )
                    .await?;
            }
            let ids: Vec<String> = tx
                .query(
                    &format!(
                        "SELECT schedule_id FROM {q}.schedules WHERE schedule_id > $1 AND NOT deleted
                         ORDER BY schedule_id LIMIT $2"
                    ),
                    &[&cursor, &RETENTION_SCHEDULES],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            // Past the last schedule, the next pass starts over.
            done.cursor = match ids.len() as i64 {
                n if n < RETENTION_SCHEDULES => String::new(),
                _ => ids.last().cloned().unwrap_or_default(),
            };
            for id in ids {
                let budget = RETENTION_BATCH - done.executions as i64;
                if budget > 0 {
                    // The newest `max` stay (finished or not); older finished ones go.
                    done.executions += tx
                        .execute(
                            &format!(
                                "DELETE FROM {q}.executions WHERE seq IN (
                                     SELECT seq FROM {q}.executions WHERE schedule_id = $1
                                     ORDER BY seq DESC OFFSET $2 LIMIT $3)
                                   AND status IN {FINAL}"
                            ),
                            &[&id, &limits.max_per_schedule, &budget],
                        )
                        .await?;
                }
                let budget = RETENTION_BATCH - done.skips as i64;
                if budget > 0 {
                    done.skips += tx
                        .execute(
                            &format!(
                                "DELETE FROM {q}.skips WHERE schedule_id = $1 AND scheduled_ms IN (
                                     SELECT scheduled_ms FROM {q}.skips WHERE schedule_id = $1
                                     ORDER BY scheduled_ms DESC OFFSET $2 LIMIT $3)"
                            ),
                            &[&id, &limits.max_per_schedule, &budget],
                        )
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(done)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> ExecutionQuery {
        ExecutionQuery {
            schedule_ids: None,
            workflow_id: None,
            statuses: None,
            priorities: None,
            triggers: None,
            after_ms: None,
            before_ms: None,
            order: Order::Scheduled,
            descending: true,
            offset: 0,
            limit: None,
        }
    }

    #[test]
    fn the_record_is_read_only_for_a_workflow_filter() {
        let q = query();
        assert!(!q.needs_record());
        let (from, params) = q.sql_from_where("\"t\"", false);
        assert_eq!(from.trim(), "FROM \"t\".executions e");
        assert!(params.is_empty());
        assert!(ExecutionQuery {
            workflow_id: Some("w".into()),
            ..query()
        }
        .needs_record());
        // Times come from their columns; the record only where a row has none (written
        // before migration step 4).
        for times in [
            ExecutionQuery {
                after_ms: Some(1),
                ..query()
            },
            ExecutionQuery {
                order: Order::Duration,
                ..query()
            },
        ] {
            assert!(!times.needs_record(), "{times:?}");
            let (from, _) = times.sql_from_where("\"t\"", false);
            assert!(from.contains("coalesce(e.started_ms, "), "{from}");
            assert!(!from.contains(RECORD), "{from}");
        }
    }

    #[test]
    fn filters_become_numbered_parameters_and_order_keeps_the_engines_ties() {
        let q = ExecutionQuery {
            schedule_ids: Some(vec!["a".into()]),
            statuses: Some(vec!["failed".into()]),
            before_ms: Some(5),
            descending: false,
            order: Order::Started,
            ..query()
        };
        let (from, params) = q.sql_from_where("\"t\"", true);
        assert_eq!(params.len(), 3);
        assert!(from.contains("e.schedule_id = ANY($1)"), "{from}");
        assert!(from.contains("e.status = ANY($2)"), "{from}");
        assert!(from.contains("<= $3"), "{from}");
        assert!(from.contains(TIMES), "{from}");
        // Missing start times sort lowest, as in memory; the sequence breaks ties.
        assert!(q.order_by().ends_with("ASC NULLS FIRST, e.seq ASC"));
        let q = ExecutionQuery {
            descending: true,
            ..q
        };
        assert!(q.order_by().ends_with("DESC NULLS LAST, e.seq DESC"));
    }
}
