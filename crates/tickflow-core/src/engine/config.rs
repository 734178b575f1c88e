//! A scheduled workflow's configuration (the production-ccs `ScheduledWorkflowConfig`),
//! checked and turned into what the engine runs on.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::value::{range_error, FieldError, FieldResult, Fields, Kind};
use crate::cron::{self, CronPattern, DstGap, Zone};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlapPolicy {
    Allow,
    Skip,
    BufferOne,
    BufferAll,
    CancelOther,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatchupKind {
    Skip,
    Once,
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Catchup {
    pub policy: CatchupKind,
    pub window_ms: u64,
    pub max_runs: Option<u64>,
}

pub const DEFAULT_CATCHUP_WINDOW_MS: u64 = 365 * 86_400_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    Fixed,
    Linear,
    Exponential,
}

/// The one retry policy the engine runs, from either production-ccs shape.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    pub backoff: Backoff,
    pub initial_delay_ms: u64,
    pub max_delay_ms: u64,
    pub multiplier: f64,
    /// 0..1: the share of each delay that may be taken off at random.
    pub jitter: f64,
    /// Error codes that may be retried; empty means every code.
    pub retryable_errors: Vec<String>,
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        backoff: Backoff::Fixed,
        initial_delay_ms: 0,
        max_delay_ms: 0,
        multiplier: 1.0,
        jitter: 0.0,
        retryable_errors: Vec::new(),
    };

    pub fn none() -> RetryPolicy {
        Self::NONE
    }

    pub fn is_retryable(&self, code: &str) -> bool {
        self.retryable_errors.is_empty() || self.retryable_errors.iter().any(|c| c == code)
    }

    /// The delay before the attempt after `failed_attempt` (1-based), before jitter.
    pub fn delay_ms(&self, failed_attempt: u32) -> u64 {
        let n = failed_attempt.max(1) as f64;
        let base = self.initial_delay_ms as f64;
        let raw = match self.backoff {
            Backoff::Fixed => base,
            Backoff::Linear => base * n,
            Backoff::Exponential => base * self.multiplier.powf(n - 1.0),
        };
        let capped = if self.max_delay_ms > 0 {
            raw.min(self.max_delay_ms as f64)
        } else {
            raw
        };
        capped.clamp(0.0, MAX_DELAY_MS as f64) as u64
    }
}

/// Longest delay, timeout or jitter accepted: about 24.8 days, the most a JS timer holds;
/// tickflow's own timers have no such limit, but no sane delay is longer.
pub const MAX_DELAY_MS: u64 = 2_147_483_647;
/// Longest accepted catch-up window: ten years.
pub const MAX_WINDOW_MS: u64 = 10 * 366 * 86_400_000;

/// Everything the engine needs to run one scheduled workflow.
#[derive(Clone, Debug)]
pub struct ScheduleSpec {
    /// The config's name when it differs from its id (most schedules are named by their id).
    pub own_name: Option<String>,
    pub pattern: Arc<CronPattern>,
    pub zone: Zone,
    pub dst_gap: DstGap,
    /// `enabled` of the config and of its scheduleConfig, both.
    pub enabled: bool,
    pub overlap: OverlapPolicy,
    /// 1 (low) to 5 (immediate / urgent); queued work leaves highest first.
    pub priority: u8,
    /// Its ids, and the parts of its messages that never change, as JSON text.
    pub fragments: Arc<super::text::Fragments>,
    /// What most schedules leave at its default, boxed only when set: ~180 bytes an idle
    /// schedule with none of it does not carry. Read through `extras()`.
    pub extra: Option<Box<SpecExtras>>,
}

/// The rarely set part of a schedule's definition.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecExtras {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub max_executions: Option<u64>,
    pub catchup: Catchup,
    pub jitter_ms: u64,
    pub retry: RetryPolicy,
    pub timeout_ms: Option<u64>,
    pub environment: Option<String>,
    /// A run older than this is stalled; `None`: the cron's period around now.
    pub stall_after_ms: Option<u64>,
    /// `scheduleConfig.onInterrupt: 'fail'`: an attempt that a stop or a dead process
    /// interrupted fails with INTERRUPTED instead of running again.
    pub fail_on_interrupt: bool,
}

