//! Unit tests for token request parsing and the token response body.

#![allow(clippy::unwrap_used)]

use super::*;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn err(body: &str) -> ErrorResponse {
    TokenRequest::parse(body.as_bytes()).unwrap_err()
}

#[test]
fn authorization_code_grant_parses_rfc6749_4_1_3() {
    let body = format!(
        "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA\
         &redirect_uri=https%3A%2F%2Fa.example%2Fcb&code_verifier={VERIFIER}&client_id=c1"
    );
    let req = TokenRequest::parse(body.as_bytes()).unwrap();
    assert_eq!(req.grant.grant_type(), GrantType::AuthorizationCode);
    assert_eq!(req.client_id.unwrap().as_str(), "c1");
    assert!(req.client_secret.is_none());
    match req.grant {
        GrantRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            assert_eq!(code.secret(), "SplxlOBeZQQYbYS6WxSbIA");
            assert_eq!(redirect_uri.unwrap().as_str(), "https://a.example/cb");
            assert_eq!(code_verifier.unwrap().secret(), VERIFIER);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn refresh_token_grant_parses_rfc6749_6() {
    let body = "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&scope=read&client_id=c1&client_secret=s3";
    let req = TokenRequest::parse(body.as_bytes()).unwrap();
    assert_eq!(req.client_secret.unwrap().secret(), "s3");
    match req.grant {
        GrantRequest::RefreshToken {
            refresh_token,
            scope,
        } => {
            assert_eq!(refresh_token.secret(), "tGzv3JOkF0XG5Qx2TlKWIA");
            assert_eq!(scope.unwrap().to_string(), "read");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn client_credentials_grant_parses_rfc6749_4_4() {
    let req = TokenRequest::parse(b"grant_type=client_credentials").unwrap();
    assert!(matches!(
        req.grant,
        GrantRequest::ClientCredentials { scope: None }
    ));
    assert_eq!(req.grant.grant_type(), GrantType::ClientCredentials);
}

#[test]
fn repeated_parameter_is_invalid_request_rfc6749_3_2() {
    let e = err("grant_type=client_credentials&scope=a&scope=b");
    assert_eq!(e.error, ErrorCode::InvalidRequest);
    assert_eq!(
        e.error_description.unwrap().as_str(),
        "parameter scope is repeated"
    );
}

#[test]
fn repeated_code_does_not_echo_the_code() {
    let e = err("grant_type=authorization_code&code=SECRET1&code=SECRET2");
    assert_eq!(e.error, ErrorCode::InvalidRequest);
    assert!(!e.to_string().contains("SECRET"));
}

#[test]
fn missing_grant_type_is_invalid_request() {
    assert_eq!(err("code=abc").error, ErrorCode::InvalidRequest);
    assert_eq!(err("grant_type=&code=abc").error, ErrorCode::InvalidRequest);
}

#[test]
fn unknown_grant_type_is_unsupported_grant_type() {
    for gt in ["password", "implicit", "AUTHORIZATION_CODE", "urn:x"] {
        assert_eq!(
            err(&format!("grant_type={gt}")).error,
            ErrorCode::UnsupportedGrantType,
            "{gt}"
        );
    }
}

#[test]
fn missing_code_is_invalid_request() {
    assert_eq!(
        err("grant_type=authorization_code").error,
        ErrorCode::InvalidRequest
    );
}

#[test]
fn malformed_code_is_invalid_grant_without_echo() {
    let long = "C".repeat(crate::limits::MAX_AUTHORIZATION_CODE_LEN + 1);
    let e = err(&format!("grant_type=authorization_code&code={long}"));
    assert_eq!(e.error, ErrorCode::InvalidGrant);
    assert!(!e.to_string().contains("CCCC"));
    assert_eq!(
        err("grant_type=authorization_code&code=a%0Ab").error,
        ErrorCode::InvalidGrant
    );
}

#[test]
fn missing_refresh_token_is_invalid_request() {
    assert_eq!(
        err("grant_type=refresh_token").error,
        ErrorCode::InvalidRequest
    );
}

#[test]
fn malformed_refresh_token_is_invalid_grant() {
    assert_eq!(
        err("grant_type=refresh_token&refresh_token=%7F").error,
        ErrorCode::InvalidGrant
    );
}

#[test]
fn malformed_code_verifier_is_invalid_request_rfc7636_4_1() {
    for v in ["short", "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk"] {
        let e = err(&format!(
            "grant_type=authorization_code&code=abc&code_verifier={v}"
        ));
        assert_eq!(e.error, ErrorCode::InvalidRequest, "{v}");
        assert!(!e.to_string().contains("dBjftJeZ"));
    }
}

#[test]
fn malformed_redirect_uri_is_invalid_request() {
    let e = err("grant_type=authorization_code&code=abc&redirect_uri=%2Fcb");
    assert_eq!(e.error, ErrorCode::InvalidRequest);
}

#[test]
fn malformed_scope_is_invalid_scope() {
    assert_eq!(
        err("grant_type=client_credentials&scope=a%09b").error,
        ErrorCode::InvalidScope
    );
    assert_eq!(
        err("grant_type=refresh_token&refresh_token=r&scope=+a").error,
        ErrorCode::InvalidScope
    );
}

#[test]
fn malformed_client_id_is_invalid_request() {
    assert_eq!(
        err("grant_type=client_credentials&client_id=a%0Ab").error,
        ErrorCode::InvalidRequest
    );
}

#[test]
fn malformed_client_secret_is_invalid_request_without_echo() {
    let e = err("grant_type=client_credentials&client_id=c&client_secret=SECRET%0A");
    assert_eq!(e.error, ErrorCode::InvalidRequest);
    assert!(!e.to_string().contains("SECRET"));
}

#[test]
fn oversize_body_is_invalid_request() {
    let body = format!(
        "grant_type=client_credentials&x={}",
        "a".repeat(crate::limits::MAX_FORM_BYTES)
    );
    assert_eq!(err(&body).error, ErrorCode::InvalidRequest);
}

#[test]
fn grant_type_wire_names() {
    for gt in [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ] {
        assert_eq!(gt.as_str().parse::<GrantType>().unwrap(), gt);
        assert_eq!(serde_json::to_string(&gt).unwrap(), format!("\"{gt}\""));
        assert_eq!(
            serde_json::from_str::<GrantType>(&format!("\"{gt}\"")).unwrap(),
            gt
        );
    }
}

#[test]
fn token_response_serializes_secrets_and_skips_none_rfc6749_5_1() {
    let resp = TokenResponse {
        access_token: AccessToken::new("at-1"),
        token_type: TokenType::Bearer,
        expires_in: 3600,
        refresh_token: None,
        scope: None,
    };
    assert_eq!(
        serde_json::to_string(&resp).unwrap(),
        r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#
    );
    let full = TokenResponse {
        refresh_token: Some(RefreshToken::new("rt-1")),
        scope: Some(Scope::parse("b a").unwrap()),
        ..resp
    };
    let json = serde_json::to_string(&full).unwrap();
    assert_eq!(
        json,
        r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1","scope":"a b"}"#
    );
    assert_eq!(serde_json::from_str::<TokenResponse>(&json).unwrap(), full);
    assert!(!format!("{full:?}").contains("at-1"));
}

#[test]
fn token_response_deserialize_accepts_lowercase_bearer_and_rejects_bad_tokens() {
    let json = r#"{"access_token":"x","token_type":"bearer","expires_in":1}"#;
    assert_eq!(
        serde_json::from_str::<TokenResponse>(json)
            .unwrap()
            .token_type,
        TokenType::Bearer
    );
    let bad = r#"{"access_token":"a\nSECRET","token_type":"Bearer","expires_in":1}"#;
    let e = serde_json::from_str::<TokenResponse>(bad).unwrap_err();
    assert!(!e.to_string().contains("SECRET"));
    let mac = r#"{"access_token":"x","token_type":"mac","expires_in":1}"#;
    assert!(serde_json::from_str::<TokenResponse>(mac).is_err());
}

#[test]
fn to_json_writes_what_serde_json_writes() {
    use crate::ids::{AccessToken, RefreshToken};
    let cases = [
        (
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            Some("r-1"),
            Some("a b"),
            3600,
        ),
        (
            "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}\u{e9}x",
            None,
            None,
            0,
        ),
        ("eyJ.eyJ.sig", Some("\u{0}"), Some("trade"), u64::MAX),
        ("t", None, Some("x"), 10),
    ];
    for (access, refresh, scope, expires_in) in cases {
        let response = TokenResponse {
            access_token: AccessToken::new(access),
            token_type: TokenType::Bearer,
            expires_in,
            refresh_token: refresh.map(RefreshToken::new),
            scope: scope.map(|s| Scope::parse(s).unwrap()),
        };
        assert_eq!(
            String::from_utf8(response.to_json()).unwrap(),
            serde_json::to_string(&response).unwrap()
        );
    }
}

proptest::proptest! {
    /// Any token text and lifetime: the same bytes as `serde_json`.
    #[test]
    fn to_json_matches_serde_json(access in "\\PC*", controls in "[\\x00-\\x1f\"\\\\]{0,8}", expires_in: u64) {
        let response = TokenResponse {
            access_token: crate::ids::AccessToken::new(format!("{access}{controls}")),
            token_type: TokenType::Bearer,
            expires_in,
            refresh_token: Some(crate::ids::RefreshToken::new(controls)),
            scope: None,
        };
        proptest::prop_assert_eq!(response.to_json(), serde_json::to_vec(&response).unwrap());
    }
}
