//! The hasher of the throttle's state maps.
//!
//! Keys are consumer and API indices from the compiled document, never values a client picks,
//! so they need no keyed (flood-resistant) hash, whose cost shows in every admission. The
//! MurmurHash3 64-bit finalizer spreads every key bit over the whole hash, so the
//! map's shard (high bits) and bucket (low bits) both vary even when keys differ only in their
//! upper half (consumer indices in `consumer << 32 | api`).

use std::hash::{BuildHasherDefault, Hasher};

/// Builds [`KeyHasher`]s.
pub(super) type BuildKeyHasher = BuildHasherDefault<KeyHasher>;

/// Hashes `u64` keys with the MurmurHash3 finalizer.
#[derive(Default)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let mut hash = self.0;
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        hash ^ (hash >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = self.0.rotate_left(32) ^ value;
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn keys_differing_in_either_half_spread_over_low_and_high_bits() {
        let build = BuildKeyHasher::default();
        let low_bits = |key: u64| build.hash_one(key) & 0xff;
        let high_bits = |key: u64| build.hash_one(key) >> 56;
        let by_consumer: std::collections::HashSet<_> = (0..64u64)
            .map(|consumer| low_bits(consumer << 32 | 3))
            .collect();
        let by_api: std::collections::HashSet<_> = (0..64u64).map(high_bits).collect();
        assert!(by_consumer.len() > 32 && by_api.len() > 32);
    }
}
