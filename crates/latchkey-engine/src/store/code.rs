//! Authorization codes as stored: the digest of the code, the grant it will create, and
//! what the token request must prove (client, redirect URI, PKCE verifier).

use async_trait::async_trait;
use latchkey_pkce::{CodeChallenge, Nonce, SecretDigest};
use latchkey_types::RedirectUri;
use time::OffsetDateTime;

use super::StoreError;
use crate::grant::{Grant, GrantId};

/// An issued authorization code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRecord {
    /// SHA-256 of the code value; the value itself is never stored.
    pub digest: SecretDigest,
    /// The grant that redeeming the code creates (its client is the one the code is bound to).
    pub grant: Grant,
    /// The redirect URI the authorization response went to.
    pub redirect_uri: RedirectUri,
    /// Whether the authorization request carried `redirect_uri` explicitly.
    pub redirect_uri_sent: bool,
    /// The PKCE challenge from the authorization request.
    pub code_challenge: Option<CodeChallenge>,
    /// The nonce from the authorization request.
    pub nonce: Option<Nonce>,
    /// When the code was issued.
    pub issued_at: OffsetDateTime,
    /// When the code stops being redeemable.
    pub expires_at: OffsetDateTime,
}

/// The one answer of [`CodeStore::consume_code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsumeOutcome {
    /// This call consumed the code; nobody else ever will.
    Consumed(Box<CodeRecord>),
    /// The code was consumed before: a replay. Carries the grant to revoke.
    AlreadyUsed(GrantId),
    /// The code exists, was never consumed, and has expired.
    Expired,
    /// No such code (never issued, or purged).
    Unknown,
}

/// Keeps authorization codes.
///
/// Contract: `consume_code` returns [`ConsumeOutcome::Consumed`] for each code at most
/// once, even to concurrent callers in different processes; every later call for the same
/// digest returns [`ConsumeOutcome::AlreadyUsed`] until the record is purged.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores a newly issued code.
    async fn insert_code(&self, code: &CodeRecord) -> Result<(), StoreError>;

    /// Marks the code used and returns it, in one atomic step.
    async fn consume_code(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<ConsumeOutcome, StoreError>;
}
