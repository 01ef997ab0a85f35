//! OAuth 2.0 error responses: codes, descriptions and the JSON body.
//!
//! [`ErrorResponse`] is what the server sends back when a request fails,
//! either as JSON from the token, revocation and introspection endpoints
//! (RFC 6749 §5.2) or as redirect query parameters from the authorization
//! endpoint (RFC 6749 §4.1.2.1). [`ErrorCode`] covers every registered code
//! that those endpoints and bearer-token resources may emit, and
//! [`ErrorDescription`] guarantees the restricted character set that RFC 6749
//! demands. Descriptions are written by the server from fixed texts: they
//! must never contain secret values such as codes, tokens, secrets or
//! verifiers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::charset::is_nqschar;
use crate::limits::MAX_ERROR_DESCRIPTION_LEN;

/// A registered OAuth 2.0 error code.
///
/// Sources: RFC 6749 §4.1.2.1 (authorization endpoint) and §5.2 (token
/// endpoint), RFC 6750 §3.1 (protected resources), RFC 7009 §2.2.1
/// (revocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`: missing, repeated or malformed parameter.
    InvalidRequest,
    /// `unauthorized_client`: the client may not use this grant or flow.
    UnauthorizedClient,
    /// `access_denied`: the resource owner or server denied the request.
    AccessDenied,
    /// `unsupported_response_type`: only `code` is supported.
    UnsupportedResponseType,
    /// `invalid_scope`: the scope is malformed, unknown or too broad.
    InvalidScope,
    /// `server_error`: unexpected condition on the server.
    ServerError,
    /// `temporarily_unavailable`: overloaded or under maintenance.
    TemporarilyUnavailable,
    /// `invalid_client`: client authentication failed.
    InvalidClient,
    /// `invalid_grant`: the code or refresh token is invalid, expired,
    /// revoked, or was issued to another client or redirect URI.
    InvalidGrant,
    /// `unsupported_grant_type`: the grant type is not supported.
    UnsupportedGrantType,
    /// `invalid_token` (RFC 6750 §3.1): the access token is not valid.
    InvalidToken,
    /// `insufficient_scope` (RFC 6750 §3.1): the token lacks a needed scope.
    InsufficientScope,
    /// `unsupported_token_type` (RFC 7009 §2.2.1): revocation of this token
    /// type is not supported.
    UnsupportedTokenType,
}

impl ErrorCode {
    /// The registered wire name, e.g. `"invalid_request"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a valid [`ErrorDescription`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidDescription {
    /// The description is empty (RFC 6749 requires at least one character).
    #[error("error description is empty")]
    Empty,
    /// Longer than [`MAX_ERROR_DESCRIPTION_LEN`].
    #[error("error description is too long")]
    TooLong,
    /// Contains a character outside `%x20-21 / %x23-5B / %x5D-7E`.
    #[error("error description contains a disallowed character")]
    InvalidCharacter,
}

/// A human-readable `error_description` (RFC 6749 §5.2).
///
/// Holds 1..=[`MAX_ERROR_DESCRIPTION_LEN`] characters from
/// `%x20-21 / %x23-5B / %x5D-7E`: printable ASCII without `"` and `\`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ErrorDescription(String);

