//! Insecure PKCE options kept only for interoperability.
//!
//! The `plain` code challenge method sends the verifier itself as the
//! challenge. Anyone who can read the authorization request (browser
//! history, logs, a malicious app on the device, a referrer header) learns
//! the verifier and can redeem a stolen authorization code, which is exactly
//! the attack PKCE exists to stop. RFC 7636 §7.2 says `plain` should only be
//! used when a client cannot support `S256`, and RFC 9700 (OAuth 2.0 Security
//! Best Current Practice) §2.1.1 recommends that clients use `S256` and that
//! servers do not accept `plain` unless they must. Nothing in this module is
//! needed for a server that only speaks `S256`.

use crate::challenge::{ChallengeError, CodeChallenge};

/// Builds a `plain` code challenge: the value is compared directly to the
/// verifier at the token endpoint.
///
/// Apart from [`CodeChallenge::restore`], this is the only way to obtain a
/// challenge whose method is [`crate::CodeChallengeMethod::Plain`]. Prefer
/// [`CodeChallenge::parse_s256`]; see the [module docs](self) for why.
///
/// # Errors
///
/// [`ChallengeError::InvalidLength`] unless the value has 43 to 128
/// characters, [`ChallengeError::InvalidCharacter`] if any character is
/// outside `[A-Za-z0-9-._~]`.
pub fn plain_challenge(value: &str) -> Result<CodeChallenge, ChallengeError> {
    CodeChallenge::plain(value)
}
