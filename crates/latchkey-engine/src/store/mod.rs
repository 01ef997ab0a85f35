//! Storage contracts. The engine reaches persistence only through these small traits, one
//! per concern; an integrator implements them over their own database, or uses the
//! in-memory store or a `latchkey-sqlx` backend. Stores keep SHA-256 digests of codes,
//! tokens and interaction handles, never the bearer values, and every operation that must
//! happen at most once (consuming a code, rotating a refresh token, taking an interaction)
//! is a single call whose contract makes it atomic. `latchkey-testkit` checks a store
//! against these contracts.

mod client;
mod code;
mod interaction;
mod token;

pub use client::{Client, ClientSecretVerifier, ClientStore};
pub use code::{CodeRecord, CodeRedemption, CodeStore, ConsumeOutcome};
pub use interaction::{InteractionRecord, InteractionStore, TakeOutcome};
pub use token::{
    AccessTokenRecord, PlannedRefresh, PlannedTokens, RefreshTokenRecord, RotateOutcome, TokenStore,
};

use async_trait::async_trait;
use time::OffsetDateTime;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend cannot be reached or refused to answer in time. Clients get
    /// `503 temporarily_unavailable`; retrying later may succeed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Tokens were to be added to a grant that has been revoked meanwhile.
    #[error("the grant has been revoked")]
    GrantRevoked,
    /// A record with the same key exists already (a digest collision or a retried insert).
    #[error("a record with this key exists already")]
    Duplicate,
    /// The backend holds data it cannot interpret.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other backend failure. Clients get `500 server_error`.
    #[error("storage failure: {0}")]
    Other(String),
}

/// What [`Maintenance::purge_expired`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    /// Authorization codes removed (expired and past the replay-detection window).
    pub codes: u64,
    /// Pending interactions removed.
    pub interactions: u64,
    /// Access and refresh tokens removed.
    pub tokens: u64,
}

/// Housekeeping that keeps a store from growing without bound.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Deletes records that can no longer be used at `now`: expired interactions; codes
    /// whose replay-detection window (`expires_at` + `code_replay_window`) has passed;
    /// tokens past their expiry or belonging to a revoked grant; grants with no token
    /// left. A consumed code is kept until its window passes, so a late replay is still
    /// recognised and its grant revoked. Revocation records themselves are kept.
    async fn purge_expired(
        &self,
        now: OffsetDateTime,
        code_replay_window: time::Duration,
    ) -> Result<PurgeReport, StoreError>;
}

/// Everything the engine needs from persistence. Implemented automatically for any type
/// implementing all the parts.
pub trait Storage:
    ClientStore
    + InteractionStore
    + CodeStore
    + CodeRedemption
    + TokenStore
    + Maintenance
    + Send
    + Sync
    + 'static
{
}

impl<T> Storage for T where
    T: ClientStore
        + InteractionStore
        + CodeStore
        + CodeRedemption
        + TokenStore
        + Maintenance
        + Send
        + Sync
        + 'static
{
}
