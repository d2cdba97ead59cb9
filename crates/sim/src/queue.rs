//! The event queue: ordered by (virtual time, insertion order).
//!
//! Ties are broken by the order events were scheduled, never by their
//! content or an address, so a run is a pure function of its inputs.
//!
//! Most events are packets arriving at the far end of a link direction,
//! and those arrive in the order they were sent (a constant delay after a
//! FIFO transmitter). So besides the heap there are lanes: FIFOs of events
//! whose keys only grow. A lane keeps only its head in the heap, so the
//! heap holds a handful of keys instead of every packet in flight, and
//! popping a lane's head replaces the heap's top in place rather than
//! popping and pushing. An event that would arrive before its lane's last
//! one (a reordered or delayed packet) goes into the heap on its own. Each
//! event keeps the (time, insertion number) key it would have had in a
//! plain heap, and the heap's minimum is still the minimum of all keys
//! (each lane's head is its smallest), so events come out in exactly the
//! same order.

use netstep_wire::Instant;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Marks a heap entry that stands for a lane's head rather than a slot.
const LANE: u32 = 1 << 31;

/// The heap orders small keys (time, insertion number, slot or lane); the
/// events themselves wait in a slab of slots or in their lane, so a heap
/// operation moves 24 bytes per level rather than a whole event (a packet
/// in flight is 72).
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<(Instant, u64, u32)>>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    lanes: Vec<VecDeque<(Instant, u64, E)>>,
    len: usize,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            lanes: Vec::new(),
            len: 0,
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn push(&mut self, time: Instant, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.push_slot(time, seq, event);
    }

    fn push_slot(&mut self, time: Instant, seq: u64, event: E) {
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
        debug_assert!(slot & LANE == 0, "too many events");
        self.len += 1;
        self.heap.push(Reverse((time, seq, slot)));
    }

    /// [`EventQueue::push`] for an event that usually comes no earlier
    /// than the last one pushed to `lane` (a packet on a link direction):
    /// it comes out in the same order as if pushed with `push`.
    #[inline(always)]
    pub fn push_lane(&mut self, lane: u32, time: Instant, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        debug_assert!(lane & LANE == 0, "too many lanes");
        let l = lane as usize;
        if l >= self.lanes.len() {
            self.lanes.resize_with(l + 1, VecDeque::new);
        }
        let q = &mut self.lanes[l];
        match q.back() {
            Some(&(last, _, _)) if time < last => self.push_slot(time, seq, event),
            _ => {
                if q.is_empty() {
                    self.heap.push(Reverse((time, seq, lane | LANE)));
                }
                q.push_back((time, seq, event));
                self.len += 1;
            }
        }
    }

    #[inline(always)]
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        let mut top = self.heap.peek_mut()?;
        let Reverse((time, _, slot)) = *top;
        let event = if slot & LANE != 0 {
            let q = &mut self.lanes[(slot & !LANE) as usize];
            let (_, _, event) = q.pop_front()?;
            match q.front() {
                // The lane's next event takes its place at the top, and
                // sinks to where its key belongs.
                Some(&(t, s, _)) => *top = Reverse((t, s, slot)),
                None => {
                    std::collections::binary_heap::PeekMut::pop(top);
                }
            }
            event
        } else {
            std::collections::binary_heap::PeekMut::pop(top);
            let event = self.slots[slot as usize].take()?;
            self.free.push(slot);
            event
        };
        self.len -= 1;
        Some((time, event))
    }

    pub fn peek_time(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
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

    /// Lanes give exactly the order of a plain heap of (time, insertion
    /// number), whatever the mix of lanes, plain pushes, out-of-order lane
    /// pushes and pops.
    #[test]
    fn lanes_keep_the_plain_heap_order() {
        let mut x: u64 = 42;
        let mut rnd = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for _ in 0..200 {
            let mut q = EventQueue::default();
            let mut plain = BinaryHeap::new();
            let mut seq = 0u64;
            let mut now = 0u64;
            let mut lane_last = [0u64; 3];
            let mut got = Vec::new();
            let mut want = Vec::new();
            for _ in 0..300 {
                match rnd(5) {
                    0 | 1 => {
                        let lane = rnd(3) as usize;
                        // Mostly in order per lane, sometimes earlier.
                        let t = if rnd(6) == 0 {
                            now + rnd(10)
                        } else {
                            lane_last[lane].max(now) + rnd(4)
                        };
                        lane_last[lane] = lane_last[lane].max(t);
                        q.push_lane(lane as u32, Instant::from_nanos(t), seq);
                        plain.push(Reverse((t, seq)));
                        seq += 1;
                    }
                    2 => {
                        let t = now + rnd(10);
                        q.push(Instant::from_nanos(t), seq);
                        plain.push(Reverse((t, seq)));
                        seq += 1;
                    }
                    _ => {
                        assert_eq!(q.len(), plain.len());
                        assert_eq!(
                            q.peek_time(),
                            plain.peek().map(|Reverse((t, _))| Instant::from_nanos(*t))
                        );
                        if let Some((t, e)) = q.pop() {
                            now = t.as_nanos();
                            got.push((t.as_nanos(), e));
                        }
                        if let Some(Reverse(k)) = plain.pop() {
                            want.push(k);
                        }
                    }
                }
            }
            while let Some((t, e)) = q.pop() {
                got.push((t.as_nanos(), e));
            }
            while let Some(Reverse(k)) = plain.pop() {
                want.push(k);
            }
            assert_eq!(got, want);
            assert!(q.is_empty());
        }
    }
}
