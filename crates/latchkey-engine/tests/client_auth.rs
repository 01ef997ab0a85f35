//! Client authentication at the token endpoint (RFC 6749 §2.3, §3.2.1) and its
//! brute-force throttle (RFC 6749 §10.10: `429` with `Retry-After`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use common::*;
use http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Method, Request, StatusCode};
use latchkey_engine::acr;
use latchkey_engine::throttle::MemoryThrottle;
use time::Duration;

const TOKEN_URI: &str = "https://auth.bank.example/token";

fn cc(auth: Auth<'_>) -> Request<Bytes> {
    form_post(
        TOKEN_URI,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "balance:read"),
        ],
        auth,
    )
}

#[tokio::test]
async fn client_secret_basic_and_post_both_work_rfc6749_2_3_1() {
    let fx = fixture();
    Tokens::from_response(&fx.token(&cc(WALLET_BASIC)).await);
    Tokens::from_response(&fx.token(&cc(Auth::Post(WALLET, WALLET_SECRET))).await);
}

#[tokio::test]
async fn wrong_secret_is_401_invalid_client_with_www_authenticate_rfc6749_5_2() {
    let fx = fixture();
    for auth in [
        Auth::Basic(WALLET, "not-the-secret-0000000000"),
        Auth::Post(WALLET, "not-the-secret-0000000000"),
    ] {
        let response = fx.token(&cc(auth)).await;
        assert_error(&response, StatusCode::UNAUTHORIZED, "invalid_client");
        let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with("Basic realm="), "{challenge}");
    }
    assert_eq!(fx.count("client_authentication_failed"), 2);
}

