//! A simulated host running the `netstep-tcp` stack and applications.
//!
//! Applications call the socket interface ([`AppIo`]) the way a program
//! makes system calls: each call is carried out at once and whatever TCP
//! can send because of it goes on the wire before the call returns. That
//! is what puts a server's `221` and its FIN in separate segments (the
//! program writes, then closes) and lets an ACK that is due leave before
//! the program has even read the data.
//!
//! The host also translates the TCP crate's vocabulary into the trace's
//! (see `netstep-trace`'s model docs for why the two are kept apart).
//!
//! Leaves out: sockets shared between applications, UDP, ICMP.

use crate::net::{HostCx, HostStack};
use crate::record::SegMeta;
use netstep_tcp::{ConnId, Endpoint, Event as TcpEvent, ListenerId, Profile, Transmit};
use netstep_trace as tr;
use netstep_wire::{Instant, Ipv4Addr, Ipv4Repr, TcpRepr};
use std::collections::BTreeMap;
use std::net::SocketAddrV4;

/// What an application hears about its sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockEvent<'a> {
    /// A listener accepted `conn`.
    Accepted {
        listener: ListenerId,
        conn: ConnId,
        peer: SocketAddrV4,
    },
    /// An active open completed.
    Connected { conn: ConnId },
    /// Bytes arrived on `conn` (already read out of the socket). They are
    /// lent for the call: the host reuses the buffer afterwards.
    Received { conn: ConnId, bytes: &'a [u8] },
    /// The peer's FIN arrived.
    PeerClosed { conn: ConnId },
    /// Everything we sent on `conn`, FIN included if sent, is acknowledged.
    AllAcked { conn: ConnId },
    /// The connection ended; `reason` says how.
    Closed {
        conn: ConnId,
        reason: netstep_tcp::CloseReason,
    },
    /// The send buffer has room again.
    Writable { conn: ConnId },
}

/// A socket event waiting for its application: received bytes travel in a
/// buffer of the host's pool, which goes back to the pool once the
/// application has seen them, so reading allocates nothing once warm.
#[derive(Debug)]
enum Pending {
    Event(SockEvent<'static>),
    /// The bytes are `buf[range]` (the buffer may be a receive buffer's
    /// former storage, see [`Endpoint::recv_exchange`]).
    Received {
        conn: ConnId,
        buf: Vec<u8>,
        range: core::ops::Range<usize>,
    },
}

/// An application on a TCP host, sans-IO like the protocols it runs.
pub trait App {
    /// A name for the trace (`ftp-client`, `ftp-server`).
    fn name(&self) -> &str;
    fn start(&mut self, now: Instant, io: &mut AppIo<'_, '_>);
    fn on_event(&mut self, now: Instant, ev: SockEvent<'_>, io: &mut AppIo<'_, '_>);
    fn on_timeout(&mut self, now: Instant, io: &mut AppIo<'_, '_>);
    fn poll_timeout(&self) -> Option<Instant>;
    /// The application has nothing more to do (it may still own sockets
    /// that are closing).
    fn finished(&self) -> bool;
}

/// Values per connection of one endpoint. Connection ids are dense
/// (0, 1, 2... in order of creation, never reused), so a vector indexed
/// by id does what an ordered map would, without searching.
#[derive(Debug)]
struct ConnMap<T>(Vec<Option<T>>);

impl<T> Default for ConnMap<T> {
    fn default() -> Self {
        ConnMap(Vec::new())
    }
}

impl<T> ConnMap<T> {
    fn get(&self, c: &ConnId) -> Option<&T> {
        self.0.get(c.0 as usize).and_then(Option::as_ref)
    }
    fn insert(&mut self, c: ConnId, v: T) {
        let i = c.0 as usize;
        if self.0.len() <= i {
            self.0.resize_with(i + 1, || None);
        }
        self.0[i] = Some(v);
    }
}

/// Who owns a socket, and what the trace calls it.
#[derive(Debug, Clone)]
struct Owner {
    app: usize,
    label: String,
}

/// The host-side state that applications reach through [`AppIo`].
pub struct Stack {
    pub addr: Ipv4Addr,
    pub ep: Endpoint,
    conn_owner: ConnMap<Owner>,
    listener_owner: BTreeMap<ListenerId, Owner>,
    /// Trace socket ids.
    conn_socket: ConnMap<u32>,
    listener_socket: BTreeMap<ListenerId, u32>,
    /// Socket events waiting to be handed to their applications.
    pending: std::collections::VecDeque<(usize, Pending)>,
    /// Spare receive buffers (see [`Pending`]).
    bufs: Vec<Vec<u8>>,
    /// The trace index of the segment being processed, for state-change causes.
    current_segment: Option<u32>,
    /// Last ACK number sent per connection, to tell piggybacked ACKs.
    last_ack_sent: ConnMap<Option<netstep_wire::SeqNumber>>,
    /// Connections whose last write did not fit in the send buffer, in
    /// order of id (a sorted vector: a handful at most, checked on every
    /// flush).
    want_writable: Vec<ConnId>,
    /// Connections still doing something (see [`is_open`]), counted from
    /// the state changes TCP reports, so that asking costs nothing.
    open_conns: usize,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The socket interface an application calls during a callback.
pub struct AppIo<'s, 'c> {
    app: usize,
    now: Instant,
    stack: &'s mut Stack,
    cx: &'s mut HostCx<'c>,
}

impl std::fmt::Debug for AppIo<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppIo")
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

impl AppIo<'_, '_> {
    pub fn now(&self) -> Instant {
        self.now
    }

