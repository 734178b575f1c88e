//! Engine tests on a manual clock: every rule with exact instants and event sequences.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::*;

pub(super) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn ms(s: &str) -> i64 {
    at(s).timestamp_millis()
}

fn engine_at(start: &str, max_concurrency: usize) -> Engine {
    let options = EngineOptions {
        max_concurrency,
        ..Default::default()
    };
    let mut e = Engine::new(options, Some(at(start)));
    e.start().unwrap();
    e.take_json_messages();
    e
}

pub(super) fn config(id: &str, cron: &str, extra: Value) -> Value {
    let mut c = json!({
        "id": id,
        "workflowId": format!("wf-{id}"),
        "scheduleId": format!("s-{id}"),
        "name": id,
        "enabled": true,
        "executionConfig": {},
        "scheduleConfig": { "cronExpression": cron, "timezone": "UTC", "enabled": true },
        "metadata": {},
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            if k == "executionConfig" || k == "scheduleConfig" {
                for (k2, v2) in v.as_object().unwrap() {
                    c[&k][k2] = v2.clone();
                }
            } else {
                c[&k] = v;
            }
        }
    }
    c
}

/// Event types and executor calls, in order, as short strings.
/// What drains an engine's messages in JSON: the engine itself, or one with a store of its
/// own, which commits first (`own_store::Durable`).
pub(super) trait Drain {
    fn drain_json(&mut self) -> Vec<JsonMessage>;
}

impl Drain for Engine {
    fn drain_json(&mut self) -> Vec<JsonMessage> {
        self.take_json_messages()
    }
}

impl Drain for super::own_store::Durable {
    fn drain_json(&mut self) -> Vec<JsonMessage> {
        self.take_json_messages()
    }
}

pub(super) fn log(e: &mut impl Drain) -> Vec<String> {
    e.drain_json()
        .into_iter()
        .map(|m| match m {
            JsonMessage::Event(text) => {
                let v: Value = serde_json::from_str(&text).unwrap();
                let kind = v["type"].as_str().unwrap().to_string();
                match kind.as_str() {
                    "schedule.skipped" => format!(
                        "skipped:{}@{}",
                        v["reason"].as_str().unwrap(),
                        v["scheduledTime"]["$date"]
                    ),
                    "workflow.cancelled" => format!("cancelled:{}", v["reason"].as_str().unwrap()),
                    "workflow.retrying" => format!("retrying:{}+{}", v["attempt"], v["delayMs"]),
                    "workflow.failed" => format!("failed:{}", v["status"].as_str().unwrap()),
                    _ => kind,
                }
            }
            JsonMessage::Execute(text) => {
                let r: Value = serde_json::from_str(&text).unwrap();
                format!(
                    "execute:{}#{}",
                    r["scheduleId"].as_str().unwrap(),
                    r["attempt"]
                )
            }
            JsonMessage::Abort { reason, .. } => format!("abort:{reason}"),
        })
        .collect()
}

fn executes(e: &mut Engine) -> Vec<(String, u32, i64)> {
    e.take_json_messages()
        .into_iter()
        .filter_map(|m| match m {
            JsonMessage::Execute(text) => Some(serde_json::from_str::<Value>(&text).unwrap()),
            _ => None,
        })
        .map(|r| {
            (
                r["executionId"].as_str().unwrap().to_string(),
                r["attempt"].as_u64().unwrap() as u32,
                r["scheduledTime"]["$date"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn ok(e: &mut Engine, id: &str, attempt: u32) {
    assert!(e.complete(id, attempt, Outcome::Completed(json!({ "ok": true }))));
}

fn fail(e: &mut Engine, id: &str, attempt: u32, code: &str) {
    assert!(e.complete(
        id,
        attempt,
        Outcome::Failed {
            code: code.into(),
            message: "boom".into(),
            stack: None
        }
    ));
}

#[test]
fn fires_on_time_in_order_with_events() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config(
        "a",
        "*/5 * * * *",
        json!({ "scheduleConfig": { "overlapPolicy": "allow" } }),
    ))
    .unwrap();
    assert_eq!(log(&mut e), ["schedule.created"]);
    e.advance(10 * 60_000, false).unwrap();
    let runs = executes(&mut e);
    assert_eq!(
        runs.iter().map(|r| r.2).collect::<Vec<_>>(),
        [ms("2026-01-01T00:05:00Z"), ms("2026-01-01T00:10:00Z")]
    );
    ok(&mut e, &runs[0].0, 1);
    let completed = e.execution(&runs[0].0).unwrap();
    assert_eq!(completed["status"], "completed");
    // production-ccs's ExecutionResult, the executor's value as its output.
    assert_eq!(completed["result"]["success"], true);
    assert_eq!(completed["result"]["output"], json!({ "ok": true }));
    assert_eq!(completed["result"]["metrics"]["duration"], 300_000);
    assert_eq!(completed["result"]["logs"], json!([]));
    // Nothing left as null: a queued execution has no start, end, error or result yet.
    let queued = e.execution(&runs[1].0).unwrap();
    for key in ["completionTime", "error", "result"] {
        assert!(queued.get(key).is_none(), "{key}");
    }
}

#[test]
fn event_order_for_one_execution() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "0 * * * *", json!({ "executionConfig": { "retryPolicy": { "maxAttempts": 2, "backoffStrategy": "fixed", "initialDelay": 1000, "maxDelay": 0, "multiplier": 1 } } }))).unwrap();
    e.take_json_messages();
    e.advance(3_600_000, false).unwrap();
    let msgs = e.take_json_messages();
    let id = msgs
        .iter()
        .find_map(|m| match m {
            JsonMessage::Execute(text) => Some(
                serde_json::from_str::<Value>(text).unwrap()["executionId"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ),
            _ => None,
        })
        .unwrap();
    fail(&mut e, &id, 1, "X");
    e.advance(1000, false).unwrap();
    ok(&mut e, &id, 2);
    assert_eq!(
        log(&mut e),
        [
            "retrying:2+1000",
            "workflow.started",
            "execute:s-a#2",
            "workflow.completed"
        ]
    );
}

#[test]
fn pause_resume_and_manual_trigger_while_paused() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "* * * * *", json!({}))).unwrap();
    e.pause("s-a", Some("maintenance".into())).unwrap();
    e.advance(5 * 60_000, false).unwrap();
    assert_eq!(log(&mut e), ["schedule.created", "schedule.paused"]);
    let id = e.trigger("s-a", json!({ "who": "ops" })).unwrap();
    assert_eq!(e.execution(&id).unwrap()["triggerType"], "manual");
    ok(&mut e, &id, 1);
    e.take_json_messages();
    e.resume("s-a").unwrap();
    e.advance(60_000, false).unwrap();
    let runs = executes(&mut e);
    assert_eq!(
        runs.iter().map(|r| r.2).collect::<Vec<_>>(),
        [ms("2026-01-01T00:06:00Z")]
    );
}

