//! The in-memory store: every storage trait over maps behind one mutex, so each contract's
//! "atomic" step is a single critical section. Right for tests, demos and single-process
//! deployments; data is gone when the process exits. Use `latchkey-sqlx` to share state
//! between processes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use async_trait::async_trait;
use latchkey_pkce::SecretDigest;
use latchkey_types::ClientId;
use time::OffsetDateTime;

use crate::grant::{Grant, GrantId, Subject};
use crate::store::{
    AccessTokenRecord, Client, ClientStore, CodeRecord, CodeRedemption, CodeStore, ConsumeOutcome,
    InteractionRecord, InteractionStore, Maintenance, PlannedTokens, PurgeReport,
    RefreshTokenRecord, RotateOutcome, StoreError, TakeOutcome, TokenStore,
};

mod compact;
mod keys;

use compact::{CompactAccess, CompactCode, CompactGrant, CompactRefresh, Interner};
use keys::{KeyMap, KeySet};

/// Codes and grants are boxed: a map's table holds only key and pointer, so its spare
/// capacity (up to half the slots right after it grows) costs 8 bytes a slot, not a
/// whole record.
#[derive(Debug, Default)]
struct Tables {
    interactions: KeyMap<SecretDigest, InteractionRecord>,
    codes: KeyMap<SecretDigest, Box<CompactCode>>,
    grants: KeyMap<GrantId, Box<CompactGrant>>,
    revoked_grants: KeySet<GrantId>,
    access: KeyMap<SecretDigest, CompactAccess>,
    refresh: KeyMap<SecretDigest, CompactRefresh>,
    interner: Interner,
}

impl Tables {
    fn live_grant(&self, id: &GrantId) -> Option<&CompactGrant> {
        if self.revoked_grants.contains(id) {
            return None;
        }
        self.grants.get(id).map(|g| &**g)
    }

    fn revoke_where(&mut self, matches: impl Fn(&CompactGrant) -> bool) -> u64 {
        let ids: Vec<GrantId> = self
            .grants
            .values()
            .filter(|g| matches(g) && !self.revoked_grants.contains(&g.id))
            .map(|g| g.id)
            .collect();
        let count = ids.len() as u64;
        self.revoked_grants.extend(ids);
        // A consumed code whose grant is not stored yet belongs to a redemption between
        // `consume_code` and `insert_grant`: revoke its grant id too, so the insert is
        // refused and no grant appears after the revocation.
        let in_flight: Vec<GrantId> = self
            .codes
            .values()
            .filter(|e| e.consumed && matches(&e.grant) && !self.grants.contains_key(&e.grant.id))
            .map(|e| e.grant.id)
            .collect();
        self.revoked_grants.extend(in_flight);
        self.codes
            .retain(|_, entry| entry.consumed || !matches(&entry.grant));
        count
    }
}

