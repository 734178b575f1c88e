//! Execution records: one per run of a workflow, with its attempts.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::value::date_json;

/// How an attempt ended, as reported by the executor.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Completed(Value),
    Failed {
        code: String,
        message: String,
        stack: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    Queued,
    Running,
    Retrying,
    Completed,
    Failed,
    Cancelled,
    Timeout,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Queued => "queued",
            ExecutionStatus::Running => "running",
            ExecutionStatus::Retrying => "retrying",
            ExecutionStatus::Completed => "completed",
            ExecutionStatus::Failed => "failed",
            ExecutionStatus::Cancelled => "cancelled",
            ExecutionStatus::Timeout => "timeout",
        }
    }

    pub fn parse(s: &str) -> Option<ExecutionStatus> {
        Some(match s {
            "pending" | "queued" => ExecutionStatus::Queued,
            "running" => ExecutionStatus::Running,
            "retrying" => ExecutionStatus::Retrying,
            "completed" => ExecutionStatus::Completed,
            "failed" => ExecutionStatus::Failed,
            "cancelled" => ExecutionStatus::Cancelled,
            "timeout" => ExecutionStatus::Timeout,
            _ => return None,
        })
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Completed
                | ExecutionStatus::Failed
                | ExecutionStatus::Cancelled
                | ExecutionStatus::Timeout
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TriggerType {
    Scheduled,
    Manual,
    Retry,
    Catchup,
    Backfill,
}

impl TriggerType {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerType::Scheduled => "scheduled",
            TriggerType::Manual => "manual",
            TriggerType::Retry => "retry",
            TriggerType::Catchup => "catchup",
            TriggerType::Backfill => "backfill",
        }
    }

    pub fn parse(s: &str) -> Option<TriggerType> {
        Some(match s {
            "scheduled" => TriggerType::Scheduled,
            "manual" => TriggerType::Manual,
            "retry" => TriggerType::Retry,
            "catchup" => TriggerType::Catchup,
            "backfill" => TriggerType::Backfill,
            _ => return None,
        })
    }

    /// The production-ccs `TriggerSource` of this trigger.
    pub fn source(self) -> &'static str {
        match self {
            TriggerType::Manual => "manual",
            TriggerType::Retry => "retry",
            _ => "schedule",
        }
    }

    /// production-ccs's `ScheduleTriggeredEvent.triggerType`: its three kinds, catch-up and
    /// backfill runs being scheduled ones.
    pub fn event_kind(self) -> &'static str {
        match self {
            TriggerType::Manual => "manual",
            TriggerType::Retry => "retry",
            _ => "scheduled",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    pub stack: Option<String>,
    pub retryable: bool,
    pub at: DateTime<Utc>,
}

impl ErrorInfo {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
            "timestamp": date_json(self.at),
        });
        if let Some(stack) = &self.stack {
            v["stack"] = json!(stack);
        }
        v
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub number: u32,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    pub error: Option<ErrorInfo>,
    /// What the executor answered after the attempt had already ended (timed out,
    /// cancelled): recorded, never applied.
    pub late: Option<LateOutcome>,
    /// In a cluster, the node (token) that ran it.
    pub node: Option<String>,
    /// False for an attempt that a stop or a dead process interrupted and that runs again:
    /// it does not count against `maxAttempts`.
    pub counted: bool,
    /// It runs again an interrupted attempt (the executor's `request.resumed`).
    pub resumed: bool,
}

/// An executor's answer that came after its attempt ended.
#[derive(Clone, Debug, PartialEq)]
pub struct LateOutcome {
    pub completed: bool,
    pub code: Option<String>,
    pub message: Option<String>,
    pub at: DateTime<Utc>,
}

impl LateOutcome {
    fn to_json(&self) -> Value {
        let mut v = json!({ "completed": self.completed, "receivedAt": date_json(self.at) });
        if let Some(code) = &self.code {
            v["code"] = json!(code);
        }
        if let Some(message) = &self.message {
            v["message"] = json!(message);
        }
        v
    }

