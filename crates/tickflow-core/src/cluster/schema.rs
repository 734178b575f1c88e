//! The tables, in a PostgreSQL schema of their own, and their versioned migrations:
//! applied once under an advisory lock by whichever node gets there first.

use tokio_postgres::Client;

use super::{db_message, ClusterError};

/// Steps; `meta.schema_version` says how many have been applied. `{s}` is the schema.
const MIGRATIONS: &[&str] = &[
    // 1: schedules (config + runtime state, a version bumped by every change, a tombstone
    // for deleted ones), executions (with the columns claims and the reaper look at),
    // skipped occurrences, the nodes and their leases, and blocks of execution numbers.
    // `tx` is the writing transaction and `writer` the node: nodes follow each other's
    // changes by them.
    "CREATE TABLE {s}.schedules (
         schedule_id text PRIMARY KEY,
         config_id   text NOT NULL,
         config      text NOT NULL,
         state       text NOT NULL,
         version     bigint NOT NULL,
         deleted     boolean NOT NULL DEFAULT false,
         writer      text,
         tx          xid8 NOT NULL DEFAULT pg_current_xact_id()
     );
     CREATE INDEX schedules_tx ON {s}.schedules (tx);
     CREATE TABLE {s}.executions (
         seq          bigint PRIMARY KEY,
         id           text NOT NULL UNIQUE,
         schedule_id  text NOT NULL,
         status       text NOT NULL,
         trigger      text NOT NULL,
         scheduled_ms bigint NOT NULL,
         priority     integer NOT NULL,
         due_ms       bigint,
         node         text,
         record       text NOT NULL,
         writer       text,
         tx           xid8 NOT NULL DEFAULT pg_current_xact_id()
     );
     -- The last guard: one run per occurrence, whatever a node believes.
     CREATE UNIQUE INDEX executions_occurrence ON {s}.executions (schedule_id, scheduled_ms)
         WHERE trigger IN ('scheduled', 'catchup');
     CREATE INDEX executions_tx ON {s}.executions (tx);
     CREATE INDEX executions_by_schedule ON {s}.executions (schedule_id, seq);
     CREATE INDEX executions_claimable ON {s}.executions (priority DESC, scheduled_ms, seq)
         WHERE status IN ('queued', 'retrying');
     CREATE INDEX executions_running ON {s}.executions (node) WHERE status = 'running';
     CREATE TABLE {s}.skips (
         schedule_id  text NOT NULL,
         scheduled_ms bigint NOT NULL,
         reason       text NOT NULL,
         recorded_ms  bigint NOT NULL,
         writer       text,
         tx           xid8 NOT NULL DEFAULT pg_current_xact_id(),
         PRIMARY KEY (schedule_id, scheduled_ms)
     );
     CREATE INDEX skips_tx ON {s}.skips (tx);
     CREATE TABLE {s}.nodes (
         token       text PRIMARY KEY,
         node_id     text NOT NULL,
         lock_key    integer NOT NULL,
         started_at  timestamptz NOT NULL DEFAULT now(),
         lease_until timestamptz NOT NULL
     );
     CREATE SEQUENCE {s}.id_blocks;",
    // 2: the offset of each node's clock to the database's, as it measured it at its last
    // renewal (database time minus its own, in milliseconds), for the cluster's view.
    "ALTER TABLE {s}.nodes ADD COLUMN clock_offset_ms bigint;",
    // 3: history is read from the database, not mirrored: pages of all executions and of
    // one schedule's in scheduled order, and skips by age (retention).
    "CREATE INDEX executions_by_time ON {s}.executions (scheduled_ms, seq);
     CREATE INDEX executions_by_schedule_time ON {s}.executions (schedule_id, scheduled_ms, seq);
     CREATE INDEX skips_recorded ON {s}.skips (recorded_ms);",
    // 4: when an execution started and ended, as columns: history counts and orders read
    // them instead of parsing every record, and a node following the others learns that
    // an execution ended (and how long it ran) without its record.
    "ALTER TABLE {s}.executions ADD COLUMN started_ms bigint, ADD COLUMN ended_ms bigint;",
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory-lock class of tickflow's locks ("tf"): keeps them apart from other
/// applications' single-key locks.
pub(crate) const LOCK_CLASS: i32 = 0x7466;

