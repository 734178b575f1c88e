//! The schedules an engine holds, each in a slot of its own, found by its schedule id or its
//! scheduled workflow's id. A slot is what timers, run queues and scans name a schedule by:
//! it stays the schedule's while the schedule lives, and is reused once it is gone. The two
//! indexes change only here, with the slots, so an id they know names a live schedule.
//! (Config ids are unique in every store; while a node follows the others, a config id may
//! briefly be taken over by another schedule's row, and then names that one.)

use std::ops::Range;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::schedule::Schedule;

#[derive(Default)]
pub(crate) struct Registry {
    slots: Vec<Option<Box<Schedule>>>,
    free: Vec<u32>,
    by_schedule_id: FxHashMap<Arc<str>, u32>,
    by_config_id: FxHashMap<Arc<str>, u32>,
}

impl Registry {
    pub(crate) fn at(&self, slot: u32) -> Option<&Schedule> {
        self.slots.get(slot as usize).and_then(|s| s.as_deref())
    }

    pub(crate) fn at_mut(&mut self, slot: u32) -> Option<&mut Schedule> {
        self.slots
            .get_mut(slot as usize)
            .and_then(|s| s.as_deref_mut())
    }

    /// The slot of the schedule with this schedule id.
    pub(crate) fn slot_of(&self, schedule_id: &str) -> Option<u32> {
        self.by_schedule_id.get(schedule_id).copied()
    }

    /// The slot of the schedule of this scheduled workflow (config id).
    pub(crate) fn slot_of_config(&self, config_id: &str) -> Option<u32> {
        self.by_config_id.get(config_id).copied()
    }

    pub(crate) fn get(&self, schedule_id: &str) -> Option<&Schedule> {
        self.slot_of(schedule_id).and_then(|i| self.at(i))
    }

    pub(crate) fn by_config(&self, config_id: &str) -> Option<&Schedule> {
        self.slot_of_config(config_id).and_then(|i| self.at(i))
    }

