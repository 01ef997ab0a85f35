//! SQLite and PostgreSQL storage for the latchkey engine, on sqlx. [`SqliteStore`]
//! (feature `sqlite`) and [`PostgresStore`] (feature `postgres`) implement every trait in
//! [`latchkey_engine::store`], with the same behaviour as the engine's in-memory store and
//! safe for several processes sharing one database: consuming a code, rotating a refresh
//! token and taking an interaction are each decided by a single conditional SQL write.
//! Both embed their migrations ([`SqliteStore::migrate`], [`PostgresStore::migrate`]),
//! keep digests of codes and tokens (never the values), store times as unix seconds and
//! turn an unreachable database into [`StoreError::Unavailable`](latchkey_engine::store::StoreError::Unavailable).
//! Call [`Maintenance::purge_expired`](latchkey_engine::store::Maintenance::purge_expired)
//! on a timer to keep the tables small. See `docs/storage.md` for the schema.
//!
//! # Features
//!
//! - `sqlite` (default): [`SqliteStore`], with `libsqlite3` bundled by sqlx.
//! - `postgres` (default): [`PostgresStore`].
//!
//! # Layout
//!
//! The SQL is written once in the dialect both databases share (`sql`), rows decode
//! into records with every value validated again (`codec`), and one macro implements the
//! traits for each backend's pool (`store`, `tokens`); the backend modules only add
//! connecting and migrating. Errors map as `error` describes: unreachable database →
//! `Unavailable`, unique violation → `Duplicate`, undecodable value → `Corrupt`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use latchkey_sqlx::SqliteStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = SqliteStore::connect("sqlite://latchkey.db").await?;
//! store.migrate().await?;
//! let engine = latchkey_engine::Engine::builder("https://auth.example", Arc::new(store)).build()?;
//! # let _ = engine; Ok(()) }
//! ```

#[cfg(feature = "postgres")]
mod batch;
#[cfg(feature = "postgres")]
mod client_cache;
mod codec;
mod error;
#[cfg(feature = "postgres")]
mod pg_batch;
#[cfg(feature = "postgres")]
mod pg_tokens;
#[cfg(feature = "postgres")]
mod postgres;
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
mod tokens;

use std::time::Duration;

#[cfg(feature = "postgres")]
pub use client_cache::ClientCacheStatus;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteStore, SQLITE_BUSY_TIMEOUT};

/// How long a call waits for a pooled connection before failing with
/// [`StoreError::Unavailable`](latchkey_engine::store::StoreError::Unavailable).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Re-exported so integrators can configure pools and connections with the same version.
pub use sqlx;

/// The storage guide (`docs/storage.md`): the traits and their contracts, writing a
/// backend, the conformance kit, and using these stores. Its examples compile as doctests.
#[cfg(all(feature = "sqlite", feature = "postgres"))]
#[doc = include_str!("../../../docs/storage.md")]
pub mod guide {}
