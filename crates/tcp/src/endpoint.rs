//! One simulated host's TCP: the port table, listeners, connections, the
//! ephemeral port allocator, the transmit queue and the timer heap.
//!
//! Method kinds follow quinn-proto: getters; `handle_*` for input (a
//! segment, the passing of time); mutators for the application (`connect`,
//! `send`, `close`...); `poll_*` for output (segments, the next deadline,
//! events). Nothing here reads a clock or draws randomness of its own.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::SocketAddrV4;

use netstep_wire::ipv4::protocol;
use netstep_wire::{Instant, Ipv4Addr, Ipv4Repr, SeqNumber, TcpFlags, TcpOptions, TcpRepr};
use rand_core::RngCore;

use crate::conn::{Conn, Events, NewConn, Plan};
use crate::profile::{EphemeralKind, Profile};
use crate::types::*;

/// RSTs for closed ports waiting to be sent. RFC 9293 3.10.7.1 asks for a
/// reset, not for an unbounded queue: beyond this many, more are dropped
/// (real stacks rate-limit them too).
const MAX_PENDING_RSTS: usize = 256;

/// How a listener accepts connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenOptions {
    /// Accept exactly one connection, then stop listening (an FTP client's
    /// data port: `listen`, one `accept`, close the listening socket).
    pub once: bool,
    /// Accept only SYNs from this address; others are answered as a closed
    /// port would (RST).
    pub remote: Option<Ipv4Addr>,
    /// The ISN of connections accepted here, instead of the profile's or a
    /// random one.
    pub isn: Option<u32>,
}

/// How an active open is made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// The local port; `None` takes an ephemeral port.
    pub local_port: Option<u16>,
    /// The ISN, instead of the profile's or a random one.
    pub isn: Option<u32>,
    /// Disable Nagle's algorithm (`TCP_NODELAY`); `None` follows the
    /// profile.
    pub nodelay: Option<bool>,
}

#[derive(Debug, Clone)]
struct Listener {
    port: u16,
    opts: ListenOptions,
    open: bool,
}

/// A RST answering a segment that matched no connection.
#[derive(Debug, Clone, Copy)]
struct ClosedPortRst {
    dst: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    seq: SeqNumber,
    ack: Option<SeqNumber>,
    reason: RstReason,
}

/// The TCP of one host. See the crate documentation for how to drive it.
#[derive(Debug)]
pub struct Endpoint {
    addr: Ipv4Addr,
    profile: Profile,
    /// Indexed by `ConnId`; closed connections stay (small, buffers freed)
    /// so ids are never reused and late calls get a clean error.
    conns: Vec<Conn>,
    /// (local port, remote address, remote port) to connection.
    demux: BTreeMap<(u16, Ipv4Addr, u16), ConnId>,
    /// The entry of `demux` found last: a host receives runs of segments
    /// for one connection. Cleared whenever `demux` changes.
    last_demux: Option<((u16, Ipv4Addr, u16), ConnId)>,
    listeners: Vec<Listener>,
    listen_ports: BTreeMap<u16, ListenerId>,
    /// How many listeners and connections use each local port.
    port_use: BTreeMap<u16, u32>,
    next_port: Option<u16>,
    ident: u16,
    events: Events,
    rsts: VecDeque<ClosedPortRst>,
    /// Connections that may have something to send, smallest id first.
    tx_queue: BinaryHeap<Reverse<u32>>,
    /// (deadline, connection, generation); stale entries are skipped.
    /// Kept only once the endpoint has a second connection (see
    /// [`Endpoint::heap_timers`]): a lone connection's deadline is read
    /// off the connection itself.
    timers: BinaryHeap<Reverse<(Instant, u32, u32)>>,
}

impl Endpoint {
    pub fn new(addr: Ipv4Addr, profile: Profile) -> Endpoint {
        Endpoint {
            addr,
            profile,
            conns: Vec::new(),
            demux: BTreeMap::new(),
            last_demux: None,
            listeners: Vec::new(),
            listen_ports: BTreeMap::new(),
            port_use: BTreeMap::new(),
            next_port: None,
            ident: 0,
            events: VecDeque::new(),
            rsts: VecDeque::new(),
            tx_queue: BinaryHeap::new(),
            timers: BinaryHeap::new(),
        }
    }

    // ---------------------------------------------------------------
    // Getters.

    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    #[inline]
    pub fn state(&self, conn: ConnId) -> Option<State> {
        self.conn(conn).map(|c| c.state)
    }

    pub fn snapshot(&self, conn: ConnId) -> Option<ConnSnapshot> {
        self.conn(conn).map(Conn::snapshot)
    }

