//! The SQLite backend: one database file shared by every connection of the pool (and by
//! other processes opening the same file). Connections use WAL journaling, so readers
//! never block the writer, and a busy timeout, so concurrent writers queue instead of
//! failing; SQLite admits one writer at a time, which is what makes the single-statement
//! `UPDATE … RETURNING` steps atomic. Prefer a file over `sqlite::memory:`, where every
//! pooled connection would open its own empty database.

use std::str::FromStr;
use std::time::Duration;

use latchkey_engine::pkce::SecretDigest;
use latchkey_engine::store::StoreError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use time::OffsetDateTime;

use crate::error::map_err;
use crate::{codec, sql, ACQUIRE_TIMEOUT};

/// How long a statement waits for another connection's write lock before failing with
/// [`StoreError::Unavailable`].
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Every latchkey storage trait over a SQLite database. Cheap to clone (the pool is
/// reference-counted).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url`, e.g.
    /// `sqlite:///var/lib/auth/latchkey.db` or `sqlite://latchkey.db`, with WAL journaling,
    /// a busy timeout and a 3-second pool acquire timeout. Run [`SqliteStore::migrate`]
    /// before first use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url).map_err(map_err("connect"))?;
        Self::connect_with(options).await
    }

    /// Opens the database described by `options`, adding `create_if_missing`, WAL
    /// journaling, `synchronous = NORMAL` and the busy timeout.
    pub async fn connect_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(map_err("connect"))?;
        Ok(Self { pool })
    }

    /// Wraps a pool configured by the caller (who then owns the WAL and timeout settings).
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// The underlying pool, e.g. to close it on shutdown.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Creates or upgrades the schema by running the migrations embedded from
    /// `migrations/sqlite`; safe to call on every start-up.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await
            .map_err(|e| map_err("migrate")(e.into()))
    }
}

crate::store::impl_storage!(SqliteStore, SqliteConnection);
