//! Two endpoints talking over an in-memory link in virtual time: the
//! timing model of the walkthrough, the close, refusals and timeouts, loss
//! recovery and bulk transfer.

mod common;

use common::*;
use netstep_tcp::*;
use netstep_wire::{Duration, Instant, SeqNumber};

fn classic() -> Profile {
    Profile::classic_windows()
}

fn pair(seed: u64) -> Pair {
    Pair::new(classic(), classic(), LinkConfig::delay_ms(1), seed)
}

/// Runs until `side` gets new data on `conn`; returns when it arrived.
fn until_readable(p: &mut Pair, side: Side, conn: ConnId) -> Instant {
    if std::env::var("DUMP").is_ok() {
        dump(p);
        eprintln!("-- waiting for {side:?} {conn}");
    }
    let mark = p.events.len();
    while p.step() {
        if p.events[mark..]
            .iter()
            .any(|(_, s, e)| *s == side && *e == Event::Readable { conn })
        {
            return p.now;
        }
    }
    panic!("{side:?} never got data on {conn}");
}

fn until_event(p: &mut Pair, side: Side, want: &Event) -> Instant {
    let mark = p.events.len();
    while p.step() {
        if p.events[mark..]
            .iter()
            .any(|(_, s, e)| *s == side && e == want)
        {
            return p.now;
        }
    }
    panic!("{side:?} never saw {want:?}");
}

#[test]
fn a_slow_answer_gets_a_bare_ack_first_a_quick_one_carries_it() {
    // The walkthrough's timing model: a peer that answers after 300 ms
    // sends a bare ACK at +200 ms (delayed-ACK timer); one that answers
    // after 1 ms piggybacks the ACK on the answer.
    let mut p = pair(1);
    let (c, s) = p.handshake(21);

    let t = p.now;
    p.send(Side::A, c, b"USER anonymous\r\n");
    let arrived = until_readable(&mut p, Side::B, s);
    assert_eq!(arrived, t + ms(1));
    p.read_all(Side::B, s);
    p.run_until(arrived + ms(300));
    p.send(Side::B, s, b"331 Password required\r\n");
    let from_b = p.sent_by(Side::B, t);
    assert_eq!(from_b.len(), 2);
    assert_eq!(
        (from_b[0].at, from_b[0].flags(), from_b[0].len()),
        (arrived + ms(200), "ACK".into(), 0)
    );
    assert_eq!(from_b[0].cause, TxCause::DelayedAckTimer);
    assert_eq!(from_b[1].at, arrived + ms(300));
    assert_eq!(from_b[1].flags(), "PSH, ACK");

    p.run_for(ms(5000));
    let t = p.now;
    p.send(Side::A, c, b"PWD\r\n");
    let arrived = until_readable(&mut p, Side::B, s);
    p.read_all(Side::B, s);
    p.run_until(arrived + ms(1));
    p.send(Side::B, s, b"257 \"/\"\r\n");
    p.run_for(ms(100));
    let from_b = p.sent_by(Side::B, t);
    assert_eq!(from_b.len(), 1, "no bare ACK: it rides on the reply");
    assert_eq!(from_b[0].flags(), "PSH, ACK");
    assert_eq!(
        from_b[0].tcp.ack_number,
        Some(seq_end(p.sent_by(Side::A, t)[0]))
    );
}

#[test]
fn the_second_unacknowledged_segment_is_acked_at_once() {
    let mut p = pair(2);
    let (c, s) = p.handshake(21);
    // FTP servers set TCP_NODELAY on the control connection; with Nagle
    // the 226 would wait behind the unacknowledged 150.
    p.b.set_nodelay(s, true);
    p.run_for(ms(1000));
    let t = p.now;
    p.send(Side::B, s, b"150 Opening data connection\r\n");
    p.run_for(ms(50));
    p.send(Side::B, s, b"226 Transfer complete\r\n");
    p.run_for(ms(10));
    let from_a = p.sent_by(Side::A, t);
    assert_eq!(from_a.len(), 1);
    assert_eq!(from_a[0].at, t + ms(51));
    assert_eq!(from_a[0].cause, TxCause::AckNow(AckReason::EveryNth));
    let _ = c;
}

