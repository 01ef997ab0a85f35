//! The opt-in cache of registered clients for [`crate::PostgresStore`]
//! ([`PostgresStore::with_client_cache`](crate::PostgresStore::with_client_cache)). Every
//! authorization, token, introspection and revocation request reads its client; without a
//! cache that is one database round trip before anything else can start. Entries are
//! dropped by PostgreSQL itself: a trigger on `lk_clients` (migration 0002) sends a
//! `NOTIFY latchkey_clients` with the schema and client id of every inserted, updated or
//! deleted registration, whoever wrote it, and each caching store keeps one connection
//! `LISTEN`ing for them. Three rules keep a cache from serving a registration the
//! database no longer holds: it serves nothing while its listener is not connected (it
//! reads through instead); a read that started before an invalidation may not fill the
//! cache after it (a generation counter); and every entry also expires after a maximum age,
//! for a listener whose connection dies without the socket noticing. Unknown client ids
//! are never cached, so guessing ids cannot grow it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use latchkey_engine::store::Client;
use latchkey_engine::types::ClientId;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{oneshot, watch};

/// The channel the `lk_clients` trigger notifies.
pub(crate) const CHANNEL: &str = "latchkey_clients";

/// The most registrations one cache holds; past it, an arbitrary entry makes room.
const CAPACITY: usize = 4096;

/// The longest wait between two attempts to reconnect the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a caching [`crate::PostgresStore`] reports about its client cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ClientCacheStatus {
    /// Whether the cache's listener is connected and `LISTEN`ing; while it is not, every
    /// read goes to the database and nothing is cached.
    pub listening: bool,
    /// How many times the listener has (re)connected.
    pub connects: u64,
    /// How many invalidations have arrived: notifications for this schema, plus one per
    /// (re)connect, each of which empties the cache.
    pub invalidations: u64,
    /// Reads answered from the cache.
    pub hits: u64,
    /// Reads that went to the database.
    pub misses: u64,
    /// Registrations held now.
    pub entries: usize,
}

/// What a read found in the cache.
pub(crate) enum Lookup {
    /// A fresh entry.
    Hit(Arc<Client>),
    /// Read the database, then offer the answer back with [`ClientCache::fill`].
    Miss(Ticket),
    /// The listener is down: read the database and keep nothing.
    Bypass,
}

/// A read's place in the invalidation order: its answer may be cached only if nothing
/// was invalidated since.
pub(crate) struct Ticket {
    generation: u64,
}

struct Entry {
    client: Arc<Client>,
    filled_at: Instant,
}

struct State {
    /// The schema the store's tables are in, learned by the listener.
    schema: Option<String>,
    generation: u64,
    entries: HashMap<ClientId, Entry>,
    status: ClientCacheStatus,
    /// Set once a listener task runs (on the Tokio runtime of the first read); cleared when
    /// that task ends, so the next read starts another.
    started: bool,
}

