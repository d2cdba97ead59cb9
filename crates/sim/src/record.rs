//! The recorder: builds the [`Trace`] as the run happens.
//!
//! Connections are found by their 4-tuple in either direction, so a
//! segment, a socket and an application write all land on the same
//! connection record without the TCP stack knowing about the trace.

use netstep_trace::{
    ConnInfo, ConnVars, EndReason, Endpoint, Event, EventKind, Fate, Generated, Retransmission,
    ScenarioInfo, SegCause, Segment, SocketInfo, Stream, TRACE_FORMAT_VERSION, TcpState, Trace,
};
use netstep_wire::{Instant, Ipv4Repr, SeqNumber, TcpRepr};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;

/// (initiator, responder) addresses of a connection.
type Tuple = (SocketAddrV4, SocketAddrV4);

/// Everything about a segment that is not in its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegMeta {
    pub cause: SegCause,
    pub retransmission: Option<Retransmission>,
    pub vars: ConnVars,
}

impl Default for SegMeta {
    fn default() -> Self {
        SegMeta {
            cause: SegCause::Other,
            retransmission: None,
            vars: ConnVars::default(),
        }
    }
}

/// Transmissions that took sequence space, as (seq, end, segment index),
/// oldest first, dropped from the front: a vector and the position of its
/// front (cheaper than a ring buffer's wrapping), moved down once the
/// dropped part is as long as the rest and the vector is full.
#[derive(Debug, Default)]
struct TxQueue {
    items: Vec<(SeqNumber, SeqNumber, u32)>,
    front: usize,
}

impl TxQueue {
    #[inline]
    fn front(&self) -> Option<&(SeqNumber, SeqNumber, u32)> {
        self.items.get(self.front)
    }

    #[inline]
    fn pop_front(&mut self) {
        self.front += 1;
        if self.front >= self.items.len() {
            self.items.clear();
            self.front = 0;
        }
    }

    #[inline]
    fn push_back(&mut self, x: (SeqNumber, SeqNumber, u32)) {
        if self.items.len() == self.items.capacity() && self.front >= self.items.len() / 2 {
            self.items.drain(..self.front);
            self.front = 0;
        }
        self.items.push(x);
    }

    fn live(&self) -> &[(SeqNumber, SeqNumber, u32)] {
        &self.items[self.front..]
    }
}

/// The connection found last, with what [`Recorder::segment_sent`]
/// derives from it for each direction (0: `tuple.0` to `tuple.1`), so
/// that a segment on the same connection as the one before derives
/// nothing again. Forgotten whenever what it was derived from changes
/// (a node added, a tuple aliased or retired).
#[derive(Debug, Clone, Copy)]
struct LastConn {
    /// The connection's key in `conn_by_tuple` (initiator first, or a
    /// NAT's alias of it).
    tuple: Tuple,
    conn: u32,
    /// The direction's ISN (as in the connection's record).
    isn: [Option<SeqNumber>; 2],
    /// The receiving node of a segment sent that way: the connection's
    /// other end, unless the destination is not that end's address (a
    /// NAT's public address).
    to: [Option<u32>; 2],
    /// The direction's stream, once it has one (as in the record).
    stream: [Option<u32>; 2],
}

#[derive(Debug)]
pub struct Recorder {
    pub trace: Trace,
    conn_by_tuple: BTreeMap<Tuple, u32>,
    /// The connection found last: consecutive segments and writes are
    /// nearly always on one connection.
    last_conn: Option<LastConn>,
    /// Per connection and direction, the transmissions that took sequence
    /// space and may still be repeated, as (seq, end, segment index),
    /// oldest first: a retransmission is linked to the latest earlier one
    /// with its sequence number. Entries the sender has seen acknowledged
    /// (end at or before its SND.UNA) are dropped from the front: TCP
    /// never sends below SND.UNA again.
    recent_tx: Vec<[TxQueue; 2]>,
    /// The same links kept the simple way, to check the above in debug
    /// builds.
    #[cfg(debug_assertions)]
    last_tx: BTreeMap<(u32, u8, u32), u32>,
    node_by_addr: BTreeMap<std::net::Ipv4Addr, u32>,
}

impl Recorder {
    pub fn new(scenario: ScenarioInfo) -> Self {
        Recorder {
            trace: Trace {
                version: TRACE_FORMAT_VERSION,
                scenario,
                nodes: Vec::new(),
                conns: Vec::new(),
                sockets: Vec::new(),
                segments: Default::default(),
                events: Vec::new(),
                streams: Vec::new(),
                end_time: Instant::ZERO,
                end_reason: EndReason::Quiescent,
            },
            conn_by_tuple: BTreeMap::new(),
            last_conn: None,
            recent_tx: Vec::new(),
            #[cfg(debug_assertions)]
            last_tx: BTreeMap::new(),
            node_by_addr: BTreeMap::new(),
        }
    }

