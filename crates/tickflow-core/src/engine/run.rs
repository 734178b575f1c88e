//! Firing schedules and running executions: the timer loop, catch-up, overlap policies,
//! the run queue, attempts, retries, timeouts and cancellation.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::config::{CatchupKind, OverlapPolicy};
use super::core::{next_occurrence, Engine, Lifecycle, Message, MAX_BACKFILL, MAX_CATCHUP_SCAN};
use super::execution::{Attempt, ErrorInfo, Execution, ExecutionStatus, Outcome, TriggerType};
use super::outbound::{Finished, Request, Skipped, Started, Triggered};
use super::timers::Timer;
use super::value::date_json;
use super::EngineError;

/// The failure JavaScript reports for an executor's result it cannot store
/// (lib/integration/executor-host.js).
pub(crate) const RESULT_NOT_SERIALIZABLE: &str = "RESULT_NOT_SERIALIZABLE";

const LATENCY_SAMPLES: usize = 10_000;
/// Interrupted attempts one execution may resume; past them the next interruption fails
/// it with INTERRUPTED, so that a handler that kills its process does not do so forever.
pub(crate) const MAX_RESUMES: u32 = 5;
pub(crate) const DURATION_SAMPLES: usize = 1_000;

impl Engine {
    // ---------------------------------------------------------------------------------
    // Time

    /// Handles every timer due at or before `now` (system clock).
    pub fn process_due(&mut self, now: DateTime<Utc>) {
        while self.process_due_some(now, usize::MAX) {}
    }

    /// Handles at most `limit` timers due at or before `now`; true when more are due. Lets
    /// the driver hand a herd of fires to JavaScript in slices instead of all at the end.
    pub fn process_due_some(&mut self, now: DateTime<Utc>, limit: usize) -> bool {
        for _ in 0..limit {
            let Some((due, timer)) = self.timers.pop_due(now) else {
                return false;
            };
            self.on_timer(timer, due, now);
        }
        self.timers.next_due().is_some_and(|d| d <= now)
    }

    /// Manual clock: moves time forward by `ms`. With `jump` false every timer fires at its
    /// own instant, as if the time had passed; with `jump` true the clock leaps, as when a
    /// host sleeps, and late fires go through their catch-up policy.
    pub fn advance(&mut self, ms: u64, jump: bool) -> Result<(), EngineError> {
        if !self.manual {
            return Err(EngineError::NotManualClock);
        }
        let target = self.now + Duration::milliseconds(ms as i64);
        if jump {
            self.now = target;
            self.process_due(target);
            return Ok(());
        }
        while let Some(due) = self.timers.next_due().filter(|d| *d <= target) {
            self.now = due.max(self.now);
            let now = self.now;
            if let Some((due, timer)) = self.timers.pop_due(now) {
                self.on_timer(timer, due, now);
            }
        }
        self.now = target;
        Ok(())
    }

    /// After a fault interrupted timer handling: the popped timer may be lost, so every
    /// schedule is armed again from its cursor (a fire that was lost comes back as a late
    /// fire, under its catch-up policy), retries that were waiting run now, and running
    /// attempts get their timeouts back.
    pub fn recover(&mut self) {
        for index in 0..self.registry.slot_count() as u32 {
            if self.schedule_at(index).is_some() {
                self.arm(index);
            }
        }
        let mut waiting = Vec::new();
        let mut timeouts = Vec::new();
        for (key, e) in &self.executions {
            match e.status {
                ExecutionStatus::Retrying => waiting.push(*key),
                ExecutionStatus::Running => {
                    let timeout = self
                        .schedule(&e.schedule_id)
                        .and_then(|s| s.spec.extras().timeout_ms);
                    if let (Some(ms), Some(a)) = (timeout, e.attempts.last()) {
                        timeouts.push((
                            a.started + Duration::milliseconds(ms as i64),
                            *key,
                            a.number,
                        ));
                    }
                }
                _ => {}
            }
        }
        for (at, execution, attempt) in timeouts {
            self.timers.push(at, Timer::Timeout { execution, attempt });
        }
        for key in waiting {
            self.enqueue(key);
        }
        self.dispatch();
    }

    /// Manual clock, one step: handles the timers due at the earliest instant up to
    /// `target` and moves the clock there. Returns false (and moves the clock to `target`)
    /// once nothing more is due, so a caller can let executors settle between steps.
    pub fn advance_step(&mut self, target: DateTime<Utc>) -> Result<bool, EngineError> {
        if !self.manual {
            return Err(EngineError::NotManualClock);
        }
        let now = self.now;
        match self.timers.next_due().filter(|d| *d <= target) {
            Some(due) => {
                let at = due.max(now);
                self.now = at;
                self.process_due(at);
                Ok(true)
            }
            None => {
                self.now = target.max(now);
                Ok(false)
            }
        }
    }

