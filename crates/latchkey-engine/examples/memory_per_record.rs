//! Memory per outstanding authorization code and per active token in the `MemoryStore`.
//!
//! ```text
//! cargo run --release -p latchkey-engine --example memory_per_record [COUNT]
//! ```
//!
//! Inserts `COUNT` (default 1,000,000) realistic codes through the `CodeStore` trait,
//! then as many grants with an access and a refresh token each through `insert_grant`,
//! and reports the growth of the process's resident set (`VmRSS` in /proc/self/status)
//! per record. Each record is built just before its insert and dropped after it, as a
//! handler does, so the growth is what the store keeps. (`unsafe_code` is forbidden workspace-wide, so no counting allocator:
//! RSS is the measure, after a warm-up insert that has the allocator's arenas set up.)

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use latchkey_engine::acr;
use latchkey_engine::pkce::{fill_random, CodeChallenge, CodeVerifier, SecretDigest};
use latchkey_engine::store::{
    AccessTokenRecord, CodeRecord, CodeStore, RefreshTokenRecord, TokenStore,
};
use latchkey_engine::types::{ClientId, RedirectUri, Scope};
use latchkey_engine::{Authentication, Grant, GrantId, MemoryStore, Subject};
use time::{Duration, OffsetDateTime};

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("a number");
    kib * 1024
}

fn random_digest() -> SecretDigest {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes).unwrap();
    SecretDigest::from_bytes(bytes)
}

struct Shared {
    client: ClientId,
    redirect: RedirectUri,
    scope: Scope,
    now: OffsetDateTime,
}

/// A grant as the code flow makes it: each record gets its own copies of every string,
/// exactly as a real request would (nothing shared by construction).
fn grant(shared: &Shared, i: usize) -> Grant {
    Grant {
        id: GrantId::generate().unwrap(),
        client_id: ClientId::new(shared.client.as_str()).unwrap(),
        subject: Some(Subject::new(format!("user-{i:06}")).unwrap()),
        scope: Scope::parse(&shared.scope.as_string()).unwrap(),
        authentication: Some(Authentication {
            auth_time: shared.now,
            acr: acr::STRONG.to_owned(),
            amr: vec!["pwd".to_owned(), "otp".to_owned()],
        }),
        created_at: shared.now,
        refresh_expires_at: Some(shared.now + Duration::days(90)),
    }
}

fn code(shared: &Shared, i: usize) -> CodeRecord {
    let verifier = CodeVerifier::generate().unwrap();
    CodeRecord {
        digest: random_digest(),
        grant: grant(shared, i),
        redirect_uri: RedirectUri::parse(shared.redirect.as_str()).unwrap(),
        redirect_uri_sent: true,
        code_challenge: Some(CodeChallenge::s256(&verifier)),
        nonce: None,
        issued_at: shared.now,
        expires_at: shared.now + Duration::seconds(60),
    }
}

fn tokens(shared: &Shared, i: usize) -> (Grant, AccessTokenRecord, RefreshTokenRecord) {
    let grant = grant(shared, i);
    let access = AccessTokenRecord {
        digest: random_digest(),
        grant_id: grant.id,
        scope: Scope::parse(&shared.scope.as_string()).unwrap(),
        issued_at: shared.now,
        expires_at: shared.now + Duration::minutes(10),
    };
    let refresh = RefreshTokenRecord {
        digest: random_digest(),
        grant_id: grant.id,
        issued_at: shared.now,
        expires_at: shared.now + Duration::days(30),
        used_at: None,
    };
    (grant, access, refresh)
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let shared = Shared {
        client: ClientId::new("wallet-web").unwrap(),
        redirect: RedirectUri::register("https://wallet.example/callback").unwrap(),
        scope: Scope::parse("balance:read trade").unwrap(),
        now: OffsetDateTime::now_utc(),
    };
    let store = Arc::new(MemoryStore::new());
    let run = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>| {
        futures::executor::block_on(f)
    };

    // Warm-up: a few records through each path, so one-time allocations (interning
    // tables, allocator arenas) are not counted per record.
    for i in 0..1_000 {
        let c = code(&shared, i);
        run(Box::pin(async { store.insert_code(&c).await.unwrap() }));
        let (g, a, r) = tokens(&shared, i);
        run(Box::pin(async {
            store.insert_grant(&g, &a, Some(&r)).await.unwrap()
        }));
    }

    // Each record is built just before it is inserted and dropped right after, as a
    // request handler does: what the store keeps of it (including a value it shares with
    // the record, such as the subject) stays, the rest is freed and reused by the next
    // record, so the growth is what the store holds. (Built all ahead and kept alive
    // during the measurement, a value the store shares rather than copies would not be
    // counted.)
    let before = rss_bytes();
    for i in 0..count {
        let c = code(&shared, i);
        run(Box::pin(async { store.insert_code(&c).await.unwrap() }));
    }
    let after = rss_bytes();
    let per_code = (after.saturating_sub(before)) as f64 / count as f64;

    let before = rss_bytes();
    for i in 0..count {
        let (g, a, r) = tokens(&shared, i);
        run(Box::pin(async {
            store.insert_grant(&g, &a, Some(&r)).await.unwrap()
        }));
    }
    let after = rss_bytes();
    let per_token = (after.saturating_sub(before)) as f64 / count as f64;

    let (codes_n, access_n, refresh_n, grants_n) = store.counts();
    println!("records: {codes_n} codes, {grants_n} grants, {access_n} access + {refresh_n} refresh tokens");
    println!("{:<48} {:>10}", "measure", "bytes");
    println!(
        "{:<48} {:>10.0}",
        "per outstanding authorization code", per_code
    );
    println!(
        "{:<48} {:>10.0}",
        "per active token (grant + access + refresh)", per_token
    );
}
