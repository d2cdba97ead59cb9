//! RFC 9293 3.10.7.3: SYN-SENT STATE, with MSS (3.7.1) and window scale
//! (RFC 7323) negotiation.

use super::*;

#[test]
fn connect_sends_a_syn_with_mss_and_the_initial_window() {
    let mut h = syn_sent_with(profile());
    let s = h.next().unwrap();
    assert_eq!(
        s.tcp,
        TcpRepr {
            seq_number: LOCAL_SEQ,
            flags: SYN,
            options: MSS_1460,
            ..RECV_TEMPL
        }
    );
    assert_eq!(s.cause, TxCause::Syn);
    assert_eq!(
        s.ip.payload_len, 24,
        "20 bytes of header and a 4-byte MSS option"
    );
    assert!(h.has_event(&Event::StateChanged {
        conn: h.conn,
        from: State::Closed,
        to: State::SynSent,
        cause: StateCause::AppConnect,
    }));
}

#[test]
fn syn_ack_establishes_and_is_acknowledged_at_once() {
    // "If SND.UNA > ISS (our SYN has been ACKed), change the connection
    // state to ESTABLISHED, form an ACK segment
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, options: MSS_1460);
    let s = recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1));
    assert_eq!(s.cause, TxCause::HandshakeAck);
    assert_eq!(h.state(), State::Established);
    assert!(h.has_event(&Event::Connected { conn: h.conn }));
    assert!(h.has_event(&Event::StateChanged {
        conn: h.conn,
        from: State::SynSent,
        to: State::Established,
        cause: StateCause::RecvSynAck,
    }));
    let v = h.snapshot().vars;
    assert_eq!(
        (v.snd_una, v.snd_nxt, v.rcv_nxt),
        (LOCAL_SEQ + 1, LOCAL_SEQ + 1, REMOTE_SEQ + 1)
    );
    assert_eq!(v.snd_wnd, 256);
    h.nothing();
}

#[test]
fn an_ack_of_something_never_sent_gets_a_reset() {
    // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset
    // <SEQ=SEG.ACK><CTL=RST>"
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ), flags: SYN);
    let s = recv!(h, seq_number: LOCAL_SEQ, flags: RST, window: 0);
    assert_eq!(s.cause, TxCause::Rst(RstReason::SynSentBadAck));
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 2), flags: SYN);
    recv!(h, seq_number: LOCAL_SEQ + 2, flags: RST, window: 0);
    assert_eq!(h.state(), State::SynSent);
    assert!(h.has_event(&Event::SegmentRejected {
        conn: Some(h.conn),
        reason: RejectReason::SynSentBadAck
    }));
}

#[test]
fn a_bad_ack_with_rst_is_dropped() {
    // "(unless the RST bit is set, if so drop the segment and return)"
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 9), flags: RST);
    h.nothing();
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn rst_with_an_acceptable_ack_refuses_the_connection() {
    // "If the ACK was acceptable, then signal to the user 'error:
    // connection reset', drop the segment, enter CLOSED state, delete TCB"
    let mut h = syn_sent();
    send!(h, seq_number: SeqNumber(0), ack_number: Some(LOCAL_SEQ + 1), flags: RST, window: 0);
    h.nothing();
    assert_eq!(h.state(), State::Closed);
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::Refused
    }));
    assert!(!h.ep.port_in_use(LOCAL_PORT));
}

#[test]
fn rst_without_ack_is_dropped() {
    // "If the ACK was not acceptable ... drop the segment and return"
    // (here: no ACK at all, RFC 5961 3.2's blind reset).
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, flags: RST);
    h.nothing();
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn neither_syn_nor_rst_is_dropped() {
    // "Fifth, if neither of the SYN or RST bits is set, then drop the
    // segment and return."
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), payload: b"x");
    h.nothing();
    assert_eq!(h.state(), State::SynSent);
}

#[test]
fn simultaneous_open() {
    // RFC 9293 3.5, Figure 8: SYNs cross, both sides go through
    // SYN-RECEIVED and the SYN-ACKs finish the handshake.
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, flags: SYN, options: MSS_1460);
    let s = recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 1), flags: SYN, options: MSS_1460);
    assert_eq!(s.cause, TxCause::SynAck);
    assert_eq!(h.state(), State::SynReceived);
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, options: MSS_1460);
    assert_eq!(h.state(), State::Established);
    assert!(h.has_event(&Event::Connected { conn: h.conn }));
    h.nothing();
    h.app_send(b"hi");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"hi");
}

#[test]
fn close_deletes_the_connection() {
    // RFC 9293 3.10.4, SYN-SENT: "Delete the TCB".
    let mut h = syn_sent();
    h.close();
    h.nothing();
    assert_eq!(h.state(), State::Closed);
    assert!(h.has_event(&Event::Closed {
        conn: h.conn,
        reason: CloseReason::Aborted
    }));
}