    pub(crate) fn on_timer_now(&mut self, timer: Timer, due: DateTime<Utc>, now: DateTime<Utc>) {
        self.on_timer(timer, due, now)
    }

    fn on_timer(&mut self, timer: Timer, due: DateTime<Utc>, now: DateTime<Utc>) {
        let stopping_timeout =
            self.lifecycle == Lifecycle::Stopping && matches!(timer, Timer::Timeout { .. });
        if self.lifecycle != Lifecycle::Running && !stopping_timeout {
            return;
        }
        if std::mem::take(&mut self.fault_armed) {
            panic!("injected fault while handling {timer:?}");
        }
        match timer {
            Timer::Fire {
                schedule,
                generation,
            } => self.on_fire(schedule, generation, due, now),
            Timer::Retry { execution, attempt } => {
                let current = self
                    .executions
                    .get(&execution)
                    .map(|e| (e.status, e.attempt()));
                if current == Some((ExecutionStatus::Retrying, attempt)) {
                    self.enqueue(execution);
                    self.dispatch();
                }
            }
            Timer::Timeout { execution, attempt } => self.on_timeout(execution, attempt),
        }
    }

    fn on_fire(&mut self, index: u32, generation: u32, due: DateTime<Utc>, now: DateTime<Utc>) {
        let threshold = Duration::milliseconds(self.options.misfire_threshold_ms as i64);
        let Some(s) = self.schedule_at(index) else {
            return;
        };
        if s.generation != generation || s.paused || s.expired {
            return;
        }
        let Some(first) = s.next_fire else {
            return;
        };
        if s.next_is_dst_skip {
            self.skip(index, first, "dst");
            self.advance_cursor(index, first);
            self.arm(index);
            return;
        }
        if !s.spec.enabled {
            // Disabled schedules keep their timer so that each passing occurrence is
            // recorded as skipped.
            self.skip(index, first, "disabled");
            self.advance_cursor(index, first);
            self.arm(index);
            return;
        }
        // Nothing in this process could run it: recorded as skipped, not failed.
        let handled = self.handles(&s.spec.fragments.schedule_id);
        if now - due <= threshold {
            self.advance_cursor(index, first);
            if handled {
                self.fire(index, first, TriggerType::Scheduled, false);
            } else {
                self.skip(index, first, "no_handler");
            }
            self.arm(index);
            return;
        }
        // Late: collect every occurrence up to now, then let the catch-up policy choose.
        let spec = s.spec.clone();
        let mut missed = vec![first];
        let mut fired = s.fired;
        while missed.len() < MAX_CATCHUP_SCAN {
            fired += 1;
            match next_occurrence(&spec, *missed.last().expect("non-empty"), fired) {
                Some(at) if at <= now => missed.push(at),
                _ => break,
            }
        }
        let catchup = spec.extras().catchup;
        let window = Duration::milliseconds(catchup.window_ms as i64);
        let in_window: Vec<bool> = missed.iter().map(|at| now - *at <= window).collect();
        let mut run = vec![false; missed.len()];
        match catchup.policy {
            CatchupKind::Skip => {}
            CatchupKind::Once => {
                if let Some(last) = in_window.iter().rposition(|w| *w) {
                    run[last] = true;
                }
            }
            CatchupKind::All => {
                let cap = catchup.max_runs.unwrap_or(u64::MAX) as usize;
                // The most recent runs are kept when maxRuns cuts the list.
                let mut kept = 0;
                for i in (0..missed.len()).rev() {
                    if in_window[i] && kept < cap {
                        run[i] = true;
                        kept += 1;
                    }
                }
            }
        }
        for (at, go) in missed.iter().zip(run) {
            self.advance_cursor(index, *at);
            if !handled {
                self.skip(index, *at, "no_handler");
            } else if go {
                let each = catchup.policy == CatchupKind::All;
                self.fire(index, *at, TriggerType::Catchup, each);
            } else {
                self.skip(index, *at, "misfire");
            }
        }
        self.arm(index);
    }

    fn advance_cursor(&mut self, index: u32, at: DateTime<Utc>) {
        if let Some(s) = self.schedule_mut(index) {
            s.cursor = s.cursor.max(at);
            self.touch_schedule(index);
        }
    }

    /// Records a due occurrence that does not run, and why.
    pub(crate) fn skip(&mut self, index: u32, at: DateTime<Utc>, reason: &'static str) {
        let now = self.now();
        let Some(s) = self.schedule_mut(index) else {
            return;
        };
        let rt = s.rt_mut();
        rt.stats.skipped += 1;
        rt.stats.skipped_by[super::metrics::skip_index(reason)] += 1;
        rt.skips.push_back((at, now, reason));
        let schedule_id = s.spec.fragments.schedule_id.clone();
        self.touch_schedule(index);
        self.journal_skip(crate::store::SkipRow {
            schedule_id: schedule_id.to_string(),
            scheduled_ms: at.timestamp_millis(),
            reason: reason.to_string(),
            recorded_ms: now.timestamp_millis(),
        });
        self.totals.skipped += 1;
        self.totals.skipped_by[super::metrics::skip_index(reason)] += 1;
        if self.wants("schedule.skipped") {
            if let Some(s) = self.schedule_at(index) {
                let schedule = s.spec.fragments.clone();
                let event = self.outbox.next_event();
                self.outbox.push(Message::Skipped(Skipped {
                    slot: index,
                    schedule,
                    event,
                    at_ms: now.timestamp_millis(),
                    scheduled_ms: at.timestamp_millis(),
                    reason,
                }));
            }
        }
    }

