//! The grant: what a resource owner (the subject) authorized a client to do, and how
//! strongly the subject had authenticated when doing so. Every access and refresh token
//! belongs to exactly one grant, so revoking a grant revokes everything issued from it.

use std::fmt;
use std::sync::Arc;

use latchkey_types::{ClientId, Scope};
use time::OffsetDateTime;

use crate::error::Error;

/// Identifies one grant. Random, not secret: it appears in audit events and logs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrantId([u8; 16]);

impl GrantId {
    /// A fresh random grant id.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = [0u8; 16];
        latchkey_pkce::fill_random(&mut bytes).map_err(|_| Error::Randomness)?;
        Ok(Self(bytes))
    }

    /// Rebuilds a grant id from its 16 bytes (for storage backends).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes of this id.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Lower-case hexadecimal form (32 characters).
    pub fn to_hex(&self) -> String {
        use fmt::Write;
        let mut out = String::with_capacity(32);
        for b in self.0 {
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    /// Parses the hexadecimal form produced by [`GrantId::to_hex`].
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 32 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            let pair = hex.get(i * 2..i * 2 + 2)?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantId({})", self.to_hex())
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The resource owner's identifier, as the integrator's user system knows it (`sub`).
/// Shared, not copied: a clone is a reference count.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject(Arc<str>);

impl Subject {
    /// Longest subject accepted, in bytes.
    pub const MAX_LEN: usize = 255;

    /// A subject identifier: 1 to 255 printable ASCII characters.
    pub fn new(value: impl AsRef<str>) -> Result<Self, Error> {
        let value = value.as_ref();
        if value.is_empty()
            || value.len() > Self::MAX_LEN
            || !value.bytes().all(|b| (0x20..=0x7e).contains(&b))
        {
            return Err(Error::InvalidDecision(
                "subject must be 1-255 printable ASCII characters",
            ));
        }
        Ok(Self(Arc::from(value)))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier as an owned string.
    pub fn into_string(self) -> String {
        self.0.to_string()
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How and when the subject authenticated before approving (OpenID-style `acr`, `amr`,
/// `auth_time`). The engine never sees credentials, only this summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authentication {
    /// When the subject authenticated.
    pub auth_time: OffsetDateTime,
    /// The authentication context class reached (see [`crate::acr`]).
    pub acr: String,
    /// The methods used, e.g. `["pwd", "otp"]` (RFC 8176 values).
    pub amr: Vec<String>,
}

/// One authorization given by a subject (or, for `client_credentials`, by the client to
/// itself) to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The grant's id.
    pub id: GrantId,
    /// The client the grant was given to.
    pub client_id: ClientId,
    /// The resource owner; `None` for `client_credentials` grants.
    pub subject: Option<Subject>,
    /// The scope granted: every token of the grant is limited to it.
    pub scope: Scope,
    /// How the subject authenticated; `None` for `client_credentials`.
    pub authentication: Option<Authentication>,
    /// When the grant was made.
    pub created_at: OffsetDateTime,
    /// When the grant's refresh tokens stop working regardless of use (absolute lifetime).
    pub refresh_expires_at: Option<OffsetDateTime>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn grant_id_hex_round_trips() {
        let id = GrantId::generate().unwrap();
        assert_eq!(GrantId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(GrantId::from_hex("zz"), None);
        assert_eq!(GrantId::from_hex(&"é".repeat(16)), None);
    }

    #[test]
    fn subject_rejects_empty_and_control_characters() {
        assert!(Subject::new("").is_err());
        assert!(Subject::new("a\nb").is_err());
        assert!(Subject::new("x".repeat(256)).is_err());
        assert_eq!(Subject::new("alice").unwrap().as_str(), "alice");
    }
}
