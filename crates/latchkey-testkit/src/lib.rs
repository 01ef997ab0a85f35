//! The storage conformance kit: one call, [`run_conformance`], checks that a store keeps
//! every contract of the `latchkey_engine::store` traits — interactions taken at most
//! once, codes consumed at most once with replays recognised, codes redeemed together
//! with the grant and first tokens they create, duplicates refused, only live tokens
//! returned, refresh rotation that cannot fork, revocation that is permanent (even ahead
//! of the grant), bulk revocation by client and subject, purging that keeps the replay
//! window — including under 64-way contention. A broken contract panics with a
//! message starting `storage contract violated:` and naming the method and rule.
//!
//! All data the kit writes uses fresh random ids, so it can run repeatedly against the
//! same database, and even alongside other runs, with one exception: the purge check
//! reads [`PurgeReport`](latchkey_engine::store::PurgeReport) counts as lower bounds,
//! which a second run purging the same store at the same moment can steal. It leaves its
//! records behind (purging removes them eventually).
//!
//! ```
//! use std::sync::Arc;
//! use latchkey_engine::MemoryStore;
//!
//! #[tokio::main(flavor = "multi_thread")]
//! async fn main() {
//!     latchkey_testkit::run_conformance(Arc::new(MemoryStore::new()), None).await;
//! }
//! ```

mod check;
mod codes;
mod concurrency;
mod fixtures;
mod interactions;
mod purge;
mod redemption;
mod redemption_races;
mod revocation;
mod tokens;

use std::sync::Arc;

use latchkey_engine::store::{Client, Storage};

pub use concurrency::RACERS;

/// Runs every storage contract check against `store`, panicking at the first violation.
///
/// `seeded_client`, if given, must already be registered in the store (the `ClientStore`
/// trait is read-only, so registering is the integrator's job): the kit then checks that
/// `get_client` returns it field for field. Without it, only `get_client` of an unknown
/// id answering `None` is checked.
///
/// Spawns tasks for the concurrency checks: call it on a multi-thread Tokio runtime.
pub async fn run_conformance<S>(store: Arc<S>, seeded_client: Option<&Client>)
where
    S: Storage + ?Sized,
{
    check_clients(store.as_ref(), seeded_client).await;
    interactions::check(store.as_ref()).await;
    codes::check(store.as_ref()).await;
    redemption::check(store.as_ref()).await;
    tokens::check(store.as_ref()).await;
    revocation::check(store.as_ref()).await;
    purge::check(store.as_ref()).await;
    concurrency::check(&store).await;
    redemption_races::check(&store).await;
}

async fn check_clients<S: Storage + ?Sized>(store: &S, seeded: Option<&Client>) {
    const GET: &str = "ClientStore::get_client";
    let unknown = check::ok(store.get_client(&fixtures::client_id()).await, GET);
    check::holds(
        unknown.is_none(),
        &format!("{GET}: unknown id gives None"),
        unknown,
    );
    let Some(want) = seeded else { return };
    let got = check::ok(store.get_client(&want.id).await, GET);
    let Some(got) = got else {
        panic!(
            "storage contract violated: {GET}: the seeded client {} is not found",
            want.id
        )
    };
    let contract = format!("{GET}: returns the registered client unchanged");
    check::same(&got.id, &want.id, &contract);
    check::same(&got.name, &want.name, &contract);
    check::same(&got.secret, &want.secret, &contract);
    check::same(&got.redirect_uris, &want.redirect_uris, &contract);
    check::same(&got.grant_types, &want.grant_types, &contract);
    check::same(&got.scope, &want.scope, &contract);

    const SHARED: &str = "ClientStore::get_client_shared";
    let unknown = check::ok(
        store.get_client_shared(&fixtures::client_id()).await,
        SHARED,
    );
    check::holds(
        unknown.is_none(),
        &format!("{SHARED}: unknown id gives None"),
        unknown,
    );
    let shared = check::ok(store.get_client_shared(&want.id).await, SHARED);
    let contract = format!("{SHARED}: the same registration as get_client");
    check::holds(
        shared.as_deref().is_some_and(|c| {
            c.id == got.id
                && c.name == got.name
                && c.secret == got.secret
                && c.redirect_uris == got.redirect_uris
                && c.grant_types == got.grant_types
                && c.scope == got.scope
        }),
        &contract,
        shared.as_deref().map(|c| &c.id),
    );
}
