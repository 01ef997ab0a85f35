//! Registered clients and the read-only store the engine looks them up in.

use async_trait::async_trait;
use latchkey_pkce::SecretDigest;
use latchkey_types::{ClientId, GrantType, RedirectUri, Scope};

use super::StoreError;

/// How a confidential client's secret is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientSecretVerifier {
    /// SHA-256 digest of a server-generated, 256-bit secret, compared in constant time.
    /// Right for high-entropy secrets: a slow password hash adds nothing but latency.
    Sha256(SecretDigest),
}

impl ClientSecretVerifier {
    /// The verifier for a secret value.
    pub fn for_secret(secret: &str) -> Self {
        Self::Sha256(SecretDigest::of(secret))
    }

    /// Whether `candidate` is the secret, in constant time.
    pub fn verify(&self, candidate: &str) -> bool {
        match self {
            Self::Sha256(digest) => digest.matches(candidate),
        }
    }
}

/// A registered OAuth client.
#[derive(Clone, Debug)]
pub struct Client {
    /// The client identifier.
    pub id: ClientId,
    /// A human-readable name shown on consent pages.
    pub name: String,
    /// `Some` for confidential clients, `None` for public ones (native and browser apps).
    pub secret: Option<ClientSecretVerifier>,
    /// Registered redirect URIs, compared exactly (RFC 9700 §4.1.3).
    pub redirect_uris: Vec<RedirectUri>,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
    /// The widest scope the client may ever be granted.
    pub scope: Scope,
}

impl Client {
    /// Whether the client is confidential (has a secret to authenticate with).
    pub fn is_confidential(&self) -> bool {
        self.secret.is_some()
    }

    /// Whether the client may use `grant_type`.
    pub fn allows_grant(&self, grant_type: GrantType) -> bool {
        self.grant_types.contains(&grant_type)
    }
}

/// Looks up registered clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// The client registered under `id`, if any.
    async fn get_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;
}
