//! Prometheus metrics: fixed-bucket histograms (so that several nodes' series add up) and the
//! text exposition of every series the engine keeps. Counters come from each schedule's
//! `Stats`; nothing here runs per event beyond a bucket increment.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::core::{Engine, Schedule, Stats};
use super::execution::ExecutionStatus;
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

/// Counts per bucket (not cumulative) plus `+Inf`, the sum and the count.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram<const N: usize> {
    pub buckets: [u64; N],
    pub overflow: u64,
    pub sum: f64,
}

impl<const N: usize> Histogram<N> {
    pub const EMPTY: Histogram<N> = Histogram {
        buckets: [0; N],
        overflow: 0,
        sum: 0.0,
    };

    pub fn observe(&mut self, bounds: &[f64; N], seconds: f64) {
        let seconds = seconds.max(0.0);
        self.sum += seconds;
        match bounds.iter().position(|b| seconds <= *b) {
            Some(i) => self.buckets[i] += 1,
            None => self.overflow += 1,
        }
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().sum::<u64>() + self.overflow
    }

    fn add(&mut self, other: &Histogram<N>) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
        self.overflow += other.overflow;
        self.sum += other.sum;
    }
}

impl<const N: usize> Default for Histogram<N> {
    fn default() -> Self {
        Self::EMPTY
    }
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
        let now = self.now();
        let mut rows: Vec<(Option<&str>, Sample)> = Vec::new();
        if per_schedule {
            let mut schedules: Vec<&Schedule> = self.schedules().collect();
            schedules.sort_by(|a, b| {
                a.spec
                    .fragments
                    .schedule_id
                    .cmp(&b.spec.fragments.schedule_id)
            });
            for s in schedules {
                rows.push((Some(&*s.spec.fragments.schedule_id), self.sample(s, now)));
            }
        } else {
            let mut all = Sample::default();
            for s in self.schedules() {
                all.add(&self.sample(s, now));
            }
            rows.push((None, all));
        }
        let mut out = String::with_capacity(512 + rows.len() * 2048);
        let labels = |schedule: Option<&str>, extra: &str| -> String {
            let mut l = String::new();
            if let Some(id) = schedule {
                l.push_str("schedule=\"");
                escape_label(&mut l, id);
                l.push('"');
            }
            if !extra.is_empty() {
                if !l.is_empty() {
                    l.push(',');
                }
                l.push_str(extra);
            }
            if l.is_empty() {
                l
            } else {
                format!("{{{l}}}")
            }
        };
        family(
            &mut out,
            "counter",
            "tickflow_fires_total",
            "Scheduled occurrences that fired (catch-up runs included), by schedule.",
            &mut rows.iter().map(|(s, x)| (labels(*s, ""), x.fires as f64)),
        );
        family(
            &mut out,
            "counter",
            "tickflow_skipped_fires_total",
            "Due occurrences that did not run, by reason: overlap, misfire, dst, disabled, no_handler.",
            &mut rows.iter().flat_map(|(s, x)| {
                SKIP_REASONS
                    .iter()
                    .zip(x.skipped_by)
                    .map(move |(reason, n)| (labels(*s, &format!("reason=\"{reason}\"")), n as f64))
            }),
        );
        family(
            &mut out,
            "counter",
            "tickflow_executions_total",
            "Executions that ended, by outcome: completed, failed, timeout, cancelled.",
            &mut rows.iter().flat_map(|(s, x)| {
                [
                    ("completed", x.completed),
                    ("failed", x.failed),
                    ("timeout", x.timed_out),
                    ("cancelled", x.cancelled),
                ]
                .into_iter()
                .map(move |(outcome, n)| (labels(*s, &format!("outcome=\"{outcome}\"")), n as f64))
            }),
        );
        family(
            &mut out,
            "counter",
            "tickflow_retries_total",
            "Attempts that failed and were tried again.",
            &mut rows.iter().map(|(s, x)| (labels(*s, ""), x.retries as f64)),
        );
        histogram(
            &mut out,
            "tickflow_execution_duration_seconds",
            "Time from an execution's first start to its end.",
            &DURATION_BUCKETS,
            rows.iter().map(|(s, x)| (*s, &x.duration)),
            &labels,
        );
        histogram(
            &mut out,
            "tickflow_trigger_lateness_seconds",
            "Time from a scheduled instant to its executor call (first attempts of scheduled and catch-up runs).",
            &LATENESS_BUCKETS,
            rows.iter().map(|(s, x)| (*s, &x.lateness)),
            &labels,
        );
        family(
            &mut out,
            "gauge",
            "tickflow_executions_running",
            "Executions whose attempt is running now.",
            &mut rows.iter().map(|(s, x)| (labels(*s, ""), x.running as f64)),
        );
        family(
            &mut out,
            "gauge",
            "tickflow_execution_oldest_running_seconds",
            "How long the oldest running attempt has run, 0 when none runs (with the schedule label off: the oldest of all). Alert when it passes the schedule's period.",
            &mut rows.iter().map(|(s, x)| (labels(*s, ""), x.oldest_running)),
        );
        family(
            &mut out,
            "gauge",
            "tickflow_executions_queued",
            "Executions waiting for a slot or for their retry delay.",
            &mut rows.iter().map(|(s, x)| (labels(*s, ""), x.queued as f64)),
        );
        family(
            &mut out,
            "gauge",
            "tickflow_schedule_paused",
            "1 when the schedule is paused (with the schedule label off: how many are).",
            &mut rows.iter().map(|(s, x)| (labels(*s, ""), x.paused as f64)),
        );
        if per_schedule {
            family(
                &mut out,
                "gauge",
                "tickflow_schedule_next_fire_timestamp_seconds",
                "When the schedule fires next (Unix time); absent when it will not.",
                &mut rows.iter().filter_map(|(s, x)| {
                    x.next_fire
                        .map(|t| (labels(*s, ""), t.timestamp_millis() as f64 / 1000.0))
                }),
            );
            family(
                &mut out,
                "gauge",
                "tickflow_schedule_last_success_timestamp_seconds",
                "When an execution of the schedule last completed (Unix time): alert on time() minus this.",
                &mut rows.iter().filter_map(|(s, x)| {
                    x.last_success.map(|t| (labels(*s, ""), t.timestamp_millis() as f64 / 1000.0))
                }),
            );
        }
        let _ = writeln!(
            out,
            "# HELP tickflow_schedules Scheduled workflows held.\n# TYPE tickflow_schedules gauge\ntickflow_schedules {}",
            self.schedule_count()
        );
        out
    }
}