    /// Slots in use or free: a scan walks `0..slot_count()`.
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Schedules held.
    pub(crate) fn len(&self) -> usize {
        self.by_schedule_id.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Schedule> {
        self.slots.iter().flatten().map(|s| &**s)
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Schedule> {
        self.slots.iter_mut().flatten().map(|s| &mut **s)
    }

    /// The schedules in `slots` (a scan's chunk), with their slots.
    pub(crate) fn in_slots(&self, slots: Range<usize>) -> impl Iterator<Item = (u32, &Schedule)> {
        let end = slots.end.min(self.slots.len());
        let start = slots.start.min(end);
        self.slots[start..end]
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.as_deref().map(|s| ((start + i) as u32, s)))
    }

    /// Puts a schedule in a free slot and indexes it by both its ids.
    pub(crate) fn insert(&mut self, schedule: Schedule) -> u32 {
        let (config_id, schedule_id) = (
            schedule.spec.fragments.config_id.clone(),
            schedule.spec.fragments.schedule_id.clone(),
        );
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(Box::new(schedule));
                i
            }
            None => {
                self.slots.push(Some(Box::new(schedule)));
                (self.slots.len() - 1) as u32
            }
        };
        self.by_config_id.insert(config_id, slot);
        self.by_schedule_id.insert(schedule_id, slot);
        slot
    }

    /// Takes the schedule out of its slot (free for the next one) and out of the indexes.
    pub(crate) fn remove(&mut self, slot: u32) -> Option<Box<Schedule>> {
        let s = self.slots.get_mut(slot as usize)?.take()?;
        self.by_config_id.remove(&s.spec.fragments.config_id);
        self.by_schedule_id.remove(&s.spec.fragments.schedule_id);
        self.free.push(slot);
        Some(s)
    }

    /// Puts `fresh` in place of the schedule in `slot` (the same schedule id), indexed by
    /// its config id, which may have changed; returns the one it replaced.
    pub(crate) fn replace(&mut self, slot: u32, fresh: Schedule) -> Option<Schedule> {
        let old = self.slots.get_mut(slot as usize)?.as_deref_mut()?;
        debug_assert_eq!(
            old.spec.fragments.schedule_id,
            fresh.spec.fragments.schedule_id
        );
        if old.spec.fragments.config_id != fresh.spec.fragments.config_id {
            self.by_config_id.remove(&old.spec.fragments.config_id);
            self.by_config_id
                .insert(fresh.spec.fragments.config_id.clone(), slot);
        }
        Some(std::mem::replace(old, fresh))
    }

    pub(crate) fn clear(&mut self) {
        *self = Registry::default();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::core::Engine;
    use super::super::tests::config;
    use super::*;

    /// Schedules `ids` as an engine makes them (config id `id`, schedule id `s-id`).
    fn schedules(ids: &[&str]) -> Vec<Schedule> {
        let mut e = Engine::new(Default::default(), None);
        ids.iter()
            .map(|id| {
                e.create(config(id, "0 * * * *", json!({}))).unwrap();
                e.schedule(&format!("s-{id}")).unwrap().clone()
            })
            .collect()
    }

    #[test]
    fn a_removed_schedule_leaves_both_indexes_and_its_slot_is_reused() {
        let [a, b, c]: [Schedule; 3] = schedules(&["a", "b", "c"]).try_into().unwrap();
        let mut r = Registry::default();
        assert_eq!((r.insert(a), r.insert(b)), (0, 1));
        assert_eq!(r.remove(0).unwrap().spec.fragments.config_id.as_ref(), "a");
        assert_eq!((r.slot_of("s-a"), r.slot_of_config("a")), (None, None));
        assert!(r.remove(0).is_none(), "a free slot holds nothing to remove");
        assert_eq!((r.len(), r.slot_count()), (1, 2));
        assert_eq!(r.insert(c), 0, "the freed slot is taken first");
        assert_eq!(
            r.get("s-c").map(|s| s.spec.fragments.config_id.as_ref()),
            Some("c")
        );
        assert_eq!(
            r.by_config("b")
                .map(|s| s.spec.fragments.schedule_id.as_ref()),
            Some("s-b")
        );
    }

    #[test]
    fn a_scan_walks_slots_in_order_and_skips_free_ones() {
        let mut r = Registry::default();
        for s in schedules(&["a", "b", "c", "d"]) {
            r.insert(s);
        }
        r.remove(1);
        let ids = |range| -> Vec<(u32, String)> {
            r.in_slots(range)
                .map(|(slot, s)| (slot, s.spec.fragments.config_id.to_string()))
                .collect()
        };
        assert_eq!(ids(0..3), [(0, "a".into()), (2, "c".into())]);
        assert_eq!(ids(2..100), [(2, "c".into()), (3, "d".into())]);
        assert_eq!(ids(9..12), []);
    }

    #[test]
    fn a_replaced_schedule_keeps_its_slot_and_is_found_by_its_new_config_id() {
        let mut e = Engine::new(Default::default(), None);
        e.create(config("a", "0 * * * *", json!({}))).unwrap();
        let a = e.schedule("s-a").unwrap().clone();
        // The same schedule id under another scheduled workflow's id (deleted and made again
        // elsewhere, as a node may read it).
        e.delete("a").unwrap();
        e.create(config("x", "0 * * * *", json!({ "scheduleId": "s-a" })))
            .unwrap();
        let moved = e.schedule("s-a").unwrap().clone();
        let mut r = Registry::default();
        let slot = r.insert(a);
        let old = r.replace(slot, moved).unwrap();
        assert_eq!(old.spec.fragments.config_id.as_ref(), "a");
        assert_eq!(
            (r.slot_of_config("a"), r.slot_of_config("x")),
            (None, Some(slot))
        );
        assert_eq!((r.slot_of("s-a"), r.len()), (Some(slot), 1));
    }
}
