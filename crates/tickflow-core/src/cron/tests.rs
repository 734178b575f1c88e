//! Search tests with exact instants. Calendar facts were checked against Python's zoneinfo.

use super::*;
use chrono::{DateTime, SecondsFormat, Utc};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn fmt(list: impl Iterator<Item = DateTime<Utc>>) -> Vec<String> {
    list.map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
        .collect()
}

fn next_in(pattern: &str, tz: &str, from: &str, n: usize, gap: DstGap) -> Vec<String> {
    let tz = Zone::named(tz).unwrap();
    let p = CronPattern::parse(pattern).unwrap();
    fmt(p.iter_after(at(from), &tz, gap).take(n))
}

fn next(pattern: &str, from: &str, n: usize) -> Vec<String> {
    next_in(pattern, "UTC", from, n, DstGap::Shift)
}

fn prev_in(pattern: &str, tz: &str, from: &str, n: usize) -> Vec<String> {
    let tz = Zone::named(tz).unwrap();
    let p = CronPattern::parse(pattern).unwrap();
    fmt(p.iter_before(at(from), &tz, DstGap::Shift).take(n))
}

#[test]
fn five_fields_strictly_after() {
    assert_eq!(
        next("*/5 * * * *", "2026-01-01T00:02:30Z", 3),
        [
            "2026-01-01T00:05:00Z",
            "2026-01-01T00:10:00Z",
            "2026-01-01T00:15:00Z"
        ]
    );
    assert_eq!(
        next("*/5 * * * *", "2026-01-01T00:05:00Z", 1),
        ["2026-01-01T00:10:00Z"]
    );
    // Milliseconds past a match still count as after it.
    assert_eq!(
        next("*/5 * * * *", "2026-01-01T00:04:59.999Z", 1),
        ["2026-01-01T00:05:00Z"]
    );
}

#[test]
fn six_fields_have_seconds() {
    assert_eq!(
        next("*/20 * * * * *", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-01T00:00:20Z",
            "2026-01-01T00:00:40Z",
            "2026-01-01T00:01:00Z"
        ]
    );
}

#[test]
fn seven_fields_have_a_year_that_runs_out() {
    assert_eq!(
        next("0 0 12 1 1 * 2030", "2026-01-01T00:00:00Z", 5),
        ["2030-01-01T12:00:00Z"]
    );
    assert_eq!(
        next("0 0 0 1 1 * 2027-2028", "2026-06-01T00:00:00Z", 5),
        ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]
    );
    // `*/n` in the year field counts from 1970.
    assert_eq!(
        next("0 0 0 1 1 * */25", "2000-06-01T00:00:00Z", 3),
        [
            "2020-01-01T00:00:00Z",
            "2045-01-01T00:00:00Z",
            "2070-01-01T00:00:00Z"
        ]
    );
    // Nothing after 2199, and never an error.
    assert_eq!(
        next("0 0 1 1 *", "2199-06-01T00:00:00Z", 3),
        Vec::<String>::new()
    );
}

#[test]
fn names_ranges_lists_steps() {
    assert_eq!(
        next("0 9 * jan-MAR Mon-Fri", "2026-03-30T00:00:00Z", 3),
        [
            "2026-03-30T09:00:00Z",
            "2026-03-31T09:00:00Z",
            "2027-01-01T09:00:00Z"
        ]
    );
    assert_eq!(
        next("0 8-18/5 * * *", "2026-01-01T00:00:00Z", 4),
        [
            "2026-01-01T08:00:00Z",
            "2026-01-01T13:00:00Z",
            "2026-01-01T18:00:00Z",
            "2026-01-02T08:00:00Z"
        ]
    );
    assert_eq!(
        next("15,45 * * * *", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-01T00:15:00Z",
            "2026-01-01T00:45:00Z",
            "2026-01-01T01:15:00Z"
        ]
    );
}

