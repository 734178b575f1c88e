//! `NativeIntegration`'s commands and reads, one typed method each. Configs, filters and
//! records cross as JSON text (dates as `{ "$date": ms }`): a serde parse of JSON.stringify's
//! output costs less than walking a JavaScript object through N-API. Ids, flags and numbers
//! cross as themselves. `lib/integration.js` checks the types of what users pass before it
//! calls these; the values are checked here.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tickflow_core::cluster::{Db, Scope};
use tickflow_core::engine::{self, parse_filters, value::date_value, Engine, EngineError};

use crate::integration::{engine_error, parse_json, NativeIntegration};
use crate::js_error::{to_js, ApiError, ApiResult, ErrorKind};

/// 100 years, the longest a manual clock moves in one call.
const MAX_ADVANCE_MS: f64 = 100.0 * 366.0 * 86_400_000.0;
/// Most occurrences `nextTimes` lists.
const MAX_NEXT_TIMES: f64 = 100_000.0;

fn engine_result<T>(r: std::result::Result<T, EngineError>) -> ApiResult<T> {
    r.map_err(engine_error)
}

/// Settles a command's Promise on the JavaScript thread.
type Settle<T> = Box<dyn FnOnce(Env) -> Result<T> + Send>;

/// A command's answer: the value (memory, SQLite) or a Promise of it (a cluster).
type Answer<'env, T> = Result<Either<T, Object<'env>>>;

/// Runs `job` on a thread of the store's runtime and answers a Promise of its result: the
/// JavaScript thread never waits for PostgreSQL. A fault (panic) in it rejects, saying what
/// it was `doing`.
fn off_thread<'env, T: ToNapiValue + Send + 'static>(
    env: &'env Env,
    db: &Db,
    doing: &'static str,
    job: impl FnOnce() -> std::result::Result<T, EngineError> + Send + 'static,
) -> Answer<'env, T> {
    let (deferred, promise) = env.create_deferred::<T, Settle<T>>()?;
    db.spawn_blocking(move || {
        let answer =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or_else(|_| {
                Err(EngineError::Internal(format!(
                    "a fault (panic) while {doing}"
                )))
            });
        deferred.resolve(Box::new(move |env: Env| {
            answer.map_err(|e| engine_error(e).into_rejection(&env))
        }));
    });
    Ok(Either::B(promise))
}

/// The ids a config names (`id`, `scheduleId`), for a cluster's locks.
fn config_ids(config: &Value) -> Vec<String> {
    ["scheduleId", "id"]
        .iter()
        .filter_map(|k| config.get(*k).and_then(Value::as_str).map(str::to_string))
        .collect()
}

impl NativeIntegration {
    /// Runs a read (or a change that needs no lock) against the engine, waking the driver
    /// when the next due instant moved.
    pub(crate) fn with_engine<T>(
        &self,
        env: &Env,
        op: impl FnOnce(&mut Engine) -> ApiResult<T>,
    ) -> Result<T> {
        let result = (|| {
            let mut engine = self.shared.lock();
            let before = engine.next_due();
            let answer = op(&mut engine)?;
            if engine.next_due() != before {
                self.shared.poke();
            }
            Ok(answer)
        })();
        to_js(env, result)
    }

