//! On PostgreSQL a node holds its schedules and the executions not final; finished
//! executions and skips live in the database alone. This file is the engine's side of
//! that: reads answered from the database (off the JavaScript thread, without the
//! engine's lock while the database works), finished records shed from memory once
//! committed, and retention applied in the database by one node at a time.

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use serde_json::{json, Value};

use super::core::Engine;
use super::execution::Execution;
use super::query::Filters;
use super::shared::Shared;
use super::EngineError;
use crate::cluster::{ClusterError, Db, ExecutionQuery, Order, RetentionLimits};
use crate::store::ExecutionRow;

/// Retention looks at the database this often while it finds nothing to delete (each
/// pass that deletes a full batch is followed by another at the next reaper turn).
const RETENTION_EVERY: StdDuration = StdDuration::from_secs(30);

const TRIGGERS: [&str; 5] = ["scheduled", "manual", "retry", "catchup", "backfill"];

impl Engine {
    /// `filters` as a database query; the environment (a schedule's setting, not a
    /// column) becomes the schedules that have it.
    fn execution_query(&self, f: &Filters) -> ExecutionQuery {
        let mut schedule_ids = f.schedule_id.clone().map(|id| vec![id]);
        if let Some(env) = &f.environment {
            let with: Vec<String> = self
                .schedules()
                .filter(|s| s.spec.extras().environment.as_deref() == Some(env.as_str()))
                .map(|s| s.spec.fragments.schedule_id.to_string())
                .filter(|id| schedule_ids.as_ref().is_none_or(|ids| ids.contains(id)))
                .collect();
            schedule_ids = Some(with);
        }
        // triggeredBy names a trigger's source; both lists must hold.
        let triggers = match (&f.triggered_by, &f.trigger_type) {
            (None, None) => None,
            (by, kind) => Some(
                TRIGGERS
                    .iter()
                    .filter_map(|t| super::execution::TriggerType::parse(t))
                    .filter(|t| {
                        by.as_ref()
                            .is_none_or(|b| b.iter().any(|x| x == t.source()))
                    })
                    .filter(|t| {
                        kind.as_ref()
                            .is_none_or(|k| k.iter().any(|x| x == t.as_str()))
                    })
                    .map(|t| t.as_str().to_string())
                    .collect(),
            ),
        };
        ExecutionQuery {
            schedule_ids,
            workflow_id: f.workflow_id.clone(),
            statuses: f
                .status
                .as_ref()
                .map(|s| s.iter().map(|x| x.as_str().to_string()).collect()),
            priorities: f
                .priority
                .as_ref()
                .map(|p| p.iter().map(|x| *x as i32).collect()),
            triggers,
            after_ms: f.after.map(|d| d.timestamp_millis()),
            before_ms: f.before.map(|d| d.timestamp_millis()),
            order: match f.sort_by {
                "actualStartTime" => Order::Started,
                "completionTime" => Order::Completed,
                "duration" => Order::Duration,
                "status" => Order::Status,
                "priority" => Order::Priority,
                _ => Order::Scheduled,
            },
            descending: f.descending,
            offset: f.offset.min(i64::MAX as usize) as i64,
            limit: (f.limit != usize::MAX).then_some(f.limit as i64),
        }
    }

    /// A row read from the database, as JavaScript sees an execution.
    fn row_json(&self, row: &ExecutionRow) -> Option<Value> {
        Some(self.execution_json(&Execution::from_row(row)?))
    }

    /// In a cluster, in place of pruning: the schedule's finished executions and skips
    /// leave memory (the database keeps them, and retention applies there). Kept: those
    /// this node has yet to commit (in the journal) and those whose attempt this process
    /// still runs (their executor is told to stop first, `check_local_attempts`).
    pub(crate) fn shed_history(&mut self, index: u32) {
        let Some(s) = self.schedule_at(index) else {
            return;
        };
        let pending = self.persistence.as_ref().map(|p| &p.journal.executions);
        let finished: Vec<u64> = s
            .rt()
            .history
            .iter()
            .copied()
            .filter(|k| {
                self.executions.get(k).is_some_and(|e| e.status.is_final())
                    && !pending.is_some_and(|p| p.contains(k))
                    && !self.run_queue.runs_here(*k)
                    // Its late answer arrived: kept until it is recorded.
                    && !self.awaits_late_record(*k)
            })
            .collect();
        let gone: HashSet<u64> = finished.iter().copied().collect();
        for key in &finished {
            self.executions.remove(key);
        }
        if let Some(rt) = self.schedule_mut(index).and_then(|s| s.runtime.as_mut()) {
            rt.history.retain(|k| !gone.contains(k));
            rt.skips.clear();
        }
    }

