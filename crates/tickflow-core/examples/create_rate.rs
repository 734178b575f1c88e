//! Schedules created per second by the engine alone, from JSON text as the binding hands
//! it over (no JavaScript). `cargo run --release -p tickflow-core --example create_rate`
use std::time::Instant;
use tickflow_core::engine::{Engine, EngineOptions};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let texts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"[{{"id":"c{i}","workflowId":"w","scheduleConfig":{{"cronExpression":"{} * * * *"}}}}]"#,
                i % 60
            )
        })
        .collect();
    let mut engine = Engine::new(EngineOptions::default(), None);
    engine.start().unwrap();
    let started = Instant::now();
    for text in &texts {
        let mut args: serde_json::Value = serde_json::from_str(text).unwrap();
        let answer = engine.create(args[0].take()).unwrap();
        let _ = serde_json::Value::String(answer).to_string();
        engine.take_messages();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} creates: {:.0} per second ({:.2} µs each)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
