//! RFC 9293 3.10.7.4 for ESTABLISHED: acceptability, RST and SYN checks,
//! ACK processing, text, FIN; flow control and the sender's rules.

use super::*;

#[test]
fn data_is_received_acknowledged_and_read() {
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), flags: PSH, payload: b"abcdef");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 7), window: 58);
    assert_eq!(s.cause, TxCause::AckNow(AckReason::NoDelay));
    assert!(h.has_event(&Event::Readable { conn: h.conn }));
    assert_eq!(h.ep.recv_available(h.conn), 6);
    assert_eq!(h.app_recv(), b"abcdef");
    assert_eq!(h.app_recv(), b"", "nothing more to read");
}

#[test]
fn data_is_sent_with_psh_and_all_acked_is_signalled() {
    let mut h = established();
    assert_eq!(h.app_send(b"abcdef"), 6);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"abcdef");
    assert_eq!(s.cause, TxCause::Data);
    assert_eq!(
        (s.vars.snd_una, s.vars.snd_nxt),
        (LOCAL_SEQ + 1, LOCAL_SEQ + 7)
    );
    assert_eq!(s.ip.payload_len, 26);
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 7));
    h.nothing();
    assert!(h.has_event(&Event::AllAcked { conn: h.conn }));
}

#[test]
fn an_out_of_window_segment_gets_an_ack() {
    // First step: "If an incoming segment is not acceptable, an
    // acknowledgment should be sent in reply ... <SEQ=SND.NXT><ACK=RCV.NXT>".
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 100, ack_number: Some(LOCAL_SEQ + 1), payload: b"x");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::OutOfWindow));
    assert_eq!(h.ep.recv_available(h.conn), 0);
    assert!(h.has_event(&Event::SegmentRejected {
        conn: Some(h.conn),
        reason: RejectReason::OutOfWindow
    }));
}

#[test]
fn a_duplicate_segment_gets_an_ack() {
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"abc");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 4), window: 61);
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"abc");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 4), window: 61);
    assert_eq!(s.cause, TxCause::AckNow(AckReason::DuplicateSegment));
    assert_eq!(h.app_recv(), b"abc");
}

#[test]
fn a_partly_old_segment_keeps_its_new_part() {
    // "only the new parts are processed" (3.10.7.4 first step, trimming).
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"abc");
    h.next().unwrap();
    send!(h, seq_number: REMOTE_SEQ + 2, ack_number: Some(LOCAL_SEQ + 1), payload: b"bcdef");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 7), window: 58);
    assert_eq!(h.app_recv(), b"abcdef");
}

#[test]
fn data_beyond_the_window_is_trimmed() {
    let mut h = established();
    let big = [b'z'; 80];
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: &big);
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 65), window: 0);
    assert_eq!(h.ep.recv_available(h.conn), 64);
}

#[test]
fn an_exact_rst_resets_the_connection() {
    // Second step: "If the RST bit is set and the sequence number exactly
    // matches the next expected sequence number (RCV.NXT), then TCP MUST
    // reset the connection".
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, flags: RST);
    h.nothing();
    assert_eq!(h.state(), State::Closed);
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::Reset
    }));
    let mut buf = [0u8; 4];
    assert_eq!(h.ep.recv(h.conn, &mut buf), Err(TcpError::ConnectionReset));
    assert_eq!(
        h.ep.send(h.now, h.conn, b"x"),
        Err(TcpError::ConnectionReset)
    );
}

#[test]
fn an_in_window_rst_gets_a_challenge_ack() {
    // RFC 5961 3.2: "If the RST bit is set and the sequence number does not
    // exactly match ... but is within the current receive window, TCP MUST
    // send an acknowledgment (challenge ACK)".
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 10, flags: RST);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::ChallengeAck));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn an_out_of_window_rst_is_dropped_silently() {
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1000, flags: RST);
    h.nothing();
    assert_eq!(h.state(), State::Established);
    assert!(h.has_event(&Event::SegmentRejected {
        conn: Some(h.conn),
        reason: RejectReason::RstOutOfWindow
    }));
}

#[test]
fn a_syn_gets_a_challenge_ack() {
    // Fourth step (RFC 5961 4.2): "TCP MUST send an ACK (challenge ACK)".
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, flags: SYN);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::ChallengeAck));
    assert_eq!(h.state(), State::Established);
}

