//! The engine on a durable store: state survives a crash (the engine dropped without
//! stopping), and recovery follows the catch-up and retry rules.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::own_store::Durable;
use super::tests::{at, config, log};
use super::*;
use crate::store::tests::TempDir;
use crate::store::{Changes, Snapshot, SqliteOptions, SqliteStore, Store, StoreError, Synchronous};

/// The SQLite store at `path`, read-write or read-only.
fn sqlite(path: &str, readonly: bool) -> SqliteStore {
    SqliteStore::open(&SqliteOptions {
        path: path.into(),
        readonly,
        synchronous: Synchronous::Normal,
    })
    .unwrap()
}

fn open(path: &str, now: DateTime<Utc>, max_concurrency: usize) -> Durable {
    let options = EngineOptions {
        max_concurrency,
        ..Default::default()
    };
    let mut e = Durable::new(Engine::new(options, Some(now)));
    let store = sqlite(path, false);
    e.expect_store();
    e.attach_store(Box::new(store)).unwrap();
    e
}

fn execution_json(e: &Engine, id: &str) -> Value {
    e.execution(id).unwrap()
}

fn execute_ids(messages: &[String]) -> usize {
    messages
        .iter()
        .filter(|m| m.starts_with("execute:"))
        .count()
}

/// The ids handed to the executor, with attempts.
fn executes(e: &mut Durable) -> Vec<(String, u64)> {
    e.take_json_messages()
        .into_iter()
        .filter_map(|m| match m {
            JsonMessage::Execute(t) => {
                let r: Value = serde_json::from_str(&t).unwrap();
                Some((
                    r["executionId"].as_str().unwrap().to_string(),
                    r["attempt"].as_u64().unwrap(),
                ))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn schedules_and_their_state_survive_a_crash() {
    let dir = TempDir::new("survive");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    {
        let mut e = open(&path, t0, 10);
        e.start().unwrap();
        e.create(config(
            "a",
            "* * * * *",
            json!({ "scheduleConfig": { "overlapPolicy": "allow" } }),
        ))
        .unwrap();
        e.create(config("b", "0 * * * *", json!({}))).unwrap();
        e.pause("s-b", Some("maintenance".into())).unwrap();
        e.advance(3 * 60_000, false).unwrap();
        for (id, attempt) in executes(&mut e) {
            e.complete(
                &id,
                attempt as u32,
                execution::Outcome::Completed(json!({ "ok": id })),
            );
        }
        e.take_json_messages();
        // Dropped without stop: a crash.
    }
    let mut e = open(&path, t0 + Duration::minutes(3), 10);
    let a = e.schedule("s-a").unwrap();
    assert_eq!(a.fired, 3);
    assert_eq!(a.cursor, at("2026-03-01T00:03:00Z"));
    assert_eq!(a.rt().stats.triggered, 3);
    assert_eq!(a.rt().stats.completed, 3);
    assert_eq!(a.rt().history.len(), 3);
    let b = e.schedule("s-b").unwrap();
    assert!(b.paused);
    assert_eq!(b.pause_note.as_deref(), Some("maintenance"));
    assert_eq!(
        e.config("a").unwrap()["scheduleConfig"]["overlapPolicy"],
        "allow"
    );
    let history = e.list_executions(&parse_filters(&Value::Null, "filters").unwrap());
    assert_eq!(history.len(), 3);
    assert!(history.iter().all(|x| x["status"] == "completed"));
    assert_eq!(history[0]["result"]["output"]["ok"], history[0]["id"]);
    // Ids go on from where they were.
    e.start().unwrap();
    let id = e.trigger("s-a", Value::Null).unwrap();
    assert!(history.iter().all(|x| x["id"] != json!(id)));
}

#[test]
fn occurrences_missed_while_down_follow_the_catchup_policy() {
    let dir = TempDir::new("catchup");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    {
        let mut e = open(&path, t0, 10);
        e.start().unwrap();
        e.create(config("once", "* * * * *", json!({}))).unwrap();
        e.create(config(
            "all",
            "* * * * *",
            json!({ "scheduleConfig": { "overlapPolicy": "allow", "catchup": { "policy": "all", "maxRuns": 3 } } }),
        ))
        .unwrap();
        e.take_json_messages();
    }
    // Down for ten minutes: occurrences 00:01 .. 00:10.
    let mut e = open(
        &path,
        t0 + Duration::minutes(10) + Duration::seconds(30),
        10,
    );
    e.start().unwrap();
    let messages = log(&mut e);
    let misfires = |s: &str| {
        e.skipped(s)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["reason"] == "misfire")
            .count()
    };
    assert_eq!(misfires("s-once"), 9);
    assert_eq!(misfires("s-all"), 7);
    assert_eq!(execute_ids(&messages), 1 + 3);
    let catchups = e
        .list_executions(&parse_filters(&Value::Null, "filters").unwrap())
        .into_iter()
        .filter(|x| x["triggerType"] == "catchup")
        .count();
    assert_eq!(catchups, 4);
    // Each occurrence is handled once: another restart fires nothing more; it only resumes
    // the four runs that this crash interrupted.
    drop(e);
    let mut e = open(
        &path,
        t0 + Duration::minutes(10) + Duration::seconds(40),
        10,
    );
    e.start().unwrap();
    let resumed = requests(&mut e);
    assert_eq!(resumed.len(), 4);
    assert!(resumed
        .iter()
        .all(|r| r["resumed"] == true && r["triggerType"] == "catchup"));
    let all = e.list_executions(&parse_filters(&Value::Null, "filters").unwrap());
    assert_eq!(all.len(), 1 + 3);
    assert_eq!(e.schedule("s-once").unwrap().rt().stats.skipped, 9);
}

/// The requests handed to the executor, in full.
fn requests(e: &mut Durable) -> Vec<Value> {
    e.take_json_messages()
        .into_iter()
        .filter_map(|m| match m {
            JsonMessage::Execute(t) => Some(serde_json::from_str(&t).unwrap()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_run_the_process_died_in_runs_again_at_the_next_start_uncounted() {
    let dir = TempDir::new("resume");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    let (done, failing);
    {
        let mut e = open(&path, t0, 10);
        e.start().unwrap();
        // One attempt each (the default): a resumed run is not a second one.
        e.create(config("d", "0 0 1 1 *", json!({}))).unwrap();
        e.create(config("x", "0 0 1 1 *", json!({}))).unwrap();
        done = e.trigger("s-d", Value::Null).unwrap();
        failing = e.trigger("s-x", Value::Null).unwrap();
        let first = requests(&mut e);
        assert_eq!(first.len(), 2);
        assert!(first
            .iter()
            .all(|r| r["resumed"] == false && r["attempt"] == 1));
    }
    let mut e = open(&path, t0 + Duration::seconds(5), 10);
    e.start().unwrap();
    let messages = requests(&mut e);
    let ids: Vec<_> = messages.iter().map(|r| r["executionId"].clone()).collect();
    assert_eq!(ids, [json!(done), json!(failing)]);
    assert!(messages
        .iter()
        .all(|r| r["resumed"] == true && r["attempt"] == 2));
    assert_eq!(execution_json(&e, &done)["retryCount"], 0);
    e.complete(&done, 2, execution::Outcome::Completed(json!("ok")));
    // A resumed attempt that fails is the schedule's one attempt: no retry.
    let failure = execution::Outcome::Failed {
        code: "BOOM".into(),
        message: "boom".into(),
        stack: None,
    };
    e.complete(&failing, 2, failure);
    assert!(requests(&mut e).is_empty());
    drop(e);
    let e = open(&path, t0 + Duration::seconds(9), 10);
    let d = execution_json(&e, &done);
    assert_eq!(d["status"], "completed");
    assert_eq!(d["attempts"][0]["error"]["code"], INTERRUPTED);
    assert_eq!(d["attempts"][0]["counted"], false);
    assert_eq!(d["attempts"][1]["resumed"], true);
    assert!(d["attempts"][1].get("counted").is_none());
    let x = execution_json(&e, &failing);
    assert_eq!(x["status"], "failed");
    assert_eq!(x["error"]["code"], "BOOM");
}

#[test]
fn a_run_that_keeps_killing_its_process_fails_after_max_resumes() {
    let dir = TempDir::new("resume-cap");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    let id;
    {
        let mut e = open(&path, t0, 10);
        e.start().unwrap();
        e.create(config("k", "0 0 1 1 *", json!({}))).unwrap();
        id = e.trigger("s-k", Value::Null).unwrap();
        assert_eq!(requests(&mut e).len(), 1);
    }
    for restart in 1..=run::MAX_RESUMES {
        let mut e = open(&path, t0 + Duration::seconds(restart as i64), 10);
        e.start().unwrap();
        let again = requests(&mut e);
        assert_eq!(again.len(), 1, "restart {restart}");
        assert_eq!(again[0]["resumed"], true);
    }
    let mut e = open(&path, t0 + Duration::seconds(60), 10);
    e.start().unwrap();
    assert!(requests(&mut e).is_empty());
    let k = execution_json(&e, &id);
    assert_eq!(k["status"], "failed");
    assert_eq!(k["error"]["code"], INTERRUPTED);
    assert_eq!(
        k["attempts"].as_array().unwrap().len() as u32,
        run::MAX_RESUMES + 1
    );
}

#[test]
fn with_on_interrupt_fail_a_running_execution_is_retried_or_failed() {
    let dir = TempDir::new("interrupt");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    let (retried, failed);
    {
        let mut e = open(&path, t0, 10);
        e.start().unwrap();
        e.create(config(
            "r",
            "0 0 1 1 *",
            json!({
                "executionConfig": { "retryPolicy": { "maxAttempts": 2, "backoffStrategy": "fixed", "initialDelay": 1000, "retryableErrors": ["NETWORK"] } },
                "scheduleConfig": { "onInterrupt": "fail" },
            }),
        ))
        .unwrap();
        e.create(config(
            "f",
            "0 0 1 1 *",
            json!({ "scheduleConfig": { "onInterrupt": "fail" } }),
        ))
        .unwrap();
        retried = e.trigger("s-r", Value::Null).unwrap();
        failed = e.trigger("s-f", Value::Null).unwrap();
        assert_eq!(executes(&mut e).len(), 2);
    }
    let mut e = open(&path, t0 + Duration::seconds(5), 10);
    assert_eq!(execution_json(&e, &retried)["status"], "running");
    e.start().unwrap();
    let messages = log(&mut e);
    assert!(
        messages.contains(&"retrying:2+1000".to_string()),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"failed:failed".to_string()),
        "{messages:?}"
    );
    let f = execution_json(&e, &failed);
    assert_eq!(f["status"], "failed");
    assert_eq!(f["error"]["code"], INTERRUPTED);
    assert_eq!(f["attempts"][0]["error"]["code"], INTERRUPTED);
    // The retry waits out its delay, then runs attempt 2.
    e.advance(1_000, false).unwrap();
    assert_eq!(executes(&mut e), vec![(retried.clone(), 2)]);
    e.complete(&retried, 2, execution::Outcome::Completed(json!(1)));
    e.take_json_messages();
    drop(e);
    let e = open(&path, t0 + Duration::seconds(9), 10);
    let r = execution_json(&e, &retried);
    assert_eq!(r["status"], "completed");
    assert_eq!(r["attempts"][0]["error"]["code"], INTERRUPTED);
    assert_eq!(r["attempts"].as_array().unwrap().len(), 2);
}

#[test]
fn queued_work_survives_and_runs_in_order() {
    let dir = TempDir::new("queued");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    let ids: Vec<String>;
    {
        let mut e = open(&path, t0, 1);
        e.start().unwrap();
        e.create(config(
            "q",
            "* * * * *",
            json!({ "scheduleConfig": { "overlapPolicy": "bufferOne" } }),
        ))
        .unwrap();
        e.create(config("m", "0 0 1 1 *", json!({}))).unwrap();
        ids = (0..3)
            .map(|_| e.trigger("s-m", Value::Null).unwrap())
            .collect();
        e.advance(60_000, false).unwrap();
        // One runs; two manual triggers wait for a slot; the minute fire is queued behind.
        assert_eq!(executes(&mut e).len(), 1);
    }
    let mut e = open(&path, t0 + Duration::seconds(61), 1);
    e.start().unwrap();
    // The running one was interrupted and runs again first (it is the oldest); the queue
    // goes on in order: the two other manual triggers, then the minute fire.
    assert_eq!(
        execution_json(&e, &ids[0])["attempts"][0]["error"]["code"],
        INTERRUPTED
    );
    let mut order = Vec::new();
    for _ in 0..4 {
        let next = executes(&mut e);
        assert_eq!(next.len(), 1, "{next:?}");
        let (id, attempt) = next[0].clone();
        order.push(
            execution_json(&e, &id)["scheduleId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        e.complete(
            &id,
            attempt as u32,
            execution::Outcome::Completed(Value::Null),
        );
    }
    assert_eq!(order, ["s-m", "s-m", "s-m", "s-q"]);
    assert!(ids
        .iter()
        .all(|id| execution_json(&e, id)["status"] == "completed"));
}

#[test]
fn retention_prunes_the_store_too() {
    let dir = TempDir::new("retention");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    {
        let options = EngineOptions {
            history_max_per_schedule: 3,
            ..Default::default()
        };
        let mut e = Durable::new(Engine::new(options, Some(t0)));
        e.expect_store();
        e.attach_store(Box::new(sqlite(&path, false))).unwrap();
        e.start().unwrap();
        e.create(config("p", "* * * * *", json!({}))).unwrap();
        for _ in 0..8 {
            e.advance(60_000, false).unwrap();
            for (id, attempt) in executes(&mut e) {
                e.complete(
                    &id,
                    attempt as u32,
                    execution::Outcome::Completed(Value::Null),
                );
            }
        }
        e.take_json_messages();
    }
    let mut store = sqlite(&path, true);
    let snapshot = store.load().unwrap();
    assert!(
        snapshot.executions.len() <= 4,
        "{}",
        snapshot.executions.len()
    );
    // Counters keep the whole story.
    let state: Value = serde_json::from_str(&snapshot.schedules[0].state).unwrap();
    assert_eq!(state["stats"]["completed"], 8);
}

#[test]
fn a_read_only_store_can_be_inspected_but_not_started() {
    let dir = TempDir::new("inspect");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    {
        let mut e = open(&path, t0, 10);
        e.create(config("a", "* * * * *", json!({}))).unwrap();
        e.take_json_messages();
    }
    let mut e = Durable::new(Engine::new(EngineOptions::default(), Some(t0)));
    e.expect_store();
    e.attach_store(Box::new(sqlite(&path, true))).unwrap();
    assert!(e.schedule("s-a").is_some());
    assert_eq!(e.start().unwrap_err().code(), "ERR_STORE_READONLY");
}

/// A store whose writes fail while `failing` is set.
struct FlakyStore {
    failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    written: std::sync::Arc<std::sync::Mutex<Vec<Changes>>>,
}

impl Store for FlakyStore {
    fn load(&mut self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot::default())
    }
    fn load_schedules(&mut self, _: &[String]) -> Result<Snapshot, StoreError> {
        Ok(Snapshot::default())
    }
    fn write(&mut self, changes: &Changes) -> Result<(), StoreError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Write("disk full".into()));
        }
        self.written.lock().unwrap().push(changes.clone());
        Ok(())
    }
    fn is_readonly(&self) -> bool {
        false
    }
    fn location(&self) -> &str {
        "flaky"
    }
}

#[test]
fn a_failed_write_is_reported_once_and_written_later() {
    let failing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut e = Durable::new(Engine::new(
        EngineOptions::default(),
        Some(at("2026-03-01T00:00:00Z")),
    ));
    e.expect_store();
    e.attach_store(Box::new(FlakyStore {
        failing: failing.clone(),
        written: written.clone(),
    }))
    .unwrap();
    e.start().unwrap();
    e.create(config("a", "* * * * *", json!({}))).unwrap();
    let first = log(&mut e);
    e.create(config("b", "* * * * *", json!({}))).unwrap();
    let second = log(&mut e);
    let errors = |m: &[String]| m.iter().filter(|x| *x == "integration.error").count();
    // Reported in the drain whose commit failed, and only once while failures go on.
    assert_eq!(errors(&first), 1, "{first:?}");
    assert_eq!(errors(&second), 0, "{second:?}");
    failing.store(false, std::sync::atomic::Ordering::SeqCst);
    e.commit();
    let written = written.lock().unwrap();
    let ids: Vec<&str> = written
        .iter()
        .flat_map(|c| c.schedules.iter().map(|s| s.schedule_id.as_str()))
        .collect();
    assert_eq!(ids, vec!["s-a", "s-b"]);
}

#[test]
fn a_stopped_engine_closes_its_store_and_can_open_it_again() {
    let dir = TempDir::new("reopen");
    let path = dir.file("state.db");
    let t0 = at("2026-03-01T00:00:00Z");
    let mut e = open(&path, t0, 10);
    e.start().unwrap();
    e.create(config("a", "* * * * *", json!({}))).unwrap();
    e.begin_stop();
    e.finish_stop();
    e.detach_store().unwrap();
    // Closed: another engine may take the store, and this one refuses changes.
    assert_eq!(
        e.check_writable().unwrap_err().code(),
        "ERR_NOT_INITIALIZED"
    );
    drop(open(&path, t0, 10));
    let store = sqlite(&path, false);
    e.attach_store(Box::new(store)).unwrap();
    assert_eq!(e.schedule_count(), 1);
    e.start().unwrap();
    e.create(config("b", "* * * * *", json!({}))).unwrap();
}

#[test]
fn a_row_that_cannot_be_read_back_is_a_corrupt_store_naming_the_file() {
    let dir = TempDir::new("bad-row");
    let path = dir.file("state.db");
    sqlite(&path, false)
        .write(&Changes {
            seq: 1,
            schedules: vec![crate::store::ScheduleRow {
                schedule_id: "s".into(),
                config_id: "c".into(),
                config: Some("{not json".into()),
                state: "{}".into(),
            }],
            ..Default::default()
        })
        .unwrap();
    let mut e = Durable::new(Engine::new(EngineOptions::default(), None));
    e.expect_store();
    let err = e.attach_store(Box::new(sqlite(&path, false))).unwrap_err();
    assert_eq!(err.code(), "ERR_STORE_CORRUPT");
    assert!(err.to_string().contains(&path), "{err}");
    assert!(err.to_string().contains("schedule 's'"), "{err}");
    assert_eq!(e.schedule_count(), 0);
}