#[test]
fn sunday_is_zero_and_seven() {
    let sunday = ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"];
    assert_eq!(next("0 0 * * 0", "2026-01-01T00:00:00Z", 2), sunday);
    assert_eq!(next("0 0 * * 7", "2026-01-01T00:00:00Z", 2), sunday);
    assert_eq!(next("0 0 * * SUN", "2026-01-01T00:00:00Z", 2), sunday);
    assert_eq!(next("@weekly", "2026-01-01T00:00:00Z", 2), sunday);
}

#[test]
fn nicknames_fire_like_their_patterns() {
    assert_eq!(
        next("@yearly", "2026-01-01T00:00:00Z", 1),
        ["2027-01-01T00:00:00Z"]
    );
    assert_eq!(
        next("@annually", "2026-01-01T00:00:00Z", 1),
        ["2027-01-01T00:00:00Z"]
    );
    assert_eq!(
        next("@monthly", "2026-01-01T00:00:00Z", 1),
        ["2026-02-01T00:00:00Z"]
    );
    assert_eq!(
        next("@daily", "2026-01-01T00:00:00Z", 1),
        ["2026-01-02T00:00:00Z"]
    );
    assert_eq!(
        next("@midnight", "2026-01-01T00:00:00Z", 1),
        ["2026-01-02T00:00:00Z"]
    );
    assert_eq!(
        next("@hourly", "2026-01-01T00:00:00Z", 1),
        ["2026-01-01T01:00:00Z"]
    );
}

#[test]
fn names_ignore_case_but_nicknames_and_l_w_modifiers_do_not() {
    // OCPS 1.0: month and weekday names in any case; OCPS 1.1 and 1.3: nicknames and the
    // L and W modifiers as written.
    assert_eq!(
        next("0 0 1 feb sUn", "2026-01-01T00:00:00Z", 1),
        ["2026-02-01T00:00:00Z"]
    );
    assert_eq!(
        next("0 0 * * fri#L", "2026-01-01T00:00:00Z", 1),
        ["2026-01-30T00:00:00Z"]
    );
    for bad in [
        "@Daily",
        "@HOURLY",
        "0 0 l * *",
        "0 0 15w * *",
        "0 0 lw * *",
        "0 0 * * 5l",
    ] {
        assert!(CronPattern::parse(bad).is_err(), "{bad} was accepted");
    }
    assert_eq!(
        next("0 0 * * friL", "2026-01-01T00:00:00Z", 1),
        ["2026-01-30T00:00:00Z"]
    );
    assert!(CronPattern::parse("0 0 * * fril").is_err());
    // A store written before keeps its patterns as they read then.
    for stored in ["@Daily", "0 0 l * *", "0 0 15w * *"] {
        assert!(CronPattern::compile_stored(stored).is_ok(), "{stored}");
    }
    assert!(CronPattern::compile_stored("0 0 x * *").is_err());
    let message = format!("{:?}", CronPattern::parse("@Daily").unwrap_err());
    assert!(message.contains("case-sensitive: '@daily'"), "{message}");
}

#[test]
fn last_day_and_last_weekday_of_month() {
    assert_eq!(
        next("0 0 L * *", "2026-01-15T00:00:00Z", 3),
        [
            "2026-01-31T00:00:00Z",
            "2026-02-28T00:00:00Z",
            "2026-03-31T00:00:00Z"
        ]
    );
    assert_eq!(
        next("0 0 L 2 *", "2027-06-01T00:00:00Z", 1),
        ["2028-02-29T00:00:00Z"]
    );
    // Last Friday of the month.
    assert_eq!(
        next("0 0 * * 5L", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-30T00:00:00Z",
            "2026-02-27T00:00:00Z",
            "2026-03-27T00:00:00Z"
        ]
    );
    assert_eq!(
        next("0 0 * * FRI#L", "2026-01-01T00:00:00Z", 1),
        ["2026-01-30T00:00:00Z"]
    );
}

