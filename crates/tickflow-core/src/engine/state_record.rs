//! A schedule's runtime state as its row stores it: written straight to text, read straight
//! back into the schedule (no `Value` tree either way).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::core::{Runtime, Schedule, Stats};
use super::execution::ExecutionStatus;

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A schedule's runtime state as stored (read back by `schedule_from_state`). Written
/// straight to text, without a `Value` tree: a herd writes thousands of them inside an
/// operation, under the engine's lock.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct StateRecord<'a> {
    paused: bool,
    pause_note: &'a Option<String>,
    expired: bool,
    fired: u64,
    cursor: i64,
    created: i64,
    updated: i64,
    buffered: Vec<i64>,
    stats: StatsRecord<'a>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct StatsRecord<'a> {
    triggered: u64,
    completed: u64,
    failed: u64,
    cancelled: u64,
    skipped: u64,
    fires: u64,
    skipped_by: &'a [u64],
    timed_out: u64,
    retries: u64,
    last_success: Option<i64>,
    last_status: Option<&'static str>,
    last_error: &'a Option<String>,
    last_run: Option<i64>,
    last_duration: Option<u64>,
}

pub(super) fn state_text(s: &Schedule) -> String {
    let rt = s.rt();
    let st = &rt.stats;
    let record = StateRecord {
        paused: s.paused,
        pause_note: &s.pause_note,
        expired: s.expired,
        fired: s.fired,
        cursor: ms(s.cursor),
        created: ms(s.created),
        updated: ms(s.updated),
        buffered: rt.buffered.iter().map(|t| ms(*t)).collect(),
        stats: StatsRecord {
            triggered: st.triggered,
            completed: st.completed,
            failed: st.failed,
            cancelled: st.cancelled,
            skipped: st.skipped,
            fires: st.fires,
            skipped_by: &st.skipped_by,
            timed_out: st.timed_out,
            retries: st.retries,
            last_success: st.last_success.map(ms),
            last_status: st.last_status.map(|s| s.as_str()),
            last_error: &st.last_error,
            last_run: st.last_run.map(ms),
            last_duration: st.last_duration,
        },
    };
    serde_json::to_string(&record).expect("a state record serializes")
}

/// A schedule's runtime state as read back: `StateRecord`'s fields, owned. Read straight
/// from the text (no `Value` tree): a node following a herd reads tens of thousands.
/// Fields missing from older rows (or null) take their defaults; the five without one must
/// be there, with their types.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StoredState {
    paused: bool,
    #[serde(default)]
    pause_note: Option<String>,
    expired: bool,
    fired: u64,
    cursor: i64,
    created: i64,
    /// Rows written before updates were tracked: as created.
    #[serde(default)]
    updated: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    buffered: Vec<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    stats: StoredStats,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct StoredStats {
    triggered: u64,
    completed: u64,
    failed: u64,
    cancelled: u64,
    skipped: u64,
    fires: u64,
    #[serde(deserialize_with = "null_as_default")]
    skipped_by: Vec<Option<u64>>,
    timed_out: u64,
    retries: u64,
    last_success: Option<i64>,
    last_status: Option<String>,
    last_error: Option<String>,
    last_run: Option<i64>,
    last_duration: Option<u64>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
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
        skipped_by: std::array::from_fn(|i| st.skipped_by.get(i).copied().flatten().unwrap_or(0)),
        timed_out: st.timed_out,
        retries: st.retries,
        last_success: st.last_success.and_then(date),
        duration: Default::default(),
        lateness: Default::default(),
        durations: Default::default(),
        last_status: st.last_status.as_deref().and_then(ExecutionStatus::parse),
        last_error: st.last_error,
        last_run: st.last_run.and_then(date),
        last_duration: st.last_duration,
    };
    let buffered: std::collections::VecDeque<DateTime<Utc>> =
        state.buffered.into_iter().filter_map(date).collect();
    let ran = stats.triggered + stats.skipped > 0 || !buffered.is_empty();
    let created = date(state.created)?;
    Some(Schedule {
        spec,
        config,
        paused: state.paused,
        pause_note: state.pause_note,
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
    fn an_older_row_reads_with_defaults_and_a_broken_one_is_refused() {
        // Written before `updated`, `pauseNote` and most stats existed.
        let old = StoredState::parse(
            r#"{"paused":true,"expired":false,"fired":3,"cursor":1000,"created":500,
                "stats":{"triggered":2,"skippedBy":[1],"lastStatus":"completed","extra":1}}"#,
        )
        .unwrap();
        assert_eq!(old.updated, None);
        assert_eq!(old.stats.triggered, 2);
        assert_eq!(old.stats.skipped_by, vec![Some(1)]);
        let nulls = StoredState::parse(
            r#"{"paused":false,"expired":false,"fired":0,"cursor":0,"created":0,
                "buffered":null,"stats":{"skippedBy":[null,2],"lastError":null}}"#,
        )
        .unwrap();
        assert!(nulls.buffered.is_empty());
        assert_eq!(nulls.stats.skipped_by, vec![None, Some(2)]);
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
