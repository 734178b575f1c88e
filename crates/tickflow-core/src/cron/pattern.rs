//! A compiled cron pattern and its search in an IANA time zone.
//!
//! croner walks wall-clock (naive) time; this module turns each wall-clock match into real
//! instants under the contract's daylight-saving rules:
//! - a fixed-time pattern (second, minute and hour each name particular values, as ISC/Vixie
//!   cron and croner define it) whose match falls inside a spring-forward gap fires once at
//!   the first instant after the gap (`DstGap::Shift`) or not at all (`DstGap::Skip`); any
//!   other pattern has no occurrence at wall-clock times that do not exist, and fires at its
//!   next regular one (shifting `@hourly` would add a run minutes before the next one);
//! - a match inside a fall-back overlap fires at its first occurrence only, unless the hour
//!   field repeats over all hours (`*`, `*/n`, `0-23/n`): then both copies fire, in elapsed
//!   time order.

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use super::syntax::{parse_pattern, Field, PatternSpec, SyntaxError};
use super::zone::{Local, Zone};

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
    /// Second, minute and hour are all fixed (none is `*`, `*/n` or a step over its whole
    /// range): a run swallowed by a spring-forward gap is shifted (or skipped) rather than
    /// simply not existing.
    fixed_time: bool,
    /// The pattern's last wall-clock match before 2200 (`None` inside: it never matches),
    /// found on first need. A search from past it ends at once: croner would otherwise
    /// step year by year up to its own limit (5000) before giving up.
    last_match: std::sync::OnceLock<Option<NaiveDateTime>>,
    /// The last `next_after` answer. Schedules share a compiled pattern: a herd of them fired
    /// at one instant asks for the same next occurrence thousands of times in a row, and
    /// schedules created one after another ask from instants microseconds apart.
    last_next: NextCache,
}

/// A `next_after` question (from, zone name, gap) and its answer.
type NextAnswer = (
    DateTime<Utc>,
    std::sync::Arc<str>,
    DstGap,
    Option<DateTime<Utc>>,
);

/// The last answer; `Clone` starts empty.
#[derive(Default)]
struct NextCache(std::sync::Mutex<Option<NextAnswer>>);

impl Clone for NextCache {
    fn clone(&self) -> Self {
        NextCache::default()
    }
}

