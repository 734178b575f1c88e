//! A cluster node's coordinator, beside its engine (both under the engine's lock:
//! `guard::EngineGuard`). It keeps what the node knows of the database and of the other
//! nodes: the version of each schedule it holds, the schedules its operations are on, where
//! it follows the others from, who is alive, and when it last followed, claimed and reaped.
//! With that it decides which rows the engine applies (`apply`), which due timers this
//! node fires (`take_due`), and what a turn starts with (`turn_start`). It touches no
//! database either: `cluster_driver` and `operation` do the I/O and hand it what they read.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};

use super::core::{Engine, Lifecycle};
use super::incoming::Incoming;
use super::timers::Timer;
use super::EngineError;
use crate::cluster::{ClusterError, Locked, NodeState, Tail};
use crate::store::Snapshot;

/// A lost notification is covered by a look at the database this often.
pub(super) const POLL: StdDuration = StdDuration::from_millis(1_000);
/// Other nodes' commits are read at most this often: under load, many commits (and several
/// changes of one row) are read at once.
pub(super) const TAIL_EVERY: StdDuration = StdDuration::from_millis(50);
/// Dead nodes are looked for this often.
const REAP: StdDuration = StdDuration::from_millis(1_000);
/// How long claims may wait while a herd's fires are recorded (`cluster_driver::work`).
/// Turns of fires alone recorded a 20,000 herd's fires in 1.47 s instead of 2.05 s, and
/// finished the herd as soon (`node bench/cluster-async.js 20000 10`).
const CLAIM_HOLD: StdDuration = StdDuration::from_millis(250);
/// A timer whose schedule another node holds is looked at again this much later.
pub(super) const DEFER_MS: i64 = 200;
/// What `take_due` takes for a turn: the timers (with their instants), the schedules to
/// lock for them, and whether more are due at once.
pub(super) type TakenDue = (Vec<(DateTime<Utc>, Timer)>, Vec<String>, bool);
/// Each schedule has a preferred node among those alive (rendezvous hashing): it fires the
/// schedule, and the others only step in when it has not this long after the due time,
/// in a turn without timers of their own due, or `STEP_IN_LATEST_MS` later (`take_due`).
/// So firing (and the work a fire starts) spreads over the nodes, and nodes do not race
/// for the same rows.
const STEP_IN_MS: i64 = 100;
/// A node with its own timers due still steps in for a fire this long past its time to
/// step in, with room in its turn: a steady stream of its own timers (timeouts, retries)
/// holds another node's schedule back no longer, well within the misfire threshold's
/// default (1 s). Only a backlog of its own that fills its turns holds it longer.
const STEP_IN_LATEST_MS: i64 = 400;
/// How long a node without a schedule's handler leaves its fire to nodes with one.
const NO_HANDLER_WAIT_MS: i64 = 2_000;

pub(crate) struct Coordinator {
    /// The node's session as its own task keeps it (token, lease, clock offset, news); the
    /// database itself is the driver's (`Shared::cluster_db`).
    node: Arc<NodeState>,
    /// The version of each schedule as this node last saw it.
    versions: HashMap<String, i64>,
    /// Schedules an operation of this node is between its phases on (`operation`), with
    /// how many.
    busy: HashMap<String, u32>,
    /// Where the next follow reads from: the oldest transaction open at the last one.
    xmin: String,
    /// The session's incarnation as last seen: a new one means the node joined again.
    incarnation: u64,
    /// When this node last followed the others, and last looked for dead nodes.
    last_tail: Instant,
    last_reap: Instant,
    /// When this node last claimed queued work (`cluster_driver::work`).
    last_claim: Instant,
    /// The last operation failed on the database: reported once until one succeeds.
    failing: bool,
    /// The tokens of the nodes alive, as of the last look.
    peers: Vec<String>,
    /// Schedules a failed commit touched and that could not be read back yet.
    suspect: Vec<String>,
    /// History retention in the database (`history`).
    retention: Retention,
}

/// What a node read from the database to join the cluster (`Shared::attach_cluster`).
pub(crate) struct Joining {
    /// What the cluster holds: every schedule, the executions not final.
    pub(super) tail: Tail,
    /// This node's first block of ids (none for an observer).
    pub(super) block: u64,
    pub(super) node: Arc<NodeState>,
    pub(super) location: String,
    pub(super) observer: bool,
}

