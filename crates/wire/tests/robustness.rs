//! Malformed input gives errors, never panics: arbitrary bytes, mutated
//! valid packets and capture files, and every truncation of them. Where a
//! packet does parse, emitting it again and re-parsing gives the same
//! values (the fuzz targets check the same with coverage guidance).

use netstep_wire::ethernet;
use netstep_wire::pcap::{LinkType, PcapWriter, PcapngWriter, read_capture};
use netstep_wire::{
    Instant, Ipv4Addr, Ipv4Repr, SeqNumber, TcpFlags, TcpOptions, TcpRepr, emit_ipv4_tcp,
    parse_ipv4_tcp,
};
use proptest::prelude::*;

/// Parses; if that works, emits again and checks the re-parse agrees.
fn check_round_trip(bytes: &[u8]) {
    for verify in [false, true] {
        let Ok((ip, tcp)) = parse_ipv4_tcp(bytes, verify) else {
            continue;
        };
        let mut buf = [0u8; 65_535];
        let n = emit_ipv4_tcp(&ip, &tcp, &mut buf);
        assert!(n >= 40, "a parsed packet always fits again");
        let (ip2, tcp2) = parse_ipv4_tcp(&buf[..n], true).expect("our own output parses");
        assert_eq!(
            ip2,
            Ipv4Repr {
                payload_len: tcp.buffer_len(),
                ..ip
            }
        );
        assert_eq!(
            tcp2,
            TcpRepr {
                options: tcp.options.as_emitted(),
                ..tcp
            }
        );
    }
}

fn sample_packet(options: TcpOptions, payload: &[u8]) -> Vec<u8> {
    let ip = Ipv4Repr {
        src: Ipv4Addr::new(192, 168, 120, 168),
        dst: Ipv4Addr::new(192, 168, 120, 240),
        protocol: 6,
        ttl: 128,
        ident: 7,
        dont_frag: true,
        tos: 0,
        payload_len: 0,
    };
    let tcp = TcpRepr {
        src_port: 51299,
        dst_port: 21,
        seq_number: SeqNumber(1000),
        ack_number: Some(SeqNumber(2000)),
        flags: TcpFlags::PSH,
        window: 64240,
        urgent: 0,
        options,
        payload,
    };
    let mut buf = vec![0u8; 1600];
    let n = emit_ipv4_tcp(&ip, &tcp, &mut buf);
    buf.truncate(n);
    buf
}

fn rich_options() -> TcpOptions {
    TcpOptions {
        timestamps: Some((11, 22)),
        sack_blocks: [
            Some((SeqNumber(3000), SeqNumber(4000))),
            Some((SeqNumber(5000), SeqNumber(6000))),
            None,
        ],
        ..TcpOptions::NONE
    }
}

#[test]
fn every_truncation_of_a_valid_packet_is_an_error() {
    let packet = sample_packet(rich_options(), b"USER anonymous\r\n");
    assert!(parse_ipv4_tcp(&packet, true).is_ok());
    for len in 0..packet.len() {
        for verify in [false, true] {
            assert!(
                parse_ipv4_tcp(&packet[..len], verify).is_err(),
                "len {len} parsed"
            );
        }
    }
}

#[test]
fn every_single_bit_flip_is_handled() {
    let packet = sample_packet(rich_options(), b"PASS secret\r\n");
    for i in 0..packet.len() {
        for bit in 0..8 {
            let mut p = packet.clone();
            p[i] ^= 1 << bit;
            // The checksums catch every single-bit error (RFC 1071).
            assert!(parse_ipv4_tcp(&p, true).is_err(), "byte {i} bit {bit}");
            check_round_trip(&p);
        }
    }
}

fn sample_pcapng() -> Vec<u8> {
    let mut w = PcapngWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
    let mut frame = Vec::new();
    for (i, comment) in [Some("1 SYN"), None, Some("3 三次握手")]
        .into_iter()
        .enumerate()
    {
        let p = sample_packet(rich_options(), &b"abcdefg"[..i * 3]);
        ethernet::wrap_ipv4(
            &p,
            Ipv4Addr::new(192, 168, 120, 168),
            Ipv4Addr::new(192, 168, 120, 240),
            &mut frame,
        );
        w.write_packet(Instant::from_micros(i as u64 * 1500), &frame, comment)
            .unwrap();
    }
    w.into_inner().unwrap()
}

fn sample_pcap() -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 0).unwrap();
    for i in 0..3u64 {
        w.write_packet(
            Instant::from_millis(i),
            &sample_packet(TcpOptions::NONE, b"x"),
            None,
        )
        .unwrap();
    }
    w.into_inner().unwrap()
}

#[test]
fn every_truncation_of_a_capture_is_an_error_or_a_prefix() {
    for file in [sample_pcapng(), sample_pcap()] {
        let whole = read_capture(&file).unwrap();
        assert_eq!(whole.packets.len(), 3);
        for len in 0..file.len() {
            match read_capture(&file[..len]) {
                Err(_) => {}
                // Cut exactly between blocks or records: a valid, shorter file.
                Ok(c) => assert_eq!(c.packets, whole.packets[..c.packets.len()]),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_round_trip(&bytes);
        let _ = read_capture(&bytes);
        let _ = ethernet::unwrap(&bytes);
    }

    /// Arbitrary bytes behind a plausible IPv4+TCP prefix reach the option
    /// parser far more often than fully random bytes do.
    #[test]
    fn arbitrary_tcp_headers_never_panic(
        data_offset in 0u8..16,
        flags in any::<u8>(),
        options in proptest::collection::vec(any::<u8>(), 0..44),
        payload_len in 0usize..20,
    ) {
        let mut p = sample_packet(TcpOptions::NONE, &[]);
        p.truncate(40);
        p.extend_from_slice(&options);
        p.resize(p.len() + payload_len, 0x55);
        let total = p.len() as u16;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p[32] = data_offset << 4;
        p[33] = flags;
        check_round_trip(&p);
    }

    #[test]
    fn mutated_packets_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut p = sample_packet(rich_options(), b"LIST\r\n");
        for (at, value) in edits {
            let i = at.index(p.len());
            p[i] = value;
        }
        let len = cut.index(p.len() + 1);
        check_round_trip(&p[..len]);
    }

    #[test]
    fn mutated_captures_never_panic(
        pcapng in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut file = if pcapng { sample_pcapng() } else { sample_pcap() };
        for (at, value) in edits {
            let i = at.index(file.len());
            file[i] = value;
        }
        let len = cut.index(file.len() + 1);
        if let Ok(capture) = read_capture(&file[..len]) {
            for packet in &capture.packets {
                if let Some(ip) = capture.ipv4_payload(packet) {
                    check_round_trip(ip);
                }
            }
        }
    }
}
