//! RFC 9293 3.10.7.4 for SYN-RECEIVED.

use super::*;

#[test]
fn the_ack_of_our_syn_establishes_and_accepts() {
    // Fifth step, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then
    // enter ESTABLISHED state".
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1));
    h.nothing();
    assert_eq!(h.state(), State::Established);
    assert!(h.has_event(&Event::Accepted {
        listener: h.listener.unwrap(),
        conn: h.conn
    }));
    assert!(h.has_event(&Event::StateChanged {
        conn: h.conn,
        from: State::SynReceived,
        to: State::Established,
        cause: StateCause::RecvAckOfSyn,
    }));
}

#[test]
fn a_bad_ack_gets_a_reset() {
    // "If the segment acknowledgment is not acceptable, form a reset
    // segment <SEQ=SEG.ACK><CTL=RST> and send it."
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ));
    let s = recv!(h, seq_number: LOCAL_SEQ, flags: RST, window: 0);
    assert_eq!(s.cause, TxCause::Rst(RstReason::SynReceivedBadAck));
    assert_eq!(h.state(), State::SynReceived);
    // SEG.ACK > SND.NXT is as bad.
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 5));
    recv!(h, seq_number: LOCAL_SEQ + 5, flags: RST, window: 0);
    assert_eq!(h.state(), State::SynReceived);
}

#[test]
fn rst_returns_to_listen() {
    // Second step, SYN-RECEIVED: "If this connection was initiated with a
    // passive OPEN (i.e., came from the LISTEN state), then return this
    // connection to LISTEN state". The listener takes the next SYN.
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ + 1, flags: RST);
    h.nothing();
    assert_eq!(h.state(), State::Closed);
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::Reset
    }));
    send!(h, seq_number: REMOTE_SEQ + 100, flags: SYN);
    let s = recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 101), flags: SYN, options: MSS_1460);
    assert_eq!(s.conn, Some(ConnId(1)));
}

#[test]
fn old_duplicate_syn_recovery() {
    // RFC 9293 3.5, Figure 9: an old SYN reaches the listener, the other
    // side (in SYN-SENT) answers our SYN-ACK with a RST <SEQ=SEG.ACK>,
    // which exactly matches RCV.NXT: back to LISTEN.
    let mut h = listen();
    let old = REMOTE_SEQ - 1000;
    send!(h, seq_number: old, flags: SYN);
    h.conn = h.ep.conns().next().unwrap();
    recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(old + 1), flags: SYN, options: MSS_1460);
    send!(h, seq_number: old + 1, flags: RST);
    assert_eq!(h.state(), State::Closed);
    send!(h, seq_number: REMOTE_SEQ, flags: SYN);
    recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 1), flags: SYN, options: MSS_1460);
}

#[test]
fn an_inexact_rst_gets_a_challenge_ack() {
    // RFC 5961 3.2: in the window but not RCV.NXT.
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ + 5, flags: RST);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::ChallengeAck));
    assert_eq!(h.state(), State::SynReceived);
}

#[test]
fn a_retransmitted_syn_gets_the_syn_ack_again() {
    // Our SYN-ACK was lost and the peer sent its SYN again.
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ, flags: SYN, options: MSS_1460);
    let s = recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 1), flags: SYN, options: MSS_1460);
    assert_eq!(
        s.retransmission,
        Some(Retransmission {
            of_seq: LOCAL_SEQ,
            kind: RetxKind::PeerRetransmittedSyn
        })
    );
}

#[test]
fn an_in_window_syn_returns_to_listen() {
    // Fourth step, SYN-RECEIVED: "If the connection was initiated with a
    // passive OPEN, then return this connection to the LISTEN state".
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ + 10, flags: SYN);
    h.nothing();
    assert_eq!(h.state(), State::Closed);
    assert!(h.has_event(&Event::StateChanged {
        conn: h.conn,
        from: State::SynReceived,
        to: State::Closed,
        cause: StateCause::RecvSynInWindow,
    }));
}

#[test]
fn a_segment_without_ack_is_dropped() {
    // Fifth step: "if the ACK bit is off, drop the segment and return".
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ + 1, payload: b"x");
    h.nothing();
    assert_eq!(h.state(), State::SynReceived);
    assert_eq!(h.ep.recv_available(h.conn), 0);
    assert!(h.has_event(&Event::SegmentRejected {
        conn: Some(h.conn),
        reason: RejectReason::NoAck
    }));
}

#[test]
fn an_ack_with_data_establishes_and_delivers_it() {
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), flags: PSH, payload: b"USER a");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 7), window: 58);
    assert_eq!(h.state(), State::Established);
    assert_eq!(h.app_recv(), b"USER a");
}

#[test]
fn an_out_of_window_segment_gets_an_ack() {
    // First step: "If an incoming segment is not acceptable, an
    // acknowledgment should be sent in reply".
    let mut h = syn_received();
    send!(h, seq_number: REMOTE_SEQ + 100, ack_number: Some(LOCAL_SEQ + 1), payload: b"x");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(h.state(), State::SynReceived);
}

#[test]
fn close_sends_the_fin_after_the_handshake() {
    // RFC 9293 3.10.4, SYN-RECEIVED: queued "for processing after
    // entering ESTABLISHED state".
    let mut h = syn_received();
    h.close();
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1));
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: FIN);
    assert_eq!(h.state(), State::FinWait1);
}

#[test]
fn syn_ack_is_retried_then_the_connection_dropped() {
    // classic-windows: TcpMaxConnectResponseRetransmissions = 2, RTO 3 s
    // doubling.
    let mut h = syn_received();
    h.advance(Duration::from_millis(2999));
    h.nothing();
    h.advance(Duration::from_millis(1));
    let s = recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 1), flags: SYN, options: MSS_1460);
    assert_eq!(
        s.retransmission.unwrap().kind,
        RetxKind::SynRetry { attempt: 1 }
    );
    h.advance(Duration::from_secs(6));
    let s = h.next().unwrap();
    assert_eq!(
        s.retransmission.unwrap().kind,
        RetxKind::SynRetry { attempt: 2 }
    );
    h.advance(Duration::from_secs(12));
    h.nothing();
    assert_eq!(h.state(), State::Closed);
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::TimedOut
    }));
}
