//! The closing states of RFC 9293 3.6 and 3.10.7.4: FIN-WAIT-1,
//! FIN-WAIT-2, CLOSING, TIME-WAIT, CLOSE-WAIT, LAST-ACK.

use super::*;

mod fin_wait_1 {
    use super::*;

    #[test]
    fn close_sends_fin_and_enters_fin_wait_1() {
        // RFC 9293 3.10.4, ESTABLISHED: "form a FIN segment and send it. In
        // any case, enter FIN-WAIT-1 state."
        let h = fin_wait_1();
        assert!(h.has_event(&Event::StateChanged {
            conn: h.conn,
            from: State::Established,
            to: State::FinWait1,
            cause: StateCause::AppClose,
        }));
    }

    #[test]
    fn the_ack_of_our_fin_moves_to_fin_wait_2() {
        // Fifth step, FIN-WAIT-1: "if the FIN segment is now acknowledged,
        // then enter FIN-WAIT-2".
        let h = fin_wait_2();
        assert!(h.has_event(&Event::AllAcked { conn: h.conn }));
        assert!(h.has_event(&Event::StateChanged {
            conn: h.conn,
            from: State::FinWait1,
            to: State::FinWait2,
            cause: StateCause::RecvAckOfFin,
        }));
    }

    #[test]
    fn a_fin_before_the_ack_of_ours_moves_to_closing() {
        // Eighth step, FIN-WAIT-1: "otherwise, enter the CLOSING state"
        // (simultaneous close, RFC 9293 Figure 13).
        let h = closing();
        assert!(h.has_event(&Event::PeerFin { conn: h.conn }));
    }

    #[test]
    fn fin_with_the_ack_of_ours_moves_to_time_wait() {
        // "If our FIN has been ACKed (perhaps in this segment), then enter
        // TIME-WAIT".
        let mut h = fin_wait_1();
        send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 2), flags: FIN);
        recv!(h, seq_number: LOCAL_SEQ + 2, ack_number: Some(REMOTE_SEQ + 2));
        assert_eq!(h.state(), State::TimeWait);
        let changes: Vec<_> = h
            .take_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::StateChanged { to, cause, .. } => Some((to, cause)),
                _ => None,
            })
            .collect();
        assert_eq!(
            changes[changes.len() - 2..],
            [
                (State::FinWait2, StateCause::RecvAckOfFin),
                (State::TimeWait, StateCause::RecvFin)
            ]
        );
    }

    #[test]
    fn data_is_still_received() {
        // A half close: the other direction stays open.
        let mut h = fin_wait_1();
        send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"abc");
        recv!(h, seq_number: LOCAL_SEQ + 2, ack_number: Some(REMOTE_SEQ + 4), window: 61);
        assert_eq!(h.app_recv(), b"abc");
    }

    #[test]
    fn the_fin_is_retransmitted_on_timeout() {
        let mut h = fin_wait_1();
        h.advance(Duration::from_millis(300));
        let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: FIN);
        assert_eq!(
            s.retransmission,
            Some(Retransmission {
                of_seq: LOCAL_SEQ + 1,
                kind: RetxKind::Rto { backoff: 1 }
            })
        );
    }

    #[test]
    fn an_exact_rst_resets() {
        let mut h = fin_wait_1();
        send!(h, seq_number: REMOTE_SEQ + 1, flags: RST);
        assert_eq!(h.state(), State::Closed);
    }
}

mod fin_wait_2 {
    use super::*;

    #[test]
    fn fin_moves_to_time_wait_and_is_acked_at_once() {
        let h = time_wait();
        assert!(h.has_event(&Event::StateChanged {
            conn: h.conn,
            from: State::FinWait2,
            to: State::TimeWait,
            cause: StateCause::RecvFin,
        }));
    }

    #[test]
    fn data_is_still_received() {
        let mut h = fin_wait_2();
        send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 2), payload: b"abc");
        recv!(h, seq_number: LOCAL_SEQ + 2, ack_number: Some(REMOTE_SEQ + 4), window: 61);
    }

    #[test]
    fn send_is_refused() {
        let mut h = fin_wait_2();
        assert_eq!(h.ep.send(h.now, h.conn, b"x"), Err(TcpError::Closing));
    }
}

mod closing_state {
    use super::*;

    #[test]
    fn the_ack_of_our_fin_moves_to_time_wait() {
        // Fifth step, CLOSING: "if the ACK acknowledges our FIN, then enter
        // the TIME-WAIT state".
        let mut h = closing();
        send!(h, seq_number: REMOTE_SEQ + 2, ack_number: Some(LOCAL_SEQ + 2));
        h.nothing();
        assert_eq!(h.state(), State::TimeWait);
    }

    #[test]
    fn an_ack_that_misses_our_fin_changes_nothing() {
        let mut h = closing();
        send!(h, seq_number: REMOTE_SEQ + 2, ack_number: Some(LOCAL_SEQ + 1));
        h.nothing();
        assert_eq!(h.state(), State::Closing);
    }
}

mod time_wait {
    use super::*;

