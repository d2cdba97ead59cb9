//! Byte rings for the send and receive buffers, and the out-of-order
//! reassembly table.
//!
//! A ring has a fixed capacity (the socket buffer size), but its storage
//! grows on demand up to it, doubling each time: a connection that carries
//! ten kilobytes never holds a quarter-megabyte buffer, and a bulk
//! transfer reaches full size after a few writes. The hot path copies
//! bytes in and out and borrows contiguous views. The send ring keeps a
//! *mirror*: a copy of its first `mirror` bytes after its end, so that a
//! view of up to `mirror` bytes (a segment's payload) is contiguous even
//! when it wraps. Only a longer view that wraps makes the ring rotate its
//! storage (no allocation). Keeping the mirror costs a second copy of the
//! bytes written into the first `mirror` bytes of the storage: about one
//! segment per buffer's worth of data.
//!
//! A ring whose every write has been a slice of the bulk pattern's table
//! ([`netstep_wire::pattern`]), each at the phase that continues the
//! stream, keeps no bytes at all: what it holds is the pattern from a
//! phase, and its views are slices of the table. This is `sendfile` for
//! a simulator: a bulk sender's bytes travel by reference from the
//! table, through the send buffer, the packet and the receive buffer, to
//! the reader, and every view in between is the pattern's real bytes.
//! The first write of any other bytes (or of the pattern at another
//! phase) copies what the ring holds into storage, and from then on the
//! ring keeps bytes as any other.

use netstep_wire::SeqNumber;
use netstep_wire::pattern;

/// Where a ring's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Content {
    /// Nothing written yet: the first write decides.
    Fresh,
    /// Every byte at offset `k` from the head (queued, or written ahead
    /// of the queue) is the pattern's byte at phase `(phase + k) %
    /// PERIOD`, and the storage is unused.
    Pattern { phase: usize },
    /// In the storage.
    Bytes,
}

/// The smallest storage a ring allocates.
const MIN_STORAGE: usize = 2048;

#[derive(Clone)]
pub(crate) struct Ring {
    /// `size` bytes of ring, then a copy of its first `mirror_len()` bytes.
    buf: Vec<u8>,
    /// The ring's storage in use (the modulus of its indexes).
    size: usize,
    /// The most the ring holds.
    cap: usize,
    /// How many of the first bytes are mirrored after the end.
    mirror: usize,
    head: usize,
    len: usize,
    content: Content,
}

