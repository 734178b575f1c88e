//! Engine-only cost of a herd: N schedules due at the same second, fired and dispatched
//! (no JavaScript). `cargo run --release -p tickflow-core --example herd -- 100000`
use std::time::Instant;

use serde_json::json;
use tickflow_core::engine::{Engine, EngineOptions};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let start = "2026-01-01T00:00:00Z".parse().unwrap();
    let options = EngineOptions {
        max_concurrency: n,
        ..Default::default()
    };
    let mut engine = Engine::new(options, Some(start));
    engine.start().unwrap();
    let t = Instant::now();
    for i in 0..n {
        engine
            .create(json!({
                "id": format!("c{i}"), "workflowId": "w",
                "scheduleConfig": { "cronExpression": "* * * * * *", "overlapPolicy": "allow" },
            }))
            .unwrap();
    }
    println!(
        "create: {:.2} µs each",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    engine.take_messages();
    let t = Instant::now();
    engine.advance(1000, false).unwrap();
    let fire = t.elapsed();
    let t = Instant::now();
    let messages = engine.take_messages();
    let text: Vec<&str> = Vec::new();
    println!(
        "fire + dispatch: {:.2} µs each ({} messages, {:.1} ms debug-format)",
        fire.as_secs_f64() * 1e6 / n as f64,
        messages.len(),
        t.elapsed().as_secs_f64() * 1e3 / text.len().max(1) as f64 * text.len() as f64
    );
}
