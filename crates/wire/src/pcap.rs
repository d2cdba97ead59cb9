//! Capture files: classic pcap and pcapng, written and read.
//!
//! Writing: [`PcapngWriter`] is what netstep's export uses. It writes one
//! Section Header Block, one Interface Description Block with `if_tsresol`
//! = 9 (nanosecond timestamps, so virtual time survives exactly), and one
//! Enhanced Packet Block per packet with an optional `opt_comment`: the
//! player's stage texts go there, in UTF-8 (Chinese too), and Wireshark
//! shows them as packet comments. [`PcapWriter`] writes classic pcap
//! (magic a1b2c3d4, microseconds), which has no place for comments. Both
//! always write little-endian, so the same run gives the same bytes on any
//! machine. `write_ipv4` frames an IPv4 packet for the file's link type
//! ([`frame_ipv4`]); netstep's exports use LINKTYPE_ETHERNET with the
//! synthetic header of [`crate::ethernet::wrap_ipv4`] (see that module for
//! why).
//!
//! Reading: [`read_capture`] takes a whole file's bytes and detects classic
//! pcap (either byte order, microsecond or nanosecond magic) or pcapng
//! (either byte order per section, several sections, several interfaces
//! each with its own `if_tsresol` and `if_tsoffset`; Enhanced, Simple and
//! obsolete Packet Blocks; unknown blocks skipped; comments returned).
//! [`Capture::ipv4_payload`] then strips the link layer of Ethernet (VLAN
//! tags too), raw IP, IPv4, BSD loopback (NULL, LOOP) and Linux cooked
//! (SLL, SLL2) packets.
//!
//! References: draft-ietf-opsawg-pcapng (sections 3 "General File
//! Structure", 4.1 SHB, 4.2 IDB, 4.3 EPB, 4.4 SPB, 3.5 options) and
//! draft-ietf-opsawg-pcap (classic format); link types from the tcpdump.org
//! LINKTYPE list.
//!
//! Leaves out: modified ("Kuznetzov") pcap, compressed files, Name
//! Resolution, Interface Statistics, Decryption Secrets and custom blocks
//! (skipped on read, never written), Enhanced Packet Block options other
//! than comments (flags, hashes, drop counts), and streaming reads: a file
//! is read whole, which suits the captures a teaching tool deals with.

use crate::ethernet;
use crate::time::Instant;
use core::net::Ipv4Addr;
use std::io::Write;
use thiserror::Error;

/// A link-layer header type (the tcpdump.org LINKTYPE_ values).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the writer's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (and 802.3).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IPv4 or IPv6, told apart by the version nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Linux "cooked" capture, version 2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// What can be wrong with a capture file, or with writing one.
#[derive(Debug, Error)]
pub enum PcapError {
    #[error(
        "unknown capture file magic {magic:#010x} at byte 0: neither pcap (a1b2c3d4, a1b23c4d) nor pcapng (0a0d0d0a)"
    )]
    UnknownMagic { magic: u32 },

    #[error("{what} at byte {offset} is truncated: needed {needed} bytes, have {have}")]
    Truncated {
        what: &'static str,
        offset: usize,
        needed: usize,
        have: usize,
    },

    #[error("unsupported {format} version {major}.{minor} at byte {offset}")]
    UnsupportedVersion {
        format: &'static str,
        offset: usize,
        major: u16,
        minor: u16,
    },

    #[error(
        "pcapng section header at byte {offset} has unknown byte-order magic {magic:#010x} (expected 1a2b3c4d in either byte order)"
    )]
    BadByteOrderMagic { offset: usize, magic: u32 },

    #[error("corrupt pcapng block length {len} at byte {offset}: {reason}")]
    BadBlockLength {
        offset: usize,
        len: u32,
        reason: &'static str,
    },

    #[error(
        "corrupt pcapng block at byte {offset}: trailing length {trailing} differs from leading length {leading}"
    )]
    BlockLengthMismatch {
        offset: usize,
        leading: u32,
        trailing: u32,
    },

    #[error(
        "pcapng {block} at byte {offset}: captured length {captured_len} does not fit in the block ({room} bytes of room)"
    )]
    BadCapturedLength {
        offset: usize,
        block: &'static str,
        captured_len: u32,
        room: usize,
    },

    #[error(
        "pcapng {block} at byte {offset} refers to interface {interface}, but its section defines {defined}"
    )]
    UnknownInterface {
        offset: usize,
        block: &'static str,
        interface: u32,
        defined: usize,
    },

    #[error(
        "pcapng option {code} at byte {offset} has length {len}, running past the end of its block"
    )]
    BadOptionLength { offset: usize, code: u16, len: u16 },

    #[error("{what} of {len} bytes is too long for the file format (at most {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },

    #[error("cannot frame an IPv4 packet for link type {0}")]
    UnsupportedLinkType(u16),

    #[error("writing capture: {0}")]
    Io(#[from] std::io::Error),
}

