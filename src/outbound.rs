//! The engine's messages, encoded for `lib/integration.js` as one flat JSON array per
//! drain: an operation code, then that operation's fields, then the next code. JSON.parse
//! of short arrays of numbers and strings is the cheapest way into V8 found here; the
//! object shapes are then built in JavaScript.
//!
//! A schedule's constant parts (ids, metadata, variables, environment) cross once per
//! version, as a `SCHEDULE` record for its slot; the messages about its executions refer
//! to the slot and carry only what varies. `lib/integration.js` decodes the same codes.

use std::fmt::Write as _;
use std::sync::{Arc, Weak};

use tickflow_core::engine::outbound::{About, Finished, Request, Started, Triggered};
use tickflow_core::engine::text::{push_str, Fragments};
use tickflow_core::engine::Message;

/// An event as JSON text (dates as `{ "$date": ms }`): `EVENT, event`.
const EVENT: u8 = 0;
/// `SCHEDULE, slot, scheduledWorkflowId, scheduleId, workflowId, metadata, variables,
/// environment`: the slot's constant parts from here on.
const SCHEDULE: u8 = 1;
/// `TRIGGERED, slot, executionId, trigger, event, atMs, scheduledMs, context`
const TRIGGERED: u8 = 2;
/// `EXECUTE, slot, key, executionId, attempt, trigger, scheduledMs, startedMs, context`
const EXECUTE: u8 = 3;
/// `STARTED, slot, executionId, trigger, event, atMs, attempt`
const STARTED: u8 = 4;
/// `FINISHED, slot, executionId, trigger, event, atMs, status, startMs, endMs, duration,
/// attempts, result, error`
const FINISHED: u8 = 5;
/// `ABORT, executionId, attempt, reason`
const ABORT: u8 = 6;

/// The slot of fragments that belong to no schedule's slot (see `About::AD_HOC`).
const AD_HOC_SLOT: i64 = -1;

/// Remembers which version of each slot's fragments JavaScript has: weak, so that a
/// deleted schedule's text is freed (the allocation it points at stays, so the address is
/// never reused for another version while remembered).
#[derive(Default)]
pub struct Encoder {
    sent: Vec<Weak<Fragments>>,
}

impl Encoder {
    pub fn encode(&mut self, messages: Vec<Message>) -> String {
        let mut out = String::with_capacity(2 + messages.len() * 64);
        out.push('[');
        for m in messages {
            match m {
                Message::Event(text) => {
                    code(&mut out, EVENT);
                    out.push(',');
                    out.push_str(&text);
                }
                Message::Triggered(t) => self.triggered(&mut out, t),
                Message::Execute(r) => self.execute(&mut out, r),
                Message::Started(s) => self.started(&mut out, s),
                Message::Finished(f) => self.finished(&mut out, f),
                Message::Abort {
                    execution_id,
                    attempt,
                    reason,
                } => {
                    code(&mut out, ABORT);
                    string(&mut out, &execution_id);
                    number(&mut out, attempt);
                    string(&mut out, &reason);
                }
            }
        }
        out.push(']');
        out
    }

    /// The slot as written; sends the fragments first when JavaScript lacks this version.
    fn slot(&mut self, out: &mut String, about: &About) -> i64 {
        let slot = if about.slot == About::AD_HOC {
            AD_HOC_SLOT
        } else {
            let i = about.slot as usize;
            if self.sent.len() <= i {
                self.sent.resize(i + 1, Weak::new());
            }
            if std::ptr::eq(self.sent[i].as_ptr(), Arc::as_ptr(&about.schedule)) {
                return i as i64;
            }
            self.sent[i] = Arc::downgrade(&about.schedule);
            i as i64
        };
        let f = &about.schedule;
        code(out, SCHEDULE);
        number(out, slot);
        string(out, &f.config_id);
        string(out, &f.schedule_id);
        string(out, &f.workflow_id);
        raw(out, &f.metadata);
        raw(out, &f.variables);
        raw(out, &f.environment);
        slot
    }

