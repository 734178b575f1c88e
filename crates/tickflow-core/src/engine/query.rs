//! Read-only views: execution lists and history, per-schedule status, health and metrics,
//! and system-wide metrics, in the production-ccs shapes (dates as `{ "$date": ms }`).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::core::Engine;
use super::execution::{Execution, ExecutionStatus};
use super::schedule::{Schedule, Stats};
use super::value::{date_json, FieldResult, Fields};
use super::EngineError;

const FILTER_KEYS: &[&str] = &[
    "scheduleId",
    "workflowId",
    "status",
    "priority",
    "triggeredBy",
    "triggerType",
    "executedAfter",
    "executedBefore",
    "userId",
    "environment",
    "limit",
    "offset",
    "sortBy",
    "sortOrder",
];
const SORT_FIELDS: &[&str] = &[
    "scheduledTime",
    "actualStartTime",
    "completionTime",
    "duration",
    "status",
    "priority",
];

/// `ExecutionFilters`, checked.
#[derive(Default, Debug)]
pub struct Filters {
    pub(super) schedule_id: Option<String>,
    pub(super) workflow_id: Option<String>,
    pub(super) status: Option<Vec<ExecutionStatus>>,
    pub(super) priority: Option<Vec<u64>>,
    pub(super) triggered_by: Option<Vec<String>>,
    pub(super) trigger_type: Option<Vec<String>>,
    pub(super) after: Option<DateTime<Utc>>,
    pub(super) before: Option<DateTime<Utc>>,
    pub(super) environment: Option<String>,
    pub(super) limit: usize,
    pub(super) offset: usize,
    pub(super) sort_by: &'static str,
    pub(super) descending: bool,
}

pub fn parse_filters(value: &Value, path: &str) -> FieldResult<Filters> {
    if value.is_null() {
        return Ok(Filters {
            limit: usize::MAX,
            sort_by: "scheduledTime",
            descending: true,
            ..Default::default()
        });
    }
    let f = Fields::new(value, path, FILTER_KEYS)?;
    let status = match f.strings("status")? {
        None => None,
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, s)| {
                    ExecutionStatus::parse(s).ok_or_else(|| {
                        super::value::range_error(
                            &format!("{}[{i}]", f.path("status")),
                            "ERR_INVALID_OPTION_VALUE",
                            format!("unknown execution status '{s}'"),
                            &json!(s),
                        )
                    })
                })
                .collect::<FieldResult<Vec<_>>>()?,
        ),
    };
    let priority = match f.get("priority") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| match v.as_u64() {
                    Some(n) if (1..=5).contains(&n) => Ok(n),
                    _ => Err(super::value::range_error(
                        &format!("{}[{i}]", f.path("priority")),
                        "ERR_OUT_OF_RANGE",
                        "expected a priority from 1 to 5".into(),
                        v,
                    )),
                })
                .collect::<FieldResult<Vec<_>>>()?,
        ),
        Some(other) => {
            return Err(super::value::type_error(
                &f.path("priority"),
                "an array of numbers",
                other,
            ))
        }
    };
    Ok(Filters {
        schedule_id: f.string("scheduleId")?,
        workflow_id: f.string("workflowId")?,
        status,
        priority,
        triggered_by: f.strings("triggeredBy")?,
        trigger_type: f.strings("triggerType")?,
        after: f.date("executedAfter")?,
        before: f.date("executedBefore")?,
        environment: f.string("environment")?,
        limit: f
            .integer("limit", 0, 1_000_000)?
            .map_or(usize::MAX, |n| n as usize),
        offset: f.integer("offset", 0, u32::MAX as u64)?.unwrap_or(0) as usize,
        sort_by: f.choice("sortBy", SORT_FIELDS)?.unwrap_or("scheduledTime"),
        descending: f.choice("sortOrder", &["asc", "desc"])? != Some("asc"),
    })
}

