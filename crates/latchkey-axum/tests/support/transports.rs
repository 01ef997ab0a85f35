//! The demo app of the shared scenario, built once per framework: the OAuth routes at
//! the root, `/api/balance` requiring `balance:read` and `/api/transfer` requiring
//! `balance:write`, both in realm `demo`.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use latchkey_engine::adapter::AdapterOptions;
use latchkey_engine::{Engine, RedirectToLogin};

use super::scenario::{Transport, LOGIN_URL};

fn login() -> Arc<RedirectToLogin> {
    Arc::new(RedirectToLogin {
        login_url: LOGIN_URL.to_owned(),
    })
}

/// Sends through `latchkey_axum::router`.
pub(crate) struct Axum;

async fn axum_balance(latchkey_axum::Authenticated(grant): latchkey_axum::Authenticated) -> String {
    format!(
        "balance of {}",
        grant.subject.map(|s| s.to_string()).unwrap_or_default()
    )
}

impl Transport for Axum {
    async fn send(&self, engine: &Engine, request: Request<Bytes>) -> Response<Bytes> {
        use axum::routing::get;
        use tower::ServiceExt;
        let balance = axum::Router::new()
            .route("/api/balance", get(axum_balance))
            .route_layer(latchkey_axum::require_scopes(
                engine.clone(),
                "balance:read",
                "demo",
            ));
        let transfer = axum::Router::new()
            .route("/api/transfer", get(axum_balance))
            .route_layer(latchkey_axum::require_scopes(
                engine.clone(),
                "balance:write",
                "demo",
            ));
        let app = latchkey_axum::router(engine.clone(), login(), AdapterOptions::default())
            .merge(balance)
            .merge(transfer);
        let response = app
            .oneshot(request.map(axum::body::Body::from))
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        Response::from_parts(parts, body)
    }
}

/// Sends through `latchkey_actix::configure`.
pub(crate) struct Actix;

async fn actix_balance(
    latchkey_actix::Authenticated(grant): latchkey_actix::Authenticated,
) -> String {
    format!(
        "balance of {}",
        grant.subject.map(|s| s.to_string()).unwrap_or_default()
    )
}

impl Transport for Actix {
    async fn send(&self, engine: &Engine, request: Request<Bytes>) -> Response<Bytes> {
        use actix_web::{test, web, App};
        let oauth = latchkey_actix::configure(engine.clone(), login(), AdapterOptions::default());
        let app = test::init_service(
            App::new()
                .configure(oauth)
                .service(
                    web::resource("/api/balance")
                        .wrap(latchkey_actix::RequireScopes::new(
                            engine.clone(),
                            "balance:read",
                            "demo",
                        ))
                        .route(web::get().to(actix_balance)),
                )
                .service(
                    web::resource("/api/transfer")
                        .wrap(latchkey_actix::RequireScopes::new(
                            engine.clone(),
                            "balance:write",
                            "demo",
                        ))
                        .route(web::get().to(actix_balance)),
                ),
        )
        .await;
        let (parts, body) = request.into_parts();
        let method = actix_web::http::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
        let mut test_request = test::TestRequest::default()
            .method(method)
            .uri(&parts.uri.to_string());
        for (name, value) in &parts.headers {
            test_request = test_request.append_header((name.as_str(), value.to_str().unwrap()));
        }
        if !body.is_empty() {
            test_request = test_request.set_payload(body);
        }
        let response = test::call_service(&app, test_request.to_request()).await;
        let mut out = Response::builder().status(response.status().as_u16());
        for (name, value) in response.headers() {
            out = out.header(name.as_str(), value.as_bytes());
        }
        let body = test::read_body(response).await;
        out.body(body).unwrap()
    }
}
