//! The [axum](https://docs.rs/axum) adapter of latchkey: [`router`] mounts the
//! authorization server's endpoints, [`require_scopes`] protects resource routes with
//! bearer tokens and [`Authenticated`] hands the token's grant to handlers. All protocol
//! logic is in [`latchkey_engine`]; this crate only converts requests and responses
//! ([`to_engine_request`], [`into_response`]) and enforces the size limits of
//! [`AdapterOptions`]. It answers byte for byte as the actix-web adapter does.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{routing::get, Router};
//! use latchkey_axum::{require_scopes, AdapterOptions, Authenticated};
//! use latchkey_engine::{Engine, MemoryStore, RedirectToLogin};
//!
//! async fn balance(Authenticated(grant): Authenticated) -> String {
//!     format!("balance for {:?}", grant.subject)
//! }
//!
//! # fn main() -> Result<(), latchkey_engine::Error> {
//! let engine = Engine::builder("https://bank.example", Arc::new(MemoryStore::new())).build()?;
//! let login = Arc::new(RedirectToLogin { login_url: "/login".into() });
//! let api = Router::new()
//!     .route("/api/balance", get(balance))
//!     .route_layer(require_scopes(engine.clone(), "balance:read", "bank"));
//! let app: Router = latchkey_axum::router(engine, login, AdapterOptions::default()).merge(api);
//! # let _ = app; Ok(()) }
//! ```

mod bearer;
mod convert;
mod router;

pub use bearer::{require_scopes, Authenticated, RequireScopes, RequireScopesService};
pub use convert::{into_response, to_engine_request};
pub use latchkey_engine::adapter::AdapterOptions;
pub use router::router;

#[doc = include_str!("../../../docs/integrating.md")]
pub mod guide {}
