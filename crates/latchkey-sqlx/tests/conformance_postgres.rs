//! The PostgreSQL backend passes the conformance kit, each test in a fresh schema of the
//! database named by `LATCHKEY_TEST_POSTGRES_URL` (skipped when it is unset), including
//! with two separate pools racing on one schema as two processes would; and a store whose
//! server is unreachable answers `StoreError::Unavailable` instead of panicking.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_engine::store::{ClientStore, CodeStore, StoreError};
use latchkey_sqlx::sqlx;
use latchkey_sqlx::PostgresStore;

use common::postgres::TestSchema;

#[tokio::test(flavor = "multi_thread")]
async fn postgres_store_passes_the_kit() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let seeded = common::seeded_client();
    store.put_client(&seeded).await.unwrap();
    let public = common::public_client();
    store.put_client(&public).await.unwrap();
    let got = store.get_client(&public.id).await.unwrap().unwrap();
    assert_eq!((got.secret, got.scope), (None, public.scope));

    let store = Arc::new(store);
    latchkey_testkit::run_conformance(Arc::clone(&store), Some(&seeded)).await;
    latchkey_testkit::run_conformance(Arc::clone(&store), Some(&seeded)).await;
    store.pool().close().await;
    schema.drop_schema().await;
}

/// The same kit with the client cache on: it must not change any answer.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_store_with_a_client_cache_passes_the_kit() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema
        .store()
        .await
        .with_client_cache(std::time::Duration::from_secs(60));
    store.migrate().await.unwrap();
    let seeded = common::seeded_client();
    store.put_client(&seeded).await.unwrap();
    let store = Arc::new(store);
    latchkey_testkit::run_conformance(Arc::clone(&store), Some(&seeded)).await;
    let status = store.client_cache_status().unwrap();
    assert!(
        status.hits + status.misses > 0,
        "the kit read clients: {status:?}"
    );
    store.pool().close().await;
    schema.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_pools_on_one_schema_have_exactly_one_winner() {
    use latchkey_engine::store::{ConsumeOutcome, TokenStore};

    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let first = Arc::new(schema.store().await);
    first.migrate().await.unwrap();
    let second = Arc::new(schema.store().await);
    // Both "processes" run the whole kit on the same tables, one after the other (the
    // kit's purge counts assume nobody else purges the store at the same moment).
    latchkey_testkit::run_conformance(Arc::clone(&first), None).await;
    latchkey_testkit::run_conformance(Arc::clone(&second), None).await;

    // And 64 consumers of one code, split across the two pools.
    let now =
        time::OffsetDateTime::from_unix_timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
            .unwrap();
    let grant = grant_at(now);
    let code = code_for(grant.clone(), now, time::Duration::minutes(5));
    first.insert_code(&code).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = if i % 2 == 0 {
                Arc::clone(&first)
            } else {
                Arc::clone(&second)
            };
            let barrier = Arc::clone(&barrier);
            let digest = code.digest;
            tokio::spawn(async move {
                barrier.wait().await;
                store.consume_code(&digest, now).await.unwrap()
            })
        })
        .collect();
    let outcomes: Vec<ConsumeOutcome> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let winners = outcomes
        .iter()
        .filter(|o| matches!(o, ConsumeOutcome::Consumed(_)))
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, ConsumeOutcome::Consumed(_))
            || *o == ConsumeOutcome::AlreadyUsed(grant.id)));
    // A revocation through one pool is seen through the other.
    second.revoke_grant(&grant.id).await.unwrap();
    let access = latchkey_engine::store::AccessTokenRecord {
        digest: latchkey_engine::pkce::SecretDigest::of(&common::random_hex(32)),
        grant_id: grant.id,
        scope: grant.scope.clone(),
        issued_at: now,
        expires_at: now + time::Duration::hours(1),
    };
    assert!(matches!(
        first.insert_grant(&grant, &access, None).await,
        Err(StoreError::GrantRevoked)
    ));

    first.pool().close().await;
    second.pool().close().await;
    schema.drop_schema().await;
}

