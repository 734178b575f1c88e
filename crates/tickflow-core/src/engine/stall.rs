//! Stalled runs: an attempt still running after its schedule's stall bound (`stallAfterMs`,
//! else the cron's period around now) makes the schedule's health `warning`, and at three
//! times the bound `critical`. With the default overlap policy a run that never ends skips
//! every later fire, so this is what tells it apart from a healthy schedule. Only the
//! schedule's own open executions are looked at, and the pattern only when one runs.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::core::Engine;
use super::execution::{Execution, ExecutionStatus};
use super::schedule::Schedule;
use super::value::date_json;
use crate::cron::{CronPattern, DstGap, Zone};

/// A stalled run this many times past its bound makes the schedule critical.
pub const SEVERE_FACTOR: i64 = 3;
/// Stalled runs one health report names, oldest first; the rest are counted in one issue.
const MAX_NAMED: usize = 10;

/// The time between consecutive occurrences of `pattern` around `now`: from the last
/// occurrence at or before `now` to the next one. Before the first occurrence, the gap after
/// it; past the last, the gap before it. `None` for a pattern with fewer than two occurrences.
pub fn period_around(
    pattern: &CronPattern,
    zone: &Zone,
    gap: DstGap,
    now: DateTime<Utc>,
) -> Option<Duration> {
    match pattern.next_after(now, zone, gap) {
        Some(next) => match pattern.prev_before(next, zone, gap) {
            Some(prev) => Some(next - prev),
            None => pattern
                .next_after(next, zone, gap)
                .map(|after| after - next),
        },
        None => {
            let last = pattern.prev_before(now + Duration::milliseconds(1), zone, gap)?;
            let before = pattern.prev_before(last, zone, gap)?;
            Some(last - before)
        }
    }
}

/// When the attempt running now started (`None` unless the execution is running).
pub(crate) fn running_since(e: &Execution) -> Option<DateTime<Utc>> {
    if e.status != ExecutionStatus::Running {
        return None;
    }
    e.attempts.last().map(|a| a.started).or(e.started)
}

/// A duration as people read it: `850ms`, `42s`, `3m 5s`, `2h 10m`, `3d 4h`.
pub fn span_text(ms: i64) -> String {
    let ms = ms.max(0);
    let (s, m, h, d) = (ms / 1000, ms / 60_000, ms / 3_600_000, ms / 86_400_000);
    let pair = |big: i64, a: &str, small: i64, b: &str| {
        if small == 0 {
            format!("{big}{a}")
        } else {
            format!("{big}{a} {small}{b}")
        }
    };
    if ms < 1000 {
        format!("{ms}ms")
    } else if m == 0 {
        format!("{s}s")
    } else if h == 0 {
        pair(m, "m", s % 60, "s")
    } else if d == 0 {
        pair(h, "h", m % 60, "m")
    } else {
        pair(d, "d", h % 24, "h")
    }
}

