//! Newtypes for protocol identifiers and secret values.
//!
//! Each protocol value gets its own type so that a client id can never be
//! passed where a token is expected, and so that secrets cannot leak by
//! accident: [`AuthorizationCode`], [`AccessToken`], [`RefreshToken`],
//! [`ClientSecret`] and [`PresentedToken`] print as `Type([redacted])` in both
//! `Debug` and `Display`, are not `Serialize`, and compare in constant time.
//! The one place their values go on the wire is
//! [`TokenResponse`](crate::TokenResponse), which serializes them by hand.
//! [`ClientId`] is public information and behaves like an ordinary string.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

pub use latchkey_pkce::ValueError;

use crate::charset::check_vschar;
use crate::limits::{
    MAX_ACCESS_TOKEN_LEN, MAX_AUTHORIZATION_CODE_LEN, MAX_CLIENT_ID_LEN, MAX_CLIENT_SECRET_LEN,
    MAX_PRESENTED_TOKEN_LEN, MAX_REFRESH_TOKEN_LEN,
};

/// A client identifier (RFC 6749 §2.2): 1..=[`MAX_CLIENT_ID_LEN`] VSCHAR
/// characters (`%x20-7E`).
///
/// Shared, not copied: a clone is a reference count, because the identifier is copied
/// into every code, grant, token record and audit event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(Arc<str>);

impl ClientId {
    /// Validates a client identifier of at most [`MAX_CLIENT_ID_LEN`]
    /// characters.
    ///
    /// # Errors
    ///
    /// [`ValueError`] if `value` is empty, too long or not VSCHAR.
    pub fn new(value: &str) -> Result<Self, ValueError> {
        check_vschar(value, MAX_CLIENT_ID_LEN)?;
        Ok(Self(Arc::from(value)))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ClientId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ClientId {
    /// Validates with [`ClientId::new`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        ClientId::new(&s).map_err(|e| {
            serde::de::Error::custom(format_args!(
                "invalid client_id ({}, at most {MAX_CLIENT_ID_LEN} VSCHAR characters)",
                value_error_kind(&e)
            ))
        })
    }
}

/// A short description of a [`ValueError`] that, unlike its `Display`, does
/// not state a length limit (the shared type's message names the `state`
/// limit, which is wrong for other values).
pub(crate) fn value_error_kind(e: &ValueError) -> &'static str {
    match e {
        ValueError::Empty => "empty",
        ValueError::TooLong => "too long",
        ValueError::InvalidCharacter => "invalid character",
        _ => "malformed",
    }
}

/// Defines a redacted, constant-time-comparable secret string newtype.
macro_rules! secret_newtype {
    ($(#[$doc:meta])* $name:ident, $max:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value the server generated itself, without checks.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            #[doc = concat!(
                "Validates a value received from the wire: 1..=[`",
                stringify!($max),
                "`] VSCHAR characters (`%x20-7E`)."
            )]
            ///
            /// # Errors
            ///
            /// [`ValueError`] if `value` is empty, too long or not VSCHAR.
            /// The error never contains the value.
            pub fn parse(value: &str) -> Result<Self, ValueError> {
                check_vschar(value, $max)?;
                Ok(Self(value.to_owned()))
            }

            /// The secret value. Handle with care: never log it.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Compares with `other` in time independent of the contents
            /// (the length may still be observable).
            pub fn ct_eq(&self, other: &str) -> bool {
                self.0.as_bytes().ct_eq(other.as_bytes()).into()
            }
        }

        impl PartialEq for $name {
            /// Constant-time comparison; see [`Self::ct_eq`].
            fn eq(&self, other: &Self) -> bool {
                self.ct_eq(&other.0)
            }
        }

        impl Eq for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_newtype!(
    /// An authorization code (RFC 6749 §4.1.2), at most
    /// [`MAX_AUTHORIZATION_CODE_LEN`] characters when parsed.
    AuthorizationCode,
    MAX_AUTHORIZATION_CODE_LEN
);

secret_newtype!(
    /// An access token (RFC 6749 §1.4), at most [`MAX_ACCESS_TOKEN_LEN`]
    /// characters when parsed.
    AccessToken,
    MAX_ACCESS_TOKEN_LEN
);

secret_newtype!(
    /// A refresh token (RFC 6749 §1.5), at most [`MAX_REFRESH_TOKEN_LEN`]
    /// characters when parsed.
    RefreshToken,
    MAX_REFRESH_TOKEN_LEN
);