#[test]
fn nearest_weekday_stays_in_its_month() {
    // 2026-02-15 and 2026-03-15 are Sundays, 2026-08-15 a Saturday.
    assert_eq!(
        next("0 0 15W * *", "2026-02-01T00:00:00Z", 2),
        ["2026-02-16T00:00:00Z", "2026-03-16T00:00:00Z"]
    );
    assert_eq!(
        next("0 0 15W 8 *", "2026-01-01T00:00:00Z", 1),
        ["2026-08-14T00:00:00Z"]
    );
    // 2026-08-01 is a Saturday: 1W moves forward to Monday the 3rd, not back into July.
    assert_eq!(
        next("0 0 1W 8 *", "2026-01-01T00:00:00Z", 1),
        ["2026-08-03T00:00:00Z"]
    );
    // 2026-05-31 is a Sunday: 31W moves back to Friday the 29th, not into June.
    assert_eq!(
        next("0 0 31W 5 *", "2026-01-01T00:00:00Z", 1),
        ["2026-05-29T00:00:00Z"]
    );
    // LW: last weekday. 2026-01-31 is a Saturday.
    assert_eq!(
        next("0 0 LW * *", "2026-01-01T00:00:00Z", 2),
        ["2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z"]
    );
}

#[test]
fn nth_weekday() {
    assert_eq!(
        next("0 0 * * 5#2", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-09T00:00:00Z",
            "2026-02-13T00:00:00Z",
            "2026-03-13T00:00:00Z"
        ]
    );
    assert_eq!(
        next("0 0 * * SUN#1", "2026-01-01T00:00:00Z", 1),
        ["2026-01-04T00:00:00Z"]
    );
}

#[test]
fn question_mark_is_any() {
    assert_eq!(
        next("0 0 1 * ?", "2026-01-01T00:00:00Z", 2),
        next("0 0 1 * *", "2026-01-01T00:00:00Z", 2)
    );
    assert_eq!(
        next("0 0 ? * MON", "2026-01-01T00:00:00Z", 2),
        ["2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"]
    );
}

#[test]
fn day_of_month_or_day_of_week_and_plus_for_and() {
    // Vixie OR: the 13th, or any Friday.
    assert_eq!(
        next("0 0 13 * 5", "2026-02-01T00:00:00Z", 5),
        [
            "2026-02-06T00:00:00Z",
            "2026-02-13T00:00:00Z",
            "2026-02-20T00:00:00Z",
            "2026-02-27T00:00:00Z",
            "2026-03-06T00:00:00Z"
        ]
    );
    // `+`: the 1st, only when it is a Monday.
    assert_eq!(
        next("0 12 1 * +MON", "2026-01-01T00:00:00Z", 2),
        ["2026-06-01T12:00:00Z", "2027-02-01T12:00:00Z"]
    );
}

#[test]
fn whitespace_is_forgiving() {
    assert_eq!(
        next(" \t*/5   *\t* * *  ", "2026-01-01T00:02:30Z", 1),
        ["2026-01-01T00:05:00Z"]
    );
}

#[test]
fn never_firing_pattern_yields_nothing_quickly() {
    assert_eq!(
        next("0 0 30 2 *", "2026-01-01T00:00:00Z", 3),
        Vec::<String>::new()
    );
    assert_eq!(
        next("0 0 31 4 *", "2026-01-01T00:00:00Z", 3),
        Vec::<String>::new()
    );
    let spec = |p: &str| CronPattern::parse(p).unwrap().spec().days_never_exist();
    assert!(spec("0 0 30,31 2 *"));
    assert!(spec("0 0 31 4,6 +MON"));
    // A day of the week, or a month with that day, makes it fire.
    assert!(!spec("0 0 30 2 MON"));
    assert!(!spec("0 0 31 2,3 *"));
    assert!(!spec("0 0 29 2 *"));
    assert!(!spec("0 0 L 2 *"));
}

#[test]
fn leap_day_every_four_years() {
    assert_eq!(
        next("0 0 29 2 *", "2026-01-01T00:00:00Z", 2),
        ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]
    );
}

#[test]
fn time_zone_offsets() {
    assert_eq!(
        next_in(
            "0 9 * * *",
            "Asia/Tokyo",
            "2026-01-01T00:00:00Z",
            1,
            DstGap::Shift
        ),
        ["2026-01-02T00:00:00Z"]
    );
    assert_eq!(
        next_in(
            "0 9 * * *",
            "Asia/Kolkata",
            "2026-01-01T00:00:00Z",
            1,
            DstGap::Shift
        ),
        ["2026-01-01T03:30:00Z"]
    );
}

