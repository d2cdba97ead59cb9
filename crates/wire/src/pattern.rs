//! The bulk pattern: a byte stream the trace can regenerate instead of
//! storing.
//!
//! Byte `i` of the pattern is `table[i % PERIOD]`, where the table holds
//! [`PERIOD`] bytes from a fixed pseudo-random generator (a prime period,
//! longer than any TCP window here, so a segment put at the wrong offset
//! cannot match by accident). A bulk application sends slices of it and
//! the receiver compares what arrives with it, and the trace records only
//! the stream's length (`netstep_trace::Generated`). `Trace::payload`
//! then hands out `&'static` slices of the table for hex views and pcapng.
//!
//! The table is also a shared, read-only source of payload, as a file in
//! the page cache is to `sendfile`: a slice of it is recognised by where
//! it lies ([`phase_of`]), so the TCP buffers and the simulator's packets
//! can hold such bytes by reference to the table instead of copying them
//! (netstep-tcp's `Ring`, netstep-sim's `Packet`), and hand the same
//! `&'static` bytes on. Whoever reads them reads the pattern's real bytes;
//! nothing about the stream changes but where its bytes are kept.

use std::sync::OnceLock;

/// The pattern's period in bytes (a prime just above 2^20).
pub const PERIOD: usize = 1_048_583;

/// The longest slice [`slice`] returns: longer than any segment's payload
/// (an IPv4 packet is at most 65535 bytes).
pub const MAX_SLICE: usize = 65_536;

/// The period followed by its first `MAX_SLICE` bytes again, so that any
/// slice of up to `MAX_SLICE` bytes is contiguous.
static TABLE: OnceLock<Box<[u8]>> = OnceLock::new();

fn table() -> &'static [u8] {
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
    at_phase((offset % PERIOD as u64) as usize, len)
}

/// The pattern bytes from phase `phase` (a position in the period, below
/// [`PERIOD`]), `len` of them, at most [`MAX_SLICE`].
#[inline]
pub fn at_phase(phase: usize, len: usize) -> &'static [u8] {
    debug_assert!(phase < PERIOD);
    &table()[phase..phase + len.min(MAX_SLICE)]
}

/// The pattern bytes from phase `phase`, `len` of them in all, as slices
/// of the table of at most [`MAX_SLICE`] bytes each (the first from
/// `phase`, each next one where the last ended).
pub fn chunks_at_phase(phase: usize, len: usize) -> impl Iterator<Item = &'static [u8]> {
    let mut done = 0;
    core::iter::from_fn(move || {
        if done == len {
            return None;
        }
        let chunk = at_phase((phase + done) % PERIOD, len - done);
        done += chunk.len();
        Some(chunk)
    })
}

/// The phase of `bytes`' first byte when `bytes` is a slice of the
/// pattern's table (as [`slice`] and [`at_phase`] hand out), so that byte
/// `k` of `bytes` is the pattern byte at phase `(phase + k) % PERIOD`;
/// `None` for bytes kept anywhere else, and for an empty slice. Where the
/// bytes lie decides, not what they are: a copy of pattern bytes is not a
/// slice of the table.
#[inline]
pub fn phase_of(bytes: &[u8]) -> Option<usize> {
    let start = table_offset(bytes, TABLE.get()?)?;
    Some(if start >= PERIOD {
        start - PERIOD
    } else {
        start
    })
}

/// `bytes` as the `'static` slice of the table they are, when they are
/// one (see [`phase_of`]): the same bytes at the same place, to keep
/// beyond the borrow they came in.
#[inline]
pub fn as_static(bytes: &[u8]) -> Option<&'static [u8]> {
    let table: &'static [u8] = TABLE.get()?;
    let start = table_offset(bytes, table)?;
    Some(&table[start..start + bytes.len()])
}

/// Where in `table` the non-empty `bytes` start, if they lie within it.
#[inline]
fn table_offset(bytes: &[u8], table: &[u8]) -> Option<usize> {
    // Addresses compared as numbers: a slice of the table starts within
    // it and ends by its end.
    let start = (bytes.as_ptr() as usize).wrapping_sub(table.as_ptr() as usize);
    if bytes.is_empty() || start >= table.len() || bytes.len() > table.len() - start {
        return None;
    }
    Some(start)
}

/// Where `bytes`, found at stream offset `offset`, first differ from the
/// pattern, if they do.
pub fn first_mismatch(offset: u64, bytes: &[u8]) -> Option<u64> {
    let mut done = 0;
    for chunk in bytes.chunks(MAX_SLICE) {
        let at = offset + done as u64;
        let want = slice(at, chunk.len());
        // The same bytes of the table, by reference (see `phase_of`):
        // equal without reading them.
        if !core::ptr::eq(chunk, want) && chunk != want {
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
        // By reference too: a slice of the table at the wrong phase.
        assert_eq!(first_mismatch(1000, slice(1000, 1460)), None);
        assert!(first_mismatch(1001, slice(1000, 1460)).is_some());
    }

    #[test]
    fn chunks_cover_a_run_longer_than_a_slice_across_the_period() {
        let start = PERIOD as u64 - 1000;
        let joined: Vec<u8> = chunks_at_phase(PERIOD - 1000, 150_000)
            .flat_map(|c| c.iter().copied())
            .collect();
        let want: Vec<u8> = (start..start + 150_000).map(byte).collect();
        assert_eq!(joined, want);
        assert_eq!(chunks_at_phase(5, 0).count(), 0);
    }

    #[test]
    fn slices_of_the_table_are_known_by_where_they_lie() {
        let s = slice(5 * PERIOD as u64 + 17, 1460);
        assert_eq!(phase_of(s), Some(17));
        assert_eq!(phase_of(&s[100..]), Some(117));
        // In the repeated tail: the same phase as at the start.
        let tail = at_phase(PERIOD - 10, 100);
        assert_eq!(phase_of(&tail[20..]), Some(10));
        assert_eq!(phase_of(&s[..0]), None);
        // A copy has the same bytes but is not the table.
        let copy: Vec<u8> = s.to_vec();
        assert_eq!(phase_of(&copy), None);
        assert_eq!(phase_of(b"abc"), None);
        let kept = as_static(&s[10..20]).unwrap();
        assert!(core::ptr::eq(kept, &s[10..20]));
        assert_eq!(as_static(&copy), None);
    }
}