    /// `code, slot, executionId, trigger`: the start of every execution message.
    fn head(&mut self, out: &mut String, op: u8, about: &About) {
        let slot = self.slot(out, about);
        code(out, op);
        number(out, slot);
        string(out, &about.execution_id);
        number(out, about.trigger as u8);
    }

    fn triggered(&mut self, out: &mut String, t: Triggered) {
        self.head(out, TRIGGERED, &t.about);
        number(out, t.event);
        number(out, t.at_ms);
        number(out, t.scheduled_ms);
        raw(out, t.context.as_deref().unwrap_or("null"));
    }

    fn execute(&mut self, out: &mut String, r: Request) {
        let slot = self.slot(out, &r.about);
        code(out, EXECUTE);
        number(out, slot);
        number(out, r.key);
        string(out, &r.about.execution_id);
        number(out, r.attempt);
        number(out, r.about.trigger as u8);
        number(out, r.scheduled_ms);
        number(out, r.started_ms);
        raw(out, r.context.as_deref().unwrap_or("null"));
    }

    fn started(&mut self, out: &mut String, s: Started) {
        self.head(out, STARTED, &s.about);
        number(out, s.event);
        number(out, s.at_ms);
        number(out, s.attempt);
    }

    fn finished(&mut self, out: &mut String, f: Finished) {
        self.head(out, FINISHED, &f.about);
        number(out, f.event);
        number(out, f.at_ms);
        number(out, f.status as u8);
        optional(out, f.start_ms);
        optional(out, f.end_ms);
        number(out, f.duration_ms);
        number(out, f.attempts);
        raw(out, f.result.as_deref().unwrap_or("null"));
        raw(out, f.error.as_deref().unwrap_or("null"));
    }
}

/// An operation code: the first item written has no comma before it.
fn code(out: &mut String, op: u8) {
    if out.len() > 1 {
        out.push(',');
    }
    let _ = write!(out, "{op}");
}

fn number(out: &mut String, n: impl std::fmt::Display) {
    let _ = write!(out, ",{n}");
}

fn optional(out: &mut String, n: Option<i64>) {
    match n {
        Some(n) => number(out, n),
        None => out.push_str(",null"),
    }
}

fn string(out: &mut String, s: &str) {
    out.push(',');
    push_str(out, s);
}

fn raw(out: &mut String, json: &str) {
    out.push(',');
    out.push_str(json);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickflow_core::engine::TriggerType;

    fn about(schedule: &Arc<Fragments>, slot: u32) -> About {
        About {
            slot,
            schedule: schedule.clone(),
            execution_id: "exec_1".into(),
            trigger: TriggerType::Manual,
        }
    }

    #[test]
    fn a_schedule_crosses_once_per_version() {
        let v1 = Arc::new(Fragments::bare("c", "s", "w"));
        let started = |schedule: &Arc<Fragments>, slot| {
            Message::Started(Started {
                about: about(schedule, slot),
                event: 7,
                at_ms: 1000,
                attempt: 1,
            })
        };
        let mut encoder = Encoder::default();
        let first = encoder.encode(vec![started(&v1, 2), started(&v1, 2)]);
        assert_eq!(
            first,
            r#"[1,2,"c","s","w",{},{},null,4,2,"exec_1",1,7,1000,1,4,2,"exec_1",1,7,1000,1]"#
        );
        let v2 = Arc::new(Fragments::bare("c", "s", "w2"));
        let again = encoder.encode(vec![started(&v1, 2), started(&v2, 2)]);
        assert_eq!(
            again,
            r#"[4,2,"exec_1",1,7,1000,1,1,2,"c","s","w2",{},{},null,4,2,"exec_1",1,7,1000,1]"#
        );
        let ad_hoc = encoder.encode(vec![started(&v2, About::AD_HOC)]);
        assert!(ad_hoc.starts_with(r#"[1,-1,"c","s","w2""#), "{ad_hoc}");
        let parsed: serde_json::Value = serde_json::from_str(&ad_hoc).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 8 + 7);
    }
}
