//! TCP headers (RFC 9293 3.1) and options (RFC 9293 3.2, RFC 7323, RFC 2018).
//!
//! Read these first: RFC 9293 3.1 (header format) and 3.2 (options),
//! RFC 7323 2 and 3 (window scale, timestamps), RFC 2018 2 and 3 (SACK).
//!
//! [`TcpPacket`] reads and writes header fields straight from a byte buffer;
//! [`TcpRepr`] is the validated value the TCP state machine works with, with
//! [`TcpRepr::parse`] and [`TcpRepr::emit`]; [`TcpOptionIter`] walks the raw
//! option list for dissector-style views. [`parse_ipv4_tcp`] and
//! [`emit_ipv4_tcp`] do a whole IPv4+TCP packet at once: they are the
//! simulator's hot path and neither allocate nor panic.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! |                        Sequence Number                        |
//! |                    Acknowledgment Number                      |
//! |  Data |       |C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//! |       |       |R|E|G|K|H|T|N|N|                               |
//! |           Checksum            |         Urgent Pointer        |
//! |                           [Options]                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Leaves out: the four reserved bits (readable and settable on the view,
//! dropped by `TcpRepr`, so the old ECN-nonce bit of RFC 3540 is not kept);
//! options other than EOL, NOP, MSS, window scale, SACK-permitted, SACK and
//! timestamps (skipped on parse, never emitted: TCP-AO, MPTCP, TFO, ...);
//! a fourth SACK block (RFC 2018 allows four without timestamps;
//! [`TcpOptions`] keeps three, the most that fit beside timestamps); IPv6
//! pseudo-headers.

use crate::SeqNumber;
use crate::checksum;
use crate::error::WireError;
use crate::ipv4::{self, Ipv4Addr, Ipv4Packet, Ipv4Repr};
use core::fmt;

/// The TCP control bits, as on the wire (low 8 bits of the flags field).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: TcpFlags = TcpFlags(0x01);
    pub const SYN: TcpFlags = TcpFlags(0x02);
    pub const RST: TcpFlags = TcpFlags(0x04);
    pub const PSH: TcpFlags = TcpFlags(0x08);
    pub const ACK: TcpFlags = TcpFlags(0x10);
    pub const URG: TcpFlags = TcpFlags(0x20);
    pub const ECE: TcpFlags = TcpFlags(0x40);
    pub const CWR: TcpFlags = TcpFlags(0x80);
    pub const NONE: TcpFlags = TcpFlags(0);

    pub const fn bits(self) -> u8 {
        self.0
    }
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn intersects(self, other: TcpFlags) -> bool {
        self.0 & other.0 != 0
    }
    pub const fn union(self, other: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | other.0)
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn syn(self) -> bool {
        self.contains(TcpFlags::SYN)
    }
    pub fn fin(self) -> bool {
        self.contains(TcpFlags::FIN)
    }
    pub fn rst(self) -> bool {
        self.contains(TcpFlags::RST)
    }
    pub fn ack(self) -> bool {
        self.contains(TcpFlags::ACK)
    }
    pub fn psh(self) -> bool {
        self.contains(TcpFlags::PSH)
    }
    /// Upper-case names in the order Wireshark's Info column prints them
    /// (`SYN, ACK`, `FIN, ACK`, `PSH, ACK`).
    pub fn names(self) -> Vec<&'static str> {
        const ORDER: [(TcpFlags, &str); 8] = [
            (TcpFlags::SYN, "SYN"),
            (TcpFlags::FIN, "FIN"),
            (TcpFlags::RST, "RST"),
            (TcpFlags::PSH, "PSH"),
            (TcpFlags::ACK, "ACK"),
            (TcpFlags::URG, "URG"),
            (TcpFlags::ECE, "ECE"),
            (TcpFlags::CWR, "CWR"),
        ];
        ORDER
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
            .collect()
    }
}

impl core::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        self.union(rhs)
    }
}
impl core::ops::BitOrAssign for TcpFlags {
    fn bitor_assign(&mut self, rhs: TcpFlags) {
        *self = self.union(rhs);
    }
}

impl fmt::Display for TcpFlags {
    /// `SYN, ACK` (Wireshark's Info column style); `none` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.names();
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(", "))
        }
    }
}
impl fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TcpFlags({self})")
    }
}

/// The TCP options netstep understands. Fixed-size, so a `TcpRepr` never
/// allocates. Unknown options are skipped on parse (RFC 9293 3.2: "a TCP
/// implementation MUST ignore without error any TCP option it does not
/// implement") and never emitted.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, Debug, serde::Serialize, serde::Deserialize,
)]
pub struct TcpOptions {
    /// Maximum segment size (kind 2), only on SYN segments.
    pub mss: Option<u16>,
    /// Window scale shift count (kind 3, RFC 7323 2), only on SYN segments.
    pub window_scale: Option<u8>,
    /// SACK permitted (kind 4, RFC 2018), only on SYN segments.
    pub sack_permitted: bool,
    /// Up to three SACK blocks (kind 5, RFC 2018), left and right edges.
    pub sack_blocks: [Option<(SeqNumber, SeqNumber)>; 3],
    /// Timestamps (kind 8, RFC 7323 3): TSval, TSecr.
    pub timestamps: Option<(u32, u32)>,
}

impl TcpOptions {
    pub const NONE: TcpOptions = TcpOptions {
        mss: None,
        window_scale: None,
        sack_permitted: false,
        sack_blocks: [None; 3],
        timestamps: None,
    };
    pub fn is_empty(&self) -> bool {
        *self == TcpOptions::NONE
    }
}

/// A validated TCP header plus a borrowed payload: what the TCP state
/// machine reads and writes. `ack_number` is `Some` exactly when the ACK
/// bit is set; `window` is the raw 16-bit field (unscaled).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TcpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq_number: SeqNumber,
    pub ack_number: Option<SeqNumber>,
    /// Flags other than ACK (which `ack_number` carries) as sent.
    pub flags: TcpFlags,
    pub window: u16,
    pub urgent: u16,
    pub options: TcpOptions,
    pub payload: &'a [u8],
}

impl TcpRepr<'_> {
    /// Sequence space the segment occupies: payload plus one each for SYN
    /// and FIN (RFC 9293 3.4).
    pub fn segment_len(&self) -> usize {
        self.payload.len() + usize::from(self.flags.syn()) + usize::from(self.flags.fin())
    }
    /// The flags field as on the wire, ACK included when `ack_number` is set.
    pub fn wire_flags(&self) -> TcpFlags {
        let mut f = self.flags;
        if self.ack_number.is_some() {
            f |= TcpFlags::ACK;
        }
        f
    }
}

/// Byte offsets of the header fields (RFC 9293 3.1).
mod field {
    pub type Field = core::ops::Range<usize>;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    /// Data offset (high nibble) and the reserved bits (low nibble).
    pub const DATA_OFF: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
    pub const OPTIONS: usize = 20;
}

/// Option kinds netstep reads (RFC 9293 3.2, RFC 7323 2.2 and 3.2,
/// RFC 2018 2 and 3).
pub mod option_kind {
    pub const END_OF_LIST: u8 = 0;
    pub const NO_OPERATION: u8 = 1;
    pub const MAX_SEGMENT_SIZE: u8 = 2;
    pub const WINDOW_SCALE: u8 = 3;
    pub const SACK_PERMITTED: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TIMESTAMPS: u8 = 8;
}

/// The fixed part of a TCP header, in bytes.
pub const HEADER_LEN: usize = field::OPTIONS;
/// The most option bytes a header can carry: the 4-bit data offset allows
/// 15 words, 5 of them fixed (RFC 9293 3.1).
pub const MAX_OPTIONS_LEN: usize = 40;

