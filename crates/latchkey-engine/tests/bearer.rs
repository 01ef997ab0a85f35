//! Bearer token validation for resource servers (RFC 6750).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};
use latchkey_engine::types::Scope;
use latchkey_engine::{acr, BearerError};

#[tokio::test]
async fn missing_token_is_401_bare_challenge_rfc6750_3_1() {
    let fx = fixture();
    let err = fx
        .engine
        .authenticate_bearer(&HeaderMap::new(), &scope("balance:read"))
        .await
        .unwrap_err();
    assert_eq!(err, BearerError::Missing);
    let r = err.to_response("bank-api");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert_eq!(challenge, "Bearer realm=\"bank-api\"");
    assert!(!challenge.contains("error"));
}

#[tokio::test]
async fn other_scheme_is_treated_as_missing_rfc6750_3_1() {
    let fx = fixture();
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, "Basic d2FsbGV0OnNlY3JldA==".parse().unwrap());
    let err = fx
        .engine
        .authenticate_bearer(&headers, &Scope::empty())
        .await
        .unwrap_err();
    assert_eq!(err, BearerError::Missing);
}

#[tokio::test]
async fn bad_token_is_401_invalid_token_rfc6750_3_1() {
    let fx = fixture();
    let err = fx.bearer("not-a-token", "balance:read").await.unwrap_err();
    assert_eq!(err, BearerError::InvalidToken);
    let r = err.to_response("bank-api");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
    assert_eq!(body_json(&r)["error"], "invalid_token");
}

#[tokio::test]
async fn malformed_header_is_400_invalid_request_rfc6750_3_1() {
    let fx = fixture();
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, "Bearer two words".parse().unwrap());
    let err = fx
        .engine
        .authenticate_bearer(&headers, &Scope::empty())
        .await
        .unwrap_err();
    assert_eq!(err, BearerError::InvalidRequest);
    assert_eq!(err.to_response("api").status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn refresh_token_is_not_a_bearer_token_rfc6750_2() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    assert_eq!(
        fx.bearer(tokens.refresh(), "").await.unwrap_err(),
        BearerError::InvalidToken
    );
}

#[tokio::test]
async fn missing_scope_is_403_insufficient_scope_naming_it_rfc6750_3_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let err = fx.bearer(&tokens.access, "withdraw").await.unwrap_err();
    assert_eq!(err, BearerError::InsufficientScope(scope("withdraw")));
    let r = err.to_response("bank-api");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let challenge = r.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.contains("error=\"insufficient_scope\""));
    assert!(challenge.contains("scope=\"withdraw\""));
}

#[tokio::test]
async fn valid_token_gives_bearer_grant_with_subject_and_acr_rfc6750_2_1() {
    let fx = fixture();
    let req = AuthRequest::wallet().scope(Some("balance:read withdraw"));
    let tokens = fx
        .tokens_for(&req, "balance:read withdraw", acr::STRONG, WALLET_BASIC)
        .await;
    let grant = fx
        .bearer(&tokens.access, "balance:read withdraw")
        .await
        .unwrap();
    assert_eq!(grant.subject.unwrap().as_str(), ALICE);
    assert_eq!(grant.acr.as_deref(), Some(acr::STRONG));
    assert_eq!(grant.client_id.as_str(), WALLET);
    assert_eq!(grant.scope, scope("balance:read withdraw"));
    // Lower-case scheme is accepted (the scheme is case-insensitive).
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        format!("bearer {}", tokens.access).parse().unwrap(),
    );
    assert!(fx
        .engine
        .authenticate_bearer(&headers, &scope("balance:read"))
        .await
        .is_ok());
}

#[tokio::test]
async fn tokens_only_from_the_authorization_header_rfc9700_4_3_2() {
    // The validator's only input is the header map: a token in the URI query or body
    // cannot be presented at all.
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        format!("access_token={}", tokens.access).parse().unwrap(),
    );
    headers.insert("x-access-token", tokens.access.parse().unwrap());
    assert_eq!(
        fx.engine
            .authenticate_bearer(&headers, &Scope::empty())
            .await
            .unwrap_err(),
        BearerError::Missing
    );
    // And the authorization response never carries a token (code flow only).
    let pending = fx.pending(&AuthRequest::wallet()).await;
    let response = fx
        .finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    let p = location_params(&response);
    assert!(!p.contains_key("access_token"));
    assert!(!location(&response).contains('#'));
}

#[tokio::test]
async fn repeated_authorization_header_is_invalid_request_rfc6750_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let mut headers = bearer_headers(&tokens.access);
    headers.append(
        AUTHORIZATION,
        format!("Bearer {}", tokens.access).parse().unwrap(),
    );
    assert_eq!(
        fx.engine
            .authenticate_bearer(&headers, &Scope::empty())
            .await
            .unwrap_err(),
        BearerError::InvalidRequest
    );
}
