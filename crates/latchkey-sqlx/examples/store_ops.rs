//! Times the storage step of one code exchange (`redeem_code`: consume the code and store
//! its grant with an access and a refresh token; or, with `two-steps`, `consume_code` then
//! `insert_grant`) on SQLite or PostgreSQL, sequentially and at a given concurrency, so the
//! database's share of an HTTP code exchange can be read directly.
//!
//! Run with: `cargo run --release -p latchkey-sqlx --example store_ops -- sqlite:/tmp/ops.db 2000 32`
//! or `... -- postgres://postgres@127.0.0.1:5432/test 2000 32` (add `concurrent` to skip the
//! sequential pass, `two-steps` for the consume + insert pair).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use latchkey_engine::pkce::{random_token, CodeChallenge, CodeVerifier, SecretDigest};
use latchkey_engine::store::{CodeRecord, ConsumeOutcome, PlannedRefresh, PlannedTokens, Storage};
use latchkey_engine::types::{ClientId, RedirectUri, Scope};
use latchkey_engine::{Authentication, Grant, GrantId, Subject};
use time::{Duration, OffsetDateTime};

fn code_record(now: OffsetDateTime) -> (SecretDigest, CodeRecord) {
    let digest = SecretDigest::of(&random_token().unwrap());
    let grant = Grant {
        id: GrantId::generate().unwrap(),
        client_id: ClientId::new("wallet-web").unwrap(),
        subject: Some(Subject::new("alice").unwrap()),
        scope: Scope::parse("balance:read trade").unwrap(),
        authentication: Some(Authentication {
            auth_time: now,
            acr: "urn:latchkey:acr:sca".into(),
            amr: vec!["pwd".into(), "otp".into()],
        }),
        created_at: now,
        refresh_expires_at: Some(now + Duration::days(30)),
    };
    let record = CodeRecord {
        digest,
        grant,
        redirect_uri: RedirectUri::parse("https://wallet.example/callback").unwrap(),
        redirect_uri_sent: true,
        code_challenge: Some(CodeChallenge::s256(&CodeVerifier::generate().unwrap())),
        nonce: None,
        issued_at: now,
        expires_at: now + Duration::minutes(10),
    };
    (digest, record)
}

/// The storage step of one code exchange: `redeem_code` (consume the code, store the
/// grant with an access and a refresh token), or with `two_steps` the `consume_code` +
/// `insert_grant` pair it replaces.
async fn exchange(store: &dyn Storage, digest: SecretDigest, now: OffsetDateTime, two_steps: bool) {
    let plan = PlannedTokens {
        issued_at: now,
        access_digest: SecretDigest::of(&random_token().unwrap()),
        access_expires_at: now + Duration::minutes(10),
        refresh: Some(PlannedRefresh {
            digest: SecretDigest::of(&random_token().unwrap()),
            idle_expires_at: now + Duration::days(7),
        }),
    };
    if !two_steps {
        match store.redeem_code(&digest, now, &plan).await.unwrap() {
            ConsumeOutcome::Consumed(_) => return,
            other => panic!("{other:?}"),
        }
    }
    let record = match store.consume_code(&digest, now).await.unwrap() {
        ConsumeOutcome::Consumed(r) => r,
        other => panic!("{other:?}"),
    };
    let (access, refresh) = plan.records_for(&record.grant);
    store
        .insert_grant(&record.grant, &access, refresh.as_ref())
        .await
        .unwrap();
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "sqlite:/tmp/latchkey-store-ops.db".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let store: Arc<dyn Storage> = if url.starts_with("sqlite:") {
        let s = latchkey_sqlx::SqliteStore::connect(&url).await.unwrap();
        s.migrate().await.unwrap();
        Arc::new(s)
    } else {
        let s = latchkey_sqlx::PostgresStore::connect(&url).await.unwrap();
        s.migrate().await.unwrap();
        Arc::new(s)
    };
    // Further arguments: `concurrent` skips the sequential pass (e.g. to watch `top`);
    // `two-steps` times consume + insert instead of the one-step redemption.
    let rest: Vec<String> = args.collect();
    let sequential = !rest.iter().any(|a| a == "concurrent");
    let two_steps = rest.iter().any(|a| a == "two-steps");
    let now = OffsetDateTime::now_utc();
    for (label, workers) in [("sequential", 1), ("concurrent", concurrency)] {
        if workers == 1 && !sequential {
            continue;
        }
        let mut digests = Vec::with_capacity(n);
        for _ in 0..n {
            let (digest, record) = code_record(now);
            store.insert_code(&record).await.unwrap();
            digests.push(digest);
        }
        let queue = Arc::new(std::sync::Mutex::new(digests));
        let start = Instant::now();
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let (store, queue) = (Arc::clone(&store), Arc::clone(&queue));
                tokio::spawn(async move {
                    loop {
                        let next = queue.lock().unwrap().pop();
                        let Some(digest) = next else { break };
                        exchange(store.as_ref(), digest, now, two_steps).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{label:>10} x{workers:<3} {:>8.0} exchanges/s  {:>7.1} µs each",
            n as f64 / secs,
            secs * 1e6 / n as f64
        );
    }
}
