//! The trace's segments, stored compactly: about 8 bytes a segment in a
//! bulk transfer instead of the 216 of a [`Segment`] value.
//!
//! Segments are kept in blocks of [`BLOCK`]. A block is encoded once its
//! segments are final (every one delivered or dropped, or the run over):
//! each segment as the differences from the segment it most resembles (an
//! earlier one of the same connection, direction and sender in the block,
//! named by its distance), field by field, as variable-length integers;
//! what a segment shares with the rest of its flow (sender, receiver,
//! connection, direction, addresses, TTL) is an index into a table of
//! flows when no earlier segment of the flow is in the block.
//! What TCP makes predictable costs nothing: the next sequence number is
//! the previous one plus its length, the IP ident counts up, SND.NXT
//! follows the segment, RCV.NXT is the acknowledgement number, and most
//! variables do not change from one segment to the next. Patterns with a
//! period of two segments cost a bit each: an acknowledgement number that
//! moves on by the same step as last time (an ACK every second segment),
//! and a fate the same as that of the segment before the reference (the
//! two segments such an ACK releases leave together; the second arrives a
//! serialisation later). A block names no other block, so reading a
//! segment decodes at most its block.
//!
//! Encoding is on the simulation's path, so it is cheap where flows are
//! steady: a segment whose fields other than the ACK, SND.UNA, cwnd and
//! fate are as predicted is found so by one chain of comparisons and
//! written by a path of its own; only the others have each field's bit
//! worked out.
//!
//! Blocks still waiting for a fate stay as [`Segment`] values: a segment's
//! fate and (on arrival) its receiving host change after it is sent.
//!
//! Reading: [`Segments::at`] and [`Segments::get`] decode the block (the
//! last block decoded is kept per thread, so walking neighbours is cheap);
//! [`Segments::iter`] decodes each block once. Segments come out by value.
//!
//! What a segment costs in memory is [`Segments::heap_bytes`]: the encoded
//! blocks, their offsets and the blocks not yet encoded. Payload bytes are
//! not here: segments point into the application streams.

use crate::model::{
    AckReason, ConnVars, DropReason, Fate, Retransmission, RetxKind, RstReason, SegCause, Segment,
};
use netstep_wire::{Duration, Instant, SeqNumber, TcpFlags, TcpOptions};
use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, Ordering};

/// Segments per block.
pub const BLOCK: usize = 32;

/// How many emptied blocks' storage is kept for new blocks (more is
/// freed). A bulk run has two or three blocks open at a time and reuses
/// the same few; a pool rather than one spare lets runs whose blocks
/// settle in bursts (many interleaved connections) carry the storage of a
/// burst over to the blocks opened after it.
const SPARE_BLOCKS: usize = 64;

/// Every store gets an identity, so the per-thread decoding cache never
/// mistakes one store (or one state of a store) for another.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

#[derive(Debug, Clone)]
struct OpenBlock {
    /// The first `len` are the block's segments; any after them are left
    /// from an earlier block whose storage this was, and mean nothing.
    /// A new segment is written over one of those, in place, field by
    /// field, rather than built and then moved in (216 bytes); storage
    /// new to the store grows by pushing instead (see
    /// [`Segments::push_with`]).
    segs: Vec<Segment>,
    len: u32,
    /// How many of them are still in flight.
    in_flight: u32,
}

impl OpenBlock {
    /// Full, and every segment delivered or dropped: ready to encode (the
    /// last block, not yet full, still takes segments).
    #[inline]
    fn settled(&self) -> bool {
        self.in_flight == 0 && self.len as usize == BLOCK
    }

    /// The block's segments.
    #[inline]
    fn segs(&self) -> &[Segment] {
        &self.segs[..self.len as usize]
    }

    /// A block holding `segs` (at most [`BLOCK`]).
    fn from_segs(segs: Vec<Segment>) -> OpenBlock {
        debug_assert!(segs.len() <= BLOCK);
        let len = segs.len() as u32;
        let in_flight = segs.iter().filter(|s| s.fate == Fate::InFlight).count() as u32;
        OpenBlock {
            segs,
            len,
            in_flight,
        }
    }
}

/// The blocks not yet encoded, found by block number in constant time:
/// slot `k` holds block `base + k`. Blocks settle nearly in order, so the
/// slots stay few: from the oldest block still waiting to the newest.
#[derive(Debug, Clone, Default)]
struct OpenBlocks {
    base: u32,
    slots: std::collections::VecDeque<Option<OpenBlock>>,
    count: usize,
}

impl OpenBlocks {
    #[inline]
    fn slot(&self, b: u32) -> Option<usize> {
        // A block before `base` wraps to a huge index: not there.
        let k = b.wrapping_sub(self.base) as usize;
        (k < self.slots.len()).then_some(k)
    }

    #[inline]
    fn get(&self, b: &u32) -> Option<&OpenBlock> {
        self.slots[self.slot(*b)?].as_ref()
    }

    #[inline]
    fn get_mut(&mut self, b: &u32) -> Option<&mut OpenBlock> {
        let k = self.slot(*b)?;
        self.slots[k].as_mut()
    }

    #[inline]
    fn contains_key(&self, b: &u32) -> bool {
        self.get(b).is_some()
    }

    fn insert(&mut self, b: u32, block: OpenBlock) {
        if self.slots.is_empty() {
            self.base = b;
        }
        while b < self.base {
            self.slots.push_front(None);
            self.base -= 1;
        }
        let k = (b - self.base) as usize;
        if k >= self.slots.len() {
            self.slots.resize_with(k + 1, || None);
        }
        if self.slots[k].replace(block).is_none() {
            self.count += 1;
        }
    }

    fn remove(&mut self, b: &u32) -> Option<OpenBlock> {
        let k = self.slot(*b)?;
        let block = self.slots[k].take()?;
        self.count -= 1;
        while self.slots.front().is_some_and(Option::is_none) {
            self.slots.pop_front();
            self.base += 1;
        }
        while self.slots.back().is_some_and(Option::is_none) {
            self.slots.pop_back();
        }
        Some(block)
    }

    /// The open blocks' numbers, in order.
    fn keys(&self) -> impl Iterator<Item = u32> + '_ {
        (self.base..)
            .zip(&self.slots)
            .filter(|(_, s)| s.is_some())
            .map(|(b, _)| b)
    }

    fn values(&self) -> impl Iterator<Item = &OpenBlock> {
        self.slots.iter().flatten()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.count
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Option<OpenBlock>>()
    }

    fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
    }
}

/// The segments of a trace, in order of sending. See the module docs.
pub struct Segments {
    len: usize,
    /// Encoded blocks, back to back (in the order they were sealed).
    bytes: Vec<u8>,
    /// Where each sealed block starts in `bytes` (and its length); an open
    /// block's entry is unused.
    spans: Vec<(u64, u32)>,
    /// Blocks not yet encoded.
    open: OpenBlocks,
    /// Bytes of `bytes` no block uses any more (a block reopened).
    garbage: usize,
    /// Every distinct (sender, receiver, connection, direction, addresses,
    /// TTL) seen, so that a segment with no earlier segment of its flow in
    /// its block names its flow in a few bytes.
    flows: FlowTable,
    /// Storage of blocks sealed, for the next blocks: no allocation per
    /// block once warm. What they hold means nothing (see
    /// [`OpenBlock::segs`]).
    spare: Vec<Vec<Segment>>,
    /// Where a block is encoded before it joins `bytes`.
    scratch: Vec<u8>,
    /// Identity and version, for the decoding cache.
    id: u64,
    version: u64,
}

impl Default for Segments {
    fn default() -> Self {
        Segments::new()
    }
}

impl Clone for Segments {
    fn clone(&self) -> Self {
        Segments {
            len: self.len,
            bytes: self.bytes.clone(),
            spans: self.spans.clone(),
            open: self.open.clone(),
            garbage: self.garbage,
            flows: self.flows.clone(),
            spare: Vec::new(),
            scratch: Vec::new(),
            id: fresh_id(),
            version: 0,
        }
    }
}