impl SpecExtras {
    pub const DEFAULT: SpecExtras = SpecExtras {
        start: None,
        end: None,
        max_executions: None,
        catchup: Catchup {
            policy: CatchupKind::Once,
            window_ms: DEFAULT_CATCHUP_WINDOW_MS,
            max_runs: None,
        },
        jitter_ms: 0,
        retry: RetryPolicy::NONE,
        timeout_ms: None,
        environment: None,
        stall_after_ms: None,
        fail_on_interrupt: false,
    };
}

static DEFAULT_EXTRAS: SpecExtras = SpecExtras::DEFAULT;

impl ScheduleSpec {
    pub fn name(&self) -> &str {
        self.own_name
            .as_deref()
            .unwrap_or(&self.fragments.config_id)
    }

    pub fn extras(&self) -> &SpecExtras {
        self.extra.as_deref().unwrap_or(&DEFAULT_EXTRAS)
    }
}

const CONFIG_KEYS: &[&str] = &[
    "id",
    "workflowId",
    "scheduleId",
    "name",
    "description",
    "enabled",
    "executionConfig",
    "scheduleConfig",
    "metadata",
];
const EXECUTION_KEYS: &[&str] = &[
    "timeout",
    "retryPolicy",
    "environment",
    "variables",
    "priority",
];
const EXECUTION_RETRY_KEYS: &[&str] = &[
    "maxAttempts",
    "backoffStrategy",
    "initialDelay",
    "maxDelay",
    "multiplier",
    "jitter",
    "retryableErrors",
];
const SCHEDULE_KEYS: &[&str] = &[
    "id",
    "workflowId",
    "name",
    "description",
    "cronExpression",
    "timezone",
    "enabled",
    "startDate",
    "endDate",
    "maxExecutions",
    "retryPolicy",
    "metadata",
    "createdBy",
    "createdAt",
    "updatedAt",
    "overlapPolicy",
    "catchup",
    "jitterMs",
    "dstGap",
    "stallAfterMs",
    "onInterrupt",
];
const SCHEDULE_RETRY_KEYS: &[&str] = &[
    "enabled",
    "maxRetries",
    "retryDelay",
    "backoffStrategy",
    "retryableErrors",
    "escalationPolicy",
];
const CATCHUP_KEYS: &[&str] = &["policy", "windowMs", "maxRuns"];
const BACKOFFS: &[&str] = &["fixed", "linear", "exponential", "custom"];