    /// The connection's variables now.
    pub fn vars(&self, conn: ConnId) -> Option<ConnVars> {
        self.conn(conn).map(Conn::vars)
    }

    pub fn local_addr(&self, conn: ConnId) -> Option<SocketAddrV4> {
        self.conn(conn).map(|c| c.local)
    }

    pub fn remote_addr(&self, conn: ConnId) -> Option<SocketAddrV4> {
        self.conn(conn).map(|c| c.remote)
    }

    /// The listener that accepted this connection, if it was a passive open.
    pub fn listener_of(&self, conn: ConnId) -> Option<ListenerId> {
        self.conn(conn).and_then(|c| c.listener)
    }

    /// Connections not yet CLOSED, by id.
    pub fn conns(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.conns
            .iter()
            .filter(|c| c.state != State::Closed)
            .map(|c| c.id)
    }

    pub fn is_listening(&self, id: ListenerId) -> bool {
        self.listeners.get(id.0 as usize).is_some_and(|l| l.open)
    }

    /// The port a listener listens on.
    pub fn listener_port(&self, id: ListenerId) -> Option<u16> {
        self.listeners.get(id.0 as usize).map(|l| l.port)
    }

    /// Whether a listener or a connection uses this local port.
    pub fn port_in_use(&self, port: u16) -> bool {
        self.port_use.get(&port).is_some_and(|&n| n > 0)
    }

    /// Bytes waiting to be read.
    #[inline]
    pub fn recv_available(&self, conn: ConnId) -> usize {
        self.conn(conn).map_or(0, Conn::recv_available)
    }

    /// Free space in the send buffer: how much `send` would take now.
    #[inline]
    pub fn send_capacity(&self, conn: ConnId) -> usize {
        self.conn(conn).map_or(0, Conn::send_capacity)
    }

    /// The peer's FIN has arrived: once the buffered data is read, the
    /// stream has ended.
    pub fn peer_closed(&self, conn: ConnId) -> bool {
        self.conn(conn).is_some_and(Conn::peer_closed)
    }

    #[inline]
    fn conn(&self, id: ConnId) -> Option<&Conn> {
        self.conns.get(id.0 as usize)
    }

    // ---------------------------------------------------------------
    // Listeners and the port table.

    /// Listens on `port` for any number of connections (passive OPEN).
    pub fn listen(&mut self, port: u16) -> Result<ListenerId, TcpError> {
        self.listen_with(port, ListenOptions::default())
    }

    /// Listens on `port` for exactly one connection, optionally only from
    /// `remote`: an FTP client's active-mode data port.
    pub fn listen_on_port(
        &mut self,
        port: u16,
        remote: Option<Ipv4Addr>,
    ) -> Result<ListenerId, TcpError> {
        self.listen_with(
            port,
            ListenOptions {
                once: true,
                remote,
                isn: None,
            },
        )
    }

    pub fn listen_with(&mut self, port: u16, opts: ListenOptions) -> Result<ListenerId, TcpError> {
        if self.listen_ports.contains_key(&port) {
            return Err(TcpError::AddrInUse);
        }
        let id = ListenerId(self.listeners.len() as u32);
        self.listeners.push(Listener {
            port,
            opts,
            open: true,
        });
        self.listen_ports.insert(port, id);
        *self.port_use.entry(port).or_insert(0) += 1;
        Ok(id)
    }

    /// Stops listening. Connections it already created carry on.
    pub fn unlisten(&mut self, id: ListenerId) {
        let Some(l) = self.listeners.get_mut(id.0 as usize) else {
            return;
        };
        if !l.open {
            return;
        }
        l.open = false;
        let port = l.port;
        self.listen_ports.remove(&port);
        self.release_port(port);
    }

    fn release_port(&mut self, port: u16) {
        if let Some(n) = self.port_use.get_mut(&port) {
            *n -= 1;
            if *n == 0 {
                self.port_use.remove(&port);
            }
        }
    }

    /// A free local port from the profile's ephemeral range: the next one
    /// in order (sequential) or RFC 6056 Algorithm 1 (random start, then
    /// the next free one). Ports used by a listener or a connection (TIME-
    /// WAIT included) are skipped. The port is not reserved until a
    /// listener or connection uses it.
    pub fn alloc_ephemeral_port(&mut self, rng: &mut impl RngCore) -> Result<u16, TcpError> {
        let e = self.profile.ephemeral;
        let (first, last) = (e.first.min(e.last), e.first.max(e.last));
        let count = u32::from(last - first) + 1;
        let at = |i: u32| first + (i % count) as u16;
        match e.kind {
            EphemeralKind::Sequential => {
                let start = self
                    .next_port
                    .or(e.start)
                    .unwrap_or(first)
                    .clamp(first, last);
                let base = u32::from(start - first);
                for i in 0..count {
                    let port = at(base + i);
                    if !self.port_in_use(port) {
                        self.next_port = Some(at(base + i + 1));
                        return Ok(port);
                    }
                }
            }
            EphemeralKind::Random => {
                // RFC 6056 3.3.1: next_ephemeral = min_ephemeral +
                // (random() % num_ephemeral), then count up.
                let base = rng.next_u32() % count;
                for i in 0..count {
                    let port = at(base + i);
                    if !self.port_in_use(port) {
                        return Ok(port);
                    }
                }
            }
        }
        Err(TcpError::NoEphemeralPorts)
    }