secret_newtype!(
    /// A client secret (RFC 6749 §2.3.1), at most [`MAX_CLIENT_SECRET_LEN`]
    /// characters when parsed.
    ClientSecret,
    MAX_CLIENT_SECRET_LEN
);

secret_newtype!(
    /// A token of unknown kind presented for revocation (RFC 7009 §2.1) or
    /// introspection (RFC 7662 §2.1), at most [`MAX_PRESENTED_TOKEN_LEN`]
    /// characters when parsed.
    PresentedToken,
    MAX_PRESENTED_TOKEN_LEN
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn client_id_is_vschar_rfc6749_appendix_a() {
        assert_eq!(
            ClientId::new("my client-1").unwrap().as_str(),
            "my client-1"
        );
        assert!(matches!(ClientId::new(""), Err(ValueError::Empty)));
        assert!(matches!(
            ClientId::new("a\u{7f}"),
            Err(ValueError::InvalidCharacter)
        ));
        assert!(matches!(
            ClientId::new("caf\u{e9}"),
            Err(ValueError::InvalidCharacter)
        ));
    }

    #[test]
    fn client_id_length_limit() {
        assert!(ClientId::new(&"c".repeat(MAX_CLIENT_ID_LEN)).is_ok());
        let over = "c".repeat(MAX_CLIENT_ID_LEN + 1);
        assert!(matches!(ClientId::new(&over), Err(ValueError::TooLong)));
    }

    #[test]
    fn client_id_serde_validates() {
        let id = ClientId::new("abc").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc\"");
        assert_eq!(serde_json::from_str::<ClientId>("\"abc\"").unwrap(), id);
        assert!(serde_json::from_str::<ClientId>("\"\"").is_err());
        assert!(serde_json::from_str::<ClientId>("\"a\\nb\"").is_err());
        assert_eq!(id.to_string(), "abc");
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_display() {
        let t = AccessToken::new("TOPSECRET");
        assert_eq!(format!("{t:?}"), "AccessToken([redacted])");
        assert_eq!(t.to_string(), "AccessToken([redacted])");
        let c = AuthorizationCode::new("TOPSECRET");
        assert!(!format!("{c:?} {c}").contains("TOPSECRET"));
        let r = RefreshToken::new("TOPSECRET");
        assert_eq!(format!("{r:?}"), "RefreshToken([redacted])");
        let s = ClientSecret::new("TOPSECRET");
        assert_eq!(format!("{s}"), "ClientSecret([redacted])");
        let p = PresentedToken::new("TOPSECRET");
        assert_eq!(format!("{:?}", Some(p)), "Some(PresentedToken([redacted]))");
    }

    #[test]
    fn secrets_compare_by_value() {
        assert_eq!(AccessToken::new("abc"), AccessToken::new("abc"));
        assert_ne!(AccessToken::new("abc"), AccessToken::new("abd"));
        assert_ne!(AccessToken::new("abc"), AccessToken::new("abcd"));
        assert!(RefreshToken::new("x").ct_eq("x"));
        assert_eq!(ClientSecret::new("s").secret(), "s");
    }

    #[test]
    fn secret_parse_limits() {
        assert!(AuthorizationCode::parse(&"a".repeat(MAX_AUTHORIZATION_CODE_LEN)).is_ok());
        let over = "a".repeat(MAX_AUTHORIZATION_CODE_LEN + 1);
        assert!(matches!(
            AuthorizationCode::parse(&over),
            Err(ValueError::TooLong)
        ));
        assert!(AccessToken::parse(&"a".repeat(MAX_ACCESS_TOKEN_LEN)).is_ok());
        let over = "a".repeat(MAX_REFRESH_TOKEN_LEN + 1);
        assert!(matches!(
            RefreshToken::parse(&over),
            Err(ValueError::TooLong)
        ));
        let over = "a".repeat(MAX_CLIENT_SECRET_LEN + 1);
        assert!(matches!(
            ClientSecret::parse(&over),
            Err(ValueError::TooLong)
        ));
        assert!(matches!(ClientSecret::parse(""), Err(ValueError::Empty)));
        assert!(matches!(
            PresentedToken::parse("a\tb"),
            Err(ValueError::InvalidCharacter)
        ));
    }
}
