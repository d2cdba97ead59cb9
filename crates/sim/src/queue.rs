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
use std::collections::VecDeque;

/// Marks a heap entry that stands for a lane's head rather than a slot.
const LANE: u32 = 1 << 31;

/// A heap entry: the event's time and insertion number packed so that
/// one integer comparison orders them (time first, then insertion), and
/// where the event waits (a slot, or a lane with [`LANE`] set).
#[derive(Debug, Clone, Copy)]
struct Key {
    order: u128,
    slot: u32,
}

impl Key {
    fn new(time: Instant, seq: u64, slot: u32) -> Key {
        Key {
            order: (u128::from(time.as_nanos()) << 64) | u128::from(seq),
            slot,
        }
    }

    fn time(self) -> Instant {
        Instant::from_nanos((self.order >> 64) as u64)
    }
}

/// The heap orders small keys; the events themselves wait in a slab of
/// slots or in their lane, so a heap operation moves 24 bytes per level
/// rather than a whole event (a packet in flight is 72). The heap is a
/// plain binary min-heap with a replace-the-top operation, which is what a
/// lane needs when its head leaves.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: Vec<Key>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    lanes: Vec<VecDeque<(Instant, u64, E)>>,
    len: usize,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: Vec::new(),
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
        self.heap_push(Key::new(time, seq, slot));
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
                let first = q.is_empty();
                q.push_back((time, seq, event));
                self.len += 1;
                if first {
                    self.heap_push(Key::new(time, seq, lane | LANE));
                }
            }
        }
    }

    #[inline(always)]
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        let top = *self.heap.first()?;
        let event = if top.slot & LANE != 0 {
            let q = &mut self.lanes[(top.slot & !LANE) as usize];
            let (_, _, event) = q.pop_front()?;
            match q.front() {
                // The lane's next event takes its place at the top, and
                // sinks to where its key belongs.
                Some(&(t, s, _)) => self.replace_top(Key::new(t, s, top.slot)),
                None => self.heap_pop(),
            }
            event
        } else {
            self.heap_pop();
            let event = self.slots[top.slot as usize].take()?;
            self.free.push(top.slot);
            event
        };
        self.len -= 1;
        Some((top.time(), event))
    }

    pub fn peek_time(&self) -> Option<Instant> {
        self.heap.first().map(|k| k.time())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn heap_push(&mut self, key: Key) {
        let mut i = self.heap.len();
        self.heap.push(key);
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[parent].order <= key.order {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = key;
    }

    /// Removes the top key.
    fn heap_pop(&mut self) {
        if let Some(last) = self.heap.pop()
            && !self.heap.is_empty()
        {
            self.replace_top(last);
        }
    }

    /// Puts `key` at the top in place of the current top and sinks it.
    #[inline]
    fn replace_top(&mut self, key: Key) {
        let h = &mut self.heap[..];
        let n = h.len();
        let mut i = 0;
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && h[right].order < h[left].order {
                right
            } else {
                left
            };
            if key.order <= h[child].order {
                break;
            }
            h[i] = h[child];
            i = child;
        }
        h[i] = key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;

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
            let mut plain = std::collections::BinaryHeap::new();
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