/// One counter or gauge family: HELP, TYPE, then a sample per (labels, value).
fn family(
    out: &mut String,
    kind: &str,
    name: &str,
    help: &str,
    values: &mut dyn Iterator<Item = (String, f64)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (l, v) in values {
        let _ = writeln!(out, "{name}{l} {}", number(v));
    }
}

fn histogram<'a, const N: usize>(
    out: &mut String,
    name: &str,
    help: &str,
    bounds: &[f64; N],
    rows: impl Iterator<Item = (Option<&'a str>, &'a Histogram<N>)>,
    labels: &dyn Fn(Option<&str>, &str) -> String,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (schedule, h) in rows {
        let mut cumulative = 0;
        for (bound, n) in bounds.iter().zip(h.buckets.iter()) {
            cumulative += n;
            let l = labels(schedule, &format!("le=\"{}\"", number(*bound)));
            let _ = writeln!(out, "{name}_bucket{l} {cumulative}");
        }
        cumulative += h.overflow;
        let _ = writeln!(
            out,
            "{name}_bucket{} {cumulative}",
            labels(schedule, "le=\"+Inf\"")
        );
        let _ = writeln!(out, "{name}_sum{} {}", labels(schedule, ""), number(h.sum));
        let _ = writeln!(out, "{name}_count{} {cumulative}", labels(schedule, ""));
    }
}

/// A sample value as Prometheus writes it (integers without a fraction).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
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
