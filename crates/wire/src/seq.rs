//! TCP sequence numbers with the modular arithmetic of RFC 9293 3.4.
//!
//! A sequence number lives on a circle of 2^32 values; "a is before b"
//! means b is less than 2^31 steps ahead of a. Comparing raw `u32`s gets
//! this wrong the moment a connection wraps, so `SeqNumber` only offers the
//! modular comparison. Leaves out: PAWS timestamps (RFC 7323 5), which live
//! with the TCP options, not here.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A 32-bit TCP sequence (or acknowledgement) number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The raw value as it appears on the wire.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// `self - other` as a signed distance: positive when `self` is after
    /// `other` on the circle (RFC 9293 3.4's "a < b means b - a < 2^31").
    pub const fn distance(self, other: SeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// The later of two sequence numbers, by modular order.
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self.distance(other) >= 0 {
            self
        } else {
            other
        }
    }

    /// The earlier of two sequence numbers, by modular order.
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if self.distance(other) <= 0 {
            self
        } else {
            other
        }
    }

    /// `lo <= self < hi` in modular order (an empty range when `lo == hi`).
    pub fn in_range(self, lo: SeqNumber, hi: SeqNumber) -> bool {
        lo <= self && self < hi
    }
}

impl PartialOrd for SeqNumber {
    /// Modular order. Like RFC 9293 this is only meaningful for numbers
    /// less than 2^31 apart; both directions of that boundary say "after".
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.distance(*other).cmp(&0))
    }
}

impl Add<usize> for SeqNumber {
    type Output = SeqNumber;
    /// Advance by a byte count. Panics in debug builds if `n` does not fit
    /// in the sequence space's half-circle, which no TCP window can exceed.
    fn add(self, n: usize) -> SeqNumber {
        debug_assert!(n <= i32::MAX as usize, "sequence advance {n} exceeds 2^31");
        SeqNumber(self.0.wrapping_add(n as u32))
    }
}

impl AddAssign<usize> for SeqNumber {
    fn add_assign(&mut self, n: usize) {
        *self = *self + n;
    }
}

impl Sub<usize> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, n: usize) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(n as u32))
    }
}

impl Sub for SeqNumber {
    type Output = usize;
    /// Bytes from `rhs` forward to `self`. Panics if `rhs` is after `self`:
    /// that is a logic error in the caller (compare first). Inline: the
    /// TCP does this about ten times a segment, and across crates a
    /// function with a panic in it is not inlined unless asked.
    #[inline]
    fn sub(self, rhs: SeqNumber) -> usize {
        let d = self.distance(rhs);
        assert!(d >= 0, "sequence subtraction went negative: {self} - {rhs}");
        d as usize
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl fmt::Debug for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeqNumber({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_wraps_around_the_circle() {
        let a = SeqNumber(u32::MAX - 10);
        let b = a + 20;
        assert_eq!(b, SeqNumber(9));
        assert!(a < b, "a number 20 ahead is after, even across 2^32");
        assert!(b > a);
        assert_eq!(b - a, 20);
        assert_eq!(a.max(b), b);
        assert_eq!(a.min(b), a);
        assert!(SeqNumber(5).in_range(a, b));
        assert!(!b.in_range(a, b));
    }

    #[test]
    fn half_circle_is_the_horizon() {
        let a = SeqNumber(0);
        assert!(SeqNumber(0x7fff_ffff) > a);
        assert!(
            SeqNumber(0x8000_0001) < a,
            "more than 2^31 ahead reads as behind"
        );
    }

    #[test]
    #[should_panic(expected = "negative")]
    fn subtracting_a_later_number_is_a_bug() {
        let _ = SeqNumber(1) - SeqNumber(2);
    }
}
