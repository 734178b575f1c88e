//! `NativeIntegration`: the handle that the JavaScript `WorkflowScheduleIntegration` owns.
//!
//! It converts and forwards: every command arrives as a method name and JSON arguments,
//! every answer and message leaves as JSON (dates as `{ "$date": ms }`), and the wrapper in
//! `lib/integration.js` gives them their typed, documented shape.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde_json::{json, Value};
use tickflow_core::cluster::{ClusterOptions, Db, Scope};
use tickflow_core::engine::{
    self, drive, parse_filters, parse_options, value::date_value, Engine, EngineError, Outcome,
    Shared, StoreOptions,
};
use tickflow_core::store::{SqliteOptions, SqliteStore};

use crate::js_error::{to_js, ApiError, ApiResult, ErrorKind};
use crate::outbound::Encoder;

type Wake = ThreadsafeFunction<(), (), (), Status, false>;

/// Every method takes `&self`: JavaScript may call any of them while another's promise is
/// pending (an `openStore` in flight, say), and napi-rs refuses a second borrow of a
/// `&mut self` with an error thrown from inside the library.
#[napi]
pub struct NativeIntegration {
    shared: Arc<Shared>,
    manual: bool,
    wake: std::sync::Mutex<Option<Arc<Wake>>>,
    referenced: std::sync::atomic::AtomicBool,
    /// The durable store to open in `openStore`; `None` for memory only.
    store: Option<DurableStore>,
    encoder: std::sync::Mutex<Encoder>,
}

#[derive(Clone)]
enum DurableStore {
    Sqlite(SqliteOptions),
    Postgres(ClusterOptions),
}

/// Opens the durable store and restores what it holds, off the JavaScript thread: a store
/// of 100,000 schedules takes a while to read.
pub struct OpenStore {
    shared: Arc<Shared>,
    options: Option<DurableStore>,
    failure: Option<EngineError>,
}

impl Task for OpenStore {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> Result<()> {
        let Some(options) = self.options.take() else {
            return Ok(());
        };
        let shared = self.shared.clone();
        let opened = std::panic::catch_unwind(move || match options {
            DurableStore::Sqlite(options) => {
                let store = SqliteStore::open(&options)?;
                shared.lock().attach_store(Box::new(store))
            }
            DurableStore::Postgres(options) => {
                // Other nodes' changes wake the driver; weak, so the store does not keep
                // the integration alive.
                let weak = Arc::downgrade(&shared);
                let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
                    if let Some(shared) = weak.upgrade() {
                        shared.poke();
                    }
                });
                let db = Db::open(&options, wake).map_err(EngineError::Cluster)?;
                shared.lock().attach_cluster(db)
            }
        });
        let failure = match opened {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(err)) => err,
            Err(_) => EngineError::Internal("a fault (panic) while opening the store".into()),
        };
        let message = failure.to_string();
        self.failure = Some(failure);
        Err(Error::new(Status::GenericFailure, message))
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<()> {
        match self.failure.take() {
            Some(failure) => Err(engine_error(failure).into_rejection(&env)),
            None => Err(err),
        }
    }
}

/// Commands that change schedules or executions: refused on a read-only store and before
/// a durable store is open.
const CHANGING: &[&str] = &[
    "create",
    "upsert",
    "sync",
    "update",
    "delete",
    "pause",
    "resume",
    "enable",
    "disable",
    "trigger",
    "cancel",
    "retry",
    "backfill",
    "advance",
    "advanceStep",
];

fn engine_error(err: EngineError) -> ApiError {
    match err {
        EngineError::Field(f) => {
            let kind = match f.kind {
                engine::Kind::Type => ErrorKind::Type,
                engine::Kind::Range => ErrorKind::Range,
            };
            let mut e = ApiError::new(kind, f.code, f.message).at(&f.path, None);
            if !f.value.is_null() {
                e.value_json = Some(f.value);
            }
            e
        }
        EngineError::BadRange(_) => ApiError::new(ErrorKind::Range, err.code(), err.to_string()),
        other => ApiError::new(ErrorKind::Plain, other.code(), other.to_string()),
    }
}

fn parse_json(text: &str, path: &str) -> ApiResult<Value> {
    serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            ErrorKind::Type,
            "ERR_INVALID_ARG_TYPE",
            format!("not representable as JSON: {e}"),
        )
        .at(path, None)
    })
}

/// Positional arguments of a command, read with paths for errors.
struct Args {
    values: Vec<Value>,
    names: &'static [&'static str],
}

impl Args {
    fn value(&self, i: usize) -> &Value {
        self.values.get(i).unwrap_or(&Value::Null)
    }