/// Applies what is missing; refuses a schema written by a newer tickflow or holding
/// tables that are not tickflow's.
pub(crate) async fn migrate(client: &mut Client, schema: &str) -> Result<(), ClusterError> {
    let q = quote(schema);
    let tx = client.transaction().await?;
    // One node migrates; the others wait here, then find it done.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&LOCK_CLASS, &format!("migrate:{schema}")],
    )
    .await?;
    let tables: Vec<String> = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
            &[&schema],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let found: i64 = if tables.iter().any(|t| t == "meta") {
        let row = tx
            .query_opt(
                &format!("SELECT value FROM {q}.meta WHERE key = 'schema_version'"),
                &[],
            )
            .await?;
        match row.and_then(|r| r.get::<_, String>(0).parse().ok()) {
            Some(v) => v,
            None => {
                return Err(ClusterError::Foreign {
                    schema: schema.into(),
                    detail: "a meta table without tickflow's schema_version".into(),
                })
            }
        }
    } else if tables.is_empty() {
        0
    } else {
        return Err(ClusterError::Foreign {
            schema: schema.into(),
            detail: format!("tables {}", tables.join(", ")),
        });
    };
    if found > SCHEMA_VERSION {
        return Err(ClusterError::Version {
            schema: schema.into(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(tx.commit().await?);
    }
    let create = |e: tokio_postgres::Error| {
        match e.code() {
        Some(c) if *c == tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE => {
            ClusterError::Permission(format!(
                "{} (tickflow creates the schema '{schema}' and its tables on first start; grant CREATE on the database, or create the schema for this user)",
                db_message(&e)
            ))
        }
        _ => e.into(),
    }
    };
    if found == 0 {
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {q};
             CREATE TABLE {q}.meta (key text PRIMARY KEY, value text NOT NULL);"
        ))
        .await
        .map_err(create)?;
    }
    for step in &MIGRATIONS[found as usize..] {
        tx.batch_execute(&step.replace("{s}", &q))
            .await
            .map_err(create)?;
    }
    tx.execute(
        &format!(
            "INSERT INTO {q}.meta (key, value) VALUES ('schema_version', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        &[&SCHEMA_VERSION.to_string()],
    )
    .await?;
    Ok(tx.commit().await?)
}

/// For a read-only store: the schema holds tickflow's tables in a version this tickflow
/// reads. Nothing is created or migrated (older versions are read as they are).
pub(crate) async fn check(client: &Client, schema: &str) -> Result<(), ClusterError> {
    let has_meta: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables
                 WHERE table_schema = $1 AND table_name = 'meta')",
            &[&schema],
        )
        .await?
        .get(0);
    if !has_meta {
        return Err(ClusterError::NoSchema(schema.into()));
    }
    let row = client
        .query_opt(
            &format!(
                "SELECT value FROM {}.meta WHERE key = 'schema_version'",
                quote(schema)
            ),
            &[],
        )
        .await?;
    match row.and_then(|r| r.get::<_, String>(0).parse::<i64>().ok()) {
        Some(found) if found > SCHEMA_VERSION => Err(ClusterError::Version {
            schema: schema.into(),
            found,
            supported: SCHEMA_VERSION,
        }),
        Some(_) => Ok(()),
        None => Err(ClusterError::Foreign {
            schema: schema.into(),
            detail: "a meta table without tickflow's schema_version".into(),
        }),
    }
}

/// A schema name as an SQL identifier. Names are checked when options are read, so
/// quoting only guards the rule.
pub(crate) fn quote(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

/// The longest schema name: PostgreSQL cuts identifiers at 63 bytes, and the names derived
/// from the schema's (its notification channel, `tickflow_<schema>`) must fit too, or every
/// commit would fail to notify.
pub const MAX_SCHEMA_NAME: usize = 63 - CHANNEL_PREFIX.len();

/// What the schema's notification channel name starts with.
const CHANNEL_PREFIX: &str = "tickflow_";

/// The schema's notification channel (`q`: the quoted schema name).
pub(crate) fn channel(q: &str) -> String {
    format!("{CHANNEL_PREFIX}{}", q.trim_matches('"'))
}

/// What a schema name may be: a plain lower-case identifier, short enough for the names
/// derived from it.
pub fn valid_schema_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SCHEMA_NAME
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with("pg_")
}
