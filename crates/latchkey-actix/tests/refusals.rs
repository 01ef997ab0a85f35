//! Refusals the shared scenario cannot express: a body over the limit that declares no
//! `Content-Length`, and a handler asking for a grant no middleware stored.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{test, web, App};
use latchkey_actix::{AdapterOptions, Authenticated};
use latchkey_engine::{Engine, MemoryStore, RedirectToLogin};

fn engine() -> Engine {
    Engine::builder("https://auth.example", Arc::new(MemoryStore::new()))
        .build()
        .unwrap()
}

async fn whoami(Authenticated(grant): Authenticated) -> String {
    grant.client_id.as_str().to_owned()
}

#[actix_web::test]
async fn an_undeclared_oversized_body_is_413() {
    let login = Arc::new(RedirectToLogin {
        login_url: "/login".into(),
    });
    let options = AdapterOptions::default();
    let app = test::init_service(App::new().configure(latchkey_actix::configure(
        engine(),
        login,
        options.clone(),
    )))
    .await;
    let mut req = test::TestRequest::post()
        .uri("/token")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(vec![b'a'; options.max_body_bytes + 1])
        .to_request();
    req.headers_mut().remove(CONTENT_LENGTH);
    let response = test::call_service(&app, req).await;
    assert_eq!(response.status(), 413);
    let body = test::read_body(response).await;
    assert_eq!(
        body.as_ref(),
        br#"{"error":"invalid_request","error_description":"request body too large"}"#
    );
}

#[actix_web::test]
async fn authenticated_without_middleware_is_401() {
    let app = test::init_service(App::new().route("/me", web::get().to(whoami))).await;
    let response = test::call_service(&app, test::TestRequest::get().uri("/me").to_request()).await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers().get("www-authenticate").unwrap();
    assert!(challenge
        .to_str()
        .unwrap()
        .starts_with(r#"Bearer realm="latchkey""#));
}