#[test]
fn a_fin_is_acked_at_once() {
    let mut p = pair(3);
    let (_c, s) = p.handshake(20);
    let t = p.now;
    p.send(Side::B, s, b"listing\r\n");
    p.close(Side::B, s);
    p.run_for(ms(10));
    let from_a = p.sent_by(Side::A, t);
    assert_eq!(from_a.len(), 1);
    assert_eq!(from_a[0].at, t + ms(1));
    assert_eq!(from_a[0].cause, TxCause::AckNow(AckReason::Fin));
    assert_eq!(
        from_a[0].tcp.ack_number,
        Some(seq_end(p.sent_by(Side::B, t)[1]))
    );
}

#[test]
fn the_first_to_close_waits_exactly_two_msl_in_time_wait() {
    let mut p = pair(4);
    let (c, s) = p.handshake(21);
    p.close(Side::B, s);
    let fin_at = until_event(&mut p, Side::A, &Event::PeerFin { conn: c });
    p.run_for(ms(5));
    p.close(Side::A, c);
    p.run_for(ms(10));
    // Four segments: FIN, ACK, FIN, ACK.
    let close: Vec<_> = p
        .log
        .iter()
        .filter(|r| r.at >= fin_at - ms(1))
        .map(|r| (r.from, r.flags()))
        .collect();
    assert_eq!(
        close,
        vec![
            (Side::B, "FIN, ACK".to_string()),
            (Side::A, "ACK".to_string()),
            (Side::A, "FIN, ACK".to_string()),
            (Side::B, "ACK".to_string()),
        ]
    );
    assert_eq!(p.a.state(c), Some(State::Closed));
    let tw = p
        .when(Side::B, |e| {
            matches!(
                e,
                Event::StateChanged {
                    to: State::TimeWait,
                    ..
                }
            )
        })
        .unwrap();
    p.run_until(tw + Duration::from_secs(240) - Duration::from_nanos(1));
    assert_eq!(p.b.state(s), Some(State::TimeWait));
    p.run_until(tw + Duration::from_secs(240));
    assert_eq!(p.b.state(s), Some(State::Closed));
    assert_eq!(
        p.when(Side::B, |e| *e
            == Event::Closed {
                conn: s,
                reason: CloseReason::Normal
            }),
        Some(tw + Duration::from_secs(240))
    );
}

#[test]
fn a_simultaneous_close_leaves_both_sides_in_time_wait() {
    // RFC 9293 3.6, Figure 13: FINs cross, both go through CLOSING.
    let mut p = pair(16);
    let (c, s) = p.handshake(21);
    p.close(Side::A, c);
    p.close(Side::B, s);
    p.run_for(ms(10));
    for (side, conn) in [(Side::A, c), (Side::B, s)] {
        assert_eq!(
            p.ep_ref(side).state(conn),
            Some(State::TimeWait),
            "{side:?}"
        );
        assert!(p.events.iter().any(|(_, sd, e)| *sd == side
            && *e
                == Event::StateChanged {
                    conn,
                    from: State::FinWait1,
                    to: State::Closing,
                    cause: StateCause::RecvFin
                }));
    }
    // The FINs cross, then each side ACKs the other's (same instant).
    let mut flags: Vec<_> = p.log.iter().skip(3).map(|r| (r.flags(), r.from)).collect();
    flags.sort();
    assert_eq!(
        flags,
        vec![
            ("ACK".to_string(), Side::A),
            ("ACK".to_string(), Side::B),
            ("FIN, ACK".to_string(), Side::A),
            ("FIN, ACK".to_string(), Side::B),
        ]
    );
    p.run_for(Duration::from_secs(241));
    assert_eq!(p.a.state(c), Some(State::Closed));
    assert_eq!(p.b.state(s), Some(State::Closed));
}

#[test]
fn a_syn_to_a_closed_port_is_refused() {
    let mut p = pair(5);
    let c = p.connect(Side::A, 21, None);
    p.run_for(ms(10));
    let kinds: Vec<_> = p.log.iter().map(|r| (r.from, r.flags(), r.cause)).collect();
    assert_eq!(
        kinds,
        vec![
            (Side::A, "SYN".to_string(), TxCause::Syn),
            (
                Side::B,
                "RST, ACK".to_string(),
                TxCause::Rst(RstReason::ClosedPort)
            ),
        ]
    );
    assert_eq!(p.a.state(c), Some(State::Closed));
    assert!(p.events.iter().any(|(_, s, e)| *s == Side::A
        && *e
            == Event::Closed {
                conn: c,
                reason: CloseReason::Refused
            }));
    let mut buf = [0u8; 4];
    assert_eq!(p.a.recv(c, &mut buf), Err(TcpError::Refused));
}

