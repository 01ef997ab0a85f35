//! JWT access tokens (RFC 9068) and server metadata (RFC 8414).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use http::header::CACHE_CONTROL;
use http::StatusCode;
use latchkey_engine::acr;
use latchkey_engine::jwt::{JwtKeys, SigningAlgorithm, SigningKey};
use serde_json::Value;
use time::Duration;

const EPOCH_2030: i64 = 1_893_456_000;

fn jwt_fixture() -> (Fixture, JwtKeys) {
    let keys = JwtKeys::new(SigningKey::generate("k1", SigningAlgorithm::EdDsa).unwrap());
    (Fixture::builder().jwt(keys.clone()).build(), keys)
}

fn part(token: &str, i: usize) -> Value {
    let segment = token.split('.').nth(i).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

#[tokio::test]
async fn access_token_is_at_jwt_with_required_claims_rfc9068_2() {
    let (fx, _) = jwt_fixture();
    let req = AuthRequest::wallet().scope(Some("balance:read trade"));
    let tokens = fx
        .tokens_for(&req, "balance:read trade", acr::STRONG, WALLET_BASIC)
        .await;
    assert_eq!(tokens.access.split('.').count(), 3);
    let header = part(&tokens.access, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], "k1");
    let claims = part(&tokens.access, 1);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], ALICE);
    assert_eq!(claims["aud"], ISSUER);
    assert_eq!(claims["iat"], EPOCH_2030);
    assert_eq!(claims["exp"], EPOCH_2030 + 600);
    assert!(claims["jti"].as_str().unwrap().len() >= 43);
    assert_eq!(claims["client_id"], WALLET);
    assert_eq!(claims["scope"], "balance:read trade");
    assert_eq!(claims["acr"], acr::STRONG);
    assert!(claims["auth_time"].is_i64());
    // The refresh token stays opaque.
    assert_eq!(tokens.refresh().split('.').count(), 1);
}

#[tokio::test]
async fn bearer_validates_jwt_access_token_rfc9068_4() {
    let (fx, _) = jwt_fixture();
    let tokens = fx.wallet_tokens().await;
    let grant = fx.bearer(&tokens.access, "balance:read").await.unwrap();
    assert_eq!(grant.subject.unwrap().as_str(), ALICE);
    assert_eq!(grant.acr.as_deref(), Some(acr::SINGLE_FACTOR));
    fx.clock.advance(Duration::minutes(10));
    assert!(fx.bearer(&tokens.access, "balance:read").await.is_err());
}

#[tokio::test]
async fn jwt_signed_by_another_key_is_refused_rfc9068_4() {
    let (fx, _) = jwt_fixture();
    let tokens = fx.wallet_tokens().await;
    // Same claims, re-signed with a foreign key of the same kid.
    let foreign = JwtKeys::new(SigningKey::generate("k1", SigningAlgorithm::EdDsa).unwrap());
    let claims: latchkey_engine::jwt::AccessTokenClaims =
        serde_json::from_value(part(&tokens.access, 1)).unwrap();
    let forged = foreign.sign(&claims).unwrap();
    assert!(fx.bearer(&forged, "balance:read").await.is_err());
    assert!(!fx.is_active(&forged).await);
    // Tampered payload with the original signature.
    let mut pieces: Vec<String> = tokens.access.split('.').map(str::to_owned).collect();
    let mut tampered = part(&tokens.access, 1);
    tampered["scope"] = Value::from("balance:read withdraw");
    pieces[1] = URL_SAFE_NO_PAD.encode(tampered.to_string());
    let tampered = pieces.join(".");
    assert!(fx.bearer(&tampered, "withdraw").await.is_err());
}

#[tokio::test]
async fn revoked_jwt_introspects_inactive_rfc7009_rfc9068() {
    let (fx, _) = jwt_fixture();
    let tokens = fx.wallet_tokens().await;
    let intro = fx.introspect(&tokens.access).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["sub"], ALICE);
    let r = fx.revoke(&tokens.access, None, WALLET_BASIC).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = fx.introspect_as(&tokens.access, WALLET_BASIC).await;
    assert_eq!(body_text(&r), r#"{"active":false}"#);
    assert!(fx.bearer(&tokens.access, "balance:read").await.is_err());
}

#[tokio::test]
async fn code_replay_kills_jwt_access_tokens_rfc6749_4_1_2() {
    let (fx, _) = jwt_fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let tokens = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    assert!(fx.bearer(&tokens.access, "balance:read").await.is_err());
}

