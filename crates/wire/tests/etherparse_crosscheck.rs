//! Property tests that cross-check netstep-wire against etherparse 0.19, an
//! independent implementation of the same RFCs, in both directions: what we
//! emit, etherparse parses to the same fields; what etherparse emits, we
//! parse to the same fields.

use etherparse::{IpDscp, IpEcn, IpNumber, Ipv4Header, TcpHeader, TcpOptionElement};
use netstep_wire::{
    Ipv4Addr, Ipv4Repr, SeqNumber, TcpFlags, TcpOptions, TcpRepr, emit_ipv4_tcp, parse_ipv4_tcp,
};
use proptest::prelude::*;

fn arb_block() -> impl Strategy<Value = (SeqNumber, SeqNumber)> {
    (any::<u32>(), any::<u32>()).prop_map(|(l, r)| (SeqNumber(l), SeqNumber(r)))
}

/// Options as `TcpOptions::parse` would return them: SACK blocks packed at
/// the front.
fn arb_options() -> impl Strategy<Value = TcpOptions> {
    (
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u8>()),
        any::<bool>(),
        proptest::collection::vec(arb_block(), 0..=3),
        proptest::option::of((any::<u32>(), any::<u32>())),
    )
        .prop_map(|(mss, window_scale, sack_permitted, blocks, timestamps)| {
            let mut sack_blocks = [None; 3];
            for (slot, b) in sack_blocks.iter_mut().zip(blocks) {
                *slot = Some(b);
            }
            TcpOptions {
                mss,
                window_scale,
                sack_permitted,
                sack_blocks,
                timestamps,
            }
        })
}

fn arb_ip() -> impl Strategy<Value = Ipv4Repr> {
    (
        any::<[u8; 4]>(),
        any::<[u8; 4]>(),
        any::<u8>(),
        any::<u16>(),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(|(src, dst, ttl, ident, dont_frag, tos)| Ipv4Repr {
            src: Ipv4Addr::from(src),
            dst: Ipv4Addr::from(dst),
            protocol: 6,
            ttl,
            ident,
            dont_frag,
            tos,
            payload_len: 0,
        })
}

#[derive(Debug, Clone)]
struct TcpFields {
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: Option<u32>,
    flags: u8,
    window: u16,
    urgent: u16,
    options: TcpOptions,
    payload: Vec<u8>,
}

impl TcpFields {
    fn repr(&self) -> TcpRepr<'_> {
        TcpRepr {
            src_port: self.src_port,
            dst_port: self.dst_port,
            seq_number: SeqNumber(self.seq),
            ack_number: self.ack.map(SeqNumber),
            flags: TcpFlags(self.flags),
            window: self.window,
            urgent: self.urgent,
            options: self.options,
            payload: &self.payload,
        }
    }
}

