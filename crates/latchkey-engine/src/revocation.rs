//! The revocation endpoint (RFC 7009). The client authenticates, and may revoke only its
//! own tokens; an unknown token is answered with 200 like a revoked one (§2.2), and the
//! `token_type_hint` only orders the search. Revoking a refresh token revokes its whole
//! grant, access tokens included (§2.1).

use bytes::Bytes;
use http::{Response, StatusCode};
use latchkey_types::RevocationRequest;

use crate::endpoint::{require_form_post, EndpointRequest};
use crate::engine::Engine;
use crate::error::Error;
use crate::events::{Event, TokenKind};
use crate::lookup::FoundToken;
use crate::response::{self, HttpResponse};

impl Engine {
    /// Answers a revocation request: an [`HttpRequest`](crate::HttpRequest), or an
    /// [`EndpointRequest`] an adapter lent.
    pub async fn revoke<'a>(&self, request: impl Into<EndpointRequest<'a>>) -> HttpResponse {
        self.answer_revocation(&request.into()).await
    }

    pub(crate) async fn answer_revocation(&self, request: &EndpointRequest<'_>) -> HttpResponse {
        match self.revoke_inner(request).await {
            Ok(()) => {
                let mut ok = Response::new(Bytes::new());
                *ok.status_mut() = StatusCode::OK;
                ok.headers_mut().insert(
                    http::header::CACHE_CONTROL,
                    http::HeaderValue::from_static("no-store"),
                );
                ok
            }
            Err(error) => response::error(&error, self.issuer()),
        }
    }

    async fn revoke_inner(&self, request: &EndpointRequest<'_>) -> Result<(), Error> {
        require_form_post(request)?;
        let parsed = RevocationRequest::parse(request.body()).map_err(Error::Malformed)?;
        let client = self
            .authenticate_client(
                request,
                parsed.client_id.as_ref(),
                parsed.client_secret.as_ref(),
            )
            .await?;
        let presented = parsed.token.secret();
        let Some(found) = self.find_token(presented, parsed.token_type_hint).await? else {
            // RFC 7009 §2.2: "invalid tokens do not cause an error response".
            return Ok(());
        };
        let grant = match &found {
            FoundToken::Access(_, grant) | FoundToken::Refresh(_, grant) => grant,
        };
        // RFC 7009 §2.1: the server "verifies whether the token was issued to the client
        // making the revocation request. If this validation fails, the request is refused".
        if grant.client_id != client.id {
            return Err(Error::UnauthorizedClient(
                "the token was not issued to this client",
            ));
        }
        let store = &self.inner.store;
        let (kind, grant_id) = match found {
            FoundToken::Access(record, grant) => {
                store.revoke_access_token(&record.digest).await?;
                (TokenKind::Access, grant.id)
            }
            FoundToken::Refresh(_, grant) => {
                store.revoke_grant(&grant.id).await?;
                (TokenKind::Refresh, grant.id)
            }
        };
        self.emit(|| Event::TokenRevoked {
            client_id: client.id.clone(),
            kind,
            grant_id,
        });
        Ok(())
    }
}
