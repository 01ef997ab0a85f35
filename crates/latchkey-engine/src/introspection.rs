//! The introspection endpoint (RFC 7662), for resource servers that are confidential
//! clients. Anything not live — unknown, expired, revoked, rotated out — is exactly
//! `{"active":false}` (§2.2), so the answer leaks nothing about why.

use http::StatusCode;
use latchkey_types::{IntrospectionRequest, IntrospectionResponse};

use crate::endpoint::{require_form_post, EndpointRequest};
use crate::engine::Engine;
use crate::error::Error;
use crate::grant::Grant;
use crate::lookup::FoundToken;
use crate::response::{self, HttpResponse};

impl Engine {
    /// Answers an introspection request: an [`HttpRequest`](crate::HttpRequest), or an
    /// [`EndpointRequest`] an adapter lent.
    pub async fn introspect<'a>(&self, request: impl Into<EndpointRequest<'a>>) -> HttpResponse {
        self.answer_introspection(&request.into()).await
    }

    pub(crate) async fn answer_introspection(&self, request: &EndpointRequest<'_>) -> HttpResponse {
        match self.introspect_inner(request).await {
            Ok(body) => response::json_body(StatusCode::OK, body.to_json()),
            Err(error) => response::error(&error, self.issuer()),
        }
    }

    async fn introspect_inner(
        &self,
        request: &EndpointRequest<'_>,
    ) -> Result<IntrospectionResponse, Error> {
        require_form_post(request)?;
        let parsed = IntrospectionRequest::parse(request.body()).map_err(Error::Malformed)?;
        let client = self
            .authenticate_client(
                request,
                parsed.client_id.as_ref(),
                parsed.client_secret.as_ref(),
            )
            .await?;
        // RFC 7662 §2.1: the endpoint requires authorization; only confidential clients
        // (resource servers) can prove who they are.
        if !client.is_confidential() {
            return Err(Error::InvalidClient(
                "introspection requires a confidential client",
            ));
        }
        let found = self
            .find_token(parsed.token.secret(), parsed.token_type_hint)
            .await?;
        Ok(match found {
            Some(FoundToken::Access(record, grant)) => self.active(
                grant,
                record.scope,
                record.issued_at,
                record.expires_at,
                "Bearer",
            ),
            Some(FoundToken::Refresh(record, grant)) if record.used_at.is_none() => {
                let scope = grant.scope.clone();
                self.active(
                    grant,
                    scope,
                    record.issued_at,
                    record.expires_at,
                    "refresh_token",
                )
            }
            _ => IntrospectionResponse::inactive(),
        })
    }

    /// The answer for a live token of `grant`, made from the records the lookup
    /// returned (moved, not copied: this runs on every API call of a resource server
    /// that introspects).
    fn active(
        &self,
        grant: Grant,
        scope: latchkey_types::Scope,
        issued_at: time::OffsetDateTime,
        expires_at: time::OffsetDateTime,
        token_type: &str,
    ) -> IntrospectionResponse {
        let sub = match grant.subject {
            Some(subject) => subject.into_string(),
            None => grant.client_id.as_str().to_owned(),
        };
        IntrospectionResponse {
            active: true,
            scope: Some(scope),
            client_id: Some(grant.client_id),
            sub: Some(sub),
            exp: Some(expires_at.unix_timestamp()),
            iat: Some(issued_at.unix_timestamp()),
            token_type: Some(token_type.to_owned()),
            acr: grant.authentication.map(|a| a.acr),
            iss: Some(self.inner.issuer.clone()),
            aud: None,
            jti: None,
        }
    }
}