impl PartialEq for Segments {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for Segments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// How many decoded blocks each thread keeps (most recent first).
const CACHED_BLOCKS: usize = 8;

/// A decoded block: (store id, store version, block, segments).
type Cached = (u64, u64, u32, Vec<Segment>);

thread_local! {
    /// The blocks decoded last, so that reading neighbours, or a small
    /// trace over and over (the annotator does), decodes each block once.
    static CACHE: RefCell<Vec<Cached>> = const { RefCell::new(Vec::new()) };
}

impl Segments {
    pub fn new() -> Segments {
        Segments {
            len: 0,
            bytes: Vec::new(),
            spans: Vec::new(),
            open: OpenBlocks::default(),
            garbage: 0,
            flows: FlowTable::default(),
            spare: Vec::new(),
            scratch: Vec::new(),
            id: fresh_id(),
            version: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a segment; returns its index.
    #[inline(always)]
    pub fn push(&mut self, seg: Segment) -> u32 {
        self.push_with(|| seg)
    }

    /// Appends the segment `make` builds; returns its index.
    ///
    /// The block's slot is found first and `make` called after, so that
    /// the segment is written straight into its place in the block rather
    /// than built elsewhere and then copied (216 bytes); opening a block
    /// is out of line.
    #[inline(always)]
    pub fn push_with(&mut self, make: impl FnOnce() -> Segment) -> u32 {
        let i = self.len;
        let b = (i / BLOCK) as u32;
        // One look-up: the last block, unless a new one starts here or
        // the last one was encoded meanwhile.
        let block = match self.open.get_mut(&b) {
            Some(block) if !i.is_multiple_of(BLOCK) => block,
            _ => self.open_for_push(b),
        };
        let k = i % BLOCK;
        debug_assert_eq!(block.len as usize, k);
        // Storage reused from an earlier block has a slot here already:
        // written in place. New storage (the first blocks of a store)
        // grows, with the segment built first and moved in.
        let seg = if let Some(slot) = block.segs.get_mut(k) {
            *slot = make();
            slot
        } else {
            block.segs.push(make());
            &block.segs[k]
        };
        block.in_flight += u32::from(seg.fate == Fate::InFlight);
        block.len += 1;
        let settled = block.settled();
        self.version += 1;
        self.len += 1;
        if settled {
            self.seal(b);
        }
        i as u32
    }

    /// Opens block `b` for [`Segments::push`]: a new one, or the last one
    /// again if it was encoded (every segment settled) before it was full.
    #[inline(never)]
    fn open_for_push(&mut self, b: u32) -> &mut OpenBlock {
        if self.len.is_multiple_of(BLOCK) {
            self.spans.push((0, 0));
            let segs = self
                .spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(BLOCK));
            self.open.insert(
                b,
                OpenBlock {
                    segs,
                    len: 0,
                    in_flight: 0,
                },
            );
        } else {
            self.reopen(b);
        }
        self.open.get_mut(&b).expect("just opened")
    }

    /// Changes segment `i` (a fate, a receiving host). Changing a segment
    /// whose block was already encoded decodes it again: cheap for the
    /// simulator, which only changes segments still in flight.
    pub fn update(&mut self, i: usize, f: impl FnOnce(&mut Segment)) {
        if i >= self.len {
            return;
        }
        let b = (i / BLOCK) as u32;
        if !self.open.contains_key(&b) {
            self.reopen(b);
        }
        self.version += 1;
        let block = self.open.get_mut(&b).expect("just opened");
        let s = &mut block.segs[i % BLOCK];
        let was = s.fate == Fate::InFlight;
        f(s);
        let now = s.fate == Fate::InFlight;
        block.in_flight = block.in_flight + u32::from(now) - u32::from(was);
        // Sealed once every segment is final (a full block only: the
        // last one still takes segments).
        if block.settled() {
            self.seal(b);
        }
    }

    /// Marks segment `i` delivered to `node` at `at`: what
    /// `update(i, |s| { s.fate = Fate::Delivered { at }; s.to = Some(node) })`
    /// does, with the common case (a segment in flight, its block open)
    /// on a short path.
    #[inline]
    pub fn deliver(&mut self, i: usize, node: u32, at: Instant) {
        let b = (i / BLOCK) as u32;
        if i < self.len
            && let Some(block) = self.open.get_mut(&b)
        {
            let s = &mut block.segs[i % BLOCK];
            if s.fate == Fate::InFlight {
                s.fate = Fate::Delivered { at };
                s.to = Some(node);
                block.in_flight -= 1;
                self.version += 1;
                if block.settled() {
                    self.seal(b);
                }
                return;
            }
        }
        self.update(i, |s| {
            s.fate = Fate::Delivered { at };
            s.to = Some(node);
        });
    }

    /// Changes every segment (tests and fixtures).
    pub fn update_all(&mut self, mut f: impl FnMut(&mut Segment)) {
        let all: Vec<Segment> = self.iter().collect();
        *self = Segments::new();
        for mut s in all {
            f(&mut s);
            self.push(s);
        }
        self.seal_all();
    }

    /// Encodes every block, in flight or not: the run is over.
    pub fn seal_all(&mut self) {
        let open: Vec<u32> = self.open.keys().collect();
        for b in open {
            self.seal(b);
        }
    }

    /// Frees spare capacity (after the run).
    pub fn shrink_to_fit(&mut self) {
        if self.garbage > 0 {
            self.compact();
        }
        self.bytes.shrink_to_fit();
        self.spans.shrink_to_fit();
        self.flows.shrink_to_fit();
        self.open.shrink_to_fit();
        self.spare = Vec::new();
        self.scratch = Vec::new();
    }

    /// Heap bytes the store uses: encoded blocks, their offsets, the flow
    /// table, the blocks not yet encoded (as `Segment` values) and, until
    /// [`Segments::shrink_to_fit`], the storage kept for the next blocks.
    pub fn heap_bytes(&self) -> usize {
        self.flows.heap_bytes()
            + self.bytes.capacity()
            + self.spans.capacity() * std::mem::size_of::<(u64, u32)>()
            + self.open.heap_bytes()
            + self.scratch.capacity()
            + self.spare.len() * BLOCK * std::mem::size_of::<Segment>()
            + self
                .open
                .values()
                .map(|b| b.segs.capacity() * std::mem::size_of::<Segment>())
                .sum::<usize>()
    }

    /// Segment `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<Segment> {
        if i >= self.len {
            return None;
        }
        self.with_block((i / BLOCK) as u32, |segs| segs.get(i % BLOCK).copied())
    }

    /// Calls `f` with the segments of block `b`: an open block as it is, an
    /// encoded one from this thread's cache, decoded first if need be.
    fn with_block<R>(&self, b: u32, f: impl FnOnce(&[Segment]) -> R) -> R {
        if let Some(block) = self.open.get(&b) {
            return f(block.segs());
        }
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            let hit = c
                .iter()
                .position(|e| e.0 == self.id && e.1 == self.version && e.2 == b);
            let k = match hit {
                Some(k) => k,
                None => {
                    let mut segs = if c.len() == CACHED_BLOCKS {
                        c.pop().map(|e| e.3).unwrap_or_default()
                    } else {
                        Vec::with_capacity(BLOCK)
                    };
                    self.decode_block(b, &mut segs);
                    c.push((self.id, self.version, b, segs));
                    c.len() - 1
                }
            };
            if k > 0 {
                let e = c.remove(k);
                c.insert(0, e);
            }
            f(&c[0].3)
        })
    }

    /// Segment `i`.
    ///
    /// # Panics
    /// If `i` is not less than [`Segments::len`], as indexing a slice would.
    pub fn at(&self, i: usize) -> Segment {
        match self.get(i) {
            Some(s) => s,
            None => panic!("segment index {i} out of range ({} segments)", self.len),
        }
    }

    pub fn first(&self) -> Option<Segment> {
        self.get(0)
    }

    pub fn last(&self) -> Option<Segment> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// Every segment in order, each block decoded once.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            store: self,
            front: 0,
            back: self.len,
            front_buf: (u32::MAX, Vec::new()),
            back_buf: (u32::MAX, Vec::new()),
        }
    }

    /// The index of the first segment for which `pred` is false, when
    /// `pred` is true for a prefix of the segments (as `slice::partition_point`).
    pub fn partition_point(&self, mut pred: impl FnMut(&Segment) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(&self.at(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The segments of block `b`, into `out`.
    fn decode_block(&self, b: u32, out: &mut Vec<Segment>) {
        out.clear();
        if let Some(block) = self.open.get(&b) {
            out.extend_from_slice(block.segs());
            return;
        }
        let first = b as usize * BLOCK;
        let n = (self.len - first).min(BLOCK);
        let (start, len) = self.spans[b as usize];
        let mut r = Reader {
            buf: &self.bytes[start as usize..start as usize + len as usize],
            pos: 0,
        };
        let mut refs = [NO_REF; BLOCK];
        for k in 0..n {
            let (s, rk) = decode_one(&mut r, out, &refs, (first + k) as u32, &self.flows.list);
            refs[k] = rk;
            out.push(s);
        }
    }

    /// Encodes block `b`, here and now.
    ///
    /// On the simulation's own thread, on purpose: a second thread that
    /// encoded blocks while the simulation went on (netstep had one) made
    /// the simulation no faster on an idle two-core machine, since handing
    /// it each block cost the simulation as much as encoding it, and
    /// slower by a fifth on a busy one, where the two threads took turns
    /// on a core (see the book's Performance chapter).
    fn seal(&mut self, b: u32) {
        let Some(block) = self.open.remove(&b) else {
            return;
        };
        let n = encode_block(
            block.segs(),
            b as usize * BLOCK,
            &mut self.flows,
            &mut self.scratch,
        );
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&self.scratch[..n]);
        self.spans[b as usize] = (start as u64, n as u32);
        self.version += 1;
        // The block's storage serves a new block, as it is: what it holds
        // is written over in place.
        if self.spare.len() < SPARE_BLOCKS {
            self.spare.push(block.segs);
        }
    }

    /// Decodes an encoded block back into an open one.
    fn reopen(&mut self, b: u32) {
        let mut segs = Vec::with_capacity(BLOCK);
        self.decode_block(b, &mut segs);
        self.garbage += self.spans[b as usize].1 as usize;
        self.open.insert(b, OpenBlock::from_segs(segs));
        self.version += 1;
    }

    /// Rewrites `bytes` without the blocks that were reopened.
    fn compact(&mut self) {
        let mut bytes = Vec::with_capacity(self.bytes.len() - self.garbage);
        for (b, span) in self.spans.iter_mut().enumerate() {
            if self.open.contains_key(&(b as u32)) {
                continue;
            }
            let (start, len) = *span;
            let new_start = bytes.len() as u64;
            bytes.extend_from_slice(&self.bytes[start as usize..(start + u64::from(len)) as usize]);
            *span = (new_start, len);
        }
        self.bytes = bytes;
        self.garbage = 0;
        self.version += 1;
    }
}

impl From<Vec<Segment>> for Segments {
    fn from(v: Vec<Segment>) -> Self {
        v.into_iter().collect()
    }
}

impl FromIterator<Segment> for Segments {
    fn from_iter<I: IntoIterator<Item = Segment>>(iter: I) -> Self {
        let mut s = Segments::new();
        for seg in iter {
            s.push(seg);
        }
        s.seal_all();
        s.shrink_to_fit();
        s
    }
}

impl<'a> IntoIterator for &'a Segments {
    type Item = Segment;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl serde::Serialize for Segments {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for Segments {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Segment>::deserialize(d)?.into())
    }
}

/// The segments of a store in order; see [`Segments::iter`].
#[derive(Debug)]
pub struct Iter<'a> {
    store: &'a Segments,
    front: usize,
    back: usize,
    front_buf: (u32, Vec<Segment>),
    back_buf: (u32, Vec<Segment>),
}

impl Iter<'_> {
    fn fetch(store: &Segments, buf: &mut (u32, Vec<Segment>), i: usize) -> Segment {
        let b = (i / BLOCK) as u32;
        if buf.0 != b {
            // A block this thread decoded lately is copied; any other is
            // decoded here, without passing through (and flushing) the
            // cache: a walk over a long trace would only evict.
            let cached = CACHE.with(|c| {
                let c = c.borrow();
                c.iter()
                    .find(|e| e.0 == store.id && e.1 == store.version && e.2 == b)
                    .map(|e| {
                        buf.1.clear();
                        buf.1.extend_from_slice(&e.3);
                    })
                    .is_some()
            });
            if !cached {
                store.decode_block(b, &mut buf.1);
            }
            buf.0 = b;
        }
        buf.1[i % BLOCK]
    }
}

impl Iterator for Iter<'_> {
    type Item = Segment;
    fn next(&mut self) -> Option<Segment> {
        if self.front >= self.back {
            return None;
        }
        let s = Self::fetch(self.store, &mut self.front_buf, self.front);
        self.front += 1;
        Some(s)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
    fn nth(&mut self, n: usize) -> Option<Segment> {
        self.front = self.front.saturating_add(n).min(self.back);
        self.next()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Segment> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        Some(Self::fetch(self.store, &mut self.back_buf, self.back))
    }
}

impl ExactSizeIterator for Iter<'_> {}