    /// An execution read from the database, held until the next shed (a command on a
    /// finished execution: retry, cancel).
    fn hold_execution(&mut self, row: ExecutionRow) {
        if self.executions.holds_id(&row.id) {
            return;
        }
        let Some(e) = Execution::from_row(&row) else {
            return;
        };
        let Some(index) = self.registry.slot_of(&e.schedule_id) else {
            return;
        };
        let key = row.seq;
        self.executions.insert(key, e);
        let history = &mut self.schedule_mut(index).expect("indexed").rt_mut().history;
        let at = history.partition_point(|k| *k < key);
        history.insert(at, key);
    }

    fn retention_limits(&self) -> RetentionLimits {
        RetentionLimits {
            max_per_schedule: self.options.history_max_per_schedule.min(i64::MAX as usize) as i64,
            max_age_ms: self.options.history_max_age_ms.map(|ms| ms as i64),
        }
    }
}

fn db_error(e: ClusterError) -> EngineError {
    EngineError::Cluster(e)
}

impl Shared {
    fn db(&self) -> Result<std::sync::Arc<Db>, EngineError> {
        self.history_db()
            .ok_or_else(|| EngineError::Internal("not on a cluster's store".into()))
    }

    /// `getExecution` on a cluster: the database's row.
    pub fn read_execution(&self, id: &str) -> Result<Option<Value>, EngineError> {
        let db = self.db()?;
        let row = db
            .read_execution(db.deadline(), id.to_string())
            .map_err(db_error)?;
        Ok(row.and_then(|r| self.lock().row_json(&r)))
    }

    /// A dashboard page's recent runs on a cluster (this node keeps no finished ones): the
    /// newest of each schedule, oldest first, in the page row's shape.
    pub fn read_recent_runs(
        &self,
        schedule_ids: Vec<String>,
    ) -> Result<std::collections::HashMap<String, Vec<Value>>, EngineError> {
        let db = self.db()?;
        let rows = db
            .read_recent(
                db.deadline(),
                schedule_ids,
                super::browse::RECENT_RUNS as i64,
            )
            .map_err(db_error)?;
        let mut runs: std::collections::HashMap<String, Vec<Value>> = Default::default();
        for row in rows.iter().rev() {
            if let Some(e) = Execution::from_row(row) {
                let run = super::browse::recent_run(&e);
                runs.entry(row.schedule_id.clone()).or_default().push(run);
            }
        }
        Ok(runs)
    }

    /// `listExecutions` on a cluster: the page the filters ask for, read through an index.
    pub fn read_list(&self, filters: &Filters) -> Result<Vec<Value>, EngineError> {
        let db = self.db()?;
        let query = self.lock().execution_query(filters);
        let rows = db.read_executions(db.deadline(), query).map_err(db_error)?;
        let e = self.lock();
        Ok(rows.iter().filter_map(|r| e.row_json(r)).collect())
    }

    /// `getExecutionHistory` on a cluster: the page, and counts and trends over every match
    /// computed by the database.
    pub fn read_history(
        &self,
        schedule_id: &str,
        mut filters: Filters,
    ) -> Result<Value, EngineError> {
        let db = self.db()?;
        let deadline = db.deadline();
        let query = {
            let e = self.lock();
            e.schedule_index(schedule_id)?;
            filters.schedule_id = Some(schedule_id.to_string());
            e.execution_query(&filters)
        };
        let counts = db
            .read_history_counts(deadline, query.clone())
            .map_err(db_error)?;
        let rows = db.read_executions(deadline, query).map_err(db_error)?;
        let e = self.lock();
        let page: Vec<Value> = rows.iter().filter_map(|r| e.row_json(r)).collect();
        let average = |sum: f64, n: i64| if n == 0 { 0.0 } else { sum / n as f64 };
        let days = &counts.days;
        Ok(json!({
            "executions": page,
            "totalCount": counts.total,
            "successCount": counts.success,
            "failureCount": counts.failure,
            "averageDuration": average(counts.duration_sum, counts.duration_count),
            "trends": {
                "successRate": days.iter().map(|d| d.2 as f64 / d.1.max(1) as f64).collect::<Vec<_>>(),
                "averageDuration": days.iter().map(|d| average(d.3, d.4)).collect::<Vec<_>>(),
                "executionCount": days.iter().map(|d| d.1).collect::<Vec<_>>(),
                "timestamps": days.iter().map(|d| json!({ "$date": d.0 * 86_400_000 })).collect::<Vec<_>>(),
            }
        }))
    }

