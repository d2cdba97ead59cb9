//! The exports of whole runs. Every bundled scenario's pcapng, taken at the
//! client, at the server and on the wire, is read back by netstep's own
//! reader (checksums verified, fields compared with the trace) and judged
//! by Wireshark's tshark: every checksum good, nothing malformed, FTP
//! decoded, the data connection recognised as FTP-DATA, and every TCP
//! analysis flag explained by the trace (none at all on a lossless run).
//! The tshark parts are skipped, with a note, where tshark is missing.

use netstep_export::{CapturePoint, markdown, mermaid, pcapng, svg};
use netstep_tests::{Run, run_bundled, run_bundled_with};
use netstep_trace::{AckReason, Fate, Lang, SegCause, Trace};
use netstep_wire::CapturedPacket;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------
// Helpers.

/// A folder of this test process's own, for capture files.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netstep-export-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tshark_available() -> bool {
    let ok = Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("skipped the tshark checks: tshark is not installed (apt-get install tshark)");
    }
    ok
}

/// Writes the capture of `run` at `at` and reads it back with netstep's
/// reader, verifying every checksum and comparing every packet with the
/// segment its comment names.
fn capture(run: &Run, name: &str, at: CapturePoint) -> (PathBuf, Vec<CapturedPacket>) {
    let bytes = pcapng(&run.trace, &run.annotation, at, Lang::En)
        .unwrap_or_else(|e| panic!("{name} at {at}: {e}"));
    let path = scratch().join(format!("{name}-{at}.pcapng"));
    std::fs::write(&path, &bytes).unwrap();
    let cap = netstep_wire::read_capture(&bytes).unwrap();
    for (k, p) in cap.packets.iter().enumerate() {
        let comment = p.comment.as_deref().unwrap_or_default();
        let n = segment_of(comment).unwrap_or_else(|| panic!("frame {}: {comment:?}", k + 1));
        let seg = &run.trace.segments.at(n - 1);
        let ip = p.ipv4_payload().expect("Ethernet carrying IPv4");
        let (iph, tcp) = netstep_wire::parse_ipv4_tcp(ip, true)
            .unwrap_or_else(|e| panic!("{name} at {at}, frame {}: {e}", k + 1));
        assert_eq!(iph.ident, seg.ip_ident);
        assert!(iph.dont_frag);
        assert_eq!(tcp.wire_flags(), seg.flags);
        assert_eq!(tcp.window, seg.window);
        assert_eq!(tcp.options, seg.options);
        // Addresses and numbers may differ from the sender's where a NAT
        // rewrote the packet on its way to this capture point.
        if at == CapturePoint::Wire || seg.from == host_of(&run.trace, at) {
            assert_eq!((iph.src, tcp.src_port), (*seg.src.ip(), seg.src.port()));
            assert_eq!((iph.dst, tcp.dst_port), (*seg.dst.ip(), seg.dst.port()));
            assert_eq!(tcp.seq_number, seg.seq);
            assert_eq!(tcp.ack_number, seg.ack);
            assert_eq!(tcp.payload, run.trace.payload(seg));
        }
    }
    (path, cap.packets)
}

fn host_of(trace: &Trace, at: CapturePoint) -> u32 {
    let roles = netstep_export::Roles::of(trace).unwrap();
    match at {
        CapturePoint::Server => roles.server,
        _ => roles.client,
    }
}

/// The 1-based segment number a packet comment names (`...; segment 12; ...`).
fn segment_of(comment: &str) -> Option<usize> {
    let rest = comment.split("; segment ").nth(1)?;
    rest.split(';').next()?.trim().parse().ok()
}

/// One frame as tshark dissected it.
#[derive(Debug, Default)]
struct Frame {
    number: usize,
    ip_checksum: String,
    tcp_checksum: String,
    malformed: bool,
    command: String,
    reply: String,
    /// The TCP analysis flags tshark raised, by field name.
    flags: Vec<&'static str>,
    comment: String,
}

