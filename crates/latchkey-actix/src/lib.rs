//! The [actix-web](https://docs.rs/actix-web) adapter of latchkey: [`configure`] mounts
//! the authorization server's endpoints, [`RequireScopes`] protects resource routes with
//! bearer tokens and [`Authenticated`] hands the token's grant to handlers. All protocol
//! logic is in [`latchkey_engine`]; this crate only converts requests and responses
//! ([`to_engine_request`], [`into_response`]), lends the engine's endpoints what they read
//! of a request without converting it ([`endpoint_request`]) and enforces the size limits
//! of [`AdapterOptions`]. It answers byte for byte as the axum adapter does.
//!
//! ```
//! use std::sync::Arc;
//! use actix_web::{web, App};
//! use latchkey_actix::{AdapterOptions, Authenticated, RequireScopes};
//! use latchkey_engine::{Engine, MemoryStore, RedirectToLogin};
//!
//! async fn balance(Authenticated(grant): Authenticated) -> String {
//!     format!("balance for {:?}", grant.subject)
//! }
//!
//! # fn main() -> Result<(), latchkey_engine::Error> {
//! let engine = Engine::builder("https://bank.example", Arc::new(MemoryStore::new())).build()?;
//! let login = Arc::new(RedirectToLogin { login_url: "/login".into() });
//! let oauth = latchkey_actix::configure(engine.clone(), login, AdapterOptions::default());
//! let app = move || {
//!     App::new().configure(oauth.clone()).service(
//!         web::resource("/api/balance")
//!             .wrap(RequireScopes::new(engine.clone(), "balance:read", "bank"))
//!             .route(web::get().to(balance)),
//!     )
//! };
//! # let _ = app; Ok(()) }
//! ```

mod bearer;
mod convert;
mod routes;

pub use bearer::{Authenticated, RequireScopes, RequireScopesMiddleware};
pub use convert::{endpoint_request, engine_headers, into_response, read_body, to_engine_request};
pub use latchkey_engine::adapter::AdapterOptions;
pub use routes::configure;

#[doc = include_str!("../../../docs/integrating.md")]
pub mod guide {}
