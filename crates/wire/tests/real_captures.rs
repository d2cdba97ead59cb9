//! Every capture in shared/captures, read and dissected, checked against
//! counts taken with Wireshark 4.0 (capinfos, and
//! `tshark -o tcp.check_checksum:TRUE -T fields -e tcp.checksum.status ...`).
//!
//! shared/ sits beside the repository (CI clones it to ../shared), so the
//! test skips with a message when the folder is not there.

use netstep_wire::parse_ipv4_tcp;
use netstep_wire::pcap::{CaptureFormat, LinkType, read_capture};
use std::path::Path;

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/captures");

/// What Wireshark counts in one file.
struct Expected {
    file: &'static str,
    /// capinfos "Number of packets".
    packets: usize,
    /// Sum of frame.len.
    frame_bytes: usize,
    /// `-Y ip`.
    ipv4: usize,
    /// `-Y "ip && tcp"`.
    ipv4_tcp: usize,
    /// tcp.checksum.status == Good (all IPv4 checksums are good).
    checksums_good: usize,
    /// Sums over IPv4 TCP packets: SYN flags, tcp.len, and segments with
    /// MSS, SACK-permitted, timestamps, window scale options.
    syn: usize,
    tcp_payload_bytes: usize,
    mss: usize,
    sack_perm: usize,
    timestamps: usize,
    window_scale: usize,
    /// frame.time_epoch of the first and last packet, in ns.
    first_ns: u64,
    last_ns: u64,
}

#[rustfmt::skip]
const EXPECTED: &[Expected] = &[
    Expected { file: "chrissanders-packets__ppa1e-ftp-uploadfailed.pcap", packets: 1645, frame_bytes: 1_522_158, ipv4: 1645, ipv4_tcp: 1645, checksums_good: 1645, syn: 2, tcp_payload_bytes: 1_429_340, mss: 2, sack_perm: 0, timestamps: 0, window_scale: 0, first_ns: 1_146_626_016_962_732_000, last_ns: 1_146_626_048_465_408_000 },
    Expected { file: "chrissanders-packets__ppa1e-ftpclientdenied.pcap", packets: 3, frame_bytes: 186, ipv4: 3, ipv4_tcp: 3, checksums_good: 3, syn: 3, tcp_payload_bytes: 0, mss: 3, sack_perm: 3, timestamps: 0, window_scale: 0, first_ns: 1_168_115_091_528_528_000, last_ns: 1_168_115_100_508_319_000 },
    Expected { file: "chrissanders-packets__ppa1e-ftpserverdenied.pcap", packets: 3, frame_bytes: 186, ipv4: 3, ipv4_tcp: 3, checksums_good: 3, syn: 3, tcp_payload_bytes: 0, mss: 3, sack_perm: 3, timestamps: 0, window_scale: 0, first_ns: 1_168_115_970_207_345_000, last_ns: 1_168_115_979_235_078_000 },
    // Loopback captures: TCP checksums were left to an offload that never ran.
    Expected { file: "suricata-verify__filestore-ftp-active-mode.pcap", packets: 47, frame_bytes: 3717, ipv4: 47, ipv4_tcp: 43, checksums_good: 0, syn: 4, tcp_payload_bytes: 415, mss: 4, sack_perm: 4, timestamps: 43, window_scale: 4, first_ns: 1_582_897_065_208_362_000, last_ns: 1_582_897_076_116_860_000 },
    Expected { file: "suricata-verify__filestore-ftp-passive-mode.pcap", packets: 43, frame_bytes: 3264, ipv4: 43, ipv4_tcp: 43, checksums_good: 0, syn: 4, tcp_payload_bytes: 394, mss: 4, sack_perm: 4, timestamps: 43, window_scale: 4, first_ns: 1_582_897_314_376_038_000, last_ns: 1_582_897_324_317_901_000 },
    Expected { file: "suricata-verify__firewall-118-ftp-stou-active.pcap", packets: 31, frame_bytes: 2401, ipv4: 31, ipv4_tcp: 31, checksums_good: 31, syn: 4, tcp_payload_bytes: 323, mss: 4, sack_perm: 4, timestamps: 31, window_scale: 4, first_ns: 1_782_185_820_575_219_000, last_ns: 1_782_185_820_576_061_000 },
    Expected { file: "suricata-verify__ftp-download-active.pcap", packets: 63, frame_bytes: 5026, ipv4: 63, ipv4_tcp: 63, checksums_good: 63, syn: 8, tcp_payload_bytes: 804, mss: 8, sack_perm: 8, timestamps: 63, window_scale: 8, first_ns: 1_781_126_451_277_051_000, last_ns: 1_781_126_451_306_735_000 },
    Expected { file: "suricata-verify__ftp-download-passive.pcap", packets: 63, frame_bytes: 4957, ipv4: 63, ipv4_tcp: 63, checksums_good: 63, syn: 8, tcp_payload_bytes: 735, mss: 8, sack_perm: 8, timestamps: 63, window_scale: 8, first_ns: 1_781_125_993_351_212_000, last_ns: 1_781_125_993_373_760_000 },
    Expected { file: "suricata-verify__ftp-epsv.pcap", packets: 112, frame_bytes: 8842, ipv4: 112, ipv4_tcp: 112, checksums_good: 112, syn: 2, tcp_payload_bytes: 1430, mss: 2, sack_perm: 2, timestamps: 112, window_scale: 2, first_ns: 1_187_379_087_247_302_000, last_ns: 1_187_379_168_110_214_000 },
    Expected { file: "suricata-verify__ftp-upload-active.pcap", packets: 63, frame_bytes: 4982, ipv4: 63, ipv4_tcp: 63, checksums_good: 63, syn: 8, tcp_payload_bytes: 760, mss: 8, sack_perm: 8, timestamps: 63, window_scale: 8, first_ns: 1_781_126_472_556_473_000, last_ns: 1_781_126_472_584_116_000 },
    Expected { file: "suricata-verify__ftp-upload-passive.pcap", packets: 63, frame_bytes: 4913, ipv4: 63, ipv4_tcp: 63, checksums_good: 63, syn: 8, tcp_payload_bytes: 691, mss: 8, sack_perm: 8, timestamps: 63, window_scale: 8, first_ns: 1_781_126_486_673_203_000, last_ns: 1_781_126_486_699_907_000 },
    Expected { file: "zeek__ftp-bigtransfer.pcap", packets: 83, frame_bytes: 30775, ipv4: 83, ipv4_tcp: 83, checksums_good: 83, syn: 6, tcp_payload_bytes: 25237, mss: 6, sack_perm: 6, timestamps: 83, window_scale: 6, first_ns: 1_395_939_399_984_671_000, last_ns: 1_395_939_569_619_222_000 },
    // IPv6 only: nothing for an IPv4 reader to hand back.
    Expected { file: "zeek__ftp-ipv6-retr-samba.pcap", packets: 37, frame_bytes: 3487, ipv4: 0, ipv4_tcp: 0, checksums_good: 0, syn: 0, tcp_payload_bytes: 0, mss: 0, sack_perm: 0, timestamps: 0, window_scale: 0, first_ns: 1_341_892_459_050_645_000, last_ns: 1_341_892_527_425_438_000 },
    Expected { file: "zeek__ftp-ipv6.pcap", packets: 136, frame_bytes: 16479, ipv4: 0, ipv4_tcp: 0, checksums_good: 0, syn: 0, tcp_payload_bytes: 0, mss: 0, sack_perm: 0, timestamps: 0, window_scale: 0, first_ns: 1_329_327_777_822_004_000, last_ns: 1_329_327_804_589_723_000 },
    Expected { file: "zeek__ftp-retr.pcap", packets: 67, frame_bytes: 21668, ipv4: 67, ipv4_tcp: 67, checksums_good: 67, syn: 4, tcp_payload_bytes: 17206, mss: 4, sack_perm: 4, timestamps: 67, window_scale: 4, first_ns: 1_363_628_702_013_625_000, last_ns: 1_363_628_702_272_410_000 },
];