    pub fn local_addr(&self) -> Ipv4Addr {
        self.stack.addr
    }

    /// Opens a connection to `remote` from `local_port` (or an ephemeral
    /// port), labelled `label` in the trace.
    pub fn connect(
        &mut self,
        remote: SocketAddrV4,
        local_port: Option<u16>,
        label: &str,
    ) -> Result<ConnId, netstep_tcp::TcpError> {
        let now = self.now;
        let conn = self
            .stack
            .ep
            .connect(now, remote, local_port, self.cx.rng)?;
        self.stack.conn_owner.insert(
            conn,
            Owner {
                app: self.app,
                label: label.into(),
            },
        );
        if let Some((local, remote)) = self.stack.endpoints(conn) {
            let sock = self
                .cx
                .rec
                .socket_created(now, self.cx.node, local, Some(remote), label);
            self.stack.conn_socket.insert(conn, sock);
        }
        self.stack.flush(now, self.cx);
        Ok(conn)
    }

    /// Listens on `port` (0: an ephemeral port), labelled `label`; when
    /// `one` is set the listener accepts a single connection and closes.
    pub fn listen(
        &mut self,
        port: u16,
        label: &str,
    ) -> Result<(ListenerId, u16), netstep_tcp::TcpError> {
        let port = if port == 0 {
            self.stack.ep.alloc_ephemeral_port(self.cx.rng)?
        } else {
            port
        };
        let id = self.stack.ep.listen(port)?;
        self.stack.listener_owner.insert(
            id,
            Owner {
                app: self.app,
                label: label.into(),
            },
        );
        let local = SocketAddrV4::new(self.stack.addr, port);
        let sock = self
            .cx
            .rec
            .socket_created(self.now, self.cx.node, local, None, label);
        self.stack.listener_socket.insert(id, sock);
        self.cx.rec.state_change(
            self.now,
            sock,
            tr::TcpState::Closed,
            tr::TcpState::Listen,
            "listen".into(),
            None,
        );
        Ok((id, port))
    }

    pub fn unlisten(&mut self, id: ListenerId) {
        self.stack.ep.unlisten(id);
        if let Some(sock) = self.stack.listener_socket.remove(&id) {
            self.cx.rec.state_change(
                self.now,
                sock,
                tr::TcpState::Listen,
                tr::TcpState::Closed,
                "the application stopped listening".into(),
                None,
            );
        }
        self.stack.listener_owner.remove(&id);
    }

    /// Queues `bytes` for sending; returns how many the socket took.
    pub fn send(&mut self, conn: ConnId, bytes: &[u8]) -> usize {
        self.write(conn, bytes, |rec, local, remote, n| {
            rec.app_wrote(local, remote, &bytes[..n]);
        })
    }

