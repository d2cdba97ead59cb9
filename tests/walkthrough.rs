//! The default scenario against the reference ladder of
//! `shared/WALKTHROUGH.md`: 37 segments, each on its stage, with real and
//! consistent sequence and acknowledgement numbers; and the what-ifs that
//! prove the ladder comes from the state machines and the timing.

use netstep_tests::{run_bundled, run_bundled_with};
use netstep_trace::{Fate, TcpState, Trace};

/// The reference ladder: (stage, conn, from, flags, payload prefix).
const REFERENCE: &[(u32, &str, &str, &str, &str)] = &[
    (1, "control", "client", "SYN", ""),
    (1, "control", "server", "SYN,ACK", ""),
    (1, "control", "client", "ACK", ""),
    (2, "control", "server", "PSH,ACK", "220"),
    (3, "control", "client", "ACK", ""),
    (4, "control", "client", "PSH,ACK", "USER"),
    (5, "control", "server", "ACK", ""),
    (6, "control", "server", "PSH,ACK", "331"),
    (7, "control", "client", "ACK", ""),
    (8, "control", "client", "PSH,ACK", "PASS"),
    (9, "control", "server", "ACK", ""),
    (10, "control", "server", "PSH,ACK", "230"),
    (11, "control", "client", "ACK", ""),
    (
        12,
        "control",
        "client",
        "PSH,ACK",
        "PORT 192,168,120,168,200,100",
    ),
    (13, "control", "server", "ACK", ""),
    (14, "control", "server", "PSH,ACK", "200"),
    (15, "control", "client", "PSH,ACK", "NLST"),
    (16, "data", "server", "SYN", ""),
    (16, "data", "client", "SYN,ACK", ""),
    (16, "data", "server", "ACK", ""),
    (17, "control", "server", "PSH,ACK", "150"),
    (17, "data", "server", "PSH,ACK", ""),
    (18, "data", "server", "FIN,ACK", ""),
    (19, "data", "client", "ACK", ""),
    (20, "control", "server", "PSH,ACK", "226"),
    (21, "control", "client", "ACK", ""),
    (22, "data", "client", "FIN,ACK", ""),
    (23, "data", "server", "ACK", ""),
    (24, "control", "client", "PSH,ACK", "PWD"),
    (25, "control", "server", "PSH,ACK", "257"),
    (26, "control", "client", "ACK", ""),
    (27, "control", "client", "PSH,ACK", "QUIT"),
    (28, "control", "server", "PSH,ACK", "221"),
    (29, "control", "server", "FIN,ACK", ""),
    (30, "control", "client", "ACK", ""),
    (31, "control", "client", "FIN,ACK", ""),
    (32, "control", "server", "ACK", ""),
];

#[test]
fn the_default_scenario_gives_the_reference_ladder() {
    let run = run_bundled("active-ftp");
    let t = &run.trace;
    let got: Vec<String> = t
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = String::from_utf8_lossy(t.payload(s));
            format!(
                "{:>2} [{:?}] {} {} {} {:?}",
                i + 1,
                run.annotation.stage_of(i),
                t.conn_label(s),
                t.node_name(s.from),
                s.flags.names().join(","),
                p.lines().next().unwrap_or("")
            )
        })
        .collect();
    let listing = got.join("\n");
    assert_eq!(
        t.segments.len(),
        REFERENCE.len(),
        "segment count\n{listing}"
    );
    for (i, (s, &(stage, conn, from, flags, prefix))) in
        t.segments.iter().zip(REFERENCE).enumerate()
    {
        let ctx = format!("segment {}\n{listing}", i + 1);
        assert_eq!(run.annotation.stage_of(i), Some(stage), "stage of {ctx}");
        assert_eq!(t.conn_label(s), conn, "conn of {ctx}");
        assert_eq!(t.node_name(s.from), from, "sender of {ctx}");
        assert_eq!(s.flags.names().join(","), flags, "flags of {ctx}");
        let payload = t.payload(s);
        assert!(payload.starts_with(prefix.as_bytes()), "payload of {ctx}");
        if prefix.is_empty() && !(stage == 17 && conn == "data") {
            assert!(payload.is_empty(), "no payload expected in {ctx}");
        }
        assert!(matches!(s.fate, Fate::Delivered { .. }), "lost {ctx}");
        assert!(s.retransmission.is_none(), "retransmission in {ctx}");
    }
    assert!(run.annotation.complete(), "every stage, in order");
    // The data connection runs from server port 20 to client port 51300.
    let data = t
        .segments
        .iter()
        .find(|s| t.conn_label(s) == "data")
        .unwrap();
    assert_eq!((data.src.port(), data.dst.port()), (20, 51300));
    let ctl = &t.segments.at(0);
    assert_eq!((ctl.src.port(), ctl.dst.port()), (51299, 21));
}