impl Engine {
    /// The schedule's running attempts with how long each has run (ms), at `now`.
    fn running_ages<'a>(
        &'a self,
        s: &'a Schedule,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = (&'a Execution, i64)> + 'a {
        s.rt().active.iter().filter_map(move |key| {
            let e = self.executions.get(key)?;
            running_since(e).map(|since| (e, (now - since).num_milliseconds().max(0)))
        })
    }

    /// The age (ms) past which a run of `s` counts as stalled, and where it comes from.
    fn stall_bound(&self, s: &Schedule, now: DateTime<Utc>) -> Option<(i64, &'static str)> {
        if let Some(ms) = s.spec.extras().stall_after_ms {
            return Some((ms as i64, "stallAfterMs"));
        }
        let period = period_around(&s.spec.pattern, &s.spec.zone, s.spec.dst_gap, now)?;
        Some((period.num_milliseconds().max(1), "the schedule's period"))
    }

    /// The health issues of the schedule's stalled runs, oldest first, and the status they
    /// call for: `healthy`, `warning` or `critical`.
    pub(crate) fn stall_issues(
        &self,
        s: &Schedule,
        now: DateTime<Utc>,
    ) -> (Vec<Value>, &'static str) {
        let mut ages: Vec<(&Execution, i64)> = self.running_ages(s, now).collect();
        if ages.is_empty() {
            return (Vec::new(), "healthy");
        }
        let Some((bound, source)) = self.stall_bound(s, now) else {
            return (Vec::new(), "healthy");
        };
        ages.retain(|(_, age)| *age > bound);
        ages.sort_by_key(|(e, age)| (-age, e.seq));
        let severe = ages.iter().any(|(_, age)| *age > bound * SEVERE_FACTOR);
        let mut issues: Vec<Value> = ages
            .iter()
            .take(MAX_NAMED)
            .map(|(e, age)| {
                json!({
                    "type": "reliability",
                    "severity": if *age > bound * SEVERE_FACTOR { "high" } else { "medium" },
                    "message": format!(
                        "execution {} has been running for {}, longer than {} ({})",
                        e.id, span_text(*age), source, span_text(bound)
                    ),
                    "timestamp": date_json(now),
                    "executionId": &*e.id,
                    "runningMs": age,
                })
            })
            .collect();
        if ages.len() > MAX_NAMED {
            issues.push(json!({
                "type": "reliability",
                "severity": if severe { "high" } else { "medium" },
                "message": format!("{} more runs have stalled", ages.len() - MAX_NAMED),
                "timestamp": date_json(now),
            }));
        }
        let status = match (ages.is_empty(), severe) {
            (true, _) => "healthy",
            (false, false) => "warning",
            (false, true) => "critical",
        };
        (issues, status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::CronPattern;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn period(pattern: &str, zone: &str, now: &str) -> Option<i64> {
        let p = CronPattern::compile(pattern).unwrap();
        let zone = Zone::named(zone).unwrap();
        period_around(&p, &zone, DstGap::Shift, at(now)).map(|d| d.num_seconds())
    }

    #[test]
    fn the_period_is_the_gap_between_occurrences_around_now() {
        assert_eq!(period("* * * * *", "UTC", "2026-01-01T00:00:30Z"), Some(60));
        // On an occurrence: from it to the next, not the two gaps around it.
        assert_eq!(period("* * * * *", "UTC", "2026-01-01T00:01:00Z"), Some(60));
        assert_eq!(
            period("*/10 * * * * *", "UTC", "2026-01-01T00:00:05Z"),
            Some(10)
        );
        // Irregular: the gap that holds now.
        assert_eq!(
            period("0 9,17 * * *", "UTC", "2026-01-01T10:00:00Z"),
            Some(8 * 3600)
        );
        assert_eq!(
            period("0 9,17 * * *", "UTC", "2026-01-01T18:00:00Z"),
            Some(16 * 3600)
        );
        // Across a spring-forward night, a daily 09:00 is 23 hours apart.
        assert_eq!(
            period("0 9 * * *", "Europe/Berlin", "2026-03-29T05:00:00Z"),
            Some(23 * 3600)
        );
    }

    #[test]
    fn before_the_first_or_past_the_last_occurrence_the_nearest_gap_counts() {
        // Fires in 2030 and 2031 only.
        assert_eq!(
            period("0 0 0 1 1 * 2030-2031", "UTC", "2026-01-01T00:00:00Z"),
            Some(365 * 86_400)
        );
        assert_eq!(
            period("0 0 0 1 1 * 2030-2031", "UTC", "2032-06-01T00:00:00Z"),
            Some(365 * 86_400)
        );
        // One occurrence only: no period.
        assert_eq!(
            period("0 0 0 1 1 * 2030", "UTC", "2026-01-01T00:00:00Z"),
            None
        );
    }

    fn engine_with(extra: Value) -> Engine {
        let mut e = Engine::new(Default::default(), Some(at("2026-01-01T00:00:00Z")));
        e.start().unwrap();
        e.create(crate::engine::tests::config("a", "* * * * *", extra))
            .unwrap();
        e
    }

    fn health(e: &Engine) -> Value {
        e.schedule_health("s-a").unwrap()
    }

    fn oldest_gauge(e: &Engine) -> String {
        let text = e.prometheus(true);
        let series = "tickflow_execution_oldest_running_seconds{schedule=\"s-a\"} ";
        let line = text.lines().find(|l| l.starts_with(series)).unwrap();
        line[series.len()..].to_string()
    }

    #[test]
    fn a_run_older_than_the_period_warns_and_at_three_periods_is_critical() {
        let mut e = engine_with(json!({}));
        assert_eq!(oldest_gauge(&e), "0");
        e.advance(60_000, false).unwrap(); // 00:01 fires and never ends
        let id = e.list_executions(&super::super::parse_filters(&Value::Null, "").unwrap())[0]
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
        e.advance(60_000, false).unwrap(); // exactly one period: not yet
        assert_eq!(health(&e)["status"], "healthy");
        assert_eq!(oldest_gauge(&e), "60");
        e.advance(500, false).unwrap();
        let h = health(&e);
        assert_eq!(h["status"], "warning");
        assert_eq!(h["issues"][0]["executionId"], id.as_str());
        assert_eq!(h["issues"][0]["runningMs"], 60_500);
        assert_eq!(h["issues"][0]["severity"], "medium");
        let message = h["issues"][0]["message"].as_str().unwrap();
        assert!(message.contains(&id) && message.contains("1m"), "{message}");
        assert_eq!(oldest_gauge(&e), "60.5");
        // Without the schedule label: the oldest of all, not a sum.
        e.create(crate::engine::tests::config("b", "* * * * *", json!({})))
            .unwrap();
        e.advance(60_000, false).unwrap(); // 00:03: s-b's run starts, s-a's is 2m 0.5s old
        let summed = e.prometheus(false);
        assert!(
            summed.contains("\ntickflow_execution_oldest_running_seconds 120.5\n"),
            "{summed}"
        );
        e.advance(60_000, false).unwrap();
        assert_eq!(health(&e)["status"], "critical");
        assert_eq!(health(&e)["issues"][0]["severity"], "high");
        // Ended, it is no longer stalled.
        assert!(e.complete(&id, 1, super::super::Outcome::Completed(Value::Null)));
        assert_eq!(health(&e)["status"], "healthy");
        assert_eq!(oldest_gauge(&e), "0");
    }

    #[test]
    fn stall_after_ms_replaces_the_period() {
        let mut e = engine_with(json!({ "scheduleConfig": { "stallAfterMs": 10_000 } }));
        e.advance(60_000 + 10_001, false).unwrap();
        assert_eq!(health(&e)["status"], "warning");
        e.advance(20_000, false).unwrap();
        assert_eq!(health(&e)["status"], "critical");
        let bad = Engine::new(Default::default(), None).create(crate::engine::tests::config(
            "b",
            "* * * * *",
            json!({ "scheduleConfig": { "stallAfterMs": 0 } }),
        ));
        let err = format!("{bad:?}");
        assert!(
            err.contains("config.scheduleConfig.stallAfterMs") && err.contains("ERR_OUT_OF_RANGE"),
            "{err}"
        );
    }

    #[test]
    fn spans_read_as_people_write_them() {
        assert_eq!(span_text(850), "850ms");
        assert_eq!(span_text(42_000), "42s");
        assert_eq!(span_text(185_000), "3m 5s");
        assert_eq!(span_text(180_000), "3m");
        assert_eq!(span_text(7_800_000), "2h 10m");
        assert_eq!(span_text(273_600_000), "3d 4h");
        assert_eq!(span_text(-5), "0ms");
    }
}