impl Tables {
    /// [`CodeStore::consume_code`] under the lock.
    fn consume_code(
        &mut self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<ConsumeOutcome, StoreError> {
        let Some(entry) = self.codes.get_mut(digest) else {
            return Ok(ConsumeOutcome::Unknown);
        };
        if entry.consumed {
            return Ok(ConsumeOutcome::AlreadyUsed(entry.grant.id));
        }
        if entry.expires_at <= now {
            return Ok(ConsumeOutcome::Expired);
        }
        // Rebuilt before it is marked, so a record that cannot be read stays unconsumed.
        let record = entry.restore(digest)?;
        entry.consumed = true;
        Ok(ConsumeOutcome::Consumed(Box::new(record)))
    }

    /// [`TokenStore::insert_grant`] under the lock.
    fn insert_grant(
        &mut self,
        grant: &Grant,
        access: &AccessTokenRecord,
        refresh: Option<&RefreshTokenRecord>,
    ) -> Result<(), StoreError> {
        if self.revoked_grants.contains(&grant.id) {
            return Err(StoreError::GrantRevoked);
        }
        if self.grants.contains_key(&grant.id)
            || self.access.contains_key(&access.digest)
            || refresh.is_some_and(|r| self.refresh.contains_key(&r.digest))
        {
            return Err(StoreError::Duplicate);
        }
        let compact = Box::new(self.interner.grant(grant));
        self.grants.insert(grant.id, compact);
        let compact = self.interner.access(access);
        self.access.insert(access.digest, compact);
        if let Some(r) = refresh {
            self.refresh.insert(r.digest, CompactRefresh::of(r));
        }
        Ok(())
    }
}

/// Consume and insert under one lock: no other call sees the code consumed without its
/// grant.
#[async_trait]
impl CodeRedemption for MemoryStore {
    async fn redeem_code(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
        tokens: &PlannedTokens,
    ) -> Result<ConsumeOutcome, StoreError> {
        let mut t = self.lock();
        let outcome = t.consume_code(digest, now)?;
        if let ConsumeOutcome::Consumed(record) = &outcome {
            let (access, refresh) = tokens.records_for(&record.grant);
            match t.insert_grant(&record.grant, &access, refresh.as_ref()) {
                Ok(()) | Err(StoreError::GrantRevoked) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(outcome)
    }
}

/// Every storage trait, in process memory. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct MemoryStore {
    clients: RwLock<HashMap<ClientId, Arc<Client>>>,
    tables: Mutex<Tables>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or replaces) a client.
    pub fn put_client(&self, client: Client) {
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(client.id.clone(), Arc::new(client));
    }

    /// Removes a client registration. Its grants stay until revoked.
    pub fn remove_client(&self, id: &ClientId) -> bool {
        self.clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
            .is_some()
    }

    /// Numbers of stored (codes, access tokens, refresh tokens, grants); for tests and
    /// memory measurements.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let t = self.lock();
        (
            t.codes.len(),
            t.access.len(),
            t.refresh.len(),
            t.grants.len(),
        )
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn get_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        Ok(self
            .get_client_shared(id)
            .await?
            .map(|client| Client::clone(&client)))
    }

    async fn get_client_shared(&self, id: &ClientId) -> Result<Option<Arc<Client>>, StoreError> {
        Ok(self
            .clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned())
    }
}

#[async_trait]
impl InteractionStore for MemoryStore {
    async fn put_interaction(
        &self,
        id: &SecretDigest,
        record: &InteractionRecord,
    ) -> Result<(), StoreError> {
        let mut t = self.lock();
        if t.interactions.contains_key(id) {
            return Err(StoreError::Duplicate);
        }
        t.interactions.insert(*id, record.clone());
        Ok(())
    }

    async fn get_interaction(
        &self,
        id: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<InteractionRecord>, StoreError> {
        Ok(self
            .lock()
            .interactions
            .get(id)
            .filter(|r| r.expires_at > now)
            .cloned())
    }

    async fn take_interaction(
        &self,
        id: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<InteractionRecord>, StoreError> {
        Ok(self
            .lock()
            .interactions
            .remove(id)
            .filter(|r| r.expires_at > now))
    }

    async fn take_interaction_if(
        &self,
        id: &SecretDigest,
        now: OffsetDateTime,
        accept: &(dyn for<'r> Fn(&'r InteractionRecord) -> bool + Send + Sync),
    ) -> Result<TakeOutcome, StoreError> {
        let mut t = self.lock();
        let Some(record) = t.interactions.get(id) else {
            return Ok(TakeOutcome::Missing);
        };
        if record.expires_at <= now {
            // As `take_interaction` does: an expired interaction goes.
            t.interactions.remove(id);
            return Ok(TakeOutcome::Missing);
        }
        if !accept(record) {
            return Ok(TakeOutcome::Refused(record.clone()));
        }
        Ok(t.interactions
            .remove(id)
            .map_or(TakeOutcome::Missing, TakeOutcome::Taken))
    }
}

#[async_trait]
impl CodeStore for MemoryStore {
    async fn insert_code(&self, code: &CodeRecord) -> Result<(), StoreError> {
        let mut t = self.lock();
        if t.codes.contains_key(&code.digest) {
            return Err(StoreError::Duplicate);
        }
        let compact = Box::new(t.interner.code(code));
        t.codes.insert(code.digest, compact);
        Ok(())
    }

