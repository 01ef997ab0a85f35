//! Bearer token validation for resource servers (RFC 6750). Reads the token from the
//! `Authorization` header only (§2.1; query and body tokens are not accepted, RFC 9700
//! §4.3.2), checks it is live and carries the required scopes, and on failure produces
//! the exact `WWW-Authenticate` challenge §3 prescribes.

use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, Response, StatusCode};
use latchkey_types::{ClientId, ErrorCode, Scope};
use time::OffsetDateTime;

use crate::endpoint::{header_text, HeaderField};
use crate::engine::Engine;
use crate::error::Error;
use crate::grant::{GrantId, Subject};

/// What a valid bearer token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerGrant {
    /// The resource owner (`None` for client-credentials tokens).
    pub subject: Option<Subject>,
    /// The client the token was issued to.
    pub client_id: ClientId,
    /// The token's scope.
    pub scope: Scope,
    /// The authentication level the subject reached.
    pub acr: Option<String>,
    /// The grant the token belongs to.
    pub grant_id: GrantId,
    /// When the token expires.
    pub expires_at: OffsetDateTime,
}

/// Why a bearer token was refused, with the response RFC 6750 §3 prescribes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BearerError {
    /// No bearer credentials at all: 401 with a bare challenge (§3.1: no error code).
    Missing,
    /// The Authorization header is malformed or repeated: 400 `invalid_request`.
    InvalidRequest,
    /// Unknown, expired, revoked or malformed token: 401 `invalid_token`.
    InvalidToken,
    /// The token lacks a required scope: 403 `insufficient_scope`, naming the scope needed.
    InsufficientScope(Scope),
    /// The store failed: 503.
    Unavailable,
}

impl BearerError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Missing | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The RFC 6750 error code, if the challenge carries one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Missing | Self::Unavailable => None,
            Self::InvalidRequest => Some(ErrorCode::InvalidRequest),
            Self::InvalidToken => Some(ErrorCode::InvalidToken),
            Self::InsufficientScope(_) => Some(ErrorCode::InsufficientScope),
        }
    }

    /// The `WWW-Authenticate` header value for `realm`.
    pub fn www_authenticate(&self, realm: &str) -> String {
        let realm = realm.replace(['"', '\\'], "");
        match self {
            Self::Missing | Self::Unavailable => format!("Bearer realm=\"{realm}\""),
            Self::InvalidRequest => format!(
                "Bearer realm=\"{realm}\", error=\"invalid_request\", error_description=\"malformed Authorization header\""
            ),
            Self::InvalidToken => format!(
                "Bearer realm=\"{realm}\", error=\"invalid_token\", error_description=\"the access token is invalid, expired or revoked\""
            ),
            Self::InsufficientScope(needed) => format!(
                "Bearer realm=\"{realm}\", error=\"insufficient_scope\", scope=\"{needed}\""
            ),
        }
    }

    /// The full response: status, challenge and a JSON error body.
    pub fn to_response(&self, realm: &str) -> Response<Bytes> {
        let body = match self.error_code() {
            Some(code) => format!("{{\"error\":\"{}\"}}", code.as_str()),
            None => "{}".to_owned(),
        };
        let mut response = Response::new(Bytes::from(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.www_authenticate(realm)) {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Extracts the token of `Authorization: Bearer <token>` (RFC 6750 §2.1, b64token syntax).
fn bearer_token(authorization: HeaderField<'_>) -> Result<&str, BearerError> {
    let value = match authorization {
        HeaderField::Absent => return Err(BearerError::Missing),
        HeaderField::Repeated => return Err(BearerError::InvalidRequest),
        HeaderField::Once(v) => header_text(v).ok_or(BearerError::InvalidRequest)?,
    };
    let (scheme, token) = value.split_once(' ').ok_or(BearerError::InvalidRequest)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::Missing);
    }
    let token = token.trim_start_matches(' ');
    let b64token = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
    let body = token.trim_end_matches('=');
    if body.is_empty() || token.len() > 8192 || !body.chars().all(b64token) {
        return Err(BearerError::InvalidRequest);
    }
    Ok(token)
}

impl Engine {
    /// Validates the bearer token of a resource request and checks it carries every scope
    /// in `required`.
    pub async fn authenticate_bearer(
        &self,
        headers: &HeaderMap,
        required: &Scope,
    ) -> Result<BearerGrant, BearerError> {
        let authorization = HeaderField::of(headers, &AUTHORIZATION);
        self.authenticate_bearer_header(authorization, required)
            .await
    }

    /// [`authenticate_bearer`](Self::authenticate_bearer) given only the values of the
    /// request's `Authorization` header, for an adapter whose framework has its own
    /// header types.
    pub async fn authenticate_bearer_header(
        &self,
        authorization: HeaderField<'_>,
        required: &Scope,
    ) -> Result<BearerGrant, BearerError> {
        let token = bearer_token(authorization)?;
        let found = match self.find_access_token(token).await {
            Ok(found) => found,
            Err(Error::Store(_)) => return Err(BearerError::Unavailable),
            Err(_) => return Err(BearerError::InvalidToken),
        };
        let Some((record, grant)) = found else {
            return Err(BearerError::InvalidToken);
        };
        if !required.is_subset_of(&record.scope) {
            return Err(BearerError::InsufficientScope(required.clone()));
        }
        Ok(BearerGrant {
            subject: grant.subject,
            client_id: grant.client_id,
            scope: record.scope,
            acr: grant.authentication.map(|a| a.acr),
            grant_id: grant.id,
            expires_at: record.expires_at,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    fn field(headers: &HeaderMap) -> HeaderField<'_> {
        HeaderField::of(headers, &AUTHORIZATION)
    }

    #[test]
    fn bearer_header_syntax_rfc6750_2_1() {
        assert_eq!(
            bearer_token(field(&headers("Bearer abc.DEF-_~+/=="))).unwrap(),
            "abc.DEF-_~+/=="
        );
        assert_eq!(bearer_token(field(&headers("bearer abc"))).unwrap(), "abc");
        assert_eq!(bearer_token(HeaderField::Absent), Err(BearerError::Missing));
        assert_eq!(
            bearer_token(field(&headers("Basic abc"))),
            Err(BearerError::Missing)
        );
        assert_eq!(
            bearer_token(field(&headers("Bearer a b"))),
            Err(BearerError::InvalidRequest)
        );
        assert_eq!(
            bearer_token(field(&headers("Bearer "))),
            Err(BearerError::InvalidRequest)
        );
    }

    #[test]
    fn challenges_follow_rfc6750_3() {
        assert_eq!(
            BearerError::Missing.www_authenticate("api"),
            "Bearer realm=\"api\""
        );
        let scope = Scope::parse("withdraw").unwrap();
        let e = BearerError::InsufficientScope(scope);
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        assert!(e
            .www_authenticate("api")
            .contains("error=\"insufficient_scope\", scope=\"withdraw\""));
        assert_eq!(BearerError::InvalidToken.status(), StatusCode::UNAUTHORIZED);
    }
}