    /// Sets the next IP identification value (the simulator may seed it).
    pub fn set_next_ip_ident(&mut self, ident: u16) {
        self.ident = ident;
    }

    // ---------------------------------------------------------------
    // Application calls.

    /// Active OPEN (RFC 9293 3.10.1): the SYN goes out on the next
    /// `poll_transmit`.
    pub fn connect(
        &mut self,
        now: Instant,
        remote: SocketAddrV4,
        local_port: Option<u16>,
        rng: &mut impl RngCore,
    ) -> Result<ConnId, TcpError> {
        self.connect_with(
            now,
            remote,
            ConnectOptions {
                local_port,
                ..ConnectOptions::default()
            },
            rng,
        )
    }

    pub fn connect_with(
        &mut self,
        now: Instant,
        remote: SocketAddrV4,
        opts: ConnectOptions,
        rng: &mut impl RngCore,
    ) -> Result<ConnId, TcpError> {
        let port = match opts.local_port {
            Some(p) => {
                if self.demux.contains_key(&(p, *remote.ip(), remote.port())) {
                    return Err(TcpError::AddrInUse);
                }
                p
            }
            None => self.alloc_ephemeral_port(rng)?,
        };
        // RFC 9293 3.4.1 wants ISNs that are hard to guess (RFC 6528); the
        // host's seeded random stream stands in for that.
        let iss = opts
            .isn
            .or(self.profile.isn)
            .unwrap_or_else(|| rng.next_u32());
        let ts_offset = if self.profile.timestamps {
            rng.next_u32()
        } else {
            0
        };
        let id = ConnId(self.conns.len() as u32);
        let conn = Conn::open_active(
            NewConn {
                id,
                local: SocketAddrV4::new(self.addr, port),
                remote,
                iss,
                ts_offset,
                nodelay: opts.nodelay,
                listener: None,
            },
            &self.profile,
            &mut self.events,
        );
        self.add_conn(conn);
        self.bind(id);
        self.touch(id.0 as usize, now);
        self.tidy_timers();
        Ok(id)
    }

    /// Stores a new connection. The second one switches the endpoint to
    /// the timer heap, which from then on holds every connection's
    /// deadline: the first one's is entered now.
    fn add_conn(&mut self, conn: Conn) {
        self.conns.push(conn);
        if self.conns.len() == 2 {
            self.sync_deadline(0);
        }
    }

    fn bind(&mut self, id: ConnId) {
        let c = &mut self.conns[id.0 as usize];
        c.bound = true;
        let key = (c.local.port(), *c.remote.ip(), c.remote.port());
        let port = c.local.port();
        self.demux.insert(key, id);
        self.last_demux = None;
        *self.port_use.entry(port).or_insert(0) += 1;
    }

    /// SEND (RFC 9293 3.10.2): copies what fits into the send buffer and
    /// returns how much; segments go out on `poll_transmit`.
    pub fn send(&mut self, now: Instant, conn: ConnId, data: &[u8]) -> Result<usize, TcpError> {
        let c = self
            .conns
            .get_mut(conn.0 as usize)
            .ok_or(TcpError::InvalidConn)?;
        let n = c.send(data)?;
        if n == 0 && !c.timers_stale {
            // A writer calls until the buffer takes nothing (every other
            // call of a bulk sender). Such a call changed nothing, and the
            // bookkeeping ran after every change before it: handling a
            // segment or a timeout and every application call touch the
            // connection, `poll_transmit` updates it after each segment,
            // and what a `dispatch` finding nothing clears, or a read
            // changes, is no input of the timers (`set_nodelay` is, and
            // marks them stale). Touching again would change nothing.
            #[cfg(test)]
            self.check_settled(conn.0 as usize, now);
            return Ok(0);
        }
        self.touch(conn.0 as usize, now);
        self.tidy_timers();
        Ok(n)
    }

