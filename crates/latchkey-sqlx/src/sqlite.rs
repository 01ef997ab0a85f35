//! The SQLite backend: one database file shared by every connection of the pool (and by
//! other processes opening the same file). Connections use WAL journaling, so readers
//! never block the writer, and a busy timeout, so concurrent writers queue instead of
//! failing; SQLite admits one writer at a time, which is what makes the single-statement
//! `UPDATE … RETURNING` steps atomic. Prefer a file over `sqlite::memory:`, where every
//! pooled connection would open its own empty database.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use latchkey_engine::pkce::SecretDigest;
use latchkey_engine::store::{
    AccessTokenRecord, Client, ConsumeOutcome, RefreshTokenRecord, RotateOutcome, StoreError,
};
use latchkey_engine::types::ClientId;
use latchkey_engine::Grant;
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

/// The default redemption: the consume and the grant insert, each its own transaction.
/// SQLite runs one writer at a time, so one round trip fewer buys little here.
impl latchkey_engine::store::CodeRedemption for SqliteStore {}

impl SqliteStore {
    /// `ClientStore::get_client`.
    async fn read_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        sqlx::query_as::<_, codec::ClientRow>(sql::GET_CLIENT)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err("get_client"))?
            .map(codec::ClientRow::into_client)
            .transpose()
    }

    /// `ClientStore::get_client_shared`: SQLite keeps no cache, so a fresh read.
    async fn read_client_shared(&self, id: &ClientId) -> Result<Option<Arc<Client>>, StoreError> {
        Ok(self.read_client(id).await?.map(Arc::new))
    }

    /// A registration was written: nothing to drop (no cache).
    fn client_changed(&self, _id: &str) {}

    /// `TokenStore::get_access_token`: one query (`GET_ACCESS`).
    async fn read_access(
        &self,
        digest: &SecretDigest,
        now: i64,
    ) -> Result<Option<(AccessTokenRecord, Grant)>, StoreError> {
        sqlx::query_as::<_, codec::AccessRow>(sql::GET_ACCESS)
            .bind(digest.as_bytes().as_slice())
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err("get_access_token"))?
            .map(codec::AccessRow::into_pair)
            .transpose()
    }

    /// `TokenStore::get_refresh_token`: one query (`GET_REFRESH`).
    async fn read_refresh(
        &self,
        digest: &SecretDigest,
        now: i64,
    ) -> Result<Option<(RefreshTokenRecord, Grant)>, StoreError> {
        sqlx::query_as::<_, codec::RefreshRow>(sql::GET_REFRESH)
            .bind(digest.as_bytes().as_slice())
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err("get_refresh_token"))?
            .map(codec::RefreshRow::into_pair)
            .transpose()
    }

    /// `CodeStore::consume_code`: the conditional `UPDATE … RETURNING` picks the one
    /// winner; only when it matched nothing does a second query say why.
    async fn consume(&self, digest: &SecretDigest, now: i64) -> Result<ConsumeOutcome, StoreError> {
        let won = sqlx::query_as::<_, codec::CodeRow>(sql::CONSUME_CODE)
            .bind(digest.as_bytes().as_slice())
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err("consume_code"))?;
        if let Some(row) = won {
            return Ok(ConsumeOutcome::Consumed(Box::new(row.into_record()?)));
        }
        let status: Option<(Vec<u8>, Option<i64>)> = sqlx::query_as(sql::CODE_STATUS)
            .bind(digest.as_bytes().as_slice())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err("consume_code"))?;
        Ok(match status {
            None => ConsumeOutcome::Unknown,
            Some((grant_id, Some(_))) => {
                ConsumeOutcome::AlreadyUsed(codec::grant_id_of(&grant_id)?)
            }
            Some((_, None)) => ConsumeOutcome::Expired,
        })
    }

    async fn insert_refresh_in(
        conn: &mut SqliteConnection,
        r: &RefreshTokenRecord,
        op: &'static str,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::INSERT_REFRESH)
            .bind(r.digest.as_bytes().as_slice())
            .bind(r.grant_id.as_bytes().as_slice())
            .bind(codec::secs(r.issued_at))
            .bind(codec::secs(r.expires_at))
            .bind(codec::opt_secs(r.used_at))
            .execute(conn)
            .await
            .map_err(map_err(op))?;
        Ok(())
    }

    /// `TokenStore::insert_grant`: one transaction (SQLite has no data-modifying `WITH`)
    /// opened by the conditional insert that refuses a revoked grant id, so the writer lock
    /// is taken up front.
    async fn write_grant(
        &self,
        g: &Grant,
        access: &AccessTokenRecord,
        refresh: Option<&RefreshTokenRecord>,
    ) -> Result<(), StoreError> {
        const OP: &str = "insert_grant";
        let (auth_time, acr, amr) = codec::auth_cols(g);
        let mut tx = self.pool.begin().await.map_err(map_err(OP))?;
        let inserted = sqlx::query(sql::INSERT_GRANT)
            .bind(g.id.as_bytes().as_slice())
            .bind(g.client_id.as_str())
            .bind(g.subject.as_ref().map(|s| s.as_str()))
            .bind(codec::scope_text(&g.scope))
            .bind(auth_time)
            .bind(acr)
            .bind(amr)
            .bind(codec::secs(g.created_at))
            .bind(codec::opt_secs(g.refresh_expires_at))
            .execute(&mut *tx)
            .await
            .map_err(map_err(OP))?
            .rows_affected();
        if inserted != 1 {
            return Err(StoreError::GrantRevoked);
        }
        if !Self::insert_access_in(&mut tx, access, OP).await? {
            return Err(StoreError::GrantRevoked);
        }
        if let Some(refresh) = refresh {
            Self::insert_refresh_in(&mut tx, refresh, OP).await?;
        }
        tx.commit().await.map_err(map_err(OP))
    }

    /// `TokenStore::rotate_refresh_token`: one transaction opened by the `UPDATE … used_at
    /// IS NULL … RETURNING` that picks the single winner.
    async fn write_rotation(
        &self,
        presented: &SecretDigest,
        next_refresh: &RefreshTokenRecord,
        next_access: &AccessTokenRecord,
        now: i64,
    ) -> Result<RotateOutcome, StoreError> {
        const OP: &str = "rotate_refresh_token";
        let mut tx = self.pool.begin().await.map_err(map_err(OP))?;
        let won: Option<(Vec<u8>,)> = sqlx::query_as(sql::USE_REFRESH)
            .bind(presented.as_bytes().as_slice())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err(OP))?;
        if won.is_none() {
            tx.rollback().await.map_err(map_err(OP))?;
            return self.rotation_refused(presented, now).await;
        }
        Self::insert_refresh_in(&mut tx, next_refresh, OP).await?;
        if !Self::insert_access_in(&mut tx, next_access, OP).await? {
            // The grant was revoked between the two statements: nothing is live.
            return Ok(RotateOutcome::Unknown);
        }
        tx.commit().await.map_err(map_err(OP))?;
        Ok(RotateOutcome::Rotated)
    }
}