    /// A scheduled or catch-up occurrence: applies the overlap policy. `each`: the catch-up
    /// policy 'all' asked for every missed occurrence, so while one runs the others wait
    /// their turn, whatever the overlap policy would drop.
    fn fire(&mut self, index: u32, at: DateTime<Utc>, trigger: TriggerType, each: bool) {
        self.touch_schedule(index);
        let Some(s) = self.schedule_mut(index) else {
            return;
        };
        s.fired += 1;
        if s.rt_mut().active.is_empty() && s.rt_mut().buffered.is_empty() {
            self.create_execution(index, at, trigger, Value::Null, None);
            return;
        }
        match s.spec.overlap {
            OverlapPolicy::Allow => {
                self.create_execution(index, at, trigger, Value::Null, None);
            }
            OverlapPolicy::Skip | OverlapPolicy::BufferOne if each => {
                s.rt_mut().buffered.push_back((at, trigger))
            }
            OverlapPolicy::Skip => {
                s.fired -= 1;
                self.skip(index, at, "overlap");
            }
            OverlapPolicy::BufferOne => {
                if s.rt_mut().buffered.is_empty() {
                    s.rt_mut().buffered.push_back((at, trigger));
                } else {
                    s.fired -= 1;
                    self.skip(index, at, "overlap");
                }
            }
            OverlapPolicy::BufferAll => s.rt_mut().buffered.push_back((at, trigger)),
            OverlapPolicy::CancelOther => {
                let active = s.rt_mut().active.clone();
                for key in active {
                    self.cancel_key(key, "cancelOther");
                }
                self.create_execution(index, at, trigger, Value::Null, None);
            }
        }
    }

    /// The first fire waiting its turn runs, once nothing of the schedule is active: when
    /// its run ends, and at start (its run ended while stopping, or the process died).
    pub(super) fn release_buffered(&mut self, index: u32) {
        let Some(s) = self.schedule_mut(index) else {
            return;
        };
        let Some(run) = s.runtime.as_mut() else {
            return;
        };
        if !run.active.is_empty() {
            return;
        }
        if let Some((at, trigger)) = run.buffered.pop_front() {
            self.create_execution(index, at, trigger, Value::Null, None);
        }
    }

    /// Creates a queued execution, emits `schedule.triggered`, and dispatches.
    fn create_execution(
        &mut self,
        index: u32,
        scheduled: DateTime<Utc>,
        trigger: TriggerType,
        context: Value,
        retry_of: Option<String>,
    ) -> Option<String> {
        let now = self.now();
        let id: std::sync::Arc<str> = self.next_id("exec").into();
        let key = self.numbers.last();
        let s = self.schedule_mut(index)?;
        let execution = Execution {
            id: id.clone(),
            schedule_id: s.spec.fragments.schedule_id.clone(),
            workflow_id: s.spec.fragments.workflow_id.clone(),
            config_id: s.spec.fragments.config_id.clone(),
            trigger,
            scheduled_time: scheduled,
            created: now,
            started: None,
            ended: None,
            status: ExecutionStatus::Queued,
            priority: s.spec.priority,
            attempts: Vec::new(),
            max_attempts: s.spec.extras().retry.max_attempts,
            result: None,
            error: None,
            context: context.clone(),
            cancel_reason: None,
            retry_of,
            seq: key,
        };
        s.rt_mut().active.push_back(key);
        s.rt_mut().history.push_back(key);
        let fired = matches!(trigger, TriggerType::Scheduled | TriggerType::Catchup);
        s.rt_mut().stats.triggered += 1;
        s.rt_mut().stats.fires += u64::from(fired);
        self.totals.triggered += 1;
        self.totals.fires += u64::from(fired);
        self.executions.insert(key, execution);
        self.touch_execution(key);
        self.touch_schedule(index);
        if self.wants("schedule.triggered") {
            if let Some(about) = self.about(key) {
                let event = self.outbox.next_event();
                self.outbox.push(Message::Triggered(Triggered {
                    about,
                    event,
                    at_ms: now.timestamp_millis(),
                    scheduled_ms: scheduled.timestamp_millis(),
                    context: (!context.is_null()).then(|| super::text::json(&context)),
                }));
            }
        }
        self.prune_history(index);
        self.enqueue(key);
        self.dispatch();
        Some(id.to_string())
    }

