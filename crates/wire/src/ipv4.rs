//! IPv4 headers (RFC 791).
//!
//! TODO(wire helper): `Ipv4Packet<T>` zero-copy view, `Ipv4Repr::parse`/`emit`.
//! Leaves out: IP options (parsed past, never emitted), fragmentation
//! (netstep never fragments: DF is always set).

pub use core::net::Ipv4Addr;

/// IP protocol numbers netstep knows by name.
pub mod protocol {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
}

/// A validated IPv4 header, without options.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub ttl: u8,
    /// The identification field.
    pub ident: u16,
    /// Don't Fragment.
    pub dont_frag: bool,
    /// DSCP and ECN byte (the old TOS).
    pub tos: u8,
    /// Length of what follows the header, in bytes.
    pub payload_len: usize,
}
