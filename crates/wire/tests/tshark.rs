//! Wireshark's own dissectors as the judge: files we write must dissect as
//! Ethernet/IPv4/TCP with good checksums, no malformed packets and no
//! expert warnings, with our comments shown as packet comments; files
//! Wireshark's tools write must read back the same through our reader.
//!
//! Every test here skips (prints why, passes) when `tshark` is not
//! installed; `.ci/run` installs it in CI. Checked with TShark 4.0.

mod common;

use netstep_wire::ethernet;
use netstep_wire::pcap::{LinkType, PcapWriter, PcapngWriter, read_capture};
use netstep_wire::{
    Instant, Ipv4Addr, Ipv4Repr, SeqNumber, TcpFlags, TcpOptions, TcpRepr, emit_ipv4_tcp,
    parse_ipv4_tcp,
};
use std::path::{Path, PathBuf};
use std::process::Command;

const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 168);
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 240);

/// Wireshark's expert severity for warnings (`_ws.expert.severity`):
/// chat is 0x200000, note 0x400000, warn 0x600000, error 0x800000.
const EXPERT_WARN: u32 = 0x60_0000;

fn tshark_missing() -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "skipping: tshark is not installed (apt-get install tshark); .ci/run installs it in CI"
        );
    }
    !found
}

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("wire-{}-{name}", std::process::id()))
}

/// Runs a Wireshark tool and returns its standard output; stderr is only
/// shown on failure (tshark warns about running as root there).
fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The packet comment field: `frame.comment` in Wireshark 3.6 and later,
/// `pkt_comment` before (where `pkt_comment` in 4.x names the protocol and
/// prints its label). Probed on a file with a known comment rather than
/// guessed from the version.
fn comment_field() -> &'static str {
    static FIELD: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    FIELD.get_or_init(probe_comment_field)
}

fn probe_comment_field() -> &'static str {
    let probe = tmp("probe.pcapng");
    let mut w = PcapngWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
    w.write_packet(Instant::ZERO, &frame(&syn(1, 21, 100)), Some("probe"))
        .unwrap();
    std::fs::write(&probe, w.into_inner().unwrap()).unwrap();
    for field in ["frame.comment", "pkt_comment"] {
        let out = Command::new("tshark")
            .args(["-r", probe.to_str().unwrap(), "-T", "fields", "-e", field])
            .output()
            .unwrap();
        if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "probe" {
            std::fs::remove_file(&probe).ok();
            return field;
        }
    }
    panic!("tshark shows packet comments under neither frame.comment nor pkt_comment");
}

struct Segment {
    time: Instant,
    ip: Ipv4Repr,
    tcp: TcpRepr<'static>,
    comment: Option<&'static str>,
}

fn ip(src: Ipv4Addr, dst: Ipv4Addr, ident: u16) -> Ipv4Repr {
    Ipv4Repr {
        src,
        dst,
        protocol: 6,
        ttl: 128,
        ident,
        dont_frag: true,
        tos: 0,
        payload_len: 0,
    }
}

fn syn(src_port: u16, dst_port: u16, isn: u32) -> TcpRepr<'static> {
    TcpRepr {
        src_port,
        dst_port,
        seq_number: SeqNumber(isn),
        ack_number: None,
        flags: TcpFlags::SYN,
        window: 65535,
        urgent: 0,
        options: TcpOptions {
            mss: Some(1460),
            sack_permitted: true,
            ..TcpOptions::NONE
        },
        payload: &[],
    }
}

fn seg(
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    payload: &'static [u8],
) -> TcpRepr<'static> {
    TcpRepr {
        src_port,
        dst_port,
        seq_number: SeqNumber(seq),
        ack_number: Some(SeqNumber(ack)),
        flags,
        window: 64240,
        urgent: 0,
        options: TcpOptions::NONE,
        payload,
    }
}

fn ip_bytes(ip: &Ipv4Repr, tcp: &TcpRepr) -> Vec<u8> {
    let mut buf = vec![0u8; 1600];
    let n = emit_ipv4_tcp(ip, tcp, &mut buf);
    assert!(n > 0);
    buf.truncate(n);
    buf
}

