//! Timers and the sender's algorithms: delayed ACK (RFC 1122 4.2.3.2,
//! RFC 9293 3.8.6.3), retransmission timeout (RFC 6298), SYN retries,
//! persist (RFC 9293 3.8.6.1), fast retransmit and NewReno (RFC 5681,
//! RFC 6582).

use super::*;

fn delack() -> Profile {
    Profile {
        delayed_ack: Some(Duration::from_millis(200)),
        ..profile()
    }
}

#[test]
fn a_lone_segment_is_acked_when_the_delayed_ack_timer_fires() {
    let mut h = established_with(delack());
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), flags: PSH, payload: b"USER a");
    h.nothing();
    assert_eq!(
        h.snapshot().timers,
        vec![(TimerKind::DelayedAck, h.now + Duration::from_millis(200))]
    );
    h.advance(Duration::from_millis(199));
    h.nothing();
    h.advance(Duration::from_millis(1));
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 7), window: 58);
    assert_eq!(s.cause, TxCause::DelayedAckTimer);
    assert!(h.has_event(&Event::TimerFired {
        conn: h.conn,
        timer: TimerKind::DelayedAck
    }));
}

#[test]
fn the_second_unacked_segment_is_acked_at_once() {
    // RFC 1122 4.2.3.2 and Windows' TcpAckFrequency = 2.
    let mut h = established_with(delack());
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"150");
    h.nothing();
    h.advance(Duration::from_millis(50));
    send!(h, seq_number: REMOTE_SEQ + 4, ack_number: Some(LOCAL_SEQ + 1), payload: b"226");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 7), window: 58);
    assert_eq!(s.cause, TxCause::AckNow(AckReason::EveryNth));
    assert!(
        h.snapshot().timers.is_empty(),
        "the ACK cancelled the timer"
    );
}

#[test]
fn a_quick_reply_carries_the_ack() {
    // RFC 9293 3.8.6.3: the ACK rides on the reply (piggybacking) and the
    // timer is cancelled.
    let mut h = established_with(delack());
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"PWD");
    h.nothing();
    h.advance(Duration::from_millis(1));
    h.app_send(b"257");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 4), flags: PSH, payload: b"257", window: 61);
    send!(h, seq_number: REMOTE_SEQ + 4, ack_number: Some(LOCAL_SEQ + 4));
    h.advance(Duration::from_millis(300));
    h.nothing();
}

#[test]
fn a_fin_is_acked_at_once_with_the_data_before_it() {
    let mut h = established_with(delack());
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"abc");
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ + 4, ack_number: Some(LOCAL_SEQ + 1), flags: FIN);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 5), window: 61);
    assert_eq!(s.cause, TxCause::AckNow(AckReason::Fin));
}

#[test]
fn linux_style_acks_after_two_full_sized_segments() {
    let p = Profile {
        delayed_ack: Some(Duration::from_millis(40)),
        ack_every: AckEvery::FullSizedBytes(2),
        recv_buffer: 8000,
        ..profile()
    };
    let mut h = established_with(p);
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: &[1; 1460]);
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ + 1461, ack_number: Some(LOCAL_SEQ + 1), payload: &[1; 1460]);
    let s = h.next().unwrap();
    assert_eq!(s.tcp.ack_number, Some(REMOTE_SEQ + 2921));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::EveryNth));
    send!(h, seq_number: REMOTE_SEQ + 2921, ack_number: Some(LOCAL_SEQ + 1), payload: &[1; 100]);
    h.nothing();
    h.advance(Duration::from_millis(40));
    assert_eq!(h.next().unwrap().cause, TxCause::DelayedAckTimer);
}

