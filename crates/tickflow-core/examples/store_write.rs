//! Writes 100,000 one-schedule commits to a fresh SQLite store and reports the rate:
//! what a `createScheduledWorkflow` per call costs in the store alone.
//! `cargo run --release -p tickflow-core --example store_write [count]`
use std::time::Instant;
use tickflow_core::store::{Changes, ScheduleRow, SqliteOptions, SqliteStore, Store, Synchronous};

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("tickflow-store-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.db").to_string_lossy().into_owned();
    let mut store = SqliteStore::open(&SqliteOptions {
        path: path.clone(),
        readonly: false,
        synchronous: Synchronous::Normal,
    })
    .unwrap();
    let config = format!(
        r#"{{"id":"c","workflowId":"w","scheduleConfig":{{"cronExpression":"0 * * * *"}},"pad":"{}"}}"#,
        "x".repeat(300)
    );
    let started = Instant::now();
    for i in 0..count {
        store
            .write(&Changes {
                seq: i as u64,
                schedules: vec![ScheduleRow {
                    schedule_id: format!("sched_{i:x}"),
                    config_id: format!("c{i}"),
                    config: Some(config.clone()),
                    state: r#"{"paused":false,"expired":false,"fired":0,"cursor":0,"created":0,"buffered":[],"stats":{}}"#.into(),
                }],
                ..Default::default()
            })
            .unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{count} one-schedule commits: {:.0} per second ({:.1} µs each)",
        count as f64 / secs,
        secs * 1e6 / count as f64
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
