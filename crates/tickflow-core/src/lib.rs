//! tickflow's core: cron evaluation and (later) the scheduling engine.
//! Nothing here knows about N-API; the binding crate at the repository root converts,
//! validates arguments and forwards to these modules.

pub mod cluster;
pub mod cron;
pub mod engine;
pub mod store;
