//! The dashboard's reads at any number of schedules: a page of schedules (searched, filtered,
//! sorted), the next fires of every schedule merged in time order, and the instants where
//! rarely-firing schedules pile up. Scans take a range of schedule slots at a time, so that
//! the binding can let go of the engine between ranges (the driver keeps firing meanwhile);
//! each answer is bounded by its page or its budget, not by the number of schedules.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::core::{next_occurrence, Engine};
use super::schedule::Schedule;
use super::value::{FieldResult, Fields};

/// Most schedules on one page.
pub const MAX_PAGE: usize = 500;
/// Fires a timeline lists.
pub const TIMELINE_FIRES: usize = 2_000;
/// Fires a timeline merges in all (listed or only counted for collisions).
pub const TIMELINE_BUDGET: usize = 50_000;
/// A schedule counts in a collision only when its next fire is at least this far away:
/// jobs firing every few seconds meet every other job by construction, which says nothing.
pub const COLLISION_MIN_PERIOD_MS: i64 = 3_600_000;
/// Collision instants reported, the largest first.
pub const COLLISION_TOP: usize = 20;
/// Schedule ids named per collision instant or listed fire instant.
const IDS_PER_INSTANT: usize = 10;

const STATES: [&str; 4] = ["active", "paused", "disabled", "expired"];
const QUERY_KEYS: &[&str] = &[
    "search",
    "state",
    "nextAfter",
    "nextBefore",
    "scheduleId",
    "executionId",
    "sort",
    "offset",
    "limit",
];

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Recent runs a page shows per schedule (from memory, or on a cluster from the database).
pub(super) const RECENT_RUNS: usize = 20;

/// One of a page row's recent runs.
pub(super) fn recent_run(e: &super::execution::Execution) -> Value {
    json!({
        "executionId": &*e.id,
        "status": e.status.as_str(),
        "scheduledTime": iso(e.scheduled_time),
        "duration": e.duration_ms(),
    })
}

/// What a page of schedules asks for, checked.
#[derive(Clone, Debug, Default)]
pub struct PageQuery {
    /// Lower case; matched against the schedule id, config id and name.
    search: Option<String>,
    state: Option<&'static str>,
    next_after: Option<DateTime<Utc>>,
    next_before: Option<DateTime<Utc>>,
    schedule_id: Option<String>,
    execution_id: Option<String>,
    by_next_fire: bool,
    offset: usize,
    limit: usize,
}

pub fn parse_page_query(value: &Value, path: &str) -> FieldResult<PageQuery> {
    let f = Fields::new(value, path, QUERY_KEYS)?;
    Ok(PageQuery {
        search: f
            .string("search")?
            .filter(|s| !s.is_empty())
            .map(|s| s.to_lowercase()),
        state: f.choice("state", &STATES)?,
        next_after: f.date("nextAfter")?,
        next_before: f.date("nextBefore")?,
        schedule_id: f.string("scheduleId")?,
        execution_id: f.string("executionId")?,
        by_next_fire: f.choice("sort", &["id", "nextFire"])? == Some("nextFire"),
        offset: f.integer("offset", 0, u32::MAX as u64)?.unwrap_or(0) as usize,
        limit: f.integer("limit", 1, MAX_PAGE as u64)?.unwrap_or(50) as usize,
    })
}

/// A page scan in progress: the state counts over every schedule, the matches' sort keys.
#[derive(Default)]
pub struct PageScan {
    counts: [usize; 4],
    total: usize,
    matching: usize,
    /// (next fire in ms, or i64::MAX for none; 0 when sorting by id), schedule id.
    keys: Vec<(i64, Arc<str>)>,
}

impl PageScan {
    /// Keeps the matches that can still reach the page: memory bounded by the page's end.
    fn prune(&mut self, keep: usize) {
        if self.keys.len() > (2 * keep).max(4096) {
            self.keys.select_nth_unstable(keep);
            self.keys.truncate(keep);
        }
    }
}

impl Engine {
    /// Slots a scan walks (some empty).
    pub fn slot_count(&self) -> usize {
        self.registry.slot_count()
    }

