//! The PostgreSQL backend. Any number of processes may share one database: every
//! at-most-once step is a single conditional `UPDATE`/`DELETE … RETURNING` whose row lock
//! lets exactly one transaction through, at the default `READ COMMITTED` isolation. Tables
//! are created in the connection's `search_path`, so a deployment (or a test) can keep
//! them in their own schema with `options=-csearch_path%3Dauth` in the URL or
//! [`PgConnectOptions::options`]. A code redemption (consume the code, store its grant with
//! its tokens) and a refresh rotation are each a single statement with data-modifying
//! `WITH` clauses: one round trip and one commit where a transaction would take five; and
//! concurrent calls of the two steps every code exchange takes (reading the client,
//! redeeming the code), of the token lookups behind bearer checks, introspection and
//! refresh, and of refresh rotations are coalesced into one statement each
//! ([`crate::batch`]).

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_engine::pkce::SecretDigest;
use latchkey_engine::store::{
    AccessTokenRecord, Client, ConsumeOutcome, PlannedTokens, RefreshTokenRecord, RotateOutcome,
    StoreError,
};
use latchkey_engine::types::ClientId;
use latchkey_engine::Grant;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::client_cache::{ClientCache, ClientCacheStatus, Lookup};
use crate::error::map_err;
use crate::pg_batch::Batches;
use crate::{codec, sql, ACQUIRE_TIMEOUT};

/// Every latchkey storage trait over a PostgreSQL database. Cheap to clone (the pool is
/// reference-counted).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    batches: Arc<Batches>,
    clients: Option<Arc<ClientCache>>,
}

impl PostgresStore {
    /// Connects to `url` (e.g. `postgres://auth@db.internal/auth`) with a 3-second pool
    /// acquire timeout; an unreachable server fails fast with [`StoreError::Unavailable`].
    /// Run [`PostgresStore::migrate`] before first use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(Self::options(url)?).await
    }

    /// Connects with explicit options (schema, TLS, application name …). Like
    /// [`PostgresStore::connect`], it asks every connection for generic plans (see
    /// [`PostgresStore::from_pool`]).
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = Self::pool_options()
            .connect_with(Self::generic_plans(options))
            .await
            .map_err(map_err("connect"))?;
        Ok(Self::from_pool(pool))
    }

    /// Like [`PostgresStore::connect`] but opens connections only when first needed, so a
    /// server that is down at start-up surfaces as [`StoreError::Unavailable`] per call.
    pub fn connect_lazy(url: &str) -> Result<Self, StoreError> {
        Ok(Self::from_pool(Self::pool_options().connect_lazy_with(
            Self::generic_plans(Self::options(url)?),
        )))
    }

    /// Wraps a pool configured by the caller.
    ///
    /// The pools this store opens itself set `plan_cache_mode = force_generic_plan` on
    /// each connection; give your own pool's connect options the same
    /// (`.options([("plan_cache_mode", "force_generic_plan")])`). The batched statements
    /// take their rows as arrays, so PostgreSQL's default — a custom plan whenever a
    /// generic one looks dearer, judged from a guessed array length — re-plans the
    /// code-redeeming statement on every call: about 0.25 ms of server time per exchange
    /// on the fifth round's machine (`docs/performance-history.md`), a third of an
    /// unloaded exchange. Every statement here looks rows up by key, which a generic plan
    /// does as well as a custom one.
    pub fn from_pool(pool: PgPool) -> Self {
        let batches = Batches::new(&pool);
        Self {
            pool,
            batches,
            clients: None,
        }
    }

    /// Keeps registered clients in memory, so that token, introspection and revocation
    /// requests no longer wait on a database read before anything else; each entry lives
    /// at most `max_age`. Off by default.
    ///
    /// A change to `lk_clients` — through [`PostgresStore::put_client`] /
    /// [`PostgresStore::remove_client`] on any node, or any other tool's SQL — reaches
    /// every caching store through a `NOTIFY` sent by a trigger when its transaction
    /// commits (migration 0002); each caching store holds one pooled connection
    /// `LISTEN`ing for it, started by its first read. The changing store drops its own
    /// entry at once; other nodes drop theirs when the notification arrives, typically
    /// within a millisecond on one network. While the listener is not connected (at start,
    /// after a lost connection, during reconnection) every read goes to the database and
    /// nothing is cached; a reconnect empties the cache, as changes made meanwhile were
    /// not heard. `max_age` bounds how long an entry can be served if the listener's
    /// connection dies without either end noticing. Unknown client ids are never cached.
    /// See `docs/security.md` ("Client cache") for what this means when a client is
    /// compromised, and [`PostgresStore::client_cache_status`] to monitor it.
    #[must_use]
    pub fn with_client_cache(mut self, max_age: Duration) -> Self {
        self.clients = Some(ClientCache::new(max_age));
        self
    }

    /// The client cache's counters and whether its listener is connected; `None` without
    /// [`PostgresStore::with_client_cache`].
    pub fn client_cache_status(&self) -> Option<ClientCacheStatus> {
        self.clients.as_ref().map(|cache| cache.status())
    }

    /// Follows the client cache's status as its listener connects, disconnects and hears
    /// changes (hits and misses are not sent); `None` without a cache.
    pub fn watch_client_cache(&self) -> Option<watch::Receiver<ClientCacheStatus>> {
        self.clients.as_ref().map(|cache| cache.watch())
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

    /// `options` with generic plans asked for (see [`PostgresStore::from_pool`]).
    fn generic_plans(options: PgConnectOptions) -> PgConnectOptions {
        options.options([("plan_cache_mode", "force_generic_plan")])
    }

    fn pool_options() -> PgPoolOptions {
        PgPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT)
    }
}