/// Which kind of file a [`Capture`] came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CaptureFormat {
    /// Classic pcap; `nanosecond` for the a1b23c4d magic.
    Pcap {
        nanosecond: bool,
    },
    Pcapng,
}

/// An interface a capture was taken on (pcapng IDB; classic pcap has one).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Interface {
    pub link_type: LinkType,
    /// Longest packet kept; 0 means no limit (pcapng).
    pub snaplen: u32,
    /// Timestamp units per second (pcapng `if_tsresol`; 10^6 by default).
    pub units_per_sec: UnitsPerSec,
    /// Seconds added to every timestamp (pcapng `if_tsoffset`).
    pub ts_offset_secs: i64,
    /// `if_name`, when given.
    pub name: Option<String>,
}

/// A timestamp resolution: 10^n or 2^n units per second (pcapng 4.2,
/// `if_tsresol`: "If the Most Significant Bit is equal to zero, the
/// remaining bits indicates the resolution of the timestamp as a negative
/// power of 10 ... If the Most Significant Bit is equal to one, ... as
/// negative power of 2").
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UnitsPerSec {
    PowerOf10(u8),
    PowerOf2(u8),
}

impl UnitsPerSec {
    /// Decodes the `if_tsresol` byte.
    pub fn from_tsresol(byte: u8) -> UnitsPerSec {
        if byte & 0x80 == 0 {
            UnitsPerSec::PowerOf10(byte)
        } else {
            UnitsPerSec::PowerOf2(byte & 0x7f)
        }
    }

    /// `units` converted to nanoseconds, saturating at `u64::MAX` and
    /// rounding down.
    pub fn to_nanos(self, units: u64) -> u64 {
        let units = u128::from(units);
        let ns = match self {
            UnitsPerSec::PowerOf10(n) if n <= 9 => units * 10u128.pow(9 - u32::from(n)),
            UnitsPerSec::PowerOf10(n) => 10u128
                .checked_pow(u32::from(n) - 9)
                .map_or(0, |div| units / div),
            UnitsPerSec::PowerOf2(n) => (units * 1_000_000_000) >> n,
        };
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

/// One packet read from a capture.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CapturedPacket {
    /// Nanoseconds since 1970-01-01 UTC (or since the start of a netstep
    /// run, for netstep's own exports). Simple Packet Blocks carry no time
    /// and read as 0.
    pub timestamp_ns: u64,
    /// Index into [`Capture::interfaces`].
    pub interface: usize,
    pub link_type: LinkType,
    /// Length on the wire; `data` may be shorter (snaplen).
    pub orig_len: u32,
    pub data: Vec<u8>,
    /// The packet's `opt_comment`s (several are joined with newlines);
    /// invalid UTF-8 is replaced with U+FFFD.
    pub comment: Option<String>,
}

impl CapturedPacket {
    /// The IPv4 packet inside, if the link layer carries one: see
    /// [`ipv4_payload`].
    pub fn ipv4_payload(&self) -> Option<&[u8]> {
        ipv4_payload(self.link_type, &self.data)
    }
}

/// A whole capture file, read.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Capture {
    pub format: CaptureFormat,
    /// Byte order of the file (of its first section, for pcapng).
    pub big_endian: bool,
    pub interfaces: Vec<Interface>,
    pub packets: Vec<CapturedPacket>,
}

impl Capture {
    /// The IPv4 packet inside `packet`, if its link layer carries one.
    pub fn ipv4_payload<'p>(&self, packet: &'p CapturedPacket) -> Option<&'p [u8]> {
        packet.ipv4_payload()
    }
}