#[test]
fn disabled_schedule_records_each_fire_as_skipped() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "* * * * *", json!({}))).unwrap();
    e.set_enabled("s-a", false).unwrap();
    e.take_json_messages();
    e.advance(2 * 60_000, false).unwrap();
    assert_eq!(
        log(&mut e),
        [
            format!("skipped:disabled@{}", ms("2026-01-01T00:01:00Z")),
            format!("skipped:disabled@{}", ms("2026-01-01T00:02:00Z"))
        ]
    );
}

#[test]
fn a_schedule_without_a_handler_is_skipped_no_handler_and_refuses_manual_runs() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.set_executor(false);
    e.create(config("a", "*/10 * * * *", json!({}))).unwrap();
    e.take_json_messages();
    e.advance(10 * 60_000, false).unwrap();
    assert_eq!(
        log(&mut e),
        [format!("skipped:no_handler@{}", ms("2026-01-01T00:10:00Z"))]
    );
    // Late fires are all skipped for the same reason, whatever their catch-up policy.
    e.advance(25 * 60_000, true).unwrap();
    assert_eq!(
        log(&mut e),
        [
            format!("skipped:no_handler@{}", ms("2026-01-01T00:20:00Z")),
            format!("skipped:no_handler@{}", ms("2026-01-01T00:30:00Z")),
        ]
    );
    assert_eq!(
        e.trigger("s-a", Value::Null).unwrap_err().code(),
        "ERR_NO_HANDLER"
    );
    let (from, to) = (at("2026-01-01T00:00:00Z"), at("2026-01-01T00:30:00Z"));
    assert_eq!(
        e.backfill("s-a", from, to).unwrap_err().code(),
        "ERR_NO_HANDLER"
    );
    let health = e.schedule_health("s-a").unwrap();
    assert_eq!(health["status"], "warning");
    assert!(health["issues"][1]["message"]
        .as_str()
        .unwrap()
        .starts_with("no handler"));
    let text = e.prometheus(true);
    assert!(text.contains("tickflow_skipped_fires_total{schedule=\"s-a\",reason=\"no_handler\"} 3"));
    // Declared: it runs again, and its health has no such issue.
    e.set_handled("s-a", true);
    e.advance(10 * 60_000, false).unwrap();
    assert_eq!(
        log(&mut e),
        ["schedule.triggered", "workflow.started", "execute:s-a#1"]
    );
    assert!(e.schedule_health("s-a").unwrap()["issues"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["type"] != "configuration"));
}

fn overlap_run(policy: &str) -> (Engine, Vec<String>) {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config(
        "a",
        "* * * * *",
        json!({ "scheduleConfig": { "overlapPolicy": policy } }),
    ))
    .unwrap();
    e.take_json_messages();
    e.advance(3 * 60_000, false).unwrap(); // fires at :01, :02, :03; none finishes
    let l = log(&mut e);
    (e, l)
}

#[test]
fn overlap_skip_is_the_default() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "* * * * *", json!({}))).unwrap();
    e.take_json_messages();
    e.advance(2 * 60_000, false).unwrap();
    let l = log(&mut e);
    assert_eq!(l.iter().filter(|x| x.starts_with("execute")).count(), 1);
    assert_eq!(
        l.last().unwrap(),
        &format!("skipped:overlap@{}", ms("2026-01-01T00:02:00Z"))
    );
}

#[test]
fn overlap_allow_runs_side_by_side() {
    let (_, l) = overlap_run("allow");
    assert_eq!(l.iter().filter(|x| x.starts_with("execute")).count(), 3);
}

#[test]
fn overlap_buffer_one_keeps_one_waiting() {
    let (mut e, l) = overlap_run("bufferOne");
    assert_eq!(l.iter().filter(|x| x.starts_with("execute")).count(), 1);
    assert_eq!(
        l.iter()
            .filter(|x| x.starts_with("skipped:overlap"))
            .count(),
        1
    );
    let first = e.list_executions(&parse_filters(&Value::Null, "").unwrap());
    let id = first[0]["id"].as_str().unwrap().to_string();
    ok(&mut e, &id, 1);
    let runs = executes(&mut e);
    assert_eq!(
        runs.iter().map(|r| r.2).collect::<Vec<_>>(),
        [ms("2026-01-01T00:02:00Z")]
    );
}

#[test]
fn overlap_buffer_all_runs_each_in_turn() {
    let (mut e, l) = overlap_run("bufferAll");
    assert_eq!(l.iter().filter(|x| x.starts_with("execute")).count(), 1);
    let mut seen = vec![];
    let mut id = e.list_executions(&parse_filters(&Value::Null, "").unwrap())[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..2 {
        ok(&mut e, &id, 1);
        let runs = executes(&mut e);
        seen.push(runs[0].2);
        id = runs[0].0.clone();
    }
    assert_eq!(
        seen,
        [ms("2026-01-01T00:02:00Z"), ms("2026-01-01T00:03:00Z")]
    );
}

#[test]
fn overlap_cancel_other_aborts_the_running_one() {
    let (e, l) = overlap_run("cancelOther");
    assert_eq!(l.iter().filter(|x| x.starts_with("execute")).count(), 3);
    assert_eq!(l.iter().filter(|x| *x == "abort:cancelOther").count(), 2);
    assert_eq!(
        l.iter().filter(|x| *x == "cancelled:cancelOther").count(),
        2
    );
    assert_eq!(e.in_flight(), 1);
}

#[test]
fn catchup_once_runs_the_latest_and_skips_the_rest() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "*/10 * * * *", json!({}))).unwrap();
    e.take_json_messages();
    e.advance(35 * 60_000, true).unwrap(); // the host slept through :10, :20, :30
    assert_eq!(
        log(&mut e),
        [
            format!("skipped:misfire@{}", ms("2026-01-01T00:10:00Z")),
            format!("skipped:misfire@{}", ms("2026-01-01T00:20:00Z")),
            "schedule.triggered".to_string(),
            "workflow.started".to_string(),
            "execute:s-a#1".to_string(),
        ]
    );
    let list = e.list_executions(&parse_filters(&Value::Null, "").unwrap());
    assert_eq!(list[0]["triggerType"], "catchup");
    assert_eq!(
        list[0]["scheduledTime"]["$date"],
        ms("2026-01-01T00:30:00Z")
    );
    // The next fire is on time again.
    e.advance(5 * 60_000, false).unwrap();
    assert!(log(&mut e).contains(&format!("skipped:overlap@{}", ms("2026-01-01T00:40:00Z"))));
}

