//! The SQLite backend passes the conformance kit, in a fresh database file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use latchkey_engine::store::ClientStore;
use latchkey_sqlx::SqliteStore;

/// A database file in the temp dir, removed (with its WAL files) when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> Self {
        let name = format!("latchkey-test-{}.db", common::random_hex(8));
        Self(std::env::temp_dir().join(name))
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn store(db: &TempDb) -> SqliteStore {
    let store = SqliteStore::connect(&db.url()).await.expect("open sqlite");
    store.migrate().await.expect("migrate");
    store
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_store_passes_the_kit() {
    let db = TempDb::new();
    let store = store(&db).await;
    let seeded = common::seeded_client();
    store.put_client(&seeded).await.unwrap();
    let store = Arc::new(store);
    latchkey_testkit::run_conformance(Arc::clone(&store), Some(&seeded)).await;
    // Again on the same database, migrating twice: fresh ids keep the runs apart.
    store.migrate().await.unwrap();
    latchkey_testkit::run_conformance(Arc::clone(&store), Some(&seeded)).await;
    store.pool().close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_pools_on_one_file_share_the_single_winner() {
    let db = TempDb::new();
    let first = Arc::new(store(&db).await);
    let second = Arc::new(store(&db).await);
    latchkey_testkit::run_conformance(Arc::clone(&first), None).await;
    latchkey_testkit::run_conformance(Arc::clone(&second), None).await;
    first.pool().close().await;
    second.pool().close().await;
}

#[tokio::test]
async fn clients_upsert_and_round_trip() {
    let db = TempDb::new();
    let store = store(&db).await;
    let mut client = common::public_client();
    store.put_client(&client).await.unwrap();
    let got = store.get_client(&client.id).await.unwrap().unwrap();
    assert_eq!(got.secret, None);
    assert_eq!(got.scope, client.scope);
    assert_eq!(got.redirect_uris, client.redirect_uris);

    client.name = "Renamed".to_owned();
    client.redirect_uris.clear();
    store.put_client(&client).await.unwrap();
    let got = store.get_client(&client.id).await.unwrap().unwrap();
    assert_eq!(got.name, "Renamed");
    assert!(got.redirect_uris.is_empty());

    assert!(store.remove_client(&client.id).await.unwrap());
    assert!(!store.remove_client(&client.id).await.unwrap());
    assert!(store.get_client(&client.id).await.unwrap().is_none());
    store.pool().close().await;
}
