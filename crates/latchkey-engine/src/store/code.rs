//! Authorization codes as stored: the digest of the code, the grant it will create, and
//! what the token request must prove (client, redirect URI, PKCE verifier).

use async_trait::async_trait;
use latchkey_pkce::{CodeChallenge, Nonce, SecretDigest};
use latchkey_types::RedirectUri;
use time::OffsetDateTime;

use super::{PlannedTokens, StoreError, TokenStore};
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

/// Redeems authorization codes: consumes a code and stores the grant it carries, with its
/// first tokens, as one step.
///
/// Contract: [`CodeRedemption::redeem_code`] answers exactly as
/// [`CodeStore::consume_code`] would for the same digest and time, and when it answers
/// [`ConsumeOutcome::Consumed`] it has also stored the code's grant with the records
/// [`PlannedTokens::records_for`] gives for it, as [`TokenStore::insert_grant`] does —
/// unless the grant id was revoked already, in which case nothing is stored and the answer
/// is still `Consumed` (the tokens are dead on arrival). Nothing is stored for any other
/// answer. An error should leave nothing changed; the default, which runs the consume and
/// the insert one after the other, can fail between them and leave the code consumed
/// without its grant (a retry then counts as a replay). A store whose consume and insert
/// can share one transaction or one round trip should override it.
///
/// The engine decides whether the token request may have the tokens (client binding,
/// redirect URI, PKCE) only after this call, from the record it returns; when it may not,
/// it revokes the grant again. Until then the tokens exist only as digests, and their
/// values never leave the engine, so no one can present them.
#[async_trait]
pub trait CodeRedemption: CodeStore + TokenStore {
    /// Consumes the code with this digest and, if this call consumed it, stores its grant
    /// with the tokens of `tokens`.
    async fn redeem_code(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
        tokens: &PlannedTokens,
    ) -> Result<ConsumeOutcome, StoreError> {
        let outcome = self.consume_code(digest, now).await?;
        if let ConsumeOutcome::Consumed(record) = &outcome {
            let (access, refresh) = tokens.records_for(&record.grant);
            match self
                .insert_grant(&record.grant, &access, refresh.as_ref())
                .await
            {
                Ok(()) | Err(StoreError::GrantRevoked) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(outcome)
    }
}