#[test]
fn catchup_skip_and_all_with_window_and_max_runs() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 100);
    e.create(config(
        "skip",
        "*/10 * * * *",
        json!({ "scheduleConfig": { "catchup": { "policy": "skip" } } }),
    ))
    .unwrap();
    e.create(config("all", "*/10 * * * *", json!({ "scheduleConfig": { "overlapPolicy": "allow", "catchup": { "policy": "all", "windowMs": 1_500_000, "maxRuns": 2 } } }))).unwrap();
    e.take_json_messages();
    e.advance(55 * 60_000, true).unwrap();
    let l = log(&mut e);
    let skipped_skip = l
        .iter()
        .filter(|x| x.starts_with("skipped:misfire"))
        .count();
    // skip: 5 dropped; all: window 25 min keeps :30, :40, :50, maxRuns 2 keeps :40, :50.
    assert_eq!(skipped_skip, 5 + 3);
    let runs: Vec<i64> = e
        .list_executions(
            &parse_filters(&json!({ "scheduleId": "s-all", "sortOrder": "asc" }), "").unwrap(),
        )
        .iter()
        .map(|x| x["scheduledTime"]["$date"].as_i64().unwrap())
        .collect();
    assert_eq!(
        runs,
        [ms("2026-01-01T00:40:00Z"), ms("2026-01-01T00:50:00Z")]
    );
}

#[test]
fn catchup_all_runs_each_missed_occurrence_in_turn_under_the_default_overlap_policy() {
    let mut e = engine_at("2026-01-01T00:00:30Z", 10);
    // overlapPolicy left out: 'skip', which would drop the second of two runs at once.
    e.create(config(
        "all",
        "0 * * * *",
        json!({ "scheduleConfig": { "catchup": { "policy": "all", "maxRuns": 3 } } }),
    ))
    .unwrap();
    e.take_json_messages();
    e.advance(10 * 3_600_000, true).unwrap(); // the host slept from 00:00:30 to 10:00:30
    let mut ran = Vec::new();
    for _ in 0..3 {
        let started = executes(&mut e);
        assert_eq!(started.len(), 1, "one at a time");
        let (id, attempt, scheduled) = started[0].clone();
        assert_eq!(e.execution(&id).unwrap()["triggerType"], "catchup");
        // What waits its turn is stored as a catch-up run too.
        let s = e.schedule("s-all").unwrap();
        let text = super::state_record::state_text(s);
        let state = super::state_record::StoredState::parse(&text).unwrap();
        let read =
            super::state_record::schedule_from_state(s.spec.clone(), s.config.clone(), state)
                .unwrap();
        assert_eq!(read.rt().buffered, s.rt().buffered);
        ran.push(scheduled);
        ok(&mut e, &id, attempt);
    }
    assert_eq!(
        ran,
        [
            ms("2026-01-01T08:00:00Z"),
            ms("2026-01-01T09:00:00Z"),
            ms("2026-01-01T10:00:00Z")
        ]
    );
    assert!(executes(&mut e).is_empty());
}

#[test]
fn retries_back_off_then_fail_and_respect_retryable_errors() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "0 0 1 1 *", json!({ "executionConfig": { "retryPolicy": {
        "maxAttempts": 3, "backoffStrategy": "exponential", "initialDelay": 1000, "maxDelay": 1500, "multiplier": 2,
        "retryableErrors": ["FLAKY"] } } }))).unwrap();
    let id = e.trigger("s-a", Value::Null).unwrap();
    e.take_json_messages();
    fail(&mut e, &id, 1, "FLAKY");
    e.advance(1000, false).unwrap();
    fail(&mut e, &id, 2, "FLAKY");
    e.advance(1500, false).unwrap();
    fail(&mut e, &id, 3, "FLAKY");
    let l = log(&mut e);
    assert_eq!(
        l.iter()
            .filter(|x| x.starts_with("retrying"))
            .collect::<Vec<_>>(),
        ["retrying:2+1000", "retrying:3+1500"]
    );
    assert_eq!(l.last().unwrap(), "failed:failed");
    let rec = e.execution(&id).unwrap();
    assert_eq!(rec["attempts"].as_array().unwrap().len(), 3);
    assert_eq!(rec["error"]["code"], "FLAKY");
    // A code outside retryableErrors fails at once.
    let id2 = e.trigger("s-a", Value::Null).unwrap();
    e.take_json_messages();
    fail(&mut e, &id2, 1, "FATAL");
    assert_eq!(log(&mut e), ["failed:failed"]);
    assert_eq!(e.execution(&id2).unwrap()["error"]["retryable"], false);
}

#[test]
fn schedule_retry_policy_shape_and_precedence() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "0 0 1 1 *", json!({ "scheduleConfig": { "retryPolicy": {
        "enabled": true, "maxRetries": 1, "retryDelay": 250, "backoffStrategy": "linear", "retryableErrors": [] } } }))).unwrap();
    let id = e.trigger("s-a", Value::Null).unwrap();
    e.take_json_messages();
    fail(&mut e, &id, 1, "ANY");
    assert_eq!(log(&mut e), ["retrying:2+250"]);
    // executionConfig.retryPolicy wins when both are given.
    e.update("a", json!({ "executionConfig": { "retryPolicy": { "maxAttempts": 1, "backoffStrategy": "fixed", "initialDelay": 5, "maxDelay": 0, "multiplier": 1 } } })).unwrap();
    let id2 = e.trigger("s-a", Value::Null).unwrap();
    e.take_json_messages();
    fail(&mut e, &id2, 1, "ANY");
    assert_eq!(log(&mut e), ["failed:failed"]);
}

