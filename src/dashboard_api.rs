//! Reads that walk every schedule, off the JavaScript thread: the dashboard's page of
//! schedules and timeline, and the Prometheus exposition. Each takes the engine's lock for
//! one range of slots (or one piece of text) at a time, so that neither JavaScript nor the
//! driver waits long for it at a million schedules.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tickflow_core::engine::{
    parse_page_query, EngineError, Exposition, PageScan, Shared, Timeline,
};

use crate::integration::{engine_error, parse_json, NativeIntegration};
use crate::js_error::{ApiError, ErrorKind};

/// Schedule slots scanned per hold of the engine's lock.
const SLOTS_PER_LOCK: usize = 8_192;
/// Timeline fires merged per hold of the lock.
const FIRES_PER_LOCK: usize = 4_096;
/// Bytes of exposition rendered per hold of the lock (and per piece of a stream).
const PIECE_BYTES: usize = 4 << 20;

pub enum Failure {
    Engine(EngineError),
    Api(ErrorKind, &'static str, String),
}

type Job = Box<dyn FnOnce() -> std::result::Result<Option<String>, Failure> + Send>;

/// A read run on libuv's thread pool; its failure is rebuilt as a coded error.
pub struct EngineRead {
    job: Option<Job>,
    failure: Option<Failure>,
}

impl EngineRead {
    fn new(
        job: impl FnOnce() -> std::result::Result<Option<String>, Failure> + Send + 'static,
    ) -> AsyncTask<EngineRead> {
        AsyncTask::new(EngineRead {
            job: Some(Box::new(job)),
            failure: None,
        })
    }
}

impl Task for EngineRead {
    type Output = Option<String>;
    type JsValue = Option<String>;

    fn compute(&mut self) -> Result<Option<String>> {
        let job = self.job.take().expect("computed once");
        let failure = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
            Ok(Ok(answer)) => return Ok(answer),
            Ok(Err(failure)) => failure,
            Err(_) => Failure::Engine(EngineError::Internal("a fault (panic) in a read".into())),
        };
        self.failure = Some(failure);
        Err(Error::new(Status::GenericFailure, "read failed"))
    }

    fn resolve(&mut self, _env: Env, output: Option<String>) -> Result<Option<String>> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<Option<String>> {
        match self.failure.take() {
            Some(Failure::Engine(e)) => Err(engine_error(e).into_rejection(&env)),
            Some(Failure::Api(kind, code, message)) => {
                Err(ApiError::new(kind, code, message).into_rejection(&env))
            }
            None => Err(err),
        }
    }
}

/// Runs `scan` over every slot, one range per hold of the lock; `finish` under the last.
fn scan_all<S, T>(
    shared: &Shared,
    state: &mut S,
    scan: impl Fn(&tickflow_core::engine::Engine, &mut S, std::ops::Range<usize>),
    finish: impl FnOnce(&tickflow_core::engine::Engine, &mut S) -> T,
) -> T {
    let mut start = 0;
    loop {
        let engine = shared.lock();
        if start >= engine.slot_count() {
            return finish(&engine, state);
        }
        scan(&engine, state, start..start + SLOTS_PER_LOCK);
        drop(engine);
        start += SLOTS_PER_LOCK;
    }
}

/// On a cluster a node keeps no finished runs: a page's recent runs are the database's
/// (a page as memory has it when the database cannot answer).
fn recent_from_store(shared: &Shared, page: &mut serde_json::Value) {
    if shared.history_db().is_none() {
        return;
    }
    let Some(rows) = page["schedules"].as_array_mut() else {
        return;
    };
    let ids: Vec<String> = rows
        .iter()
        .filter_map(|r| r["scheduleId"].as_str().map(str::to_string))
        .collect();
    if let Ok(mut recent) = shared.read_recent_runs(ids) {
        for row in rows {
            let id = row["scheduleId"].as_str().unwrap_or_default().to_string();
            row["recent"] = recent.remove(&id).unwrap_or_default().into();
        }
    }
}

/// Collects the exposition's schedules and sorts them, off the lock.
fn exposition(shared: &Shared, per_schedule: bool) -> Exposition {
    let mut x = Exposition::new(per_schedule);
    scan_all(
        shared,
        &mut x,
        |e, x, slots| e.collect_exposition(x, slots),
        |_, _| (),
    );
    x.prepare();
    x
}

fn too_large(bytes: usize, max_bytes: usize) -> Failure {
    Failure::Api(
        ErrorKind::Plain,
        "ERR_METRICS_TOO_LARGE",
        format!(
            "the exposition takes {} bytes or more, more than the {max_bytes} a JavaScript string holds: use metrics({{ perSchedule: false }}) for series summed over all schedules, or metricsStream() for the per-schedule series in pieces",
            bytes
        ),
    )
}