const FLAGS: [&str; 8] = [
    "retransmission",
    "fast_retransmission",
    "spurious_retransmission",
    "duplicate_ack",
    "lost_segment",
    "ack_lost_segment",
    "window_update",
    "out_of_order",
];

fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "tshark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn dissect(path: &Path) -> Vec<Frame> {
    let path = path.to_str().unwrap();
    let mut args = vec![
        "-r",
        path,
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "ip.check_checksum:TRUE",
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-e",
        "frame.number",
        "-e",
        "ip.checksum.status",
        "-e",
        "tcp.checksum.status",
        "-e",
        "_ws.malformed",
        "-e",
        "ftp.request.command",
        "-e",
        "ftp.response.code",
        "-e",
        "tcp.analysis.flags",
    ];
    let fields: Vec<String> = FLAGS.iter().map(|f| format!("tcp.analysis.{f}")).collect();
    for f in &fields {
        args.extend(["-e", f]);
    }
    // Last, so that nothing in it can shift the other columns.
    args.extend(["-e", "frame.comment"]);
    tshark(&args)
        .lines()
        .map(|line| {
            let cols: Vec<&str> = line.splitn(8 + FLAGS.len(), '\t').collect();
            let col = |i: usize| cols.get(i).copied().unwrap_or("").to_string();
            let flags: Vec<&'static str> = FLAGS
                .iter()
                .enumerate()
                .filter(|(i, _)| !col(7 + i).is_empty())
                .map(|(_, f)| *f)
                .collect();
            let any = !col(6).is_empty();
            assert!(
                !any || !flags.is_empty(),
                "an analysis flag this test does not know: {line}"
            );
            Frame {
                number: col(0).parse().unwrap(),
                ip_checksum: col(1),
                tcp_checksum: col(2),
                malformed: !col(3).is_empty(),
                command: col(4),
                reply: col(5),
                flags,
                comment: col(7 + FLAGS.len()),
            }
        })
        .collect()
}

/// The FTP-DATA frames tshark finds and their payloads.
fn ftp_data(path: &Path) -> Vec<(usize, Vec<u8>)> {
    tshark(&[
        "-r",
        path.to_str().unwrap(),
        "-Y",
        "ftp-data",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tcp.payload",
    ])
    .lines()
    .map(|l| {
        let (n, hex) = l.split_once('\t').unwrap_or((l, ""));
        let hex: String = hex.chars().filter(char::is_ascii_hexdigit).collect();
        let bytes = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        (n.parse().unwrap(), bytes)
    })
    .collect()
}

/// The run lost, repeated or duplicated nothing.
fn lossless(trace: &Trace) -> bool {
    trace.segments.iter().all(|s| {
        matches!(s.fate, Fate::Delivered { .. })
            && s.retransmission.is_none()
            && s.duplicate_of.is_none()
    })
}

/// Why tshark may raise `flag` on segment `n` (1-based): what in the trace
/// makes it true. `Err` when nothing does.
fn explain(trace: &Trace, n: usize, flag: &str) -> Result<(), String> {
    let i = n - 1;
    let seg = &trace.segments.at(i);
    let same_flow = |s: &netstep_trace::Segment| s.conn == seg.conn && s.dir == seg.dir;
    let lost = |dir_same: bool| {
        trace.segments.iter().take(i).any(|s| {
            s.conn == seg.conn
                && (s.dir == seg.dir) == dir_same
                && matches!(s.fate, Fate::Dropped { .. })
        })
    };
    let ok = match flag {
        "retransmission" | "fast_retransmission" | "spurious_retransmission" => {
            seg.retransmission.is_some() || seg.duplicate_of.is_some()
        }
        "duplicate_ack" => matches!(
            seg.cause,
            SegCause::AckNow {
                reason: AckReason::OutOfOrder | AckReason::Duplicate
            }
        ),
        // Wireshark calls a retransmission that fills a hole less than a
        // round trip after the flow's latest segment "out-of-order": on
        // the wire the original was captured before it was lost.
        "out_of_order" => seg.retransmission.is_some(),
        "lost_segment" => lost(true),
        "ack_lost_segment" => lost(false),
        // Wireshark calls a bare ACK whose window differs from the last
        // one of its flow a window update, whatever made TCP send it.
        "window_update" => {
            seg.is_pure_ack()
                && trace
                    .segments
                    .iter()
                    .take(i)
                    .rfind(same_flow)
                    .is_some_and(|p| p.window != seg.window)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "segment {n}: tshark says {flag}, the trace does not"
        ))
    }
}