fn arb_tcp() -> impl Strategy<Value = TcpFields> {
    (
        (any::<u16>(), any::<u16>(), any::<u32>()),
        proptest::option::of(any::<u32>()),
        any::<u8>(),
        (any::<u16>(), any::<u16>()),
        arb_options(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(
            |((src_port, dst_port, seq), ack, flags, (window, urgent), options, payload)| {
                TcpFields {
                    src_port,
                    dst_port,
                    seq,
                    ack,
                    // The repr keeps ACK in `ack_number`, not in `flags`.
                    flags: flags & !TcpFlags::ACK.0,
                    window,
                    urgent,
                    options,
                    payload,
                }
            },
        )
}

/// What our parser makes of a list of etherparse option elements: the last
/// value of each kind wins, SACK blocks accumulate up to three.
fn options_from_elements<'a>(
    elements: impl IntoIterator<Item = &'a TcpOptionElement>,
) -> TcpOptions {
    let mut o = TcpOptions::NONE;
    let mut n = 0;
    for e in elements {
        match e {
            TcpOptionElement::Noop => {}
            TcpOptionElement::MaximumSegmentSize(m) => o.mss = Some(*m),
            TcpOptionElement::WindowScale(s) => o.window_scale = Some(*s),
            TcpOptionElement::SelectiveAcknowledgementPermitted => o.sack_permitted = true,
            TcpOptionElement::Timestamp(a, b) => o.timestamps = Some((*a, *b)),
            TcpOptionElement::SelectiveAcknowledgement(first, rest) => {
                for (l, r) in std::iter::once(*first).chain(rest.iter().flatten().copied()) {
                    if n < 3 {
                        o.sack_blocks[n] = Some((SeqNumber(l), SeqNumber(r)));
                        n += 1;
                    }
                }
            }
        }
    }
    o
}

fn element_len(e: &TcpOptionElement) -> usize {
    match e {
        TcpOptionElement::Noop => 1,
        TcpOptionElement::MaximumSegmentSize(_) => 4,
        TcpOptionElement::WindowScale(_) => 3,
        TcpOptionElement::SelectiveAcknowledgementPermitted => 2,
        TcpOptionElement::Timestamp(..) => 10,
        TcpOptionElement::SelectiveAcknowledgement(_, rest) => {
            10 + 8 * rest.iter().flatten().count()
        }
    }
}

fn arb_element() -> impl Strategy<Value = TcpOptionElement> {
    prop_oneof![
        Just(TcpOptionElement::Noop),
        any::<u16>().prop_map(TcpOptionElement::MaximumSegmentSize),
        any::<u8>().prop_map(TcpOptionElement::WindowScale),
        Just(TcpOptionElement::SelectiveAcknowledgementPermitted),
        (any::<u32>(), any::<u32>()).prop_map(|(a, b)| TcpOptionElement::Timestamp(a, b)),
        (
            (any::<u32>(), any::<u32>()),
            proptest::collection::vec((any::<u32>(), any::<u32>()), 0..=3)
        )
            .prop_map(|(first, rest)| {
                let mut r = [None; 3];
                for (slot, b) in r.iter_mut().zip(rest) {
                    *slot = Some(b);
                }
                TcpOptionElement::SelectiveAcknowledgement(first, r)
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// We emit; etherparse parses; every field agrees and both checksums
    /// verify by etherparse's own computation.
    #[test]
    fn we_emit_etherparse_parses(ip in arb_ip(), tcp in arb_tcp()) {
        let repr = tcp.repr();
        let mut buf = vec![0u8; 20 + 60 + 300];
        let n = emit_ipv4_tcp(&ip, &repr, &mut buf);
        prop_assert_eq!(n, 20 + repr.buffer_len());
        let bytes = &buf[..n];

        let (eip, rest) = Ipv4Header::from_slice(bytes).unwrap();
        prop_assert_eq!(eip.source, ip.src.octets());
        prop_assert_eq!(eip.destination, ip.dst.octets());
        prop_assert_eq!(eip.time_to_live, ip.ttl);
        prop_assert_eq!(eip.identification, ip.ident);
        prop_assert_eq!(eip.dont_fragment, ip.dont_frag);
        prop_assert!(!eip.more_fragments);
        prop_assert_eq!(eip.fragment_offset.value(), 0);
        prop_assert_eq!((eip.dscp.value() << 2) | eip.ecn.value(), ip.tos);
        prop_assert_eq!(eip.protocol, IpNumber::TCP);
        prop_assert_eq!(usize::from(eip.total_len), n);
        prop_assert_eq!(eip.header_checksum, eip.calc_header_checksum());

        let (etcp, payload) = TcpHeader::from_slice(rest).unwrap();
        prop_assert_eq!(etcp.source_port, tcp.src_port);
        prop_assert_eq!(etcp.destination_port, tcp.dst_port);
        prop_assert_eq!(etcp.sequence_number, tcp.seq);
        prop_assert_eq!(etcp.ack, tcp.ack.is_some());
        prop_assert_eq!(etcp.acknowledgment_number, tcp.ack.unwrap_or(0));
        let f = TcpFlags(tcp.flags);
        prop_assert_eq!(
            (etcp.fin, etcp.syn, etcp.rst, etcp.psh, etcp.urg, etcp.ece, etcp.cwr),
            (
                f.fin(), f.syn(), f.rst(), f.psh(),
                f.contains(TcpFlags::URG), f.contains(TcpFlags::ECE), f.contains(TcpFlags::CWR)
            )
        );
        prop_assert!(!etcp.ns);
        prop_assert_eq!(etcp.window_size, tcp.window);
        prop_assert_eq!(etcp.urgent_pointer, tcp.urgent);
        prop_assert_eq!(etcp.header_len(), repr.header_len());
        let elements: Vec<TcpOptionElement> =
            etcp.options_iterator().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(options_from_elements(&elements), tcp.options.as_emitted());
        prop_assert_eq!(payload, &tcp.payload[..]);
        prop_assert_eq!(etcp.checksum, etcp.calc_checksum_ipv4(&eip, payload).unwrap());

        // And our own parser returns what went in.
        let (ip2, tcp2) = parse_ipv4_tcp(bytes, true).unwrap();
        prop_assert_eq!(ip2, Ipv4Repr { payload_len: repr.buffer_len(), ..ip });
        prop_assert_eq!(tcp2, TcpRepr { options: tcp.options.as_emitted(), ..repr });
    }

    /// etherparse emits (with IPv4 options and any option order it
    /// likes); we parse; every field agrees.
    #[test]
    fn etherparse_emits_we_parse(
        src in any::<[u8; 4]>(),
        dst in any::<[u8; 4]>(),
        (ttl, ident, dont_frag, dscp, ecn) in (any::<u8>(), any::<u16>(), any::<bool>(), 0u8..64, 0u8..4),
        ip_option_words in 0usize..=10,
        (src_port, dst_port, seq, ack_no) in (any::<u16>(), any::<u16>(), any::<u32>(), any::<u32>()),
        flags in any::<[bool; 9]>(),
        (window, urgent) in (any::<u16>(), any::<u16>()),
        elements in proptest::collection::vec(arb_element(), 0..8),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut etcp = TcpHeader::new(src_port, dst_port, seq, window);
        etcp.acknowledgment_number = ack_no;
        etcp.urgent_pointer = urgent;
        [etcp.ns, etcp.fin, etcp.syn, etcp.rst, etcp.psh, etcp.ack, etcp.urg, etcp.ece, etcp.cwr] = flags;
        // Keep the elements that fit in 40 option bytes.
        let mut room = 40;
        let elements: Vec<TcpOptionElement> = elements
            .into_iter()
            .take_while(|e| {
                let len = element_len(e);
                let fits = len <= room;
                room = room.saturating_sub(len);
                fits
            })
            .collect();
        etcp.set_options(&elements).unwrap();

        let mut eip = Ipv4Header::new(
            (etcp.header_len() + payload.len()) as u16, ttl, IpNumber::TCP, src, dst,
        ).unwrap();
        eip.identification = ident;
        eip.dont_fragment = dont_frag;
        eip.dscp = IpDscp::try_new(dscp).unwrap();
        eip.ecn = IpEcn::try_new(ecn).unwrap();
        // NOPs then EOL: options we must step over.
        let mut ip_options = vec![1u8; ip_option_words * 4];
        if let Some(last) = ip_options.last_mut() { *last = 0; }
        eip.options = ip_options.as_slice().try_into().unwrap();
        eip.total_len = (eip.header_len() + etcp.header_len() + payload.len()) as u16;
        eip.header_checksum = eip.calc_header_checksum();
        etcp.checksum = etcp.calc_checksum_ipv4(&eip, &payload).unwrap();

        let mut bytes = eip.to_bytes().to_vec();
        bytes.extend_from_slice(&etcp.to_bytes());
        bytes.extend_from_slice(&payload);

        let (ip, tcp) = parse_ipv4_tcp(&bytes, true).unwrap();
        prop_assert_eq!(ip, Ipv4Repr {
            src: Ipv4Addr::from(src),
            dst: Ipv4Addr::from(dst),
            protocol: 6,
            ttl,
            ident,
            dont_frag,
            tos: (dscp << 2) | ecn,
            payload_len: etcp.header_len() + payload.len(),
        });
        let mut want_flags = TcpFlags::NONE;
        for (on, f) in [
            (etcp.fin, TcpFlags::FIN), (etcp.syn, TcpFlags::SYN), (etcp.rst, TcpFlags::RST),
            (etcp.psh, TcpFlags::PSH), (etcp.urg, TcpFlags::URG), (etcp.ece, TcpFlags::ECE),
            (etcp.cwr, TcpFlags::CWR),
        ] {
            if on { want_flags |= f; }
        }
        prop_assert_eq!(tcp, TcpRepr {
            src_port,
            dst_port,
            seq_number: SeqNumber(seq),
            ack_number: etcp.ack.then_some(SeqNumber(ack_no)),
            flags: want_flags,
            window,
            urgent,
            options: options_from_elements(&elements),
            payload: &payload,
        });
    }
}