// ---------------------------------------------------------------------
// The encoding of one segment.
//
// [distance to the reference segment, 0 for none]
// [bitmap of the fields that differ from their prediction, LEB128]
// [time: zigzag difference from the previous segment of the block]
// [the differing fields, in bit order]
//
// The reference is the nearest earlier segment of the block with the same
// connection, direction and sender; without one, every field is predicted
// from a zero segment. Two fields have a second guess, taken from the
// reference's own reference, with a bit of its own and no field: the
// acknowledgement number moving on by the same step again (ACK_STEP), and
// the fate being that segment's (FATE_2). A steady flow changes only the
// fields of the first six bits, so its mask takes one byte.

mod bit {
    pub const ACK: u32 = 1 << 0;
    pub const SND_UNA: u32 = 1 << 1;
    pub const CWND: u32 = 1 << 2;
    pub const FATE: u32 = 1 << 3;
    /// The acknowledgement number moved on from the reference's by as
    /// much as the reference's had from its own reference's (no field).
    pub const ACK_STEP: u32 = 1 << 4;
    /// The fate is the reference's reference's: the same kind, as long
    /// after sending, at the same node (no field).
    pub const FATE_2: u32 = 1 << 5;
    pub const WINDOW: u32 = 1 << 6;
    pub const SND_WND: u32 = 1 << 7;
    pub const SEQ: u32 = 1 << 8;
    pub const LEN: u32 = 1 << 9;
    pub const RCV_WND: u32 = 1 << 10;
    pub const SND_NXT: u32 = 1 << 11;
    pub const RCV_NXT: u32 = 1 << 12;
    pub const OFFSET: u32 = 1 << 13;
    pub const FLAGS: u32 = 1 << 14;
    pub const CAUSE: u32 = 1 << 15;
    pub const IDENT: u32 = 1 << 16;
    pub const SSTHRESH: u32 = 1 << 17;
    pub const RTO: u32 = 1 << 18;
    /// Sender, receiver, connection, direction, addresses and TTL: an
    /// index into the flow table. Set for every segment without a
    /// reference: below bit 21, so that their masks take three bytes.
    pub const FLOW: u32 = 1 << 19;
    pub const OPTIONS: u32 = 1 << 20;
    pub const RETX: u32 = 1 << 21;
    pub const DUP: u32 = 1 << 22;
}

/// What a segment shares with the others of its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Flow {
    from: u32,
    to: Option<u32>,
    conn: Option<u32>,
    dir: u8,
    src: SocketAddrV4,
    dst: SocketAddrV4,
    ttl: u8,
}

impl Flow {
    fn of(s: &Segment) -> Flow {
        Flow {
            from: s.from,
            to: s.to,
            conn: s.conn,
            dir: s.dir,
            src: s.src,
            dst: s.dst,
            ttl: s.ttl,
        }
    }

    fn apply(&self, s: &mut Segment) {
        s.from = self.from;
        s.to = self.to;
        s.conn = self.conn;
        s.dir = self.dir;
        s.src = self.src;
        s.dst = self.dst;
        s.ttl = self.ttl;
    }
}

/// The flows of a store, in order of first appearance, and (while
/// encoding) their ids.
#[derive(Debug, Clone, Default)]
struct FlowTable {
    list: Vec<Flow>,
    /// Dropped after the run ([`Segments::shrink_to_fit`]), rebuilt if a
    /// block is encoded again.
    ids: Option<std::collections::HashMap<Flow, u32>>,
    /// Ids most recently looked up, newest first (an id is only a guess:
    /// it answers when its flow in `list` is the one asked for).
    recent: [u32; 4],
}

impl FlowTable {
    fn id(&mut self, f: Flow) -> u32 {
        // A block names its flows once each, and a run's blocks mostly
        // name the same few: the last four ids found answer most look-ups
        // without hashing a 40-byte key (which cost more than encoding the
        // segment that asked).
        if let Some(&i) = self
            .recent
            .iter()
            .find(|&&i| self.list.get(i as usize) == Some(&f))
        {
            return i;
        }
        let i = self.id_hashed(f);
        self.recent.rotate_right(1);
        self.recent[0] = i;
        i
    }

    fn id_hashed(&mut self, f: Flow) -> u32 {
        let list = &self.list;
        let ids = self.ids.get_or_insert_with(|| {
            list.iter()
                .enumerate()
                .map(|(i, &f)| (f, i as u32))
                .collect()
        });
        *ids.entry(f).or_insert_with(|| {
            self.list.push(f);
            (self.list.len() - 1) as u32
        })
    }

    fn shrink_to_fit(&mut self) {
        self.ids = None;
        self.list.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        let map = self.ids.as_ref().map_or(0, |m| {
            // A hash table entry and a control byte per bucket.
            m.capacity() * (std::mem::size_of::<(Flow, u32)>() + 1)
        });
        self.list.capacity() * std::mem::size_of::<Flow>() + map
    }
}

/// Encodes `segs` (block segments from index `first`) into `scratch`;
/// returns how many bytes. The scratch buffer is sized for the worst case
/// first, and each segment is written into a window of it of a fixed size
/// ([`WINDOW`]), so that writing checks no bound but the window's.
fn encode_block(
    segs: &[Segment],
    first: usize,
    flows: &mut FlowTable,
    scratch: &mut Vec<u8>,
) -> usize {
    let need = segs.len() * MAX_ENCODED + (WINDOW - MAX_ENCODED);
    if scratch.len() < need {
        scratch.resize(need, 0);
    }
    let mut n = 0;
    let mut refs = [NO_REF; BLOCK];
    let mut prev_time = 0;
    for (k, s) in segs.iter().enumerate() {
        let Some(buf) = scratch
            .get_mut(n..)
            .and_then(<[u8]>::first_chunk_mut::<WINDOW>)
        else {
            unreachable!("the scratch buffer has a window for every segment");
        };
        let before = &segs[..k];
        let (dist, r) = reference(before, s);
        let mut len = 0;
        if dist != 0 {
            let at = k - usize::from(dist);
            len = encode_steady(buf, s, r, reference_of(before, &refs, at), dist, prev_time);
            refs[k] = at as u8;
        }
        if len == 0 {
            let mut out = Out { buf, n: 0 };
            refs[k] = encode_unsteady(
                &mut out,
                before,
                &refs,
                s,
                dist,
                r,
                (first + k) as u32,
                flows,
            );
            len = out.n;
        }
        n += len;
        prev_time = s.time.as_nanos();
    }
    n
}

/// The most bytes one segment's encoding takes: every field differing,
/// each at its longest (a 64-bit varint is 10 bytes, a 32-bit one 5; the
/// options 46), 176 in all.
const MAX_ENCODED: usize = 192;

/// Where one segment is encoded: room for the longest encoding and for an
/// 8-byte store at its end (a varint is written whole, then the position
/// moves by its length).
const WINDOW: usize = MAX_ENCODED + 8;

/// Where a segment is encoded.
struct Out<'a> {
    buf: &'a mut [u8; WINDOW],
    n: usize,
}

impl Out<'_> {
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.buf[self.n] = b;
        self.n += 1;
    }

    /// The first `len` bytes of `x`, little-endian, in one store (the
    /// bytes after them are written over by what follows, or not kept).
    #[inline(always)]
    fn bytes(&mut self, x: u64, len: usize) {
        self.buf[self.n..self.n + 8].copy_from_slice(&x.to_le_bytes());
        self.n += len;
    }

    /// `v` as LEB128: seven bits a byte, low first, the top bit set on
    /// every byte but the last. Most values written take one to three
    /// bytes, each built without a loop and stored at once.
    #[inline(always)]
    fn var(&mut self, v: u64) {
        if v < 1 << 7 {
            self.byte(v as u8);
        } else if v < 1 << 14 {
            self.bytes(0x80 | (v & 0x7f) | (v >> 7) << 8, 2);
        } else if v < 1 << 21 {
            self.bytes(0x8080 | (v & 0x7f) | (v & 0x3f80) << 1 | (v >> 14) << 16, 3);
        } else {
            self.var_long(v);
        }
    }

    /// [`Out::var`] of four bytes or more (`v` at least 2^21), without a
    /// loop: the low 56 bits' seven-bit groups spread into the eight bytes
    /// of a word, each byte but the last of the encoding with its top bit
    /// set, stored at once; a value of more than 56 bits adds its last
    /// one or two bytes. Inline, since a call (even one rarely made) had
    /// the compiler keep the steady path's state on the stack.
    #[inline(always)]
    fn var_long(&mut self, v: u64) {
        let mut x = 0;
        for g in 0..8 {
            x |= (v & (0x7f << (7 * g))) << g;
        }
        // Bytes the encoding takes: 4 to 10.
        let len = (64 - v.leading_zeros() as usize).div_ceil(7);
        if len <= 8 {
            let more = 0x8080_8080_8080_8080u64 & ((1u64 << (8 * (len - 1))) - 1);
            self.bytes(x | more, len);
        } else {
            self.bytes(x | 0x8080_8080_8080_8080, 8);
            let top = v >> 56;
            if top < 0x80 {
                self.byte(top as u8);
            } else {
                self.byte(top as u8 | 0x80);
                self.byte((top >> 7) as u8);
            }
        }
    }

    #[inline(always)]
    fn signed(&mut self, v: i64) {
        self.var(((v << 1) ^ (v >> 63)) as u64);
    }

    /// The difference `new - old` of two 32-bit sequence-like values, as
    /// the shortest signed step around the circle.
    #[inline(always)]
    fn wrapping32(&mut self, old: u32, new: u32) {
        self.signed(i64::from(new.wrapping_sub(old) as i32));
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.buf.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn var(&mut self) -> u64 {
        // Most fields that differ differ by little: one byte.
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return u64::from(b);
        }
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            if shift < 64 {
                v |= u64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }
    fn signed(&mut self) -> i64 {
        let v = self.var();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }
    fn wrapping32(&mut self, old: u32) -> u32 {
        old.wrapping_add(self.signed() as i32 as u32)
    }
}

fn cause_code(c: SegCause) -> u8 {
    use SegCause as C;
    match c {
        C::Syn => 0,
        C::SynAck => 1,
        C::HandshakeAck => 2,
        C::Data { piggybacked_ack } => 3 + u8::from(piggybacked_ack),
        C::Fin {
            piggybacked_ack,
            with_data,
        } => 5 + u8::from(piggybacked_ack) + 2 * u8::from(with_data),
        C::AckNow { reason } => 9 + ack_reason_code(reason),
        C::DelayedAckTimer => 30,
        C::WindowUpdate => 31,
        C::ZeroWindowProbe => 32,
        C::Rst { reason } => 40 + rst_reason_code(reason),
        C::Other => 50,
    }
}