/// Strips the link-layer header of `data` and returns the IPv4 packet it
/// carries, or `None` if it carries something else (IPv6, ARP, ...) or the
/// link type is not one netstep knows. The result may end with link-layer
/// padding; IPv4 parsing goes by the total length field and ignores it.
pub fn ipv4_payload(link_type: LinkType, data: &[u8]) -> Option<&[u8]> {
    const AF_INET: u32 = 2;
    let is_v4 = |d: &[u8]| d.first().is_some_and(|b| b >> 4 == 4);
    match link_type {
        LinkType::ETHERNET => ethernet::unwrap(data)
            .ok()
            .filter(|f| f.ethertype == ethernet::ethertype::IPV4)
            .map(|f| f.payload),
        LinkType::RAW => Some(data).filter(|d| is_v4(d)),
        LinkType::IPV4 => Some(data),
        // The family is in the capturing host's byte order; AF_INET is 2
        // on every system, so either order is accepted.
        LinkType::NULL => {
            let family = data.get(..4)?;
            let le = u32::from_le_bytes([family[0], family[1], family[2], family[3]]);
            let be = u32::from_be_bytes([family[0], family[1], family[2], family[3]]);
            (le == AF_INET || be == AF_INET).then(|| &data[4..])
        }
        LinkType::LOOP => {
            let family = data.get(..4)?;
            (u32::from_be_bytes([family[0], family[1], family[2], family[3]]) == AF_INET)
                .then(|| &data[4..])
        }
        // SLL: packet type, ARPHRD type, address length, 8 address bytes,
        // protocol (EtherType) at bytes 14-15.
        LinkType::LINUX_SLL => {
            let proto = data.get(14..16)?;
            (u16::from_be_bytes([proto[0], proto[1]]) == ethernet::ethertype::IPV4)
                .then(|| &data[16..])
        }
        // SLL2: protocol first, 20-byte header.
        LinkType::LINUX_SLL2 => {
            let proto = data.get(0..2)?;
            (data.len() >= 20
                && u16::from_be_bytes([proto[0], proto[1]]) == ethernet::ethertype::IPV4)
                .then(|| &data[20..])
        }
        _ => None,
    }
}

/// Replaces the contents of `out` with `ip_packet` framed for `link_type`:
/// the inverse of [`ipv4_payload`]. Ethernet gets the synthetic header of
/// [`ethernet::wrap_ipv4`], with the addresses read from the IPv4 header;
/// NULL gets AF_INET in little-endian (the byte order this module writes);
/// Linux cooked captures say "sent by us" from the source's synthetic MAC.
pub fn frame_ipv4(
    link_type: LinkType,
    ip_packet: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), PcapError> {
    let addr = |at: usize| {
        ip_packet
            .get(at..at + 4)
            .map_or(Ipv4Addr::UNSPECIFIED, |b| {
                Ipv4Addr::new(b[0], b[1], b[2], b[3])
            })
    };
    let (src, dst) = (addr(12), addr(16));
    out.clear();
    match link_type {
        LinkType::ETHERNET => ethernet::wrap_ipv4(ip_packet, src, dst, out),
        LinkType::RAW | LinkType::IPV4 => out.extend_from_slice(ip_packet),
        LinkType::NULL => {
            out.extend_from_slice(&2u32.to_le_bytes());
            out.extend_from_slice(ip_packet);
        }
        LinkType::LOOP => {
            out.extend_from_slice(&2u32.to_be_bytes());
            out.extend_from_slice(ip_packet);
        }
        // Packet type 4 ("sent by us"), ARPHRD_ETHER, 6-byte address
        // padded to 8, EtherType.
        LinkType::LINUX_SLL => {
            out.extend_from_slice(&[0, 4, 0, 1, 0, 6]);
            out.extend_from_slice(&ethernet::MacAddr::for_ipv4(src).0);
            out.extend_from_slice(&[0, 0, 0x08, 0x00]);
            out.extend_from_slice(ip_packet);
        }
        other => return Err(PcapError::UnsupportedLinkType(other.0)),
    }
    Ok(())
}

const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
const PCAP_HEADER_LEN: usize = 24;
const PCAP_RECORD_LEN: usize = 16;
/// What classic pcap writers put in the header when there is no limit.
const PCAP_DEFAULT_SNAPLEN: u32 = 262_144;

const BLOCK_SHB: u32 = 0x0a0d_0d0a;
const BLOCK_IDB: u32 = 0x0000_0001;
const BLOCK_OPB: u32 = 0x0000_0002;
const BLOCK_SPB: u32 = 0x0000_0003;
const BLOCK_EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

