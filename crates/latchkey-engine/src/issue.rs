//! Minting tokens for a grant: an access token (opaque or JWT) and, when the client may
//! refresh, a refresh token, each with the record the store keeps (digests, never values)
//! and the RFC 6749 §5.1 response that carries the values to the client once.

use latchkey_pkce::{random_token, SecretDigest};
use latchkey_types::{AccessToken, RefreshToken, Scope, TokenResponse, TokenType};
use time::OffsetDateTime;

use crate::engine::{AccessTokenFormat, Engine};
use crate::error::Error;
use crate::grant::Grant;
use crate::jwt::AccessTokenClaims;
use crate::store::{AccessTokenRecord, RefreshTokenRecord};

/// Freshly minted tokens: what to store and what to send.
pub(crate) struct Minted {
    pub(crate) access: AccessTokenRecord,
    pub(crate) refresh: Option<RefreshTokenRecord>,
    pub(crate) response: TokenResponse,
}

impl Engine {
    /// Mints an access token limited to `scope` (a subset of the grant's), and a refresh
    /// token when `with_refresh`. The response's `scope` is left unset for the caller.
    pub(crate) fn mint(
        &self,
        grant: &Grant,
        scope: &Scope,
        with_refresh: bool,
        now: OffsetDateTime,
    ) -> Result<Minted, Error> {
        let policy = &self.inner.policy;
        let expires_at = now + policy.access_token_ttl;
        let (access_value, access_digest) = match &self.inner.format {
            AccessTokenFormat::Opaque => {
                let value = random_token().map_err(|_| Error::Randomness)?;
                let digest = SecretDigest::of(&value);
                (value, digest)
            }
            AccessTokenFormat::Jwt(keys) => {
                let jti = random_token().map_err(|_| Error::Randomness)?;
                let claims = AccessTokenClaims {
                    iss: self.inner.issuer.clone(),
                    sub: grant.subject.as_ref().map_or_else(
                        || grant.client_id.as_str().to_owned(),
                        |s| s.as_str().to_owned(),
                    ),
                    aud: self.inner.audience.clone(),
                    exp: expires_at.unix_timestamp(),
                    iat: now.unix_timestamp(),
                    client_id: grant.client_id.as_str().to_owned(),
                    scope: scope.as_string(),
                    auth_time: grant
                        .authentication
                        .as_ref()
                        .map(|a| a.auth_time.unix_timestamp()),
                    acr: grant.authentication.as_ref().map(|a| a.acr.clone()),
                    jti,
                };
                let value = keys.sign(&claims)?;
                (value, SecretDigest::of(&claims.jti))
            }
        };
        let access = AccessTokenRecord {
            digest: access_digest,
            grant_id: grant.id,
            scope: scope.clone(),
            issued_at: now,
            expires_at,
        };
        let (refresh, refresh_value) = if with_refresh {
            let value = random_token().map_err(|_| Error::Randomness)?;
            let idle_end = now + policy.refresh_idle_ttl;
            let expires_at = grant
                .refresh_expires_at
                .map_or(idle_end, |absolute| absolute.min(idle_end));
            let record = RefreshTokenRecord {
                digest: SecretDigest::of(&value),
                grant_id: grant.id,
                issued_at: now,
                expires_at,
                used_at: None,
            };
            (Some(record), Some(RefreshToken::new(value)))
        } else {
            (None, None)
        };
        let expires_in = u64::try_from(policy.access_token_ttl.whole_seconds()).unwrap_or(0);
        let response = TokenResponse {
            access_token: AccessToken::new(access_value),
            token_type: TokenType::Bearer,
            expires_in,
            refresh_token: refresh_value,
            // Set by the caller, who can often move the scope in instead of copying it.
            scope: None,
        };
        Ok(Minted {
            access,
            refresh,
            response,
        })
    }
}
