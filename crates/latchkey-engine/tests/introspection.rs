//! The introspection endpoint (RFC 7662).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use http::StatusCode;
use latchkey_engine::acr;
use serde_json::{json, Value};
use time::Duration;

const EPOCH_2030: i64 = 1_893_456_000;

#[tokio::test]
async fn public_client_may_not_introspect_rfc7662_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let r = fx.introspect_as(&tokens.access, Auth::Public(NATIVE)).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(r.headers().contains_key(WWW_AUTHENTICATE));
    let r = fx.introspect_as(&tokens.access, Auth::Nothing).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn active_access_token_fields_rfc7662_2_2() {
    let fx = fixture();
    let req = AuthRequest::wallet().scope(Some("balance:read trade"));
    let tokens = fx
        .tokens_for(&req, "balance:read trade", acr::STRONG, WALLET_BASIC)
        .await;
    let r = fx.introspect_as(&tokens.access, WALLET_BASIC).await;
    assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    let body = body_json(&r);
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], "balance:read trade");
    assert_eq!(body["client_id"], WALLET);
    assert_eq!(body["sub"], ALICE);
    assert_eq!(body["iat"], EPOCH_2030);
    assert_eq!(body["exp"], EPOCH_2030 + 600);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["acr"], acr::STRONG);
    assert_eq!(body["iss"], ISSUER);
}

#[tokio::test]
async fn another_resource_server_may_introspect_rfc7662_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let body = body_json(&fx.introspect_as(&tokens.access, OTHER_BASIC).await);
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], WALLET);
}

#[tokio::test]
async fn active_refresh_token_fields_rfc7662_2_2() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let body = fx.introspect(tokens.refresh()).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "refresh_token");
    assert_eq!(body["client_id"], WALLET);
    assert_eq!(body["scope"], "balance:read");
}

async fn assert_exactly_inactive(fx: &Fixture, token: &str) {
    let r = fx.introspect_as(token, WALLET_BASIC).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body_text(&r), r#"{"active":false}"#);
    assert_eq!(body_json(&r), json!({"active": false}));
}

#[tokio::test]
async fn unknown_token_is_exactly_inactive_rfc7662_2_2() {
    let fx = fixture();
    assert_exactly_inactive(&fx, "never-issued-token").await;
    assert_exactly_inactive(&fx, "a.b.c").await;
}

#[tokio::test]
async fn expired_token_is_exactly_inactive_rfc7662_2_2() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    fx.clock.advance(Duration::minutes(10));
    assert_exactly_inactive(&fx, &tokens.access).await;
}

#[tokio::test]
async fn revoked_token_is_exactly_inactive_rfc7662_2_2() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    fx.revoke(&tokens.access, None, WALLET_BASIC).await;
    assert_exactly_inactive(&fx, &tokens.access).await;
    fx.revoke(tokens.refresh(), None, WALLET_BASIC).await;
    assert_exactly_inactive(&fx, tokens.refresh()).await;
}

#[tokio::test]
async fn rotated_out_refresh_token_is_exactly_inactive_rfc7662_2_2() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    assert_exactly_inactive(&fx, tokens.refresh()).await;
    // Introspecting it is not a replay: the grant lives on.
    assert_eq!(fx.count("refresh_replay_detected"), 0);
}

#[tokio::test]
async fn hint_does_not_hide_the_token_rfc7662_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let r = fx
        .engine
        .introspect(&form_post(
            "https://auth.bank.example/introspect",
            &[
                ("token", tokens.access.as_str()),
                ("token_type_hint", "refresh_token"),
            ],
            WALLET_BASIC,
        ))
        .await;
    assert_eq!(body_json(&r)["active"], Value::Bool(true));
}

#[tokio::test]
async fn client_credentials_token_names_the_client_as_subject_rfc7662_2_2() {
    let fx = fixture();
    let request = form_post(
        "https://auth.bank.example/token",
        &[
            ("grant_type", "client_credentials"),
            ("scope", "balance:read"),
        ],
        WALLET_BASIC,
    );
    let tokens = Tokens::from_response(&fx.token(&request).await);
    let body = body_json(&fx.introspect_as(&tokens.access, OTHER_BASIC).await);
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], WALLET);
    // No resource owner: the token acts for the client itself.
    assert_eq!(body["sub"], WALLET);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("acr").is_none(), "{body}");
}