    /// When the schedule fires next, at or after `from`: none when it will not fire.
    fn fires_next(&self, s: &Schedule, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !s.is_live() {
            return None;
        }
        match s.next_fire {
            Some(at) if at >= from && !s.next_is_dst_skip => Some(at),
            _ => next_occurrence(&s.spec, s.cursor.max(from), s.fired),
        }
    }

    fn page_matches(&self, q: &PageQuery, s: &Schedule, target: Option<&str>) -> bool {
        let ids = &s.spec.fragments;
        if target.is_some_and(|t| *ids.schedule_id != *t) {
            return false;
        }
        if q.state.is_some_and(|state| s.state() != state) {
            return false;
        }
        match &q.search {
            Some(needle) => [&*ids.schedule_id, &*ids.config_id, s.spec.name()]
                .iter()
                .any(|text| text.to_lowercase().contains(needle.as_str())),
            None => true,
        }
    }

    /// Scans the slots in `slots` into `scan`.
    pub fn scan_page(&self, q: &PageQuery, slots: Range<usize>, scan: &mut PageScan) {
        let now = self.now();
        // An execution id narrows the page to its schedule (to nothing when unknown).
        let by_execution = q.execution_id.as_ref().map(|id| {
            self.executions
                .key_of(id)
                .and_then(|k| self.executions.get(&k))
                .map(|e| e.schedule_id.clone())
        });
        let target: Option<Option<&str>> = match (&by_execution, &q.schedule_id) {
            (Some(found), _) => Some(found.as_deref()),
            (None, Some(id)) => Some(Some(id.as_str())),
            (None, None) => None,
        };
        let keep = q.offset.saturating_add(q.limit);
        for (_, s) in self.registry.in_slots(slots) {
            scan.total += 1;
            if let Some(i) = STATES.iter().position(|x| *x == s.state()) {
                scan.counts[i] += 1;
            }
            if target == Some(None) || !self.page_matches(q, s, target.flatten()) {
                continue;
            }
            let windowed = q.next_after.is_some() || q.next_before.is_some();
            let next = if windowed || q.by_next_fire {
                self.fires_next(s, now)
            } else {
                None
            };
            if windowed {
                let Some(at) = next else { continue };
                if q.next_after.is_some_and(|a| at < a) || q.next_before.is_some_and(|b| at > b) {
                    continue;
                }
            }
            scan.matching += 1;
            let key = if q.by_next_fire {
                next.map_or(i64::MAX, |t| t.timestamp_millis())
            } else {
                0
            };
            scan.keys.push((key, s.spec.fragments.schedule_id.clone()));
            scan.prune(keep);
        }
    }

    /// The page: counts, and a row for each schedule on it.
    pub fn finish_page(&self, q: &PageQuery, mut scan: PageScan) -> Value {
        let keep = q.offset.saturating_add(q.limit);
        if scan.keys.len() > keep {
            scan.keys.select_nth_unstable(keep);
            scan.keys.truncate(keep);
        }
        scan.keys.sort_unstable();
        let rows: Vec<Value> = scan
            .keys
            .iter()
            .skip(q.offset)
            .filter_map(|(_, id)| self.schedule(id))
            .map(|s| self.page_row(s))
            .collect();
        let counts: serde_json::Map<String, Value> = STATES
            .iter()
            .zip(scan.counts)
            .map(|(k, n)| (k.to_string(), json!(n)))
            .collect();
        json!({
            "total": scan.total,
            "counts": counts,
            "matching": scan.matching,
            "offset": q.offset,
            "limit": q.limit,
            "schedules": rows,
        })
    }

