//! The token endpoint (RFC 6749 §3.2): checks the request's form, authenticates the
//! client, checks it may use the grant type, then hands over to the grant's module.

use http::StatusCode;
use latchkey_types::{GrantRequest, TokenRequest};

use crate::endpoint::{require_form_post, EndpointRequest};
use crate::engine::Engine;
use crate::error::Error;
use crate::response::{self, HttpResponse};

impl Engine {
    /// Answers a token request: an [`HttpRequest`](crate::HttpRequest), or an
    /// [`EndpointRequest`] an adapter lent. Never fails: errors become RFC 6749 §5.2
    /// responses.
    pub async fn token<'a>(&self, request: impl Into<EndpointRequest<'a>>) -> HttpResponse {
        self.answer_token(&request.into()).await
    }

    pub(crate) async fn answer_token(&self, request: &EndpointRequest<'_>) -> HttpResponse {
        match self.token_inner(request).await {
            Ok(tokens) => response::json_body(StatusCode::OK, tokens.to_json()),
            Err(error) => response::error(&error, self.issuer()),
        }
    }

    async fn token_inner(
        &self,
        request: &EndpointRequest<'_>,
    ) -> Result<latchkey_types::TokenResponse, Error> {
        require_form_post(request)?;
        let parsed = TokenRequest::parse(request.body()).map_err(Error::Malformed)?;
        let client = self
            .authenticate_client(
                request,
                parsed.client_id.as_ref(),
                parsed.client_secret.as_ref(),
            )
            .await?;
        // RFC 6749 §5.2 unauthorized_client: "The authenticated client is not authorized
        // to use this authorization grant type."
        if !client.allows_grant(parsed.grant.grant_type()) {
            return Err(Error::UnauthorizedClient(
                "client may not use this grant type",
            ));
        }
        match parsed.grant {
            GrantRequest::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                self.exchange_code(
                    &client,
                    &code,
                    redirect_uri.as_ref(),
                    code_verifier.as_ref(),
                )
                .await
            }
            GrantRequest::RefreshToken {
                refresh_token,
                scope,
            } => self.refresh(&client, &refresh_token, scope.as_ref()).await,
            GrantRequest::ClientCredentials { scope } => {
                self.client_credentials(&client, scope.as_ref()).await
            }
            // A grant type added to latchkey-types but not yet handled here.
            #[allow(unreachable_patterns)]
            _ => Err(Error::Malformed(latchkey_types::ErrorResponse::new(
                latchkey_types::ErrorCode::UnsupportedGrantType,
            ))),
        }
    }
}