    /// Queues the bytes of the bulk pattern ([`netstep_trace::pattern`])
    /// from stream offset `offset`, at most `max` of them (and at most
    /// [`netstep_trace::pattern::MAX_SLICE`]); returns how many the socket
    /// took. The trace stores the stream's length, not its bytes. The
    /// application keeps `offset` equal to what it has sent so far.
    pub fn send_pattern(&mut self, conn: ConnId, offset: u64, max: usize) -> usize {
        let bytes = netstep_trace::pattern::slice(offset, max);
        self.write(conn, bytes, |rec, local, remote, n| {
            rec.app_wrote_pattern(local, remote, n as u64);
        })
    }

    /// SEND as a non-blocking socket does it: takes what fits, asks to
    /// hear when there is room again, has `record` note the `n` bytes
    /// taken in the trace, and puts on the wire what TCP can send now.
    fn write(
        &mut self,
        conn: ConnId,
        bytes: &[u8],
        record: impl FnOnce(&mut crate::record::Recorder, SocketAddrV4, SocketAddrV4, usize),
    ) -> usize {
        let now = self.now;
        let n = match self.stack.ep.send(now, conn, bytes) {
            // A full buffer: nothing changed since the last flush, so
            // there is nothing to flush (and no room to report).
            Ok(0) if !bytes.is_empty() => {
                self.stack.want_writable_insert(conn);
                return 0;
            }
            r => r.unwrap_or(0),
        };
        if n < bytes.len() {
            // Like a non-blocking socket: tell the application when there
            // is room again (EPOLLOUT).
            self.stack.want_writable_insert(conn);
        }
        if n > 0
            && let Some((local, remote)) = self.stack.endpoints(conn)
        {
            record(self.cx.rec, local, remote, n);
        }
        self.stack.flush(now, self.cx);
        n
    }

    /// Sends FIN once queued data is out (half close).
    pub fn close(&mut self, conn: ConnId) {
        let now = self.now;
        self.stack.ep.close(now, conn);
        self.stack.flush(now, self.cx);
    }

    /// Turns Nagle's algorithm off (`true`) or on for `conn` (TCP_NODELAY).
    pub fn set_nodelay(&mut self, conn: ConnId, nodelay: bool) {
        self.stack.ep.set_nodelay(conn, nodelay);
    }

    /// Resets the connection.
    pub fn abort(&mut self, conn: ConnId) {
        let now = self.now;
        self.stack.ep.abort(now, conn);
        self.stack.flush(now, self.cx);
    }

    /// The (local, remote) addresses of `conn`.
    pub fn endpoints(&self, conn: ConnId) -> Option<(SocketAddrV4, SocketAddrV4)> {
        self.stack.endpoints(conn)
    }

    /// A fresh port from the host's ephemeral allocator.
    pub fn alloc_port(&mut self) -> Result<u16, netstep_tcp::TcpError> {
        self.stack.ep.alloc_ephemeral_port(self.cx.rng)
    }

    /// Records something the application did, for the trace.
    pub fn note(&mut self, app: &str, what: tr::AppEvent) {
        let node = self.cx.node;
        self.cx.rec.event(
            self.now,
            tr::EventKind::App {
                node,
                app: app.to_string(),
                what,
            },
        );
    }

    /// The trace index of the next segment to be recorded.
    pub fn next_segment(&self) -> u32 {
        self.cx.rec.trace.segments.len() as u32
    }
}

impl Stack {
    fn want_writable_insert(&mut self, conn: ConnId) {
        if let Err(at) = self.want_writable.binary_search(&conn) {
            self.want_writable.insert(at, conn);
        }
    }

    pub fn new(addr: Ipv4Addr, profile: Profile) -> Self {
        Stack {
            addr,
            ep: Endpoint::new(addr, profile),
            conn_owner: ConnMap::default(),
            listener_owner: BTreeMap::new(),
            conn_socket: ConnMap::default(),
            listener_socket: BTreeMap::new(),
            pending: Default::default(),
            current_segment: None,
            last_ack_sent: ConnMap::default(),
            want_writable: Vec::new(),
            open_conns: 0,
            bufs: Vec::new(),
        }
    }

    /// The (local, remote) addresses of `conn`.
    fn endpoints(&self, conn: ConnId) -> Option<(SocketAddrV4, SocketAddrV4)> {
        Some((self.ep.local_addr(conn)?, self.ep.remote_addr(conn)?))
    }

