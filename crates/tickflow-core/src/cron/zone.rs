//! IANA time zones, through jiff and its bundled tz database.
//!
//! jiff extends each zone's rules past the last listed transition (its POSIX TZ rule), so
//! daylight saving time stays right up to the OCPS limit of 2199; chrono-tz's tables stop at
//! 2099. The bundled database means no system tzdata is needed.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Timelike, Utc};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// How a wall-clock time maps to real instants in a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Local {
    Single(DateTime<Utc>),
    /// A repeated wall-clock time (fall back): the first and the second instant.
    Ambiguous(DateTime<Utc>, DateTime<Utc>),
    /// A skipped wall-clock time (spring forward), with the UTC offsets around the gap.
    Gap {
        before: i32,
        after: i32,
    },
}

#[derive(Clone, Debug)]
pub struct Zone {
    tz: TimeZone,
    /// Shared: every schedule holds a zone, and clones should not copy the name.
    name: std::sync::Arc<str>,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            tz: TimeZone::UTC,
            name: std::sync::Arc::from("UTC"),
        }
    }

    /// A zone by IANA name, in any letter case; `None` when the name is unknown.
    pub fn named(name: &str) -> Option<Zone> {
        if name.is_empty() || name.len() > 64 {
            return None;
        }
        let tz = TimeZone::get(name).ok()?;
        let name = std::sync::Arc::from(tz.iana_name().unwrap_or(name));
        Some(Zone { tz, name })
    }

    /// The name, shared rather than copied.
    pub fn shared_name(&self) -> std::sync::Arc<str> {
        self.name.clone()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn offset_seconds(&self, at: DateTime<Utc>) -> i32 {
        match jiff::Timestamp::from_second(at.timestamp()) {
            Ok(ts) => self.tz.to_offset(ts).seconds(),
            Err(_) => 0,
        }
    }

    /// The wall-clock time at instant `at`.
    pub fn to_local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.naive_utc() + Duration::seconds(self.offset_seconds(at) as i64)
    }

    pub fn resolve(&self, naive: NaiveDateTime) -> Local {
        let instant = |offset: i32| (naive - Duration::seconds(offset as i64)).and_utc();
        let Ok(civil) = jiff::civil::DateTime::new(
            naive.year() as i16,
            naive.month() as i8,
            naive.day() as i8,
            naive.hour() as i8,
            naive.minute() as i8,
            naive.second() as i8,
            0,
        ) else {
            return Local::Single(naive.and_utc());
        };
        match self.tz.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => Local::Single(instant(offset.seconds())),
            AmbiguousOffset::Fold { before, after } => {
                Local::Ambiguous(instant(before.seconds()), instant(after.seconds()))
            }
            AmbiguousOffset::Gap { before, after } => Local::Gap {
                before: before.seconds(),
                after: after.seconds(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn names_in_any_case_and_unknown_names() {
        assert_eq!(
            Zone::named("europe/berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(Zone::named("UTC").unwrap().name(), "UTC");
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(Zone::named("").is_none());
    }

    #[test]
    fn daylight_saving_time_continues_past_2099() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        let summer_2150 = Utc.with_ymd_and_hms(2150, 7, 1, 10, 0, 0).unwrap();
        assert_eq!(berlin.offset_seconds(summer_2150), 7200);
        let winter_2150 = Utc.with_ymd_and_hms(2150, 1, 1, 10, 0, 0).unwrap();
        assert_eq!(berlin.offset_seconds(winter_2150), 3600);
    }
}
