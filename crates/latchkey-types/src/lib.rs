//! Wire types for the latchkey OAuth 2.0 authorization server.
//!
//! This crate turns the bytes of OAuth 2.0 requests into typed, validated
//! values and turns responses back into their wire form, following RFC 6749
//! (authorization code flow, §4.1) with PKCE (RFC 7636) as profiled by
//! OAuth 2.1 and the security BCP (RFC 9700), plus revocation (RFC 7009),
//! introspection (RFC 7662) and server metadata (RFC 8414). It performs no
//! I/O and has no async code: the engine decides, this crate only parses and
//! serializes.
//!
//! Every parser bounds its input (see [`limits`]) and reports malformed or
//! oversize input as a typed error, never a panic. Secret values (codes,
//! tokens, client secrets, PKCE verifiers) live in redacted newtypes and
//! never appear in `Debug` output or error messages.
//!
//! ```
//! use latchkey_types::{AuthorizationRequest, AuthorizationRequestError};
//!
//! let query = "response_type=code&client_id=app&state=xyz\
//!              &redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=read+write\
//!              &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
//!              &code_challenge_method=S256";
//! let request = AuthorizationRequest::parse(query)?;
//! assert_eq!(request.client_id.as_str(), "app");
//! assert_eq!(request.scope.map(|s| s.to_string()).as_deref(), Some("read write"));
//!
//! // Without a client_id nothing may be redirected.
//! let err = AuthorizationRequest::parse("response_type=code").unwrap_err();
//! assert!(matches!(err, AuthorizationRequestError::Unredirectable { .. }));
//! # Ok::<(), AuthorizationRequestError>(())
//! ```

#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::panic))]

mod charset;
mod json_out;
mod scan;

pub mod authorize;
pub mod error;
pub mod form;
pub mod ids;
pub mod introspection;
pub mod limits;
pub mod metadata;
pub mod redirect_uri;
pub mod revocation;
pub mod scope;
pub mod token;

pub use authorize::{
    AuthorizationRequest, AuthorizationRequestError, ResponseType, UnredirectableReason,
};
pub use error::{ErrorCode, ErrorDescription, ErrorResponse, InvalidDescription};
pub use form::{FormError, FormParams};
pub use ids::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, PresentedToken, RefreshToken,
    ValueError,
};
pub use introspection::{IntrospectionRequest, IntrospectionResponse};
pub use metadata::AuthorizationServerMetadata;
pub use redirect_uri::{RedirectUri, RedirectUriError};
pub use revocation::{RevocationRequest, TokenTypeHint};
pub use scope::{Scope, ScopeError};
pub use token::{
    GrantRequest, GrantType, TokenRequest, TokenResponse, TokenType, UnsupportedGrantType,
};

pub use latchkey_pkce::{CodeChallengeMethod, CodeVerifier, Nonce, State};
