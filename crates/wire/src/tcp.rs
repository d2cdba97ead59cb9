//! TCP headers (RFC 9293 3.1) and options (RFC 9293 3.2, RFC 7323, RFC 2018).
//!
//! TODO(wire helper): `TcpPacket<T>` zero-copy view, `TcpRepr::parse`/`emit`,
//! option parsing, checksum with the pseudo-header.

use crate::SeqNumber;
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
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug, serde::Serialize, serde::Deserialize)]
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
