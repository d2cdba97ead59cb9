//! Ethernet II framing, only as far as capture files need it.
//!
//! netstep simulates IP hosts and has no link layer, yet its pcapng export
//! wraps every IPv4 packet in a synthetic Ethernet II header
//! (LINKTYPE_ETHERNET). Why: every real capture a student has seen, the
//! seed's screenshots included, starts with an "Ethernet II" line above
//! "Internet Protocol Version 4" and "Transmission Control Protocol", and
//! Wireshark dissects such a frame fully, layer by layer. LINKTYPE_RAW would
//! be truer to the model but shows an unfamiliar "Raw packet data" line.
//!
//! The MAC addresses are made up but stable: a locally administered unicast
//! prefix `02:00` followed by the host's IPv4 address, so
//! 192.168.120.168 gets `02:00:c0:a8:78:a8` and a student can tell hosts
//! apart in the Ethernet layer too.
//!
//! Leaves out: ARP (there is no address resolution to show), the 4-byte FCS,
//! and padding to the 60-byte minimum frame (a capture taken on the sending
//! host, which is what a simulated host's capture is, shows frames before
//! the NIC pads them). [`unwrap`] reads 802.1Q/802.1ad VLAN tags but
//! [`wrap_ipv4`] never writes them.

use crate::error::WireError;
use core::fmt;
use core::net::Ipv4Addr;

/// Destination MAC, source MAC, EtherType.
pub const HEADER_LEN: usize = 14;

/// EtherType values (IEEE 802 numbers).
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const IPV6: u16 = 0x86dd;
    pub const QINQ: u16 = 0x88a8;
}

/// A 48-bit MAC address; displays as `02:00:c0:a8:78:a8`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The synthetic address of the host with IPv4 address `ip`: the
    /// locally administered bit (0x02 in the first octet) set, multicast
    /// bit clear, then `00` and the four address octets.
    pub fn for_ipv4(ip: Ipv4Addr) -> MacAddr {
        let [a, b, c, d] = ip.octets();
        MacAddr([0x02, 0x00, a, b, c, d])
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// Replaces the contents of `out` with an Ethernet II frame carrying
/// `ip_packet`, from the synthetic MAC of `src_ip` to that of `dst_ip`.
/// `out` is reused so a writer loop allocates only while it grows.
pub fn wrap_ipv4(ip_packet: &[u8], src_ip: Ipv4Addr, dst_ip: Ipv4Addr, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(HEADER_LEN + ip_packet.len());
    out.extend_from_slice(&MacAddr::for_ipv4(dst_ip).0);
    out.extend_from_slice(&MacAddr::for_ipv4(src_ip).0);
    out.extend_from_slice(&ethertype::IPV4.to_be_bytes());
    out.extend_from_slice(ip_packet);
}

/// An Ethernet II frame read by [`unwrap`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EthernetFrame<'a> {
    pub dst: MacAddr,
    pub src: MacAddr,
    /// The EtherType after any VLAN tags.
    pub ethertype: u16,
    /// Everything after the header and tags, padding included.
    pub payload: &'a [u8],
}

/// Reads an Ethernet II header, stepping over up to two VLAN tags
/// (802.1Q, 802.1ad), as found in captures from switched networks.
pub fn unwrap(frame: &[u8]) -> Result<EthernetFrame<'_>, WireError> {
    let truncated = |needed: usize| WireError::Truncated {
        what: "Ethernet header",
        offset: 0,
        needed,
        have: frame.len(),
    };
    let header = frame.get(..HEADER_LEN).ok_or(truncated(HEADER_LEN))?;
    let mut dst = [0u8; 6];
    let mut src = [0u8; 6];
    dst.copy_from_slice(&header[0..6]);
    src.copy_from_slice(&header[6..12]);
    let mut at = 12;
    for _ in 0..3 {
        let ty = frame.get(at..at + 2).ok_or(truncated(at + 2))?;
        let ethertype = u16::from_be_bytes([ty[0], ty[1]]);
        if ethertype == ethertype::VLAN || ethertype == ethertype::QINQ {
            // A tag is TPID (the EtherType just read) plus 2 bytes of TCI.
            at += 4;
            continue;
        }
        return Ok(EthernetFrame {
            dst: MacAddr(dst),
            src: MacAddr(src),
            ethertype,
            payload: &frame[at + 2..],
        });
    }
    Err(WireError::Truncated {
        what: "Ethernet header (more than two VLAN tags)",
        offset: 0,
        needed: at + 2,
        have: frame.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_from_ipv4() {
        let mac = MacAddr::for_ipv4(Ipv4Addr::new(192, 168, 120, 168));
        assert_eq!(mac.to_string(), "02:00:c0:a8:78:a8");
    }

    #[test]
    fn wrap_then_unwrap() {
        let ip = [0x45u8, 0, 0, 20];
        let mut out = vec![0xaa; 3];
        wrap_ipv4(
            &ip,
            Ipv4Addr::new(192, 168, 120, 168),
            Ipv4Addr::new(192, 168, 120, 240),
            &mut out,
        );
        assert_eq!(
            out,
            [
                0x02, 0x00, 0xc0, 0xa8, 0x78, 0xf0, 0x02, 0x00, 0xc0, 0xa8, 0x78, 0xa8, 0x08, 0x00,
                0x45, 0, 0, 20
            ]
        );
        let f = unwrap(&out).unwrap();
        assert_eq!(f.ethertype, ethertype::IPV4);
        assert_eq!(f.payload, &ip);
        assert_eq!(f.src.to_string(), "02:00:c0:a8:78:a8");
    }

    #[test]
    fn vlan_tags_are_skipped() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00, 0x45]);
        let e = unwrap(&f).unwrap();
        assert_eq!(e.ethertype, ethertype::IPV4);
        assert_eq!(e.payload, &[0x45]);
    }

    #[test]
    fn short_frames_are_errors() {
        for len in 0..HEADER_LEN {
            assert!(unwrap(&vec![0u8; len]).is_err());
        }
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x81, 0x00, 0x00]);
        assert!(unwrap(&f).is_err());
        let mut f = vec![0u8; 12];
        for _ in 0..3 {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x01]);
        }
        f.extend_from_slice(&[0x08, 0x00]);
        assert!(unwrap(&f).is_err());
    }
}
