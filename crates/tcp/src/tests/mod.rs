//! Literal segment exchanges, state by state, in the style of smoltcp's
//! socket tests: `send!` feeds a segment from the remote side, `recv!`
//! expects the exact segment the endpoint sends next. Each test names the
//! RFC section it checks.
//!
//! The local endpoint is 192.168.1.1:80 with ISS 10000 and 64-byte buffers;
//! the remote is 192.168.1.2:49500 with ISS 2^32 - 10001, so every
//! connection's receive side wraps around zero.

use std::net::SocketAddrV4;

use netstep_wire::{
    Duration, Instant, Ipv4Addr, Ipv4Repr, SeqNumber, TcpFlags, TcpOptions, TcpRepr,
};
use rand_core::RngCore;

use crate::*;

mod closed;
mod closing;
mod established;
mod fuzz;
mod listen;
mod syn_received;
mod syn_sent;
mod timers;
mod transfer;

pub(crate) const LOCAL_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
pub(crate) const REMOTE_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 2);
pub(crate) const LOCAL_PORT: u16 = 80;
pub(crate) const REMOTE_PORT: u16 = 49500;
pub(crate) const LOCAL_SEQ: SeqNumber = SeqNumber(10_000);
pub(crate) const REMOTE_SEQ: SeqNumber = SeqNumber(-10_001i32 as u32);

pub(crate) const SYN: TcpFlags = TcpFlags::SYN;
pub(crate) const FIN: TcpFlags = TcpFlags::FIN;
pub(crate) const RST: TcpFlags = TcpFlags::RST;
pub(crate) const PSH: TcpFlags = TcpFlags::PSH;
pub(crate) const NONE: TcpFlags = TcpFlags::NONE;

pub(crate) const MSS_1460: TcpOptions = TcpOptions {
    mss: Some(1460),
    ..TcpOptions::NONE
};

/// What the remote side sends, unless a test says otherwise.
pub(crate) const SEND_TEMPL: TcpRepr<'static> = TcpRepr {
    src_port: REMOTE_PORT,
    dst_port: LOCAL_PORT,
    seq_number: SeqNumber(0),
    ack_number: None,
    flags: TcpFlags::NONE,
    window: 256,
    urgent: 0,
    options: TcpOptions::NONE,
    payload: &[],
};

/// What the local side sends, unless a test says otherwise: the window is
/// the whole 64-byte buffer.
pub(crate) const RECV_TEMPL: TcpRepr<'static> = TcpRepr {
    src_port: LOCAL_PORT,
    dst_port: REMOTE_PORT,
    seq_number: SeqNumber(0),
    ack_number: None,
    flags: TcpFlags::NONE,
    window: 64,
    urgent: 0,
    options: TcpOptions::NONE,
    payload: &[],
};

/// Feeds one segment from the remote side.
macro_rules! send {
    ($h:expr, $($field:ident : $val:expr),* $(,)?) => {
        $h.send_seg(netstep_wire::TcpRepr { $($field: $val,)* ..$crate::tests::SEND_TEMPL })
    };
}

/// Expects the next segment the local side sends to be exactly this.
macro_rules! recv {
    ($h:expr, $($field:ident : $val:expr),* $(,)?) => {
        $h.expect(netstep_wire::TcpRepr { $($field: $val,)* ..$crate::tests::RECV_TEMPL })
    };
}

pub(crate) use {recv, send};

/// A small deterministic RNG (SplitMix64) for tests.
#[derive(Debug, Clone)]
pub(crate) struct TestRng(pub u64);

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for b in dst {
            *b = self.next_u32() as u8;
        }
    }
}

/// The test profile: classic-windows with a fixed ISS, 64-byte buffers,
/// no SACK, and every data segment acknowledged at once (tests of the
/// delayed ACK turn it back on).
pub(crate) fn profile() -> Profile {
    Profile {
        isn: Some(LOCAL_SEQ.0),
        recv_buffer: 64,
        send_buffer: 64,
        sack_permitted: false,
        delayed_ack: None,
        ..Profile::classic_windows()
    }
}

/// A segment the endpoint sent, with its payload copied out.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub at: Instant,
    pub tcp: TcpRepr<'static>,
    pub ip: Ipv4Repr,
    pub conn: Option<ConnId>,
    pub cause: TxCause,
    pub retransmission: Option<Retransmission>,
    pub vars: ConnVars,
}