#[test]
fn an_unanswered_syn_is_retried_at_3_and_9_seconds_then_times_out() {
    let mut p = pair(6);
    p.link.blackhole = true;
    let c = p.connect(Side::A, 21, None);
    p.run_to_end(Instant::from_millis(100_000));
    let times: Vec<_> = p.log.iter().map(|r| r.at.as_nanos() / 1_000_000).collect();
    assert_eq!(times, vec![0, 3000, 9000]);
    assert_eq!(
        p.when(Side::A, |e| *e
            == Event::Closed {
                conn: c,
                reason: CloseReason::TimedOut
            }),
        Some(at_ms(21_000))
    );
}

#[test]
fn linux_retries_syns_at_1_3_7_15_31_63_seconds() {
    let mut p = Pair::new(
        Profile::linux(),
        Profile::linux(),
        LinkConfig::delay_ms(1),
        7,
    );
    p.link.blackhole = true;
    let c = p.connect(Side::A, 21, None);
    p.run_to_end(Instant::from_millis(1_000_000));
    let times: Vec<_> = p
        .log
        .iter()
        .map(|r| r.at.as_nanos() / 1_000_000_000)
        .collect();
    assert_eq!(times, vec![0, 1, 3, 7, 15, 31, 63]);
    assert_eq!(
        p.when(Side::A, |e| *e
            == Event::Closed {
                conn: c,
                reason: CloseReason::TimedOut
            }),
        Some(at_ms(127_000))
    );
}

#[test]
fn the_retransmission_timeout_doubles() {
    let mut p = pair(8);
    let (c, _s) = p.handshake(21);
    p.link.blackhole = true;
    let t = p.now;
    p.send(Side::A, c, b"RETR big\r\n");
    p.run_for(Duration::from_secs(10));
    let gaps: Vec<_> = p
        .sent_by(Side::A, t)
        .iter()
        .map(|r| (r.at - t).as_millis())
        .collect();
    // RTT of 2 ms: RTO = max(SRTT + 4 RTTVAR, 300 ms) = 300 ms, doubling.
    assert_eq!(gaps, vec![0, 300, 900, 2100, 4500, 9300]);
    let kinds: Vec<_> = p
        .sent_by(Side::A, t)
        .iter()
        .map(|r| r.retransmission.map(|x| x.kind))
        .collect();
    assert_eq!(kinds[1], Some(RetxKind::Rto { backoff: 1 }));
    assert_eq!(kinds[5], Some(RetxKind::Rto { backoff: 5 }));
    p.run_for(Duration::from_secs(60));
    assert_eq!(p.a.state(c), Some(State::Closed));
    assert!(p.events.iter().any(|(_, _, e)| *e
        == Event::Closed {
            conn: c,
            reason: CloseReason::TimedOut
        }));
}

fn bulk(p: &mut Pair, from: Side, c: ConnId, to_conn: ConnId, len: usize, seed: u64) -> Vec<u8> {
    let data = pattern(len, seed);
    p.senders.push(Transfer {
        side: from,
        conn: c,
        data: data.clone(),
        offset: 0,
        close_when_done: true,
        closed: false,
    });
    p.receivers.push((from.other(), to_conn, Vec::new()));
    p.pump();
    data
}

fn received(p: &Pair, side: Side, conn: ConnId) -> &[u8] {
    &p.receivers
        .iter()
        .find(|(s, c, _)| *s == side && *c == conn)
        .unwrap()
        .2
}

