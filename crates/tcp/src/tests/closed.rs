//! RFC 9293 3.10.7.1: a segment for a port with no connection and no
//! listener.

use super::*;

#[test]
fn syn_to_a_closed_port_gets_rst_ack() {
    // "If the ACK bit is off, sequence number zero is used,
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
    let mut h = H::new(profile());
    send!(h, seq_number: REMOTE_SEQ, flags: SYN, options: MSS_1460);
    let s =
        recv!(h, seq_number: SeqNumber(0), ack_number: Some(REMOTE_SEQ + 1), flags: RST, window: 0);
    assert_eq!(s.conn, None);
    assert_eq!(s.cause, TxCause::Rst(RstReason::ClosedPort));
    assert_eq!(
        (s.ip.src, s.ip.dst, s.ip.ttl, s.ip.dont_frag),
        (LOCAL_IP, REMOTE_IP, 128, true)
    );
    assert_eq!(s.ip.payload_len, 20);
    assert!(h.has_event(&Event::SegmentRejected {
        conn: None,
        reason: RejectReason::NoConnection
    }));
    h.nothing();
}

#[test]
fn segment_with_ack_gets_rst_with_the_acks_number() {
    // "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"
    let mut h = H::new(profile());
    send!(h, seq_number: REMOTE_SEQ + 1, ack_number: Some(LOCAL_SEQ + 7), payload: b"abc");
    recv!(h, seq_number: LOCAL_SEQ + 7, flags: RST, window: 0);
}

#[test]
fn rst_ack_acknowledges_data_and_fin() {
    let mut h = H::new(profile());
    send!(h, seq_number: REMOTE_SEQ, flags: FIN, payload: b"abcd");
    recv!(h, seq_number: SeqNumber(0), ack_number: Some(REMOTE_SEQ + 5), flags: RST, window: 0);
}

#[test]
fn rst_to_a_closed_port_is_dropped() {
    // "An incoming segment containing a RST is discarded."
    let mut h = H::new(profile());
    send!(h, seq_number: REMOTE_SEQ, flags: RST);
    h.nothing();
}

#[test]
fn segment_for_another_host_is_refused() {
    let mut h = H::new(profile());
    let ip = Ipv4Repr {
        src: REMOTE_IP,
        dst: Ipv4Addr::new(10, 0, 0, 9),
        protocol: 6,
        ttl: 64,
        ident: 0,
        dont_frag: true,
        tos: 0,
        payload_len: 20,
    };
    let seg = TcpRepr {
        seq_number: REMOTE_SEQ,
        flags: SYN,
        ..SEND_TEMPL
    };
    h.ep.handle_segment(h.now, &ip, &seg, &mut h.rng);
    h.nothing();
    assert_eq!(
        h.ep.poll_event(),
        Some(Event::SegmentRejected {
            conn: None,
            reason: RejectReason::NotForThisHost
        })
    );
}