    /// Tests check that a write that took nothing had nothing to update:
    /// what `touch` and `tidy_timers` would do is a no-op.
    #[cfg(test)]
    fn check_settled(&self, idx: usize, now: Instant) {
        let c = &self.conns[idx];
        let mut after = c.clone();
        after.update_timers(now, &self.profile);
        assert_eq!(format!("{after:?}"), format!("{c:?}"), "timers not settled");
        assert_eq!(c.next_deadline(), c.registered, "deadline not registered");
        assert_eq!(self.poll_timeout(), self.timers.peek().map(|r| r.0.0));
        check_nothing_to_send(c);
        if let Some(&Reverse((t, i, generation))) = self.timers.peek() {
            let top = &self.conns[i as usize];
            assert!(top.timer_gen == generation && top.registered == Some(t));
        }
    }

    /// RECEIVE (RFC 9293 3.10.3): `Ok(0)` means nothing to read now; the
    /// end of the stream is told by [`Event::PeerFin`] and
    /// [`Endpoint::peer_closed`]. Reading opens the window, which may send
    /// a window update on the next `poll_transmit`.
    pub fn recv(&mut self, conn: ConnId, buf: &mut [u8]) -> Result<usize, TcpError> {
        self.read_with(conn, |c| c.recv(buf))
    }

    /// RECEIVE into the end of `out`, at most `max` bytes: the same as
    /// [`Endpoint::recv`] (and the same window updates for the same
    /// amounts read), without a buffer to clear first.
    pub fn recv_append(
        &mut self,
        conn: ConnId,
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<usize, TcpError> {
        self.read_with(conn, |c| c.recv_append(out, max))
    }

    /// RECEIVE into `buf`, replacing what it held, at most `max` bytes:
    /// the same as [`Endpoint::recv_append`] into an empty `buf` (the same
    /// bytes, the same window updates), but when everything readable is
    /// one run in the receive buffer's storage, `buf` and the storage trade
    /// places instead of the bytes being copied. The bytes read are
    /// `buf[range]`; `buf`'s length is not theirs. Give the same buffers
    /// back on later calls: once a buffer is as large as the receive
    /// buffer's storage, reading allocates nothing.
    pub fn recv_exchange(
        &mut self,
        conn: ConnId,
        buf: &mut Vec<u8>,
        max: usize,
    ) -> Result<core::ops::Range<usize>, TcpError> {
        self.read_with(conn, |c| c.recv_exchange(buf, max))
    }

    /// RECEIVE without a copy, when it can be had: up to `max` bytes (at
    /// most [`netstep_wire::pattern::MAX_SLICE`]) as a slice of the bulk
    /// pattern's table, when everything the receive buffer got so far
    /// came as slices of that table at the phases that continue the
    /// stream (a bulk sender's bytes, by reference from its send buffer);
    /// `Ok(None)`, reading nothing, otherwise: read with
    /// [`Endpoint::recv_exchange`] then. The same bytes and window updates
    /// as [`Endpoint::recv_append`] for the same amount read.
    pub fn recv_shared(
        &mut self,
        conn: ConnId,
        max: usize,
    ) -> Result<Option<&'static [u8]>, TcpError> {
        self.read_with(conn, |c| c.recv_shared(max))
    }

    /// One of the reads above on `conn`, then what a read may call for.
    fn read_with<T>(
        &mut self,
        conn: ConnId,
        read: impl FnOnce(&mut Conn) -> Result<T, TcpError>,
    ) -> Result<T, TcpError> {
        let c = self
            .conns
            .get_mut(conn.0 as usize)
            .ok_or(TcpError::InvalidConn)?;
        let r = read(c)?;
        self.queue_after_recv(conn);
        Ok(r)
    }

    /// Reading changes only the receive buffer, so the only segment it can
    /// call for is a window update (an owed ACK). Every other reason to
    /// send queued the connection when it arose, and a connection off the
    /// queue had `Conn::dispatch` return `None` since: with no ACK owed it
    /// would again, without side effects. So a read queues the connection
    /// only when an ACK is owed, which spares a `dispatch` per read (two
    /// reads per segment: the reader loops until `Ok(0)`).
    #[inline]
    fn queue_after_recv(&mut self, conn: ConnId) {
        let c = &mut self.conns[conn.0 as usize];
        if !c.queued && c.ack_pending() {
            c.queued = true;
            self.tx_queue.push(Reverse(conn.0));
        }
        #[cfg(test)]
        check_nothing_to_send(c);
    }

    /// Queues the connection for `poll_transmit` if it may have something
    /// to send ([`Conn::may_send`]).
    #[inline]
    fn queue_if_may_send(&mut self, idx: usize) {
        let c = &mut self.conns[idx];
        if !c.queued && c.may_send() {
            c.queued = true;
            self.tx_queue.push(Reverse(idx as u32));
        }
        #[cfg(test)]
        check_nothing_to_send(c);
    }

