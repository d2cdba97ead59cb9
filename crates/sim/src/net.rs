//! The discrete-event core: nodes joined by links, packets travelling in
//! virtual time, every fate recorded.
//!
//! Hosts plug in through [`HostStack`]: they receive parsed IPv4/TCP
//! packets, send through [`HostCx`], and ask for a wake-up at a deadline.
//! Routers forward along shortest paths (by propagation delay, ties broken
//! by link order; see [`crate::routing`]) and decrement the TTL; a [`Middlebox`] hook on a router
//! node is where NAT and firewall behaviour lives.
//!
//! Leaves out: ARP and Ethernet (links carry IPv4 packets directly; the
//! pcapng exporter adds Ethernet headers), ICMP (a packet dropped for TTL
//! or no route is recorded, not reported to its sender), IP options and
//! fragmentation, dynamic routing.

use crate::link::{LinkDir, LinkParams, Offer};
use crate::queue::EventQueue;
use crate::record::{Recorder, SegMeta};
use crate::rng;
use crate::routing::Routes;
use netstep_trace::{DropReason, EndReason, Fate, Matcher, NodeInfo, ScenarioInfo, Trace};
use netstep_wire::{Duration, Instant, Ipv4Repr, TcpRepr};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;

/// A host's network stack as the simulator sees it.
pub trait HostStack {
    /// Called once, at time zero, before anything else.
    fn start(&mut self, now: Instant, cx: &mut HostCx<'_>);
    /// A packet addressed to this host arrived intact; `seg` is its index
    /// in the trace.
    fn on_packet(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        tcp: &TcpRepr<'_>,
        seg: u32,
        cx: &mut HostCx<'_>,
    );
    /// The deadline from `next_wakeup` has come.
    fn on_wakeup(&mut self, now: Instant, cx: &mut HostCx<'_>);
    /// The earliest time the host wants to be woken, if any.
    fn next_wakeup(&self) -> Option<Instant>;
    /// True while the host has work that should keep the run going
    /// (applications still running, connections not yet closed). Sockets
    /// in TIME-WAIT and listeners do not count. The answer must depend only
    /// on the host's own state: the network asks after some later event,
    /// not right after each callback.
    fn busy(&self) -> bool;
}

/// What a host may do during a callback.
#[derive(Debug)]
pub struct HostCx<'a> {
    pub node: u32,
    pub rng: &'a mut ChaCha8Rng,
    pub rec: &'a mut Recorder,
    out: &'a mut VecDeque<Outgoing>,
    pool: &'a mut Vec<Vec<u8>>,
}

#[derive(Debug)]
struct Outgoing {
    packet: Packet,
    seg: u32,
}

/// A packet on the wire, as bytes.
///
/// Hosts emit with TCP checksum offload
/// ([`netstep_wire::emit_ipv4_tcp_offload`]): the TCP checksum is filled
/// in only when something other than the receiving host is about to read
/// or change the bytes (a bit flipped by a link or a fault, a NAT or a
/// firewall). A packet that reaches its host untouched would pass the
/// check by construction, so it is not summed twice for nothing; a packet
/// that was touched carries a real checksum from before the change, and
/// the receiver verifies it. Either way every reader sees correct bytes.
/// Routers check and update the IPv4 header checksum, always present.
///
/// A payload that the sender's buffer held by reference to the bulk
/// pattern's table ([`netstep_wire::pattern`]) stays a reference: `bytes`
/// holds the headers and `shared` the payload, as a NIC gathers a packet
/// from a header buffer and the page cache (scatter-gather). Anything
/// that reads or changes the packet as a whole (a middlebox, a flipped
/// bit, the checksum) first joins the two ([`Packet::flatten`]); routers,
/// which read and change only the IPv4 header, and the receiving host
/// read them apart.
#[derive(Debug)]
struct Packet {
    bytes: Vec<u8>,
    /// The payload when `bytes` holds only the headers; empty otherwise.
    shared: &'static [u8],
    /// The TCP checksum field is not filled in yet. Also means that the
    /// bytes are as the sender emitted them, bar routers' TTL and IPv4
    /// checksum updates: every change of any other kind finalizes first.
    csum_pending: bool,
}

impl Packet {
    /// The packet's length on the wire.
    #[inline]
    fn wire_len(&self) -> usize {
        self.bytes.len() + self.shared.len()
    }