    /// One schedule's row: identity, pattern, state, next fires, last and recent runs.
    fn page_row(&self, s: &Schedule) -> Value {
        let ids = &s.spec.fragments;
        let stats = &s.rt().stats;
        let last = stats.last_status.map(|status| {
            json!({ "status": status.as_str(), "at": stats.last_run.map(iso), "error": stats.last_error })
        });
        let mut recent: Vec<Value> = s
            .rt()
            .history
            .iter()
            .rev()
            .filter_map(|k| self.executions.get(k))
            .take(RECENT_RUNS)
            .map(recent_run)
            .collect();
        recent.reverse();
        let next: Vec<String> = self
            .next_times(&ids.schedule_id, 3)
            .unwrap_or_default()
            .into_iter()
            .map(iso)
            .collect();
        let health = self.health_json(s);
        // Runs still going past the schedule's period (or stallAfterMs), oldest first.
        let stalled: Vec<Value> = health["issues"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i.get("executionId").is_some())
            .map(|i| {
                json!({
                    "executionId": i["executionId"],
                    "runningMs": i["runningMs"],
                    "severity": i["severity"],
                    "message": i["message"],
                })
            })
            .collect();
        // No handler here: its fires are skipped (no_handler). Undeclared: schedule() made
        // it on an earlier boot and this process has not declared it.
        let handled = self.handles(&ids.schedule_id);
        let undeclared = !handled && super::handlers::declared_by_schedule(s);
        json!({
            "scheduleId": &*ids.schedule_id,
            "configId": &*ids.config_id,
            "workflowId": &*ids.workflow_id,
            "name": s.spec.name(),
            "cron": s.spec.pattern.source(),
            "timezone": s.spec.zone.name(),
            "state": s.state(),
            "pauseNote": s.pause_note,
            "health": health["status"],
            "stalled": stalled,
            "handled": handled,
            "undeclared": undeclared,
            "nextFires": next,
            "last": last,
            "recent": recent,
        })
    }
}

/// A fire waiting in the merge: (instant, slot, fires so far, schedule id); the id tells a
/// slot reused since the scan.
type Pending = Reverse<(DateTime<Utc>, u32, u64, Arc<str>)>;

/// A timeline in progress: every schedule's next fire in a heap, merged in time order.
pub struct Timeline {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    heap: BinaryHeap<Pending>,
    listed: Vec<(DateTime<Utc>, Arc<str>)>,
    truncated: bool,
    merged: usize,
    /// The instant being counted for collisions: (at, rare schedules firing, their first ids).
    group: Option<(DateTime<Utc>, usize, Vec<Arc<str>>)>,
    piles: Vec<(DateTime<Utc>, usize, Vec<Arc<str>>)>,
    pile_count: usize,
    /// Collisions are counted up to here (the whole window when the budget sufficed).
    counted_until: Option<DateTime<Utc>>,
}

impl Timeline {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Timeline {
        Timeline {
            from,
            to,
            heap: BinaryHeap::new(),
            listed: Vec::new(),
            truncated: false,
            merged: 0,
            group: None,
            piles: Vec::new(),
            pile_count: 0,
            counted_until: None,
        }
    }

    pub fn is_done(&self) -> bool {
        self.heap.is_empty() || self.merged >= TIMELINE_BUDGET
    }

    fn close_group(&mut self) {
        let Some((at, n, ids)) = self.group.take() else {
            return;
        };
        if n < 2 {
            return;
        }
        self.pile_count += 1;
        self.piles.push((at, n, ids));
        // Largest first, earlier first among equals; only the top few are kept.
        self.piles.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.piles.truncate(COLLISION_TOP);
    }

    fn count_fire(&mut self, at: DateTime<Utc>, id: &Arc<str>, rare: bool) {
        if self.group.as_ref().is_some_and(|g| g.0 != at) {
            self.close_group();
        }
        let group = self.group.get_or_insert_with(|| (at, 0, Vec::new()));
        if rare {
            group.1 += 1;
            if group.2.len() < IDS_PER_INSTANT {
                group.2.push(id.clone());
            }
        }
    }
}

impl Engine {
    /// Puts the next fire in the timeline's window of each schedule in `slots`.
    pub fn scan_fires(&self, t: &mut Timeline, slots: Range<usize>) {
        for (slot, s) in self.registry.in_slots(slots) {
            if let Some(at) = self.fires_next(s, t.from).filter(|at| *at <= t.to) {
                t.heap.push(Reverse((
                    at,
                    slot,
                    s.fired,
                    s.spec.fragments.schedule_id.clone(),
                )));
            }
        }
    }

