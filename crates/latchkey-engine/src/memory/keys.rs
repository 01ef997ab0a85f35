//! Hashing for the memory store's maps. Their keys are SHA-256 digests of server-generated
//! secrets and random grant ids: already uniformly distributed, so running them through
//! SipHash again buys nothing. [`RandomKeyHasher`] takes eight of their bytes instead.
//! Only keys the server generated are ever inserted (a request can look up a digest of
//! its choosing, which cannot make the table degrade), so there is no flooding risk.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Uses the key's first eight bytes as its hash; ignores length prefixes.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct RandomKeyHasher(u64);

impl Hasher for RandomKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        for (slot, byte) in word.iter_mut().zip(bytes) {
            *slot = *byte;
        }
        self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
    }

    fn write_usize(&mut self, _length_prefix: usize) {}
}

/// A map keyed by digests or grant ids.
pub(super) type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<RandomKeyHasher>>;
/// A set of digests or grant ids.
pub(super) type KeySet<K> = HashSet<K, BuildHasherDefault<RandomKeyHasher>>;

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use latchkey_pkce::SecretDigest;

    use super::RandomKeyHasher;

    #[test]
    fn different_digests_hash_differently_and_equal_ones_alike() {
        let build = BuildHasherDefault::<RandomKeyHasher>::default();
        let a = SecretDigest::of("a");
        assert_eq!(build.hash_one(a), build.hash_one(SecretDigest::of("a")));
        assert_ne!(build.hash_one(a), build.hash_one(SecretDigest::of("b")));
    }
}
