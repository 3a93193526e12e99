//! The verified-token cache: a token seen before costs a hash and a lookup, not a signature check.
//!
//! Entries are keyed by the SHA-256 digest of the whole token (collision resistant: finding a
//! forged token with the digest of a valid one is a SHA-256 second preimage), and valid until
//! the token's `exp` plus the issuer's leeway, exactly as long as verification would accept it.
//! The map is split into [`SHARDS`] mutex-protected shards chosen by the digest, so two threads
//! rarely meet on a lock. Each shard holds at most its share of the capacity and evicts with the
//! CLOCK algorithm: a bounded sweep skips recently hit entries (clearing their bit) and replaces
//! the first expired or unreferenced one, so every operation is O(1). Only successes are cached.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use super::VerifiedToken;

/// Number of shards (a power of two).
const SHARDS: usize = 32;

/// Longest CLOCK sweep before the entry under the hand is evicted regardless.
const MAX_SWEEP: usize = 8;

/// SHA-256 digest of a token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenDigest(pub(crate) [u8; 32]);

impl TokenDigest {
    fn word(&self, index: usize) -> u64 {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.0[index * 8..index * 8 + 8]);
        u64::from_le_bytes(bytes)
    }
}

impl Hash for TokenDigest {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The digest is already uniformly distributed; word 0 picks the shard, word 1 the bucket.
        state.write_u64(self.word(1));
    }
}

/// Hasher that passes a digest word through unchanged.
#[derive(Default)]
struct DigestWord(u64);

impl Hasher for DigestWord {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = word;
    }
}

/// Hit and miss counts and the number of cached tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to verify the token.
    pub misses: u64,
    /// Tokens currently cached.
    pub entries: usize,
}

struct Slot {
    digest: TokenDigest,
    token: Arc<VerifiedToken>,
    valid_until: u64,
    referenced: bool,
}

#[derive(Default)]
struct Shard {
    index: HashMap<TokenDigest, usize, BuildHasherDefault<DigestWord>>,
    slots: Vec<Slot>,
    hand: usize,
    hits: u64,
    misses: u64,
}

impl Shard {
    fn remove(&mut self, position: usize) {
        let removed = self.slots.swap_remove(position);
        self.index.remove(&removed.digest);
        if let Some(moved) = self.slots.get(position) {
            self.index.insert(moved.digest, position);
        }
        if self.hand >= self.slots.len() {
            self.hand = 0;
        }
    }

    /// Position of the slot to overwrite in a full shard.
    fn victim(&mut self, now: u64) -> usize {
        for _ in 0..MAX_SWEEP {
            let slot = &mut self.slots[self.hand];
            if slot.valid_until <= now || !slot.referenced {
                return self.hand;
            }
            slot.referenced = false;
            self.hand = (self.hand + 1) % self.slots.len();
        }
        self.hand
    }
}

/// The bounded, sharded cache of verified tokens.
pub(crate) struct TokenCache {
    shards: Box<[Mutex<Shard>]>,
    capacities: [usize; SHARDS],
}