#[test]
fn a_retransmitted_syn_ack_is_acknowledged_again() {
    // Our handshake ACK was lost: the SYN-ACK is an old duplicate.
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, options: MSS_1460);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::DuplicateSegment));
}

#[test]
fn an_ack_of_unsent_data_gets_an_ack_and_the_segment_is_dropped() {
    // Fifth step: "If the ACK acks something not yet sent (SEG.ACK >
    // SND.NXT), then send an ACK, drop the segment, and return."
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 10), payload: b"abc");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::AckOfUnsentData));
    assert_eq!(h.ep.recv_available(h.conn), 0);
}

#[test]
fn an_ack_older_than_the_window_gets_an_ack() {
    // RFC 5961 5.2: SEG.ACK < SND.UNA - MAX.SND.WND.
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ - 1000));
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::AckTooOld));
}

#[test]
fn a_segment_without_ack_is_dropped() {
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, payload: b"abc");
    h.nothing();
    assert_eq!(h.ep.recv_available(h.conn), 0);
}

#[test]
fn fin_moves_to_close_wait_and_is_acked_at_once() {
    // Eighth step: "advance RCV.NXT over the FIN, and send an
    // acknowledgment for the FIN"; ESTABLISHED: "Enter the CLOSE-WAIT
    // state".
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), flags: FIN);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 2));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::Fin));
    assert_eq!(h.state(), State::CloseWait);
    assert!(h.has_event(&Event::PeerFin { conn: h.conn }));
    assert!(h.ep.peer_closed(h.conn));
}

#[test]
fn out_of_order_data_is_acked_at_once_and_the_filler_acks_all() {
    // RFC 5681 4.2: immediate duplicate ACK for an out-of-order segment,
    // immediate ACK for one that fills the gap.
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 4, ack_number: Some(LOCAL_SEQ + 1), payload: b"def");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::AckNow(AckReason::OutOfOrder));
    assert_eq!(h.ep.recv_available(h.conn), 0);
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"abc");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 7), window: 58);
    assert_eq!(s.cause, TxCause::AckNow(AckReason::FillsHole));
    assert_eq!(h.app_recv(), b"abcdef");
}

#[test]
fn an_out_of_order_fin_waits_for_the_gap() {
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 4, ack_number: Some(LOCAL_SEQ + 1), flags: FIN, payload: b"def");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(h.state(), State::Established);
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: b"abc");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 8), window: 58);
    assert_eq!(h.state(), State::CloseWait);
    assert_eq!(h.app_recv(), b"abcdef");
}

#[test]
fn a_full_buffer_closes_the_window_probes_are_answered_and_reading_reopens_it() {
    // RFC 9293 3.8.6.1 (receiver side): a zero window; "special allowance
    // should be made to accept valid ACKs"; the window update on reading.
    let mut h = established();
    let full = [b'x'; 64];
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: &full);
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 65), window: 0);
    send!(h, seq_number: REMOTE_SEQ + 65, ack_number: Some(LOCAL_SEQ + 1), payload: b"y");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 65), window: 0);
    assert_eq!(s.cause, TxCause::AckNow(AckReason::ZeroWindowProbe));
    assert_eq!(h.app_recv().len(), 64);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 65), window: 64);
    assert_eq!(s.cause, TxCause::AckNow(AckReason::WindowUpdate));
}

#[test]
fn receiver_sws_avoidance_keeps_small_openings_to_itself() {
    // RFC 9293 3.8.6.2.2: the right edge moves only by min(RCV.BUFF/2,
    // Eff.snd.MSS) = 32 bytes here.
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), payload: &[b'x'; 20]);
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 21), window: 44);
    h.app_recv();
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ + 21, ack_number: Some(LOCAL_SEQ + 1), payload: &[b'x'; 20]);
    // 24 bytes of the offered window left, 44 free: 44 < 24 + 32, so the
    // right edge stays where it was.
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 41), window: 24);
    // Reading frees 64 >= 24 + 32: the edge moves, and since the window
    // at least doubles, a window update goes out at once.
    h.app_recv();
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 41), window: 64);
    assert_eq!(s.cause, TxCause::AckNow(AckReason::WindowUpdate));
}

#[test]
fn abort_sends_a_reset() {
    // RFC 9293 3.10.5, ESTABLISHED: "Send a reset segment:
    // <SEQ=SND.NXT><CTL=RST>".
    let mut h = established();
    h.app_send(b"abc");
    h.next().unwrap();
    h.abort();
    let s = recv!(h, seq_number: LOCAL_SEQ + 4, flags: RST, window: 0);
    assert_eq!(s.cause, TxCause::Rst(RstReason::Abort));
    assert_eq!(h.state(), State::Closed);
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::Aborted
    }));
    h.nothing();
}