#[test]
fn sequence_and_acknowledgement_numbers_are_consistent() {
    let run = run_bundled("active-ftp");
    let t = &run.trace;
    // Per connection and direction: each segment starts where the previous
    // one ended, and every ACK is exactly what the peer had sent by then.
    for (c, _) in t.conns.iter().enumerate() {
        let mut next = [None, None];
        for s in t.segments.iter().filter(|s| s.conn == Some(c as u32)) {
            let d = usize::from(s.dir);
            if let Some(n) = next[d] {
                assert_eq!(s.seq, n, "seq continues the stream");
            }
            next[d] = Some(s.seq + s.seq_len() as usize);
            if let Some(a) = s.ack {
                assert_eq!(Some(a), next[1 - d], "ack = what the peer sent so far");
            }
        }
    }
    // Relative numbers as Wireshark shows them: USER starts at 1 and its
    // ACK is 1 + the length of "USER student\r\n".
    let user = t
        .segments
        .iter()
        .position(|s| t.payload(s).starts_with(b"USER"))
        .unwrap();
    assert_eq!(t.rel_seq(t.segments.at(user)), Some(1));
    let len = t.segments.at(user).payload_len;
    let ack = &t.segments.at(user + 1);
    assert_eq!(t.rel_ack(ack), Some(1 + len));
}

#[test]
fn sockets_end_as_the_walkthrough_says() {
    let run = run_bundled("active-ftp");
    let t = &run.trace;
    let last = final_states(t);
    let by = |node: &str, port: u16| {
        last.iter()
            .find(|(n, p, _)| n == node && *p == port)
            .map(|(_, _, s)| *s)
    };
    assert_eq!(by("server", 21), Some(TcpState::TimeWait), "{last:?}");
    assert_eq!(by("server", 20), Some(TcpState::TimeWait), "{last:?}");
    assert_eq!(by("client", 51299), Some(TcpState::Closed), "{last:?}");
    assert_eq!(by("client", 51300), Some(TcpState::Closed), "{last:?}");
}

/// (node, local port, last state) of every connected socket.
fn final_states(t: &Trace) -> Vec<(String, u16, TcpState)> {
    t.sockets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.remote.is_some())
        .map(|(i, s)| {
            let state = t
                .events
                .iter()
                .rev()
                .find_map(|e| match e.kind {
                    netstep_trace::EventKind::SocketState { socket, to, .. }
                        if socket == i as u32 =>
                    {
                        Some(to)
                    }
                    _ => None,
                })
                .unwrap_or(TcpState::Closed);
            (t.node_name(s.node).to_string(), s.local.port(), state)
        })
        .collect()
}

#[test]
fn a_server_that_answers_user_at_once_piggybacks_its_ack() {
    let run = run_bundled_with("active-ftp", &["ftp_server.delays.USER=0s"]);
    let st = run.annotation.stage(5).unwrap();
    assert!(!st.occurred);
    let why = &st.why_not.as_ref().unwrap().en;
    assert!(why.contains("rode on"), "{why}");
    assert!(why.contains("331"), "{why}");
    assert!(why.contains("delayed-ACK"), "{why}");
    assert_eq!(run.trace.segments.len(), 36);
    // Every other stage still occurs.
    assert_eq!(run.annotation.missing().count(), 1);
}

#[test]
fn a_user_who_types_faster_than_the_delayed_ack_timer_gets_no_bare_acks() {
    let sets: Vec<String> = (0..5)
        .map(|i| format!("ftp_client.typed.{i}.think=50ms"))
        .collect();
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let run = run_bundled_with("active-ftp", &sets);
    for n in [3, 7, 11, 26] {
        let st = run.annotation.stage(n).unwrap();
        assert!(!st.occurred, "stage {n} should not occur");
        let why = &st.why_not.as_ref().unwrap().en;
        assert!(why.contains("rode on"), "stage {n}: {why}");
    }
}
