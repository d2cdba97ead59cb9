//! Links: each direction on its own, with propagation delay, bandwidth
//! (serialisation delay), a drop-tail queue, and random loss, duplication,
//! reordering and corruption.
//!
//! A packet offered at `now` waits until the transmitter is free, takes
//! `len * 8 / bandwidth` to serialise, then `delay` to propagate. The queue
//! holds the packets waiting or being sent; one more than `queue` is
//! dropped (drop-tail). Leaves out: MTU (netstep never fragments and its
//! TCP never sends more than the MSS), link-layer retransmission, jitter
//! other than the reorder delay, and queue disciplines other than FIFO.

use crate::rng::chance;
use netstep_wire::{Duration, Instant};
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;
use std::collections::VecDeque;

/// Settings of one link direction: the scenario's resolved link direction
/// is exactly what a link needs, so there is one definition (and one set
/// of defaults) for both.
pub use netstep_scenario::ResolvedLinkDir as LinkParams;

/// What the link does with one offered packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Lost on the way (random loss).
    Lost { at: Instant },
    /// The queue was full.
    QueueFull,
    /// It arrives at the far end at `at`; `corrupt_bit` says which bit
    /// flipped on the way, `duplicate_at` when a second copy arrives.
    Arrives {
        at: Instant,
        corrupt_bit: Option<u32>,
        duplicate_at: Option<Instant>,
    },
}

/// One direction of a link and its state.
#[derive(Debug)]
pub struct LinkDir {
    pub params: LinkParams,
    rng: ChaCha8Rng,
    /// When the transmitter finishes each packet it holds, oldest first.
    in_queue: VecDeque<Instant>,
    busy_until: Instant,
}

impl LinkDir {
    pub fn new(params: LinkParams, rng: ChaCha8Rng) -> Self {
        LinkDir {
            params,
            rng,
            in_queue: VecDeque::new(),
            busy_until: Instant::ZERO,
        }
    }