    pub(crate) fn enqueue(&mut self, key: u64) {
        let Some(e) = self.executions.get_mut(&key) else {
            return;
        };
        // A claim enqueues more than it may start: those left queued are not written again.
        if e.status != ExecutionStatus::Queued {
            e.status = ExecutionStatus::Queued;
            self.touch_execution(key);
        }
        let e = &self.executions[&key];
        self.run_queue
            .wait(key, e.priority, e.scheduled_time.timestamp_millis(), e.seq);
    }

    /// Starts queued attempts while there is room under maxConcurrency.
    pub(crate) fn dispatch(&mut self) {
        while self.lifecycle == Lifecycle::Running
            && self.in_flight() < self.options.max_concurrency
        {
            let Some(key) = self.run_queue.next_waiting() else {
                break;
            };
            let Some(e) = self.executions.get(&key) else {
                continue;
            };
            if e.status != ExecutionStatus::Queued {
                continue;
            }
            // In a cluster, work this node has no handler for stays queued for a node that
            // has one (claims only take such work).
            if self.work_is_shared() && !self.handles(&e.schedule_id) {
                continue;
            }
            self.start_attempt(key);
        }
    }

    fn start_attempt(&mut self, key: u64) {
        let now = self.now();
        let Some(e) = self.executions.get_mut(&key) else {
            return;
        };
        // A new number even for a resumed run: an answer that the interrupted attempt's
        // executor still sends (after a stop, in this process) must not count for it.
        let number = e.attempts.len() as u32 + 1;
        let resumed = e.attempts.last().is_some_and(|a| !a.counted);
        let node = self.node_token();
        let e = self.executions.get_mut(&key).expect("present");
        e.attempts.push(Attempt {
            number,
            started: now,
            ended: None,
            error: None,
            late: None,
            node,
            counted: true,
            resumed,
        });
        e.status = ExecutionStatus::Running;
        e.started.get_or_insert(now);
        self.run_queue.start(key, number);
        self.touch_execution(key);
        let e = &self.executions[&key];
        if number == 1 && matches!(e.trigger, TriggerType::Scheduled | TriggerType::Catchup) {
            let latency = (now - e.scheduled_time).num_microseconds().unwrap_or(0) as f64 / 1000.0;
            if self.latencies.len() >= LATENCY_SAMPLES {
                self.latencies.pop_front();
            }
            self.latencies.push_back(latency.max(0.0));
            let seconds = latency / 1000.0;
            let bounds = &super::metrics::LATENESS_BUCKETS;
            self.totals.lateness.observe(bounds, seconds);
            let schedule_id = e.schedule_id.clone();
            if let Some(s) = self
                .registry
                .slot_of(&schedule_id)
                .and_then(|i| self.schedule_mut(i))
            {
                s.rt_mut().stats.lateness.observe(bounds, seconds);
            }
        }
        let e = &self.executions[&key];
        let timeout = self
            .schedule(&e.schedule_id)
            .and_then(|s| s.spec.extras().timeout_ms);
        let (scheduled_ms, context) = (
            e.scheduled_time.timestamp_millis(),
            (!e.context.is_null()).then(|| super::text::json(&e.context)),
        );
        let about = self.about(key).expect("present");
        if self.wants("workflow.started") {
            let event = self.outbox.next_event();
            self.outbox.push(Message::Started(Started {
                about: about.clone(),
                event,
                at_ms: now.timestamp_millis(),
                attempt: number,
            }));
        }
        self.outbox.push(Message::Execute(Request {
            about,
            key,
            attempt: number,
            resumed,
            scheduled_ms,
            started_ms: now.timestamp_millis(),
            context,
        }));
        if let Some(ms) = timeout {
            self.timers.push(
                now + Duration::milliseconds(ms as i64),
                Timer::Timeout {
                    execution: key,
                    attempt: number,
                },
            );
        }
    }

    /// The executor's answer for one attempt. Answers for attempts that already ended (timed
    /// out, cancelled) are ignored; returns whether this one counted.
    pub fn complete(&mut self, execution_id: &str, attempt: u32, outcome: Outcome) -> bool {
        // In a cluster, answers are written in batches by the driver, under their
        // schedules' locks; whether one counted is known there.
        match self.defer_completion(execution_id, attempt, outcome) {
            Some(outcome) => self.complete_now(execution_id, attempt, outcome),
            None => true,
        }
    }

    /// `complete`, for the execution with this key (the one its request's message named).
    pub fn complete_key(&mut self, key: u64, attempt: u32, outcome: Outcome) -> bool {
        if !self.answers_batched() {
            return self.complete_at(key, attempt, outcome);
        }
        match self.executions.get(&key).map(|e| e.id.clone()) {
            Some(id) => self.complete(&id, attempt, outcome),
            // Finished elsewhere after this node let the attempt go.
            None => self.defer_late_answer(key, attempt, outcome),
        }
    }