/// Where a node's retention stands.
#[derive(Debug)]
struct Retention {
    /// The schedule id after which the next count check starts.
    cursor: String,
    next: Instant,
}

/// Whose turn a due timer is, on this node (`Coordinator::turn_of`).
enum Turn {
    Own,
    /// Since when this node may step in.
    StepIn(DateTime<Utc>),
    NotBefore(DateTime<Utc>),
}

impl Coordinator {
    /// Makes what the cluster holds `engine`'s state, and the coordinator that keeps its
    /// versions. When the engine cannot take a store now, it is left as it was; when what
    /// the cluster holds cannot be restored, it is left empty, still expecting a store.
    pub(super) fn join(engine: &mut Engine, joining: Joining) -> Result<Coordinator, EngineError> {
        engine.check_attachable()?;
        let Joining {
            tail,
            block,
            node,
            location,
            observer,
        } = joining;
        let mut versions = HashMap::new();
        let mut schedules = Vec::new();
        for v in tail.schedules {
            versions.insert(v.row.schedule_id.clone(), v.version);
            if !v.deleted {
                schedules.push(v.row);
            }
        }
        let snapshot = Snapshot {
            // The engine's counter comes from this node's own block.
            seq: 0,
            schedules,
            executions: tail.executions,
            skips: tail.skips,
        };
        engine.join_cluster(snapshot, &location, block, node.clone(), observer)?;
        let now = Instant::now();
        Ok(Coordinator {
            incarnation: node.incarnation.load(Ordering::SeqCst),
            node,
            versions,
            busy: HashMap::new(),
            xmin: tail.xmin,
            last_tail: now,
            last_reap: now - REAP,
            // A herd due at the join is claimed from at once.
            last_claim: now - CLAIM_HOLD,
            failing: false,
            peers: Vec::new(),
            suspect: Vec::new(),
            retention: Retention {
                cursor: String::new(),
                next: now,
            },
        })
    }

    /// A database error on an operation, reported once until one succeeds again.
    pub(super) fn db_failed(&mut self, engine: &mut Engine, e: ClusterError) -> EngineError {
        // A second run refused, a row another session held too long: no outage; the
        // operation is taken back (or tried again), nothing more.
        let busy = matches!(
            e,
            ClusterError::Duplicate { .. } | ClusterError::LockTimeout(_)
        );
        if !busy && !std::mem::replace(&mut self.failing, true) {
            let text = format!("{e}; tickflow retries until it works again (reported once)");
            engine.report_error(e.code(), &text);
        }
        EngineError::Cluster(e)
    }

    // ---------------------------------------------------------------------------------
    // Following the others

    /// Where the next follow reads from.
    pub(super) fn follow_from(&self) -> String {
        self.xmin.clone()
    }

    /// A follow read everything up to `xmin`.
    pub(super) fn followed(&mut self, xmin: String) {
        self.xmin = xmin;
        self.last_tail = Instant::now();
        self.failing = false;
    }

    /// Rows read from the database, applied to `engine` where they are newer than what it
    /// holds and no operation of this node is on their schedule (`authoritative`: these
    /// schedules as they are, whatever this node holds; see `Engine::apply`).
    pub(super) fn apply(
        &mut self,
        engine: &mut Engine,
        incoming: Incoming,
        authoritative: Option<&[String]>,
    ) {
        let (versions, busy) = (&self.versions, &self.busy);
        // Not while an operation of this node is on it: its version makes the next
        // operation read it (`operation`).
        let keep = |id: &str, version: i64| {
            versions.get(id).is_some_and(|known| *known >= version) || busy.contains_key(id)
        };
        let applied = engine.apply(incoming, authoritative, keep);
        for (id, version) in applied.versions {
            match version {
                Some(version) => self.versions.insert(id, version),
                None => self.versions.remove(&id),
            };
        }
        self.read_again(applied.read_again);
    }

    /// These schedules are read back from the database at the next turn (`turn_start`
    /// hands them to the driver), and until then no version of them is known, so that an
    /// operation on them reads them first.
    pub(super) fn read_again(&mut self, ids: Vec<String>) {
        self.forget_versions(&ids);
        self.suspect.extend(ids);
    }