impl TokenCache {
    /// A cache holding at most `capacity` tokens (0 caches nothing).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacities =
            std::array::from_fn(|shard| capacity / SHARDS + usize::from(shard < capacity % SHARDS));
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            capacities,
        }
    }

    /// Whether the cache can hold anything.
    pub(crate) fn is_enabled(&self) -> bool {
        self.capacities[0] > 0
    }

    fn shard(&self, digest: &TokenDigest) -> (usize, std::sync::MutexGuard<'_, Shard>) {
        let number = (digest.word(0) as usize) & (SHARDS - 1);
        let guard = self.shards[number]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (number, guard)
    }

    /// The cached verification of `digest`, if it is still valid at `now`.
    pub(crate) fn get(&self, digest: &TokenDigest, now: u64) -> Option<Arc<VerifiedToken>> {
        let (_, mut shard) = self.shard(digest);
        let found = shard.index.get(digest).copied();
        match found {
            Some(position) if shard.slots[position].valid_until > now => {
                shard.hits += 1;
                let slot = &mut shard.slots[position];
                slot.referenced = true;
                Some(Arc::clone(&slot.token))
            }
            Some(position) => {
                shard.misses += 1;
                shard.remove(position);
                None
            }
            None => {
                shard.misses += 1;
                None
            }
        }
    }

    /// Caches a verified token until `valid_until` (exclusive), evicting one entry if the shard
    /// is full.
    pub(crate) fn insert(
        &self,
        digest: TokenDigest,
        token: Arc<VerifiedToken>,
        valid_until: u64,
        now: u64,
    ) {
        let (number, mut shard) = self.shard(&digest);
        let capacity = self.capacities[number];
        if capacity == 0 || valid_until <= now {
            return;
        }
        let slot = Slot {
            digest,
            token,
            valid_until,
            referenced: false,
        };
        if let Some(&position) = shard.index.get(&digest) {
            shard.slots[position] = slot;
        } else if shard.slots.len() < capacity {
            let position = shard.slots.len();
            shard.slots.push(slot);
            shard.index.insert(digest, position);
        } else {
            let position = shard.victim(now);
            let evicted = std::mem::replace(&mut shard.slots[position], slot);
            shard.index.remove(&evicted.digest);
            shard.index.insert(digest, position);
            shard.hand = (position + 1) % shard.slots.len();
        }
    }

    /// Current counters, summed over the shards.
    pub(crate) fn stats(&self) -> CacheStats {
        self.shards
            .iter()
            .fold(CacheStats::default(), |sum, shard| {
                let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
                CacheStats {
                    hits: sum.hits + shard.hits,
                    misses: sum.misses + shard.misses,
                    entries: sum.entries + shard.slots.len(),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(seed: u64) -> TokenDigest {
        TokenDigest(super::super::sha256(&seed.to_le_bytes()))
    }

    fn token(subject: &str) -> Arc<VerifiedToken> {
        Arc::new(VerifiedToken {
            issuer: 0,
            subject: subject.into(),
            scopes: Vec::new(),
            expires_at: 1_000,
        })
    }

    #[test]
    fn hits_until_valid_until_then_misses_and_forgets() {
        let cache = TokenCache::new(100);
        cache.insert(digest(1), token("a"), 1_000, 10);
        assert_eq!(cache.get(&digest(1), 999).unwrap().subject, "a");
        assert!(cache.get(&digest(2), 999).is_none());
        assert!(cache.get(&digest(1), 1_000).is_none());
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 2,
                entries: 0
            }
        );
    }

    #[test]
    fn capacity_bound_holds_with_many_distinct_tokens() {
        let cache = TokenCache::new(1_000);
        for seed in 0..20_000 {
            cache.insert(digest(seed), token("t"), 5_000, 10);
        }
        assert!(cache.stats().entries <= 1_000);
        assert!(cache.stats().entries >= 900, "{:?}", cache.stats());
        let small = TokenCache::new(5);
        for seed in 0..100 {
            small.insert(digest(seed), token("t"), 5_000, 10);
        }
        assert!(small.stats().entries <= 5);
    }

    #[test]
    fn referenced_entries_survive_eviction_longer_than_cold_ones() {
        let cache = TokenCache::new(SHARDS * 4);
        let hot = digest(u64::MAX);
        cache.insert(hot, token("hot"), 5_000, 10);
        for seed in 0..10_000 {
            assert!(cache.get(&hot, 11).is_some(), "hot token evicted at {seed}");
            cache.insert(digest(seed), token("cold"), 5_000, 10);
        }
    }

    #[test]
    fn zero_capacity_and_already_expired_tokens_are_not_stored() {
        let off = TokenCache::new(0);
        assert!(!off.is_enabled());
        off.insert(digest(1), token("a"), 1_000, 10);
        assert!(off.get(&digest(1), 11).is_none());
        let cache = TokenCache::new(10);
        cache.insert(digest(1), token("a"), 10, 10);
        assert_eq!(cache.stats().entries, 0);
    }
}
