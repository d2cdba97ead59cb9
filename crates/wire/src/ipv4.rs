//! IPv4 headers (RFC 791 3.1).
//!
//! [`Ipv4Packet`] reads and writes header fields straight from a byte buffer
//! (checked once by [`Ipv4Packet::new_checked`]); [`Ipv4Repr`] is the
//! validated, allocation-free value that the rest of netstep passes around,
//! with [`Ipv4Repr::parse`] and [`Ipv4Repr::emit`].
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |Type of Service|          Total Length         |
//! |         Identification        |Flags|      Fragment Offset    |
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! |                       Source Address                          |
//! |                    Destination Address                        |
//! |                    Options                    |    Padding    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Leaves out: IP options (parsed past, never emitted: the `Repr` header is
//! always 20 bytes), fragmentation and reassembly (netstep never fragments,
//! so DF is normally set and a fragment is a parse error), and IPv6.

use crate::checksum;
use crate::error::WireError;
use core::fmt;
pub use core::net::Ipv4Addr;

/// IP protocol numbers netstep knows by name.
pub mod protocol {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
}

/// Byte offsets of the header fields (RFC 791 3.1).
mod field {
    pub type Field = core::ops::Range<usize>;
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
    pub const HEADER_END: usize = 20;
}

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const FRAG_OFFSET_MASK: u16 = 0x1fff;

