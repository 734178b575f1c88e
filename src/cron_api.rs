//! `nextRuns`, `previousRuns`, `validateCron`, `describeCron` and the `CronEngine` class.

use chrono::{DateTime, Duration, Utc};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tickflow_core::cron::{self, CronPattern, DstGap, Field, Zone};

use crate::args;
use crate::js_error::{to_js, ApiError, ApiResult, ErrorKind};

/// Most occurrences one call returns.
pub const MAX_COUNT: u64 = 100_000;
/// Occurrences returned when `count` is not given.
pub const DEFAULT_COUNT: u64 = 5;
/// Most patterns `detectScheduleConflicts` compares at once.
pub const MAX_CONFLICT_PATTERNS: u32 = 10_000;

/// Options of `nextRuns` / `previousRuns`.
#[napi(object)]
#[allow(dead_code)] // describes the TypeScript shape; the values are read by `args`
pub struct CronRunOptions {
    /// IANA time zone, default 'UTC'.
    pub timezone: Option<String>,
    /// Results are strictly after (before) this instant (a Date or an ISO 8601 string);
    /// default now.
    #[napi(ts_type = "Date | string")]
    pub from: Option<DateTime<Utc>>,
    /// How many results, 1-100000; default 5.
    pub count: Option<f64>,
    #[napi(ts_type = "'shift' | 'skip'")]
    pub dst_gap: Option<String>,
}

#[napi(object)]
pub struct ScheduleFrequency {
    #[napi(
        js_name = "type",
        ts_type = "'once' | 'minutely' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'custom'"
    )]
    pub kind: String,
    /// Runs are `interval` units of `type` apart; for 'custom', the shortest gap in seconds.
    pub interval: f64,
    pub description: String,
    pub estimated_executions_per_day: f64,
}

#[napi(object)]
pub struct CronValidationResult {
    pub valid: bool,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub description: String,
    pub frequency: ScheduleFrequency,
    pub next_executions: Vec<DateTime<Utc>>,
}

#[napi(object)]
pub struct CronFields {
    pub second: Option<String>,
    pub minute: String,
    pub hour: String,
    pub day_of_month: String,
    pub month: String,
    pub day_of_week: String,
    pub year: Option<String>,
}

#[napi(object)]
pub struct ParsedCronExpression {
    pub original: String,
    pub fields: CronFields,
    pub timezone: String,
    pub description: String,
    pub frequency: ScheduleFrequency,
    pub valid: bool,
    pub errors: Vec<String>,
}

#[napi(object)]
pub struct ResourceImpactAnalysis {
    #[napi(ts_type = "'low' | 'medium' | 'high'")]
    pub cpu_impact: String,
    #[napi(ts_type = "'low' | 'medium' | 'high'")]
    pub memory_impact: String,
    #[napi(ts_type = "'low' | 'medium' | 'high'")]
    pub network_impact: String,
    #[napi(ts_type = "'low' | 'medium' | 'high'")]
    pub database_impact: String,
    #[napi(ts_type = "'low' | 'medium' | 'high'")]
    pub overall_impact: String,
}

#[napi(object)]
pub struct ScheduleFrequencyAnalysis {
    pub frequency: ScheduleFrequency,
    /// Hours (0-23) holding the most runs; empty when runs spread over all 24 hours.
    pub peak_hours: Vec<u32>,
    /// Share of the day's hours in which the pattern fires, 0..1.
    pub distribution_score: f64,
    pub resource_impact: ResourceImpactAnalysis,
    pub recommendations: Vec<String>,
}

#[napi(object)]
pub struct ScheduleConflict {
    /// The patterns that fire together, as given (they stand in for schedule ids).
    pub schedule_ids: Vec<String>,
    pub conflict_time: DateTime<Utc>,
    #[napi(ts_type = "'low' | 'medium' | 'high'")]
    pub severity: String,
    pub description: String,
    pub resolution: String,
}

/// Options of `detectScheduleConflicts`.
#[napi(object)]
#[allow(dead_code)] // describes the TypeScript shape; the values are read by `args`
pub struct ConflictOptions {
    /// Start of the horizon (a Date or an ISO 8601 string); default now.
    #[napi(ts_type = "Date | string")]
    pub from: Option<DateTime<Utc>>,
    /// Length of the horizon in ms, 1 ms to 366 days; default 7 days.
    pub horizon_ms: Option<f64>,
    /// Most conflicts returned, 1-100000; default 1000.
    pub limit: Option<f64>,
}