    /// No version of these schedules is known (their rows are being read back now): the
    /// next operation on them reads them first. Unlike `read_again`, nothing is queued.
    pub(super) fn forget_versions(&mut self, ids: &[String]) {
        for id in ids {
            self.versions.remove(id);
        }
    }

    /// How soon the driver must look again, for news it holds back (`TAIL_EVERY`).
    pub(super) fn wait(&self) -> Option<StdDuration> {
        if !self.node.changed.load(Ordering::SeqCst) {
            return None;
        }
        Some(TAIL_EVERY.saturating_sub(self.last_tail.elapsed()))
    }

    // ---------------------------------------------------------------------------------
    // A driver's turn

    /// The in-memory start of a driver's turn: reports, a new incarnation, and whether to
    /// follow the others now; the schedules to read back.
    pub(super) fn turn_start(&mut self, engine: &mut Engine) -> (bool, Vec<String>) {
        let node = self.node.clone();
        let reports: Vec<_> =
            std::mem::take(&mut *node.reports.lock().unwrap_or_else(|p| p.into_inner()));
        for (code, message) in reports {
            engine.report_error(code, &message);
        }
        let incarnation = node.incarnation.load(Ordering::SeqCst);
        if incarnation != self.incarnation {
            // The node joined again under a new token: whatever it ran under the old one
            // has been (or will be) taken over. (What it started under the new one, in a
            // turn that began before this one saw the change, is its own.)
            self.incarnation = incarnation;
            engine.abandon_local_attempts(Some(&node.token()));
        }
        // Cut off from the database past its lease: the other nodes are taking its attempts
        // over, so they stop here (their late answers are recorded once it is back).
        if node.lease_lapsed()
            && engine.run_queue.running_len() > 0
            && engine.lifecycle == Lifecycle::Running
        {
            engine.abandon_local_attempts(None);
            // Not under this token again, even if its lease is renewed after all: the
            // attempts just given up would stay running in the database.
            node.fence();
        }
        let since = self.last_tail.elapsed();
        let news = node.changed.load(Ordering::SeqCst);
        let follow = since >= POLL || (news && since >= TAIL_EVERY);
        if follow {
            node.changed.store(false, Ordering::SeqCst);
        }
        (follow, std::mem::take(&mut self.suspect))
    }

    /// Whether this node fires `timer` now: its own (a fire it is preferred for, or a retry or
    /// timeout), another node's it may step in for, or another node's not yet. A node
    /// without the schedule's handler waits longer, for one with it; when none fired it by
    /// then, it records the occurrence skipped (no_handler). `token` is this node's.
    fn turn_of(&self, engine: &Engine, token: &str, timer: &Timer, now: DateTime<Utc>) -> Turn {
        let Timer::Fire { schedule, .. } = timer else {
            return Turn::Own;
        };
        let Some(s) = engine.schedule_at(*schedule) else {
            return Turn::Own;
        };
        let wait_ms = if !engine.handles(&s.spec.fragments.schedule_id) {
            NO_HANDLER_WAIT_MS
        } else {
            let preferred = self
                .peers
                .iter()
                .max_by_key(|peer| rendezvous(&s.spec.fragments.schedule_id, peer));
            if preferred.is_none_or(|p| *p == token) {
                return Turn::Own;
            }
            STEP_IN_MS
        };
        let Some(next_fire) = s.next_fire else {
            return Turn::Own;
        };
        let due =
            next_fire + chrono::Duration::milliseconds(s.spec.extras().jitter_ms as i64 + wait_ms);
        if now < due {
            Turn::NotBefore(due)
        } else {
            Turn::StepIn(due)
        }
    }

