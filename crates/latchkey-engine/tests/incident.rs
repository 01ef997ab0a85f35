//! Incident response: revoke everything a client or a subject holds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http::StatusCode;
use latchkey_engine::acr;
use latchkey_engine::events::Event;
use latchkey_engine::Subject;

#[tokio::test]
async fn revoke_client_kills_all_its_tokens_and_unredeemed_codes() {
    let fx = fixture();
    let a = fx.wallet_tokens().await;
    let b = fx.wallet_tokens().await;
    let cc = Tokens::from_response(
        &fx.token(&form_post(
            "https://auth.bank.example/token",
            &[
                ("grant_type", "client_credentials"),
                ("scope", "balance:read"),
            ],
            WALLET_BASIC,
        ))
        .await,
    );
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let bystander = fx
        .tokens_for(
            &AuthRequest::new(OTHER, OTHER_REDIRECT),
            "balance:read",
            acr::SINGLE_FACTOR,
            OTHER_BASIC,
        )
        .await;

    let revoked = fx.engine.revoke_client(&cid(WALLET)).await.unwrap();
    assert_eq!(revoked, 3);

    for token in [
        a.access.as_str(),
        a.refresh(),
        b.access.as_str(),
        b.refresh(),
        cc.access.as_str(),
    ] {
        assert!(!fx.is_active(token).await);
    }
    let r = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        fx.is_active(&bystander.access).await,
        "other clients untouched"
    );
    let last = fx
        .events
        .events()
        .into_iter()
        .rev()
        .find(|e| e.name() == "client_revoked");
    match last {
        Some(Event::ClientRevoked { client_id, grants }) => {
            assert_eq!(client_id.as_str(), WALLET);
            assert_eq!(grants, 3);
        }
        other => panic!("expected client_revoked, got {other:?}"),
    }
    // The client itself still works for new grants (removing it is the integrator's job).
    fx.wallet_tokens().await;
}

#[tokio::test]
async fn revoke_subject_kills_all_its_grants_across_clients() {
    let fx = fixture();
    let wallet = fx.wallet_tokens().await;
    let native = fx
        .tokens_for(
            &AuthRequest::native(),
            "balance:read",
            acr::SINGLE_FACTOR,
            Auth::Public(NATIVE),
        )
        .await;
    let req = AuthRequest::wallet();
    let pending_code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    // bob's grant must survive.
    let bob_req = AuthRequest::wallet();
    let pending = fx.pending(&bob_req).await;
    let response = fx
        .finish(
            &pending.id,
            approve_as("bob", "balance:read", acr::SINGLE_FACTOR),
        )
        .await;
    let bob_code = location_params(&response)["code"].clone();
    let bob = Tokens::from_response(
        &fx.token(&Fixture::code_request(&bob_req, &bob_code, WALLET_BASIC))
            .await,
    );

    let revoked = fx
        .engine
        .revoke_subject(&Subject::new(ALICE).unwrap())
        .await
        .unwrap();
    assert_eq!(revoked, 2);
    for token in [
        wallet.access.as_str(),
        wallet.refresh(),
        native.access.as_str(),
        native.refresh(),
    ] {
        assert!(!fx.is_active(token).await);
    }
    let r = fx
        .token(&Fixture::code_request(&req, &pending_code, WALLET_BASIC))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(fx.is_active(&bob.access).await);
    assert!(fx.names().contains(&"subject_revoked"));
    assert!(fx.events.events().iter().any(|e| matches!(
        e,
        Event::SubjectRevoked { subject, grants: 2 } if subject.as_str() == ALICE
    )));
}

#[tokio::test]
async fn purge_keeps_replay_detection_within_window() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let tokens = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    fx.clock.advance(time::Duration::hours(1));
    fx.engine.purge_expired().await.unwrap();
    let replay = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_error(&replay, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(fx.count("code_replay_detected"), 1);
    // The refresh token (still within its lifetime) died with the grant.
    assert!(!fx.is_active(tokens.refresh()).await);
}