crate::store::impl_storage!(PostgresStore, PgConnection);

#[async_trait::async_trait]
impl latchkey_engine::store::CodeRedemption for PostgresStore {
    /// One statement for the consume and the grant with its tokens, batched with
    /// concurrent calls (`REDEEM_CODES` in the crate's SQL): one round trip and one commit.
    async fn redeem_code(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
        tokens: &PlannedTokens,
    ) -> Result<ConsumeOutcome, StoreError> {
        self.batches
            .redemptions
            .call((*digest, codec::secs(now), tokens.clone()))
            .await
    }
}

impl PostgresStore {
    /// `ClientStore::get_client`: the shared read, copied.
    async fn read_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        Ok(self
            .read_client_shared(id)
            .await?
            .map(|client| Client::clone(&client)))
    }

    /// `ClientStore::get_client_shared`: from the cache when there is one and it holds a
    /// fresh entry, otherwise read (batched with concurrent calls) and offered back to it.
    async fn read_client_shared(&self, id: &ClientId) -> Result<Option<Arc<Client>>, StoreError> {
        let Some(cache) = &self.clients else {
            return self.fetch_client(id).await;
        };
        // The read's start is the entry's age: the row may change while it is in flight.
        let started = Instant::now();
        match cache.lookup(id, &self.pool, started) {
            Lookup::Hit(client) => Ok(Some(client)),
            Lookup::Bypass => self.fetch_client(id).await,
            Lookup::Miss(ticket) => {
                let client = self.fetch_client(id).await?;
                if let Some(client) = &client {
                    cache.fill(ticket, client, started);
                }
                Ok(client)
            }
        }
    }

    /// Reads registration `id` from the database, batched with concurrent reads.
    async fn fetch_client(&self, id: &ClientId) -> Result<Option<Arc<Client>>, StoreError> {
        Ok(self.batches.clients.call(id.clone()).await?.map(Arc::new))
    }

    /// `TokenStore::get_access_token`, batched with concurrent lookups
    /// ([`sql::GET_ACCESS_MANY`]).
    async fn read_access(
        &self,
        digest: &SecretDigest,
        now: i64,
    ) -> Result<Option<(AccessTokenRecord, Grant)>, StoreError> {
        self.batches.access.call((*digest, now)).await
    }

    /// `TokenStore::get_refresh_token`, batched with concurrent lookups
    /// ([`sql::GET_REFRESH_MANY`]).
    async fn read_refresh(
        &self,
        digest: &SecretDigest,
        now: i64,
    ) -> Result<Option<(RefreshTokenRecord, Grant)>, StoreError> {
        self.batches.refresh.call((*digest, now)).await
    }

    /// This store wrote registration `id`: drop it from the cache at once (other nodes
    /// hear of it through the trigger's notification).
    fn client_changed(&self, id: &str) {
        if let Some(cache) = &self.clients {
            cache.invalidate(Some(id));
        }
    }

    /// `CodeStore::consume_code`, batched with concurrent calls
    /// ([`sql::CONSUME_CODES`]).
    async fn consume(&self, digest: &SecretDigest, now: i64) -> Result<ConsumeOutcome, StoreError> {
        self.batches.codes.call((*digest, now)).await
    }

    /// `TokenStore::insert_grant`, batched with concurrent calls
    /// ([`sql::INSERT_GRANTS`]): one round trip and one commit for them all.
    async fn write_grant(
        &self,
        g: &Grant,
        access: &AccessTokenRecord,
        refresh: Option<&RefreshTokenRecord>,
    ) -> Result<(), StoreError> {
        self.batches
            .grants
            .call((g.clone(), access.clone(), refresh.cloned()))
            .await
    }

    /// `TokenStore::rotate_refresh_token`: batched with concurrent rotations
    /// ([`sql::ROTATE_REFRESHES`]); only a call that did not use its token asks whether
    /// that was a replay (`REFRESH_STATUS`).
    async fn write_rotation(
        &self,
        presented: &SecretDigest,
        next_refresh: &RefreshTokenRecord,
        next_access: &AccessTokenRecord,
        now: i64,
    ) -> Result<RotateOutcome, StoreError> {
        let call = (*presented, now, next_refresh.clone(), next_access.clone());
        if self.batches.rotations.call(call).await? {
            Ok(RotateOutcome::Rotated)
        } else {
            self.rotation_refused(presented, now).await
        }
    }
}