    /// Puts the payload kept by reference after the headers: the packet
    /// is then all in `bytes`.
    fn flatten(&mut self) {
        if !self.shared.is_empty() {
            self.bytes.extend_from_slice(self.shared);
            self.shared = &[];
        }
    }

    /// Fills the TCP checksum in, before anyone reads or changes the bytes.
    fn finalize(&mut self) {
        self.flatten();
        if self.csum_pending {
            netstep_wire::fill_tcp_checksum(&mut self.bytes);
            self.csum_pending = false;
        }
    }
}

impl HostCx<'_> {
    /// Puts a TCP segment on the wire: records it, then hands it to the
    /// first link once the callback returns. Returns its trace index.
    pub fn send(&mut self, now: Instant, ip: &Ipv4Repr, tcp: &TcpRepr<'_>, meta: SegMeta) -> u32 {
        let seg = self.rec.segment_sent(now, self.node, ip, tcp, meta);
        let mut bytes = self.pool.pop().unwrap_or_default();
        // The payload stays where it is when it is the pattern's table
        // (see `Packet`), as long as the packet fits IPv4.
        let shared = match netstep_wire::pattern::as_static(tcp.payload) {
            Some(payload)
                if netstep_wire::emit_ipv4_tcp_offload_headers_vec(
                    ip,
                    tcp,
                    payload.len(),
                    &mut bytes,
                ) != 0 =>
            {
                payload
            }
            _ => {
                netstep_wire::emit_ipv4_tcp_offload_vec(ip, tcp, &mut bytes);
                &[]
            }
        };
        self.out.push_back(Outgoing {
            packet: Packet {
                bytes,
                shared,
                csum_pending: true,
            },
            seg,
        });
        seg
    }
}

/// A packet hook on a forwarding node: NAT and firewalls.
pub trait Middlebox: std::fmt::Debug {
    /// Inspects (and may rewrite) a packet arriving from `from_node`.
    fn process(
        &mut self,
        now: Instant,
        packet: &mut Vec<u8>,
        seg: u32,
        from_node: u32,
        rec: &mut Recorder,
    ) -> Result<(), DropReason>;
}

/// A scenario fault, resolved.
#[derive(Debug, Clone)]
pub struct Fault {
    pub action: FaultAction,
    pub matcher: Matcher,
    /// How many matching segments to act on; 0 means all.
    pub count: u32,
    pub delay: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    Drop,
    Delay,
    Duplicate,
    Corrupt,
}

enum NodeKind {
    Host(Box<dyn HostStack>),
    Router(Option<Box<dyn Middlebox>>),
}

impl std::fmt::Debug for NodeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeKind::Host(_) => f.write_str("Host"),
            NodeKind::Router(m) => write!(f, "Router({m:?})"),
        }
    }
}

#[derive(Debug)]
struct Node {
    kind: NodeKind,
    rng: ChaCha8Rng,
    /// The earliest wake-up already in the queue for this host.
    wake_scheduled: Option<Instant>,
}

/// A cached route: packets for `dst` leave on `hop`.
#[derive(Debug, Clone, Copy)]
struct RouteHit {
    dst: Ipv4Addr,
    hop: (u32, u8),
}

#[derive(Debug)]
struct Link {
    ends: [u32; 2],
    dirs: [LinkDir; 2],
}

#[derive(Debug)]
enum Ev {
    Arrive {
        node: u32,
        from: u32,
        packet: Packet,
        seg: u32,
        corrupt_bit: Option<u32>,
    },
    Wake {
        node: u32,
    },
}

/// Builds a [`Network`].
#[derive(Debug)]
pub struct NetworkBuilder {
    seed: u64,
    rec: Recorder,
    nodes: Vec<Node>,
    names: Vec<String>,
    links: Vec<Link>,
    addr_owner: BTreeMap<Ipv4Addr, u32>,
    faults: Vec<Fault>,
}