#[test]
fn quick_ack_mode_acks_the_first_segments_at_once() {
    let p = Profile {
        delayed_ack: Some(Duration::from_millis(40)),
        quickack_segments: 2,
        ..profile()
    };
    let mut h = established_with(p);
    for (i, d) in [b"a", b"b"].iter().enumerate() {
        send!(h, seq_number: REMOTE_SEQ + 1 + i, ack_number: Some(LOCAL_SEQ + 1), payload: *d);
        assert_eq!(
            h.next().unwrap().cause,
            TxCause::AckNow(AckReason::QuickAck)
        );
    }
    send!(h, seq_number: REMOTE_SEQ + 3, ack_number: Some(LOCAL_SEQ + 1), payload: b"c");
    h.nothing();
}

#[test]
fn the_rto_doubles_on_each_timeout() {
    // RFC 6298 (5.5): "RTO <- RTO * 2"; (5.4) retransmit the earliest
    // segment not acknowledged.
    let mut h = established();
    assert_eq!(
        h.snapshot().vars.rto,
        Duration::from_millis(300),
        "rto_min after a 0 ms RTT"
    );
    h.app_send(b"abc");
    h.next().unwrap();
    let sent = h.run(Duration::from_millis(2100));
    let got: Vec<_> = sent
        .iter()
        .map(|s| {
            (
                s.at.as_nanos() / 1_000_000,
                s.retransmission.map(|r| r.kind),
                s.vars.rto,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                300,
                Some(RetxKind::Rto { backoff: 1 }),
                Duration::from_millis(600)
            ),
            (
                900,
                Some(RetxKind::Rto { backoff: 2 }),
                Duration::from_millis(1200)
            ),
            (
                2100,
                Some(RetxKind::Rto { backoff: 3 }),
                Duration::from_millis(2400)
            ),
        ]
    );
    assert!(
        sent.iter()
            .all(|s| s.tcp.payload == b"abc" && s.tcp.seq_number == LOCAL_SEQ + 1)
    );
    assert!(h.has_event(&Event::TimerFired {
        conn: h.conn,
        timer: TimerKind::Retransmit { backoff: 3 }
    }));
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 4));
    assert!(
        h.snapshot().timers.is_empty(),
        "RFC 6298 (5.2): all acked, timer off"
    );
}

#[test]
fn data_retries_run_out_and_the_connection_times_out() {
    // classic-windows TcpMaxDataRetransmissions = 5: five retransmissions,
    // the sixth timeout closes (RFC 9293 3.8.3, R2).
    let mut h = established();
    h.app_send(b"abc");
    h.next().unwrap();
    let sent = h.run(Duration::from_secs(60));
    assert_eq!(sent.len(), 5);
    assert_eq!(h.state(), State::Closed);
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::TimedOut
    }));
    // 0.3 + 0.6 + 1.2 + 2.4 + 4.8 + 9.6 s.
    let closed_at = h
        .events
        .iter()
        .position(|e| matches!(e, Event::Closed { .. }));
    assert!(closed_at.is_some());
    assert_eq!(h.ep.poll_timeout(), None);
}

#[test]
fn an_unanswered_syn_is_retried_at_3_and_9_seconds_then_times_out() {
    // classic-windows: initial RTO 3 s, TcpMaxConnectRetransmissions = 2,
    // as the walkthrough's *denied captures show.
    let mut h = syn_sent_with(Profile {
        isn: Some(LOCAL_SEQ.0),
        ..Profile::classic_windows()
    });
    let sent = h.run(Duration::from_secs(60));
    let times: Vec<_> = sent
        .iter()
        .map(|s| s.at.as_nanos() / 1_000_000_000)
        .collect();
    assert_eq!(times, vec![0, 3, 9]);
    assert_eq!(
        sent[2].retransmission,
        Some(Retransmission {
            of_seq: LOCAL_SEQ,
            kind: RetxKind::SynRetry { attempt: 2 }
        })
    );
    assert_eq!(h.state(), State::Closed);
    let fired: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::TimerFired { timer, .. } => Some(*timer),
            _ => None,
        })
        .collect();
    assert_eq!(
        fired,
        vec![
            TimerKind::SynRetry { attempt: 1 },
            TimerKind::SynRetry { attempt: 2 },
            TimerKind::SynRetry { attempt: 3 }
        ]
    );
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::TimedOut
    }));
    let closed = h.events.iter().any(|e| {
        matches!(
            e,
            Event::StateChanged {
                cause: StateCause::RetransmitLimit,
                ..
            }
        )
    });
    assert!(closed);
}