    /// Takes up to `steps` fires off the heap, in time order, each schedule's following fire
    /// going back in.
    pub fn merge_fires(&self, t: &mut Timeline, steps: usize) {
        for _ in 0..steps {
            if t.is_done() {
                break;
            }
            let Some(Reverse((at, slot, fired, id))) = t.heap.pop() else {
                break;
            };
            let Some(s) = self
                .schedule_at(slot)
                .filter(|s| *s.spec.fragments.schedule_id == *id)
            else {
                continue;
            };
            t.merged += 1;
            let next = next_occurrence(&s.spec, at, fired + 1);
            let rare =
                next.is_none_or(|n| n - at >= Duration::milliseconds(COLLISION_MIN_PERIOD_MS));
            t.count_fire(at, &id, rare);
            t.counted_until = Some(at);
            if t.listed.len() < TIMELINE_FIRES {
                t.listed.push((at, id.clone()));
            } else {
                t.truncated = true;
            }
            if let Some(n) = next.filter(|n| *n <= t.to) {
                t.heap.push(Reverse((n, slot, fired + 1, id)));
            }
        }
    }

    /// The timeline's answer: fires by instant, counts of the schedules that appear, and the
    /// largest collisions of rarely-firing schedules.
    pub fn finish_timeline(&self, mut t: Timeline) -> Value {
        let complete = t.heap.is_empty();
        t.close_group();
        let until = if t.truncated {
            t.listed.last().map_or(t.to, |l| l.0)
        } else {
            t.to
        };
        let mut fires: Vec<Value> = Vec::new();
        let mut counts: HashMap<Arc<str>, usize> = HashMap::new();
        let mut order: Vec<Arc<str>> = Vec::new();
        let mut i = 0;
        while i < t.listed.len() {
            let at = t.listed[i].0;
            let mut ids = Vec::new();
            while i < t.listed.len() && t.listed[i].0 == at {
                let id = &t.listed[i].1;
                *counts.entry(id.clone()).or_insert_with(|| {
                    order.push(id.clone());
                    0
                }) += 1;
                ids.push(&*t.listed[i].1);
                i += 1;
            }
            fires.push(json!({ "at": iso(at), "scheduleIds": ids }));
        }
        let schedules: Vec<Value> = order
            .iter()
            .map(|id| json!({ "scheduleId": &**id, "count": counts[id], "until": iso(until), "truncated": t.truncated }))
            .collect();
        let instants: Vec<Value> = t
            .piles
            .iter()
            .map(|(at, n, ids)| {
                json!({ "at": iso(*at), "count": n, "scheduleIds": ids.iter().map(|x| &**x).collect::<Vec<_>>() })
            })
            .collect();
        json!({
            "from": iso(t.from),
            "to": iso(t.to),
            "fires": fires,
            "truncated": t.truncated,
            "until": iso(until),
            "schedules": schedules,
            "collisions": {
                "minPeriodMs": COLLISION_MIN_PERIOD_MS,
                "instants": instants,
                "total": t.pile_count,
                "complete": complete,
                "until": iso(if complete { t.to } else { t.counted_until.unwrap_or(t.from) }),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{at, config};
    use super::super::{Engine, EngineOptions};
    use super::*;

    fn engine(configs: &[(&str, &str)]) -> Engine {
        let mut e = Engine::new(EngineOptions::default(), Some(at("2026-03-07T12:00:00Z")));
        e.start().unwrap();
        for (id, cron) in configs {
            e.create(config(id, cron, json!({}))).unwrap();
        }
        e
    }

    fn page(e: &Engine, query: Value) -> Value {
        let q = parse_page_query(&query, "query").unwrap();
        let mut scan = PageScan::default();
        // Two slots per range, as the binding's ranges cut a scan.
        for start in (0..e.slot_count()).step_by(2) {
            e.scan_page(&q, start..start + 2, &mut scan);
        }
        e.finish_page(&q, scan)
    }

    fn ids(page: &Value) -> Vec<&str> {
        page["schedules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["scheduleId"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn a_page_is_searched_filtered_sorted_and_counted_over_every_schedule() {
        let mut e = engine(&[
            ("b", "0 30 * * * *"),
            ("a", "0 0 * * * *"),
            ("night", "0 0 3 * * *"),
            ("c", "0 */10 * * * *"),
        ]);
        e.pause("s-night", None).unwrap();
        let all = page(&e, json!({ "limit": 2 }));
        assert_eq!(ids(&all), ["s-a", "s-b"]);
        assert_eq!(all["total"], 4);
        assert_eq!(all["matching"], 4);
        assert_eq!(
            all["counts"],
            json!({ "active": 3, "paused": 1, "disabled": 0, "expired": 0 })
        );
        assert_eq!(
            ids(&page(&e, json!({ "limit": 2, "offset": 2 }))),
            ["s-c", "s-night"]
        );
        // By next fire: 12:10, 12:30, 13:00; the paused one never fires, so it comes last.
        let by_next = page(&e, json!({ "sort": "nextFire" }));
        assert_eq!(ids(&by_next), ["s-c", "s-b", "s-a", "s-night"]);
        assert_eq!(
            by_next["schedules"][0]["nextFires"][0],
            "2026-03-07T12:10:00.000Z"
        );
        assert_eq!(ids(&page(&e, json!({ "search": "NIG" }))), ["s-night"]);
        assert_eq!(
            ids(&page(&e, json!({ "state": "active", "search": "s-" }))).len(),
            3
        );
        let window = json!({ "nextAfter": { "$date": at("2026-03-07T12:20:00Z").timestamp_millis() },
                             "nextBefore": { "$date": at("2026-03-07T12:45:00Z").timestamp_millis() } });
        assert_eq!(ids(&page(&e, window)), ["s-b"]);
        assert_eq!(
            ids(&page(&e, json!({ "executionId": "exec_unknown" }))),
            Vec::<&str>::new()
        );
        let run = e.trigger("s-b", Value::Null).unwrap();
        assert_eq!(ids(&page(&e, json!({ "executionId": run }))), ["s-b"]);
        assert!(parse_page_query(&json!({ "limit": 501 }), "query").is_err());
        assert!(parse_page_query(&json!({ "state": "sleeping" }), "query").is_err());
    }

    fn timeline(e: &Engine, hours: i64) -> Value {
        let from = e.now();
        let mut t = Timeline::new(from, from + Duration::hours(hours));
        e.scan_fires(&mut t, 0..e.slot_count());
        while !t.is_done() {
            e.merge_fires(&mut t, 3);
        }
        e.finish_timeline(t)
    }

    #[test]
    fn the_timeline_merges_fires_in_order_and_reports_collisions_of_rare_schedules_only() {
        let e = engine(&[
            ("hourly", "0 0 * * * *"),
            ("daily", "0 0 13 * * *"),
            ("often", "*/5 * * * * *"),
            ("often2", "*/10 * * * * *"),
        ]);
        let t = timeline(&e, 2);
        let fires = t["fires"].as_array().unwrap();
        assert_eq!(fires[0]["at"], "2026-03-07T12:00:05.000Z");
        assert!(fires
            .windows(2)
            .all(|w| w[0]["at"].as_str() < w[1]["at"].as_str()));
        // 2 h of a 5 s and a 10 s job: 2,160 fires, more than the listing holds.
        assert_eq!(t["truncated"], true);
        assert_eq!(
            fires
                .iter()
                .map(|f| f["scheduleIds"].as_array().unwrap().len())
                .sum::<usize>(),
            TIMELINE_FIRES
        );
        // The 5 s and 10 s jobs meet every 10 s: not a collision. The hourly and the daily
        // job meet at 13:00: the one collision.
        let c = &t["collisions"];
        assert_eq!(c["complete"], true);
        assert_eq!(c["total"], 1);
        assert_eq!(
            c["instants"],
            json!([{ "at": "2026-03-07T13:00:00.000Z", "count": 2, "scheduleIds": ["s-hourly", "s-daily"] }])
        );
    }
}
