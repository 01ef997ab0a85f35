//! The authorization code grant's token request (RFC 6749 §4.1.3, §5, RFC 7636 §4.6,
//! RFC 9700 §2.1.1, §4.2.4).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use http::{Method, Request, StatusCode};
use latchkey_engine::acr;
use latchkey_engine::events::Event;
use latchkey_engine::pkce::CodeVerifier;
use latchkey_engine::types::GrantType;
use latchkey_engine::PkceRequirement;
use serde_json::Value;
use time::Duration;

const TOKEN_URI: &str = "https://auth.bank.example/token";

#[tokio::test]
async fn happy_path_token_response_rfc6749_5_1() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let response = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers();
    assert_eq!(h[CACHE_CONTROL], "no-store");
    assert_eq!(h[PRAGMA], "no-cache");
    assert_eq!(h[CONTENT_TYPE], "application/json");
    let body = body_json(&response);
    assert!(body["access_token"].as_str().unwrap().len() >= 43);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
    assert_eq!(body["scope"], "balance:read");
    assert_ne!(body["access_token"], body["refresh_token"]);
    // The token works at a resource server.
    let grant = fx
        .bearer(body["access_token"].as_str().unwrap(), "balance:read")
        .await
        .unwrap();
    assert_eq!(grant.subject.unwrap().as_str(), ALICE);
}

#[tokio::test]
async fn client_secret_post_accepted_rfc6749_2_3_1() {
    let fx = fixture();
    fx.tokens_for(
        &AuthRequest::wallet(),
        "balance:read",
        acr::SINGLE_FACTOR,
        Auth::Post(WALLET, WALLET_SECRET),
    )
    .await;
}

#[tokio::test]
async fn public_client_without_secret_ok_rfc6749_4_1_3() {
    let fx = fixture();
    let req = AuthRequest::native()
        .redirect(Some("http://127.0.0.1:49152/cb"))
        .scope(Some("balance:read trade"));
    let tokens = fx
        .tokens_for(
            &req,
            "balance:read trade",
            acr::STRONG,
            Auth::Public(NATIVE),
        )
        .await;
    assert_eq!(tokens.scope, "balance:read trade");
    assert!(tokens.refresh.is_some());
}

#[tokio::test]
async fn wrong_verifier_is_invalid_grant_rfc7636_4_6() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let mut wrong = req.clone();
    wrong.verifier = CodeVerifier::generate().unwrap().secret().to_owned();
    let response = fx
        .token(&Fixture::code_request(&wrong, &code, WALLET_BASIC))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
    // The code is burnt: the right verifier no longer works either.
    let again = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_error(&again, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn missing_verifier_is_invalid_grant_rfc7636_4_6() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let request = form_post(
        TOKEN_URI,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WALLET_REDIRECT),
        ],
        WALLET_BASIC,
    );
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

#[tokio::test]
async fn verifier_without_challenge_is_invalid_grant_pkce_downgrade_rfc9700_2_1_1() {
    let fx = Fixture::builder()
        .policy(|p| p.pkce(PkceRequirement::PublicClientsOnly))
        .build();
    let req = AuthRequest::wallet().without_pkce();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    // req.verifier is still set: the request carries a code_verifier.
    let response = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
    // Without a verifier, a challenge-less code works for a confidential client.
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let request = form_post(
        TOKEN_URI,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WALLET_REDIRECT),
        ],
        WALLET_BASIC,
    );
    Tokens::from_response(&fx.token(&request).await);
}

#[tokio::test]
async fn redirect_uri_mismatch_is_invalid_grant_rfc6749_4_1_3() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let wrong = req.clone().redirect(Some("https://wallet.example/cb2"));
    let response = fx
        .token(&Fixture::code_request(&wrong, &code, WALLET_BASIC))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn redirect_uri_sent_in_authorization_must_be_repeated_rfc6749_4_1_3() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let omitted = req.clone().redirect(None);
    let response = fx
        .token(&Fixture::code_request(&omitted, &code, WALLET_BASIC))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn loopback_redirect_must_repeat_the_same_port_rfc6749_4_1_3() {
    let fx = fixture();
    let req = AuthRequest::native().redirect(Some("http://127.0.0.1:50000/cb"));
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let other_port = req.clone().redirect(Some("http://127.0.0.1:50001/cb"));
    let response = fx
        .token(&Fixture::code_request(
            &other_port,
            &code,
            Auth::Public(NATIVE),
        ))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn redirect_uri_omitted_in_both_requests_ok_rfc6749_4_1_3() {
    let fx = fixture();
    let req = AuthRequest::wallet().redirect(None);
    fx.tokens_for(&req, "balance:read", acr::SINGLE_FACTOR, WALLET_BASIC)
        .await;
}

#[tokio::test]
async fn code_for_client_a_redeemed_by_client_b_is_invalid_grant_rfc6749_4_1_3() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let response = fx
        .token(&Fixture::code_request(&req, &code, OTHER_BASIC))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
    // And by a public client claiming to be the confidential one's sibling.
    let req2 = AuthRequest::wallet();
    let code2 = fx.code(&req2, "balance:read", acr::SINGLE_FACTOR).await;
    let response = fx
        .token(&Fixture::code_request(&req2, &code2, Auth::Public(NATIVE)))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(fx.count("token_issued"), 0);
}

