//! The internet checksum (RFC 1071) used by IPv4 and TCP, and its
//! incremental update (RFC 1624).
//!
//! The checksum is the ones' complement of the ones' complement sum of the
//! data taken as big-endian 16-bit words. This module keeps the *sum* and the
//! *checksum* apart on purpose: sums of separate pieces (pseudo-header,
//! header, payload) are combined with [`combine`] or a [`Checksum`]
//! accumulator, and only the final value is complemented.
//!
//! Leaves out: IPv6 pseudo-headers (netstep speaks IPv4 only), hardware
//! offload modelling, and SIMD: a scalar loop over 32-bit words (RFC 1071
//! 2(B), "parallel summation") is fast enough for simulated links.

use core::net::Ipv4Addr;

/// Folds a wide accumulator of 16-bit (or 32-bit) big-endian words down to
/// a 16-bit ones' complement sum. RFC 1071 2(C): "the carries are added
/// back", repeated until none are left.
const fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The ones' complement sum of `data` (not complemented). An odd trailing
/// byte is padded with a zero byte on the right, as RFC 1071 2(A) says.
///
/// RFC 1071 2(B) gives the two tricks used here. "Byte order
/// independence": summing the words in the machine's own byte order and
/// swapping the bytes of the folded result gives the big-endian sum, so no
/// word is byte-swapped on the way. "Parallel summation": summing 32-bit
/// words into a 64-bit accumulator and folding at the end gives the same
/// result as 16-bit words, because 2^16 = 1 modulo 2^16 - 1. Eight bytes
/// are taken at a time (as two 32-bit halves), which the compiler turns
/// into vector adds.
pub fn data(data: &[u8]) -> u16 {
    let mut acc: u64 = 0;
    let mut blocks = data.chunks_exact(8);
    for b in &mut blocks {
        let w = u64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        acc += (w & 0xffff_ffff) + (w >> 32);
    }
    // The tail, zero-padded on the right to eight bytes: the same words in
    // the same byte order as above.
    let rest = blocks.remainder();
    let mut tail = [0u8; 8];
    tail[..rest.len()].copy_from_slice(rest);
    let w = u64::from_ne_bytes(tail);
    acc += (w & 0xffff_ffff) + (w >> 32);
    u16::from_be(fold(acc))
}

/// [`data`] of an option-less IPv4 header, the one piece summed for every
/// packet a router or host reads: five big-endian 32-bit words added in a
/// 64-bit accumulator and folded (RFC 1071 2(B), parallel summation), with
/// no loop and no tail. The same value as `data(header)`: both are the
/// ones' complement sum, 0 only for all-zero bytes.
#[inline]
pub fn header20(h: &[u8; 20]) -> u16 {
    let w = |i: usize| u64::from(u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]));
    fold(w(0) + w(4) + w(8) + w(12) + w(16))
}

/// Ones' complement sum of several partial sums.
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| u64::from(s)).sum())
}

/// The ones' complement sum of the TCP/UDP pseudo-header for IPv4
/// (RFC 9293 3.1, "the TCP checksum ... covers a 96-bit pseudo header"):
/// source address, destination address, zero, protocol, and the length of
/// the transport segment (header plus data) in bytes.
pub fn pseudo_header_ipv4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, segment_len: u32) -> u16 {
    let s = u64::from(u32::from_be_bytes(src.octets()));
    let d = u64::from(u32::from_be_bytes(dst.octets()));
    // The segment length field of the pseudo-header is 16 bits; a longer
    // segment cannot be carried by IPv4 anyway, but summing it whole keeps
    // this function total.
    fold(s + d + u64::from(protocol) + u64::from(segment_len))
}

/// The internet checksum of `bytes`: the complement of their sum. Write
/// this into a zeroed checksum field; a receiver that sums the whole header
/// (checksum field included) then gets 0xffff.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    !data(bytes)
}

/// Whether `bytes`, checksum field included, sum to 0xffff (RFC 1071 2:
/// "the result is checked by summing ... If the result is all 1 bits, the
/// check succeeds").
pub fn verify(bytes: &[u8]) -> bool {
    data(bytes) == 0xffff
}

/// Incremental update after one 16-bit word of the covered data changed
/// from `old_word` to `new_word` (RFC 1624 3, eqn. 3:
/// `HC' = ~(~HC + ~m + m')`). This is how a router rewrites the TTL or a NAT
/// rewrites an address or port without summing the whole packet again.
pub fn update_u16(checksum: u16, old_word: u16, new_word: u16) -> u16 {
    !fold(u64::from(!checksum) + u64::from(!old_word) + u64::from(new_word))
}

/// Incremental update after a 32-bit value (an IPv4 address, a sequence
/// number) changed, as two 16-bit word updates.
pub fn update_u32(checksum: u16, old: u32, new: u32) -> u16 {
    let c = update_u16(checksum, (old >> 16) as u16, (new >> 16) as u16);
    update_u16(c, old as u16, new as u16)
}

/// A running ones' complement sum over pieces of any length, as if they
/// were one contiguous byte string: a piece of odd length leaves its last
/// byte pending until the next piece supplies the low half of the word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checksum {
    acc: u64,
    pending: Option<u8>,
}

