//! The engine: schedules, the timer heap, the run queue and execution records, as one
//! synchronous state machine. Time is passed in by the caller (a system-clock driver task,
//! or `advance` for a manual clock), and everything the engine has to say to JavaScript
//! goes into an outbox of messages that the binding drains in order.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::config::{parse_config, ScheduleSpec};
use super::execution::ExecutionStatus;
use super::schedule::{Schedule, Stats};
use super::text;
use super::timers::{Timer, Timers};
use super::value::FieldError;
use super::EngineError;
use crate::cron::Zone;

pub use super::outbound::Message;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    Stopped,
    Running,
    Stopping,
}

#[derive(Clone, Debug)]
pub struct EngineOptions {
    pub max_concurrency: usize,
    pub default_zone: Zone,
    /// A fire more than this late counts as missed and goes through its catch-up policy.
    pub misfire_threshold_ms: u64,
    pub history_max_per_schedule: usize,
    pub history_max_age_ms: Option<u64>,
    pub seed: u64,
    /// The environment events name when a workflow's executionConfig names none.
    pub environment: String,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            max_concurrency: 10,
            default_zone: Zone::utc(),
            misfire_threshold_ms: 1_000,
            history_max_per_schedule: 1_000,
            history_max_age_ms: Some(30 * 86_400_000),
            seed: 0x5eed,
            environment: "production".into(),
        }
    }
}

/// Most occurrences one catch-up or backfill looks at.
pub const MAX_BACKFILL: usize = 10_000;
pub const MAX_CATCHUP_SCAN: usize = 100_000;

pub struct Engine {
    pub options: EngineOptions,
    pub lifecycle: Lifecycle,
    /// The time of what the engine is handling: it reads no clock. It is handed the time
    /// each time it is taken (`Shared::lock`, from `clock::Clock`), or, on a manual clock,
    /// moves only when the user advances it.
    pub(crate) now: DateTime<Utc>,
    pub(crate) manual: bool,
    pub(crate) registry: super::registry::Registry,
    pub(crate) executions: super::execution_table::ExecutionTable,
    pub(crate) timers: Timers,
    /// Work waiting its turn here, and the attempts running here.
    pub(crate) run_queue: super::run_queue::RunQueue,
    pub(crate) outbox: super::outbox::Outbox,
    /// Execution numbers: counted on alone, from the database's blocks on a cluster node.
    pub(crate) numbers: super::numbers::Numbers,
    pub(crate) rng: u64,
    /// Public execution ids; `seq` stays the key records are ordered and found by.
    pub(crate) ids: super::ids::IdGen,
    pub(crate) latencies: VecDeque<f64>,
    pub started_at: Option<DateTime<Utc>>,
    pub(crate) totals: Stats,
    /// Compiled patterns, shared by every schedule that uses the same text: a compiled
    /// pattern holds a few kilobytes of bitsets, a schedule should not.
    pub(crate) patterns: HashMap<String, std::sync::Arc<crate::cron::CronPattern>>,
    /// Tests only: the next timer handled panics, to prove that faults are contained.
    pub(crate) fault_armed: bool,
    /// The durable store and what changed since its last commit; `None` for memory only.
    pub(crate) persistence: Option<Box<super::journal::Persistence>>,
    /// Restored from a store opened read-only: inspect, never start or change.
    pub(crate) readonly: bool,
    /// A durable store is configured but not yet open.
    pub(crate) store_pending: bool,
    pub(crate) sweep: super::journal::Sweep,
    /// On a cluster node, the node's session, whose token names the attempts that run
    /// here (all the engine knows of the cluster); `None` on its own.
    pub(crate) session: Option<std::sync::Arc<crate::cluster::NodeState>>,
    /// Executor answers a cluster node holds for its next batch written (`answers`).
    pub(crate) pending: super::answers::PendingAnswers,
    /// Attempts this node let go of, whose late answer it still records (`late`).
    pub(crate) late: super::late_answers::LateAnswers,
    /// The schedules this process has a handler for.
    pub(crate) handlers: super::handler_set::Handlers,
}

impl Engine {
    /// `manual_start`: a manual clock starting there; `None` for the system clock.
    pub fn new(options: EngineOptions, manual_start: Option<DateTime<Utc>>) -> Engine {
        let rng = options.seed | 1;
        Engine {
            options,
            lifecycle: Lifecycle::Stopped,
            // Until it is handed one, the time it was made at.
            now: manual_start.unwrap_or_else(Utc::now),
            manual: manual_start.is_some(),
            registry: Default::default(),
            executions: Default::default(),
            timers: Timers::default(),
            run_queue: Default::default(),
            outbox: super::outbox::Outbox::new(0),
            numbers: Default::default(),
            rng,
            ids: super::ids::IdGen::from_os(),
            latencies: VecDeque::new(),
            started_at: None,
            totals: Stats::default(),
            patterns: HashMap::new(),
            fault_armed: false,
            persistence: None,
            readonly: false,
            store_pending: false,
            sweep: Default::default(),
            session: None,
            pending: Default::default(),
            late: Default::default(),
            handlers: Default::default(),
        }
        .with_event_prefix()
    }