#[test]
fn timeout_aborts_the_attempt_and_late_answers_are_recorded_not_applied() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config(
        "a",
        "0 0 1 1 *",
        json!({ "executionConfig": { "timeout": 5000 } }),
    ))
    .unwrap();
    let id = e.trigger("s-a", Value::Null).unwrap();
    e.take_json_messages();
    e.advance(5000, false).unwrap();
    assert_eq!(
        log(&mut e),
        ["workflow.timeout", "abort:timeout", "failed:timeout"]
    );
    e.advance(300, false).unwrap();
    let late = Outcome::Failed {
        code: "TIMEOUT".into(),
        message: "the workflow executor's run exec-1 was cancelled".into(),
        stack: None,
    };
    assert!(!e.complete(&id, 1, late));
    // Recorded on the attempt (once), applied to nothing.
    assert!(!e.complete(&id, 1, Outcome::Completed(json!(1))));
    let rec = e.execution(&id).unwrap();
    assert_eq!(rec["status"], "timeout");
    assert_eq!(rec["error"]["code"], "TIMEOUT");
    assert_eq!(
        rec["attempts"][0]["lateOutcome"],
        json!({ "completed": false, "code": "TIMEOUT", "message": "the workflow executor's run exec-1 was cancelled", "receivedAt": { "$date": ms("2026-01-01T00:00:05.300Z") } })
    );
    assert_eq!(e.in_flight(), 0);
}

#[test]
fn concurrency_limit_and_priority_order() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 1);
    e.create(config(
        "low",
        "0 0 1 1 *",
        json!({ "executionConfig": { "priority": "low" } }),
    ))
    .unwrap();
    e.create(config(
        "high",
        "0 0 1 1 *",
        json!({ "executionConfig": { "priority": "high" } }),
    ))
    .unwrap();
    let first = e.trigger("s-low", Value::Null).unwrap();
    e.trigger("s-low", Value::Null).unwrap();
    e.trigger("s-high", Value::Null).unwrap();
    let started = executes(&mut e);
    assert_eq!(started.len(), 1);
    ok(&mut e, &first, 1);
    let next = executes(&mut e);
    assert_eq!(e.execution(&next[0].0).unwrap()["scheduleId"], "s-high");
    assert_eq!(e.in_flight(), 1);
}

#[test]
fn max_executions_and_end_date_expire_the_schedule() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config(
        "a",
        "* * * * *",
        json!({ "scheduleConfig": { "maxExecutions": 2, "overlapPolicy": "allow" } }),
    ))
    .unwrap();
    e.create(config("b", "* * * * *", json!({ "scheduleConfig": { "endDate": { "$date": ms("2026-01-01T00:01:30Z") }, "overlapPolicy": "allow" } }))).unwrap();
    e.take_json_messages();
    e.advance(5 * 60_000, false).unwrap();
    let l = log(&mut e);
    assert_eq!(l.iter().filter(|x| *x == "schedule.expired").count(), 2);
    assert_eq!(e.schedule_status("s-a").unwrap()["status"], "expired");
    assert_eq!(
        e.list_executions(&parse_filters(&json!({ "scheduleId": "s-a" }), "").unwrap())
            .len(),
        2
    );
    assert_eq!(
        e.list_executions(&parse_filters(&json!({ "scheduleId": "s-b" }), "").unwrap())
            .len(),
        1
    );
}

#[test]
fn start_date_and_next_times() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "0 12 * * *", json!({ "scheduleConfig": { "startDate": { "$date": ms("2026-01-03T00:00:00Z") }, "timezone": "Europe/Berlin" } }))).unwrap();
    let times: Vec<i64> = e
        .next_times("s-a", 2)
        .unwrap()
        .iter()
        .map(|d| d.timestamp_millis())
        .collect();
    assert_eq!(
        times,
        [ms("2026-01-03T11:00:00Z"), ms("2026-01-04T11:00:00Z")]
    );
}

#[test]
fn backfill_runs_each_occurrence_in_range() {
    let mut e = engine_at("2026-01-10T00:00:00Z", 2);
    e.create(config("a", "0 0 * * *", json!({}))).unwrap();
    let ids = e
        .backfill(
            "s-a",
            at("2026-01-01T00:00:00Z"),
            at("2026-01-04T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(ids.len(), 3);
    let started = executes(&mut e);
    assert_eq!(
        started.iter().map(|r| r.2).collect::<Vec<_>>(),
        [ms("2026-01-01T00:00:00Z"), ms("2026-01-02T00:00:00Z")]
    );
    assert_eq!(e.execution(&ids[2]).unwrap()["status"], "queued");
    assert_eq!(e.execution(&ids[0]).unwrap()["triggerType"], "backfill");
}

#[test]
fn backfill_refuses_a_range_reaching_past_now_or_backwards() {
    let mut e = engine_at("2026-01-10T12:00:00Z", 2);
    e.create(config("a", "0 * * * *", json!({}))).unwrap();
    // 13:00 and 14:00 are the schedule's own fires to come: not run twice.
    let future = e
        .backfill(
            "s-a",
            at("2026-01-10T11:00:00Z"),
            at("2026-01-10T15:00:00Z"),
        )
        .unwrap_err();
    let backwards = e
        .backfill(
            "s-a",
            at("2026-01-10T11:00:00Z"),
            at("2026-01-10T10:00:00Z"),
        )
        .unwrap_err();
    for err in [future, backwards] {
        let EngineError::Field(f) = err else {
            panic!("a field error")
        };
        assert_eq!((f.code, f.path.as_str()), ("ERR_OUT_OF_RANGE", "to"));
    }
    // A `to` a little after now (a caller's clock ahead of the engine's) ends at now.
    let ids = e
        .backfill(
            "s-a",
            at("2026-01-10T09:30:00Z"),
            at("2026-01-10T12:00:00.500Z"),
        )
        .unwrap();
    assert_eq!(ids.len(), 2, "10:00 and 11:00; 12:00 is the schedule's own");
    // Up to now exactly: the occurrence at now is the schedule's own.
    let ids = e
        .backfill(
            "s-a",
            at("2026-01-10T10:00:00Z"),
            at("2026-01-10T12:00:00Z"),
        )
        .unwrap();
    assert_eq!(ids.len(), 2);
}

#[test]
fn cancel_and_retry_execution() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "0 0 1 1 *", json!({}))).unwrap();
    let id = e.trigger("s-a", json!({ "k": 1 })).unwrap();
    e.take_json_messages();
    e.cancel(&id).unwrap();
    assert_eq!(log(&mut e), ["abort:cancelled", "cancelled:cancelled"]);
    assert_eq!(e.cancel(&id).unwrap_err().code(), "ERR_EXECUTION_FINISHED");
    let again = e.retry_execution(&id).unwrap();
    let rec = e.execution(&again).unwrap();
    assert_eq!(rec["triggerType"], "retry");
    assert_eq!(rec["retryOf"], json!(id));
    assert_eq!(
        rec["context"],
        json!({ "triggeredBy": "retry", "triggerData": { "k": 1 }, "environment": "production", "metadata": {} })
    );
    assert_eq!(
        e.retry_execution(&again).unwrap_err().code(),
        "ERR_EXECUTION_NOT_FINISHED"
    );
}