    pub(crate) fn complete_now(
        &mut self,
        execution_id: &str,
        attempt: u32,
        outcome: Outcome,
    ) -> bool {
        match self.executions.key_of(execution_id) {
            Some(key) => self.complete_at(key, attempt, outcome),
            None => false,
        }
    }

    /// `complete_now`, for the execution with this key.
    fn complete_at(&mut self, key: u64, attempt: u32, outcome: Outcome) -> bool {
        let now = self.now();
        let let_go = self.note_late_answer(key, attempt);
        // An attempt this process does not run (any more): another node took it over.
        let ours = self.run_queue.attempt_of(key) == Some(attempt);
        let Some(e) = self.executions.get_mut(&key) else {
            return false;
        };
        if e.status != ExecutionStatus::Running || e.attempt() != attempt || !ours {
            // An answer for an attempt that already ended (its timeout, a cancel, a stop):
            // what the executor said is kept on that attempt, once, and changes nothing else.
            let ended = e
                .attempts
                .iter_mut()
                .find(|a| a.number == attempt && a.ended.is_some() && a.late.is_none());
            if let Some(a) = ended {
                a.late = Some(match outcome {
                    Outcome::Completed(_) => super::execution::LateOutcome {
                        completed: true,
                        code: None,
                        message: None,
                        at: now,
                    },
                    Outcome::Failed { code, message, .. } => super::execution::LateOutcome {
                        completed: false,
                        code: Some(code),
                        message: Some(message),
                        at: now,
                    },
                });
                self.touch_execution(key);
            } else if let_go
                && e.attempts
                    .iter()
                    .any(|a| a.number == attempt && a.ended.is_none())
            {
                let id = e.id.to_string();
                self.write_late_answer_later(id, attempt, outcome);
            }
            return false;
        }
        self.release(key);
        let e = self.executions.get_mut(&key).expect("present");
        if let Some(a) = e.attempts.last_mut() {
            a.ended = Some(now);
        }
        self.touch_execution(key);
        let e = self.executions.get_mut(&key).expect("present");
        match outcome {
            Outcome::Completed(result) => {
                e.status = ExecutionStatus::Completed;
                e.ended = Some(now);
                e.result = Some(result.clone());
                // Earlier attempts keep their errors; the execution itself succeeded.
                e.error = None;
                self.emit_final(key);
                self.finish(key);
            }
            Outcome::Failed {
                code,
                message,
                stack,
            } => {
                self.fail_attempt(key, code, message, stack, false);
            }
        }
        self.dispatch();
        true
    }

    /// An attempt that failed and will be tried again, in its schedule's counters.
    fn count_retry(&mut self, key: u64) {
        self.totals.retries += 1;
        let index = self
            .executions
            .get(&key)
            .and_then(|e| self.registry.slot_of(&e.schedule_id));
        if let Some(s) = index.and_then(|i| self.schedule_mut(i)) {
            s.rt_mut().stats.retries += 1;
        }
    }

    fn on_timeout(&mut self, key: u64, attempt: u32) {
        let now = self.now();
        let Some(e) = self.executions.get(&key) else {
            return;
        };
        if e.status != ExecutionStatus::Running || e.attempt() != attempt {
            return;
        }
        // The bound as configured (the timer never runs before it); the time elapsed only
        // when the schedule has since lost its timeout.
        let timeout_ms = self
            .schedule(&e.schedule_id)
            .and_then(|s| s.spec.extras().timeout_ms)
            .unwrap_or_else(|| {
                (now - e.attempts.last().map_or(now, |a| a.started)).num_milliseconds() as u64
            });
        let id = e.id.clone();
        self.release(key);
        if let Some(a) = self
            .executions
            .get_mut(&key)
            .and_then(|e| e.attempts.last_mut())
        {
            a.ended = Some(now);
        }
        self.emit_for_execution(
            "workflow.timeout",
            key,
            json!({ "attempt": attempt, "timeoutMs": timeout_ms }),
        );
        self.outbox.push(Message::Abort {
            execution_id: id.to_string(),
            attempt,
            reason: "timeout".into(),
        });
        self.fail_attempt(
            key,
            "TIMEOUT".into(),
            format!("attempt {attempt} timed out after {timeout_ms} ms"),
            None,
            true,
        );
        self.dispatch();
    }

    /// Whether an interrupted attempt of this execution runs again (instead of failing with
    /// INTERRUPTED): unless its schedule says `onInterrupt: 'fail'`, or it was resumed so
    /// often that the run itself is the likely cause (a handler that kills its process).
    pub(crate) fn resumes_on_interrupt(&self, key: u64) -> bool {
        self.executions.get(&key).is_some_and(|e| {
            e.resumes() < MAX_RESUMES
                && self
                    .schedule(&e.schedule_id)
                    .is_some_and(|s| !s.spec.extras().fail_on_interrupt)
        })
    }

