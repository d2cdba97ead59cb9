//! A quinn-proto style `Pair`: two endpoints joined by an in-memory link
//! with a fixed one-way delay and optional seeded loss, duplication and
//! reordering, driven in virtual time by always advancing to the earliest
//! of the next arrival and either endpoint's timer. Applications are the
//! test's own code between steps, plus optional bulk `Transfer`s that
//! write and read as fast as the buffers allow.

#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::net::SocketAddrV4;

use netstep_tcp::*;
use netstep_wire::{Duration, Instant, Ipv4Addr, Ipv4Repr, SeqNumber, TcpRepr};
use rand_core::RngCore;

pub const A_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 168);
pub const B_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 240);

/// SplitMix64: small, seeded, good enough for tests.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl RngCore for Rng {
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

impl Rng {
    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u32) -> bool {
        per_mille > 0 && self.next_u32() % 1000 < per_mille
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct LinkConfig {
    pub delay: Duration,
    /// Per mille of segments lost.
    pub loss: u32,
    /// Per mille of segments delivered twice.
    pub dup: u32,
    /// Per mille of segments held back by up to `reorder_by` extra.
    pub reorder: u32,
    pub reorder_by: Duration,
    /// Drop everything (a host that is not there).
    pub blackhole: bool,
}

impl LinkConfig {
    pub fn delay_ms(ms: u64) -> LinkConfig {
        LinkConfig {
            delay: Duration::from_millis(ms),
            ..Default::default()
        }
    }
}

/// A segment as it crossed the link, payload copied.
#[derive(Debug, Clone)]
pub struct Record {
    pub at: Instant,
    pub from: Side,
    pub ip: Ipv4Repr,
    pub tcp: TcpRepr<'static>,
    pub payload: Vec<u8>,
    pub payload_len: usize,
    pub conn: Option<ConnId>,
    pub cause: TxCause,
    pub retransmission: Option<Retransmission>,
    pub vars: ConnVars,
    pub dropped: bool,
}

impl Record {
    pub fn flags(&self) -> String {
        self.tcp.wire_flags().to_string()
    }
    pub fn len(&self) -> usize {
        self.payload_len
    }
}

struct InFlight {
    to: Side,
    ip: Ipv4Repr,
    tcp: TcpRepr<'static>,
    payload: Vec<u8>,
}

/// A bulk writer or reader attached to a connection.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub side: Side,
    pub conn: ConnId,
    pub data: Vec<u8>,
    pub offset: usize,
    pub close_when_done: bool,
    pub closed: bool,
}

pub struct Pair {
    pub a: Endpoint,
    pub b: Endpoint,
    pub now: Instant,
    pub rng_a: Rng,
    pub rng_b: Rng,
    link_rng: Rng,
    pub link: LinkConfig,
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    packets: std::collections::BTreeMap<u64, InFlight>,
    next_packet: u64,
    pub log: Vec<Record>,
    pub events: Vec<(Instant, Side, Event)>,
    /// (side, seq) of segments to drop the first time they are sent.
    pub drop_once: BTreeSet<(Side, u32)>,
    pub senders: Vec<Transfer>,
    /// Receivers: (side, conn, bytes read so far). Reading stops while
    /// `reading` is false.
    pub receivers: Vec<(Side, ConnId, Vec<u8>)>,
    pub reading: bool,
    /// Keep payload copies in the log (off for big transfers).
    pub log_payloads: bool,
}

impl Pair {
    pub fn new(pa: Profile, pb: Profile, link: LinkConfig, seed: u64) -> Pair {
        Pair {
            a: Endpoint::new(A_IP, pa),
            b: Endpoint::new(B_IP, pb),
            now: Instant::ZERO,
            rng_a: Rng(seed ^ 0xa),
            rng_b: Rng(seed ^ 0xb),
            link_rng: Rng(seed),
            link,
            queue: BinaryHeap::new(),
            packets: Default::default(),
            next_packet: 0,
            log: Vec::new(),
            events: Vec::new(),
            drop_once: BTreeSet::new(),
            senders: Vec::new(),
            receivers: Vec::new(),
            reading: true,
            log_payloads: true,
        }
    }

