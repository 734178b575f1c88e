//! Acknowledged means stored: a command whose commit fails is refused and undone, and a
//! stop that cannot write what the engine recorded says so instead of dropping it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use super::own_store::Durable;
use super::tests::{at, config};
use super::*;
use crate::store::tests::TempDir;
use crate::store::{Changes, Snapshot, SqliteOptions, SqliteStore, Store, StoreError, Synchronous};

/// A real SQLite store whose writes fail while `full` is set, as on a full disk.
struct FullDisk {
    inner: SqliteStore,
    full: Arc<AtomicBool>,
}

impl Store for FullDisk {
    fn load(&mut self) -> Result<Snapshot, StoreError> {
        self.inner.load()
    }
    fn load_schedules(&mut self, ids: &[String]) -> Result<Snapshot, StoreError> {
        self.inner.load_schedules(ids)
    }
    fn write(&mut self, changes: &Changes) -> Result<(), StoreError> {
        if self.full.load(Ordering::SeqCst) {
            return Err(StoreError::Write("database or disk is full".into()));
        }
        self.inner.write(changes)
    }
    fn is_readonly(&self) -> bool {
        false
    }
    fn location(&self) -> &str {
        self.inner.location()
    }
}

fn open(path: &str, full: &Arc<AtomicBool>) -> Durable {
    let inner = SqliteStore::open(&SqliteOptions {
        path: path.into(),
        readonly: false,
        synchronous: Synchronous::Normal,
    })
    .unwrap();
    let mut e = Durable::new(Engine::new(
        EngineOptions::default(),
        Some(at("2026-03-01T00:00:00Z")),
    ));
    e.expect_store();
    e.attach_store(Box::new(FullDisk {
        inner,
        full: full.clone(),
    }))
    .unwrap();
    e
}

/// A command as the binding runs it off a cluster (`Shared::command`).
fn run<R>(
    e: &mut Durable,
    op: impl FnOnce(&mut Engine) -> Result<R, EngineError>,
) -> Result<R, EngineError> {
    e.committed(op, std::convert::identity)
}

/// What JavaScript can read of the engine's state, to compare before and after.
fn view(e: &Engine, schedules: &[&str]) -> Value {
    let list = e.list_executions(&parse_filters(&json!({}), "filters").unwrap());
    let configs: Vec<Value> = schedules.iter().map(|id| json!(e.config(id))).collect();
    json!({ "configs": configs, "executions": list, "count": e.schedule_count() })
}

#[test]
fn a_command_whose_commit_fails_is_refused_and_leaves_the_engine_as_it_was() {
    let dir = TempDir::new("full-disk");
    let path = dir.file("state.db");
    let full = Arc::new(AtomicBool::new(false));
    let mut e = open(&path, &full);
    e.start().unwrap();
    run(&mut e, |e| e.create(config("a", "* * * * *", json!({})))).unwrap();
    let running = run(&mut e, |e| e.trigger("s-a", Value::Null)).unwrap();
    e.take_messages();
    let before = view(&e, &["a", "b"]);

    full.store(true, Ordering::SeqCst);
    let refused: Vec<EngineError> = vec![
        run(&mut e, |e| e.create(config("b", "* * * * *", json!({})))).unwrap_err(),
        run(&mut e, |e| {
            e.update(
                "a",
                json!({ "name": "renamed", "scheduleConfig": { "cronExpression": "0 * * * *" } }),
            )
        })
        .unwrap_err(),
        run(&mut e, |e| e.delete("a")).unwrap_err(),
        run(&mut e, |e| e.pause("s-a", Some("note".into()))).unwrap_err(),
        run(&mut e, |e| e.trigger("s-a", Value::Null).map(|_| ())).unwrap_err(),
        run(&mut e, |e| e.cancel(&running)).unwrap_err(),
    ];
    for err in &refused {
        assert_eq!(err.code(), "ERR_STORE_WRITE", "{err}");
    }
    assert_eq!(view(&e, &["a", "b"]), before);
    // Nothing of the refused commands reaches listeners or executors.
    assert!(e.take_messages().is_empty());

    // Once the disk has room, the same commands go through and are durable.
    full.store(false, Ordering::SeqCst);
    run(&mut e, |e| e.create(config("b", "* * * * *", json!({})))).unwrap();
    run(&mut e, |e| e.cancel(&running)).unwrap();
    drop(e);
    let e = open(&path, &full);
    assert_eq!(e.schedule_count(), 2);
    assert_eq!(e.execution(&running).unwrap()["status"], "cancelled");
}

#[test]
fn a_refused_delete_brings_the_schedule_back_with_its_history() {
    let dir = TempDir::new("full-disk-delete");
    let path = dir.file("state.db");
    let full = Arc::new(AtomicBool::new(false));
    let mut e = open(&path, &full);
    e.start().unwrap();
    run(&mut e, |e| e.create(config("a", "* * * * *", json!({})))).unwrap();
    let id = run(&mut e, |e| e.trigger("s-a", Value::Null)).unwrap();
    run(&mut e, |e| e.cancel(&id)).unwrap();
    let before = view(&e, &["a"]);
    full.store(true, Ordering::SeqCst);
    assert_eq!(
        run(&mut e, |e| e.delete("a")).unwrap_err().code(),
        "ERR_STORE_WRITE"
    );
    assert_eq!(view(&e, &["a"]), before);
    assert_eq!(e.execution(&id).unwrap()["status"], "cancelled");
}

#[test]
fn a_stop_that_cannot_write_keeps_the_store_open_and_names_what_is_unwritten() {
    let dir = TempDir::new("full-disk-stop");
    let path = dir.file("state.db");
    let full = Arc::new(AtomicBool::new(false));
    let mut e = open(&path, &full);
    e.start().unwrap();
    run(&mut e, |e| e.create(config("a", "* * * * * *", json!({})))).unwrap();
    full.store(true, Ordering::SeqCst);
    // The engine's own records: a fire, and its execution.
    e.advance(1_000, false).unwrap();
    e.take_messages();
    e.begin_stop();
    e.finish_stop();
    let err = e.detach_store().unwrap_err();
    assert_eq!(err.code(), "ERR_STORE_WRITE");
    let text = err.to_string();
    assert!(
        text.contains("1 schedule") && text.contains("execution"),
        "{text}"
    );
    // Still open: once there is room, the next close writes it all.
    assert!(e.check_writable().is_ok());
    full.store(false, Ordering::SeqCst);
    e.detach_store().unwrap();
    let e = open(&path, &full);
    assert_eq!(
        e.list_executions(&parse_filters(&json!({}), "filters").unwrap())
            .len(),
        1
    );
}