    /// A running attempt that will not answer (its process stopped or died, or its node
    /// stopped answering): it ends with INTERRUPTED, then runs again as a new attempt that
    /// does not count against `maxAttempts`, or (`onInterrupt: 'fail'`) it fails, and is
    /// retried while attempts remain.
    pub(crate) fn interrupt(&mut self, key: u64, why: &str) {
        let now = self.now();
        let resume = self.resumes_on_interrupt(key);
        let Some(e) = self.executions.get_mut(&key) else {
            return;
        };
        if e.status != ExecutionStatus::Running {
            return;
        }
        let attempt = e.attempt();
        if let Some(a) = e.attempts.last_mut() {
            a.ended.get_or_insert(now);
        }
        self.release(key);
        let message = format!("attempt {attempt} was interrupted: {why}");
        let code = super::persist::INTERRUPTED.to_string();
        if !resume {
            return self.fail_attempt(key, code, message, None, false);
        }
        self.touch_execution(key);
        let error = ErrorInfo {
            code,
            message,
            stack: None,
            retryable: true,
            at: now,
        };
        let e = self.executions.get_mut(&key).expect("present");
        if let Some(a) = e.attempts.last_mut() {
            a.error = Some(error.clone());
            a.counted = false;
        }
        e.error = Some(error);
        e.status = ExecutionStatus::Queued;
        // Queued for this process's dispatch when it runs alone and goes on (a start that
        // recovers); a stopping process leaves it for its next start, and in a cluster any
        // node with room claims it.
        if self.lifecycle == Lifecycle::Running && !self.work_is_shared() {
            self.enqueue(key);
        }
    }

    /// Records a failed attempt, then retries it or ends the execution.
    pub(crate) fn fail_attempt(
        &mut self,
        key: u64,
        code: String,
        message: String,
        stack: Option<String>,
        timed_out: bool,
    ) {
        let now = self.now();
        let policy = match self
            .executions
            .get(&key)
            .and_then(|e| self.schedule(&e.schedule_id))
        {
            Some(s) => s.spec.extras().retry.clone(),
            None => super::config::RetryPolicy::none(),
        };
        // An interrupted attempt is retried while attempts remain, whatever
        // retryableErrors says: the failure was the process's, not the workflow's. A result
        // that cannot be stored is never retried: the work itself succeeded, and would run
        // again.
        let retryable = code != RESULT_NOT_SERIALIZABLE
            && (policy.is_retryable(&code) || code == super::persist::INTERRUPTED);
        self.touch_execution(key);
        let error = ErrorInfo {
            code,
            message,
            stack,
            retryable,
            at: now,
        };
        let Some(e) = self.executions.get_mut(&key) else {
            return;
        };
        let attempt = e.attempt();
        // Interrupted attempts that ran again are not among them.
        let counted = e.counted_attempts();
        if let Some(a) = e.attempts.last_mut() {
            a.error = Some(error.clone());
        }
        e.error = Some(error.clone());
        let alone = !self.work_is_shared();
        let Some(e) = self.executions.get_mut(&key) else {
            return;
        };
        if retryable && counted < e.max_attempts && self.lifecycle != Lifecycle::Running && alone {
            // Stopping: no retry will run, so it ends as the other waiting work does. The
            // attempt is over (and out of the in-flight count): no abort for it. (In a
            // cluster the retry waits in the database for the nodes that go on.)
            e.status = ExecutionStatus::Retrying;
            self.cancel_key(key, "stop");
            return;
        }
        let Some(max_attempts) = self.executions.get(&key).map(|e| e.max_attempts) else {
            return;
        };
        if retryable && counted < max_attempts {
            self.count_retry(key);
            let base = policy.delay_ms(counted);
            let cut = if policy.jitter > 0.0 {
                (base as f64 * policy.jitter * (self.random() % 10_000) as f64 / 10_000.0) as u64
            } else {
                0
            };
            let delay = base - cut.min(base);
            let next_at = now + Duration::milliseconds(delay as i64);
            if let Some(e) = self.executions.get_mut(&key) {
                e.status = ExecutionStatus::Retrying;
            }
            self.emit_for_execution(
                "workflow.retrying",
                key,
                json!({
                    "attempt": attempt + 1,
                    "delayMs": delay,
                    "nextAttemptAt": date_json(next_at),
                    "error": error.to_json(),
                }),
            );
            self.timers.push(
                next_at,
                Timer::Retry {
                    execution: key,
                    attempt,
                },
            );
        } else {
            let Some(e) = self.executions.get_mut(&key) else {
                return;
            };
            e.status = if timed_out {
                ExecutionStatus::Timeout
            } else {
                ExecutionStatus::Failed
            };
            e.ended = Some(now);
            self.emit_final(key);
            self.finish(key);
        }
    }