#[test]
fn errors_carry_codes_and_paths() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    let err = e.create(config("a", "* * * * 8", json!({}))).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_CRON");
    assert!(err.to_string().starts_with(
        "config.scheduleConfig.cronExpression: invalid cron pattern: day-of-week: '8'"
    ));
    let err = e
        .create(config(
            "a",
            "* * * * *",
            json!({ "scheduleConfig": { "retryPolicy": { "maxRetries": -1 } } }),
        ))
        .unwrap_err();
    assert_eq!(err.to_string(), "config.scheduleConfig.retryPolicy.maxRetries: expected a whole number from 0 to 999, got -1");
    let err = e
        .create(config(
            "a",
            "* * * * *",
            json!({ "scheduleConfig": { "overlap": "skip" } }),
        ))
        .unwrap_err();
    assert_eq!(err.code(), "ERR_UNKNOWN_OPTION");
    e.create(config("a", "* * * * *", json!({}))).unwrap();
    assert_eq!(
        e.create(config("a", "* * * * *", json!({})))
            .unwrap_err()
            .code(),
        "ERR_DUPLICATE_ID"
    );
    assert_eq!(e.pause("nope", None).unwrap_err().code(), "ERR_NOT_FOUND");
    let err = e.update("a", json!({ "scheduleId": "other" })).unwrap_err();
    assert_eq!(err.code(), "ERR_IMMUTABLE_FIELD");
    assert_eq!(
        err.to_string(),
        "updates.scheduleId: the scheduleId of a scheduled workflow cannot change"
    );
    // Giving the same id back is not a change.
    e.update("a", json!({ "id": "a", "name": "renamed" }))
        .unwrap();
    e.begin_stop();
    e.finish_stop();
    assert_eq!(
        e.trigger("s-a", Value::Null).unwrap_err().code(),
        "ERR_INVALID_STATE"
    );
}

#[test]
fn stop_cancels_waiting_work_and_start_again_catches_up() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 1);
    e.create(config(
        "a",
        "*/10 * * * *",
        json!({ "scheduleConfig": { "overlapPolicy": "allow" } }),
    ))
    .unwrap();
    let running = e.trigger("s-a", Value::Null).unwrap();
    let queued = e.trigger("s-a", Value::Null).unwrap();
    e.take_json_messages();
    e.begin_stop();
    assert_eq!(e.execution(&queued).unwrap()["status"], "cancelled");
    assert_eq!(e.execution(&running).unwrap()["status"], "running");
    e.abort_running();
    e.finish_stop();
    // The run that was still going is aborted, not over: it waits for the next start.
    let r = e.execution(&running).unwrap();
    assert_eq!(r["status"], "queued");
    assert_eq!(r["attempts"][0]["error"]["code"], INTERRUPTED);
    assert_eq!(r["attempts"][0]["counted"], false);
    assert_eq!(e.in_flight(), 0);
    assert_eq!(
        log(&mut e),
        ["cancelled:stop", "abort:stop", "integration.stopped"]
    );
    // While stopped, :10 and :20 pass; start() treats them as late fires (catchup once).
    e.advance(25 * 60_000, true).unwrap();
    e.start().unwrap();
    let l = log(&mut e);
    assert!(l.contains(&format!("skipped:misfire@{}", ms("2026-01-01T00:10:00Z"))));
    // The interrupted run takes the one slot first (it waited longest); the catch-up fire
    // waits behind it.
    let executes: Vec<_> = l.iter().filter(|m| m.starts_with("execute:")).collect();
    assert_eq!(executes, ["execute:s-a#2"]);
    assert!(l.contains(&"schedule.triggered".to_string()));
}

#[test]
fn stop_resumes_a_run_at_the_next_start_without_counting_it() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "0 0 1 1 *", json!({}))).unwrap();
    e.create(config(
        "f",
        "0 0 1 1 *",
        json!({ "scheduleConfig": { "onInterrupt": "fail" } }),
    ))
    .unwrap();
    let resumed = e.trigger("s-a", Value::Null).unwrap();
    let failing = e.trigger("s-f", Value::Null).unwrap();
    e.take_json_messages();
    e.begin_stop();
    e.abort_running();
    e.finish_stop();
    // onInterrupt 'fail': cancelled for good, as a stop always did.
    assert_eq!(e.execution(&failing).unwrap()["cancelReason"], "stop");
    e.take_json_messages();
    e.start().unwrap();
    let requests: Vec<Value> = e
        .take_json_messages()
        .into_iter()
        .filter_map(|m| match m {
            JsonMessage::Execute(t) => Some(serde_json::from_str(&t).unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["executionId"], json!(resumed));
    assert_eq!(requests[0]["resumed"], true);
    assert_eq!(requests[0]["attempt"], 2);
    // The interrupted attempt's executor answers late: recorded on it, not taken for the
    // resumed one.
    assert!(!e.complete(&resumed, 1, Outcome::Completed(json!("late"))));
    assert_eq!(e.execution(&resumed).unwrap()["status"], "running");
    // maxAttempts is 1, and the resumed attempt is that one: its failure is final.
    let failure = Outcome::Failed {
        code: "BOOM".into(),
        message: "boom".into(),
        stack: None,
    };
    assert!(e.complete(&resumed, 2, failure));
    let r = e.execution(&resumed).unwrap();
    assert_eq!(r["status"], "failed");
    assert_eq!(r["attempts"][0]["lateOutcome"]["completed"], true);
    assert_eq!(r["attempts"][1]["resumed"], true);
    assert_eq!(log(&mut e), ["failed:failed"]);
}

#[test]
fn on_interrupt_takes_resume_or_fail_only() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    let err = e
        .create(config(
            "a",
            "0 0 1 1 *",
            json!({ "scheduleConfig": { "onInterrupt": "retry" } }),
        ))
        .unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_OPTION_VALUE");
    assert!(
        err.to_string()
            .contains("config.scheduleConfig.onInterrupt"),
        "{err}"
    );
}