impl Checksum {
    pub const fn new() -> Self {
        Checksum {
            acc: 0,
            pending: None,
        }
    }

    /// Adds bytes that follow everything added so far.
    pub fn add_bytes(mut self, mut bytes: &[u8]) -> Self {
        if let Some(hi) = self.pending.take() {
            match bytes.split_first() {
                Some((&lo, rest)) => {
                    self.acc += u64::from(u16::from_be_bytes([hi, lo]));
                    bytes = rest;
                }
                None => {
                    self.pending = Some(hi);
                    return self;
                }
            }
        }
        let even = bytes.len() & !1;
        self.acc += u64::from(data(&bytes[..even]));
        if even < bytes.len() {
            self.pending = Some(bytes[even]);
        }
        self
    }

    /// Adds a 16-bit word; only meaningful at an even position.
    pub fn add_u16(self, word: u16) -> Self {
        self.add_bytes(&word.to_be_bytes())
    }

    /// Adds an already folded sum of an even-length piece.
    pub fn add_sum(mut self, sum: u16) -> Self {
        self.acc += u64::from(sum);
        self
    }

    /// The ones' complement sum so far (a pending odd byte padded with zero).
    pub fn sum(self) -> u16 {
        let tail = self
            .pending
            .map_or(0, |hi| u64::from(u16::from_be_bytes([hi, 0])));
        fold(self.acc + tail)
    }

    /// The checksum: the complement of [`Checksum::sum`].
    pub fn finish(self) -> u16 {
        !self.sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A straightforward 16-bit-at-a-time sum, as RFC 1071 4.1 writes it.
    fn reference(bytes: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        let mut i = 0;
        while i + 1 < bytes.len() {
            sum += u32::from(u16::from_be_bytes([bytes[i], bytes[i + 1]]));
            i += 2;
        }
        if i < bytes.len() {
            sum += u32::from(bytes[i]) << 8;
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    #[test]
    fn header20_agrees_with_data() {
        let mut x: u64 = 7;
        for case in 0..2000 {
            let mut h = [0u8; 20];
            for b in &mut h {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Mostly 0x00 and 0xff bytes in some cases, to hit the
                // carries and the all-zero and all-one sums.
                *b = match case % 3 {
                    0 => x as u8,
                    1 => {
                        if x & 1 == 0 {
                            0
                        } else {
                            0xff
                        }
                    }
                    _ => 0,
                };
            }
            assert_eq!(header20(&h), data(&h), "{h:?}");
        }
    }

    #[test]
    fn rfc1071_worked_example() {
        // RFC 1071 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(data(&bytes), 0xddf2);
        assert_eq!(internet_checksum(&bytes), !0xddf2);
    }

    #[test]
    fn ipv4_header_from_wikipedia() {
        // The classic example header 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7.
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert!(verify(&h));
        h[10] = 0;
        h[11] = 0;
        assert_eq!(internet_checksum(&h), 0xb861);
    }

    #[test]
    fn odd_lengths_and_pieces_agree_with_the_reference() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1001).collect();
        for len in 0..bytes.len() {
            let b = &bytes[..len];
            assert_eq!(data(b), reference(b), "len {len}");
            for split in [0, 1, len / 2, len.saturating_sub(1)] {
                let split = split.min(len);
                let (x, y) = b.split_at(split);
                let c = Checksum::new().add_bytes(x).add_bytes(y);
                assert_eq!(c.sum(), reference(b), "len {len} split {split}");
            }
        }
    }

    #[test]
    fn carries_and_random_bytes_agree_with_the_reference() {
        let ones = vec![0xffu8; 70_000];
        for len in [0, 1, 7, 8, 9, 1460, 65_535, 70_000] {
            assert_eq!(data(&ones[..len]), reference(&ones[..len]), "len {len}");
        }
        let mut x: u32 = 0x1234_5678;
        let noise: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        for start in 0..9 {
            for len in [0, 1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 1459, 1460, 4000] {
                let b = &noise[start..start + len];
                assert_eq!(data(b), reference(b), "start {start} len {len}");
            }
        }
    }

    #[test]
    fn incremental_update_matches_a_full_recompute() {
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let c = internet_checksum(&h);
        // Decrement TTL (router), then rewrite the source address (NAT).
        let old_word = u16::from_be_bytes([h[8], h[9]]);
        h[8] -= 1;
        let c = update_u16(c, old_word, u16::from_be_bytes([h[8], h[9]]));
        let old_src = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
        h[12..16].copy_from_slice(&[10, 0, 0, 7]);
        let c = update_u32(c, old_src, 0x0a00_0007);
        assert_eq!(c, internet_checksum(&h));
    }

    #[test]
    fn pseudo_header_sum() {
        let s = pseudo_header_ipv4(
            Ipv4Addr::new(192, 168, 1, 1),
            Ipv4Addr::new(10, 0, 0, 1),
            6,
            40,
        );
        let bytes = [192, 168, 1, 1, 10, 0, 0, 1, 0, 6, 0, 40];
        assert_eq!(s, data(&bytes));
    }
}