    async fn consume_code(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<ConsumeOutcome, StoreError> {
        self.lock().consume_code(digest, now)
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn insert_grant(
        &self,
        grant: &Grant,
        access: &AccessTokenRecord,
        refresh: Option<&RefreshTokenRecord>,
    ) -> Result<(), StoreError> {
        self.lock().insert_grant(grant, access, refresh)
    }

    async fn get_access_token(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<(AccessTokenRecord, Grant)>, StoreError> {
        let t = self.lock();
        let Some(record) = t.access.get(digest).filter(|r| r.expires_at > now) else {
            return Ok(None);
        };
        t.live_grant(&record.grant_id)
            .map(|g| Ok((record.restore(digest), g.restore()?)))
            .transpose()
    }

    async fn get_refresh_token(
        &self,
        digest: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<(RefreshTokenRecord, Grant)>, StoreError> {
        let t = self.lock();
        let Some(record) = t.refresh.get(digest).filter(|r| r.expires_at > now) else {
            return Ok(None);
        };
        t.live_grant(&record.grant_id)
            .map(|g| Ok((record.restore(digest), g.restore()?)))
            .transpose()
    }

    async fn rotate_refresh_token(
        &self,
        presented: &SecretDigest,
        next_refresh: &RefreshTokenRecord,
        next_access: &AccessTokenRecord,
        now: OffsetDateTime,
    ) -> Result<RotateOutcome, StoreError> {
        let mut t = self.lock();
        let Some(current) = t.refresh.get(presented) else {
            return Ok(RotateOutcome::Unknown);
        };
        let grant_id = current.grant_id;
        if t.revoked_grants.contains(&grant_id) || current.expires_at <= now {
            return Ok(RotateOutcome::Unknown);
        }
        if current.used_at.is_some() {
            return Ok(RotateOutcome::Replayed(grant_id));
        }
        if t.refresh.contains_key(&next_refresh.digest)
            || t.access.contains_key(&next_access.digest)
        {
            return Err(StoreError::Duplicate);
        }
        if let Some(current) = t.refresh.get_mut(presented) {
            current.used_at = Some(now);
        }
        t.refresh
            .insert(next_refresh.digest, CompactRefresh::of(next_refresh));
        let compact = t.interner.access(next_access);
        t.access.insert(next_access.digest, compact);
        Ok(RotateOutcome::Rotated)
    }

    async fn insert_access_token(&self, access: &AccessTokenRecord) -> Result<(), StoreError> {
        let mut t = self.lock();
        if t.revoked_grants.contains(&access.grant_id) {
            return Err(StoreError::GrantRevoked);
        }
        if t.access.contains_key(&access.digest) {
            return Err(StoreError::Duplicate);
        }
        let compact = t.interner.access(access);
        t.access.insert(access.digest, compact);
        Ok(())
    }

    async fn revoke_access_token(&self, digest: &SecretDigest) -> Result<bool, StoreError> {
        Ok(self.lock().access.remove(digest).is_some())
    }

    async fn revoke_grant(&self, grant_id: &GrantId) -> Result<(), StoreError> {
        self.lock().revoked_grants.insert(*grant_id);
        Ok(())
    }

    async fn revoke_client_grants(&self, client_id: &ClientId) -> Result<u64, StoreError> {
        Ok(self.lock().revoke_where(|g| *g.client_id == *client_id))
    }

    async fn revoke_subject_grants(&self, subject: &Subject) -> Result<u64, StoreError> {
        Ok(self.lock().revoke_where(|g| g.is_subject(subject)))
    }
}

#[async_trait]
impl Maintenance for MemoryStore {
    async fn purge_expired(
        &self,
        now: OffsetDateTime,
        code_replay_window: time::Duration,
    ) -> Result<PurgeReport, StoreError> {
        let mut t = self.lock();
        let mut report = PurgeReport::default();
        let before = t.interactions.len();
        t.interactions.retain(|_, r| r.expires_at > now);
        report.interactions = (before - t.interactions.len()) as u64;

        let before = t.codes.len();
        t.codes
            .retain(|_, e| e.expires_at + code_replay_window > now);
        report.codes = (before - t.codes.len()) as u64;

        let revoked = std::mem::take(&mut t.revoked_grants);
        let before = t.access.len() + t.refresh.len();
        t.access
            .retain(|_, r| r.expires_at > now && !revoked.contains(&r.grant_id));
        t.refresh
            .retain(|_, r| r.expires_at > now && !revoked.contains(&r.grant_id));
        report.tokens = (before - t.access.len() - t.refresh.len()) as u64;
        let live: KeySet<GrantId> = t
            .refresh
            .values()
            .map(|r| r.grant_id)
            .chain(t.access.values().map(|r| r.grant_id))
            .collect();
        t.grants.retain(|id, _| live.contains(id));
        t.interner.prune();
        // Revocations are remembered for as long as a consumed code could still be
        // redeemed racing its replay; keeping them all is simplest and small.
        t.revoked_grants = revoked;
        Ok(report)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use latchkey_types::{RedirectUri, Scope};

    use super::*;

    /// Only the required methods: `take_interaction_if` is the trait's default.
    struct Plain(MemoryStore);

    #[async_trait]
    impl InteractionStore for Plain {
        async fn put_interaction(
            &self,
            id: &SecretDigest,
            record: &InteractionRecord,
        ) -> Result<(), StoreError> {
            self.0.put_interaction(id, record).await
        }

        async fn get_interaction(
            &self,
            id: &SecretDigest,
            now: OffsetDateTime,
        ) -> Result<Option<InteractionRecord>, StoreError> {
            self.0.get_interaction(id, now).await
        }

        async fn take_interaction(
            &self,
            id: &SecretDigest,
            now: OffsetDateTime,
        ) -> Result<Option<InteractionRecord>, StoreError> {
            self.0.take_interaction(id, now).await
        }
    }

    fn record(now: OffsetDateTime) -> InteractionRecord {
        InteractionRecord {
            client_id: ClientId::new("wallet-web").unwrap(),
            redirect_uri: RedirectUri::parse("https://wallet.example/callback").unwrap(),
            redirect_uri_sent: true,
            scope: Scope::parse("balance:read trade").unwrap(),
            state: None,
            code_challenge: None,
            nonce: None,
            created_at: now,
            expires_at: now + time::Duration::minutes(10),
        }
    }

    async fn check_take_if(store: &dyn InteractionStore) {
        let now = OffsetDateTime::now_utc();
        let id = SecretDigest::of("interaction");
        let original = record(now);
        store.put_interaction(&id, &original).await.unwrap();
        let refuse = |_: &InteractionRecord| false;
        let accept = |r: &InteractionRecord| r.scope.contains("trade");
        assert_eq!(
            store.take_interaction_if(&id, now, &refuse).await.unwrap(),
            TakeOutcome::Refused(original.clone()),
        );
        assert!(
            store.get_interaction(&id, now).await.unwrap().is_some(),
            "a refused interaction stays pending"
        );
        let late = original.expires_at;
        assert_eq!(
            store.take_interaction_if(&id, late, &accept).await.unwrap(),
            TakeOutcome::Missing,
            "expired"
        );
        let id = SecretDigest::of("interaction 2");
        store.put_interaction(&id, &original).await.unwrap();
        assert_eq!(
            store.take_interaction_if(&id, now, &accept).await.unwrap(),
            TakeOutcome::Taken(original),
        );
        assert_eq!(
            store.take_interaction_if(&id, now, &accept).await.unwrap(),
            TakeOutcome::Missing,
            "taken once only"
        );
    }

    #[test]
    fn take_interaction_if_takes_only_what_it_accepts() {
        futures::executor::block_on(async {
            check_take_if(&MemoryStore::new()).await;
            check_take_if(&Plain(MemoryStore::new())).await;
        });
    }
}
