//! Token introspection (RFC 7662): the request and the response body.
//!
//! An [`IntrospectionRequest`] has the same body shape as a revocation
//! request: the presented token, an optional hint and optional client
//! credentials (RFC 7662 §2.1). The [`IntrospectionResponse`] is the JSON
//! object of RFC 7662 §2.2; for any token that is unknown, expired, revoked
//! or not visible to the caller the server must answer
//! [`IntrospectionResponse::inactive`], which reveals nothing else.

use serde::{Deserialize, Serialize};

use crate::error::ErrorResponse;
use crate::ids::{ClientId, ClientSecret, PresentedToken};
use crate::json_out::{push_json_str, push_key, push_signed};
use crate::revocation::{parse_token_body, TokenTypeHint};
use crate::scope::Scope;

/// An introspection request (RFC 7662 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectionRequest {
    /// The token to describe.
    pub token: PresentedToken,
    /// Which kind of token the caller says it is, if a known hint was sent.
    pub token_type_hint: Option<TokenTypeHint>,
    /// `client_id` from the body, if sent.
    pub client_id: Option<ClientId>,
    /// `client_secret` from the body, if sent.
    pub client_secret: Option<ClientSecret>,
}

impl IntrospectionRequest {
    /// Parses a form-encoded introspection request body of at most
    /// [`MAX_FORM_BYTES`](crate::limits::MAX_FORM_BYTES) bytes; the token
    /// may be at most
    /// [`MAX_PRESENTED_TOKEN_LEN`](crate::limits::MAX_PRESENTED_TOKEN_LEN)
    /// VSCHAR characters. Unknown hints are ignored.
    ///
    /// # Errors
    ///
    /// `invalid_request` if the body is oversize, a parameter is repeated,
    /// `token` is missing or malformed, or `client_id` / `client_secret` is
    /// malformed.
    pub fn parse(body: &[u8]) -> Result<Self, ErrorResponse> {
        let b = parse_token_body(body)?;
        Ok(Self {
            token: b.token,
            token_type_hint: b.token_type_hint,
            client_id: b.client_id,
            client_secret: b.client_secret,
        })
    }
}

