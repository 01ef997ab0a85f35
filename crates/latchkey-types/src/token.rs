//! The token endpoint: request (RFC 6749 §4.1.3, §6, §4.4) and response
//! (RFC 6749 §5.1).
//!
//! [`TokenRequest::parse`] reads the form-encoded body of a token request
//! into a [`GrantRequest`] plus whatever client credentials were sent in the
//! body. It only checks syntax: client authentication, code redemption and
//! PKCE verification are the engine's job. Failures are ready-made
//! [`ErrorResponse`]s whose descriptions never echo submitted values.
//! [`TokenResponse`] is the success body; it is the one place where secret
//! token values are serialized.

use std::fmt;
use std::str::FromStr;

use latchkey_pkce::CodeVerifier;
use serde::de::Error as _;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ErrorCode, ErrorResponse};
use crate::form::{FormError, FormParams};
use crate::ids::{
    value_error_kind, AccessToken, AuthorizationCode, ClientId, ClientSecret, RefreshToken,
};
use crate::json_out::{push_decimal, push_json_str};
use crate::redirect_uri::RedirectUri;
use crate::scope::Scope;

/// A `grant_type` this server understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1.3).
    AuthorizationCode,
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken,
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials,
}

impl GrantType {
    /// The wire value, e.g. `"authorization_code"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `grant_type` is not one of [`GrantType`]'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unsupported grant type")]
pub struct UnsupportedGrantType;

impl FromStr for GrantType {
    type Err = UnsupportedGrantType;

    /// Exact, case-sensitive match on the wire value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "refresh_token" => Ok(Self::RefreshToken),
            "client_credentials" => Ok(Self::ClientCredentials),
            _ => Err(UnsupportedGrantType),
        }
    }
}

/// The grant-specific part of a token request.
#[derive(Debug)]
#[non_exhaustive]
pub enum GrantRequest {
    /// Redeem an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.5).
    AuthorizationCode {
        /// The code.
        code: AuthorizationCode,
        /// Must equal the authorization request's `redirect_uri` if that
        /// carried one.
        redirect_uri: Option<RedirectUri>,
        /// The PKCE verifier, if sent.
        code_verifier: Option<CodeVerifier>,
    },
    /// Use a refresh token (RFC 6749 §6).
    RefreshToken {
        /// The refresh token.
        refresh_token: RefreshToken,
        /// Optional narrower scope.
        scope: Option<Scope>,
    },
    /// Client credentials grant (RFC 6749 §4.4).
    ClientCredentials {
        /// Requested scope, if any.
        scope: Option<Scope>,
    },
}

impl GrantRequest {
    /// Which grant this is.
    pub fn grant_type(&self) -> GrantType {
        match self {
            Self::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Self::RefreshToken { .. } => GrantType::RefreshToken,
            Self::ClientCredentials { .. } => GrantType::ClientCredentials,
        }
    }
}

/// A syntactically valid token request.
#[derive(Debug)]
pub struct TokenRequest {
    /// The grant and its parameters.
    pub grant: GrantRequest,
    /// `client_id` from the body, if sent (public clients, or
    /// `client_secret_post`).
    pub client_id: Option<ClientId>,
    /// `client_secret` from the body, if sent (`client_secret_post`).
    pub client_secret: Option<ClientSecret>,
}