pub(crate) struct H {
    pub ep: Endpoint,
    pub now: Instant,
    pub rng: TestRng,
    pub conn: ConnId,
    pub listener: Option<ListenerId>,
    pub events: Vec<Event>,
}

impl H {
    pub fn new(p: Profile) -> H {
        H {
            ep: Endpoint::new(LOCAL_IP, p),
            now: Instant::ZERO,
            rng: TestRng(7),
            conn: ConnId(0),
            listener: None,
            events: Vec::new(),
        }
    }

    fn drain(&mut self) {
        while let Some(e) = self.ep.poll_event() {
            self.events.push(e);
        }
    }

    pub fn send_seg(&mut self, seg: TcpRepr<'_>) {
        let ip = Ipv4Repr {
            src: REMOTE_IP,
            dst: LOCAL_IP,
            protocol: 6,
            ttl: 64,
            ident: 0,
            dont_frag: true,
            tos: 0,
            payload_len: 20 + seg.payload.len(),
        };
        self.ep.handle_segment(self.now, &ip, &seg, &mut self.rng);
        self.drain();
    }

    /// The next segment sent, if any.
    pub fn next(&mut self) -> Option<Sent> {
        let t = self.ep.poll_transmit(self.now)?;
        let payload: &'static [u8] = Box::leak(t.tcp.payload.to_vec().into_boxed_slice());
        let sent = Sent {
            at: self.now,
            tcp: TcpRepr { payload, ..t.tcp },
            ip: t.ip,
            conn: t.conn,
            cause: t.cause,
            retransmission: t.retransmission,
            vars: t.vars,
        };
        self.drain();
        Some(sent)
    }

    #[track_caller]
    pub fn expect(&mut self, want: TcpRepr<'_>) -> Sent {
        match self.next() {
            Some(s) => {
                assert_eq!(s.tcp, want, "segment differs (cause {:?})", s.cause);
                s
            }
            None => panic!("expected {want:?}, nothing was sent"),
        }
    }

    #[track_caller]
    pub fn nothing(&mut self) {
        if let Some(s) = self.next() {
            panic!("expected nothing, sent {:?} ({:?})", s.tcp, s.cause);
        }
    }

    /// Moves virtual time forward by `d`, firing due timers on the way
    /// (segments they cause wait for `next`).
    pub fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        while let Some(t) = self.ep.poll_timeout() {
            if t > target {
                break;
            }
            self.now = t;
            self.ep.handle_timeout(t);
            self.drain();
        }
        self.now = target;
    }

    /// Drives the endpoint as the simulator does for `d`: every timer at
    /// its deadline, and every segment it causes sent at once.
    pub fn run(&mut self, d: Duration) -> Vec<Sent> {
        let target = self.now + d;
        let mut out = Vec::new();
        while let Some(s) = self.next() {
            out.push(s);
        }
        while let Some(t) = self.ep.poll_timeout() {
            if t > target {
                break;
            }
            self.now = t;
            self.ep.handle_timeout(t);
            self.drain();
            while let Some(s) = self.next() {
                out.push(s);
            }
        }
        self.now = target;
        out
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    pub fn state(&self) -> State {
        self.ep.state(self.conn).unwrap()
    }

    pub fn app_send(&mut self, data: &[u8]) -> usize {
        let n = self.ep.send(self.now, self.conn, data).unwrap();
        self.drain();
        n
    }

    pub fn app_recv(&mut self) -> Vec<u8> {
        let mut buf = [0u8; 256];
        let n = self.ep.recv(self.conn, &mut buf).unwrap();
        self.drain();
        buf[..n].to_vec()
    }

    pub fn close(&mut self) {
        self.ep.close(self.now, self.conn);
        self.drain();
    }

    pub fn abort(&mut self) {
        self.ep.abort(self.now, self.conn);
        self.drain();
    }

    pub fn snapshot(&self) -> ConnSnapshot {
        self.ep.snapshot(self.conn).unwrap()
    }

    pub fn has_event(&self, e: &Event) -> bool {
        self.events.contains(e)
    }
}

// ---------------------------------------------------------------------
// Connections brought to each state by literal exchanges.

pub(crate) fn listen_with(p: Profile) -> H {
    let mut h = H::new(p);
    h.listener = Some(h.ep.listen(LOCAL_PORT).unwrap());
    h
}

pub(crate) fn listen() -> H {
    listen_with(profile())
}