/// A read/write view of an IPv4 packet in a byte buffer.
///
/// Getters panic if the buffer is shorter than the fields they read; build
/// the view with [`Ipv4Packet::new_checked`] (or call
/// [`Ipv4Packet::check_len`]) before reading bytes that came from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without looking at it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after [`Ipv4Packet::check_len`] has passed, so that
    /// no getter (nor `payload`) can panic.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks, in this order, that the buffer holds a fixed header, that the
    /// version is 4, that IHL is at least 5, that the buffer holds the whole
    /// header with its options, and that the total length covers the header
    /// and fits in the buffer. Bytes past the total length (Ethernet padding)
    /// are allowed and ignored.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < field::HEADER_END {
            return Err(WireError::Truncated {
                what: "IPv4 header",
                offset: 0,
                needed: field::HEADER_END,
                have: len,
            });
        }
        if self.version() != 4 {
            return Err(WireError::BadVersion {
                offset: field::VER_IHL,
                version: self.version(),
            });
        }
        let header_len = self.header_len();
        if header_len < field::HEADER_END {
            return Err(WireError::BadIhl {
                offset: field::VER_IHL,
                ihl: self.ihl(),
            });
        }
        if len < header_len {
            return Err(WireError::Truncated {
                what: "IPv4 header with options",
                offset: 0,
                needed: header_len,
                have: len,
            });
        }
        let total_len = self.total_len();
        if usize::from(total_len) < header_len {
            return Err(WireError::BadTotalLength {
                offset: field::LENGTH.start,
                total_len,
                header_len,
            });
        }
        if len < usize::from(total_len) {
            return Err(WireError::Truncated {
                what: "IPv4 packet (by its total length)",
                offset: 0,
                needed: usize::from(total_len),
                have: len,
            });
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn get_u16(&self, f: field::Field) -> u16 {
        let b = &self.buffer.as_ref()[f];
        u16::from_be_bytes([b[0], b[1]])
    }

    fn get_addr(&self, f: field::Field) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[f];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }
    /// The raw IHL field: header length in 32-bit words.
    pub fn ihl(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] & 0x0f
    }
    /// Header length in bytes, options included.
    pub fn header_len(&self) -> usize {
        usize::from(self.ihl()) * 4
    }
    /// The DSCP/ECN byte (RFC 2474, RFC 3168; RFC 791's Type of Service).
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[field::TOS]
    }
    pub fn dscp(&self) -> u8 {
        self.tos() >> 2
    }
    pub fn ecn(&self) -> u8 {
        self.tos() & 0x03
    }
    /// Length of header plus data, in bytes.
    pub fn total_len(&self) -> u16 {
        self.get_u16(field::LENGTH)
    }
    pub fn ident(&self) -> u16 {
        self.get_u16(field::IDENT)
    }
    /// The reserved flag bit (must be zero; RFC 3514 notwithstanding).
    pub fn reserved_flag(&self) -> bool {
        self.get_u16(field::FLG_OFF) & 0x8000 != 0
    }
    pub fn dont_frag(&self) -> bool {
        self.get_u16(field::FLG_OFF) & FLAG_DF != 0
    }
    pub fn more_frags(&self) -> bool {
        self.get_u16(field::FLG_OFF) & FLAG_MF != 0
    }
    /// Fragment offset in bytes (the field counts 8-byte units).
    pub fn frag_offset(&self) -> u16 {
        (self.get_u16(field::FLG_OFF) & FRAG_OFFSET_MASK) << 3
    }
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL]
    }
    pub fn checksum(&self) -> u16 {
        self.get_u16(field::CHECKSUM)
    }
    pub fn src_addr(&self) -> Ipv4Addr {
        self.get_addr(field::SRC_ADDR)
    }
    pub fn dst_addr(&self) -> Ipv4Addr {
        self.get_addr(field::DST_ADDR)
    }

    /// Whether the header (options included) sums to 0xffff (RFC 791 3.1,
    /// "the checksum field is the 16 bit one's complement of the one's
    /// complement sum of all 16 bit words in the header").
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(&self.buffer.as_ref()[..self.header_len()])
    }

    /// The checksum the header should carry: computed with the checksum
    /// field taken as zero.
    pub fn expected_checksum(&self) -> u16 {
        let header = &self.buffer.as_ref()[..self.header_len()];
        let sum = checksum::Checksum::new()
            .add_bytes(&header[..field::CHECKSUM.start])
            .add_bytes(&header[field::CHECKSUM.end..]);
        sum.finish()
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Ipv4Packet<&'a T> {
    /// The options bytes between the fixed header and the payload.
    pub fn options(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::HEADER_END..self.header_len()]
    }
    /// The bytes after the header, up to the total length (trailing link
    /// padding excluded).
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[self.header_len()..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    fn set_u16(&mut self, f: field::Field, v: u16) {
        self.buffer.as_mut()[f].copy_from_slice(&v.to_be_bytes());
    }
    fn set_flag_bits(&mut self, mask: u16, on: bool) {
        let raw = self.get_u16(field::FLG_OFF);
        self.set_u16(field::FLG_OFF, if on { raw | mask } else { raw & !mask });
    }

    pub fn set_version(&mut self, version: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (version << 4);
    }
    /// Sets the header length in bytes (rounded down to 32-bit words).
    pub fn set_header_len(&mut self, len: usize) {
        let words = ((len / 4) & 0x0f) as u8;
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | words;
    }
    pub fn set_tos(&mut self, tos: u8) {
        self.buffer.as_mut()[field::TOS] = tos;
    }
    pub fn set_total_len(&mut self, len: u16) {
        self.set_u16(field::LENGTH, len);
    }
    pub fn set_ident(&mut self, ident: u16) {
        self.set_u16(field::IDENT, ident);
    }
    /// Clears the three flag bits and the fragment offset.
    pub fn clear_flags(&mut self) {
        self.set_u16(field::FLG_OFF, 0);
    }
    pub fn set_reserved_flag(&mut self, on: bool) {
        self.set_flag_bits(0x8000, on);
    }
    pub fn set_dont_frag(&mut self, on: bool) {
        self.set_flag_bits(FLAG_DF, on);
    }
    pub fn set_more_frags(&mut self, on: bool) {
        self.set_flag_bits(FLAG_MF, on);
    }
    /// Sets the fragment offset in bytes (rounded down to 8-byte units).
    pub fn set_frag_offset(&mut self, bytes: u16) {
        let raw = self.get_u16(field::FLG_OFF);
        self.set_u16(field::FLG_OFF, (raw & !FRAG_OFFSET_MASK) | (bytes >> 3));
    }
    pub fn set_ttl(&mut self, ttl: u8) {
        self.buffer.as_mut()[field::TTL] = ttl;
    }
    pub fn set_protocol(&mut self, protocol: u8) {
        self.buffer.as_mut()[field::PROTOCOL] = protocol;
    }
    pub fn set_checksum(&mut self, checksum: u16) {
        self.set_u16(field::CHECKSUM, checksum);
    }
    pub fn set_src_addr(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&addr.octets());
    }
    pub fn set_dst_addr(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&addr.octets());
    }
    /// Computes the header checksum over the header as it stands now and
    /// writes it: call this after the last change to any header field.
    pub fn fill_checksum(&mut self) {
        let c = self.expected_checksum();
        self.set_checksum(c);
    }
    /// The options area, mutable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[field::HEADER_END..end]
    }
    /// The payload (header end to total length), mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.header_len(), usize::from(self.total_len()));
        &mut self.buffer.as_mut()[start..end]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Ipv4Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
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

impl Ipv4Repr {
    /// The length of every header netstep emits: no options.
    pub const HEADER_LEN: usize = field::HEADER_END;

