//! The simulator core without TCP: a small test application sends raw
//! segments, and we check timing, fates and determinism.

use netstep_sim::{HostCx, HostStack, LinkParams, NetworkBuilder, RunLimits, SegMeta};
use netstep_trace::{DropReason, Fate, NodeInfo, NodeKind, ScenarioInfo, Text, Trace};
use netstep_wire::{
    Duration, Instant, Ipv4Addr, Ipv4Repr, SeqNumber, TcpFlags, TcpOptions, TcpRepr,
};

/// Sends `count` 100-byte segments to `peer`, one every `gap`.
struct Pinger {
    addr: Ipv4Addr,
    peer: Ipv4Addr,
    count: u32,
    gap: Duration,
    sent: u32,
    next: Instant,
    received: Vec<(Instant, u32)>,
    payload: [u8; 100],
}

impl Pinger {
    fn new(addr: Ipv4Addr, peer: Ipv4Addr, count: u32) -> Self {
        Pinger {
            addr,
            peer,
            count,
            gap: Duration::from_millis(10),
            sent: 0,
            next: Instant::ZERO,
            received: Vec::new(),
            payload: [b'x'; 100],
        }
    }
}

impl HostStack for Pinger {
    fn start(&mut self, _now: Instant, _cx: &mut HostCx<'_>) {}

    fn on_packet(
        &mut self,
        now: Instant,
        _ip: &Ipv4Repr,
        tcp: &TcpRepr<'_>,
        _seg: u32,
        _cx: &mut HostCx<'_>,
    ) {
        self.received.push((now, tcp.seq_number.get()));
    }

    fn on_wakeup(&mut self, now: Instant, cx: &mut HostCx<'_>) {
        let ip = Ipv4Repr {
            src: self.addr,
            dst: self.peer,
            protocol: 6,
            ttl: 64,
            ident: self.sent as u16,
            dont_frag: true,
            tos: 0,
            payload_len: 0,
        };
        let tcp = TcpRepr {
            src_port: 1000,
            dst_port: 2000,
            seq_number: SeqNumber(self.sent * 100),
            ack_number: None,
            flags: TcpFlags::PSH,
            window: 1000,
            urgent: 0,
            options: TcpOptions::NONE,
            payload: &self.payload,
        };
        cx.send(now, &ip, &tcp, SegMeta::default());
        self.sent += 1;
        self.next = now + self.gap;
    }

    fn next_wakeup(&self) -> Option<Instant> {
        (self.sent < self.count).then_some(self.next)
    }

    fn busy(&self) -> bool {
        self.sent < self.count
    }
}

fn info(name: &str, addr: Ipv4Addr, kind: NodeKind) -> NodeInfo {
    NodeInfo {
        name: name.into(),
        kind,
        addrs: vec![addr],
        tcp: None,
    }
}

fn scenario(seed: u64) -> ScenarioInfo {
    ScenarioInfo {
        name: "core".into(),
        title: Text::default(),
        description: Text::default(),
        seed,
    }
}

const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const C: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 3);
const D: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 4);

fn lossy() -> LinkParams {
    LinkParams {
        loss: 0.1,
        duplicate: 0.05,
        reorder: 0.1,
        reorder_delay: Duration::from_millis(15),
        corrupt: 0.05,
        ..LinkParams::default()
    }
}

/// a --lossy--> b, plus optionally an unrelated c -- d pair.
fn run(seed: u64, extra_pair: bool) -> Trace {
    let mut nb = NetworkBuilder::new(scenario(seed));
    let a = nb.host(
        info("a", A, NodeKind::Host),
        Box::new(Pinger::new(A, B, 200)),
    );
    let b = nb.host(info("b", B, NodeKind::Host), Box::new(Pinger::new(B, A, 0)));
    if extra_pair {
        let c = nb.host(
            info("c", C, NodeKind::Host),
            Box::new(Pinger::new(C, D, 200)),
        );
        let d = nb.host(info("d", D, NodeKind::Host), Box::new(Pinger::new(D, C, 0)));
        nb.link(c, d, lossy(), lossy());
    }
    nb.link(a, b, lossy(), LinkParams::default());
    nb.build().run(RunLimits::default())
}

fn fates_from(trace: &Trace, node: &str) -> Vec<(u32, Fate)> {
    trace
        .segments
        .iter()
        .filter(|s| trace.node_name(s.from) == node)
        .map(|s| (s.seq.get(), s.fate))
        .collect()
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let t1 = run(42, false);
    let t2 = run(42, false);
    assert_eq!(t1, t2);
    assert_eq!(
        serde_json::to_string(&t1).unwrap(),
        serde_json::to_string(&t2).unwrap()
    );
    let t3 = run(43, false);
    assert_ne!(fates_from(&t1, "a"), fates_from(&t3, "a"));
    // Everything the link can do happened at least once.
    let reasons: Vec<_> = t1.segments.iter().map(|s| s.fate).collect();
    assert!(reasons.iter().any(|f| matches!(
        f,
        Fate::Dropped {
            reason: DropReason::Loss,
            ..
        }
    )));
    assert!(reasons.iter().any(|f| matches!(
        f,
        Fate::Dropped {
            reason: DropReason::Corrupted,
            ..
        }
    )));
    assert!(t1.segments.iter().any(|s| s.duplicate_of.is_some()));
}