fn cause_from(code: u8) -> SegCause {
    use SegCause as C;
    match code {
        0 => C::Syn,
        1 => C::SynAck,
        2 => C::HandshakeAck,
        3 | 4 => C::Data {
            piggybacked_ack: code == 4,
        },
        5..=8 => C::Fin {
            piggybacked_ack: (code - 5) & 1 == 1,
            with_data: (code - 5) & 2 == 2,
        },
        9..=29 => ACK_REASONS
            .get(usize::from(code - 9))
            .map_or(C::Other, |&reason| C::AckNow { reason }),
        30 => C::DelayedAckTimer,
        31 => C::WindowUpdate,
        32 => C::ZeroWindowProbe,
        40..=49 => RST_REASONS
            .get(usize::from(code - 40))
            .map_or(C::Other, |&reason| C::Rst { reason }),
        _ => C::Other,
    }
}

const ACK_REASONS: [AckReason; 9] = [
    AckReason::Fin,
    AckReason::EveryNth,
    AckReason::OutOfOrder,
    AckReason::FillsHole,
    AckReason::Duplicate,
    AckReason::Unacceptable,
    AckReason::Challenge,
    AckReason::NoDelay,
    AckReason::Other,
];

fn ack_reason_code(r: AckReason) -> u8 {
    match r {
        AckReason::Fin => 0,
        AckReason::EveryNth => 1,
        AckReason::OutOfOrder => 2,
        AckReason::FillsHole => 3,
        AckReason::Duplicate => 4,
        AckReason::Unacceptable => 5,
        AckReason::Challenge => 6,
        AckReason::NoDelay => 7,
        AckReason::Other => 8,
    }
}

const RST_REASONS: [RstReason; 5] = [
    RstReason::ClosedPort,
    RstReason::Abort,
    RstReason::BadAck,
    RstReason::DataAfterClose,
    RstReason::Other,
];

fn rst_reason_code(r: RstReason) -> u8 {
    match r {
        RstReason::ClosedPort => 0,
        RstReason::Abort => 1,
        RstReason::BadAck => 2,
        RstReason::DataAfterClose => 3,
        RstReason::Other => 4,
    }
}

const DROP_REASONS: [DropReason; 9] = [
    DropReason::Loss,
    DropReason::Fault,
    DropReason::QueueFull,
    DropReason::Corrupted,
    DropReason::NoRoute,
    DropReason::TtlExpired,
    DropReason::Filtered,
    DropReason::NoNatMapping,
    DropReason::NotForUs,
];

fn drop_reason_code(r: DropReason) -> u8 {
    match r {
        DropReason::Loss => 0,
        DropReason::Fault => 1,
        DropReason::QueueFull => 2,
        DropReason::Corrupted => 3,
        DropReason::NoRoute => 4,
        DropReason::TtlExpired => 5,
        DropReason::Filtered => 6,
        DropReason::NoNatMapping => 7,
        DropReason::NotForUs => 8,
    }
}

/// A fate relative to its segment's sending time: (kind, time after
/// sending, node). Kind 0 is in flight, 1 delivered, 2 + reason dropped.
fn fate_parts(f: Fate, time: Instant) -> (u8, i64, u32) {
    let since = |at: Instant| (at.as_nanos() as i64).wrapping_sub(time.as_nanos() as i64);
    match f {
        Fate::InFlight => (0, 0, 0),
        Fate::Delivered { at } => (1, since(at), 0),
        Fate::Dropped { at, node, reason } => (2 + drop_reason_code(reason), since(at), node),
    }
}

fn fate_from(kind: u8, after: i64, node: u32, time: Instant) -> Fate {
    let at = Instant::from_nanos((time.as_nanos() as i64).wrapping_add(after) as u64);
    match kind {
        0 => Fate::InFlight,
        1 => Fate::Delivered { at },
        k => Fate::Dropped {
            at,
            node,
            reason: DROP_REASONS
                .get(usize::from(k - 2))
                .copied()
                .unwrap_or(DropReason::Loss),
        },
    }
}

fn put_retx(out: &mut Out<'_>, r: Option<Retransmission>, index: u32) {
    let Some(r) = r else {
        out.byte(0);
        return;
    };
    let (kind, n) = match r.kind {
        RetxKind::Rto { backoff } => (1, backoff),
        RetxKind::Fast => (2, 0),
        RetxKind::PartialAck => (3, 0),
        RetxKind::Syn { attempt } => (4, attempt),
    };
    out.byte(kind | if r.of_segment.is_some() { 8 } else { 0 });
    out.var(u64::from(n));
    if let Some(of) = r.of_segment {
        out.signed(i64::from(index) - i64::from(of));
    }
}

fn get_retx(r: &mut Reader<'_>, index: u32) -> Option<Retransmission> {
    let tag = r.byte();
    if tag == 0 {
        return None;
    }
    let n = r.var() as u32;
    let kind = match tag & 7 {
        1 => RetxKind::Rto { backoff: n },
        2 => RetxKind::Fast,
        3 => RetxKind::PartialAck,
        _ => RetxKind::Syn { attempt: n },
    };
    let of_segment = (tag & 8 != 0).then(|| (i64::from(index) - r.signed()) as u32);
    Some(Retransmission { of_segment, kind })
}

fn put_options(out: &mut Out<'_>, o: &TcpOptions, prev: &TcpOptions) {
    let blocks = o.sack_blocks.iter().flatten().count();
    let mask = u8::from(o.mss.is_some())
        | u8::from(o.window_scale.is_some()) << 1
        | u8::from(o.sack_permitted) << 2
        | u8::from(o.timestamps.is_some()) << 3
        | (blocks as u8) << 4;
    out.byte(mask);
    if let Some(m) = o.mss {
        out.var(u64::from(m));
    }
    if let Some(w) = o.window_scale {
        out.byte(w);
    }
    if let Some((val, ecr)) = o.timestamps {
        let (pval, pecr) = prev.timestamps.unwrap_or((0, 0));
        out.wrapping32(pval, val);
        out.wrapping32(pecr, ecr);
    }
    // Blocks keep their slots (a `None` between two blocks would move).
    if blocks > 0 {
        let slots = o
            .sack_blocks
            .iter()
            .enumerate()
            .fold(0u8, |m, (k, b)| m | (u8::from(b.is_some()) << k));
        out.byte(slots);
        for (l, r) in o.sack_blocks.iter().flatten() {
            out.var(u64::from(l.get()));
            out.var(u64::from(r.get()));
        }
    }
}

fn get_options(r: &mut Reader<'_>, prev: &TcpOptions) -> TcpOptions {
    let mask = r.byte();
    let mut o = TcpOptions::NONE;
    if mask & 1 != 0 {
        o.mss = Some(r.var() as u16);
    }
    if mask & 2 != 0 {
        o.window_scale = Some(r.byte());
    }
    o.sack_permitted = mask & 4 != 0;
    if mask & 8 != 0 {
        let (pval, pecr) = prev.timestamps.unwrap_or((0, 0));
        let val = r.wrapping32(pval);
        let ecr = r.wrapping32(pecr);
        o.timestamps = Some((val, ecr));
    }
    if mask >> 4 != 0 {
        let slots = r.byte();
        for k in 0..3 {
            if slots & (1 << k) != 0 {
                let left = SeqNumber(r.var() as u32);
                let right = SeqNumber(r.var() as u32);
                o.sack_blocks[k] = Some((left, right));
            }
        }
    }
    o
}

/// The segment every field of a segment without a reference is predicted
/// from.
static ZERO: Segment = Segment {
    time: Instant::ZERO,
    from: 0,
    to: None,
    conn: None,
    dir: 0,
    src: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
    dst: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
    ttl: 0,
    ip_ident: 0,
    seq: SeqNumber(0),
    ack: None,
    flags: TcpFlags(0),
    window: 0,
    options: TcpOptions::NONE,
    payload_offset: 0,
    payload_len: 0,
    cause: SegCause::Other,
    retransmission: None,
    duplicate_of: None,
    fate: Fate::InFlight,
    vars: ConnVars {
        snd_una: SeqNumber(0),
        snd_nxt: SeqNumber(0),
        snd_wnd: 0,
        rcv_nxt: SeqNumber(0),
        rcv_wnd: 0,
        cwnd: 0,
        ssthresh: 0,
        rto: Duration::ZERO,
    },
};

#[cfg(test)]
fn zero_segment() -> Segment {
    ZERO
}

/// The nearest earlier segment of `block` with the same connection,
/// direction and sender, as (distance, segment); (0, the zero segment)
/// when there is none.
#[inline(always)]
fn reference<'a>(block: &'a [Segment], s: &Segment) -> (u8, &'a Segment) {
    for (d, r) in block.iter().rev().enumerate() {
        if r.from == s.from && r.dir == s.dir && r.conn == s.conn {
            return ((d + 1) as u8, r);
        }
    }
    (0, &ZERO)
}

/// In a block being encoded or decoded, where each segment's reference is
/// (or `NO_REF`, the zero segment): what predictions from the reference's
/// reference are made with.
type Refs = [u8; BLOCK];

const NO_REF: u8 = u8::MAX;

/// The reference of the segment at `k` of `block` as `refs` records it.
#[inline(always)]
fn reference_of<'a>(block: &'a [Segment], refs: &Refs, k: usize) -> &'a Segment {
    refs.get(k)
        .and_then(|&j| block.get(usize::from(j)))
        .unwrap_or(&ZERO)
}

/// The acknowledgement number moved on from `r`'s by as much as `r`'s did
/// from `rr`'s (`r` and `rr` a segment's reference and its reference's):
/// what a receiver that acknowledges every second segment sends. `r`'s
/// when either has none.
#[inline(always)]
fn ack_step(r: &Segment, rr: &Segment) -> Option<SeqNumber> {
    match (r.ack, rr.ack) {
        (Some(a), Some(b)) => Some(SeqNumber(
            a.get().wrapping_add(a.get().wrapping_sub(b.get())),
        )),
        (a, _) => a,
    }
}

/// Whether `s`'s fate is the one predicted from `r`'s: the same kind, as
/// long after sending, at the same node ([`fate_parts`] equal).
#[inline(always)]
fn same_fate(s: &Segment, r: &Segment) -> bool {
    // By reference: a copy of each fate loads every field of both.
    match (&s.fate, &r.fate) {
        (Fate::Delivered { at: a }, Fate::Delivered { at: b }) => {
            a.as_nanos().wrapping_sub(s.time.as_nanos())
                == b.as_nanos().wrapping_sub(r.time.as_nanos())
        }
        _ => same_fate_parts(s, r),
    }
}

