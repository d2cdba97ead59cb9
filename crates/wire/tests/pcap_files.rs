//! pcap and pcapng written and read back, files of either byte order built
//! by hand, and every error the reader names.

mod common;

use common::{Ng, handmade_pcap};
use netstep_wire::ethernet;
use netstep_wire::pcap::{
    CaptureFormat, LinkType, PcapError, PcapWriter, PcapngWriter, UnitsPerSec, frame_ipv4,
    ipv4_payload, read_capture,
};
use netstep_wire::{
    Instant, Ipv4Addr, Ipv4Repr, SeqNumber, TcpFlags, TcpOptions, TcpRepr, emit_ipv4_tcp,
    parse_ipv4_tcp,
};

const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 168);
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 240);

fn ip_packet(payload: &[u8]) -> Vec<u8> {
    let ip = Ipv4Repr {
        src: CLIENT,
        dst: SERVER,
        protocol: 6,
        ttl: 128,
        ident: 1,
        dont_frag: true,
        tos: 0,
        payload_len: 0,
    };
    let tcp = TcpRepr {
        src_port: 51299,
        dst_port: 21,
        seq_number: SeqNumber(1),
        ack_number: Some(SeqNumber(1)),
        flags: TcpFlags::PSH,
        window: 65535,
        urgent: 0,
        options: TcpOptions::NONE,
        payload,
    };
    let mut buf = vec![0u8; 1600];
    let n = emit_ipv4_tcp(&ip, &tcp, &mut buf);
    buf.truncate(n);
    buf
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ethernet::wrap_ipv4(&ip_packet(payload), CLIENT, SERVER, &mut out);
    out
}