    /// CLOSE (RFC 9293 3.10.4): a FIN after the queued data (a half
    /// close: data can still be received). From SYN-SENT the connection is
    /// deleted; from SYN-RECEIVED the FIN waits for ESTABLISHED.
    pub fn shutdown(&mut self, now: Instant, conn: ConnId) {
        self.close(now, conn);
    }

    /// The same as [`Endpoint::shutdown`]: RFC 9293's CLOSE is a half
    /// close.
    pub fn close(&mut self, now: Instant, conn: ConnId) {
        let idx = conn.0 as usize;
        if let Some(c) = self.conns.get_mut(idx) {
            c.close(&mut self.events);
            self.touch(idx, now);
            self.tidy_timers();
        }
    }

    /// ABORT (RFC 9293 3.10.5): a RST where the state calls for one, and
    /// the connection is deleted at once.
    pub fn abort(&mut self, now: Instant, conn: ConnId) {
        let idx = conn.0 as usize;
        if let Some(c) = self.conns.get_mut(idx) {
            c.abort(&mut self.events);
            self.touch(idx, now);
            self.tidy_timers();
        }
    }

    /// Turns Nagle's algorithm off (`true`) or on for one connection.
    pub fn set_nodelay(&mut self, conn: ConnId, nodelay: bool) {
        if let Some(c) = self.conns.get_mut(conn.0 as usize) {
            c.set_nodelay(nodelay);
            if !c.queued {
                c.queued = true;
                self.tx_queue.push(Reverse(conn.0));
            }
        }
    }

    // ---------------------------------------------------------------
    // Input.

    /// A segment arrived for this host. Demultiplexed by 4-tuple, else to a
    /// listener (RFC 9293 3.10.7.2), else answered as a closed port
    /// (3.10.7.1).
    pub fn handle_segment(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        seg: &TcpRepr<'_>,
        rng: &mut impl RngCore,
    ) {
        if ip.dst != self.addr {
            self.events.push_back(Event::SegmentRejected {
                conn: None,
                reason: RejectReason::NotForThisHost,
            });
            return;
        }
        let key = (seg.dst_port, ip.src, seg.src_port);
        let found = match self.last_demux {
            Some((k, id)) if k == key => Some(id),
            _ => {
                let id = self.demux.get(&key).copied();
                self.last_demux = id.map(|id| (key, id));
                id
            }
        };
        if let Some(id) = found {
            let idx = id.0 as usize;
            self.conns[idx].on_segment(now, &self.profile, seg, &mut self.events);
            self.touch(idx, now);
            self.tidy_timers();
            return;
        }
        if let Some(&lid) = self.listen_ports.get(&seg.dst_port) {
            self.on_listener_segment(now, lid, ip, seg, rng);
            self.tidy_timers();
            return;
        }
        self.reply_closed(ip, seg, RejectReason::NoConnection, RstReason::ClosedPort);
    }

    /// RFC 9293 3.10.7.2: LISTEN STATE.
    fn on_listener_segment(
        &mut self,
        now: Instant,
        lid: ListenerId,
        ip: &Ipv4Repr,
        seg: &TcpRepr<'_>,
        rng: &mut impl RngCore,
    ) {
        let opts = self.listeners[lid.0 as usize].opts;
        if opts.remote.is_some_and(|r| r != ip.src) {
            self.reply_closed(
                ip,
                seg,
                RejectReason::ListenerRemoteMismatch,
                RstReason::ClosedPort,
            );
            return;
        }
        // "First, check for a RST: an incoming RST segment could not be
        // valid ... should be ignored."
        if seg.flags.rst() {
            self.events.push_back(Event::SegmentRejected {
                conn: None,
                reason: RejectReason::ListenerNotSyn,
            });
            return;
        }
        // "Second, check for an ACK: any acknowledgment is bad ... form a
        // reset segment <SEQ=SEG.ACK><CTL=RST>".
        if seg.ack_number.is_some() {
            self.reply_closed(
                ip,
                seg,
                RejectReason::ListenerNotSyn,
                RstReason::ListenerGotAck,
            );
            return;
        }
        // "Fourth, other data or control: ... drop the segment and return."
        if !seg.flags.syn() {
            self.events.push_back(Event::SegmentRejected {
                conn: None,
                reason: RejectReason::ListenerNotSyn,
            });
            return;
        }
        // "Third, check for a SYN".
        let iss = opts
            .isn
            .or(self.profile.isn)
            .unwrap_or_else(|| rng.next_u32());
        let ts_offset = if self.profile.timestamps {
            rng.next_u32()
        } else {
            0
        };
        let id = ConnId(self.conns.len() as u32);
        let conn = Conn::open_passive(
            NewConn {
                id,
                local: SocketAddrV4::new(self.addr, seg.dst_port),
                remote: SocketAddrV4::new(ip.src, seg.src_port),
                iss,
                ts_offset,
                nodelay: None,
                listener: Some(lid),
            },
            seg,
            &self.profile,
            &mut self.events,
        );
        self.add_conn(conn);
        self.bind(id);
        if opts.once {
            self.unlisten(lid);
        }
        self.touch(id.0 as usize, now);
    }