#[napi]
impl NativeIntegration {
    /// A page of schedules (`query`: JSON, see `parse_page_query`), as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn browse(&self, query: String) -> AsyncTask<EngineRead> {
        let shared = self.shared.clone();
        EngineRead::new(move || {
            let value = parse_json(&query, "query").map_err(|e| {
                let e = e.into_fields();
                Failure::Api(e.kind, e.code, e.message)
            })?;
            let q = parse_page_query(&value, "query").map_err(|f| Failure::Engine(f.into()))?;
            let mut scan = PageScan::default();
            let mut page = scan_all(
                &shared,
                &mut scan,
                |e, scan, slots| e.scan_page(&q, slots, scan),
                |e, scan| e.finish_page(&q, std::mem::take(scan)),
            );
            recent_from_store(&shared, &mut page);
            Ok(Some(page.to_string()))
        })
    }

    /// Every schedule's fires in the next `hours` (1 to 168), merged in time order, with
    /// the largest collisions, as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn timeline(&self, hours: u32) -> AsyncTask<EngineRead> {
        let shared = self.shared.clone();
        EngineRead::new(move || {
            let hours = hours.clamp(1, 168);
            let from = shared.lock().now();
            let mut t = Timeline::new(from, from + Duration::hours(hours as i64));
            scan_all(
                &shared,
                &mut t,
                |e, t, slots| e.scan_fires(t, slots),
                |_, _| (),
            );
            loop {
                let engine = shared.lock();
                engine.merge_fires(&mut t, FIRES_PER_LOCK);
                if t.is_done() {
                    return Ok(Some(engine.finish_timeline(t).to_string()));
                }
            }
        })
    }

    /// A schedule's trigger lateness histogram, as JSON.
    #[napi(catch_unwind)]
    pub fn lateness(&self, env: Env, schedule_id: String) -> Result<String> {
        self.with_engine(&env, |e| {
            e.lateness(&schedule_id)
                .map(|v| v.to_string())
                .map_err(engine_error)
        })
    }

    /// The whole exposition, or ERR_METRICS_TOO_LARGE when it would take more than
    /// `max_bytes` (the longest string JavaScript holds).
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn metrics_text(&self, per_schedule: bool, max_bytes: f64) -> AsyncTask<EngineRead> {
        let shared = self.shared.clone();
        EngineRead::new(move || {
            let max_bytes = max_bytes.max(0.0) as usize;
            let mut x = exposition(&shared, per_schedule);
            let least = x.min_bytes();
            if least > max_bytes {
                return Err(too_large(least, max_bytes));
            }
            let mut out = String::new();
            while let Some(piece) = shared.lock().render_exposition(&mut x, PIECE_BYTES) {
                out.push_str(&piece);
                if out.len() > max_bytes {
                    return Err(too_large(out.len(), max_bytes));
                }
            }
            Ok(Some(out))
        })
    }

    /// The exposition's families (name, help, type), as JSON, without rendering any.
    #[napi(catch_unwind)]
    pub fn prometheus_families(&self, per_schedule: bool) -> String {
        let list: Vec<_> = tickflow_core::engine::prometheus_families(per_schedule)
            .into_iter()
            .map(|(name, help, kind)| serde_json::json!({ "name": name, "help": help, "type": kind }))
            .collect();
        serde_json::Value::Array(list).to_string()
    }

    /// The exposition in pieces of a few megabytes, for any number of schedules.
    #[napi(catch_unwind)]
    pub fn metrics_cursor(&self, per_schedule: bool) -> MetricsCursor {
        MetricsCursor {
            shared: self.shared.clone(),
            per_schedule,
            exposition: Arc::new(Mutex::new(None)),
        }
    }
}

/// One pass over the exposition: the schedules are taken at the first piece.
#[napi]
pub struct MetricsCursor {
    shared: Arc<Shared>,
    per_schedule: bool,
    exposition: Arc<Mutex<Option<Exposition>>>,
}

#[napi]
impl MetricsCursor {
    /// The next piece; `null` after the last.
    #[napi(catch_unwind, ts_return_type = "Promise<string | null>")]
    pub fn next(&self) -> AsyncTask<EngineRead> {
        let shared = self.shared.clone();
        let slot = self.exposition.clone();
        let per_schedule = self.per_schedule;
        EngineRead::new(move || {
            let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
            let x = slot.get_or_insert_with(|| exposition(&shared, per_schedule));
            let piece = shared.lock().render_exposition(x, PIECE_BYTES);
            Ok(piece)
        })
    }
}