    pub fn add_node(&mut self, info: netstep_trace::NodeInfo) -> u32 {
        let id = self.trace.nodes.len() as u32;
        for a in &info.addrs {
            self.node_by_addr.entry(*a).or_insert(id);
        }
        self.trace.nodes.push(info);
        // A receiving node derived before may be this one's now.
        self.last_conn = None;
        id
    }

    fn node_of(&self, addr: std::net::Ipv4Addr) -> Option<u32> {
        self.node_by_addr.get(&addr).copied()
    }

    /// The connection between `a` and `b` and the direction `a -> b` has
    /// in it, creating it (with `a` as initiator) when new.
    #[inline]
    pub fn conn_for(&mut self, a: SocketAddrV4, b: SocketAddrV4, label: &str) -> (u32, u8) {
        // The last connection again (nearly always): inline, the rest not.
        if let Some(LastConn {
            tuple: (x, y),
            conn: c,
            ..
        }) = self.last_conn
        {
            if a == x && b == y {
                return (c, 0);
            }
            if b == x && a == y {
                return (c, 1);
            }
        }
        self.conn_lookup(a, b, label)
    }

    /// Makes `tuple`, the key of connection `conn`, the last connection
    /// found, deriving its per-direction constants.
    fn remember(&mut self, tuple: Tuple, conn: u32) {
        let c = &self.trace.conns[conn as usize];
        let to = |other: &Endpoint, dst: &SocketAddrV4| {
            if other.addr.ip() == dst.ip() && other.node != u32::MAX {
                Some(other.node)
            } else {
                self.node_of(*dst.ip())
            }
        };
        self.last_conn = Some(LastConn {
            tuple,
            conn,
            isn: [c.initiator_isn, c.responder_isn],
            to: [to(&c.responder, &tuple.1), to(&c.initiator, &tuple.0)],
            stream: c.streams,
        });
    }

    #[inline(never)]
    fn conn_lookup(&mut self, a: SocketAddrV4, b: SocketAddrV4, label: &str) -> (u32, u8) {
        if let Some(&c) = self.conn_by_tuple.get(&(a, b)) {
            self.remember((a, b), c);
            return (c, 0);
        }
        if let Some(&c) = self.conn_by_tuple.get(&(b, a)) {
            self.remember((b, a), c);
            return (c, 1);
        }
        let id = self.trace.conns.len() as u32;
        let node_a = self.node_of(*a.ip()).unwrap_or(u32::MAX);
        let node_b = self.node_of(*b.ip()).unwrap_or(u32::MAX);
        self.trace.conns.push(ConnInfo {
            label: label.to_string(),
            initiator: Endpoint {
                node: node_a,
                addr: a,
            },
            responder: Endpoint {
                node: node_b,
                addr: b,
            },
            initiator_isn: None,
            responder_isn: None,
            sockets: [None, None],
            streams: [None, None],
        });
        self.conn_by_tuple.insert((a, b), id);
        self.recent_tx.push(Default::default());
        self.remember((a, b), id);
        (id, 0)
    }

    /// Makes the address pair `seen` (as a NAT rewrote it) name the same
    /// connection as `original` (as the inside host sent it), so that
    /// segments on both sides of the NAT land on one connection record.
    pub fn alias(
        &mut self,
        seen: (SocketAddrV4, SocketAddrV4),
        original: (SocketAddrV4, SocketAddrV4),
    ) {
        let (conn, dir) = if let Some(&c) = self.conn_by_tuple.get(&original) {
            (c, 0)
        } else if let Some(&c) = self.conn_by_tuple.get(&(original.1, original.0)) {
            (c, 1)
        } else {
            return;
        };
        let key = if dir == 0 { seen } else { (seen.1, seen.0) };
        self.conn_by_tuple.entry(key).or_insert(conn);
        self.last_conn = None;
    }

    /// Forgets a connection's 4-tuple once both ends are gone, so that a
    /// later connection reusing it gets a record of its own.
    pub fn retire_tuple(&mut self, a: SocketAddrV4, b: SocketAddrV4) {
        self.conn_by_tuple.remove(&(a, b));
        self.conn_by_tuple.remove(&(b, a));
        self.last_conn = None;
    }

    /// Gives a connection its application label once known (the passive
    /// side learns it only when the application accepts).
    pub fn label_conn(&mut self, conn: u32, label: &str) {
        if let Some(c) = self.trace.conns.get_mut(conn as usize)
            && (c.label.is_empty() || c.label == "-")
        {
            c.label = label.to_string();
        }
    }

