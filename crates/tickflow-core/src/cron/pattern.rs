//! A compiled cron pattern and its search in an IANA time zone.
//!
//! croner walks wall-clock (naive) time; this module turns each wall-clock match into real
//! instants under the contract's daylight-saving rules:
//! - a match inside a spring-forward gap fires once at the first instant after the gap
//!   (`DstGap::Shift`) or not at all (`DstGap::Skip`);
//! - a match inside a fall-back overlap fires at its first occurrence only, unless the hour
//!   field repeats over all hours (`*`, `*/n`, `0-23/n`): then both copies fire, in elapsed
//!   time order.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use super::syntax::{parse_pattern, Field, PatternSpec, SyntaxError};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DstGap {
    #[default]
    Shift,
    Skip,
}

/// A pattern checked by `syntax` and compiled by croner.
#[derive(Clone, Debug)]
pub struct CronPattern {
    source: String,
    spec: PatternSpec,
    cron: Cron,
    /// The hour field repeats over the whole day, so both copies of a repeated hour fire.
    hour_repeats: bool,
}

/// Bounds the wall-clock steps of one search; a search that needs more gives up as
/// "no further occurrence" rather than spinning.
const MAX_WALK_STEPS: u32 = 200_000;

impl CronPattern {
    pub fn parse(pattern: &str) -> Result<Self, Vec<SyntaxError>> {
        let spec = parse_pattern(pattern)?;
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Required)
            .build()
            .parse(&spec.normalized())
            .map_err(|e| {
                vec![SyntaxError {
                    field: None,
                    token: pattern.to_string(),
                    message: e.to_string(),
                }]
            })?;
        let hour_repeats = spec.field(Field::Hour).is_wildcard_like();
        Ok(CronPattern {
            source: pattern.to_string(),
            spec,
            cron,
            hour_repeats,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn spec(&self) -> &PatternSpec {
        &self.spec
    }

    /// Does this wall-clock time match the pattern (ignoring time zones)?
    pub fn matches_naive(&self, naive: NaiveDateTime) -> bool {
        self.cron.is_time_matching(&naive).unwrap_or(false)
    }

    /// The first occurrence strictly after `from`, or `None` when there is none (the year
    /// field ran out, or the pattern never matches before 2200).
    pub fn next_after(&self, from: DateTime<Utc>, tz: Tz, gap: DstGap) -> Option<DateTime<Utc>> {
        let start = floor_second(from).with_timezone(&tz).naive_local();
        let mut best = None;
        let mut cursor = start;
        for _ in 0..MAX_WALK_STEPS {
            let Ok(naive) = self.cron.find_next_occurrence(&cursor, false) else {
                break;
            };
            cursor = naive;
            let found = match tz.from_local_datetime(&naive) {
                LocalResult::Single(at) => Some(at.to_utc()).filter(|at| *at > from),
                LocalResult::Ambiguous(first, second) => {
                    let (first, second) = (first.to_utc(), second.to_utc());
                    if first > from {
                        Some(first)
                    } else {
                        Some(second).filter(|at| self.hour_repeats && *at > from)
                    }
                }
                LocalResult::None => match gap {
                    DstGap::Shift => gap_end(tz, naive).filter(|at| *at > from),
                    DstGap::Skip => None,
                },
            };
            if found.is_some() {
                best = found;
                break;
            }
        }
        // `from` in the first copy of a repeated hour: the second copy still lies ahead, but
        // the wall-clock walk has already passed it.
        if self.hour_repeats {
            if let Some((range_start, range_end)) = repeated_range_ahead(tz, from) {
                if let Ok(naive) = self.cron.find_next_occurrence(&range_start, true) {
                    if naive < range_end {
                        if let LocalResult::Ambiguous(_, second) = tz.from_local_datetime(&naive) {
                            let second = second.to_utc();
                            best = Some(best.map_or(second, |b: DateTime<Utc>| b.min(second)));
                        }
                    }
                }
            }
        }
        best
    }

    /// The last occurrence strictly before `from`, or `None` when there is none.
    pub fn prev_before(&self, from: DateTime<Utc>, tz: Tz, gap: DstGap) -> Option<DateTime<Utc>> {
        let floor = floor_second(from);
        // An exclusive walk from the next whole second keeps `floor` itself when `from`
        // carries milliseconds.
        let start_utc = if floor < from {
            floor + Duration::seconds(1)
        } else {
            floor
        };
        let mut cursor = start_utc.with_timezone(&tz).naive_local();
        let mut best = None;
        for _ in 0..MAX_WALK_STEPS {
            let Ok(naive) = self.cron.find_previous_occurrence(&cursor, false) else {
                break;
            };
            cursor = naive;
            let found = match tz.from_local_datetime(&naive) {
                LocalResult::Single(at) => Some(at.to_utc()).filter(|at| *at < from),
                LocalResult::Ambiguous(first, second) => {
                    let (first, second) = (first.to_utc(), second.to_utc());
                    if self.hour_repeats && second < from {
                        Some(second)
                    } else {
                        Some(first).filter(|at| *at < from)
                    }
                }
                LocalResult::None => match gap {
                    DstGap::Shift => gap_end(tz, naive).filter(|at| *at < from),
                    DstGap::Skip => None,
                },
            };
            if found.is_some() {
                best = found;
                break;
            }
        }
        // `from` in the second copy of a repeated hour: the first copy lies behind in
        // elapsed time but ahead on the wall clock, where the walk did not look.
        if let Some((range_start, range_end)) = repeated_range_behind(tz, from) {
            if let Ok(naive) = self.cron.find_previous_occurrence(&range_end, false) {
                if naive >= range_start {
                    if let LocalResult::Ambiguous(first, _) = tz.from_local_datetime(&naive) {
                        let first = first.to_utc();
                        if first < from {
                            best = Some(best.map_or(first, |b: DateTime<Utc>| b.max(first)));
                        }
                    }
                }
            }
        }
        best
    }

    /// Occurrences strictly after `from`, in order.
    pub fn iter_after(&self, from: DateTime<Utc>, tz: Tz, gap: DstGap) -> Occurrences<'_> {
        Occurrences {
            pattern: self,
            cursor: from,
            tz,
            gap,
            forward: true,
        }
    }

    /// Occurrences strictly before `from`, latest first.
    pub fn iter_before(&self, from: DateTime<Utc>, tz: Tz, gap: DstGap) -> Occurrences<'_> {
        Occurrences {
            pattern: self,
            cursor: from,
            tz,
            gap,
            forward: false,
        }
    }
}

