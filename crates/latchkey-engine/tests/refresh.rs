//! The refresh token grant (RFC 6749 §6) with rotation and replay revocation
//! (RFC 9700 §4.14.2), and the client credentials grant (RFC 6749 §4.4).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http::StatusCode;
use latchkey_engine::acr;
use latchkey_engine::clock::Clock;
use latchkey_engine::events::Event;
use time::Duration;

const TOKEN_URI: &str = "https://auth.bank.example/token";

/// Tokens for the wallet with `balance:read trade` at SCA.
async fn wide_tokens(fx: &Fixture) -> Tokens {
    let req = AuthRequest::wallet().scope(Some("balance:read trade"));
    fx.tokens_for(&req, "balance:read trade", acr::STRONG, WALLET_BASIC)
        .await
}

#[tokio::test]
async fn refresh_rotation_returns_new_refresh_token_rfc9700_4_14_2() {
    let fx = fixture();
    let first = fx.wallet_tokens().await;
    let second = Tokens::from_response(&fx.refresh(first.refresh(), None, WALLET_BASIC).await);
    assert_ne!(second.refresh(), first.refresh());
    assert_ne!(second.access, first.access);
    assert_eq!(second.scope, "balance:read");
    assert_eq!(second.body["token_type"], "Bearer");
    // The old refresh token is retired, the new one is live; the earlier access token
    // lives out its own lifetime.
    assert!(!fx.is_active(first.refresh()).await);
    assert!(fx.is_active(second.refresh()).await);
    assert!(fx.is_active(&second.access).await);
    assert!(fx.is_active(&first.access).await);
    let third = Tokens::from_response(&fx.refresh(second.refresh(), None, WALLET_BASIC).await);
    assert!(fx.is_active(third.refresh()).await);
}

#[tokio::test]
async fn refresh_replay_revokes_whole_grant_rfc9700_4_14_2() {
    let fx = fixture();
    let first = fx.wallet_tokens().await;
    let second = Tokens::from_response(&fx.refresh(first.refresh(), None, WALLET_BASIC).await);
    let third = Tokens::from_response(&fx.refresh(second.refresh(), None, WALLET_BASIC).await);

    let replay = fx.refresh(first.refresh(), None, WALLET_BASIC).await;
    assert_error(&replay, StatusCode::BAD_REQUEST, "invalid_grant");

    for token in [
        first.access.as_str(),
        second.access.as_str(),
        third.access.as_str(),
        third.refresh(),
    ] {
        assert!(!fx.is_active(token).await);
    }
    assert!(fx.bearer(&third.access, "balance:read").await.is_err());
    let after = fx.refresh(third.refresh(), None, WALLET_BASIC).await;
    assert_error(&after, StatusCode::BAD_REQUEST, "invalid_grant");
    let replayed = fx
        .events
        .events()
        .into_iter()
        .find(|e| matches!(e, Event::RefreshReplayDetected { .. }))
        .expect("refresh_replay_detected");
    assert!(replayed.is_alert());
}

#[tokio::test]
async fn refresh_scope_narrowing_allowed_rfc6749_6() {
    let fx = fixture();
    let tokens = wide_tokens(&fx).await;
    let narrow = Tokens::from_response(
        &fx.refresh(tokens.refresh(), Some("balance:read"), WALLET_BASIC)
            .await,
    );
    assert_eq!(narrow.scope, "balance:read");
    assert!(fx.bearer(&narrow.access, "balance:read").await.is_ok());
    assert!(matches!(
        fx.bearer(&narrow.access, "trade").await,
        Err(latchkey_engine::BearerError::InsufficientScope(_))
    ));
    // The grant keeps its full scope: the next refresh may ask for it again.
    let full = Tokens::from_response(&fx.refresh(narrow.refresh(), None, WALLET_BASIC).await);
    assert_eq!(full.scope, "balance:read trade");
}

#[tokio::test]
async fn refresh_scope_widening_is_invalid_scope_rfc6749_6() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let wider = fx
        .refresh(
            tokens.refresh(),
            Some("balance:read withdraw"),
            WALLET_BASIC,
        )
        .await;
    assert_error(&wider, StatusCode::BAD_REQUEST, "invalid_scope");
    // The refused request did not use up the refresh token.
    Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    assert_eq!(fx.count("refresh_replay_detected"), 0);
}