/// [`same_fate`] for fates other than two deliveries.
#[cold]
#[inline(never)]
fn same_fate_parts(s: &Segment, r: &Segment) -> bool {
    fate_parts(s.fate, s.time) == fate_parts(r.fate, r.time)
}

/// Encodes `s` into `buf` if its flow is steady (see [`steady`]): `r` its
/// reference, `dist` back, and `rr` that one's. Returns how many bytes,
/// or 0 when the flow is not steady and nothing was written.
///
/// Out of line, with only these for inputs: inlined into the encoding
/// loop, the comparisons that make up most of its work each reloaded
/// the loop's state from the stack on their way to the slow path.
#[inline(never)]
fn encode_steady(
    buf: &mut [u8; WINDOW],
    s: &Segment,
    r: &Segment,
    rr: &Segment,
    dist: u8,
    prev_time: u64,
) -> usize {
    if !steady(s, r) {
        return 0;
    }
    // Only the fields of `STEADY_BITS` can differ, so the mask takes one
    // byte: it is written last, in the room left for it, each field
    // being written as soon as it is found to differ.
    let mut out = Out { buf, n: 2 };
    out.signed((s.time.as_nanos() as i64).wrapping_sub(prev_time as i64));
    let mut m = 0;
    if s.ack != r.ack {
        if s.ack == ack_step(r, rr) {
            m |= bit::ACK_STEP;
        } else {
            m |= bit::ACK;
            put_ack(&mut out, s, r);
        }
    }
    if s.vars.snd_una != r.vars.snd_una {
        m |= bit::SND_UNA;
        out.wrapping32(r.vars.snd_una.get(), s.vars.snd_una.get());
    }
    if s.vars.cwnd != r.vars.cwnd {
        m |= bit::CWND;
        out.signed(i64::from(s.vars.cwnd) - i64::from(r.vars.cwnd));
    }
    if !same_fate(s, r) {
        if same_fate(s, rr) {
            m |= bit::FATE_2;
        } else {
            m |= bit::FATE;
            put_fate(&mut out, s);
        }
    }
    out.buf[0] = dist;
    out.buf[1] = m as u8;
    out.n
}

/// The acknowledgement number, as a difference from the reference's:
/// 0 for none, else 1 + the zigzag difference.
#[inline(always)]
fn put_ack(out: &mut Out<'_>, s: &Segment, r: &Segment) {
    match s.ack {
        None => out.var(0),
        Some(a) => {
            let base = r.ack.map_or(0, SeqNumber::get);
            let d = i64::from(a.get().wrapping_sub(base) as i32);
            out.var((((d << 1) ^ (d >> 63)) as u64) + 1);
        }
    }
}

/// The fate: kind, time after sending and, for a drop, the node.
#[inline(always)]
fn put_fate(out: &mut Out<'_>, s: &Segment) {
    let (fk, fa, fnode) = fate_parts(s.fate, s.time);
    out.byte(fk);
    out.signed(fa);
    if fk >= 2 {
        out.var(u64::from(fnode));
    }
}

/// The mask bits of [`STEADY_BITS`] for `s`, with reference `r` and `r`'s
/// reference `rr`.
#[inline(always)]
fn hot_bits(s: &Segment, r: &Segment, rr: &Segment) -> u32 {
    let ack = if s.ack == r.ack {
        0
    } else if s.ack == ack_step(r, rr) {
        bit::ACK_STEP
    } else {
        bit::ACK
    };
    // A flow's steady states repeat with a period of two segments as
    // often as one (an ACK every second segment: the two segments it
    // releases go out together, the second arriving a serialisation
    // later): the reference's reference is the second guess.
    let fate = if same_fate(s, r) {
        0
    } else if same_fate(s, rr) {
        bit::FATE_2
    } else {
        bit::FATE
    };
    ack | fate
        | (u32::from(s.vars.snd_una != r.vars.snd_una) * bit::SND_UNA)
        | (u32::from(s.vars.cwnd != r.vars.cwnd) * bit::CWND)
}

/// Writes the fields of mask `m` of [`STEADY_BITS`], in bit order.
#[inline(always)]
fn put_hot(out: &mut Out<'_>, s: &Segment, r: &Segment, m: u32) {
    if m & bit::ACK != 0 {
        put_ack(out, s, r);
    }
    if m & bit::SND_UNA != 0 {
        out.wrapping32(r.vars.snd_una.get(), s.vars.snd_una.get());
    }
    if m & bit::CWND != 0 {
        out.signed(i64::from(s.vars.cwnd) - i64::from(r.vars.cwnd));
    }
    if m & bit::FATE != 0 {
        put_fate(out, s);
    }
}

/// [`encode_one`] for a segment without a reference in its block, or one
/// whose flow changed more than a steady flow does.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn encode_unsteady(
    out: &mut Out<'_>,
    before: &[Segment],
    refs: &Refs,
    s: &Segment,
    dist: u8,
    r: &Segment,
    index: u32,
    flows: &mut FlowTable,
) -> u8 {
    let prev_time = before.last().map_or(0, |p| p.time.as_nanos());
    if dist == 0 {
        // A copy of its own, where what is compared with the zero segment
        // is compared with constants.
        encode_against(out, s, &ZERO, &ZERO, 0, prev_time, index, flows);
        NO_REF
    } else {
        let at = before.len() - usize::from(dist);
        let rr = reference_of(before, refs, at);
        encode_against(out, s, r, rr, dist, prev_time, index, flows);
        at as u8
    }
}

/// [`encode_unsteady`] with its reference `r` and that one's `rr` (the
/// zero segment for both when `dist` is 0).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn encode_against(
    out: &mut Out<'_>,
    s: &Segment,
    r: &Segment,
    rr: &Segment,
    dist: u8,
    prev_time: u64,
    index: u32,
    flows: &mut FlowTable,
) {
    // Without a reference, `r` and `rr` are both the zero segment: no
    // second guess is taken where the first failed.
    let m = hot_bits(s, r, rr) | unsteady_bits(s, r, dist);
    out.byte(dist);
    out.var(u64::from(m));
    out.signed((s.time.as_nanos() as i64).wrapping_sub(prev_time as i64));
    put_hot(out, s, r, m);
    if m & !STEADY_BITS != 0 {
        put_unsteady(out, s, r, m, index, flows);
    }
}

/// The bits of the fields a steady flow changes; every other field is
/// either the reference's or predicted from it.
const STEADY_BITS: u32 =
    bit::ACK | bit::ACK_STEP | bit::SND_UNA | bit::CWND | bit::FATE | bit::FATE_2;

/// The segment's sequence space, SND.NXT, RCV.NXT and payload offset as
/// predicted from its reference `r` (see the module docs): (next sequence
/// number, the segment's own end, RCV.NXT, offset).
#[inline(always)]
fn predictions(s: &Segment, r: &Segment) -> (u32, u32, SeqNumber, u64) {
    let next_seq = r.seq.get().wrapping_add(r.seq_len());
    let own_end = s.seq.get().wrapping_add(s.seq_len());
    let pred_rcv_nxt = s.ack.map_or(r.vars.rcv_nxt, |a| a);
    let pred_offset = if s.payload_len == 0 {
        0
    } else {
        r.payload_offset.wrapping_add(u64::from(r.payload_len))
    };
    (next_seq, own_end, pred_rcv_nxt, pred_offset)
}

/// Whether every field outside [`STEADY_BITS`] is as predicted from the
/// reference `r` (which is not the zero segment): the time the encoder
/// spends on a segment of a steady flow is mostly this test, so it is a
/// chain of comparisons that stops at the first difference, not a bit
/// per field. Exactly `unsteady_bits(s, r, dist) == 0`.
#[inline(always)]
fn steady(s: &Segment, r: &Segment) -> bool {
    let (v, rv) = (&s.vars, &r.vars);
    // With the flags and the length the reference's, so is the sequence
    // space the segment takes.
    s.flags == r.flags
        && s.payload_len == r.payload_len
        && s.seq.get() == r.seq.get().wrapping_add(r.seq_len())
        && v.snd_nxt.get() == s.seq.get().wrapping_add(r.seq_len())
        && s.ip_ident == r.ip_ident.wrapping_add(1)
        && v.rcv_nxt == s.ack.unwrap_or(rv.rcv_nxt)
        && s.payload_offset
            == if s.payload_len == 0 {
                0
            } else {
                r.payload_offset.wrapping_add(u64::from(r.payload_len))
            }
        && s.window == r.window
        && v.snd_wnd == rv.snd_wnd
        && v.rcv_wnd == rv.rcv_wnd
        && v.ssthresh == rv.ssthresh
        && v.rto == rv.rto
        && s.retransmission.is_none()
        && s.duplicate_of.is_none()
        && same_cause(s.cause, r.cause)
        && s.to == r.to
        && s.src == r.src
        && s.dst == r.dst
        && s.ttl == r.ttl
        && same_options(&s.options, &r.options)
}

/// `a == b`, inline and with no call on any path: the derived comparison
/// is a call, and a call anywhere in the steady test (even one taken
/// rarely) made the compiler keep the test's inputs on the stack and
/// reload them at every comparison.
#[inline(always)]
fn same_cause(a: SegCause, b: SegCause) -> bool {
    use SegCause as C;
    match (a, b) {
        (C::Data { piggybacked_ack: x }, C::Data { piggybacked_ack: y }) => x == y,
        (C::AckNow { reason: x }, C::AckNow { reason: y }) => x as u8 == y as u8,
        (
            C::Fin {
                piggybacked_ack: p,
                with_data: w,
            },
            C::Fin {
                piggybacked_ack: q,
                with_data: x,
            },
        ) => p == q && w == x,
        (C::Rst { reason: x }, C::Rst { reason: y }) => x as u8 == y as u8,
        // Any two of the same kind with fields were matched above: the
        // same kind here is the same cause.
        _ => std::mem::discriminant(&a) == std::mem::discriminant(&b),
    }
}

/// `a == b`, inline; see [`same_cause`]. `a` is taken apart field by
/// field, so that a field added to `TcpOptions` stops the build here
/// instead of going uncompared.
#[inline(always)]
fn same_options(a: &TcpOptions, b: &TcpOptions) -> bool {
    let TcpOptions {
        mss,
        window_scale,
        sack_permitted,
        timestamps,
        sack_blocks,
    } = a;
    *timestamps == b.timestamps
        && sack_blocks[0] == b.sack_blocks[0]
        && sack_blocks[1] == b.sack_blocks[1]
        && sack_blocks[2] == b.sack_blocks[2]
        && *mss == b.mss
        && *window_scale == b.window_scale
        && *sack_permitted == b.sack_permitted
}

