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