    pub fn ep(&mut self, side: Side) -> &mut Endpoint {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    pub fn ep_ref(&self, side: Side) -> &Endpoint {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    pub fn addr(side: Side) -> Ipv4Addr {
        match side {
            Side::A => A_IP,
            Side::B => B_IP,
        }
    }

    /// Active open from `side` to the other side's `port`.
    pub fn connect(&mut self, side: Side, port: u16, local: Option<u16>) -> ConnId {
        let remote = SocketAddrV4::new(Self::addr(side.other()), port);
        let now = self.now;
        let id = match side {
            Side::A => self.a.connect(now, remote, local, &mut self.rng_a),
            Side::B => self.b.connect(now, remote, local, &mut self.rng_b),
        }
        .unwrap();
        self.flush();
        id
    }

    pub fn send(&mut self, side: Side, conn: ConnId, data: &[u8]) -> usize {
        let now = self.now;
        let n = self.ep(side).send(now, conn, data).unwrap();
        self.flush();
        n
    }

    pub fn read_all(&mut self, side: Side, conn: ConnId) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65536];
        loop {
            let n = self.ep(side).recv(conn, &mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        self.flush();
        out
    }

    pub fn close(&mut self, side: Side, conn: ConnId) {
        let now = self.now;
        self.ep(side).close(now, conn);
        self.flush();
    }

    /// Sends whatever both endpoints want to send, and collects events.
    pub fn flush(&mut self) {
        for side in [Side::A, Side::B] {
            loop {
                let now = self.now;
                let ep = match side {
                    Side::A => &mut self.a,
                    Side::B => &mut self.b,
                };
                let Some(t) = ep.poll_transmit(now) else {
                    break;
                };
                let payload = t.tcp.payload.to_vec();
                let tcp = TcpRepr {
                    payload: &[],
                    ..t.tcp
                };
                let mut dropped = self.link.blackhole
                    || self.drop_once.remove(&(side, tcp.seq_number.0))
                        && !payload.is_empty()
                        && t.retransmission.is_none();
                if !dropped && self.link_rng.chance(self.link.loss) {
                    dropped = true;
                }
                self.log.push(Record {
                    at: now,
                    from: side,
                    ip: t.ip,
                    tcp,
                    payload: if self.log_payloads {
                        payload.clone()
                    } else {
                        Vec::new()
                    },
                    payload_len: payload.len(),
                    conn: t.conn,
                    cause: t.cause,
                    retransmission: t.retransmission,
                    vars: t.vars,
                    dropped,
                });
                if dropped {
                    continue;
                }
                let copies = if self.link_rng.chance(self.link.dup) {
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    let mut at = now + self.link.delay;
                    if self.link_rng.chance(self.link.reorder) {
                        let extra = self.link.reorder_by.as_nanos().max(1);
                        at += Duration::from_nanos(self.link_rng.next_u64() % extra);
                    }
                    let id = self.next_packet;
                    self.next_packet += 1;
                    self.packets.insert(
                        id,
                        InFlight {
                            to: side.other(),
                            ip: t.ip,
                            tcp,
                            payload: payload.clone(),
                        },
                    );
                    self.queue.push(Reverse((at, id)));
                }
            }
        }
        let now = self.now;
        while let Some(e) = self.a.poll_event() {
            self.events.push((now, Side::A, e));
        }
        while let Some(e) = self.b.poll_event() {
            self.events.push((now, Side::B, e));
        }
    }

    /// The earliest thing that will happen.
    pub fn next_time(&self) -> Option<Instant> {
        [
            self.queue.peek().map(|Reverse((t, _))| *t),
            self.a.poll_timeout(),
            self.b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advances to the earliest arrival or deadline and handles it.
    /// Returns false when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        self.now = self.now.max(t);
        let now = self.now;
        if let Some(&Reverse((at, id))) = self.queue.peek()
            && at <= now
        {
            self.queue.pop();
            let p = self.packets.remove(&id).unwrap();
            let seg = TcpRepr {
                payload: &p.payload,
                ..p.tcp
            };
            match p.to {
                Side::A => self.a.handle_segment(now, &p.ip, &seg, &mut self.rng_a),
                Side::B => self.b.handle_segment(now, &p.ip, &seg, &mut self.rng_b),
            }
        }
        if self.a.poll_timeout().is_some_and(|d| d <= now) {
            self.a.handle_timeout(now);
        }
        if self.b.poll_timeout().is_some_and(|d| d <= now) {
            self.b.handle_timeout(now);
        }
        self.flush();
        self.pump();
        true
    }

    /// The bulk applications: write what fits, read what arrived, close
    /// when done.
    pub fn pump(&mut self) {
        let now = self.now;
        for i in 0..self.senders.len() {
            let s = &mut self.senders[i];
            let ep = match s.side {
                Side::A => &mut self.a,
                Side::B => &mut self.b,
            };
            while s.offset < s.data.len() {
                match ep.send(now, s.conn, &s.data[s.offset..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => s.offset += n,
                }
            }
            if s.offset == s.data.len() && s.close_when_done && !s.closed {
                s.closed = true;
                ep.close(now, s.conn);
            }
        }
        if self.reading {
            let mut buf = vec![0u8; 65536];
            for (side, conn, got) in &mut self.receivers {
                let ep = match side {
                    Side::A => &mut self.a,
                    Side::B => &mut self.b,
                };
                while let Ok(n) = ep.recv(*conn, &mut buf) {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
            }
        }
        self.flush();
    }

    /// Runs until virtual time `t` (everything due at or before it).
    pub fn run_until(&mut self, t: Instant) {
        while self.next_time().is_some_and(|n| n <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    pub fn run_for(&mut self, d: Duration) {
        let t = self.now + d;
        self.run_until(t);
    }

    /// Runs until nothing is left to happen or `limit` is reached.
    pub fn run_to_end(&mut self, limit: Instant) {
        while self.next_time().is_some_and(|n| n <= limit) {
            self.step();
        }
    }

    /// The connection `side` accepted (the first Accepted event).
    pub fn accepted(&self, side: Side) -> Option<ConnId> {
        self.events.iter().find_map(|(_, s, e)| match e {
            Event::Accepted { conn, .. } if *s == side => Some(*conn),
            _ => None,
        })
    }

    /// Segments sent by `side` on or after `from`.
    pub fn sent_by(&self, side: Side, from: Instant) -> Vec<&Record> {
        self.log
            .iter()
            .filter(|r| r.from == side && r.at >= from)
            .collect()
    }

    /// When the event matching `f` happened.
    pub fn when(&self, side: Side, f: impl Fn(&Event) -> bool) -> Option<Instant> {
        self.events
            .iter()
            .find(|(_, s, e)| *s == side && f(e))
            .map(|(t, _, _)| *t)
    }

    /// Sets up a client on A connected to a listener on B's `port` and runs
    /// the handshake. Returns (client conn, server conn).
    pub fn handshake(&mut self, port: u16) -> (ConnId, ConnId) {
        self.b.listen(port).unwrap();
        let c = self.connect(Side::A, port, None);
        self.run_for(Duration::from_millis(100));
        let s = self.accepted(Side::B).expect("server accepted");
        assert_eq!(self.a.state(c), Some(State::Established));
        assert_eq!(self.b.state(s), Some(State::Established));
        (c, s)
    }
}

/// A deterministic pseudo-random payload.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut v = vec![0u8; len];
    r.fill_bytes(&mut v);
    v
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn at_ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

pub fn seq_end(r: &Record) -> SeqNumber {
    r.tcp.seq_number + r.tcp.segment_len() + r.payload_len
}