    /// The largest payload an option-less IPv4 packet can carry.
    pub const MAX_PAYLOAD_LEN: usize = u16::MAX as usize - Self::HEADER_LEN;

    /// Reads a header, verifying its checksum. Options are skipped; the
    /// payload is what lies between the header and the total length.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Ipv4Packet<&T>) -> Result<Ipv4Repr, WireError> {
        Self::parse_with(packet, true)
    }

    /// [`Ipv4Repr::parse`] with the checksum check optional: captures taken
    /// on a sending host often hold checksums the NIC had not filled in yet.
    pub fn parse_with<T: AsRef<[u8]> + ?Sized>(
        packet: &Ipv4Packet<&T>,
        verify_checksum: bool,
    ) -> Result<Ipv4Repr, WireError> {
        packet.check_len()?;
        if verify_checksum && !packet.verify_checksum() {
            return Err(WireError::BadChecksum {
                what: "IPv4 header",
                offset: field::CHECKSUM.start,
                expected: packet.expected_checksum(),
                found: packet.checksum(),
            });
        }
        if packet.more_frags() || packet.frag_offset() != 0 {
            return Err(WireError::Fragmented {
                offset: field::FLG_OFF.start,
                frag_offset: packet.frag_offset(),
                more_frags: packet.more_frags(),
            });
        }
        Ok(Ipv4Repr {
            src: packet.src_addr(),
            dst: packet.dst_addr(),
            protocol: packet.protocol(),
            ttl: packet.ttl(),
            ident: packet.ident(),
            dont_frag: packet.dont_frag(),
            tos: packet.tos(),
            payload_len: usize::from(packet.total_len()) - packet.header_len(),
        })
    }

    /// Header plus payload, in bytes.
    pub const fn buffer_len(&self) -> usize {
        Self::HEADER_LEN + self.payload_len
    }

    /// Writes the 20-byte header (no options) and its checksum; the payload
    /// is the caller's to write. A `payload_len` above
    /// [`Ipv4Repr::MAX_PAYLOAD_LEN`] is written as the largest total length
    /// (use [`crate::try_emit_ipv4_tcp`] to get an error instead).
    ///
    /// # Panics
    /// If the buffer is shorter than 20 bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Ipv4Packet<&mut T>) {
        packet.set_version(4);
        packet.set_header_len(Self::HEADER_LEN);
        packet.set_tos(self.tos);
        let total = self.buffer_len().min(usize::from(u16::MAX));
        packet.set_total_len(total as u16);
        packet.set_ident(self.ident);
        packet.clear_flags();
        packet.set_dont_frag(self.dont_frag);
        packet.set_ttl(self.ttl);
        packet.set_protocol(self.protocol);
        packet.set_src_addr(self.src);
        packet.set_dst_addr(self.dst);
        packet.fill_checksum();
    }
}

impl fmt::Display for Ipv4Repr {
    /// `IPv4 192.168.120.168 > 192.168.120.240 proto 6 ttl 128 len 40`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv4 {} > {} proto {} ttl {} len {}",
            self.src,
            self.dst,
            self.protocol,
            self.ttl,
            self.buffer_len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header from a Windows XP SYN to an FTP server: 48 bytes total,
    /// ident 0x0f2c, DF, TTL 128, TCP, 192.168.120.168 > 192.168.120.240.
    const SYN_HEADER: [u8; 20] = [
        0x45, 0x00, 0x00, 0x30, 0x0f, 0x2c, 0x40, 0x00, 0x80, 0x06, 0x00, 0x00, 0xc0, 0xa8, 0x78,
        0xa8, 0xc0, 0xa8, 0x78, 0xf0,
    ];

    fn syn_repr() -> Ipv4Repr {
        Ipv4Repr {
            src: Ipv4Addr::new(192, 168, 120, 168),
            dst: Ipv4Addr::new(192, 168, 120, 240),
            protocol: protocol::TCP,
            ttl: 128,
            ident: 0x0f2c,
            dont_frag: true,
            tos: 0,
            payload_len: 28,
        }
    }

    fn syn_bytes() -> Vec<u8> {
        let mut b = SYN_HEADER.to_vec();
        let c = checksum::internet_checksum(&b);
        b[10..12].copy_from_slice(&c.to_be_bytes());
        b.resize(48, 0);
        b
    }

    #[test]
    fn emit_writes_the_literal_header() {
        let mut buf = [0xffu8; 48];
        syn_repr().emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
        assert_eq!(&buf[..20], &syn_bytes()[..20]);
        // Worked out independently with a 16-bit-word reference sum.
        assert_eq!(u16::from_be_bytes([buf[10], buf[11]]), 0x78b2);
    }

