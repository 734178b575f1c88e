//! The embedded store: one SQLite file in WAL mode (bundled SQLite, no system library).
//!
//! Safety rules: a file is only written once it is known to be a tickflow store of a schema
//! this version understands (a foreign, damaged or newer file is refused and left as it
//! was); a new file is created owner-only; a second integration cannot open the same
//! store for writing while one runs (an advisory lock on `<real path>-lock`; a store with
//! several hard links is refused).

use std::fs::{File, OpenOptions};
use std::path::Path;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};

use super::{Changes, ExecutionRow, ScheduleRow, SkipRow, Snapshot, Store, StoreError};

/// `PRAGMA application_id` of a tickflow store: "tick".
const APPLICATION_ID: i64 = 0x7469_636b;

/// Schema steps; the store's `user_version` says how many have been applied.
const MIGRATIONS: &[&str] = &[
    // 1: schedules with config and runtime state, executions, skipped occurrences.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
     CREATE TABLE schedules (
         schedule_id TEXT PRIMARY KEY,
         config_id   TEXT NOT NULL UNIQUE,
         config      TEXT NOT NULL,
         state       TEXT NOT NULL
     );
     CREATE TABLE executions (
         seq          INTEGER PRIMARY KEY,
         id           TEXT NOT NULL UNIQUE,
         schedule_id  TEXT NOT NULL,
         status       TEXT NOT NULL,
         scheduled_ms INTEGER NOT NULL,
         record       TEXT NOT NULL
     );
     CREATE INDEX executions_by_schedule ON executions (schedule_id, seq);
     CREATE TABLE skips (
         schedule_id  TEXT NOT NULL,
         scheduled_ms INTEGER NOT NULL,
         reason       TEXT NOT NULL,
         recorded_ms  INTEGER NOT NULL,
         PRIMARY KEY (schedule_id, scheduled_ms)
     ) WITHOUT ROWID;",
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How hard a commit waits for the disk. `Normal` (WAL's usual choice) survives a crash
/// of the process; `Full` also survives losing power, at an fsync per commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Synchronous {
    Normal,
    Full,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    pub path: String,
    /// Inspection only: nothing is written, no lock is taken, and the integration cannot
    /// start. Lets a `status` command read a store that a running process owns.
    pub readonly: bool,
    pub synchronous: Synchronous,
}

/// Fields drop in order: the checkpointer stops, the connection closes, then the lock goes.
pub struct SqliteStore {
    checkpointer: Option<Checkpointer>,
    conn: Connection,
    /// As given, for messages.
    path: String,
    /// With symlinks resolved: what is opened and locked.
    real: std::path::PathBuf,
    readonly: bool,
    /// Held for as long as the store is open for writing.
    _lock: Option<File>,
}

/// Copies the WAL back into the database file from a thread of its own, so that a commit
/// never waits for a checkpoint's fsync (measured: 141 µs per one-schedule commit with
/// SQLite's automatic checkpoints, 72 µs without).
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How often the checkpointer runs; and, as a safety net should it fall behind, the WAL
/// size (pages) at which a commit checkpoints by itself.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
const FALLBACK_AUTOCHECKPOINT_PAGES: i64 = 20_000;

impl Checkpointer {
    fn start(path: &Path) -> Option<Checkpointer> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tickflow-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    // Passive: never blocks the writer; a busy moment is tried again later.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok()?;
        Some(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl SqliteStore {
    pub fn open(options: &SqliteOptions) -> Result<SqliteStore, StoreError> {
        let path = options.path.clone();
        let open_error = |reason: String| StoreError::Open {
            path: path.clone(),
            reason,
        };
        let file = Path::new(&path);
        if path.is_empty() {
            return Err(open_error("the path is empty".into()));
        }
        if file.is_dir() {
            return Err(open_error("it is a directory".into()));
        }
        let exists = file.exists();
        if !exists {
            if options.readonly {
                return Err(open_error("no store exists there".into()));
            }
            let parent = file.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(dir) = parent.filter(|p| !p.is_dir()) {
                create_private_dirs(dir).map_err(|e| {
                    open_error(format!(
                        "its directory {} could not be created: {e}",
                        dir.display()
                    ))
                })?;
            }
        }
        // One writer per file, whatever name it is reached by: the lock is named from the
        // real path (symlinks resolved), and a file with several hard links is refused.
        let real = real_path(file).map_err(|e| open_error(e.to_string()))?;
        let lock = if options.readonly {
            None
        } else {
            if exists {
                refuse_hard_links(&real).map_err(open_error)?;
                // A file that is no store of ours is refused before anything (a lock file)
                // is made beside it.
                inspect(&real, &path)?;
            }
            Some(take_lock(&real, &path)?)
        };
        if !exists {
            create_private(&real).map_err(|e| open_error(e.to_string()))?;
        }
        let flags = if options.readonly {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&real, flags).map_err(|e| classify(&path, e))?;
        // SQLite opens a file it may not write read-only without a word: every commit
        // would then fail. Refuse it now.
        if !options.readonly && conn.is_readonly("main").map_err(|e| classify(&path, e))? {
            return Err(open_error(
                "this process may not write the file (SQLite could only open it read-only)".into(),
            ));
        }
        let mut store = SqliteStore {
            checkpointer: None,
            conn,
            path,
            real,
            readonly: options.readonly,
            _lock: lock,
        };
        store.prepare(options.synchronous)?;
        Ok(store)
    }

    /// Checks what the file is, then brings its schema up to date.
    fn prepare(&mut self, synchronous: Synchronous) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| classify(&path, e);
        let Kind { fresh, version } = check_kind(&self.conn, &path)?;
        self.conn
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        if self.readonly {
            if !fresh && version < SCHEMA_VERSION {
                return Err(StoreError::Version {
                    path,
                    found: version,
                    supported: SCHEMA_VERSION,
                });
            }
            return Ok(());
        }
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open {
                path,
                reason: format!("WAL mode is not available (journal mode {mode})"),
            });
        }
        let sync = match synchronous {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        };
        self.conn
            .pragma_update(None, "synchronous", sync)
            .map_err(err)?;
        if version < SCHEMA_VERSION {
            let tx = self.conn.transaction().map_err(err)?;
            for step in &MIGRATIONS[version as usize..] {
                tx.execute_batch(step).map_err(err)?;
            }
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(err)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        self.checkpointer = Checkpointer::start(&self.real);
        let pages = if self.checkpointer.is_some() {
            FALLBACK_AUTOCHECKPOINT_PAGES
        } else {
            1_000
        };
        self.conn
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(err)?;
        Ok(())
    }

    fn read(&mut self) -> rusqlite::Result<Snapshot> {
        let mut snapshot = Snapshot::default();
        if self.table_missing()? {
            return Ok(snapshot);
        }
        snapshot.seq = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'seq'", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .unwrap_or(0) as u64;
        let mut q = self
            .conn
            .prepare(&format!("{SCHEDULE_COLUMNS} ORDER BY rowid"))?;
        snapshot.schedules = q
            .query_map([], schedule_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut q = self
            .conn
            .prepare(&format!("{EXECUTION_COLUMNS} ORDER BY seq"))?;
        snapshot.executions = q
            .query_map([], execution_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut q = self.conn.prepare(&format!(
            "{SKIP_COLUMNS} ORDER BY schedule_id, scheduled_ms"
        ))?;
        snapshot.skips = q
            .query_map([], skip_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(snapshot)
    }

    /// These schedules as last committed, with their executions and skips.
    fn read_schedules(&mut self, ids: &[String]) -> rusqlite::Result<Snapshot> {
        let schedules = format!("{SCHEDULE_COLUMNS} WHERE schedule_id = ?1");
        let executions = format!("{EXECUTION_COLUMNS} WHERE schedule_id = ?1 ORDER BY seq");
        let skips = format!("{SKIP_COLUMNS} WHERE schedule_id = ?1 ORDER BY scheduled_ms");
        let mut snapshot = Snapshot::default();
        for id in ids {
            let mut q = self.conn.prepare_cached(&schedules)?;
            snapshot.schedules.extend(
                q.query_map([id], schedule_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            );
            let mut q = self.conn.prepare_cached(&executions)?;
            snapshot.executions.extend(
                q.query_map([id], execution_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            );
            let mut q = self.conn.prepare_cached(&skips)?;
            snapshot.skips.extend(
                q.query_map([id], skip_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            );
        }
        Ok(snapshot)
    }

    /// A read-only store that was never written has no tables yet.
    fn table_missing(&self) -> rusqlite::Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schedules'",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    fn apply(&mut self, c: &Changes) -> rusqlite::Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for id in &c.deleted_schedules {
            tx.prepare_cached("DELETE FROM schedules WHERE schedule_id = ?1")?
                .execute([id])?;
            tx.prepare_cached("DELETE FROM executions WHERE schedule_id = ?1")?
                .execute([id])?;
            tx.prepare_cached("DELETE FROM skips WHERE schedule_id = ?1")?
                .execute([id])?;
        }
        for row in &c.schedules {
            match &row.config {
                Some(config) => tx
                    .prepare_cached(
                        "INSERT INTO schedules (schedule_id, config_id, config, state)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (schedule_id) DO UPDATE
                         SET config_id = excluded.config_id, config = excluded.config,
                             state = excluded.state",
                    )?
                    .execute(params![row.schedule_id, row.config_id, config, row.state])?,
                None => tx
                    .prepare_cached("UPDATE schedules SET state = ?2 WHERE schedule_id = ?1")?
                    .execute(params![row.schedule_id, row.state])?,
            };
        }
        for row in &c.executions {
            tx.prepare_cached(
                "INSERT INTO executions (seq, id, schedule_id, status, scheduled_ms, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (seq) DO UPDATE
                 SET status = excluded.status, record = excluded.record",
            )?
            .execute(params![
                row.seq as i64,
                row.id,
                row.schedule_id,
                row.status,
                row.scheduled_ms,
                row.record
            ])?;
        }
        for seq in &c.pruned_executions {
            tx.prepare_cached("DELETE FROM executions WHERE seq = ?1")?
                .execute([*seq as i64])?;
        }
        for row in &c.skips {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO skips (schedule_id, scheduled_ms, reason, recorded_ms)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                row.schedule_id,
                row.scheduled_ms,
                row.reason,
                row.recorded_ms
            ])?;
        }
        for (schedule_id, up_to) in &c.pruned_skips {
            tx.prepare_cached("DELETE FROM skips WHERE schedule_id = ?1 AND scheduled_ms <= ?2")?
                .execute(params![schedule_id, up_to])?;
        }
        tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?1)")?
            .execute([c.seq as i64])?;
        tx.commit()
    }
}

impl Store for SqliteStore {
    fn load(&mut self) -> Result<Snapshot, StoreError> {
        let path = self.path.clone();
        self.read().map_err(|e| classify(&path, e))
    }

    fn load_schedules(&mut self, ids: &[String]) -> Result<Snapshot, StoreError> {
        let path = self.path.clone();
        self.read_schedules(ids).map_err(|e| classify(&path, e))
    }

    fn write(&mut self, changes: &Changes) -> Result<(), StoreError> {
        if self.readonly {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        self.apply(changes)
            .map_err(|e| StoreError::Write(e.to_string()))
    }

    fn is_readonly(&self) -> bool {
        self.readonly
    }

    fn location(&self) -> &str {
        &self.path
    }
}

const SCHEDULE_COLUMNS: &str = "SELECT schedule_id, config_id, config, state FROM schedules";
const EXECUTION_COLUMNS: &str =
    "SELECT seq, id, schedule_id, status, scheduled_ms, record FROM executions";
const SKIP_COLUMNS: &str = "SELECT schedule_id, scheduled_ms, reason, recorded_ms FROM skips";

fn schedule_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScheduleRow> {
    Ok(ScheduleRow {
        schedule_id: r.get(0)?,
        config_id: r.get(1)?,
        config: Some(r.get(2)?),
        state: r.get(3)?,
    })
}

fn execution_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExecutionRow> {
    let status: String = r.get(3)?;
    Ok(ExecutionRow {
        seq: r.get::<_, i64>(0)? as u64,
        id: r.get(1)?,
        schedule_id: r.get(2)?,
        status: static_status(&status),
        scheduled_ms: r.get(4)?,
        record: r.get(5)?,
        // Kept in `record` here; only a cluster needs them as columns.
        trigger: "manual",
        priority: 0,
        due_ms: None,
        node: None,
        started_ms: None,
        ended_ms: None,
    })
}

fn skip_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SkipRow> {
    Ok(SkipRow {
        schedule_id: r.get(0)?,
        scheduled_ms: r.get(1)?,
        reason: r.get(2)?,
        recorded_ms: r.get(3)?,
    })
}

fn static_status(s: &str) -> &'static str {
    crate::engine::ExecutionStatus::parse(s).map_or("unknown", |s| s.as_str())
}

/// Sorts SQLite's errors into the store's: a file that is not a database, or one that is
/// damaged, is `Corrupt`; the rest could not be opened.
fn classify(path: &str, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_string(),
            reason: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Locked {
            path: path.to_string(),
        },
        _ => StoreError::Open {
            path: path.to_string(),
            reason: e.to_string(),
        },
    }
}

/// Creates the missing folders of a new store, readable by this user only (0700), as the
/// store itself is (0600).
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates an empty file readable and writable by its owner only; SQLite gives its WAL and
/// shared-memory files the same permissions.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// What an existing file holds: nothing yet, or a tickflow store of a schema version.
struct Kind {
    fresh: bool,
    version: i64,
}

/// Refuses a file that is not a tickflow store, or one of a newer schema.
fn check_kind(conn: &Connection, path: &str) -> Result<Kind, StoreError> {
    let err = |e: rusqlite::Error| classify(path, e);
    let app_id: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(err)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(err)?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(err)?;
    let fresh = app_id == 0 && version == 0 && objects == 0;
    if !fresh && app_id != APPLICATION_ID {
        return Err(StoreError::Foreign {
            path: path.to_string(),
            detail: format!(
                "a SQLite database with application id {app_id:#x} and {objects} schema objects"
            ),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::Version {
            path: path.to_string(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(Kind { fresh, version })
}

/// `check_kind` on a read-only connection of its own, before the store is locked.
fn inspect(real: &Path, path: &str) -> Result<(), StoreError> {
    if std::fs::metadata(real).is_ok_and(|m| m.len() == 0) {
        return Ok(());
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(real, flags).map_err(|e| classify(path, e))?;
    check_kind(&conn, path).map(|_| ())
}

/// The file's real path: symlinks resolved; for a file not made yet, its folder's.
fn real_path(file: &Path) -> std::io::Result<std::path::PathBuf> {
    if file.exists() {
        return std::fs::canonicalize(file);
    }
    let dir = match file.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::canonicalize(dir)?,
        None => std::env::current_dir()?,
    };
    Ok(dir.join(file.file_name().unwrap_or_default()))
}

/// Two hard links are two names with two lock files: one of them could be written by a
/// second process unseen.
fn refuse_hard_links(real: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let links = std::fs::metadata(real).map_err(|e| e.to_string())?.nlink();
        if links > 1 {
            return Err(format!(
                "the file has {links} hard links; a store must have one name, so that one lock \
                 keeps a second writer out (copy it instead of linking it)"
            ));
        }
    }
    let _ = real;
    Ok(())
}

/// Whether an integration holds the store at `path` (its lock file is locked), for a reader
/// that must not say "next run in 3s" of a store nothing runs. It only looks: the lock file
/// is opened read-only, never created, and a shared lock is tried and released at once.
pub fn held(path: &str) -> std::io::Result<bool> {
    let mut lock_path = real_path(Path::new(path))?.into_os_string();
    lock_path.push("-lock");
    let file = match File::open(&lock_path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match file.try_lock_shared() {
        Ok(()) => file.unlock().map(|()| false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// An exclusive advisory lock on `<real path>-lock`, released when the file is closed (also
/// when the process dies, so a crash never leaves a store locked).
fn take_lock(real: &Path, path: &str) -> Result<File, StoreError> {
    let mut lock_path = real.as_os_str().to_owned();
    lock_path.push("-lock");
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&lock_path).map_err(|e| StoreError::Open {
        path: path.to_string(),
        reason: format!("cannot create its lock file: {e}"),
    })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: path.to_string(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Open {
            path: path.to_string(),
            reason: format!("cannot lock it: {e}"),
        }),
    }
}