    /// Connections still doing something: not closed, not in TIME-WAIT
    /// (which only waits out old duplicates).
    fn has_open_connections(&self) -> bool {
        debug_assert_eq!(
            self.open_conns,
            self.ep
                .conns()
                .filter(|&c| self.ep.state(c).is_some_and(is_open))
                .count(),
            "the count of open connections follows every state change"
        );
        self.open_conns > 0
    }

    /// Puts everything TCP wants to send on the wire, then turns TCP's
    /// events into trace events and application notifications.
    fn flush(&mut self, now: Instant, cx: &mut HostCx<'_>) {
        loop {
            let mut sent = false;
            while let Some(tx) = self.ep.poll_transmit(now) {
                sent = true;
                let meta = segment_meta(&self.last_ack_sent, &tx);
                if let Some(c) = tx.conn {
                    self.last_ack_sent.insert(c, tx.tcp.ack_number);
                }
                cx.send(now, &tx.ip, &tx.tcp, meta);
            }
            let mut evs = false;
            while let Some(ev) = self.ep.poll_event() {
                evs = true;
                self.on_tcp_event(now, ev, cx);
            }
            // An index loop rather than `retain`: this runs after every
            // segment of a bulk sender, almost always over one connection.
            let mut i = 0;
            while i < self.want_writable.len() {
                let c = self.want_writable[i];
                let ready = self.ep.send_capacity(c) > 0
                    || self
                        .ep
                        .state(c)
                        .is_none_or(|st| st == netstep_tcp::State::Closed);
                if !ready {
                    i += 1;
                    continue;
                }
                self.want_writable.remove(i);
                if let Some(o) = self.conn_owner.get(&c) {
                    self.pending
                        .push_back((o.app, Pending::Event(SockEvent::Writable { conn: c })));
                }
            }
            if !sent && !evs {
                break;
            }
        }
    }
}

/// Why TCP sent `tx`, in the trace's words. An ACK is "piggybacked" when
/// it acknowledges more than the connection's previous segment did: the
/// receiver owed it and it rode along with data or a FIN.
fn segment_meta(
    last_ack_sent: &ConnMap<Option<netstep_wire::SeqNumber>>,
    tx: &Transmit<'_>,
) -> SegMeta {
    use netstep_tcp::TxCause as C;
    let piggy = tx.conn.is_some_and(|c| {
        let last = last_ack_sent.get(&c).copied().flatten();
        match (tx.tcp.ack_number, last) {
            (Some(a), Some(l)) => a > l,
            (Some(_), None) => true,
            _ => false,
        }
    });
    let cause = match tx.cause {
        C::Syn => tr::SegCause::Syn,
        C::SynAck => tr::SegCause::SynAck,
        C::HandshakeAck => tr::SegCause::HandshakeAck,
        C::Data => tr::SegCause::Data {
            piggybacked_ack: piggy,
        },
        C::DataWithFin => tr::SegCause::Fin {
            piggybacked_ack: piggy,
            with_data: true,
        },
        C::Fin => tr::SegCause::Fin {
            piggybacked_ack: piggy,
            with_data: false,
        },
        C::AckNow(r) => tr::SegCause::AckNow {
            reason: ack_reason(r),
        },
        C::DelayedAckTimer => tr::SegCause::DelayedAckTimer,
        C::ZeroWindowProbe => tr::SegCause::ZeroWindowProbe,
        C::Rst(r) => tr::SegCause::Rst {
            reason: rst_reason(r),
        },
    };
    let retransmission = tx.retransmission.map(|r| tr::Retransmission {
        of_segment: None,
        kind: match r.kind {
            netstep_tcp::RetxKind::Rto { backoff } => tr::RetxKind::Rto { backoff },
            netstep_tcp::RetxKind::GoBackN => tr::RetxKind::Rto { backoff: 0 },
            netstep_tcp::RetxKind::Fast => tr::RetxKind::Fast,
            netstep_tcp::RetxKind::NewRenoPartialAck => tr::RetxKind::PartialAck,
            netstep_tcp::RetxKind::SynRetry { attempt } => tr::RetxKind::Syn { attempt },
            netstep_tcp::RetxKind::PeerRetransmittedSyn => tr::RetxKind::Syn { attempt: 0 },
        },
    });
    let v = tx.vars;
    SegMeta {
        cause,
        retransmission,
        vars: tr::ConnVars {
            snd_una: v.snd_una,
            snd_nxt: v.snd_nxt,
            snd_wnd: v.snd_wnd,
            rcv_nxt: v.rcv_nxt,
            rcv_wnd: v.rcv_wnd,
            cwnd: v.cwnd,
            ssthresh: v.ssthresh,
            rto: v.rto,
        },
    }
}

impl Stack {
    fn on_tcp_event(&mut self, now: Instant, ev: TcpEvent, cx: &mut HostCx<'_>) {
        match ev {
            TcpEvent::StateChanged {
                conn,
                from,
                to,
                cause,
            } => {
                self.open_conns =
                    self.open_conns + usize::from(is_open(to)) - usize::from(is_open(from));
                let sock = self.socket_of(now, conn, cx);
                if let Some(sock) = sock {
                    cx.rec.state_change(
                        now,
                        sock,
                        state(from),
                        state(to),
                        format!("{cause:?}"),
                        self.current_segment,
                    );
                }
            }
            TcpEvent::TimerFired { conn, timer } => {
                if let Some(sock) = self.socket_of(now, conn, cx) {
                    let timer = match timer {
                        netstep_tcp::TimerKind::DelayedAck => tr::TimerKind::DelayedAck,
                        netstep_tcp::TimerKind::Retransmit { backoff } => {
                            tr::TimerKind::Retransmit { backoff }
                        }
                        netstep_tcp::TimerKind::SynRetry { attempt } => {
                            tr::TimerKind::Retransmit { backoff: attempt }
                        }
                        netstep_tcp::TimerKind::Persist { .. } => tr::TimerKind::Persist,
                        netstep_tcp::TimerKind::TimeWait => tr::TimerKind::TimeWait,
                    };
                    cx.rec.event(
                        now,
                        tr::EventKind::Timer {
                            socket: sock,
                            timer,
                        },
                    );
                }
            }
            TcpEvent::Accepted { listener, conn } => {
                let owner = self.listener_owner.get(&listener).cloned();
                if let Some(owner) = owner {
                    let app = owner.app;
                    self.conn_owner.insert(conn, owner);
                    let _ = self.socket_of(now, conn, cx);
                    if let Some(peer) = self.ep.remote_addr(conn) {
                        self.pending.push_back((
                            app,
                            Pending::Event(SockEvent::Accepted {
                                listener,
                                conn,
                                peer,
                            }),
                        ));
                    }
                }
            }
            TcpEvent::Connected { conn } => self.notify(conn, SockEvent::Connected { conn }),
            TcpEvent::Readable { conn } => {
                // A receive buffer holding the bulk pattern by reference
                // hands it on the same way: the application reads the
                // pattern's own bytes, not a copy (see netstep-tcp's
                // `Ring`). Two reads' worth or more is gathered below.
                let mut first: &'static [u8] = &[];
                if let Ok(Some(bytes)) = self.ep.recv_shared(conn, 64 * 1024) {
                    if self.ep.recv_available(conn) == 0 {
                        self.notify(conn, SockEvent::Received { conn, bytes });
                        return;
                    }
                    first = bytes;
                }
                let mut buf = self.bufs.pop().unwrap_or_default();
                // Read until empty, 64 KiB a call, as a program with a 64 KiB
                // buffer would (each read may open the window). Asking how
                // much is there first spares the empty read a program's
                // last `read` would be: it changes nothing in TCP but
                // would queue the connection for another transmit poll.
                // The first read trades buffers with the receive buffer
                // when it can (a reader that keeps up: every segment).
                let mut range = 0..0;
                if !first.is_empty() {
                    buf.clear();
                    buf.extend_from_slice(first);
                    range = 0..buf.len();
                } else if self.ep.recv_available(conn) > 0 {
                    range = self
                        .ep
                        .recv_exchange(conn, &mut buf, 64 * 1024)
                        .unwrap_or(0..0);
                }
                if self.ep.recv_available(conn) > 0 && !range.is_empty() {
                    // More than one read's worth: gather the rest behind
                    // the first (rare, so the move costs nothing).
                    buf.copy_within(range.clone(), 0);
                    buf.truncate(range.len());
                    while self.ep.recv_available(conn) > 0
                        && self.ep.recv_append(conn, &mut buf, 64 * 1024).unwrap_or(0) > 0
                    {
                    }
                    range = 0..buf.len();
                }
                if range.is_empty() {
                    self.bufs.push(buf);
                } else if let Some(o) = self.conn_owner.get(&conn) {
                    self.pending
                        .push_back((o.app, Pending::Received { conn, buf, range }));
                } else {
                    self.bufs.push(buf);
                }
            }
            TcpEvent::PeerFin { conn } => self.notify(conn, SockEvent::PeerClosed { conn }),
            TcpEvent::AllAcked { conn } => self.notify(conn, SockEvent::AllAcked { conn }),
            TcpEvent::Closed { conn, reason } => {
                self.notify(conn, SockEvent::Closed { conn, reason })
            }
            TcpEvent::SegmentRejected { conn, reason } => {
                let socket = conn.and_then(|c| self.conn_socket.get(&c).copied());
                if let Some(seg) = self.current_segment {
                    cx.rec.event(
                        now,
                        tr::EventKind::SegmentRejected {
                            socket,
                            segment: seg,
                            reason: format!("{reason:?} ({})", reason.rfc()),
                        },
                    );
                }
            }
        }
    }

