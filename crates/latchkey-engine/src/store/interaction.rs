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
}