#[test]
fn daylight_saving_fire_times() {
    let mut e = engine_at("2026-03-07T12:00:00Z", 10);
    e.create(config(
        "a",
        "30 2 * * *",
        json!({ "scheduleConfig": { "timezone": "America/New_York", "overlapPolicy": "allow" } }),
    ))
    .unwrap();
    e.create(config("b", "30 2 * * *", json!({ "scheduleConfig": { "timezone": "America/New_York", "dstGap": "skip", "overlapPolicy": "allow" } }))).unwrap();
    e.take_json_messages();
    e.advance(2 * 86_400_000, false).unwrap();
    let a: Vec<i64> = e
        .list_executions(
            &parse_filters(&json!({ "scheduleId": "s-a", "sortOrder": "asc" }), "").unwrap(),
        )
        .iter()
        .map(|x| x["scheduledTime"]["$date"].as_i64().unwrap())
        .collect();
    let b: Vec<i64> = e
        .list_executions(
            &parse_filters(&json!({ "scheduleId": "s-b", "sortOrder": "asc" }), "").unwrap(),
        )
        .iter()
        .map(|x| x["scheduledTime"]["$date"].as_i64().unwrap())
        .collect();
    assert_eq!(a, [ms("2026-03-08T07:00:00Z"), ms("2026-03-09T06:30:00Z")]);
    assert_eq!(b, [ms("2026-03-09T06:30:00Z")]);
    // The fire that 'skip' drops is recorded, at the instant 'shift' would have run it.
    let skipped: Vec<String> = log(&mut e)
        .into_iter()
        .filter(|l| l.starts_with("skipped"))
        .collect();
    assert_eq!(
        skipped,
        [format!("skipped:dst@{}", ms("2026-03-08T07:00:00Z"))]
    );
}

#[test]
fn repeating_schedules_run_at_regular_times_across_a_spring_forward_gap() {
    // @hourly in Lord Howe (02:00-02:30 missing on 2026-10-04) and a minute-58 pattern in
    // New York (02:00-03:00 missing on 2026-03-08): no extra run at the end of the gap,
    // under either dstGap, and nothing recorded as skipped (there was no occurrence).
    let cases = [
        (
            "@hourly",
            "Australia/Lord_Howe",
            "2026-10-03T14:45:00Z",
            [
                "2026-10-03T16:00:00Z",
                "2026-10-03T17:00:00Z",
                "2026-10-03T18:00:00Z",
            ],
        ),
        (
            "58 * 1 * 0-5",
            "America/New_York",
            "2026-03-08T05:30:00Z",
            [
                "2026-03-08T05:58:00Z",
                "2026-03-08T06:58:00Z",
                "2026-03-08T07:58:00Z",
            ],
        ),
    ];
    for (pattern, zone, start, want) in cases {
        for gap in ["shift", "skip"] {
            let mut e = engine_at(start, 10);
            e.create(config(
                "a",
                pattern,
                json!({ "scheduleConfig": { "timezone": zone, "dstGap": gap, "overlapPolicy": "allow" } }),
            ))
            .unwrap();
            e.take_json_messages();
            let end = at(want[2]) - at(start);
            e.advance(end.num_milliseconds() as u64, false).unwrap();
            let fired: Vec<i64> = e
                .list_executions(
                    &parse_filters(&json!({ "scheduleId": "s-a", "sortOrder": "asc" }), "")
                        .unwrap(),
                )
                .iter()
                .map(|x| x["scheduledTime"]["$date"].as_i64().unwrap())
                .collect();
            let want_ms: Vec<i64> = want.iter().map(|w| ms(w)).collect();
            assert_eq!(fired, want_ms, "{pattern} {zone} dstGap {gap}");
            assert!(
                !log(&mut e).iter().any(|l| l.starts_with("skipped")),
                "{pattern} {gap}"
            );
        }
    }
}

#[test]
fn upsert_creates_updates_or_leaves_alone_and_keeps_history() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    let mut c = config("a", "*/10 * * * *", json!({}));
    c.as_object_mut().unwrap().remove("scheduleId");
    assert_eq!(e.upsert(c.clone()).unwrap(), Upsert::Created);
    // One id for one job: the schedule id is the config id.
    assert_eq!(e.config("a").unwrap()["scheduleId"], "a");
    e.advance(20 * 60_000, false).unwrap();
    e.take_json_messages();
    assert_eq!(e.upsert(c.clone()).unwrap(), Upsert::Unchanged);
    assert!(
        e.take_json_messages().is_empty(),
        "an unchanged declaration emits nothing"
    );
    // A changed pattern re-arms from now; the earlier run (:10; :20 was skipped, as :10 is
    // still running) stays in the history.
    c["scheduleConfig"]["cronExpression"] = json!("*/7 * * * *");
    assert_eq!(e.upsert(c.clone()).unwrap(), Upsert::Updated);
    assert_eq!(e.next_times("a", 1).unwrap(), [at("2026-01-01T00:21:00Z")]);
    assert_eq!(
        e.history("a", &mut parse_filters(&json!({}), "").unwrap())
            .unwrap()["totalCount"],
        1
    );
    // Upsert replaces the whole config: a field left out is gone, not merged.
    c["description"] = json!("the a job");
    assert_eq!(e.upsert(c.clone()).unwrap(), Upsert::Updated);
    assert_eq!(e.config("a").unwrap()["description"], "the a job");
    c.as_object_mut().unwrap().remove("description");
    assert_eq!(e.upsert(c.clone()).unwrap(), Upsert::Updated);
    assert_eq!(e.config("a").unwrap().get("description"), None);
    // The schedule id cannot move under an existing workflow.
    c["scheduleId"] = json!("other");
    let err = e.upsert(c).unwrap_err();
    assert_eq!(err.code(), "ERR_IMMUTABLE_FIELD");
}

