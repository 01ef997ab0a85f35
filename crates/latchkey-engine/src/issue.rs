//! Minting tokens for a grant: an access token (opaque or JWT) and, when the client may
//! refresh, a refresh token, each with the record the store keeps (digests, never values)
//! and the RFC 6749 §5.1 response that carries the values to the client once. A code
//! exchange draws the values before it knows its grant (the store redeems the code and
//! stores the tokens in one step) and builds the response after.

use latchkey_pkce::{random_token, random_tokens, SecretDigest};
use latchkey_types::{AccessToken, RefreshToken, Scope, TokenResponse, TokenType};
use time::OffsetDateTime;

use crate::engine::{AccessTokenFormat, Engine};
use crate::error::Error;
use crate::grant::Grant;
use crate::jwt::AccessTokenClaims;
use crate::store::{AccessTokenRecord, PlannedRefresh, PlannedTokens, RefreshTokenRecord};

/// Freshly minted tokens: what to store and what to send.
pub(crate) struct Minted {
    pub(crate) access: AccessTokenRecord,
    pub(crate) refresh: Option<RefreshTokenRecord>,
    pub(crate) response: TokenResponse,
}

/// Tokens drawn before their grant is known: the digests to store ([`PlannedTokens`]) and
/// the values, which leave the engine only in [`Engine::respond`].
pub(crate) struct Drawn {
    pub(crate) plan: PlannedTokens,
    /// The opaque access token, or the JWT's `jti`.
    access_value: String,
    refresh_value: Option<String>,
}

impl Engine {
    /// Draws an access token (or a JWT's `jti`) and, when `with_refresh`, a refresh token,
    /// with the lifetimes the policy gives tokens issued at `now`.
    pub(crate) fn draw(&self, with_refresh: bool, now: OffsetDateTime) -> Result<Drawn, Error> {
        let policy = &self.inner.policy;
        // Both values from one draw when there are two.
        let (access_value, refresh_value) = if with_refresh {
            let [access, refresh] = random_tokens::<2>().map_err(|_| Error::Randomness)?;
            (access, Some(refresh))
        } else {
            (random_token().map_err(|_| Error::Randomness)?, None)
        };
        let refresh = refresh_value.as_deref().map(|value| PlannedRefresh {
            digest: SecretDigest::of(value),
            idle_expires_at: now + policy.refresh_idle_ttl,
        });
        Ok(Drawn {
            plan: PlannedTokens {
                issued_at: now,
                access_digest: SecretDigest::of(&access_value),
                access_expires_at: now + policy.access_token_ttl,
                refresh,
            },
            access_value,
            refresh_value,
        })
    }

    /// The RFC 6749 §5.1 response carrying `drawn`'s values for `grant`, limited to
    /// `scope`; a JWT access token is signed here. The response's `scope` is left unset
    /// for the caller.
    pub(crate) fn respond(
        &self,
        drawn: Drawn,
        grant: &Grant,
        scope: &Scope,
    ) -> Result<TokenResponse, Error> {
        let plan = &drawn.plan;
        let access_value = match &self.inner.format {
            AccessTokenFormat::Opaque => drawn.access_value,
            AccessTokenFormat::Jwt(keys) => {
                let claims = AccessTokenClaims {
                    iss: self.inner.issuer.clone(),
                    sub: grant.subject.as_ref().map_or_else(
                        || grant.client_id.as_str().to_owned(),
                        |s| s.as_str().to_owned(),
                    ),
                    aud: self.inner.audience.clone(),
                    exp: plan.access_expires_at.unix_timestamp(),
                    iat: plan.issued_at.unix_timestamp(),
                    client_id: grant.client_id.as_str().to_owned(),
                    scope: scope.as_string(),
                    auth_time: grant
                        .authentication
                        .as_ref()
                        .map(|a| a.auth_time.unix_timestamp()),
                    acr: grant.authentication.as_ref().map(|a| a.acr.clone()),
                    jti: drawn.access_value,
                };
                keys.sign(&claims)?
            }
        };
        let ttl = plan.access_expires_at - plan.issued_at;
        Ok(TokenResponse {
            access_token: AccessToken::new(access_value),
            token_type: TokenType::Bearer,
            expires_in: u64::try_from(ttl.whole_seconds()).unwrap_or(0),
            refresh_token: drawn.refresh_value.map(RefreshToken::new),
            // Set by the caller, who can often move the scope in instead of copying it.
            scope: None,
        })
    }

    /// Mints an access token limited to `scope` (a subset of the grant's), and a refresh
    /// token when `with_refresh`, for a grant known already. The response's `scope` is
    /// left unset for the caller.
    pub(crate) fn mint(
        &self,
        grant: &Grant,
        scope: &Scope,
        with_refresh: bool,
        now: OffsetDateTime,
    ) -> Result<Minted, Error> {
        let drawn = self.draw(with_refresh, now)?;
        let (access, refresh) = drawn.plan.records(grant, scope);
        let response = self.respond(drawn, grant, scope)?;
        Ok(Minted {
            access,
            refresh,
            response,
        })
    }
}
