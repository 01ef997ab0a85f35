//! The `state` (RFC 6749 §4.1.1, §10.12) and `nonce` (OpenID Connect Core
//! §3.1.2.1) request values.
//!
//! Clients generate them with [`State::generate`] / [`Nonce::generate`] and
//! check what comes back with [`State::ct_eq`] / [`Nonce::ct_eq`]. Servers
//! accept a client's value with [`State::parse`] / [`Nonce::parse`], which
//! only checks the grammar (`1*VSCHAR`, RFC 6749 Appendix A.5) and keeps the
//! value untouched so it can be echoed back byte for byte. Equality of two
//! values is always computed in constant time.

use std::fmt;

use subtle::ConstantTimeEq as _;

use crate::random::{random_token, RandomError};

/// Why a `state` or `nonce` value was rejected. Never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value is empty.
    #[error("value is empty")]
    Empty,
    /// The value is longer than the accepted maximum (1024 characters).
    #[error("value is longer than 1024 characters")]
    TooLong,
    /// A character outside VSCHAR (`%x20-7E`, printable ASCII and space).
    #[error("value contains a character outside printable ASCII (%x20-7E)")]
    InvalidCharacter,
}

/// `VSCHAR = %x20-7E` (RFC 6749 Appendix A).
fn is_vschar(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

fn validate(value: &str, max_len: usize) -> Result<(), ValueError> {
    if value.is_empty() {
        return Err(ValueError::Empty);
    }
    // VSCHAR is ASCII, so byte length equals character length for every
    // valid value; anything else fails the scan below.
    if value.len() > max_len {
        return Err(ValueError::TooLong);
    }
    if !value.bytes().all(is_vschar) {
        return Err(ValueError::InvalidCharacter);
    }
    Ok(())
}

macro_rules! request_value {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Maximum accepted length of a `", $what, "` value, in characters.")]
            pub const MAX_LEN: usize = 1024;

            #[doc = concat!("Generates a fresh `", $what, "`: 32 bytes (256 bits) of")]
            /// [`fill_random`](crate::fill_random), base64url-encoded without padding
            /// (43 characters).
            ///
            /// # Errors
            ///
            /// Returns [`RandomError`] if the operating system's random source fails.
            pub fn generate() -> Result<Self, RandomError> {
                random_token().map(Self)
            }

            #[doc = concat!("Accepts a `", $what, "` value as received, without altering it.")]
            ///
            /// # Errors
            ///
            /// [`ValueError::Empty`] for an empty value, [`ValueError::TooLong`]
            /// beyond `MAX_LEN` characters, [`ValueError::InvalidCharacter`] for
            /// any character outside `%x20-7E`.
            pub fn parse(value: &str) -> Result<Self, ValueError> {
                validate(value, Self::MAX_LEN)?;
                Ok(Self(value.to_owned()))
            }

            /// The value, exactly as generated or received.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Compares with `other` in constant time (for equal lengths).
            pub fn ct_eq(&self, other: &str) -> bool {
                self.0.as_bytes().ct_eq(other.as_bytes()).into()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.ct_eq(&other.0)
            }
        }

        impl Eq for $name {}
    };
}

request_value!(
    /// An OAuth 2.0 `state` value (RFC 6749 §4.1.1): binds an authorization
    /// response to the client's session and protects against CSRF
    /// (RFC 6749 §10.12).
    State,
    "state"
);

request_value!(
    /// An OpenID Connect `nonce` value (OpenID Connect Core §3.1.2.1): binds
    /// an ID token to the client's session and prevents replay.
    ///
    /// Held to the same `1*VSCHAR` grammar as [`State`].
    Nonce,
    "nonce"
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generate_yields_43_base64url_chars_and_differs() {
        let a = State::generate().unwrap();
        let b = State::generate().unwrap();
        assert_eq!(a.as_str().len(), 43);
        assert!(a
            .as_str()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
        let n = Nonce::generate().unwrap();
        assert_eq!(n.as_str().len(), 43);
        assert_ne!(n, Nonce::generate().unwrap());
    }

    #[test]
    fn parse_keeps_value_untouched() {
        let raw = " a b~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ";
        assert_eq!(State::parse(raw).unwrap().as_str(), raw);
        assert_eq!(Nonce::parse(raw).unwrap().as_str(), raw);
    }

    #[test]
    fn parse_rejects_empty() {
        assert_eq!(State::parse("").unwrap_err(), ValueError::Empty);
        assert_eq!(Nonce::parse("").unwrap_err(), ValueError::Empty);
    }

    #[test]
    fn parse_length_bounds() {
        assert!(State::parse("x").is_ok());
        assert!(State::parse(&"x".repeat(1024)).is_ok());
        assert_eq!(
            State::parse(&"x".repeat(1025)).unwrap_err(),
            ValueError::TooLong
        );
        assert!(Nonce::parse(&"x".repeat(1024)).is_ok());
        assert_eq!(
            Nonce::parse(&"x".repeat(1025)).unwrap_err(),
            ValueError::TooLong
        );
    }

    #[test]
    fn parse_rejects_non_vschar() {
        for bad in ["a\tb", "a\nb", "a\rb", "\0", "a\u{7f}", "é", "a\u{1F600}"] {
            assert_eq!(
                State::parse(bad).unwrap_err(),
                ValueError::InvalidCharacter,
                "{bad:?}"
            );
            assert_eq!(
                Nonce::parse(bad).unwrap_err(),
                ValueError::InvalidCharacter,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ct_eq_and_eq() {
        let s = State::parse("abc123").unwrap();
        assert!(s.ct_eq("abc123"));
        assert!(!s.ct_eq("abc124"));
        assert!(!s.ct_eq("abc12"));
        assert!(!s.ct_eq("abc1234"));
        assert!(!s.ct_eq(""));
        assert_eq!(s, State::parse("abc123").unwrap());
        assert_ne!(s, State::parse("ABC123").unwrap());
        assert_eq!(s.clone(), s);

        let n = Nonce::parse("n-0S6_WzA2Mj").unwrap();
        assert!(n.ct_eq("n-0S6_WzA2Mj"));
        assert!(!n.ct_eq("n-0S6_WzA2MJ"));
        assert_ne!(n, Nonce::parse("other").unwrap());
    }

    #[test]
    fn debug_names_the_type() {
        let s = State::parse("xyz").unwrap();
        assert_eq!(format!("{s:?}"), "State(\"xyz\")");
        let n = Nonce::parse("xyz").unwrap();
        assert_eq!(format!("{n:?}"), "Nonce(\"xyz\")");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = State::parse(&s);
            let _ = Nonce::parse(&s);
        }

        #[test]
        fn parse_accepts_every_vschar_string(s in "[\\x20-\\x7e]{1,1024}") {
            let state = State::parse(&s).unwrap();
            prop_assert_eq!(state.as_str(), s.as_str());
            prop_assert!(state.ct_eq(&s));
            prop_assert!(Nonce::parse(&s).unwrap().ct_eq(&s));
        }
    }
}
