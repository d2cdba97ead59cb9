//! Randomness: one seed, one independent ChaCha stream per link direction
//! and per host.
//!
//! Each stream is keyed by a stable name (`link:client->server`,
//! `host:client`), not by creation order, so adding a link or a host to a
//! scenario leaves every other stream's choices unchanged: what-if
//! comparisons between two versions of a scenario differ only where the
//! change reaches. Leaves out: any other source of randomness (there is
//! none: no `thread_rng`, no hash-map order).

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The stream for `key` under `seed`.
pub fn stream(seed: u64, key: &str) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(fnv1a64(key.as_bytes()));
    rng
}

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A uniform float in [0, 1) with 53 bits of precision.
pub fn unit_f64(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// True with probability `p` (never draws when `p` is 0, so a lossless
/// link consumes no randomness and stays byte-identical to one without
/// the setting).
pub fn chance(rng: &mut impl RngCore, p: f64) -> bool {
    p > 0.0 && unit_f64(rng) < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_on_seed_and_key_only() {
        let a1 = stream(7, "link:a->b").next_u64();
        let a2 = stream(7, "link:a->b").next_u64();
        let b = stream(7, "link:b->a").next_u64();
        let c = stream(8, "link:a->b").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
    }

    #[test]
    fn zero_probability_draws_nothing() {
        let mut r1 = stream(1, "x");
        let mut r2 = stream(1, "x");
        assert!(!chance(&mut r1, 0.0));
        assert_eq!(r1.next_u64(), r2.next_u64());
    }
}
