//! Every bundled scenario, run as shipped: each stage of its walkthrough
//! occurs, in order; a seed reproduces a run byte for byte; and each
//! scenario shows the facts it was written to teach, checked here on the
//! trace itself rather than on the walkthrough's matchers.

use netstep_ftp::FileContent;
use netstep_scenario::BUNDLED;
use netstep_tests::{Run, run_bundled, run_bundled_with};
use netstep_trace::{AppEvent, DropReason, EventKind, Fate, Lang, RetxKind, Segment, Trace, json};
use netstep_wire::Duration;
use std::net::Ipv4Addr;

/// The scenarios that take something from the seed (initial sequence
/// numbers, random ports): a different seed must give a different run.
/// `active-ftp` and `passive-ftp` fix every ISN and port, as the seed's
/// capture had them.
const SEEDED: &[&str] = &[
    "two-transfers",
    "nat-breaks-active",
    "firewall-blocks-active",
    "lossy-download",
    "port-bounce",
];

/// A readable ladder for assertion messages.
fn ladder(t: &Trace) -> String {
    t.segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = String::from_utf8_lossy(t.payload(s));
            format!(
                "{:>3} {:>12} {:<8} {}:{} -> {} {:<12} {:?}{}",
                i + 1,
                s.time.to_string(),
                t.conn_label(s),
                t.node_name(s.from),
                s.src.port(),
                s.dst,
                s.flags.names().join(","),
                p.lines().next().unwrap_or(""),
                if s.retransmission.is_some() {
                    " (retx)"
                } else {
                    ""
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn payload_starts(t: &Trace, s: &Segment, prefix: &str) -> bool {
    t.payload(s).starts_with(prefix.as_bytes())
}

fn from<'a>(t: &'a Trace, node: &'a str) -> impl Iterator<Item = Segment> + 'a {
    t.segments
        .iter()
        .filter(move |s| t.node_name(s.from) == node)
}

fn delivered(s: &Segment) -> bool {
    matches!(s.fate, Fate::Delivered { .. })
}

/// The connections labelled `label`, in the order they were first seen.
fn conns_labelled(t: &Trace, label: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for s in &t.segments {
        if let Some(c) = s.conn
            && t.conn_label(s) == label
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// What the FTP client printed, line by line.
fn transcript(t: &Trace, node: &str) -> Vec<String> {
    t.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::App {
                node: n,
                what: AppEvent::Transcript { line },
                ..
            } if t.node_name(*n) == node => Some(line.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_bundled_scenario_runs_and_every_stage_occurs_in_order() {
    assert!(
        BUNDLED.len() >= 7,
        "the six teaching scenarios and the default"
    );
    for b in BUNDLED {
        let run = run_bundled(b.name);
        let missing: Vec<String> = run
            .annotation
            .missing()
            .map(|s| {
                s.why_not
                    .as_ref()
                    .map_or_else(|| format!("stage {}", s.n), |w| w.en.clone())
            })
            .collect();
        assert!(
            run.annotation.complete(),
            "{}: missing {missing:?}, out of order {:?}\n{}",
            b.name,
            run.annotation.out_of_order,
            ladder(&run.trace)
        );
        assert!(!run.walkthrough.stages.is_empty(), "{}: no stages", b.name);
        // Segments that belong to no stage are fine; a stage with no
        // segment is not.
        for st in &run.annotation.stages {
            assert!(
                !st.segments.is_empty(),
                "{}: stage {} is empty",
                b.name,
                st.n
            );
        }
    }
}

#[test]
fn every_scenario_speaks_english_and_chinese() {
    for b in BUNDLED {
        let run = run_bundled(b.name);
        let info = &run.trace.scenario;
        assert!(
            !info.title.en.is_empty() && !info.title.zh.is_empty(),
            "{}",
            b.name
        );
        assert!(
            !info.description.en.is_empty() && !info.description.zh.is_empty(),
            "{}: description",
            b.name
        );
        for st in &run.walkthrough.stages {
            for (what, t) in [("title", &st.title), ("text", &st.text)] {
                assert!(
                    !t.en.is_empty() && !t.zh.is_empty(),
                    "{}: stage {} {what} needs both languages",
                    b.name,
                    st.n
                );
            }
        }
    }
}

#[test]
fn the_same_seed_gives_byte_identical_exports() {
    for b in BUNDLED {
        let export = |r: &Run, lang| json::to_string(&r.trace, &r.walkthrough, &r.annotation, lang);
        let (a, c) = (run_bundled(b.name), run_bundled(b.name));
        for lang in [Lang::En, Lang::Zh] {
            assert!(
                export(&a, lang) == export(&c, lang),
                "{}: two runs differ",
                b.name
            );
        }
    }
}

/// A run of many trace blocks (a 1.5 MB file over the lossy path, about
/// 1,600 segments in 50 blocks, some reopened when a late fate arrives):
/// two runs export the same bytes, and the stored segments read back as
/// the simulation recorded them.
#[test]
fn a_long_run_is_byte_identical() {
    let long = ["ftp_server.file.0.size=1500000"];
    let a = run_bundled_with("lossy-download", &long);
    let c = run_bundled_with("lossy-download", &long);
    assert!(a.trace.segments.len() > 1000, "{}", a.trace.segments.len());
    let export = |r: &Run| json::to_string(&r.trace, &r.walkthrough, &r.annotation, Lang::En);
    assert!(export(&a) == export(&c), "two long runs differ");
    assert!(a.annotation.complete(), "{}", ladder(&a.trace));
}

#[test]
fn a_different_seed_gives_a_different_run_where_something_is_random() {
    for name in SEEDED {
        let a = run_bundled(name);
        let b = run_bundled_with(name, &["scenario.seed=2"]);
        assert_ne!(
            a.trace.segments, b.trace.segments,
            "{name}: seed 2 changed nothing"
        );
        // What the scenario teaches does not depend on the seed.
        assert!(
            b.annotation.complete(),
            "{name} with seed 2\n{}",
            ladder(&b.trace)
        );
    }
}

#[test]
fn passive_ftp_the_client_connects_to_the_port_the_227_names() {
    let run = run_bundled("passive-ftp");
    let t = &run.trace;
    let l = ladder(t);
    let reply = from(t, "server")
        .find(|s| payload_starts(t, s, "227 "))
        .unwrap_or_else(|| panic!("no 227\n{l}"));
    // 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    let text = String::from_utf8_lossy(t.payload(reply)).to_string();
    let inner = &text[text.find('(').unwrap() + 1..text.find(')').unwrap()];
    let n: Vec<u16> = inner.split(',').map(|x| x.parse().unwrap()).collect();
    assert_eq!(&n[..4], &[192, 168, 120, 240], "the server's own address");
    let port = n[4] * 256 + n[5];
    assert!(
        (50000..=50100).contains(&port),
        "a port from the passive range: {port}"
    );

    let data = conns_labelled(t, "data");
    assert_eq!(data.len(), 1, "{l}");
    let c = &t.conns[data[0] as usize];
    assert_eq!(
        t.node_name(c.initiator.node),
        "client",
        "the client opens it\n{l}"
    );
    assert_eq!(t.node_name(c.responder.node), "server");
    assert_eq!(c.responder.addr.port(), port, "to the port in the 227");
    let syn = t
        .segments
        .iter()
        .find(|s| s.conn == Some(data[0]) && s.flags.syn())
        .unwrap();
    assert!(!syn.flags.ack() && t.node_name(syn.from) == "client");
    // No connection at all is opened by the server.
    for s in t
        .segments
        .iter()
        .filter(|s| s.flags.syn() && !s.flags.ack())
    {
        assert_eq!(t.node_name(s.from), "client", "{l}");
    }
    assert!(!t.segments.iter().any(|s| payload_starts(t, &s, "PORT")));
}

#[test]
fn two_transfers_use_one_control_and_two_data_connections_on_n_plus_1_and_n_plus_2() {
    let run = run_bundled("two-transfers");
    let t = &run.trace;
    let l = ladder(t);
    assert_eq!(conns_labelled(t, "control").len(), 1, "{l}");
    let data = conns_labelled(t, "data");
    assert_eq!(data.len(), 2, "{l}");
    let client_ports: Vec<u16> = data
        .iter()
        .map(|&c| t.conns[c as usize].responder.addr.port())
        .collect();
    assert_eq!(client_ports, [51300, 51301], "N+1, then N+2\n{l}");
    for &c in &data {
        let conn = &t.conns[c as usize];
        assert_eq!(conn.initiator.addr.port(), 20, "active mode: from port 20");
        let segs: Vec<Segment> = t
            .segments
            .iter()
            .filter(|s| s.conn == Some(c) && s.retransmission.is_none())
            .collect();
        let syns = segs.iter().filter(|s| s.flags.syn()).count();
        let fins = segs.iter().filter(|s| s.flags.fin()).count();
        assert_eq!((syns, fins), (2, 2), "SYN, SYN+ACK; a FIN each way\n{l}");
        // Three segments to open: SYN, SYN+ACK, then the bare ACK.
        assert!(segs[0].flags.syn() && !segs[0].flags.ack());
        assert!(segs[1].flags.syn() && segs[1].flags.ack());
        assert!(segs[2].is_pure_ack());
        // Four to close: FIN, ACK, FIN, ACK (the first FIN may carry data
        // or sit beside it, so count from the first FIN).
        let first_fin = segs.iter().position(|s| s.flags.fin()).unwrap();
        let close: Vec<_> = segs[first_fin..].iter().collect();
        assert_eq!(close.len(), 4, "{l}");
        assert!(close[1].is_pure_ack() && close[3].is_pure_ack());
        assert!(close[2].flags.fin());
    }
    let ports: Vec<Segment> = from(t, "client")
        .filter(|s| payload_starts(t, s, "PORT "))
        .collect();
    assert_eq!(ports.len(), 2);
    assert!(payload_starts(
        t,
        &ports[0],
        "PORT 192,168,120,168,200,100\r\n"
    ));
    assert!(payload_starts(
        t,
        &ports[1],
        "PORT 192,168,120,168,200,101\r\n"
    ));
    // ASCII mode: the 35-byte file arrives as 36 bytes (LF became CRLF).
    let lines = transcript(t, "client");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ftp: 36 bytes received")),
        "{lines:?}"
    );
}

#[test]
fn two_transfers_with_a_random_allocator_get_unrelated_ports() {
    let run = run_bundled_with("two-transfers", &["host.client.tcp.ephemeral=random"]);
    let t = &run.trace;
    let ctl = t.segments.at(0).src.port();
    let data: Vec<u16> = conns_labelled(t, "data")
        .iter()
        .map(|&c| t.conns[c as usize].responder.addr.port())
        .collect();
    assert_eq!(data.len(), 2);
    assert_ne!(data, [ctl + 1, ctl + 2], "{}", ladder(t));
}

#[test]
fn nat_breaks_active_nothing_from_outside_reaches_the_private_address() {
    let run = run_bundled("nat-breaks-active");
    let t = &run.trace;
    let l = ladder(t);
    let private = Ipv4Addr::new(10, 0, 0, 2);
    // PORT carries the private address: the NAT has no FTP helper.
    assert!(
        from(t, "client").any(|s| payload_starts(t, &s, "PORT 10,0,0,2,")),
        "{l}"
    );
    // Every segment the server addressed to 10.0.0.2 was dropped, for want
    // of a route; none was delivered.
    let to_private: Vec<Segment> = from(t, "server")
        .filter(|s| *s.dst.ip() == private)
        .collect();
    assert!(to_private.len() >= 2, "the SYN and its retries\n{l}");
    for s in &to_private {
        assert!(s.flags.syn() && !s.flags.ack(), "{l}");
        assert!(
            matches!(
                s.fate,
                Fate::Dropped {
                    reason: DropReason::NoRoute,
                    ..
                }
            ),
            "{:?}\n{l}",
            s.fate
        );
    }
    for s in t
        .segments
        .iter()
        .filter(|s| t.node_name(s.from) != "client")
    {
        assert!(!(*s.dst.ip() == private && delivered(&s)), "{l}");
    }
    // The server saw the client only as the NAT's public address.
    let public = Ipv4Addr::new(203, 0, 113, 1);
    for s in from(t, "server").filter(|s| t.conn_label(s) == "control") {
        assert_eq!(*s.dst.ip(), public, "{l}");
    }
    let r425 = from(t, "server")
        .position(|s| payload_starts(t, &s, "425 "))
        .unwrap_or_else(|| panic!("no 425\n{l}"));
    let r425 = &from(t, "server").nth(r425).unwrap();
    assert!(to_private.iter().all(|s| s.time < r425.time));
    // After `passive`, the listing arrives.
    assert!(
        from(t, "server").any(|s| payload_starts(t, &s, "226 ")),
        "{l}"
    );
    assert!(
        transcript(t, "client")
            .iter()
            .any(|x| x.contains("readme.txt"))
    );
}

#[test]
fn nat_breaks_active_unless_the_nat_has_an_ftp_helper() {
    let run = run_bundled_with("nat-breaks-active", &["nat.nat.ftp_helper=true"]);
    let t = &run.trace;
    let l = ladder(t);
    assert!(
        !t.segments.iter().any(|s| payload_starts(t, &s, "425")),
        "{l}"
    );
    // The first data connection, opened by the server from port 20, is
    // delivered to the client through the helper's mapping.
    let syn = from(t, "server")
        .find(|s| t.conn_label(s) == "data" && s.flags.syn() && !s.flags.ack())
        .unwrap();
    assert_eq!(syn.src.port(), 20);
    assert_eq!(*syn.dst.ip(), Ipv4Addr::new(203, 0, 113, 1), "{l}");
    assert!(delivered(&syn), "{l}");
    assert!(t.events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Rewritten { note, .. } if note.contains("FTP helper rewrote PORT 10,0,0,2")
    )));
}

#[test]
fn firewall_blocks_active_syns_back_off_3_then_6_seconds_then_425() {
    let run = run_bundled("firewall-blocks-active");
    let t = &run.trace;
    let l = ladder(t);
    let syns: Vec<Segment> = from(t, "server")
        .filter(|s| t.conn_label(s) == "data" && s.flags.syn() && !s.flags.ack())
        .collect();
    assert_eq!(syns.len(), 3, "a SYN and two retries\n{l}");
    for s in &syns {
        assert_eq!(s.src.port(), 20);
        assert!(
            matches!(
                s.fate,
                Fate::Dropped {
                    reason: DropReason::Filtered,
                    ..
                }
            ),
            "{l}"
        );
    }
    assert!(syns[0].retransmission.is_none());
    assert!(
        syns[1..]
            .iter()
            .all(|s| matches!(s.retransmission.map(|r| r.kind), Some(RetxKind::Syn { .. })))
    );
    // About 0, 3 and 9 s, as in the `*denied` captures: the timeout doubles.
    let gaps: Vec<Duration> = syns.windows(2).map(|w| w[1].time - w[0].time).collect();
    assert_eq!(
        gaps,
        [Duration::from_secs(3), Duration::from_secs(6)],
        "{l}"
    );
    let r425 = from(t, "server")
        .find(|s| payload_starts(t, s, "425 "))
        .unwrap_or_else(|| panic!("no 425\n{l}"));
    // The server gives up when the doubled timer (12 s) expires.
    assert_eq!(r425.time - syns[2].time, Duration::from_secs(12), "{l}");
    // Nothing the server opened got through; what the client opened did.
    let data = conns_labelled(t, "data");
    assert_eq!(data.len(), 2, "{l}");
    let passive = &t.conns[data[1] as usize];
    assert_eq!(t.node_name(passive.initiator.node), "client");
    assert!(
        from(t, "server").any(|s| payload_starts(t, &s, "226 ")),
        "{l}"
    );
}

#[test]
fn lossy_download_fast_retransmit_rto_and_a_byte_exact_file() {
    const PATH: &str = "/pub/netstep-200k.bin";
    const SIZE: u64 = 204_800;
    let run = run_bundled("lossy-download");
    let t = &run.trace;
    let l = ladder(t);
    let data = conns_labelled(t, "data");
    assert_eq!(data.len(), 1, "{l}");
    let dc = data[0];
    let server_data: Vec<Segment> = from(t, "server")
        .filter(|s| s.conn == Some(dc) && s.payload_len > 0)
        .collect();

    // The two named losses, and how each was repaired.
    let lost: Vec<&Segment> = server_data
        .iter()
        .filter(|s| {
            matches!(
                s.fate,
                Fate::Dropped {
                    reason: DropReason::Fault,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(lost.len(), 2, "{l}");
    let retx: Vec<&Segment> = server_data
        .iter()
        .filter(|s| s.retransmission.is_some())
        .collect();
    assert_eq!(retx.len(), 2, "{l}");
    assert_eq!(retx[0].retransmission.unwrap().kind, RetxKind::Fast, "{l}");
    assert!(
        matches!(
            retx[1].retransmission.unwrap().kind,
            RetxKind::Rto { backoff: 1 }
        ),
        "{l}"
    );
    assert_eq!(retx[0].seq, lost[0].seq);
    assert_eq!(retx[1].seq, lost[1].seq);
    assert!(retx[1].flags.fin(), "the tail: the last bytes and the FIN");

    // Fast retransmit came on the third duplicate ACK, before any timer.
    // RFC 5681 (2): a duplicate repeats the previous ACK's number AND
    // window; an ACK that only moves the window is a window update.
    let hole = lost[0].seq;
    let mut prev: Option<Segment> = None;
    let mut dups = Vec::new();
    for s in from(t, "client").filter(|s| s.conn == Some(dc) && s.is_pure_ack()) {
        if let Some(p) = prev
            && s.ack == Some(hole)
            && p.ack == s.ack
            && p.window == s.window
        {
            dups.push(s);
        }
        prev = Some(s);
    }
    assert_eq!(dups.len(), 12, "{l}");
    let third = match dups[2].fate {
        Fate::Delivered { at } => at,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        retx[0].time, third,
        "sent as the third duplicate arrives\n{l}"
    );
    assert!(retx[0].time - lost[0].time < Duration::from_millis(200));
    // The timeout: RFC 6298 (5.3) restarts the timer at every ACK of new
    // data, so it fires 200 ms (Linux's minimum RTO) after the last ACK
    // that reached the server before it, not after the lost tail left.
    let last_ack = from(t, "client")
        .filter(|s| s.conn == Some(dc) && s.flags.ack())
        .filter_map(|s| match s.fate {
            Fate::Delivered { at } if at < retx[1].time => Some(at),
            _ => None,
        })
        .max()
        .expect("an ACK before the timeout");
    assert_eq!(retx[1].time - last_ack, Duration::from_millis(200), "{l}");
    assert!(
        retx[1].time - lost[1].time > Duration::from_millis(200),
        "{l}"
    );

    // The file: what the server sent is the file's content, and every byte
    // of it was delivered to the client at least once.
    let expected = FileContent::generated(SIZE, netstep_sim::ftp_app::content_seed(PATH))
        .read(0, SIZE as usize);
    let conn = &t.conns[dc as usize];
    let server_dir = if t.node_name(conn.initiator.node) == "server" {
        0
    } else {
        1
    };
    let stream = conn.streams[server_dir].expect("the server wrote the file");
    assert!(
        t.streams[stream as usize].bytes == expected,
        "the stream is the file"
    );
    let mut got = vec![None::<u8>; expected.len()];
    for s in server_data.iter().filter(|s| delivered(s)) {
        let off = s.payload_offset as usize;
        for (i, &b) in t.payload(*s).iter().enumerate() {
            got[off + i] = Some(b);
        }
    }
    let received: Option<Vec<u8>> = got.into_iter().collect();
    assert!(received.as_deref() == Some(&expected[..]), "byte-exact");
    let lines = transcript(t, "client");
    assert!(
        lines
            .iter()
            .any(|x| x.starts_with("ftp: 204800 bytes received")),
        "{lines:?}"
    );
    assert!(
        t.events.iter().any(|e| matches!(
            &e.kind,
            EventKind::App { node, what: AppEvent::Transfer { bytes: SIZE, .. }, .. }
                if t.node_name(*node) == "client"
        )),
        "the client counted {SIZE} bytes"
    );
}

#[test]
fn port_bounce_is_refused_and_nothing_reaches_the_third_host() {
    let run = run_bundled("port-bounce");
    let t = &run.trace;
    let l = ladder(t);
    let mail = Ipv4Addr::new(198, 51, 100, 25);
    assert!(
        from(t, "attacker").any(|s| payload_starts(t, &s, "PORT 198,51,100,25,0,25\r\n")),
        "{l}"
    );
    assert!(
        from(t, "server").any(|s| payload_starts(t, &s, "500 Illegal PORT command.")),
        "{l}"
    );
    for s in &t.segments {
        assert_ne!(*s.dst.ip(), mail, "{l}");
        assert!(s.to.is_none_or(|n| t.node_name(n) != "mail"), "{l}");
        assert_ne!(t.node_name(s.from), "mail", "{l}");
    }
    assert_eq!(conns_labelled(t, "data").len(), 0, "{l}");
}

#[test]
fn port_bounce_succeeds_against_a_server_without_protection() {
    let run = run_bundled_with(
        "port-bounce",
        &["ftp_server.server.allow_foreign_port=true"],
    );
    let t = &run.trace;
    let l = ladder(t);
    // The server connects from port 20 to the mail server's port 25 and
    // pours the file of SMTP commands into it.
    let smtp = from(t, "server")
        .find(|s| s.dst.port() == 25 && payload_starts(t, s, "HELO "))
        .unwrap_or_else(|| panic!("no bounce\n{l}"));
    assert_eq!(*smtp.dst.ip(), Ipv4Addr::new(198, 51, 100, 25));
    assert_eq!(smtp.src.port(), 20);
    assert!(delivered(&smtp));
}