// ---------------------------------------------------------------------------------------
// Argument reading

fn pattern_arg(value: &Unknown, path: &str) -> ApiResult<std::rc::Rc<CronPattern>> {
    let text = args::string(value, path)?;
    cron::cached(&text)
        .map_err(|e| ApiError::from_cron(e).at(path, Some(napi::JsValue::raw(value))))
}

fn timezone_arg(value: Option<&Unknown>, path: &str) -> ApiResult<Zone> {
    match value.filter(|v| !args::is_absent(v)) {
        None => Ok(Zone::utc()),
        Some(v) => {
            let name = args::string(v, path)?;
            cron::parse_timezone(&name)
                .map_err(|e| ApiError::from_cron(e).at(path, Some(napi::JsValue::raw(v))))
        }
    }
}

fn from_arg(value: Option<&Unknown>, path: &str) -> ApiResult<DateTime<Utc>> {
    match value.filter(|v| !args::is_absent(v)) {
        None => Ok(Utc::now()),
        Some(v) => args::date(v, path),
    }
}

struct RunQuery {
    pattern: std::rc::Rc<CronPattern>,
    tz: Zone,
    from: DateTime<Utc>,
    count: usize,
    gap: DstGap,
}

impl RunQuery {
    fn runs(&self, forward: bool) -> Vec<DateTime<Utc>> {
        let runs = if forward {
            self.pattern.iter_after(self.from, &self.tz, self.gap)
        } else {
            self.pattern.iter_before(self.from, &self.tz, self.gap)
        };
        runs.take(self.count).collect()
    }
}

fn run_query(pattern: &Unknown, options: Option<&Unknown>) -> ApiResult<RunQuery> {
    let pattern = pattern_arg(pattern, "pattern")?;
    let opts = args::options(options, "options", &["timezone", "from", "count", "dstGap"])?;
    let get = |name| opts.as_ref().and_then(|o| args::field(o, name));
    let tz = timezone_arg(get("timezone").as_ref(), "options.timezone")?;
    let from = from_arg(get("from").as_ref(), "options.from")?;
    let count = match get("count") {
        Some(v) => args::integer(&v, "options.count", 1, MAX_COUNT)?,
        None => DEFAULT_COUNT,
    } as usize;
    let gap = match get("dstGap") {
        Some(v) => match args::choice(&v, "options.dstGap", &["shift", "skip"])? {
            "skip" => DstGap::Skip,
            _ => DstGap::Shift,
        },
        None => DstGap::Shift,
    };
    Ok(RunQuery {
        pattern,
        tz,
        from,
        count,
        gap,
    })
}

/// The (expression, timezone, fromDate) arguments of the CronEngine methods.
fn engine_args(
    expression: &Unknown,
    timezone: Option<&Unknown>,
    from_date: Option<&Unknown>,
) -> ApiResult<(std::rc::Rc<CronPattern>, Zone, DateTime<Utc>)> {
    let p = pattern_arg(expression, "expression")?;
    let tz = timezone_arg(timezone, "timezone")?;
    let from = from_arg(from_date, "fromDate")?;
    Ok((p, tz, from))
}

fn count_arg(value: &Unknown, path: &str) -> ApiResult<usize> {
    Ok(args::integer(value, path, 1, MAX_COUNT)? as usize)
}

// ---------------------------------------------------------------------------------------
// Results

fn frequency_object(f: &cron::Frequency) -> ScheduleFrequency {
    ScheduleFrequency {
        kind: f.kind.as_str().into(),
        interval: f.interval as f64,
        description: f.description.clone(),
        estimated_executions_per_day: f.executions_per_day,
    }
}

fn no_frequency() -> ScheduleFrequency {
    ScheduleFrequency {
        kind: "custom".into(),
        interval: 0.0,
        description: String::new(),
        estimated_executions_per_day: 0.0,
    }
}