    /// The timers due now that this node fires (at most `limit`), with the schedules to
    /// lock for them; whether more are due at once.
    pub(super) fn take_due(
        &self,
        engine: &mut Engine,
        now: DateTime<Utc>,
        limit: usize,
        live: bool,
    ) -> TakenDue {
        let mut due = Vec::new();
        let mut later = Vec::new();
        // Every node holds every timer, in the same order: each takes its slice from a
        // place of its own among what is due, so that nodes racing for a herd lock
        // different rows instead of queueing behind each other's locks.
        let mut popped = Vec::new();
        while popped.len() < limit * 4 {
            let Some(item) = engine.timers.pop_due(now) else {
                break;
            };
            popped.push(item);
        }
        if popped.len() > limit {
            let start = (engine.random() % popped.len() as u64) as usize;
            popped.rotate_left(start);
        }
        let mut step_ins = Vec::new();
        // Read once a turn: the session keeps it behind a lock.
        let token = self.node.token();
        for (at, timer) in popped {
            if due.len() >= limit {
                engine.timers.push(at, timer);
                continue;
            }
            // Without a lease this node fires nothing; its own attempts still time out.
            if !live && !matches!(timer, Timer::Timeout { .. }) {
                later.push((at, timer));
                continue;
            }
            match self.turn_of(engine, &token, &timer, now) {
                Turn::Own => due.push((at, timer)),
                Turn::StepIn(since) => step_ins.push((at, timer, since)),
                Turn::NotBefore(until) => engine.timers.push(until, timer),
            }
        }
        // A node steps in for the others in a turn without timers of its own: in a herd
        // every node is busy with its own share, and stepping in meanwhile would race the
        // others for rows they are about to fire, and read back rows they just fired. A
        // fire left that long (`STEP_IN_LATEST_MS`) is stood in for anyway, with room left.
        let own_due = !due.is_empty();
        let latest = now - chrono::Duration::milliseconds(STEP_IN_LATEST_MS);
        for (at, timer, since) in step_ins {
            if due.len() < limit && (!own_due || since <= latest) {
                due.push((at, timer));
            } else {
                engine.timers.push(at, timer);
            }
        }
        let more = engine.timers.next_due().is_some_and(|d| d <= now);
        let defer = now + chrono::Duration::milliseconds(DEFER_MS);
        for (_, timer) in later {
            engine.timers.push(defer, timer);
        }
        let mut ids: Vec<String> = due
            .iter()
            .filter_map(|(_, t)| engine.timer_schedule(t))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        (due, ids, more)
    }

    /// Whether claims wait this turn: while more fires are due at once (a herd), they are
    /// recorded first, in turns of their own; queued work is claimed at least every
    /// `CLAIM_HOLD` meanwhile, so that a node that never catches up with its timers still
    /// runs work.
    pub(super) fn holds_claims(&self, more_due: bool) -> bool {
        more_due && self.last_claim.elapsed() < CLAIM_HOLD
    }

    pub(super) fn claimed(&mut self) {
        self.last_claim = Instant::now();
    }

    /// Whether it is time to look for dead nodes (noted as done).
    pub(super) fn reap_due(&mut self) -> bool {
        if self.last_reap.elapsed() < REAP {
            return false;
        }
        self.last_reap = Instant::now();
        true
    }

    /// The nodes alive, as the last look found them.
    pub(super) fn set_peers(&mut self, alive: Vec<String>) {
        self.peers = alive;
    }

    /// Where retention in the database goes on from, when a pass is due (noted as begun).
    pub(super) fn retention_due(&mut self, every: StdDuration) -> Option<String> {
        if Instant::now() < self.retention.next {
            return None;
        }
        self.retention.next = Instant::now() + every;
        Some(self.retention.cursor.clone())
    }

    /// A retention pass ended at `cursor`; with more to do, the next follows at once.
    pub(super) fn retention_done(&mut self, cursor: String, more: bool) {
        self.retention.cursor = cursor;
        if more || !self.retention.cursor.is_empty() {
            self.retention.next = Instant::now();
        }
    }

    // ---------------------------------------------------------------------------------
    // Operations (`operation`)

    /// Phase 3: marks the locked rows and returns those this node holds an older version
    /// of; `None` when another operation of this node still holds a mark on one of them.
    pub(super) fn mark(&mut self, locked: &Locked) -> Option<Vec<String>> {
        if locked
            .versions
            .iter()
            .any(|(id, _)| self.busy.contains_key(id))
        {
            return None;
        }
        let stale = locked
            .versions
            .iter()
            .filter(|(id, v)| self.versions.get(id) != Some(v))
            .map(|(id, _)| id.clone())
            .collect();
        let ids: Vec<String> = locked.versions.iter().map(|(id, _)| id.clone()).collect();
        self.mark_ids(&ids);
        Some(stale)
    }

    pub(super) fn mark_ids(&mut self, ids: &[String]) {
        for id in ids {
            *self.busy.entry(id.clone()).or_insert(0) += 1;
        }
    }