    fn notify(&mut self, conn: ConnId, ev: SockEvent<'static>) {
        if let Some(o) = self.conn_owner.get(&conn) {
            self.pending.push_back((o.app, Pending::Event(ev)));
        }
    }

    /// The trace socket of `conn`, created on first sight (a passive open's
    /// socket appears when its SYN arrives).
    fn socket_of(&mut self, now: Instant, conn: ConnId, cx: &mut HostCx<'_>) -> Option<u32> {
        if let Some(&s) = self.conn_socket.get(&conn) {
            return Some(s);
        }
        let (local, remote) = self.endpoints(conn)?;
        let label = self
            .conn_owner
            .get(&conn)
            .map(|o| o.label.clone())
            .or_else(|| {
                self.ep
                    .listener_of(conn)
                    .and_then(|l| self.listener_owner.get(&l))
                    .map(|o| o.label.clone())
            })
            .unwrap_or_else(|| "-".into());
        let sock = cx
            .rec
            .socket_created(now, cx.node, local, Some(remote), &label);
        self.conn_socket.insert(conn, sock);
        Some(sock)
    }
}

/// A connection in this state keeps the run going: not closed, not in
/// TIME-WAIT (which only waits out old duplicates), not a listener.
fn is_open(s: netstep_tcp::State) -> bool {
    !matches!(
        s,
        netstep_tcp::State::Closed | netstep_tcp::State::TimeWait | netstep_tcp::State::Listen
    )
}

fn state(s: netstep_tcp::State) -> tr::TcpState {
    use netstep_tcp::State as S;
    match s {
        S::Closed => tr::TcpState::Closed,
        S::Listen => tr::TcpState::Listen,
        S::SynSent => tr::TcpState::SynSent,
        S::SynReceived => tr::TcpState::SynReceived,
        S::Established => tr::TcpState::Established,
        S::FinWait1 => tr::TcpState::FinWait1,
        S::FinWait2 => tr::TcpState::FinWait2,
        S::CloseWait => tr::TcpState::CloseWait,
        S::Closing => tr::TcpState::Closing,
        S::LastAck => tr::TcpState::LastAck,
        S::TimeWait => tr::TcpState::TimeWait,
    }
}

fn ack_reason(r: netstep_tcp::AckReason) -> tr::AckReason {
    use netstep_tcp::AckReason as A;
    match r {
        A::Fin => tr::AckReason::Fin,
        A::OutOfOrder => tr::AckReason::OutOfOrder,
        A::FillsHole => tr::AckReason::FillsHole,
        A::EveryNth => tr::AckReason::EveryNth,
        A::DuplicateSegment => tr::AckReason::Duplicate,
        A::OutOfWindow | A::AckOfUnsentData | A::AckTooOld | A::ZeroWindowProbe => {
            tr::AckReason::Unacceptable
        }
        A::ChallengeAck => tr::AckReason::Challenge,
        A::NoDelay | A::QuickAck => tr::AckReason::NoDelay,
        A::WindowUpdate => tr::AckReason::Other,
    }
}

fn rst_reason(r: netstep_tcp::RstReason) -> tr::RstReason {
    use netstep_tcp::RstReason as R;
    match r {
        R::ClosedPort => tr::RstReason::ClosedPort,
        R::Abort => tr::RstReason::Abort,
        R::ListenerGotAck | R::SynSentBadAck | R::SynReceivedBadAck => tr::RstReason::BadAck,
    }
}

/// A host: the stack and its applications.
pub struct TcpHost {
    stack: Stack,
    apps: Vec<Box<dyn App>>,
    /// The applications' earliest `poll_timeout`, as of their last
    /// callback: only a callback changes an application's deadline, and
    /// the simulator asks for the next wake-up after every packet.
    apps_deadline: Option<Instant>,
}

impl std::fmt::Debug for TcpHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpHost")
            .field("stack", &self.stack)
            .finish_non_exhaustive()
    }
}

impl TcpHost {
    pub fn new(addr: Ipv4Addr, profile: Profile) -> Self {
        TcpHost {
            stack: Stack::new(addr, profile),
            apps: Vec::new(),
            apps_deadline: None,
        }
    }

