//! netstep-wire: the vocabulary every other crate speaks.
//!
//! Virtual time ([`Instant`], [`Duration`]), TCP sequence numbers
//! ([`SeqNumber`]), IPv4 and TCP headers as zero-copy views and validated
//! `Repr` values, the internet checksum, and pcap/pcapng files. Nothing here
//! reads a clock, a socket or a file handle it did not get from its caller.

pub mod ipv4;
pub mod seq;
pub mod tcp;
pub mod time;

pub use ipv4::{Ipv4Addr, Ipv4Repr};
pub use seq::SeqNumber;
pub use tcp::{TcpFlags, TcpOptions, TcpRepr};
pub use time::{Duration, DurationParseError, Instant};
