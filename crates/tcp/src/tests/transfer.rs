//! Two endpoints moving data through a lossy, delaying wire, with the
//! profiles the simulator uses. Built for the fast paths: in unit tests
//! every predicted segment is also run through the general path on a
//! clone and compared, and every connection left off the transmit queue
//! is checked to have nothing to send (see `Conn::on_segment_predicted`
//! and `Conn::may_send`). This drives them through slow start, ACK
//! clocking, losses, fast retransmits, timeouts, full windows and a
//! slow reader.

use super::*;

/// A segment on the wire: its headers and a copy of its payload.
struct InFlight {
    at: Instant,
    to_b: bool,
    ip: Ipv4Repr,
    tcp: TcpRepr<'static>,
    payload: Vec<u8>,
}

/// How B's application reads.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    /// `recv_append` onto the end of everything received.
    Append,
    /// `recv_exchange` into a buffer of its own (trading storage with the
    /// receive buffer when it can), then a copy of the bytes read.
    Exchange,
}

/// Runs a transfer and returns every segment put on the wire, with its
/// time and headers, in order.
fn run(
    profile: Profile,
    len: usize,
    loss_per_mille: u64,
    read_chunk: usize,
    seed: u64,
) -> Vec<String> {
    run_reading(profile, len, loss_per_mille, read_chunk, seed, Read::Append)
}

fn run_reading(
    profile: Profile,
    len: usize,
    loss_per_mille: u64,
    read_chunk: usize,
    seed: u64,
    read: Read,
) -> Vec<String> {
    let a_ip = Ipv4Addr::new(10, 0, 0, 1);
    let b_ip = Ipv4Addr::new(10, 0, 0, 2);
    let mut a = Endpoint::new(a_ip, profile.clone());
    let mut b = Endpoint::new(b_ip, profile);
    let mut rng = TestRng(seed);
    let mut wire_rng = TestRng(seed ^ 0x5555);
    let mut now = Instant::ZERO;
    let delay = Duration::from_micros(300);
    b.listen(5001).unwrap();
    let conn = a
        .connect(now, SocketAddrV4::new(b_ip, 5001), None, &mut rng)
        .unwrap();
    let byte = |i: usize| (i * 31 + i / 257) as u8;
    let (mut sent, mut received) = (0usize, Vec::new());
    let mut b_conn = None;
    let mut wire: Vec<InFlight> = Vec::new();
    let mut closed = false;
    let mut transcript = Vec::new();
    let mut own = Vec::new();
    for _ in 0..200_000 {
        // Application: A writes what fits; B reads at most `read_chunk`
        // per step (a slow reader fills the window).
        if sent < len {
            let chunk: Vec<u8> = (sent..len.min(sent + 3000)).map(byte).collect();
            if let Ok(n) = a.send(now, conn, &chunk) {
                sent += n;
            }
        } else if !closed {
            a.close(now, conn);
            closed = true;
        }
        if let Some(c) = b_conn {
            match read {
                Read::Append => {
                    let _ = b.recv_append(c, &mut received, read_chunk);
                }
                Read::Exchange => {
                    if let Ok(r) = b.recv_exchange(c, &mut own, read_chunk) {
                        received.extend_from_slice(&own[r]);
                    }
                }
            }
        }
        // Output of both sides onto the wire.
        for (ep, to_b) in [(&mut a, true), (&mut b, false)] {
            while let Some(t) = ep.poll_transmit(now) {
                transcript.push(format!(
                    "{now:?} to_b={to_b} seq={} ack={:?} flags={:?} win={} len={}",
                    t.tcp.seq_number.get(),
                    t.tcp.ack_number.map(|a| a.get()),
                    t.tcp.flags,
                    t.tcp.window,
                    t.tcp.payload.len()
                ));
                let lost = wire_rng.next_u64() % 1000 < loss_per_mille;
                if !lost {
                    wire.push(InFlight {
                        at: now + delay,
                        to_b,
                        ip: t.ip,
                        tcp: TcpRepr {
                            payload: &[],
                            ..t.tcp
                        },
                        payload: t.tcp.payload.to_vec(),
                    });
                }
            }
            while let Some(e) = ep.poll_event() {
                if let Event::Accepted { conn, .. } = e {
                    b_conn = Some(conn);
                }
            }
        }
        if received.len() == len && b_conn.is_some_and(|c| b.peer_closed(c)) {
            for (i, &x) in received.iter().enumerate() {
                assert_eq!(x, byte(i), "byte {i}");
            }
            return transcript;
        }
        // Next: a delivery, a timer, or (a slow reader) a little later.
        let next_wire = wire.iter().map(|w| w.at).min();
        let next = [next_wire, a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        now = match next {
            Some(t) if t > now => t,
            Some(_) => now,
            None => now + Duration::from_millis(1),
        };
        if let Some(i) = wire.iter().position(|w| w.at <= now) {
            let w = wire.remove(i);
            let tcp = TcpRepr {
                payload: &w.payload,
                ..w.tcp
            };
            let ep = if w.to_b { &mut b } else { &mut a };
            ep.handle_segment(now, &w.ip, &tcp, &mut rng);
        }
        for ep in [&mut a, &mut b] {
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
        }
    }
    panic!(
        "transfer did not finish: {} of {len} bytes received",
        received.len()
    );
}

#[test]
fn bulk_classic_windows() {
    run(Profile::classic_windows(), 400_000, 0, usize::MAX, 1);
}

#[test]
fn bulk_linux() {
    run(Profile::linux(), 400_000, 0, usize::MAX, 2);
}

#[test]
fn lossy_transfers() {
    for seed in 0..6 {
        run(Profile::classic_windows(), 150_000, 20, usize::MAX, seed);
        run(Profile::linux(), 150_000, 20, usize::MAX, seed);
    }
}

#[test]
fn slow_reader() {
    for seed in 0..3 {
        run(Profile::classic_windows(), 200_000, 5, 700, seed);
        run(Profile::linux(), 200_000, 5, 3000, seed);
    }
}

/// Reading by trading storage (`recv_exchange`) changes nothing on the
/// wire: the same segments at the same times as reading by copying, with
/// losses (so out-of-order bytes wait in the buffer, which must not be
/// traded away) and a slow reader (whose reads leave bytes behind).
#[test]
fn reading_by_exchange_is_reading_by_copy() {
    for seed in 0..4 {
        for (profile, loss, chunk) in [
            (Profile::classic_windows(), 0, usize::MAX),
            (Profile::classic_windows(), 20, usize::MAX),
            (Profile::linux(), 20, 3000),
            (Profile::classic_windows(), 5, 700),
        ] {
            let copy = run_reading(profile.clone(), 150_000, loss, chunk, seed, Read::Append);
            let exchange = run_reading(profile, 150_000, loss, chunk, seed, Read::Exchange);
            assert_eq!(copy, exchange, "seed {seed}, loss {loss}, chunk {chunk}");
        }
    }
}