impl TokenRequest {
    /// Parses a form-encoded token request body of at most
    /// [`MAX_FORM_BYTES`](crate::limits::MAX_FORM_BYTES) bytes.
    ///
    /// # Errors
    ///
    /// An [`ErrorResponse`]: `invalid_request` for an oversize body, a
    /// repeated parameter, a missing `grant_type`, `code` or `refresh_token`,
    /// or a malformed `redirect_uri`, `code_verifier`, `client_id` or
    /// `client_secret`; `unsupported_grant_type` for an unknown grant type;
    /// `invalid_grant` for a `code` or `refresh_token` that cannot be a
    /// valid credential (empty after decoding, too long, or not VSCHAR);
    /// `invalid_scope` for a malformed scope.
    pub fn parse(body: &[u8]) -> Result<TokenRequest, ErrorResponse> {
        let form = parse_form(body)?;
        let (client_id, client_secret) = client_credentials(&form)?;
        let grant_type = form
            .get("grant_type")
            .ok_or_else(|| invalid_request("grant_type is missing"))?;
        let grant_type = GrantType::from_str(grant_type).map_err(|_| {
            ErrorResponse::described(
                ErrorCode::UnsupportedGrantType,
                "grant_type is not supported",
            )
        })?;
        let grant = match grant_type {
            GrantType::AuthorizationCode => {
                let code = form
                    .get("code")
                    .ok_or_else(|| invalid_request("code is missing"))?;
                let code = AuthorizationCode::parse(code).map_err(|_| invalid_grant("code"))?;
                let redirect_uri = match form.get("redirect_uri") {
                    Some(uri) => Some(
                        RedirectUri::parse(uri)
                            .map_err(|_| invalid_request("redirect_uri is malformed"))?,
                    ),
                    None => None,
                };
                let code_verifier = match form.get("code_verifier") {
                    Some(v) => Some(
                        CodeVerifier::new(v)
                            .map_err(|_| invalid_request("code_verifier is malformed"))?,
                    ),
                    None => None,
                };
                GrantRequest::AuthorizationCode {
                    code,
                    redirect_uri,
                    code_verifier,
                }
            }
            GrantType::RefreshToken => {
                let token = form
                    .get("refresh_token")
                    .ok_or_else(|| invalid_request("refresh_token is missing"))?;
                let refresh_token =
                    RefreshToken::parse(token).map_err(|_| invalid_grant("refresh_token"))?;
                GrantRequest::RefreshToken {
                    refresh_token,
                    scope: parse_scope(&form)?,
                }
            }
            GrantType::ClientCredentials => GrantRequest::ClientCredentials {
                scope: parse_scope(&form)?,
            },
        };
        Ok(TokenRequest {
            grant,
            client_id,
            client_secret,
        })
    }
}

/// `invalid_request` with a fixed description.
pub(crate) fn invalid_request(text: &str) -> ErrorResponse {
    ErrorResponse::described(ErrorCode::InvalidRequest, text)
}

fn invalid_grant(what: &str) -> ErrorResponse {
    ErrorResponse::described(ErrorCode::InvalidGrant, &format!("{what} is invalid"))
}

/// Parses a request body, mapping form errors to `invalid_request`.
pub(crate) fn parse_form(body: &[u8]) -> Result<FormParams, ErrorResponse> {
    FormParams::parse(body).map_err(|e| match e {
        FormError::TooLarge => invalid_request("request body is too large"),
        FormError::Repeated(name) => invalid_request(&format!("parameter {name} is repeated")),
    })
}

/// Reads `client_id` and `client_secret` from a request body.
pub(crate) fn client_credentials(
    form: &FormParams,
) -> Result<(Option<ClientId>, Option<ClientSecret>), ErrorResponse> {
    let client_id = match form.get("client_id") {
        Some(id) => Some(ClientId::new(id).map_err(|_| invalid_request("client_id is malformed"))?),
        None => None,
    };
    let client_secret = match form.get("client_secret") {
        Some(s) => Some(
            ClientSecret::parse(s).map_err(|_| invalid_request("client_secret is malformed"))?,
        ),
        None => None,
    };
    Ok((client_id, client_secret))
}

fn parse_scope(form: &FormParams) -> Result<Option<Scope>, ErrorResponse> {
    form.get("scope")
        .map(|s| {
            Scope::parse(s).map_err(|_| {
                ErrorResponse::described(ErrorCode::InvalidScope, "scope is malformed")
            })
        })
        .transpose()
}

/// The `token_type` of an issued access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TokenType {
    /// `Bearer` (RFC 6750).
    #[default]
    Bearer,
}

