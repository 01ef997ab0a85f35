//! The authorization code grant's token request (RFC 6749 §4.1.3, RFC 7636 §4.6).
//! The code is redeemed in one atomic store call before anything else is checked, so it
//! is single-use whatever happens next; a code presented again revokes every token issued
//! from it. That call also stores the grant with tokens drawn beforehand (one round trip
//! for a database store); their values are released only once every check has passed, and
//! a failed check revokes the grant again.

use latchkey_pkce::{CodeVerifier, SecretDigest};
use latchkey_types::{AuthorizationCode, GrantType, RedirectUri, TokenResponse};

use crate::engine::Engine;
use crate::error::Error;
use crate::events::Event;
use crate::store::{Client, CodeRecord, ConsumeOutcome};

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
        let drawn = self.draw(client.allows_grant(GrantType::RefreshToken), now)?;
        let record = match store
            .redeem_code(&SecretDigest::of(code.secret()), now, &drawn.plan)
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
        if let Err(refused) = check_redemption(&record, client, redirect_uri, verifier) {
            // The store holds the grant and the digests of tokens nobody will ever see;
            // revoke it so that no record suggests it is live. Should that fail, the
            // client gets the store's error instead; the code is burnt anyway, and any
            // later presentation of it revokes the grant as a replay.
            store.revoke_grant(&record.grant.id).await?;
            return Err(refused);
        }
        let grant = record.grant;
        // A replay that arrives after the redemption revokes the grant and so the tokens
        // about to be sent; with a store that redeems in two steps, a replay between them
        // makes the store refuse the tokens (dead on arrival). Either way exactly one
        // redemption ever succeeds.
        let mut response = self.respond(drawn, &grant, &grant.scope)?;
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
        response.scope = Some(grant.scope);
        Ok(response)
    }
}

/// Whether the token request may have the tokens of the code it redeemed: the checks of
/// RFC 6749 §4.1.3 and RFC 7636 §4.6, in that order.
fn check_redemption(
    record: &CodeRecord,
    client: &Client,
    redirect_uri: Option<&RedirectUri>,
    verifier: Option<&CodeVerifier>,
) -> Result<(), Error> {
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
        (Some(challenge), Some(verifier)) if challenge.verify(verifier) => Ok(()),
        // RFC 7636 §4.6: "If the values are not equal, an error response indicating
        // "invalid_grant" MUST be returned."
        (Some(_), _) => Err(Error::InvalidGrant("PKCE verification failed")),
        // RFC 9700 §2.1.1: "ensure that if there was no code_challenge in the
        // authorization request, a request to the token endpoint containing a
        // code_verifier is rejected." (PKCE downgrade)
        (None, Some(_)) => Err(Error::InvalidGrant(
            "code_verifier sent but no code_challenge was",
        )),
        (None, None) => Ok(()),
    }
}
