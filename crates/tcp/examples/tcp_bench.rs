//! A rough speed check of the sans-IO TCP: a bulk transfer between two
//! endpoints over a zero-loss link, and many concurrent connections.
//! `cargo run --release -p netstep-tcp --example tcp_bench [MiB] [conns]`

use std::collections::VecDeque;
use std::net::SocketAddrV4;
use std::time::Instant as WallClock;

use netstep_tcp::{Endpoint, Event, Profile};
use netstep_wire::{Duration, Instant, Ipv4Addr, Ipv4Repr, TcpRepr};
use rand_chacha::ChaCha8Rng as Rng;
use rand_core::SeedableRng;

/// One direction of a link: segments in flight with their arrival time.
/// Payload storage is reused, so the harness does not allocate per segment
/// once warm.
struct Wire {
    queue: VecDeque<(Instant, Ipv4Repr, TcpRepr<'static>, usize)>,
    bufs: Vec<Vec<u8>>,
    free: Vec<usize>,
}

impl Wire {
    fn new() -> Wire {
        Wire {
            queue: VecDeque::new(),
            bufs: Vec::new(),
            free: Vec::new(),
        }
    }
    fn push(&mut self, at: Instant, ip: Ipv4Repr, tcp: &TcpRepr<'_>) {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.bufs.push(Vec::with_capacity(1500));
            self.bufs.len() - 1
        });
        self.bufs[slot].clear();
        self.bufs[slot].extend_from_slice(tcp.payload);
        let hdr = TcpRepr {
            payload: &[],
            ..*tcp
        };
        self.queue.push_back((at, ip, hdr, slot));
    }
}

fn flush(ep: &mut Endpoint, now: Instant, wire: &mut Wire, delay: Duration) -> usize {
    let mut n = 0;
    while let Some(t) = ep.poll_transmit(now) {
        wire.push(now + delay, t.ip, &t.tcp);
        n += 1;
    }
    n
}

fn deliver(ep: &mut Endpoint, now: Instant, wire: &mut Wire, rng: &mut Rng) {
    while wire.queue.front().is_some_and(|(at, ..)| *at <= now) {
        let (_, ip, hdr, slot) = wire.queue.pop_front().unwrap();
        let seg = TcpRepr {
            payload: &wire.bufs[slot],
            ..hdr
        };
        ep.handle_segment(now, &ip, &seg, rng);
        wire.free.push(slot);
    }
}

fn bulk(mib: usize, profile: Profile) {
    let a_ip = Ipv4Addr::new(10, 0, 0, 1);
    let b_ip = Ipv4Addr::new(10, 0, 0, 2);
    let mut a = Endpoint::new(a_ip, profile.clone());
    let mut b = Endpoint::new(b_ip, profile);
    let mut ra = Rng::seed_from_u64(1);
    let mut rb = Rng::seed_from_u64(2);
    let delay = Duration::from_micros(100);
    b.listen(5001).unwrap();
    let mut now = Instant::ZERO;
    let c = a
        .connect(now, SocketAddrV4::new(b_ip, 5001), None, &mut ra)
        .unwrap();
    let (mut ab, mut ba) = (Wire::new(), Wire::new());
    let total = mib << 20;
    let chunk = vec![0x42u8; 64 * 1024];
    let mut buf = vec![0u8; 64 * 1024];
    let (mut sent, mut got) = (0usize, 0usize);
    let mut server = None;
    let mut segments = 0usize;
    let wall = WallClock::now();
    while got < total {
        while sent < total {
            let n = a
                .send(now, c, &chunk[..chunk.len().min(total - sent)])
                .unwrap_or(0);
            if n == 0 {
                break;
            }
            sent += n;
        }
        segments += flush(&mut a, now, &mut ab, delay);
        deliver(&mut b, now, &mut ab, &mut rb);
        while let Some(e) = b.poll_event() {
            if let Event::Accepted { conn, .. } = e {
                server = Some(conn);
            }
        }
        while a.poll_event().is_some() {}
        if let Some(s) = server {
            loop {
                let n = b.recv(s, &mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                got += n;
            }
        }
        segments += flush(&mut b, now, &mut ba, delay);
        deliver(&mut a, now, &mut ba, &mut ra);
        segments += flush(&mut a, now, &mut ab, delay);
        let next = [
            ab.queue.front().map(|x| x.0),
            ba.queue.front().map(|x| x.0),
            a.poll_timeout(),
            b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { break };
        now = now.max(next);
        if a.poll_timeout().is_some_and(|t| t <= now) {
            a.handle_timeout(now);
        }
        if b.poll_timeout().is_some_and(|t| t <= now) {
            b.handle_timeout(now);
        }
    }
    let secs = wall.elapsed().as_secs_f64();
    println!(
        "bulk {mib} MiB: {segments} segments in {secs:.3} s wall ({:.0} MiB/s, {:.0} ns/segment), virtual {now}",
        mib as f64 / secs,
        secs * 1e9 / segments as f64
    );
}

fn many(conns: usize) {
    let a_ip = Ipv4Addr::new(10, 0, 0, 1);
    let b_ip = Ipv4Addr::new(10, 0, 0, 2);
    let wide = Profile {
        ephemeral: netstep_tcp::Ephemeral {
            kind: netstep_tcp::EphemeralKind::Sequential,
            first: 1025,
            last: 65535,
            start: None,
        },
        recv_buffer: 8192,
        send_buffer: 8192,
        ..Profile::classic_windows()
    };
    let mut a = Endpoint::new(a_ip, wide.clone());
    let mut b = Endpoint::new(b_ip, wide);
    let mut ra = Rng::seed_from_u64(3);
    let mut rb = Rng::seed_from_u64(4);
    b.listen(21).unwrap();
    let delay = Duration::from_millis(1);
    let (mut ab, mut ba) = (Wire::new(), Wire::new());
    let wall = WallClock::now();
    let mut now = Instant::ZERO;
    let mut ids = Vec::new();
    for _ in 0..conns {
        ids.push(
            a.connect(now, SocketAddrV4::new(b_ip, 21), None, &mut ra)
                .unwrap(),
        );
    }
    let mut segments = 0;
    let mut steps = 0;
    loop {
        segments += flush(&mut a, now, &mut ab, delay);
        segments += flush(&mut b, now, &mut ba, delay);
        deliver(&mut b, now, &mut ab, &mut rb);
        deliver(&mut a, now, &mut ba, &mut ra);
        while let Some(e) = a.poll_event() {
            if let Event::Connected { conn } = e {
                a.send(now, conn, b"USER anonymous\r\n").unwrap();
                a.close(now, conn);
            }
        }
        while let Some(e) = b.poll_event() {
            if let Event::PeerFin { conn } = e {
                b.close(now, conn);
            }
        }
        segments += flush(&mut a, now, &mut ab, delay);
        segments += flush(&mut b, now, &mut ba, delay);
        let next = [
            ab.queue.front().map(|x| x.0),
            ba.queue.front().map(|x| x.0),
            a.poll_timeout(),
            b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { break };
        now = now.max(next);
        a.handle_timeout(now);
        b.handle_timeout(now);
        steps += 1;
    }
    let secs = wall.elapsed().as_secs_f64();
    println!(
        "{conns} connections opened, used and closed: {segments} segments, {steps} steps, {secs:.3} s wall, virtual {now}"
    );
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let mib = args.first().copied().unwrap_or(64);
    let conns = args.get(1).copied().unwrap_or(10_000);
    bulk(mib, Profile::linux());
    bulk(mib, Profile::classic_windows());
    many(conns);
}