/// An introspection response (RFC 7662 §2.2). Absent fields are omitted
/// from the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IntrospectionResponse {
    /// Whether the token is currently active.
    pub active: bool,
    /// The token's scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// Subject (resource owner) of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Type of the token, e.g. `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Authentication context class reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Issuer of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Intended audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Token identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl IntrospectionResponse {
    /// The answer for any token that is not active: serializes to exactly
    /// `{"active":false}` (RFC 7662 §2.2).
    pub fn inactive() -> Self {
        Self::default()
    }

    /// The response body: exactly the bytes `serde_json::to_vec` writes for it (same
    /// member order, same escaping, absent members left out), written straight into one
    /// buffer. Resource servers introspect on every API call, so this is a hot path.
    pub fn to_json(&self) -> Vec<u8> {
        let text_len = |v: &Option<String>| v.as_ref().map_or(0, |v| v.len() + 16);
        let mut capacity = 160
            + self.scope.as_ref().map_or(0, |s| s.as_str().len())
            + self.client_id.as_ref().map_or(0, |c| c.as_str().len());
        for text in [
            &self.sub,
            &self.token_type,
            &self.acr,
            &self.iss,
            &self.aud,
            &self.jti,
        ] {
            capacity += text_len(text);
        }
        let mut out = Vec::with_capacity(capacity);
        out.push(b'{');
        push_key(&mut out, "active");
        out.extend_from_slice(if self.active { b"true" } else { b"false" });
        if let Some(scope) = &self.scope {
            push_key(&mut out, "scope");
            push_json_str(&mut out, scope.as_str());
        }
        if let Some(client_id) = &self.client_id {
            push_key(&mut out, "client_id");
            push_json_str(&mut out, client_id.as_str());
        }
        let text = |out: &mut Vec<u8>, name: &str, value: &Option<String>| {
            if let Some(value) = value {
                push_key(out, name);
                push_json_str(out, value);
            }
        };
        text(&mut out, "sub", &self.sub);
        for (name, value) in [("exp", self.exp), ("iat", self.iat)] {
            if let Some(value) = value {
                push_key(&mut out, name);
                push_signed(&mut out, value);
            }
        }
        text(&mut out, "token_type", &self.token_type);
        text(&mut out, "acr", &self.acr);
        text(&mut out, "iss", &self.iss);
        text(&mut out, "aud", &self.aud);
        text(&mut out, "jti", &self.jti);
        out.push(b'}');
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn introspection_request_parses_rfc7662_2_1() {
        let r = IntrospectionRequest::parse(b"token=mF_9.B5f-4.1JqM&token_type_hint=access_token")
            .unwrap();
        assert_eq!(r.token.secret(), "mF_9.B5f-4.1JqM");
        assert_eq!(r.token_type_hint, Some(TokenTypeHint::AccessToken));
    }

    #[test]
    fn missing_token_is_invalid_request() {
        let e = IntrospectionRequest::parse(b"client_id=c1").unwrap_err();
        assert_eq!(e.error, ErrorCode::InvalidRequest);
    }

    #[test]
    fn repeated_parameter_is_invalid_request() {
        let e = IntrospectionRequest::parse(b"token=a&client_id=c&client_id=d").unwrap_err();
        assert_eq!(e.error, ErrorCode::InvalidRequest);
    }

    #[test]
    fn inactive_is_exactly_active_false_rfc7662_2_2() {
        let json = serde_json::to_string(&IntrospectionResponse::inactive()).unwrap();
        assert_eq!(json, r#"{"active":false}"#);
    }

    #[test]
    fn to_json_is_serde_json_for_inactive_and_full_answers() {
        let full = IntrospectionResponse {
            active: true,
            scope: Some(Scope::parse("balance:read trade").unwrap()),
            client_id: Some(ClientId::new("wallet-web").unwrap()),
            sub: Some("alice \"the\" \u{1}user\u{e9}".into()),
            exp: Some(1_700_000_000),
            iat: Some(-5),
            token_type: Some("Bearer".into()),
            acr: Some("urn:x:sca".into()),
            iss: Some("https://as.example/a\\b".into()),
            aud: Some("api".into()),
            jti: Some("j1".into()),
        };
        for response in [IntrospectionResponse::inactive(), full] {
            assert_eq!(
                String::from_utf8(response.to_json()).unwrap(),
                serde_json::to_string(&response).unwrap()
            );
        }
    }

    proptest::proptest! {
        /// Any mix of present and absent members, any text and times: the same bytes as
        /// `serde_json`.
        #[test]
        fn to_json_matches_serde_json(
            active: bool,
            texts in proptest::collection::vec(proptest::option::of("\\PC{0,12}|[\\x00-\\x1f\"\\\\]{1,4}"), 6),
            exp: Option<i64>,
            iat: Option<i64>,
            with_scope: bool,
            with_client: bool,
        ) {
            let text = |i: usize| texts.get(i).cloned().flatten();
            let response = IntrospectionResponse {
                active,
                scope: with_scope.then(|| Scope::parse("read write").unwrap()),
                client_id: with_client.then(|| ClientId::new("c1").unwrap()),
                sub: text(0),
                exp,
                iat,
                token_type: text(1),
                acr: text(2),
                iss: text(3),
                aud: text(4),
                jti: text(5),
            };
            proptest::prop_assert_eq!(response.to_json(), serde_json::to_vec(&response).unwrap());
        }
    }

    #[test]
    fn active_response_round_trips() {
        let resp = IntrospectionResponse {
            active: true,
            scope: Some(Scope::parse("read write").unwrap()),
            client_id: Some(ClientId::new("c1").unwrap()),
            sub: Some("alice".into()),
            exp: Some(1_700_000_000),
            iat: Some(1_699_996_400),
            token_type: Some("Bearer".into()),
            iss: Some("https://as.example".into()),
            ..IntrospectionResponse::inactive()
        };
        let json = serde_json::to_string(&resp).unwrap();
        assert!(json.starts_with(r#"{"active":true,"scope":"read write","client_id":"c1""#));
        assert!(!json.contains("jti"));
        assert_eq!(
            serde_json::from_str::<IntrospectionResponse>(&json).unwrap(),
            resp
        );
    }
}
