//! Protecting resource routes with bearer tokens (RFC 6750): the [`RequireScopes`]
//! middleware validates the token and stores its [`BearerGrant`] in the request's
//! extensions, where handlers read it with the [`Authenticated`] extractor.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{FromRequest, HttpMessage};
use latchkey_engine::adapter::{AdapterOptions, ScopeGate};
use latchkey_engine::{BearerGrant, Engine};

use crate::convert::{header_field, into_response, refusal};

/// Middleware refusing requests without a live bearer token carrying the required
/// scopes (`401`/`403` with the RFC 6750 `WWW-Authenticate` challenge) and handing the
/// [`BearerGrant`] to the wrapped service otherwise:
/// `.wrap(RequireScopes::new(engine.clone(), "balance:read", "bank"))`.
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

impl<S, B> Transform<S, ServiceRequest> for RequireScopes
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = RequireScopesMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireScopesMiddleware {
            service: Rc::new(service),
            gate: Arc::clone(&self.gate),
        }))
    }
}

/// The service [`RequireScopes`] wraps around a resource or scope.
#[derive(Debug)]
pub struct RequireScopesMiddleware<S> {
    service: Rc<S>,
    gate: Arc<ScopeGate>,
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for RequireScopesMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let gate = Arc::clone(&self.gate);
        Box::pin(async move {
            let authorization = header_field(req.request(), actix_web::http::header::AUTHORIZATION);
            match gate.check_header(authorization).await {
                Ok(grant) => {
                    req.extensions_mut().insert(grant);
                    Ok(service.call(req).await?.map_into_left_body())
                }
                Err(refused) => Ok(req.into_response(into_response(refused).map_into_right_body())),
            }
        })
    }
}

/// The bearer grant of a request that passed [`RequireScopes`]. Without the middleware
/// the extractor refuses the request with `401 invalid_token` (realm `latchkey`).
#[derive(Debug, Clone)]
pub struct Authenticated(pub BearerGrant);

impl FromRequest for Authenticated {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(match req.extensions().get::<BearerGrant>() {
            Some(grant) => Ok(Self(grant.clone())),
            None => Err(refusal(ScopeGate::missing_grant(
                &AdapterOptions::default().realm,
            ))),
        })
    }
}
