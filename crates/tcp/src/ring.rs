//! Fixed-capacity byte rings for the send and receive buffers, and the
//! out-of-order reassembly table.
//!
//! A ring is allocated once when its connection is created and never grows:
//! the hot path copies bytes in and out and borrows contiguous views. When a
//! view would straddle the end of the storage, the ring rotates its storage
//! so the data starts at index 0 (no allocation; it happens about once per
//! buffer's worth of data, so it costs O(1) per byte).

use netstep_wire::SeqNumber;

pub(crate) struct Ring {
    buf: Box<[u8]>,
    head: usize,
    len: usize,
}

impl core::fmt::Debug for Ring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.buf.len())
            .field("len", &self.len)
            .finish()
    }
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Ring {
        Ring {
            buf: vec![0; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    pub(crate) fn empty() -> Ring {
        Ring {
            buf: Box::new([]),
            head: 0,
            len: 0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }
    pub(crate) fn len(&self) -> usize {
        self.len
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub(crate) fn free(&self) -> usize {
        self.buf.len() - self.len
    }

    /// Frees the storage (the connection is closed).
    pub(crate) fn release(&mut self) {
        *self = Ring::empty();
    }

    fn index(&self, offset: usize) -> usize {
        let cap = self.buf.len();
        let i = self.head + offset;
        if i >= cap { i - cap } else { i }
    }

    /// Copies `data` into the storage at `offset` bytes past the end of the
    /// queued data, without queueing it (out-of-order data waits there until
    /// [`Ring::commit`]). Writes only what fits; returns how much.
    pub(crate) fn write_unqueued(&mut self, offset: usize, data: &[u8]) -> usize {
        let cap = self.buf.len();
        if offset >= self.free() {
            return 0;
        }
        let n = data.len().min(self.free() - offset);
        let start = self.index(self.len + offset);
        let first = n.min(cap - start);
        self.buf[start..start + first].copy_from_slice(&data[..first]);
        self.buf[..n - first].copy_from_slice(&data[first..n]);
        n
    }

    /// Queues `n` bytes already written past the end.
    pub(crate) fn commit(&mut self, n: usize) {
        debug_assert!(n <= self.free());
        self.len += n.min(self.free());
    }

    /// Appends as much of `data` as fits; returns how much.
    pub(crate) fn push(&mut self, data: &[u8]) -> usize {
        let n = self.write_unqueued(0, data);
        self.commit(n);
        n
    }

    /// Moves up to `out.len()` bytes from the front into `out`.
    pub(crate) fn pop(&mut self, out: &mut [u8]) -> usize {
        let cap = self.buf.len();
        let n = out.len().min(self.len);
        let first = n.min(cap - self.head);
        out[..first].copy_from_slice(&self.buf[self.head..self.head + first]);
        out[first..n].copy_from_slice(&self.buf[..n - first]);
        self.drop_front(n);
        n
    }

    /// Forgets the first `n` queued bytes (they were acknowledged).
    pub(crate) fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.head = self.index(n);
        self.len -= n;
    }

    /// Moves an empty ring's start back to index 0, which keeps later
    /// views contiguous for as long as possible. Only for the send buffer:
    /// the receive buffer keeps out-of-order bytes past its end.
    pub(crate) fn rewind_if_empty(&mut self) {
        if self.len == 0 {
            self.head = 0;
        }
    }

    /// A contiguous view of queued bytes `[offset, offset + n)`, rotating
    /// the storage first if the range wraps. Clamped to the queued data.
    pub(crate) fn view(&mut self, offset: usize, n: usize) -> &[u8] {
        let offset = offset.min(self.len);
        let n = n.min(self.len - offset);
        let cap = self.buf.len();
        if n == 0 {
            return &[];
        }
        let start = self.index(offset);
        if start + n > cap {
            self.buf.rotate_left(self.head);
            self.head = 0;
            return &self.buf[offset..offset + n];
        }
        &self.buf[start..start + n]
    }
}

/// Out-of-order ranges received beyond RCV.NXT, as absolute sequence
/// numbers (so nothing shifts when RCV.NXT moves). A fixed table: a segment
/// that would need more ranges than it holds is dropped, and the sender
/// retransmits it (smoltcp does the same).
#[derive(Debug, Clone, Default)]
pub(crate) struct Assembler {
    ranges: [(SeqNumber, SeqNumber); Assembler::SLOTS],
    count: usize,
}

impl Assembler {
    pub(crate) const SLOTS: usize = 8;

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub(crate) fn clear(&mut self) {
        self.count = 0;
    }

    /// Records `[start, end)`, merging with overlapping or adjacent ranges.
    /// Returns false if the table is full (nothing recorded).
    pub(crate) fn add(&mut self, start: SeqNumber, end: SeqNumber) -> bool {
        if end <= start {
            return true;
        }
        let (mut s, mut e) = (start, end);
        // Find the ranges that touch [s, e) and fold them in.
        let mut i = 0;
        let mut insert_at = self.count;
        while i < self.count {
            let (rs, re) = self.ranges[i];
            if re < s {
                i += 1;
                continue;
            }
            if e < rs {
                insert_at = i;
                break;
            }
            // Overlapping or adjacent: merge and remove range i.
            s = s.min(rs);
            e = e.max(re);
            self.ranges.copy_within(i + 1..self.count, i);
            self.count -= 1;
            insert_at = i;
        }
        if insert_at > self.count {
            insert_at = self.count;
        }
        if self.count == Self::SLOTS {
            return false;
        }
        self.ranges
            .copy_within(insert_at..self.count, insert_at + 1);
        self.ranges[insert_at] = (s, e);
        self.count += 1;
        true
    }

    /// If the first range starts at or before `next`, removes it and
    /// returns its end: RCV.NXT can advance there.
    pub(crate) fn pop_front(&mut self, next: SeqNumber) -> Option<SeqNumber> {
        if self.count == 0 || self.ranges[0].0 > next {
            return None;
        }
        let end = self.ranges[0].1;
        self.ranges.copy_within(1..self.count, 0);
        self.count -= 1;
        Some(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_wraps_and_views_rotate() {
        let mut r = Ring::new(8);
        assert_eq!(r.push(b"abcdef"), 6);
        let mut out = [0u8; 4];
        assert_eq!(r.pop(&mut out), 4);
        assert_eq!(&out, b"abcd");
        assert_eq!(r.push(b"ghijklmn"), 6, "only the free space is taken");
        assert_eq!(r.len(), 8);
        assert_eq!(r.view(0, 8), b"efghijkl");
        assert_eq!(r.view(6, 5), b"kl");
        r.drop_front(3);
        assert_eq!(r.view(0, 5), b"hijkl");
    }

    #[test]
    fn ring_holds_out_of_order_bytes_until_committed() {
        let mut r = Ring::new(8);
        r.push(b"ab");
        assert_eq!(r.write_unqueued(2, b"ef"), 2);
        assert_eq!(r.len(), 2);
        r.write_unqueued(0, b"cd");
        r.commit(4);
        assert_eq!(r.view(0, 6), b"abcdef");
        assert_eq!(r.write_unqueued(2, b"xyz"), 0, "beyond the free space");
    }

    #[test]
    fn assembler_merges_and_pops() {
        let mut a = Assembler::default();
        let s = |n| SeqNumber(n);
        assert!(a.add(s(10), s(20)));
        assert!(a.add(s(30), s(40)));
        assert!(a.add(s(20), s(25)));
        assert_eq!(a.pop_front(s(5)), None);
        assert!(a.add(s(25), s(30)));
        assert_eq!(a.pop_front(s(10)), Some(s(40)));
        assert!(a.is_empty());
    }

    #[test]
    fn assembler_refuses_when_full() {
        let mut a = Assembler::default();
        for i in 0..Assembler::SLOTS as u32 {
            assert!(a.add(SeqNumber(i * 10), SeqNumber(i * 10 + 5)));
        }
        assert!(!a.add(SeqNumber(1000), SeqNumber(1001)));
        assert!(a.add(SeqNumber(5), SeqNumber(10)), "a merge still fits");
        assert_eq!(a.pop_front(SeqNumber(0)), Some(SeqNumber(15)));
    }
}
