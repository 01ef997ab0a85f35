//! Finding the live token behind a presented value, for revocation, introspection and
//! bearer validation: opaque tokens by digest; JWT access tokens by signature, then by the
//! digest of their `jti`, so a revoked JWT is recognised even though its signature is fine.

use latchkey_pkce::SecretDigest;
use latchkey_types::TokenTypeHint;

use crate::engine::{AccessTokenFormat, Engine};
use crate::error::Error;
use crate::grant::Grant;
use crate::jwt::looks_like_jwt;
use crate::store::{AccessTokenRecord, RefreshTokenRecord};

/// A live token found in the store.
#[derive(Debug, Clone)]
pub(crate) enum FoundToken {
    /// An access token, with its grant.
    Access(AccessTokenRecord, Grant),
    /// A refresh token (possibly already rotated out), with its grant.
    Refresh(RefreshTokenRecord, Grant),
}

impl Engine {
    /// The live access token for a presented value.
    pub(crate) async fn find_access_token(
        &self,
        presented: &str,
    ) -> Result<Option<(AccessTokenRecord, Grant)>, Error> {
        let now = self.now();
        let digest = match &self.inner.format {
            AccessTokenFormat::Jwt(keys) if looks_like_jwt(presented) => {
                let Some(claims) = keys.verify(
                    presented,
                    &self.inner.issuer,
                    &self.inner.audience,
                    now.unix_timestamp(),
                ) else {
                    return Ok(None);
                };
                SecretDigest::of(&claims.jti)
            }
            _ => SecretDigest::of(presented),
        };
        Ok(self.inner.store.get_access_token(&digest, now).await?)
    }

    /// The token for a presented value, looked up in the order the hint suggests (RFC 7009
    /// §2.1: "If the server is unable to locate the token using the given hint, it MUST
    /// extend its search across all of its supported token types").
    pub(crate) async fn find_token(
        &self,
        presented: &str,
        hint: Option<TokenTypeHint>,
    ) -> Result<Option<FoundToken>, Error> {
        let refresh_first = matches!(hint, Some(TokenTypeHint::RefreshToken));
        if refresh_first {
            if let Some(found) = self.find_refresh(presented).await? {
                return Ok(Some(found));
            }
        }
        if let Some((record, grant)) = self.find_access_token(presented).await? {
            return Ok(Some(FoundToken::Access(record, grant)));
        }
        if !refresh_first {
            return self.find_refresh(presented).await;
        }
        Ok(None)
    }

    async fn find_refresh(&self, presented: &str) -> Result<Option<FoundToken>, Error> {
        if looks_like_jwt(presented) {
            return Ok(None);
        }
        let digest = SecretDigest::of(presented);
        Ok(self
            .inner
            .store
            .get_refresh_token(&digest, self.now())
            .await?
            .map(|(record, grant)| FoundToken::Refresh(record, grant)))
    }
}