#[test]
fn fast_retransmit_on_three_duplicate_acks() {
    let mut p = Pair::new(
        Profile::linux(),
        Profile::linux(),
        LinkConfig::delay_ms(5),
        9,
    );
    let (c, s) = p.handshake(21);
    let iss = p.a.snapshot(c).unwrap().vars.snd_nxt;
    let mss = 1448;
    let lost = iss + 2 * mss;
    p.drop_once.insert((Side::A, lost.0));
    let data = bulk(&mut p, Side::A, c, s, 100_000, 1);
    p.run_for(Duration::from_secs(5));
    assert_eq!(received(&p, Side::B, s), &data[..]);
    let retx: Vec<_> = p
        .log
        .iter()
        .filter(|r| r.from == Side::A && r.retransmission.is_some())
        .map(|r| (r.tcp.seq_number, r.retransmission.unwrap().kind))
        .collect();
    assert_eq!(retx, vec![(lost, RetxKind::Fast)]);
    // Three duplicate ACKs came before it.
    let dups = p
        .log
        .iter()
        .filter(|r| r.from == Side::B && r.tcp.ack_number == Some(lost) && r.len() == 0)
        .count();
    assert!(
        dups >= 4,
        "the first ACK of {lost} and three duplicates, got {dups}"
    );
}

#[test]
fn newreno_retransmits_on_partial_acks() {
    let mut p = Pair::new(
        Profile::linux(),
        Profile::linux(),
        LinkConfig::delay_ms(5),
        10,
    );
    let (c, s) = p.handshake(21);
    let iss = p.a.snapshot(c).unwrap().vars.snd_nxt;
    let mss = 1448;
    let lost1 = iss + 2 * mss;
    let lost2 = iss + 6 * mss;
    p.drop_once.insert((Side::A, lost1.0));
    p.drop_once.insert((Side::A, lost2.0));
    let data = bulk(&mut p, Side::A, c, s, 100_000, 2);
    p.run_for(Duration::from_secs(5));
    assert_eq!(received(&p, Side::B, s), &data[..]);
    let retx: Vec<_> = p
        .log
        .iter()
        .filter(|r| r.from == Side::A && r.retransmission.is_some())
        .map(|r| (r.tcp.seq_number, r.retransmission.unwrap().kind))
        .collect();
    assert_eq!(
        retx,
        vec![
            (lost1, RetxKind::Fast),
            (lost2, RetxKind::NewRenoPartialAck)
        ]
    );
}

fn bulk_both_ways(pa: Profile, pb: Profile, len: usize, seed: u64) -> Pair {
    let mut p = Pair::new(pa, pb, LinkConfig::delay_ms(2), seed);
    p.log_payloads = false;
    let (c, s) = p.handshake(21);
    let up = bulk(&mut p, Side::A, c, s, len, seed);
    let down = bulk(&mut p, Side::B, s, c, len, seed + 1);
    p.run_for(Duration::from_secs(600));
    assert_eq!(received(&p, Side::B, s).len(), up.len());
    assert!(received(&p, Side::B, s) == &up[..]);
    assert!(received(&p, Side::A, c) == &down[..]);
    for (side, conn) in [(Side::A, c), (Side::B, s)] {
        assert_eq!(p.ep_ref(side).state(conn), Some(State::Closed), "{side:?}");
    }
    p
}

#[test]
fn bulk_transfer_of_a_few_mib_each_way_classic_windows() {
    let p = bulk_both_ways(classic(), classic(), 3 << 20, 11);
    assert!(
        p.log.iter().all(|r| r.retransmission.is_none()),
        "no loss, no retransmission"
    );
}

#[test]
fn bulk_transfer_of_a_few_mib_each_way_linux() {
    let p = bulk_both_ways(Profile::linux(), Profile::linux(), 3 << 20, 12);
    assert!(p.log.iter().all(|r| r.retransmission.is_none()));
    // Window scaling is in use: windows above 64 KiB were offered.
    assert!(p.log.iter().any(|r| r.vars.snd_wnd > 65535));
}

#[test]
fn bulk_transfer_between_different_stacks() {
    bulk_both_ways(classic(), Profile::linux(), 1 << 20, 13);
}