    fn with_event_prefix(mut self) -> Engine {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64 ^ d.as_secs());
        let prefix = (self.random() ^ nanos.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as u32;
        self.outbox = super::outbox::Outbox::new(prefix);
        self
    }

    pub fn is_manual(&self) -> bool {
        self.manual
    }

    /// The time of what the engine is handling.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Hands the engine the time (ignored on a manual clock, which only the user moves).
    pub fn hand_time(&mut self, now: DateTime<Utc>) {
        if !self.manual {
            self.now = now;
        }
    }

    /// What the engine has to say, in order. It does not commit: with a store of its own,
    /// messages leave through `Shared::take_messages`, which commits what led to them
    /// first, so that an executor never runs for a fire the store does not know.
    pub fn take_messages(&mut self) -> Vec<Message> {
        self.outbox.take()
    }

    pub fn has_messages(&self) -> bool {
        !self.outbox.is_empty()
    }

    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.timers.next_due()
    }

    pub(crate) fn random(&mut self) -> u64 {
        // xorshift64*: jitter and ids need spread, not cryptographic strength.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A fresh public id, `<prefix>_` and 23 characters (see `ids`), unique across stores
    /// and processes; also takes the next execution number, the record's key.
    pub(crate) fn next_id(&mut self, prefix: &str) -> String {
        self.numbers.next();
        let mut id = String::with_capacity(prefix.len() + 1 + super::ids::ID_CHARS);
        id.push_str(prefix);
        id.push('_');
        self.ids.push_next(&mut id, super::ids::system_ms());
        id
    }

    // ---------------------------------------------------------------------------------
    // Events

    pub(crate) fn compile(
        &mut self,
        text: &str,
    ) -> Result<std::sync::Arc<crate::cron::CronPattern>, crate::cron::CronError> {
        if let Some(p) = self.patterns.get(text) {
            return Ok(p.clone());
        }
        if self.patterns.len() >= 100_000 {
            // Drop the ones no schedule uses any more.
            self.patterns
                .retain(|_, p| std::sync::Arc::strong_count(p) > 1);
        }
        let compiled = std::sync::Arc::new(crate::cron::CronPattern::compile(text)?);
        self.patterns.insert(text.to_string(), compiled.clone());
        Ok(compiled)
    }

    /// `compile`, for a pattern read from a store (`CronPattern::compile_stored`). One read
    /// the earlier way is not kept among the compiled patterns: a new schedule with the
    /// same text must still be refused.
    pub(crate) fn compile_stored(
        &mut self,
        text: &str,
    ) -> Result<std::sync::Arc<crate::cron::CronPattern>, crate::cron::CronError> {
        self.compile(text)
            .or_else(|_| crate::cron::CronPattern::compile_stored(text).map(std::sync::Arc::new))
    }

    /// Tests only: makes the next timer the engine handles panic.
    pub fn inject_fault(&mut self) {
        self.fault_armed = true;
    }

    /// Limits the events built to these types (`None`: all of them).
    pub fn set_listening(&mut self, kinds: Option<Vec<String>>) {
        self.outbox.set_listening(kinds);
    }

    pub(crate) fn wants(&self, kind: &str) -> bool {
        self.outbox.wants(kind)
    }

    pub(crate) fn emit(&mut self, kind: &str, schedule: Option<u32>, payload: Value) {
        if !self.wants(kind) {
            return;
        }
        let mut fields = String::new();
        text::push_fields(&mut fields, &payload);
        self.emit_text(kind, schedule, &fields);
    }

    /// An event whose payload is already JSON text: `,"key":value` pairs.
    pub(crate) fn emit_text(&mut self, kind: &str, schedule: Option<u32>, fields: &str) {
        if !self.wants(kind) {
            return;
        }
        let mut out = String::with_capacity(192 + fields.len());
        out.push_str("{\"type\":");
        text::push_str(&mut out, kind);
        text::push_date(&mut out, "timestamp", self.now().timestamp_millis());
        self.outbox.push_event_id(&mut out);
        if let Some(s) = schedule.and_then(|i| self.schedule_at(i)) {
            super::outbound::push_ids(&mut out, &s.spec.fragments);
            text::push_raw(&mut out, "metadata", &s.spec.fragments.metadata);
        }
        out.push_str(fields);
        out.push('}');
        self.outbox.push(Message::Event(out));
    }

    /// An event about one execution: its ids, the schedule's metadata, then `payload`.
    pub(crate) fn emit_for_execution(&mut self, kind: &str, key: u64, payload: Value) {
        if !self.wants(kind) {
            return;
        }
        let mut fields = String::new();
        text::push_fields(&mut fields, &payload);
        self.emit_execution_text(kind, key, &fields);
    }

    /// An event about one execution whose payload is already JSON text.
    pub(crate) fn emit_execution_text(&mut self, kind: &str, key: u64, fields: &str) {
        if !self.wants(kind) {
            return;
        }
        let Some(about) = self.about(key) else {
            return;
        };
        let mut out = String::with_capacity(256 + fields.len());
        out.push_str("{\"type\":");
        text::push_str(&mut out, kind);
        text::push_date(&mut out, "timestamp", self.now().timestamp_millis());
        self.outbox.push_event_id(&mut out);
        super::outbound::push_ids(&mut out, &about.schedule);
        text::push_string(&mut out, "executionId", &about.execution_id);
        super::outbound::push_execution_metadata(
            &mut out,
            &about.execution_id,
            about.trigger,
            &about.schedule.metadata,
        );
        out.push_str(fields);
        out.push('}');
        self.outbox.push(Message::Event(out));
    }

    /// The execution `key` is about, with its schedule's fixed parts, for a message.
    pub(crate) fn about(&self, key: u64) -> Option<super::outbound::About> {
        use super::outbound::About;
        use super::text::Fragments;
        let e = self.executions.get(&key)?;
        let slot = self.registry.slot_of(&e.schedule_id);
        let own = slot
            .and_then(|i| self.schedule_at(i))
            .map(|s| &s.spec.fragments);
        let (slot, schedule) = match (slot, own) {
            (Some(slot), Some(f))
                if f.config_id == e.config_id && f.workflow_id == e.workflow_id =>
            {
                (slot, f.clone())
            }
            // The schedule now runs another workflow: the execution keeps its own ids.
            (_, Some(f)) => (
                About::AD_HOC,
                std::sync::Arc::new(Fragments {
                    config_id: e.config_id.clone(),
                    workflow_id: e.workflow_id.clone(),
                    ..(**f).clone()
                }),
            ),
            _ => (
                About::AD_HOC,
                std::sync::Arc::new(Fragments::bare(
                    &e.config_id,
                    &e.schedule_id,
                    &e.workflow_id,
                )),
            ),
        };
        Some(About {
            slot,
            schedule,
            execution_id: e.id.clone(),
            trigger: e.trigger,
        })
    }

    /// What every event id of this engine starts with: `evt_xxxxxxxx_`.
    pub fn event_id_prefix(&self) -> String {
        self.outbox.event_id_prefix()
    }

    /// `take_messages` in the full JSON form (tests, and a reader who wants it; it does not
    /// commit either).
    pub fn take_json_messages(&mut self) -> Vec<super::outbound::JsonMessage> {
        let prefix = self.event_id_prefix();
        let render = super::outbound::Render {
            event_prefix: &prefix,
            environment: &self.options.environment.clone(),
        };
        self.take_messages()
            .iter()
            .map(|m| m.to_json(&render))
            .collect()
    }

    /// An internal fault, reported as `integration.error`; never fatal.
    pub fn report_error(&mut self, code: &str, message: &str) {
        self.emit(
            "integration.error",
            None,
            json!({ "code": code, "message": message }),
        );
    }

    // ---------------------------------------------------------------------------------
    // Lifecycle

    pub fn start(&mut self) -> Result<(), EngineError> {
        if self.lifecycle != Lifecycle::Stopped {
            return Err(EngineError::InvalidState {
                operation: "start",
                state: self.lifecycle_name(),
            });
        }
        self.check_writable()?;
        self.lifecycle = Lifecycle::Running;
        let now = self.now();
        self.started_at = Some(now);
        self.emit("integration.started", None, json!({}));
        if self.work_is_shared() {
            // Work left by nodes that died is the reaper's; due fires are the driver's,
            // under the database's locks.
            for index in 0..self.registry.slot_count() as u32 {
                self.arm(index);
            }
            return Ok(());
        }
        self.recover_interrupted();
        for index in 0..self.registry.slot_count() as u32 {
            self.arm(index);
            self.release_buffered(index);
        }
        self.dispatch();
        // Occurrences that fell due while stopped are late fires: catch-up decides.
        self.process_due(now);
        Ok(())
    }

    pub fn lifecycle_name(&self) -> &'static str {
        match self.lifecycle {
            Lifecycle::Stopped => "stopped",
            Lifecycle::Running => "running",
            Lifecycle::Stopping => "stopping",
        }
    }

    /// Stops firing: timers are dropped, queued and retry-waiting executions are cancelled.
    /// Running executions go on until `abort_running`.
    pub fn begin_stop(&mut self) {
        if self.lifecycle != Lifecycle::Running {
            return;
        }
        self.lifecycle = Lifecycle::Stopping;
        // Attempts that run through the grace period stay bounded by their timeouts.
        self.timers.keep_timeouts();
        if self.work_is_shared() {
            // Queued and waiting work, and waiting fires, belong to the cluster: the nodes
            // that go on run them.
            self.run_queue.clear_waiting();
            for s in self.registry.iter_mut() {
                s.next_fire = None;
                s.generation = s.generation.wrapping_add(1);
            }
            return;
        }
        let waiting: Vec<u64> = self
            .executions
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e.status,
                    ExecutionStatus::Queued | ExecutionStatus::Retrying
                )
            })
            .map(|(k, _)| *k)
            .collect();
        // On a durable store, work that waits survives the stop: the next start runs it
        // (a deploy loses no run). In memory nothing would, so it ends cancelled, as does
        // the work of a schedule that opted out (`onInterrupt: 'fail'`).
        let durable = self.has_store();
        for key in waiting {
            if !(durable && self.resumes_on_interrupt(key)) {
                self.cancel_key(key, "stop");
            }
        }
        self.run_queue.clear_waiting();
        for index in 0..self.registry.slot_count() as u32 {
            if let Some(s) = self.registry.at_mut(index) {
                s.next_fire = None;
                s.generation = s.generation.wrapping_add(1);
                // Fires waiting their turn (overlap buffering, catch-up 'all') wait on a
                // durable store too: the next start runs them.
                let dropped: Vec<_> = match s.runtime.as_mut() {
                    Some(run) if !durable => run.buffered.drain(..).collect(),
                    _ => Vec::new(),
                };
                for (at, _) in dropped {
                    self.skip(index, at, "overlap");
                }
            }
        }
    }

    /// Ends what still runs: its executors are aborted (reason `stop`) and each attempt is
    /// interrupted, to run again at the next start (no event: the execution is not over);
    /// one whose schedule says `onInterrupt: 'fail'` is cancelled (reason `stop`).
    pub fn abort_running(&mut self) {
        if self.work_is_shared() {
            // `Shared::abort_running` interrupted them in the database, without this lock;
            // what it could not is left to the other nodes' reapers.
            return self.abandon_local_attempts(None);
        }
        let mut running: Vec<u64> = self
            .executions
            .iter()
            .filter(|(_, e)| e.status == ExecutionStatus::Running)
            .map(|(k, _)| *k)
            .collect();
        running.sort_unstable();
        for key in running {
            if !self.resumes_on_interrupt(key) {
                self.cancel_key(key, "stop");
                continue;
            }
            let e = &self.executions[&key];
            self.outbox.push(Message::Abort {
                execution_id: e.id.to_string(),
                attempt: e.attempt(),
                reason: "stop".into(),
            });
            self.interrupt(key, "the integration stopped");
        }
    }

    pub fn finish_stop(&mut self) {
        if self.lifecycle == Lifecycle::Stopping {
            self.lifecycle = Lifecycle::Stopped;
            self.timers.clear();
            self.emit("integration.stopped", None, json!({}));
        }
    }

    pub(crate) fn require_running(&self, operation: &'static str) -> Result<(), EngineError> {
        if self.lifecycle == Lifecycle::Running {
            Ok(())
        } else {
            Err(EngineError::InvalidState {
                operation,
                state: self.lifecycle_name(),
            })
        }
    }

    // ---------------------------------------------------------------------------------
    // Schedules

    pub(crate) fn schedule_at(&self, index: u32) -> Option<&Schedule> {
        self.registry.at(index)
    }

    pub(crate) fn schedule_mut(&mut self, index: u32) -> Option<&mut Schedule> {
        self.registry.at_mut(index)
    }

    pub fn schedule_index(&self, schedule_id: &str) -> Result<u32, EngineError> {
        if let Some(index) = self.registry.slot_of(schedule_id) {
            return Ok(index);
        }
        let hint = self
            .registry
            .by_config(schedule_id)
            .map(|s| {
                format!(
                    "; '{schedule_id}' is a scheduled workflow's id (config.id), and its schedule id is '{}'",
                    s.spec.fragments.schedule_id
                )
            })
            .unwrap_or_default();
        Err(EngineError::NotFound {
            what: "schedule",
            id: schedule_id.to_string(),
            hint,
        })
    }

    pub(crate) fn config_index(&self, config_id: &str) -> Result<u32, EngineError> {
        if let Some(index) = self.registry.slot_of_config(config_id) {
            return Ok(index);
        }
        let hint = self
            .schedule(config_id)
            .map(|s| {
                format!(
                    "; '{config_id}' is a schedule id (config.scheduleId), and its scheduled workflow's id is '{}'",
                    s.spec.fragments.config_id
                )
            })
            .unwrap_or_default();
        Err(EngineError::NotFound {
            what: "scheduled workflow",
            id: config_id.to_string(),
            hint,
        })
    }

    pub fn schedule(&self, schedule_id: &str) -> Option<&Schedule> {
        self.registry.get(schedule_id)
    }

    pub fn schedules(&self) -> impl Iterator<Item = &Schedule> {
        self.registry.iter()
    }

    /// Attempts running in this process: the slots of `max_concurrency` in use.
    pub fn in_flight(&self) -> usize {
        self.run_queue.running_len()
    }

    pub fn schedule_count(&self) -> usize {
        self.registry.len()
    }

    pub fn create(&mut self, config: Value) -> Result<String, EngineError> {
        let spec = self.parse(&config)?;
        let text = stored_text(config, &spec);
        self.create_parsed(text, spec)
    }

    /// Checks a whole configuration; a missing `scheduleId` is the config's `id`.
    fn parse(&mut self, config: &Value) -> Result<ScheduleSpec, EngineError> {
        let zone = self.options.default_zone.clone();
        Ok(parse_config(config, &zone, &mut |text| self.compile(text))?)
    }

    /// `config`: the configuration as stored (`stored_text`).
    fn create_parsed(&mut self, config: String, spec: ScheduleSpec) -> Result<String, EngineError> {
        if self
            .registry
            .slot_of_config(&spec.fragments.config_id)
            .is_some()
        {
            return Err(EngineError::Duplicate {
                what: "scheduled workflow",
                id: spec.fragments.config_id.to_string(),
            });
        }
        if self.registry.slot_of(&spec.fragments.schedule_id).is_some() {
            return Err(EngineError::Duplicate {
                what: "schedule",
                id: spec.fragments.schedule_id.to_string(),
            });
        }
        check_config_size(&config)?;
        let now = self.now();
        let id = spec.fragments.config_id.clone();
        let schedule = Schedule {
            config,
            paused: false,
            pause_note: None,
            expired: false,
            fired: 0,
            cursor: now,
            next_fire: None,
            next_is_dst_skip: false,
            generation: 0,
            runtime: None,
            created: now,
            updated: now,
            spec,
        };
        let index = self.registry.insert(schedule);
        self.touch_config(index);
        self.emit("schedule.created", Some(index), json!({}));
        self.arm(index);
        Ok(id.to_string())
    }

    /// Applies `updates` over the stored configuration: top-level fields replace, and
    /// `scheduleConfig` / `executionConfig` merge field by field.
    pub fn update(&mut self, config_id: &str, updates: Value) -> Result<(), EngineError> {
        let index = self.config_index(config_id)?;
        let Value::Object(updates) = updates else {
            return Err(EngineError::Field(super::value::type_error(
                "updates",
                "an object",
                &updates,
            )));
        };
        let current: Value =
            serde_json::from_str(&self.schedule_at(index).expect("indexed").config)
                .unwrap_or(Value::Null);
        let mut merged = current.clone();
        for (key, value) in updates {
            match (key.as_str(), merged.get_mut(&key), &value) {
                ("id" | "scheduleId", _, v) if v != &current[key.as_str()] => {
                    return Err(EngineError::Field(FieldError {
                        kind: super::value::Kind::Range,
                        code: "ERR_IMMUTABLE_FIELD",
                        path: format!("updates.{key}"),
                        message: format!("the {key} of a scheduled workflow cannot change"),
                        value: v.clone(),
                    }));
                }
                (
                    "scheduleConfig" | "executionConfig",
                    Some(Value::Object(target)),
                    Value::Object(fields),
                ) => {
                    for (k, v) in fields {
                        target.insert(k.clone(), v.clone());
                    }
                }
                _ => {
                    merged[key.as_str()] = value;
                }
            }
        }
        let spec = self.parse(&merged)?;
        dates_as_dates(&mut merged, &spec);
        self.replace_config(index, text::json(&merged), spec)
    }

    /// Puts a checked configuration in place of a schedule's own, keeping its history and
    /// counters. A changed pattern, zone or start re-arms from now.
    fn replace_config(
        &mut self,
        index: u32,
        text: String,
        spec: ScheduleSpec,
    ) -> Result<(), EngineError> {
        check_config_size(&text)?;
        let now = self.now();
        let s = self.schedule_mut(index).expect("indexed");
        let timing_changed = s.spec.pattern.source() != spec.pattern.source()
            || s.spec.zone.name() != spec.zone.name()
            || s.spec.dst_gap != spec.dst_gap
            || s.spec.extras().start != spec.extras().start;
        if timing_changed {
            s.cursor = s.cursor.max(now);
        }
        s.spec = spec;
        s.config = text;
        s.expired = false;
        s.updated = now;
        self.touch_config(index);
        self.emit("schedule.updated", Some(index), json!({}));
        self.arm(index);
        Ok(())
    }

    /// Creates the scheduled workflow, or makes an existing one (same `id`) exactly
    /// `config`; a declaration repeated at every boot is `Unchanged` and touches nothing.
    pub fn upsert(&mut self, config: Value) -> Result<Upsert, EngineError> {
        let spec = self.parse(&config)?;
        let text = stored_text(config, &spec);
        self.upsert_parsed(text, spec)
    }

    /// `config`: the configuration as stored (`stored_text`). The same text is the same
    /// configuration: serde_json writes an object's keys in order.
    fn upsert_parsed(&mut self, config: String, spec: ScheduleSpec) -> Result<Upsert, EngineError> {
        let Some(index) = self.registry.slot_of_config(&spec.fragments.config_id) else {
            self.create_parsed(config, spec)?;
            return Ok(Upsert::Created);
        };
        self.check_schedule_id_kept(&spec)?;
        let current = self.schedule_at(index).expect("indexed");
        if current.config == config {
            return Ok(Upsert::Unchanged);
        }
        self.replace_config(index, config, spec)?;
        Ok(Upsert::Updated)
    }

    /// An existing scheduled workflow keeps its schedule id: its history is filed under it.
    fn check_schedule_id_kept(&self, spec: &ScheduleSpec) -> Result<(), EngineError> {
        let current = self
            .registry
            .by_config(&spec.fragments.config_id)
            .map(|s| &s.spec.fragments.schedule_id);
        match current {
            Some(current) if *current != spec.fragments.schedule_id => Err(EngineError::Field(FieldError {
                kind: super::value::Kind::Range,
                code: "ERR_IMMUTABLE_FIELD",
                path: "config.scheduleId".into(),
                message: format!(
                    "scheduled workflow '{}' has schedule id '{current}'; a schedule id cannot change (delete the workflow to re-create it)",
                    spec.fragments.config_id
                ),
                value: json!(spec.fragments.schedule_id),
            })),
            _ => Ok(()),
        }
    }

    /// Makes the scheduled workflows exactly `configs` (and, with `delete_missing`, deletes
    /// the others), all checked before anything changes, in one store commit.
    pub fn sync(
        &mut self,
        configs: impl IntoIterator<Item = Value>,
        delete_missing: bool,
    ) -> Result<Synced, EngineError> {
        let configs = configs.into_iter();
        let mut parsed = Vec::with_capacity(configs.size_hint().0);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut seen_schedule: HashMap<String, usize> = HashMap::new();
        for (i, config) in configs.enumerate() {
            let at = |e: EngineError| at_index(e, i);
            let spec = self.parse(&config).map_err(at)?;
            if let Some(first) = seen.insert(spec.fragments.config_id.to_string(), i) {
                return Err(at(duplicate_in_list(
                    "id",
                    &spec.fragments.config_id,
                    first,
                )));
            }
            if let Some(first) = seen_schedule.insert(spec.fragments.schedule_id.to_string(), i) {
                return Err(at(duplicate_in_list(
                    "scheduleId",
                    &spec.fragments.schedule_id,
                    first,
                )));
            }
            // A schedule id held by another workflow that stays is a conflict now, not
            // halfway through.
            if let Some(owner) = self.schedule(&spec.fragments.schedule_id) {
                let owner_id = &owner.spec.fragments.config_id;
                let owner_stays = seen.contains_key(&**owner_id) || !delete_missing;
                if owner_id != &spec.fragments.config_id && owner_stays {
                    return Err(at(EngineError::Duplicate {
                        what: "schedule",
                        id: spec.fragments.schedule_id.to_string(),
                    }));
                }
            }
            self.check_schedule_id_kept(&spec).map_err(at)?;
            // Kept as text from here: a parsed config costs ten times its text, times 100,000.
            let text = stored_text(config, &spec);
            check_config_size(&text).map_err(at)?;
            parsed.push((text, spec));
        }
        let mut out = Synced::default();
        if delete_missing {
            let missing: Vec<String> = self
                .schedules()
                .map(|s| s.spec.fragments.config_id.to_string())
                .filter(|id| !seen.contains_key(id))
                .collect();
            for id in missing {
                self.delete(&id)?;
                out.deleted.push(id);
            }
        }
        for (config, spec) in parsed {
            let id = spec.fragments.config_id.clone();
            match self.upsert_parsed(config, spec)? {
                Upsert::Created => out.created.push(id.to_string()),
                Upsert::Updated => out.updated.push(id.to_string()),
                Upsert::Unchanged => out.unchanged.push(id.to_string()),
            }
        }
        Ok(out)
    }

    /// What `sync` would create, update and leave unchanged, changing nothing: what a
    /// dry run prints. Deletions are the caller's to work out (it knows what it owns).
    pub fn sync_plan(
        &mut self,
        configs: impl IntoIterator<Item = Value>,
    ) -> Result<Synced, EngineError> {
        let mut out = Synced::default();
        for (i, config) in configs.into_iter().enumerate() {
            let spec = self.parse(&config).map_err(|e| at_index(e, i))?;
            let id = spec.fragments.config_id.to_string();
            let text = stored_text(config, &spec);
            match self.registry.by_config(&id) {
                None => out.created.push(id),
                Some(current) if current.config == text => out.unchanged.push(id),
                Some(_) => out.updated.push(id),
            }
        }
        Ok(out)
    }

    pub fn delete(&mut self, config_id: &str) -> Result<(), EngineError> {
        let index = self.config_index(config_id)?;
        let active = self
            .schedule_at(index)
            .expect("indexed")
            .rt()
            .active
            .clone();
        for key in active {
            self.cancel_key(key, "deleted");
        }
        self.emit("schedule.deleted", Some(index), json!({}));
        let s = self.registry.remove(index).expect("indexed");
        self.journal_deleted(&s.spec.fragments.schedule_id);
        Ok(())
    }

    /// The configuration as `getScheduledWorkflow` returns it (defaults filled in).
    pub fn config(&self, config_id: &str) -> Option<Value> {
        self.registry
            .by_config(config_id)
            .map(Schedule::config_view)
    }

    pub fn pause(&mut self, schedule_id: &str, note: Option<String>) -> Result<(), EngineError> {
        let index = self.schedule_index(schedule_id)?;
        let s = self.schedule_mut(index).expect("indexed");
        if s.paused {
            return Ok(());
        }
        s.paused = true;
        s.pause_note = note.clone();
        s.generation = s.generation.wrapping_add(1);
        s.next_fire = None;
        self.touch_schedule(index);
        self.emit("schedule.paused", Some(index), json!({ "note": note }));
        Ok(())
    }

    /// Resumes from now: occurrences that passed while paused are not made up.
    pub fn resume(&mut self, schedule_id: &str) -> Result<(), EngineError> {
        let index = self.schedule_index(schedule_id)?;
        let now = self.now();
        let s = self.schedule_mut(index).expect("indexed");
        if !s.paused {
            return Ok(());
        }
        s.paused = false;
        s.pause_note = None;
        s.cursor = s.cursor.max(now);
        self.touch_schedule(index);
        self.emit("schedule.resumed", Some(index), json!({}));
        self.arm(index);
        Ok(())
    }

    pub fn set_enabled(&mut self, schedule_id: &str, enabled: bool) -> Result<(), EngineError> {
        let index = self.schedule_index(schedule_id)?;
        let now = self.now();
        let s = self.schedule_mut(index).expect("indexed");
        if s.spec.enabled == enabled {
            return Ok(());
        }
        s.spec.enabled = enabled;
        let mut config = s.config_value();
        config["enabled"] = json!(enabled);
        if let Some(sc) = config.get_mut("scheduleConfig").filter(|v| v.is_object()) {
            sc["enabled"] = json!(enabled);
        }
        s.config = text::json(&config);
        if enabled {
            s.cursor = s.cursor.max(now);
        }
        self.touch_config(index);
        self.emit(
            "schedule.updated",
            Some(index),
            json!({ "change": if enabled { "enabled" } else { "disabled" } }),
        );
        self.arm(index);
        Ok(())
    }

    /// Sets the schedule's timer for its next occurrence after its cursor, or marks it
    /// expired when there is none within its bounds.
    pub(crate) fn arm(&mut self, index: u32) {
        let running = self.lifecycle == Lifecycle::Running;
        let Some(s) = self.schedule_mut(index) else {
            return;
        };
        s.generation = s.generation.wrapping_add(1);
        s.next_fire = None;
        s.next_is_dst_skip = false;
        if s.paused || s.expired || !running {
            return;
        }
        let next = next_occurrence(&s.spec, s.cursor, s.fired);
        if let Some(gap_fire) = dst_skipped_before(&s.spec, s.cursor, s.fired, next) {
            s.next_fire = Some(gap_fire);
            s.next_is_dst_skip = true;
            let generation = s.generation;
            self.timers.push(
                gap_fire,
                Timer::Fire {
                    schedule: index,
                    generation,
                },
            );
            return;
        }
        match next {
            Some(at) => {
                s.next_fire = Some(at);
                let jitter = s.spec.extras().jitter_ms;
                let generation = s.generation;
                let offset = if jitter > 0 {
                    self.random() % (jitter + 1)
                } else {
                    0
                };
                self.timers.push(
                    at + Duration::milliseconds(offset as i64),
                    Timer::Fire {
                        schedule: index,
                        generation,
                    },
                );
            }
            None => self.expire(index),
        }
    }

    pub(crate) fn expire(&mut self, index: u32) {
        let Some(s) = self.schedule_mut(index) else {
            return;
        };
        if !s.expired {
            s.expired = true;
            self.touch_schedule(index);
            self.emit("schedule.expired", Some(index), json!({}));
        }
    }

    /// Upcoming scheduled fire times, respecting startDate, endDate and maxExecutions.
    pub fn next_times(
        &self,
        schedule_id: &str,
        count: usize,
    ) -> Result<Vec<DateTime<Utc>>, EngineError> {
        let index = self.schedule_index(schedule_id)?;
        let s = self.schedule_at(index).expect("indexed");
        if s.expired {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(count);
        let mut cursor = s.cursor.max(self.now());
        let mut fired = s.fired;
        while out.len() < count {
            match next_occurrence(&s.spec, cursor, fired) {
                Some(at) => {
                    out.push(at);
                    cursor = at;
                    fired += 1;
                }
                None => break,
            }
        }
        Ok(out)
    }
}