    pub fn add_app(&mut self, app: Box<dyn App>) {
        self.apps.push(app);
    }

    /// Recomputes [`TcpHost::apps_deadline`] after applications ran.
    fn refresh_apps_deadline(&mut self) {
        self.apps_deadline = self.apps.iter().filter_map(|a| a.poll_timeout()).min();
    }

    /// Hands queued socket events to their applications until none are left.
    fn dispatch(&mut self, now: Instant, cx: &mut HostCx<'_>) {
        if self.stack.pending.is_empty() {
            return;
        }
        self.dispatch_pending(now, cx);
        self.refresh_apps_deadline();
    }

    fn dispatch_pending(&mut self, now: Instant, cx: &mut HostCx<'_>) {
        // Bounded: every event comes from TCP work the applications caused,
        // and each application call can only produce a bounded number.
        for _ in 0..1_000_000 {
            let Some((app, ev)) = self.stack.pending.pop_front() else {
                return;
            };
            let mut io = AppIo {
                app,
                now,
                stack: &mut self.stack,
                cx,
            };
            match ev {
                Pending::Event(ev) => self.apps[app].on_event(now, ev, &mut io),
                Pending::Received { conn, buf, range } => {
                    let ev = SockEvent::Received {
                        conn,
                        bytes: &buf[range],
                    };
                    self.apps[app].on_event(now, ev, &mut io);
                    self.stack.bufs.push(buf);
                }
            }
        }
    }
}

impl HostStack for TcpHost {
    fn start(&mut self, now: Instant, cx: &mut HostCx<'_>) {
        for i in 0..self.apps.len() {
            let mut io = AppIo {
                app: i,
                now,
                stack: &mut self.stack,
                cx,
            };
            self.apps[i].start(now, &mut io);
        }
        self.dispatch(now, cx);
        self.refresh_apps_deadline();
    }

