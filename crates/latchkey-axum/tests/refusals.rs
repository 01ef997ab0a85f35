//! Refusals the shared scenario cannot express: a handler asking for a grant no layer
//! stored, and a malformed required scope, which fails closed.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use http::Request;
use latchkey_axum::{require_scopes, Authenticated};
use latchkey_engine::{Engine, MemoryStore};
use tower::ServiceExt;

fn engine() -> Engine {
    Engine::builder("https://auth.example", Arc::new(MemoryStore::new()))
        .build()
        .unwrap()
}

async fn whoami(Authenticated(grant): Authenticated) -> String {
    grant.client_id.as_str().to_owned()
}

fn me() -> Request<Body> {
    Request::get("/me")
        .header("authorization", "Bearer abc")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn authenticated_without_layer_is_401() {
    let app = Router::new().route("/me", get(whoami));
    let response = app.oneshot(me()).await.unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with(r#"Bearer realm="latchkey""#));
}

#[tokio::test]
async fn a_malformed_required_scope_refuses_everything() {
    let app = Router::new()
        .route("/me", get(whoami))
        .route_layer(require_scopes(engine(), "bad\"scope", "demo"));
    let response = app.oneshot(me()).await.unwrap();
    assert_eq!(response.status(), 500);
}
