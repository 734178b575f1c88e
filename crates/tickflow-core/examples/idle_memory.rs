//! Bytes the engine allocates per idle schedule (a counting allocator, no JavaScript).
//! `cargo run --release -p tickflow-core --example idle_memory -- 100000`
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use tickflow_core::engine::{Engine, EngineOptions};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut engine = Engine::new(
        EngineOptions::default(),
        Some("2026-01-01T00:00:00Z".parse().unwrap()),
    );
    engine.start().unwrap();
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..n {
        engine
            .create(json!({
                "id": format!("c{i}"), "workflowId": format!("w{}", i % 100),
                "scheduleConfig": { "cronExpression": format!("{} {} * * *", i % 60, i % 24), "timezone": if i % 2 == 1 { "Europe/Berlin" } else { "UTC" } },
            }))
            .unwrap();
        engine.take_messages();
    }
    let after = LIVE.load(Ordering::Relaxed);
    println!(
        "{} bytes allocated per idle schedule (requested sizes, without allocator overhead)",
        (after - before) / n
    );
}