/// Validation never throws for a bad pattern or zone: they come back as `errors`.
fn validation(pattern: &str, tz: std::result::Result<Zone, String>) -> CronValidationResult {
    let compiled = CronPattern::parse(pattern);
    let mut errors: Vec<String> = match &compiled {
        Ok(_) => Vec::new(),
        Err(list) => list.iter().map(ToString::to_string).collect(),
    };
    if let Err(tz_error) = &tz {
        errors.push(tz_error.clone());
    }
    match (compiled, tz) {
        (Ok(p), Ok(tz)) => {
            let now = Utc::now();
            CronValidationResult {
                valid: true,
                errors,
                warnings: cron::warnings(&p, &tz, now),
                description: cron::describe(p.spec()),
                frequency: frequency_object(&cron::frequency(&p)),
                next_executions: p.iter_after(now, &tz, DstGap::Shift).take(5).collect(),
            }
        }
        (Ok(p), Err(_)) => CronValidationResult {
            valid: false,
            errors,
            warnings: Vec::new(),
            description: cron::describe(p.spec()),
            frequency: frequency_object(&cron::frequency(&p)),
            next_executions: Vec::new(),
        },
        (Err(_), _) => CronValidationResult {
            valid: false,
            errors,
            warnings: Vec::new(),
            description: String::new(),
            frequency: no_frequency(),
            next_executions: Vec::new(),
        },
    }
}

fn validate_args(pattern: &Unknown, timezone: Option<&Unknown>) -> ApiResult<CronValidationResult> {
    let text = args::string(pattern, "pattern")?;
    let tz = match timezone.filter(|v| !args::is_absent(v)) {
        None => Ok(Zone::utc()),
        Some(v) => {
            let name = args::string(v, "timezone")?;
            cron::parse_timezone(&name).map_err(|e| format!("timezone: {e}"))
        }
    };
    Ok(validation(&text, tz))
}

// ---------------------------------------------------------------------------------------
// Functions

/// The next `count` occurrences of `pattern`, strictly after `from`.
#[napi(
    catch_unwind,
    ts_args_type = "pattern: string, options?: CronRunOptions",
    ts_return_type = "Date[]"
)]
pub fn next_runs(
    env: Env,
    pattern: Unknown,
    options: Option<Unknown>,
) -> Result<Vec<DateTime<Utc>>> {
    to_js(
        &env,
        run_query(&pattern, options.as_ref()).map(|q| q.runs(true)),
    )
}

/// The previous `count` occurrences of `pattern`, strictly before `from`, latest first.
#[napi(
    catch_unwind,
    ts_args_type = "pattern: string, options?: CronRunOptions",
    ts_return_type = "Date[]"
)]
pub fn previous_runs(
    env: Env,
    pattern: Unknown,
    options: Option<Unknown>,
) -> Result<Vec<DateTime<Utc>>> {
    to_js(
        &env,
        run_query(&pattern, options.as_ref()).map(|q| q.runs(false)),
    )
}

/// Checks a pattern; never throws for a bad pattern or time zone (`valid: false`).
#[napi(catch_unwind, ts_args_type = "pattern: string, timezone?: string")]
pub fn validate_cron(
    env: Env,
    pattern: Unknown,
    timezone: Option<Unknown>,
) -> Result<CronValidationResult> {
    to_js(&env, validate_args(&pattern, timezone.as_ref()))
}

/// Readable English for a pattern; throws ERR_INVALID_CRON for a bad one.
#[napi(catch_unwind, ts_args_type = "pattern: string")]
pub fn describe_cron(env: Env, pattern: Unknown) -> Result<String> {
    to_js(
        &env,
        pattern_arg(&pattern, "pattern").map(|p| cron::describe(p.spec())),
    )
}

// ---------------------------------------------------------------------------------------
// CronEngine: the production-ccs interface, returning results directly.

#[napi]
pub struct CronEngine {}