/// The code exchange draws the `jti` and the lifetimes before the code is redeemed and
/// signs the JWT after: the claims must still be those of the stored token.
#[tokio::test]
async fn code_exchange_jwt_claims_match_its_stored_token_rfc9068_2_2() {
    let keys = JwtKeys::new(SigningKey::generate("k1", SigningAlgorithm::EdDsa).unwrap());
    let fx = Fixture::builder()
        .jwt(keys)
        .policy(|p| p.access_token_ttl(Duration::minutes(15)).unwrap())
        .build();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    // Issued at the token request, not when the code was.
    fx.clock.advance(Duration::seconds(20));
    let tokens = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    let claims = part(&tokens.access, 1);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(iat, EPOCH_2030 + 20);
    assert_eq!(exp - iat, 15 * 60);
    assert_eq!(tokens.body["expires_in"], 15 * 60);
    let jti = claims["jti"].as_str().unwrap();
    assert!(jti.len() >= 43);
    assert_ne!(
        Some(jti),
        tokens.refresh.as_deref(),
        "jti and refresh token differ"
    );

    let intro = fx.introspect(&tokens.access).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["iat"], iat);
    assert_eq!(intro["exp"], exp);
    assert_eq!(intro["scope"], claims["scope"]);
    assert_eq!(intro["client_id"], claims["client_id"]);
    assert_eq!(intro["sub"], claims["sub"]);

    // The stored token expires with the JWT's `exp`, not a second later or earlier.
    fx.clock
        .advance(Duration::minutes(15) - Duration::seconds(1));
    assert!(fx.is_active(&tokens.access).await);
    fx.clock.advance(Duration::seconds(1));
    assert!(!fx.is_active(&tokens.access).await);

    // Another exchange draws another jti.
    let other = fx.wallet_tokens().await;
    assert_ne!(part(&other.access, 1)["jti"], claims["jti"]);
}

#[tokio::test]
async fn jwks_lists_the_public_key_rfc7517_5() {
    let (fx, keys) = jwt_fixture();
    let r = fx.engine.jwks_response().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let jwks = body_json(&r);
    let listed = jwks["keys"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["kid"], "k1");
    assert_eq!(listed[0]["kty"], "OKP");
    assert_eq!(&listed[0], keys.active().public_jwk());
    assert!(listed[0].get("d").is_none(), "no private key material");
    // Opaque engines have no JWKS.
    assert!(fixture().engine.jwks_response().is_none());
}

#[tokio::test]
async fn metadata_has_jwks_uri_with_jwt_tokens_rfc8414_2() {
    let (fx, _) = jwt_fixture();
    assert_eq!(
        fx.engine.metadata().jwks_uri.as_deref(),
        Some("https://auth.bank.example/jwks.json")
    );
    assert!(fixture().engine.metadata().jwks_uri.is_none());
}

#[tokio::test]
async fn metadata_document_rfc8414_2() {
    let fx = fixture();
    let r = fx.engine.metadata_response();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()[CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let m = body_json(&r);
    assert_eq!(m["issuer"], ISSUER);
    assert_eq!(
        m["authorization_endpoint"],
        "https://auth.bank.example/authorize"
    );
    assert_eq!(m["token_endpoint"], "https://auth.bank.example/token");
    assert_eq!(m["revocation_endpoint"], "https://auth.bank.example/revoke");
    assert_eq!(
        m["introspection_endpoint"],
        "https://auth.bank.example/introspect"
    );
    assert_eq!(
        m["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    assert_eq!(m["response_types_supported"], serde_json::json!(["code"]));
    let grants = m["grant_types_supported"].as_array().unwrap();
    assert!(!grants.contains(&Value::from("password")));
    assert!(!grants.contains(&Value::from("implicit")));
    assert!(m.get("jwks_uri").is_none());
}

#[tokio::test]
async fn metadata_endpoint_base_differs_from_issuer_rfc8414_2() {
    use latchkey_engine::{Engine, MemoryStore};
    use std::sync::Arc;
    let engine = Engine::builder(ISSUER, Arc::new(MemoryStore::new()))
        .endpoint_base("https://auth.bank.example/oauth2/")
        .build()
        .unwrap();
    let m = engine.metadata();
    assert_eq!(m.issuer, ISSUER);
    assert_eq!(m.token_endpoint, "https://auth.bank.example/oauth2/token");
    // Issuers must be https (http only on loopback), no query or fragment.
    assert!(
        Engine::builder("http://auth.bank.example", Arc::new(MemoryStore::new()))
            .build()
            .is_err()
    );
}