pub(crate) fn syn_received_with(p: Profile) -> H {
    let mut h = listen_with(p);
    send!(h, seq_number: REMOTE_SEQ, flags: SYN, options: MSS_1460);
    h.conn = h.ep.conns().next().unwrap();
    recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 1), flags: SYN, options: MSS_1460);
    assert_eq!(h.state(), State::SynReceived);
    h
}

pub(crate) fn syn_received() -> H {
    syn_received_with(profile())
}

pub(crate) fn syn_sent_with(p: Profile) -> H {
    let mut h = H::new(p);
    let remote = SocketAddrV4::new(REMOTE_IP, REMOTE_PORT);
    h.conn =
        h.ep.connect(h.now, remote, Some(LOCAL_PORT), &mut h.rng)
            .unwrap();
    h.drain();
    h
}

pub(crate) fn syn_sent() -> H {
    let mut h = syn_sent_with(profile());
    recv!(h, seq_number: LOCAL_SEQ, flags: SYN, options: MSS_1460);
    assert_eq!(h.state(), State::SynSent);
    h
}

/// An active open that reached ESTABLISHED: SYN, SYN-ACK, ACK.
pub(crate) fn established_with(p: Profile) -> H {
    let mut h = syn_sent_with(p);
    let syn = h.next().unwrap();
    assert_eq!(syn.tcp.flags, SYN);
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, options: MSS_1460);
    let ack = h.next().unwrap();
    assert_eq!(
        (ack.tcp.seq_number, ack.tcp.ack_number, ack.tcp.flags),
        (LOCAL_SEQ + 1, Some(REMOTE_SEQ + 1), NONE)
    );
    assert_eq!(h.state(), State::Established);
    h.take_events();
    h
}

pub(crate) fn established() -> H {
    established_with(profile())
}

/// ESTABLISHED, then the application closed: our FIN is out.
pub(crate) fn fin_wait_1() -> H {
    let mut h = established();
    h.close();
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: FIN);
    assert_eq!(h.state(), State::FinWait1);
    h
}

pub(crate) fn fin_wait_2() -> H {
    let mut h = fin_wait_1();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 2));
    h.nothing();
    assert_eq!(h.state(), State::FinWait2);
    h
}

/// Both FINs crossed: CLOSING.
pub(crate) fn closing() -> H {
    let mut h = fin_wait_1();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), flags: FIN);
    recv!(h, seq_number: LOCAL_SEQ + 2, ack_number: Some(REMOTE_SEQ + 2));
    assert_eq!(h.state(), State::Closing);
    h
}

pub(crate) fn time_wait() -> H {
    let mut h = fin_wait_2();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 2), flags: FIN);
    recv!(h, seq_number: LOCAL_SEQ + 2, ack_number: Some(REMOTE_SEQ + 2));
    assert_eq!(h.state(), State::TimeWait);
    h
}

pub(crate) fn close_wait() -> H {
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), flags: FIN);
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 2));
    assert_eq!(h.state(), State::CloseWait);
    h
}

pub(crate) fn last_ack() -> H {
    let mut h = close_wait();
    h.close();
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 2), flags: FIN);
    assert_eq!(h.state(), State::LastAck);
    h
}

#[test]
fn every_state_is_reachable_by_literal_exchanges() {
    assert_eq!(listen().ep.conns().count(), 0);
    for (h, s) in [
        (syn_sent(), State::SynSent),
        (syn_received(), State::SynReceived),
        (established(), State::Established),
        (fin_wait_1(), State::FinWait1),
        (fin_wait_2(), State::FinWait2),
        (closing(), State::Closing),
        (time_wait(), State::TimeWait),
        (close_wait(), State::CloseWait),
        (last_ack(), State::LastAck),
    ] {
        assert_eq!(h.state(), s);
    }
}

#[test]
fn states_print_with_the_rfc_spelling() {
    assert_eq!(State::SynSent.to_string(), "SYN-SENT");
    assert_eq!(State::TimeWait.to_string(), "TIME-WAIT");
    assert_eq!(State::FinWait1.to_string(), "FIN-WAIT-1");
}

#[test]
fn events_and_snapshots_round_trip_through_serde() {
    let mut h = time_wait();
    let snap = h.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    assert!(json.contains(r#""state":"TIME-WAIT""#), "{json}");
    assert_eq!(serde_json::from_str::<ConnSnapshot>(&json).unwrap(), snap);
    for e in h.take_events() {
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e, "{json}");
    }
}