#[test]
fn every_shared_capture_reads_as_wireshark_reads_it() {
    let dir = Path::new(CAPTURES);
    if !dir.is_dir() {
        eprintln!(
            "skipping: {} not found (shared/ is cloned beside the repository in CI)",
            dir.display()
        );
        return;
    }
    // Every capture in the folder is covered, so a new file needs its counts.
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<&str> = EXPECTED.iter().map(|e| e.file).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "captures on disk vs. counts in this test");

    for want in EXPECTED {
        let bytes = std::fs::read(dir.join(want.file)).unwrap();
        let capture = read_capture(&bytes).unwrap_or_else(|e| panic!("{}: {e}", want.file));
        let f = want.file;
        assert_eq!(
            capture.format,
            CaptureFormat::Pcap { nanosecond: false },
            "{f}"
        );
        assert_eq!(capture.interfaces[0].link_type, LinkType::ETHERNET, "{f}");
        assert_eq!(capture.packets.len(), want.packets, "{f}: packets");
        let frame_bytes: usize = capture.packets.iter().map(|p| p.orig_len as usize).sum();
        assert_eq!(frame_bytes, want.frame_bytes, "{f}: frame bytes");
        assert_eq!(
            capture.packets[0].timestamp_ns, want.first_ns,
            "{f}: first time"
        );
        assert_eq!(
            capture.packets.last().unwrap().timestamp_ns,
            want.last_ns,
            "{f}: last time"
        );

        let (mut ipv4, mut ipv4_tcp, mut good) = (0, 0, 0);
        let (mut syn, mut payload, mut mss, mut sack_perm, mut ts, mut ws) = (0, 0, 0, 0, 0, 0);
        for packet in &capture.packets {
            let Some(ip) = capture.ipv4_payload(packet) else {
                continue;
            };
            ipv4 += 1;
            let Ok((_, tcp)) = parse_ipv4_tcp(ip, false) else {
                continue;
            };
            ipv4_tcp += 1;
            good += usize::from(parse_ipv4_tcp(ip, true).is_ok());
            syn += usize::from(tcp.flags.syn());
            payload += tcp.payload.len();
            mss += usize::from(tcp.options.mss.is_some());
            sack_perm += usize::from(tcp.options.sack_permitted);
            ts += usize::from(tcp.options.timestamps.is_some());
            ws += usize::from(tcp.options.window_scale.is_some());
        }
        assert_eq!(ipv4, want.ipv4, "{f}: IPv4 packets");
        assert_eq!(ipv4_tcp, want.ipv4_tcp, "{f}: IPv4 TCP packets");
        assert_eq!(good, want.checksums_good, "{f}: good checksums");
        assert_eq!(syn, want.syn, "{f}: SYNs");
        assert_eq!(payload, want.tcp_payload_bytes, "{f}: TCP payload bytes");
        assert_eq!(
            (mss, sack_perm, ts, ws),
            (want.mss, want.sack_perm, want.timestamps, want.window_scale),
            "{f}: options (MSS, SACK-permitted, timestamps, window scale)"
        );
    }
}