/// Checks a whole `ScheduledWorkflowConfig`. A missing `scheduleId` is the config's `id`:
/// one name for one job.
pub fn parse_config(
    config: &Value,
    default_zone: &Zone,
    compile: &mut dyn FnMut(&str) -> Result<Arc<CronPattern>, cron::CronError>,
) -> FieldResult<ScheduleSpec> {
    let c = Fields::new(config, "config", CONFIG_KEYS)?;
    let config_id = c.required_ident("id")?;
    let workflow_id = c.required_ident("workflowId")?;
    let schedule_id = match c.ident("scheduleId")? {
        Some(id) => id,
        None => config_id.clone(),
    };
    let own_name = c.string("name")?.filter(|name| *name != config_id);
    c.string("description")?;
    let config_enabled = c.boolean("enabled")?.unwrap_or(true);
    let metadata = c
        .object("metadata")?
        .unwrap_or_else(|| Value::Object(Default::default()));

    let exec_value = c
        .get("executionConfig")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    let e = Fields::new(&exec_value, "config.executionConfig", EXECUTION_KEYS)?;
    let timeout_ms = e.integer("timeout", 1, MAX_DELAY_MS)?;
    let environment = e.string("environment")?;
    let variables = e
        .object("variables")?
        .unwrap_or_else(|| Value::Object(Default::default()));
    let exec_priority = e.choice(
        "priority",
        &["low", "normal", "high", "urgent", "immediate"],
    )?;

    let Some(schedule_value) = c.get("scheduleConfig") else {
        return Err(FieldError {
            kind: Kind::Type,
            code: "ERR_MISSING_FIELD",
            path: "config.scheduleConfig".into(),
            message: "is required".into(),
            value: Value::Null,
        });
    };
    let s = Fields::new(schedule_value, "config.scheduleConfig", SCHEDULE_KEYS)?;
    let expression = s.string("cronExpression")?.ok_or_else(|| FieldError {
        kind: Kind::Type,
        code: "ERR_MISSING_FIELD",
        path: s.path("cronExpression"),
        message: "is required".into(),
        value: Value::Null,
    })?;
    let pattern = compile(&expression).map_err(|e| {
        range_error(
            &s.path("cronExpression"),
            "ERR_INVALID_CRON",
            e.to_string(),
            &Value::String(expression.clone()),
        )
    })?;
    let zone = match s.string("timezone")? {
        Some(name) => cron::parse_timezone(&name).map_err(|e| {
            range_error(
                &s.path("timezone"),
                "ERR_UNKNOWN_TIMEZONE",
                e.to_string(),
                &Value::String(name.clone()),
            )
        })?,
        None => default_zone.clone(),
    };
    let schedule_enabled = s.boolean("enabled")?.unwrap_or(true);
    let start = s.date("startDate")?;
    let end = s.date("endDate")?;
    if let (Some(a), Some(b)) = (start, end) {
        if b <= a {
            return Err(range_error(
                &s.path("endDate"),
                "ERR_OUT_OF_RANGE",
                "endDate must be after startDate".into(),
                s.get("endDate").unwrap_or(&Value::Null),
            ));
        }
    }
    let max_executions = s.integer("maxExecutions", 1, u32::MAX as u64)?;
    let overlap = match s.choice(
        "overlapPolicy",
        &["allow", "skip", "bufferOne", "bufferAll", "cancelOther"],
    )? {
        Some("allow") => OverlapPolicy::Allow,
        Some("bufferOne") => OverlapPolicy::BufferOne,
        Some("bufferAll") => OverlapPolicy::BufferAll,
        Some("cancelOther") => OverlapPolicy::CancelOther,
        _ => OverlapPolicy::Skip,
    };
    let catchup = match s.get("catchup") {
        None => Catchup {
            policy: CatchupKind::Once,
            window_ms: DEFAULT_CATCHUP_WINDOW_MS,
            max_runs: None,
        },
        Some(v) => {
            let k = Fields::new(v, &s.path("catchup"), CATCHUP_KEYS)?;
            Catchup {
                policy: match k.choice("policy", &["skip", "once", "all"])? {
                    Some("skip") => CatchupKind::Skip,
                    Some("all") => CatchupKind::All,
                    _ => CatchupKind::Once,
                },
                window_ms: k
                    .integer("windowMs", 0, MAX_WINDOW_MS)?
                    .unwrap_or(DEFAULT_CATCHUP_WINDOW_MS),
                max_runs: k.integer("maxRuns", 1, 100_000)?,
            }
        }
    };
    let jitter_ms = s.integer("jitterMs", 0, MAX_DELAY_MS)?.unwrap_or(0);
    let stall_after_ms = s.integer("stallAfterMs", 1, MAX_WINDOW_MS)?;
    let dst_gap = match s.choice("dstGap", &["shift", "skip"])? {
        Some("skip") => DstGap::Skip,
        _ => DstGap::Shift,
    };
    let fail_on_interrupt = s.choice("onInterrupt", &["resume", "fail"])? == Some("fail");
    let schedule_priority = match s.get("metadata") {
        // Absent or null reads as None.
        Some(Value::Object(m)) => Fields {
            map: m,
            path: s.path("metadata"),
        }
        .integer("priority", 1, 5)?,
        Some(other) => {
            return Err(super::value::type_error(
                &s.path("metadata"),
                "an object",
                other,
            ))
        }
        None => None,
    };
    let priority = match exec_priority {
        Some("low") => 1,
        Some("normal") => 2,
        Some("high") => 3,
        Some("urgent") => 4,
        Some("immediate") => 5,
        _ => schedule_priority.unwrap_or(2) as u8,
    };
    let retry = match e.get("retryPolicy") {
        Some(v) => execution_retry(v, &e.path("retryPolicy"))?,
        None => match s.get("retryPolicy") {
            Some(v) => schedule_retry(v, &s.path("retryPolicy"))?,
            None => RetryPolicy::none(),
        },
    };
    let fragments = super::text::Fragments::new(
        &config_id,
        &schedule_id,
        &workflow_id,
        &metadata,
        &variables,
        environment.as_deref(),
    );
    Ok(ScheduleSpec {
        fragments: Arc::new(fragments),
        own_name,
        pattern,
        zone,
        dst_gap,
        enabled: config_enabled && schedule_enabled,
        overlap,
        priority,
        extra: Some(SpecExtras {
            start,
            end,
            max_executions,
            catchup,
            jitter_ms,
            retry,
            timeout_ms,
            environment,
            stall_after_ms,
            fail_on_interrupt,
        })
        .filter(|x| *x != SpecExtras::DEFAULT)
        .map(Box::new),
    })
}