#[test]
fn sync_checks_everything_first_then_applies_in_one_go() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("keep", "0 * * * *", json!({}))).unwrap();
    e.create(config("drop", "0 * * * *", json!({}))).unwrap();
    e.create(config("change", "0 * * * *", json!({}))).unwrap();
    let list = vec![
        config("keep", "0 * * * *", json!({})),
        config("change", "30 * * * *", json!({})),
        config("new", "15 * * * *", json!({})),
    ];
    // A bad entry refuses the whole list, naming its index, and changes nothing.
    let mut bad = list.clone();
    bad.push(config("broken", "nope", json!({})));
    let err = e.sync(bad, true).unwrap_err();
    let EngineError::Field(f) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(f.path, "configs[3].scheduleConfig.cronExpression");
    assert!(e.config("drop").is_some() && e.config("new").is_none());
    let mut twice = list.clone();
    twice.push(config("keep", "0 * * * *", json!({})));
    let err = e.sync(twice, false).unwrap_err();
    assert_eq!(err.code(), "ERR_DUPLICATE_ID");
    assert!(err.to_string().contains("also configs[0].id"), "{err}");

    let done = e.sync(list.clone(), true).unwrap();
    assert_eq!(
        done,
        Synced {
            created: vec!["new".into()],
            updated: vec!["change".into()],
            unchanged: vec!["keep".into()],
            deleted: vec!["drop".into()],
        }
    );
    assert_eq!(e.schedule_count(), 3);
    // Again: nothing to do.
    let again = e.sync(list, false).unwrap();
    assert_eq!(again.unchanged.len(), 3);
    assert!(again.created.is_empty() && again.updated.is_empty() && again.deleted.is_empty());
}

#[test]
fn a_config_id_given_for_a_schedule_id_is_named_in_the_error() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("job", "0 * * * *", json!({}))).unwrap();
    let err = e.pause("job", None).unwrap_err();
    assert_eq!(err.code(), "ERR_NOT_FOUND");
    assert_eq!(
        err.to_string(),
        "schedule 'job' not found; 'job' is a scheduled workflow's id (config.id), and its schedule id is 's-job'"
    );
    let err = e.delete("s-job").unwrap_err();
    assert_eq!(
        err.to_string(),
        "scheduled workflow 's-job' not found; 's-job' is a schedule id (config.scheduleId), and its scheduled workflow's id is 'job'"
    );
    assert_eq!(
        e.pause("nothing", None).unwrap_err().to_string(),
        "schedule 'nothing' not found"
    );
}

#[test]
fn history_and_metrics() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config("a", "0 0 1 1 *", json!({}))).unwrap();
    for i in 0..4 {
        let id = e.trigger("s-a", Value::Null).unwrap();
        e.advance(100 * (i + 1), false).unwrap();
        if i == 3 {
            fail(&mut e, &id, 1, "X");
        } else {
            ok(&mut e, &id, 1);
        }
    }
    let h = e
        .history(
            "s-a",
            &mut parse_filters(&json!({ "limit": 2 }), "").unwrap(),
        )
        .unwrap();
    assert_eq!(h["totalCount"], 4);
    assert_eq!(h["successCount"], 3);
    assert_eq!(h["failureCount"], 1);
    // The failed run's 400 ms counts too: an average of successes alone hides failures.
    assert_eq!(h["averageDuration"], 250.0);
    assert_eq!(h["executions"].as_array().unwrap().len(), 2);
    let m = e.schedule_metrics("s-a").unwrap();
    assert_eq!(m["successRate"], 0.75);
    assert_eq!(m["p95ExecutionTime"], 400.0);
    assert_eq!(e.schedule_health("s-a").unwrap()["status"], "warning");
    let sys = e.system_metrics();
    assert_eq!(sys["totalSchedules"], 1);
    assert_eq!(sys["totalExecutions"], 4);
}

#[test]
fn a_backward_clock_jump_never_fires_an_occurrence_twice() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config(
        "a",
        "* * * * *",
        json!({ "scheduleConfig": { "overlapPolicy": "allow" } }),
    ))
    .unwrap();
    e.take_json_messages();
    e.advance(150_000, false).unwrap(); // :01 and :02 fire
    assert_eq!(executes(&mut e).len(), 2);
    // The wall clock steps back two minutes (an NTP correction), then runs forward again.
    e.now = at("2026-01-01T00:00:30Z");
    e.process_due(at("2026-01-01T00:00:30Z"));
    e.advance(150_000, false).unwrap(); // back to 00:03:00
    let again: Vec<i64> = executes(&mut e).iter().map(|r| r.2).collect();
    assert_eq!(again, [ms("2026-01-01T00:03:00Z")]);
}

#[test]
fn retry_jitter_takes_at_most_its_share_off_each_delay() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 100);
    e.create(config("a", "0 0 1 1 *", json!({ "executionConfig": { "retryPolicy": {
        "maxAttempts": 2, "backoffStrategy": "fixed", "initialDelay": 10000, "maxDelay": 0, "multiplier": 1, "jitter": 0.5 } } }))).unwrap();
    let mut delays = Vec::new();
    for _ in 0..50 {
        let id = e.trigger("s-a", Value::Null).unwrap();
        e.take_json_messages();
        fail(&mut e, &id, 1, "X");
        for m in e.take_json_messages() {
            if let JsonMessage::Event(text) = m {
                let v: Value = serde_json::from_str(&text).unwrap();
                if v["type"] == "workflow.retrying" {
                    delays.push(v["delayMs"].as_u64().unwrap());
                }
            }
        }
    }
    assert_eq!(delays.len(), 50);
    assert!(
        delays.iter().all(|d| (5000..=10000).contains(d)),
        "{delays:?}"
    );
    assert!(
        delays
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
            > 10
    );
}

#[test]
fn an_attempt_failing_while_stopping_ends_cancelled_not_waiting_for_a_retry() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config(
        "r",
        "0 0 1 1 *",
        json!({ "executionConfig": { "retryPolicy": { "maxAttempts": 3, "backoffStrategy": "fixed", "initialDelay": 1000 } } }),
    ))
    .unwrap();
    let id = e.trigger("s-r", Value::Null).unwrap();
    e.take_json_messages();
    e.begin_stop();
    // The running attempt fails inside the stop's grace period.
    e.complete(
        &id,
        1,
        Outcome::Failed {
            code: "BOOM".into(),
            message: "boom".into(),
            stack: None,
        },
    );
    let messages = log(&mut e);
    assert_eq!(messages, vec!["cancelled:stop"]);
    let x = e.execution(&id).unwrap();
    assert_eq!(x["status"], "cancelled");
    assert_eq!(x["attempts"][0]["error"]["code"], "BOOM");
}