    #[test]
    fn lasts_exactly_two_msl_then_closes() {
        // RFC 9293 3.10.8: "If the time-wait timeout expires on a
        // connection, delete the TCB, enter the CLOSED state".
        let mut h = time_wait();
        let s = h.snapshot();
        assert_eq!(
            s.timers,
            vec![(TimerKind::TimeWait, h.now + Duration::from_secs(240))]
        );
        assert!(h.ep.port_in_use(LOCAL_PORT));
        h.advance(Duration::from_secs(240) - Duration::from_nanos(1));
        assert_eq!(h.state(), State::TimeWait);
        h.advance(Duration::from_nanos(1));
        assert_eq!(h.state(), State::Closed);
        assert!(h.has_event(&Event::TimerFired {
            conn: h.conn,
            timer: TimerKind::TimeWait
        }));
        assert!(h.has_event(&Event::Closed {
            conn: h.conn,
            reason: CloseReason::Normal
        }));
        assert!(!h.ep.port_in_use(LOCAL_PORT));
        assert_eq!(h.ep.poll_timeout(), None);
        h.nothing();
    }

    #[test]
    fn a_retransmitted_fin_is_acked_and_restarts_the_timer() {
        // TIME-WAIT: "The only thing that can arrive in this state is a
        // retransmission of the remote FIN. Acknowledge it, and restart the
        // 2 MSL timeout."
        let mut h = time_wait();
        h.advance(Duration::from_secs(100));
        send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 2), flags: FIN);
        recv!(h, seq_number: LOCAL_SEQ + 2, ack_number: Some(REMOTE_SEQ + 2));
        h.advance(Duration::from_secs(239));
        assert_eq!(h.state(), State::TimeWait);
        h.advance(Duration::from_secs(1));
        assert_eq!(h.state(), State::Closed);
    }

    #[test]
    fn an_exact_rst_closes() {
        // Second step, TIME-WAIT: "If the RST bit is set, then enter the
        // CLOSED state, delete the TCB".
        let mut h = time_wait();
        send!(h, seq_number: REMOTE_SEQ + 2, flags: RST);
        assert_eq!(h.state(), State::Closed);
    }

    #[test]
    fn a_syn_gets_a_challenge_ack() {
        let mut h = time_wait();
        send!(h, seq_number: REMOTE_SEQ + 2, flags: SYN);
        let s = recv!(h, seq_number: LOCAL_SEQ + 2, ack_number: Some(REMOTE_SEQ + 2));
        assert_eq!(s.cause, TxCause::AckNow(AckReason::ChallengeAck));
        assert_eq!(h.state(), State::TimeWait);
    }

    #[test]
    fn the_four_tuple_stays_taken() {
        let mut h = time_wait();
        let remote = SocketAddrV4::new(REMOTE_IP, REMOTE_PORT);
        assert_eq!(
            h.ep.connect(h.now, remote, Some(LOCAL_PORT), &mut h.rng),
            Err(TcpError::AddrInUse)
        );
    }
}

mod close_wait {
    use super::*;

    #[test]
    fn data_can_still_be_sent() {
        let mut h = close_wait();
        h.app_send(b"221 bye");
        recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 2), flags: PSH, payload: b"221 bye");
    }

    #[test]
    fn close_sends_fin_and_enters_last_ack() {
        // RFC 9293 3.10.4, CLOSE-WAIT: "send a FIN segment, enter LAST-ACK".
        let h = last_ack();
        assert!(h.has_event(&Event::StateChanged {
            conn: h.conn,
            from: State::CloseWait,
            to: State::LastAck,
            cause: StateCause::AppClose,
        }));
    }

    #[test]
    fn text_after_the_fin_is_ignored() {
        // Seventh step, CLOSE-WAIT: "This should not occur since a FIN has
        // been received from the remote side. Ignore the segment text."
        let mut h = close_wait();
        send!(h, seq_number: REMOTE_SEQ + 2, ack_number: Some(LOCAL_SEQ + 1), payload: b"x");
        h.nothing();
        assert_eq!(h.ep.recv_available(h.conn), 0);
        assert!(h.has_event(&Event::SegmentRejected {
            conn: Some(h.conn),
            reason: RejectReason::DataAfterFin
        }));
    }
}

mod last_ack {
    use super::*;

    #[test]
    fn the_ack_of_our_fin_closes_without_time_wait() {
        // Fifth step, LAST-ACK: "If our FIN is now acknowledged, delete the
        // TCB, enter the CLOSED state, and return."
        let mut h = last_ack();
        send!(h, seq_number: REMOTE_SEQ + 2, ack_number: Some(LOCAL_SEQ + 2));
        h.nothing();
        assert_eq!(h.state(), State::Closed);
        assert!(h.has_event(&Event::Closed {
            conn: h.conn,
            reason: CloseReason::Normal
        }));
        assert!(!h.ep.port_in_use(LOCAL_PORT));
        assert_eq!(h.ep.conns().count(), 0);
    }

    #[test]
    fn the_fin_is_retransmitted() {
        let mut h = last_ack();
        h.advance(Duration::from_millis(300));
        recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 2), flags: FIN);
    }

    #[test]
    fn an_exact_rst_closes() {
        let mut h = last_ack();
        send!(h, seq_number: REMOTE_SEQ + 2, flags: RST);
        assert_eq!(h.state(), State::Closed);
    }
}
