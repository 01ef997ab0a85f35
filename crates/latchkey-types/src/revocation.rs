//! Token revocation requests (RFC 7009).
//!
//! [`RevocationRequest::parse`] reads the form-encoded body sent to the
//! revocation endpoint. The token is held as a redacted [`PresentedToken`]
//! because it may be an access or a refresh token, and [`TokenTypeHint`] is
//! only a hint: unknown hints are ignored rather than rejected, as the server
//! must search all its token kinds anyway (RFC 7009 §2.1). The same body
//! shape is reused by introspection requests (RFC 7662 §2.1).

use crate::error::ErrorResponse;
use crate::form::FormParams;
use crate::ids::{ClientId, ClientSecret, PresentedToken};
use crate::token::{client_credentials, invalid_request, parse_form};

/// The `token_type_hint` of a revocation or introspection request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenTypeHint {
    /// Reads a hint; any value other than `access_token` or `refresh_token`
    /// gives `None`, because a hint is only a hint (RFC 7009 §2.1).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "access_token" => Some(Self::AccessToken),
            "refresh_token" => Some(Self::RefreshToken),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
        }
    }
}

/// A revocation request (RFC 7009 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    /// The token to revoke.
    pub token: PresentedToken,
    /// Which kind of token the client says it is, if a known hint was sent.
    pub token_type_hint: Option<TokenTypeHint>,
    /// `client_id` from the body, if sent.
    pub client_id: Option<ClientId>,
    /// `client_secret` from the body, if sent.
    pub client_secret: Option<ClientSecret>,
}

/// The parts shared by revocation and introspection request bodies.
pub(crate) struct TokenBody {
    pub(crate) token: PresentedToken,
    pub(crate) token_type_hint: Option<TokenTypeHint>,
    pub(crate) client_id: Option<ClientId>,
    pub(crate) client_secret: Option<ClientSecret>,
}

/// Parses `token`, `token_type_hint`, `client_id` and `client_secret`.
pub(crate) fn parse_token_body(body: &[u8]) -> Result<TokenBody, ErrorResponse> {
    let form: FormParams = parse_form(body)?;
    let (client_id, client_secret) = client_credentials(&form)?;
    let token = form
        .get("token")
        .ok_or_else(|| invalid_request("token is missing"))?;
    let token = PresentedToken::parse(token).map_err(|_| invalid_request("token is malformed"))?;
    let token_type_hint = form.get("token_type_hint").and_then(TokenTypeHint::parse);
    Ok(TokenBody {
        token,
        token_type_hint,
        client_id,
        client_secret,
    })
}

impl RevocationRequest {
    /// Parses a form-encoded revocation request body of at most
    /// [`MAX_FORM_BYTES`](crate::limits::MAX_FORM_BYTES) bytes; the token
    /// may be at most
    /// [`MAX_PRESENTED_TOKEN_LEN`](crate::limits::MAX_PRESENTED_TOKEN_LEN)
    /// VSCHAR characters.
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn revocation_request_parses_rfc7009_2_1() {
        let r =
            RevocationRequest::parse(b"token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token")
                .unwrap();
        assert_eq!(r.token.secret(), "45ghiukldjahdnhzdauz");
        assert_eq!(r.token_type_hint, Some(TokenTypeHint::RefreshToken));
        assert!(r.client_id.is_none() && r.client_secret.is_none());
    }

    #[test]
    fn unknown_hint_is_ignored_rfc7009_2_1() {
        let r = RevocationRequest::parse(b"token=t&token_type_hint=id_token").unwrap();
        assert_eq!(r.token_type_hint, None);
    }

    #[test]
    fn hint_wire_names() {
        for h in [TokenTypeHint::AccessToken, TokenTypeHint::RefreshToken] {
            assert_eq!(TokenTypeHint::parse(h.as_str()), Some(h));
        }
    }

    #[test]
    fn client_credentials_in_body_are_read() {
        let r = RevocationRequest::parse(b"token=t&client_id=c1&client_secret=s").unwrap();
        assert_eq!(r.client_id.unwrap().as_str(), "c1");
        assert_eq!(r.client_secret.unwrap().secret(), "s");
    }

    #[test]
    fn missing_token_is_invalid_request() {
        let e = RevocationRequest::parse(b"token_type_hint=access_token").unwrap_err();
        assert_eq!(e.error, ErrorCode::InvalidRequest);
        let e = RevocationRequest::parse(b"token=").unwrap_err();
        assert_eq!(e.error, ErrorCode::InvalidRequest);
    }

    #[test]
    fn repeated_token_is_invalid_request_without_echo() {
        let e = RevocationRequest::parse(b"token=SECRET1&token=SECRET2").unwrap_err();
        assert_eq!(e.error, ErrorCode::InvalidRequest);
        assert!(!e.to_string().contains("SECRET"));
    }

    #[test]
    fn malformed_token_is_invalid_request() {
        let e = RevocationRequest::parse(b"token=a%0Ab").unwrap_err();
        assert_eq!(e.error, ErrorCode::InvalidRequest);
    }

    #[test]
    fn token_is_redacted_in_debug() {
        let r = RevocationRequest::parse(b"token=SECRET").unwrap();
        assert!(!format!("{r:?}").contains("SECRET"));
    }
}