#[test]
fn an_unrelated_link_leaves_other_links_choices_alone() {
    let without = run(7, false);
    let with = run(7, true);
    assert_eq!(fates_from(&without, "a"), fates_from(&with, "a"));
    assert!(with.segments.iter().any(|s| with.node_name(s.from) == "c"));
}

#[test]
fn reordering_happens_and_is_seen_by_the_receiver() {
    let t = run(42, false);
    let mut delivered: Vec<(Instant, u32)> = t
        .segments
        .iter()
        .filter_map(|s| match s.fate {
            Fate::Delivered { at } => Some((at, s.seq.get())),
            _ => None,
        })
        .collect();
    delivered.sort();
    assert!(
        delivered.windows(2).any(|w| w[1].1 < w[0].1),
        "some segment overtook another"
    );
}

#[test]
fn arrival_times_follow_the_arithmetic_across_a_router() {
    // a -- r -- b; each link 1 ms delay at 10 Mbit/s. A 140-byte packet
    // (20 IPv4 + 20 TCP + 100 payload) takes 112 us per hop to serialise.
    let mut nb = NetworkBuilder::new(scenario(1));
    let a = nb.host(info("a", A, NodeKind::Host), Box::new(Pinger::new(A, B, 3)));
    let r = nb.router(
        info("r", Ipv4Addr::new(10, 0, 0, 254), NodeKind::Router),
        None,
    );
    let b = nb.host(info("b", B, NodeKind::Host), Box::new(Pinger::new(B, A, 0)));
    let p = LinkParams {
        delay: Duration::from_millis(1),
        bits_per_sec: 10_000_000,
        ..LinkParams::default()
    };
    nb.link(a, r, p, p);
    nb.link(r, b, p, p);
    let t = nb.build().run(RunLimits::default());
    assert_eq!(t.segments.len(), 3);
    for s in &t.segments {
        let Fate::Delivered { at } = s.fate else {
            panic!("{:?}", s.fate)
        };
        assert_eq!(at - s.time, Duration::from_micros(2 * (1000 + 112)));
        assert_eq!(s.ttl, 64, "the trace keeps the TTL as sent");
    }
}

#[test]
fn ttl_expires_and_unknown_addresses_have_no_route() {
    let mut nb = NetworkBuilder::new(scenario(1));
    let mut pinger = Pinger::new(A, B, 1);
    pinger.count = 1;
    let a = nb.host(info("a", A, NodeKind::Host), Box::new(pinger));
    let r1 = nb.router(
        info("r1", Ipv4Addr::new(10, 0, 1, 1), NodeKind::Router),
        None,
    );
    let b = nb.host(info("b", B, NodeKind::Host), Box::new(Pinger::new(B, A, 0)));
    let x = nb.host(
        info("x", C, NodeKind::Host),
        Box::new(Pinger::new(C, Ipv4Addr::new(192, 0, 2, 1), 1)),
    );
    nb.link(a, r1, LinkParams::default(), LinkParams::default());
    nb.link(r1, b, LinkParams::default(), LinkParams::default());
    nb.link(x, r1, LinkParams::default(), LinkParams::default());
    let t = nb.build().run(RunLimits::default());
    let from_x = t
        .segments
        .iter()
        .find(|s| t.node_name(s.from) == "x")
        .unwrap();
    assert!(matches!(
        from_x.fate,
        Fate::Dropped {
            reason: DropReason::NoRoute,
            ..
        }
    ));
}

#[test]
fn a_queue_drops_what_it_must() {
    // 200 packets offered 10 ms apart cannot fill a queue; a burst can.
    struct Burst(Pinger);
    impl HostStack for Burst {
        fn start(&mut self, now: Instant, cx: &mut HostCx<'_>) {
            for _ in 0..10 {
                self.0.on_wakeup(now, cx);
            }
        }
        fn on_packet(
            &mut self,
            _: Instant,
            _: &Ipv4Repr,
            _: &TcpRepr<'_>,
            _: u32,
            _: &mut HostCx<'_>,
        ) {
        }
        fn on_wakeup(&mut self, _: Instant, _: &mut HostCx<'_>) {}
        fn next_wakeup(&self) -> Option<Instant> {
            None
        }
        fn busy(&self) -> bool {
            false
        }
    }
    let mut nb = NetworkBuilder::new(scenario(1));
    let a = nb.host(
        info("a", A, NodeKind::Host),
        Box::new(Burst(Pinger::new(A, B, 10))),
    );
    let b = nb.host(info("b", B, NodeKind::Host), Box::new(Pinger::new(B, A, 0)));
    let p = LinkParams {
        queue: 4,
        ..LinkParams::default()
    };
    nb.link(a, b, p, p);
    let t = nb.build().run(RunLimits::default());
    let full = t
        .segments
        .iter()
        .filter(|s| {
            matches!(
                s.fate,
                Fate::Dropped {
                    reason: DropReason::QueueFull,
                    ..
                }
            )
        })
        .count();
    assert_eq!(full, 6);
}