    /// A schedule's report on a cluster: skipped occurrences from the database; status,
    /// health, metrics and workflow status from the counters in its row, with the recent
    /// durations (and the last finished execution) read from the database.
    pub fn read_report(&self, what: &str, schedule_id: &str) -> Result<Value, EngineError> {
        let db = self.db()?;
        let deadline = db.deadline();
        self.lock().schedule_index(schedule_id)?;
        if what == "skipped" {
            let rows = db
                .read_skips(deadline, schedule_id.to_string())
                .map_err(db_error)?;
            return Ok(Value::Array(
                rows.iter()
                    .map(|r| {
                        let date = |ms: i64| json!({ "$date": ms });
                        json!({
                            "scheduleId": schedule_id,
                            "scheduledTime": date(r.scheduled_ms),
                            "reason": super::persist::skip_reason(&r.reason),
                            "recordedAt": date(r.recorded_ms),
                        })
                    })
                    .collect(),
            ));
        }
        let samples = db
            .read_durations(
                deadline,
                schedule_id.to_string(),
                super::run::DURATION_SAMPLES as i64,
            )
            .map_err(db_error)?;
        let last = if what == "workflowStatus" {
            db.read_last_finished(deadline, schedule_id.to_string())
                .map_err(db_error)?
        } else {
            None
        };
        let mut e = self.lock();
        let index = e.schedule_index(schedule_id)?;
        // The report reads the samples where the engine keeps them; put back at once,
        // under the same lock.
        let swap = |e: &mut Engine, samples: &mut std::collections::VecDeque<u64>| {
            if let Some(s) = e.schedule_mut(index) {
                std::mem::swap(&mut s.rt_mut().stats.durations, samples);
            }
        };
        let mut samples: std::collections::VecDeque<u64> = samples.into_iter().collect();
        swap(&mut e, &mut samples);
        let report = match what {
            "status" => e.schedule_status(schedule_id),
            "health" => e.schedule_health(schedule_id),
            "metrics" => e.schedule_metrics(schedule_id),
            _ => e.schedule_workflow_status(schedule_id),
        };
        swap(&mut e, &mut samples);
        let mut report = report?;
        if what == "workflowStatus" {
            match last.and_then(|r| e.row_json(&r)) {
                Some(v) => report["lastExecution"] = v,
                None => {
                    if let Some(fields) = report.as_object_mut() {
                        fields.remove("lastExecution");
                    }
                }
            }
        }
        Ok(report)
    }

    /// Before a command on an execution (retry, cancel): one this node does not hold
    /// (finished, so only in the database) is read and held, for the command to find.
    pub fn hold_from_db(&self, execution_id: &str) -> Result<(), EngineError> {
        let Some(db) = self.cluster_db() else {
            return Ok(());
        };
        if self.lock().executions.holds_id(execution_id) {
            return Ok(());
        }
        if let Some(row) = db
            .read_execution(db.deadline(), execution_id.to_string())
            .map_err(db_error)?
        {
            self.lock().hold_execution(row);
        }
        Ok(())
    }
}

/// On the reaper's turn: one retention pass in the database when one is due (another
/// follows at once while passes find full batches). Failures wait for the next turn.
pub(super) fn expire_history(shared: &Shared, db: &Db) {
    let (limits, cursor) = {
        let mut e = shared.lock();
        let limits = e.retention_limits();
        let Some(cursor) = e
            .coordinator()
            .and_then(|c| c.retention_due(RETENTION_EVERY))
        else {
            return;
        };
        (limits, cursor)
    };
    let Ok(done) = db.expire(db.deadline(), limits, cursor) else {
        return;
    };
    let full = done.executions as i64 >= crate::cluster::RETENTION_BATCH
        || done.skips as i64 >= crate::cluster::RETENTION_BATCH;
    if let Some(coordinator) = shared.lock().coordinator() {
        // More to delete, or schedules left to check: the next reaper turn goes on.
        coordinator.retention_done(done.cursor, full);
    }
}
