//! What the engine tells JavaScript, in order. The hot path (an execution's trigger, its
//! executor call, its start and its end) stays structured: what is constant per schedule
//! travels as one shared `Fragments`, so the binding can send it once and refer to it
//! afterwards. Everything else is an event already written as JSON text.
//!
//! `to_json` writes any message in the full JSON form (dates as `{ "$date": ms }`): the
//! shape JavaScript finally sees, used by this crate's tests and as the binding's reference.

use std::sync::Arc;

use super::execution::{ExecutionStatus, TriggerType};
use super::text::{self, Fragments};

#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// A lifecycle event: `{ type, ...payload }`, as JSON text.
    Event(String),
    /// `schedule.triggered`.
    Triggered(Triggered),
    /// Call the executor for one attempt.
    Execute(Request),
    /// `workflow.started`.
    Started(Started),
    /// `workflow.completed` or `workflow.failed`.
    Finished(Finished),
    /// `schedule.skipped`.
    Skipped(Skipped),
    /// Abort the `AbortSignal` of an attempt.
    Abort {
        execution_id: String,
        attempt: u32,
        reason: String,
    },
}

/// The execution a hot-path message is about, and its schedule's fixed parts.
#[derive(Clone, Debug, PartialEq)]
pub struct About {
    /// The schedule's slot; `AD_HOC` when `schedule` is not (or no longer) the schedule's
    /// own (its schedule was deleted, or now runs another workflow).
    pub slot: u32,
    pub schedule: Arc<Fragments>,
    pub execution_id: Arc<str>,
    pub trigger: TriggerType,
}

impl About {
    pub const AD_HOC: u32 = u32::MAX;
}

#[derive(Clone, Debug, PartialEq)]
pub struct Triggered {
    pub about: About,
    /// The event's number (its id is `evt_<prefix>_<number in hex>`).
    pub event: u64,
    pub at_ms: i64,
    pub scheduled_ms: i64,
    /// The trigger's context as JSON text; `None` for none.
    pub context: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub about: About,
    /// The execution's key in the engine, for the answer to name.
    pub key: u64,
    pub attempt: u32,
    /// It runs again an attempt that a stop or a dead process interrupted.
    pub resumed: bool,
    pub scheduled_ms: i64,
    pub started_ms: i64,
    pub context: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Started {
    pub about: About,
    pub event: u64,
    pub at_ms: i64,
    pub attempt: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub about: About,
    pub event: u64,
    pub at_ms: i64,
    pub status: ExecutionStatus,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub duration_ms: i64,
    pub attempts: u32,
    /// JSON text; `None` when the executor returned nothing (or null).
    pub result: Option<String>,
    /// The `ErrorInfo` as JSON text.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub slot: u32,
    pub schedule: Arc<Fragments>,
    pub event: u64,
    pub at_ms: i64,
    pub scheduled_ms: i64,
    pub reason: &'static str,
}

/// The event that ends an execution with this (final) status.
pub fn final_kind(status: ExecutionStatus) -> &'static str {
    if status == ExecutionStatus::Completed {
        "workflow.completed"
    } else {
        "workflow.failed"
    }
}

/// What writing a message in full needs from the engine.
pub struct Render<'a> {
    /// `evt_xxxxxxxx_`
    pub event_prefix: &'a str,
    /// The environment an event names when its workflow names none.
    pub environment: &'a str,
}

/// The full JSON form of a message, as it was before the hot path went structured.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonMessage {
    Event(String),
    Execute(String),
    Abort {
        execution_id: String,
        attempt: u32,
        reason: String,
    },
}

impl Message {
    pub fn to_json(&self, r: &Render) -> JsonMessage {
        match self {
            Message::Event(text) => JsonMessage::Event(text.clone()),
            Message::Triggered(t) => JsonMessage::Event(t.to_json(r)),
            Message::Execute(q) => JsonMessage::Execute(q.to_json()),
            Message::Started(s) => JsonMessage::Event(s.to_json(r)),
            Message::Finished(f) => JsonMessage::Event(f.to_json(r)),
            Message::Skipped(s) => JsonMessage::Event(s.to_json(r)),
            Message::Abort {
                execution_id,
                attempt,
                reason,
            } => JsonMessage::Abort {
                execution_id: execution_id.clone(),
                attempt: *attempt,
                reason: reason.clone(),
            },
        }
    }
}

/// `{"type":…,"timestamp":…,"id":…` and the schedule's ids.
fn head(out: &mut String, kind: &str, at_ms: i64, event: u64, r: &Render, f: &Fragments) {
    out.push_str("{\"type\":");
    text::push_str(out, kind);
    text::push_date(out, "timestamp", at_ms);
    text::push_string(out, "id", &format!("{}{event:x}", r.event_prefix));
    push_ids(out, f);
}

/// `,"scheduledWorkflowId":…,"scheduleId":…,"workflowId":…`
pub(crate) fn push_ids(out: &mut String, f: &Fragments) {
    text::push_string(out, "scheduledWorkflowId", &f.config_id);
    text::push_string(out, "scheduleId", &f.schedule_id);
    text::push_string(out, "workflowId", &f.workflow_id);
}

