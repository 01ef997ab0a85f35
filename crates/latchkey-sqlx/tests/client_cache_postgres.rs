//! `PostgresStore::with_client_cache` on a real database (`LATCHKEY_TEST_POSTGRES_URL`,
//! each test in its own schema; skipped when unset): a cached registration is served
//! without a read, and every way a registration can change — this store's own writes,
//! another node's, plain SQL, a lost listener connection — drops it. Waits are on the
//! cache's status channel (with a generous timeout as a failure guard), never on a clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::postgres::TestSchema;
use latchkey_engine::store::{Client, ClientSecretVerifier, ClientStore};
use latchkey_engine::types::ClientId;
use latchkey_sqlx::sqlx::{self, Executor};
use latchkey_sqlx::{ClientCacheStatus, PostgresStore};

/// A caching store (application name = the schema's, so a test can find its listener)
/// and a plain one standing for another node, both migrated, with `client` registered.
async fn nodes(schema: &TestSchema, client: &Client) -> (PostgresStore, PostgresStore) {
    let options = schema.options().application_name(&schema.name);
    let cached = PostgresStore::connect_with(options)
        .await
        .unwrap()
        .with_client_cache(Duration::from_secs(300));
    let other = schema.store().await;
    cached.migrate().await.unwrap();
    other.put_client(client).await.unwrap();
    // The first read starts the listener; wait until it listens.
    cached.get_client(&client.id).await.unwrap();
    wait_for(&cached, |s| s.listening).await;
    (cached, other)
}

/// Waits until the cache's status satisfies `done` (failing after 20 s).
async fn wait_for(store: &PostgresStore, done: impl FnMut(&ClientCacheStatus) -> bool) {
    let mut changes = store.watch_client_cache().expect("a caching store");
    tokio::time::timeout(Duration::from_secs(20), changes.wait_for(done))
        .await
        .expect("the client cache did not get there within 20 s")
        .unwrap();
}

fn status(store: &PostgresStore) -> ClientCacheStatus {
    store.client_cache_status().expect("a caching store")
}

/// Reads `id` until it is cached (a read may race the listener's own connect).
async fn cache(store: &PostgresStore, id: &ClientId) {
    for _ in 0..3 {
        let before = status(store).hits;
        store.get_client_shared(id).await.unwrap().unwrap();
        store.get_client_shared(id).await.unwrap().unwrap();
        if status(store).hits > before {
            return;
        }
    }
    panic!("the client was never served from the cache");
}

/// Caches `id` on `cached`, makes `change` (through another connection), waits until the
/// cache has heard of it and reads `id` again.
async fn read_after(
    cached: &PostgresStore,
    id: &ClientId,
    change: impl std::future::Future<Output = ()>,
) -> Option<Client> {
    cache(cached, id).await;
    let seen = status(cached).invalidations;
    change.await;
    wait_for(cached, |s| s.invalidations > seen).await;
    cached.get_client(id).await.unwrap()
}

fn renamed(client: &Client, name: &str, secret: &str) -> Client {
    Client {
        name: name.to_owned(),
        secret: Some(ClientSecretVerifier::for_secret(secret)),
        ..client.clone()
    }
}

async fn close(schema: TestSchema, stores: [PostgresStore; 2]) {
    for store in stores {
        store.pool().close().await;
    }
    schema.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_client_is_served_without_a_read_and_unknown_ids_are_not_kept() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let client = common::seeded_client();
    let (cached, other) = nodes(&schema, &client).await;
    cache(&cached, &client.id).await;
    let before = status(&cached);
    let served = cached.get_client_shared(&client.id).await.unwrap().unwrap();
    assert_eq!(
        (served.id.as_str(), served.name.as_str()),
        (client.id.as_str(), client.name.as_str())
    );
    let after = status(&cached);
    assert_eq!((after.hits, after.misses), (before.hits + 1, before.misses));

    for i in 0..50 {
        let unknown = ClientId::new(&format!("guessed-{i}")).unwrap();
        assert!(cached.get_client(&unknown).await.unwrap().is_none());
    }
    assert_eq!(status(&cached).entries, 1, "unknown ids must not be cached");
    close(schema, [cached, other]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn this_stores_own_writes_drop_the_entry_at_once() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let client = common::seeded_client();
    let (cached, other) = nodes(&schema, &client).await;
    cache(&cached, &client.id).await;

    cached
        .put_client(&renamed(&client, "Rotated", "new-secret"))
        .await
        .unwrap();
    let now = cached.get_client(&client.id).await.unwrap().unwrap();
    assert_eq!(now.name, "Rotated");
    assert!(now.secret.as_ref().unwrap().verify("new-secret"));
    assert!(!now.secret.as_ref().unwrap().verify("s3cret-value"));

    cache(&cached, &client.id).await;
    assert!(cached.remove_client(&client.id).await.unwrap());
    assert!(cached.get_client(&client.id).await.unwrap().is_none());
    close(schema, [cached, other]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_made_by_another_node_or_by_plain_sql_reaches_the_cache() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let client = common::seeded_client();
    let (cached, other) = nodes(&schema, &client).await;

    // Another node rotates the secret.
    let rotated = renamed(&client, "Rotated", "new-secret");
    let now = read_after(&cached, &client.id, async {
        other.put_client(&rotated).await.unwrap();
    })
    .await
    .unwrap();
    assert!(now.secret.as_ref().unwrap().verify("new-secret"));
    assert!(!now.secret.as_ref().unwrap().verify("s3cret-value"));

    // An operator deletes the compromised client with plain SQL.
    let now = read_after(&cached, &client.id, async {
        sqlx::query("DELETE FROM lk_clients WHERE id = $1")
            .bind(client.id.as_str())
            .execute(other.pool())
            .await
            .unwrap();
    })
    .await;
    assert!(now.is_none());

    // ... or empties the table.
    other.put_client(&client).await.unwrap();
    let now = read_after(&cached, &client.id, async {
        other.pool().execute("TRUNCATE lk_clients").await.unwrap();
    })
    .await;
    assert!(now.is_none());
    close(schema, [cached, other]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_listener_connection_empties_the_cache_and_listens_again() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let client = common::seeded_client();
    let (cached, other) = nodes(&schema, &client).await;
    cache(&cached, &client.id).await;
    let connects = status(&cached).connects;

    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND query LIKE 'LISTEN%'",
    )
    .bind(&schema.name)
    .fetch_all(other.pool())
    .await
    .unwrap();
    assert_eq!(killed, vec![true], "exactly one listener connection");

    // Changes made while it was down were not heard, so it must start from empty.
    wait_for(&cached, |s| s.listening && s.connects > connects).await;
    assert_eq!(status(&cached).entries, 0);

    // And the new connection hears the next change.
    let rotated = renamed(&client, "Rotated", "new-secret");
    let now = read_after(&cached, &client.id, async {
        other.put_client(&rotated).await.unwrap();
    })
    .await
    .unwrap();
    assert_eq!(now.name, "Rotated");
    close(schema, [cached, other]).await;
}
