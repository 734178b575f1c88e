//! What a pattern means in practice: how often it fires, where it concentrates, what to
//! warn about, and where several patterns fire together.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::pattern::{CronPattern, DstGap};
use super::syntax::{Field, Item};
use super::zone::Zone;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrequencyKind {
    Once,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
    Custom,
}

impl FrequencyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FrequencyKind::Once => "once",
            FrequencyKind::Minutely => "minutely",
            FrequencyKind::Hourly => "hourly",
            FrequencyKind::Daily => "daily",
            FrequencyKind::Weekly => "weekly",
            FrequencyKind::Monthly => "monthly",
            FrequencyKind::Yearly => "yearly",
            FrequencyKind::Custom => "custom",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Frequency {
    pub kind: FrequencyKind,
    /// Runs are `interval` units of `kind` apart (5 with `Minutely`: every 5 minutes). For
    /// `Custom` it is the shortest gap between runs, in seconds; for `Once`, 0.
    pub interval: u64,
    pub description: String,
    pub executions_per_day: f64,
}

/// Days from 2024-01-01 over which day matches are averaged: 28 years repeat the calendar
/// (weekdays, leap days) exactly, and hold a whole number of weeks.
const SAMPLE_START: (i32, u32, u32) = (2024, 1, 1);
const SAMPLE_DAYS: i64 = 28 * 365 + 7;

/// Runs per day of the time-of-day fields (second × minute × hour counts).
fn runs_per_matching_day(p: &CronPattern) -> f64 {
    [Field::Second, Field::Minute, Field::Hour]
        .iter()
        .map(|f| p.spec().field(*f).plain_values().map_or(1, |v| v.len()) as f64)
        .product()
}

/// Share of days, over four sample years, on which the pattern fires at all.
fn matching_day_share(p: &CronPattern) -> f64 {
    let spec = p.spec();
    let first = |f: Field| {
        spec.field(f)
            .plain_values()
            .and_then(|v| v.first().copied())
            .unwrap_or(0)
    };
    let (h, m, s) = (
        first(Field::Hour),
        first(Field::Minute),
        first(Field::Second),
    );
    let start = NaiveDate::from_ymd_opt(SAMPLE_START.0, SAMPLE_START.1, SAMPLE_START.2).unwrap();
    // The year field would restrict the sample to 2024-2027; the share ignores it.
    let yearless = CronPattern::parse(&format!(
        "{} {} {} {} {} {}{} *",
        spec.field(Field::Second).text,
        spec.field(Field::Minute).text,
        spec.field(Field::Hour).text,
        spec.field(Field::DayOfMonth).text,
        spec.field(Field::Month).text,
        if spec.dom_and_dow { "+" } else { "" },
        spec.field(Field::DayOfWeek).text,
    ))
    .unwrap_or_else(|_| p.clone());
    let matching = (0..SAMPLE_DAYS)
        .filter(|d| {
            let day = start + Duration::days(*d);
            day.and_hms_opt(h, m, s)
                .is_some_and(|t| yearless.matches_naive(t))
        })
        .count();
    matching as f64 / SAMPLE_DAYS as f64
}

pub fn frequency(p: &CronPattern) -> Frequency {
    let description = super::describe(p.spec());
    let utc = &Zone::utc();
    let reference = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap() - Duration::seconds(1);
    // A year-bounded pattern may fire only once in all its years.
    if !p.spec().field(Field::Year).is_unrestricted() {
        let runs: Vec<_> = p
            .iter_after(reference, utc, DstGap::Shift)
            .take(2)
            .collect();
        if runs.len() <= 1 {
            return Frequency {
                kind: FrequencyKind::Once,
                interval: 0,
                description,
                executions_per_day: 0.0,
            };
        }
    }
    let executions_per_day = runs_per_matching_day(p) * matching_day_share(p);
    let sample_from = Utc.with_ymd_and_hms(2026, 1, 4, 23, 59, 59).unwrap();
    let sample: Vec<_> = p
        .iter_after(sample_from, utc, DstGap::Shift)
        .take(60)
        .collect();
    let gaps: Vec<i64> = sample
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect();
    let shortest = gaps.iter().copied().min().unwrap_or(0).max(0) as u64;
    let even = !gaps.is_empty() && gaps.iter().all(|g| *g == gaps[0]);
    let (kind, interval) = if even {
        let g = gaps[0] as u64;
        match g {
            g if g % 604_800 == 0 => (FrequencyKind::Weekly, g / 604_800),
            g if g % 86_400 == 0 => (FrequencyKind::Daily, g / 86_400),
            g if g % 3_600 == 0 => (FrequencyKind::Hourly, g / 3_600),
            g if g % 60 == 0 => (FrequencyKind::Minutely, g / 60),
            g => (FrequencyKind::Custom, g),
        }
    } else if sample.is_empty() {
        (FrequencyKind::Custom, 0)
    } else {
        calendar_kind(p).unwrap_or((FrequencyKind::Custom, shortest))
    };
    Frequency {
        kind,
        interval,
        description,
        executions_per_day,
    }
}