/// A read/write view of a TCP segment (header, options, payload) in a byte
/// buffer that holds exactly the segment, i.e. the IPv4 payload.
///
/// Getters panic if the buffer is shorter than the fields they read; build
/// the view with [`TcpPacket::new_checked`] before reading bytes that came
/// from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without looking at it.
    pub const fn new_unchecked(buffer: T) -> Self {
        TcpPacket { buffer }
    }

    /// Wraps a buffer after [`TcpPacket::check_len`] has passed, so that no
    /// getter (nor `options`, `payload`) can panic.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks that the fixed header is there and that the data offset is at
    /// least 5 words and within the segment (RFC 9293 3.1).
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated {
                what: "TCP header",
                offset: 0,
                needed: HEADER_LEN,
                have: len,
            });
        }
        let header_len = self.header_len();
        let reason = if header_len < HEADER_LEN {
            "is below the minimum of 20"
        } else if header_len > len {
            "runs past the end of the segment"
        } else {
            return Ok(());
        };
        Err(WireError::BadDataOffset {
            offset: field::DATA_OFF,
            data_offset: self.data_offset(),
            segment_len: len,
            reason,
        })
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn get_u16(&self, f: field::Field) -> u16 {
        let b = &self.buffer.as_ref()[f];
        u16::from_be_bytes([b[0], b[1]])
    }
    fn get_u32(&self, f: field::Field) -> u32 {
        let b = &self.buffer.as_ref()[f];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    pub fn src_port(&self) -> u16 {
        self.get_u16(field::SRC_PORT)
    }
    pub fn dst_port(&self) -> u16 {
        self.get_u16(field::DST_PORT)
    }
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(self.get_u32(field::SEQ_NUM))
    }
    /// The acknowledgment field, meaningful only when ACK is set.
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(self.get_u32(field::ACK_NUM))
    }
    /// The raw data offset: header length in 32-bit words.
    pub fn data_offset(&self) -> u8 {
        self.buffer.as_ref()[field::DATA_OFF] >> 4
    }
    /// Header length in bytes, options included.
    pub fn header_len(&self) -> usize {
        usize::from(self.data_offset()) * 4
    }
    /// The four reserved bits between data offset and flags (the lowest
    /// was RFC 3540's ECN nonce, now historic).
    pub fn reserved(&self) -> u8 {
        self.buffer.as_ref()[field::DATA_OFF] & 0x0f
    }
    /// The eight control bits, ACK included.
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(self.buffer.as_ref()[field::FLAGS])
    }
    /// The raw (unscaled) window field.
    pub fn window_len(&self) -> u16 {
        self.get_u16(field::WIN_SIZE)
    }
    pub fn checksum(&self) -> u16 {
        self.get_u16(field::CHECKSUM)
    }
    pub fn urgent_at(&self) -> u16 {
        self.get_u16(field::URGENT)
    }

    fn pseudo_header_sum(&self, src_ip: Ipv4Addr, dst_ip: Ipv4Addr) -> u16 {
        let len = u32::try_from(self.buffer.as_ref().len()).unwrap_or(u32::MAX);
        checksum::pseudo_header_ipv4(src_ip, dst_ip, ipv4::protocol::TCP, len)
    }

    /// Whether pseudo-header, header and payload sum to 0xffff
    /// (RFC 9293 3.1, "Checksum").
    pub fn verify_checksum(&self, src_ip: Ipv4Addr, dst_ip: Ipv4Addr) -> bool {
        let pseudo = self.pseudo_header_sum(src_ip, dst_ip);
        checksum::combine(&[pseudo, checksum::data(self.buffer.as_ref())]) == 0xffff
    }

    /// The checksum the segment should carry, computed with the checksum
    /// field taken as zero (RFC 9293 3.1: "the checksum field itself is
    /// replaced with zeros").
    pub fn expected_checksum(&self, src_ip: Ipv4Addr, dst_ip: Ipv4Addr) -> u16 {
        let data = self.buffer.as_ref();
        checksum::Checksum::new()
            .add_sum(self.pseudo_header_sum(src_ip, dst_ip))
            .add_bytes(&data[..field::CHECKSUM.start])
            .add_bytes(&data[field::CHECKSUM.end..])
            .finish()
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> TcpPacket<&'a T> {
    /// The option bytes, padding included.
    pub fn options(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::OPTIONS..self.header_len()]
    }
    /// Everything after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
    /// The options, one by one, with their offsets from the header start.
    pub fn options_iter(&self) -> TcpOptionIter<'a> {
        TcpOptionIter::new(self.options(), field::OPTIONS)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    fn set_u16(&mut self, f: field::Field, v: u16) {
        self.buffer.as_mut()[f].copy_from_slice(&v.to_be_bytes());
    }
    fn set_u32(&mut self, f: field::Field, v: u32) {
        self.buffer.as_mut()[f].copy_from_slice(&v.to_be_bytes());
    }

    pub fn set_src_port(&mut self, port: u16) {
        self.set_u16(field::SRC_PORT, port);
    }
    pub fn set_dst_port(&mut self, port: u16) {
        self.set_u16(field::DST_PORT, port);
    }
    pub fn set_seq_number(&mut self, seq: SeqNumber) {
        self.set_u32(field::SEQ_NUM, seq.0);
    }
    pub fn set_ack_number(&mut self, ack: SeqNumber) {
        self.set_u32(field::ACK_NUM, ack.0);
    }
    /// Sets the data offset in 32-bit words (low four bits used).
    pub fn set_data_offset(&mut self, words: u8) {
        let b = &mut self.buffer.as_mut()[field::DATA_OFF];
        *b = (*b & 0x0f) | ((words & 0x0f) << 4);
    }
    /// Sets the header length in bytes (rounded down to words).
    pub fn set_header_len(&mut self, len: usize) {
        self.set_data_offset(((len / 4) & 0x0f) as u8);
    }
    /// Sets the four reserved bits (low four bits of `bits` used).
    pub fn set_reserved(&mut self, bits: u8) {
        let b = &mut self.buffer.as_mut()[field::DATA_OFF];
        *b = (*b & 0xf0) | (bits & 0x0f);
    }
    /// Sets all eight control bits, ACK included.
    pub fn set_flags(&mut self, flags: TcpFlags) {
        self.buffer.as_mut()[field::FLAGS] = flags.0;
    }
    pub fn set_window_len(&mut self, window: u16) {
        self.set_u16(field::WIN_SIZE, window);
    }
    pub fn set_checksum(&mut self, checksum: u16) {
        self.set_u16(field::CHECKSUM, checksum);
    }
    pub fn set_urgent_at(&mut self, urgent: u16) {
        self.set_u16(field::URGENT, urgent);
    }
    /// Computes the checksum over the whole buffer and writes it: call this
    /// after the last change to header, options or payload.
    pub fn fill_checksum(&mut self, src_ip: Ipv4Addr, dst_ip: Ipv4Addr) {
        let c = self.expected_checksum(src_ip, dst_ip);
        self.set_checksum(c);
    }
    /// The option bytes, mutable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[field::OPTIONS..end]
    }
    /// Everything after the header, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for TcpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// One TCP option as found on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// Kind 0: the end of the option list; what follows is padding.
    EndOfList,
    /// Kind 1: one byte of filler, used to align the next option.
    NoOperation,
    /// Kind 2 (RFC 9293 3.2).
    MaxSegmentSize(u16),
    /// Kind 3 (RFC 7323 2.2): the shift count as sent (RFC 7323 2.3 says a
    /// receiver uses 14 for anything larger; that is the TCP layer's job).
    WindowScale(u8),
    /// Kind 4 (RFC 2018 2).
    SackPermitted,
    /// Kind 5 (RFC 2018 3): one to four blocks, left edge and right edge
    /// (one past the last byte); unused slots are `None`.
    Sack([Option<(SeqNumber, SeqNumber)>; 4]),
    /// Kind 8 (RFC 7323 3.2).
    Timestamps { tsval: u32, tsecr: u32 },
    /// Any other kind, with the bytes after its length byte.
    Unknown { kind: u8, data: &'a [u8] },
}

impl TcpOption<'_> {
    pub fn kind(&self) -> u8 {
        match self {
            TcpOption::EndOfList => option_kind::END_OF_LIST,
            TcpOption::NoOperation => option_kind::NO_OPERATION,
            TcpOption::MaxSegmentSize(_) => option_kind::MAX_SEGMENT_SIZE,
            TcpOption::WindowScale(_) => option_kind::WINDOW_SCALE,
            TcpOption::SackPermitted => option_kind::SACK_PERMITTED,
            TcpOption::Sack(_) => option_kind::SACK,
            TcpOption::Timestamps { .. } => option_kind::TIMESTAMPS,
            TcpOption::Unknown { kind, .. } => *kind,
        }
    }

    /// The name Wireshark's TCP option tree uses, so a trace and a capture
    /// read the same.
    pub fn name(&self) -> &'static str {
        match self {
            TcpOption::EndOfList => "End of Option List (EOL)",
            TcpOption::NoOperation => "No-Operation (NOP)",
            TcpOption::MaxSegmentSize(_) => "Maximum segment size",
            TcpOption::WindowScale(_) => "Window scale",
            TcpOption::SackPermitted => "SACK permitted",
            TcpOption::Sack(_) => "SACK",
            TcpOption::Timestamps { .. } => "Timestamps",
            TcpOption::Unknown { .. } => "Unknown",
        }
    }
}

/// Walks a TCP option list, yielding each option with its byte offset.
///
/// RFC 9293 3.2: an option is either a single kind byte (EOL, NOP) or kind,
/// length (counting kind and length bytes) and data. Iteration stops after
/// EOL (the rest is padding) or at the first error; an error stops the walk
/// because a bad length leaves no way to find the next option.
#[derive(Debug, Clone)]
pub struct TcpOptionIter<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
    done: bool,
}

impl<'a> TcpOptionIter<'a> {
    /// `base` is the offset of `bytes[0]` in the caller's buffer (20 for the
    /// options of a TCP header), used in offsets and errors.
    pub fn new(bytes: &'a [u8], base: usize) -> Self {
        TcpOptionIter {
            bytes,
            pos: 0,
            base,
            done: false,
        }
    }
}