#[test]
fn previous_runs_strictly_before() {
    assert_eq!(
        prev_in("*/5 * * * *", "UTC", "2026-01-01T00:10:00Z", 3),
        [
            "2026-01-01T00:05:00Z",
            "2026-01-01T00:00:00Z",
            "2025-12-31T23:55:00Z"
        ]
    );
    assert_eq!(
        prev_in("*/5 * * * *", "UTC", "2026-01-01T00:10:00.500Z", 1),
        ["2026-01-01T00:10:00Z"]
    );
    assert_eq!(
        prev_in("0 0 0 1 1 * 1970", "UTC", "2026-01-01T00:00:00Z", 3),
        ["1970-01-01T00:00:00Z"]
    );
}

// ---- Daylight saving time: US (America/New_York, 2026-03-08 and 2026-11-01) ----

const NY: &str = "America/New_York";

#[test]
fn us_spring_gap_shift_fires_once_after_the_gap() {
    // 02:30 does not exist on 2026-03-08: it fires at 03:00 EDT (07:00Z).
    assert_eq!(
        next_in("30 2 * * *", NY, "2026-03-07T00:00:00Z", 3, DstGap::Shift),
        [
            "2026-03-07T07:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-09T06:30:00Z"
        ]
    );
    // Several fixed times inside the gap still make one run at 03:00.
    assert_eq!(
        next_in(
            "0 15,45 2 * * *",
            NY,
            "2026-03-08T06:00:00Z",
            2,
            DstGap::Shift
        ),
        ["2026-03-08T07:00:00Z", "2026-03-09T06:15:00Z"]
    );
    assert_eq!(
        prev_in("30 2 * * *", NY, "2026-03-09T06:30:01Z", 3),
        [
            "2026-03-09T06:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-07T07:30:00Z"
        ]
    );
}

/// Forward from `from`, then backward from just after the last one: both must list `want`.
fn both_ways(pattern: &str, tz: &str, from: &str, gap: DstGap, want: &[&str]) {
    assert_eq!(
        next_in(pattern, tz, from, want.len(), gap),
        want,
        "{pattern} next"
    );
    let after_last = at(want[want.len() - 1]) + chrono::Duration::seconds(1);
    let tz_zone = Zone::named(tz).unwrap();
    let p = CronPattern::parse(pattern).unwrap();
    let mut back = fmt(p.iter_before(after_last, &tz_zone, gap).take(want.len()));
    back.reverse();
    assert_eq!(back, want, "{pattern} previous");
}

#[test]
fn repeating_patterns_have_no_run_inside_a_spring_forward_gap() {
    // Minute or hour repeats: the wall-clock times that do not exist are simply not
    // occurrences, under either dstGap (as in ISC cron and croner); no run is added minutes
    // before the next regular one. Every instant agrees with croner 11.
    for gap in [DstGap::Shift, DstGap::Skip] {
        both_ways(
            "@hourly",
            "Australia/Lord_Howe",
            "2026-10-03T15:00:00Z",
            gap,
            &["2026-10-03T16:00:00Z", "2026-10-03T17:00:00Z"],
        );
        both_ways(
            "58 * 1 * 0-5",
            NY,
            "2026-03-08T06:00:00Z",
            gap,
            &["2026-03-08T06:58:00Z", "2026-03-08T07:58:00Z"],
        );
        both_ways(
            "33 * 18-20 * */2",
            NY,
            "2026-03-08T05:00:00Z",
            gap,
            &[
                "2026-03-08T05:33:00Z",
                "2026-03-08T06:33:00Z",
                "2026-03-08T07:33:00Z",
            ],
        );
        both_ways(
            "12 * * 11,2,3 1-7",
            NY,
            "2026-03-08T05:00:00Z",
            gap,
            &[
                "2026-03-08T05:12:00Z",
                "2026-03-08T06:12:00Z",
                "2026-03-08T07:12:00Z",
            ],
        );
        both_ways(
            "6,24 * 5 * 0-1",
            "Europe/London",
            "2026-03-29T00:00:00Z",
            gap,
            &[
                "2026-03-29T00:06:00Z",
                "2026-03-29T00:24:00Z",
                "2026-03-29T01:06:00Z",
                "2026-03-29T01:24:00Z",
            ],
        );
        both_ways(
            "15 * * * *",
            NY,
            "2026-03-08T06:00:00Z",
            gap,
            &[
                "2026-03-08T06:15:00Z",
                "2026-03-08T07:15:00Z",
                "2026-03-08T08:15:00Z",
            ],
        );
        // A fixed hour with stepped minutes repeats too: nothing on the day of the gap.
        both_ways(
            "*/15 2 * * *",
            NY,
            "2026-03-08T06:00:00Z",
            gap,
            &["2026-03-09T06:00:00Z", "2026-03-09T06:15:00Z"],
        );
    }
}