/// The checks every capture must pass; returns tshark's frames.
fn judge(run: &Run, name: &str, path: &Path, ours: &[CapturedPacket]) -> Vec<Frame> {
    let frames = dissect(path);
    assert_eq!(frames.len(), ours.len(), "{name}: frame count");
    let clean = lossless(&run.trace);
    let mut unexplained = Vec::new();
    for (f, p) in frames.iter().zip(ours) {
        let at = format!("{name}, frame {}", f.number);
        assert_eq!(f.ip_checksum, "1", "{at}: IPv4 checksum");
        assert_eq!(f.tcp_checksum, "1", "{at}: TCP checksum");
        assert!(!f.malformed, "{at}: malformed");
        assert_eq!(Some(f.comment.as_str()), p.comment.as_deref(), "{at}");
        if clean {
            assert!(f.flags.is_empty(), "{at}: {:?} on a lossless run", f.flags);
        }
        let n = segment_of(&f.comment).unwrap();
        for flag in &f.flags {
            if let Err(e) = explain(&run.trace, n, flag) {
                unexplained.push(format!("{at}: {e}"));
            }
        }
    }
    assert!(unexplained.is_empty(), "{}", unexplained.join("\n"));
    frames
}

// ---------------------------------------------------------------------
// The walkthrough.

#[test]
fn active_ftp_captures_decode_as_ftp_at_every_point() {
    let run = run_bundled("active-ftp");
    let listing = run
        .trace
        .segments
        .iter()
        .find(|s| run.trace.conn_label(s) == "data" && s.payload_len > 0)
        .map(|s| run.trace.payload(s).to_vec())
        .expect("the listing");
    let have_tshark = tshark_available();
    for at in CapturePoint::ALL {
        let (path, packets) = capture(&run, "active-ftp", at);
        assert_eq!(packets.len(), 37, "at {at}");
        for (k, p) in packets.iter().enumerate() {
            let c = p.comment.as_deref().unwrap_or_default();
            let n = segment_of(c).unwrap();
            let stage = run
                .annotation
                .stage_of(n - 1)
                .expect("every segment has a stage");
            assert!(
                c.starts_with(&format!("stage {stage}: ")),
                "{at}, frame {}: {c}",
                k + 1
            );
        }
        if !have_tshark {
            continue;
        }
        let frames = judge(&run, &format!("active-ftp at {at}"), &path, &packets);
        let mut commands: Vec<&str> = frames
            .iter()
            .filter(|f| !f.command.is_empty())
            .map(|f| f.command.as_str())
            .collect();
        let mut replies: Vec<&str> = frames
            .iter()
            .filter(|f| !f.reply.is_empty())
            .map(|f| f.reply.as_str())
            .collect();
        commands.sort_unstable();
        replies.sort_unstable();
        assert_eq!(
            commands,
            ["NLST", "PASS", "PORT", "PWD", "QUIT", "USER"],
            "at {at}"
        );
        assert_eq!(
            replies,
            ["150", "200", "220", "221", "226", "230", "257", "331"],
            "at {at}"
        );
        // Wireshark follows the PORT command to the data connection.
        let data = ftp_data(&path);
        assert_eq!(data.len(), 1, "at {at}: {data:?}");
        assert_eq!(data[0].1, listing, "at {at}");
        assert!(
            frames[data[0].0 - 1].comment.starts_with("stage 17: "),
            "{}",
            frames[data[0].0 - 1].comment
        );
    }
}