    pub(super) fn unmark(&mut self, ids: &[String]) {
        for id in ids {
            if let Some(n) = self.busy.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    self.busy.remove(id);
                }
            }
        }
    }

    /// Phase 7: the commit made these versions.
    pub(super) fn committed(&mut self, versions: impl IntoIterator<Item = (String, i64)>) {
        self.versions.extend(versions);
        self.failing = false;
    }
}

/// Rendezvous (highest random weight) hashing: every node computes the same preferred node
/// for a schedule from the same list, and a node joining or leaving moves only its share.
fn rendezvous(schedule_id: &str, token: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in schedule_id.bytes().chain([0xff]).chain(token.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    // FNV alone mixes the last bytes weakly: finish with a multiply-xorshift.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::super::cluster::tests::schedule;
    use super::*;
    use crate::cluster::{VersionedRow, ID_BLOCK};

    /// `e` joined to a cluster in memory that holds `schedules`, with ids from `block`.
    fn join(e: &mut Engine, schedules: Vec<VersionedRow>, block: u64) -> Coordinator {
        e.expect_store();
        let tail = Tail {
            xmin: "1".into(),
            schedules,
            ..Default::default()
        };
        let joining = Joining {
            tail,
            block,
            node: NodeState::new("n1", Arc::new(|| {})),
            location: "test".into(),
            observer: false,
        };
        Coordinator::join(e, joining).unwrap()
    }

    #[test]
    fn a_joined_node_numbers_its_executions_from_its_block_without_the_database() {
        // The blocks' own rules: `numbers`.
        let mut e = Engine::new(Default::default(), None);
        join(&mut e, Vec::new(), ID_BLOCK);
        e.next_id("exec");
        assert_eq!(e.numbers.last(), ID_BLOCK + 1);
        assert!(e.needs_spare_block());
        e.add_spare_block(7 * ID_BLOCK);
        assert!(!e.needs_spare_block());
        assert!(!e.take_out_of_ids());
        assert!(e.outbox.is_empty(), "no error reported");
    }

    /// A schedule row due every minute, from `2026-03-01T00:00:00Z`.
    fn every_minute(id: &str) -> VersionedRow {
        let mut v = schedule(id);
        v.row.config = Some(format!(
            r#"{{"id":"{id}","scheduleId":"{id}","workflowId":"w","scheduleConfig":{{"cronExpression":"* * * * *"}}}}"#
        ));
        v.row.state =
            r#"{"paused":false,"expired":false,"fired":0,"cursor":1772323200000,"created":0}"#
                .into();
        v
    }

    #[test]
    fn in_a_herd_a_node_fires_its_own_share_before_it_steps_in_for_the_others() {
        let t0 = super::super::tests::at("2026-03-01T00:00:00Z");
        let mut e = Engine::new(Default::default(), Some(t0));
        let ids: Vec<String> = (0..300).map(|i| format!("s{i}")).collect();
        let mut c = join(
            &mut e,
            ids.iter().map(|id| every_minute(id)).collect(),
            ID_BLOCK,
        );
        e.start().unwrap();
        let me = e.node_token().unwrap();
        let peers = vec![me.clone(), "n2#x".to_string(), "n3#y".to_string()];
        c.set_peers(peers.clone());
        let own: std::collections::HashSet<&str> = ids
            .iter()
            .filter(|id| peers.iter().max_by_key(|p| rendezvous(id, p)) == Some(&me))
            .map(String::as_str)
            .collect();
        assert!(
            (60..140).contains(&own.len()),
            "about a third: {}",
            own.len()
        );
        let due = super::super::tests::at("2026-03-01T00:01:00Z");

        // Before the time to step in, only this node's own fires are taken.
        let (taken, schedules, more) = c.take_due(&mut e, due, 1_000, true);
        assert_eq!(taken.len(), own.len());
        assert!(schedules.iter().all(|id| own.contains(id.as_str())));
        assert!(!more, "the others' fires wait for their time to step in");
        for (at, timer) in taken {
            e.timers.push(at, timer);
        }

        // Past it, a node that still has its own fires due takes those first, turn after
        // turn, and steps in for the others only with room left in a turn.
        let later = due + chrono::Duration::milliseconds(STEP_IN_MS + 1);
        let mut turns = Vec::new();
        loop {
            let (taken, schedules, more) = c.take_due(&mut e, later, 40, true);
            assert!(taken.len() <= 40);
            let mine = schedules
                .iter()
                .filter(|id| own.contains(id.as_str()))
                .count();
            turns.push((mine, schedules.len() - mine));
            if !more {
                break;
            }
        }
        let own_turns = turns.iter().take_while(|(_, others)| *others == 0).count();
        assert_eq!(
            turns[..own_turns]
                .iter()
                .map(|(mine, _)| mine)
                .sum::<usize>(),
            own.len(),
            "{turns:?}"
        );
        assert!(
            turns[own_turns..].iter().all(|(mine, _)| *mine == 0),
            "{turns:?}"
        );
        assert_eq!(
            turns[own_turns..]
                .iter()
                .map(|(_, others)| others)
                .sum::<usize>(),
            ids.len() - own.len()
        );

        // A node whose own timers keep coming due still steps in, once a fire of another
        // node's has waited past STEP_IN_LATEST_MS.
        let (taken, ..) = c.take_due(&mut e, later, 1_000, true);
        assert!(taken.is_empty());
        for id in ids.iter().filter(|id| !own.contains(id.as_str())).take(3) {
            let slot = e.registry.slot_of(id).unwrap();
            e.timers.push(
                due,
                Timer::Fire {
                    schedule: slot,
                    generation: e.schedule_at(slot).unwrap().generation,
                },
            );
        }
        let busy = |e: &mut Engine| {
            for _ in 0..5 {
                e.timers.push(
                    due,
                    Timer::Retry {
                        execution: 999,
                        attempt: 1,
                    },
                );
            }
        };
        busy(&mut e);
        let (taken, ..) = c.take_due(&mut e, later, 40, true);
        assert_eq!(taken.len(), 5, "its own only: {taken:?}");
        let past = due + chrono::Duration::milliseconds(STEP_IN_MS + STEP_IN_LATEST_MS);
        busy(&mut e);
        let (taken, ..) = c.take_due(&mut e, past, 40, true);
        assert_eq!(taken.len(), 8, "its own and the others' now: {taken:?}");
    }

    #[test]
    fn rows_are_applied_when_newer_than_held_and_no_operation_is_on_them() {
        let mut e = Engine::new(Default::default(), None);
        let ids = ["a", "b", "c"];
        let mut c = join(
            &mut e,
            ids.iter().map(|id| every_minute(id)).collect(),
            ID_BLOCK,
        );
        let paused = |id: &str, version: i64| {
            let mut v = every_minute(id);
            v.version = version;
            v.row.state = v.row.state.replace(r#""paused":false"#, r#""paused":true"#);
            v
        };
        let follow = |rows| Incoming::read(rows, Vec::new(), Vec::new());
        let is_paused = |e: &Engine, id: &str| e.schedule(id).unwrap().paused;

        // "a" newer: applied. "b" as held: left. "c" newer, but an operation is on it.
        c.mark_ids(&["c".to_string()]);
        let rows = vec![paused("a", 2), paused("b", 1), paused("c", 2)];
        c.apply(&mut e, follow(rows), None);
        assert!(is_paused(&e, "a"));
        assert!(!is_paused(&e, "b"), "a version already held");
        assert!(!is_paused(&e, "c"), "marked");
        // An operation on "c" reads it first: its version is still the old one.
        let locked = |id: &str, version: i64| Locked {
            versions: vec![(id.to_string(), version)],
            executions: Vec::new(),
            live: true,
        };
        assert_eq!(c.mark(&locked("c", 2)), None, "still marked");
        c.unmark(&["c".to_string()]);
        assert_eq!(c.mark(&locked("c", 2)), Some(vec!["c".to_string()]));
        assert_eq!(c.mark(&locked("a", 2)), Some(vec![]), "version 2 held");
        c.unmark(&["a".to_string(), "c".to_string()]);

        // Read back for an operation (authoritative): applied whatever the version held,
        // and a schedule asked for and not found is gone, with its version.
        let asked = ["b".to_string(), "c".to_string()];
        c.apply(&mut e, follow(vec![paused("b", 1)]), Some(&asked));
        assert!(is_paused(&e, "b"));
        assert!(e.schedule("c").is_none(), "never committed");
        assert_eq!(c.mark(&locked("c", 2)), Some(vec!["c".to_string()]));
    }
}
