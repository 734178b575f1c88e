//! Executor answers a cluster node has yet to write, in arrival order. A turn takes them
//! all and writes those whose schedules it locked; what it could not write is put back
//! in front of what arrived meanwhile, so that answers are written in the order they came.

use super::execution::Outcome;

/// (execution id, attempt, outcome).
pub(crate) type Answer = (String, u32, Outcome);

#[derive(Default)]
pub(crate) struct PendingAnswers {
    queue: Vec<Answer>,
}

impl PendingAnswers {
    pub(crate) fn push(&mut self, answer: Answer) {
        self.queue.push(answer);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn take_all(&mut self) -> Vec<Answer> {
        std::mem::take(&mut self.queue)
    }

    /// Answers taken earlier and not written, back before those that arrived since.
    pub(crate) fn put_back(&mut self, earlier: Vec<Answer>) {
        let arrived = std::mem::replace(&mut self.queue, earlier);
        self.queue.extend(arrived);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: &str) -> Answer {
        (id.into(), 1, Outcome::Completed(serde_json::Value::Null))
    }

    #[test]
    fn answers_put_back_go_before_those_that_arrived_meanwhile() {
        let mut pending = PendingAnswers::default();
        pending.push(answer("a"));
        pending.push(answer("b"));
        let taken = pending.take_all();
        assert!(pending.is_empty());
        pending.push(answer("c"));
        pending.put_back(taken);
        let order: Vec<String> = pending.take_all().into_iter().map(|a| a.0).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }
}