    fn string(&self, i: usize) -> ApiResult<String> {
        match self.value(i) {
            Value::String(s) => Ok(s.clone()),
            other => Err(engine_error(EngineError::Field(engine::value::type_error(
                self.names[i],
                "a string",
                other,
            )))),
        }
    }

    fn optional_string(&self, i: usize) -> ApiResult<Option<String>> {
        if self.value(i).is_null() {
            Ok(None)
        } else {
            self.string(i).map(Some)
        }
    }

    /// The boolean `name` of the options object at `i`; `default` when left out.
    fn flag(&self, i: usize, name: &str, default: bool) -> ApiResult<bool> {
        match self.value(i).get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(engine_error(EngineError::Field(engine::value::type_error(
                &format!("options.{name}"),
                "true or false",
                other,
            )))),
        }
    }

    fn date(&self, i: usize) -> ApiResult<DateTime<Utc>> {
        date_value(self.value(i), self.names[i]).map_err(|e| engine_error(e.into()))
    }

    fn count(&self, i: usize, default: u64, max: u64) -> ApiResult<usize> {
        let v = self.value(i);
        if v.is_null() {
            return Ok(default as usize);
        }
        match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= 1.0 && n <= max as f64 => Ok(n as usize),
            Some(n) => Err(ApiError::new(
                ErrorKind::Range,
                "ERR_OUT_OF_RANGE",
                format!("expected a whole number from 1 to {max}, got {n}"),
            )
            .at(self.names[i], None)
            .with_json(v.clone())),
            None => Err(engine_error(EngineError::Field(engine::value::type_error(
                self.names[i],
                "a number",
                v,
            )))),
        }
    }
}

fn outcome(value: &Value) -> Outcome {
    if value["ok"] == json!(true) {
        Outcome::Completed(value.get("result").cloned().unwrap_or(Value::Null))
    } else {
        let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
        Outcome::Failed {
            code: text("code").unwrap_or_else(|| "EXECUTION_FAILED".into()),
            message: text("message").unwrap_or_default(),
            stack: text("stack"),
        }
    }
}

fn fault_injection() -> bool {
    std::env::var("TICKFLOW_TEST_FAULTS").is_ok_and(|v| v == "1")
}

/// Runs one command against the engine; the answer is JSON.
fn command(engine: &mut Engine, method: &str, values: Vec<Value>) -> ApiResult<Value> {
    let names: &'static [&'static str] = match method {
        "create" | "upsert" => &["config"],
        "sync" => &["configs", "options"],
        "update" => &["id", "updates"],
        "delete" | "get" => &["id"],
        "skipped" => &["scheduleId"],
        "pause" => &["scheduleId", "note"],
        "resume" | "enable" | "disable" | "status" | "health" | "metrics" | "workflowStatus" => {
            &["scheduleId"]
        }
        "trigger" => &["scheduleId", "context"],
        "cancel" | "retry" | "execution" => &["executionId"],
        "complete" => &["executionId", "attempt", "outcome"],
        "completeAll" => &["completions"],
        "backfill" => &["scheduleId", "from", "to"],
        "list" => &["filters"],
        "history" => &["scheduleId", "filters"],
        "nextTimes" => &["scheduleId", "count"],
        "integrationMetrics" => &["scheduleId"],
        "advance" => &["ms", "options"],
        "advanceStep" => &["until"],
        "listen" => &["types"],
        "prometheus" => &["options"],
        _ => &[],
    };
    let a = Args { values, names };
    if CHANGING.contains(&method) {
        engine.check_writable().map_err(engine_error)?;
        if engine.is_cluster() {
            // One node of a cluster: the command runs under its schedules' locks.
            return engine.command(
                |engine| cluster_scope(engine, method, &a),
                |engine| run(engine, method, &a),
                engine_error,
            );
        }
    }
    run(engine, method, &a)
}