fn frame(tcp: &TcpRepr) -> Vec<u8> {
    let mut out = Vec::new();
    ethernet::wrap_ipv4(
        &ip_bytes(&ip(CLIENT, SERVER, 1), tcp),
        CLIENT,
        SERVER,
        &mut out,
    );
    out
}

/// The start of an active-mode FTP session: the control connection's
/// handshake (Windows XP options) and greeting, then a data connection
/// from port 20 whose ends use window scaling and timestamps, with a SACK.
fn session() -> Vec<Segment> {
    const GREETING: &[u8] = b"220 netstep FTP server ready\r\n";
    const LISTING: &[u8] = b"-rw-r--r-- 1 ftp ftp 42 Jan 01 00:00 readme.txt\r\n";
    let (c, s) = (CLIENT, SERVER);
    let ack = TcpFlags::NONE;
    let psh = TcpFlags::PSH;
    let data_opts = |ts: (u32, u32)| TcpOptions {
        timestamps: Some(ts),
        ..TcpOptions::NONE
    };
    let syn_opts = |ts: (u32, u32)| TcpOptions {
        mss: Some(1460),
        window_scale: Some(7),
        sack_permitted: true,
        timestamps: Some(ts),
        ..TcpOptions::NONE
    };
    let g = GREETING.len() as u32;
    let l = LISTING.len() as u32;
    let ms = Instant::from_millis;
    let mut v = vec![
        Segment {
            time: ms(0),
            ip: ip(c, s, 0x0f2c),
            tcp: syn(51299, 21, 1000),
            comment: Some("1 三次握手：客户端 SYN → 服务器 21 端口"),
        },
        Segment {
            time: Instant::from_nanos(1_000_123),
            ip: ip(s, c, 0x2a00),
            tcp: TcpRepr {
                ack_number: Some(SeqNumber(1001)),
                ..syn(21, 51299, 5000)
            },
            comment: Some("1 SYN+ACK from the server"),
        },
        Segment {
            time: ms(2),
            ip: ip(c, s, 0x0f2d),
            tcp: seg(51299, 21, 1001, 5001, ack, b""),
            comment: None,
        },
        Segment {
            time: ms(30),
            ip: ip(s, c, 0x2a01),
            tcp: seg(21, 51299, 5001, 1001, psh, GREETING),
            comment: Some("2 The server greets the client (220)"),
        },
        Segment {
            time: ms(230),
            ip: ip(c, s, 0x0f2e),
            tcp: seg(51299, 21, 1001, 5001 + g, ack, b""),
            comment: Some("3 延迟确认：客户端的纯 ACK"),
        },
    ];
    // Data connection, server port 20 to client port 51300.
    let d = |seq, ack_no, flags, payload, options, ident, from_server: bool| {
        let (src, dst, sp, dp) = if from_server {
            (s, c, 20, 51300)
        } else {
            (c, s, 51300, 20)
        };
        (
            ip(src, dst, ident),
            TcpRepr {
                options,
                ..seg(sp, dp, seq, ack_no, flags, payload)
            },
        )
    };
    let mut push = |t: Instant, (ip, tcp): (Ipv4Repr, TcpRepr<'static>), comment| {
        v.push(Segment {
            time: t,
            ip,
            tcp,
            comment,
        })
    };
    let (ip1, mut syn1) = d(9000, 0, TcpFlags::SYN, b"", syn_opts((77, 0)), 0x2a02, true);
    syn1.ack_number = None;
    push(
        ms(300),
        (ip1, syn1),
        Some("16 The server opens the data connection"),
    );
    push(
        ms(301),
        d(
            3000,
            9001,
            TcpFlags::SYN,
            b"",
            syn_opts((500, 77)),
            0x0f2f,
            false,
        ),
        None,
    );
    push(
        ms(302),
        d(9001, 3001, ack, b"", data_opts((78, 500)), 0x2a03, true),
        None,
    );
    // The listing in two segments; the client misses the first, SACKs the
    // second (RFC 2018), and the server retransmits.
    let (a, b) = LISTING.split_at(20);
    let a_len = a.len() as u32;
    push(
        ms(303),
        d(9001, 3001, ack, a, data_opts((79, 500)), 0x2a04, true),
        Some("17 The listing, first part"),
    );
    push(
        ms(304),
        d(
            9001 + a_len,
            3001,
            psh,
            b,
            data_opts((79, 500)),
            0x2a05,
            true,
        ),
        None,
    );
    let mut sacked = d(3001, 9001, ack, b"", data_opts((501, 79)), 0x0f30, false);
    sacked.1.options.sack_blocks[0] = Some((SeqNumber(9001 + a_len), SeqNumber(9001 + l)));
    push(ms(305), sacked, Some("SACK: the first part went missing"));
    push(
        ms(306),
        d(9001, 3001, ack, a, data_opts((80, 501)), 0x2a06, true),
        Some("Retransmission"),
    );
    push(
        ms(307),
        d(
            3001,
            9001 + l,
            ack,
            b"",
            data_opts((502, 80)),
            0x0f31,
            false,
        ),
        None,
    );
    push(
        ms(308),
        d(
            9001 + l,
            3001,
            TcpFlags::FIN,
            b"",
            data_opts((81, 502)),
            0x2a07,
            true,
        ),
        Some("18 FIN+ACK"),
    );
    push(
        ms(309),
        d(
            3001,
            9002 + l,
            ack,
            b"",
            data_opts((503, 81)),
            0x0f32,
            false,
        ),
        None,
    );
    v
}

