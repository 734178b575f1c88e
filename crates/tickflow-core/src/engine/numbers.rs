//! Execution numbers (`seq`: the key records are ordered and found by). Alone, an engine
//! counts on from what its store held. On a cluster node the database hands out blocks of
//! them, as inputs (as quinn's `NeedIdentifiers`): the node's block, then a spare fetched
//! before each operation, so that taking a number never waits for the database.

use crate::cluster::ID_BLOCK;

#[derive(Default)]
pub(crate) struct Numbers {
    last: u64,
    /// On a cluster node: the blocks numbers come from.
    blocks: Option<Blocks>,
}

struct Blocks {
    /// The end of the current block.
    limit: u64,
    spare: Option<u64>,
    /// An operation took more numbers than its block and spare held: it must not commit
    /// (the numbers past the block are another node's).
    exhausted: bool,
}

impl Numbers {
    pub(crate) fn next(&mut self) -> u64 {
        if let Some(b) = self.blocks.as_mut() {
            if self.last + 1 >= b.limit {
                match b.spare.take() {
                    Some(block) => {
                        self.last = block;
                        b.limit = block + ID_BLOCK;
                    }
                    // An operation starts with a spare block, unless the database could not
                    // give one; one that takes more than both (a batch of large backfills)
                    // fails before its commit (`operation::locked`), and the next starts
                    // from a fresh block.
                    None => b.exhausted = true,
                }
            }
        }
        self.last += 1;
        self.last
    }

    /// The last number taken.
    pub(crate) fn last(&self) -> u64 {
        self.last
    }

    /// Numbers go on past `seq` (restored from a store).
    pub(crate) fn at_least(&mut self, seq: u64) {
        self.last = self.last.max(seq);
    }

    /// A cluster node's numbers come from this block on.
    pub(crate) fn start_block(&mut self, block: u64) {
        self.last = block;
        self.blocks = Some(Blocks {
            limit: block + ID_BLOCK,
            spare: None,
            exhausted: false,
        });
    }

    /// Off the cluster: numbers count on from the last.
    pub(crate) fn leave_blocks(&mut self) {
        self.blocks = None;
    }

    pub(crate) fn needs_spare(&self) -> bool {
        self.blocks.as_ref().is_some_and(|b| b.spare.is_none())
    }

    /// A spare block, used when the current one runs out; one offered while a spare waits
    /// is not taken.
    pub(crate) fn add_spare(&mut self, block: u64) {
        if let Some(b) = self.blocks.as_mut() {
            b.spare.get_or_insert(block);
        }
    }

    /// Whether numbers ran out since the last call (`next`).
    pub(crate) fn take_exhausted(&mut self) -> bool {
        self.blocks
            .as_mut()
            .is_some_and(|b| std::mem::take(&mut b.exhausted))
    }

    #[cfg(test)]
    pub(crate) fn jump_to(&mut self, last: u64) {
        self.last = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alone_numbers_go_on_past_what_the_store_held() {
        let mut n = Numbers::default();
        n.at_least(41);
        assert_eq!(n.next(), 42);
        n.at_least(7);
        assert_eq!(n.next(), 43);
        assert!(!n.needs_spare() && !n.take_exhausted());
    }

    #[test]
    fn on_a_cluster_node_numbers_come_from_the_block_then_its_spare() {
        let mut n = Numbers::default();
        n.start_block(ID_BLOCK);
        assert_eq!(n.next(), ID_BLOCK + 1);
        assert!(n.needs_spare());
        n.add_spare(7 * ID_BLOCK);
        // A second spare offered before the first is used is not taken.
        n.add_spare(9 * ID_BLOCK);
        assert!(!n.needs_spare());
        n.jump_to(2 * ID_BLOCK - 2);
        assert_eq!(n.next(), 2 * ID_BLOCK - 1);
        // The block is used up: the spare goes on, and the next operation fetches another.
        assert_eq!(n.next(), 7 * ID_BLOCK + 1);
        assert!(n.needs_spare());
        assert!(!n.take_exhausted());
        // Past the spare too, with none fetched: flagged, so that the operation fails
        // before its commit; the next one starts from a fresh block.
        n.jump_to(8 * ID_BLOCK - 1);
        n.next();
        assert!(n.take_exhausted());
        assert!(!n.take_exhausted(), "cleared once taken");
        n.add_spare(12 * ID_BLOCK);
        assert_eq!(n.next(), 12 * ID_BLOCK + 1);
        // Off the cluster, numbers count on.
        n.leave_blocks();
        assert_eq!(n.next(), 12 * ID_BLOCK + 2);
    }
}
