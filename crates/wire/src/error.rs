//! What can be wrong with bytes that claim to be an IPv4 packet or a TCP
//! segment.
//!
//! Every variant says what was wrong and where: `offset` counts bytes from
//! the start of the buffer handed to the function that returned the error
//! (so [`crate::parse_ipv4_tcp`] reports TCP problems at their position in
//! the whole IP packet, while [`crate::TcpRepr::parse`] on its own reports
//! them from the start of the TCP header). A student reading
//! "byte 34" can find the byte in Wireshark's hex pane.
//!
//! Leaves out: errors of capture files, which live in
//! [`crate::pcap::PcapError`].

use thiserror::Error;

/// A malformed or unsupported IPv4 packet or TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum WireError {
    /// The buffer ends before the structure does.
    #[error("{what} at byte {offset} is truncated: needed {needed} bytes, have {have}")]
    Truncated {
        what: &'static str,
        offset: usize,
        needed: usize,
        have: usize,
    },

    /// RFC 791 3.1: the version field must be 4.
    #[error("bad IP version {version} at byte {offset} (expected 4)")]
    BadVersion { offset: usize, version: u8 },

    /// RFC 791 3.1: "the minimum value for a correct header is 5".
    #[error(
        "bad IPv4 header length (IHL) {ihl} at byte {offset}: {ihl} x 4 bytes is below the minimum of 20"
    )]
    BadIhl { offset: usize, ihl: u8 },

    /// The total length field is smaller than the header it includes.
    #[error(
        "bad IPv4 total length {total_len} at byte {offset}: shorter than the {header_len}-byte header"
    )]
    BadTotalLength {
        offset: usize,
        total_len: u16,
        header_len: usize,
    },

    /// The header or segment does not sum to 0xffff (RFC 1071).
    /// `expected` is the value the field should hold, `found` what it holds.
    #[error("bad {what} checksum at byte {offset}: expected {expected:#06x}, found {found:#06x}")]
    BadChecksum {
        what: &'static str,
        offset: usize,
        expected: u16,
        found: u16,
    },

    /// A fragment (MF set or a non-zero fragment offset). netstep never
    /// fragments and does not reassemble (RFC 791 3.2), so a fragment
    /// cannot be read as a whole TCP segment.
    #[error(
        "IPv4 fragment at byte {offset} (fragment offset {frag_offset} bytes, more fragments: {more_frags}): reassembly is not supported"
    )]
    Fragmented {
        offset: usize,
        frag_offset: u16,
        more_frags: bool,
    },

    /// The IPv4 payload is not TCP.
    #[error("IPv4 protocol {protocol} at byte {offset} is not TCP (6)")]
    NotTcp { offset: usize, protocol: u8 },

    /// RFC 9293 3.1: the data offset counts 32-bit words, at least 5, and
    /// cannot point past the end of the segment.
    #[error(
        "bad TCP data offset {data_offset} at byte {offset}: {data_offset} x 4 bytes {reason} (segment is {segment_len} bytes)"
    )]
    BadDataOffset {
        offset: usize,
        data_offset: u8,
        segment_len: usize,
        reason: &'static str,
    },

    /// A TCP option whose length byte is impossible for its kind
    /// (RFC 9293 3.2, RFC 7323, RFC 2018).
    #[error("bad length {len} for TCP option kind {kind} at byte {offset}: expected {expected}")]
    BadOptionLength {
        offset: usize,
        kind: u8,
        len: u8,
        expected: &'static str,
    },

    /// A TCP option that runs past the end of the options area.
    #[error(
        "TCP option kind {kind} at byte {offset} needs {len} bytes but the options end at byte {end}"
    )]
    OptionOverrun {
        offset: usize,
        kind: u8,
        len: usize,
        end: usize,
    },

    /// A buffer given to `emit` is too short for what is to be written.
    #[error("buffer too small to emit {what}: needed {needed} bytes, have {have}")]
    BufferTooSmall {
        what: &'static str,
        needed: usize,
        have: usize,
    },

    /// The packet would not fit IPv4's 16-bit total length.
    #[error("{what} of {len} bytes exceeds the maximum of {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
}

impl WireError {
    /// The byte offset the error points at, if it has one.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            WireError::Truncated { offset, .. }
            | WireError::BadVersion { offset, .. }
            | WireError::BadIhl { offset, .. }
            | WireError::BadTotalLength { offset, .. }
            | WireError::BadChecksum { offset, .. }
            | WireError::Fragmented { offset, .. }
            | WireError::NotTcp { offset, .. }
            | WireError::BadDataOffset { offset, .. }
            | WireError::BadOptionLength { offset, .. }
            | WireError::OptionOverrun { offset, .. } => Some(offset),
            WireError::BufferTooSmall { .. } | WireError::TooLong { .. } => None,
        }
    }

    /// The same error with every byte offset moved `by` bytes later: used
    /// when a parser of an inner layer reports to the caller of an outer
    /// one, so the offset stays relative to the caller's buffer.
    #[must_use]
    pub fn shifted(self, by: usize) -> WireError {
        let mut e = self;
        match &mut e {
            WireError::Truncated { offset, .. }
            | WireError::BadVersion { offset, .. }
            | WireError::BadIhl { offset, .. }
            | WireError::BadTotalLength { offset, .. }
            | WireError::BadChecksum { offset, .. }
            | WireError::Fragmented { offset, .. }
            | WireError::NotTcp { offset, .. }
            | WireError::BadDataOffset { offset, .. }
            | WireError::BadOptionLength { offset, .. } => *offset = offset.saturating_add(by),
            WireError::OptionOverrun { offset, end, .. } => {
                *offset = offset.saturating_add(by);
                *end = end.saturating_add(by);
            }
            WireError::BufferTooSmall { .. } | WireError::TooLong { .. } => {}
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem_and_the_byte() {
        let e = WireError::Truncated {
            what: "IPv4 header",
            offset: 0,
            needed: 20,
            have: 12,
        };
        assert_eq!(
            e.to_string(),
            "IPv4 header at byte 0 is truncated: needed 20 bytes, have 12"
        );
        let e = WireError::BadChecksum {
            what: "TCP",
            offset: 16,
            expected: 0x1234,
            found: 0xbeef,
        };
        assert_eq!(
            e.to_string(),
            "bad TCP checksum at byte 16: expected 0x1234, found 0xbeef"
        );
        let e = WireError::OptionOverrun {
            offset: 22,
            kind: 8,
            len: 10,
            end: 28,
        }
        .shifted(20);
        assert_eq!(
            e.to_string(),
            "TCP option kind 8 at byte 42 needs 10 bytes but the options end at byte 48"
        );
        assert_eq!(e.offset(), Some(42));
    }
}
