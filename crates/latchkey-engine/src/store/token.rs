//! Access and refresh tokens as stored, grouped by grant, with atomic refresh rotation.

use async_trait::async_trait;
use latchkey_pkce::SecretDigest;
use latchkey_types::{ClientId, Scope};
use time::OffsetDateTime;

use super::StoreError;
use crate::grant::{Grant, GrantId, Subject};

/// An issued access token. For JWT access tokens, `digest` is the digest of the `jti`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessTokenRecord {
    /// SHA-256 of the token value (opaque) or of its `jti` (JWT).
    pub digest: SecretDigest,
    /// The grant the token belongs to.
    pub grant_id: GrantId,
    /// The scope of this token (may be narrower than the grant's).
    pub scope: Scope,
    /// When the token was issued.
    pub issued_at: OffsetDateTime,
    /// When it expires.
    pub expires_at: OffsetDateTime,
}

/// An issued refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// SHA-256 of the token value.
    pub digest: SecretDigest,
    /// The grant the token belongs to.
    pub grant_id: GrantId,
    /// When the token was issued.
    pub issued_at: OffsetDateTime,
    /// When it expires: the earlier of the idle timeout and the grant's absolute lifetime.
    pub expires_at: OffsetDateTime,
    /// When it was rotated out (used); `None` while it is the grant's live refresh token.
    pub used_at: Option<OffsetDateTime>,
}

/// The tokens a code exchange will issue, fixed before the code is redeemed so that
/// [`CodeRedemption::redeem_code`](super::CodeRedemption::redeem_code) can store them in
/// the same atomic step: their digests and lifetimes, but not yet the grant they belong
/// to, which only the redeemed code names. [`PlannedTokens::records_for`] turns them into
/// the records stored for that grant; a store that writes them itself (in SQL, say) must
/// store exactly what it returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTokens {
    /// When the tokens are issued (the time of the token request).
    pub issued_at: OffsetDateTime,
    /// SHA-256 of the access token (opaque) or of its `jti` (JWT).
    pub access_digest: SecretDigest,
    /// When the access token expires.
    pub access_expires_at: OffsetDateTime,
    /// The refresh token, when the client may refresh.
    pub refresh: Option<PlannedRefresh>,
}

/// The refresh token of [`PlannedTokens`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedRefresh {
    /// SHA-256 of the refresh token value.
    pub digest: SecretDigest,
    /// The end of its idle lifetime; it expires then or at the grant's
    /// `refresh_expires_at`, whichever comes first.
    pub idle_expires_at: OffsetDateTime,
}

impl PlannedTokens {
    /// The access and refresh token records for `grant`, with the grant's whole scope:
    /// what a code exchange stores.
    pub fn records_for(&self, grant: &Grant) -> (AccessTokenRecord, Option<RefreshTokenRecord>) {
        self.records(grant, &grant.scope)
    }

    /// The records for `grant` with an access token limited to `scope`.
    pub(crate) fn records(
        &self,
        grant: &Grant,
        scope: &Scope,
    ) -> (AccessTokenRecord, Option<RefreshTokenRecord>) {
        let access = AccessTokenRecord {
            digest: self.access_digest,
            grant_id: grant.id,
            scope: scope.clone(),
            issued_at: self.issued_at,
            expires_at: self.access_expires_at,
        };
        let refresh = self.refresh.as_ref().map(|r| RefreshTokenRecord {
            digest: r.digest,
            grant_id: grant.id,
            issued_at: self.issued_at,
            expires_at: grant
                .refresh_expires_at
                .map_or(r.idle_expires_at, |absolute| {
                    absolute.min(r.idle_expires_at)
                }),
            used_at: None,
        });
        (access, refresh)
    }
}

/// The one answer of [`TokenStore::rotate_refresh_token`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    /// This call used the presented token and stored its successors.
    Rotated,
    /// The presented token had been used before: a replay. Carries the grant to revoke.
    Replayed(GrantId),
    /// No live token with that digest (never issued, revoked, expired, or purged).
    Unknown,
}

/// Keeps grants and their tokens.
///
/// Contract: a token is *live* while it is not revoked, not expired at the `now` given,
/// and its grant is not revoked. Stores may keep times at whole-second precision (a token
/// may then count as expired up to a second early, never late). Lookups return only live tokens (refresh lookups also
/// return used ones, so the caller can recognise a replay). `rotate_refresh_token`
/// rotates each refresh token at most once, even for concurrent callers in different
/// processes. Revoking a grant is permanent: tokens added to a revoked grant afterwards
/// are refused with [`StoreError::GrantRevoked`].
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a new grant with its first access token and optional refresh token, all or
    /// nothing. Refused with [`StoreError::GrantRevoked`] if the grant id was revoked
    /// already (a code replay that won the race against the first redemption).
    async fn insert_grant(
        &self,
        grant: &Grant,
        access: &AccessTokenRecord,
        refresh: Option<&RefreshTokenRecord>,
    ) -> Result<(), StoreError>;

    /// The live access token with this digest, with its grant.
    async fn get_access_token(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<(AccessTokenRecord, Grant)>, StoreError>;

    /// The refresh token with this digest if it is unexpired and its grant not revoked,
    /// whether used or not, with its grant.
    async fn get_refresh_token(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<(RefreshTokenRecord, Grant)>, StoreError>;

    /// Atomically: if the refresh token `presented` is live and unused, marks it used and
    /// stores `next_refresh` and `next_access` for the same grant ([`RotateOutcome::Rotated`]);
    /// if it was used before, changes nothing and answers [`RotateOutcome::Replayed`].
    /// The caller guarantees the successors carry the presented token's grant id.
    async fn rotate_refresh_token(
        &self,
        presented: &SecretDigest,
        next_refresh: &RefreshTokenRecord,
        next_access: &AccessTokenRecord,
        now: OffsetDateTime,
    ) -> Result<RotateOutcome, StoreError>;

    /// Stores an access token for a grant. Refused with [`StoreError::GrantRevoked`] when
    /// the grant is revoked; for a grant id never stored the token is kept but never live.
    async fn insert_access_token(&self, access: &AccessTokenRecord) -> Result<(), StoreError>;

    /// Revokes one access token. Answers whether a token with that digest was stored
    /// (live or not).
    async fn revoke_access_token(&self, digest: &SecretDigest) -> Result<bool, StoreError>;

    /// Revokes a grant and so every access and refresh token of it, now and later.
    /// Revoking an id that is not stored yet still records the revocation.
    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError>;

    /// Revokes every grant of a client, deletes every authorization code of the client not
    /// yet redeemed, and revokes the grant ids of the client's codes that were consumed but
    /// whose grant is not stored yet (a redemption in flight), so no new grant can appear
    /// from them. Answers how many stored grants were revoked.
    async fn revoke_client_grants(&self, client_id: &ClientId) -> Result<u64, StoreError>;

    /// Revokes every grant of a subject, with the subject's codes treated exactly as
    /// [`TokenStore::revoke_client_grants`] treats a client's. Answers how many stored
    /// grants were revoked.
    async fn revoke_subject_grants(&self, subject: &Subject) -> Result<u64, StoreError>;
}
