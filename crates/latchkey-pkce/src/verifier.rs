//! The PKCE code verifier (RFC 7636 §4.1).
//!
//! A [`CodeVerifier`] is the high-entropy secret a client keeps while the user
//! is away at the authorization endpoint and reveals only at the token
//! endpoint. It is deliberately hard to leak: it is neither `Clone` nor
//! `Display`, and its `Debug` output is redacted. Read it with
//! [`CodeVerifier::secret`] only where it must be sent.

use std::fmt;

use crate::random::{random_token, RandomError};

/// Returns `true` for the RFC 3986 "unreserved" characters that RFC 7636
/// allows in a code verifier and a plain code challenge: `[A-Za-z0-9-._~]`.
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Why a string is not a valid code verifier. Never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierError {
    /// Fewer than [`CodeVerifier::MIN_LEN`] characters.
    #[error("code verifier is shorter than 43 characters")]
    TooShort,
    /// More than [`CodeVerifier::MAX_LEN`] characters.
    #[error("code verifier is longer than 128 characters")]
    TooLong,
    /// A character outside `[A-Za-z0-9-._~]`.
    #[error("code verifier contains a character outside [A-Za-z0-9-._~]")]
    InvalidCharacter,
}

/// A PKCE code verifier: 43 to 128 characters of `[A-Za-z0-9-._~]`
/// (RFC 7636 §4.1).
///
/// Not `Clone`, not `Display`, and `Debug` prints `CodeVerifier([redacted])`.
pub struct CodeVerifier(String);

impl CodeVerifier {
    /// Minimum length in characters (RFC 7636 §4.1).
    pub const MIN_LEN: usize = 43;
    /// Maximum length in characters (RFC 7636 §4.1).
    pub const MAX_LEN: usize = 128;

    /// Generates a fresh verifier from 32 bytes of [`fill_random`](crate::fill_random),
    /// base64url-encoded without padding (43 characters, 256 bits of entropy),
    /// as RFC 7636 §4.1 recommends.
    ///
    /// # Errors
    ///
    /// Returns [`RandomError`] if the operating system's random source fails.
    pub fn generate() -> Result<Self, RandomError> {
        random_token().map(Self)
    }

    /// Accepts an existing verifier, e.g. the `code_verifier` parameter of a
    /// token request.
    ///
    /// # Errors
    ///
    /// [`VerifierError::TooShort`] / [`VerifierError::TooLong`] unless the
    /// value has 43 to 128 characters, [`VerifierError::InvalidCharacter`] if
    /// any character is outside `[A-Za-z0-9-._~]`.
    pub fn new(value: impl Into<String>) -> Result<Self, VerifierError> {
        let value = value.into();
        // All allowed characters are ASCII, so byte length equals character
        // length for every valid value; anything else fails the scan below.
        if value.len() > Self::MAX_LEN {
            return Err(VerifierError::TooLong);
        }
        if !value.bytes().all(is_unreserved) {
            return Err(VerifierError::InvalidCharacter);
        }
        if value.len() < Self::MIN_LEN {
            return Err(VerifierError::TooShort);
        }
        Ok(Self(value))
    }

    /// The secret value, to be sent as `code_verifier` or hashed.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn length_42_is_too_short() {
        assert_eq!(
            CodeVerifier::new("a".repeat(42)).unwrap_err(),
            VerifierError::TooShort
        );
    }

    #[test]
    fn length_43_is_accepted() {
        let v = CodeVerifier::new("a".repeat(43)).unwrap();
        assert_eq!(v.secret(), "a".repeat(43));
    }

    #[test]
    fn length_128_is_accepted() {
        assert!(CodeVerifier::new("Z".repeat(128)).is_ok());
    }

    #[test]
    fn length_129_is_too_long() {
        assert_eq!(
            CodeVerifier::new("Z".repeat(129)).unwrap_err(),
            VerifierError::TooLong
        );
    }

    #[test]
    fn empty_is_too_short() {
        assert_eq!(CodeVerifier::new("").unwrap_err(), VerifierError::TooShort);
    }

    #[test]
    fn all_unreserved_characters_are_accepted() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
        assert!(CodeVerifier::new(v).is_ok());
    }

    #[test]
    fn reserved_and_non_ascii_characters_are_rejected() {
        for bad in ['+', '/', '=', ' ', '%', '!', '*', '\0', '\n', 'é', '\u{7f}'] {
            let mut s = "a".repeat(42);
            s.push(bad);
            assert_eq!(
                CodeVerifier::new(s).unwrap_err(),
                VerifierError::InvalidCharacter,
                "{bad:?} must be rejected"
            );
        }
    }

    #[test]
    fn generate_yields_43_unreserved_base64url_chars() {
        let v = CodeVerifier::generate().unwrap();
        assert_eq!(v.secret().len(), 43);
        assert!(v
            .secret()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(CodeVerifier::new(v.secret()).is_ok());
    }

    #[test]
    fn generate_twice_differs() {
        let a = CodeVerifier::generate().unwrap();
        let b = CodeVerifier::generate().unwrap();
        assert_ne!(a.secret(), b.secret());
    }

    #[test]
    fn debug_is_redacted() {
        let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let dbg = format!("{v:?}");
        assert_eq!(dbg, "CodeVerifier([redacted])");
        assert!(!dbg.contains("dBjft"));
        assert!(!format!("{v:#?}").contains("dBjft"));
    }

    #[test]
    fn error_messages_do_not_echo_the_value() {
        let secret = "sEcReT+".repeat(10);
        let err = CodeVerifier::new(secret.clone()).unwrap_err();
        assert!(!err.to_string().contains("sEcReT"));
        assert!(!format!("{err:?}").contains("sEcReT"));
    }

    proptest! {
        #[test]
        fn new_never_panics(s in any::<String>()) {
            let _ = CodeVerifier::new(s);
        }

        #[test]
        fn new_accepts_exactly_the_rfc_grammar(s in "[A-Za-z0-9._~-]{0,140}") {
            let ok = (43..=128).contains(&s.len());
            prop_assert_eq!(CodeVerifier::new(s).is_ok(), ok);
        }
    }
}