    pub fn socket_created(
        &mut self,
        now: Instant,
        node: u32,
        local: SocketAddrV4,
        remote: Option<SocketAddrV4>,
        label: &str,
    ) -> u32 {
        let id = self.trace.sockets.len() as u32;
        let conn = remote.map(|r| {
            let (c, dir) = self.conn_for(local, r, label);
            self.label_conn(c, label);
            self.trace.conns[c as usize].sockets[usize::from(dir)] = Some(id);
            c
        });
        self.trace.sockets.push(SocketInfo {
            node,
            local,
            remote,
            label: label.to_string(),
            conn,
            created: now,
        });
        id
    }

    /// The stream of `local`'s direction on the connection to `remote`,
    /// created (stored, or generated when `generated`) on first use.
    fn stream_for(
        &mut self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        generated: bool,
    ) -> &mut Stream {
        let (c, dir) = self.conn_for(local, remote, "-");
        let d = usize::from(dir);
        // `conn_for` leaves the connection in `last_conn`: a stream known
        // there needs no look-up in the connection's record.
        if let Some(last) = &self.last_conn
            && let Some(s) = last.stream[d]
        {
            debug_assert_eq!(self.trace.conns[c as usize].streams[d], Some(s));
            return &mut self.trace.streams[s as usize];
        }
        let slot = &mut self.trace.conns[c as usize].streams[d];
        let s = *slot.get_or_insert_with(|| {
            let s = self.trace.streams.len() as u32;
            self.trace.streams.push(Stream {
                conn: c,
                dir,
                bytes: Vec::new(),
                generated: generated.then_some(Generated::Pattern { len: 0 }),
            });
            s
        });
        if let Some(last) = &mut self.last_conn {
            debug_assert_eq!(last.conn, c);
            last.stream[d] = Some(s);
        }
        &mut self.trace.streams[s as usize]
    }

    /// Appends what an application wrote to its direction's stream.
    pub fn app_wrote(&mut self, local: SocketAddrV4, remote: SocketAddrV4, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let stream = self.stream_for(local, remote, false);
        debug_assert!(
            stream.generated.is_none(),
            "stored bytes after pattern bytes"
        );
        stream.bytes.extend_from_slice(bytes);
    }

    /// Records that an application wrote the next `len` bytes of the bulk
    /// pattern ([`netstep_trace::pattern`]): the stream keeps its length
    /// only, and the trace regenerates the bytes.
    #[inline]
    pub fn app_wrote_pattern(&mut self, local: SocketAddrV4, remote: SocketAddrV4, len: u64) {
        if len == 0 {
            return;
        }
        // Inline, the last connection's stream (nearly always); the
        // look-up out of line.
        if let Some(last) = &self.last_conn {
            let d = if (local, remote) == last.tuple {
                0
            } else if (remote, local) == last.tuple {
                1
            } else {
                2
            };
            if let Some(&Some(s)) = last.stream.get(d)
                && let Some(Generated::Pattern { len: total }) =
                    &mut self.trace.streams[s as usize].generated
            {
                debug_assert_eq!(self.trace.conns[last.conn as usize].streams[d], Some(s));
                *total += len;
                return;
            }
        }
        self.app_wrote_pattern_slow(local, remote, len);
    }

    #[inline(never)]
    fn app_wrote_pattern_slow(&mut self, local: SocketAddrV4, remote: SocketAddrV4, len: u64) {
        let stream = self.stream_for(local, remote, true);
        match &mut stream.generated {
            Some(Generated::Pattern { len: total }) => *total += len,
            None => debug_assert!(false, "pattern bytes after stored bytes"),
        }
    }

