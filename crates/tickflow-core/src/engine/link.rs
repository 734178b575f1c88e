//! What a cluster node's engine keeps of its cluster: its session, the versions it holds,
//! its id blocks, the answers waiting to be written. The database is not here: it is the
//! driver's (`Shared::cluster_db`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::cluster::{NodeState, Tail};

pub(crate) struct ClusterLink {
    /// The node's session as its own task keeps it (token, lease, clock offset, news); the
    /// database itself is the driver's (`Shared::cluster_db`), never the engine's.
    pub(super) node: Arc<NodeState>,
    /// The version of each schedule as this node last saw it.
    pub(super) versions: HashMap<String, i64>,
    /// Schedules an operation of this node is between its phases on (`operation`), with
    /// how many.
    pub(super) busy: HashMap<String, u32>,
    /// Where the next follow reads from: the oldest transaction open at the last one.
    pub(super) xmin: Option<String>,
    /// The session's incarnation as last seen: a new one means the node joined again.
    pub(super) incarnation: u64,
    /// When this node last followed the others, and last looked for dead nodes.
    pub(super) last_tail: Instant,
    pub(super) last_reap: Instant,
    /// When this node last claimed queued work (`cluster_driver::work`).
    pub(super) last_claim: Instant,
    /// Executor answers waiting to be written, in arrival order.
    pub(super) pending: super::answers::PendingAnswers,
    /// Attempts this node let go of before their executor answered: their late answer is
    /// recorded even when the execution has left this node's memory meanwhile (`late`).
    pub(super) late: super::late::LateAnswers,
    /// The last operation failed on the database: reported once until one succeeds.
    pub(super) failing: bool,
    /// The tokens of the nodes alive, as of the last look.
    pub(super) peers: Vec<String>,
    /// Schedules a failed commit touched and that could not be read back yet.
    pub(super) suspect: Vec<String>,
    /// History retention in the database (`history`).
    pub(super) retention: Retention,
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
pub(crate) struct Retention {
    /// The schedule id after which the next count check starts.
    pub(super) cursor: String,
    pub(super) next: Instant,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            cursor: String::new(),
            next: Instant::now(),
        }
    }
}