    fn on_packet(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        tcp: &TcpRepr<'_>,
        seg: u32,
        cx: &mut HostCx<'_>,
    ) {
        self.stack.current_segment = Some(seg);
        self.stack.ep.handle_segment(now, ip, tcp, cx.rng);
        self.stack.flush(now, cx);
        self.stack.current_segment = None;
        self.dispatch(now, cx);
    }

    fn on_wakeup(&mut self, now: Instant, cx: &mut HostCx<'_>) {
        if self.stack.ep.poll_timeout().is_some_and(|t| t <= now) {
            self.stack.ep.handle_timeout(now);
            self.stack.flush(now, cx);
            self.dispatch(now, cx);
        }
        for i in 0..self.apps.len() {
            if self.apps[i].poll_timeout().is_some_and(|t| t <= now) {
                let mut io = AppIo {
                    app: i,
                    now,
                    stack: &mut self.stack,
                    cx,
                };
                self.apps[i].on_timeout(now, &mut io);
                self.dispatch(now, cx);
            }
        }
        self.refresh_apps_deadline();
    }

    fn next_wakeup(&self) -> Option<Instant> {
        let tcp = self.stack.ep.poll_timeout();
        let apps = self.apps_deadline;
        debug_assert_eq!(
            apps,
            self.apps.iter().filter_map(|a| a.poll_timeout()).min(),
            "an application's deadline changed outside a callback"
        );
        match (tcp, apps) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn busy(&self) -> bool {
        self.apps.iter().any(|a| !a.finished()) || self.stack.has_open_connections()
    }
}
