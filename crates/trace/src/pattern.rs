//! The bulk pattern: a byte stream the trace can regenerate instead of
//! storing.
//!
//! Byte `i` of the pattern is `table[i % PERIOD]`, where the table holds
//! [`PERIOD`] bytes from a fixed pseudo-random generator (a prime period,
//! longer than any TCP window here, so a segment put at the wrong offset
//! cannot match by accident). A bulk application sends slices of it and
//! the receiver compares what arrives with it: both are a `memcpy` and a
//! `memcmp`, as in any byte pump, and the trace records only the stream's
//! length ([`crate::Generated`]). `Trace::payload` then hands out
//! `&'static` slices of the table for hex views and pcapng.

use std::sync::OnceLock;

/// The pattern's period in bytes (a prime just above 2^20).
pub const PERIOD: usize = 1_048_583;

/// The longest slice [`slice`] returns: longer than any segment's payload
/// (an IPv4 packet is at most 65535 bytes).
pub const MAX_SLICE: usize = 65_536;

/// The period followed by its first `MAX_SLICE` bytes again, so that any
/// slice of up to `MAX_SLICE` bytes is contiguous.
fn table() -> &'static [u8] {
    static TABLE: OnceLock<Box<[u8]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Vec::with_capacity(PERIOD + MAX_SLICE);
        // SplitMix64, eight bytes a step.
        let mut x: u64 = 0x6e65_7473_7465_7021;
        while t.len() < PERIOD {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let n = (PERIOD - t.len()).min(8);
            t.extend_from_slice(&z.to_le_bytes()[..n]);
        }
        t.extend_from_within(..MAX_SLICE);
        t.into_boxed_slice()
    })
}

/// The pattern byte at stream offset `i`.
pub fn byte(i: u64) -> u8 {
    table()[(i % PERIOD as u64) as usize]
}

/// The pattern bytes from stream offset `offset`, `len` of them, at most
/// [`MAX_SLICE`].
pub fn slice(offset: u64, len: usize) -> &'static [u8] {
    let start = (offset % PERIOD as u64) as usize;
    &table()[start..start + len.min(MAX_SLICE)]
}

/// Where `bytes`, found at stream offset `offset`, first differ from the
/// pattern, if they do.
pub fn first_mismatch(offset: u64, bytes: &[u8]) -> Option<u64> {
    let mut done = 0;
    for chunk in bytes.chunks(MAX_SLICE) {
        let at = offset + done as u64;
        let want = slice(at, chunk.len());
        if chunk != want {
            let k = chunk
                .iter()
                .zip(want)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            return Some(at + k as u64);
        }
        done += chunk.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_agree_with_bytes_across_the_period() {
        for off in [
            0u64,
            1,
            PERIOD as u64 - 3,
            PERIOD as u64,
            5 * PERIOD as u64 + 17,
        ] {
            let s = slice(off, 100);
            for (k, &b) in s.iter().enumerate() {
                assert_eq!(b, byte(off + k as u64));
            }
        }
        assert_eq!(slice(0, MAX_SLICE + 10).len(), MAX_SLICE);
    }

    #[test]
    fn mismatch_is_found_at_its_offset() {
        let mut v = slice(1000, 3000).to_vec();
        assert_eq!(first_mismatch(1000, &v), None);
        v[1234] ^= 1;
        assert_eq!(first_mismatch(1000, &v), Some(2234));
        // The pattern does not repeat within a window: shifted by one
        // segment, it no longer matches.
        assert!(first_mismatch(1000 + 1460, slice(1000, 1460)).is_some());
    }
}