    /// Runs a change: refused on a read-only store and before a durable store is open;
    /// committed before it answers. On memory and SQLite it runs here and answers the
    /// value; on one node of a cluster it runs under the locks of the schedules `scope`
    /// names on a thread of the database's runtime, and answers a Promise of the value,
    /// settled when committed (or refused, or after the store's `commandTimeoutMs`): the
    /// JavaScript thread never waits for PostgreSQL. Its messages go out with the drain
    /// that follows.
    fn change<'env, T: ToNapiValue + Send + 'static>(
        &self,
        env: &'env Env,
        scope: impl FnOnce(&Engine) -> Scope + Send + 'static,
        op: impl FnOnce(&mut Engine) -> std::result::Result<T, EngineError> + Send + 'static,
    ) -> Result<Either<T, Object<'env>>> {
        self.change_with(env, None, scope, op)
    }

    /// `change`; on a cluster, the execution `hold` names is read from the database first
    /// when this node does not hold it (`Shared::hold_from_db`).
    fn change_with<'env, T: ToNapiValue + Send + 'static>(
        &self,
        env: &'env Env,
        hold: Option<String>,
        scope: impl FnOnce(&Engine) -> Scope + Send + 'static,
        op: impl FnOnce(&mut Engine) -> std::result::Result<T, EngineError> + Send + 'static,
    ) -> Result<Either<T, Object<'env>>> {
        let db = {
            let engine = self.shared.lock();
            to_js(env, engine.check_writable().map_err(engine_error))?;
            self.shared.cluster_db_of(&engine)
        };
        let Some(db) = db else {
            let before = self.shared.lock().next_due();
            // Committed before it returns: on a store, a change that could not be written
            // is refused and undone.
            let answer = self.shared.command(scope, op, std::convert::identity);
            if self.shared.lock().next_due() != before {
                self.shared.poke();
            }
            return to_js(env, engine_result(answer)).map(Either::A);
        };
        let shared = self.shared.clone();
        off_thread(env, &db, "running a command", move || {
            if let Some(id) = hold {
                shared.hold_from_db(&id)?;
            }
            shared.command(scope, op, std::convert::identity)
        })
    }

    /// Runs `job` where the store's work belongs: on a cluster node, on a thread of the
    /// database's runtime, answering a Promise (the JavaScript thread never waits for
    /// PostgreSQL; a fault rejects, saying what it was `doing`); elsewhere here, answering
    /// its value.
    fn beside_the_store<'env, T: ToNapiValue + Send + 'static>(
        &self,
        env: &'env Env,
        doing: &'static str,
        job: impl FnOnce(&engine::Shared) -> std::result::Result<T, EngineError> + Send + 'static,
    ) -> Answer<'env, T> {
        let Some(db) = self.shared.cluster_db() else {
            return to_js(env, engine_result(job(&self.shared))).map(Either::A);
        };
        let shared = self.shared.clone();
        off_thread(env, &db, doing, move || job(&shared))
    }

    /// A read that may need the store: on one node of a cluster it runs on a thread of the
    /// database's runtime (`remote`, bounded by the store's `commandTimeoutMs`) and answers
    /// a Promise of the value: the JavaScript thread never waits for PostgreSQL. Elsewhere
    /// it runs here against the engine (`local`).
    fn read<'env, T: ToNapiValue + Send + 'static>(
        &self,
        env: &'env Env,
        local: impl FnOnce(&mut Engine) -> ApiResult<T>,
        remote: impl FnOnce(&engine::Shared) -> std::result::Result<T, EngineError> + Send + 'static,
    ) -> Answer<'env, T> {
        let Some(db) = self.shared.history_db() else {
            return self.with_engine(env, local).map(Either::A);
        };
        let shared = self.shared.clone();
        off_thread(env, &db, "reading from the store", move || remote(&shared))
    }

    /// Moves the manual clock (never in a cluster). What falls due is the engine's own
    /// record, as with the system clock's timers: committed by the drain, and retried there
    /// when it cannot be written, not refused.
    fn move_clock<T>(
        &self,
        env: &Env,
        op: impl FnOnce(&mut Engine) -> std::result::Result<T, EngineError>,
    ) -> Result<T> {
        self.with_engine(env, |engine| {
            engine.check_writable().map_err(engine_error)?;
            engine_result(op(engine))
        })
    }

    /// A change to one schedule.
    fn change_schedule<'env, T: ToNapiValue + Send + 'static>(
        &self,
        env: &'env Env,
        schedule_id: String,
        op: impl FnOnce(&mut Engine) -> std::result::Result<T, EngineError> + Send + 'static,
    ) -> Answer<'env, T> {
        self.change(env, move |e| e.schedule_scope(&schedule_id), op)
    }

    /// A change to one execution. On a cluster a finished one is only in the database: it
    /// is read first (on the command's thread), for the command to find.
    fn change_execution<'env, T: ToNapiValue + Send + 'static>(
        &self,
        env: &'env Env,
        execution_id: String,
        op: impl FnOnce(&mut Engine) -> std::result::Result<T, EngineError> + Send + 'static,
    ) -> Answer<'env, T> {
        let id = execution_id.clone();
        self.change_with(env, Some(id), move |e| e.execution_scope(&execution_id), op)
    }

    /// A change to the config `id`.
    fn change_config<'env, T: ToNapiValue + Send + 'static>(
        &self,
        env: &'env Env,
        id: String,
        op: impl FnOnce(&mut Engine) -> std::result::Result<T, EngineError> + Send + 'static,
    ) -> Answer<'env, T> {
        self.change(env, move |e| e.config_scope(vec![id], false), op)
    }
}