#[test]
fn pcapng_round_trip_keeps_nanoseconds_and_comments() {
    let packets = [
        (Instant::from_nanos(0), frame(b""), Some("1 三次握手：SYN")),
        (
            Instant::from_nanos(1_234_567_891),
            frame(b"USER ftp\r\n"),
            None,
        ),
        (
            Instant::from_nanos(5_000_000_007),
            frame(b"220 ready\r\n"),
            Some("Stage 2: the server greets (220)"),
        ),
    ];
    let mut w = PcapngWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
    for (t, data, comment) in &packets {
        w.write_packet(*t, data, *comment).unwrap();
    }
    let file = w.into_inner().unwrap();
    // SHB in little-endian: block type, then the byte-order magic at 8.
    assert_eq!(&file[0..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    assert_eq!(&file[8..12], &[0x4d, 0x3c, 0x2b, 0x1a]);
    assert_eq!(file.len() % 4, 0);

    let c = read_capture(&file).unwrap();
    assert_eq!(c.format, CaptureFormat::Pcapng);
    assert!(!c.big_endian);
    assert_eq!(c.interfaces.len(), 1);
    assert_eq!(c.interfaces[0].link_type, LinkType::ETHERNET);
    assert_eq!(c.interfaces[0].units_per_sec, UnitsPerSec::PowerOf10(9));
    assert_eq!(c.packets.len(), 3);
    for (got, (t, data, comment)) in c.packets.iter().zip(&packets) {
        assert_eq!(got.timestamp_ns, t.as_nanos());
        assert_eq!(&got.data, data);
        assert_eq!(got.orig_len as usize, data.len());
        assert_eq!(got.comment.as_deref(), *comment);
        assert_eq!(got.link_type, LinkType::ETHERNET);
        let ip = c.ipv4_payload(got).unwrap();
        let (ip, tcp) = parse_ipv4_tcp(ip, true).unwrap();
        assert_eq!((ip.src, tcp.dst_port), (CLIENT, 21));
    }
}

#[test]
fn snaplen_cuts_packets_but_keeps_their_length() {
    let data = frame(&[b'x'; 100]);
    let mut w = PcapngWriter::new(Vec::new(), LinkType::ETHERNET, 54).unwrap();
    w.write_packet(Instant::ZERO, &data, None).unwrap();
    let c = read_capture(&w.into_inner().unwrap()).unwrap();
    assert_eq!(c.packets[0].data, data[..54]);
    assert_eq!(c.packets[0].orig_len as usize, data.len());

    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 54).unwrap();
    w.write_packet(Instant::ZERO, &data, None).unwrap();
    let c = read_capture(&w.into_inner().unwrap()).unwrap();
    assert_eq!(c.packets[0].data, data[..54]);
    assert_eq!(c.packets[0].orig_len as usize, data.len());
}

#[test]
fn pcap_round_trip_in_microseconds() {
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 0).unwrap();
    let data = ip_packet(b"PWD\r\n");
    w.write_packet(Instant::from_nanos(3_000_123_999), &data, Some("dropped"))
        .unwrap();
    let file = w.into_inner().unwrap();
    assert_eq!(&file[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    assert_eq!(&file[16..20], &262_144u32.to_le_bytes());
    let c = read_capture(&file).unwrap();
    assert_eq!(c.format, CaptureFormat::Pcap { nanosecond: false });
    assert_eq!(c.packets[0].timestamp_ns, 3_000_123_000);
    assert_eq!(c.packets[0].comment, None);
    assert_eq!(c.packets[0].link_type, LinkType::RAW);
    assert_eq!(c.ipv4_payload(&c.packets[0]), Some(&data[..]));
}

#[test]
fn pcap_in_both_byte_orders_and_both_resolutions() {
    let data = ip_packet(b"");
    for big in [false, true] {
        for nanos in [false, true] {
            let f = handmade_pcap(big, nanos, 228, &[(7, 250, &data), (8, 0, &data)]);
            let c = read_capture(&f).unwrap();
            assert_eq!(c.big_endian, big);
            assert_eq!(c.format, CaptureFormat::Pcap { nanosecond: nanos });
            assert_eq!(c.interfaces[0].link_type, LinkType::IPV4);
            assert_eq!(c.interfaces[0].snaplen, 65535);
            let frac_ns = if nanos { 250 } else { 250_000 };
            assert_eq!(c.packets[0].timestamp_ns, 7_000_000_000 + frac_ns);
            assert_eq!(c.packets[1].timestamp_ns, 8_000_000_000);
            assert_eq!(c.ipv4_payload(&c.packets[1]), Some(&data[..]));
        }
    }
}

#[test]
fn pcapng_sections_interfaces_and_block_kinds() {
    let data = ip_packet(b"NLST\r\n");
    let mut eth = Vec::new();
    ethernet::wrap_ipv4(&data, CLIENT, SERVER, &mut eth);

    let mut first = Ng::new(true);
    first
        .shb()
        .idb(1, 0, None, Some(-1)) // microseconds (default), one second back
        .idb(101, 0, Some(0x80 | 20), None) // 2^-20 s units
        .epb(0, 5_000_000, &eth, &["first", "second"])
        .block(0x0000_0bad, &[1, 2, 3, 4]) // unknown: skipped
        .block(5, &[0; 16]) // Interface Statistics: skipped
        .epb(1, 3 << 20, &data, &[])
        .spb(&eth);
    let mut second = Ng::new(false);
    second
        .shb()
        .idb(113, 0, Some(9), None)
        .epb(0, 42, &[0; 16], &["ü"]);
    let mut file = first.out.clone();
    file.extend_from_slice(&second.out);

    let c = read_capture(&file).unwrap();
    assert!(c.big_endian, "the first section's order");
    assert_eq!(c.interfaces.len(), 3);
    assert_eq!(c.interfaces[0].name.as_deref(), Some("eth0"));
    assert_eq!(c.interfaces[0].ts_offset_secs, -1);
    assert_eq!(c.interfaces[1].units_per_sec, UnitsPerSec::PowerOf2(20));
    let p = &c.packets;
    assert_eq!(p.len(), 4);
    assert_eq!((p[0].interface, p[0].timestamp_ns), (0, 4_000_000_000));
    assert_eq!(p[0].comment.as_deref(), Some("first\nsecond"));
    assert_eq!(c.ipv4_payload(&p[0]), Some(&data[..]));
    assert_eq!((p[1].interface, p[1].timestamp_ns), (1, 3_000_000_000));
    assert_eq!(p[1].link_type, LinkType::RAW);
    assert_eq!(c.ipv4_payload(&p[1]), Some(&data[..]));
    assert_eq!((p[2].interface, p[2].timestamp_ns), (0, 0), "SPB: no time");
    assert_eq!(p[2].data, eth);
    assert_eq!((p[3].interface, p[3].timestamp_ns), (2, 42));
    assert_eq!(p[3].link_type, LinkType::LINUX_SLL);
    assert_eq!(p[3].comment.as_deref(), Some("ü"));
}

#[test]
fn timestamp_resolutions() {
    assert_eq!(UnitsPerSec::from_tsresol(6).to_nanos(1), 1_000);
    assert_eq!(UnitsPerSec::from_tsresol(9).to_nanos(7), 7);
    assert_eq!(UnitsPerSec::from_tsresol(12).to_nanos(7_000), 7);
    assert_eq!(UnitsPerSec::from_tsresol(0).to_nanos(2), 2_000_000_000);
    assert_eq!(
        UnitsPerSec::from_tsresol(0x80 | 1).to_nanos(3),
        1_500_000_000
    );
    assert_eq!(UnitsPerSec::from_tsresol(0).to_nanos(u64::MAX), u64::MAX);
    assert_eq!(UnitsPerSec::from_tsresol(127).to_nanos(u64::MAX), 0);
    assert_eq!(UnitsPerSec::from_tsresol(0xff).to_nanos(u64::MAX), 0);
}

#[test]
fn errors_name_the_offset_and_the_problem() {
    let msg = |bytes: &[u8]| read_capture(bytes).unwrap_err().to_string();

    assert_eq!(
        msg(b"GIF89a"),
        "unknown capture file magic 0x47494638 at byte 0: neither pcap (a1b2c3d4, a1b23c4d) nor pcapng (0a0d0d0a)"
    );
    assert_eq!(
        msg(&[0xd4, 0xc3]),
        "capture file magic at byte 0 is truncated: needed 4 bytes, have 2"
    );

    // pcap: a record whose data runs past the end.
    let mut f = handmade_pcap(false, false, 1, &[(0, 0, &[1, 2, 3, 4])]);
    f.truncate(f.len() - 1);
    assert_eq!(
        msg(&f),
        "pcap packet data at byte 40 is truncated: needed 4 bytes, have 3"
    );
    let mut f = handmade_pcap(false, false, 1, &[]);
    f[4] = 3;
    assert_eq!(msg(&f), "unsupported pcap version 3.4 at byte 4");

    let mut ng = Ng::new(false);
    ng.shb().idb(1, 0, Some(9), None);
    let good = ng.out.clone();
    let shb_len = 12 + 16 + 20 + 4;
    assert_eq!(u32::from_le_bytes(good[4..8].try_into().unwrap()), shb_len);

    let mut f = good.clone();
    f[4] = 14;
    assert_eq!(
        msg(&f),
        "corrupt pcapng block length 14 at byte 4: not a multiple of 4"
    );
    let mut f = good.clone();
    f[4..8].copy_from_slice(&8u32.to_le_bytes());
    assert_eq!(
        msg(&f),
        "corrupt pcapng block length 8 at byte 4: shorter than the 12-byte minimum"
    );
    let mut f = good.clone();
    f[4..8].copy_from_slice(&4000u32.to_le_bytes());
    assert!(msg(&f).starts_with("pcapng block at byte 0 is truncated: needed 4000 bytes"));
    let mut f = good.clone();
    let end = shb_len as usize;
    f[end - 4] = 0;
    assert_eq!(
        msg(&f),
        "corrupt pcapng block at byte 48: trailing length 0 differs from leading length 52"
    );
    let mut f = good.clone();
    f[8] = 0x99;
    assert_eq!(
        msg(&f),
        "pcapng section header at byte 8 has unknown byte-order magic 0x993c2b1a (expected 1a2b3c4d in either byte order)"
    );
    let mut f = good.clone();
    f[12] = 2;
    assert_eq!(msg(&f), "unsupported pcapng version 2.0 at byte 12");

    // An option whose length runs past its block (the SHB's comment).
    let mut f = good.clone();
    f[26] = 200;
    assert_eq!(
        msg(&f),
        "pcapng option 1 at byte 24 has length 200, running past the end of its block"
    );

    // An EPB naming an interface the section does not have.
    let mut ng2 = Ng::new(false);
    ng2.out = good.clone();
    ng2.epb(1, 0, &[0; 4], &[]);
    assert_eq!(
        msg(&ng2.out),
        format!(
            "pcapng Enhanced Packet Block at byte {} refers to interface 1, but its section defines 1",
            good.len() + 8
        )
    );
    // An EPB whose captured length exceeds its block.
    let mut ng3 = Ng::new(false);
    ng3.out = good.clone();
    ng3.epb(0, 0, &[0; 4], &[]);
    let at = good.len() + 8 + 12;
    ng3.out[at] = 9;
    assert_eq!(
        msg(&ng3.out),
        format!(
            "pcapng Enhanced Packet Block at byte {at}: captured length 9 does not fit in the block (4 bytes of room)"
        )
    );
    // An SPB before any interface.
    let mut ng4 = Ng::new(false);
    ng4.shb().spb(&[1, 2, 3, 4]);
    assert!(matches!(
        read_capture(&ng4.out),
        Err(PcapError::UnknownInterface { interface: 0, .. })
    ));
}

#[test]
fn writer_rejects_oversized_comments() {
    let mut w = PcapngWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
    let long = "x".repeat(70_000);
    assert!(matches!(
        w.write_packet(Instant::ZERO, &[0; 20], Some(&long)),
        Err(PcapError::TooLong { .. })
    ));
}

#[test]
fn ipv4_payload_for_each_link_type() {
    let ip = ip_packet(b"");
    let with = |head: &[u8]| [head, &ip[..]].concat();
    let af_inet_le = with(&[2, 0, 0, 0]);
    let af_inet_be = with(&[0, 0, 0, 2]);
    let af_inet6 = with(&[30, 0, 0, 0]);
    let mut sll = vec![0u8; 14];
    sll.extend_from_slice(&[0x08, 0x00]);
    sll.extend_from_slice(&ip);
    let mut sll_arp = vec![0u8; 14];
    sll_arp.extend_from_slice(&[0x08, 0x06, 1, 2]);
    let mut sll2 = vec![0x08, 0x00];
    sll2.resize(20, 0);
    sll2.extend_from_slice(&ip);
    let mut vlan = vec![0u8; 12];
    vlan.extend_from_slice(&[0x81, 0x00, 0x00, 0x64, 0x08, 0x00]);
    vlan.extend_from_slice(&ip);
    let mut arp = vec![0u8; 12];
    arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
    let v6 = [0x60u8, 0, 0, 0];

    let cases: [(LinkType, &[u8], bool); 12] = [
        (LinkType::ETHERNET, &frame(b""), true),
        (LinkType::ETHERNET, &vlan, true),
        (LinkType::ETHERNET, &arp, false),
        (LinkType::RAW, &ip, true),
        (LinkType::RAW, &v6, false),
        (LinkType::IPV4, &ip, true),
        (LinkType::NULL, &af_inet_le, true),
        (LinkType::NULL, &af_inet_be, true),
        (LinkType::NULL, &af_inet6, false),
        (LinkType::LOOP, &af_inet_be, true),
        (LinkType::LINUX_SLL, &sll, true),
        (LinkType::LINUX_SLL2, &sll2, true),
    ];
    for (link, data, has_ip) in cases {
        let got = ipv4_payload(link, data);
        assert_eq!(got.is_some(), has_ip, "{link:?} {data:?}");
        if has_ip {
            assert_eq!(got, Some(&ip[..]), "{link:?}");
        }
    }
    assert_eq!(ipv4_payload(LinkType::LINUX_SLL, &sll_arp), None);
    assert_eq!(ipv4_payload(LinkType::LOOP, &af_inet_le), None);
    assert_eq!(ipv4_payload(LinkType(147), &ip), None);
}

#[test]
fn frame_ipv4_is_the_inverse_of_ipv4_payload() {
    let ip = ip_packet(b"TYPE I\r\n");
    let mut out = vec![9; 3];
    for link in [
        LinkType::ETHERNET,
        LinkType::RAW,
        LinkType::IPV4,
        LinkType::NULL,
        LinkType::LOOP,
        LinkType::LINUX_SLL,
    ] {
        frame_ipv4(link, &ip, &mut out).unwrap();
        assert_eq!(ipv4_payload(link, &out), Some(&ip[..]), "{link:?}");
    }
    frame_ipv4(LinkType::ETHERNET, &ip, &mut out).unwrap();
    assert_eq!(
        out[..14],
        frame(b"TYPE I\r\n")[..14],
        "addresses come from the header"
    );
    assert!(matches!(
        frame_ipv4(LinkType(147), &ip, &mut out),
        Err(PcapError::UnsupportedLinkType(147))
    ));

    let mut w = PcapngWriter::new(Vec::new(), LinkType::NULL, 0).unwrap();
    w.write_ipv4(Instant::ZERO, &ip, Some("null")).unwrap();
    let c = read_capture(&w.into_inner().unwrap()).unwrap();
    assert_eq!(c.ipv4_payload(&c.packets[0]), Some(&ip[..]));
}
