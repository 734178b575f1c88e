//! The N-API binding: converts and checks JavaScript arguments, forwards to
//! `tickflow_core`, and maps core errors to JS errors with stable codes.

mod args;
mod bench_api;
mod cluster_api;
mod commands;
mod cron_api;
mod dashboard_api;
mod integration;
mod js_error;
mod outbound;
mod store_api;

/// mimalloc, as rolldown and oxc use: the engine allocates and frees small records at a high
/// rate, and glibc's allocator returned memory to the system and faulted it back in (page
/// clearing was a quarter of the time of a 100,000-config sync). Built without transparent
/// huge pages (Cargo.toml): faulting in 2 MiB pages was a fifth of a cluster driver's time
/// in a herd, inside the engine's lock.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
