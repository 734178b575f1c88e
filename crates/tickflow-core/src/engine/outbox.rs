//! What the engine has to say, in order, until JavaScript drains it; and the events it
//! builds: only those someone listens to, each with a fresh id.

use std::collections::HashSet;

use super::outbound::Message;

pub(crate) struct Outbox {
    messages: Vec<Message>,
    /// Event types someone listens to; `None` means all. Events no one hears are not built.
    listening: Option<HashSet<String>>,
    /// Every event gets a fresh id (`evt_<prefix>_<n>`): the prefix tells one engine's
    /// events from another's, the counter one event from the next.
    event_prefix: u32,
    event_seq: u64,
}

impl Outbox {
    pub(crate) fn new(event_prefix: u32) -> Outbox {
        Outbox {
            messages: Vec::new(),
            listening: None,
            event_prefix,
            event_seq: 0,
        }
    }

    pub(crate) fn push(&mut self, message: Message) {
        self.messages.push(message);
    }

    pub(crate) fn take(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.messages)
    }

    /// Moves everything to the end of `into`.
    pub(crate) fn move_to(&mut self, into: &mut Vec<Message>) {
        into.append(&mut self.messages);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.messages.clear();
    }

    /// Where what comes next starts: an operation holds it back until it is committed
    /// (`hold_from`), or takes it back when the commit fails (`take_back_to`).
    pub(crate) fn mark(&self) -> usize {
        self.messages.len()
    }

    pub(crate) fn hold_from(&mut self, mark: usize) -> Vec<Message> {
        self.messages.split_off(mark)
    }

    pub(crate) fn take_back_to(&mut self, mark: usize) {
        self.messages.truncate(mark);
    }

    /// Messages held back until their commit, released.
    pub(crate) fn release(&mut self, held: Vec<Message>) {
        self.messages.extend(held);
    }

    pub(crate) fn set_listening(&mut self, kinds: Option<Vec<String>>) {
        self.listening = kinds.map(|k| k.into_iter().collect());
    }

    pub(crate) fn wants(&self, kind: &str) -> bool {
        self.listening.as_ref().is_none_or(|set| set.contains(kind))
    }

    /// The next event's number.
    pub(crate) fn next_event(&mut self) -> u64 {
        self.event_seq += 1;
        self.event_seq
    }

    /// What every event id of this engine starts with: `evt_xxxxxxxx_`.
    pub(crate) fn event_id_prefix(&self) -> String {
        format!("evt_{:08x}_", self.event_prefix)
    }

    /// `,"id":"evt_…"`, a fresh event id.
    pub(crate) fn push_event_id(&mut self, out: &mut String) {
        use std::fmt::Write;
        let n = self.next_event();
        let _ = write!(out, ",\"id\":\"evt_{:08x}_{n:x}\"", self.event_prefix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> Message {
        Message::Event(format!("{{\"n\":{n}}}"))
    }

    #[test]
    fn what_an_operation_holds_back_is_released_in_order_or_taken_back() {
        let mut outbox = Outbox::new(7);
        outbox.push(event(1));
        let mark = outbox.mark();
        outbox.push(event(2));
        let held = outbox.hold_from(mark);
        outbox.push(event(3));
        outbox.release(held);
        assert_eq!(outbox.take(), [event(1), event(3), event(2)]);
        outbox.push(event(4));
        let mark = outbox.mark();
        outbox.push(event(5));
        outbox.take_back_to(mark);
        assert_eq!(outbox.take(), [event(4)]);
        assert!(outbox.is_empty());
    }

    #[test]
    fn event_ids_are_fresh_and_events_nobody_hears_are_not_wanted() {
        let mut outbox = Outbox::new(0xab);
        let (mut first, mut second) = (String::new(), String::new());
        outbox.push_event_id(&mut first);
        outbox.push_event_id(&mut second);
        assert_eq!(first, ",\"id\":\"evt_000000ab_1\"");
        assert_eq!(second, ",\"id\":\"evt_000000ab_2\"");
        assert!(outbox.wants("workflow.completed"));
        outbox.set_listening(Some(vec!["workflow.failed".into()]));
        assert!(!outbox.wants("workflow.completed"));
        assert!(outbox.wants("workflow.failed"));
    }
}