    /// Time to put `len` bytes on the wire at this link's rate.
    pub fn serialisation(&self, len: usize) -> Duration {
        let rate = self.params.bits_per_sec.max(1);
        // Bits times 10^9 fit 64 bits for any packet (up to 2.3 GB), and a
        // 64-bit division is far cheaper than the 128-bit one that the
        // general case needs.
        if let Some(bits) = (len as u64).checked_mul(8 * 1_000_000_000) {
            return Duration::from_nanos(bits.div_ceil(rate));
        }
        let bits = (len as u128) * 8 * 1_000_000_000;
        let ns = bits.div_ceil(u128::from(rate));
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    /// Offers a packet of `len` bytes at `now` and decides its fate. The
    /// random draws happen in a fixed order (loss, corruption, duplication,
    /// reordering), each only when its probability is non-zero.
    #[inline(always)]
    pub fn offer(&mut self, now: Instant, len: usize, extra_delay: Duration) -> Offer {
        while self.in_queue.front().is_some_and(|&t| t <= now) {
            self.in_queue.pop_front();
        }
        if self.in_queue.len() >= self.params.queue as usize {
            return Offer::QueueFull;
        }
        let start = self.busy_until.max(now);
        let ser = self.serialisation(len);
        let done = start + ser;
        self.busy_until = done;
        self.in_queue.push_back(done);
        // Borrowed, not copied: the settings are read a field at a time.
        let LinkDir { params: p, rng, .. } = self;
        // A clean link (every probability +0 or -0, the common case)
        // draws nothing and changes nothing: one test instead of four,
        // with exactly the outcome of the draws below.
        if (p.loss.to_bits() | p.corrupt.to_bits() | p.duplicate.to_bits() | p.reorder.to_bits())
            << 1
            == 0
        {
            return Offer::Arrives {
                at: done + p.delay + extra_delay,
                corrupt_bit: None,
                duplicate_at: None,
            };
        }
        if chance(rng, p.loss) {
            return Offer::Lost { at: done };
        }
        let corrupt_bit =
            chance(rng, p.corrupt).then(|| (rng.next_u64() % (len as u64 * 8).max(1)) as u32);
        let duplicate = chance(rng, p.duplicate);
        let mut at = done + p.delay + extra_delay;
        if chance(rng, p.reorder) {
            at += p.reorder_delay;
        }
        let duplicate_at = duplicate.then(|| {
            // The copy follows the original on the wire.
            let d = self.busy_until + ser;
            self.busy_until = d;
            d + p.delay + extra_delay
        });
        Offer::Arrives {
            at,
            corrupt_bit,
            duplicate_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    fn link(params: LinkParams) -> LinkDir {
        LinkDir::new(params, stream(1, "test"))
    }

    #[test]
    fn arrival_is_serialisation_plus_propagation() {
        // 1500 bytes at 100 Mbit/s is 120 us; plus 100 us of delay.
        let mut l = link(LinkParams::default());
        let t0 = Instant::from_millis(1);
        match l.offer(t0, 1500, Duration::ZERO) {
            Offer::Arrives {
                at,
                corrupt_bit: None,
                duplicate_at: None,
            } => {
                assert_eq!(at - t0, Duration::from_micros(220));
            }
            other => panic!("{other:?}"),
        }
        // A second packet offered at once waits for the first.
        match l.offer(t0, 1500, Duration::ZERO) {
            Offer::Arrives { at, .. } => assert_eq!(at - t0, Duration::from_micros(340)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn serialisation_matches_the_128_bit_formula() {
        for bps in [1, 7, 56_000, 1_000_000_000, 10_000_000_000, u64::MAX] {
            let l = link(LinkParams {
                bits_per_sec: bps,
                ..LinkParams::default()
            });
            for len in [0usize, 1, 40, 1500, 65535, 3_000_000_000, usize::MAX] {
                let bits = (len as u128) * 8 * 1_000_000_000;
                let ns = u64::try_from(bits.div_ceil(u128::from(bps))).unwrap_or(u64::MAX);
                assert_eq!(
                    l.serialisation(len),
                    Duration::from_nanos(ns),
                    "{bps} {len}"
                );
            }
        }
    }

    #[test]
    fn slow_link_arithmetic() {
        // 56 kbit/s, 40-byte ACK: 320 bits / 56000 = 5714.29 us, rounded up.
        let mut l = link(LinkParams {
            bits_per_sec: 56_000,
            delay: Duration::from_millis(10),
            ..LinkParams::default()
        });
        match l.offer(Instant::ZERO, 40, Duration::ZERO) {
            Offer::Arrives { at, .. } => {
                assert_eq!(at.as_nanos(), 5_714_286 + 10_000_000);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn queue_limit_drops_tail() {
        let mut l = link(LinkParams {
            queue: 3,
            bits_per_sec: 1_000_000,
            ..LinkParams::default()
        });
        let t = Instant::ZERO;
        let fates: Vec<_> = (0..5).map(|_| l.offer(t, 1000, Duration::ZERO)).collect();
        assert!(
            fates[..3]
                .iter()
                .all(|f| matches!(f, Offer::Arrives { .. }))
        );
        assert!(fates[3..].iter().all(|f| *f == Offer::QueueFull));
        // Once the first packet has left (8 ms at 1 Mbit/s), one slot frees.
        let later = Instant::from_millis(8);
        assert!(matches!(
            l.offer(later, 1000, Duration::ZERO),
            Offer::Arrives { .. }
        ));
        assert_eq!(l.offer(later, 1000, Duration::ZERO), Offer::QueueFull);
    }

    /// A link whose probabilities are all zero (of either sign) takes the
    /// clean shortcut and gives what the draws would: the same arrivals,
    /// and no randomness used.
    #[test]
    fn clean_links_draw_nothing() {
        for zero in [0.0, -0.0] {
            let mut l = link(LinkParams {
                loss: zero,
                corrupt: -zero,
                duplicate: zero,
                reorder: zero,
                ..LinkParams::default()
            });
            let t = Instant::from_millis(3);
            match l.offer(t, 1500, Duration::from_micros(5)) {
                Offer::Arrives {
                    at,
                    corrupt_bit: None,
                    duplicate_at: None,
                } => assert_eq!(at - t, Duration::from_micros(225)),
                other => panic!("{other:?}"),
            }
            let mut fresh = stream(1, "test");
            assert_eq!(l.rng.next_u64(), fresh.next_u64());
        }
    }

    #[test]
    fn loss_rate_is_roughly_the_setting() {
        let mut l = link(LinkParams {
            loss: 0.2,
            bits_per_sec: 10_000_000_000,
            ..LinkParams::default()
        });
        let mut lost = 0;
        for i in 0..10_000u64 {
            if matches!(
                l.offer(Instant::from_millis(i), 100, Duration::ZERO),
                Offer::Lost { .. }
            ) {
                lost += 1;
            }
        }
        assert!((1800..2200).contains(&lost), "{lost}");
    }
}
