//! RFC 9293 3.10.7.2: LISTEN STATE.

use super::*;

#[test]
fn rst_is_ignored() {
    // "First, check for a RST: An incoming RST segment could not be valid
    // since it could not have been sent in response to anything sent by
    // this incarnation of the connection. An incoming RST should be
    // ignored."
    let mut h = listen();
    send!(h, seq_number: REMOTE_SEQ, flags: RST);
    h.nothing();
    assert_eq!(h.ep.conns().count(), 0);
}

#[test]
fn ack_gets_rst() {
    // "Second, check for an ACK: ... form a reset segment
    // <SEQ=SEG.ACK><CTL=RST>"
    let mut h = listen();
    send!(h, seq_number: REMOTE_SEQ, ack_number: Some(LOCAL_SEQ));
    let s = recv!(h, seq_number: LOCAL_SEQ, flags: RST, window: 0);
    assert_eq!(s.cause, TxCause::Rst(RstReason::ListenerGotAck));
    assert_eq!(h.ep.conns().count(), 0);
}

#[test]
fn syn_opens_a_connection_in_syn_received() {
    // "Third, check for a SYN: ... <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> ...
    // the connection state should be changed to SYN-RECEIVED".
    let h = syn_received();
    assert!(h.has_event(&Event::StateChanged {
        conn: h.conn,
        from: State::Listen,
        to: State::SynReceived,
        cause: StateCause::RecvSyn,
    }));
    let s = h.snapshot();
    assert_eq!((s.iss, s.irs), (LOCAL_SEQ, REMOTE_SEQ));
    assert_eq!(s.vars.rcv_nxt, REMOTE_SEQ + 1);
    assert_eq!(s.vars.snd_nxt, LOCAL_SEQ + 1);
    assert_eq!(s.vars.snd_una, LOCAL_SEQ);
    assert_eq!(s.local, SocketAddrV4::new(LOCAL_IP, LOCAL_PORT));
    assert_eq!(s.remote, SocketAddrV4::new(REMOTE_IP, REMOTE_PORT));
    assert_eq!(h.ep.listener_of(h.conn), h.listener);
}

#[test]
fn other_segments_are_dropped() {
    // "Fourth, other data or control: ... drop the segment and return."
    let mut h = listen();
    send!(h, seq_number: REMOTE_SEQ, flags: FIN, payload: b"x");
    h.nothing();
    assert_eq!(h.ep.conns().count(), 0);
}

#[test]
fn isn_is_drawn_from_the_rng_unless_fixed() {
    let p = Profile {
        isn: None,
        ..profile()
    };
    let mut h = listen_with(p.clone());
    send!(h, seq_number: REMOTE_SEQ, flags: SYN);
    let a = h.next().unwrap().tcp.seq_number;
    let mut h2 = listen_with(p);
    h2.rng = TestRng(8);
    send!(h2, seq_number: REMOTE_SEQ, flags: SYN);
    let b = h2.next().unwrap().tcp.seq_number;
    assert_ne!(a, b, "different seeds, different ISNs");
    let mut h3 = listen_with(Profile {
        isn: None,
        ..profile()
    });
    send!(h3, seq_number: REMOTE_SEQ, flags: SYN);
    assert_eq!(h3.next().unwrap().tcp.seq_number, a, "same seed, same ISN");
}

#[test]
fn a_once_listener_accepts_one_connection_from_its_remote() {
    let mut h = H::new(profile());
    let l = h.ep.listen_on_port(LOCAL_PORT, Some(REMOTE_IP)).unwrap();
    send!(h, seq_number: REMOTE_SEQ, flags: SYN);
    recv!(h, seq_number: LOCAL_SEQ, ack_number: Some(REMOTE_SEQ + 1), flags: SYN, options: MSS_1460);
    assert!(!h.ep.is_listening(l));
    // A second SYN from another port finds the port closed.
    send!(h, src_port: REMOTE_PORT + 1, seq_number: REMOTE_SEQ, flags: SYN);
    recv!(h, dst_port: REMOTE_PORT + 1, seq_number: SeqNumber(0), ack_number: Some(REMOTE_SEQ + 1), flags: RST, window: 0);
    // The port stays in use by the accepted connection.
    assert!(h.ep.port_in_use(LOCAL_PORT));
}

#[test]
fn a_restricted_listener_refuses_other_hosts() {
    let mut h = H::new(profile());
    h.ep.listen_on_port(LOCAL_PORT, Some(Ipv4Addr::new(192, 168, 1, 3)))
        .unwrap();
    send!(h, seq_number: REMOTE_SEQ, flags: SYN);
    recv!(h, seq_number: SeqNumber(0), ack_number: Some(REMOTE_SEQ + 1), flags: RST, window: 0);
    assert!(h.has_event(&Event::SegmentRejected {
        conn: None,
        reason: RejectReason::ListenerRemoteMismatch
    }));
}

#[test]
fn unlisten_closes_the_port_and_ports_are_exclusive() {
    let mut h = listen();
    assert_eq!(h.ep.listen(LOCAL_PORT), Err(TcpError::AddrInUse));
    h.ep.unlisten(h.listener.unwrap());
    assert!(!h.ep.port_in_use(LOCAL_PORT));
    send!(h, seq_number: REMOTE_SEQ, flags: SYN);
    recv!(h, seq_number: SeqNumber(0), ack_number: Some(REMOTE_SEQ + 1), flags: RST, window: 0);
    assert!(h.ep.listen(LOCAL_PORT).is_ok());
}