impl<'a> Iterator for TcpOptionIter<'a> {
    type Item = Result<(usize, TcpOption<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let Some(&kind) = rest.first() else {
            self.done = true;
            return None;
        };
        let offset = self.base + self.pos;
        let item = match kind {
            option_kind::END_OF_LIST => {
                self.done = true;
                return Some(Ok((offset, TcpOption::EndOfList)));
            }
            option_kind::NO_OPERATION => Ok((1, TcpOption::NoOperation)),
            _ => parse_tlv_option(kind, rest, offset, self.base + self.bytes.len()),
        };
        Some(match item {
            Ok((len, option)) => {
                self.pos += len;
                Ok((offset, option))
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        })
    }
}

/// Reads one kind-length-data option from the start of `rest` (RFC 9293
/// 3.2, "Case 2"), checking the length against what its kind requires
/// before trusting it to find the next option.
fn parse_tlv_option(
    kind: u8,
    rest: &[u8],
    offset: usize,
    end: usize,
) -> Result<(usize, TcpOption<'_>), WireError> {
    use option_kind::*;
    let Some(&len) = rest.get(1) else {
        return Err(WireError::OptionOverrun {
            offset,
            kind,
            len: 2,
            end,
        });
    };
    let (ok, expected) = match kind {
        MAX_SEGMENT_SIZE => (len == 4, "4"),
        WINDOW_SCALE => (len == 3, "3"),
        SACK_PERMITTED => (len == 2, "2"),
        TIMESTAMPS => (len == 10, "10"),
        // RFC 2018 3: "a SACK option that specifies n blocks will have a
        // length of 8*n+2 bytes, so the 40 bytes available for TCP options
        // can specify a maximum of 4 blocks".
        SACK => (
            matches!(len, 10 | 18 | 26 | 34),
            "8n + 2 for n = 1 to 4 blocks (10, 18, 26 or 34)",
        ),
        _ => (len >= 2, "at least 2 (kind and length bytes)"),
    };
    if !ok {
        return Err(WireError::BadOptionLength {
            offset,
            kind,
            len,
            expected,
        });
    }
    let len = usize::from(len);
    let Some(data) = rest.get(2..len) else {
        return Err(WireError::OptionOverrun {
            offset,
            kind,
            len,
            end,
        });
    };
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let option = match kind {
        MAX_SEGMENT_SIZE => TcpOption::MaxSegmentSize(u16::from_be_bytes([data[0], data[1]])),
        WINDOW_SCALE => TcpOption::WindowScale(data[0]),
        SACK_PERMITTED => TcpOption::SackPermitted,
        TIMESTAMPS => TcpOption::Timestamps {
            tsval: be32(&data[0..4]),
            tsecr: be32(&data[4..8]),
        },
        SACK => {
            let mut blocks = [None; 4];
            for (slot, b) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                *slot = Some((SeqNumber(be32(&b[0..4])), SeqNumber(be32(&b[4..8]))));
            }
            TcpOption::Sack(blocks)
        }
        _ => TcpOption::Unknown { kind, data },
    };
    Ok((len, option))
}

/// Appends `bytes` to a fixed option buffer. Callers keep the total within
/// [`MAX_OPTIONS_LEN`] by construction (see [`TcpOptions::wire_len`]).
fn put(out: &mut [u8; MAX_OPTIONS_LEN], n: &mut usize, bytes: &[u8]) {
    out[*n..*n + bytes.len()].copy_from_slice(bytes);
    *n += bytes.len();
}

impl TcpOptions {
    /// Reads an option list. `base` is the offset of `bytes[0]` in the
    /// caller's buffer, for error messages. Unknown kinds are skipped
    /// (RFC 9293 3.2: a TCP "MUST ignore without error any TCP option it
    /// does not implement", MUST-68); a repeated option keeps its last
    /// value; SACK blocks beyond the third are dropped.
    pub fn parse(bytes: &[u8], base: usize) -> Result<TcpOptions, WireError> {
        let mut options = TcpOptions::NONE;
        let mut sack_count = 0;
        for item in TcpOptionIter::new(bytes, base) {
            match item?.1 {
                TcpOption::MaxSegmentSize(mss) => options.mss = Some(mss),
                TcpOption::WindowScale(shift) => options.window_scale = Some(shift),
                TcpOption::SackPermitted => options.sack_permitted = true,
                TcpOption::Timestamps { tsval, tsecr } => options.timestamps = Some((tsval, tsecr)),
                TcpOption::Sack(blocks) => {
                    for block in blocks.into_iter().flatten() {
                        if let Some(slot) = options.sack_blocks.get_mut(sack_count) {
                            *slot = Some(block);
                            sack_count += 1;
                        }
                    }
                }
                TcpOption::EndOfList | TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
            }
        }
        Ok(options)
    }

    /// Bytes taken by MSS, window scale, SACK-permitted and timestamps,
    /// aligned: at most 4 + 4 + 12 = 20.
    fn fixed_wire_len(&self) -> usize {
        let mut len = 0;
        if self.mss.is_some() {
            len += 4;
        }
        if self.window_scale.is_some() {
            len += 4;
        }
        len += match (self.sack_permitted, self.timestamps.is_some()) {
            (_, true) => 12,
            (true, false) => 4,
            (false, false) => 0,
        };
        len
    }

    /// How many SACK blocks [`TcpOptions::emit`] writes: the `Some` entries
    /// of `sack_blocks` in order, as many as fit in the 40 option bytes
    /// after the other options (RFC 2018 4: the receiver "SHOULD include as
    /// many distinct SACK blocks as possible").
    pub fn emitted_sack_blocks(&self) -> usize {
        let present = self.sack_blocks.iter().flatten().count();
        let room = MAX_OPTIONS_LEN - self.fixed_wire_len();
        present.min(room.saturating_sub(4) / 8)
    }

    /// The options as a receiver parses them back after [`TcpOptions::emit`]:
    /// SACK blocks packed to the front and cut to
    /// [`TcpOptions::emitted_sack_blocks`]. A repr that is already in this
    /// form survives an emit/parse round trip unchanged.
    #[must_use]
    pub fn as_emitted(&self) -> TcpOptions {
        let mut out = TcpOptions {
            sack_blocks: [None; 3],
            ..*self
        };
        let kept = self
            .sack_blocks
            .iter()
            .flatten()
            .take(self.emitted_sack_blocks());
        for (slot, block) in out.sack_blocks.iter_mut().zip(kept) {
            *slot = Some(*block);
        }
        out
    }

    /// The option bytes [`TcpOptions::emit`] writes; always a multiple of 4.
    pub fn wire_len(&self) -> usize {
        let blocks = self.emitted_sack_blocks();
        self.fixed_wire_len() + if blocks > 0 { 4 + 8 * blocks } else { 0 }
    }

    /// Writes the options, each aligned to 32 bits with NOPs, in the order
    /// Windows stacks send them, which is also RFC 7323 Appendix A's layout:
    ///
    /// - MSS: `02 04 hi lo`
    /// - window scale: `01 03 03 shift` (NOP first)
    /// - SACK-permitted without timestamps: `01 01 04 02` (Windows XP's SYN
    ///   is `MSS, NOP, NOP, SACK-permitted`)
    /// - timestamps: `01 01 08 0a TSval TSecr`, or, with SACK-permitted,
    ///   `04 02 08 0a TSval TSecr` (SACK-permitted takes the NOPs' place, as
    ///   Windows and Linux do on SYNs)
    /// - SACK blocks: `01 01 05 len blocks...`
    ///
    /// No EOL is needed: every piece is a multiple of 4 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        use option_kind::*;
        let mut out = [0u8; MAX_OPTIONS_LEN];
        let mut n = 0;
        if let Some(mss) = self.mss {
            let [hi, lo] = mss.to_be_bytes();
            put(&mut out, &mut n, &[MAX_SEGMENT_SIZE, 4, hi, lo]);
        }
        if let Some(shift) = self.window_scale {
            put(&mut out, &mut n, &[NO_OPERATION, WINDOW_SCALE, 3, shift]);
        }
        match (self.sack_permitted, self.timestamps) {
            (sack_permitted, Some((tsval, tsecr))) => {
                let lead = if sack_permitted {
                    [SACK_PERMITTED, 2]
                } else {
                    [NO_OPERATION, NO_OPERATION]
                };
                put(&mut out, &mut n, &lead);
                put(&mut out, &mut n, &[TIMESTAMPS, 10]);
                put(&mut out, &mut n, &tsval.to_be_bytes());
                put(&mut out, &mut n, &tsecr.to_be_bytes());
            }
            (true, None) => put(
                &mut out,
                &mut n,
                &[NO_OPERATION, NO_OPERATION, SACK_PERMITTED, 2],
            ),
            (false, None) => {}
        }
        let blocks = self.emitted_sack_blocks();
        if blocks > 0 {
            let len = (2 + 8 * blocks) as u8;
            put(&mut out, &mut n, &[NO_OPERATION, NO_OPERATION, SACK, len]);
            for (left, right) in self.sack_blocks.iter().flatten().take(blocks) {
                put(&mut out, &mut n, &left.0.to_be_bytes());
                put(&mut out, &mut n, &right.0.to_be_bytes());
            }
        }
        let have = buf.len();
        let dst = buf.get_mut(..n).ok_or(WireError::BufferTooSmall {
            what: "TCP options",
            needed: n,
            have,
        })?;
        dst.copy_from_slice(&out[..n]);
        Ok(n)
    }
}