/// What `upsert` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Updated,
    Unchanged,
}

impl Upsert {
    pub fn as_str(self) -> &'static str {
        match self {
            Upsert::Created => "created",
            Upsert::Updated => "updated",
            Upsert::Unchanged => "unchanged",
        }
    }
}

/// What `sync` did, by config id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Synced {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub deleted: Vec<String>,
}

/// The configuration as stored: JSON text with its schedule id written out.
fn stored_text(mut config: Value, spec: &ScheduleSpec) -> String {
    config["scheduleId"] = json!(spec.fragments.schedule_id);
    dates_as_dates(&mut config, spec);
    text::json(&config)
}

/// Start and end dates given as ISO strings are kept as Dates: the configuration reads back
/// with Dates, and a string and a Date for one instant are the same configuration.
fn dates_as_dates(config: &mut Value, spec: &ScheduleSpec) {
    let extras = spec.extras();
    let Some(Value::Object(s)) = config.get_mut("scheduleConfig") else {
        return;
    };
    for (key, at) in [("startDate", extras.start), ("endDate", extras.end)] {
        if let (Some(v @ Value::String(_)), Some(at)) = (s.get_mut(key), at) {
            *v = super::value::date_json(at);
        }
    }
}

/// An error about `configs[i]`: field paths start there instead of at `config`.
fn at_index(err: EngineError, i: usize) -> EngineError {
    match err {
        EngineError::Field(mut f) => {
            f.path = match f.path.strip_prefix("config") {
                Some(rest) => format!("configs[{i}]{rest}"),
                None => format!("configs[{i}].{}", f.path),
            };
            EngineError::Field(f)
        }
        other => other,
    }
}

