//! The engine's messages, encoded for `lib/integration.js` as one flat JSON array per
//! drain: an operation code, then that operation's fields, then the next code. JSON.parse
//! of short arrays of numbers and strings is the cheapest way into V8 found here; the
//! object shapes are then built in JavaScript.
//!
//! Times are written relative to the drain's first (its first item, in ms since the epoch):
//! V8 parses integers of up to 31 bits on a fast path, and a timestamp in ms is longer.
//!
//! A schedule's constant parts (ids, metadata, variables, environment) cross once per
//! version, as a `SCHEDULE` record for its slot; the messages about its executions refer
//! to the slot and carry only what varies. `lib/integration.js` decodes the same codes.

use std::sync::{Arc, Weak};

use tickflow_core::engine::outbound::{About, Finished, Request, Skipped, Started, Triggered};
use tickflow_core::engine::text::{push_str, Fragments};
use tickflow_core::engine::Message;

/// An event as JSON text (dates as `{ "$date": ms }`): `EVENT, event`.
const EVENT: u8 = 0;
/// `SCHEDULE, slot, scheduledWorkflowId, scheduleId, workflowId, metadata, variables,
/// environment`: the slot's constant parts from here on.
const SCHEDULE: u8 = 1;
/// `TRIGGERED, slot, executionId, trigger, event, atMs, scheduledMs, context` (times, here and
/// below, relative to the base)
const TRIGGERED: u8 = 2;
/// `EXECUTE, slot, key, executionId, attempt, trigger, scheduledMs, startedMs, context`; the
/// attempt negated for a resumed run (`request.resumed`), which costs the usual one nothing.
const EXECUTE: u8 = 3;
/// `STARTED, slot, executionId, trigger, event, atMs, attempt`
const STARTED: u8 = 4;
/// `FINISHED, slot, executionId, trigger, event, atMs, status, startMs, endMs, duration,
/// attempts, result, error`
const FINISHED: u8 = 5;
/// `ABORT, executionId, attempt, reason`
const ABORT: u8 = 6;
/// `SKIPPED, slot, event, atMs, scheduledMs, reason`
const SKIPPED: u8 = 7;

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
        let mut out = String::with_capacity(16 + messages.len() * 64);
        out.push('[');
        let base = messages.iter().find_map(first_time).unwrap_or(0);
        push_integer(&mut out, base);
        let mut w = Writer { out, base };
        for m in messages {
            match m {
                Message::Event(text) => {
                    w.code(EVENT);
                    w.raw(&text);
                }
                Message::Triggered(t) => self.triggered(&mut w, t),
                Message::Execute(r) => self.execute(&mut w, r),
                Message::Started(s) => self.started(&mut w, s),
                Message::Finished(f) => self.finished(&mut w, f),
                Message::Skipped(s) => self.skipped(&mut w, s),
                Message::Abort {
                    execution_id,
                    attempt,
                    reason,
                } => {
                    w.code(ABORT);
                    w.string(&execution_id);
                    w.number(attempt);
                    w.string(&reason);
                }
            }
        }
        w.out.push(']');
        w.out
    }

    /// The slot as written; sends the fragments first when JavaScript lacks this version.
    fn slot(&mut self, w: &mut Writer, about: &About) -> i64 {
        self.schedule_slot(w, about.slot, &about.schedule)
    }

    fn schedule_slot(&mut self, w: &mut Writer, slot: u32, f: &Arc<Fragments>) -> i64 {
        let slot = if slot == About::AD_HOC {
            AD_HOC_SLOT
        } else {
            let i = slot as usize;
            if self.sent.len() <= i {
                self.sent.resize(i + 1, Weak::new());
            }
            if std::ptr::eq(self.sent[i].as_ptr(), Arc::as_ptr(f)) {
                return i as i64;
            }
            self.sent[i] = Arc::downgrade(f);
            i as i64
        };
        w.code(SCHEDULE);
        w.number(slot);
        w.string(&f.config_id);
        w.string(&f.schedule_id);
        w.string(&f.workflow_id);
        w.raw(&f.metadata);
        w.raw(&f.variables);
        w.raw(&f.environment);
        slot
    }

    /// `code, slot, executionId, trigger`: the start of every execution message.
    fn head(&mut self, w: &mut Writer, op: u8, about: &About) {
        let slot = self.slot(w, about);
        w.code(op);
        w.number(slot);
        w.string(&about.execution_id);
        w.number(about.trigger as u8);
    }

    fn triggered(&mut self, w: &mut Writer, t: Triggered) {
        self.head(w, TRIGGERED, &t.about);
        w.number(t.event);
        w.time(t.at_ms);
        w.time(t.scheduled_ms);
        w.raw(t.context.as_deref().unwrap_or("null"));
    }

    fn execute(&mut self, w: &mut Writer, r: Request) {
        let slot = self.slot(w, &r.about);
        w.code(EXECUTE);
        w.number(slot);
        w.number(r.key);
        w.string(&r.about.execution_id);
        let attempt = i64::from(r.attempt);
        w.number(if r.resumed { -attempt } else { attempt });
        w.number(r.about.trigger as u8);
        w.time(r.scheduled_ms);
        w.time(r.started_ms);
        w.raw(r.context.as_deref().unwrap_or("null"));
    }

    fn started(&mut self, w: &mut Writer, s: Started) {
        self.head(w, STARTED, &s.about);
        w.number(s.event);
        w.time(s.at_ms);
        w.number(s.attempt);
    }

    fn finished(&mut self, w: &mut Writer, f: Finished) {
        self.head(w, FINISHED, &f.about);
        w.number(f.event);
        w.time(f.at_ms);
        w.number(f.status as u8);
        w.optional_time(f.start_ms);
        w.optional_time(f.end_ms);
        w.number(f.duration_ms);
        w.number(f.attempts);
        w.raw(f.result.as_deref().unwrap_or("null"));
        w.raw(f.error.as_deref().unwrap_or("null"));
    }

    fn skipped(&mut self, w: &mut Writer, s: Skipped) {
        let slot = self.schedule_slot(w, s.slot, &s.schedule);
        w.code(SKIPPED);
        w.number(slot);
        w.number(s.event);
        w.time(s.at_ms);
        w.time(s.scheduled_ms);
        w.string(s.reason);
    }
}

