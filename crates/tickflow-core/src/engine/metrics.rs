//! Prometheus metrics: fixed-bucket histograms (so that several nodes' series add up) and the
//! text exposition of every series the engine keeps. Counters come from each schedule's
//! `Stats`; nothing here runs per event beyond a bucket increment.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::core::Engine;
use super::execution::ExecutionStatus;
use super::histogram::Histogram;
use super::schedule::{Schedule, Stats};
use super::stall::running_since;

/// Upper bounds of the execution-duration buckets, in seconds.
pub const DURATION_BUCKETS: [f64; 16] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];
/// Upper bounds of the trigger-lateness buckets (scheduled instant to executor call), seconds.
pub const LATENESS_BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Skip reasons, in the order `Stats::skipped_by` counts them.
pub const SKIP_REASONS: [&str; 5] = ["overlap", "misfire", "dst", "disabled", "no_handler"];

pub fn skip_index(reason: &str) -> usize {
    SKIP_REASONS.iter().position(|r| *r == reason).unwrap_or(0)
}

/// What one schedule (or, summed, all of them) contributes to the series.
#[derive(Default)]
struct Sample {
    fires: u64,
    skipped_by: [u64; 5],
    completed: u64,
    failed: u64,
    timed_out: u64,
    cancelled: u64,
    retries: u64,
    duration: Histogram<16>,
    lateness: Histogram<14>,
    running: u64,
    /// Age of the oldest running attempt, seconds; 0 when none runs.
    oldest_running: f64,
    queued: u64,
    paused: u64,
    next_fire: Option<DateTime<Utc>>,
    last_success: Option<DateTime<Utc>>,
}

impl Sample {
    fn add(&mut self, other: &Sample) {
        self.fires += other.fires;
        for (a, b) in self.skipped_by.iter_mut().zip(other.skipped_by) {
            *a += b;
        }
        self.completed += other.completed;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
        self.cancelled += other.cancelled;
        self.retries += other.retries;
        self.duration.add(&other.duration);
        self.lateness.add(&other.lateness);
        self.running += other.running;
        // Summed over schedules, the oldest of all: a sum of ages means nothing.
        self.oldest_running = self.oldest_running.max(other.oldest_running);
        self.queued += other.queued;
        self.paused += other.paused;
    }
}

