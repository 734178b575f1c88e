//! The N-API binding: converts and checks JavaScript arguments, forwards to
//! `tickflow_core`, and maps core errors to JS errors with stable codes.

mod args;
mod bench_api;
mod commands;
mod cron_api;
mod integration;
mod js_error;
mod outbound;