/// The mask bits, outside [`STEADY_BITS`], of the fields not as predicted
/// from the reference `r` (`dist` away; 0 for the zero segment).
#[inline(always)]
fn unsteady_bits(s: &Segment, r: &Segment, dist: u8) -> u32 {
    let v = &s.vars;
    let rv = &r.vars;
    let (next_seq, own_end, pred_rcv_nxt, pred_offset) = predictions(s, r);
    // With a reference, sender, connection and direction are the same
    // (that is how it was chosen): the rest of the flow is compared.
    debug_assert!(dist == 0 || (s.from, s.conn, s.dir) == (r.from, r.conn, r.dir));
    let same_flow = dist != 0 && s.to == r.to && s.src == r.src && s.dst == r.dst && s.ttl == r.ttl;
    let mut m = 0u32;
    m |= u32::from(s.window != r.window) * bit::WINDOW;
    m |= u32::from(v.snd_wnd != rv.snd_wnd) * bit::SND_WND;
    m |= u32::from(s.seq.get() != next_seq) * bit::SEQ;
    m |= u32::from(s.payload_len != r.payload_len) * bit::LEN;
    m |= u32::from(v.rcv_wnd != rv.rcv_wnd) * bit::RCV_WND;
    m |= u32::from(v.snd_nxt.get() != own_end) * bit::SND_NXT;
    m |= u32::from(v.rcv_nxt != pred_rcv_nxt) * bit::RCV_NXT;
    m |= u32::from(s.payload_offset != pred_offset) * bit::OFFSET;
    m |= u32::from(s.flags != r.flags) * bit::FLAGS;
    m |= u32::from(s.cause != r.cause) * bit::CAUSE;
    m |= u32::from(s.ip_ident != r.ip_ident.wrapping_add(1)) * bit::IDENT;
    m |= u32::from(v.ssthresh != rv.ssthresh) * bit::SSTHRESH;
    m |= u32::from(v.rto != rv.rto) * bit::RTO;
    m |= u32::from(s.retransmission.is_some()) * bit::RETX;
    m |= u32::from(s.duplicate_of.is_some()) * bit::DUP;
    m |= u32::from(s.options != r.options) * bit::OPTIONS;
    m |= u32::from(!same_flow) * bit::FLOW;
    m
}

/// Writes the fields of mask `m` outside [`STEADY_BITS`], in bit order.
#[inline(always)]
fn put_unsteady(
    out: &mut Out<'_>,
    s: &Segment,
    r: &Segment,
    m: u32,
    index: u32,
    flows: &mut FlowTable,
) {
    let v = &s.vars;
    let rv = &r.vars;
    let (next_seq, own_end, pred_rcv_nxt, pred_offset) = predictions(s, r);
    if m & bit::WINDOW != 0 {
        out.var(u64::from(s.window));
    }
    if m & bit::SND_WND != 0 {
        out.signed(i64::from(v.snd_wnd) - i64::from(rv.snd_wnd));
    }
    if m & bit::SEQ != 0 {
        out.wrapping32(next_seq, s.seq.get());
    }
    if m & bit::LEN != 0 {
        out.var(u64::from(s.payload_len));
    }
    if m & bit::RCV_WND != 0 {
        out.signed(i64::from(v.rcv_wnd) - i64::from(rv.rcv_wnd));
    }
    if m & bit::SND_NXT != 0 {
        out.wrapping32(own_end, v.snd_nxt.get());
    }
    if m & bit::RCV_NXT != 0 {
        out.wrapping32(pred_rcv_nxt.get(), v.rcv_nxt.get());
    }
    if m & bit::OFFSET != 0 {
        out.signed(s.payload_offset.wrapping_sub(pred_offset) as i64);
    }
    if m & bit::FLAGS != 0 {
        out.byte(s.flags.0);
    }
    if m & bit::CAUSE != 0 {
        out.byte(cause_code(s.cause));
    }
    if m & bit::IDENT != 0 {
        out.var(u64::from(s.ip_ident));
    }
    if m & bit::SSTHRESH != 0 {
        out.signed(i64::from(v.ssthresh) - i64::from(rv.ssthresh));
    }
    if m & bit::RTO != 0 {
        out.signed((v.rto.as_nanos() as i64).wrapping_sub(rv.rto.as_nanos() as i64));
    }
    if m & bit::FLOW != 0 {
        out.var(u64::from(flows.id(Flow::of(s))));
    }
    if m & bit::OPTIONS != 0 {
        put_options(out, &s.options, &r.options);
    }
    if m & bit::RETX != 0 {
        put_retx(out, s.retransmission, index);
    }
    if let Some(of) = s.duplicate_of {
        out.signed(i64::from(index) - i64::from(of));
    }
}