const OPT_ENDOFOPT: u16 = 0;
const OPT_COMMENT: u16 = 1;
const OPT_SHB_USERAPPL: u16 = 4;
const OPT_IF_NAME: u16 = 2;
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;

/// Rounds up to a multiple of 4: pcapng pads block data and option values
/// to 32 bits (pcapng 3.1, 3.5).
const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }
    fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }
    fn u64(self, b: [u8; 8]) -> u64 {
        match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        }
    }
}

/// Bounds-checked reads from the file, with offsets relative to the file
/// start so errors can name them.
#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
    endian: Endian,
}

impl<'a> Reader<'a> {
    fn slice(&self, at: usize, len: usize, what: &'static str) -> Result<&'a [u8], PcapError> {
        at.checked_add(len)
            .and_then(|end| self.bytes.get(at..end))
            .ok_or(PcapError::Truncated {
                what,
                offset: at,
                needed: len,
                have: self.bytes.len().saturating_sub(at),
            })
    }
    fn array<const N: usize>(&self, at: usize, what: &'static str) -> Result<[u8; N], PcapError> {
        let s = self.slice(at, N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u16(&self, at: usize, what: &'static str) -> Result<u16, PcapError> {
        Ok(self.endian.u16(self.array(at, what)?))
    }
    fn u32(&self, at: usize, what: &'static str) -> Result<u32, PcapError> {
        Ok(self.endian.u32(self.array(at, what)?))
    }
}

/// Reads a whole capture file, pcap or pcapng, from its bytes.
pub fn read_capture(bytes: &[u8]) -> Result<Capture, PcapError> {
    let head = Reader {
        bytes,
        endian: Endian::Little,
    };
    let magic_bytes: [u8; 4] = head.array(0, "capture file magic")?;
    let le = u32::from_le_bytes(magic_bytes);
    let be = u32::from_be_bytes(magic_bytes);
    match (le, be) {
        (PCAP_MAGIC_US, _) => read_pcap(bytes, Endian::Little, false),
        (PCAP_MAGIC_NS, _) => read_pcap(bytes, Endian::Little, true),
        (_, PCAP_MAGIC_US) => read_pcap(bytes, Endian::Big, false),
        (_, PCAP_MAGIC_NS) => read_pcap(bytes, Endian::Big, true),
        (BLOCK_SHB, _) => read_pcapng(bytes),
        _ => Err(PcapError::UnknownMagic { magic: be }),
    }
}

fn read_pcap(bytes: &[u8], endian: Endian, nanosecond: bool) -> Result<Capture, PcapError> {
    let r = Reader { bytes, endian };
    r.slice(0, PCAP_HEADER_LEN, "pcap file header")?;
    let major = r.u16(4, "pcap version")?;
    let minor = r.u16(6, "pcap version")?;
    if major != 2 {
        return Err(PcapError::UnsupportedVersion {
            format: "pcap",
            offset: 4,
            major,
            minor,
        });
    }
    let snaplen = r.u32(16, "pcap snaplen")?;
    // The upper bits of the link type field carry FCS information
    // (draft-ietf-opsawg-pcap 4: "LinkType and additional information").
    let link_type = LinkType((r.u32(20, "pcap link type")? & 0xffff) as u16);
    let frac_ns: u64 = if nanosecond { 1 } else { 1_000 };
    let mut packets = Vec::new();
    let mut at = PCAP_HEADER_LEN;
    while at < bytes.len() {
        let sec = r.u32(at, "pcap record header")?;
        let frac = r.u32(at + 4, "pcap record header")?;
        let caplen = r.u32(at + 8, "pcap record header")?;
        let orig_len = r.u32(at + 12, "pcap record header")?;
        let data_at = at + PCAP_RECORD_LEN;
        let data = r.slice(data_at, caplen as usize, "pcap packet data")?;
        packets.push(CapturedPacket {
            timestamp_ns: u64::from(sec) * 1_000_000_000 + u64::from(frac) * frac_ns,
            interface: 0,
            link_type,
            orig_len,
            data: data.to_vec(),
            comment: None,
        });
        at = data_at + data.len();
    }
    Ok(Capture {
        format: CaptureFormat::Pcap { nanosecond },
        big_endian: endian == Endian::Big,
        interfaces: vec![Interface {
            link_type,
            snaplen,
            units_per_sec: UnitsPerSec::PowerOf10(if nanosecond { 9 } else { 6 }),
            ts_offset_secs: 0,
            name: None,
        }],
        packets,
    })
}

/// Walks the options of a block (pcapng 3.5): code, length, value padded
/// to 32 bits, until `opt_endofopt` or the end. `at` is the options'
/// offset in the file.
fn for_each_option<'a>(
    r: &Reader<'a>,
    opts: &'a [u8],
    at: usize,
    mut f: impl FnMut(u16, &'a [u8]),
) -> Result<(), PcapError> {
    let mut pos = 0;
    while opts.len().saturating_sub(pos) >= 4 {
        let code = r.endian.u16([opts[pos], opts[pos + 1]]);
        let len = r.endian.u16([opts[pos + 2], opts[pos + 3]]);
        if code == OPT_ENDOFOPT {
            break;
        }
        let value =
            opts.get(pos + 4..pos + 4 + usize::from(len))
                .ok_or(PcapError::BadOptionLength {
                    offset: at + pos,
                    code,
                    len,
                })?;
        f(code, value);
        pos += 4 + pad4(usize::from(len));
    }
    Ok(())
}

fn comment_text(value: &[u8]) -> String {
    String::from_utf8_lossy(value)
        .trim_end_matches('\0')
        .to_owned()
}

fn add_comment(slot: &mut Option<String>, value: &[u8]) {
    let text = comment_text(value);
    match slot {
        Some(existing) => {
            existing.push('\n');
            existing.push_str(&text);
        }
        None => *slot = Some(text),
    }
}

fn read_pcapng(bytes: &[u8]) -> Result<Capture, PcapError> {
    let mut r = Reader {
        bytes,
        endian: Endian::Little,
    };
    let mut capture = Capture {
        format: CaptureFormat::Pcapng,
        big_endian: false,
        interfaces: Vec::new(),
        packets: Vec::new(),
    };
    // Interface ids are per section (pcapng 4.2): index into
    // `capture.interfaces` of this section's first interface.
    let mut section_first_interface = 0;
    let mut seen_section = false;
    let mut at = 0;
    while at < bytes.len() {
        let block_type_bytes: [u8; 4] = r.array(at, "pcapng block header")?;
        r.slice(at, 12, "pcapng block header")?;
        if u32::from_le_bytes(block_type_bytes) == BLOCK_SHB {
            // The SHB type reads the same in both byte orders; its
            // byte-order magic (pcapng 4.1) sets the order of the section.
            let bom: [u8; 4] = r.array(at + 8, "pcapng byte-order magic")?;
            r.endian = if u32::from_le_bytes(bom) == BYTE_ORDER_MAGIC {
                Endian::Little
            } else if u32::from_be_bytes(bom) == BYTE_ORDER_MAGIC {
                Endian::Big
            } else {
                return Err(PcapError::BadByteOrderMagic {
                    offset: at + 8,
                    magic: u32::from_be_bytes(bom),
                });
            };
            if !seen_section {
                capture.big_endian = r.endian == Endian::Big;
                seen_section = true;
            }
        }
        let block_type = r.endian.u32(block_type_bytes);
        let len = r.u32(at + 4, "pcapng block header")?;
        if len < 12 {
            return Err(PcapError::BadBlockLength {
                offset: at + 4,
                len,
                reason: "shorter than the 12-byte minimum",
            });
        }
        if !len.is_multiple_of(4) {
            return Err(PcapError::BadBlockLength {
                offset: at + 4,
                len,
                reason: "not a multiple of 4",
            });
        }
        let block_len = len as usize;
        r.slice(at, block_len, "pcapng block")?;
        let trailing = r.u32(at + block_len - 4, "pcapng block trailer")?;
        if trailing != len {
            return Err(PcapError::BlockLengthMismatch {
                offset: at + block_len - 4,
                leading: len,
                trailing,
            });
        }
        let body_at = at + 8;
        let body = &bytes[body_at..at + block_len - 4];
        let too_short = |min: usize, reason: &'static str| {
            if body.len() < min {
                Err(PcapError::BadBlockLength {
                    offset: at + 4,
                    len,
                    reason,
                })
            } else {
                Ok(())
            }
        };
        let section_interfaces = capture.interfaces.len() - section_first_interface;
        match block_type {
            BLOCK_SHB => {
                too_short(16, "too short for a Section Header Block")?;
                let major = r.u16(body_at + 4, "pcapng version")?;
                let minor = r.u16(body_at + 6, "pcapng version")?;
                if major != 1 {
                    return Err(PcapError::UnsupportedVersion {
                        format: "pcapng",
                        offset: body_at + 4,
                        major,
                        minor,
                    });
                }
                section_first_interface = capture.interfaces.len();
                for_each_option(&r, &body[16..], body_at + 16, |_, _| {})?;
            }
            BLOCK_IDB => {
                too_short(8, "too short for an Interface Description Block")?;
                let mut interface = Interface {
                    link_type: LinkType(r.u16(body_at, "pcapng link type")?),
                    snaplen: r.u32(body_at + 4, "pcapng snaplen")?,
                    units_per_sec: UnitsPerSec::PowerOf10(6),
                    ts_offset_secs: 0,
                    name: None,
                };
                for_each_option(&r, &body[8..], body_at + 8, |code, value| match code {
                    OPT_IF_TSRESOL => {
                        if let Some(&b) = value.first() {
                            interface.units_per_sec = UnitsPerSec::from_tsresol(b);
                        }
                    }
                    OPT_IF_TSOFFSET => {
                        if let Ok(v) = <[u8; 8]>::try_from(value) {
                            interface.ts_offset_secs = r.endian.u64(v) as i64;
                        }
                    }
                    OPT_IF_NAME => interface.name = Some(comment_text(value)),
                    _ => {}
                })?;
                capture.interfaces.push(interface);
            }
            BLOCK_EPB | BLOCK_OPB => {
                let name = if block_type == BLOCK_EPB {
                    "Enhanced Packet Block"
                } else {
                    "Packet Block"
                };
                too_short(20, "too short for a packet block")?;
                let interface_id = if block_type == BLOCK_EPB {
                    r.u32(body_at, "pcapng interface id")?
                } else {
                    u32::from(r.u16(body_at, "pcapng interface id")?)
                };
                if interface_id as usize >= section_interfaces {
                    return Err(PcapError::UnknownInterface {
                        offset: body_at,
                        block: name,
                        interface: interface_id,
                        defined: section_interfaces,
                    });
                }
                let ts_high = r.u32(body_at + 4, "pcapng timestamp")?;
                let ts_low = r.u32(body_at + 8, "pcapng timestamp")?;
                let captured_len = r.u32(body_at + 12, "pcapng captured length")?;
                let orig_len = r.u32(body_at + 16, "pcapng original length")?;
                let room = body.len() - 20;
                let data = body.get(20..20 + captured_len as usize).ok_or(
                    PcapError::BadCapturedLength {
                        offset: body_at + 12,
                        block: name,
                        captured_len,
                        room,
                    },
                )?;
                let opts_start = (20 + pad4(data.len())).min(body.len());
                let mut comment = None;
                for_each_option(&r, &body[opts_start..], body_at + opts_start, |code, v| {
                    if code == OPT_COMMENT {
                        add_comment(&mut comment, v);
                    }
                })?;
                let index = section_first_interface + interface_id as usize;
                let iface = &capture.interfaces[index];
                let units = (u64::from(ts_high) << 32) | u64::from(ts_low);
                let ns = iface.units_per_sec.to_nanos(units);
                let ns =
                    ns.saturating_add_signed(iface.ts_offset_secs.saturating_mul(1_000_000_000));
                capture.packets.push(CapturedPacket {
                    timestamp_ns: ns,
                    interface: index,
                    link_type: iface.link_type,
                    orig_len,
                    data: data.to_vec(),
                    comment,
                });
            }
            BLOCK_SPB => {
                too_short(4, "too short for a Simple Packet Block")?;
                if section_interfaces == 0 {
                    return Err(PcapError::UnknownInterface {
                        offset: body_at,
                        block: "Simple Packet Block",
                        interface: 0,
                        defined: 0,
                    });
                }
                let iface = &capture.interfaces[section_first_interface];
                let orig_len = r.u32(body_at, "pcapng original length")?;
                // pcapng 4.4: the captured length is the original length
                // cut to the interface's snaplen (0: no limit); the block
                // length bounds it too.
                let mut captured = orig_len as usize;
                if iface.snaplen != 0 {
                    captured = captured.min(iface.snaplen as usize);
                }
                captured = captured.min(body.len() - 4);
                capture.packets.push(CapturedPacket {
                    timestamp_ns: 0,
                    interface: section_first_interface,
                    link_type: iface.link_type,
                    orig_len,
                    data: body[4..4 + captured].to_vec(),
                    comment: None,
                });
            }
            // Name resolution, statistics, secrets, custom and future
            // blocks: pcapng 3.1 says a reader skips what it does not know.
            _ => {}
        }
        at += block_len;
    }
    Ok(capture)
}

/// Appends an option (code, length, value, zero padding) to a block body.
fn push_option(buf: &mut Vec<u8>, code: u16, value: &[u8]) -> Result<(), PcapError> {
    let len = u16::try_from(value.len()).map_err(|_| PcapError::TooLong {
        what: "pcapng option value",
        len: value.len(),
        max: usize::from(u16::MAX),
    })?;
    buf.extend_from_slice(&code.to_le_bytes());
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(value);
    buf.resize(buf.len() + pad4(value.len()) - value.len(), 0);
    Ok(())
}

/// Frames a block body with its type and (leading and trailing) length.
fn write_block<W: Write>(w: &mut W, block_type: u32, body: &[u8]) -> Result<(), PcapError> {
    let total = 12 + body.len();
    let len = u32::try_from(total).map_err(|_| PcapError::TooLong {
        what: "pcapng block",
        len: total,
        max: u32::MAX as usize,
    })?;
    w.write_all(&block_type.to_le_bytes())?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(body)?;
    w.write_all(&len.to_le_bytes())?;
    Ok(())
}

/// Writes a pcapng file: one section, one interface with nanosecond
/// timestamps, one Enhanced Packet Block per packet.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    w: W,
    link_type: LinkType,
    snaplen: u32,
    body: Vec<u8>,
    frame: Vec<u8>,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the Section Header Block and the Interface Description Block
    /// at once. `snaplen` is the longest packet kept (0: no limit).
    pub fn new(mut w: W, link_type: LinkType, snaplen: u32) -> Result<Self, PcapError> {
        let mut body = Vec::with_capacity(64);
        // SHB (pcapng 4.1): byte-order magic, version 1.0, section length
        // -1 ("not specified", so the file can be written as a stream).
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        push_option(&mut body, OPT_SHB_USERAPPL, b"netstep")?;
        push_option(&mut body, OPT_ENDOFOPT, &[])?;
        write_block(&mut w, BLOCK_SHB, &body)?;

        // IDB (pcapng 4.2) with if_tsresol = 9: timestamps count
        // nanoseconds, the unit of netstep's virtual clock.
        body.clear();
        body.extend_from_slice(&link_type.0.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&snaplen.to_le_bytes());
        push_option(&mut body, OPT_IF_TSRESOL, &[9])?;
        push_option(&mut body, OPT_ENDOFOPT, &[])?;
        write_block(&mut w, BLOCK_IDB, &body)?;
        Ok(PcapngWriter {
            w,
            link_type,
            snaplen,
            body,
            frame: Vec::new(),
        })
    }

    /// Writes one Enhanced Packet Block (pcapng 4.3): the packet at virtual
    /// time `time`, cut to the snaplen, with `comment` as its
    /// `opt_comment` (UTF-8, at most 65535 bytes).
    pub fn write_packet(
        &mut self,
        time: Instant,
        data: &[u8],
        comment: Option<&str>,
    ) -> Result<(), PcapError> {
        let orig_len = u32::try_from(data.len()).map_err(|_| PcapError::TooLong {
            what: "packet",
            len: data.len(),
            max: u32::MAX as usize,
        })?;
        let captured = if self.snaplen == 0 {
            data
        } else {
            &data[..data.len().min(self.snaplen as usize)]
        };
        let ts = time.as_nanos();
        let body = &mut self.body;
        body.clear();
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&(captured.len() as u32).to_le_bytes());
        body.extend_from_slice(&orig_len.to_le_bytes());
        body.extend_from_slice(captured);
        body.resize(body.len() + pad4(captured.len()) - captured.len(), 0);
        if let Some(text) = comment {
            push_option(body, OPT_COMMENT, text.as_bytes())?;
            push_option(body, OPT_ENDOFOPT, &[])?;
        }
        write_block(&mut self.w, BLOCK_EPB, &self.body)
    }