#[test]
fn data_queued_before_the_handshake_follows_it() {
    // RFC 9293 3.10.2, SYN-SENT: "Queue the data for transmission after
    // entering ESTABLISHED state"; the data carries the handshake's ACK.
    let mut h = syn_sent();
    assert_eq!(h.app_send(b"abc"), 3);
    h.nothing();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, options: MSS_1460);
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), flags: PSH, payload: b"abc");
    h.nothing();
}

#[test]
fn data_on_the_syn_ack_is_accepted() {
    // "If there are other controls or text in the segment, continue
    // processing at the sixth step below".
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, payload: b"220");
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 4), window: 61);
    assert_eq!(h.app_recv(), b"220");
}

#[test]
fn effective_mss_is_the_smaller_of_both() {
    // RFC 9293 3.7.1: Eff.snd.MSS = min(SendMSS+20, MMS_S) - 20 - 20.
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN,
        options: TcpOptions { mss: Some(500), ..TcpOptions::NONE });
    assert_eq!(h.snapshot().mss, 500);
}

#[test]
fn missing_mss_option_means_536() {
    // RFC 9293 3.7.1: "If an MSS Option is not received at connection
    // setup, TCP implementations MUST assume a default send MSS of 536".
    let mut h = syn_sent();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN);
    assert_eq!(h.snapshot().mss, 536);
}

fn ws_profile() -> Profile {
    Profile {
        window_scale: Some(2),
        recv_buffer: 1024,
        ..profile()
    }
}

const WS_SYN: TcpOptions = TcpOptions {
    mss: Some(1460),
    window_scale: Some(2),
    ..TcpOptions::NONE
};

#[test]
fn window_scale_applies_when_both_syns_carry_it() {
    // RFC 7323 2.2: the SYN's window is never scaled; after it, windows
    // are shifted by the other side's count.
    let mut h = syn_sent_with(ws_profile());
    recv!(h, seq_number: LOCAL_SEQ, flags: SYN, window: 1024, options: WS_SYN);
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, window: 1000,
        options: TcpOptions { mss: Some(1460), window_scale: Some(3), ..TcpOptions::NONE });
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), window: 256);
    let s = h.snapshot();
    assert_eq!((s.snd_wscale, s.rcv_wscale), (Some(3), Some(2)));
    assert_eq!(s.vars.snd_wnd, 1000, "the SYN-ACK's window is not scaled");
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), window: 100);
    assert_eq!(h.snapshot().vars.snd_wnd, 800);
}

#[test]
fn window_scale_is_off_unless_the_peer_offers_it() {
    // RFC 7323 2.2: "both sides MUST send Window Scale options in their
    // <SYN> segments to enable window scaling in either direction".
    let mut h = syn_sent_with(ws_profile());
    h.next().unwrap();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN, window: 1000, options: MSS_1460);
    recv!(h, seq_number: LOCAL_SEQ + 1, ack_number: Some(REMOTE_SEQ + 1), window: 1024);
    let s = h.snapshot();
    assert_eq!((s.snd_wscale, s.rcv_wscale), (None, None));
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 1), window: 100);
    assert_eq!(h.snapshot().vars.snd_wnd, 100);
}

#[test]
fn the_passive_side_answers_window_scale_only_when_offered() {
    let mut h = listen_with(ws_profile());
    send!(h, seq_number: REMOTE_SEQ, flags: SYN, options: WS_SYN);
    recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 1), flags: SYN, window: 1024, options: WS_SYN);
    let mut h = listen_with(ws_profile());
    send!(h, seq_number: REMOTE_SEQ, flags: SYN, options: MSS_1460);
    recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 1), flags: SYN, window: 1024, options: MSS_1460);
}

#[test]
fn sack_permitted_and_timestamps_are_negotiated() {
    let p = Profile {
        sack_permitted: true,
        timestamps: true,
        ..profile()
    };
    let mut h = syn_sent_with(p);
    let syn = h.next().unwrap();
    assert!(syn.tcp.options.sack_permitted);
    assert!(syn.tcp.options.timestamps.is_some());
    assert_eq!(
        syn.ip.payload_len,
        20 + 16,
        "MSS 4 + SACK-permitted 2 + timestamps 10"
    );
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ + 1), flags: SYN,
        options: TcpOptions { mss: Some(1460), sack_permitted: true, timestamps: Some((777, 0)), ..TcpOptions::NONE });
    let ack = h.next().unwrap();
    assert_eq!(
        ack.tcp.options.timestamps.map(|t| t.1),
        Some(777),
        "TSecr echoes the peer"
    );
    let s = h.snapshot();
    assert!(s.sack_permitted && s.timestamps);
    assert_eq!(s.mss, 1448, "timestamps take 12 bytes of every segment");
}
