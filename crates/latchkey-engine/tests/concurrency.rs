//! Single use under concurrency: codes, refresh tokens and interactions are each used at
//! most once however many requests race for them (RFC 6749 §4.1.2, RFC 9700 §4.14.2).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use common::*;
use http::StatusCode;
use latchkey_engine::acr;
use latchkey_engine::clock::ManualClock;
use latchkey_engine::events::RecordingSink;
use latchkey_engine::pkce::SecretDigest;
use latchkey_engine::store::{
    AccessTokenRecord, Client, ClientStore, CodeRecord, CodeRedemption, CodeStore, ConsumeOutcome,
    InteractionRecord, InteractionStore, Maintenance, PurgeReport, RefreshTokenRecord,
    RotateOutcome, StoreError, TokenStore,
};
use latchkey_engine::types::ClientId;
use latchkey_engine::{Engine, Error, MemoryStore};
use latchkey_engine::{Grant, GrantId, Subject};
use time::OffsetDateTime;

const RACERS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_code_redemptions_exactly_one_succeeds_rfc6749_4_1_2() {
    let fx = fixture();
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let request = Fixture::code_request(&req, &code, WALLET_BASIC);
    let handles: Vec<_> = (0..RACERS)
        .map(|_| {
            let engine = fx.engine.clone();
            let request = request.clone();
            tokio::spawn(async move { engine.token(&request).await })
        })
        .collect();
    let mut ok = Vec::new();
    let mut invalid_grant = 0;
    for h in handles {
        let response = h.await.unwrap();
        if response.status() == StatusCode::OK {
            ok.push(Tokens::from_response(&response));
        } else {
            assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
            invalid_grant += 1;
        }
    }
    // Exactly one request consumed the code and succeeds; the other 63 are replays.
    assert_eq!(ok.len(), 1, "{} successes", ok.len());
    assert_eq!(ok.len() + invalid_grant, RACERS);
    assert_eq!(fx.count("code_replay_detected"), RACERS - 1);
    assert_eq!(fx.count("code_redeemed"), ok.len());
    // Replays revoke the grant, so whatever was issued is dead after the race.
    for tokens in &ok {
        assert!(!fx.is_active(&tokens.access).await);
        assert!(!fx.is_active(tokens.refresh()).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_code_redemptions_by_distinct_codes_all_succeed() {
    // Control: the race handling does not refuse independent codes.
    let fx = fixture();
    let mut requests = Vec::new();
    for _ in 0..RACERS {
        let req = AuthRequest::wallet();
        let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
        requests.push(Fixture::code_request(&req, &code, WALLET_BASIC));
    }
    let handles: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let engine = fx.engine.clone();
            tokio::spawn(async move { engine.token(&request).await.status() })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(fx.count("code_redeemed"), RACERS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refresh_at_most_one_succeeds_and_replay_revokes_rfc9700_4_14_2() {
    let fx = fixture();
    let tokens = fx.wallet_tokens().await;
    let request = form_post(
        "https://auth.bank.example/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh()),
        ],
        WALLET_BASIC,
    );
    let handles: Vec<_> = (0..RACERS)
        .map(|_| {
            let engine = fx.engine.clone();
            let request = request.clone();
            tokio::spawn(async move { engine.token(&request).await })
        })
        .collect();
    let mut ok = Vec::new();
    for h in handles {
        let response = h.await.unwrap();
        if response.status() == StatusCode::OK {
            ok.push(Tokens::from_response(&response));
        } else {
            assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
        }
    }
    assert!(ok.len() <= 1, "{} successes", ok.len());
    assert_eq!(fx.count("refresh_rotated"), ok.len());
    assert!(fx.count("refresh_replay_detected") >= 1);
    // A replay occurred, so the whole grant is revoked: the original and any rotated tokens.
    assert!(!fx.is_active(&tokens.access).await);
    for t in &ok {
        assert!(!fx.is_active(&t.access).await);
        assert!(!fx.is_active(t.refresh()).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_finishes_exactly_one_ok() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet()).await;
    let handles: Vec<_> = (0..RACERS)
        .map(|_| {
            let engine = fx.engine.clone();
            let id = pending.id.clone();
            tokio::spawn(async move {
                engine
                    .finish_authorization(&id, approve("balance:read", acr::SINGLE_FACTOR))
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(response) => {
                assert!(location_params(&response).contains_key("code"));
                ok += 1;
            }
            Err(Error::UnknownInteraction) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(fx.count("code_issued"), 1);
}

// ---------------------------------------------------------------- incident vs redemption

/// A store that runs an incident-response revocation of a client right after a code is
/// consumed, i.e. between the atomic consume and the grant insert of the same redemption.
struct RevokeMidRedemption {
    inner: MemoryStore,
    /// 0: do nothing; 1: revoke the client; 2: revoke the subject. Fires once.
    armed: AtomicU8,
}

#[async_trait]
impl ClientStore for RevokeMidRedemption {
    async fn get_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        self.inner.get_client(id).await
    }
}

#[async_trait]
impl InteractionStore for RevokeMidRedemption {
    async fn put_interaction(
        &self,
        id: &SecretDigest,
        record: &InteractionRecord,
    ) -> Result<(), StoreError> {
        self.inner.put_interaction(id, record).await
    }
    async fn get_interaction(
        &self,
        id: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<InteractionRecord>, StoreError> {
        self.inner.get_interaction(id, now).await
    }
    async fn take_interaction(
        &self,
        id: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<InteractionRecord>, StoreError> {
        self.inner.take_interaction(id, now).await
    }
}

#[async_trait]
impl CodeStore for RevokeMidRedemption {
    async fn insert_code(&self, code: &CodeRecord) -> Result<(), StoreError> {
        self.inner.insert_code(code).await
    }
    async fn consume_code(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<ConsumeOutcome, StoreError> {
        let outcome = self.inner.consume_code(digest, now).await?;
        if let ConsumeOutcome::Consumed(record) = &outcome {
            match self.armed.swap(0, Ordering::SeqCst) {
                1 => {
                    self.inner
                        .revoke_client_grants(&record.grant.client_id)
                        .await?;
                }
                2 => {
                    self.inner
                        .revoke_subject_grants(record.grant.subject.as_ref().unwrap())
                        .await?;
                }
                _ => {}
            }
        }
        Ok(outcome)
    }
}

#[async_trait]
impl TokenStore for RevokeMidRedemption {
    async fn insert_grant(
        &self,
        grant: &Grant,
        access: &AccessTokenRecord,
        refresh: Option<&RefreshTokenRecord>,
    ) -> Result<(), StoreError> {
        self.inner.insert_grant(grant, access, refresh).await
    }
    async fn get_access_token(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<(AccessTokenRecord, Grant)>, StoreError> {
        self.inner.get_access_token(digest, now).await
    }
    async fn get_refresh_token(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<(RefreshTokenRecord, Grant)>, StoreError> {
        self.inner.get_refresh_token(digest, now).await
    }
    async fn rotate_refresh_token(
        &self,
        presented: &SecretDigest,
        next_refresh: &RefreshTokenRecord,
        next_access: &AccessTokenRecord,
        now: OffsetDateTime,
    ) -> Result<RotateOutcome, StoreError> {
        self.inner
            .rotate_refresh_token(presented, next_refresh, next_access, now)
            .await
    }
    async fn insert_access_token(&self, access: &AccessTokenRecord) -> Result<(), StoreError> {
        self.inner.insert_access_token(access).await
    }
    async fn revoke_access_token(&self, digest: &SecretDigest) -> Result<bool, StoreError> {
        self.inner.revoke_access_token(digest).await
    }
    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError> {
        self.inner.revoke_grant(grant_id).await
    }
    async fn revoke_client_grants(&self, client_id: &ClientId) -> Result<u64, StoreError> {
        self.inner.revoke_client_grants(client_id).await
    }
    async fn revoke_subject_grants(&self, subject: &Subject) -> Result<u64, StoreError> {
        self.inner.revoke_subject_grants(subject).await
    }
}

/// The default redemption: consume, then insert — two steps the incident can fall between.
impl CodeRedemption for RevokeMidRedemption {}

#[async_trait]
impl Maintenance for RevokeMidRedemption {
    async fn purge_expired(
        &self,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> Result<PurgeReport, StoreError> {
        self.inner.purge_expired(now, window).await
    }
}

/// Redeems a fresh code while `mode` fires between consume and insert; answers whether
/// the redemption's access token is live afterwards.
async fn redeem_across_revocation(mode: u8) -> bool {
    let store = Arc::new(RevokeMidRedemption {
        inner: MemoryStore::new(),
        armed: AtomicU8::new(0),
    });
    store.inner.put_client(client(
        WALLET,
        Some(WALLET_SECRET),
        &[WALLET_REDIRECT],
        WALLET_SCOPE,
        &ALL_GRANTS,
    ));
    let events = Arc::new(RecordingSink::new());
    let engine = Engine::builder(ISSUER, store.clone())
        .clock(Arc::new(ManualClock::fixed()))
        .events(events.clone())
        .policy(default_policy())
        .build()
        .unwrap();
    let req = AuthRequest::wallet();
    let pending = match engine.begin_authorization(&req.query()).await {
        latchkey_engine::AuthorizationStart::Interaction(p) => p,
        other => panic!("{other:?}"),
    };
    let response = engine
        .finish_authorization(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await
        .unwrap();
    let code = location_params(&response)["code"].clone();
    store.armed.store(mode, Ordering::SeqCst);
    let response = engine
        .token(&Fixture::code_request(&req, &code, WALLET_BASIC))
        .await;
    if response.status() != StatusCode::OK {
        assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
        return false;
    }
    let tokens = Tokens::from_response(&response);
    engine
        .authenticate_bearer(&bearer_headers(&tokens.access), &scope("balance:read"))
        .await
        .is_ok()
}

#[tokio::test]
async fn redemption_without_incident_is_live_control() {
    assert!(redeem_across_revocation(0).await);
}

#[tokio::test]
async fn revoke_client_during_a_redemption_leaves_no_live_grant() {
    // The incident happened after the code was consumed: the grant it creates must not
    // outlive the revocation ("no new grant can appear" from the client's codes).
    assert!(!redeem_across_revocation(1).await);
}

#[tokio::test]
async fn revoke_subject_during_a_redemption_leaves_no_live_grant() {
    assert!(!redeem_across_revocation(2).await);
}
