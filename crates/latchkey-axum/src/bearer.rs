//! Protecting resource routes with bearer tokens (RFC 6750): the [`RequireScopes`] layer
//! validates the token and stores its [`BearerGrant`] in the request's extensions, where
//! handlers read it with the [`Authenticated`] extractor.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts, Request};
use axum::response::Response;
use http::request::Parts;
use latchkey_engine::adapter::{AdapterOptions, ScopeGate};
use latchkey_engine::{BearerGrant, Engine};
use tower::{Layer, Service};

use crate::convert::into_response;

/// A layer refusing requests without a live bearer token carrying the required scopes
/// (`401`/`403` with the RFC 6750 `WWW-Authenticate` challenge) and handing the
/// [`BearerGrant`] to the inner service otherwise. Build it with [`require_scopes`].
#[derive(Debug, Clone)]
pub struct RequireScopes {
    gate: Arc<ScopeGate>,
}

impl RequireScopes {
    /// Requires `scopes` (space-separated; empty: any valid token), challenging with `realm`.
    pub fn new(engine: Engine, scopes: &str, realm: &str) -> Self {
        Self {
            gate: Arc::new(ScopeGate::new(engine, scopes, realm)),
        }
    }
}

/// The layer for `.route_layer(...)`: see [`RequireScopes`].
pub fn require_scopes(engine: Engine, scopes: &str, realm: &str) -> RequireScopes {
    RequireScopes::new(engine, scopes, realm)
}

impl<S> Layer<S> for RequireScopes {
    type Service = RequireScopesService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireScopesService {
            gate: Arc::clone(&self.gate),
            inner,
        }
    }
}

/// The service [`RequireScopes`] wraps around a route.
#[derive(Debug, Clone)]
pub struct RequireScopesService<S> {
    gate: Arc<ScopeGate>,
    inner: S,
}

impl<S> Service<Request> for RequireScopesService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The clone is not ready; keep the instance poll_ready was called on.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let gate = Arc::clone(&self.gate);
        Box::pin(async move {
            match gate.check(request.headers()).await {
                Ok(grant) => {
                    request.extensions_mut().insert(grant);
                    inner.call(request).await
                }
                Err(refusal) => Ok(into_response(refusal)),
            }
        })
    }
}

/// The bearer grant of a request that passed [`RequireScopes`]. Without the layer the
/// extractor refuses the request with `401 invalid_token` (realm `latchkey`).
#[derive(Debug, Clone)]
pub struct Authenticated(pub BearerGrant);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        match parts.extensions.get::<BearerGrant>() {
            Some(grant) => Ok(Self(grant.clone())),
            None => Err(into_response(ScopeGate::missing_grant(
                &AdapterOptions::default().realm,
            ))),
        }
    }
}