impl TokenType {
    /// The wire value, `"Bearer"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
        }
    }
}

impl Serialize for TokenType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TokenType {
    /// Case-insensitive, as RFC 6749 §5.1 requires.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        if s.eq_ignore_ascii_case("bearer") {
            Ok(Self::Bearer)
        } else {
            Err(D::Error::custom("unsupported token_type"))
        }
    }
}

/// A successful token response (RFC 6749 §5.1).
///
/// `Serialize` writes the secret token values: send it only as the token
/// endpoint's response body. Its `Debug` output stays redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// The issued access token.
    pub access_token: AccessToken,
    /// Always [`TokenType::Bearer`].
    pub token_type: TokenType,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// A refresh token, if one was issued.
    pub refresh_token: Option<RefreshToken>,
    /// The granted scope, if it differs from the request or always if the
    /// server chooses (RFC 6749 §5.1).
    pub scope: Option<Scope>,
}

impl Serialize for TokenResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 3 + usize::from(self.refresh_token.is_some()) + usize::from(self.scope.is_some());
        let mut st = serializer.serialize_struct("TokenResponse", len)?;
        st.serialize_field("access_token", self.access_token.secret())?;
        st.serialize_field("token_type", &self.token_type)?;
        st.serialize_field("expires_in", &self.expires_in)?;
        if let Some(refresh) = &self.refresh_token {
            st.serialize_field("refresh_token", refresh.secret())?;
        }
        if let Some(scope) = &self.scope {
            st.serialize_field("scope", scope)?;
        }
        st.end()
    }
}

impl TokenResponse {
    /// The response body: exactly the bytes `serde_json::to_vec` writes for it (same
    /// member order, same escaping), written straight into one buffer sized for it.
    /// Like `Serialize`, this writes the secret token values.
    pub fn to_json(&self) -> Vec<u8> {
        let mut capacity = 96 + self.access_token.secret().len();
        capacity += self
            .refresh_token
            .as_ref()
            .map_or(0, |r| 20 + r.secret().len());
        capacity += self.scope.as_ref().map_or(0, |s| 12 + s.as_str().len());
        let mut out = Vec::with_capacity(capacity);
        out.extend_from_slice(b"{\"access_token\":");
        push_json_str(&mut out, self.access_token.secret());
        out.extend_from_slice(b",\"token_type\":");
        push_json_str(&mut out, self.token_type.as_str());
        out.extend_from_slice(b",\"expires_in\":");
        push_decimal(&mut out, self.expires_in);
        if let Some(refresh) = &self.refresh_token {
            out.extend_from_slice(b",\"refresh_token\":");
            push_json_str(&mut out, refresh.secret());
        }
        if let Some(scope) = &self.scope {
            out.extend_from_slice(b",\"scope\":");
            push_json_str(&mut out, scope.as_str());
        }
        out.push(b'}');
        out
    }
}

/// Wire shape used to deserialize a [`TokenResponse`].
#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    token_type: TokenType,
    expires_in: u64,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<Scope>,
}

impl<'de> Deserialize<'de> for TokenResponse {
    /// Validates the tokens with [`AccessToken::parse`] and
    /// [`RefreshToken::parse`]; errors never contain token values.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawTokenResponse::deserialize(deserializer)?;
        let access_token = AccessToken::parse(&raw.access_token).map_err(|e| {
            D::Error::custom(format!("invalid access_token: {}", value_error_kind(&e)))
        })?;
        let refresh_token = raw
            .refresh_token
            .map(|r| RefreshToken::parse(&r))
            .transpose()
            .map_err(|e| {
                D::Error::custom(format!("invalid refresh_token: {}", value_error_kind(&e)))
            })?;
        Ok(TokenResponse {
            access_token,
            token_type: raw.token_type,
            expires_in: raw.expires_in,
            refresh_token,
            scope: raw.scope,
        })
    }
}

#[cfg(test)]
mod tests;
