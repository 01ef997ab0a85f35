//! The PostgreSQL backend. Any number of processes may share one database: every
//! at-most-once step is a single conditional `UPDATE`/`DELETE … RETURNING` whose row lock
//! lets exactly one transaction through, at the default `READ COMMITTED` isolation. Tables
//! are created in the connection's `search_path`, so a deployment (or a test) can keep
//! them in their own schema with `options=-csearch_path%3Dauth` in the URL or
//! [`PgConnectOptions::options`].

use std::str::FromStr;

use latchkey_engine::pkce::SecretDigest;
use latchkey_engine::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use time::OffsetDateTime;

use crate::error::map_err;
use crate::{codec, sql, ACQUIRE_TIMEOUT};

/// Every latchkey storage trait over a PostgreSQL database. Cheap to clone (the pool is
/// reference-counted).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (e.g. `postgres://auth@db.internal/auth`) with a 3-second pool
    /// acquire timeout; an unreachable server fails fast with [`StoreError::Unavailable`].
    /// Run [`PostgresStore::migrate`] before first use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(Self::options(url)?).await
    }

    /// Connects with explicit options (schema, TLS, application name …).
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = Self::pool_options()
            .connect_with(options)
            .await
            .map_err(map_err("connect"))?;
        Ok(Self { pool })
    }

    /// Like [`PostgresStore::connect`] but opens connections only when first needed, so a
    /// server that is down at start-up surfaces as [`StoreError::Unavailable`] per call.
    pub fn connect_lazy(url: &str) -> Result<Self, StoreError> {
        Ok(Self {
            pool: Self::pool_options().connect_lazy_with(Self::options(url)?),
        })
    }

    /// Wraps a pool configured by the caller.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The underlying pool, e.g. to close it on shutdown.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Creates or upgrades the schema by running the migrations embedded from
    /// `migrations/postgres`; safe to call on every start-up and from several processes
    /// at once (sqlx serializes them with an advisory lock).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(|e| map_err("migrate")(e.into()))
    }

    fn options(url: &str) -> Result<PgConnectOptions, StoreError> {
        PgConnectOptions::from_str(url).map_err(map_err("connect"))
    }

    fn pool_options() -> PgPoolOptions {
        PgPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT)
    }
}

crate::store::impl_storage!(PostgresStore, PgConnection);
