//! netstep-wire: the vocabulary every other crate speaks.
//!
//! Virtual time ([`Instant`], [`Duration`]), TCP sequence numbers
//! ([`SeqNumber`]), IPv4 and TCP headers as zero-copy views and validated
//! `Repr` values, the internet checksum, and pcap/pcapng files. Nothing here
//! reads a clock, a socket or a file handle it did not get from its caller.
//!
//! The wire types follow smoltcp's split: a `Packet<T: AsRef<[u8]>>` view
//! ([`Ipv4Packet`], [`TcpPacket`]) reads and writes fields in place and is
//! checked once by `new_checked`; a `Repr` ([`Ipv4Repr`], [`TcpRepr`]) is the
//! validated, `Copy`, allocation-free value with `parse` and `emit`.
//! [`parse_ipv4_tcp`] and [`emit_ipv4_tcp`] do both layers at once.
//!
//! Leaves out: IPv6, UDP, ICMP, IP fragmentation, and any link layer other
//! than what capture files need ([`ethernet`], [`pcap`]).

pub mod checksum;
pub mod error;
pub mod ethernet;
pub mod ipv4;
pub mod pattern;
pub mod pcap;
pub mod seq;
pub mod tcp;
pub mod time;

pub use error::WireError;
pub use ipv4::{Ipv4Addr, Ipv4Packet, Ipv4Repr};
pub use pcap::{
    Capture, CapturedPacket, LinkType, PcapError, PcapWriter, PcapngWriter, read_capture,
};
pub use seq::SeqNumber;
pub use tcp::{
    TcpFlags, TcpOption, TcpOptions, TcpPacket, TcpRepr, emit_ipv4_tcp, emit_ipv4_tcp_offload,
    emit_ipv4_tcp_offload_headers_vec, emit_ipv4_tcp_offload_vec, fill_tcp_checksum,
    parse_ipv4_tcp, parse_ipv4_tcp_emitted, parse_ipv4_tcp_emitted_parts, parse_ipv4_tcp_offloaded,
    try_emit_ipv4_tcp,
};
pub use time::{Duration, DurationParseError, Instant};
