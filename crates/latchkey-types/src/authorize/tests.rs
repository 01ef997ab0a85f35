//! Unit tests for authorization request parsing, one per rule.

#![allow(clippy::unwrap_used)]

use super::*;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn unredirectable(query: &str) -> UnredirectableReason {
    match AuthorizationRequest::parse(query).unwrap_err() {
        AuthorizationRequestError::Unredirectable { reason } => reason,
        other => panic!("expected unredirectable, got {other:?}"),
    }
}

/// Returns (code, description, state) of a redirectable error.
fn redirectable(query: &str) -> (ErrorCode, String, Option<String>) {
    match AuthorizationRequest::parse(query).unwrap_err() {
        AuthorizationRequestError::Redirectable {
            client_id,
            state,
            error,
            ..
        } => {
            assert_eq!(client_id.as_str(), "c1");
            let text = error.error_description.map(|d| d.as_str().to_owned());
            (
                error.error,
                text.unwrap_or_default(),
                state.map(|s| s.as_str().to_owned()),
            )
        }
        other => panic!("expected redirectable, got {other:?}"),
    }
}

#[test]
fn full_request_parses() {
    let q = format!(
        "response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Fa.example%2Fcb\
         &scope=read+write&state=xyz&code_challenge={CHALLENGE}&code_challenge_method=S256\
         &nonce=n-0S6&unknown=ignored"
    );
    let r = AuthorizationRequest::parse(&q).unwrap();
    assert_eq!(r.response_type, ResponseType::Code);
    assert_eq!(r.client_id.as_str(), "c1");
    assert_eq!(r.redirect_uri.unwrap().as_str(), "https://a.example/cb");
    assert_eq!(r.scope.unwrap().to_string(), "read write");
    assert_eq!(r.state.unwrap().as_str(), "xyz");
    assert_eq!(r.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(r.code_challenge_method, Some(CodeChallengeMethod::S256));
    assert_eq!(r.nonce.unwrap().as_str(), "n-0S6");
}

#[test]
fn minimal_request_parses() {
    let r = AuthorizationRequest::parse("response_type=code&client_id=c1").unwrap();
    assert!(r.redirect_uri.is_none() && r.scope.is_none() && r.state.is_none());
    assert!(r.code_challenge.is_none() && r.code_challenge_method.is_none());
    assert!(r.nonce.is_none());
}

#[test]
fn missing_client_id_is_never_redirected() {
    let reason = unredirectable("response_type=code&redirect_uri=https%3A%2F%2Fa.example%2F");
    assert_eq!(reason, UnredirectableReason::MissingClientId);
    assert_eq!(
        unredirectable("client_id=&response_type=code"),
        UnredirectableReason::MissingClientId
    );
}

#[test]
fn repeated_client_id_is_never_redirected() {
    assert_eq!(
        unredirectable("client_id=c1&client_id=c2"),
        UnredirectableReason::RepeatedClientId
    );
}

#[test]
fn malformed_client_id_is_never_redirected() {
    assert_eq!(
        unredirectable("client_id=a%0Ab&response_type=code"),
        UnredirectableReason::InvalidClientId
    );
}

#[test]
fn repeated_redirect_uri_is_never_redirected() {
    let q = "client_id=c1&redirect_uri=https%3A%2F%2Fa%2F&redirect_uri=https%3A%2F%2Fb%2F";
    assert_eq!(unredirectable(q), UnredirectableReason::RepeatedRedirectUri);
}

#[test]
fn malformed_redirect_uri_is_never_redirected() {
    for uri in [
        "%2Fcb",
        "https%3A%2F%2Fa%2Fcb%23frag",
        "https%3A%2F%2Fa%2Fc%20b",
    ] {
        let q = format!("client_id=c1&response_type=code&redirect_uri={uri}");
        assert_eq!(
            unredirectable(&q),
            UnredirectableReason::InvalidRedirectUri,
            "{uri}"
        );
    }
}

#[test]
fn oversize_query_is_never_redirected() {
    let q = format!(
        "client_id=c1&x={}",
        "a".repeat(crate::limits::MAX_FORM_BYTES)
    );
    assert_eq!(unredirectable(&q), UnredirectableReason::QueryTooLarge);
}

#[test]
fn unredirectable_error_response_is_invalid_request() {
    let err = AuthorizationRequest::parse("response_type=code").unwrap_err();
    let resp = err.error_response();
    assert_eq!(resp.error, ErrorCode::InvalidRequest);
    assert_eq!(
        resp.error_description.unwrap().as_str(),
        "client_id is missing"
    );
}

#[test]
fn repeated_parameter_is_invalid_request_rfc6749_3_1() {
    let (code, text, state) =
        redirectable("client_id=c1&response_type=code&scope=a&scope=b&state=s");
    assert_eq!(code, ErrorCode::InvalidRequest);
    assert_eq!(text, "parameter scope is repeated");
    assert_eq!(state.as_deref(), Some("s"));
}

#[test]
fn repeated_state_is_not_echoed() {
    let (code, _, state) = redirectable("client_id=c1&response_type=code&state=a&state=b");
    assert_eq!(code, ErrorCode::InvalidRequest);
    assert_eq!(state, None);
}

#[test]
fn missing_response_type_is_invalid_request() {
    let (code, _, state) = redirectable("client_id=c1&state=s");
    assert_eq!(code, ErrorCode::InvalidRequest);
    assert_eq!(state.as_deref(), Some("s"));
}

#[test]
fn response_type_other_than_code_is_unsupported_response_type() {
    for rt in ["token", "code+id_token", "CODE", "code%20"] {
        let (code, _, _) = redirectable(&format!("client_id=c1&response_type={rt}"));
        assert_eq!(code, ErrorCode::UnsupportedResponseType, "{rt}");
    }
}

#[test]
fn malformed_scope_is_invalid_scope() {
    let (code, _, state) = redirectable("client_id=c1&response_type=code&scope=a++b&state=s");
    assert_eq!(code, ErrorCode::InvalidScope);
    assert_eq!(state.as_deref(), Some("s"));
}

#[test]
fn response_type_is_checked_before_scope() {
    let (code, _, _) = redirectable("client_id=c1&response_type=token&scope=a++b");
    assert_eq!(code, ErrorCode::UnsupportedResponseType);
}

#[test]
fn malformed_state_is_invalid_request_without_state() {
    let (code, text, state) = redirectable("client_id=c1&response_type=code&state=a%0Ab");
    assert_eq!(code, ErrorCode::InvalidRequest);
    assert_eq!(text, "state is malformed");
    assert_eq!(state, None);
}

#[test]
fn unknown_code_challenge_method_is_invalid_request() {
    let q = format!(
        "client_id=c1&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S512"
    );
    let (code, _, _) = redirectable(&q);
    assert_eq!(code, ErrorCode::InvalidRequest);
    let q = format!(
        "client_id=c1&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=s256"
    );
    assert_eq!(redirectable(&q).0, ErrorCode::InvalidRequest);
}

#[test]
fn plain_method_is_parsed_for_the_engine_to_judge() {
    let q = format!(
        "client_id=c1&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=plain"
    );
    let r = AuthorizationRequest::parse(&q).unwrap();
    assert_eq!(r.code_challenge_method, Some(CodeChallengeMethod::Plain));
}

#[test]
fn code_challenge_must_be_43_to_128_unreserved_rfc7636_4_2() {
    let short = "a".repeat(42);
    let long = "a".repeat(129);
    for bad in [
        short.as_str(),
        long.as_str(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw%2BcM",
    ] {
        let q = format!("client_id=c1&response_type=code&code_challenge={bad}");
        assert_eq!(redirectable(&q).0, ErrorCode::InvalidRequest, "{bad}");
    }
    for ok in ["a".repeat(43), "a".repeat(128), "-._~".repeat(11)] {
        let q = format!("client_id=c1&response_type=code&code_challenge={ok}");
        assert!(AuthorizationRequest::parse(&q).is_ok(), "{ok}");
    }
}

#[test]
fn code_challenge_method_without_challenge_is_invalid_request() {
    let (code, text, _) =
        redirectable("client_id=c1&response_type=code&code_challenge_method=S256");
    assert_eq!(code, ErrorCode::InvalidRequest);
    assert_eq!(text, "code_challenge_method without code_challenge");
}

#[test]
fn malformed_nonce_is_invalid_request() {
    let q = format!("client_id=c1&response_type=code&nonce={}", "n".repeat(1025));
    let (code, text, _) = redirectable(&q);
    assert_eq!(code, ErrorCode::InvalidRequest);
    assert_eq!(text, "nonce is malformed");
}

#[test]
fn empty_values_count_as_absent_rfc6749_3_1() {
    let r = AuthorizationRequest::parse(
        "client_id=c1&response_type=code&state=&scope=&redirect_uri=&nonce=",
    )
    .unwrap();
    assert!(
        r.state.is_none() && r.scope.is_none() && r.redirect_uri.is_none() && r.nonce.is_none()
    );
}

#[test]
fn redirectable_error_carries_the_redirect_uri() {
    let q = "client_id=c1&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=token";
    match AuthorizationRequest::parse(q).unwrap_err() {
        AuthorizationRequestError::Redirectable { redirect_uri, .. } => {
            assert_eq!(redirect_uri.unwrap().as_str(), "https://a.example/cb");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn error_display_does_not_echo_values() {
    let err = AuthorizationRequest::parse("client_id=SECRETISH&response_type=code&state=a%0A")
        .unwrap_err();
    assert!(!err.to_string().contains("SECRETISH"));
}