#[napi]
impl CronEngine {
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CronEngine {}
    }

    #[napi(catch_unwind, ts_args_type = "expression: string")]
    pub fn parse_expression(&self, env: Env, expression: Unknown) -> Result<ParsedCronExpression> {
        to_js(
            &env,
            args::string(&expression, "expression").map(|text| parsed(&text)),
        )
    }

    #[napi(catch_unwind, ts_args_type = "expression: string, timezone?: string")]
    pub fn validate_expression(
        &self,
        env: Env,
        expression: Unknown,
        timezone: Option<Unknown>,
    ) -> Result<CronValidationResult> {
        to_js(&env, validate_args(&expression, timezone.as_ref()))
    }

    #[napi(
        catch_unwind,
        ts_args_type = "expression: string, timezone: string, fromDate?: Date | string",
        ts_return_type = "Date | null"
    )]
    pub fn get_next_execution_time(
        &self,
        env: Env,
        expression: Unknown,
        timezone: Option<Unknown>,
        from_date: Option<Unknown>,
    ) -> Result<Option<DateTime<Utc>>> {
        to_js(
            &env,
            engine_args(&expression, timezone.as_ref(), from_date.as_ref())
                .map(|(p, tz, from)| p.next_after(from, &tz, DstGap::Shift)),
        )
    }

    #[napi(
        catch_unwind,
        ts_args_type = "expression: string, timezone: string, count: number, fromDate?: Date | string",
        ts_return_type = "Date[]"
    )]
    pub fn get_next_execution_times(
        &self,
        env: Env,
        expression: Unknown,
        timezone: Option<Unknown>,
        count: Unknown,
        from_date: Option<Unknown>,
    ) -> Result<Vec<DateTime<Utc>>> {
        to_js(
            &env,
            engine_args(&expression, timezone.as_ref(), from_date.as_ref()).and_then(
                |(p, tz, from)| {
                    let count = count_arg(&count, "count")?;
                    Ok(p.iter_after(from, &tz, DstGap::Shift).take(count).collect())
                },
            ),
        )
    }

    #[napi(
        catch_unwind,
        ts_args_type = "expression: string, timezone: string, fromDate?: Date | string",
        ts_return_type = "Date | null"
    )]
    pub fn get_previous_execution_time(
        &self,
        env: Env,
        expression: Unknown,
        timezone: Option<Unknown>,
        from_date: Option<Unknown>,
    ) -> Result<Option<DateTime<Utc>>> {
        to_js(
            &env,
            engine_args(&expression, timezone.as_ref(), from_date.as_ref())
                .map(|(p, tz, from)| p.prev_before(from, &tz, DstGap::Shift)),
        )
    }

    #[napi(catch_unwind, ts_args_type = "expression: string")]
    pub fn analyze_schedule_frequency(
        &self,
        env: Env,
        expression: Unknown,
    ) -> Result<ScheduleFrequencyAnalysis> {
        to_js(
            &env,
            pattern_arg(&expression, "expression").map(|p| {
                let a = cron::analyze(&p);
                let impact = a.impact.to_string();
                ScheduleFrequencyAnalysis {
                    frequency: frequency_object(&a.frequency),
                    peak_hours: a.peak_hours,
                    distribution_score: a.distribution_score,
                    resource_impact: ResourceImpactAnalysis {
                        cpu_impact: impact.clone(),
                        memory_impact: impact.clone(),
                        network_impact: impact.clone(),
                        database_impact: impact.clone(),
                        overall_impact: impact,
                    },
                    recommendations: a.recommendations,
                }
            }),
        )
    }

    /// Instants over a horizon (default the 7 days after now) where two or more of
    /// `expressions` fire together.
    #[napi(
        catch_unwind,
        ts_args_type = "expressions: string[], timezone: string, options?: ConflictOptions"
    )]
    pub fn detect_schedule_conflicts(
        &self,
        env: Env,
        expressions: Unknown,
        timezone: Option<Unknown>,
        options: Option<Unknown>,
    ) -> Result<Vec<ScheduleConflict>> {
        to_js(
            &env,
            conflicts(&expressions, timezone.as_ref(), options.as_ref()),
        )
    }
}

fn parsed(text: &str) -> ParsedCronExpression {
    match CronPattern::parse(text) {
        Ok(p) => {
            let spec = p.spec();
            let field = |f: Field| spec.field(f).text.clone();
            let dow = if spec.dom_and_dow {
                format!("+{}", field(Field::DayOfWeek))
            } else {
                field(Field::DayOfWeek)
            };
            ParsedCronExpression {
                original: text.to_string(),
                fields: CronFields {
                    second: spec.has_seconds.then(|| field(Field::Second)),
                    minute: field(Field::Minute),
                    hour: field(Field::Hour),
                    day_of_month: field(Field::DayOfMonth),
                    month: field(Field::Month),
                    day_of_week: dow,
                    year: spec.has_year.then(|| field(Field::Year)),
                },
                timezone: "UTC".into(),
                description: cron::describe(spec),
                frequency: frequency_object(&cron::frequency(&p)),
                valid: true,
                errors: Vec::new(),
            }
        }
        Err(errors) => ParsedCronExpression {
            original: text.to_string(),
            fields: CronFields {
                second: None,
                minute: String::new(),
                hour: String::new(),
                day_of_month: String::new(),
                month: String::new(),
                day_of_week: String::new(),
                year: None,
            },
            timezone: "UTC".into(),
            description: String::new(),
            frequency: no_frequency(),
            valid: false,
            errors: errors.iter().map(ToString::to_string).collect(),
        },
    }
}

