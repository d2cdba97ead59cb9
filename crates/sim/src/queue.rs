//! The event queue: ordered by (virtual time, insertion order).
//!
//! Ties are broken by the order events were scheduled, never by their
//! content or an address, so a run is a pure function of its inputs.

use netstep_wire::Instant;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The heap orders small keys (time, insertion number, slot); the events
/// themselves wait in a slab of slots, so a heap operation moves 24 bytes
/// per level rather than a whole event (a packet in flight is 72).
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<(Instant, u64, u32)>>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn push(&mut self, time: Instant, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(event);
                s
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((time, seq, slot)));
    }

    pub fn pop(&mut self) -> Option<(Instant, E)> {
        let Reverse((time, _, slot)) = self.heap.pop()?;
        let event = self.slots[slot as usize].take()?;
        self.free.push(slot);
        Some((time, event))
    }

    pub fn peek_time(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_events_come_out_in_insertion_order() {
        let mut q = EventQueue::default();
        let t = Instant::from_millis(5);
        q.push(t, "b1");
        q.push(Instant::from_millis(1), "a");
        q.push(t, "b2");
        q.push(t, "b3");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b1", "b2", "b3"]);
    }
}
