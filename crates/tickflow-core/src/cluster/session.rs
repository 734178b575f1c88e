//! The node's own session: a connection outside the pool that holds the node's advisory
//! lock (free within milliseconds of the process dying), listens for other nodes' changes,
//! renews the node's lease every two seconds, and measures the offset of this machine's
//! clock to the database's. When the connection is lost it reconnects; when the lease
//! ran out meanwhile, the node joins again under a new token and its old attempts are
//! fenced off.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_postgres::AsyncMessage;

use super::connect::Target;
use super::schema::{channel, LOCK_CLASS};
use super::{db_message, ClusterError, LEASE_MS, RENEW_MS};

/// What the session knows, read by the engine's driver.
pub struct NodeState {
    pub node_id: String,
    token: Mutex<String>,
    /// Bumped each time the node joins under a new token.
    pub incarnation: AtomicU64,
    /// Database time minus this machine's, in milliseconds.
    pub offset_ms: AtomicI64,
    /// Until when (this machine's monotonic clock) the lease surely holds.
    lease_until: Mutex<Option<Instant>>,
    /// Another node committed something: tail the changes.
    pub changed: AtomicBool,
    /// Outage reports for the engine to pass on: (code, message).
    pub reports: Mutex<Vec<(&'static str, String)>>,
    /// The engine aborted this node's attempts when its lease lapsed: the node must not go
    /// on under this token (were its lease renewed in time after all, those attempts would
    /// stay running in the database with nobody to end them). Cleared once it has joined
    /// under a new one.
    fence: AtomicBool,
    /// Tells the session at once that `fence` was set.
    fence_wake: tokio::sync::Notify,
    stop: AtomicBool,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl NodeState {
    pub(crate) fn new(node_id: &str, wake: Arc<dyn Fn() + Send + Sync>) -> Arc<NodeState> {
        Arc::new(NodeState {
            node_id: node_id.to_string(),
            token: Mutex::new(new_token(node_id)),
            incarnation: AtomicU64::new(0),
            offset_ms: AtomicI64::new(0),
            lease_until: Mutex::new(None),
            changed: AtomicBool::new(true),
            reports: Mutex::new(Vec::new()),
            fence: AtomicBool::new(false),
            fence_wake: tokio::sync::Notify::new(),
            stop: AtomicBool::new(false),
            wake,
        })
    }

    /// The token attempts are recorded under: node id and a per-join suffix.
    pub fn token(&self) -> String {
        self.token.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether this node may take work: its lease surely holds.
    pub fn lease_holds(&self) -> bool {
        self.lease_deadline()
            .is_some_and(|until| Instant::now() < until)
    }

    /// Until when this node's lease holds, as far as it knows (none before the first).
    pub fn lease_deadline(&self) -> Option<Instant> {
        *self.lease_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lease this node held ran out (it could not renew it in time): not before the
    /// first one, and not while it holds.
    pub fn lease_lapsed(&self) -> bool {
        self.lease_deadline()
            .is_some_and(|until| Instant::now() >= until)
    }

    /// Has the node leave its token behind and join again under a new one (its attempts
    /// under the old one become orphans, ended and run again by the reaper); its lease
    /// stays lapsed until then, so it takes no work.
    pub fn fence(&self) {
        self.fence.store(true, Ordering::SeqCst);
        self.fence_wake.notify_one();
    }

    fn fenced(&self) -> bool {
        self.fence.load(Ordering::SeqCst)
    }

    pub(crate) fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn set_lease(&self, until: Option<Instant>) {
        *self.lease_until.lock().unwrap_or_else(|p| p.into_inner()) = until;
    }

    fn report(&self, code: &'static str, message: String) {
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((code, message));
        (self.wake)();
    }
}

fn new_token(node_id: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mixed =
        (nanos ^ u64::from(std::process::id()).rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("{node_id}#{:08x}", mixed >> 32)
}

pub(crate) fn lock_key(token: &str) -> i32 {
    // FNV-1a: stable across processes (the reaper recomputes nothing; the key is stored).
    let mut h: u32 = 0x811c_9dc5;
    for b in token.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// Starts the session task; the receiver answers once the node has joined (or could not).
pub(crate) fn start(
    handle: &tokio::runtime::Handle,
    target: Arc<Target>,
    q: Arc<str>,
    node: Arc<NodeState>,
) -> std::sync::mpsc::Receiver<Result<(), ClusterError>> {
    let (first_tx, first_rx) = std::sync::mpsc::sync_channel(1);
    handle.spawn(async move {
        let mut first = Some(first_tx);
        let mut backoff = Duration::from_millis(100);
        while !node.stopped() {
            let lease = node.lease_deadline();
            let result = run(&target, &q, &node, &mut first).await;
            if node.lease_deadline() != lease {
                // It joined and renewed: this is a new outage, retried at once.
                backoff = Duration::from_millis(100);
            }
            if node.stopped() {
                break;
            }
            if let Err(err) = result {
                if let Some(tx) = first.take() {
                    let _ = tx.send(Err(err));
                    return;
                }
                // An outage is reported once, by the first operation it fails; the
                // session reconnects quietly. Losing the lease is news of its own, told
                // once, when the node joins again (`serve`).
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    });
    first_rx
}

/// One connection's life: join (or rejoin), then renew and listen until it fails.
async fn run(
    target: &Target,
    q: &str,
    node: &NodeState,
    first: &mut Option<std::sync::mpsc::SyncSender<Result<(), ClusterError>>>,
) -> Result<(), ClusterError> {
    let (client, mut connection) =
        target
            .config
            .connect(target.tls.clone())
            .await
            .map_err(|e| ClusterError::Connect {
                target: target.label.clone(),
                reason: db_message(&e),
            })?;
    let (note_tx, mut notes) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    if note_tx.send(()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    let result = serve(&client, q, node, first, &mut notes).await;
    driver.abort();
    result
}

async fn serve(
    client: &tokio_postgres::Client,
    q: &str,
    node: &NodeState,
    first: &mut Option<std::sync::mpsc::SyncSender<Result<(), ClusterError>>>,
    notes: &mut tokio::sync::mpsc::UnboundedReceiver<()>,
) -> Result<(), ClusterError> {
    // Rejoin under the same token while the lease still holds (and the engine did not give
    // its attempts up); else under a new one.
    let mut token = node.token();
    let fence = node.fenced();
    if fence {
        // Its attempts become orphans now, for the reaper, rather than when the lease ends.
        client
            .execute(
                &format!("DELETE FROM {q}.nodes WHERE token = $1"),
                &[&token],
            )
            .await?;
    }
    let still_ours = !fence
        && client
            .query_opt(
                &format!("SELECT 1 FROM {q}.nodes WHERE token = $1 AND lease_until > now()"),
                &[&token],
            )
            .await?
            .is_some();
    let fenced = !still_ours && node.incarnation.load(Ordering::SeqCst) > 0;
    if fenced {
        // Away longer than the lease (or reaped when its session ended): the others have
        // taken its work over.
        token = new_token(&node.node_id);
        node.set_lease(None);
    }
    let key = lock_key(&token);
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await?
        .get(0);
    client
        .execute("SELECT pg_advisory_lock($1, $2)", &[&LOCK_CLASS, &key])
        .await?;
    // Behind a transaction-pooling proxy, the lock and the next statement may meet
    // different server sessions: then neither the lock nor LISTEN would mean anything.
    let held: bool = client
        .query_one(
            "SELECT pg_backend_pid() = $1 AND EXISTS (SELECT 1 FROM pg_locks
                 WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                   AND classid = $2::int::oid AND objid = $3::int::oid)",
            &[&pid, &(LOCK_CLASS), &key],
        )
        .await?
        .get(0);
    if !held {
        return Err(ClusterError::Pooler(
            "an advisory lock taken on this connection is not held by the next statement's session"
                .into(),
        ));
    }
    client
        .batch_execute(&format!("LISTEN \"{}\"", channel(q)))
        .await?;
    let lease = format!("{} milliseconds", LEASE_MS);
    let sent = Instant::now();
    let row = client
        .query_one(
            &format!(
                "INSERT INTO {q}.nodes (token, node_id, lock_key, lease_until)
                 VALUES ($1, $2, $3, now() + $4::text::interval)
                 ON CONFLICT (token) DO UPDATE SET lease_until = excluded.lease_until
                 RETURNING (extract(epoch from clock_timestamp()) * 1000)::float8"
            ),
            &[&token, &node.node_id, &key, &lease],
        )
        .await?;
    if !fence && node.fenced() {
        // The engine gave this token's attempts up while it was renewed here: not under
        // this token after all (the next try leaves it).
        return Err(ClusterError::Fenced);
    }
    if fenced {
        // Said once it has joined again: a failed try before would say it twice.
        node.report(
            ClusterError::Fenced.code(),
            format!(
                "{}; its running attempts were aborted, and it joins again",
                ClusterError::Fenced
            ),
        );
    }
    if fence {
        node.fence.store(false, Ordering::SeqCst);
    }
    // The token before the lease: a turn that sees the lease hold works under this token.
    if token != node.token() || node.incarnation.load(Ordering::SeqCst) == 0 {
        *node.token.lock().unwrap_or_else(|p| p.into_inner()) = token.clone();
        node.incarnation.fetch_add(1, Ordering::SeqCst);
    }
    renewed(node, sent, row.get(0));
    node.changed.store(true, Ordering::SeqCst);
    (node.wake)();
    if let Some(tx) = first.take() {
        let _ = tx.send(Ok(()));
    }
    let mut tick = tokio::time::interval(Duration::from_millis(RENEW_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if node.fenced() {
                    // The engine gave this token's attempts up: join again (`serve`).
                    return Err(ClusterError::Fenced);
                }
                if node.stopped() {
                    let _ = client
                        .execute(&format!("DELETE FROM {q}.nodes WHERE token = $1"), &[&token])
                        .await;
                    return Ok(());
                }
                let sent = Instant::now();
                let row = tokio::time::timeout(
                    Duration::from_millis(LEASE_MS as u64 / 2),
                    client.query_opt(
                        &format!(
                            "UPDATE {q}.nodes SET lease_until = now() + $2::text::interval,
                                 clock_offset_ms = $3
                             WHERE token = $1
                             RETURNING (extract(epoch from clock_timestamp()) * 1000)::float8"
                        ),
                        &[&token, &lease, &node.offset_ms.load(Ordering::SeqCst)],
                    ),
                )
                .await
                .map_err(|_| ClusterError::Database("renewing the lease timed out".into()))??;
                match row {
                    Some(row) => renewed(node, sent, row.get(0)),
                    None => {
                        // Reaped: another node has taken the work over. Stop taking work
                        // and its attempts now (a new incarnation); the next session finds
                        // the token gone, says so and joins again under a new one.
                        node.set_lease(None);
                        node.incarnation.fetch_add(1, Ordering::SeqCst);
                        (node.wake)();
                        return Err(ClusterError::Fenced);
                    }
                }
            }
            _ = node.fence_wake.notified() => {
                // A wake left from a fence already served is not one.
                if node.fenced() {
                    return Err(ClusterError::Fenced);
                }
            }
            note = notes.recv() => {
                if note.is_none() {
                    return Err(ClusterError::Database("the session's connection closed".into()));
                }
                node.changed.store(true, Ordering::SeqCst);
                (node.wake)();
            }
        }
    }
}

/// A renewal answered: the lease holds until `sent` + lease, less a margin; the clock
/// offset is the database's time against the midpoint of the round trip.
fn renewed(node: &NodeState, sent: Instant, db_ms: f64) {
    let rtt = sent.elapsed();
    if !node.fenced() {
        node.set_lease(Some(sent + Duration::from_millis(LEASE_MS as u64 - 2_000)));
    }
    let local = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        + super::test_clock_skew_ms() as f64
        - rtt.as_secs_f64() * 500.0;
    node.offset_ms
        .store((db_ms - local).round() as i64, Ordering::SeqCst);
}