    /// RFC 9293 3.10.7.1: "If the state is CLOSED (i.e., TCB does not
    /// exist) ... An incoming segment not containing a RST causes a RST to
    /// be sent in response." With ACK: <SEQ=SEG.ACK><CTL=RST>; without:
    /// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    fn reply_closed(
        &mut self,
        ip: &Ipv4Repr,
        seg: &TcpRepr<'_>,
        reject: RejectReason,
        reason: RstReason,
    ) {
        self.events.push_back(Event::SegmentRejected {
            conn: None,
            reason: reject,
        });
        if seg.flags.rst() || self.rsts.len() >= MAX_PENDING_RSTS {
            return;
        }
        let (seq, ack) = match seg.ack_number {
            Some(a) => (a, None),
            None => (SeqNumber(0), Some(seg.seq_number + seg.segment_len())),
        };
        self.rsts.push_back(ClosedPortRst {
            dst: ip.src,
            src_port: seg.dst_port,
            dst_port: seg.src_port,
            seq,
            ack,
            reason,
        });
    }

    /// Runs every timer whose deadline is at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.heap_timers() {
            // The lone connection (see `poll_timeout`). As with the heap,
            // a deadline still due after its timers ran would run again.
            while let Some(c) = self.conns.first_mut()
                && c.next_deadline().is_some_and(|t| t <= now)
            {
                c.registered = None;
                c.on_timeout(now, &self.profile, &mut self.events);
                self.touch(0, now);
            }
            self.tidy_timers();
            return;
        }
        while let Some(&Reverse((t, idx, generation))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            let idx = idx as usize;
            let c = &mut self.conns[idx];
            if c.timer_gen != generation || c.registered != Some(t) {
                continue;
            }
            c.registered = None;
            c.on_timeout(now, &self.profile, &mut self.events);
            self.touch(idx, now);
        }
        self.tidy_timers();
    }

    // ---------------------------------------------------------------
    // Output.

    /// The next segment to send, or `None`. Call until `None` after every
    /// input or application call. Order: RSTs for closed ports, then by
    /// connection id; within a connection RST, SYN, retransmission, data
    /// and FIN, zero-window probe, pure ACK.
    #[inline]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit<'_>> {
        // Every flush ends with a call that finds nothing: answer it
        // without entering the (large) body.
        if self.rsts.is_empty() && self.tx_queue.is_empty() {
            return None;
        }
        self.poll_transmit_slow(now)
    }

    #[inline(never)]
    fn poll_transmit_slow(&mut self, now: Instant) -> Option<Transmit<'_>> {
        if let Some(r) = self.rsts.pop_front() {
            let tcp = TcpRepr {
                src_port: r.src_port,
                dst_port: r.dst_port,
                seq_number: r.seq,
                ack_number: r.ack,
                flags: TcpFlags::RST,
                window: 0,
                urgent: 0,
                options: TcpOptions::NONE,
                payload: &[],
            };
            let ip = ip_header(self.addr, self.profile.ttl, &mut self.ident, r.dst, 20);
            return Some(Transmit {
                conn: None,
                ip,
                tcp,
                cause: TxCause::Rst(r.reason),
                retransmission: None,
                vars: ConnVars::default(),
            });
        }
        loop {
            let &Reverse(idx) = self.tx_queue.peek()?;
            let idx = idx as usize;
            let c = &mut self.conns[idx];
            // Tests check that the paths below give what the general
            // `dispatch` gives: the same plan, the same connection after.
            #[cfg(test)]
            let general = {
                let mut g = c.clone();
                let p = g.dispatch(now, &self.profile, false);
                (format!("{g:?}"), format!("{p:?}"))
            };
            #[cfg(test)]
            let same = |c: &Conn, p: Option<&Plan>| {
                assert_eq!(general, (format!("{c:?}"), format!("{:?}", p.copied())));
            };
            // New data first when it is `dispatch`'s first choice: a
            // segment of its own, built without joining the other kinds'
            // plans (which kept every plan in memory rather than registers).
            let data_first = c.data_first();
            if data_first {
                if let Some(plan) = c.dispatch_data(now) {
                    #[cfg(test)]
                    same(c, Some(&plan));
                    return Some(self.transmit(idx, plan, now));
                }
                // No data: unless a probe is due, `dispatch` would go on
                // to its last step, the pure ACK (a receiver's every
                // segment), which gets its own path too.
                if !c.probe_due() {
                    let plan = c.ack_plan(now);
                    #[cfg(test)]
                    same(c, plan.as_ref());
                    if let Some(plan) = plan {
                        return Some(self.transmit(idx, plan, now));
                    }
                    self.tx_queue.pop();
                    c.queued = false;
                    continue;
                }
            }
            let plan = c.dispatch(now, &self.profile, data_first);
            #[cfg(test)]
            same(c, plan.as_ref());
            let Some(plan) = plan else {
                self.tx_queue.pop();
                c.queued = false;
                continue;
            };
            return Some(self.transmit(idx, plan, now));
        }
    }

    /// The bookkeeping after `dispatch` made `plan` for connection `idx`,
    /// and the segment.
    #[inline(always)]
    fn transmit(&mut self, idx: usize, plan: Plan, now: Instant) -> Transmit<'_> {
        // Read before the connection is borrowed for the whole segment.
        let heap = self.keep_heap();
        let (addr, ttl) = (self.addr, self.profile.ttl);
        // One borrow of the connection and the profile for the whole
        // segment (they are disjoint fields).
        let prof = &self.profile;
        let c = &mut self.conns[idx];
        c.update_timers(now, prof);
        if !c.may_send() {
            // The next call would find nothing here: leave the queue
            // now, so it returns `None` at once.
            self.tx_queue.pop();
            c.queued = false;
            #[cfg(test)]
            check_nothing_to_send(c);
        }
        // `reregister` and `tidy_timers`, whose work is all on paths
        // that are rare here: a host with several connections, a
        // connection that just closed.
        if heap || (c.state == State::Closed && c.bound) {
            self.reregister(idx);
            self.tidy_timers();
        }
        let c = &mut self.conns[idx];
        // A SYN's options are built here (see `Plan::ts`); every other
        // segment of a connection carries at most timestamps (and no
        // SACK blocks: we send none), so its options' length needs no
        // counting.
        let (options, options_len) = if plan.flags.syn() {
            let o = c.syn_options(now, &self.profile, plan.cause == TxCause::SynAck);
            (o, tcp_options_len(&o))
        } else {
            let o = TcpOptions {
                timestamps: plan.ts,
                ..TcpOptions::NONE
            };
            (o, if plan.ts.is_some() { 12 } else { 0 })
        };
        debug_assert_eq!(options_len, tcp_options_len(&options));
        let (id, local_port, remote) = (c.id, c.local.port(), c.remote);
        let ip = ip_header(
            addr,
            ttl,
            &mut self.ident,
            *remote.ip(),
            20 + options_len + plan.payload_len,
        );
        let vars = c.vars();
        let payload = if plan.payload_len > 0 {
            c.payload(plan.payload_offset, plan.payload_len)
        } else {
            &[]
        };
        debug_assert_eq!(payload.len(), plan.payload_len);
        Transmit {
            conn: Some(id),
            ip,
            tcp: TcpRepr {
                src_port: local_port,
                dst_port: remote.port(),
                seq_number: plan.seq,
                ack_number: plan.ack,
                flags: plan.flags,
                window: plan.window,
                urgent: 0,
                options,
                payload,
            },
            cause: plan.cause,
            retransmission: plan.retransmission,
            vars,
        }
    }

    /// The earliest deadline of any connection's timers.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.heap_timers() {
            // One connection: its own earliest deadline, which is what
            // the heap would hold (tests keep the heap too, and compare).
            let d = self.conns.first().and_then(Conn::next_deadline);
            #[cfg(test)]
            assert_eq!(d, self.timers.peek().map(|&Reverse((t, _, _))| t));
            return d;
        }
        self.timers.peek().map(|&Reverse((t, _, _))| t)
    }

    /// Whether deadlines are answered from the timer heap. With at most
    /// one connection (a client; a host running one transfer) the heap
    /// would hold that connection's deadline alone, and keeping it cost a
    /// heap update or two per segment: its deadline is computed when asked
    /// instead. Once a second connection exists (connections are never
    /// removed) the heap holds every connection's deadline.
    #[inline]
    fn heap_timers(&self) -> bool {
        self.conns.len() > 1
    }

    /// Whether the heap is kept up to date: in heap mode, and always in
    /// tests, which check the lone connection's answers against it.
    #[inline]
    fn keep_heap(&self) -> bool {
        cfg!(test) || self.heap_timers()
    }

    /// The next event for the application and the trace.
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ---------------------------------------------------------------
    // Bookkeeping after a connection changed.

    #[inline]
    fn touch(&mut self, idx: usize, now: Instant) {
        self.conns[idx].update_timers(now, &self.profile);
        self.queue_if_may_send(idx);
        self.reregister(idx);
    }

    #[inline(always)]
    fn reregister(&mut self, idx: usize) {
        if self.keep_heap() {
            self.sync_deadline(idx);
        }
        let c = &self.conns[idx];
        if c.state == State::Closed && c.bound {
            self.unbind(idx);
        }
    }

    /// Enters the connection's deadline in the timer heap if it changed.
    /// Out of line: only hosts with several connections come here.
    #[inline(never)]
    fn sync_deadline(&mut self, idx: usize) {
        let c = &self.conns[idx];
        let d = c.next_deadline();
        if d != c.registered {
            self.register(idx, d);
        }
    }

    /// Enters the connection's new deadline in the timer heap. Out of line
    /// (as `unbind`): `reregister` runs several times a segment and mostly
    /// finds nothing changed.
    #[inline(never)]
    fn register(&mut self, idx: usize, d: Option<Instant>) {
        let c = &mut self.conns[idx];
        let old = c.registered.map(|t| Reverse((t, idx as u32, c.timer_gen)));
        c.registered = d;
        c.timer_gen = c.timer_gen.wrapping_add(1);
        let Some(t) = d else {
            return;
        };
        let new = Reverse((t, idx as u32, c.timer_gen));
        // The old entry on top (a connection alone on its host, or the
        // earliest): overwrite it in place rather than push the new one
        // and pop the stale one later. Either way the heap's live entries
        // are the same.
        if let Some(mut top) = self.timers.peek_mut()
            && Some(*top) == old
        {
            *top = new;
            return;
        }
        self.timers.push(new);
    }

    #[cold]
    #[inline(never)]
    fn unbind(&mut self, idx: usize) {
        let c = &mut self.conns[idx];
        c.bound = false;
        let key = (c.local.port(), *c.remote.ip(), c.remote.port());
        let port = c.local.port();
        self.demux.remove(&key);
        self.last_demux = None;
        self.release_port(port);
    }

    /// Pops stale entries off the top of the timer heap, so
    /// `poll_timeout` can peek.
    #[inline]
    fn tidy_timers(&mut self) {
        while let Some(&Reverse((t, idx, generation))) = self.timers.peek() {
            let c = &self.conns[idx as usize];
            if c.timer_gen == generation && c.registered == Some(t) {
                break;
            }
            self.timers.pop();
        }
    }
}