impl Engine {
    fn sample(&self, s: &Schedule, now: DateTime<Utc>) -> Sample {
        static NONE: Stats = Stats::EMPTY;
        let st: &Stats = s.runtime.as_ref().map_or(&NONE, |rt| &rt.stats);
        let (mut running, mut queued, mut oldest_ms) = (0, 0, 0);
        if let Some(rt) = &s.runtime {
            for key in &rt.active {
                let Some(e) = self.executions.get(key) else {
                    continue;
                };
                match e.status {
                    ExecutionStatus::Running => {
                        running += 1;
                        if let Some(since) = running_since(e) {
                            oldest_ms = oldest_ms.max((now - since).num_milliseconds());
                        }
                    }
                    ExecutionStatus::Queued | ExecutionStatus::Retrying => queued += 1,
                    _ => {}
                }
            }
        }
        Sample {
            fires: st.fires,
            skipped_by: st.skipped_by,
            completed: st.completed,
            failed: st.failed - st.timed_out.min(st.failed),
            timed_out: st.timed_out,
            cancelled: st.cancelled,
            retries: st.retries,
            duration: st.duration.clone(),
            lateness: st.lateness.clone(),
            running,
            oldest_running: oldest_ms as f64 / 1000.0,
            queued,
            paused: u64::from(s.paused),
            next_fire: s.next_fire,
            last_success: st.last_success,
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of every tickflow series. With
    /// `per_schedule` false the `schedule` label is left out and the series are summed (the
    /// per-schedule timestamps then go too): for very many schedules.
    pub fn prometheus(&self, per_schedule: bool) -> String {
        let mut x = Exposition::new(per_schedule);
        self.collect_exposition(&mut x, 0..self.slot_count());
        x.prepare();
        let mut out = String::new();
        while let Some(piece) = self.render_exposition(&mut x, usize::MAX) {
            out.push_str(&piece);
        }
        out
    }

    /// Takes the schedules in `slots` into the exposition: their ids (per schedule) or their
    /// sum.
    pub fn collect_exposition(&self, x: &mut Exposition, slots: std::ops::Range<usize>) {
        let now = self.now();
        for (_, s) in self.registry.in_slots(slots) {
            if x.per_schedule {
                x.ids.push(s.spec.fragments.schedule_id.clone());
            } else {
                x.sum.add(&self.sample(s, now));
            }
        }
    }

    /// The next piece of the exposition, about `max_bytes` long (whole lines, whole
    /// families' headers); `None` once all was rendered.
    pub fn render_exposition(&self, x: &mut Exposition, max_bytes: usize) -> Option<String> {
        if x.family > FAMILIES.len() {
            return None;
        }
        let mut out = String::new();
        let now = self.now();
        while x.family < FAMILIES.len() && out.len() < max_bytes {
            let f = &FAMILIES[x.family];
            if f.per_schedule_only && !x.per_schedule {
                x.family += 1;
                continue;
            }
            if x.pos == 0 {
                let _ = writeln!(
                    out,
                    "# HELP {} {}\n# TYPE {} {}",
                    f.name, f.help, f.name, f.kind
                );
            }
            if x.per_schedule {
                // At least one row per call, so that a family's header is written once.
                while x.pos < x.ids.len() {
                    if let Some(s) = self.schedule(&x.ids[x.pos]) {
                        render_family(
                            &mut out,
                            x.family,
                            Some(&x.ids[x.pos]),
                            &self.sample(s, now),
                        );
                    }
                    x.pos += 1;
                    if out.len() >= max_bytes {
                        break;
                    }
                }
                if x.pos < x.ids.len() {
                    break;
                }
            } else {
                render_family(&mut out, x.family, None, &x.sum);
            }
            x.family += 1;
            x.pos = 0;
        }
        if x.family == FAMILIES.len() && out.len() < max_bytes {
            let _ = writeln!(
                out,
                "# HELP tickflow_schedules Scheduled workflows held.\n# TYPE tickflow_schedules gauge\ntickflow_schedules {}",
                self.schedule_count()
            );
            x.family += 1;
        }
        Some(out)
    }

    /// A schedule's trigger lateness histogram: counts per bucket (not cumulative), the
    /// count and the sum, as the dashboard draws it.
    pub fn lateness(&self, schedule_id: &str) -> Result<serde_json::Value, super::EngineError> {
        let index = self.schedule_index(schedule_id)?;
        let h = &self
            .schedule_at(index)
            .expect("indexed")
            .rt()
            .stats
            .lateness;
        let mut buckets: Vec<serde_json::Value> = LATENESS_BUCKETS
            .iter()
            .zip(h.buckets)
            .map(|(le, count)| serde_json::json!({ "le": le, "count": count }))
            .collect();
        buckets.push(serde_json::json!({ "le": "+Inf", "count": h.overflow }));
        Ok(serde_json::json!({ "buckets": buckets, "count": h.count(), "sum": h.sum }))
    }
}

/// Every family's name, help and type, in the order written: what a registry learns before
/// its first scrape.
pub fn families(per_schedule: bool) -> Vec<(&'static str, &'static str, &'static str)> {
    FAMILIES
        .iter()
        .filter(|f| per_schedule || !f.per_schedule_only)
        .map(|f| (f.name, f.help, f.kind))
        .chain([("tickflow_schedules", "Scheduled workflows held.", "gauge")])
        .collect()
}

/// A scrape in pieces: the schedule ids taken at its start (sorted), or the sum of every
/// schedule's series, and where the next piece begins.
pub struct Exposition {
    per_schedule: bool,
    ids: Vec<std::sync::Arc<str>>,
    sum: Sample,
    family: usize,
    pos: usize,
}

impl Exposition {
    pub fn new(per_schedule: bool) -> Exposition {
        Exposition {
            per_schedule,
            ids: Vec::new(),
            sum: Sample::default(),
            family: 0,
            pos: 0,
        }
    }

    /// Sorts the ids (outside the engine's lock: a million take a while).
    pub fn prepare(&mut self) {
        self.ids.sort_unstable();
    }

    /// Bytes the exposition takes at least: every schedule writes each of its lines, with
    /// its id, and no value shorter than `0`.
    pub fn min_bytes(&self) -> usize {
        if !self.per_schedule {
            return 0;
        }
        let mut empty = String::new();
        for f in 0..FAMILIES.len() {
            render_family(&mut empty, f, Some(""), &Sample::default());
        }
        let lines = empty.lines().count();
        self.ids
            .iter()
            .map(|id| empty.len() + lines * id.len())
            .sum()
    }
}

struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    per_schedule_only: bool,
}

const fn family(name: &'static str, kind: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind,
        help,
        per_schedule_only: false,
    }
}