fn grant_at(now: time::OffsetDateTime) -> latchkey_engine::Grant {
    latchkey_engine::Grant {
        id: latchkey_engine::GrantId::generate().unwrap(),
        client_id: common::seeded_client().id,
        subject: Some(latchkey_engine::Subject::new("alice").unwrap()),
        scope: latchkey_engine::types::Scope::parse("openid").unwrap(),
        authentication: None,
        created_at: now,
        refresh_expires_at: None,
    }
}

fn code_for(
    grant: latchkey_engine::Grant,
    now: time::OffsetDateTime,
    ttl: time::Duration,
) -> latchkey_engine::store::CodeRecord {
    latchkey_engine::store::CodeRecord {
        digest: latchkey_engine::pkce::SecretDigest::of(&common::random_hex(32)),
        grant,
        redirect_uri: latchkey_engine::types::RedirectUri::parse("https://app.example/cb").unwrap(),
        redirect_uri_sent: true,
        code_challenge: None,
        nonce: None,
        issued_at: now,
        expires_at: now + ttl,
    }
}

/// Concurrent calls are coalesced into batch statements; each caller must still get the
/// answer for its own code, grant or client, whatever else shares its batch: one winner per
/// code with replays reported as such, expired and unknown codes told apart, a revoked or
/// duplicate grant failing only its own call, clients found or not by their own id.
/// Without generic plans PostgreSQL re-plans the batched statements on every call (their
/// array parameters make a generic plan look dear), a third of an unloaded exchange.
#[tokio::test(flavor = "multi_thread")]
async fn the_store_connections_use_generic_plans() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "force_generic_plan");
    let lazy = PostgresStore::connect_lazy(&schema.url).unwrap();
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(lazy.pool())
        .await
        .unwrap();
    assert_eq!(mode, "force_generic_plan");
    store.pool().close().await;
    lazy.pool().close().await;
    schema.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batched_calls_each_get_their_own_answer() {
    use latchkey_engine::store::{ConsumeOutcome, TokenStore};

    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = Arc::new(schema.store().await);
    store.migrate().await.unwrap();
    let seeded = common::seeded_client();
    store.put_client(&seeded).await.unwrap();
    let now =
        time::OffsetDateTime::from_unix_timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
            .unwrap();

    // 30 live codes (each redeemed 3 times at once), 5 expired, 5 never issued.
    let live: Vec<_> = (0..30)
        .map(|_| code_for(grant_at(now), now, time::Duration::minutes(5)))
        .collect();
    let expired: Vec<_> = (0..5)
        .map(|_| {
            code_for(
                grant_at(now),
                now - time::Duration::minutes(10),
                time::Duration::minutes(1),
            )
        })
        .collect();
    for code in live.iter().chain(&expired) {
        store.insert_code(code).await.unwrap();
    }
    let unknown: Vec<_> = (0..5)
        .map(|_| latchkey_engine::pkce::SecretDigest::of(&common::random_hex(32)))
        .collect();
    let mut calls = Vec::new();
    for code in &live {
        calls.extend([code.digest; 3]);
    }
    calls.extend(expired.iter().map(|c| c.digest));
    calls.extend(unknown.iter().copied());
    let barrier = Arc::new(tokio::sync::Barrier::new(calls.len()));
    let tasks: Vec<_> = calls
        .iter()
        .map(|&digest| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                (digest, store.consume_code(&digest, now).await.unwrap())
            })
        })
        .collect();
    let outcomes: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for code in &live {
        let mine: Vec<_> = outcomes
            .iter()
            .filter(|(d, _)| *d == code.digest)
            .map(|(_, o)| o)
            .collect();
        let won: Vec<_> = mine
            .iter()
            .filter(|o| matches!(o, ConsumeOutcome::Consumed(_)))
            .collect();
        assert_eq!(won.len(), 1, "{mine:?}");
        let ConsumeOutcome::Consumed(record) = won[0] else {
            unreachable!()
        };
        assert_eq!(**record, *code);
        assert_eq!(
            mine.iter()
                .filter(|o| **o == &ConsumeOutcome::AlreadyUsed(code.grant.id))
                .count(),
            2,
            "{mine:?}"
        );
    }
    for code in &expired {
        assert!(outcomes.contains(&(code.digest, ConsumeOutcome::Expired)));
    }
    for digest in &unknown {
        assert!(outcomes.contains(&(*digest, ConsumeOutcome::Unknown)));
    }

    // 30 grants stored at once: 3 were revoked first, one is sent twice.
    let grants: Vec<_> = live.iter().map(|c| c.grant.clone()).collect();
    for grant in &grants[..3] {
        store.revoke_grant(&grant.id).await.unwrap();
    }
    let access_for = |grant: &latchkey_engine::Grant| latchkey_engine::store::AccessTokenRecord {
        digest: latchkey_engine::pkce::SecretDigest::of(&common::random_hex(32)),
        grant_id: grant.id,
        scope: grant.scope.clone(),
        issued_at: now,
        expires_at: now + time::Duration::hours(1),
    };
    let mut inserts: Vec<_> = grants.iter().map(|g| (g.clone(), access_for(g))).collect();
    inserts.push((grants[29].clone(), access_for(&grants[29])));
    let barrier = Arc::new(tokio::sync::Barrier::new(inserts.len()));
    let tasks: Vec<_> = inserts
        .into_iter()
        .enumerate()
        .map(|(i, (grant, access))| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let refresh = (i % 2 == 0).then(|| latchkey_engine::store::RefreshTokenRecord {
                    digest: latchkey_engine::pkce::SecretDigest::of(&common::random_hex(32)),
                    grant_id: grant.id,
                    issued_at: now,
                    expires_at: now + time::Duration::days(1),
                    used_at: None,
                });
                let result = store.insert_grant(&grant, &access, refresh.as_ref()).await;
                (grant.id, access, refresh, result)
            })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for (id, access, refresh, result) in &results {
        let stored = store.get_access_token(&access.digest, now).await.unwrap();
        let stored_refresh = match refresh {
            Some(r) => store.get_refresh_token(&r.digest, now).await.unwrap(),
            None => None,
        };
        if grants[..3].iter().any(|g| g.id == *id) {
            assert!(
                matches!(result, Err(StoreError::GrantRevoked)),
                "{result:?}"
            );
            assert!(stored.is_none() && stored_refresh.is_none());
        } else if *id == grants[29].id {
            assert!(
                matches!(result, Ok(()) | Err(StoreError::Duplicate)),
                "{result:?}"
            );
            assert_eq!(stored.is_some(), result.is_ok());
        } else {
            assert!(result.is_ok(), "{result:?}");
            assert_eq!(stored.unwrap().1.id, *id);
            assert_eq!(stored_refresh.is_some(), refresh.is_some());
        }
    }
    let twice: Vec<_> = results
        .iter()
        .filter(|(id, ..)| *id == grants[29].id)
        .map(|(.., r)| r.is_ok())
        .collect();
    assert_eq!(
        twice.iter().filter(|ok| **ok).count(),
        1,
        "exactly one of the two inserts of one grant id"
    );

    // Clients: the seeded one and an unknown id, asked 40 times at once.
    let missing = latchkey_engine::types::ClientId::new("nobody").unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = Arc::clone(&store);
            let id = if i % 4 == 0 {
                missing.clone()
            } else {
                seeded.id.clone()
            };
            tokio::spawn(async move { (i, store.get_client(&id).await.unwrap()) })
        })
        .collect();
    for task in tasks {
        let (i, client) = task.await.unwrap();
        if i % 4 == 0 {
            assert!(client.is_none());
        } else {
            assert_eq!(client.unwrap().id, seeded.id);
        }
    }

    store.pool().close().await;
    schema.drop_schema().await;
}

