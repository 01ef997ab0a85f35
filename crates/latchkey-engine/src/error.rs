//! The engine's one error type. Every failure a request can meet is a variant here, and
//! [`Error::to_wire`] maps each to exactly one OAuth error code and HTTP status, in one
//! place. Descriptions are fixed strings chosen here: no presented secret, code, token or
//! verifier can reach an error message.

use http::StatusCode;
use latchkey_types::{ErrorCode, ErrorResponse};

use crate::store::StoreError;

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is malformed or misses a required parameter (`invalid_request`).
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// A request parameter failed to parse; carries the wire error chosen by the parser.
    #[error("malformed request: {}", .0.error.as_str())]
    Malformed(ErrorResponse),
    /// Client authentication failed (`invalid_client`, 401).
    #[error("client authentication failed: {0}")]
    InvalidClient(&'static str),
    /// The code, refresh token or PKCE verifier is invalid, expired, used or not the
    /// client's (`invalid_grant`).
    #[error("invalid grant: {0}")]
    InvalidGrant(&'static str),
    /// The client may not use this grant type (`unauthorized_client`).
    #[error("unauthorized client: {0}")]
    UnauthorizedClient(&'static str),
    /// The requested scope is invalid or exceeds what is allowed (`invalid_scope`).
    #[error("invalid scope: {0}")]
    InvalidScope(&'static str),
    /// Too many failed client authentications for this client id; try again later (429).
    #[error("too many failed attempts; retry after {retry_after_secs} s")]
    Throttled {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// The interaction id is unknown, already decided, or expired.
    #[error("unknown or expired authorization request")]
    UnknownInteraction,
    /// The approval lacks the authentication level a granted scope requires: authenticate
    /// the user more strongly (e.g. strong customer authentication) and approve again.
    #[error("scope requires authentication level {required}")]
    InsufficientAuthentication {
        /// The `acr` value needed.
        required: String,
    },
    /// The integrator's decision is not acceptable (e.g. grants a scope not requested).
    #[error("invalid decision: {0}")]
    InvalidDecision(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operating system's random source failed (when a thread's generator needed a key).
    #[error("random source failure")]
    Randomness,
    /// Signing a JWT access token failed.
    #[error("token signing failed")]
    Signing,
    /// The engine was configured inconsistently.
    #[error("configuration error: {0}")]
    Config(String),
}

/// What an [`Error`] becomes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// HTTP status.
    pub status: StatusCode,
    /// The OAuth error body.
    pub body: ErrorResponse,
    /// `Retry-After` seconds, for 429 and 503.
    pub retry_after_secs: Option<u64>,
}

impl Error {
    /// The OAuth error code, HTTP status and description this error is sent as.
    pub fn to_wire(&self) -> WireError {
        let (status, code, description): (StatusCode, ErrorCode, Option<&str>) = match self {
            Error::InvalidRequest(d) => {
                (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, Some(d))
            }
            Error::Malformed(body) => {
                let status = match body.error {
                    ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
                    _ => StatusCode::BAD_REQUEST,
                };
                return WireError {
                    status,
                    body: body.clone(),
                    retry_after_secs: None,
                };
            }
            Error::InvalidClient(d) => {
                (StatusCode::UNAUTHORIZED, ErrorCode::InvalidClient, Some(d))
            }
            Error::InvalidGrant(d) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidGrant, Some(d)),
            Error::UnauthorizedClient(d) => (
                StatusCode::BAD_REQUEST,
                ErrorCode::UnauthorizedClient,
                Some(d),
            ),
            Error::InvalidScope(d) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidScope, Some(d)),
            Error::Throttled { retry_after_secs } => {
                return WireError {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    body: ErrorResponse::new(ErrorCode::TemporarilyUnavailable)
                        .with_description("too many failed client authentications; retry later"),
                    retry_after_secs: Some(*retry_after_secs),
                }
            }
            Error::UnknownInteraction => (
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                Some("unknown or expired authorization request"),
            ),
            Error::InsufficientAuthentication { .. } => (
                StatusCode::FORBIDDEN,
                ErrorCode::AccessDenied,
                Some("a stronger authentication is required for the requested scope"),
            ),
            Error::InvalidDecision(d) => {
                (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, Some(d))
            }
            Error::Store(StoreError::Unavailable(_)) => {
                return WireError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    body: ErrorResponse::new(ErrorCode::TemporarilyUnavailable)
                        .with_description("the authorization server is temporarily unavailable"),
                    retry_after_secs: Some(5),
                }
            }
            Error::Store(StoreError::GrantRevoked) => (
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidGrant,
                Some("the authorization grant has been revoked"),
            ),
            Error::Store(_) | Error::Randomness | Error::Signing | Error::Config(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::ServerError,
                Some("internal error"),
            ),
        };
        let mut body = ErrorResponse::new(code);
        if let Some(d) = description {
            body = body.with_description(d);
        }
        WireError {
            status,
            body,
            retry_after_secs: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_outage_is_503_temporarily_unavailable() {
        let wire = Error::Store(StoreError::Unavailable("connection refused".into())).to_wire();
        assert_eq!(wire.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(wire.body.error, ErrorCode::TemporarilyUnavailable);
        // The backend's own message never reaches the client.
        let json = serde_json::to_string(&wire.body).unwrap_or_default();
        assert!(!json.contains("connection refused"));
    }

    #[test]
    fn invalid_client_is_401() {
        assert_eq!(
            Error::InvalidClient("x").to_wire().status,
            StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn throttled_is_429_with_retry_after() {
        let wire = Error::Throttled {
            retry_after_secs: 30,
        }
        .to_wire();
        assert_eq!(wire.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(wire.retry_after_secs, Some(30));
    }
}
