//! `NativeIntegration`: the handle that the JavaScript `WorkflowScheduleIntegration` owns.
//!
//! It converts and forwards: this file holds the handle's lifecycle (store, driver, drain,
//! answers), `commands.rs` its commands and reads, `outbound.rs` the drained messages'
//! encoding. The wrapper in `lib/integration.js` gives them their documented shape.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde_json::Value;
use tickflow_core::cluster::{ClusterOptions, Db};
use tickflow_core::engine::{
    self, drive, parse_options, Engine, EngineError, Outcome, Shared, StoreOptions,
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
    pub(crate) shared: Arc<Shared>,
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

impl NativeIntegration {
    /// Whether the store is a cluster's PostgreSQL database (open or not).
    pub(crate) fn on_postgres(&self) -> bool {
        matches!(self.store, Some(DurableStore::Postgres(_)))
    }
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
                shared.attach_store(Box::new(store))
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
                shared.attach_cluster(db)?;
                shared.set_clustered(true);
                Ok(())
            }
        });
        let failure = match opened {
            Ok(Ok(())) => {
                // A read-only store on a cluster follows the nodes from now on.
                self.shared.observe();
                return Ok(());
            }
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

pub(crate) fn engine_error(err: EngineError) -> ApiError {
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
        other => ApiError::new(ErrorKind::Plain, other.code(), other.to_string()),
    }
}

pub(crate) fn parse_json(text: &str, path: &str) -> ApiResult<Value> {
    serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            ErrorKind::Type,
            "ERR_INVALID_ARG_TYPE",
            format!("not representable as JSON: {e}"),
        )
        .at(path, None)
    })
}

/// An executor's answer: `[result]` for a success, `{ code, message, stack }` for a failure.
fn outcome(value: Value) -> Outcome {
    match value {
        Value::Array(mut items) if items.len() == 1 => {
            Outcome::Completed(items.pop().unwrap_or(Value::Null))
        }
        value => {
            let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
            Outcome::Failed {
                code: text("code").unwrap_or_else(|| "EXECUTION_FAILED".into()),
                message: text("message").unwrap_or_default(),
                stack: text("stack"),
            }
        }
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

    /// Everything the engine has said since the last drain, in order, in the compact form
    /// of `outbound.rs`.
    #[napi(catch_unwind)]
    pub fn drain(&self) -> String {
        self.shared.clear_wake();
        let messages = self.shared.take_messages();
        let mut encoder = self.encoder.lock().unwrap_or_else(|e| e.into_inner());
        encoder.encode(messages)
    }

    /// Executors' answers, batched: `attempts` holds a `key, attempt` pair for each (the
    /// key from its request's message), `outcomes` a JSON array with each one's outcome
    /// (`[result]` or `{ code, message, stack }`), in the same order.
    #[napi(catch_unwind)]
    pub fn complete_all(&self, env: Env, attempts: Float64Array, outcomes: String) -> Result<()> {
        let outcomes = match to_js(&env, parse_json(&outcomes, "outcomes"))? {
            Value::Array(outcomes) => outcomes,
            _ => {
                let err = ApiError::new(
                    ErrorKind::Type,
                    "ERR_INVALID_ARG_TYPE",
                    "expected a JSON array",
                )
                .at("outcomes", None);
                return to_js(&env, Err(err));
            }
        };
        let answers = attempts
            .chunks_exact(2)
            .zip(outcomes)
            .map(|(pair, outcome_json)| (pair[0] as u64, pair[1] as u32, outcome(outcome_json)));
        if self.shared.clustered() {
            // Written by the driver in its next turn; this thread does not wait for it.
            self.shared.hand_answers(answers);
            return Ok(());
        }
        // `with_engine` wakes the driver for a retry's timer.
        let answers: Vec<_> = answers.collect();
        self.with_engine(&env, |engine| {
            for (key, attempt, outcome) in answers {
                engine.complete_key(key, attempt, outcome);
            }
            Ok(())
        })
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