#[napi]
impl NativeIntegration {
    // ---- scheduled workflows ---------------------------------------------------------

    /// Creates a scheduled workflow from its config (JSON); returns its id.
    #[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
    pub fn create<'env>(&self, env: &'env Env, config: String) -> Answer<'env, String> {
        let config = to_js(env, parse_json(&config, "config"))?;
        let ids = config_ids(&config);
        self.change(
            env,
            move |e| e.config_scope(ids, false),
            move |e| e.create(config),
        )
    }

    /// Creates the scheduled workflow or makes it exactly `config` (JSON): returns
    /// `created`, `updated` or `unchanged`.
    #[napi(
        catch_unwind,
        ts_return_type = "'created' | 'updated' | 'unchanged' | Promise<'created' | 'updated' | 'unchanged'>"
    )]
    pub fn upsert<'env>(&self, env: &'env Env, config: String) -> Answer<'env, String> {
        let config = to_js(env, parse_json(&config, "config"))?;
        let ids = config_ids(&config);
        self.change(
            env,
            move |e| e.config_scope(ids, false),
            move |e| e.upsert(config).map(|done| done.as_str().to_string()),
        )
    }

    /// Makes the scheduled workflows match `configs` (a JSON array); returns the ids
    /// created, updated, unchanged and deleted, as JSON. Each config is parsed when its turn
    /// comes, and kept as text once checked: 100,000 parsed configs at once would cost
    /// ten times the memory.
    #[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
    pub fn sync<'env>(
        &self,
        env: &'env Env,
        configs: String,
        delete_missing: bool,
    ) -> Answer<'env, String> {
        let items = to_js(
            env,
            match serde_json::from_str::<Vec<Box<RawValue>>>(&configs) {
                Ok(items) => Ok(items),
                Err(_) => Err(match parse_json(&configs, "configs") {
                    Err(err) => err,
                    Ok(other) => engine_error(EngineError::Field(engine::value::type_error(
                        "configs",
                        "an array of scheduled workflow configs",
                        &other,
                    ))),
                }),
            },
        )?;
        let parse =
            |raw: &RawValue| serde_json::from_str::<Value>(raw.get()).unwrap_or(Value::Null);
        let items = std::sync::Arc::new(items);
        let listed = items.clone();
        self.change(
            env,
            // Only on one node of a cluster: the schedules to lock.
            move |e| {
                e.config_scope(
                    listed
                        .iter()
                        .map(|raw| parse(raw))
                        .flat_map(|c| config_ids(&c))
                        .collect(),
                    delete_missing,
                )
            },
            move |e| {
                let done = e.sync(items.iter().map(|raw| parse(raw)), delete_missing)?;
                Ok(json!({
                    "created": done.created,
                    "updated": done.updated,
                    "unchanged": done.unchanged,
                    "deleted": done.deleted,
                })
                .to_string())
            },
        )
    }

    /// What `sync` would do with `configs` (a JSON array), changing nothing: the ids it
    /// would create, update and leave unchanged, as JSON.
    #[napi(catch_unwind)]
    pub fn sync_plan(&self, env: Env, configs: String) -> Result<String> {
        self.with_engine(&env, |e| {
            let configs = match parse_json(&configs, "configs")? {
                Value::Array(items) => items,
                other => {
                    return Err(engine_error(EngineError::Field(engine::value::type_error(
                        "configs",
                        "an array of scheduled workflow configs",
                        &other,
                    ))))
                }
            };
            let plan = e.sync_plan(configs).map_err(engine_error)?;
            Ok(json!({
                "created": plan.created,
                "updated": plan.updated,
                "unchanged": plan.unchanged,
            })
            .to_string())
        })
    }

    /// Merges `updates` (JSON) into the config `id`.
    #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
    pub fn update<'env>(&self, env: &'env Env, id: String, updates: String) -> Answer<'env, ()> {
        let updates = to_js(env, parse_json(&updates, "updates"))?;
        self.change_config(env, id.clone(), move |e| e.update(&id, updates))
    }

    #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
    pub fn delete<'env>(&self, env: &'env Env, id: String) -> Answer<'env, ()> {
        self.change_config(env, id.clone(), move |e| e.delete(&id))
    }

    #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
    pub fn pause<'env>(
        &self,
        env: &'env Env,
        schedule_id: String,
        note: Option<String>,
    ) -> Answer<'env, ()> {
        let id = schedule_id.clone();
        self.change_schedule(env, schedule_id, move |e| e.pause(&id, note))
    }

    #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
    pub fn resume<'env>(&self, env: &'env Env, schedule_id: String) -> Answer<'env, ()> {
        let id = schedule_id.clone();
        self.change_schedule(env, schedule_id, move |e| e.resume(&id))
    }

    /// Enables or disables a schedule.
    #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
    pub fn set_enabled<'env>(
        &self,
        env: &'env Env,
        schedule_id: String,
        enabled: bool,
    ) -> Answer<'env, ()> {
        let id = schedule_id.clone();
        self.change_schedule(env, schedule_id, move |e| e.set_enabled(&id, enabled))
    }

    // ---- executions --------------------------------------------------------------------

    /// Starts a manual run; `context` is JSON (or none). Returns the execution id.
    #[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
    pub fn trigger<'env>(
        &self,
        env: &'env Env,
        schedule_id: String,
        context: Option<String>,
    ) -> Answer<'env, String> {
        let context = match context {
            Some(text) => to_js(env, parse_json(&text, "context"))?,
            None => Value::Null,
        };
        let id = schedule_id.clone();
        self.change_schedule(env, schedule_id, move |e| e.trigger(&id, context))
    }

    #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
    pub fn cancel<'env>(&self, env: &'env Env, execution_id: String) -> Answer<'env, ()> {
        let id = execution_id.clone();
        self.change_execution(env, execution_id, move |e| e.cancel(&id))
    }

    /// Runs a finished execution again, as a new one; returns its id.
    #[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
    pub fn retry<'env>(&self, env: &'env Env, execution_id: String) -> Answer<'env, String> {
        let id = execution_id.clone();
        self.change_execution(env, execution_id, move |e| e.retry_execution(&id))
    }

    /// One execution per occurrence in [from, to): dates as JSON (`{ "$date": ms }` or an
    /// ISO string), checked here. Returns the execution ids.
    #[napi(catch_unwind, ts_return_type = "string[] | Promise<string[]>")]
    pub fn backfill<'env>(
        &self,
        env: &'env Env,
        schedule_id: String,
        from: String,
        to: String,
    ) -> Answer<'env, Vec<String>> {
        let range = (|| {
            let from = date_value(&parse_json(&from, "from")?, "from")
                .map_err(|e| engine_error(e.into()))?;
            let to =
                date_value(&parse_json(&to, "to")?, "to").map_err(|e| engine_error(e.into()))?;
            Ok((from, to))
        })();
        let (from, to) = to_js(env, range)?;
        let id = schedule_id.clone();
        self.change_schedule(env, schedule_id, move |e| e.backfill(&id, from, to))
    }

    // ---- reads (JSON text; `null` for an unknown id where that is no error) ------------

    /// The config `id`, as JSON; `null` when there is none.
    #[napi(catch_unwind)]
    pub fn config(&self, env: Env, id: String) -> Result<Option<String>> {
        self.with_engine(&env, |e| Ok(e.config(&id).map(|v| v.to_string())))
    }

    /// Every config, as a JSON array.
    #[napi(catch_unwind)]
    pub fn configs(&self, env: Env) -> Result<String> {
        self.with_engine(&env, |e| {
            Ok(Value::Array(e.schedules().map(|s| s.config_view()).collect()).to_string())
        })
    }

    /// The execution as JSON, `null` when there is none; a Promise of it on a cluster (read
    /// from the database, which holds the finished ones).
    #[napi(
        catch_unwind,
        ts_return_type = "string | null | Promise<string | null>"
    )]
    pub fn execution<'env>(
        &self,
        env: &'env Env,
        execution_id: String,
    ) -> Answer<'env, Option<String>> {
        let id = execution_id.clone();
        self.read(
            env,
            |e| Ok(e.execution(&execution_id).map(|v| v.to_string())),
            move |shared| Ok(shared.read_execution(&id)?.map(|v| v.to_string())),
        )
    }

    /// Executions matching `filters` (JSON, or none), as a JSON array (a Promise of it on a
    /// cluster: a page read from the database).
    #[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
    pub fn list<'env>(&self, env: &'env Env, filters: Option<String>) -> Answer<'env, String> {
        let filters = to_js(env, read_filters(filters))?;
        let cluster = self.shared.history_db().is_some();
        let (local, remote) = if cluster {
            (None, Some(filters))
        } else {
            (Some(filters), None)
        };
        self.read(
            env,
            move |e| Ok(Value::Array(e.list_executions(&local.expect("local"))).to_string()),
            move |shared| Ok(Value::Array(shared.read_list(&remote.expect("remote"))?).to_string()),
        )
    }

    #[napi(catch_unwind, ts_return_type = "string | Promise<string>")]
    pub fn history<'env>(
        &self,
        env: &'env Env,
        schedule_id: String,
        filters: Option<String>,
    ) -> Answer<'env, String> {
        let filters = to_js(env, read_filters(filters))?;
        let cluster = self.shared.history_db().is_some();
        let (local, remote) = if cluster {
            (None, Some(filters))
        } else {
            (Some(filters), None)
        };
        let id = schedule_id.clone();
        self.read(
            env,
            move |e| {
                let mut filters = local.expect("local");
                Ok(engine_result(e.history(&schedule_id, &mut filters))?.to_string())
            },
            move |shared| {
                Ok(shared
                    .read_history(&id, remote.expect("remote"))?
                    .to_string())
            },
        )
    }

    /// The next `count` (default 5, at most 100,000) run times, in ms since the epoch.
    #[napi(catch_unwind)]
    pub fn next_times(
        &self,
        env: Env,
        schedule_id: String,
        count: Option<f64>,
    ) -> Result<Vec<f64>> {
        self.with_engine(&env, |e| {
            let count = match count {
                None => 5,
                Some(n) if n.fract() == 0.0 && (1.0..=MAX_NEXT_TIMES).contains(&n) => n as usize,
                Some(n) => {
                    return Err(ApiError::new(
                        ErrorKind::Range,
                        "ERR_OUT_OF_RANGE",
                        format!("expected a whole number from 1 to {MAX_NEXT_TIMES}, got {n}"),
                    )
                    .at("count", None)
                    .with_json(json!(n)))
                }
            };
            let times = engine_result(e.next_times(&schedule_id, count))?;
            Ok(times
                .into_iter()
                .map(|t| t.timestamp_millis() as f64)
                .collect())
        })
    }

    /// A schedule's status, health, metrics, workflow status or skipped occurrences
    /// (`what`), as JSON.
    #[napi(
        catch_unwind,
        ts_args_type = "what: 'status' | 'health' | 'metrics' | 'workflowStatus' | 'skipped', scheduleId: string",
        ts_return_type = "string | Promise<string>"
    )]
    pub fn schedule_report<'env>(
        &self,
        env: &'env Env,
        what: String,
        schedule_id: String,
    ) -> Answer<'env, String> {
        if !["status", "health", "metrics", "workflowStatus", "skipped"].contains(&what.as_str()) {
            let err = ApiError::new(
                ErrorKind::Range,
                "ERR_INVALID_ARG_VALUE",
                format!("no report '{what}'"),
            )
            .at("what", None);
            return to_js(env, Err(err));
        }
        let (remote_what, remote_id) = (what.clone(), schedule_id.clone());
        self.read(
            env,
            move |e| {
                let id = schedule_id.as_str();
                let report = match what.as_str() {
                    "status" => e.schedule_status(id),
                    "health" => e.schedule_health(id),
                    "metrics" => e.schedule_metrics(id),
                    "workflowStatus" => e.schedule_workflow_status(id),
                    _ => e.skipped(id),
                };
                Ok(engine_result(report)?.to_string())
            },
            move |shared| Ok(shared.read_report(&remote_what, &remote_id)?.to_string()),
        )
    }

    #[napi(catch_unwind)]
    pub fn system_metrics(&self, env: Env) -> Result<String> {
        self.with_engine(&env, |e| Ok(e.system_metrics().to_string()))
    }

    /// For one schedule, or for all (none).
    #[napi(catch_unwind)]
    pub fn integration_metrics(&self, env: Env, schedule_id: Option<String>) -> Result<String> {
        self.with_engine(&env, |e| {
            Ok(engine_result(e.integration_metrics(schedule_id.as_deref()))?.to_string())
        })
    }

    #[napi(catch_unwind)]
    pub fn performance_metrics(&self, env: Env) -> Result<String> {
        self.with_engine(&env, |e| Ok(e.performance_metrics().to_string()))
    }

    // ---- time and lifecycle ------------------------------------------------------------

    /// The engine's clock, in ms since the epoch.
    #[napi(catch_unwind)]
    pub fn now(&self, env: Env) -> Result<f64> {
        self.with_engine(&env, |e| Ok(e.now().timestamp_millis() as f64))
    }

    #[napi(catch_unwind, ts_return_type = "'stopped' | 'running' | 'stopping'")]
    pub fn state(&self, env: Env) -> Result<String> {
        self.with_engine(&env, |e| Ok(e.lifecycle_name().to_string()))
    }

    /// Attempts running now.
    #[napi(catch_unwind)]
    pub fn in_flight(&self, env: Env) -> Result<u32> {
        self.with_engine(&env, |e| Ok(e.in_flight() as u32))
    }

    /// Manual clock only: moves time by `ms` (a whole number, at most 100 years); `jump`
    /// leaps, as a sleeping host does.
    #[napi(catch_unwind)]
    pub fn advance(&self, env: Env, ms: f64, jump: bool) -> Result<()> {
        if !(ms.fract() == 0.0 && (0.0..=MAX_ADVANCE_MS).contains(&ms)) {
            let err = ApiError::new(
                ErrorKind::Range,
                "ERR_OUT_OF_RANGE",
                "expected a whole number of milliseconds from 0 to 100 years",
            )
            .at("ms", None)
            .with_json(json!(ms));
            return to_js(&env, Err(err));
        }
        self.move_clock(&env, |e| e.advance(ms as u64, jump))
    }

    /// Manual clock only: handles the next instant up to `until` (ms); whether more remain.
    #[napi(catch_unwind)]
    pub fn advance_step(&self, env: Env, until: f64) -> Result<bool> {
        let until = to_js(
            &env,
            date_value(&json!({ "$date": until }), "until").map_err(|e| engine_error(e.into())),
        )?;
        self.move_clock(&env, |e| e.advance_step(until))
    }

    /// Whether the integration has an executor (it runs every schedule without a handler).
    #[napi(catch_unwind)]
    pub fn set_executor(&self, env: Env, present: bool) -> Result<()> {
        self.with_engine(&env, |e| {
            e.set_executor(present);
            Ok(())
        })
    }

    /// Whether this process holds a handler of its own (`schedule()`) for the schedule.
    #[napi(catch_unwind)]
    pub fn set_handled(&self, env: Env, schedule_id: String, handled: bool) -> Result<()> {
        self.with_engine(&env, |e| {
            e.set_handled(&schedule_id, handled);
            Ok(())
        })
    }

    /// Limits the events built to these types (none: all of them).
    #[napi(catch_unwind)]
    pub fn listen(&self, env: Env, types: Option<Vec<String>>) -> Result<()> {
        self.with_engine(&env, |e| {
            e.set_listening(types);
            Ok(())
        })
    }

    /// Stops firing and dispatching; running attempts go on.
    #[napi(catch_unwind)]
    pub fn begin_stop(&self, env: Env) -> Result<()> {
        self.with_engine(&env, |e| {
            e.begin_stop();
            Ok(())
        })
    }

    /// Aborts the attempts still running at the end of the grace period. In a cluster they
    /// are recorded interrupted in the database, off the JavaScript thread (a Promise).
    #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
    pub fn abort_running<'env>(&self, env: &'env Env) -> Answer<'env, ()> {
        self.beside_the_store(env, "aborting what still runs", |shared| {
            shared.abort_running();
            Ok(())
        })
    }

    #[napi(catch_unwind)]
    pub fn finish_stop(&self, env: Env) -> Result<()> {
        self.with_engine(&env, |e| {
            e.finish_stop();
            Ok(())
        })
    }

    /// Commits and closes the durable store; `openStore` opens it again. When the last
    /// commit fails (ERR_STORE_WRITE) the store stays open, what it could not write stays in
    /// memory, and a later call tries again. In a cluster the executor answers waiting are
    /// written and the node leaves (its row and its connections go) off the JavaScript
    /// thread, and this answers a Promise; elsewhere it closes here.
    #[napi(catch_unwind, ts_return_type = "void | Promise<void>")]
    pub fn close_store<'env>(&self, env: &'env Env) -> Answer<'env, ()> {
        self.beside_the_store(env, "closing the store", |shared| shared.close_store())
    }

    /// Tests only, with TICKFLOW_TEST_FAULTS=1: `panic` panics in this call, `timer` makes
    /// the next timer the engine handles panic.
    #[napi(catch_unwind, ts_args_type = "fault: 'panic' | 'timer'")]
    pub fn inject_fault(&self, env: Env, fault: String) -> Result<()> {
        let enabled = std::env::var("TICKFLOW_TEST_FAULTS").is_ok_and(|v| v == "1");
        self.with_engine(&env, |e| match fault.as_str() {
            "panic" if enabled => panic!("injected panic in a sync export"),
            "timer" if enabled => {
                e.inject_fault();
                Ok(())
            }
            _ => Err(ApiError::new(
                ErrorKind::Plain,
                "ERR_INVALID_STATE",
                "fault injection needs TICKFLOW_TEST_FAULTS=1",
            )),
        })
    }
}

fn read_filters(filters: Option<String>) -> ApiResult<engine::Filters> {
    let value = match filters {
        Some(text) => parse_json(&text, "filters")?,
        None => Value::Null,
    };
    parse_filters(&value, "filters").map_err(|f| engine_error(f.into()))
}