impl NetworkBuilder {
    pub fn new(scenario: ScenarioInfo) -> Self {
        NetworkBuilder {
            seed: scenario.seed,
            rec: Recorder::new(scenario),
            nodes: Vec::new(),
            names: Vec::new(),
            links: Vec::new(),
            addr_owner: BTreeMap::new(),
            faults: Vec::new(),
        }
    }

    fn add(&mut self, info: NodeInfo, kind: NodeKind) -> u32 {
        let key = format!("host:{}", info.name);
        let id = self.rec.add_node(info.clone());
        for a in &info.addrs {
            self.addr_owner.entry(*a).or_insert(id);
        }
        self.names.push(info.name);
        self.nodes.push(Node {
            kind,
            rng: rng::stream(self.seed, &key),
            wake_scheduled: None,
        });
        id
    }

    /// Adds an end host running `stack`.
    pub fn host(&mut self, info: NodeInfo, stack: Box<dyn HostStack>) -> u32 {
        self.add(info, NodeKind::Host(stack))
    }

    /// Adds a forwarding node, with an optional packet hook.
    pub fn router(&mut self, info: NodeInfo, hook: Option<Box<dyn Middlebox>>) -> u32 {
        self.add(info, NodeKind::Router(hook))
    }

    /// Puts a packet hook (NAT, firewall) on forwarding node `node`.
    pub fn set_middlebox(&mut self, node: u32, hook: Box<dyn Middlebox>) {
        if let Some(Node {
            kind: NodeKind::Router(h),
            ..
        }) = self.nodes.get_mut(node as usize)
        {
            *h = Some(hook);
        }
    }

    /// Joins nodes `a` and `b` with a link; `ab` and `ba` are the settings
    /// of each direction.
    pub fn link(&mut self, a: u32, b: u32, ab: LinkParams, ba: LinkParams) {
        let (na, nb) = (&self.names[a as usize], &self.names[b as usize]);
        let dirs = [
            LinkDir::new(ab, rng::stream(self.seed, &format!("link:{na}->{nb}"))),
            LinkDir::new(ba, rng::stream(self.seed, &format!("link:{nb}->{na}"))),
        ];
        self.links.push(Link { ends: [a, b], dirs });
    }

    pub fn fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    pub fn build(self) -> Network {
        let routes = Routes::new(
            self.nodes.len(),
            self.links.iter().map(|l| {
                (
                    l.ends,
                    [
                        l.dirs[0].params.delay.as_nanos(),
                        l.dirs[1].params.delay.as_nanos(),
                    ],
                )
            }),
        );
        let busy = vec![false; self.nodes.len()];
        Network {
            now: Instant::ZERO,
            queue: EventQueue::default(),
            nodes: self.nodes,
            links: self.links,
            routes,
            // The map iterates in address order: sorted for binary search.
            addr_owner: self
                .addr_owner
                .iter()
                .map(|(a, &n)| (u32::from(*a), n))
                .collect(),
            route_cache: vec![None; busy.len()],
            own_cache: vec![None; busy.len()],
            rec: self.rec,
            faults: self.faults.into_iter().map(|f| (f, 0, 0)).collect(),
            pool: Vec::new(),
            out: VecDeque::new(),
            started: false,
            in_flight: 0,
            busy_stale: busy.clone(),
            busy,
            busy_hosts: 0,
            stale: Vec::new(),
        }
    }
}

