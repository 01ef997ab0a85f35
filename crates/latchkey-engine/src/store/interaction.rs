//! Pending interactions: validated authorization requests waiting for the integrator's
//! login and consent pages to decide them.

use async_trait::async_trait;
use latchkey_pkce::{CodeChallenge, Nonce, SecretDigest, State};
use latchkey_types::{ClientId, RedirectUri, Scope};
use time::OffsetDateTime;

use super::StoreError;

/// A validated authorization request, stored under the digest of its interaction id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionRecord {
    /// The requesting client.
    pub client_id: ClientId,
    /// Where the response goes: the URI sent, or the client's only registered one.
    pub redirect_uri: RedirectUri,
    /// Whether `redirect_uri` was present in the request (then the token request must
    /// repeat it, RFC 6749 §4.1.3).
    pub redirect_uri_sent: bool,
    /// The scope requested (after defaulting to the client's scope when absent).
    pub scope: Scope,
    /// The client's `state`, returned untouched.
    pub state: Option<State>,
    /// The PKCE challenge.
    pub code_challenge: Option<CodeChallenge>,
    /// The OpenID Connect nonce, carried through untouched.
    pub nonce: Option<Nonce>,
    /// When the request was accepted.
    pub created_at: OffsetDateTime,
    /// When the interaction stops being usable.
    pub expires_at: OffsetDateTime,
}

/// What [`InteractionStore::take_interaction_if`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TakeOutcome {
    /// The interaction passed the check and was removed: no other caller gets it.
    Taken(InteractionRecord),
    /// The interaction failed the check and stays pending; a copy, to say why.
    Refused(InteractionRecord),
    /// No such interaction, or it has expired.
    Missing,
}

/// Keeps pending interactions.
///
/// Contract: `take_interaction` returns each interaction at most once, even to concurrent
/// callers; neither read returns an interaction whose `expires_at` is at or before `now`.
#[async_trait]
pub trait InteractionStore: Send + Sync {
    /// Stores a new interaction under `id` (the digest of its handle).
    async fn put_interaction(
        &self,
        id: &SecretDigest,
        record: &InteractionRecord,
    ) -> Result<(), StoreError>;

    /// Reads an interaction without consuming it.
    async fn get_interaction(
        &self,
        id: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<InteractionRecord>, StoreError>;

    /// Removes and returns an interaction, atomically: at most one caller gets it.
    async fn take_interaction(
        &self,
        id: &SecretDigest,
        now: OffsetDateTime,
    ) -> Result<Option<InteractionRecord>, StoreError>;

    /// Takes the interaction only if `accept` holds for it; otherwise leaves it pending.
    /// What finishing an authorization does: the decision is checked against the request,
    /// and an approval that asks too much must not use the interaction up.
    ///
    /// The default reads the interaction, checks it and then takes it (two calls, like
    /// the engine made before this method existed: at most one caller still gets it). A
    /// store that can look at a record in place should override it to do all three in
    /// one step, without copying the record.
    async fn take_interaction_if(
        &self,
        id: &SecretDigest,
        now: OffsetDateTime,
        accept: &(dyn for<'r> Fn(&'r InteractionRecord) -> bool + Send + Sync),
    ) -> Result<TakeOutcome, StoreError> {
        let Some(pending) = self.get_interaction(id, now).await? else {
            return Ok(TakeOutcome::Missing);
        };
        if !accept(&pending) {
            return Ok(TakeOutcome::Refused(pending));
        }
        Ok(match self.take_interaction(id, now).await? {
            Some(record) => TakeOutcome::Taken(record),
            None => TakeOutcome::Missing,
        })
    }
}
