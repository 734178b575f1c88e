//! Time to reopen a store of N schedules: open, read, restore (no JavaScript).
//! `cargo run --release -p tickflow-core --example reopen -- 100000`
use std::time::Instant;

use serde_json::json;
use tickflow_core::engine::{Engine, EngineOptions, Shared};
use tickflow_core::store::{SqliteOptions, SqliteStore, Synchronous};

fn open(path: &str) -> Shared {
    let mut engine = Engine::new(EngineOptions::default(), None);
    engine.expect_store();
    let shared = Shared::new(engine);
    let store = SqliteStore::open(&SqliteOptions {
        path: path.into(),
        readonly: false,
        synchronous: Synchronous::Normal,
    })
    .unwrap();
    shared.attach_store(Box::new(store)).unwrap();
    shared
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("tickflow-reopen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.db").to_string_lossy().into_owned();
    {
        let shared = open(&path);
        let mut engine = shared.lock();
        engine.start().unwrap();
        for i in 0..n {
            engine
                .create(json!({
                    "id": format!("c{i}"), "workflowId": "w",
                    "scheduleConfig": { "cronExpression": format!("{} * * * *", i % 60) },
                }))
                .unwrap();
            if i % 1000 == 999 {
                shared.commit(&mut engine);
            }
        }
        shared.commit(&mut engine);
    }
    let started = Instant::now();
    let shared = open(&path);
    let opened = started.elapsed();
    shared.lock().start().unwrap();
    println!(
        "reopen {n} schedules: {:.0} ms to restore, {:.0} ms with start",
        opened.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
