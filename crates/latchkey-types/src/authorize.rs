//! The authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636 §4.3).
//!
//! [`AuthorizationRequest::parse`] turns the query string of the
//! authorization endpoint into typed values. Its error type encodes the one
//! rule that matters most at this endpoint: until the client and its redirect
//! URI are known to be valid, nothing may be redirected (RFC 6749 §4.1.2.1,
//! RFC 9700 §4.1). Problems with `client_id` or `redirect_uri` are therefore
//! [`AuthorizationRequestError::Unredirectable`] and must be shown to the
//! user; every later problem is
//! [`AuthorizationRequestError::Redirectable`], carrying what the engine needs
//! to check the client's registration and then redirect the error with the
//! `state` echoed back.

use std::fmt;
use std::str::FromStr;

use latchkey_pkce::{CodeChallengeMethod, Nonce, State};

use crate::charset::is_unreserved;
use crate::error::{ErrorCode, ErrorResponse};
use crate::form::FormParams;
use crate::ids::ClientId;
use crate::limits::{MAX_CODE_CHALLENGE_LEN, MIN_CODE_CHALLENGE_LEN};
use crate::redirect_uri::RedirectUri;
use crate::scope::Scope;

/// The `response_type` of an authorization request. Only the authorization
/// code flow is supported (OAuth 2.1 drops the implicit grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseType {
    /// `code` (RFC 6749 §4.1.1).
    Code,
}

impl ResponseType {
    /// The wire value, `"code"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
        }
    }
}

/// A syntactically valid authorization request.
///
/// Nothing here has been checked against the client registration yet: the
/// engine must still verify `client_id`, `redirect_uri`, `scope` and the PKCE
/// policy.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// Always [`ResponseType::Code`].
    pub response_type: ResponseType,
    /// The client making the request.
    pub client_id: ClientId,
    /// The redirect URI, if the client sent one.
    pub redirect_uri: Option<RedirectUri>,
    /// The requested scope, if any.
    pub scope: Option<Scope>,
    /// Opaque client state to echo back (at most 1024 VSCHAR characters).
    pub state: Option<State>,
    /// The PKCE `code_challenge`: 43..=128 unreserved characters
    /// (RFC 7636 §4.2), not yet checked against the method.
    pub code_challenge: Option<String>,
    /// The PKCE `code_challenge_method`, if sent.
    pub code_challenge_method: Option<CodeChallengeMethod>,
    /// OpenID Connect `nonce`, if sent (at most 1024 VSCHAR characters).
    pub nonce: Option<Nonce>,
}

/// Why an authorization request may not be answered with a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnredirectableReason {
    /// The query string is larger than the form limits allow.
    QueryTooLarge,
    /// No `client_id`.
    MissingClientId,
    /// `client_id` included more than once.
    RepeatedClientId,
    /// `client_id` is not a valid client identifier.
    InvalidClientId,
    /// `redirect_uri` included more than once.
    RepeatedRedirectUri,
    /// `redirect_uri` is not a valid redirect URI.
    InvalidRedirectUri,
}

impl UnredirectableReason {
    /// A short text that is safe to show to the user and to put in an
    /// `error_description`.
    pub fn description(self) -> &'static str {
        match self {
            Self::QueryTooLarge => "request is too large",
            Self::MissingClientId => "client_id is missing",
            Self::RepeatedClientId => "client_id is repeated",
            Self::InvalidClientId => "client_id is malformed",
            Self::RepeatedRedirectUri => "redirect_uri is repeated",
            Self::InvalidRedirectUri => "redirect_uri is malformed",
        }
    }
}

impl fmt::Display for UnredirectableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// Why an authorization request was rejected.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizationRequestError {
    /// The client or redirect URI cannot be trusted: show an error page,
    /// never redirect (RFC 6749 §4.1.2.1).
    #[error("invalid authorization request: {reason}")]
    Unredirectable {
        /// What was wrong.
        reason: UnredirectableReason,
    },
    /// The client and redirect URI are well formed; once the engine has
    /// checked them against the registration it redirects `error` with
    /// `state` to the redirect URI.
    #[error("invalid authorization request: {error}")]
    Redirectable {
        /// The client that made the request.
        client_id: ClientId,
        /// The redirect URI from the request, if any.
        redirect_uri: Option<RedirectUri>,
        /// The request's `state` if it was valid, to echo back.
        state: Option<State>,
        /// The error to redirect.
        error: ErrorResponse,
    },
}

impl AuthorizationRequestError {
    /// The OAuth error for this failure. For
    /// [`Unredirectable`](Self::Unredirectable) it is `invalid_request` with
    /// the reason as description, for an error page.
    pub fn error_response(&self) -> ErrorResponse {
        match self {
            Self::Unredirectable { reason } => {
                ErrorResponse::described(ErrorCode::InvalidRequest, reason.description())
            }
            Self::Redirectable { error, .. } => error.clone(),
        }
    }
}