/// Tests check every use of [`Conn::may_send`]: a connection left off the
/// transmit queue must have nothing to send and nothing `dispatch` would
/// change (compared on a clone, by its `Debug` form: every field).
#[cfg(test)]
fn check_nothing_to_send(c: &Conn) {
    if c.queued {
        return;
    }
    let mut probe = c.clone();
    let plan = probe.dispatch(
        Instant::from_nanos(u64::MAX / 2),
        &Profile::default(),
        false,
    );
    assert!(
        plan.is_none(),
        "a connection off the queue had {plan:?} to send"
    );
    assert_eq!(
        format!("{probe:?}"),
        format!("{c:?}"),
        "dispatch changed a connection off the queue"
    );
}

/// The IPv4 header of a segment from `src` to `dst` whose TCP part
/// (header, options, payload) is `tcp_len` bytes, taking the next IP
/// identification from `ident`. A free function so that it can be built
/// while a connection of the endpoint is borrowed.
fn ip_header(src: Ipv4Addr, ttl: u8, ident: &mut u16, dst: Ipv4Addr, tcp_len: usize) -> Ipv4Repr {
    let id = *ident;
    *ident = id.wrapping_add(1);
    Ipv4Repr {
        src,
        dst,
        protocol: protocol::TCP,
        ttl,
        ident: id,
        dont_frag: true,
        tos: 0,
        payload_len: tcp_len,
    }
}

/// Bytes the TCP options take on the wire, padded to 32 bits (MSS 4,
/// window scale 3, SACK-permitted 2, timestamps 10, SACK 2 + 8 per block).
pub fn tcp_options_len(o: &TcpOptions) -> usize {
    let mut n = 0;
    if o.mss.is_some() {
        n += 4;
    }
    if o.window_scale.is_some() {
        n += 3;
    }
    if o.sack_permitted {
        n += 2;
    }
    if o.timestamps.is_some() {
        n += 10;
    }
    let blocks = o.sack_blocks.iter().flatten().count();
    if blocks > 0 {
        n += 2 + 8 * blocks;
    }
    (n + 3) & !3
}