    /// Writes an IPv4 packet framed for the file's link type by
    /// [`frame_ipv4`] (for Ethernet: the synthetic header netstep's
    /// exports use).
    pub fn write_ipv4(
        &mut self,
        time: Instant,
        ip_packet: &[u8],
        comment: Option<&str>,
    ) -> Result<(), PcapError> {
        let mut frame = core::mem::take(&mut self.frame);
        let result = frame_ipv4(self.link_type, ip_packet, &mut frame)
            .and_then(|()| self.write_packet(time, &frame, comment));
        self.frame = frame;
        result
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> Result<(), PcapError> {
        self.w.flush()?;
        Ok(())
    }

    /// Flushes and hands back the underlying writer.
    pub fn into_inner(mut self) -> Result<W, PcapError> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Writes a classic pcap file (magic a1b2c3d4, microsecond timestamps,
/// little-endian). Classic pcap has nowhere to put comments, so
/// `write_packet` takes one only to have the same shape as
/// [`PcapngWriter::write_packet`], and drops it.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    link_type: LinkType,
    snaplen: u32,
    frame: Vec<u8>,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte file header. `snaplen` 0 means no limit; the
    /// header then says 262144, as tcpdump does, since classic pcap
    /// readers expect a non-zero value.
    pub fn new(mut w: W, link_type: LinkType, snaplen: u32) -> Result<Self, PcapError> {
        let mut header = [0u8; PCAP_HEADER_LEN];
        header[0..4].copy_from_slice(&PCAP_MAGIC_US.to_le_bytes());
        header[4..6].copy_from_slice(&2u16.to_le_bytes());
        header[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs stay 0, as every modern writer leaves them.
        let written_snaplen = if snaplen == 0 {
            PCAP_DEFAULT_SNAPLEN
        } else {
            snaplen
        };
        header[16..20].copy_from_slice(&written_snaplen.to_le_bytes());
        header[20..24].copy_from_slice(&u32::from(link_type.0).to_le_bytes());
        w.write_all(&header)?;
        Ok(PcapWriter {
            w,
            link_type,
            snaplen,
            frame: Vec::new(),
        })
    }

    /// Writes one record. The time is cut to microseconds; seconds past
    /// 2^32 (year 2106) saturate.
    pub fn write_packet(
        &mut self,
        time: Instant,
        data: &[u8],
        _comment: Option<&str>,
    ) -> Result<(), PcapError> {
        let orig_len = u32::try_from(data.len()).map_err(|_| PcapError::TooLong {
            what: "packet",
            len: data.len(),
            max: u32::MAX as usize,
        })?;
        let captured = if self.snaplen == 0 {
            data
        } else {
            &data[..data.len().min(self.snaplen as usize)]
        };
        let ns = time.as_nanos();
        let secs = u32::try_from(ns / 1_000_000_000).unwrap_or(u32::MAX);
        let micros = ((ns % 1_000_000_000) / 1_000) as u32;
        let mut record = [0u8; PCAP_RECORD_LEN];
        record[0..4].copy_from_slice(&secs.to_le_bytes());
        record[4..8].copy_from_slice(&micros.to_le_bytes());
        record[8..12].copy_from_slice(&(captured.len() as u32).to_le_bytes());
        record[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.w.write_all(&record)?;
        self.w.write_all(captured)?;
        Ok(())
    }

    /// Writes an IPv4 packet framed for the file's link type by
    /// [`frame_ipv4`] (for Ethernet: the synthetic header netstep's
    /// exports use).
    pub fn write_ipv4(
        &mut self,
        time: Instant,
        ip_packet: &[u8],
        comment: Option<&str>,
    ) -> Result<(), PcapError> {
        let mut frame = core::mem::take(&mut self.frame);
        let result = frame_ipv4(self.link_type, ip_packet, &mut frame)
            .and_then(|()| self.write_packet(time, &frame, comment));
        self.frame = frame;
        result
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> Result<(), PcapError> {
        self.w.flush()?;
        Ok(())
    }

    /// Flushes and hands back the underlying writer.
    pub fn into_inner(mut self) -> Result<W, PcapError> {
        self.w.flush()?;
        Ok(self.w)
    }
}