/// A built network, ready to run.
#[derive(Debug)]
pub struct Network {
    now: Instant,
    queue: EventQueue<Ev>,
    nodes: Vec<Node>,
    links: Vec<Link>,
    routes: Routes,
    /// Each address and the node that owns it, sorted by address.
    addr_owner: Vec<(u32, u32)>,
    /// Per node, the last destination address it sent toward, with that
    /// address's owner and the next hop: both fixed once the network is
    /// built, and a host usually talks to one peer at a time.
    route_cache: Vec<Option<RouteHit>>,
    /// Per node, the last destination address of a packet it received
    /// that it owns: owners are fixed once built, so a host receiving from
    /// one peer checks its address once.
    own_cache: Vec<Option<Ipv4Addr>>,
    rec: Recorder,
    /// Each fault with how many segments it has matched and acted on.
    faults: Vec<(Fault, u32, u32)>,
    pool: Vec<Vec<u8>>,
    out: VecDeque<Outgoing>,
    started: bool,
    in_flight: usize,
    /// Each host's [`HostStack::busy`] as of the last refresh, and how
    /// many are busy: asking every host after every event would make a run
    /// with N hosts O(N) per event.
    busy: Vec<bool>,
    busy_hosts: usize,
    /// Per node: whether it is in `stale`.
    busy_stale: Vec<bool>,
    /// Hosts that had a callback since their flag was last refreshed.
    /// Flags are only read when no packet is in flight, so they are
    /// refreshed then, not after every callback: a host's state (and so
    /// its answer) does not change between its callbacks.
    stale: Vec<u32>,
}

/// Bounds that stop a run.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    pub time: Instant,
    pub events: u64,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            time: Instant::from_millis(600_000),
            events: 50_000_000,
        }
    }
}

impl Network {
    pub fn now(&self) -> Instant {
        self.now
    }

    pub fn recorder(&self) -> &Recorder {
        &self.rec
    }

    /// Runs until nothing is left to do or a limit is reached, and returns
    /// the trace.
    pub fn run(mut self, limits: RunLimits) -> Trace {
        let reason = self.run_until(limits);
        let end = self.now;
        self.rec.finish(end, reason)
    }

    fn run_until(&mut self, limits: RunLimits) -> EndReason {
        if !self.started {
            self.started = true;
            for node in 0..self.nodes.len() as u32 {
                self.with_host(node, |h, now, cx| h.start(now, cx));
            }
        }
        let mut events = 0u64;
        loop {
            if self.in_flight == 0 && !self.refresh_busy() {
                debug_assert!(!self.any_busy_scan(), "a host's busy flag is stale");
                return EndReason::Quiescent;
            }
            let Some(t) = self.queue.peek_time() else {
                return EndReason::Quiescent;
            };
            if t > limits.time {
                self.now = limits.time;
                return EndReason::TimeLimit;
            }
            if events >= limits.events {
                return EndReason::EventLimit;
            }
            events += 1;
            let Some((t, ev)) = self.queue.pop() else {
                return EndReason::Quiescent;
            };
            self.now = t;
            match ev {
                Ev::Wake { node } => {
                    let n = &mut self.nodes[node as usize];
                    if n.wake_scheduled == Some(t) {
                        n.wake_scheduled = None;
                    }
                    let due = match &n.kind {
                        NodeKind::Host(h) => h.next_wakeup().is_some_and(|d| d <= t),
                        NodeKind::Router(_) => false,
                    };
                    if due {
                        self.with_host(node, |h, now, cx| h.on_wakeup(now, cx));
                    } else {
                        self.schedule_wake(node);
                    }
                }
                Ev::Arrive {
                    node,
                    from,
                    packet,
                    seg,
                    corrupt_bit,
                } => {
                    self.in_flight -= 1;
                    self.arrive(node, from, packet, seg, corrupt_bit);
                }
            }
        }
    }

    /// Refreshes the busy flags of the hosts called back since the last
    /// refresh, and says whether any host is busy.
    fn refresh_busy(&mut self) -> bool {
        let mut stale = std::mem::take(&mut self.stale);
        for node in stale.drain(..) {
            self.update_busy(node);
        }
        self.stale = stale;
        self.busy_hosts > 0
    }

    /// Notes that `node` had a callback: its busy flag may be stale.
    fn mark_stale(&mut self, node: u32) {
        let flag = &mut self.busy_stale[node as usize];
        if !*flag {
            *flag = true;
            self.stale.push(node);
        }
    }

    /// Whether some host is busy, asking each: [`Network::refresh_busy`]
    /// without the bookkeeping, to check it in debug builds.
    fn any_busy_scan(&self) -> bool {
        self.nodes.iter().any(|n| match &n.kind {
            NodeKind::Host(h) => h.busy(),
            NodeKind::Router(_) => false,
        })
    }

