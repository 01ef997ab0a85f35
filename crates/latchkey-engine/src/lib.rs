//! The latchkey grant engine: every piece of OAuth 2.0 authorization-server protocol logic
//! — the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636), refresh rotation,
//! client credentials, revocation (RFC 7009), introspection (RFC 7662), metadata
//! (RFC 8414), bearer validation (RFC 6750) and JWT access tokens (RFC 9068), built to
//! RFC 9700 — free of any web framework. Requests come in as `http` types and responses go
//! out as [`HttpResponse`], so the axum and actix-web adapters only convert. Persistence
//! is behind the [`store`] traits; user authentication stays with the integrator, who
//! receives a [`PendingInteraction`] and answers with a [`Decision`].
//!
//! ```
//! use std::sync::Arc;
//! use latchkey_engine::{Engine, MemoryStore, AuthorizationStart};
//!
//! # async fn run() -> Result<(), latchkey_engine::Error> {
//! let store = Arc::new(MemoryStore::new());
//! let engine = Engine::builder("https://auth.bank.example", store).build()?;
//! match engine.begin_authorization("response_type=code&client_id=unknown").await {
//!     AuthorizationStart::ErrorPage { error, .. } => assert_eq!(error.error.as_str(), "invalid_request"),
//!     _ => unreachable!("an unknown client is never redirected to"),
//! }
//! # Ok(()) }
//! ```

pub mod acr;
pub mod adapter;
mod authorize;
mod bearer;
mod client_auth;
pub mod clock;
pub mod danger;
mod endpoint;
mod engine;
mod error;
pub mod events;
mod finish;
mod grant;
mod grants;
mod incident;
mod interaction;
mod introspection;
mod issue;
pub mod jwt;
mod lookup;
pub mod memory;
mod metadata;
pub mod policy;
mod response;
mod revocation;
pub mod store;
pub mod throttle;
mod token_endpoint;

pub use authorize::AuthorizationStart;
pub use bearer::{BearerError, BearerGrant};
pub use endpoint::{EndpointRequest, HeaderField, HttpRequest};
pub use engine::{AccessTokenFormat, Engine, EngineBuilder};
pub use error::{Error, WireError};
pub use grant::{Authentication, Grant, GrantId, Subject};
pub use interaction::{
    Approval, Decision, InteractionHandler, InteractionId, PendingInteraction, RedirectToLogin,
};
pub use memory::MemoryStore;
pub use metadata::{
    AUTHORIZE_PATH, INTROSPECT_PATH, JWKS_PATH, METADATA_PATH, REVOKE_PATH, TOKEN_PATH,
};
pub use policy::{PkceRequirement, Policy, ScopeRule};
pub use response::{escape_html, HttpResponse};

/// Re-exported so integrators use the same versions as the engine.
pub use latchkey_pkce as pkce;
pub use latchkey_types as types;