#[test]
fn after_a_syn_timeout_data_starts_with_one_segment_and_a_3s_rto() {
    // RFC 5681 3.1 (IW of one segment after a lost SYN) and RFC 6298 (5.7).
    let mut h = syn_sent_with(Profile {
        rto_initial: Duration::from_secs(1),
        syn_rto_initial: Duration::from_secs(1),
        ..profile()
    });
    h.run(Duration::from_secs(1));
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, options: MSS_1460);
    h.next().unwrap();
    let v = h.snapshot().vars;
    assert_eq!(v.cwnd, 1460);
    assert_eq!(v.rto, Duration::from_secs(3));
}

#[test]
fn a_zero_window_is_probed_with_backoff_until_it_opens() {
    // RFC 9293 3.8.6.1: "The transmitting host SHOULD send the first
    // zero-window probe when a zero window has existed for the
    // retransmission timeout period, and SHOULD increase exponentially the
    // interval between successive probes."
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), window: 0);
    h.app_send(b"abc");
    h.nothing();
    let sent = h.run(Duration::from_millis(300));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].cause, TxCause::ZeroWindowProbe);
    assert_eq!(
        sent[0].tcp,
        TcpRepr {
            seq_number: LOCAL_SEQ + 1,
            ack_number: Some(REMOTE_SEQ + 1),
            payload: b"a",
            ..RECV_TEMPL
        }
    );
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), window: 0);
    h.nothing();
    assert!(h.run(Duration::from_millis(599)).is_empty());
    let sent = h.run(Duration::from_millis(1));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].cause, TxCause::ZeroWindowProbe);
    assert!(h.has_event(&Event::TimerFired {
        conn: h.conn,
        timer: TimerKind::Persist { backoff: 2 }
    }));
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), window: 256);
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"abc");
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 4), window: 256);
    assert!(h.snapshot().timers.is_empty());
}

#[test]
fn an_accepted_probe_byte_is_acknowledged_normally() {
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), window: 0);
    h.app_send(b"abc");
    h.run(Duration::from_millis(300));
    // The receiver had room for one byte after all.
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 2), window: 256);
    recv!(h, seq_number: LOCAL_SEQ + 2, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"bc");
}

fn mss64() -> H {
    let p = Profile {
        send_buffer: 2000,
        initial_cwnd_segments: 10,
        ..profile()
    };
    let mut h = syn_sent_with(p);
    h.next().unwrap();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, window: 2000,
        options: TcpOptions { mss: Some(64), ..TcpOptions::NONE });
    h.next().unwrap();
    h.app_send(&[9; 640]);
    for i in 0..10 {
        let s = h.next().unwrap();
        assert_eq!(
            (s.tcp.seq_number, s.tcp.payload.len()),
            (LOCAL_SEQ + 1 + 64 * i, 64)
        );
    }
    h.nothing();
    h
}

fn dup_ack(h: &mut H, ack: SeqNumber) {
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(ack), window: 2000);
}