    /// `workflow.completed` or `workflow.failed`, as a WorkflowCompletedEvent.
    fn emit_final(&mut self, key: u64) {
        let Some(status) = self.executions.get(&key).map(|e| e.status) else {
            return;
        };
        if !self.wants(super::outbound::final_kind(status)) {
            return;
        }
        let event = self.outbox.next_event();
        let about = self.about(key).expect("present");
        let at_ms = self.now().timestamp_millis();
        let e = &self.executions[&key];
        self.outbox.push(Message::Finished(Finished {
            about,
            event,
            at_ms,
            status,
            start_ms: e.started.map(|t| t.timestamp_millis()),
            end_ms: e.ended.map(|t| t.timestamp_millis()),
            duration_ms: e.duration_ms().unwrap_or(0),
            attempts: e.attempts.len() as u32,
            result: e
                .result
                .as_ref()
                .filter(|r| !r.is_null())
                .map(super::text::json),
            error: e.error.as_ref().map(|x| super::text::json(&x.to_json())),
        }));
    }

    /// Bookkeeping once an execution reached its final state; starts buffered fires.
    fn finish(&mut self, key: u64) {
        let Some(e) = self.executions.get(&key) else {
            return;
        };
        let (status, duration, error, schedule_id, ended) = (
            e.status,
            e.duration_ms(),
            e.error.as_ref().map(|x| x.message.clone()),
            e.schedule_id.clone(),
            e.ended,
        );
        let tally = |stats: &mut super::schedule::Stats| {
            match status {
                ExecutionStatus::Completed => {
                    stats.completed += 1;
                    stats.last_success = ended;
                }
                ExecutionStatus::Cancelled => stats.cancelled += 1,
                ExecutionStatus::Timeout => {
                    stats.failed += 1;
                    stats.timed_out += 1;
                }
                _ => stats.failed += 1,
            }
            stats.last_status = Some(status);
            stats.last_run = ended;
            if status != ExecutionStatus::Cancelled {
                stats.last_error = error.clone();
            }
            // Every run that ended counts: failures and timeouts take time too, and an
            // average of successes alone hides them.
            if let Some(d) = duration {
                let bounds = &super::metrics::DURATION_BUCKETS;
                stats.duration.observe(bounds, d.max(0) as f64 / 1000.0);
                if stats.durations.len() >= DURATION_SAMPLES {
                    stats.durations.pop_front();
                }
                stats.durations.push_back(d.max(0) as u64);
                stats.last_duration = Some(d.max(0) as u64);
            }
        };
        tally(&mut self.totals);
        let Some(index) = self.schedule_index(&schedule_id).ok() else {
            return;
        };
        self.touch_schedule(index);
        // In a cluster a waiting fire is the cluster's: a stopping node still queues it for
        // the others.
        let running = self.lifecycle == Lifecycle::Running || self.work_is_shared();
        let Some(s) = self.schedule_mut(index) else {
            return;
        };
        tally(&mut s.rt_mut().stats);
        if let Ok(position) = s.rt_mut().active.binary_search(&key) {
            s.rt_mut().active.remove(position);
        }
        if running {
            self.release_buffered(index);
        }
    }

    /// Drops the oldest finished records beyond the retention limits.
    pub(crate) fn prune_history(&mut self, index: u32) {
        if self.history_in_database() {
            // The database keeps the history there, and retention applies in it.
            return self.shed_history(index);
        }
        let max = self.options.history_max_per_schedule;
        let max_age = self
            .options
            .history_max_age_ms
            .map(|ms| Duration::milliseconds(ms as i64));
        let now = self.now();
        let Some(s) = self.registry.at_mut(index) else {
            return;
        };
        let mut checked = 0;
        let mut pruned = Vec::new();
        while let Some(&oldest) = s.rt_mut().history.front() {
            let Some(e) = self.executions.get(&oldest) else {
                s.rt_mut().history.pop_front();
                continue;
            };
            let too_many = s.rt_mut().history.len() > max;
            let too_old = max_age.is_some_and(|age| e.ended.is_some_and(|t| now - t > age));
            if !(too_many || too_old) || !e.status.is_final() || checked > 64 {
                break;
            }
            checked += 1;
            self.executions.remove(&oldest);
            s.rt_mut().history.pop_front();
            pruned.push(oldest);
        }
        // Skips follow the same limits.
        let mut skips_up_to = None;
        if let Some(rt) = s.runtime.as_mut() {
            while let Some(&(at, recorded, _)) = rt.skips.front() {
                let too_old = max_age.is_some_and(|age| now - recorded > age);
                if rt.skips.len() <= max && !too_old {
                    break;
                }
                rt.skips.pop_front();
                skips_up_to = Some(at);
            }
        }
        let schedule_id = s.spec.fragments.schedule_id.clone();
        for key in pruned {
            self.journal_pruned(key);
        }
        if let Some(at) = skips_up_to {
            self.journal_pruned_skips(&schedule_id, at);
        }
    }