    /// Records a segment as its sender puts it on the wire; returns its index.
    pub fn segment_sent(
        &mut self,
        now: Instant,
        from: u32,
        ip: &Ipv4Repr,
        tcp: &TcpRepr<'_>,
        meta: SegMeta,
    ) -> u32 {
        let src = SocketAddrV4::new(ip.src, tcp.src_port);
        let dst = SocketAddrV4::new(ip.dst, tcp.dst_port);
        let (conn, dir) = self.conn_for(src, dst, "-");
        let flags = tcp.wire_flags();
        // `conn_for` leaves the connection in `last_conn`, with its ISNs
        // and receiving nodes derived.
        let Some(last) = self.last_conn.as_mut() else {
            unreachable!("conn_for remembers the connection it found");
        };
        debug_assert_eq!(last.conn, conn);
        let d = usize::from(dir);
        let mut isn = last.isn[d];
        let to = last.to[d];
        if flags.syn() && isn.is_none() {
            isn = Some(tcp.seq_number);
            last.isn[d] = isn;
            let c = &mut self.trace.conns[conn as usize];
            if dir == 0 {
                c.initiator_isn = isn;
            } else {
                c.responder_isn = isn;
            }
        }
        debug_assert_eq!(isn, self.trace.isn(conn, dir));
        let payload_offset = match isn {
            // The first data byte is ISN + 1 (the SYN takes ISN).
            Some(isn) if !tcp.payload.is_empty() => {
                u64::from(tcp.seq_number.get().wrapping_sub(isn.get()).wrapping_sub(1))
            }
            _ => 0,
        };
        let index = self.trace.segments.len() as u32;
        let seq = tcp.seq_number;
        let recent = &mut self.recent_tx[conn as usize][usize::from(dir)];
        if flags.ack() && !flags.rst() {
            // The sender's variables are real (not a closed port's RST):
            // what lies wholly before SND.UNA is never sent again.
            while recent
                .front()
                .is_some_and(|&(_, end, _)| end <= meta.vars.snd_una)
            {
                recent.pop_front();
            }
        }
        let mut retransmission = meta.retransmission;
        if let Some(r) = &mut retransmission
            && r.of_segment.is_none()
        {
            r.of_segment = recent
                .live()
                .iter()
                .rev()
                .find(|&&(s, _, _)| s == seq)
                .map(|&(_, _, i)| i);
            #[cfg(debug_assertions)]
            debug_assert_eq!(
                r.of_segment,
                self.last_tx.get(&(conn, dir, seq.get())).copied(),
                "the recent transmissions kept are the ones a retransmission can repeat"
            );
        }
        if tcp.segment_len() > 0 {
            recent.push_back((seq, seq + tcp.segment_len(), index));
            #[cfg(debug_assertions)]
            self.last_tx.insert((conn, dir, seq.get()), index);
        }
        debug_assert_eq!(to, self.node_of(ip.dst));
        // Built in its place in the open block (see `push_with`).
        self.trace.segments.push_with(|| Segment {
            time: now,
            from,
            to,
            conn: Some(conn),
            dir,
            src,
            dst,
            ttl: ip.ttl,
            ip_ident: ip.ident,
            seq: tcp.seq_number,
            ack: tcp.ack_number,
            flags,
            window: tcp.window,
            options: tcp.options,
            payload_offset,
            payload_len: tcp.payload.len() as u32,
            cause: meta.cause,
            retransmission,
            duplicate_of: None,
            fate: Fate::InFlight,
            vars: meta.vars,
        });
        index
    }

    /// A copy of segment `of` made by a link.
    pub fn duplicate(&mut self, of: u32) -> u32 {
        let mut s = self.trace.segments.at(of as usize);
        s.duplicate_of = Some(of);
        s.fate = Fate::InFlight;
        self.trace.segments.push(s)
    }

    /// The segment reached host `node` intact at `at`.
    #[inline]
    pub fn delivered(&mut self, seg: u32, node: u32, at: Instant) {
        self.trace.segments.deliver(seg as usize, node, at);
    }

    pub fn set_fate(&mut self, seg: u32, fate: Fate) {
        self.trace.segments.update(seg as usize, |s| s.fate = fate);
    }

    pub fn event(&mut self, time: Instant, kind: EventKind) {
        let after_segment = self.trace.segments.len() as u32;
        self.trace.events.push(Event {
            time,
            after_segment,
            kind,
        });
    }

    pub fn state_change(
        &mut self,
        time: Instant,
        socket: u32,
        from: TcpState,
        to: TcpState,
        cause: String,
        segment: Option<u32>,
    ) {
        self.event(
            time,
            EventKind::SocketState {
                socket,
                from,
                to,
                cause,
                segment,
            },
        );
    }

    /// The ISN of `a`'s direction on the connection `a -> b`, if known.
    pub fn isn_of(&self, a: SocketAddrV4, b: SocketAddrV4) -> Option<SeqNumber> {
        if let Some(&c) = self.conn_by_tuple.get(&(a, b)) {
            return self.trace.isn(c, 0);
        }
        let c = *self.conn_by_tuple.get(&(b, a))?;
        self.trace.isn(c, 1)
    }

    pub fn finish(mut self, end: Instant, reason: EndReason) -> Trace {
        self.trace.segments.seal_all();
        self.trace.segments.shrink_to_fit();
        self.trace.end_time = end;
        self.trace.end_reason = reason;
        self.trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn the_transmission_queue_is_a_queue() {
        let mut q = TxQueue::default();
        let mut want = VecDeque::new();
        let mut x = 7u64;
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) {
                for _ in 0..x % 5 {
                    if want.pop_front().is_some() {
                        q.pop_front();
                    }
                }
            } else {
                let e = (SeqNumber(i), SeqNumber(i + 1), i);
                q.push_back(e);
                want.push_back(e);
            }
            assert_eq!(q.front(), want.front());
            assert!(q.live().iter().eq(want.iter()));
        }
    }
}
