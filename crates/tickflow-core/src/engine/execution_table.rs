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