impl<'a> TcpRepr<'a> {
    /// Reads a segment whose IPv4 addresses are `src_ip` and `dst_ip` (they
    /// enter the checksum through the pseudo-header, RFC 9293 3.1). The
    /// buffer must be exactly the segment: the IPv4 payload.
    ///
    /// With `verify_checksum` false, a wrong checksum is accepted: real
    /// captures taken on the sending host often hold checksums that the NIC
    /// had not computed yet ("checksum offload").
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &TcpPacket<&'a T>,
        src_ip: Ipv4Addr,
        dst_ip: Ipv4Addr,
        verify_checksum: bool,
    ) -> Result<TcpRepr<'a>, WireError> {
        packet.check_len()?;
        if verify_checksum && !packet.verify_checksum(src_ip, dst_ip) {
            return Err(WireError::BadChecksum {
                what: "TCP",
                offset: field::CHECKSUM.start,
                expected: packet.expected_checksum(src_ip, dst_ip),
                found: packet.checksum(),
            });
        }
        let options = TcpOptions::parse(packet.options(), field::OPTIONS)?;
        let flags = packet.flags();
        Ok(TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            // RFC 9293 3.1: the acknowledgment field is significant only
            // when ACK is set, so the repr does not keep it otherwise.
            ack_number: flags.ack().then(|| packet.ack_number()),
            flags: TcpFlags(flags.0 & !TcpFlags::ACK.0),
            window: packet.window_len(),
            urgent: packet.urgent_at(),
            options,
            payload: packet.payload(),
        })
    }
}

impl TcpRepr<'_> {
    /// Header length in bytes: 20 plus [`TcpOptions::wire_len`].
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.wire_len()
    }

    /// Header plus payload, in bytes: the IPv4 payload length.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Writes header, options and payload into the first
    /// [`TcpRepr::buffer_len`] bytes of the packet's buffer, then the
    /// checksum over those bytes and the IPv4 pseudo-header of `src_ip`,
    /// `dst_ip` (RFC 9293 3.1). The reserved bits are written as zero and
    /// the acknowledgment field as zero when `ack_number` is `None`.
    ///
    /// # Panics
    /// If the buffer is shorter than [`TcpRepr::buffer_len`];
    /// [`try_emit_ipv4_tcp`] checks first instead.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(
        &self,
        packet: &mut TcpPacket<&mut T>,
        src_ip: Ipv4Addr,
        dst_ip: Ipv4Addr,
    ) {
        self.emit_without_checksum(packet);
        let len = self.buffer_len();
        TcpPacket::new_unchecked(&mut packet.buffer.as_mut()[..len]).fill_checksum(src_ip, dst_ip);
    }

    /// [`TcpRepr::emit`] with the checksum field left zero, for a sender
    /// that offloads the checksum ([`emit_ipv4_tcp_offload`]).
    fn emit_without_checksum<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(
        &self,
        packet: &mut TcpPacket<&mut T>,
    ) {
        self.emit_header_without_checksum(packet);
        let len = self.buffer_len();
        let buf = &mut packet.buffer.as_mut()[..len];
        TcpPacket::new_unchecked(&mut *buf)
            .payload_mut()
            .copy_from_slice(self.payload);
    }

    /// The header and options of [`TcpRepr::emit`], checksum zero, payload
    /// untouched.
    fn emit_header_without_checksum<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(
        &self,
        packet: &mut TcpPacket<&mut T>,
    ) {
        let header_len = self.header_len();
        let len = self.buffer_len();
        let buf = &mut packet.buffer.as_mut()[..len];
        let mut p = TcpPacket::new_unchecked(&mut *buf);
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_seq_number(self.seq_number);
        p.set_ack_number(self.ack_number.unwrap_or_default());
        p.buffer[field::DATA_OFF] = 0;
        p.set_header_len(header_len);
        p.set_flags(self.wire_flags());
        p.set_window_len(self.window);
        p.set_checksum(0);
        p.set_urgent_at(self.urgent);
        // Cannot fail: options_mut() is exactly wire_len() bytes long.
        let _ = self.options.emit(p.options_mut());
    }
}

/// Reads a whole IPv4 packet carrying TCP: the simulator's and the capture
/// reader's way in. Bytes past the IPv4 total length (Ethernet padding) are
/// ignored. Error offsets count from the start of `buf`.
///
/// With `verify_checksums` false neither the IPv4 nor the TCP checksum is
/// checked (see [`TcpRepr::parse`] for why one would).
pub fn parse_ipv4_tcp(
    buf: &[u8],
    verify_checksums: bool,
) -> Result<(Ipv4Repr, TcpRepr<'_>), WireError> {
    let ip_packet = Ipv4Packet::new_unchecked(buf);
    let ip = Ipv4Repr::parse_with(&ip_packet, verify_checksums)?;
    if ip.protocol != ipv4::protocol::TCP {
        return Err(WireError::NotTcp {
            offset: 9,
            protocol: ip.protocol,
        });
    }
    let header_len = ip_packet.header_len();
    let tcp_packet = TcpPacket::new_unchecked(ip_packet.payload());
    let tcp = TcpRepr::parse(&tcp_packet, ip.src, ip.dst, verify_checksums)
        .map_err(|e| e.shifted(header_len))?;
    Ok((ip, tcp))
}

/// Writes a whole IPv4+TCP packet into `buf` and returns its length.
/// The IPv4 header is `ip` with `protocol` set to TCP and `payload_len` to
/// `tcp.buffer_len()`, whatever they were, so callers need not keep the two
/// in step.
pub fn try_emit_ipv4_tcp(ip: &Ipv4Repr, tcp: &TcpRepr, buf: &mut [u8]) -> Result<usize, WireError> {
    let tcp_len = tcp.buffer_len();
    if tcp_len > Ipv4Repr::MAX_PAYLOAD_LEN {
        return Err(WireError::TooLong {
            what: "IPv4 packet",
            len: Ipv4Repr::HEADER_LEN + tcp_len,
            max: usize::from(u16::MAX),
        });
    }
    let ip = Ipv4Repr {
        protocol: ipv4::protocol::TCP,
        payload_len: tcp_len,
        ..*ip
    };
    let total = ip.buffer_len();
    let have = buf.len();
    let Some(packet) = buf.get_mut(..total) else {
        return Err(WireError::BufferTooSmall {
            what: "IPv4+TCP packet",
            needed: total,
            have,
        });
    };
    let (header, segment) = packet.split_at_mut(Ipv4Repr::HEADER_LEN);
    ip.emit(&mut Ipv4Packet::new_unchecked(header));
    tcp.emit(&mut TcpPacket::new_unchecked(segment), ip.src, ip.dst);
    Ok(total)
}

/// [`emit_ipv4_tcp`] with TCP checksum offload: the IPv4 header checksum
/// is written, the TCP checksum field is left zero for
/// [`fill_tcp_checksum`] to fill, as a stack hands a segment to a NIC that
/// computes the checksum (Linux `CHECKSUM_PARTIAL`). A simulator whose
/// packets nobody reads or changes on the way can then skip the sum
/// altogether: the receiver's check would pass by construction. Returns 0
/// and writes nothing if the packet does not fit.
pub fn emit_ipv4_tcp_offload(ip: &Ipv4Repr, tcp: &TcpRepr, buf: &mut [u8]) -> usize {
    let tcp_len = tcp.buffer_len();
    if tcp_len > Ipv4Repr::MAX_PAYLOAD_LEN {
        return 0;
    }
    let ip = Ipv4Repr {
        protocol: ipv4::protocol::TCP,
        payload_len: tcp_len,
        ..*ip
    };
    let total = ip.buffer_len();
    let Some(packet) = buf.get_mut(..total) else {
        return 0;
    };
    let (header, segment) = packet.split_at_mut(Ipv4Repr::HEADER_LEN);
    ip.emit(&mut Ipv4Packet::new_unchecked(header));
    tcp.emit_without_checksum(&mut TcpPacket::new_unchecked(segment));
    total
}

