//! A schedule's runtime state as its row stores it: written straight to text, read straight
//! back into the schedule (no `Value` tree either way).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::execution::{ExecutionStatus, TriggerType};
use super::schedule::{Runtime, Schedule, Stats};

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A schedule's runtime state as its row stores it: one definition for writing (borrowing
/// from the schedule) and reading back (owned). Straight to and from text, without a
/// `Value` tree: a herd writes thousands inside an operation, under the engine's lock, and
/// a node following it reads tens of thousands. Fields missing from older rows (or null)
/// take their defaults; the five without one must be there, with their types.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StateRecord<'a> {
    paused: bool,
    #[serde(default)]
    pause_note: Option<Cow<'a, str>>,
    expired: bool,
    fired: u64,
    cursor: i64,
    created: i64,
    /// Rows written before updates were tracked: as created.
    #[serde(default)]
    updated: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    buffered: Vec<i64>,
    /// Which of `buffered` are catch-up runs (the others are scheduled ones).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    buffered_catchup: Vec<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    stats: StatsRecord<'a>,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct StatsRecord<'a> {
    triggered: u64,
    completed: u64,
    failed: u64,
    cancelled: u64,
    skipped: u64,
    fires: u64,
    #[serde(deserialize_with = "counts")]
    skipped_by: Cow<'a, [u64]>,
    timed_out: u64,
    retries: u64,
    last_success: Option<i64>,
    last_status: Option<Cow<'a, str>>,
    last_error: Option<Cow<'a, str>>,
    last_run: Option<i64>,
    last_duration: Option<u64>,
}

pub(super) fn state_text(s: &Schedule) -> String {
    let rt = s.rt();
    let st = &rt.stats;
    let record = StateRecord {
        paused: s.paused,
        pause_note: s.pause_note.as_deref().map(Cow::Borrowed),
        expired: s.expired,
        fired: s.fired,
        cursor: ms(s.cursor),
        created: ms(s.created),
        updated: Some(ms(s.updated)),
        buffered: rt.buffered.iter().map(|(t, _)| ms(*t)).collect(),
        buffered_catchup: rt
            .buffered
            .iter()
            .filter(|(_, trigger)| *trigger == TriggerType::Catchup)
            .map(|(t, _)| ms(*t))
            .collect(),
        stats: StatsRecord {
            triggered: st.triggered,
            completed: st.completed,
            failed: st.failed,
            cancelled: st.cancelled,
            skipped: st.skipped,
            fires: st.fires,
            skipped_by: Cow::Borrowed(&st.skipped_by),
            timed_out: st.timed_out,
            retries: st.retries,
            last_success: st.last_success.map(ms),
            last_status: st.last_status.map(|s| Cow::Borrowed(s.as_str())),
            last_error: st.last_error.as_deref().map(Cow::Borrowed),
            last_run: st.last_run.map(ms),
            last_duration: st.last_duration,
        },
    };
    serde_json::to_string(&record).expect("a state record serializes")
}

/// A stored state as read back.
pub(super) type StoredState = StateRecord<'static>;

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Counts, null entries (or a null list) read as zero.
fn counts<'de, D>(d: D) -> Result<Cow<'static, [u64]>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let read: Vec<Option<u64>> = null_as_default(d)?;
    Ok(Cow::Owned(
        read.into_iter().map(|n| n.unwrap_or(0)).collect(),
    ))
}

