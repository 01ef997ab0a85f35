//! Random bytes and random opaque tokens.
//!
//! Every secret this crate creates (code verifiers, `state`, `nonce`, opaque
//! tokens) comes from [`fill_random`]: a ChaCha20 stream per thread, keyed from
//! the operating system's random source and re-keyed from it every 4 KiB and in a
//! forked child (see the `generator` module). A failure of the operating system's
//! source is reported as a [`RandomError`] instead of a panic, so a server can
//! answer with an error rather than crash or, worse, fall back to weak randomness.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::generator;

/// Number of random bytes behind every generated token (256 bits).
pub(crate) const TOKEN_BYTES: usize = 32;

/// The operating system's random source could not provide bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct RandomError;

/// Fills `buf` with cryptographically secure random bytes: this thread's ChaCha20
/// stream, keyed with 32 bytes from the operating system's random source and
/// re-keyed from it after every 4 KiB of output and after the process forks, so a
/// forked child never repeats its parent's output.
///
/// # Errors
///
/// Returns [`RandomError`] if the operating system's random source fails when a
/// key is due. The contents of `buf` are unspecified in that case and must not
/// be used.
pub fn fill_random(buf: &mut [u8]) -> Result<(), RandomError> {
    generator::fill(buf)
}

/// Returns a fresh random token: 32 bytes from [`fill_random`],
/// encoded as base64url without padding (43 characters of `[A-Za-z0-9_-]`).
///
/// Suitable for authorization codes, access and refresh tokens, and any other
/// opaque bearer value.
///
/// # Errors
///
/// Returns [`RandomError`] if the operating system's random source fails.
pub fn random_token() -> Result<String, RandomError> {
    let [token] = random_tokens::<1>()?;
    Ok(token)
}

/// Returns `N` fresh random tokens, each as [`random_token`] makes them, from one call
/// of [`fill_random`] (`N` × 32 bytes). The tokens are as independent as separately
/// drawn ones.
///
/// # Errors
///
/// Returns [`RandomError`] if the operating system's random source fails.
pub fn random_tokens<const N: usize>() -> Result<[String; N], RandomError> {
    let mut bytes = [[0u8; TOKEN_BYTES]; N];
    fill_random(bytes.as_flattened_mut())?;
    Ok(bytes.map(|b| URL_SAFE_NO_PAD.encode(b)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fill_random_fills_and_varies() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        fill_random(&mut a).unwrap();
        fill_random(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }

    #[test]
    fn fill_random_accepts_empty_buffer() {
        fill_random(&mut []).unwrap();
    }

    #[test]
    fn random_token_is_43_base64url_chars_and_unique() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn random_tokens_are_tokens_and_all_different() {
        let [a, b, c] = random_tokens::<3>().unwrap();
        for token in [&a, &b, &c] {
            assert_eq!(token.len(), 43);
            assert!(token
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        }
        assert!(a != b && b != c && a != c);
        let [d] = random_tokens::<1>().unwrap();
        assert!(d != a && d != b && d != c);
        let none: [String; 0] = random_tokens().unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn random_error_message() {
        assert_eq!(
            RandomError.to_string(),
            "the operating system's random source failed"
        );
    }
}