impl Filters {
    fn matches(&self, e: &Execution, environment: Option<&str>) -> bool {
        let when = e.started.unwrap_or(e.scheduled_time);
        self.schedule_id
            .as_ref()
            .is_none_or(|id| **id == *e.schedule_id)
            && self
                .workflow_id
                .as_ref()
                .is_none_or(|id| **id == *e.workflow_id)
            && self.status.as_ref().is_none_or(|s| s.contains(&e.status))
            && self
                .priority
                .as_ref()
                .is_none_or(|p| p.contains(&(e.priority as u64)))
            && self
                .triggered_by
                .as_ref()
                .is_none_or(|t| t.iter().any(|x| x == e.trigger.source()))
            && self
                .trigger_type
                .as_ref()
                .is_none_or(|t| t.iter().any(|x| x == e.trigger.as_str()))
            && self.after.is_none_or(|a| when >= a)
            && self.before.is_none_or(|b| when <= b)
            && self
                .environment
                .as_deref()
                .is_none_or(|env| Some(env) == environment)
    }
}

fn sort_key(e: &Execution, by: &str) -> (i64, u64) {
    let ms = |d: Option<DateTime<Utc>>| d.map_or(i64::MIN, |d| d.timestamp_millis());
    let primary = match by {
        "actualStartTime" => ms(e.started),
        "completionTime" => ms(e.ended),
        "duration" => e.duration_ms().unwrap_or(i64::MIN),
        "status" => e.status as i64,
        "priority" => e.priority as i64,
        _ => e.scheduled_time.timestamp_millis(),
    };
    (primary, e.seq)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn average(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

fn success_rate(stats: &Stats) -> f64 {
    let done = stats.completed + stats.failed;
    if done == 0 {
        1.0
    } else {
        stats.completed as f64 / done as f64
    }
}

impl Engine {
    /// An execution as JavaScript sees it, with its schedule's environment and metadata.
    pub(super) fn execution_json(&self, e: &Execution) -> Value {
        let spec = self.schedule(&e.schedule_id).map(|s| &s.spec);
        let environment = spec
            .and_then(|s| s.extras().environment.as_deref())
            .unwrap_or(&self.options.environment);
        let metadata = spec.map_or_else(
            || json!({}),
            |s| serde_json::from_str(&s.fragments.metadata).unwrap_or_else(|_| json!({})),
        );
        e.to_json(environment, &metadata)
    }

    pub fn execution(&self, execution_id: &str) -> Option<Value> {
        let key = self.executions.key_of(execution_id)?;
        self.executions.get(&key).map(|e| self.execution_json(e))
    }

    fn filtered(&self, filters: &Filters) -> Vec<&Execution> {
        let mut list: Vec<&Execution> = self
            .executions
            .values()
            .filter(|e| {
                let env = self
                    .schedule(&e.schedule_id)
                    .and_then(|s| s.spec.extras().environment.as_deref());
                filters.matches(e, env)
            })
            .collect();
        list.sort_by_key(|e| sort_key(e, filters.sort_by));
        if filters.descending {
            list.reverse();
        }
        list
    }

    pub fn list_executions(&self, filters: &Filters) -> Vec<Value> {
        self.filtered(filters)
            .into_iter()
            .skip(filters.offset)
            .take(filters.limit)
            .map(|e| self.execution_json(e))
            .collect()
    }

    /// `ExecutionHistory`: the page asked for, counts over every match, and daily trends.
    pub fn history(&self, schedule_id: &str, filters: &mut Filters) -> Result<Value, EngineError> {
        self.schedule_index(schedule_id)?;
        filters.schedule_id = Some(schedule_id.to_string());
        let all = self.filtered(filters);
        let success = all
            .iter()
            .filter(|e| e.status == ExecutionStatus::Completed)
            .count();
        let failure = all
            .iter()
            .filter(|e| matches!(e.status, ExecutionStatus::Failed | ExecutionStatus::Timeout))
            .count();
        let durations = all
            .iter()
            .filter(|e| e.status.is_final())
            .filter_map(|e| e.duration_ms())
            .map(|d| d as f64);
        let mut days: std::collections::BTreeMap<i64, (u64, u64, f64, u64)> = Default::default();
        for e in &all {
            let day = e.scheduled_time.timestamp().div_euclid(86_400);
            let entry = days.entry(day).or_default();
            entry.0 += 1;
            if e.status == ExecutionStatus::Completed {
                entry.1 += 1;
            }
            if let Some(d) = e.duration_ms().filter(|_| e.status.is_final()) {
                entry.2 += d as f64;
                entry.3 += 1;
            }
        }
        let trend_days: Vec<_> = days.into_iter().rev().take(30).rev().collect();
        Ok(json!({
            "executions": all.iter().skip(filters.offset).take(filters.limit).map(|e| self.execution_json(e)).collect::<Vec<_>>(),
            "totalCount": all.len(),
            "successCount": success,
            "failureCount": failure,
            "averageDuration": average(durations),
            "trends": {
                "successRate": trend_days.iter().map(|(_, d)| d.1 as f64 / d.0.max(1) as f64).collect::<Vec<_>>(),
                "averageDuration": trend_days.iter().map(|(_, d)| if d.3 == 0 { 0.0 } else { d.2 / d.3 as f64 }).collect::<Vec<_>>(),
                "executionCount": trend_days.iter().map(|(_, d)| d.0).collect::<Vec<_>>(),
                "timestamps": trend_days.iter().map(|(day, _)| json!({ "$date": day * 86_400_000 })).collect::<Vec<_>>(),
            }
        }))
    }

    fn found(&self, schedule_id: &str) -> Result<&Schedule, EngineError> {
        let index = self.schedule_index(schedule_id)?;
        Ok(self.schedule_at(index).expect("indexed"))
    }

    /// `ScheduleMetrics`, with p95 and skip counts beside the production-ccs fields.
    pub fn schedule_metrics(&self, schedule_id: &str) -> Result<Value, EngineError> {
        Ok(metrics_json(&self.found(schedule_id)?.rt().stats))
    }

    pub fn schedule_health(&self, schedule_id: &str) -> Result<Value, EngineError> {
        let s = self.found(schedule_id)?;
        Ok(self.health_json(s))
    }

    pub(crate) fn health_json(&self, s: &Schedule) -> Value {
        let now = self.now();
        let rate = success_rate(&s.rt().stats);
        // Stalled runs first: the most pressing, and what stops later fires.
        let (mut issues, stall_status) = self.stall_issues(s, now);
        if s.rt().stats.completed + s.rt().stats.failed > 0 && rate < 0.9 {
            issues.push(json!({
                "type": "reliability",
                "severity": if rate < 0.5 { "high" } else { "medium" },
                "message": format!("{:.0}% of finished executions failed", (1.0 - rate) * 100.0),
                "timestamp": date_json(now),
            }));
        }
        if s.rt().stats.skipped > 0 {
            issues.push(json!({
                "type": "performance",
                "severity": "low",
                "message": format!("{} due fires were skipped (overlap, misfire, dst, disabled or no_handler)", s.rt().stats.skipped),
                "timestamp": date_json(now),
            }));
        }
        let handler_issue = self.handler_issue(s);
        let unhandled = handler_issue.is_some();
        issues.extend(handler_issue);
        if s.expired {
            issues.push(json!({
                "type": "configuration",
                "severity": "low",
                "message": "the schedule has expired (endDate or maxExecutions reached)",
                "timestamp": date_json(now),
            }));
        }
        let rate_status = if rate < 0.5 && s.rt().stats.failed > 0 {
            "critical"
        } else if (rate < 0.9 && s.rt().stats.failed > 0) || unhandled {
            "warning"
        } else {
            "healthy"
        };
        let rank = |x: &str| {
            ["healthy", "warning", "critical"]
                .iter()
                .position(|y| *y == x)
        };
        let status = if rank(stall_status) > rank(rate_status) {
            stall_status
        } else {
            rate_status
        };
        json!({
            "status": status,
            "successRate": rate,
            "averageExecutionTime": average(s.rt().stats.durations.iter().map(|d| *d as f64)),
            "lastHealthCheck": date_json(now),
            "issues": issues,
        })
    }

    /// `ScheduleStatus`.
    pub fn schedule_status(&self, schedule_id: &str) -> Result<Value, EngineError> {
        let s = self.found(schedule_id)?;
        let status = json!({
            "id": s.spec.fragments.schedule_id,
            "status": s.state(),
            "enabled": s.spec.enabled,
            "paused": s.paused,
            "pauseNote": s.pause_note,
            "executionCount": s.rt().stats.triggered,
            "lastExecution": s.rt().stats.last_run.map(date_json),
            "nextExecution": s.next_fire.map(date_json),
            "lastExecutionStatus": s.rt().stats.last_status.map(|x| x.as_str()),
            "lastError": s.rt().stats.last_error,
            "health": self.health_json(s),
            "metrics": metrics_json(&s.rt().stats),
        });
        Ok(without_nulls(
            status,
            &[
                "lastExecution",
                "nextExecution",
                "lastExecutionStatus",
                "lastError",
            ],
        ))
    }

    /// `ScheduleWorkflowStatus`.
    pub fn schedule_workflow_status(&self, schedule_id: &str) -> Result<Value, EngineError> {
        let s = self.found(schedule_id)?;
        let now = self.now();
        let last = s
            .rt()
            .history
            .iter()
            .rev()
            .filter_map(|k| self.executions.get(k))
            .find(|e| e.status.is_final())
            .map(|e| self.execution_json(e));
        let health = self.health_json(s);
        Ok(without_nulls(
            json!({
                "scheduleId": s.spec.fragments.schedule_id,
                "workflowId": s.spec.fragments.workflow_id,
                "scheduleStatus": self.schedule_status(schedule_id)?,
                "workflowStatus": {
                    "id": s.spec.fragments.workflow_id,
                    "name": s.spec.name(),
                    "version": "1.0.0",
                    "status": if s.is_live() { "active" } else { "inactive" },
                    "lastModified": date_json(s.created),
                    "executionCount": s.rt().stats.triggered,
                    "averageExecutionTime": average(s.rt().stats.durations.iter().map(|d| *d as f64)),
                },
                "lastExecution": last,
                "nextExecution": s.next_fire.map(date_json),
                "integrationHealth": {
                    "status": health["status"],
                    "lastSync": date_json(now),
                    "syncLatency": 0,
                    "eventDeliveryRate": 1,
                    "issues": [],
                },
                "metrics": self.integration_metrics(Some(schedule_id))?,
            }),
            &["lastExecution", "nextExecution"],
        ))
    }

    /// `ScheduleWorkflowMetrics`, for one schedule or all.
    pub fn integration_metrics(&self, schedule_id: Option<&str>) -> Result<Value, EngineError> {
        let stats = match schedule_id {
            Some(id) => &self.found(id)?.rt().stats,
            None => &self.totals,
        };
        let latencies: Vec<f64> = self.latencies.iter().copied().collect();
        Ok(json!({
            "totalIntegrations": stats.triggered,
            "successfulExecutions": stats.completed,
            "failedExecutions": stats.failed,
            "averageIntegrationLatency": average(latencies.iter().copied()),
            "averageStateSyncLatency": 0,
            "averageEventBroadcastLatency": 0,
            "lastUpdated": date_json(self.now()),
        }))
    }

    pub fn trigger_latency(&self) -> (f64, f64, usize) {
        let mut sorted: Vec<f64> = self.latencies.iter().copied().collect();
        sorted.sort_by(|a, b| a.total_cmp(b));
        (
            percentile(&sorted, 50.0),
            percentile(&sorted, 99.0),
            sorted.len(),
        )
    }

    /// `SystemMetrics`, with queue depth, in-flight count and trigger latency beside it.
    pub fn system_metrics(&self) -> Value {
        let now = self.now();
        let count = |state: &str| self.schedules().filter(|s| s.state() == state).count();
        let (p50, p99, samples) = self.trigger_latency();
        let queued = self
            .executions
            .values()
            .filter(|e| e.status == ExecutionStatus::Queued)
            .count();
        let uptime = self.started_at.map_or(0, |t| (now - t).num_milliseconds());
        json!({
            "totalSchedules": self.schedule_count(),
            "activeSchedules": count("active"),
            "pausedSchedules": count("paused"),
            "disabledSchedules": count("disabled"),
            "expiredSchedules": count("expired"),
            "totalExecutions": self.totals.triggered,
            "successfulExecutions": self.totals.completed,
            "failedExecutions": self.totals.failed,
            "cancelledExecutions": self.totals.cancelled,
            "skippedFires": self.totals.skipped,
            "averageExecutionTime": average(self.totals.durations.iter().map(|d| *d as f64)),
            "queueDepth": queued,
            "inFlight": self.in_flight(),
            "maxConcurrency": self.options.max_concurrency,
            "triggerLatency": { "p50": p50, "p99": p99, "samples": samples },
            "systemLoad": {
                "cpu": 0, "memory": 0, "network": 0, "storage": 0,
                "activeConnections": 0, "queueSize": queued,
            },
            "resourceUtilization": { "cpu": 0, "memory": 0, "network": 0, "storage": 0, "database": 0 },
            "queueStats": {
                "size": queued,
                "processing": self.in_flight(),
                "completed": self.totals.completed,
                "failed": self.totals.failed,
                "averageWaitTime": average(self.latencies.iter().copied()),
                "averageProcessingTime": average(self.totals.durations.iter().map(|d| *d as f64)),
                "throughput": 0,
                "lastUpdated": date_json(now),
            },
            "healthStatus": {
                "status": if self.lifecycle == super::Lifecycle::Running { "healthy" } else { "down" },
                "components": [],
                "issues": [],
                "lastHealthCheck": date_json(now),
            },
            "uptime": uptime,
            "lastUpdated": date_json(now),
        })
    }

    /// Trigger latency and load, for tuning.
    pub fn performance_metrics(&self) -> Value {
        let (p50, p99, samples) = self.trigger_latency();
        json!({
            "triggerLatencyP50": p50,
            "triggerLatencyP99": p99,
            "latencySamples": samples,
            "inFlight": self.in_flight(),
            "queueDepth": self.run_queue.waiting_len(),
            "timers": self.timers.len(),
            "schedules": self.schedule_count(),
            "executionsTracked": self.executions.len(),
        })
    }
}

fn metrics_json(stats: &Stats) -> Value {
    let mut sorted: Vec<f64> = stats.durations.iter().map(|d| *d as f64).collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let due = stats.triggered + stats.skipped;
    let metrics = json!({
        "totalExecutions": stats.triggered,
        "successfulExecutions": stats.completed,
        "failedExecutions": stats.failed,
        "cancelledExecutions": stats.cancelled,
        "skippedFires": stats.skipped,
        "averageExecutionTime": average(sorted.iter().copied()),
        "p95ExecutionTime": percentile(&sorted, 95.0),
        "lastExecutionTime": stats.last_duration,
        "successRate": success_rate(stats),
        "uptimePercentage": if due == 0 { 100.0 } else { 100.0 * stats.triggered as f64 / due as f64 },
    });
    without_nulls(metrics, &["lastExecutionTime"])
}

/// `value` without those of `keys` that are null: production-ccs's types make such fields
/// optional, not nullable.
fn without_nulls(mut value: Value, keys: &[&str]) -> Value {
    if let Some(fields) = value.as_object_mut() {
        for key in keys {
            if fields.get(*key).is_some_and(Value::is_null) {
                fields.remove(*key);
            }
        }
    }
    value
}