fn duplicate_in_list(field: &str, id: &str, first: usize) -> EngineError {
    EngineError::Field(FieldError {
        kind: super::value::Kind::Range,
        code: "ERR_DUPLICATE_ID",
        path: format!("config.{field}"),
        message: format!("'{id}' is declared twice (also configs[{first}].{field})"),
        value: json!(id),
    })
}

/// Largest scheduled-workflow configuration, as JSON: it is kept (and stored) whole, and
/// metadata and variables travel with every execution.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

fn check_config_size(text: &str) -> Result<(), EngineError> {
    if text.len() <= MAX_CONFIG_BYTES {
        return Ok(());
    }
    Err(EngineError::Field(super::value::range_error(
        "config",
        "ERR_OUT_OF_RANGE",
        format!(
            "the configuration takes {} bytes as JSON, more than the {MAX_CONFIG_BYTES} allowed",
            text.len()
        ),
        &Value::Null,
    )))
}

/// Under `dstGap: 'skip'`, the instant at which a fire swallowed by a daylight-saving gap
/// would have run (as 'shift' would run it), when that comes before `next`.
fn dst_skipped_before(
    spec: &ScheduleSpec,
    cursor: DateTime<Utc>,
    fired: u64,
    next: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if spec.dst_gap != crate::cron::DstGap::Skip {
        return None;
    }
    let shifted = ScheduleSpec {
        dst_gap: crate::cron::DstGap::Shift,
        ..spec.clone()
    };
    let gap_fire = next_occurrence(&shifted, cursor, fired)?;
    match next {
        Some(next) if gap_fire >= next => None,
        _ => Some(gap_fire),
    }
}

/// The first occurrence after `cursor` within the schedule's bounds.
pub fn next_occurrence(
    spec: &ScheduleSpec,
    cursor: DateTime<Utc>,
    fired: u64,
) -> Option<DateTime<Utc>> {
    let extras = spec.extras();
    if extras.max_executions.is_some_and(|max| fired >= max) {
        return None;
    }
    let after = match extras.start {
        Some(start) if start > cursor => start - Duration::milliseconds(1),
        _ => cursor,
    };
    let at = spec.pattern.next_after(after, &spec.zone, spec.dst_gap)?;
    match extras.end {
        Some(end) if at > end => None,
        _ => Some(at),
    }
}