#[test]
fn fast_retransmit_on_the_third_duplicate_ack_then_newreno() {
    let mut h = mss64();
    dup_ack(&mut h, LOCAL_SEQ + 65);
    assert_eq!(h.snapshot().vars.cwnd, 704, "slow start");
    dup_ack(&mut h, LOCAL_SEQ + 65);
    dup_ack(&mut h, LOCAL_SEQ + 65);
    h.nothing();
    assert_eq!(h.snapshot().dup_acks, 2);
    dup_ack(&mut h, LOCAL_SEQ + 65);
    // RFC 5681 3.2 steps 2-3: ssthresh = max(FlightSize/2, 2*SMSS) = 288,
    // retransmit, cwnd = ssthresh + 3*SMSS.
    let s =
        recv!(h, seq_number: LOCAL_SEQ + 65, ack_number: Some(REMOTE_SEQ + 1), payload: &[9; 64]);
    assert_eq!(
        s.retransmission,
        Some(Retransmission {
            of_seq: LOCAL_SEQ + 65,
            kind: RetxKind::Fast
        })
    );
    assert_eq!((s.vars.ssthresh, s.vars.cwnd), (288, 480));
    h.nothing();
    // Step 4: each further duplicate inflates cwnd by SMSS.
    dup_ack(&mut h, LOCAL_SEQ + 65);
    assert_eq!(h.snapshot().vars.cwnd, 544);
    assert!(h.snapshot().in_fast_recovery);
    // RFC 6582 3.2 step 5: a partial ACK retransmits the next hole and
    // deflates cwnd by the amount acknowledged, plus SMSS back.
    dup_ack(&mut h, LOCAL_SEQ + 257);
    let s =
        recv!(h, seq_number: LOCAL_SEQ + 257, ack_number: Some(REMOTE_SEQ + 1), payload: &[9; 64]);
    assert_eq!(s.retransmission.unwrap().kind, RetxKind::NewRenoPartialAck);
    assert_eq!(s.vars.cwnd, 544 - 192 + 64);
    h.nothing();
    // Step 3: the full ACK ends recovery: cwnd = min(ssthresh,
    // max(FlightSize, SMSS) + SMSS).
    dup_ack(&mut h, LOCAL_SEQ + 641);
    let snap = h.snapshot();
    assert!(!snap.in_fast_recovery);
    assert_eq!(snap.vars.cwnd, 128);
    assert!(h.has_event(&Event::AllAcked { conn: h.conn }));
}

#[test]
fn a_timeout_goes_back_n_in_slow_start() {
    // RFC 5681 3.1: after a timeout cwnd = 1 SMSS (loss window) and
    // ssthresh = max(FlightSize/2, 2*SMSS); everything from SND.UNA is
    // sent again.
    let mut h = mss64();
    let sent = h.run(Duration::from_millis(300));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].tcp.seq_number, LOCAL_SEQ + 1);
    assert_eq!(
        sent[0].retransmission.unwrap().kind,
        RetxKind::Rto { backoff: 1 }
    );
    assert_eq!((sent[0].vars.cwnd, sent[0].vars.ssthresh), (64, 320));
    dup_ack(&mut h, LOCAL_SEQ + 65);
    let a = h.next().unwrap();
    let b = h.next().unwrap();
    h.nothing();
    assert_eq!(
        (a.tcp.seq_number, b.tcp.seq_number),
        (LOCAL_SEQ + 65, LOCAL_SEQ + 129)
    );
    assert_eq!(a.retransmission.unwrap().kind, RetxKind::GoBackN);
    // The receiver had kept everything: one ACK covers it all.
    dup_ack(&mut h, LOCAL_SEQ + 641);
    h.nothing();
    let v = h.snapshot().vars;
    assert_eq!(
        (v.snd_una, v.snd_nxt, v.snd_max),
        (LOCAL_SEQ + 641, LOCAL_SEQ + 641, LOCAL_SEQ + 641)
    );
}

#[test]
fn probes_nobody_answers_time_out() {
    // A peer that keeps answering keeps the connection open (RFC 9293
    // 3.8.6.1); one that went silent is given up after data_retries.
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), window: 0);
    h.app_send(b"abc");
    let sent = h.run(Duration::from_secs(600));
    assert_eq!(sent.len(), 5);
    assert!(sent.iter().all(|s| s.cause == TxCause::ZeroWindowProbe));
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::TimedOut
    }));
}