#[tokio::test]
async fn confidential_client_code_needs_its_secret_rfc6749_4_1_3() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let response = fx
        .token(&Fixture::code_request(&req, &code, Auth::Public(WALLET)))
        .await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn expired_code_is_invalid_grant_rfc6749_4_1_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    fx.clock.advance(Duration::seconds(61));
    let response = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn code_still_valid_just_before_expiry_rfc6749_4_1_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    fx.clock.advance(Duration::seconds(59));
    Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
}

#[tokio::test]
async fn code_lifetime_is_short_rfc9700_4_2_4() {
    let fx = fixture();
    assert_eq!(fx.engine.policy().get_code_ttl(), Duration::seconds(60));
    assert!(latchkey_engine::Policy::default()
        .code_ttl(Duration::minutes(11))
        .is_err());
}

#[tokio::test]
async fn code_second_redemption_revokes_tokens_rfc6749_4_1_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let first = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    assert!(fx.is_active(&first.access).await);
    assert!(fx.is_active(first.refresh()).await);

    let second = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_error(&second, StatusCode::BAD_REQUEST, "invalid_grant");

    assert!(!fx.is_active(&first.access).await);
    assert!(!fx.is_active(first.refresh()).await);
    assert!(fx.bearer(&first.access, "balance:read").await.is_err());
    let refreshed = fx.refresh(first.refresh(), None, WALLET_BASIC).await;
    assert_error(&refreshed, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(fx.names().contains(&"code_replay_detected"));
    let replay = fx
        .events
        .events()
        .into_iter()
        .find(|e| e.name() == "code_replay_detected")
        .unwrap();
    assert!(replay.is_alert());
}

#[tokio::test]
async fn code_replay_after_expiry_still_revokes_rfc6749_4_1_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let first = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    fx.clock.advance(Duration::minutes(5));
    let second = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_error(&second, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(!fx.is_active(&first.access).await);
    assert_eq!(fx.count("code_replay_detected"), 1);
}

#[tokio::test]
async fn code_replay_by_another_client_also_revokes_rfc6749_4_1_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let first = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    let stolen = fx
        .token(&Fixture::code_request(&req, &code, OTHER_BASIC))
        .await;
    assert_error(&stolen, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(!fx.is_active(&first.access).await);
}

#[tokio::test]
async fn unknown_code_is_invalid_grant_rfc6749_5_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let response = fx
        .token(&Fixture::code_request(&req, "made-up-code", WALLET_BASIC))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(fx.names().iter().all(|n| *n != "code_replay_detected"));
}

#[tokio::test]
async fn get_is_invalid_request_rfc6749_3_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let mut request = Fixture::code_request(&req, &code, WALLET_BASIC);
    *request.method_mut() = Method::GET;
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    // The code was not consumed by the refused request.
    let request = Fixture::code_request(&req, &code, WALLET_BASIC);
    Tokens::from_response(&fx.token(&request).await);
}

#[tokio::test]
async fn json_body_is_invalid_request_rfc6749_3_2() {
    let fx = fixture();
    let body = serde_json::json!({"grant_type": "client_credentials"}).to_string();
    let request = Request::builder()
        .method(Method::POST)
        .uri(TOKEN_URI)
        .header(CONTENT_TYPE, "application/json")
        .header(
            http::header::AUTHORIZATION,
            form_post(TOKEN_URI, &[], WALLET_BASIC).headers()[http::header::AUTHORIZATION].clone(),
        )
        .body(bytes::Bytes::from(body))
        .unwrap();
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn repeated_parameter_is_invalid_request_rfc6749_3_2() {
    let fx = fixture();
    let request = form_post(
        TOKEN_URI,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "balance:read"),
            ("scope", "trade"),
        ],
        WALLET_BASIC,
    );
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn unknown_grant_type_is_unsupported_grant_type_rfc6749_5_2() {
    let fx = fixture();
    for grant in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let request = form_post(
            TOKEN_URI,
            &[
                ("grant_type", grant),
                ("username", "alice"),
                ("password", "pw"),
            ],
            WALLET_BASIC,
        );
        assert_error(
            &fx.token(&request).await,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        );
    }
    assert!(!fx
        .engine
        .metadata()
        .grant_types_supported
        .contains(&"password".to_owned()));
}

#[tokio::test]
async fn client_without_grant_type_is_unauthorized_client_rfc6749_5_2() {
    let fx = fixture();
    fx.store.put_client(client(
        "m2m",
        Some("m2m-secret-aaaaaaaaaaaaaaaaaaaaaaa"),
        &["https://m2m.example/cb"],
        "balance:read",
        &[GrantType::ClientCredentials],
    ));
    let request = form_post(
        TOKEN_URI,
        &[
            ("grant_type", "authorization_code"),
            ("code", "whatever-code"),
        ],
        Auth::Basic("m2m", "m2m-secret-aaaaaaaaaaaaaaaaaaaaaaa"),
    );
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
    );
    // The native client may not use client_credentials.
    let request = form_post(
        TOKEN_URI,
        &[("grant_type", "client_credentials")],
        Auth::Public(NATIVE),
    );
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
    );
}