impl ErrorDescription {
    /// Validates `text` (at most [`MAX_ERROR_DESCRIPTION_LEN`] characters).
    ///
    /// # Errors
    ///
    /// [`InvalidDescription`] if `text` is empty, too long or contains a
    /// disallowed character.
    pub fn new(text: &str) -> Result<Self, InvalidDescription> {
        if text.is_empty() {
            return Err(InvalidDescription::Empty);
        }
        if text.len() > MAX_ERROR_DESCRIPTION_LEN {
            return Err(InvalidDescription::TooLong);
        }
        if !text.bytes().all(is_nqschar) {
            return Err(InvalidDescription::InvalidCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    /// Builds a description from any text: each disallowed character
    /// (including every non-ASCII character) becomes `?`, and the result is
    /// cut to [`MAX_ERROR_DESCRIPTION_LEN`] characters. Empty input yields
    /// `"?"`. Only the first [`MAX_ERROR_DESCRIPTION_LEN`] characters of
    /// `text` are read.
    pub fn lossy(text: &str) -> Self {
        let mut out: String = text
            .chars()
            .take(MAX_ERROR_DESCRIPTION_LEN)
            .map(|c| {
                if c.is_ascii() && is_nqschar(c as u8) {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if out.is_empty() {
            out.push('?');
        }
        Self(out)
    }

    /// The description text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ErrorDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ErrorDescription {
    type Error = InvalidDescription;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<ErrorDescription> for String {
    fn from(value: ErrorDescription) -> Self {
        value.0
    }
}

/// An OAuth 2.0 error response (RFC 6749 §4.1.2.1, §5.2).
///
/// Serializes to the JSON object of RFC 6749 §5.2, omitting absent fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error code.
    pub error: ErrorCode,
    /// Optional human-readable text for the client developer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<ErrorDescription>,
    /// Optional URI of a page about the error. Set by the server only; the
    /// server should keep it within
    /// [`MAX_REDIRECT_URI_LEN`](crate::limits::MAX_REDIRECT_URI_LEN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
}

impl ErrorResponse {
    /// An error response with only a code.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            error: code,
            error_description: None,
            error_uri: None,
        }
    }

    /// Adds a description, made safe with [`ErrorDescription::lossy`].
    /// Empty text leaves the description unset. Never pass secret values.
    pub fn with_description(mut self, text: &str) -> Self {
        self.error_description = if text.is_empty() {
            None
        } else {
            Some(ErrorDescription::lossy(text))
        };
        self
    }

    /// Shorthand for `ErrorResponse::new(code).with_description(text)`.
    pub(crate) fn described(code: ErrorCode, text: &str) -> Self {
        Self::new(code).with_description(text)
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {}", self.error, d),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for ErrorResponse {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ALL: [ErrorCode; 13] = [
        ErrorCode::InvalidRequest,
        ErrorCode::UnauthorizedClient,
        ErrorCode::AccessDenied,
        ErrorCode::UnsupportedResponseType,
        ErrorCode::InvalidScope,
        ErrorCode::ServerError,
        ErrorCode::TemporarilyUnavailable,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidGrant,
        ErrorCode::UnsupportedGrantType,
        ErrorCode::InvalidToken,
        ErrorCode::InsufficientScope,
        ErrorCode::UnsupportedTokenType,
    ];

    #[test]
    fn error_codes_serialize_as_registered_names() {
        for code in ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
            assert_eq!(code.to_string(), code.as_str());
        }
        assert_eq!(
            ErrorCode::UnsupportedTokenType.as_str(),
            "unsupported_token_type"
        );
    }

    #[test]
    fn description_charset_rfc6749_5_2() {
        assert!(ErrorDescription::new("bad thing! [x] ~").is_ok());
        assert_eq!(
            ErrorDescription::new("a\"b"),
            Err(InvalidDescription::InvalidCharacter)
        );
        assert_eq!(
            ErrorDescription::new("a\\b"),
            Err(InvalidDescription::InvalidCharacter)
        );
        assert_eq!(
            ErrorDescription::new("a\nb"),
            Err(InvalidDescription::InvalidCharacter)
        );
        assert_eq!(
            ErrorDescription::new("é"),
            Err(InvalidDescription::InvalidCharacter)
        );
        assert_eq!(ErrorDescription::new(""), Err(InvalidDescription::Empty));
    }

    #[test]
    fn description_max_length() {
        let max = "a".repeat(MAX_ERROR_DESCRIPTION_LEN);
        assert!(ErrorDescription::new(&max).is_ok());
        let over = "a".repeat(MAX_ERROR_DESCRIPTION_LEN + 1);
        assert_eq!(
            ErrorDescription::new(&over),
            Err(InvalidDescription::TooLong)
        );
    }

    #[test]
    fn lossy_replaces_and_truncates() {
        assert_eq!(
            ErrorDescription::lossy("a\"b\\c\u{e9}\n").as_str(),
            "a?b?c??"
        );
        let long = "x".repeat(MAX_ERROR_DESCRIPTION_LEN * 2);
        assert_eq!(
            ErrorDescription::lossy(&long).as_str().len(),
            MAX_ERROR_DESCRIPTION_LEN
        );
        assert_eq!(ErrorDescription::lossy("").as_str(), "?");
    }

    #[test]
    fn error_response_json_skips_absent_fields() {
        let r = ErrorResponse::new(ErrorCode::InvalidGrant);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"error":"invalid_grant"}"#
        );
        let r = ErrorResponse::new(ErrorCode::InvalidRequest).with_description("missing \"code\"");
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"error":"invalid_request","error_description":"missing ?code?"}"#
        );
        let back: ErrorResponse =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn empty_description_is_left_unset() {
        let r = ErrorResponse::new(ErrorCode::ServerError).with_description("");
        assert_eq!(r.error_description, None);
    }

    #[test]
    fn deserialize_rejects_invalid_description() {
        let bad = r#"{"error":"invalid_request","error_description":"a\"b"}"#;
        assert!(serde_json::from_str::<ErrorResponse>(bad).is_err());
        assert!(serde_json::from_str::<ErrorResponse>(r#"{"error":"nope"}"#).is_err());
    }

    #[test]
    fn display_shows_code_and_description() {
        let r = ErrorResponse::described(ErrorCode::InvalidScope, "scope is malformed");
        assert_eq!(r.to_string(), "invalid_scope: scope is malformed");
    }
}