#[test]
fn fixed_time_is_second_minute_and_hour_all_fixed() {
    let fixed = |p: &str| CronPattern::parse(p).unwrap().is_fixed_time();
    assert!(fixed("30 2 * * *"));
    assert!(fixed("0 15,45 1-3 * * *"));
    assert!(fixed("@daily"));
    assert!(!fixed("@hourly"));
    assert!(!fixed("*/15 2 * * *"));
    assert!(!fixed("30 0-23/2 * * *"));
    assert!(!fixed("* 30 2 * * *"));
}

#[test]
fn us_spring_gap_skip_does_not_fire_that_day() {
    assert_eq!(
        next_in("30 2 * * *", NY, "2026-03-07T00:00:00Z", 2, DstGap::Skip),
        ["2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"]
    );
    assert_eq!(
        next_in("15 * * * *", NY, "2026-03-08T06:00:00Z", 2, DstGap::Skip),
        ["2026-03-08T06:15:00Z", "2026-03-08T07:15:00Z"]
    );
    // A natural match right after the gap still fires.
    assert_eq!(
        next_in("0 * * * *", NY, "2026-03-08T06:30:00Z", 2, DstGap::Skip),
        ["2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"]
    );
}

#[test]
fn us_fall_back_fixed_hour_fires_once() {
    assert_eq!(
        next_in("30 1 * * *", NY, "2026-10-31T12:00:00Z", 2, DstGap::Shift),
        ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]
    );
    // Fixed hour, stepped minutes: only the first copy of 01:xx.
    assert_eq!(
        next_in("*/30 1 * * *", NY, "2026-11-01T04:00:00Z", 3, DstGap::Shift),
        [
            "2026-11-01T05:00:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-02T06:00:00Z"
        ]
    );
    // Starting inside the second copy does not fire the repeated hour again.
    assert_eq!(
        next_in("*/30 1 * * *", NY, "2026-11-01T06:10:00Z", 1, DstGap::Shift),
        ["2026-11-02T06:00:00Z"]
    );
}

#[test]
fn us_fall_back_wildcard_hour_fires_through_both_copies() {
    let both = [
        "2026-11-01T05:00:00Z",
        "2026-11-01T05:30:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T06:30:00Z",
        "2026-11-01T07:00:00Z",
    ];
    assert_eq!(
        next_in("*/30 * * * *", NY, "2026-11-01T04:45:00Z", 5, DstGap::Shift),
        both
    );
    // From inside the first copy, the second copy comes next.
    assert_eq!(
        next_in("*/30 * * * *", NY, "2026-11-01T05:40:00Z", 2, DstGap::Shift),
        ["2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z"]
    );
    // From inside the second copy.
    assert_eq!(
        next_in("*/30 * * * *", NY, "2026-11-01T06:10:00Z", 1, DstGap::Shift),
        ["2026-11-01T06:30:00Z"]
    );
    // `*/2` hours covers 00:00 and 02:00, not the repeated 01:00.
    assert_eq!(
        next_in("0 */2 * * *", NY, "2026-11-01T03:00:00Z", 2, DstGap::Shift),
        ["2026-11-01T04:00:00Z", "2026-11-01T07:00:00Z"]
    );
}