#[test]
fn a_zero_window_is_probed_and_reopened_by_the_reader() {
    let small = Profile {
        recv_buffer: 8192,
        ..classic()
    };
    let mut p = Pair::new(classic(), small, LinkConfig::delay_ms(1), 14);
    let (c, s) = p.handshake(21);
    p.reading = false;
    let data = bulk(&mut p, Side::A, c, s, 40_000, 3);
    p.run_for(Duration::from_secs(5));
    // The SYN offered 5 × 1460 = 7300 (rounded to the MSS) and receiver
    // SWS avoidance never moves the edge by less than an MSS, so 7300 of
    // the 8192 bytes are used.
    assert_eq!(p.b.recv_available(s), 7300, "the reader's window is full");
    let zero = p
        .log
        .iter()
        .filter(|r| r.from == Side::B && r.tcp.window == 0)
        .count();
    assert!(zero > 0, "the receiver advertised a zero window");
    let probes: Vec<_> = p
        .log
        .iter()
        .filter(|r| r.cause == TxCause::ZeroWindowProbe)
        .map(|r| r.at)
        .collect();
    assert!(probes.len() >= 2, "persist probes: {probes:?}");
    // Exponential backoff between probes.
    assert!(probes[1] - probes[0] > ms(300));
    p.reading = true;
    p.pump();
    let update = p.log.last().unwrap();
    assert_eq!(update.from, Side::B);
    assert_eq!(update.cause, TxCause::AckNow(AckReason::WindowUpdate));
    p.run_for(Duration::from_secs(30));
    assert_eq!(received(&p, Side::B, s), &data[..]);
}

#[test]
fn ephemeral_ports_are_sequential_or_random_by_profile() {
    let seq = Profile {
        ephemeral: Ephemeral {
            kind: EphemeralKind::Sequential,
            first: 1025,
            last: 65535,
            start: Some(51299),
        },
        ..classic()
    };
    let mut ep = Endpoint::new(A_IP, seq);
    let mut rng = Rng(1);
    let a = ep.alloc_ephemeral_port(&mut rng).unwrap();
    let l = ep.listen_on_port(a, None).unwrap();
    let b = ep.alloc_ephemeral_port(&mut rng).unwrap();
    assert_eq!((a, b), (51299, 51300));
    ep.unlisten(l);
    let c = ep
        .connect(
            Instant::ZERO,
            std::net::SocketAddrV4::new(B_IP, 21),
            None,
            &mut rng,
        )
        .unwrap();
    assert_eq!(ep.local_addr(c).unwrap().port(), 51301);

    let mut ep = Endpoint::new(A_IP, Profile::linux());
    let ports: Vec<_> = (0..4)
        .map(|_| ep.alloc_ephemeral_port(&mut rng).unwrap())
        .collect();
    assert!(ports.iter().all(|p| (32768..=60999).contains(p)));
    assert!(
        ports.windows(2).any(|w| w[1] != w[0] + 1),
        "random, not sequential: {ports:?}"
    );

    // A full range is an error, not a loop.
    let tiny = Profile {
        ephemeral: Ephemeral {
            kind: EphemeralKind::Sequential,
            first: 5000,
            last: 5001,
            start: None,
        },
        ..classic()
    };
    let mut ep = Endpoint::new(A_IP, tiny);
    for _ in 0..2 {
        let p = ep.alloc_ephemeral_port(&mut rng).unwrap();
        ep.listen(p).unwrap();
    }
    assert_eq!(
        ep.alloc_ephemeral_port(&mut rng),
        Err(TcpError::NoEphemeralPorts)
    );
}