impl StoredState {
    pub(super) fn parse(text: &str) -> Result<StoredState, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

pub(super) fn schedule_from_state(
    spec: super::config::ScheduleSpec,
    config: String,
    state: StoredState,
) -> Option<Schedule> {
    let date = |ms: i64| DateTime::from_timestamp_millis(ms);
    let st = state.stats;
    let stats = Stats {
        triggered: st.triggered,
        completed: st.completed,
        failed: st.failed,
        cancelled: st.cancelled,
        skipped: st.skipped,
        fires: st.fires,
        skipped_by: std::array::from_fn(|i| st.skipped_by.get(i).copied().unwrap_or(0)),
        timed_out: st.timed_out,
        retries: st.retries,
        last_success: st.last_success.and_then(date),
        duration: Default::default(),
        lateness: Default::default(),
        durations: Default::default(),
        last_status: st.last_status.as_deref().and_then(ExecutionStatus::parse),
        last_error: st.last_error.map(Cow::into_owned),
        last_run: st.last_run.and_then(date),
        last_duration: st.last_duration,
    };
    let catchup: std::collections::HashSet<i64> = state.buffered_catchup.iter().copied().collect();
    let buffered: std::collections::VecDeque<(DateTime<Utc>, TriggerType)> = state
        .buffered
        .iter()
        .filter_map(|t| {
            let trigger = if catchup.contains(t) {
                TriggerType::Catchup
            } else {
                TriggerType::Scheduled
            };
            Some((date(*t)?, trigger))
        })
        .collect();
    let ran = stats.triggered + stats.skipped > 0 || !buffered.is_empty();
    let created = date(state.created)?;
    Some(Schedule {
        spec,
        config,
        paused: state.paused,
        pause_note: state.pause_note.map(Cow::into_owned),
        expired: state.expired,
        fired: state.fired,
        cursor: date(state.cursor)?,
        next_fire: None,
        next_is_dst_skip: false,
        generation: 0,
        runtime: ran.then(|| {
            Box::new(Runtime {
                buffered,
                stats,
                ..Default::default()
            })
        }),
        created,
        updated: state.updated.and_then(date).unwrap_or(created),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let text = r#"{"paused":false,"pauseNote":"why","expired":false,"fired":2,"cursor":1000,"created":500,"updated":600,"buffered":[1500,1600],"bufferedCatchup":[1600],"stats":{"triggered":2,"completed":1,"failed":1,"cancelled":0,"skipped":0,"fires":2,"skippedBy":[0,1,0,0,0],"timedOut":0,"retries":0,"lastSuccess":900,"lastStatus":"failed","lastError":"boom","lastRun":950,"lastDuration":12}}"#;
        let read = StoredState::parse(text).unwrap();
        assert_eq!(serde_json::to_string(&read).unwrap(), text);
    }

    #[test]
    fn an_older_row_reads_with_defaults_and_a_broken_one_is_refused() {
        // Written before `updated`, `pauseNote` and most stats existed.
        let old = StoredState::parse(
            r#"{"paused":true,"expired":false,"fired":3,"cursor":1000,"created":500,
                "stats":{"triggered":2,"skippedBy":[1],"lastStatus":"completed","extra":1}}"#,
        )
        .unwrap();
        assert_eq!(old.updated, None);
        assert_eq!(old.stats.triggered, 2);
        assert_eq!(*old.stats.skipped_by, [1]);
        let nulls = StoredState::parse(
            r#"{"paused":false,"expired":false,"fired":0,"cursor":0,"created":0,
                "buffered":null,"bufferedCatchup":null,"stats":{"skippedBy":[null,2],"lastError":null}}"#,
        )
        .unwrap();
        assert!(nulls.buffered.is_empty());
        assert!(nulls.buffered_catchup.is_empty());
        assert_eq!(*nulls.stats.skipped_by, [0, 2]);
        let null_stats =
            r#"{"paused":false,"expired":false,"fired":0,"cursor":0,"created":0,"stats":null}"#;
        assert_eq!(StoredState::parse(null_stats).unwrap().stats.triggered, 0);
        assert_eq!(old.stats.last_status.as_deref(), Some("completed"));
        for broken in [
            r#"{"expired":false,"fired":3,"cursor":1000,"created":500}"#,
            r#"{"paused":"yes","expired":false,"fired":3,"cursor":1000,"created":500}"#,
            "not json",
        ] {
            assert!(StoredState::parse(broken).is_err(), "{broken}");
        }
    }
}