pub struct Occurrences<'a> {
    pattern: &'a CronPattern,
    cursor: DateTime<Utc>,
    tz: Tz,
    gap: DstGap,
    forward: bool,
}

impl Iterator for Occurrences<'_> {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<DateTime<Utc>> {
        let next = if self.forward {
            self.pattern.next_after(self.cursor, self.tz, self.gap)
        } else {
            self.pattern.prev_before(self.cursor, self.tz, self.gap)
        }?;
        self.cursor = next;
        Some(next)
    }
}

fn floor_second(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(0).unwrap_or(at)
}

fn offset_seconds(tz: Tz, at: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The first instant in `(after, until]` whose UTC offset differs from the offset at
/// `after`. Offsets change at whole seconds, so a binary search over seconds finds it.
fn offset_change(tz: Tz, after: DateTime<Utc>, until: DateTime<Utc>) -> DateTime<Utc> {
    let before = offset_seconds(tz, after);
    let (mut lo, mut hi) = (after.timestamp(), until.timestamp());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let at = DateTime::from_timestamp(mid, 0).unwrap_or(until);
        if offset_seconds(tz, at) == before {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or(until)
}

/// The first real instant after the gap that swallowed the wall-clock time `naive`.
fn gap_end(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    // Gaps last minutes or hours (a whole day for a date-line move), never two days.
    const LONGEST_GAP_S: i64 = 2 * 86_400;
    let resolves = |k: i64| match tz.from_local_datetime(&(naive + Duration::seconds(k))) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.to_utc()),
        LocalResult::None => None,
    };
    resolves(LONGEST_GAP_S)?;
    let (mut lo, mut hi) = (0, LONGEST_GAP_S);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if resolves(mid).is_some() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    resolves(hi)
}

/// When `from` lies in the first copy of a repeated wall-clock range, that range's bounds
/// `[start, end)` as wall-clock times (its second copy is still ahead).
fn repeated_range_ahead(tz: Tz, from: DateTime<Utc>) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let local = floor_second(from).with_timezone(&tz);
    let LocalResult::Ambiguous(first, second) = tz.from_local_datetime(&local.naive_local()) else {
        return None;
    };
    if local.offset().fix() != first.offset().fix() {
        return None;
    }
    let repeat = second.to_utc() - first.to_utc();
    let change = offset_change(tz, from, from + repeat);
    let start = change.with_timezone(&tz).naive_local();
    Some((start, start + repeat))
}

/// When `from` lies in the second copy of a repeated wall-clock range, that range's bounds
/// `[start, end)` as wall-clock times (its first copy is behind).
fn repeated_range_behind(tz: Tz, from: DateTime<Utc>) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let local = floor_second(from).with_timezone(&tz);
    let LocalResult::Ambiguous(first, second) = tz.from_local_datetime(&local.naive_local()) else {
        return None;
    };
    if local.offset().fix() != second.offset().fix() {
        return None;
    }
    let repeat = second.to_utc() - first.to_utc();
    let change = offset_change(tz, from - repeat - Duration::seconds(1), from);
    let end = change.with_timezone(&tz).naive_local() + repeat;
    Some((end - repeat, end))
}