/// An execution's event metadata: where the run came from, its correlation id (the
/// execution id), then the schedule's own metadata, as production-ccs's executor sends it.
pub(crate) fn push_execution_metadata(
    out: &mut String,
    about_id: &str,
    trigger: TriggerType,
    metadata: &str,
) {
    out.push_str(",\"metadata\":{\"source\":");
    text::push_str(out, trigger.source());
    out.push_str(",\"correlationId\":");
    text::push_str(out, about_id);
    if metadata.len() > 2 {
        out.push(',');
        out.push_str(&metadata[1..]);
    } else {
        out.push('}');
    }
}

fn execution_head(out: &mut String, kind: &str, at_ms: i64, event: u64, r: &Render, a: &About) {
    head(out, kind, at_ms, event, r, &a.schedule);
    text::push_string(out, "executionId", &a.execution_id);
    push_execution_metadata(out, &a.execution_id, a.trigger, &a.schedule.metadata);
}

impl Triggered {
    fn to_json(&self, r: &Render) -> String {
        let f = &self.about.schedule;
        let mut out = String::with_capacity(512);
        head(&mut out, "schedule.triggered", self.at_ms, self.event, r, f);
        text::push_raw(&mut out, "metadata", &f.metadata);
        text::push_string(&mut out, "executionId", &self.about.execution_id);
        text::push_date(&mut out, "scheduledTime", self.scheduled_ms);
        text::push_date(&mut out, "triggerTime", self.at_ms);
        text::push_string(&mut out, "triggerType", self.about.trigger.event_kind());
        text::push_string(&mut out, "triggerKind", self.about.trigger.as_str());
        out.push_str(",\"context\":{\"triggeredBy\":");
        text::push_str(&mut out, self.about.trigger.source());
        text::push_raw(
            &mut out,
            "triggerData",
            self.context.as_deref().unwrap_or("null"),
        );
        if &*f.environment == "null" {
            text::push_string(&mut out, "environment", r.environment);
        } else {
            text::push_raw(&mut out, "environment", &f.environment);
        }
        text::push_raw(&mut out, "metadata", &f.metadata);
        out.push_str("}}");
        out
    }
}

impl Request {
    fn to_json(&self) -> String {
        let f = &self.about.schedule;
        let mut out = String::with_capacity(320);
        out.push_str("{\"executionId\":");
        text::push_str(&mut out, &self.about.execution_id);
        text::push_string(&mut out, "scheduleId", &f.schedule_id);
        text::push_string(&mut out, "workflowId", &f.workflow_id);
        text::push_string(&mut out, "scheduledWorkflowId", &f.config_id);
        text::push_number(&mut out, "attempt", self.attempt);
        out.push_str(if self.resumed {
            ",\"resumed\":true"
        } else {
            ",\"resumed\":false"
        });
        text::push_string(&mut out, "triggerType", self.about.trigger.as_str());
        text::push_date(&mut out, "scheduledTime", self.scheduled_ms);
        text::push_date(&mut out, "startedAt", self.started_ms);
        text::push_raw(&mut out, "variables", &f.variables);
        text::push_raw(&mut out, "environment", &f.environment);
        text::push_raw(&mut out, "metadata", &f.metadata);
        if let Some(context) = &self.context {
            text::push_raw(&mut out, "context", context);
        }
        out.push('}');
        out
    }
}

impl Started {
    fn to_json(&self, r: &Render) -> String {
        let mut out = String::with_capacity(320);
        execution_head(
            &mut out,
            "workflow.started",
            self.at_ms,
            self.event,
            r,
            &self.about,
        );
        text::push_number(&mut out, "attempt", self.attempt);
        text::push_date(&mut out, "startTime", self.at_ms);
        out.push('}');
        out
    }
}

impl Skipped {
    fn to_json(&self, r: &Render) -> String {
        let f = &self.schedule;
        let mut out = String::with_capacity(256);
        head(&mut out, "schedule.skipped", self.at_ms, self.event, r, f);
        text::push_raw(&mut out, "metadata", &f.metadata);
        text::push_date(&mut out, "scheduledTime", self.scheduled_ms);
        text::push_string(&mut out, "reason", self.reason);
        out.push('}');
        out
    }
}

impl Finished {
    fn to_json(&self, r: &Render) -> String {
        let mut out = String::with_capacity(384);
        execution_head(
            &mut out,
            final_kind(self.status),
            self.at_ms,
            self.event,
            r,
            &self.about,
        );
        text::push_string(&mut out, "status", self.status.as_str());
        text::push_opt_date(&mut out, "startTime", self.start_ms);
        text::push_opt_date(&mut out, "endTime", self.end_ms);
        text::push_number(&mut out, "duration", self.duration_ms);
        // Left out when absent (production-ccs's types make them optional, not nullable).
        if let Some(result) = &self.result {
            text::push_raw(&mut out, "result", result);
        }
        if let Some(error) = &self.error {
            text::push_raw(&mut out, "error", error);
        }
        text::push_number(&mut out, "attempts", self.attempts);
        text::push_string(&mut out, "triggerType", self.about.trigger.as_str());
        out.push('}');
        out
    }
}