/// Token lookups are batched too: each caller must get the row a single lookup would
/// give it, judged at its own time — one token asked at once by a caller before its
/// expiry and one after, a revoked grant's tokens and unknown digests found by no one.
#[tokio::test(flavor = "multi_thread")]
async fn batched_token_lookups_each_get_their_own_answer() {
    use latchkey_engine::pkce::SecretDigest;
    use latchkey_engine::store::{AccessTokenRecord, RefreshTokenRecord, TokenStore};

    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = Arc::new(schema.store().await);
    store.migrate().await.unwrap();
    store.put_client(&common::seeded_client()).await.unwrap();
    let now =
        time::OffsetDateTime::from_unix_timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
            .unwrap();
    let later = now + time::Duration::hours(2);
    let digest = || SecretDigest::of(&common::random_hex(32));
    // 12 grants, each with an access token (1 hour) and a refresh token (1 day).
    let mut stored = Vec::new();
    for _ in 0..12 {
        let grant = grant_at(now);
        let access = AccessTokenRecord {
            digest: digest(),
            grant_id: grant.id,
            scope: grant.scope.clone(),
            issued_at: now,
            expires_at: now + time::Duration::hours(1),
        };
        let refresh = RefreshTokenRecord {
            digest: digest(),
            grant_id: grant.id,
            issued_at: now,
            expires_at: now + time::Duration::days(1),
            used_at: None,
        };
        store
            .insert_grant(&grant, &access, Some(&refresh))
            .await
            .unwrap();
        stored.push((grant.id, access.digest, refresh.digest));
    }
    let revoked = stored[0].0;
    store.revoke_grant(&revoked).await.unwrap();

    // Every access digest at `now` and at `later`, every refresh digest at `now`, and
    // unknown digests; the answer each lookup must get: its grant id, or none.
    let mut calls = Vec::new();
    for &(grant, access, refresh) in &stored {
        let live = (grant != revoked).then_some(grant);
        calls.push((true, access, now, live));
        calls.push((true, access, later, None));
        calls.push((false, refresh, now, live));
    }
    for _ in 0..4 {
        calls.push((true, digest(), now, None));
        calls.push((false, digest(), now, None));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(calls.len()));
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|(is_access, digest, at, expected)| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let found = if is_access {
                    let found = store.get_access_token(&digest, at).await.unwrap();
                    found.map(|(record, grant)| {
                        assert_eq!(record.digest, digest);
                        assert_eq!(record.grant_id, grant.id);
                        grant.id
                    })
                } else {
                    let found = store.get_refresh_token(&digest, at).await.unwrap();
                    found.map(|(record, grant)| {
                        assert_eq!(record.digest, digest);
                        assert_eq!(record.grant_id, grant.id);
                        grant.id
                    })
                };
                assert_eq!(found, expected, "access: {is_access}, at {at}");
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    store.pool().close().await;
    schema.drop_schema().await;
}