#[test]
fn timeouts_still_bound_attempts_during_the_stop_grace_period() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config(
        "t",
        "0 0 1 1 *",
        json!({ "executionConfig": { "timeout": 500 } }),
    ))
    .unwrap();
    let id = e.trigger("s-t", Value::Null).unwrap();
    e.take_json_messages();
    e.begin_stop();
    e.advance(600, false).unwrap();
    let messages = log(&mut e);
    assert_eq!(
        messages,
        vec!["workflow.timeout", "abort:timeout", "failed:timeout"]
    );
    assert_eq!(e.execution(&id).unwrap()["status"], "timeout");
    assert_eq!(e.in_flight(), 0);
}

#[test]
fn prometheus_series_count_fires_skips_outcomes_retries_and_times() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    e.create(config(
        "a",
        "* * * * *",
        json!({ "executionConfig": { "retryPolicy": { "maxAttempts": 2, "initialDelay": 1000 } } }),
    ))
    .unwrap();
    e.create(config("b\"x", "0 0 1 1 *", json!({}))).unwrap();
    e.pause("s-b\"x", None).unwrap();
    e.take_json_messages();
    // 00:01 fires; its first attempt fails and is retried; 00:02 is skipped (overlap); the
    // retry completes after 1.5 s more.
    e.advance(60_000, false).unwrap();
    let first = e.list_executions(&parse_filters(&json!({}), "").unwrap())[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    e.advance(500, false).unwrap();
    fail(&mut e, &first, 1, "FLAKY");
    e.advance(61_000, false).unwrap();
    ok(&mut e, &first, 2);
    let text = e.prometheus(true);
    let value = |series: &str| -> String {
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))[series.len() + 1..]
            .to_string()
    };
    assert_eq!(value("tickflow_fires_total{schedule=\"s-a\"}"), "1");
    assert_eq!(
        value("tickflow_skipped_fires_total{schedule=\"s-a\",reason=\"overlap\"}"),
        "1"
    );
    assert_eq!(
        value("tickflow_executions_total{schedule=\"s-a\",outcome=\"completed\"}"),
        "1"
    );
    assert_eq!(
        value("tickflow_executions_total{schedule=\"s-a\",outcome=\"failed\"}"),
        "0"
    );
    assert_eq!(value("tickflow_retries_total{schedule=\"s-a\"}"), "1");
    // First start 00:01:00, end 00:02:01.5: 61.5 s, in the 300 s bucket and not the 60 s one.
    assert_eq!(
        value("tickflow_execution_duration_seconds_bucket{schedule=\"s-a\",le=\"60\"}"),
        "0"
    );
    assert_eq!(
        value("tickflow_execution_duration_seconds_bucket{schedule=\"s-a\",le=\"300\"}"),
        "1"
    );
    assert_eq!(
        value("tickflow_execution_duration_seconds_sum{schedule=\"s-a\"}"),
        "61.5"
    );
    assert_eq!(
        value("tickflow_execution_duration_seconds_count{schedule=\"s-a\"}"),
        "1"
    );
    assert_eq!(
        value("tickflow_trigger_lateness_seconds_bucket{schedule=\"s-a\",le=\"0.001\"}"),
        "1"
    );
    assert_eq!(
        value("tickflow_schedule_paused{schedule=\"s-b\\\"x\"}"),
        "1"
    );
    assert_eq!(value("tickflow_schedule_paused{schedule=\"s-a\"}"), "0");
    assert_eq!(
        value("tickflow_schedule_last_success_timestamp_seconds{schedule=\"s-a\"}"),
        format!("{}", ms("2026-01-01T00:02:01.500Z") as f64 / 1000.0)
    );
    assert_eq!(
        value("tickflow_schedule_next_fire_timestamp_seconds{schedule=\"s-a\"}"),
        format!("{}", ms("2026-01-01T00:03:00Z") / 1000)
    );
    assert_eq!(value("tickflow_schedules"), "2");
    // Every series has one HELP and one TYPE, and counters alone end in _total.
    for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(
            parts[3] == "counter",
            parts[2].ends_with("_total"),
            "{line}"
        );
    }
    // Without the schedule label: summed, and no per-schedule timestamps.
    let summed = e.prometheus(false);
    assert!(summed.contains("\ntickflow_fires_total 1\n"), "{summed}");
    assert!(
        summed.contains("\ntickflow_schedule_paused 1\n"),
        "{summed}"
    );
    assert!(!summed.contains("schedule=") && !summed.contains("last_success"));
}

#[test]
fn execution_ids_differ_across_fresh_engines_and_grow_with_creation() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut e = engine_at("2026-01-01T00:00:00Z", 10);
        e.create(config("a", "* * * * *", json!({}))).unwrap();
        let mine: Vec<String> = (0..50)
            .map(|_| e.trigger("s-a", Value::Null).unwrap())
            .collect();
        let mut sorted = mine.clone();
        sorted.sort();
        assert_eq!(sorted, mine, "ids sort in creation order");
        assert!(mine
            .iter()
            .all(|id| id.starts_with("exec_") && id.len() == 5 + 23));
        ids.extend(mine);
    }
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
}

#[test]
fn iso_string_dates_in_a_config_are_kept_as_dates() {
    let mut e = engine_at("2026-01-01T00:00:00Z", 10);
    let with = |start: Value| {
        config(
            "a",
            "0 * * * *",
            json!({ "scheduleConfig": { "startDate": start } }),
        )
    };
    e.create(with(json!("2026-01-01T03:30:00+01:00"))).unwrap();
    let stored = e.schedule("s-a").unwrap().config_value();
    assert_eq!(
        stored["scheduleConfig"]["startDate"],
        json!({ "$date": ms("2026-01-01T02:30:00Z") })
    );
    // The same instant as a Date is the same configuration.
    let same = e
        .upsert(with(json!({ "$date": ms("2026-01-01T02:30:00Z") })))
        .unwrap();
    assert_eq!(same, Upsert::Unchanged);
    e.update(
        "a",
        json!({ "scheduleConfig": { "endDate": "2026-01-02T00:00:00Z" } }),
    )
    .unwrap();
    let stored = e.schedule("s-a").unwrap().config_value();
    assert_eq!(
        stored["scheduleConfig"]["endDate"],
        json!({ "$date": ms("2026-01-02T00:00:00Z") })
    );
    assert_eq!(
        e.next_times("s-a", 1).unwrap(),
        vec![at("2026-01-01T03:00:00Z")]
    );
}