fn backoff(f: &Fields, key: &str) -> FieldResult<Backoff> {
    // production-ccs also names a 'custom' strategy without saying what it does; tickflow
    // runs it as 'fixed'.
    Ok(match f.choice(key, BACKOFFS)? {
        Some("linear") => Backoff::Linear,
        Some("exponential") => Backoff::Exponential,
        _ => Backoff::Fixed,
    })
}

/// `executionConfig.retryPolicy`: maxAttempts, backoffStrategy, initialDelay, maxDelay,
/// multiplier, jitter?, retryableErrors?
fn execution_retry(v: &Value, path: &str) -> FieldResult<RetryPolicy> {
    let f = Fields::new(v, path, EXECUTION_RETRY_KEYS)?;
    let jitter = match f.get("jitter") {
        None => 0.0,
        Some(Value::Bool(true)) => 0.5,
        Some(Value::Bool(false)) => 0.0,
        Some(_) => f.number("jitter", 0.0, 1.0)?.unwrap_or(0.0),
    };
    Ok(RetryPolicy {
        max_attempts: f.integer("maxAttempts", 1, 1000)?.unwrap_or(1) as u32,
        backoff: backoff(&f, "backoffStrategy")?,
        initial_delay_ms: f.integer("initialDelay", 0, MAX_DELAY_MS)?.unwrap_or(1000),
        max_delay_ms: f.integer("maxDelay", 0, MAX_DELAY_MS)?.unwrap_or(0),
        multiplier: f.number("multiplier", 1.0, 100.0)?.unwrap_or(2.0),
        jitter,
        retryable_errors: f.strings("retryableErrors")?.unwrap_or_default(),
    })
}

/// `scheduleConfig.retryPolicy`: enabled, maxRetries, retryDelay, backoffStrategy,
/// retryableErrors.
fn schedule_retry(v: &Value, path: &str) -> FieldResult<RetryPolicy> {
    let f = Fields::new(v, path, SCHEDULE_RETRY_KEYS)?;
    if !f.boolean("enabled")?.unwrap_or(true) {
        return Ok(RetryPolicy::none());
    }
    Ok(RetryPolicy {
        max_attempts: 1 + f.integer("maxRetries", 0, 999)?.unwrap_or(0) as u32,
        backoff: backoff(&f, "backoffStrategy")?,
        initial_delay_ms: f.integer("retryDelay", 0, MAX_DELAY_MS)?.unwrap_or(1000),
        max_delay_ms: 0,
        multiplier: 2.0,
        jitter: 0.0,
        retryable_errors: f.strings("retryableErrors")?.unwrap_or_default(),
    })
}