    // ---------------------------------------------------------------------------------
    // Commands

    /// Cancels an execution that has not finished.
    pub fn cancel(&mut self, execution_id: &str) -> Result<(), EngineError> {
        let key = self.execution_key(execution_id)?;
        let status = self.executions[&key].status;
        if status.is_final() {
            return Err(EngineError::AlreadyFinished {
                id: execution_id.to_string(),
                status: status.as_str(),
            });
        }
        self.cancel_key(key, "cancelled");
        self.dispatch();
        Ok(())
    }

    pub(crate) fn cancel_key(&mut self, key: u64, reason: &str) {
        let now = self.now();
        let Some(e) = self.executions.get_mut(&key) else {
            return;
        };
        if e.status.is_final() {
            return;
        }
        let was_running = e.status == ExecutionStatus::Running;
        self.touch_execution(key);
        let e = self.executions.get_mut(&key).expect("present");
        e.status = ExecutionStatus::Cancelled;
        e.cancel_reason = Some(reason.to_string());
        e.ended = Some(now);
        let (id, attempt) = (e.id.clone(), e.attempt());
        if let Some(a) = e.attempts.last_mut().filter(|a| a.ended.is_none()) {
            a.ended = Some(now);
        }
        if was_running {
            self.release(key);
            self.outbox.push(Message::Abort {
                execution_id: id.to_string(),
                attempt,
                reason: reason.to_string(),
            });
        }
        self.emit_for_execution("workflow.cancelled", key, json!({ "reason": reason }));
        self.finish(key);
    }

    pub(crate) fn execution_key(&self, execution_id: &str) -> Result<u64, EngineError> {
        self.executions
            .key_of(execution_id)
            .ok_or_else(|| EngineError::NotFound {
                what: "execution",
                id: execution_id.to_string(),
                hint: String::new(),
            })
    }

    /// Runs a schedule's workflow now, whatever its state (paused, disabled, expired).
    pub fn trigger(&mut self, schedule_id: &str, context: Value) -> Result<String, EngineError> {
        self.require_running("triggerScheduledExecution")?;
        let index = self.schedule_index(schedule_id)?;
        self.require_handler(schedule_id)?;
        let now = self.now();
        Ok(self
            .create_execution(index, now, TriggerType::Manual, context, None)
            .expect("schedule exists"))
    }

    /// Starts a fresh execution from a finished one.
    pub fn retry_execution(&mut self, execution_id: &str) -> Result<String, EngineError> {
        self.require_running("retryExecution")?;
        let key = self.execution_key(execution_id)?;
        let e = &self.executions[&key];
        if !e.status.is_final() {
            return Err(EngineError::NotFinished {
                id: execution_id.to_string(),
                status: e.status.as_str(),
            });
        }
        let (schedule_id, context) = (e.schedule_id.clone(), e.context.clone());
        let index = self.schedule_index(&schedule_id)?;
        self.require_handler(&schedule_id)?;
        let now = self.now();
        Ok(self
            .create_execution(
                index,
                now,
                TriggerType::Retry,
                context,
                Some(execution_id.to_string()),
            )
            .expect("schedule exists"))
    }

    /// One execution per occurrence in `[from, to)`.
    pub fn backfill(
        &mut self,
        schedule_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<String>, EngineError> {
        self.require_running("backfill")?;
        let index = self.schedule_index(schedule_id)?;
        self.require_handler(schedule_id)?;
        let out_of_range = |message: String| {
            EngineError::Field(super::value::range_error(
                "to",
                "ERR_OUT_OF_RANGE",
                message,
                &date_json(to),
            ))
        };
        if to <= from {
            return Err(out_of_range("`to` must be after `from`".into()));
        }
        // Occurrences still to come are the schedule's own to fire: run now as well, they
        // would run twice. A `to` of about now (the caller's `new Date()`, on a host whose
        // clock is a little ahead of the engine's) ends at now.
        let now = self.now();
        let leeway = Duration::milliseconds(self.options.misfire_threshold_ms as i64);
        if to > now + leeway {
            return Err(out_of_range(format!(
                "a backfill runs past occurrences: `to` must not be after now() ({})",
                now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )));
        }
        let to = to.min(now);
        let spec = self.schedule_at(index).expect("indexed").spec.clone();
        let occurrences: Vec<_> = spec
            .pattern
            .iter_after(from - Duration::milliseconds(1), &spec.zone, spec.dst_gap)
            .take_while(|at| *at < to)
            .take(MAX_BACKFILL + 1)
            .collect();
        if occurrences.len() > MAX_BACKFILL {
            return Err(out_of_range(format!(
                "the range holds more than {MAX_BACKFILL} occurrences; backfill it in parts"
            )));
        }
        Ok(occurrences
            .into_iter()
            .filter_map(|at| {
                self.create_execution(index, at, TriggerType::Backfill, Value::Null, None)
            })
            .collect())
    }
}