/// Decodes the segment after `before` in its block (`refs` saying where
/// their references are); returns it and where its reference is.
fn decode_one(
    rd: &mut Reader<'_>,
    before: &[Segment],
    refs: &Refs,
    index: u32,
    flows: &[Flow],
) -> (Segment, u8) {
    let dist = usize::from(rd.byte());
    let at = before
        .len()
        .checked_sub(dist)
        .filter(|_| dist > 0 && dist <= BLOCK);
    let r = at.and_then(|k| before.get(k)).unwrap_or(&ZERO);
    let rr = at.map_or(&ZERO, |k| reference_of(before, refs, k));
    let own_ref = at.map_or(NO_REF, |k| k as u8);
    let prev_time = before.last().map_or(0, |p| p.time.as_nanos());
    let m = rd.var() as u32;
    let mut s = *r;
    s.time = Instant::from_nanos((prev_time as i64).wrapping_add(rd.signed()) as u64);
    s.retransmission = None;
    s.duplicate_of = None;
    s.ip_ident = r.ip_ident.wrapping_add(1);
    let rv = r.vars;
    if m & bit::ACK_STEP != 0 {
        s.ack = ack_step(r, rr);
    }
    if m & bit::ACK != 0 {
        let v = rd.var();
        s.ack = (v != 0).then(|| {
            let v = v - 1;
            let d = ((v >> 1) as i64) ^ -((v & 1) as i64);
            SeqNumber(
                r.ack
                    .map_or(0, SeqNumber::get)
                    .wrapping_add(d as i32 as u32),
            )
        });
    }
    if m & bit::SND_UNA != 0 {
        s.vars.snd_una = SeqNumber(rd.wrapping32(rv.snd_una.get()));
    }
    if m & bit::CWND != 0 {
        s.vars.cwnd = (i64::from(rv.cwnd) + rd.signed()) as u32;
    }
    let (mut fk, mut fa, mut fnode) = if m & bit::FATE_2 != 0 {
        fate_parts(rr.fate, rr.time)
    } else {
        fate_parts(r.fate, r.time)
    };
    if m & bit::FATE != 0 {
        fk = rd.byte();
        fa = rd.signed();
        fnode = if fk >= 2 { rd.var() as u32 } else { 0 };
    }
    if m & bit::WINDOW != 0 {
        s.window = rd.var() as u16;
    }
    if m & bit::SND_WND != 0 {
        s.vars.snd_wnd = (i64::from(rv.snd_wnd) + rd.signed()) as u32;
    }
    let next_seq = r.seq.get().wrapping_add(r.seq_len());
    s.seq = SeqNumber(if m & bit::SEQ != 0 {
        rd.wrapping32(next_seq)
    } else {
        next_seq
    });
    if m & bit::LEN != 0 {
        s.payload_len = rd.var() as u32;
    }
    if m & bit::RCV_WND != 0 {
        s.vars.rcv_wnd = (i64::from(rv.rcv_wnd) + rd.signed()) as u32;
    }
    // Fields predicted from this segment's own header need its flags first;
    // read the rest of the stream in order, then resolve them.
    let snd_nxt_delta = (m & bit::SND_NXT != 0).then(|| rd.signed());
    let rcv_nxt_delta = (m & bit::RCV_NXT != 0).then(|| rd.signed());
    let offset_delta = (m & bit::OFFSET != 0).then(|| rd.signed());
    if m & bit::FLAGS != 0 {
        s.flags = TcpFlags(rd.byte());
    }
    if m & bit::CAUSE != 0 {
        s.cause = cause_from(rd.byte());
    }
    if m & bit::IDENT != 0 {
        s.ip_ident = rd.var() as u16;
    }
    if m & bit::SSTHRESH != 0 {
        s.vars.ssthresh = (i64::from(rv.ssthresh) + rd.signed()) as u32;
    }
    if m & bit::RTO != 0 {
        s.vars.rto =
            Duration::from_nanos((rv.rto.as_nanos() as i64).wrapping_add(rd.signed()) as u64);
    }
    if m & bit::FLOW != 0
        && let Some(f) = flows.get(rd.var() as usize)
    {
        f.apply(&mut s);
    }
    if m & bit::OPTIONS != 0 {
        s.options = get_options(rd, &r.options);
    }
    if m & bit::RETX != 0 {
        s.retransmission = get_retx(rd, index);
    }
    if m & bit::DUP != 0 {
        s.duplicate_of = Some((i64::from(index) - rd.signed()) as u32);
    }
    let own_end = s.seq.get().wrapping_add(s.seq_len());
    s.vars.snd_nxt = SeqNumber(own_end.wrapping_add(snd_nxt_delta.unwrap_or(0) as i32 as u32));
    let pred_rcv_nxt = s.ack.map_or(rv.rcv_nxt, |a| a);
    s.vars.rcv_nxt = SeqNumber(
        pred_rcv_nxt
            .get()
            .wrapping_add(rcv_nxt_delta.unwrap_or(0) as i32 as u32),
    );
    let pred_offset = if s.payload_len == 0 {
        0
    } else {
        r.payload_offset.wrapping_add(u64::from(r.payload_len))
    };
    s.payload_offset = pred_offset.wrapping_add(offset_delta.unwrap_or(0) as u64);
    s.fate = fate_from(fk, fa, fnode, s.time);
    (s, own_ref)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator of awkward segments: every field
    /// varies, wraps and repeats in turn.
    fn arbitrary(n: usize, seed: u64) -> Vec<Segment> {
        let mut x = seed | 1;
        let mut rnd = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if m == 0 { x } else { x % m }
        };
        let mut out = Vec::new();
        let mut t = 0u64;
        for i in 0..n {
            let mut s = out
                .last()
                .cloned()
                .filter(|_| rnd(3) != 0)
                .unwrap_or_else(zero_segment);
            t = t.wrapping_add(rnd(4) * rnd(2_000_000));
            s.time = Instant::from_nanos(if rnd(50) == 0 { rnd(0) } else { t });
            s.conn = if rnd(20) == 0 {
                None
            } else {
                Some(rnd(4) as u32)
            };
            s.dir = rnd(2) as u8;
            s.from = rnd(3) as u32;
            if rnd(4) == 0 {
                s.to = if rnd(3) == 0 {
                    None
                } else {
                    Some(rnd(5) as u32)
                };
            }
            if rnd(8) == 0 {
                s.src = SocketAddrV4::new(Ipv4Addr::from(rnd(0) as u32), rnd(0) as u16);
                s.dst = SocketAddrV4::new(Ipv4Addr::from(rnd(0) as u32), rnd(0) as u16);
                s.ttl = rnd(256) as u8;
            }
            s.ip_ident = if rnd(3) == 0 {
                rnd(0) as u16
            } else {
                s.ip_ident.wrapping_add(1)
            };
            s.seq = SeqNumber(if rnd(3) == 0 {
                rnd(0) as u32
            } else {
                s.seq.get().wrapping_add(s.seq_len())
            });
            s.ack = match rnd(4) {
                0 => None,
                1 => Some(SeqNumber(rnd(0) as u32)),
                _ => s.ack.map(|a| a + rnd(3000) as usize),
            };
            s.flags = TcpFlags(rnd(256) as u8);
            s.window = rnd(0) as u16;
            s.options = match rnd(5) {
                0 => TcpOptions {
                    mss: Some(rnd(0) as u16),
                    window_scale: Some(rnd(15) as u8),
                    sack_permitted: true,
                    sack_blocks: [None, Some((SeqNumber(rnd(0) as u32), SeqNumber(5))), None],
                    timestamps: Some((rnd(0) as u32, rnd(0) as u32)),
                },
                1 => TcpOptions {
                    timestamps: Some((rnd(0) as u32, 7)),
                    ..TcpOptions::NONE
                },
                _ => s.options,
            };
            s.payload_len = if rnd(3) == 0 {
                rnd(70_000) as u32
            } else {
                s.payload_len
            };
            s.payload_offset = if rnd(10) == 0 { rnd(0) } else { rnd(1 << 40) };
            s.cause = cause_from(rnd(60) as u8);
            s.retransmission = (rnd(4) == 0).then(|| Retransmission {
                of_segment: (rnd(2) == 0).then(|| rnd(i as u64 + 5) as u32),
                kind: match rnd(4) {
                    0 => RetxKind::Rto {
                        backoff: rnd(9) as u32,
                    },
                    1 => RetxKind::Fast,
                    2 => RetxKind::PartialAck,
                    _ => RetxKind::Syn {
                        attempt: rnd(9) as u32,
                    },
                },
            });
            s.duplicate_of = (rnd(6) == 0).then(|| rnd(0) as u32);
            s.fate = match rnd(4) {
                0 => Fate::InFlight,
                1 => Fate::Dropped {
                    at: Instant::from_nanos(rnd(0)),
                    node: rnd(0) as u32,
                    reason: DROP_REASONS[rnd(9) as usize],
                },
                _ => Fate::Delivered {
                    at: Instant::from_nanos(s.time.as_nanos().wrapping_add(rnd(1 << 20))),
                },
            };
            let own_end = s.seq + s.seq_len() as usize;
            let ack = s.ack;
            let v = &mut s.vars;
            v.snd_una = SeqNumber(rnd(0) as u32);
            v.snd_nxt = if rnd(2) == 0 {
                own_end
            } else {
                SeqNumber(rnd(0) as u32)
            };
            v.rcv_nxt = match (rnd(2), ack) {
                (0, Some(a)) => a,
                _ => SeqNumber(rnd(0) as u32),
            };
            v.snd_wnd = rnd(0) as u32;
            v.rcv_wnd = rnd(0) as u32;
            v.cwnd = rnd(0) as u32;
            v.ssthresh = if rnd(5) == 0 {
                rnd(0) as u32
            } else {
                v.ssthresh
            };
            v.rto = Duration::from_nanos(if rnd(5) == 0 {
                rnd(0)
            } else {
                v.rto.as_nanos()
            });
            out.push(s);
        }
        out
    }

    #[test]
    fn every_field_survives_encoding() {
        for seed in 1..40 {
            let segs = arbitrary(300, seed);
            let store: Segments = segs.clone().into();
            assert_eq!(store.len(), segs.len());
            for (i, want) in segs.iter().enumerate() {
                assert_eq!(&store.at(i), want, "seed {seed} segment {i}");
            }
            assert!(store.iter().eq(segs.iter().cloned()));
            assert!(store.iter().rev().eq(segs.iter().rev().cloned()));
        }
    }

    #[test]
    fn the_longest_segment_fits_its_bound() {
        let max = SeqNumber(u32::MAX);
        let mut s = zero_segment();
        s.time = Instant::from_nanos(u64::MAX);
        s.to = Some(u32::MAX);
        s.ack = Some(SeqNumber(1 << 31));
        s.window = u16::MAX;
        s.ip_ident = u16::MAX;
        s.seq = SeqNumber(1 << 31);
        s.flags = TcpFlags(0xff);
        s.payload_offset = 1 << 63;
        s.payload_len = 1 << 31;
        s.cause = SegCause::Rst {
            reason: RstReason::Other,
        };
        s.retransmission = Some(Retransmission {
            of_segment: Some(u32::MAX),
            kind: RetxKind::Rto { backoff: u32::MAX },
        });
        s.duplicate_of = Some(u32::MAX);
        s.fate = Fate::Dropped {
            at: Instant::from_nanos(1 << 63),
            node: u32::MAX,
            reason: DropReason::NotForUs,
        };
        s.options = TcpOptions {
            mss: Some(u16::MAX),
            window_scale: Some(u8::MAX),
            sack_permitted: true,
            sack_blocks: [Some((max, max)); 3],
            timestamps: Some((1 << 31, 1 << 31)),
        };
        s.vars = ConnVars {
            snd_una: SeqNumber(1 << 31),
            snd_nxt: SeqNumber(1 << 30),
            snd_wnd: u32::MAX,
            rcv_nxt: SeqNumber(1 << 29),
            rcv_wnd: u32::MAX,
            cwnd: u32::MAX,
            ssthresh: u32::MAX,
            rto: Duration::from_nanos(1 << 63),
        };
        // Past the window would panic.
        let mut buf = [0; WINDOW];
        let mut out = Out {
            buf: &mut buf,
            n: 0,
        };
        // A first segment: no reference, every field written.
        encode_unsteady(
            &mut out,
            &[],
            &[NO_REF; BLOCK],
            &s,
            0,
            &ZERO,
            0,
            &mut FlowTable::default(),
        );
        // The flow id is 0 here; ids take up to 5 bytes.
        assert!(out.n + 4 <= MAX_ENCODED, "{} bytes", out.n);
        let store: Segments = vec![s].into();
        assert_eq!(store.at(0), s);
    }

    #[test]
    fn blocks_settle_in_any_order() {
        // Block 0 waits for its first segment while later blocks settle,
        // then block 5, encoded, is changed again (opened before the
        // oldest open block).
        let mut segs = arbitrary(8 * BLOCK, 11);
        let mut store = Segments::new();
        for s in &mut segs {
            s.fate = Fate::InFlight;
            store.push(*s);
        }
        let at = |i: usize| Fate::Delivered {
            at: Instant::from_nanos(i as u64),
        };
        for i in (1..8 * BLOCK).rev() {
            segs[i].fate = at(i);
            store.update(i, |x| x.fate = at(i));
        }
        assert_eq!(store.open.len(), 1);
        assert!(store.open.contains_key(&0));
        store.update(5 * BLOCK + 3, |x| x.window = 9);
        segs[5 * BLOCK + 3].window = 9;
        assert_eq!(store.open.keys().collect::<Vec<_>>(), [0]);
        store.update(2 * BLOCK, |x| x.fate = Fate::InFlight);
        segs[2 * BLOCK].fate = Fate::InFlight;
        assert_eq!(store.open.keys().collect::<Vec<_>>(), [0, 2]);
        segs[0].fate = at(0);
        store.update(0, |x| x.fate = at(0));
        assert_eq!(store.open.keys().collect::<Vec<_>>(), [2]);
        // Before the oldest open block: opened, then sealed again.
        store.update(BLOCK - 1, |x| x.ttl = 3);
        segs[BLOCK - 1].ttl = 3;
        assert_eq!(store.open.keys().collect::<Vec<_>>(), [2]);
        assert!(store.iter().eq(segs.iter().copied()));
        store.seal_all();
        store.shrink_to_fit();
        assert!(store.open.is_empty());
        assert!(store.iter().eq(segs.iter().copied()));
    }

    #[test]
    fn causes_round_trip() {
        for code in 0..=255u8 {
            let c = cause_from(code);
            if c != SegCause::Other {
                assert_eq!(cause_from(cause_code(c)), c);
            }
        }
        assert_eq!(cause_from(cause_code(SegCause::Other)), SegCause::Other);
    }

    #[test]
    fn varints_of_every_length_round_trip() {
        // Each length's bounds, LEB128 as a loop writes it.
        let mut values = vec![0, u64::MAX];
        for bits in 1..64 {
            values.extend([(1 << bits) - 1, 1 << bits, (1 << bits) + 1]);
        }
        values.extend((0..1000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        for v in values {
            let mut buf = [0; WINDOW];
            let mut out = Out {
                buf: &mut buf,
                n: 3,
            };
            out.var(v);
            let n = out.n;
            let mut want = vec![];
            let mut w = v;
            while w >= 0x80 {
                want.push(w as u8 | 0x80);
                w >>= 7;
            }
            want.push(w as u8);
            assert_eq!(&buf[3..n], &want[..], "{v:#x}");
            let mut r = Reader { buf: &buf, pos: 3 };
            assert_eq!(r.var(), v, "{v:#x}");
            assert_eq!(r.pos, n, "{v:#x}");
        }
    }

    #[test]
    fn same_cause_is_equality() {
        // Every cause against every other (and itself).
        let causes: Vec<SegCause> = (0..=255u8).map(cause_from).collect();
        for &a in &causes {
            for &b in &causes {
                assert_eq!(same_cause(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn fates_change_while_blocks_wait_and_after_they_are_sealed() {
        let mut segs = arbitrary(200, 7);
        for s in &mut segs {
            s.fate = Fate::InFlight;
        }
        let mut store = Segments::new();
        for s in &segs {
            store.push(*s);
        }
        assert_eq!(store.open.len(), 7, "nothing sealed while in flight");
        for (i, s) in segs.iter_mut().enumerate() {
            let f = Fate::Delivered {
                at: s.time + Duration::from_micros(i as u64),
            };
            s.fate = f;
            s.to = Some(3);
            store.update(i, |x| {
                x.fate = f;
                x.to = Some(3);
            });
        }
        assert_eq!(store.open.len(), 1, "full blocks seal when settled");
        store.seal_all();
        assert!(store.open.is_empty());
        store.update(5, |x| x.window = 1);
        segs[5].window = 1;
        store.seal_all();
        store.shrink_to_fit();
        assert!(store.iter().eq(segs.iter().cloned()));
        let json = serde_json::to_string(&store).unwrap();
        let back: Segments = serde_json::from_str(&json).unwrap();
        assert_eq!(back, store);
    }

    /// A data segment of an established connection and the next one of
    /// its flow, as TCP sends them: everything the encoder predicts is as
    /// predicted, and only what a steady flow changes has changed.
    fn steady_pair() -> (Segment, Segment) {
        let mut r = zero_segment();
        r.time = Instant::from_nanos(1_000_000);
        r.from = 1;
        r.to = Some(2);
        r.conn = Some(7);
        r.dir = 1;
        r.src = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40_000);
        r.dst = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);
        r.ttl = 64;
        r.ip_ident = 300;
        r.seq = SeqNumber(1_000_001);
        r.ack = Some(SeqNumber(5_001));
        r.flags = TcpFlags::ACK;
        r.window = 64_000;
        r.options = TcpOptions {
            timestamps: Some((10, 20)),
            ..TcpOptions::NONE
        };
        r.payload_offset = 1_000_000;
        r.payload_len = 1460;
        r.cause = SegCause::Data {
            piggybacked_ack: false,
        };
        r.fate = Fate::Delivered {
            at: Instant::from_nanos(1_050_000),
        };
        r.vars = ConnVars {
            snd_una: SeqNumber(900_001),
            snd_nxt: SeqNumber(1_001_461),
            snd_wnd: 64_000,
            rcv_nxt: SeqNumber(5_001),
            rcv_wnd: 65_535,
            cwnd: 30_000,
            ssthresh: 1 << 30,
            rto: Duration::from_millis(200),
        };
        let mut s = r;
        s.time = Instant::from_nanos(1_002_400);
        s.ip_ident = 301;
        s.seq = SeqNumber(1_001_461);
        s.payload_offset = 1_001_460;
        s.fate = Fate::Delivered {
            at: Instant::from_nanos(1_052_400),
        };
        s.vars.snd_nxt = SeqNumber(1_002_921);
        (r, s)
    }

    /// One change to each field the encoder's steady test covers (every
    /// field but time and those of [`STEADY_BITS`], which are compared on
    /// their own, and sender, connection and direction, which choose the
    /// reference).
    type Change = (&'static str, fn(&mut Segment));

    fn unsteady_changes() -> Vec<Change> {
        vec![
            ("to", |s| s.to = Some(3)),
            ("to none", |s| s.to = None),
            ("src ip", |s| s.src.set_ip(Ipv4Addr::new(10, 0, 0, 9))),
            ("src port", |s| s.src.set_port(1)),
            ("dst ip", |s| s.dst.set_ip(Ipv4Addr::new(10, 0, 0, 9))),
            ("dst port", |s| s.dst.set_port(1)),
            ("ttl", |s| s.ttl = 63),
            ("ident", |s| s.ip_ident = 0),
            ("seq", |s| s.seq += 1),
            ("flags", |s| s.flags = TcpFlags::ACK | TcpFlags::PSH),
            ("fin", |s| s.flags = TcpFlags::ACK | TcpFlags::FIN),
            ("window", |s| s.window = 1),
            ("mss", |s| s.options.mss = Some(1460)),
            ("window scale", |s| s.options.window_scale = Some(7)),
            ("sack permitted", |s| s.options.sack_permitted = true),
            ("sack block", |s| {
                s.options.sack_blocks[2] = Some((SeqNumber(1), SeqNumber(2)))
            }),
            ("tsval", |s| s.options.timestamps = Some((11, 20))),
            ("tsecr", |s| s.options.timestamps = Some((10, 21))),
            ("no timestamps", |s| s.options.timestamps = None),
            ("offset", |s| s.payload_offset += 1),
            ("len", |s| s.payload_len = 1000),
            ("empty", |s| s.payload_len = 0),
            ("cause", |s| {
                s.cause = SegCause::Data {
                    piggybacked_ack: true,
                }
            }),
            ("cause kind", |s| s.cause = SegCause::Other),
            ("retransmission", |s| {
                s.retransmission = Some(Retransmission {
                    of_segment: None,
                    kind: RetxKind::Fast,
                })
            }),
            ("duplicate", |s| s.duplicate_of = Some(0)),
            ("snd_nxt", |s| s.vars.snd_nxt += 1),
            ("snd_wnd", |s| s.vars.snd_wnd += 1),
            ("rcv_nxt", |s| s.vars.rcv_nxt += 1),
            ("rcv_wnd", |s| s.vars.rcv_wnd -= 1),
            ("ssthresh", |s| s.vars.ssthresh = 40_000),
            ("rto", |s| s.vars.rto = Duration::from_millis(400)),
        ]
    }

    #[test]
    fn the_steady_test_misses_no_change() {
        let (r, s) = steady_pair();
        assert!(steady(&s, &r));
        assert_eq!(unsteady_bits(&s, &r, 1), 0);
        let store: Segments = vec![r, s].into();
        assert!(store.iter().eq([r, s]));
        for (what, change) in unsteady_changes() {
            let mut t = s;
            change(&mut t);
            assert_ne!(t, s, "{what} changes nothing");
            assert!(!steady(&t, &r), "{what}");
            assert_ne!(unsteady_bits(&t, &r, 1), 0, "{what}");
            let store: Segments = vec![r, t].into();
            assert!(store.iter().eq([r, t]), "{what}");
        }
    }

    /// The segment a steady flow sends after `r`, `dt` later: the next
    /// data, as long in flight.
    fn successor(r: &Segment, dt: u64) -> Segment {
        let mut s = *r;
        s.time = r.time + Duration::from_nanos(dt);
        s.ip_ident = r.ip_ident.wrapping_add(1);
        s.seq = r.seq + r.seq_len() as usize;
        s.payload_offset = r.payload_offset + u64::from(r.payload_len);
        s.vars.snd_nxt = s.seq + s.seq_len() as usize;
        if let Fate::Delivered { at } = r.fate {
            s.fate = Fate::Delivered {
                at: at + Duration::from_nanos(dt),
            };
        }
        s
    }

    /// How many bytes `segs` take encoded as one block.
    fn encoded_len(segs: &[Segment]) -> usize {
        encode_block(segs, 0, &mut FlowTable::default(), &mut Vec::new())
    }

    #[test]
    fn second_guesses_round_trip_and_cost_nothing() {
        // Three segments of a flow: the last one's ACK and fate are the
        // first guess (the reference's), the second (from the reference
        // and its own reference), or neither.
        let (rr, r) = steady_pair();
        let mut r = r;
        r.ack = Some(SeqNumber(5_001 + 2920));
        r.fate = Fate::Delivered {
            at: r.time + Duration::from_nanos(51_200),
        };
        let base = successor(&r, 40);
        let step = Some(SeqNumber(5_001 + 2 * 2920));
        let acks = [r.ack, step, Some(SeqNumber(9)), None];
        let Fate::Delivered { at } = rr.fate else {
            unreachable!()
        };
        let rr_delay = Duration::from_nanos(at.as_nanos() - rr.time.as_nanos());
        let fates = [
            base.fate,
            Fate::Delivered {
                at: base.time + rr_delay,
            },
            Fate::Delivered {
                at: base.time + Duration::from_nanos(7),
            },
            Fate::InFlight,
            Fate::Dropped {
                at: base.time,
                node: 3,
                reason: DropReason::QueueFull,
            },
        ];
        let two = encoded_len(&[rr, r]);
        for (i, &ack) in acks.iter().enumerate() {
            for (j, &fate) in fates.iter().enumerate() {
                for una in [false, true] {
                    let mut s = base;
                    s.ack = ack;
                    s.vars.rcv_nxt = ack.unwrap_or(r.vars.rcv_nxt);
                    s.fate = fate;
                    if una {
                        s.vars.snd_una += 2920;
                        s.vars.cwnd += 28;
                    }
                    let segs = [rr, r, s];
                    let store: Segments = segs.to_vec().into();
                    assert!(store.iter().eq(segs), "ack {i} fate {j} una {una}");
                    // Either guess right: the distance, the mask and the
                    // time (one byte for each here), nothing more.
                    let n = encoded_len(&segs) - two;
                    if i < 2 && j < 2 && !una {
                        assert_eq!(n, 3, "ack {i} fate {j}: {n} bytes");
                    } else {
                        assert!(n > 3, "ack {i} fate {j} una {una}: {n} bytes");
                    }
                }
            }
        }
    }

    #[test]
    fn a_bulk_transfer_costs_a_few_bytes_a_segment() {
        // Data one way, an ACK every second segment the other way.
        let mut segs = Vec::new();
        let mut t = 0;
        let (mut seq, ack) = (1001u32, 5000u32);
        for i in 0..10_000u32 {
            t += 1_200;
            let data = i % 3 != 2;
            let mut s = zero_segment();
            s.time = Instant::from_nanos(t);
            s.conn = Some(0);
            s.dir = u8::from(!data);
            s.from = u32::from(!data);
            s.to = Some(u32::from(data));
            // Each host counts its own IP idents.
            s.ip_ident = if data { i - i / 3 } else { i / 3 } as u16;
            s.flags = TcpFlags::ACK;
            s.window = 64_240;
            if data {
                s.seq = SeqNumber(seq);
                s.ack = Some(SeqNumber(ack));
                s.payload_len = 1460;
                s.payload_offset = u64::from(seq - 1001);
                seq += 1460;
                s.vars.snd_una = SeqNumber(seq.wrapping_sub(20 * 1460));
                s.vars.cwnd = 30_000 + i;
            } else {
                s.seq = SeqNumber(ack);
                s.ack = Some(SeqNumber(seq));
                s.vars.rcv_nxt = SeqNumber(seq);
            }
            s.vars.snd_nxt = s.seq + s.seq_len() as usize;
            s.vars.rcv_nxt = s.ack.unwrap();
            s.fate = Fate::Delivered {
                at: Instant::from_nanos(t + 51_000),
            };
            segs.push(s);
        }
        let mut store: Segments = segs.clone().into();
        store.shrink_to_fit();
        assert!(store.iter().eq(segs.into_iter()));
        let per = store.heap_bytes() as f64 / 10_000.0;
        assert!(per < 10.0, "{per} bytes a segment");
    }
}