/// Refresh rotations are batched: of three calls rotating one token at once exactly one
/// wins and stores its successors, the other two are told of a replay and store nothing;
/// a revoked grant's, an expired and an unknown token rotate for no one.
#[tokio::test(flavor = "multi_thread")]
async fn batched_rotations_have_one_winner_per_token() {
    use latchkey_engine::pkce::SecretDigest;
    use latchkey_engine::store::{
        AccessTokenRecord, RefreshTokenRecord, RotateOutcome, TokenStore,
    };

    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = Arc::new(schema.store().await);
    store.migrate().await.unwrap();
    store.put_client(&common::seeded_client()).await.unwrap();
    let now =
        time::OffsetDateTime::from_unix_timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
            .unwrap();
    let digest = || SecretDigest::of(&common::random_hex(32));
    let refresh_for = |grant: latchkey_engine::GrantId, ttl: time::Duration| RefreshTokenRecord {
        digest: digest(),
        grant_id: grant,
        issued_at: now,
        expires_at: now + ttl,
        used_at: None,
    };
    let access_for = |grant: &latchkey_engine::Grant| AccessTokenRecord {
        digest: digest(),
        grant_id: grant.id,
        scope: grant.scope.clone(),
        issued_at: now,
        expires_at: now + time::Duration::hours(1),
    };
    // 10 live tokens, one whose grant is revoked, one expired, one never issued.
    let mut presented = Vec::new();
    for i in 0..12 {
        let grant = grant_at(now);
        let ttl = if i == 11 {
            time::Duration::seconds(-1)
        } else {
            time::Duration::days(1)
        };
        let refresh = refresh_for(grant.id, ttl);
        store
            .insert_grant(&grant, &access_for(&grant), Some(&refresh))
            .await
            .unwrap();
        presented.push((grant, refresh.digest));
    }
    store.revoke_grant(&presented[10].0.id).await.unwrap();
    presented.push((grant_at(now), digest()));

    let attempts: Vec<_> = presented
        .iter()
        .flat_map(|(grant, token)| (0..3).map(move |_| (grant.clone(), *token)))
        .collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(attempts.len()));
    let tasks: Vec<_> = attempts
        .into_iter()
        .map(|(grant, token)| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let next_refresh = refresh_for(grant.id, time::Duration::days(1));
            let next_access = access_for(&grant);
            tokio::spawn(async move {
                barrier.wait().await;
                let outcome = store
                    .rotate_refresh_token(&token, &next_refresh, &next_access, now)
                    .await
                    .unwrap();
                (
                    grant.id,
                    token,
                    next_refresh.digest,
                    next_access.digest,
                    outcome,
                )
            })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for (i, (grant, token)) in presented.iter().enumerate() {
        let mine: Vec<_> = results.iter().filter(|r| r.1 == *token).collect();
        assert_eq!(mine.len(), 3);
        for (_, _, next_refresh, next_access, outcome) in &mine {
            let stored = store.get_refresh_token(next_refresh, now).await.unwrap();
            let access = store.get_access_token(next_access, now).await.unwrap();
            assert_eq!(stored.is_some(), *outcome == RotateOutcome::Rotated, "{i}");
            assert_eq!(access.is_some(), *outcome == RotateOutcome::Rotated, "{i}");
        }
        let outcomes: Vec<RotateOutcome> = mine.iter().map(|r| r.4.clone()).collect();
        let rotated = outcomes
            .iter()
            .filter(|o| **o == RotateOutcome::Rotated)
            .count();
        if i < 10 {
            assert_eq!(rotated, 1, "{i}: {outcomes:?}");
            let replays = outcomes
                .iter()
                .filter(|o| **o == RotateOutcome::Replayed(grant.id))
                .count();
            assert_eq!(replays, 2, "{i}: {outcomes:?}");
        } else {
            assert!(
                outcomes.iter().all(|o| *o == RotateOutcome::Unknown),
                "{i}: {outcomes:?}"
            );
        }
    }

    store.pool().close().await;
    schema.drop_schema().await;
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_not_a_panic() {
    let url = "postgres://postgres@127.0.0.1:1/test";
    let started = Instant::now();
    match PostgresStore::connect(url).await {
        Err(StoreError::Unavailable(message)) => assert!(!message.contains("postgres://")),
        other => panic!("expected Unavailable, got {:?}", other.map(|_| "a store")),
    }
    let store = PostgresStore::connect_lazy(url).unwrap();
    let id = latchkey_engine::types::ClientId::new("anyone").unwrap();
    assert!(matches!(
        store.get_client(&id).await,
        Err(StoreError::Unavailable(_))
    ));
    let digest = latchkey_engine::pkce::SecretDigest::of("code");
    let now = time::OffsetDateTime::now_utc();
    assert!(matches!(
        store.consume_code(&digest, now).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(20), "fails fast");
}

#[tokio::test]
async fn a_malformed_url_is_an_error_without_the_url() {
    match PostgresStore::connect_lazy("postgres://user:hunter2@[bad") {
        Err(err) => assert!(!err.to_string().contains("hunter2"), "{err}"),
        Ok(_) => panic!("a malformed URL was accepted"),
    }
    let _ = sqlx::Error::PoolClosed;
}