#[test]
fn us_previous_runs_mirror_next_runs() {
    assert_eq!(
        prev_in("*/30 * * * *", NY, "2026-11-01T07:00:00Z", 5),
        [
            "2026-11-01T06:30:00Z",
            "2026-11-01T06:00:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-01T05:00:00Z",
            "2026-11-01T04:30:00Z"
        ]
    );
    // From inside the second copy, a fixed-hour pattern looks back to the first copy.
    assert_eq!(
        prev_in("*/30 1 * * *", NY, "2026-11-01T06:10:00Z", 3),
        [
            "2026-11-01T05:30:00Z",
            "2026-11-01T05:00:00Z",
            "2026-10-31T05:30:00Z"
        ]
    );
    assert_eq!(
        prev_in("30 2 * * *", NY, "2026-03-09T12:00:00Z", 3),
        [
            "2026-03-09T06:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-07T07:30:00Z"
        ]
    );
}

// ---- EU (Europe/Berlin, 2026-03-29 and 2026-10-25) ----

#[test]
fn eu_transitions() {
    let berlin = "Europe/Berlin";
    assert_eq!(
        next_in(
            "30 2 * * *",
            berlin,
            "2026-03-28T12:00:00Z",
            2,
            DstGap::Shift
        ),
        ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]
    );
    assert_eq!(
        next_in(
            "30 2 * * *",
            berlin,
            "2026-03-28T12:00:00Z",
            1,
            DstGap::Skip
        ),
        ["2026-03-30T00:30:00Z"]
    );
    assert_eq!(
        next_in(
            "30 2 * * *",
            berlin,
            "2026-10-24T12:00:00Z",
            2,
            DstGap::Shift
        ),
        ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]
    );
    assert_eq!(
        next_in(
            "30 * * * *",
            berlin,
            "2026-10-25T00:00:00Z",
            3,
            DstGap::Shift
        ),
        [
            "2026-10-25T00:30:00Z",
            "2026-10-25T01:30:00Z",
            "2026-10-25T02:30:00Z"
        ]
    );
}

// ---- A 30-minute shift (Australia/Lord_Howe, 2026-04-05 and 2026-10-04) ----

#[test]
fn lord_howe_half_hour_transitions() {
    let lh = "Australia/Lord_Howe";
    // 02:00-02:30 is skipped on 2026-10-04: 02:15 shifts to 02:30 (+11:00).
    assert_eq!(
        next_in("15 2 * * *", lh, "2026-10-03T00:00:00Z", 2, DstGap::Shift),
        ["2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"]
    );
    assert_eq!(
        next_in("15 2 * * *", lh, "2026-10-03T00:00:00Z", 1, DstGap::Skip),
        ["2026-10-04T15:15:00Z"]
    );
    // 01:30-02:00 repeats on 2026-04-05.
    assert_eq!(
        next_in("45 1 * * *", lh, "2026-04-04T00:00:00Z", 2, DstGap::Shift),
        ["2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"]
    );
    assert_eq!(
        next_in("*/15 * * * *", lh, "2026-04-04T14:20:00Z", 5, DstGap::Shift),
        [
            "2026-04-04T14:30:00Z",
            "2026-04-04T14:45:00Z",
            "2026-04-04T15:00:00Z",
            "2026-04-04T15:15:00Z",
            "2026-04-04T15:30:00Z"
        ]
    );
}

#[test]
fn zoned_runs_keep_daylight_saving_time_until_2199() {
    assert_eq!(
        next_in(
            "0 12 * * *",
            "Europe/Berlin",
            "2150-07-01T00:00:00Z",
            1,
            DstGap::Shift
        ),
        ["2150-07-01T10:00:00Z"]
    );
    assert_eq!(
        next_in(
            "0 12 * * *",
            "Europe/Berlin",
            "2199-01-01T00:00:00Z",
            1,
            DstGap::Shift
        ),
        ["2199-01-01T11:00:00Z"]
    );
}
