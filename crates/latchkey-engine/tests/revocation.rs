//! The revocation endpoint (RFC 7009).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http::header::CACHE_CONTROL;
use http::StatusCode;
use latchkey_engine::events::{Event, TokenKind};

#[tokio::test]
async fn unknown_token_is_200_rfc7009_2_2() {
    let fx = fixture();
    let r = fx
        .revoke("no-such-token-anywhere", None, WALLET_BASIC)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.body().is_empty());
    assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    assert!(fx.names().is_empty());
}

#[tokio::test]
async fn revoking_access_token_kills_only_it_rfc7009_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let r = fx
        .revoke(&tokens.access, Some("access_token"), WALLET_BASIC)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!fx.is_active(&tokens.access).await);
    assert!(fx.bearer(&tokens.access, "balance:read").await.is_err());
    assert!(fx.is_active(tokens.refresh()).await);
    let next = Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    assert!(fx.bearer(&next.access, "balance:read").await.is_ok());
    assert!(fx.events.events().iter().any(|e| matches!(
        e,
        Event::TokenRevoked {
            kind: TokenKind::Access,
            ..
        }
    )));
}

#[tokio::test]
async fn revoking_refresh_token_kills_the_grants_access_tokens_rfc7009_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let next = Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    let r = fx
        .revoke(next.refresh(), Some("refresh_token"), WALLET_BASIC)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for token in [tokens.access.as_str(), next.access.as_str(), next.refresh()] {
        assert!(!fx.is_active(token).await);
    }
    let r = fx.refresh(next.refresh(), None, WALLET_BASIC).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn wrong_hint_still_revokes_rfc7009_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let r = fx
        .revoke(&tokens.access, Some("refresh_token"), WALLET_BASIC)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!fx.is_active(&tokens.access).await);

    let tokens = fx.wallet_tokens().await;
    let r = fx
        .revoke(tokens.refresh(), Some("access_token"), WALLET_BASIC)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!fx.is_active(tokens.refresh()).await);
    assert!(!fx.is_active(&tokens.access).await);

    // An unknown hint value is ignored (RFC 7009 §2.1 lets servers ignore hints).
    let tokens = fx.wallet_tokens().await;
    let r = fx
        .revoke(&tokens.access, Some("id_token"), WALLET_BASIC)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!fx.is_active(&tokens.access).await);
}

#[tokio::test]
async fn other_clients_token_is_refused_and_stays_active_rfc7009_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    for token in [tokens.access.as_str(), tokens.refresh()] {
        let r = fx.revoke(token, None, OTHER_BASIC).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "unauthorized_client");
        assert!(fx.is_active(token).await);
    }
    assert!(fx.names().iter().all(|n| *n != "token_revoked"));
}

#[tokio::test]
async fn revocation_requires_client_authentication_rfc7009_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let r = fx
        .revoke(
            &tokens.access,
            None,
            Auth::Basic(WALLET, "wrong-secret-0000"),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(r.headers().contains_key(http::header::WWW_AUTHENTICATE));
    let r = fx.revoke(&tokens.access, None, Auth::Nothing).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(fx.is_active(&tokens.access).await);
}

#[tokio::test]
async fn public_client_may_revoke_its_own_tokens_rfc7009_2_1() {
    let fx = fixture();
    let req = AuthRequest::native();
    let tokens = fx
        .tokens_for(
            &req,
            "balance:read",
            latchkey_engine::acr::SINGLE_FACTOR,
            Auth::Public(NATIVE),
        )
        .await;
    let r = fx
        .revoke(tokens.refresh(), None, Auth::Public(NATIVE))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!fx.is_active(&tokens.access).await);
}

#[tokio::test]
async fn revoking_twice_is_fine_rfc7009_2_2() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    for _ in 0..2 {
        let r = fx.revoke(tokens.refresh(), None, WALLET_BASIC).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn revocation_requires_form_post_rfc7009_2_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let mut request = form_post(
        "https://auth.bank.example/revoke",
        &[("token", tokens.access.as_str())],
        WALLET_BASIC,
    );
    *request.method_mut() = http::Method::GET;
    assert_error(
        &fx.engine.revoke(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(fx.is_active(&tokens.access).await);
}