/// [`emit_ipv4_tcp_offload`] into a vector, replacing its contents: the
/// headers are built in a stack array and appended, then the payload, so
/// every byte is written once (no zeroing first). Returns the packet's
/// length, or 0 (and an empty vector) if it does not fit IPv4.
///
/// This is the simulator's per-segment emit, so it writes the fixed
/// header fields directly rather than through [`Ipv4Repr::emit`] and
/// [`TcpRepr::emit`]; the bytes are the same (the tests compare the two),
/// and options are emitted by [`TcpOptions::emit`] only when there are
/// some.
pub fn emit_ipv4_tcp_offload_vec(ip: &Ipv4Repr, tcp: &TcpRepr, out: &mut Vec<u8>) -> usize {
    let total = emit_ipv4_tcp_offload_headers_vec(ip, tcp, tcp.payload.len(), out);
    if total == 0 {
        return 0;
    }
    out.extend_from_slice(tcp.payload);
    debug_assert!({
        let mut reference = vec![0u8; total];
        emit_ipv4_tcp_offload(ip, tcp, &mut reference) == total && reference[..] == out[..]
    });
    total
}

/// The headers of [`emit_ipv4_tcp_offload_vec`]'s packet for a segment
/// whose payload is `payload_len` bytes kept elsewhere (`tcp.payload` is
/// not read): a packet whose payload is kept by reference (the bulk
/// pattern's table, see [`crate::pattern`]), as a NIC gathers it
/// (scatter-gather DMA). The headers and then
/// the payload are the bytes [`emit_ipv4_tcp_offload_vec`] writes. Returns
/// the whole packet's length, or 0 (and an empty vector) if it does not
/// fit IPv4.
#[inline]
pub fn emit_ipv4_tcp_offload_headers_vec(
    ip: &Ipv4Repr,
    tcp: &TcpRepr,
    payload_len: usize,
    out: &mut Vec<u8>,
) -> usize {
    const IP: usize = Ipv4Repr::HEADER_LEN;
    out.clear();
    let o = &tcp.options;
    // Most segments carry no options: skip the option arithmetic then.
    let no_options = o.mss.is_none()
        && o.window_scale.is_none()
        && !o.sack_permitted
        && o.timestamps.is_none()
        && o.sack_blocks[0].is_none()
        && o.sack_blocks[1].is_none()
        && o.sack_blocks[2].is_none();
    let opt_len = if no_options { 0 } else { o.wire_len() };
    let tcp_header_len = HEADER_LEN + opt_len;
    let tcp_len = tcp_header_len + payload_len;
    if tcp_len > Ipv4Repr::MAX_PAYLOAD_LEN {
        return 0;
    }
    let total = IP + tcp_len;
    // Both headers and the options in one stack array, appended at once:
    // one length check and one copy for all header bytes.
    let mut h = [0u8; IP + HEADER_LEN + MAX_OPTIONS_LEN];
    // IPv4 (RFC 791 3.1): version 4, IHL 5, no options.
    h[0] = 0x45;
    h[1] = ip.tos;
    h[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    h[4..6].copy_from_slice(&ip.ident.to_be_bytes());
    h[6] = if ip.dont_frag { 0x40 } else { 0 };
    h[8] = ip.ttl;
    h[9] = ipv4::protocol::TCP;
    h[12..16].copy_from_slice(&ip.src.octets());
    h[16..20].copy_from_slice(&ip.dst.octets());
    if let Some(ip_header) = h.first_chunk::<IP>() {
        let csum = !checksum::header20(ip_header);
        h[10..12].copy_from_slice(&csum.to_be_bytes());
    }
    // TCP (RFC 9293 3.1), checksum left zero for the offload.
    let t = &mut h[IP..];
    t[0..2].copy_from_slice(&tcp.src_port.to_be_bytes());
    t[2..4].copy_from_slice(&tcp.dst_port.to_be_bytes());
    t[4..8].copy_from_slice(&tcp.seq_number.0.to_be_bytes());
    t[8..12].copy_from_slice(&tcp.ack_number.unwrap_or_default().0.to_be_bytes());
    t[field::DATA_OFF] = ((tcp_header_len / 4) as u8) << 4;
    t[field::FLAGS] = tcp.wire_flags().0;
    t[14..16].copy_from_slice(&tcp.window.to_be_bytes());
    t[18..20].copy_from_slice(&tcp.urgent.to_be_bytes());
    if !no_options {
        let opts = &mut t[HEADER_LEN..];
        // Cannot fail: the array holds the most options a header can.
        let n = o.emit(opts).unwrap_or(0);
        debug_assert_eq!(n, opt_len);
    }
    out.reserve(total);
    if no_options {
        // A copy of a constant 40 bytes compiles to a few moves, where a
        // length known only at run time (as when one call served both
        // cases) calls memcpy. The vector was emptied and has room.
        let fixed: [u8; IP + HEADER_LEN] = h[..IP + HEADER_LEN].try_into().unwrap_or([0; 40]);
        out.extend(fixed);
    } else {
        out.extend_from_slice(&h[..IP + tcp_header_len]);
    }
    total
}

/// Computes and writes the TCP checksum of a whole IPv4 packet carrying
/// TCP (the second half of [`emit_ipv4_tcp_offload`]). Does nothing to a
/// packet too short to hold the headers it claims.
pub fn fill_tcp_checksum(packet: &mut [u8]) {
    let ip = Ipv4Packet::new_unchecked(&*packet);
    if ip.check_len().is_err() {
        return;
    }
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let (start, end) = (ip.header_len(), usize::from(ip.total_len()));
    if end < start + field::URGENT.end {
        return;
    }
    TcpPacket::new_unchecked(&mut packet[start..end]).fill_checksum(src, dst);
}

/// [`parse_ipv4_tcp`] for a packet emitted by [`emit_ipv4_tcp_offload`]
/// and not touched since: the IPv4 header checksum is verified, the TCP
/// checksum (not yet filled) is not.
///
/// The simulator reads every packet it delivers through here, so the
/// common shape (no IPv4 options, a well-formed TCP header) is read with
/// one bounds check and fixed offsets; anything else, and every error,
/// goes through the general parser ([`parse_ipv4_tcp_offloaded_general`]),
/// which the fast path agrees with (see the tests).
#[inline]
pub fn parse_ipv4_tcp_offloaded(buf: &[u8]) -> Result<(Ipv4Repr, TcpRepr<'_>), WireError> {
    parse_fast_or::<true>(buf, parse_ipv4_tcp_offloaded_general)
}

/// [`parse_ipv4_tcp_offloaded`] for a packet that its sender emitted with
/// [`emit_ipv4_tcp_offload`] (or [`emit_ipv4_tcp_offload_vec`]) and whose
/// bytes nobody has changed since, except routers that decremented the
/// TTL and refilled the IPv4 header checksum: its IPv4 header checksum
/// then holds by construction, so it is not summed again (debug builds
/// check that it holds), just as the TCP checksum is not summed. A packet
/// that was corrupted or rewritten must go through
/// [`parse_ipv4_tcp_offloaded`] or [`parse_ipv4_tcp`] instead. The result
/// is the same as [`parse_ipv4_tcp_offloaded`]'s for such a packet.
#[inline]
pub fn parse_ipv4_tcp_emitted(buf: &[u8]) -> Result<(Ipv4Repr, TcpRepr<'_>), WireError> {
    parse_fast_or::<false>(buf, parse_ipv4_tcp_offloaded_general)
}

/// What the IPv4+TCP parsers return.
type Parsed<'a> = Result<(Ipv4Repr, TcpRepr<'a>), WireError>;

/// The fast path of [`parse_ipv4_tcp_offloaded`], handing the packet to
/// `general` when it is not of the common shape or is malformed (its
/// options included). One result type throughout, so that the result is
/// built in place rather than copied from an `Option`.
#[inline]
fn parse_fast_or<'a, const VERIFY_IP: bool>(
    buf: &'a [u8],
    general: fn(&'a [u8]) -> Parsed<'a>,
) -> Parsed<'a> {
    parse_fast_core::<VERIFY_IP>(buf, &[], || general(buf))
}

/// [`parse_ipv4_tcp_emitted`] for a packet that may be kept in two parts:
/// `header`, exactly its IPv4 and TCP headers as
/// [`emit_ipv4_tcp_offload_headers_vec`] wrote them, and `payload`, the
/// rest of its bytes, kept elsewhere (a slice of the bulk pattern's
/// table). The result is what [`parse_ipv4_tcp_emitted`] gives for the
/// two joined, its payload borrowed from `payload`. With an empty
/// `payload` this is [`parse_ipv4_tcp_emitted`] of `header` (one function
/// for both, so that a caller holds one copy of the parser's code). In
/// two parts, any packet not of the common shape (see
/// [`parse_ipv4_tcp_offloaded`]) is an error, of no particular kind: join
/// the parts and parse that to learn more.
#[inline]
pub fn parse_ipv4_tcp_emitted_parts<'a>(
    header: &'a [u8],
    payload: &'a [u8],
) -> Result<(Ipv4Repr, TcpRepr<'a>), WireError> {
    let parsed = parse_fast_core::<false>(header, payload, || {
        if payload.is_empty() {
            return parse_ipv4_tcp_offloaded_general(header);
        }
        Err(WireError::Truncated {
            what: "IPv4+TCP headers",
            offset: 0,
            needed: Ipv4Repr::HEADER_LEN + HEADER_LEN,
            have: header.len(),
        })
    });
    debug_assert!(
        parsed.is_err() || {
            let mut flat = header.to_vec();
            flat.extend_from_slice(payload);
            parse_ipv4_tcp_offloaded_general(&flat) == parsed
        }
    );
    parsed
}