fn conflicts(
    expressions: &Unknown,
    timezone: Option<&Unknown>,
    options: Option<&Unknown>,
) -> ApiResult<Vec<ScheduleConflict>> {
    if !expressions.is_array().unwrap_or(false) {
        return Err(args::wrong_type(
            "expressions",
            "an array of strings",
            expressions,
        ));
    }
    let list: Array = unsafe { expressions.cast() }
        .map_err(|_| args::wrong_type("expressions", "an array of strings", expressions))?;
    if list.len() > MAX_CONFLICT_PATTERNS {
        return Err(args::out_of_range(
            "expressions",
            format!(
                "at most {MAX_CONFLICT_PATTERNS} expressions are compared at once, got {}",
                list.len()
            ),
            expressions,
        ));
    }
    let mut texts = Vec::with_capacity(list.len() as usize);
    let mut patterns = Vec::with_capacity(list.len() as usize);
    for i in 0..list.len() {
        let path = format!("expressions[{i}]");
        let item: Unknown = list.get(i).ok().flatten().ok_or_else(|| {
            ApiError::new(ErrorKind::Type, "ERR_INVALID_ARG_TYPE", "expected a string")
                .at(&path, None)
        })?;
        let text = args::string(&item, &path)?;
        patterns.push(pattern_arg(&item, &path)?);
        texts.push(text);
    }
    let tz = timezone_arg(timezone, "timezone")?;
    let opts = args::options(options, "options", &["from", "horizonMs", "limit"])?;
    let get = |name| opts.as_ref().and_then(|o| args::field(o, name));
    let from = from_arg(get("from").as_ref(), "options.from")?;
    let horizon_ms = match get("horizonMs") {
        Some(v) => args::integer(&v, "options.horizonMs", 1, 366 * 86_400_000)?,
        None => 7 * 86_400_000,
    };
    let limit = match get("limit") {
        Some(v) => args::integer(&v, "options.limit", 1, MAX_COUNT)?,
        None => 1_000,
    } as usize;
    let refs: Vec<&CronPattern> = patterns.iter().map(|p| &**p).collect();
    let scan = cron::conflicts(
        &refs,
        &tz,
        from,
        Duration::milliseconds(horizon_ms as i64),
        limit,
    );
    let mut horizon_text = format!(
        "within the {} after {}",
        human_span(horizon_ms),
        from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    if let Some((at, bound)) = scan.stopped {
        let why = match bound {
            cron::ScanBound::Limit => format!("the limit of {limit} conflicts was reached"),
            cron::ScanBound::Occurrences => format!(
                "{} occurrences were examined",
                cron::MAX_OCCURRENCES_EXAMINED
            ),
            cron::ScanBound::Members => format!(
                "the conflicts found name {} schedules in all",
                cron::MAX_CONFLICT_MEMBERS
            ),
        };
        horizon_text.push_str(&format!(
            "; searched up to {} only, where {why}",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    Ok(scan
        .conflicts
        .into_iter()
        .map(|c| {
            let ids: Vec<String> = c.patterns.iter().map(|i| texts[*i].clone()).collect();
            let severity = match ids.len() {
                2 => "low",
                3 | 4 => "medium",
                _ => "high",
            };
            ScheduleConflict {
                description: format!(
                    "{} schedules fire together at {} ({horizon_text}): {}",
                    ids.len(),
                    c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    quoted_list(&ids, 10)
                ),
                resolution: "Move all but one of them by a few minutes (for example to minute 5), or give them jitterMs so their runs spread out".into(),
                schedule_ids: ids,
                conflict_time: c.at,
                severity: severity.into(),
            }
        })
        .collect())
}

/// `'a', 'b'` for a short list; the first `shown` and a count of the rest for a long one.
fn quoted_list(items: &[String], shown: usize) -> String {
    let head = items[..items.len().min(shown)].join("', '");
    match items.len().saturating_sub(shown) {
        0 => format!("'{head}'"),
        rest => format!("'{head}' and {rest} more"),
    }
}

fn human_span(ms: u64) -> String {
    let (value, unit) = if ms.is_multiple_of(86_400_000) {
        (ms / 86_400_000, "day")
    } else if ms.is_multiple_of(3_600_000) {
        (ms / 3_600_000, "hour")
    } else if ms.is_multiple_of(60_000) {
        (ms / 60_000, "minute")
    } else {
        (ms, "millisecond")
    };
    format!("{value} {unit}{}", if value == 1 { "" } else { "s" })
}
