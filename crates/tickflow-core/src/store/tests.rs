use super::*;
use std::path::PathBuf;

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("tickflow-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options(path: &str) -> SqliteOptions {
    SqliteOptions {
        path: path.into(),
        readonly: false,
        synchronous: Synchronous::Normal,
    }
}

fn sample_changes() -> Changes {
    Changes {
        seq: 42,
        schedules: vec![ScheduleRow {
            schedule_id: "s1".into(),
            config_id: "c1".into(),
            config: Some(r#"{"id":"c1"}"#.into()),
            state: r#"{"fired":1}"#.into(),
        }],
        executions: vec![ExecutionRow {
            seq: 7,
            id: "exec_7".into(),
            schedule_id: "s1".into(),
            status: "running",
            scheduled_ms: 1_000,
            record: "{}".into(),
            trigger: "manual",
            priority: 0,
            due_ms: None,
            node: None,
            started_ms: None,
            ended_ms: None,
        }],
        skips: vec![SkipRow {
            schedule_id: "s1".into(),
            scheduled_ms: 500,
            reason: "misfire".into(),
            recorded_ms: 900,
        }],
        ..Default::default()
    }
}

#[test]
fn writes_and_reads_back_one_transaction() {
    let dir = TempDir::new("roundtrip");
    let path = dir.file("state.db");
    let mut store = SqliteStore::open(&options(&path)).unwrap();
    store.write(&sample_changes()).unwrap();
    // A state-only update keeps the config; the execution row is replaced.
    let mut update = Changes {
        seq: 43,
        ..Default::default()
    };
    update.schedules.push(ScheduleRow {
        config: None,
        state: r#"{"fired":2}"#.into(),
        ..sample_changes().schedules[0].clone()
    });
    update.executions.push(ExecutionRow {
        status: "completed",
        ..sample_changes().executions[0].clone()
    });
    store.write(&update).unwrap();
    drop(store);

    let snapshot = SqliteStore::open(&options(&path)).unwrap().load().unwrap();
    assert_eq!(snapshot.seq, 43);
    assert_eq!(snapshot.schedules.len(), 1);
    assert_eq!(
        snapshot.schedules[0].config.as_deref(),
        Some(r#"{"id":"c1"}"#)
    );
    assert_eq!(snapshot.schedules[0].state, r#"{"fired":2}"#);
    assert_eq!(snapshot.executions.len(), 1);
    assert_eq!(snapshot.executions[0].status, "completed");
    assert_eq!(snapshot.skips, sample_changes().skips);
}

#[test]
fn deleting_a_schedule_removes_its_records_and_pruning_removes_rows() {
    let dir = TempDir::new("delete");
    let path = dir.file("state.db");
    let mut store = SqliteStore::open(&options(&path)).unwrap();
    store.write(&sample_changes()).unwrap();
    let mut other = sample_changes();
    other.schedules[0].schedule_id = "s2".into();
    other.schedules[0].config_id = "c2".into();
    other.executions[0].seq = 8;
    other.executions[0].id = "exec_8".into();
    other.executions[0].schedule_id = "s2".into();
    other.skips[0].schedule_id = "s2".into();
    store.write(&other).unwrap();
    store
        .write(&Changes {
            seq: 50,
            deleted_schedules: vec!["s1".into()],
            pruned_executions: vec![8],
            pruned_skips: vec![("s2".into(), 500)],
            ..Default::default()
        })
        .unwrap();
    let snapshot = store.load().unwrap();
    assert_eq!(snapshot.schedules.len(), 1);
    assert_eq!(snapshot.schedules[0].schedule_id, "s2");
    assert!(snapshot.executions.is_empty());
    assert!(snapshot.skips.is_empty());
}

#[cfg(unix)]
#[test]
fn a_new_store_is_owner_only_in_wal_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("perm");
    let path = dir.file("state.db");
    let mut store = SqliteStore::open(&options(&path)).unwrap();
    store.write(&sample_changes()).unwrap();
    for file in [path.clone(), format!("{path}-wal"), format!("{path}-lock")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file}");
    }
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_store() {
    let dir = TempDir::new("lock");
    let path = dir.file("state.db");
    let first = SqliteStore::open(&options(&path)).unwrap();
    let err = SqliteStore::open(&options(&path)).err().unwrap();
    assert_eq!(err.code(), "ERR_STORE_LOCKED");
    // A reader is welcome meanwhile.
    let reader = SqliteStore::open(&SqliteOptions {
        readonly: true,
        ..options(&path)
    })
    .unwrap();
    assert!(reader.is_readonly());
    drop(first);
    SqliteStore::open(&options(&path)).unwrap();
}

#[test]
fn held_says_whether_a_writer_holds_the_store_and_takes_nothing() {
    let dir = TempDir::new("held");
    let path = dir.file("state.db");
    assert!(!held(&path).unwrap());
    // Looking creates no lock file.
    assert!(!std::path::Path::new(&format!("{path}-lock")).exists());
    let first = SqliteStore::open(&options(&path)).unwrap();
    assert!(held(&path).unwrap());
    drop(first);
    assert!(!held(&path).unwrap());
    // Looking left the store free for a writer.
    let _second = SqliteStore::open(&options(&path)).unwrap();
    assert!(held(&path).unwrap());
}

#[test]
fn a_read_only_store_refuses_writes_and_needs_an_existing_file() {
    let dir = TempDir::new("ro");
    let path = dir.file("state.db");
    let ro = SqliteOptions {
        readonly: true,
        ..options(&path)
    };
    assert_eq!(
        SqliteStore::open(&ro).err().unwrap().code(),
        "ERR_STORE_OPEN"
    );
    SqliteStore::open(&options(&path))
        .unwrap()
        .write(&sample_changes())
        .unwrap();
    let mut reader = SqliteStore::open(&ro).unwrap();
    assert_eq!(reader.load().unwrap().schedules.len(), 1);
    assert_eq!(
        reader.write(&sample_changes()).err().unwrap().code(),
        "ERR_STORE_READONLY"
    );
}

fn assert_refused_untouched(path: &str, code: &str) {
    let before = std::fs::read(path).unwrap();
    let err = SqliteStore::open(&options(path)).err().expect("refused");
    assert_eq!(err.code(), code, "{err}");
    assert!(err.to_string().contains(path), "{err}");
    assert_eq!(std::fs::read(path).unwrap(), before, "the file was changed");
    let lock = format!("{path}-lock");
    assert!(
        !std::path::Path::new(&lock).exists(),
        "{lock} was made beside it"
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_held_store_is_locked_out_and_a_hard_link_is_refused() {
    let dir = TempDir::new("links");
    let path = dir.file("state.db");
    let first = SqliteStore::open(&options(&path)).unwrap();
    let link = dir.file("link.db");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let err = SqliteStore::open(&options(&link)).err().unwrap();
    assert_eq!(err.code(), "ERR_STORE_LOCKED", "{err}");
    // The lock is the real file's: none is made beside the symlink.
    assert!(!std::path::Path::new(&format!("{link}-lock")).exists());
    drop(first);
    // Through the symlink, once free, it opens (and locks the real file).
    let through_link = SqliteStore::open(&options(&link)).unwrap();
    assert_eq!(
        SqliteStore::open(&options(&path)).err().unwrap().code(),
        "ERR_STORE_LOCKED"
    );
    drop(through_link);

    let hard = dir.file("hard.db");
    std::fs::hard_link(&path, &hard).unwrap();
    for name in [&path, &hard] {
        let err = SqliteStore::open(&options(name)).err().unwrap();
        assert_eq!(err.code(), "ERR_STORE_OPEN", "{err}");
        assert!(err.to_string().contains("hard links"), "{err}");
    }
    std::fs::remove_file(&hard).unwrap();
    SqliteStore::open(&options(&path)).unwrap();
}

#[test]
fn foreign_damaged_and_newer_files_are_refused_and_left_untouched() {
    let dir = TempDir::new("refuse");
    // Not a database at all.
    let text = dir.file("notes.txt");
    std::fs::write(&text, "x".repeat(4096)).unwrap();
    assert_refused_untouched(&text, "ERR_STORE_CORRUPT");

    // Another application's SQLite database.
    let foreign = dir.file("other.db");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY);")
            .unwrap();
    }
    assert_refused_untouched(&foreign, "ERR_STORE_FOREIGN");

    // A tickflow store from a newer version.
    let newer = dir.file("newer.db");
    SqliteStore::open(&options(&newer)).unwrap();
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    // As if copied from a newer installation, without the lock file its creation made.
    std::fs::remove_file(format!("{newer}-lock")).unwrap();
    assert_refused_untouched(&newer, "ERR_STORE_VERSION");

    // A tickflow store whose pages were overwritten past the header.
    let damaged = dir.file("damaged.db");
    {
        let mut s = SqliteStore::open(&options(&damaged)).unwrap();
        s.write(&sample_changes()).unwrap();
    }
    {
        // Checkpoint the WAL into the main file, then leave no WAL behind.
        let c = rusqlite::Connection::open(&damaged).unwrap();
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    std::fs::remove_file(format!("{damaged}-lock")).unwrap();
    assert_refused_untouched(&damaged, "ERR_STORE_CORRUPT");
}

#[test]
fn missing_folders_are_created_private_and_a_directory_path_is_an_open_error() {
    let dir = TempDir::new("paths");
    let missing = dir.file("no/such/dir/state.db");
    drop(SqliteStore::open(&options(&missing)).unwrap());
    #[cfg(unix)]
    for folder in ["no", "no/such", "no/such/dir"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join(folder))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{folder}");
    }
    // A folder that cannot be made (a file stands in the way) is an open error.
    std::fs::write(dir.0.join("file"), b"x").unwrap();
    let err = SqliteStore::open(&options(&dir.file("file/sub/state.db")))
        .err()
        .unwrap();
    assert_eq!(err.code(), "ERR_STORE_OPEN");
    assert!(err.to_string().contains("could not be created"), "{err}");
    let err = SqliteStore::open(&options(&dir.file(""))).err().unwrap();
    assert_eq!(err.code(), "ERR_STORE_OPEN");
    let folder = dir.file("folder");
    std::fs::create_dir(&folder).unwrap();
    let err = SqliteStore::open(&options(&folder)).err().unwrap();
    assert_eq!(err.code(), "ERR_STORE_OPEN");
    assert!(!std::path::Path::new(&format!("{folder}-lock")).exists());
}

#[cfg(unix)]
#[test]
fn a_directory_without_write_permission_is_an_open_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("noperm");
    let locked = dir.0.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    let path = locked.join("state.db").to_string_lossy().into_owned();
    let result = SqliteStore::open(&options(&path));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    // root ignores permissions; everyone else is refused.
    if let Err(err) = result {
        assert_eq!(err.code(), "ERR_STORE_OPEN");
    } else {
        assert_eq!(
            effective_uid(),
            0,
            "opened a store in a read-only directory"
        );
    }
}

#[cfg(unix)]
fn effective_uid() -> u32 {
    // Read from /proc to avoid a libc dependency for one test.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2)?.parse().ok())
        })
        .unwrap_or(u32::MAX)
}