    #[test]
    fn parse_reads_the_literal_header() {
        let bytes = syn_bytes();
        let p = Ipv4Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.total_len(), 48);
        assert!(p.dont_frag() && !p.more_frags());
        assert_eq!(p.payload().len(), 28);
        assert_eq!(Ipv4Repr::parse(&p).unwrap(), syn_repr());
    }

    #[test]
    fn options_are_skipped() {
        let mut b = [0u8; 28];
        let mut p = Ipv4Packet::new_unchecked(&mut b[..]);
        syn_repr().emit(&mut p);
        p.set_header_len(24);
        p.set_total_len(28);
        p.options_mut().copy_from_slice(&[0x01, 0x01, 0x01, 0x00]);
        p.fill_checksum();
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.options(), &[1, 1, 1, 0]);
        let r = Ipv4Repr::parse(&p).unwrap();
        assert_eq!(r.payload_len, 4);
        assert_eq!(p.payload().len(), 4);
    }

    #[test]
    fn trailing_padding_is_ignored() {
        let mut b = syn_bytes();
        b.extend_from_slice(&[0; 6]);
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.payload().len(), 28);
    }

    #[test]
    fn malformed_headers_name_the_problem() {
        let good = syn_bytes();
        for len in 0..good.len() {
            let e = Ipv4Packet::new_checked(&good[..len]).unwrap_err();
            assert!(matches!(e, WireError::Truncated { .. }), "len {len}: {e}");
        }

        let mut b = good.clone();
        b[0] = 0x65;
        let e = Ipv4Packet::new_checked(&b[..]).unwrap_err();
        assert_eq!(
            e,
            WireError::BadVersion {
                offset: 0,
                version: 6
            }
        );

        let mut b = good.clone();
        b[0] = 0x44;
        let e = Ipv4Packet::new_checked(&b[..]).unwrap_err();
        assert_eq!(e, WireError::BadIhl { offset: 0, ihl: 4 });

        let mut b = good.clone();
        b[3] = 19;
        let e = Ipv4Packet::new_checked(&b[..]).unwrap_err();
        assert!(matches!(e, WireError::BadTotalLength { total_len: 19, .. }));

        let mut b = good.clone();
        b[8] = 127; // TTL changed, checksum not
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        let e = Ipv4Repr::parse(&p).unwrap_err();
        assert_eq!(
            e,
            WireError::BadChecksum {
                what: "IPv4 header",
                offset: 10,
                expected: 0x79b2,
                found: 0x78b2
            }
        );
        assert!(Ipv4Repr::parse_with(&p, false).is_ok());

        let mut b = good;
        let mut p = Ipv4Packet::new_unchecked(&mut b[..]);
        p.set_more_frags(true);
        p.fill_checksum();
        let e = Ipv4Repr::parse(&Ipv4Packet::new_unchecked(&b[..])).unwrap_err();
        assert!(matches!(e, WireError::Fragmented { offset: 6, .. }));
    }

    #[test]
    fn setters_round_trip() {
        let mut b = [0u8; 20];
        let mut p = Ipv4Packet::new_unchecked(&mut b[..]);
        p.set_version(4);
        p.set_header_len(20);
        p.set_tos(0xb8);
        p.set_total_len(1500);
        p.set_ident(0xbeef);
        p.set_dont_frag(true);
        p.set_frag_offset(1480);
        p.set_more_frags(true);
        p.set_reserved_flag(true);
        p.set_ttl(3);
        p.set_protocol(protocol::UDP);
        p.set_src_addr(Ipv4Addr::new(1, 2, 3, 4));
        p.set_dst_addr(Ipv4Addr::new(5, 6, 7, 8));
        p.fill_checksum();
        assert!(p.verify_checksum());
        assert_eq!((p.version(), p.header_len(), p.tos()), (4, 20, 0xb8));
        assert_eq!((p.dscp(), p.ecn()), (46, 0));
        assert_eq!((p.total_len(), p.ident()), (1500, 0xbeef));
        assert!(p.dont_frag() && p.more_frags() && p.reserved_flag());
        assert_eq!(p.frag_offset(), 1480);
        assert_eq!((p.ttl(), p.protocol()), (3, 17));
        assert_eq!(p.src_addr(), Ipv4Addr::new(1, 2, 3, 4));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(5, 6, 7, 8));
        p.set_dont_frag(false);
        assert!(!p.dont_frag() && p.more_frags());
    }

    #[test]
    fn display() {
        assert_eq!(
            syn_repr().to_string(),
            "IPv4 192.168.120.168 > 192.168.120.240 proto 6 ttl 128 len 48"
        );
    }
}
