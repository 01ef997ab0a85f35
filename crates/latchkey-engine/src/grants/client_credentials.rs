//! The client credentials grant (RFC 6749 §4.4): a confidential client obtains an access
//! token for itself. No refresh token (§4.4.3), and no scope that needs a user's
//! authentication level.

use latchkey_types::{GrantType, Scope, TokenResponse};

use crate::engine::Engine;
use crate::error::Error;
use crate::events::Event;
use crate::grant::{Grant, GrantId};
use crate::store::Client;

impl Engine {
    pub(crate) async fn client_credentials(
        &self,
        client: &Client,
        requested: Option<&Scope>,
    ) -> Result<TokenResponse, Error> {
        // RFC 6749 §4.4: "The client credentials grant type MUST only be used by
        // confidential clients."
        if !client.is_confidential() {
            return Err(Error::UnauthorizedClient(
                "client_credentials needs a confidential client",
            ));
        }
        let scope = requested.cloned().unwrap_or_else(|| client.scope.clone());
        if scope.is_empty() || !scope.is_subset_of(&client.scope) {
            return Err(Error::InvalidScope(
                "requested scope is not allowed for this client",
            ));
        }
        let policy = &self.inner.policy;
        if scope.iter().any(|s| {
            policy
                .scope_rule(s)
                .is_some_and(|r| r.required_acr.is_some())
        }) {
            return Err(Error::InvalidScope(
                "scope requires a user's authentication",
            ));
        }
        let now = self.now();
        let grant = Grant {
            id: GrantId::generate()?,
            client_id: client.id.clone(),
            subject: None,
            scope: scope.clone(),
            authentication: None,
            created_at: now,
            refresh_expires_at: None,
        };
        let minted = self.mint(&grant, &scope, false, now)?;
        self.inner
            .store
            .insert_grant(&grant, &minted.access, None)
            .await?;
        let mut response = minted.response;
        response.scope = Some(scope.clone());
        self.emit(|| Event::TokenIssued {
            client_id: client.id.clone(),
            grant_id: grant.id,
            grant_type: GrantType::ClientCredentials,
            scope,
        });
        Ok(response)
    }
}