#[tokio::test]
async fn other_clients_refresh_token_is_invalid_grant_and_does_not_revoke_rfc6749_6() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let stolen = fx.refresh(tokens.refresh(), None, OTHER_BASIC).await;
    assert_error(&stolen, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(fx.is_active(&tokens.access).await);
    assert!(fx.is_active(tokens.refresh()).await);
    assert_eq!(fx.count("refresh_replay_detected"), 0);
    // The owner can still use it.
    Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
}

#[tokio::test]
async fn public_client_refresh_is_bound_to_client_id_rfc9700_4_14_2() {
    let fx = fixture();
    let req = AuthRequest::native();
    let tokens = fx
        .tokens_for(
            &req,
            "balance:read",
            acr::SINGLE_FACTOR,
            Auth::Public(NATIVE),
        )
        .await;
    let stolen = fx.refresh(tokens.refresh(), None, WALLET_BASIC).await;
    assert_error(&stolen, StatusCode::BAD_REQUEST, "invalid_grant");
    let rotated = Tokens::from_response(
        &fx.refresh(tokens.refresh(), None, Auth::Public(NATIVE))
            .await,
    );
    // A public client's refresh token is rotated too.
    assert_ne!(rotated.refresh(), tokens.refresh());
    let replay = fx
        .refresh(tokens.refresh(), None, Auth::Public(NATIVE))
        .await;
    assert_error(&replay, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(!fx.is_active(rotated.refresh()).await);
}

#[tokio::test]
async fn unknown_refresh_token_is_invalid_grant_rfc6749_5_2() {
    let fx = fixture();
    let r = fx
        .refresh("no-such-refresh-token", None, WALLET_BASIC)
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn access_token_is_not_a_refresh_token_rfc6749_6() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let r = fx.refresh(&tokens.access, None, WALLET_BASIC).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn refresh_idle_expiry_rfc9700_4_14_2() {
    let fx = Fixture::builder()
        .policy(|p| {
            p.refresh_ttl(Duration::hours(3), Duration::hours(1))
                .unwrap()
        })
        .build();
    let tokens = fx.wallet_tokens().await;
    fx.clock.advance(Duration::minutes(59));
    let next = Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    // Each rotation restarts the idle timer...
    fx.clock.advance(Duration::minutes(59));
    let next = Tokens::from_response(&fx.refresh(next.refresh(), None, WALLET_BASIC).await);
    // ...but an unused token dies after the idle period.
    fx.clock.advance(Duration::minutes(61));
    let r = fx.refresh(next.refresh(), None, WALLET_BASIC).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(!fx.is_active(next.refresh()).await);
}

#[tokio::test]
async fn refresh_absolute_expiry_rfc9700_4_14_2() {
    let fx = Fixture::builder()
        .policy(|p| {
            p.refresh_ttl(Duration::hours(3), Duration::hours(1))
                .unwrap()
        })
        .build();
    let mut tokens = fx.wallet_tokens().await;
    // Keep it busy: every 50 minutes, for 2 h 30 min.
    for _ in 0..3 {
        fx.clock.advance(Duration::minutes(50));
        tokens = Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    }
    // At 2 h 30 the newest token would idle-expire at 3 h 30, but the grant ends at 3 h.
    fx.clock.advance(Duration::minutes(29));
    assert!(fx.is_active(tokens.refresh()).await);
    fx.clock.advance(Duration::minutes(1));
    let r = fx.refresh(tokens.refresh(), None, WALLET_BASIC).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
}

/// The first refresh token, stored when the code is redeemed, ends at the grant's
/// absolute lifetime (counted from the approval) when that comes before its idle end
/// (counted from the token request).
#[tokio::test]
async fn first_refresh_token_ends_with_the_grant_lifetime_rfc9700_4_14_2() {
    let fx = Fixture::builder()
        .policy(|p| {
            p.refresh_ttl(Duration::hours(1), Duration::hours(1))
                .unwrap()
        })
        .build();
    let approved_at = fx.clock.now();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    fx.clock.advance(Duration::seconds(30));
    let tokens = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    let body = fx.introspect(tokens.refresh()).await;
    assert_eq!(body["active"], true);
    assert_eq!(
        body["iat"],
        (approved_at + Duration::seconds(30)).unix_timestamp()
    );
    assert_eq!(
        body["exp"],
        (approved_at + Duration::hours(1)).unix_timestamp()
    );
    fx.clock.advance(Duration::minutes(59));
    assert!(fx.is_active(tokens.refresh()).await);
    fx.clock.advance(Duration::seconds(30));
    assert!(!fx.is_active(tokens.refresh()).await);
    let r = fx.refresh(tokens.refresh(), None, WALLET_BASIC).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn access_token_expires_with_the_clock_rfc6749_5_1() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    fx.clock
        .advance(Duration::minutes(10) - Duration::seconds(1));
    assert!(fx.bearer(&tokens.access, "balance:read").await.is_ok());
    fx.clock.advance(Duration::seconds(1));
    assert_eq!(
        fx.bearer(&tokens.access, "balance:read").await.unwrap_err(),
        latchkey_engine::BearerError::InvalidToken
    );
    assert!(!fx.is_active(&tokens.access).await);
    // The refresh token outlives it and gets a fresh one.
    let next = Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    assert!(fx.bearer(&next.access, "balance:read").await.is_ok());
}

#[tokio::test]
async fn refreshed_tokens_keep_subject_and_acr() {
    let fx = fixture();
    let tokens = wide_tokens(&fx).await;
    let next = Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    let grant = fx.bearer(&next.access, "trade").await.unwrap();
    assert_eq!(grant.subject.unwrap().as_str(), ALICE);
    assert_eq!(grant.acr.as_deref(), Some(acr::STRONG));
}

// ---------------------------------------------------------------- client credentials

fn cc(auth: Auth<'_>, scope_: Option<&str>) -> http::Request<bytes::Bytes> {
    let mut params = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope_ {
        params.push(("scope", s));
    }
    form_post(TOKEN_URI, &params, auth)
}

#[tokio::test]
async fn client_credentials_confidential_ok_without_refresh_token_rfc6749_4_4_3() {
    let fx = fixture();
    let response = fx.token(&cc(WALLET_BASIC, Some("balance:read"))).await;
    let tokens = Tokens::from_response(&response);
    assert!(tokens.refresh.is_none());
    assert!(tokens.body.get("refresh_token").is_none());
    assert_eq!(tokens.scope, "balance:read");
    let grant = fx.bearer(&tokens.access, "balance:read").await.unwrap();
    assert!(grant.subject.is_none());
    assert_eq!(grant.client_id.as_str(), WALLET);
    let intro = fx.introspect(&tokens.access).await;
    assert_eq!(intro["sub"], WALLET);
    assert_eq!(intro["client_id"], WALLET);
}

#[tokio::test]
async fn client_credentials_public_client_is_unauthorized_client_rfc6749_4_4() {
    let fx = fixture();
    // A public client even registered for the grant may not use it.
    fx.store.put_client(client(
        "spa",
        None,
        &["https://spa.example/cb"],
        "balance:read",
        &ALL_GRANTS,
    ));
    let r = fx
        .token(&cc(Auth::Public("spa"), Some("balance:read")))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "unauthorized_client");
    let r = fx
        .token(&cc(Auth::Public(NATIVE), Some("balance:read")))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "unauthorized_client");
}

#[tokio::test]
async fn client_credentials_scope_needing_user_acr_is_invalid_scope() {
    let fx = fixture();
    for s in ["withdraw", "balance:read trade"] {
        let r = fx.token(&cc(WALLET_BASIC, Some(s))).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "invalid_scope");
    }
    // The default (the client's whole registration) contains them too.
    let r = fx.token(&cc(WALLET_BASIC, None)).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_scope");
}

#[tokio::test]
async fn client_credentials_scope_outside_registration_is_invalid_scope_rfc6749_4_4_2() {
    let fx = fixture();
    let r = fx.token(&cc(WALLET_BASIC, Some("admin"))).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_scope");
}