    fn from_json(v: &Value) -> Option<LateOutcome> {
        Some(LateOutcome {
            completed: v["completed"].as_bool()?,
            code: v["code"].as_str().map(str::to_string),
            message: v["message"].as_str().map(str::to_string),
            at: date_of(&v["receivedAt"])?,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Execution {
    /// Shared with the messages about it and the id index.
    pub id: Arc<str>,
    /// Shared with its schedule's `Fragments` (interned, not copied per execution).
    pub schedule_id: Arc<str>,
    pub workflow_id: Arc<str>,
    pub config_id: Arc<str>,
    pub trigger: TriggerType,
    pub scheduled_time: DateTime<Utc>,
    pub created: DateTime<Utc>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub status: ExecutionStatus,
    pub priority: u8,
    pub attempts: Vec<Attempt>,
    pub max_attempts: u32,
    pub result: Option<Value>,
    pub error: Option<ErrorInfo>,
    pub context: Value,
    /// Why it was cancelled, when it was.
    pub cancel_reason: Option<String>,
    /// The execution this one retries (`retryExecution`).
    pub retry_of: Option<String>,
    pub seq: u64,
}

impl Execution {
    pub fn duration_ms(&self) -> Option<i64> {
        Some((self.ended? - self.started?).num_milliseconds())
    }

    pub fn attempt(&self) -> u32 {
        self.attempts.last().map_or(0, |a| a.number)
    }

    /// Attempts that count against `maxAttempts`: interrupted ones that ran again do not.
    pub fn counted_attempts(&self) -> u32 {
        self.attempts.iter().filter(|a| a.counted).count() as u32
    }

    /// Interrupted attempts that ran (or will run) again.
    pub fn resumes(&self) -> u32 {
        self.attempts.len() as u32 - self.counted_attempts()
    }

    /// The production-ccs `ScheduledExecution` shape, with tickflow's extra fields:
    /// `context` as its ExecutionContext (`environment` and `metadata` are the schedule's),
    /// `result` as its ExecutionResult once final (`output` is what the executor returned),
    /// and what has not happened yet left out rather than null.
    pub fn to_json(&self, environment: &str, metadata: &Value) -> Value {
        let mut v = self.to_raw_json();
        let fields = v.as_object_mut().expect("an object");
        for key in ["actualStartTime", "completionTime", "error"] {
            if fields.get(key).is_some_and(Value::is_null) {
                fields.remove(key);
            }
        }
        let mut context = json!({
            "triggeredBy": self.trigger.source(),
            "environment": environment,
            "metadata": metadata,
        });
        if !self.context.is_null() {
            context["triggerData"] = self.context.clone();
        }
        fields.insert("context".into(), context);
        if self.status.is_final() {
            let mut result = json!({
                "success": self.status == ExecutionStatus::Completed,
                "metrics": {
                    "duration": self.duration_ms().unwrap_or(0),
                    "memoryUsage": 0, "cpuUsage": 0, "networkRequests": 0, "databaseQueries": 0,
                    "customMetrics": {},
                },
                "logs": [],
            });
            if let Some(output) = self.result.as_ref().filter(|v| !v.is_null()) {
                result["output"] = output.clone();
            }
            fields.insert("result".into(), result);
        } else {
            fields.remove("result");
        }
        v
    }

    /// The record as kept: every field, the executor's value as it returned it.
    fn to_raw_json(&self) -> Value {
        let attempts: Vec<Value> = self
            .attempts
            .iter()
            .map(|a| {
                let mut v = json!({
                    "attempt": a.number,
                    "startTime": date_json(a.started),
                    "endTime": a.ended.map(date_json),
                    "error": a.error.as_ref().map(ErrorInfo::to_json),
                });
                if let Some(late) = &a.late {
                    v["lateOutcome"] = late.to_json();
                }
                if let Some(node) = &a.node {
                    v["node"] = json!(node);
                }
                // Written only when they say something, as most attempts are neither.
                if !a.counted {
                    v["counted"] = json!(false);
                }
                if a.resumed {
                    v["resumed"] = json!(true);
                }
                v
            })
            .collect();
        json!({
            "id": self.id,
            "scheduleId": self.schedule_id,
            "workflowId": self.workflow_id,
            "scheduledWorkflowId": self.config_id,
            "scheduledTime": date_json(self.scheduled_time),
            "actualStartTime": self.started.map(date_json),
            "completionTime": self.ended.map(date_json),
            "status": self.status.as_str(),
            "priority": self.priority,
            "triggerType": self.trigger.as_str(),
            "context": self.context,
            "result": self.result,
            "error": self.error.as_ref().map(ErrorInfo::to_json),
            "retryCount": self.counted_attempts().saturating_sub(1),
            "maxRetries": self.max_attempts.saturating_sub(1),
            "attempts": attempts,
            "duration": self.duration_ms(),
            "cancelReason": self.cancel_reason,
            "retryOf": self.retry_of,
        })
    }
}

/// The stored form of an execution: the public record plus what only the engine needs.
impl Execution {
    pub fn to_record(&self) -> Value {
        let mut v = self.to_raw_json();
        v["createdTime"] = date_json(self.created);
        v["maxAttempts"] = json!(self.max_attempts);
        v
    }

    /// A stored row's record read back; `None` when it is not JSON or lacks a field.
    pub fn from_row(row: &crate::store::ExecutionRow) -> Option<Execution> {
        let record: Value = serde_json::from_str(&row.record).ok()?;
        Execution::from_record(&record, row.seq)
    }

    /// Reads back `to_record`'s output; `None` when a required field is missing.
    pub fn from_record(v: &Value, seq: u64) -> Option<Execution> {
        let text = |k: &str| v[k].as_str().map(str::to_string);
        let attempts = v["attempts"]
            .as_array()?
            .iter()
            .map(|a| {
                Some(Attempt {
                    number: a["attempt"].as_u64()? as u32,
                    started: date_of(&a["startTime"])?,
                    ended: date_of(&a["endTime"]),
                    error: error_of(&a["error"]),
                    late: LateOutcome::from_json(&a["lateOutcome"]),
                    node: a["node"].as_str().map(str::to_string),
                    counted: a["counted"].as_bool().unwrap_or(true),
                    resumed: a["resumed"].as_bool().unwrap_or(false),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Execution {
            id: text("id")?.into(),
            schedule_id: text("scheduleId")?.into(),
            workflow_id: text("workflowId")?.into(),
            config_id: text("scheduledWorkflowId")?.into(),
            trigger: TriggerType::parse(v["triggerType"].as_str()?)?,
            scheduled_time: date_of(&v["scheduledTime"])?,
            created: date_of(&v["createdTime"])?,
            started: date_of(&v["actualStartTime"]),
            ended: date_of(&v["completionTime"]),
            status: ExecutionStatus::parse(v["status"].as_str()?)?,
            priority: v["priority"].as_u64()? as u8,
            attempts,
            max_attempts: v["maxAttempts"].as_u64()? as u32,
            result: (!v["result"].is_null()).then(|| v["result"].clone()),
            error: error_of(&v["error"]),
            context: v["context"].clone(),
            cancel_reason: text("cancelReason"),
            retry_of: text("retryOf"),
            seq,
        })
    }
}

fn date_of(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v["$date"].as_i64()?)
}

fn error_of(v: &Value) -> Option<ErrorInfo> {
    Some(ErrorInfo {
        code: v["code"].as_str()?.to_string(),
        message: v["message"].as_str().unwrap_or_default().to_string(),
        stack: v["stack"].as_str().map(str::to_string),
        retryable: v["retryable"].as_bool().unwrap_or(false),
        at: date_of(&v["timestamp"])?,
    })
}
