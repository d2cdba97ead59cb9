//! A segment's bytes as they were on the wire, rebuilt from the trace with
//! `netstep_wire`'s emitter, and where each header field sits in them.
//!
//! The trace stores fields, not bytes; rebuilding gives the same bytes the
//! pcap exporter writes (DF set, no IP options, checksums filled in).
//! Leaves out: the Ethernet header (the hex view starts at the IP header,
//! as the segment panel's layers do).

use crate::app::FieldId;
use netstep_trace::{Segment, Trace};
use netstep_wire::{Ipv4Repr, TcpFlags, TcpRepr, emit_ipv4_tcp};
use std::ops::Range;

/// Bytes of the IPv4 header netstep emits (no options).
pub const IP_HEADER: usize = 20;

/// The rebuilt packet and its layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub bytes: Vec<u8>,
    /// TCP header length (20 plus options).
    pub tcp_header: usize,
}

impl Packet {
    pub fn build(trace: &Trace, seg: &Segment) -> Option<Packet> {
        let payload = trace.payload(seg);
        let ip = Ipv4Repr {
            src: *seg.src.ip(),
            dst: *seg.dst.ip(),
            protocol: netstep_wire::ipv4::protocol::TCP,
            ttl: seg.ttl,
            ident: seg.ip_ident,
            dont_frag: true,
            tos: 0,
            payload_len: 0,
        };
        let tcp = TcpRepr {
            src_port: seg.src.port(),
            dst_port: seg.dst.port(),
            seq_number: seg.seq,
            ack_number: seg.ack,
            // The emitter sets ACK itself when there is an ACK number.
            flags: TcpFlags(seg.flags.bits() & !TcpFlags::ACK.bits()),
            window: seg.window,
            urgent: 0,
            options: seg.options,
            payload,
        };
        let mut bytes = vec![0u8; IP_HEADER + 60 + payload.len()];
        let len = emit_ipv4_tcp(&ip, &tcp, &mut bytes);
        if len < IP_HEADER + 20 {
            return None;
        }
        bytes.truncate(len);
        let tcp_header = usize::from(bytes[IP_HEADER + 12] >> 4) * 4;
        Some(Packet { bytes, tcp_header })
    }

    /// The bytes a field occupies (RFC 791 3.1 and RFC 9293 3.1 offsets).
    pub fn range(&self, field: FieldId) -> Range<usize> {
        let t = IP_HEADER;
        let r = match field {
            FieldId::IpLen => 2..4,
            FieldId::IpIdent => 4..6,
            FieldId::IpFlags => 6..8,
            FieldId::IpTtl => 8..9,
            FieldId::IpChecksum => 10..12,
            FieldId::IpSrc => 12..16,
            FieldId::IpDst => 16..20,
            FieldId::SrcPort => t..t + 2,
            FieldId::DstPort => t + 2..t + 4,
            FieldId::Seq => t + 4..t + 8,
            FieldId::Ack => t + 8..t + 12,
            FieldId::HeaderLen => t + 12..t + 13,
            FieldId::Flags => t + 13..t + 14,
            FieldId::Window => t + 14..t + 16,
            FieldId::Checksum => t + 16..t + 18,
            FieldId::Options => t + 20..t + self.tcp_header,
            FieldId::Payload => t + self.tcp_header..self.bytes.len(),
        };
        r.start.min(self.bytes.len())..r.end.min(self.bytes.len())
    }

    pub fn u16_at(&self, at: usize) -> u16 {
        match self.bytes.get(at..at + 2) {
            Some(b) => u16::from_be_bytes([b[0], b[1]]),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn rebuilt_bytes_parse_back_to_the_segment() {
        let (t, _) = fixture::walkthrough_run();
        for seg in &t.segments {
            let p = Packet::build(&t, &seg).expect("every fixture segment fits");
            let (ip, tcp) = netstep_wire::parse_ipv4_tcp(&p.bytes, true).expect("valid checksums");
            assert_eq!(ip.ttl, seg.ttl);
            assert_eq!(tcp.seq_number, seg.seq);
            assert_eq!(tcp.ack_number, seg.ack);
            assert_eq!(tcp.wire_flags(), seg.flags);
            assert_eq!(tcp.payload, t.payload(seg));
        }
        let syn = Packet::build(&t, &t.segments.at(0)).unwrap();
        assert_eq!(syn.tcp_header, 24);
        assert_eq!(&syn.bytes[syn.range(FieldId::Options)], &[2, 4, 0x05, 0xb4]);
        let port = Packet::build(&t, &t.segments.at(13)).unwrap();
        assert_eq!(&port.bytes[port.range(FieldId::Payload)][..4], b"PORT");
        assert_eq!(port.range(FieldId::Seq), 24..28);
    }
}