/// Patterns whose runs are unevenly spaced but bound to calendar units: several fixed times
/// a day (daily), one weekday (weekly), fixed days of the month (monthly or yearly).
fn calendar_kind(p: &CronPattern) -> Option<(FrequencyKind, u64)> {
    let spec = p.spec();
    let dom = spec.field(Field::DayOfMonth);
    let dow = spec.field(Field::DayOfWeek);
    let month = spec.field(Field::Month);
    if dom.is_unrestricted() && month.is_unrestricted() {
        if dow.is_unrestricted() {
            return Some((FrequencyKind::Daily, 1));
        }
        if matches!(dow.items.as_slice(), [Item::Value(_)]) {
            return Some((FrequencyKind::Weekly, 1));
        }
        return None;
    }
    let single_day = matches!(
        dom.items.as_slice(),
        [Item::Value(_) | Item::LastDay | Item::LastWeekday | Item::NearestWeekday(_)]
    );
    if !single_day || !dow.is_unrestricted() {
        return None;
    }
    match month.items.as_slice() {
        [Item::Any { step }] => Some((FrequencyKind::Monthly, *step as u64)),
        [Item::Value(_)] => Some((FrequencyKind::Yearly, 1)),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FrequencyAnalysis {
    pub frequency: Frequency,
    /// Hours of the day (0-23) that hold the most runs; empty when runs spread evenly over
    /// all 24 hours.
    pub peak_hours: Vec<u32>,
    /// Share of the day's 24 hours in which the pattern fires, 0..1 (1 = spread over the
    /// whole day, low = bunched into few hours).
    pub distribution_score: f64,
    /// `low` under 24 runs a day, `medium` under 1,440, `high` from one a minute up.
    pub impact: &'static str,
    pub recommendations: Vec<String>,
}

pub fn analyze(p: &CronPattern) -> FrequencyAnalysis {
    let frequency = frequency(p);
    let spec = p.spec();
    let hours = spec.field(Field::Hour).plain_values().unwrap_or_default();
    let peak_hours = if hours.len() == 24 {
        Vec::new()
    } else {
        hours.clone()
    };
    let distribution_score = hours.len() as f64 / 24.0;
    let per_day = frequency.executions_per_day;
    let impact = if per_day >= 1_440.0 {
        "high"
    } else if per_day >= 24.0 {
        "medium"
    } else {
        "low"
    };
    let mut recommendations = Vec::new();
    if per_day >= 86_400.0 / 10.0 {
        recommendations.push(
            "Fires at least every 10 seconds: keep each run short, and keep overlapPolicy 'skip' so that slow runs do not pile up".into(),
        );
    }
    let minutes = spec.field(Field::Minute).plain_values().unwrap_or_default();
    if minutes.first() == Some(&0) && minutes.len() == 1 && hours.len() > 1 {
        recommendations.push(
            "Fires on the hour, when most other jobs fire too: an offset minute such as 7 spreads the load".into(),
        );
    }
    recommendations.extend(dom_dow_warning(p));
    if per_day > 0.0 && per_day < 1.0 / 366.0 {
        recommendations.push("Fires less than once a year: check that this is intended".into());
    }
    FrequencyAnalysis {
        frequency,
        peak_hours,
        distribution_score,
        impact,
        recommendations,
    }
}

fn dom_dow_warning(p: &CronPattern) -> Option<String> {
    let spec = p.spec();
    let both = !spec.field(Field::DayOfMonth).is_unrestricted()
        && !spec.field(Field::DayOfWeek).is_unrestricted();
    (both && !spec.dom_and_dow).then(|| {
        "Day-of-month and day-of-week are both restricted, so it fires when either matches; prefix day-of-week with '+' to require both".to_string()
    })
}

/// Warnings for a valid pattern, looking ahead from `now` in `tz`.
pub fn warnings(p: &CronPattern, tz: &Zone, now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    let upcoming: Vec<_> = p.iter_after(now, tz, DstGap::Shift).take(2).collect();
    match upcoming.as_slice() {
        [] => out.push(match p.prev_before(now, tz, DstGap::Shift) {
            Some(last) => format!(
                "never fires again: its last occurrence was {}",
                last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => "never fires: no date between 1970 and 2199 matches".to_string(),
        }),
        [only] => out.push(format!(
            "fires only once more, at {}",
            only.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )),
        [a, b, ..] if (*b - *a) > Duration::days(366) => out.push(format!(
            "rarely fires: the next two runs are {} days apart",
            (*b - *a).num_days()
        )),
        _ => {}
    }
    out.extend(dom_dow_warning(p));
    out
}

#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub at: DateTime<Utc>,
    /// Indexes into the patterns given, in order.
    pub patterns: Vec<usize>,
}

/// Occurrences of distinct patterns examined by one `conflicts` call at most, whatever the
/// horizon: about a quarter of a second of search on this project's reference machine.
pub const MAX_OCCURRENCES_EXAMINED: usize = 1_000_000;

/// Pattern references summed over all conflicts returned by one call at most: ten
/// conflicts among 10,000 identical patterns already make 100,000.
pub const MAX_CONFLICT_MEMBERS: usize = 100_000;

/// Why a conflict scan ended before its horizon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanBound {
    /// `limit` conflicts were found.
    Limit,
    /// `MAX_OCCURRENCES_EXAMINED` occurrences were examined.
    Occurrences,
    /// The conflicts found hold `MAX_CONFLICT_MEMBERS` pattern references.
    Members,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConflictScan {
    /// In time order: every conflict up to `complete_until`.
    pub conflicts: Vec<Conflict>,
    /// Where a bound ended the scan early: the last instant examined, and the bound.
    pub stopped: Option<(DateTime<Utc>, ScanBound)>,
}

/// Instants in `(from, from + horizon]` at which two or more of `patterns` fire together,
/// earliest first. Identical patterns are searched once; the patterns' occurrences are
/// merged in time order, so a scan that a bound ends early is still complete up to where it
/// stopped.
pub fn conflicts(
    patterns: &[&CronPattern],
    tz: &Zone,
    from: DateTime<Utc>,
    horizon: Duration,
    limit: usize,
) -> ConflictScan {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashMap};

    let until = from + horizon;
    // Distinct patterns (by their normalized fields, so '@hourly' and '0 * * * *' are one),
    // each with the indexes of the patterns given that share it.
    let mut distinct: Vec<(&CronPattern, Vec<usize>)> = Vec::new();
    let mut by_text: HashMap<String, usize> = HashMap::new();
    for (index, p) in patterns.iter().enumerate() {
        let slot = *by_text.entry(p.spec().normalized()).or_insert_with(|| {
            distinct.push((p, Vec::new()));
            distinct.len() - 1
        });
        distinct[slot].1.push(index);
    }
    let mut heap: BinaryHeap<Reverse<(DateTime<Utc>, usize)>> = distinct
        .iter()
        .enumerate()
        .filter_map(|(d, (p, _))| Some(Reverse((p.next_after(from, tz, DstGap::Shift)?, d))))
        .filter(|Reverse((at, _))| *at <= until)
        .collect();
    let mut out = Vec::new();
    let mut examined = 0usize;
    let mut members = 0usize;
    let mut together: Vec<usize> = Vec::new();
    while let Some(Reverse((at, first))) = heap.pop() {
        together.clear();
        together.push(first);
        while let Some(Reverse((next_at, d))) = heap.peek() {
            if *next_at != at {
                break;
            }
            together.push(*d);
            heap.pop();
        }
        for d in &together {
            examined += 1;
            if let Some(next) = distinct[*d].0.next_after(at, tz, DstGap::Shift) {
                if next <= until {
                    heap.push(Reverse((next, *d)));
                }
            }
        }
        let count: usize = together.iter().map(|d| distinct[*d].1.len()).sum();
        if count >= 2 {
            let mut indexes: Vec<usize> = together
                .iter()
                .flat_map(|d| distinct[*d].1.iter().copied())
                .collect();
            indexes.sort_unstable();
            members += indexes.len();
            out.push(Conflict {
                at,
                patterns: indexes,
            });
        }
        let bound = if out.len() >= limit {
            Some(ScanBound::Limit)
        } else if members >= MAX_CONFLICT_MEMBERS {
            Some(ScanBound::Members)
        } else if examined >= MAX_OCCURRENCES_EXAMINED {
            Some(ScanBound::Occurrences)
        } else {
            None
        };
        if let Some(bound) = bound.filter(|_| !heap.is_empty()) {
            return ConflictScan {
                conflicts: out,
                stopped: Some((at, bound)),
            };
        }
    }
    ConflictScan {
        conflicts: out,
        stopped: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn freq(p: &str) -> (FrequencyKind, u64, f64) {
        let f = frequency(&CronPattern::parse(p).unwrap());
        (
            f.kind,
            f.interval,
            (f.executions_per_day * 1000.0).round() / 1000.0,
        )
    }

    #[test]
    fn frequency_kinds() {
        assert_eq!(freq("*/5 * * * *"), (FrequencyKind::Minutely, 5, 288.0));
        assert_eq!(freq("* * * * *"), (FrequencyKind::Minutely, 1, 1440.0));
        assert_eq!(freq("0 */2 * * *"), (FrequencyKind::Hourly, 2, 12.0));
        assert_eq!(freq("0 9 * * *"), (FrequencyKind::Daily, 1, 1.0));
        assert_eq!(freq("0 9 * * MON"), (FrequencyKind::Weekly, 1, 0.143));
        assert_eq!(freq("0 0 1 * *"), (FrequencyKind::Monthly, 1, 0.033));
        assert_eq!(freq("0 0 1 */3 *"), (FrequencyKind::Monthly, 3, 0.011));
        assert_eq!(freq("0 0 1 1 *"), (FrequencyKind::Yearly, 1, 0.003));
        assert_eq!(freq("*/10 * * * * *"), (FrequencyKind::Custom, 10, 8640.0));
        assert_eq!(freq("0 9 * * 1-5"), (FrequencyKind::Custom, 86_400, 0.714));
        assert_eq!(freq("0 0 12 1 1 * 2030"), (FrequencyKind::Once, 0, 0.0));
        assert_eq!(freq("0 0 30 2 *"), (FrequencyKind::Custom, 0, 0.0));
        assert_eq!(freq("0 9,17 * * *"), (FrequencyKind::Daily, 1, 2.0));
        assert_eq!(freq("0 9,17 * * MON"), (FrequencyKind::Weekly, 1, 0.286));
        assert_eq!(freq("0 9,17 1 * *"), (FrequencyKind::Monthly, 1, 0.066));
    }

    #[test]
    fn analysis_peaks_and_impact() {
        let a = analyze(&CronPattern::parse("0 9,17 * * *").unwrap());
        assert_eq!(a.peak_hours, vec![9, 17]);
        assert!((a.distribution_score - 2.0 / 24.0).abs() < 1e-9);
        assert_eq!(a.impact, "low");
        let every_second = analyze(&CronPattern::parse("* * * * * *").unwrap());
        assert_eq!(every_second.impact, "high");
        assert!(every_second.peak_hours.is_empty());
        assert!(every_second.recommendations[0].contains("every 10 seconds"));
        let on_the_hour = analyze(&CronPattern::parse("0 * * * *").unwrap());
        assert_eq!(on_the_hour.impact, "medium");
        assert!(on_the_hour.recommendations[0].contains("offset minute"));
    }

    #[test]
    fn warnings_for_rare_and_never() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
        let w = |p: &str| warnings(&CronPattern::parse(p).unwrap(), &Zone::utc(), now);
        assert_eq!(
            w("0 0 30 2 *"),
            ["never fires: no date between 1970 and 2199 matches"]
        );
        assert_eq!(
            w("0 0 0 1 1 * 2020"),
            ["never fires again: its last occurrence was 2020-01-01T00:00:00Z"]
        );
        assert_eq!(
            w("0 0 0 1 1 * 2030"),
            ["fires only once more, at 2030-01-01T00:00:00Z"]
        );
        assert_eq!(
            w("0 0 29 2 *"),
            ["rarely fires: the next two runs are 1461 days apart"]
        );
        assert!(w("0 0 13 * 5")[0].starts_with("Day-of-month and day-of-week are both restricted"));
        assert!(w("*/5 * * * *").is_empty());
    }

    #[test]
    fn conflicts_list_shared_instants() {
        let ps: Vec<_> = ["0 9 * * *", "0 9 * * 1-5", "*/30 * * * *", "15 * * * *"]
            .iter()
            .map(|p| CronPattern::parse(p).unwrap())
            .collect();
        // 2026-01-02 is a Friday, 2026-01-03 a Saturday.
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let refs: Vec<&CronPattern> = ps.iter().collect();
        let found = conflicts(&refs, &Zone::utc(), from, Duration::days(2), 100);
        assert_eq!(found.stopped, None);
        let fmt: Vec<(String, Vec<usize>)> = found
            .conflicts
            .iter()
            .map(|c| {
                (
                    c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    c.patterns.clone(),
                )
            })
            .collect();
        assert_eq!(
            fmt,
            vec![
                ("2026-01-02T09:00:00Z".to_string(), vec![0, 1, 2]),
                ("2026-01-03T09:00:00Z".to_string(), vec![0, 2]),
            ]
        );
    }

    #[test]
    fn conflicts_search_identical_patterns_once_and_stop_at_their_bounds() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let every_second = CronPattern::parse("* * * * * *").unwrap();
        let hourly = CronPattern::parse("@hourly").unwrap();
        let on_the_hour = CronPattern::parse("0 * * * *").unwrap();
        // '@hourly' and '0 * * * *' are one pattern: they conflict at every hour.
        let scan = conflicts(
            &[&hourly, &on_the_hour],
            &Zone::utc(),
            from,
            Duration::hours(3),
            100,
        );
        assert_eq!(scan.conflicts.len(), 3);
        assert_eq!(scan.conflicts[0].patterns, [0, 1]);
        assert_eq!(scan.stopped, None);
        // 10,000 copies: each conflict names all of them, so ten conflicts reach the bound
        // on references returned; the scan says where it stopped.
        let many: Vec<&CronPattern> = vec![&every_second; 10_000];
        let scan = conflicts(&many, &Zone::utc(), from, Duration::days(7), 1000);
        assert_eq!(scan.conflicts.len(), MAX_CONFLICT_MEMBERS / 10_000);
        assert_eq!(scan.conflicts[9].at, from + Duration::seconds(10));
        assert_eq!(scan.conflicts[9].patterns.len(), 10_000);
        assert_eq!(
            scan.stopped,
            Some((from + Duration::seconds(10), ScanBound::Members))
        );
        // The limit given wins when it comes first.
        let scan = conflicts(&many, &Zone::utc(), from, Duration::days(7), 2);
        assert_eq!(
            scan.stopped,
            Some((from + Duration::seconds(2), ScanBound::Limit))
        );
        // Distinct patterns that never meet: the bound on occurrences examined ends the scan,
        // and every instant up to where it stopped was examined.
        let distinct: Vec<CronPattern> = (0..60)
            .map(|s| CronPattern::parse(&format!("{s} * * * * *")).unwrap())
            .collect();
        let refs: Vec<&CronPattern> = distinct.iter().collect();
        let scan = conflicts(&refs, &Zone::utc(), from, Duration::days(366), 1000);
        assert!(scan.conflicts.is_empty());
        assert_eq!(
            scan.stopped,
            Some((
                from + Duration::seconds(MAX_OCCURRENCES_EXAMINED as i64),
                ScanBound::Occurrences
            ))
        );
    }
}