#[tokio::test]
async fn unknown_client_is_invalid_client_rfc6749_5_2() {
    let fx = fixture();
    let response = fx.token(&cc(Auth::Basic("ghost", "whatever-secret"))).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn no_credentials_is_invalid_client_rfc6749_5_2() {
    let fx = fixture();
    let response = fx.token(&cc(Auth::Nothing)).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn confidential_client_without_secret_is_invalid_client_rfc6749_3_2_1() {
    let fx = fixture();
    let response = fx.token(&cc(Auth::Public(WALLET))).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn public_client_presenting_a_secret_is_invalid_client_rfc6749_2_3() {
    let fx = fixture();
    let response = fx
        .token(&form_post(
            TOKEN_URI,
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
            Auth::Post(NATIVE, "invented-secret"),
        ))
        .await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn client_secret_in_query_string_is_invalid_request_rfc6749_2_3_1() {
    let fx = fixture();
    let mut request = cc(WALLET_BASIC);
    *request.uri_mut() = format!("{TOKEN_URI}?client_secret={WALLET_SECRET}")
        .parse()
        .unwrap();
    let response = fx.token(&request).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(!body_text(&response).contains(WALLET_SECRET));
}

#[tokio::test]
async fn basic_plus_secret_in_body_is_invalid_request_rfc6749_2_3() {
    let fx = fixture();
    let mut request = form_post(
        TOKEN_URI,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", WALLET),
            ("client_secret", WALLET_SECRET),
        ],
        WALLET_BASIC,
    );
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    // A body client_id that disagrees with Basic is refused too.
    request = form_post(
        TOKEN_URI,
        &[("grant_type", "client_credentials"), ("client_id", OTHER)],
        WALLET_BASIC,
    );
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    // The matching one is fine.
    request = form_post(
        TOKEN_URI,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", WALLET),
            ("scope", "balance:read"),
        ],
        WALLET_BASIC,
    );
    Tokens::from_response(&fx.token(&request).await);
}

#[tokio::test]
async fn repeated_authorization_header_is_invalid_request() {
    let fx = fixture();
    let mut request = cc(WALLET_BASIC);
    let value = request.headers()[AUTHORIZATION].clone();
    request.headers_mut().append(AUTHORIZATION, value);
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn basic_credentials_are_form_urldecoded_rfc6749_2_3_1() {
    let fx = fixture();
    let secret = "s:cr t&+%/=";
    fx.store.put_client(client(
        "odd id",
        Some(secret),
        &["https://odd.example/cb"],
        "balance:read",
        &ALL_GRANTS,
    ));
    Tokens::from_response(&fx.token(&cc(Auth::Basic("odd id", secret))).await);
    // Sent raw (not form-encoded), it does not match.
    let raw = STANDARD.encode(format!("odd id:{secret}"));
    let mut request = cc(Auth::Nothing);
    request
        .headers_mut()
        .insert(AUTHORIZATION, format!("Basic {raw}").parse().unwrap());
    assert_error(
        &fx.token(&request).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
}

#[tokio::test]
async fn content_type_with_charset_is_accepted_rfc6749_3_2() {
    let fx = fixture();
    let mut request = cc(WALLET_BASIC);
    request.headers_mut().insert(
        CONTENT_TYPE,
        "application/x-www-form-urlencoded; charset=UTF-8"
            .parse()
            .unwrap(),
    );
    Tokens::from_response(&fx.token(&request).await);
    let mut request = cc(WALLET_BASIC);
    *request.method_mut() = Method::PUT;
    assert_error(
        &fx.token(&request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn secrets_stored_as_digests_rfc6749_10_1() {
    let fx = fixture();
    use latchkey_engine::store::{ClientSecretVerifier, ClientStore};
    let stored = fx.store.get_client(&cid(WALLET)).await.unwrap().unwrap();
    let debug = format!("{stored:?}");
    assert!(!debug.contains(WALLET_SECRET));
    let verifier = stored.secret.unwrap();
    assert!(matches!(verifier, ClientSecretVerifier::Sha256(_)));
    assert!(verifier.verify(WALLET_SECRET));
    assert!(!verifier.verify("wallet-secret"));
    assert!(!verifier.verify(&format!("{WALLET_SECRET}x")));
}

// ---------------------------------------------------------------- throttle

#[tokio::test]
async fn default_throttle_blocks_after_ten_failures_with_429_retry_after() {
    let fx = fixture();
    for _ in 0..10 {
        let r = fx.token(&cc(Auth::Basic(WALLET, "guess-0000000000"))).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = fx.token(&cc(WALLET_BASIC)).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = blocked.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 300, "{retry}");
    assert_eq!(body_json(&blocked)["error"], "temporarily_unavailable");
    assert!(fx.names().contains(&"throttled"));
}

#[tokio::test]
async fn throttle_refuses_even_the_right_secret_until_window_passes() {
    let fx = Fixture::builder()
        .throttle(Arc::new(MemoryThrottle::new(3, Duration::minutes(1))))
        .build();
    for _ in 0..3 {
        let r = fx.token(&cc(Auth::Post(WALLET, "guess-0000000000"))).await;
        assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let blocked = fx.token(&cc(WALLET_BASIC)).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(blocked.headers()[RETRY_AFTER], "60");
    // Other clients are unaffected.
    Tokens::from_response(&fx.token(&cc(OTHER_BASIC)).await);
    // Time passes on the engine's clock.
    fx.clock.advance(Duration::seconds(45));
    let still = fx.token(&cc(WALLET_BASIC)).await;
    assert_eq!(still.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(still.headers()[RETRY_AFTER], "15");
    fx.clock.advance(Duration::seconds(15));
    Tokens::from_response(&fx.token(&cc(WALLET_BASIC)).await);
}

#[tokio::test]
async fn throttle_applies_to_revocation_and_introspection_too() {
    let fx = Fixture::builder()
        .throttle(Arc::new(MemoryThrottle::new(2, Duration::minutes(1))))
        .build();
    let bad = Auth::Basic(WALLET, "guess-0000000000");
    assert_eq!(
        fx.introspect_as("tok", bad).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fx.revoke("tok", None, bad).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let blocked = fx.introspect_as("tok", WALLET_BASIC).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers().contains_key(RETRY_AFTER));
}

#[tokio::test]
async fn successful_auth_resets_the_failure_count() {
    let fx = Fixture::builder()
        .throttle(Arc::new(MemoryThrottle::new(3, Duration::minutes(1))))
        .build();
    for _ in 0..2 {
        fx.token(&cc(Auth::Basic(WALLET, "guess-0000000000"))).await;
    }
    Tokens::from_response(&fx.token(&cc(WALLET_BASIC)).await);
    for _ in 0..2 {
        fx.token(&cc(Auth::Basic(WALLET, "guess-0000000000"))).await;
    }
    Tokens::from_response(&fx.token(&cc(WALLET_BASIC)).await);
}

#[tokio::test]
async fn throttled_code_redemption_does_not_burn_the_code() {
    let fx = Fixture::builder()
        .throttle(Arc::new(MemoryThrottle::new(1, Duration::seconds(30))))
        .build();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    fx.token(&cc(Auth::Basic(WALLET, "guess-0000000000"))).await;
    let blocked = fx
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    fx.clock.advance(Duration::seconds(30));
    // The window has ended before the code's 60 s did, and the code was not consumed.
    Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    assert_eq!(fx.count("code_replay_detected"), 0);
}
