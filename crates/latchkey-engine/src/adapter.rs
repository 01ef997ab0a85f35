//! What the web-framework adapters share, kept framework-free so the axum and actix-web
//! adapters answer every request with the same bytes: the request size limits
//! ([`AdapterOptions`]), the table of endpoints with their dispatch ([`Endpoint`]), and
//! the bearer check of resource routes ([`ScopeGate`]). An adapter only converts its
//! framework's request into an [`HttpRequest`](crate::HttpRequest), or lends what the
//! endpoints read of it as an [`EndpointRequest`], and converts the [`HttpResponse`] back.

use http::header::{HeaderMap, HeaderValue, ALLOW, AUTHORIZATION, CONTENT_LENGTH};
use http::{Method, StatusCode};
use latchkey_types::{ErrorCode, ErrorResponse, Scope};

use crate::bearer::{BearerError, BearerGrant};
use crate::endpoint::{EndpointRequest, HeaderField};
use crate::engine::Engine;
use crate::interaction::InteractionHandler;
use crate::metadata::{
    AUTHORIZE_PATH, INTROSPECT_PATH, JWKS_PATH, METADATA_PATH, REVOKE_PATH, TOKEN_PATH,
};
use crate::response::{self, HttpResponse};

/// Request limits an adapter enforces before the engine sees a request, and the realm
/// of its bearer challenges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterOptions {
    /// Largest request body read, in bytes (default 16 KiB); larger is `413`.
    pub max_body_bytes: usize,
    /// Longest query string accepted, in bytes (default 8 KiB); longer is `414`.
    pub max_query_bytes: usize,
    /// The realm of bearer challenges issued where no realm was given, e.g. by an
    /// `Authenticated` extractor on a route without the bearer middleware (default
    /// `latchkey`).
    pub realm: String,
}

impl Default for AdapterOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024,
            max_query_bytes: 8 * 1024,
            realm: "latchkey".to_owned(),
        }
    }
}

fn invalid_request(status: StatusCode, description: &str) -> HttpResponse {
    let body = ErrorResponse::new(ErrorCode::InvalidRequest).with_description(description);
    response::json(status, &body)
}

impl AdapterOptions {
    /// The refusal of a request for what is known before its body is read, if any: a
    /// query over the limit (`414`) or a declared `Content-Length` over it (`413`).
    pub fn refuse_head(&self, query: Option<&str>, headers: &HeaderMap) -> Option<HttpResponse> {
        self.refuse_sizes(
            query,
            headers.get(CONTENT_LENGTH).map(HeaderValue::as_bytes),
        )
    }

    /// [`refuse_head`](Self::refuse_head) for an adapter whose framework has its own header
    /// types: the query and the raw `Content-Length` value, if the request has one.
    pub fn refuse_sizes(
        &self,
        query: Option<&str>,
        content_length: Option<&[u8]>,
    ) -> Option<HttpResponse> {
        if query.map_or(0, str::len) > self.max_query_bytes {
            return Some(Self::query_too_long());
        }
        let declared = content_length
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        declared
            .is_some_and(|len| len > self.max_body_bytes as u64)
            .then(Self::body_too_large)
    }

    /// The `413` response for a body over the limit.
    pub fn body_too_large() -> HttpResponse {
        invalid_request(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
    }

    /// The `414` response for a query string over the limit.
    pub fn query_too_long() -> HttpResponse {
        invalid_request(StatusCode::URI_TOO_LONG, "query string too long")
    }

    /// The `400` response for a body that could not be read (the client went away).
    pub fn body_unreadable() -> HttpResponse {
        invalid_request(StatusCode::BAD_REQUEST, "request body could not be read")
    }
}

/// One endpoint the adapters mount, relative to the endpoint base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /authorize` (RFC 6749 §3.1).
    Authorize,
    /// `POST /token` (RFC 6749 §3.2).
    Token,
    /// `POST /revoke` (RFC 7009).
    Revoke,
    /// `POST /introspect` (RFC 7662).
    Introspect,
    /// `GET /.well-known/oauth-authorization-server` (RFC 8414).
    Metadata,
    /// `GET /jwks.json`, mounted only when access tokens are JWTs.
    Jwks,
}

impl Endpoint {
    /// Every endpoint, in mounting order.
    pub const ALL: [Endpoint; 6] = [
        Self::Authorize,
        Self::Token,
        Self::Revoke,
        Self::Introspect,
        Self::Metadata,
        Self::Jwks,
    ];