#[test]
fn active_ftp_comments_speak_chinese_too() {
    let run = run_bundled("active-ftp");
    let bytes = pcapng(&run.trace, &run.annotation, CapturePoint::Client, Lang::Zh).unwrap();
    let cap = netstep_wire::read_capture(&bytes).unwrap();
    let first = cap.packets[0].comment.as_deref().unwrap();
    assert!(first.starts_with("第 1 步："), "{first}");
    assert!(first.contains("第 1 个报文段"), "{first}");
}

// ---------------------------------------------------------------------
// Every bundled scenario.

#[test]
fn every_bundled_capture_is_clean_or_explained() {
    let have_tshark = tshark_available();
    for b in netstep_scenario::BUNDLED {
        let run = run_bundled(b.name);
        for at in CapturePoint::ALL {
            let (path, packets) = capture(&run, b.name, at);
            assert!(!packets.is_empty(), "{} at {at}", b.name);
            if have_tshark {
                judge(&run, &format!("{} at {at}", b.name), &path, &packets);
            }
        }
    }
}

#[test]
fn every_bundled_run_exports_as_text_in_both_languages() {
    for b in netstep_scenario::BUNDLED {
        let run = run_bundled(b.name);
        let (t, a) = (&run.trace, &run.annotation);
        for lang in [Lang::En, Lang::Zh] {
            let md = markdown(t, a, lang).unwrap();
            let rows = md.lines().filter(|l| l.starts_with("| ")).count();
            assert_eq!(rows, t.segments.len() + 1, "{}", b.name);
            let mm = mermaid(t, a, lang).unwrap();
            let arrows = mm.lines().filter(|l| l.contains(": [")).count();
            assert_eq!(arrows, t.segments.len(), "{}", b.name);
            let pic = svg(t, a, lang).unwrap();
            assert!(pic.starts_with("<svg ") && pic.ends_with("</svg>\n"));
            // `seg1`, `seg2`, ... inside `segments`.
            assert_eq!(
                pic.matches("<g id=\"seg").count(),
                t.segments.len() + 1,
                "{}",
                b.name
            );
        }
    }
}

// ---------------------------------------------------------------------
// A NAT with an FTP helper: each side sees its own addresses, and the
// rewritten PORT command shifts the sequence numbers consistently.

#[test]
fn a_nat_helper_rewrite_is_seen_only_past_the_nat() {
    if netstep_scenario::bundled("nat-breaks-active").is_none() {
        println!("skipped: no bundled nat-breaks-active scenario");
        return;
    }
    let run = run_bundled_with("nat-breaks-active", &["nat.nat.ftp_helper=true"]);
    let port_command = |packets: &[CapturedPacket]| -> String {
        packets
            .iter()
            .filter_map(|p| {
                let (_, tcp) = netstep_wire::parse_ipv4_tcp(p.ipv4_payload()?, true).ok()?;
                let text = String::from_utf8_lossy(tcp.payload).into_owned();
                text.starts_with("PORT ").then_some(text)
            })
            .next()
            .expect("a PORT command")
    };
    let (_, client) = capture(&run, "nat-helper", CapturePoint::Client);
    let (path, server) = capture(&run, "nat-helper", CapturePoint::Server);
    assert!(port_command(&client).starts_with("PORT 10,0,0,2,"));
    assert!(port_command(&server).starts_with("PORT 203,0,113,1,"));
    if tshark_available() {
        let frames = judge(&run, "nat-helper at server", &path, &server);
        // The helper made active mode work, and the server's view is
        // consistent: no analysis flag anywhere.
        assert!(frames.iter().all(|f| f.flags.is_empty()));
        assert!(!ftp_data(&path).is_empty());
    }
}