/// The cache and the handle on its listener task (see the module docs).
pub(crate) struct ClientCache {
    max_age: Duration,
    state: Mutex<State>,
    changes: watch::Sender<ClientCacheStatus>,
    /// The running listener task's stop signal: dropped with the cache, which ends it.
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

impl std::fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCache")
            .field("max_age", &self.max_age)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl ClientCache {
    pub(crate) fn new(max_age: Duration) -> Arc<Self> {
        Arc::new(Self {
            max_age,
            state: Mutex::new(State {
                schema: None,
                generation: 0,
                entries: HashMap::new(),
                status: ClientCacheStatus::default(),
                started: false,
            }),
            changes: watch::channel(ClientCacheStatus::default()).0,
            stop: Mutex::new(None),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic under this lock cannot leave the map half-updated in a way that serves a
        // wrong client: every update is a single insert or removal.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Looks `id` up at `now`, starting the listener (on `pool`) if none runs.
    pub(crate) fn lookup(self: &Arc<Self>, id: &ClientId, pool: &PgPool, now: Instant) -> Lookup {
        let mut state = self.lock();
        if !state.started {
            // Spawned without the lock held: a task dropped at once (its runtime shutting
            // down) marks the cache disconnected, which takes the lock.
            state.started = true;
            drop(state);
            let started = self.start(pool);
            state = self.lock();
            if !started {
                state.started = false;
            }
        }
        if !state.status.listening {
            state.status.misses += 1;
            return Lookup::Bypass;
        }
        match state.entries.get(id) {
            Some(entry) if now.saturating_duration_since(entry.filled_at) < self.max_age => {
                let client = Arc::clone(&entry.client);
                state.status.hits += 1;
                Lookup::Hit(client)
            }
            _ => {
                state.status.misses += 1;
                Lookup::Miss(Ticket {
                    generation: state.generation,
                })
            }
        }
    }

    /// Caches what a read under `ticket` found, unless something was invalidated since.
    pub(crate) fn fill(&self, ticket: Ticket, client: &Arc<Client>, now: Instant) {
        let mut state = self.lock();
        if !state.status.listening || state.generation != ticket.generation {
            return;
        }
        if state.entries.len() >= CAPACITY && !state.entries.contains_key(&client.id) {
            if let Some(victim) = state.entries.keys().next().cloned() {
                state.entries.remove(&victim);
            }
        }
        state.entries.insert(
            client.id.clone(),
            Entry {
                client: Arc::clone(client),
                filled_at: now,
            },
        );
        state.status.entries = state.entries.len();
    }

    /// Drops `id` (every entry for `None`): called for this store's own writes, at once,
    /// and for each notification.
    pub(crate) fn invalidate(&self, id: Option<&str>) {
        let mut state = self.lock();
        state.generation += 1;
        match id {
            Some(id) => {
                state.entries.retain(|k, _| k.as_str() != id);
            }
            None => state.entries.clear(),
        }
        state.status.invalidations += 1;
        self.publish(state);
    }

    /// A notification's payload, `["schema", "client id"]` (id `null` for a `TRUNCATE`):
    /// other schemas' changes are ignored; anything unreadable empties the whole cache.
    pub(crate) fn notified(&self, payload: &str) {
        let parsed: Option<(String, Option<String>)> = serde_json::from_str(payload).ok();
        let schema = self.lock().schema.clone();
        match parsed {
            Some((s, _)) if schema.as_deref().is_some_and(|mine| mine != s) => {}
            Some((_, id)) => self.invalidate(id.as_deref()),
            None => self.invalidate(None),
        }
    }

    /// The listener is (again) connected and listening in `schema`: start from empty.
    pub(crate) fn connected(&self, schema: String) {
        let mut state = self.lock();
        state.schema = Some(schema);
        state.generation += 1;
        state.entries.clear();
        state.status.listening = true;
        state.status.connects += 1;
        state.status.invalidations += 1;
        self.publish(state);
    }

    /// The listener lost its connection (or its task ended): read through until it is back.
    pub(crate) fn disconnected(&self, task_ended: bool) {
        let mut state = self.lock();
        state.generation += 1;
        state.entries.clear();
        state.status.listening = false;
        if task_ended {
            state.started = false;
        }
        self.publish(state);
    }

    fn publish(&self, mut state: MutexGuard<'_, State>) {
        state.status.entries = state.entries.len();
        let status = state.status;
        drop(state);
        self.changes.send_replace(status);
    }

    pub(crate) fn status(&self) -> ClientCacheStatus {
        let mut state = self.lock();
        state.status.entries = state.entries.len();
        state.status
    }

    /// Status changes as they happen (connects, disconnects, invalidations).
    pub(crate) fn watch(&self) -> watch::Receiver<ClientCacheStatus> {
        self.changes.subscribe()
    }

    /// Spawns the listener task on the current Tokio runtime; `false` outside one (reads
    /// then bypass the cache and the next read tries again).
    fn start(self: &Arc<Self>, pool: &PgPool) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        // A task runs only while `started` is set, so no earlier task still listens to the
        // signal this replaces.
        let (stop, stopped) = oneshot::channel();
        *self.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(stop);
        runtime.spawn(listen(Arc::downgrade(self), pool.clone(), stopped));
        true
    }
}

/// Marks the cache disconnected when the listener task ends for any reason, including its
/// runtime shutting down under it.
struct TaskGuard(Weak<ClientCache>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if let Some(cache) = self.0.upgrade() {
            cache.disconnected(true);
        }
    }
}

/// The listener task: connect, `LISTEN`, apply notifications; on any failure mark the
/// cache disconnected and reconnect with a growing pause. Ends when the cache is dropped.
async fn listen(cache: Weak<ClientCache>, pool: PgPool, mut stopped: oneshot::Receiver<()>) {
    let _guard = TaskGuard(cache.clone());
    let mut backoff = Duration::from_millis(50);
    loop {
        let connected = tokio::select! {
            _ = &mut stopped => return,
            connected = subscribe(&pool) => connected,
        };
        match connected {
            Ok((mut listener, schema)) => {
                let Some(live) = cache.upgrade() else { return };
                live.connected(schema);
                drop(live);
                backoff = Duration::from_millis(50);
                loop {
                    let next = tokio::select! {
                        _ = &mut stopped => return,
                        next = listener.try_recv() => next,
                    };
                    let Some(live) = cache.upgrade() else { return };
                    match next {
                        Ok(Some(notification)) => live.notified(notification.payload()),
                        Ok(None) | Err(_) => {
                            live.disconnected(false);
                            break;
                        }
                    }
                }
            }
            // A closed pool will not give another connection: stop (reads bypass).
            Err(_) if pool.is_closed() => return,
            Err(_) => {
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// A connection `LISTEN`ing on [`CHANNEL`], and the schema its tables are in.
async fn subscribe(pool: &PgPool) -> Result<(PgListener, String), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection must surface as `Ok(None)` before any reconnect, so the cache is
    // emptied and bypassed until this task has listened again.
    listener.eager_reconnect(false);
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&mut listener)
        .await?;
    listener.listen(CHANNEL).await?;
    Ok((listener, schema))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use latchkey_engine::store::ClientSecretVerifier;
    use latchkey_engine::types::{GrantType, RedirectUri, Scope};

    fn client(id: &str, name: &str) -> Arc<Client> {
        Arc::new(Client {
            id: ClientId::new(id).unwrap(),
            name: name.into(),
            secret: Some(ClientSecretVerifier::for_secret("s3cret")),
            redirect_uris: vec![RedirectUri::parse("https://app.example/cb").unwrap()],
            grant_types: vec![GrantType::AuthorizationCode],
            scope: Scope::parse("balance:read").unwrap(),
        })
    }

    /// A cache whose listener "connected" in schema `public`, without a database.
    fn listening() -> Arc<ClientCache> {
        let cache = ClientCache::new(Duration::from_secs(30));
        cache.lock().started = true;
        cache.connected("public".into());
        cache
    }

    fn miss(cache: &Arc<ClientCache>, id: &ClientId, now: Instant) -> Ticket {
        let pool = lazy_pool();
        match cache.lookup(id, &pool, now) {
            Lookup::Miss(ticket) => ticket,
            Lookup::Hit(_) => panic!("expected a miss, got a hit"),
            Lookup::Bypass => panic!("expected a miss, got a bypass"),
        }
    }

    fn lazy_pool() -> PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap()
    }

    fn is_hit(cache: &Arc<ClientCache>, id: &ClientId, now: Instant) -> bool {
        matches!(cache.lookup(id, &lazy_pool(), now), Lookup::Hit(_))
    }

    #[tokio::test]
    async fn a_filled_entry_is_served_until_its_max_age() {
        let cache = listening();
        let c = client("wallet", "Wallet");
        let t0 = Instant::now();
        let ticket = miss(&cache, &c.id, t0);
        cache.fill(ticket, &c, t0);
        assert!(is_hit(&cache, &c.id, t0 + Duration::from_secs(29)));
        assert!(!is_hit(&cache, &c.id, t0 + Duration::from_secs(30)));
        let status = cache.status();
        assert_eq!((status.hits, status.misses), (1, 2));
    }

    #[tokio::test]
    async fn a_read_that_began_before_an_invalidation_does_not_fill() {
        let cache = listening();
        let c = client("wallet", "Wallet");
        let now = Instant::now();
        let ticket = miss(&cache, &c.id, now);
        // The registration changed (and was notified) while the read was on its way.
        cache.invalidate(Some("wallet"));
        cache.fill(ticket, &c, now);
        assert!(!is_hit(&cache, &c.id, now));
        // Any invalidation counts, even of another client: the generation is global.
        let ticket = miss(&cache, &c.id, now);
        cache.invalidate(Some("other"));
        cache.fill(ticket, &c, now);
        assert!(!is_hit(&cache, &c.id, now));
    }

    #[tokio::test]
    async fn invalidation_drops_only_the_named_client_unless_none_is_named() {
        let cache = listening();
        let now = Instant::now();
        let (a, b) = (client("a", "A"), client("b", "B"));
        for c in [&a, &b] {
            let ticket = miss(&cache, &c.id, now);
            cache.fill(ticket, c, now);
        }
        cache.invalidate(Some("a"));
        assert!(!is_hit(&cache, &a.id, now));
        assert!(is_hit(&cache, &b.id, now));
        cache.invalidate(None);
        assert!(!is_hit(&cache, &b.id, now));
    }

    #[tokio::test]
    async fn without_a_listener_reads_bypass_and_nothing_is_kept() {
        let cache = listening();
        let c = client("wallet", "Wallet");
        let now = Instant::now();
        let ticket = miss(&cache, &c.id, now);
        cache.fill(ticket, &c, now);
        cache.disconnected(false);
        assert!(matches!(
            cache.lookup(&c.id, &lazy_pool(), now),
            Lookup::Bypass
        ));
        // Reconnecting starts from empty: changes made while it was down were not heard.
        cache.connected("public".into());
        let ticket = miss(&cache, &c.id, now);
        cache.fill(ticket, &c, now);
        assert!(is_hit(&cache, &c.id, now));
    }

    #[tokio::test]
    async fn a_disconnect_between_read_and_fill_refuses_the_fill() {
        let cache = listening();
        let c = client("wallet", "Wallet");
        let now = Instant::now();
        let ticket = miss(&cache, &c.id, now);
        cache.disconnected(false);
        cache.connected("public".into());
        cache.fill(ticket, &c, now);
        assert!(!is_hit(&cache, &c.id, now));
    }

    #[tokio::test]
    async fn notifications_for_other_schemas_are_ignored_and_garbage_empties_all() {
        let cache = listening();
        let now = Instant::now();
        let c = client("wallet", "Wallet");
        let fill = |cache: &Arc<ClientCache>| {
            let ticket = miss(cache, &c.id, now);
            cache.fill(ticket, &c, now);
        };
        fill(&cache);
        cache.notified(r#"["tenant_b","wallet"]"#);
        assert!(is_hit(&cache, &c.id, now));
        cache.notified(r#"["public","wallet"]"#);
        assert!(!is_hit(&cache, &c.id, now));
        fill(&cache);
        cache.notified(r#"["public",null]"#);
        assert!(!is_hit(&cache, &c.id, now));
        fill(&cache);
        cache.notified("not json");
        assert!(!is_hit(&cache, &c.id, now));
    }

    #[tokio::test]
    async fn the_number_of_entries_is_capped() {
        let cache = listening();
        let now = Instant::now();
        for i in 0..CAPACITY + 10 {
            let c = client(&format!("client-{i}"), "C");
            let ticket = miss(&cache, &c.id, now);
            cache.fill(ticket, &c, now);
        }
        assert_eq!(cache.status().entries, CAPACITY);
    }
}