impl core::fmt::Debug for Ring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.cap)
            .field("storage", &self.size)
            .field("len", &self.len)
            .field("content", &self.content)
            .finish()
    }
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Ring {
        Ring::with_mirror(capacity, 0)
    }

    /// A ring whose views of up to `mirror` bytes never rotate it.
    pub(crate) fn with_mirror(capacity: usize, mirror: usize) -> Ring {
        Ring {
            buf: Vec::new(),
            size: 0,
            cap: capacity,
            mirror,
            head: 0,
            len: 0,
            content: Content::Fresh,
        }
    }

    pub(crate) fn empty() -> Ring {
        Ring::new(0)
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
    #[inline]
    pub(crate) fn free(&self) -> usize {
        self.cap - self.len
    }

    /// Frees the storage (the connection is closed).
    pub(crate) fn release(&mut self) {
        *self = Ring::empty();
    }

    #[inline]
    fn mirror_len(&self) -> usize {
        self.mirror.min(self.size)
    }

    #[inline]
    fn index(&self, offset: usize) -> usize {
        let i = self.head + offset;
        if i >= self.size { i - self.size } else { i }
    }

    /// Copies storage `[from, to)` into the mirror, where it overlaps the
    /// mirrored prefix.
    fn update_mirror(&mut self, from: usize, to: usize) {
        let to = to.min(self.mirror_len());
        if from < to {
            self.buf.copy_within(from..to, self.size + from);
        }
    }

    /// Grows the storage to hold at least `need` bytes from the head,
    /// keeping every byte (queued or written ahead) at its offset.
    fn reserve(&mut self, need: usize) {
        if need <= self.size {
            return;
        }
        let size = need
            .max(2 * self.size)
            .max(MIN_STORAGE)
            .min(self.cap)
            .max(need);
        let mut buf = vec![0u8; size + self.mirror.min(size)];
        buf[..self.size - self.head].copy_from_slice(&self.buf[self.head..self.size]);
        buf[self.size - self.head..self.size].copy_from_slice(&self.buf[..self.head]);
        self.buf = buf;
        self.size = size;
        self.head = 0;
        self.update_mirror(0, size);
    }

    /// Copies `data` into the storage at `offset` bytes past the end of the
    /// queued data, without queueing it (out-of-order data waits there until
    /// [`Ring::commit`]). Writes only what fits; returns how much.
    pub(crate) fn write_unqueued(&mut self, offset: usize, data: &[u8]) -> usize {
        if offset >= self.free() {
            return 0;
        }
        let n = data.len().min(self.free() - offset);
        if n == 0 {
            return 0;
        }
        if self.content != Content::Bytes {
            match (self.content, pattern::phase_of(data)) {
                (Content::Fresh, Some(p)) => {
                    self.content = Content::Pattern {
                        phase: back(p, self.len + offset),
                    };
                    return n;
                }
                (Content::Pattern { phase }, Some(p)) if ahead(phase, self.len + offset) == p => {
                    return n;
                }
                _ => self.materialize(),
            }
        }
        self.reserve(self.len + offset + n);
        let start = self.index(self.len + offset);
        let first = n.min(self.size - start);
        self.buf[start..start + first].copy_from_slice(&data[..first]);
        // The wrapped part and the mirror only when there is one: an
        // empty `copy_from_slice` still calls memcpy, on every segment.
        if n > first {
            self.buf[..n - first].copy_from_slice(&data[first..n]);
        }
        if self.mirror > 0 {
            self.update_mirror(start, start + first);
            self.update_mirror(0, n - first);
        }
        n
    }

    /// Keeps in storage the bytes of a ring that held the pattern by
    /// reference: every position of the ring's capacity, so that bytes
    /// written ahead of the queue stay where they were.
    #[cold]
    #[inline(never)]
    fn materialize(&mut self) {
        let Content::Pattern { phase } = self.content else {
            self.content = Content::Bytes;
            return;
        };
        self.content = Content::Bytes;
        debug_assert_eq!(self.size, 0, "a pattern ring has no storage");
        self.head = 0;
        self.reserve(self.cap);
        let mut at = 0;
        for part in pattern::chunks_at_phase(phase, self.size) {
            self.buf[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        self.update_mirror(0, self.size);
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

    /// The queued bytes `[0, n)` as (up to) two slices.
    fn front(&self, n: usize) -> (&[u8], &[u8]) {
        if n == 0 {
            return (&[], &[]);
        }
        let first = n.min(self.size - self.head);
        (
            &self.buf[self.head..self.head + first],
            &self.buf[..n - first],
        )
    }

    /// Moves up to `out.len()` bytes from the front into `out`.
    pub(crate) fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len);
        if let Content::Pattern { phase } = self.content {
            let mut at = 0;
            for part in pattern::chunks_at_phase(phase, n) {
                out[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            self.drop_front(n);
            return n;
        }
        let (a, b) = self.front(n);
        out[..a.len()].copy_from_slice(a);
        out[a.len()..n].copy_from_slice(b);
        self.drop_front(n);
        n
    }

    /// Moves up to `max` bytes from the front onto the end of `out`.
    pub(crate) fn pop_append(&mut self, out: &mut Vec<u8>, max: usize) -> usize {
        let n = max.min(self.len);
        if n == 0 {
            // Readers loop until nothing is left: this is every other call.
            return 0;
        }
        if let Content::Pattern { phase } = self.content {
            pattern::chunks_at_phase(phase, n).for_each(|part| out.extend_from_slice(part));
            self.drop_front(n);
            return n;
        }
        let (a, b) = self.front(n);
        out.extend_from_slice(a);
        if !b.is_empty() {
            out.extend_from_slice(b);
        }
        self.drop_front(n);
        n
    }

    /// Moves every queued byte to `out` without copying, when they are one
    /// run of at most `max` bytes in a ring without a mirror: the ring takes
    /// `out`'s storage (made as long as its own first) and gives its own,
    /// and the bytes are `out[range]`. `None`, changing nothing, when they
    /// are not. The caller must know that nothing waits past the end (no
    /// out-of-order bytes): the storage given away keeps them, the one
    /// taken holds garbage.
    ///
    /// This is the copy a reader makes of each segment on its way from the
    /// receive buffer to the application, saved: a reader that keeps up
    /// empties the buffer after every segment, so its bytes are always one
    /// run from the start of the storage.
    pub(crate) fn exchange(
        &mut self,
        out: &mut Vec<u8>,
        max: usize,
    ) -> Option<core::ops::Range<usize>> {
        let (head, n) = (self.head, self.len);
        if self.mirror != 0
            || n == 0
            || n > max
            || head + n > self.size
            || self.content != Content::Bytes
        {
            return None;
        }
        if out.capacity() < self.size {
            // Once per buffer of the reader's pool and size of storage:
            // from then on the two buffers trade places.
            *out = vec![0; self.size];
        } else {
            out.resize(self.size, 0);
        }
        core::mem::swap(&mut self.buf, out);
        self.head = 0;
        self.len = 0;
        Some(head..head + n)
    }

    /// Moves up to `max` queued bytes from the front (at most
    /// [`pattern::MAX_SLICE`]) out as a slice of the pattern's table, when
    /// the ring holds the pattern by reference; `None`, changing nothing,
    /// when it keeps bytes in storage or is empty. The reader gets the
    /// bytes it would have copied, without the copy.
    pub(crate) fn take_shared(&mut self, max: usize) -> Option<&'static [u8]> {
        let Content::Pattern { phase } = self.content else {
            return None;
        };
        if self.len == 0 || max == 0 {
            return None;
        }
        let bytes = pattern::at_phase(phase, max.min(self.len));
        self.drop_front(bytes.len());
        Some(bytes)
    }

    /// Forgets the first `n` queued bytes (they were acknowledged).
    pub(crate) fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        if let Content::Pattern { phase } = &mut self.content {
            *phase = ahead(*phase, n);
        } else if n > 0 {
            self.head = self.index(n);
        }
        self.len -= n;
    }

    /// Moves an empty ring's start back to index 0, which keeps later
    /// views contiguous for as long as possible. The receive buffer keeps
    /// out-of-order bytes past its end: rewind it only when it holds none.
    pub(crate) fn rewind_if_empty(&mut self) {
        if self.len == 0 {
            self.head = 0;
        }
    }

    /// A contiguous view of queued bytes `[offset, offset + n)`, rotating
    /// the storage first if the range wraps beyond the mirror. Clamped to
    /// the queued data.
    #[inline]
    pub(crate) fn view(&mut self, offset: usize, n: usize) -> &[u8] {
        let offset = offset.min(self.len);
        let n = n.min(self.len - offset);
        if n == 0 {
            return &[];
        }
        if let Content::Pattern { phase } = self.content {
            if n <= pattern::MAX_SLICE {
                return pattern::at_phase(ahead(phase, offset), n);
            }
            // Longer than one slice of the table (no segment is).
            self.materialize();
        }
        let start = self.index(offset);
        if start + n > self.size + self.mirror_len() {
            return self.view_rotated(offset, n);
        }
        &self.buf[start..start + n]
    }

    /// The rare part of [`Ring::view`], out of line so the common one
    /// inlines: the range wraps beyond the mirror.
    #[cold]
    #[inline(never)]
    fn view_rotated(&mut self, offset: usize, n: usize) -> &[u8] {
        self.buf[..self.size].rotate_left(self.head);
        self.head = 0;
        self.update_mirror(0, self.size);
        &self.buf[offset..offset + n]
    }
}

/// The phase `k` bytes after `phase` in the pattern's period.
#[inline]
fn ahead(phase: usize, k: usize) -> usize {
    (phase + k % pattern::PERIOD) % pattern::PERIOD
}

/// The phase `k` bytes before `phase` in the pattern's period.
#[inline]
fn back(phase: usize, k: usize) -> usize {
    (phase + pattern::PERIOD - k % pattern::PERIOD) % pattern::PERIOD
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
    fn exchange_trades_storage_only_for_one_run() {
        let mut r = Ring::new(4096);
        r.push(b"hello");
        r.drop_front(1);
        let mut out = b"old".to_vec();
        let range = r.exchange(&mut out, 100).expect("one run");
        assert_eq!(&out[range], b"ello");
        assert!(r.is_empty());
        // The ring works on with the storage it took.
        r.push(b"again");
        let mut out2 = Vec::new();
        assert_eq!(r.exchange(&mut out2, 3), None, "more than max");
        let range = r.exchange(&mut out2, 5).unwrap();
        assert_eq!(&out2[range], b"again");
        // Wrapped: no single run, nothing changes.
        let mut w = Ring::new(2048);
        w.push(&[1; 2000]);
        w.drop_front(1990);
        w.push(&[2; 100]);
        let mut out3 = Vec::new();
        assert_eq!(w.exchange(&mut out3, 4096), None);
        assert_eq!(w.len(), 110);
        // A ring with a mirror (the send buffer) never trades.
        let mut m = Ring::with_mirror(4096, 64);
        m.push(b"abc");
        assert_eq!(m.exchange(&mut out3, 4096), None);
    }

    /// The pattern's bytes from stream offset `at`, copied.
    fn pattern_bytes(at: u64, n: usize) -> Vec<u8> {
        (at..at + n as u64).map(pattern::byte).collect()
    }

    #[test]
    fn a_ring_of_pattern_slices_keeps_no_bytes() {
        let mut r = Ring::with_mirror(65_536, 1460);
        let (mut written, mut acked) = (0u64, 0u64);
        // Several times around the storage it never allocates, and past
        // the pattern's period.
        while acked < 3 * pattern::PERIOD as u64 {
            while r.free() > 0 {
                let n = r.free().min(8000);
                written += r.push(pattern::slice(written, n)) as u64;
            }
            let v = r.view(1460, 1460);
            assert_eq!(
                pattern::phase_of(v),
                Some(((acked + 1460) % pattern::PERIOD as u64) as usize)
            );
            assert_eq!(v, &pattern_bytes(acked + 1460, 1460)[..]);
            r.drop_front(20_000);
            acked += 20_000;
        }
        assert_eq!(
            r.content,
            Content::Pattern {
                phase: (acked % pattern::PERIOD as u64) as usize
            }
        );
        assert!(r.buf.is_empty(), "no storage");
        let shared = r.take_shared(100).expect("held by reference");
        assert_eq!(shared, &pattern_bytes(acked, 100)[..]);
        // A ring that keeps bytes hands nothing out this way.
        let mut b = Ring::new(4096);
        b.push(b"abc");
        assert_eq!(b.take_shared(100), None);
        assert_eq!(b.len(), 3);
    }

    #[test]
    fn a_pattern_ring_keeps_bytes_once_anything_else_arrives() {
        // Other bytes.
        let mut r = Ring::with_mirror(4096, 1460);
        r.push(pattern::slice(0, 3000));
        r.drop_front(1000);
        r.push(b"xyz");
        assert_eq!(r.content, Content::Bytes);
        let mut want = pattern_bytes(1000, 2000);
        want.extend_from_slice(b"xyz");
        assert_eq!(r.view(0, 2003), &want[..]);
        assert_eq!(r.take_shared(10), None);
        // The pattern at a phase that does not continue the stream: kept
        // as bytes too, after the ones before.
        let mut r = Ring::new(4096);
        r.push(pattern::slice(0, 100));
        r.push(pattern::slice(500, 100));
        let mut want = pattern_bytes(0, 100);
        want.extend_from_slice(&pattern_bytes(500, 100));
        let mut out = Vec::new();
        assert_eq!(r.pop_append(&mut out, 1000), 200);
        assert_eq!(out, want);
        // Pattern bytes copied elsewhere are other bytes: the ring keeps them.
        let mut r = Ring::new(4096);
        r.push(&pattern_bytes(0, 100));
        assert_eq!(r.content, Content::Bytes);
    }

    #[test]
    fn out_of_order_pattern_bytes_survive_the_switch_to_storage() {
        // A receive buffer: the second segment first, then the first.
        let mut r = Ring::new(8192);
        assert_eq!(r.write_unqueued(1460, pattern::slice(1460, 1460)), 1460);
        assert_eq!(r.write_unqueued(0, pattern::slice(0, 1460)), 1460);
        r.commit(2920);
        let got = r.take_shared(65_536).expect("held by reference");
        assert_eq!(got, &pattern_bytes(0, 2920)[..]);
        assert!(r.is_empty());
        // Ahead of a hole, then bytes from elsewhere in the hole: the bytes
        // ahead are kept when the ring moves to storage.
        assert_eq!(r.write_unqueued(1000, pattern::slice(3920, 500)), 500);
        assert_eq!(r.write_unqueued(0, &pattern_bytes(2920, 1000)), 1000);
        assert_eq!(r.content, Content::Bytes);
        r.commit(1500);
        let mut out = [0u8; 1500];
        assert_eq!(r.pop(&mut out), 1500);
        assert_eq!(&out[..], &pattern_bytes(2920, 1500)[..]);
    }

    #[test]
    fn pattern_rings_read_out_more_than_one_slice_of_the_table() {
        let mut r = Ring::new(200_000);
        let mut written = 0u64;
        while written < 180_000 {
            written += r.push(pattern::slice(written, 60_000)) as u64;
        }
        let mut out = vec![0u8; 140_000];
        assert_eq!(r.pop(&mut out), 140_000);
        assert_eq!(out, pattern_bytes(0, 140_000));
        let mut rest = Vec::new();
        assert_eq!(r.pop_append(&mut rest, 100_000), 40_000);
        assert_eq!(rest, pattern_bytes(140_000, 40_000));
        // A view longer than a slice of the table moves the ring to storage.
        let mut r = Ring::new(200_000);
        r.push(pattern::slice(7, 60_000));
        r.push(pattern::slice(60_007, 60_000));
        assert_eq!(r.view(0, 120_000), &pattern_bytes(7, 120_000)[..]);
        assert_eq!(r.content, Content::Bytes);
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
    fn views_through_the_mirror_do_not_rotate() {
        let byte = |k: usize| (k * 7 + k / 251) as u8;
        let mut r = Ring::with_mirror(4096, 100);
        let (mut written, mut acked) = (0, 0);
        // Keep the ring full, take 90-byte segments off the front, many
        // times around the storage.
        while acked < 100_000 {
            let chunk: Vec<u8> = (written..written + 900).map(byte).collect();
            written += r.push(&chunk);
            while r.len() >= 90 {
                let head = r.head;
                let v = r.view(0, 90).to_vec();
                assert_eq!(r.head, head, "no rotation for a view within the mirror");
                let want: Vec<u8> = (acked..acked + 90).map(byte).collect();
                assert_eq!(v, want);
                r.drop_front(90);
                acked += 90;
            }
        }
    }

    #[test]
    fn ring_matches_a_deque_model() {
        use std::collections::VecDeque;
        let mut x: u64 = 7;
        let mut rnd = |m: usize| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as usize % m.max(1)
        };
        for mirror in [0, 3, 64] {
            let mut r = Ring::with_mirror(5000, mirror);
            let mut model: VecDeque<u8> = VecDeque::new();
            let mut next = 0u8;
            for _ in 0..20_000 {
                match rnd(4) {
                    0 => {
                        let k = rnd(700);
                        let data: Vec<u8> = (0..k)
                            .map(|_| {
                                next = next.wrapping_add(1);
                                next
                            })
                            .collect();
                        let n = r.push(&data);
                        assert_eq!(n, k.min(5000 - model.len()));
                        model.extend(&data[..n]);
                    }
                    1 => {
                        let k = rnd(900);
                        let mut out = vec![0; k];
                        let n = r.pop(&mut out);
                        let want: Vec<u8> = model.drain(..n).collect();
                        assert_eq!(&out[..n], &want[..]);
                    }
                    2 => {
                        let (o, k) = (rnd(model.len() + 1), rnd(200));
                        let want: Vec<u8> = model.iter().skip(o).take(k).copied().collect();
                        assert_eq!(r.view(o, k), &want[..]);
                    }
                    _ => {
                        let k = rnd(model.len() + 1);
                        r.drop_front(k);
                        model.drain(..k);
                    }
                }
                assert_eq!(r.len(), model.len());
            }
        }
    }

    #[test]
    fn growth_keeps_out_of_order_bytes() {
        let mut r = Ring::new(100_000);
        r.push(&[1u8; 3000]);
        let mut out = vec![0; 2500];
        r.pop(&mut out);
        // Ahead of the queued data, then enough to grow the storage.
        assert_eq!(r.write_unqueued(5000, &[9u8; 10]), 10);
        assert_eq!(r.write_unqueued(0, &[2u8; 5000]), 5000);
        r.commit(5010);
        let mut out = vec![0; 5510];
        assert_eq!(r.pop(&mut out), 5510);
        assert!(out[..500].iter().all(|&b| b == 1));
        assert!(out[500..5500].iter().all(|&b| b == 2));
        assert!(out[5500..].iter().all(|&b| b == 9));
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
