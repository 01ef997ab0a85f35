//! How long after a client registration changes on one node another node's client cache
//! drops it: one store writes the same registration 300 times, a caching store (its own
//! pool, as on another node) waits for each change to reach its cache, and the example
//! prints the delays' median, 99th percentile and maximum, timed from the moment the
//! writing call returned (its commit acknowledged).
//!
//! Run with: `cargo run --release -p latchkey-sqlx --example client_cache_latency --
//! "postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dlk_lat"` (the schema
//! must exist; the example migrates it and registers one client named `latency`).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use latchkey_engine::store::{Client, ClientSecretVerifier, ClientStore};
use latchkey_engine::types::{ClientId, GrantType, RedirectUri, Scope};
use latchkey_sqlx::PostgresStore;

const CHANGES: usize = 300;

#[tokio::main]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .expect("usage: client_cache_latency POSTGRES_URL");
    let cached = PostgresStore::connect(&url)
        .await
        .unwrap()
        .with_client_cache(Duration::from_secs(60));
    let writer = PostgresStore::connect(&url).await.unwrap();
    cached.migrate().await.unwrap();
    let client = Client {
        id: ClientId::new("latency").unwrap(),
        name: "Latency probe".into(),
        secret: Some(ClientSecretVerifier::for_secret("probe-secret")),
        redirect_uris: vec![RedirectUri::parse("https://probe.example/cb").unwrap()],
        grant_types: vec![GrantType::AuthorizationCode],
        scope: Scope::parse("balance:read").unwrap(),
    };
    writer.put_client(&client).await.unwrap();
    // The first read starts the cache's listener.
    cached.get_client(&client.id).await.unwrap();
    let mut changes = cached.watch_client_cache().unwrap();
    changes.wait_for(|s| s.listening).await.unwrap();

    let mut delays = Vec::with_capacity(CHANGES);
    for _ in 0..CHANGES {
        let seen = cached.client_cache_status().unwrap().invalidations;
        writer.put_client(&client).await.unwrap();
        let committed = Instant::now();
        changes.wait_for(|s| s.invalidations > seen).await.unwrap();
        delays.push(committed.elapsed());
    }
    delays.sort();
    let at = |q: f64| delays[((CHANGES as f64 * q) as usize).min(CHANGES - 1)];
    println!(
        "{CHANGES} changes, delay from the write's return to the other node's invalidation: \
         p50 {:?}, p99 {:?}, max {:?}",
        at(0.5),
        at(0.99),
        delays[CHANGES - 1]
    );
}