#[tokio::test]
async fn client_without_refresh_grant_gets_no_refresh_token_rfc6749_5_1() {
    let fx = fixture();
    fx.store.put_client(client(
        "once",
        Some("once-secret-aaaaaaaaaaaaaaaaaaaaaa"),
        &["https://once.example/cb"],
        "balance:read",
        &[GrantType::AuthorizationCode],
    ));
    let tokens = fx
        .tokens_for(
            &AuthRequest::new("once", "https://once.example/cb"),
            "balance:read",
            acr::SINGLE_FACTOR,
            Auth::Basic("once", "once-secret-aaaaaaaaaaaaaaaaaaaaaa"),
        )
        .await;
    assert!(tokens.refresh.is_none());
    assert!(tokens.body.get("refresh_token").is_none());
}

#[tokio::test]
async fn error_bodies_never_echo_presented_secrets_rfc6749_5_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let mut wrong = req.clone();
    wrong.verifier = CodeVerifier::generate().unwrap().secret().to_owned();
    let wrong_secret = "wrong-secret-XyZ123456789abcdefgh";
    let attempts = [
        Fixture::code_request(&wrong, &code, WALLET_BASIC),
        Fixture::code_request(&req, &code, Auth::Basic(WALLET, wrong_secret)),
        Fixture::code_request(&req, &code, Auth::Post(WALLET, wrong_secret)),
        Fixture::code_request(&req, &code, WALLET_BASIC),
        Fixture::code_request(&req, "made-up-code-value-123", WALLET_BASIC),
    ];
    for attempt in &attempts {
        let response = fx.token(attempt).await;
        assert!(response.status().is_client_error());
        let text = body_text(&response);
        for secret in [
            code.as_str(),
            wrong.verifier.as_str(),
            req.verifier.as_str(),
            wrong_secret,
            WALLET_SECRET,
            "made-up-code-value-123",
        ] {
            assert!(!text.contains(secret), "{text} leaks a presented value");
        }
        for value in response.headers().values() {
            assert!(!value.to_str().unwrap_or_default().contains(&code));
        }
    }
}

#[tokio::test]
async fn token_response_scope_is_the_granted_scope_rfc6749_5_1() {
    let fx = fixture();
    let req = AuthRequest::wallet().scope(Some("balance:read trade withdraw"));
    let tokens = fx
        .tokens_for(&req, "balance:read trade", acr::STRONG, WALLET_BASIC)
        .await;
    assert_eq!(tokens.scope, "balance:read trade");
    assert_eq!(tokens.body["scope"], Value::from("balance:read trade"));
}

#[tokio::test]
async fn events_for_a_full_flow_in_order() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let rotated = Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    fx.revoke(rotated.refresh(), Some("refresh_token"), WALLET_BASIC)
        .await;
    assert_eq!(
        fx.names(),
        vec![
            "authorization_approved",
            "code_issued",
            "code_redeemed",
            "token_issued",
            "refresh_rotated",
            "token_issued",
            "token_revoked",
        ]
    );
    let events = fx.events.events();
    let grant_ids: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::CodeIssued { grant_id, .. }
            | Event::CodeRedeemed { grant_id, .. }
            | Event::TokenIssued { grant_id, .. }
            | Event::RefreshRotated { grant_id, .. }
            | Event::TokenRevoked { grant_id, .. } => Some(*grant_id),
            _ => None,
        })
        .collect();
    assert!(
        grant_ids.windows(2).all(|w| w[0] == w[1]),
        "one grant throughout"
    );
    match &events[0] {
        Event::AuthorizationApproved {
            client_id,
            subject,
            acr: level,
            ..
        } => {
            assert_eq!(client_id.as_str(), WALLET);
            assert_eq!(subject.as_str(), ALICE);
            assert_eq!(level, acr::SINGLE_FACTOR);
        }
        other => panic!("unexpected first event {other:?}"),
    }
}

#[tokio::test]
async fn events_never_contain_token_values() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let tokens = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    let rotated = Tokens::from_response(&fx.refresh(tokens.refresh(), None, WALLET_BASIC).await);
    // Replays and failures too.
    fx.refresh(tokens.refresh(), None, WALLET_BASIC).await;
    fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    fx.token(&Fixture::code_request(
        &req,
        &code,
        Auth::Basic(WALLET, "bad-secret-value-1234"),
    ))
    .await;
    let debug = format!("{:?}", fx.events.events());
    for secret in [
        code.as_str(),
        tokens.access.as_str(),
        tokens.refresh(),
        rotated.access.as_str(),
        rotated.refresh(),
        req.verifier.as_str(),
        WALLET_SECRET,
        "bad-secret-value-1234",
    ] {
        assert!(!debug.contains(secret), "event debug output leaks a secret");
    }
    assert!(fx.names().contains(&"refresh_replay_detected"));
    assert!(fx.names().contains(&"client_authentication_failed"));
}