/// The schedules a command changes, to lock in the database.
fn cluster_scope(engine: &Engine, method: &str, a: &Args) -> Scope {
    let text = |i: usize| a.value(i).as_str().unwrap_or_default().to_string();
    let config_ids = |config: &Value| -> Vec<String> {
        ["scheduleId", "id"]
            .iter()
            .filter_map(|k| config.get(*k).and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    match method {
        "create" | "upsert" => engine.config_scope(config_ids(a.value(0)), false),
        "sync" => {
            let ids = match a.value(0) {
                Value::Array(configs) => configs.iter().flat_map(config_ids).collect(),
                _ => Vec::new(),
            };
            let all = a.value(1).get("deleteMissing").and_then(Value::as_bool) == Some(true);
            engine.config_scope(ids, all)
        }
        "update" | "delete" => engine.config_scope(vec![text(0)], false),
        "cancel" | "retry" => engine.execution_scope(&text(0)),
        _ => engine.schedule_scope(&text(0)),
    }
}

fn run(engine: &mut Engine, method: &str, a: &Args) -> ApiResult<Value> {
    let e = |r: std::result::Result<Value, EngineError>| r.map_err(engine_error);
    match method {
        "create" => e(engine.create(a.value(0).clone()).map(Value::String)),
        "upsert" => e(engine
            .upsert(a.value(0).clone())
            .map(|done| json!(done.as_str()))),
        "sync" => {
            let Value::Array(configs) = a.value(0).clone() else {
                return Err(engine_error(EngineError::Field(engine::value::type_error(
                    "configs",
                    "an array of scheduled workflow configs",
                    a.value(0),
                ))));
            };
            let delete_missing = a.flag(1, "deleteMissing", false)?;
            e(engine.sync(configs, delete_missing).map(|done| {
                json!({
                    "created": done.created,
                    "updated": done.updated,
                    "unchanged": done.unchanged,
                    "deleted": done.deleted,
                })
            }))
        }
        "update" => e(engine
            .update(&a.string(0)?, a.value(1).clone())
            .map(|_| Value::Null)),
        "delete" => e(engine.delete(&a.string(0)?).map(|_| Value::Null)),
        "get" => Ok(engine.config(&a.string(0)?).unwrap_or(Value::Null)),
        "getAll" => Ok(Value::Array(
            engine.schedules().map(|s| s.config_view()).collect(),
        )),
        "pause" => e(engine
            .pause(&a.string(0)?, a.optional_string(1)?)
            .map(|_| Value::Null)),
        "resume" => e(engine.resume(&a.string(0)?).map(|_| Value::Null)),
        "enable" => e(engine.set_enabled(&a.string(0)?, true).map(|_| Value::Null)),
        "disable" => e(engine
            .set_enabled(&a.string(0)?, false)
            .map(|_| Value::Null)),
        "trigger" => e(engine
            .trigger(&a.string(0)?, a.value(1).clone())
            .map(Value::String)),
        "cancel" => e(engine.cancel(&a.string(0)?).map(|_| Value::Null)),
        "retry" => e(engine.retry_execution(&a.string(0)?).map(Value::String)),
        "complete" => {
            let attempt = a.value(1).as_u64().unwrap_or(0) as u32;
            Ok(Value::Bool(engine.complete(
                &a.string(0)?,
                attempt,
                outcome(a.value(2)),
            )))
        }
        "completeAll" => {
            let Value::Array(items) = a.value(0) else {
                return Ok(Value::Null);
            };
            for item in items {
                let id = item[0].as_str().unwrap_or_default();
                let attempt = item[1].as_u64().unwrap_or(0) as u32;
                engine.complete(id, attempt, outcome(&item[2]));
            }
            Ok(Value::Null)
        }
        "backfill" => e(engine
            .backfill(&a.string(0)?, a.date(1)?, a.date(2)?)
            .map(|ids| json!(ids))),
        "execution" => Ok(engine.execution(&a.string(0)?).unwrap_or(Value::Null)),
        "list" => {
            let filters =
                parse_filters(a.value(0), "filters").map_err(|f| engine_error(f.into()))?;
            Ok(Value::Array(engine.list_executions(&filters)))
        }
        "history" => {
            let mut filters =
                parse_filters(a.value(1), "filters").map_err(|f| engine_error(f.into()))?;
            e(engine.history(&a.string(0)?, &mut filters))
        }
        "nextTimes" => {
            let count = a.count(1, 5, 100_000)?;
            e(engine.next_times(&a.string(0)?, count).map(|v| {
                json!(v
                    .into_iter()
                    .map(engine::value::date_json)
                    .collect::<Vec<_>>())
            }))
        }
        "status" => e(engine.schedule_status(&a.string(0)?)),
        "skipped" => e(engine.skipped(&a.string(0)?)),
        "health" => e(engine.schedule_health(&a.string(0)?)),
        "metrics" => e(engine.schedule_metrics(&a.string(0)?)),
        "workflowStatus" => e(engine.schedule_workflow_status(&a.string(0)?)),
        "systemMetrics" => Ok(engine.system_metrics()),
        "integrationMetrics" => e(engine.integration_metrics(a.optional_string(0)?.as_deref())),
        "performanceMetrics" => Ok(engine.performance_metrics()),
        "prometheus" => {
            let per_schedule = a.flag(0, "perSchedule", true)?;
            Ok(Value::String(engine.prometheus(per_schedule)))
        }
        "now" => Ok(engine::value::date_json(engine.now())),
        "state" => Ok(json!(engine.lifecycle_name())),
        "inFlight" => Ok(json!(engine.in_flight)),
        "advance" => {
            let ms = a.value(0);
            let ms = match ms.as_f64() {
                Some(n) if n.fract() == 0.0 && n >= 0.0 && n <= 100.0 * 366.0 * 86_400_000.0 => {
                    n as u64
                }
                _ => {
                    return Err(ApiError::new(
                        ErrorKind::Range,
                        "ERR_OUT_OF_RANGE",
                        "expected a whole number of milliseconds from 0 to 100 years",
                    )
                    .at("ms", None)
                    .with_json(ms.clone()))
                }
            };
            let jump = a
                .value(1)
                .get("jump")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            e(engine.advance(ms, jump).map(|_| Value::Null))
        }
        "advanceStep" => {
            let until = a.date(0)?;
            e(engine.advance_step(until).map(Value::Bool))
        }
        "listen" => {
            let types = match a.value(0) {
                Value::Array(items) => Some(
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                ),
                _ => None,
            };
            engine.set_listening(types);
            Ok(Value::Null)
        }
        "beginStop" => {
            engine.begin_stop();
            Ok(Value::Null)
        }
        "abortRunning" => {
            engine.abort_running();
            Ok(Value::Null)
        }
        "finishStop" => {
            engine.finish_stop();
            Ok(Value::Null)
        }
        // Fault injection for tests, only with TICKFLOW_TEST_FAULTS=1 in the environment.
        "__panic" if fault_injection() => panic!("injected panic in a sync export"),
        "__injectFault" if fault_injection() => {
            engine.inject_fault();
            Ok(Value::Null)
        }
        other => Err(ApiError::new(
            ErrorKind::Type,
            "ERR_UNKNOWN_METHOD",
            format!("unknown method '{other}'"),
        )),
    }
}

#[napi]
impl NativeIntegration {
    /// `options`: the integration options as JSON, without the executor.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, options: String) -> Result<Self> {
        to_js(
            &env,
            (|| {
                let value = parse_json(&options, "options")?;
                let parsed = parse_options(&value).map_err(|f| engine_error(f.into()))?;
                let mut engine = Engine::new(parsed.engine, parsed.manual_start);
                let store = match parsed.store {
                    StoreOptions::Memory => None,
                    StoreOptions::Sqlite(options) => {
                        engine.expect_store();
                        Some(DurableStore::Sqlite(options))
                    }
                    StoreOptions::Postgres(options) => {
                        engine.expect_store();
                        Some(DurableStore::Postgres(options))
                    }
                };
                Ok(NativeIntegration {
                    manual: engine.is_manual(),
                    shared: Arc::new(Shared::new(engine)),
                    wake: std::sync::Mutex::new(None),
                    referenced: std::sync::atomic::AtomicBool::new(true),
                    store,
                    encoder: Default::default(),
                })
            })(),
        )
    }

    /// Opens the durable store (once; later calls and a memory store resolve at once).
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn open_store(&self) -> AsyncTask<OpenStore> {
        AsyncTask::new(OpenStore {
            shared: self.shared.clone(),
            options: self.store.clone(),
            failure: None,
        })
    }

    /// Commits and closes the durable store after a stop; `openStore` opens it again.
    #[napi(catch_unwind)]
    pub fn close_store(&self) {
        self.shared.lock().detach_store();
    }

    /// Starts the engine. `wake` is called (through a threadsafe function) whenever the
    /// engine has messages for JavaScript to drain. A manual clock has no driver, so it
    /// makes no threadsafe function: it holds nothing on Node's event loop.
    #[napi(catch_unwind)]
    pub fn start(&self, env: Env, wake: Function<(), ()>) -> Result<()> {
        let result = self.shared.lock().start().map_err(engine_error);
        to_js(&env, result)?;
        if self.manual {
            return Ok(());
        }
        let tsfn: Arc<Wake> = Arc::new(
            wake.build_threadsafe_function()
                .callee_handled::<false>()
                .build()?,
        );
        if !self.referenced.load(std::sync::atomic::Ordering::Relaxed) {
            unsafe { napi::sys::napi_unref_threadsafe_function(env.raw(), tsfn.raw()) };
        }
        *self.wake_slot() = Some(tsfn.clone());
        let shared = self.shared.clone();
        let epoch = shared.epoch();
        napi::bindgen_prelude::spawn(async move {
            let waker = tsfn.clone();
            let reporter = shared.clone();
            drive(shared, epoch, move || {
                let waker = waker.clone();
                let reporter = reporter.clone();
                napi::bindgen_prelude::spawn(async move {
                    if let Err(err) = waker.call_async_catch(()).await {
                        // The drain function is tickflow's own and catches listener
                        // errors; anything arriving here is a fault worth reporting.
                        reporter.lock().report_error(
                            "ERR_INTERNAL",
                            &format!("draining events failed: {err}"),
                        );
                    }
                });
            })
            .await;
        });
        Ok(())
    }

    fn wake_slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Wake>>> {
        self.wake.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a command: `method` names it, `args` is a JSON array of its arguments.
    #[napi(catch_unwind)]
    pub fn call(&self, env: Env, method: String, args: String) -> Result<String> {
        to_js(
            &env,
            (|| {
                let values = match parse_json(&args, "arguments")? {
                    Value::Array(v) => v,
                    other => vec![other],
                };
                let mut engine = self.shared.lock();
                let before = engine.next_due();
                // Committed by the drain that follows (one per burst of commands).
                let answer = command(&mut engine, &method, values)?;
                // In a cluster, answers wait for the driver to write them.
                if engine.next_due() != before
                    || (engine.is_cluster() && method.starts_with("complete"))
                {
                    self.shared.poke();
                }
                Ok(answer.to_string())
            })(),
        )
    }

    /// Everything the engine has said since the last drain, in order, in the compact form
    /// of `outbound.rs`.
    #[napi(catch_unwind)]
    pub fn drain(&self) -> String {
        self.shared.clear_wake();
        let messages = self.shared.lock().take_messages();
        let mut encoder = self.encoder.lock().unwrap_or_else(|e| e.into_inner());
        encoder.encode(messages)
    }

    /// Executors' answers, batched: `attempts` holds a `key, attempt` pair for each (the
    /// key from its request's message), `outcomes` a JSON array with each one's outcome
    /// (`{ ok: true, result }` or `{ ok: false, code, message, stack }`), in the same order.
    #[napi(catch_unwind)]
    pub fn complete_all(&self, env: Env, attempts: Float64Array, outcomes: String) -> Result<()> {
        to_js(
            &env,
            (|| {
                let Value::Array(outcomes) = parse_json(&outcomes, "outcomes")? else {
                    return Err(ApiError::new(
                        ErrorKind::Type,
                        "ERR_INVALID_ARG_TYPE",
                        "expected a JSON array",
                    )
                    .at("outcomes", None));
                };
                let mut engine = self.shared.lock();
                let before = engine.next_due();
                for (pair, outcome_json) in attempts.chunks_exact(2).zip(&outcomes) {
                    engine.complete_key(pair[0] as u64, pair[1] as u32, outcome(outcome_json));
                }
                // A retry's timer, say; in a cluster, answers wait for the driver to write them.
                if engine.next_due() != before || engine.is_cluster() {
                    self.shared.poke();
                }
                Ok(())
            })(),
        )
    }

    /// What every event id starts with (`evt_xxxxxxxx_`); the drain sends the numbers.
    #[napi(catch_unwind)]
    pub fn event_id_prefix(&self) -> String {
        self.shared.lock().event_id_prefix()
    }

    /// The environment events name when a workflow names none (option `environment`).
    #[napi(catch_unwind)]
    pub fn default_environment(&self) -> String {
        self.shared.lock().options.environment.clone()
    }

    /// Stops the driver and releases the threadsafe function, so that Node can exit.
    #[napi(catch_unwind)]
    pub fn release(&self) {
        self.shared.shutdown();
        *self.wake_slot() = None;
    }

    /// Lets the process exit while schedules are active.
    #[napi(catch_unwind)]
    pub fn unref(&self, env: Env) {
        self.set_referenced(&env, false);
    }

    /// Keeps the process alive while started (the default).
    #[napi(js_name = "ref", catch_unwind)]
    pub fn refer(&self, env: Env) {
        self.set_referenced(&env, true);
    }

    fn set_referenced(&self, env: &Env, referenced: bool) {
        self.referenced
            .store(referenced, std::sync::atomic::Ordering::Relaxed);
        if let Some(tsfn) = self.wake_slot().as_ref() {
            unsafe {
                if referenced {
                    napi::sys::napi_ref_threadsafe_function(env.raw(), tsfn.raw());
                } else {
                    napi::sys::napi_unref_threadsafe_function(env.raw(), tsfn.raw());
                }
            };
        }
    }
}
