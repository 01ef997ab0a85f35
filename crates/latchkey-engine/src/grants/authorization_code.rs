//! The authorization code grant's token request (RFC 6749 §4.1.3, RFC 7636 §4.6).
//! The code is consumed in one atomic store call before anything else is checked, so it
//! is single-use whatever happens next; a code presented again revokes every token issued
//! from it.

use latchkey_pkce::{CodeVerifier, SecretDigest};
use latchkey_types::{AuthorizationCode, GrantType, RedirectUri, TokenResponse};

use crate::engine::Engine;
use crate::error::Error;
use crate::events::Event;
use crate::store::{Client, ConsumeOutcome, StoreError};

impl Engine {
    pub(crate) async fn exchange_code(
        &self,
        client: &Client,
        code: &AuthorizationCode,
        redirect_uri: Option<&RedirectUri>,
        verifier: Option<&CodeVerifier>,
    ) -> Result<TokenResponse, Error> {
        let now = self.now();
        let store = &self.inner.store;
        let record = match store
            .consume_code(&SecretDigest::of(code.secret()), now)
            .await?
        {
            ConsumeOutcome::Consumed(record) => record,
            // RFC 6749 §4.1.2: "If an authorization code is used more than once, the
            // authorization server MUST deny the request and SHOULD revoke (when possible)
            // all tokens previously issued based on that authorization code."
            ConsumeOutcome::AlreadyUsed(grant_id) => {
                store.revoke_grant(&grant_id).await?;
                self.emit(|| Event::CodeReplayDetected { grant_id });
                return Err(Error::InvalidGrant("authorization code already used"));
            }
            ConsumeOutcome::Expired => {
                return Err(Error::InvalidGrant("authorization code expired"))
            }
            ConsumeOutcome::Unknown => {
                return Err(Error::InvalidGrant("unknown authorization code"))
            }
        };
        // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the
        // authenticated confidential client, or ... to the public client".
        if record.grant.client_id != client.id {
            return Err(Error::InvalidGrant(
                "authorization code was issued to another client",
            ));
        }
        // RFC 6749 §4.1.3: redirect_uri is "REQUIRED, if the "redirect_uri" parameter was
        // included in the authorization request ... and their values MUST be identical."
        let redirect_ok = match (record.redirect_uri_sent, redirect_uri) {
            (true, Some(sent)) => sent.as_str() == record.redirect_uri.as_str(),
            (true, None) => false,
            (false, Some(sent)) => sent.as_str() == record.redirect_uri.as_str(),
            (false, None) => true,
        };
        if !redirect_ok {
            return Err(Error::InvalidGrant(
                "redirect_uri does not match the authorization request",
            ));
        }
        match (&record.code_challenge, verifier) {
            (Some(challenge), Some(verifier)) if challenge.verify(verifier) => {}
            // RFC 7636 §4.6: "If the values are not equal, an error response indicating
            // "invalid_grant" MUST be returned."
            (Some(_), _) => return Err(Error::InvalidGrant("PKCE verification failed")),
            // RFC 9700 §2.1.1: "ensure that if there was no code_challenge in the
            // authorization request, a request to the token endpoint containing a
            // code_verifier is rejected." (PKCE downgrade)
            (None, Some(_)) => {
                return Err(Error::InvalidGrant(
                    "code_verifier sent but no code_challenge was",
                ))
            }
            (None, None) => {}
        }
        let grant = record.grant;
        let with_refresh = client.allows_grant(GrantType::RefreshToken);
        let minted = self.mint(&grant, &grant.scope, with_refresh, now)?;
        match store
            .insert_grant(&grant, &minted.access, minted.refresh.as_ref())
            .await
        {
            Ok(()) => {}
            // A replay of this code arrived between our consume and this insert and revoked
            // the grant. This request did redeem the code, so it still succeeds — exactly
            // one redemption ever does — but the store refused to keep its tokens, so they
            // are dead on arrival: the same outcome as the replay arriving a moment later.
            Err(StoreError::GrantRevoked) => {}
            Err(e) => return Err(e.into()),
        }
        self.emit(|| Event::CodeRedeemed {
            client_id: client.id.clone(),
            grant_id: grant.id,
        });
        self.emit(|| Event::TokenIssued {
            client_id: client.id.clone(),
            grant_id: grant.id,
            grant_type: GrantType::AuthorizationCode,
            scope: grant.scope.clone(),
        });
        let mut response = minted.response;
        response.scope = Some(grant.scope);
        Ok(response)
    }
}