/// The first time a message carries: the drain's base.
fn first_time(m: &Message) -> Option<i64> {
    match m {
        Message::Triggered(t) => Some(t.at_ms),
        Message::Execute(r) => Some(r.started_ms),
        Message::Started(s) => Some(s.at_ms),
        Message::Finished(f) => Some(f.at_ms),
        Message::Skipped(s) => Some(s.at_ms),
        Message::Event(_) | Message::Abort { .. } => None,
    }
}

fn push_integer(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// The output of one drain, every item after the base preceded by a comma.
struct Writer {
    out: String,
    base: i64,
}

impl Writer {
    fn code(&mut self, op: u8) {
        self.number(op);
    }

    fn number(&mut self, n: impl itoa::Integer) {
        self.out.push(',');
        push_integer(&mut self.out, n);
    }

    /// A time, relative to the base.
    fn time(&mut self, ms: i64) {
        self.number(ms - self.base);
    }

    fn optional_time(&mut self, ms: Option<i64>) {
        match ms {
            Some(ms) => self.time(ms),
            None => self.out.push_str(",null"),
        }
    }

    fn string(&mut self, s: &str) {
        self.out.push(',');
        push_str(&mut self.out, s);
    }

    fn raw(&mut self, json: &str) {
        self.out.push(',');
        self.out.push_str(json);
    }
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
            r#"[1000,1,2,"c","s","w",{},{},null,4,2,"exec_1",1,7,0,1,4,2,"exec_1",1,7,0,1]"#
        );
        let v2 = Arc::new(Fragments::bare("c", "s", "w2"));
        let again = encoder.encode(vec![started(&v1, 2), started(&v2, 2)]);
        assert_eq!(
            again,
            r#"[1000,4,2,"exec_1",1,7,0,1,1,2,"c","s","w2",{},{},null,4,2,"exec_1",1,7,0,1]"#
        );
        let ad_hoc = encoder.encode(vec![started(&v2, About::AD_HOC)]);
        assert!(ad_hoc.starts_with(r#"[1000,1,-1,"c","s","w2""#), "{ad_hoc}");
        let parsed: serde_json::Value = serde_json::from_str(&ad_hoc).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 1 + 8 + 7);
    }

    #[test]
    fn a_resumed_request_crosses_as_a_negated_attempt() {
        let schedule = Arc::new(Fragments::bare("c", "s", "w"));
        let request = |attempt, resumed| {
            Message::Execute(Request {
                about: about(&schedule, 0),
                key: 9,
                attempt,
                resumed,
                scheduled_ms: 1000,
                started_ms: 1000,
                context: None,
            })
        };
        let mut encoder = Encoder::default();
        let out = encoder.encode(vec![request(1, false), request(2, true)]);
        assert_eq!(
            out,
            r#"[1000,1,0,"c","s","w",{},{},null,3,0,9,"exec_1",1,1,0,0,null,3,0,9,"exec_1",-2,1,0,0,null]"#
        );
    }
}
