//! The refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): every use
//! returns a new refresh token and retires the old one in one atomic store call; a retired
//! token presented again is a replay, and revokes the whole grant.

use latchkey_pkce::SecretDigest;
use latchkey_types::{GrantType, RefreshToken, Scope, TokenResponse};

use crate::engine::Engine;
use crate::error::Error;
use crate::events::Event;
use crate::store::{Client, RotateOutcome};

impl Engine {
    pub(crate) async fn refresh(
        &self,
        client: &Client,
        token: &RefreshToken,
        requested: Option<&Scope>,
    ) -> Result<TokenResponse, Error> {
        let now = self.now();
        let store = &self.inner.store;
        let digest = SecretDigest::of(token.secret());
        let Some((record, grant)) = store.get_refresh_token(&digest, now).await? else {
            return Err(Error::InvalidGrant(
                "unknown, expired or revoked refresh token",
            ));
        };
        // RFC 6749 §6: "validate the refresh token and ensure that it was issued to the
        // authenticated client". Another client's token neither rotates nor revokes.
        if grant.client_id != client.id {
            return Err(Error::InvalidGrant(
                "refresh token was issued to another client",
            ));
        }
        if record.used_at.is_some() {
            return self.refresh_replayed(client, grant.id).await;
        }
        // RFC 6749 §6: the requested scope "MUST NOT include any scope not originally
        // granted by the resource owner".
        let scope = match requested {
            Some(scope) if scope.is_empty() || !scope.is_subset_of(&grant.scope) => {
                return Err(Error::InvalidScope("requested scope exceeds the grant"))
            }
            Some(scope) => scope.clone(),
            None => grant.scope.clone(),
        };
        let minted = self.mint(&grant, &scope, true, now)?;
        let Some(next_refresh) = minted.refresh.as_ref() else {
            return Err(Error::Config("refresh token not minted".into()));
        };
        match store
            .rotate_refresh_token(&digest, next_refresh, &minted.access, now)
            .await?
        {
            RotateOutcome::Rotated => {}
            RotateOutcome::Replayed(grant_id) => {
                return self.refresh_replayed(client, grant_id).await
            }
            RotateOutcome::Unknown => {
                return Err(Error::InvalidGrant(
                    "unknown, expired or revoked refresh token",
                ))
            }
        }
        self.emit(|| Event::RefreshRotated {
            client_id: client.id.clone(),
            grant_id: grant.id,
        });
        let mut response = minted.response;
        response.scope = Some(scope.clone());
        self.emit(|| Event::TokenIssued {
            client_id: client.id.clone(),
            grant_id: grant.id,
            grant_type: GrantType::RefreshToken,
            scope,
        });
        Ok(response)
    }

    /// RFC 9700 §4.14.2: when a rotated-out refresh token is used, "the authorization
    /// server cannot determine which party submitted the invalid refresh token, it will
    /// revoke the active refresh token" — here, the whole grant.
    async fn refresh_replayed(
        &self,
        client: &Client,
        grant_id: crate::grant::GrantId,
    ) -> Result<TokenResponse, Error> {
        self.inner.store.revoke_grant(&grant_id).await?;
        self.emit(|| Event::RefreshReplayDetected {
            client_id: client.id.clone(),
            grant_id,
        });
        Err(Error::InvalidGrant(
            "refresh token already used; the grant has been revoked",
        ))
    }
}
