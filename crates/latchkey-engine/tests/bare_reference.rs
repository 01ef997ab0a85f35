//! The hand-written reference flow the ratio table measures beside the engine's
//! (`benches/support/bare.rs`) does what it claims: the checks of RFC 6749 §4.1, RFC 7636
//! (S256) and RFC 9700 that make its ratio a fair reference, each refused the RFC's way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/mod.rs"]
mod support;

use http::header::{CACHE_CONTROL, LOCATION};
use http::StatusCode;
use latchkey_engine::pkce::{CodeChallenge, CodeVerifier};
use serde_json::Value;
use support::bare::BareApproval;
use support::{Bench, Format, Sink, CLIENT, REDIRECT, SCOPE};

const AMR: [String; 0] = [];

fn approval() -> BareApproval<'static> {
    BareApproval {
        subject: "user-000042",
        scope: SCOPE,
        acr: "urn:latchkey:acr:sca",
        amr: &AMR,
        auth_time: 1,
    }
}

/// An authorization request with `extra` appended; answers it and its verifier.
fn query(extra: &str) -> (String, String) {
    let verifier = CodeVerifier::generate().unwrap();
    let challenge = CodeChallenge::s256(&verifier);
    let query = format!(
        "response_type=code&client_id={CLIENT}&redirect_uri=https%3A%2F%2Fwallet.example%2Fcallback&scope=balance%3Aread+trade&state=xyz%26&code_challenge={}&code_challenge_method=S256{extra}",
        challenge.as_str()
    );
    (query, verifier.secret().to_owned())
}

/// begin → finish; answers the redirect's `Location`, the code and the verifier.
fn issue_code(bench: &Bench) -> (String, String, String) {
    let (query, verifier) = query("");
    let id = bench.bare.begin(&query).unwrap();
    let response = bench.bare.finish(&id, &approval()).unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let start = location.find("code=").unwrap() + 5;
    let rest = &location[start..];
    let code = rest[..rest.find('&').unwrap()].to_owned();
    (location, code, verifier)
}

fn error_of(response: &http::Response<bytes::Bytes>) -> String {
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    body["error"].as_str().unwrap().to_owned()
}

#[test]
fn a_full_flow_answers_tokens_with_no_store_and_redirects_with_state_and_iss() {
    let bench = Bench::new(Format::Opaque, Sink::Null);
    let (location, code, verifier) = issue_code(&bench);
    assert!(location.starts_with(&format!("{REDIRECT}?code=")));
    assert!(location.contains("&state=xyz%26&"), "{location}");
    assert!(location.ends_with("&iss=https%3A%2F%2Fauth.bank.example"));
    let response = bench.bare.token(&bench.code_request(&code, &verifier));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], SCOPE);
    assert_eq!(body["access_token"].as_str().unwrap().len(), 43);
    assert_ne!(body["access_token"], body["refresh_token"]);
}

#[test]
fn rfc6749_4_1_2_a_code_is_used_once_whatever_the_outcome() {
    let bench = Bench::new(Format::Opaque, Sink::Null);
    let (_, code, verifier) = issue_code(&bench);
    let request = bench.code_request(&code, &verifier);
    assert_eq!(bench.bare.token(&request).status(), StatusCode::OK);
    let again = bench.bare.token(&request);
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&again), "invalid_grant");
    // A wrong verifier uses the code up too: the right one no longer redeems it.
    let (_, code, verifier) = issue_code(&bench);
    let wrong = CodeVerifier::generate().unwrap();
    let refused = bench.bare.token(&bench.code_request(&code, wrong.secret()));
    assert_eq!(error_of(&refused), "invalid_grant");
    let late = bench.bare.token(&bench.code_request(&code, &verifier));
    assert_eq!(error_of(&late), "invalid_grant");
}

#[test]
fn rfc6749_2_3_1_a_wrong_client_secret_is_invalid_client() {
    let bench = Bench::new(Format::Opaque, Sink::Null);
    let (_, code, verifier) = issue_code(&bench);
    let mut request = bench.code_request(&code, &verifier);
    request.headers_mut().insert(
        http::header::AUTHORIZATION,
        support::basic(CLIENT, "not-the-secret"),
    );
    let refused = bench.bare.token(&request);
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.headers()[http::header::WWW_AUTHENTICATE], "Basic");
    assert_eq!(error_of(&refused), "invalid_client");
}

#[test]
fn rfc9700_2_1_the_authorization_request_is_checked_exactly() {
    let bench = Bench::new(Format::Opaque, Sink::Null);
    // A repeated parameter, a plain challenge method, another redirect URI.
    let (repeated, _) = query("&state=again");
    assert_eq!(bench.bare.begin(&repeated), Err("invalid_request"));
    let (plain, _) = query("");
    let plain = plain.replace("method=S256", "method=plain");
    assert_eq!(bench.bare.begin(&plain), Err("invalid_request"));
    let (other, _) = query("");
    let other = other.replace("callback", "callback%2F");
    assert_eq!(bench.bare.begin(&other), Err("invalid_request"));
    let (unknown, _) = query("");
    let unknown = unknown.replace("trade", "withdraw");
    assert_eq!(bench.bare.begin(&unknown), Err("invalid_scope"));
}

#[test]
fn rfc6749_4_1_3_the_redirect_uri_must_match_the_authorization_request() {
    let bench = Bench::new(Format::Opaque, Sink::Null);
    let (_, code, verifier) = issue_code(&bench);
    let mut request = bench.code_request(&code, &verifier);
    let body = String::from_utf8(request.body().to_vec()).unwrap();
    *request.body_mut() = body.replace("callback", "callback2").into();
    assert_eq!(error_of(&bench.bare.token(&request)), "invalid_grant");
}