#[test]
fn nagle_holds_small_segments_while_data_is_unacknowledged() {
    // RFC 9293 3.7.4 (RFC 896).
    let mut h = established();
    h.app_send(b"ab");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"ab");
    h.app_send(b"cd");
    h.app_send(b"ef");
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 3));
    recv!(h, seq_number: LOCAL_SEQ + 3, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"cdef");
}

#[test]
fn nagle_does_not_hold_the_last_data_before_a_fin() {
    // Nothing can join the tail once the application has closed, so it
    // leaves with the FIN at once (Linux's tcp_nagle_test exempts the
    // final FIN) instead of waiting for the peer's delayed ACK.
    let mut h = established();
    h.app_send(b"ab");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"ab");
    h.app_send(b"cd");
    h.nothing();
    h.close();
    recv!(h, seq_number: LOCAL_SEQ + 3, ack_number: Some(REMOTE_SEQ + 1), flags: PSH | FIN, payload: b"cd");
}

#[test]
fn nodelay_sends_small_segments_at_once() {
    let mut h = established();
    h.ep.set_nodelay(h.conn, true);
    h.app_send(b"ab");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"ab");
    h.app_send(b"cd");
    recv!(h, seq_number: LOCAL_SEQ + 3, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"cd");
}

#[test]
fn the_send_buffer_bounds_send() {
    let mut h = established();
    assert_eq!(h.app_send(&[1; 100]), 64);
    assert_eq!(h.ep.send_capacity(h.conn), 0);
    assert_eq!(h.app_send(&[1; 10]), 0);
}

#[test]
fn data_is_cut_to_the_mss_and_the_initial_window() {
    // RFC 9293 3.7.1 (segments of at most Eff.snd.MSS), RFC 5681 3.1 (IW
    // = 2 segments for classic-windows, then slow start).
    let p = Profile {
        send_buffer: 1000,
        ..profile()
    };
    let mut h = syn_sent_with(p);
    h.next().unwrap();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, window: 1000,
        options: TcpOptions { mss: Some(100), ..TcpOptions::NONE });
    h.next().unwrap();
    h.app_send(&[7; 250]);
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), payload: &[7; 100]);
    let s =
        recv!(h, seq_number: LOCAL_SEQ + 101, ack_number: Some(REMOTE_SEQ + 1), payload: &[7; 100]);
    assert_eq!(s.vars.cwnd, 200);
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 101), window: 1000);
    assert_eq!(
        h.snapshot().vars.cwnd,
        300,
        "slow start: cwnd += SMSS per ACK"
    );
    // Nagle: the 50-byte tail waits while the second segment is unacked.
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 201), window: 1000);
    recv!(h, seq_number: LOCAL_SEQ + 201, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: &[7; 50]);
}

#[test]
fn the_fin_rides_with_the_last_data_when_both_are_queued() {
    let mut h = established();
    h.app_send(b"bye");
    h.close();
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH | FIN, payload: b"bye");
    assert_eq!(s.cause, TxCause::DataWithFin);
    assert_eq!(h.ep.send(h.now, h.conn, b"x"), Err(TcpError::Closing));
}

#[test]
fn a_write_then_a_separate_close_gives_two_segments() {
    // The walkthrough's ladder: data (PSH, ACK), then FIN, ACK on its own.
    let mut h = established();
    h.app_send(b"listing");
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"listing");
    assert_eq!(s.cause, TxCause::Data);
    h.close();
    let s = recv!(h, seq_number: LOCAL_SEQ + 8, ack_number: Some(REMOTE_SEQ + 1), flags: FIN);
    assert_eq!(s.cause, TxCause::Fin);
}

#[test]
fn sender_sws_avoidance_waits_for_a_useful_window() {
    // RFC 9293 3.8.6.2.1: 10 bytes of window is less than half of the 256
    // the peer once offered, so wait; "(4) the override timeout occurs"
    // sends what fits.
    let mut h = established();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), window: 10);
    h.app_send(&[1; 30]);
    h.nothing();
    h.advance(Duration::from_millis(300));
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), payload: &[1; 10]);
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 11), window: 200);
    recv!(h, seq_number: LOCAL_SEQ + 11, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: &[1; 20]);
}