impl std::fmt::Debug for NextCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NextCache")
    }
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
        let fixed_time = [Field::Second, Field::Minute, Field::Hour]
            .iter()
            .all(|f| !spec.field(*f).is_wildcard_like());
        Ok(CronPattern {
            source: pattern.to_string(),
            spec,
            cron,
            hour_repeats,
            fixed_time,
            last_match: std::sync::OnceLock::new(),
            last_next: NextCache::default(),
        })
    }

    fn last_match(&self) -> Option<NaiveDateTime> {
        *self.last_match.get_or_init(|| {
            if self.spec.days_never_exist() {
                return None;
            }
            let end = chrono::NaiveDate::from_ymd_opt(super::syntax::YEAR_MAX as i32 + 1, 1, 1)?
                .and_hms_opt(0, 0, 0)?;
            self.cron.find_previous_occurrence(&end, false).ok()
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
    pub fn next_after(&self, from: DateTime<Utc>, tz: &Zone, gap: DstGap) -> Option<DateTime<Utc>> {
        let lock = || self.last_next.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, zone, g, answer)) = lock().as_ref() {
            // The first occurrence after `from` is a step function of `from`: the same for
            // every `from` from the question asked up to (not including) its answer.
            let covered = *at == from || (*at <= from && answer.is_some_and(|a| from < a));
            if covered && *g == gap && **zone == *tz.name() {
                return *answer;
            }
        }
        // Searched without the lock: another thread may use the same pattern meanwhile.
        let answer = self.search_after(from, tz, gap);
        *lock() = Some((from, tz.shared_name(), gap, answer));
        answer
    }

    fn search_after(&self, from: DateTime<Utc>, tz: &Zone, gap: DstGap) -> Option<DateTime<Utc>> {
        let start = tz.to_local(floor_second(from));
        match self.last_match() {
            Some(last) if start <= last => {}
            _ => return None,
        }
        let mut best = None;
        let mut cursor = start;
        for _ in 0..MAX_WALK_STEPS {
            let Ok(naive) = self.cron.find_next_occurrence(&cursor, false) else {
                break;
            };
            cursor = naive;
            let found = match tz.resolve(naive) {
                Local::Single(at) => Some(at).filter(|at| *at > from),
                Local::Ambiguous(first, second) => {
                    if first > from {
                        Some(first)
                    } else {
                        Some(second).filter(|at| self.hour_repeats && *at > from)
                    }
                }
                Local::Gap { before, after } => self
                    .gap_run(tz, naive, before, after, gap)
                    .filter(|at| *at > from),
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
                        if let Local::Ambiguous(_, second) = tz.resolve(naive) {
                            best = Some(best.map_or(second, |b: DateTime<Utc>| b.min(second)));
                        }
                    }
                }
            }
        }
        best
    }

    /// Where a wall-clock match that a spring-forward gap swallowed runs, if anywhere.
    fn gap_run(
        &self,
        tz: &Zone,
        naive: NaiveDateTime,
        before: i32,
        after: i32,
        gap: DstGap,
    ) -> Option<DateTime<Utc>> {
        match gap {
            DstGap::Shift if self.fixed_time => Some(gap_end(tz, naive, before, after)),
            _ => None,
        }
    }

    /// Is this a fixed-time pattern (second, minute and hour each fixed)?
    pub fn is_fixed_time(&self) -> bool {
        self.fixed_time
    }

    /// The last occurrence strictly before `from`, or `None` when there is none.
    pub fn prev_before(
        &self,
        from: DateTime<Utc>,
        tz: &Zone,
        gap: DstGap,
    ) -> Option<DateTime<Utc>> {
        let floor = floor_second(from);
        // An exclusive walk from the next whole second keeps `floor` itself when `from`
        // carries milliseconds.
        let start_utc = if floor < from {
            floor + Duration::seconds(1)
        } else {
            floor
        };
        let mut cursor = tz.to_local(start_utc);
        let mut best = None;
        for _ in 0..MAX_WALK_STEPS {
            let Ok(naive) = self.cron.find_previous_occurrence(&cursor, false) else {
                break;
            };
            cursor = naive;
            let found = match tz.resolve(naive) {
                Local::Single(at) => Some(at).filter(|at| *at < from),
                Local::Ambiguous(first, second) => {
                    if self.hour_repeats && second < from {
                        Some(second)
                    } else {
                        Some(first).filter(|at| *at < from)
                    }
                }
                Local::Gap { before, after } => self
                    .gap_run(tz, naive, before, after, gap)
                    .filter(|at| *at < from),
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
                    if let Local::Ambiguous(first, _) = tz.resolve(naive) {
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
    pub fn iter_after<'a>(
        &'a self,
        from: DateTime<Utc>,
        tz: &'a Zone,
        gap: DstGap,
    ) -> Occurrences<'a> {
        Occurrences {
            pattern: self,
            cursor: from,
            tz,
            gap,
            forward: true,
        }
    }

    /// Occurrences strictly before `from`, latest first.
    pub fn iter_before<'a>(
        &'a self,
        from: DateTime<Utc>,
        tz: &'a Zone,
        gap: DstGap,
    ) -> Occurrences<'a> {
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
    tz: &'a Zone,
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

/// The first instant in `(after, until]` whose UTC offset differs from the offset at
/// `after`. Offsets change at whole seconds, so a binary search over seconds finds it.
fn offset_change(tz: &Zone, after: DateTime<Utc>, until: DateTime<Utc>) -> DateTime<Utc> {
    let before = tz.offset_seconds(after);
    let (mut lo, mut hi) = (after.timestamp(), until.timestamp());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let at = DateTime::from_timestamp(mid, 0).unwrap_or(until);
        if tz.offset_seconds(at) == before {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or(until)
}

/// The first real instant after the gap that swallowed the wall-clock time `naive`: the
/// moment the offset changed from `before` to `after`. Read with the offset after the gap,
/// `naive` is an instant before that change; with the offset before, one after it.
fn gap_end(tz: &Zone, naive: NaiveDateTime, before: i32, after: i32) -> DateTime<Utc> {
    let early = (naive - Duration::seconds(after as i64)).and_utc();
    let late = (naive - Duration::seconds(before as i64)).and_utc();
    offset_change(tz, early, late)
}

/// When `from` lies in the first copy of a repeated wall-clock range, that range's bounds
/// `[start, end)` as wall-clock times (its second copy is still ahead).
fn repeated_range_ahead(tz: &Zone, from: DateTime<Utc>) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let floor = floor_second(from);
    let Local::Ambiguous(first, second) = tz.resolve(tz.to_local(floor)) else {
        return None;
    };
    if floor != first {
        return None;
    }
    let repeat = second - first;
    let change = offset_change(tz, from, from + repeat);
    let start = tz.to_local(change);
    Some((start, start + repeat))
}

/// When `from` lies in the second copy of a repeated wall-clock range, that range's bounds
/// `[start, end)` as wall-clock times (its first copy is behind).
fn repeated_range_behind(tz: &Zone, from: DateTime<Utc>) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let floor = floor_second(from);
    let Local::Ambiguous(first, second) = tz.resolve(tz.to_local(floor)) else {
        return None;
    };
    if floor != second {
        return None;
    }
    let repeat = second - first;
    let change = offset_change(tz, from - repeat - Duration::seconds(1), from);
    let end = tz.to_local(change) + repeat;
    Some((end - repeat, end))
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    /// The cached answers (asked in increasing order, so that most land inside a cached
    /// interval) equal a fresh search, around DST changes and on ordinary days.
    #[test]
    fn the_next_after_cache_answers_as_a_fresh_search() {
        let patterns = [
            "30 2 * * *",
            "0 */15 * * * *",
            "0 30 1-3 * * *",
            "15 * * * *",
            "0 0 3 * * 0",
        ];
        let zones = [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Lord_Howe",
            "UTC",
        ];
        let starts = [
            "2026-03-07T00:00:00Z",
            "2026-10-24T00:00:00Z",
            "2026-04-03T12:00:00Z",
        ];
        let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
        for text in patterns {
            for zone in zones {
                let tz = Zone::named(zone).unwrap();
                for gap in [DstGap::Shift, DstGap::Skip] {
                    let cached = CronPattern::compile(text).unwrap();
                    let fresh = CronPattern::compile(text).unwrap();
                    for start in starts {
                        let mut from: DateTime<Utc> = start.parse().unwrap();
                        for _ in 0..400 {
                            rng ^= rng << 13;
                            rng ^= rng >> 7;
                            rng ^= rng << 17;
                            from += Duration::milliseconds((rng % 1_800_000) as i64);
                            let answer = cached.next_after(from, &tz, gap);
                            assert_eq!(
                                answer,
                                fresh.search_after(from, &tz, gap),
                                "{text} in {zone} ({gap:?}) after {from}"
                            );
                            // The edges of the cached interval: just before the answer, and at it.
                            for edge in answer
                                .into_iter()
                                .flat_map(|a| [a - Duration::milliseconds(1), a])
                            {
                                let cached_answer = cached.next_after(edge, &tz, gap);
                                assert_eq!(
                                    cached_answer,
                                    fresh.search_after(edge, &tz, gap),
                                    "{text} in {zone} ({gap:?}) after {edge}"
                                );
                                cached.next_after(from, &tz, gap);
                            }
                        }
                    }
                }
            }
        }
    }
}