    /// The path the endpoint is mounted at.
    pub fn path(self) -> &'static str {
        match self {
            Self::Authorize => AUTHORIZE_PATH,
            Self::Token => TOKEN_PATH,
            Self::Revoke => REVOKE_PATH,
            Self::Introspect => INTROSPECT_PATH,
            Self::Metadata => METADATA_PATH,
            Self::Jwks => JWKS_PATH,
        }
    }

    /// Whether the endpoint takes a form body (and so the body limit applies). The
    /// form endpoints accept any method at the routing level and let the engine answer
    /// a non-POST with its own `invalid_request`.
    pub fn reads_body(self) -> bool {
        matches!(self, Self::Token | Self::Revoke | Self::Introspect)
    }

    /// Whether `engine` serves this endpoint (the JWKS only for JWT access tokens).
    pub fn is_served_by(self, engine: &Engine) -> bool {
        self != Self::Jwks || engine.jwks_response().is_some()
    }

    /// Answers `request` (already size-checked, body read) with the engine: an
    /// [`HttpRequest`](crate::HttpRequest), or the [`EndpointRequest`] an adapter made
    /// from its framework's request.
    pub async fn respond<'a>(
        self,
        engine: &Engine,
        handler: &dyn InteractionHandler,
        request: impl Into<EndpointRequest<'a>>,
    ) -> HttpResponse {
        self.answer(engine, handler, &request.into()).await
    }

    async fn answer(
        self,
        engine: &Engine,
        handler: &dyn InteractionHandler,
        request: &EndpointRequest<'_>,
    ) -> HttpResponse {
        if !self.reads_body() && request.method() != Method::GET {
            let mut response =
                invalid_request(StatusCode::METHOD_NOT_ALLOWED, "the endpoint requires GET");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET"));
            return response;
        }
        match self {
            Self::Authorize => {
                engine
                    .authorize(request.query().unwrap_or(""), handler)
                    .await
            }
            Self::Token => engine.answer_token(request).await,
            Self::Revoke => engine.answer_revocation(request).await,
            Self::Introspect => engine.answer_introspection(request).await,
            Self::Metadata => engine.metadata_response(),
            Self::Jwks => engine.jwks_response().unwrap_or_else(|| {
                invalid_request(StatusCode::NOT_FOUND, "no JWKS: access tokens are opaque")
            }),
        }
    }
}

/// The bearer check of a resource route: a live token carrying every required scope.
#[derive(Debug, Clone)]
pub struct ScopeGate {
    engine: Engine,
    required: Option<Scope>,
    realm: String,
}

impl ScopeGate {
    /// A gate requiring `scopes` (space-separated; empty means any valid token). A
    /// malformed `scopes` fails closed: every request is answered `500`.
    pub fn new(engine: Engine, scopes: &str, realm: &str) -> Self {
        let required = if scopes.is_empty() {
            Some(Scope::default())
        } else {
            Scope::parse(scopes).ok()
        };
        if required.is_none() {
            tracing::error!(
                scopes,
                "require_scopes: malformed scope, refusing every request"
            );
        }
        Self {
            engine,
            required,
            realm: realm.to_owned(),
        }
    }

    /// The realm of the gate's challenges.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The grant of the request's bearer token, or the RFC 6750 §3 response refusing it.
    pub async fn check(&self, headers: &HeaderMap) -> Result<BearerGrant, HttpResponse> {
        self.check_header(HeaderField::of(headers, &AUTHORIZATION))
            .await
    }

    /// [`check`](Self::check) given only the values of the request's `Authorization`
    /// header, for an adapter whose framework has its own header types.
    pub async fn check_header(
        &self,
        authorization: HeaderField<'_>,
    ) -> Result<BearerGrant, HttpResponse> {
        let Some(required) = &self.required else {
            let body = ErrorResponse::new(ErrorCode::ServerError);
            return Err(response::json(StatusCode::INTERNAL_SERVER_ERROR, &body));
        };
        self.engine
            .authenticate_bearer_header(authorization, required)
            .await
            .map_err(|e| e.to_response(&self.realm))
    }

    /// The response for a handler that asks for a grant no gate stored: `401 invalid_token`.
    pub fn missing_grant(realm: &str) -> HttpResponse {
        BearerError::InvalidToken.to_response(realm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_before_the_body() {
        let options = AdapterOptions::default();
        let mut headers = HeaderMap::new();
        assert!(options.refuse_head(Some("a=b"), &headers).is_none());
        let long = "a".repeat(options.max_query_bytes + 1);
        let refused = options.refuse_head(Some(&long), &headers);
        assert_eq!(refused.map(|r| r.status()), Some(StatusCode::URI_TOO_LONG));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(10_000_000_u64));
        let refused = options.refuse_head(None, &headers);
        assert_eq!(
            refused.map(|r| r.status()),
            Some(StatusCode::PAYLOAD_TOO_LARGE)
        );
    }

    #[test]
    fn too_large_body_says_so_in_json() {
        let response = AdapterOptions::body_too_large();
        assert_eq!(
            response.body().as_ref(),
            br#"{"error":"invalid_request","error_description":"request body too large"}"#
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
}