/// Every family but `tickflow_schedules` (written last, once), in the order written.
const FAMILIES: [Family; 12] = [
    family("tickflow_fires_total", "counter", "Scheduled occurrences that fired (catch-up runs included), by schedule."),
    family("tickflow_skipped_fires_total", "counter", "Due occurrences that did not run, by reason: overlap, misfire, dst, disabled, no_handler."),
    family("tickflow_executions_total", "counter", "Executions that ended, by outcome: completed, failed, timeout, cancelled."),
    family("tickflow_retries_total", "counter", "Attempts that failed and were tried again."),
    family("tickflow_execution_duration_seconds", "histogram", "Time from an execution's first start to its end."),
    family("tickflow_trigger_lateness_seconds", "histogram", "Time from a scheduled instant to its executor call (first attempts of scheduled and catch-up runs)."),
    family("tickflow_executions_running", "gauge", "Executions whose attempt is running now."),
    family("tickflow_execution_oldest_running_seconds", "gauge", "How long the oldest running attempt has run, 0 when none runs (with the schedule label off: the oldest of all). Alert when it passes the schedule's period."),
    family("tickflow_executions_queued", "gauge", "Executions waiting for a slot or for their retry delay."),
    family("tickflow_schedule_paused", "gauge", "1 when the schedule is paused (with the schedule label off: how many are)."),
    Family {
        per_schedule_only: true,
        ..family("tickflow_schedule_next_fire_timestamp_seconds", "gauge", "When the schedule fires next (Unix time); absent when it will not.")
    },
    Family {
        per_schedule_only: true,
        ..family("tickflow_schedule_last_success_timestamp_seconds", "gauge", "When an execution of the schedule last completed (Unix time): alert on time() minus this.")
    },
];

/// The samples of family `f` for one row (one schedule, or all summed). Written straight
/// into `out`: a million schedules make fifty million lines.
fn render_family(out: &mut String, f: usize, schedule: Option<&str>, x: &Sample) {
    let name = FAMILIES[f].name;
    let seconds = |t: DateTime<Utc>| t.timestamp_millis() as f64 / 1000.0;
    match f {
        0 => line(out, name, "", schedule, None, x.fires as f64),
        1 => {
            for (reason, n) in SKIP_REASONS.iter().zip(x.skipped_by) {
                line(out, name, "", schedule, Some(("reason", reason)), n as f64);
            }
        }
        2 => {
            for (outcome, n) in [
                ("completed", x.completed),
                ("failed", x.failed),
                ("timeout", x.timed_out),
                ("cancelled", x.cancelled),
            ] {
                line(
                    out,
                    name,
                    "",
                    schedule,
                    Some(("outcome", &outcome)),
                    n as f64,
                );
            }
        }
        3 => line(out, name, "", schedule, None, x.retries as f64),
        4 => histogram(out, name, &DURATION_BUCKETS, schedule, &x.duration),
        5 => histogram(out, name, &LATENESS_BUCKETS, schedule, &x.lateness),
        6 => line(out, name, "", schedule, None, x.running as f64),
        7 => line(out, name, "", schedule, None, x.oldest_running),
        8 => line(out, name, "", schedule, None, x.queued as f64),
        9 => line(out, name, "", schedule, None, x.paused as f64),
        10 => {
            if let Some(t) = x.next_fire {
                line(out, name, "", schedule, None, seconds(t));
            }
        }
        _ => {
            if let Some(t) = x.last_success {
                line(out, name, "", schedule, None, seconds(t));
            }
        }
    }
}

/// `name_suffix{schedule="…",key="value"} v`: the braces only when there is a label.
fn line(
    out: &mut String,
    name: &str,
    suffix: &str,
    schedule: Option<&str>,
    extra: Option<(&str, &dyn std::fmt::Display)>,
    v: f64,
) {
    out.push_str(name);
    out.push_str(suffix);
    if schedule.is_some() || extra.is_some() {
        out.push('{');
        if let Some(id) = schedule {
            out.push_str("schedule=\"");
            escape_label(out, id);
            out.push('"');
            if extra.is_some() {
                out.push(',');
            }
        }
        if let Some((key, value)) = extra {
            let _ = write!(out, "{key}=\"{value}\"");
        }
        out.push('}');
    }
    let _ = writeln!(out, " {}", Number(v));
}

fn histogram<const N: usize>(
    out: &mut String,
    name: &str,
    bounds: &[f64; N],
    schedule: Option<&str>,
    h: &Histogram<N>,
) {
    let mut cumulative = 0;
    for (bound, n) in bounds.iter().zip(h.buckets.iter()) {
        cumulative += n;
        line(
            out,
            name,
            "_bucket",
            schedule,
            Some(("le", &Number(*bound))),
            cumulative as f64,
        );
    }
    cumulative += h.overflow;
    line(
        out,
        name,
        "_bucket",
        schedule,
        Some(("le", &"+Inf")),
        cumulative as f64,
    );
    line(out, name, "_sum", schedule, None, h.sum);
    line(out, name, "_count", schedule, None, cumulative as f64);
}

/// A sample value as Prometheus writes it (integers without a fraction).
struct Number(f64);

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e15 {
            write!(f, "{}", v as i64)
        } else {
            write!(f, "{v}")
        }
    }
}

/// Label values escape backslash, double quote and newline.
fn escape_label(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}