/// The fast path of the parsers above: the packet is `buf`, or, when
/// `rest` is not empty, `buf` holds exactly its headers and `rest` the
/// payload.
#[inline(always)]
fn parse_fast_core<'a, const VERIFY_IP: bool>(
    buf: &'a [u8],
    rest: &'a [u8],
    general: impl FnOnce() -> Parsed<'a>,
) -> Parsed<'a> {
    const IP: usize = Ipv4Repr::HEADER_LEN;
    let Some(h) = buf.first_chunk::<{ IP + HEADER_LEN }>() else {
        return general();
    };
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let flg_off = u16::from_be_bytes([h[6], h[7]]);
    let t = &h[IP..];
    let tcp_header_len = usize::from(t[field::DATA_OFF] >> 4) * 4;
    // Version 4 and IHL 5 (RFC 791 3.1); the total length covers both
    // headers and fits the buffer; not a fragment (MF clear, offset 0);
    // TCP; the data offset within the segment (RFC 9293 3.1).
    // In two parts, the header part is both headers, no more.
    let fits = if rest.is_empty() {
        total <= buf.len()
    } else {
        total == buf.len() + rest.len() && IP + tcp_header_len == buf.len()
    };
    if h[0] != 0x45
        || !fits
        || flg_off & 0x3fff != 0
        || h[9] != ipv4::protocol::TCP
        || tcp_header_len < HEADER_LEN
        || IP + tcp_header_len > total
    {
        return general();
    }
    let Some(ip_header) = h.first_chunk::<IP>() else {
        return general();
    };
    if VERIFY_IP {
        if checksum::header20(ip_header) != 0xffff {
            return general();
        }
    } else {
        debug_assert_eq!(checksum::header20(ip_header), 0xffff, "not as emitted");
    }
    let segment = &buf[IP..total.min(buf.len())];
    let options = if tcp_header_len == HEADER_LEN {
        TcpOptions::NONE
    } else {
        match TcpOptions::parse(&segment[HEADER_LEN..tcp_header_len], field::OPTIONS) {
            Ok(o) => o,
            Err(_) => return general(),
        }
    };
    let be16 = |i: usize| u16::from_be_bytes([t[i], t[i + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([t[i], t[i + 1], t[i + 2], t[i + 3]]);
    let flags = TcpFlags(t[field::FLAGS]);
    // Built in one expression, straight into the caller's result: no
    // named temporaries for the compiler to copy the ~120-byte repr from.
    let parsed = Ok((
        Ipv4Repr {
            src: Ipv4Addr::new(h[12], h[13], h[14], h[15]),
            dst: Ipv4Addr::new(h[16], h[17], h[18], h[19]),
            protocol: ipv4::protocol::TCP,
            ttl: h[8],
            ident: u16::from_be_bytes([h[4], h[5]]),
            dont_frag: flg_off & 0x4000 != 0,
            tos: h[1],
            payload_len: total - IP,
        },
        TcpRepr {
            src_port: be16(0),
            dst_port: be16(2),
            seq_number: SeqNumber(be32(4)),
            // RFC 9293 3.1: the acknowledgment field is significant only
            // when ACK is set.
            ack_number: flags.ack().then(|| SeqNumber(be32(8))),
            flags: TcpFlags(flags.0 & !TcpFlags::ACK.0),
            window: be16(14),
            urgent: be16(18),
            options,
            payload: if rest.is_empty() {
                &segment[tcp_header_len..]
            } else {
                rest
            },
        },
    ));
    // The fast path agrees with the general parser (in two parts, see
    // `parse_ipv4_tcp_emitted_parts`).
    debug_assert!(!rest.is_empty() || parse_ipv4_tcp_offloaded_general(buf) == parsed);
    parsed
}

/// [`parse_ipv4_tcp_offloaded`] through the general parsers: any IPv4
/// header, the error for any malformed packet.
fn parse_ipv4_tcp_offloaded_general(buf: &[u8]) -> Result<(Ipv4Repr, TcpRepr<'_>), WireError> {
    let ip_packet = Ipv4Packet::new_unchecked(buf);
    let ip = Ipv4Repr::parse_with(&ip_packet, true)?;
    if ip.protocol != ipv4::protocol::TCP {
        return Err(WireError::NotTcp {
            offset: 9,
            protocol: ip.protocol,
        });
    }
    let header_len = ip_packet.header_len();
    let tcp_packet = TcpPacket::new_unchecked(ip_packet.payload());
    let tcp =
        TcpRepr::parse(&tcp_packet, ip.src, ip.dst, false).map_err(|e| e.shifted(header_len))?;
    Ok((ip, tcp))
}

/// [`try_emit_ipv4_tcp`] for the hot path: returns 0 and writes nothing if
/// the packet does not fit `buf` or IPv4's 65535-byte limit. Never panics,
/// never allocates.
pub fn emit_ipv4_tcp(ip: &Ipv4Repr, tcp: &TcpRepr, buf: &mut [u8]) -> usize {
    try_emit_ipv4_tcp(ip, tcp, buf).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offloaded_checksum_filled_later_is_the_same_packet() {
        let payload: Vec<u8> = (0..1460u32).map(|i| (i * 31 + 7) as u8).collect();
        let tcp = TcpRepr {
            payload: &payload,
            flags: TcpFlags::ACK | TcpFlags::PSH,
            ack_number: Some(SeqNumber(77)),
            ..syn_tcp()
        };
        let ip = syn_ip();
        let mut eager = vec![0u8; 1600];
        let n = emit_ipv4_tcp(&ip, &tcp, &mut eager);
        let mut lazy = vec![0u8; 1600];
        assert_eq!(emit_ipv4_tcp_offload(&ip, &tcp, &mut lazy), n);
        assert!(parse_ipv4_tcp(&lazy[..n], true).is_err(), "not filled yet");
        let (_, parsed) = parse_ipv4_tcp_offloaded(&lazy[..n]).unwrap();
        assert_eq!(parsed.payload, &payload[..]);
        // The vector form writes the same bytes, over whatever was there.
        let mut v = vec![0xa5u8; 3000];
        assert_eq!(emit_ipv4_tcp_offload_vec(&ip, &tcp, &mut v), n);
        assert_eq!(v[..], lazy[..n]);
        fill_tcp_checksum(&mut lazy[..n]);
        assert_eq!(lazy[..n], eager[..n]);
        assert!(parse_ipv4_tcp(&lazy[..n], true).is_ok());
    }

    /// The direct emit and the fast parse agree with the general code for
    /// headers with and without options, and every damaged or cut copy
    /// parses (or fails) exactly as the general parser says.
    #[test]
    fn fast_emit_and_parse_agree_with_the_general_code() {
        const FELL_BACK: WireError = WireError::NotTcp {
            offset: usize::MAX,
            protocol: 0,
        };
        let payload: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        let option_sets = [
            TcpOptions::NONE,
            syn_tcp().options,
            TcpOptions {
                window_scale: Some(7),
                timestamps: Some((1, 0xdead_beef)),
                ..TcpOptions::NONE
            },
            TcpOptions {
                sack_blocks: [
                    Some((SeqNumber(10), SeqNumber(20))),
                    None,
                    Some((SeqNumber(30), SeqNumber(40))),
                ],
                timestamps: Some((5, 6)),
                ..TcpOptions::NONE
            },
        ];
        let mut x: u64 = 12345;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (k, options) in option_sets.into_iter().enumerate() {
            for (ack, len, df, tos) in [
                (None, 0, true, 0),
                (Some(SeqNumber(99)), 300, false, 0xb8),
                (Some(SeqNumber(u32::MAX)), 1, true, 1),
            ] {
                let tcp = TcpRepr {
                    ack_number: ack,
                    flags: TcpFlags::PSH | TcpFlags::FIN,
                    urgent: 3,
                    options,
                    payload: &payload[..len],
                    ..syn_tcp()
                };
                let ip = Ipv4Repr {
                    dont_frag: df,
                    tos,
                    ttl: 64,
                    ..syn_ip()
                };
                let mut reference = vec![0u8; 2000];
                let n = emit_ipv4_tcp_offload(&ip, &tcp, &mut reference);
                let mut v = vec![0x5au8; 7];
                assert_eq!(emit_ipv4_tcp_offload_vec(&ip, &tcp, &mut v), n);
                assert_eq!(v[..], reference[..n], "options {k}");
                let general = parse_ipv4_tcp_offloaded_general(&v);
                assert!(general.is_ok());
                assert_eq!(parse_fast_or::<true>(&v, |_| Err(FELL_BACK)), general);
                assert_eq!(parse_fast_or::<false>(&v, |_| Err(FELL_BACK)), general);
                assert_eq!(parse_ipv4_tcp_emitted(&v), general);
                for _ in 0..300 {
                    let mut bad = v.clone();
                    let i = rnd() as usize % bad.len();
                    bad[i] ^= 1 << (rnd() % 8);
                    bad.truncate(bad.len() - rnd() as usize % 3);
                    let general = parse_ipv4_tcp_offloaded_general(&bad);
                    match parse_fast_or::<true>(&bad, |_| Err(FELL_BACK)) {
                        Err(FELL_BACK) => assert!(general.is_err(), "{bad:?}"),
                        fast => assert_eq!(fast, general, "{bad:?}"),
                    }
                    assert_eq!(parse_ipv4_tcp_offloaded(&bad), general);
                }
            }
        }
    }

    const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 168);
    const SERVER: Ipv4Addr = Ipv4Addr::new(192, 168, 120, 240);

    /// The first segment of the seed's session as a Windows XP client sends
    /// it: 192.168.120.168:51299 > 192.168.120.240:21, SYN, window 65535,
    /// options MSS 1460, NOP, NOP, SACK-permitted. Checksums worked out
    /// independently (and checked with Wireshark).
    #[rustfmt::skip]
    const SYN: [u8; 48] = [
        // IPv4: 45 00, total 48, ident 0x0f2c, DF, TTL 128, TCP, checksum 78b2
        0x45, 0x00, 0x00, 0x30, 0x0f, 0x2c, 0x40, 0x00, 0x80, 0x06, 0x78, 0xb2,
        0xc0, 0xa8, 0x78, 0xa8, 0xc0, 0xa8, 0x78, 0xf0,
        // TCP: ports 51299 > 21, seq 0x1a2b3c4d, ack 0
        0xc8, 0x63, 0x00, 0x15, 0x1a, 0x2b, 0x3c, 0x4d, 0x00, 0x00, 0x00, 0x00,
        // data offset 7, SYN, window 65535, checksum f144, urgent 0
        0x70, 0x02, 0xff, 0xff, 0xf1, 0x44, 0x00, 0x00,
        // MSS 1460, NOP, NOP, SACK-permitted
        0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02,
    ];

    fn syn_ip() -> Ipv4Repr {
        Ipv4Repr {
            src: CLIENT,
            dst: SERVER,
            protocol: ipv4::protocol::TCP,
            ttl: 128,
            ident: 0x0f2c,
            dont_frag: true,
            tos: 0,
            payload_len: 28,
        }
    }

    fn syn_tcp() -> TcpRepr<'static> {
        TcpRepr {
            src_port: 51299,
            dst_port: 21,
            seq_number: SeqNumber(0x1a2b_3c4d),
            ack_number: None,
            flags: TcpFlags::SYN,
            window: 65535,
            urgent: 0,
            options: TcpOptions {
                mss: Some(1460),
                sack_permitted: true,
                ..TcpOptions::NONE
            },
            payload: &[],
        }
    }

    #[test]
    fn syn_emits_the_literal_bytes() {
        let mut buf = [0u8; 64];
        let n = emit_ipv4_tcp(&syn_ip(), &syn_tcp(), &mut buf);
        assert_eq!(n, 48);
        assert_eq!(buf[..n], SYN);
        assert_eq!(syn_tcp().header_len(), 28);
        assert_eq!(syn_tcp().buffer_len(), 28);
    }

    #[test]
    fn syn_parses_from_the_literal_bytes() {
        let (ip, tcp) = parse_ipv4_tcp(&SYN, true).unwrap();
        assert_eq!(ip, syn_ip());
        assert_eq!(tcp, syn_tcp());
        assert_eq!(tcp.segment_len(), 1);

        let p = TcpPacket::new_checked(&SYN[20..]).unwrap();
        let names: Vec<_> = p
            .options_iter()
            .map(|o| o.map(|(at, o)| (at, o.name())))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            names,
            [
                (20, "Maximum segment size"),
                (24, "No-Operation (NOP)"),
                (25, "No-Operation (NOP)"),
                (26, "SACK permitted")
            ]
        );
    }

    #[test]
    fn emit_ignores_the_ip_reprs_length_and_protocol() {
        let ip = Ipv4Repr {
            payload_len: 9999,
            protocol: 17,
            ..syn_ip()
        };
        let mut buf = [0u8; 48];
        assert_eq!(emit_ipv4_tcp(&ip, &syn_tcp(), &mut buf), 48);
        assert_eq!(buf, SYN);
    }

    #[test]
    fn emit_into_a_short_buffer_writes_nothing() {
        let mut buf = [0xeeu8; 47];
        assert_eq!(emit_ipv4_tcp(&syn_ip(), &syn_tcp(), &mut buf), 0);
        assert!(buf.iter().all(|&b| b == 0xee));
        assert_eq!(
            try_emit_ipv4_tcp(&syn_ip(), &syn_tcp(), &mut buf),
            Err(WireError::BufferTooSmall {
                what: "IPv4+TCP packet",
                needed: 48,
                have: 47
            })
        );
        let big = vec![0u8; 65_536];
        let tcp = TcpRepr {
            payload: &big,
            ..syn_tcp()
        };
        let mut out = vec![0u8; 70_000];
        assert!(matches!(
            try_emit_ipv4_tcp(&syn_ip(), &tcp, &mut out),
            Err(WireError::TooLong { .. })
        ));
    }

    fn options_bytes(options: TcpOptions) -> Vec<u8> {
        let mut buf = [0u8; MAX_OPTIONS_LEN];
        let n = options.emit(&mut buf).unwrap();
        assert_eq!(n, options.wire_len());
        buf[..n].to_vec()
    }

    #[test]
    fn options_follow_the_windows_layout() {
        let ts = Some((0x0102_0304, 0x0506_0708));
        // Windows Vista+ SYN: MSS, NOP, WS, NOP, NOP, SACK-permitted.
        let o = TcpOptions {
            mss: Some(1460),
            window_scale: Some(8),
            sack_permitted: true,
            ..TcpOptions::NONE
        };
        assert_eq!(options_bytes(o), [2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2]);
        // With timestamps SACK-permitted takes the NOPs' place.
        let o = TcpOptions {
            timestamps: ts,
            ..o
        };
        assert_eq!(
            options_bytes(o),
            [
                2, 4, 5, 0xb4, 1, 3, 3, 8, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8
            ]
        );
        // RFC 7323 Appendix A layout on a data segment.
        let o = TcpOptions {
            timestamps: ts,
            ..TcpOptions::NONE
        };
        assert_eq!(options_bytes(o), [1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn sack_blocks_take_what_room_is_left() {
        let blocks = [
            Some((SeqNumber(100), SeqNumber(200))),
            Some((SeqNumber(300), SeqNumber(400))),
            Some((SeqNumber(500), SeqNumber(600))),
        ];
        let o = TcpOptions {
            sack_blocks: blocks,
            timestamps: Some((1, 2)),
            ..TcpOptions::NONE
        };
        assert_eq!(o.emitted_sack_blocks(), 3);
        assert_eq!(o.wire_len(), 40);
        let bytes = options_bytes(o);
        assert_eq!(&bytes[12..16], &[1, 1, 5, 26]);
        assert_eq!(TcpOptions::parse(&bytes, 20).unwrap(), o);

        // Everything at once: only two blocks fit after 20 bytes of SYN
        // options (RFC 2018 4, "as many ... as possible").
        let all = TcpOptions {
            mss: Some(536),
            window_scale: Some(2),
            sack_permitted: true,
            ..o
        };
        assert_eq!(all.emitted_sack_blocks(), 2);
        assert_eq!(all.wire_len(), 40);
        let parsed = TcpOptions::parse(&options_bytes(all), 20).unwrap();
        assert_eq!(parsed.sack_blocks, [blocks[0], blocks[1], None]);

        // Gaps in the array close up.
        let gappy = TcpOptions {
            sack_blocks: [None, blocks[1], None],
            ..TcpOptions::NONE
        };
        let parsed = TcpOptions::parse(&options_bytes(gappy), 20).unwrap();
        assert_eq!(parsed.sack_blocks, [blocks[1], None, None]);
    }

    #[test]
    fn parse_skips_unknown_options_and_stops_at_eol() {
        #[rustfmt::skip]
        let bytes = [
            30, 4, 0xaa, 0xbb,      // MPTCP-ish, unknown here
            2, 4, 0x02, 0x18,       // MSS 536
            254, 2,                 // experimental, empty
            1,                      // NOP
            0,                      // EOL: what follows is padding
            2, 9, 9, 9,             // never read
        ];
        let o = TcpOptions::parse(&bytes, 20).unwrap();
        assert_eq!(
            o,
            TcpOptions {
                mss: Some(536),
                ..TcpOptions::NONE
            }
        );
        let kinds: Vec<u8> = TcpOptionIter::new(&bytes, 20)
            .map(|o| o.unwrap().1.kind())
            .collect();
        assert_eq!(kinds, [30, 2, 254, 1, 0]);
    }

    #[test]
    fn four_sack_blocks_keep_the_first_three() {
        let mut bytes = vec![1, 1, 5, 34];
        for i in 1..=8u32 {
            bytes.extend_from_slice(&(i * 1000).to_be_bytes());
        }
        let o = TcpOptions::parse(&bytes, 20).unwrap();
        assert_eq!(
            o.sack_blocks,
            [
                Some((SeqNumber(1000), SeqNumber(2000))),
                Some((SeqNumber(3000), SeqNumber(4000))),
                Some((SeqNumber(5000), SeqNumber(6000)))
            ]
        );
    }

    #[test]
    fn bad_option_lengths_name_kind_and_offset() {
        let cases: [(&[u8], WireError); 7] = [
            (
                &[1, 2, 5, 5, 0xb4, 0],
                WireError::BadOptionLength {
                    offset: 21,
                    kind: 2,
                    len: 5,
                    expected: "4",
                },
            ),
            (
                &[3, 2, 7, 0],
                WireError::BadOptionLength {
                    offset: 20,
                    kind: 3,
                    len: 2,
                    expected: "3",
                },
            ),
            (
                &[1, 1, 1, 8, 10, 0, 0, 0],
                WireError::OptionOverrun {
                    offset: 23,
                    kind: 8,
                    len: 10,
                    end: 28,
                },
            ),
            (
                &[1, 1, 1, 4],
                WireError::OptionOverrun {
                    offset: 23,
                    kind: 4,
                    len: 2,
                    end: 24,
                },
            ),
            (
                &[5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                WireError::BadOptionLength {
                    offset: 20,
                    kind: 5,
                    len: 11,
                    expected: "8n + 2 for n = 1 to 4 blocks (10, 18, 26 or 34)",
                },
            ),
            (
                &[99, 1, 0, 0],
                WireError::BadOptionLength {
                    offset: 20,
                    kind: 99,
                    len: 1,
                    expected: "at least 2 (kind and length bytes)",
                },
            ),
            (
                &[4, 2, 8, 10, 0, 0, 0, 0],
                WireError::OptionOverrun {
                    offset: 22,
                    kind: 8,
                    len: 10,
                    end: 28,
                },
            ),
        ];
        for (options, expected) in cases {
            assert_eq!(TcpOptions::parse(options, 20), Err(expected), "{options:?}");
            // Inside a whole packet the offset counts from the IPv4 header.
            let mut packet = SYN.to_vec();
            packet.truncate(40);
            packet.extend_from_slice(options);
            packet.resize(40 + options.len().next_multiple_of(4), 0);
            let total = packet.len() as u16;
            let mut ip = Ipv4Packet::new_unchecked(&mut packet[..]);
            ip.set_total_len(total);
            ip.fill_checksum();
            let mut tcp = TcpPacket::new_unchecked(ip.payload_mut());
            tcp.set_header_len(20 + options.len().next_multiple_of(4));
            tcp.fill_checksum(CLIENT, SERVER);
            assert_eq!(
                parse_ipv4_tcp(&packet, true).map(|_| ()),
                Err(expected.shifted(20))
            );
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        for len in 0..SYN.len() {
            let e = parse_ipv4_tcp(&SYN[..len], false).unwrap_err();
            assert!(matches!(e, WireError::Truncated { .. }), "len {len}: {e}");
        }
        // A TCP segment cut short inside a consistent IPv4 header.
        for tcp_len in 0..28 {
            let mut b = SYN[..20 + tcp_len].to_vec();
            let mut ip = Ipv4Packet::new_unchecked(&mut b[..]);
            ip.set_total_len((20 + tcp_len) as u16);
            ip.fill_checksum();
            let e = parse_ipv4_tcp(&b, false).unwrap_err();
            if tcp_len < 20 {
                assert!(matches!(e, WireError::Truncated { offset: 20, .. }), "{e}");
            } else {
                assert!(
                    matches!(e, WireError::BadDataOffset { offset: 32, .. }),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn bad_checksums_say_what_was_expected() {
        let mut b = SYN;
        b[34] = 0x12; // window 0x12ff instead of 0xffff
        let e = parse_ipv4_tcp(&b, true).unwrap_err();
        let WireError::BadChecksum {
            what: "TCP",
            offset: 36,
            expected,
            found: 0xf144,
        } = e
        else {
            panic!("unexpected {e:?}");
        };
        assert_eq!(
            expected,
            checksum::update_u16(0xf144, 0xffff, 0x12ff),
            "the incremental update agrees"
        );
        assert!(parse_ipv4_tcp(&b, false).is_ok());

        let mut b = SYN;
        b[8] = 64;
        assert!(matches!(
            parse_ipv4_tcp(&b, true),
            Err(WireError::BadChecksum {
                what: "IPv4 header",
                offset: 10,
                ..
            })
        ));
    }

    #[test]
    fn bad_data_offsets_and_protocols() {
        let mut b = SYN;
        b[32] = 0x40;
        assert!(matches!(
            parse_ipv4_tcp(&b, false),
            Err(WireError::BadDataOffset {
                offset: 32,
                data_offset: 4,
                ..
            })
        ));
        b[32] = 0x80;
        assert!(matches!(
            parse_ipv4_tcp(&b, false),
            Err(WireError::BadDataOffset {
                data_offset: 8,
                segment_len: 28,
                ..
            })
        ));
        let mut b = SYN;
        b[9] = 17;
        assert_eq!(
            parse_ipv4_tcp(&b, false).map(|_| ()),
            Err(WireError::NotTcp {
                offset: 9,
                protocol: 17
            })
        );
    }

    #[test]
    fn data_segment_round_trips_with_ack_and_payload() {
        let tcp = TcpRepr {
            src_port: 21,
            dst_port: 51299,
            seq_number: SeqNumber(u32::MAX - 3),
            ack_number: Some(SeqNumber(0x1a2b_3c4e)),
            flags: TcpFlags::PSH,
            window: 17520,
            urgent: 0,
            options: TcpOptions::NONE,
            payload: b"220 Microsoft FTP Service\r\n",
        };
        let ip = Ipv4Repr {
            src: SERVER,
            dst: CLIENT,
            ..syn_ip()
        };
        let mut buf = [0u8; 128];
        let n = emit_ipv4_tcp(&ip, &tcp, &mut buf);
        assert_eq!(n, 20 + 20 + 27);
        let (ip2, tcp2) = parse_ipv4_tcp(&buf[..n], true).unwrap();
        assert_eq!(tcp2, tcp);
        assert_eq!(ip2.payload_len, 47);
        assert_eq!(tcp2.wire_flags(), TcpFlags::PSH | TcpFlags::ACK);
        // Trailing Ethernet padding is not payload.
        let (_, tcp3) = parse_ipv4_tcp(&buf[..n + 7], true).unwrap();
        assert_eq!(tcp3.payload.len(), 27);
    }

    #[test]
    fn view_setters_round_trip() {
        let mut b = [0u8; 24];
        let mut p = TcpPacket::new_unchecked(&mut b[..]);
        p.set_src_port(20);
        p.set_dst_port(51300);
        p.set_seq_number(SeqNumber(7));
        p.set_ack_number(SeqNumber(9));
        p.set_header_len(24);
        p.set_reserved(0x1);
        p.set_flags(TcpFlags::FIN | TcpFlags::ACK);
        p.set_window_len(1024);
        p.set_urgent_at(3);
        p.options_mut().copy_from_slice(&[3, 3, 14, 0]);
        p.fill_checksum(SERVER, CLIENT);
        assert!(p.verify_checksum(SERVER, CLIENT));
        assert!(!p.verify_checksum(CLIENT, CLIENT));
        let p = TcpPacket::new_checked(&b[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (20, 51300));
        assert_eq!(
            (p.seq_number(), p.ack_number()),
            (SeqNumber(7), SeqNumber(9))
        );
        assert_eq!((p.data_offset(), p.header_len(), p.reserved()), (6, 24, 1));
        assert_eq!(p.flags(), TcpFlags::FIN | TcpFlags::ACK);
        assert_eq!((p.window_len(), p.urgent_at()), (1024, 3));
        assert_eq!(p.options(), &[3, 3, 14, 0]);
        assert!(p.payload().is_empty());
        let r = TcpRepr::parse(&p, SERVER, CLIENT, true).unwrap();
        assert_eq!(r.options.window_scale, Some(14));
        assert_eq!(r.flags, TcpFlags::FIN);
        assert_eq!(r.ack_number, Some(SeqNumber(9)));
    }
}