fn fields(file: &Path, comment: &str, extra: &[&str]) -> Vec<Vec<String>> {
    let mut args: Vec<&str> = vec![
        "-r",
        file.to_str().unwrap(),
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "tcp.relative_sequence_numbers:FALSE",
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-e",
        "frame.protocols",
        "-e",
        "ip.checksum.status",
        "-e",
        "tcp.checksum.status",
        "-e",
        "_ws.malformed",
        "-e",
        "_ws.expert.severity",
        "-e",
        comment,
    ];
    for e in extra {
        args.extend(["-e", e]);
    }
    run("tshark", &args)
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The common checks: IPv4 over TCP, both checksums good, not malformed,
/// no expert info at warning level or above.
fn assert_clean(row: &[String], what: &str) {
    assert!(row[0].contains("ip:tcp"), "{what}: protocols {}", row[0]);
    assert_eq!(row[1], "1", "{what}: IPv4 checksum status (1 = good)");
    assert_eq!(row[2], "1", "{what}: TCP checksum status (1 = good)");
    assert_eq!(row[3], "", "{what}: malformed");
    for sev in row[4].split(',').filter(|s| !s.is_empty()) {
        let sev: u32 = sev.parse().unwrap();
        assert!(sev < EXPERT_WARN, "{what}: expert severity {sev:#x}");
    }
}

#[test]
fn our_pcapng_dissects_cleanly_with_comments() {
    if tshark_missing() {
        return;
    }
    let comment = comment_field();
    let session = session();
    let mut w = PcapngWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
    for s in &session {
        w.write_ipv4(s.time, &ip_bytes(&s.ip, &s.tcp), s.comment)
            .unwrap();
    }
    let file = tmp("session.pcapng");
    std::fs::write(&file, w.into_inner().unwrap()).unwrap();

    let rows = fields(
        &file,
        comment,
        &[
            "frame.time_epoch",
            "eth.src",
            "eth.dst",
            "eth.type",
            "ip.src",
            "ip.id",
            "ip.flags.df",
            "tcp.srcport",
            "tcp.seq",
            "tcp.ack",
            "tcp.len",
            "tcp.options.mss_val",
            "tcp.options.wscale.shift",
            "tcp.options.sack_perm",
            "tcp.options.timestamp.tsval",
            "tcp.options.timestamp.tsecr",
            "tcp.options.sack_le",
            "tcp.options.sack_re",
        ],
    );
    assert_eq!(rows.len(), session.len());
    for (i, (row, s)) in rows.iter().zip(&session).enumerate() {
        let what = format!("packet {}", i + 1);
        assert_clean(row, &what);
        let t = s.time.as_nanos();
        let o = &s.tcp.options;
        let opt = |v: Option<String>| v.unwrap_or_default();
        let want = [
            s.comment.unwrap_or("").to_owned(),
            format!("{}.{:09}", t / 1_000_000_000, t % 1_000_000_000),
            ethernet::MacAddr::for_ipv4(s.ip.src).to_string(),
            ethernet::MacAddr::for_ipv4(s.ip.dst).to_string(),
            "0x0800".to_owned(),
            s.ip.src.to_string(),
            format!("{:#06x}", s.ip.ident),
            "1".to_owned(),
            s.tcp.src_port.to_string(),
            s.tcp.seq_number.to_string(),
            s.tcp.ack_number.map_or("0".to_owned(), |a| a.to_string()),
            s.tcp.payload.len().to_string(),
            opt(o.mss.map(|m| m.to_string())),
            opt(o.window_scale.map(|w| w.to_string())),
            // The option's raw bytes: kind 4, length 2.
            if o.sack_permitted { "0402" } else { "" }.to_owned(),
            opt(o.timestamps.map(|t| t.0.to_string())),
            opt(o.timestamps.map(|t| t.1.to_string())),
            opt(o.sack_blocks[0].map(|b| b.0.to_string())),
            opt(o.sack_blocks[0].map(|b| b.1.to_string())),
        ];
        assert_eq!(&row[5..], &want, "{what}");
    }

    // And our reader agrees with what we wrote.
    let c = read_capture(&std::fs::read(&file).unwrap()).unwrap();
    for (p, s) in c.packets.iter().zip(&session) {
        let (ip, tcp) = parse_ipv4_tcp(c.ipv4_payload(p).unwrap(), true).unwrap();
        assert_eq!((ip.src, tcp), (s.ip.src, s.tcp));
        assert_eq!(p.comment.as_deref(), s.comment);
    }
    std::fs::remove_file(file).ok();
}

#[test]
fn every_link_type_we_read_is_one_wireshark_reads() {
    if tshark_missing() {
        return;
    }
    let comment = comment_field();
    let packets = [
        ip_bytes(&ip(CLIENT, SERVER, 1), &syn(51299, 21, 7)),
        ip_bytes(
            &ip(CLIENT, SERVER, 2),
            &seg(51299, 21, 8, 99, TcpFlags::PSH, b"QUIT\r\n"),
        ),
    ];
    for link in [
        LinkType::ETHERNET,
        LinkType::RAW,
        LinkType::IPV4,
        LinkType::NULL,
        LinkType::LOOP,
        LinkType::LINUX_SLL,
    ] {
        for pcapng in [false, true] {
            let what = format!("{link:?} pcapng={pcapng}");
            let bytes = if pcapng {
                let mut w = PcapngWriter::new(Vec::new(), link, 0).unwrap();
                for (i, p) in packets.iter().enumerate() {
                    w.write_ipv4(Instant::from_micros(i as u64), p, None)
                        .unwrap();
                }
                w.into_inner().unwrap()
            } else {
                let mut w = PcapWriter::new(Vec::new(), link, 0).unwrap();
                for (i, p) in packets.iter().enumerate() {
                    w.write_ipv4(Instant::from_micros(i as u64), p, None)
                        .unwrap();
                }
                w.into_inner().unwrap()
            };
            let file = tmp(&format!("link{}-{pcapng}.cap", link.0));
            std::fs::write(&file, &bytes).unwrap();
            let rows = fields(&file, comment, &["tcp.seq"]);
            assert_eq!(rows.len(), 2, "{what}");
            for row in &rows {
                assert_clean(row, &what);
            }
            let c = read_capture(&bytes).unwrap();
            for (p, want) in c.packets.iter().zip(&packets) {
                assert_eq!(c.ipv4_payload(p), Some(&want[..]), "{what}");
            }
            std::fs::remove_file(file).ok();
        }
    }
}

#[test]
fn files_written_by_editcap_read_back_the_same() {
    if tshark_missing() {
        return;
    }
    // A classic pcap of ours, converted by editcap to pcapng with comments
    // and to nanosecond pcap.
    let session = session();
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
    let mut frame = Vec::new();
    for s in &session {
        ethernet::wrap_ipv4(&ip_bytes(&s.ip, &s.tcp), s.ip.src, s.ip.dst, &mut frame);
        w.write_packet(s.time, &frame, None).unwrap();
    }
    let original = w.into_inner().unwrap();
    let src = tmp("editcap-in.pcap");
    std::fs::write(&src, &original).unwrap();
    let ours = read_capture(&original).unwrap();

    let ng = tmp("editcap-out.pcapng");
    run(
        "editcap",
        &[
            "-F",
            "pcapng",
            "-a",
            "1:first, with a comma",
            "-a",
            "3:第三个",
            src.to_str().unwrap(),
            ng.to_str().unwrap(),
        ],
    );
    let theirs = read_capture(&std::fs::read(&ng).unwrap()).unwrap();
    assert_eq!(theirs.packets.len(), ours.packets.len());
    for (i, (a, b)) in theirs.packets.iter().zip(&ours.packets).enumerate() {
        assert_eq!(
            (a.timestamp_ns, &a.data, a.link_type),
            (b.timestamp_ns, &b.data, b.link_type)
        );
        let want = match i {
            0 => Some("first, with a comma"),
            2 => Some("第三个"),
            _ => None,
        };
        assert_eq!(a.comment.as_deref(), want, "packet {}", i + 1);
    }

    let ns = tmp("editcap-out-ns.pcap");
    run(
        "editcap",
        &[
            "-F",
            "nsecpcap",
            src.to_str().unwrap(),
            ns.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&ns).unwrap();
    assert_eq!(&bytes[..4], &0xa1b2_3c4du32.to_le_bytes());
    let theirs = read_capture(&bytes).unwrap();
    let times: Vec<u64> = theirs.packets.iter().map(|p| p.timestamp_ns).collect();
    let want: Vec<u64> = ours.packets.iter().map(|p| p.timestamp_ns).collect();
    assert_eq!(times, want);
    for f in [src, ng, ns] {
        std::fs::remove_file(f).ok();
    }
}

#[test]
fn handmade_big_endian_pcapng_is_real_pcapng() {
    if tshark_missing() {
        return;
    }
    // The reader's tests build pcapng byte by byte; make sure Wireshark
    // reads those files the same way, so the tests test the real format.
    let comment = comment_field();
    let data = ip_bytes(&ip(CLIENT, SERVER, 3), &syn(51299, 21, 1));
    let mut eth = Vec::new();
    ethernet::wrap_ipv4(&data, CLIENT, SERVER, &mut eth);
    let mut ng = common::Ng::new(true);
    ng.shb()
        .idb(1, 0, None, Some(-1))
        .idb(101, 0, Some(0x80 | 20), None)
        .epb(0, 5_000_000, &eth, &["大端"])
        .block(0x0000_0bad, &[1, 2, 3, 4])
        .epb(1, 3 << 20, &data, &[]);
    let file = tmp("big-endian.pcapng");
    std::fs::write(&file, &ng.out).unwrap();
    // Wireshark 4 lists the unknown block as a record of its own with no
    // protocols; it is not a packet.
    let rows: Vec<_> = fields(&file, comment, &["frame.time_epoch"])
        .into_iter()
        .filter(|row| !row[0].is_empty())
        .collect();
    let ours = read_capture(&ng.out).unwrap();
    assert_eq!(rows.len(), ours.packets.len());
    for (row, p) in rows.iter().zip(&ours.packets) {
        assert_clean(row, "big-endian pcapng");
        assert_eq!(row[5], p.comment.clone().unwrap_or_default());
        let t = p.timestamp_ns;
        assert_eq!(
            row[6],
            format!("{}.{:09}", t / 1_000_000_000, t % 1_000_000_000)
        );
    }
    std::fs::remove_file(file).ok();
}