impl AuthorizationRequest {
    /// Parses the query string of an authorization request (without the
    /// leading `?`), at most [`MAX_FORM_BYTES`](crate::limits::MAX_FORM_BYTES)
    /// bytes. Unknown parameters are ignored; empty values count as absent.
    ///
    /// # Errors
    ///
    /// [`AuthorizationRequestError`]: `Unredirectable` for problems with the
    /// query as a whole, `client_id` or `redirect_uri`; otherwise
    /// `Redirectable`, checking in this order: repeated parameters,
    /// `response_type`, `scope`, `state`, `code_challenge_method`,
    /// `code_challenge`, `nonce`.
    // The error is large (~140 bytes) but only built on the cold rejection
    // path, and its fields are what callers match on; boxing them would
    // complicate every caller for no measurable gain.
    #[allow(clippy::result_large_err)]
    pub fn parse(query: &str) -> Result<AuthorizationRequest, AuthorizationRequestError> {
        use UnredirectableReason as Reason;
        let unredirectable = |reason| AuthorizationRequestError::Unredirectable { reason };

        // The lenient parse fails only on size: repeated names are collected.
        let form = FormParams::parse_lenient(query.as_bytes())
            .map_err(|_| unredirectable(Reason::QueryTooLarge))?;
        if form.is_repeated("client_id") {
            return Err(unredirectable(Reason::RepeatedClientId));
        }
        let client_id = form
            .params
            .get("client_id")
            .ok_or(unredirectable(Reason::MissingClientId))?;
        let client_id =
            ClientId::new(client_id).map_err(|_| unredirectable(Reason::InvalidClientId))?;
        if form.is_repeated("redirect_uri") {
            return Err(unredirectable(Reason::RepeatedRedirectUri));
        }
        let redirect_uri = match form.params.get("redirect_uri") {
            Some(uri) => Some(
                RedirectUri::parse(uri).map_err(|_| unredirectable(Reason::InvalidRedirectUri))?,
            ),
            None => None,
        };

        // From here on every error is redirected with the state, if valid.
        let state_repeated = form.is_repeated("state");
        let state_result = match form.params.get("state") {
            Some(s) if !state_repeated => State::parse(s).map(Some),
            _ => Ok(None),
        };
        // The state to echo with an error is passed by reference: only a rejection
        // copies it into its error.
        let redirectable =
            |state: Option<&State>, code, text: &str| AuthorizationRequestError::Redirectable {
                client_id: client_id.clone(),
                redirect_uri: redirect_uri.clone(),
                state: state.cloned(),
                error: ErrorResponse::described(code, text),
            };
        let invalid_request = |state: Option<&State>, text: &str| {
            redirectable(state, ErrorCode::InvalidRequest, text)
        };

        {
            let valid_state = state_result.as_ref().ok().and_then(Option::as_ref);
            if let Some(name) = form.repeated.first() {
                return Err(invalid_request(
                    valid_state,
                    &format!("parameter {name} is repeated"),
                ));
            }
            match form.params.get("response_type") {
                None => return Err(invalid_request(valid_state, "response_type is missing")),
                Some("code") => {}
                Some(_) => {
                    return Err(redirectable(
                        valid_state,
                        ErrorCode::UnsupportedResponseType,
                        "only response_type=code is supported",
                    ))
                }
            }
        }
        let response_type = ResponseType::Code;
        let scope = match form.params.get("scope") {
            Some(s) => Some(Scope::parse(s).map_err(|_| {
                redirectable(
                    state_result.as_ref().ok().and_then(Option::as_ref),
                    ErrorCode::InvalidScope,
                    "scope is malformed",
                )
            })?),
            None => None,
        };
        let state = state_result.map_err(|_| invalid_request(None, "state is malformed"))?;
        let state_ref = state.as_ref();
        let code_challenge_method = match form.params.get("code_challenge_method") {
            Some(m) => Some(CodeChallengeMethod::from_str(m).map_err(|_| {
                invalid_request(state_ref, "code_challenge_method is not supported")
            })?),
            None => None,
        };
        let code_challenge = match form.params.get("code_challenge") {
            Some(c) if is_code_challenge(c) => Some(c.to_owned()),
            Some(_) => return Err(invalid_request(state_ref, "code_challenge is malformed")),
            None if code_challenge_method.is_some() => {
                return Err(invalid_request(
                    state_ref,
                    "code_challenge_method without code_challenge",
                ))
            }
            None => None,
        };
        let nonce = match form.params.get("nonce") {
            Some(n) => Some(
                Nonce::parse(n).map_err(|_| invalid_request(state_ref, "nonce is malformed"))?,
            ),
            None => None,
        };
        Ok(AuthorizationRequest {
            response_type,
            client_id,
            redirect_uri,
            scope,
            state,
            code_challenge,
            code_challenge_method,
            nonce,
        })
    }
}

/// `code-challenge = 43*128unreserved` (RFC 7636 §4.2).
fn is_code_challenge(value: &str) -> bool {
    (MIN_CODE_CHALLENGE_LEN..=MAX_CODE_CHALLENGE_LEN).contains(&value.len())
        && value.bytes().all(is_unreserved)
}

#[cfg(test)]
mod tests;