#[test]
fn a_run_is_a_function_of_its_seed() {
    let run = |seed| {
        let mut p = Pair::new(
            Profile::linux(),
            classic(),
            LinkConfig {
                delay: ms(3),
                loss: 50,
                dup: 30,
                reorder: 50,
                reorder_by: ms(4),
                blackhole: false,
            },
            seed,
        );
        p.b.listen(21).unwrap();
        let c = p.connect(Side::A, 21, None);
        p.run_for(Duration::from_secs(30));
        let s = p.accepted(Side::B).unwrap();
        bulk(&mut p, Side::A, c, s, 50_000, 5);
        p.run_for(Duration::from_secs(60));
        p.log
            .iter()
            .map(|r| {
                (
                    r.at,
                    r.from,
                    r.tcp.seq_number,
                    r.tcp.ack_number,
                    r.len(),
                    r.dropped,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}

/// The walkthrough's default scenario, driven by a scripted stand-in for
/// the FTP apps with the timing model's parameters: the TCP must produce
/// the 37-segment reference ladder.
#[test]
fn the_walkthrough_ladder_comes_out_of_the_timing_model() {
    let client = Profile {
        ephemeral: Ephemeral {
            kind: EphemeralKind::Sequential,
            first: 1025,
            last: 65535,
            start: Some(51299),
        },
        ..classic()
    };
    let mut p = Pair::new(client, classic(), LinkConfig::delay_ms(1), 15);
    let think = Duration::from_secs(3);
    let server_delay = ms(300);
    p.b.listen(21).unwrap();
    let c = p.connect(Side::A, 21, None);
    p.run_for(ms(10));
    let s = p.accepted(Side::B).unwrap();
    // As vsftpd: TCP_NODELAY on the control connection, or the 226 would
    // wait behind the unacknowledged 150 (Nagle).
    p.b.set_nodelay(s, true);
    p.send(Side::B, s, b"220 (vsFTPd 2.0.5)\r\n");
    until_readable(&mut p, Side::A, c);
    p.read_all(Side::A, c);

    // A command from the user and an answer after `delay`.
    let exchange = |p: &mut Pair, cmd: &[u8], reply: &[u8], delay: Duration| {
        p.run_for(think);
        p.send(Side::A, c, cmd);
        let at = until_readable(p, Side::B, s);
        p.read_all(Side::B, s);
        p.run_until(at + delay);
        p.send(Side::B, s, reply);
        let at = until_readable(p, Side::A, c);
        p.read_all(Side::A, c);
        at
    };
    exchange(
        &mut p,
        b"USER anonymous\r\n",
        b"331 Please specify the password.\r\n",
        server_delay,
    );
    exchange(
        &mut p,
        b"PASS guest\r\n",
        b"230 Login successful.\r\n",
        server_delay,
    );
    let data_port = p.a.alloc_ephemeral_port(&mut p.rng_a).unwrap();
    assert_eq!(data_port, 51300);
    p.a.listen_on_port(data_port, Some(B_IP)).unwrap();
    let got_200 = exchange(
        &mut p,
        b"PORT 192,168,120,168,200,100\r\n",
        b"200 PORT command successful.\r\n",
        server_delay,
    );
    // The client sends NLST by itself, at once.
    p.run_until(got_200 + ms(1));
    p.send(Side::A, c, b"NLST\r\n");
    until_readable(&mut p, Side::B, s);
    p.read_all(Side::B, s);
    let d = p.connect(Side::B, data_port, Some(20));
    until_event(&mut p, Side::B, &Event::Connected { conn: d });
    p.send(Side::B, s, b"150 Here comes the directory listing.\r\n");
    p.send(Side::B, d, b"pub\r\nREADME\r\n");
    p.close(Side::B, d);
    until_event(&mut p, Side::B, &Event::AllAcked { conn: d });
    p.send(Side::B, s, b"226 Directory send OK.\r\n");
    let dc = p.accepted(Side::A).unwrap();
    // The client reads the 150 and the 226, then closes its side of the
    // data connection.
    let mut text = Vec::new();
    while !String::from_utf8_lossy(&text).contains("226") {
        assert!(p.step(), "the 226 never arrived");
        text.extend(p.read_all(Side::A, c));
    }
    p.read_all(Side::A, dc);
    p.close(Side::A, dc);
    exchange(&mut p, b"PWD\r\n", b"257 \"/\"\r\n", ms(1));
    p.run_for(think);
    p.send(Side::A, c, b"QUIT\r\n");
    until_readable(&mut p, Side::B, s);
    p.read_all(Side::B, s);
    p.run_for(ms(1));
    p.send(Side::B, s, b"221 Goodbye.\r\n");
    p.close(Side::B, s);
    until_event(&mut p, Side::A, &Event::PeerFin { conn: c });
    p.read_all(Side::A, c);
    p.close(Side::A, c);
    p.run_for(Duration::from_secs(1));

    let ctl = |r: &Record| r.tcp.src_port == 21 || r.tcp.dst_port == 21;
    let ladder: Vec<(&str, &str, String, String)> = p
        .log
        .iter()
        .map(|r| {
            let text = String::from_utf8_lossy(&r.payload);
            let word = text.split_whitespace().next().unwrap_or("–").to_string();
            (
                if ctl(r) { "ctl" } else { "data" },
                if r.from == Side::A { "C→S" } else { "S→C" },
                r.flags(),
                word,
            )
        })
        .collect();
    let want: Vec<(&str, &str, &str, &str)> = vec![
        ("ctl", "C→S", "SYN", "–"),
        ("ctl", "S→C", "SYN, ACK", "–"),
        ("ctl", "C→S", "ACK", "–"),
        ("ctl", "S→C", "PSH, ACK", "220"),
        ("ctl", "C→S", "ACK", "–"),
        ("ctl", "C→S", "PSH, ACK", "USER"),
        ("ctl", "S→C", "ACK", "–"),
        ("ctl", "S→C", "PSH, ACK", "331"),
        ("ctl", "C→S", "ACK", "–"),
        ("ctl", "C→S", "PSH, ACK", "PASS"),
        ("ctl", "S→C", "ACK", "–"),
        ("ctl", "S→C", "PSH, ACK", "230"),
        ("ctl", "C→S", "ACK", "–"),
        ("ctl", "C→S", "PSH, ACK", "PORT"),
        ("ctl", "S→C", "ACK", "–"),
        ("ctl", "S→C", "PSH, ACK", "200"),
        ("ctl", "C→S", "PSH, ACK", "NLST"),
        ("data", "S→C", "SYN", "–"),
        ("data", "C→S", "SYN, ACK", "–"),
        ("data", "S→C", "ACK", "–"),
        ("ctl", "S→C", "PSH, ACK", "150"),
        ("data", "S→C", "PSH, ACK", "pub"),
        ("data", "S→C", "FIN, ACK", "–"),
        ("data", "C→S", "ACK", "–"),
        ("ctl", "S→C", "PSH, ACK", "226"),
        ("ctl", "C→S", "ACK", "–"),
        ("data", "C→S", "FIN, ACK", "–"),
        ("data", "S→C", "ACK", "–"),
        ("ctl", "C→S", "PSH, ACK", "PWD"),
        ("ctl", "S→C", "PSH, ACK", "257"),
        ("ctl", "C→S", "ACK", "–"),
        ("ctl", "C→S", "PSH, ACK", "QUIT"),
        ("ctl", "S→C", "PSH, ACK", "221"),
        ("ctl", "S→C", "FIN, ACK", "–"),
        ("ctl", "C→S", "ACK", "–"),
        ("ctl", "C→S", "FIN, ACK", "–"),
        ("ctl", "S→C", "ACK", "–"),
    ];
    let got: Vec<(&str, &str, &str, &str)> = ladder
        .iter()
        .map(|(a, b, c, d)| (*a, *b, c.as_str(), d.as_str()))
        .collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "segment {}", i + 1);
    }
    assert_eq!(got.len(), 37);
    // The server closed both connections first: TIME-WAIT; the client's
    // sockets are CLOSED.
    assert_eq!(p.b.state(s), Some(State::TimeWait));
    assert_eq!(p.b.state(d), Some(State::TimeWait));
    assert_eq!(p.a.state(c), Some(State::Closed));
    assert_eq!(p.a.state(dc), Some(State::Closed));
    // Sequence numbers are the connection's own: every ACK the client
    // sends on the control connection acknowledges exactly what the server
    // had sent before it.
    let mut server_next = None;
    for r in p.log.iter().filter(|r| ctl(r)) {
        match r.from {
            Side::B => server_next = Some(seq_end(r)),
            Side::A => {
                if let (Some(a), Some(n)) = (r.tcp.ack_number, server_next) {
                    assert_eq!(a, n);
                }
            }
        }
    }
    let _ = SeqNumber(0);
}

#[allow(dead_code)]
fn dump(p: &Pair) {
    for r in &p.log {
        eprintln!(
            "{} {:?} {}->{} {} seq={} ack={:?} len={} win={} {:?} {:?}",
            r.at,
            r.from,
            r.tcp.src_port,
            r.tcp.dst_port,
            r.flags(),
            r.tcp.seq_number.0,
            r.tcp.ack_number.map(|a| a.0),
            r.len(),
            r.tcp.window,
            r.cause,
            r.retransmission
        );
    }
}