    /// Runs a host callback with its context, then sends what it queued and
    /// reschedules its wake-up.
    fn with_host(
        &mut self,
        node: u32,
        f: impl FnOnce(&mut dyn HostStack, Instant, &mut HostCx<'_>),
    ) {
        let now = self.now;
        let n = &mut self.nodes[node as usize];
        let NodeKind::Host(host) = &mut n.kind else {
            return;
        };
        let mut cx = HostCx {
            node,
            rng: &mut n.rng,
            rec: &mut self.rec,
            out: &mut self.out,
            pool: &mut self.pool,
        };
        f(host.as_mut(), now, &mut cx);
        self.send_queued(node);
        self.mark_stale(node);
        self.schedule_wake(node);
    }

    /// Hands the segments `node` sent during a callback to the network,
    /// in the order sent. Many callbacks send nothing (a receiver ACKs
    /// every second segment): then there is nothing to take apart.
    /// A FIFO popped in place: nothing to take out of `self` and put back.
    #[inline(always)]
    fn send_queued(&mut self, node: u32) {
        while let Some(o) = self.out.pop_front() {
            self.originate(node, o.packet, o.seg);
        }
    }

    /// Refreshes `node`'s busy flag after a callback (only callbacks
    /// change what a host is doing).
    fn update_busy(&mut self, node: u32) {
        self.busy_stale[node as usize] = false;
        let NodeKind::Host(h) = &self.nodes[node as usize].kind else {
            return;
        };
        let b = h.busy();
        let slot = &mut self.busy[node as usize];
        if b != *slot {
            *slot = b;
            if b {
                self.busy_hosts += 1;
            } else {
                self.busy_hosts -= 1;
            }
        }
    }

    fn schedule_wake(&mut self, node: u32) {
        let n = &mut self.nodes[node as usize];
        let NodeKind::Host(h) = &n.kind else {
            return;
        };
        if let Some(d) = h.next_wakeup() {
            let d = d.max(self.now);
            if n.wake_scheduled.is_none_or(|s| d < s) {
                n.wake_scheduled = Some(d);
                self.queue.push(d, Ev::Wake { node });
            }
        }
    }

    /// A host's own segment: apply scenario faults, then route it.
    #[inline(always)]
    fn originate(&mut self, node: u32, packet: Packet, seg: u32) {
        // Most runs have no faults: no loop, no fault state to thread.
        if self.faults.is_empty() {
            self.forward_inline(node, packet, seg, Duration::ZERO);
        } else {
            self.originate_with_faults(node, packet, seg);
        }
    }

    /// [`Network::originate`] when the scenario has faults.
    fn originate_with_faults(&mut self, node: u32, mut packet: Packet, seg: u32) {
        let mut extra = Duration::ZERO;
        let mut duplicate = false;
        for (fault, seen, acted) in &mut self.faults {
            if !fault.matcher.matches(&self.rec.trace, seg as usize) {
                continue;
            }
            *seen += 1;
            if *seen < fault.matcher.nth.unwrap_or(1) || (fault.count != 0 && *acted >= fault.count)
            {
                continue;
            }
            *acted += 1;
            match fault.action {
                FaultAction::Drop => {
                    let now = self.now;
                    self.rec.set_fate(
                        seg,
                        Fate::Dropped {
                            at: now,
                            node,
                            reason: DropReason::Fault,
                        },
                    );
                    self.pool.push(packet.bytes);
                    return;
                }
                FaultAction::Delay => extra += fault.delay,
                FaultAction::Duplicate => duplicate = true,
                FaultAction::Corrupt => {
                    // Flip a bit in the TCP payload or header (after the
                    // IPv4 header) so that the receiving host's checksum
                    // catches it, as a corrupting link would.
                    let n = &mut self.nodes[node as usize];
                    packet.finalize();
                    let bytes = &mut packet.bytes;
                    let bits = ((bytes.len() - Ipv4Repr::HEADER_LEN) * 8) as u64;
                    let bit = Ipv4Repr::HEADER_LEN * 8
                        + (rand_core::RngCore::next_u64(&mut n.rng) % bits.max(1)) as usize;
                    bytes[bit / 8] ^= 1 << (bit % 8);
                }
            }
        }
        if duplicate {
            let copy = self.rec.duplicate(seg);
            let p2 = self.copy(&packet);
            self.forward(node, node, p2, copy, extra);
        }
        self.forward(node, node, packet, seg, extra);
    }

    /// A second packet with the same bytes, from the pool.
    fn copy(&mut self, packet: &Packet) -> Packet {
        let mut bytes = self.pool.pop().unwrap_or_default();
        bytes.clear();
        bytes.extend_from_slice(&packet.bytes);
        Packet {
            bytes,
            shared: packet.shared,
            csum_pending: packet.csum_pending,
        }
    }

    /// Sends `packet` from `node` toward its destination address.
    fn forward(&mut self, node: u32, _prev: u32, packet: Packet, seg: u32, extra: Duration) {
        self.forward_inline(node, packet, seg, extra);
    }

    /// [`Network::forward`], inlined into the host's send path (every
    /// segment goes through it): no call, no packet moved into a frame.
    #[inline(always)]
    fn forward_inline(&mut self, node: u32, packet: Packet, seg: u32, extra: Duration) {
        let now = self.now;
        let b = &packet.bytes;
        let dst = Ipv4Addr::new(b[16], b[17], b[18], b[19]);
        let Some((link, dir)) = self.route(node, dst) else {
            self.drop(seg, node, DropReason::NoRoute, packet);
            return;
        };
        // Packets on one link direction mostly arrive in the order sent.
        let lane = link * 2 + u32::from(dir);
        let l = &mut self.links[link as usize];
        let to = l.ends[1 - usize::from(dir)];
        match l.dirs[usize::from(dir)].offer(now, packet.wire_len(), extra) {
            Offer::QueueFull => self.drop(seg, node, DropReason::QueueFull, packet),
            Offer::Lost { at } => {
                self.rec.set_fate(
                    seg,
                    Fate::Dropped {
                        at,
                        node,
                        reason: DropReason::Loss,
                    },
                );
                self.pool.push(packet.bytes);
            }
            Offer::Arrives {
                at,
                corrupt_bit,
                duplicate_at,
            } => {
                if let Some(dup_at) = duplicate_at {
                    let copy = self.rec.duplicate(seg);
                    let p2 = self.copy(&packet);
                    self.in_flight += 1;
                    self.queue.push_lane(
                        lane,
                        dup_at,
                        Ev::Arrive {
                            node: to,
                            from: node,
                            packet: p2,
                            seg: copy,
                            corrupt_bit: None,
                        },
                    );
                }
                self.in_flight += 1;
                self.queue.push_lane(
                    lane,
                    at,
                    Ev::Arrive {
                        node: to,
                        from: node,
                        packet,
                        seg,
                        corrupt_bit,
                    },
                );
            }
        }
    }

    /// The node that owns address `a`.
    fn owner(&self, a: Ipv4Addr) -> Option<u32> {
        let a = u32::from(a);
        self.addr_owner
            .binary_search_by_key(&a, |&(addr, _)| addr)
            .ok()
            .map(|i| self.addr_owner[i].1)
    }

    /// The next hop from `node` toward the owner of `dst`; `None` when no
    /// node owns it, or it is `node`'s own, or unreachable.
    #[inline(always)]
    fn route(&mut self, node: u32, dst: Ipv4Addr) -> Option<(u32, u8)> {
        if let Some(hit) = self.route_cache[node as usize]
            && hit.dst == dst
        {
            debug_assert_eq!(
                Some(hit.hop),
                self.owner(dst).and_then(|o| self.routes.next_hop(node, o))
            );
            return Some(hit.hop);
        }
        self.route_miss(node, dst)
    }

    /// [`Network::route`] when the cache does not hold `dst`.
    #[inline(never)]
    fn route_miss(&mut self, node: u32, dst: Ipv4Addr) -> Option<(u32, u8)> {
        let owner = self.owner(dst)?;
        let hop = self.routes.next_hop(node, owner)?;
        self.route_cache[node as usize] = Some(RouteHit { dst, hop });
        Some(hop)
    }

    fn drop(&mut self, seg: u32, node: u32, reason: DropReason, packet: Packet) {
        let at = self.now;
        self.rec.set_fate(seg, Fate::Dropped { at, node, reason });
        self.pool.push(packet.bytes);
    }

    fn arrive(
        &mut self,
        node: u32,
        from: u32,
        mut packet: Packet,
        seg: u32,
        corrupt_bit: Option<u32>,
    ) {
        if let Some(bit) = corrupt_bit {
            packet.finalize();
            let b = bit as usize;
            if let Some(byte) = packet.bytes.get_mut(b / 8) {
                *byte ^= 1 << (b % 8);
            }
        }
        let now = self.now;
        let n = &mut self.nodes[node as usize];
        match &mut n.kind {
            NodeKind::Router(hook) => {
                // A router checks the IPv4 header (RFC 1812 5.2.2) but not
                // the TCP checksum: a flipped bit in the TCP part travels on
                // and is caught by the receiving host.
                // A payload kept apart (see `Packet`) stays so: the headers
                // are whole, as their sender emitted them, and a router
                // reads and changes nothing else.
                let checked = if packet.shared.is_empty() {
                    netstep_wire::ipv4::Ipv4Packet::new_checked(&mut packet.bytes[..])
                } else {
                    Ok(netstep_wire::ipv4::Ipv4Packet::new_unchecked(
                        &mut packet.bytes[..],
                    ))
                };
                let Ok(mut ip) = checked else {
                    self.drop(seg, node, DropReason::Corrupted, packet);
                    return;
                };
                if !ip.verify_checksum() {
                    self.drop(seg, node, DropReason::Corrupted, packet);
                    return;
                }
                if ip.ttl() <= 1 {
                    self.drop(seg, node, DropReason::TtlExpired, packet);
                    return;
                }
                ip.set_ttl(ip.ttl() - 1);
                ip.fill_checksum();
                if let Some(h) = hook
                    && let Err(reason) = {
                        packet.finalize();
                        h.process(now, &mut packet.bytes, seg, from, &mut self.rec)
                    }
                {
                    self.drop(seg, node, reason, packet);
                    return;
                }
                self.forward(node, from, packet, seg, Duration::ZERO);
            }
            NodeKind::Host(_) => {
                let parsed = if packet.csum_pending {
                    // Untouched since its sender emitted it (see
                    // `Packet`): both checksums hold by construction.
                    // Its payload may be kept apart (see `Packet`).
                    netstep_wire::parse_ipv4_tcp_emitted_parts(&packet.bytes, packet.shared)
                } else {
                    netstep_wire::parse_ipv4_tcp(&packet.bytes, true)
                };
                // Read in place: the headers are not copied out of the result.
                let Ok((ip, tcp)) = &parsed else {
                    self.drop(seg, node, DropReason::Corrupted, packet);
                    return;
                };
                if self.own_cache[node as usize] != Some(ip.dst) {
                    if self.owner(ip.dst) != Some(node) {
                        self.drop(seg, node, DropReason::NotForUs, packet);
                        return;
                    }
                    self.own_cache[node as usize] = Some(ip.dst);
                }
                debug_assert_eq!(self.owner(ip.dst), Some(node));
                self.rec.delivered(seg, node, now);
                let Node {
                    kind: NodeKind::Host(host),
                    rng,
                    ..
                } = &mut self.nodes[node as usize]
                else {
                    return;
                };
                let mut cx = HostCx {
                    node,
                    rng,
                    rec: &mut self.rec,
                    out: &mut self.out,
                    pool: &mut self.pool,
                };
                host.on_packet(now, ip, tcp, seg, &mut cx);
                self.send_queued(node);
                self.mark_stale(node);
                self.schedule_wake(node);
                self.pool.push(packet.bytes);
            }
        }
    }
}
