//! The executions an engine holds, by key (the execution's number, the order records are
//! kept and found in), and the key of each by its public id. The id index changes only
//! here, with the table, so every id it knows names an execution held.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::execution::Execution;

#[derive(Default)]
pub(crate) struct ExecutionTable {
    by_key: FxHashMap<u64, Execution>,
    by_id: FxHashMap<Arc<str>, u64>,
}

impl ExecutionTable {
    pub(crate) fn get(&self, key: &u64) -> Option<&Execution> {
        self.by_key.get(key)
    }

    pub(crate) fn get_mut(&mut self, key: &u64) -> Option<&mut Execution> {
        self.by_key.get_mut(key)
    }

    pub(crate) fn contains_key(&self, key: &u64) -> bool {
        self.by_key.contains_key(key)
    }

    /// The key of the execution with this public id.
    pub(crate) fn key_of(&self, id: &str) -> Option<u64> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn holds_id(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Holds `e` under `key`, found by its id too; returns what it replaced.
    pub(crate) fn insert(&mut self, key: u64, e: Execution) -> Option<Execution> {
        let id = e.id.clone();
        let old = self.by_key.insert(key, e);
        if let Some(old) = &old {
            if self.by_id.get(&old.id) == Some(&key) {
                self.by_id.remove(&old.id);
            }
        }
        self.by_id.insert(id, key);
        old
    }

    pub(crate) fn remove(&mut self, key: &u64) -> Option<Execution> {
        let e = self.by_key.remove(key)?;
        if self.by_id.get(&e.id) == Some(key) {
            self.by_id.remove(&e.id);
        }
        Some(e)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&u64, &Execution)> {
        self.by_key.iter()
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Execution> {
        self.by_key.values()
    }

    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }

    pub(crate) fn clear(&mut self) {
        self.by_key.clear();
        self.by_id.clear();
    }
}

/// `table[&key]`: the execution, which the caller knows is held (as a map's index, it
/// panics otherwise; a panic in the engine is contained and reported).
impl std::ops::Index<&u64> for ExecutionTable {
    type Output = Execution;

    fn index(&self, key: &u64) -> &Execution {
        &self.by_key[key]
    }
}

impl<'a> IntoIterator for &'a ExecutionTable {
    type Item = (&'a u64, &'a Execution);
    type IntoIter = std::collections::hash_map::Iter<'a, u64, Execution>;

    fn into_iter(self) -> Self::IntoIter {
        self.by_key.iter()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn execution(id: &str) -> Execution {
        let record = json!({
            "id": id, "scheduleId": "s", "workflowId": "w", "scheduledWorkflowId": "c",
            "triggerType": "manual", "scheduledTime": { "$date": 0 }, "createdTime": { "$date": 0 },
            "status": "queued", "priority": 2, "attempts": [], "maxAttempts": 1,
        });
        Execution::from_record(&record, 0).unwrap()
    }

    #[test]
    fn an_id_is_found_while_its_execution_is_held_and_not_after() {
        let mut t = ExecutionTable::default();
        assert!(t.insert(7, execution("exec_a")).is_none());
        assert_eq!(t.key_of("exec_a"), Some(7));
        assert_eq!(t[&7].id.as_ref(), "exec_a");
        assert_eq!(t.remove(&7).map(|e| e.id), Some("exec_a".into()));
        assert_eq!((t.key_of("exec_a"), t.len()), (None, 0));
        assert!(t.remove(&7).is_none());
    }

    #[test]
    fn replacing_an_execution_under_its_key_indexes_the_new_id_only() {
        let mut t = ExecutionTable::default();
        t.insert(1, execution("exec_a"));
        t.insert(2, execution("exec_b"));
        let old = t.insert(1, execution("exec_c")).unwrap();
        assert_eq!(old.id.as_ref(), "exec_a");
        assert_eq!(
            (t.key_of("exec_a"), t.key_of("exec_c"), t.key_of("exec_b")),
            (None, Some(1), Some(2))
        );
        // The same id again under its key stays found.
        t.insert(2, execution("exec_b"));
        assert_eq!((t.key_of("exec_b"), t.len()), (Some(2), 2));
    }
}
