//! `Maintenance::purge_expired` contracts, on a timeline a year in the past so that only
//! the kit's own old records can be affected (a purge deletes store-wide, and the kit may
//! share the database with other runs). Expired interactions and tokens go, codes go once
//! their replay window has passed, and a consumed code inside its window still answers
//! `AlreadyUsed`. Counts are checked as lower bounds, since earlier runs may add to them.

use latchkey_engine::store::{ConsumeOutcome, Storage};
use time::Duration;

use crate::check::{holds, ok, same};
use crate::fixtures;

const PURGE: &str = "Maintenance::purge_expired";

pub(crate) async fn check<S: Storage + ?Sized>(store: &S) {
    let t0 = fixtures::now() - Duration::days(400);
    let window = Duration::hours(1);
    let purge_at = t0 + Duration::hours(2);

    // Interactions: one expired by purge time, one still pending.
    let (gone_id, kept_id) = (fixtures::digest(), fixtures::digest());
    let gone = fixtures::interaction(t0);
    let mut kept = fixtures::interaction(t0);
    kept.expires_at = t0 + Duration::hours(10);
    ok(
        store.put_interaction(&gone_id, &gone).await,
        "InteractionStore::put_interaction",
    );
    ok(
        store.put_interaction(&kept_id, &kept).await,
        "InteractionStore::put_interaction",
    );

    // Codes (expiring at t0 + 10 min unless moved): unconsumed and consumed past the
    // window, consumed inside the window, unconsumed and still valid.
    let client = fixtures::client_id();
    let mk = || fixtures::code(fixtures::grant(&client, Some(fixtures::subject()), t0), t0);
    let (stale, stale_used, mut fresh_used, mut valid) = (mk(), mk(), mk(), mk());
    fresh_used.expires_at = t0 + Duration::minutes(90);
    valid.expires_at = t0 + Duration::hours(10);
    for code in [&stale, &stale_used, &fresh_used, &valid] {
        ok(store.insert_code(code).await, "CodeStore::insert_code");
    }
    for code in [&stale_used, &fresh_used] {
        ok(
            store.consume_code(&code.digest, t0).await,
            "CodeStore::consume_code",
        );
    }

    // Tokens: an access token expired by purge time, a live access and refresh token.
    let grant = fixtures::grant(&client, Some(fixtures::subject()), t0);
    let old = fixtures::access(grant.id, t0);
    let refresh = fixtures::refresh(grant.id, t0);
    let mut young = fixtures::access(grant.id, t0);
    young.expires_at = t0 + Duration::hours(10);
    ok(
        store.insert_grant(&grant, &old, Some(&refresh)).await,
        "TokenStore::insert_grant",
    );
    ok(
        store.insert_access_token(&young).await,
        "TokenStore::insert_access_token",
    );

    let report = ok(store.purge_expired(purge_at, window).await, PURGE);
    holds(
        report.interactions >= 1,
        &format!("{PURGE}: reports removed interactions"),
        report,
    );
    holds(
        report.codes >= 2,
        &format!("{PURGE}: reports removed codes"),
        report,
    );
    holds(
        report.tokens >= 1,
        &format!("{PURGE}: reports removed tokens"),
        report,
    );

    let got = ok(
        store.get_interaction(&gone_id, t0).await,
        "InteractionStore::get_interaction",
    );
    same(
        got,
        None,
        &format!("{PURGE}: expired interactions are removed"),
    );
    let got = ok(
        store.get_interaction(&kept_id, purge_at).await,
        "InteractionStore::get_interaction",
    );
    same(
        got,
        Some(kept),
        &format!("{PURGE}: pending interactions are kept"),
    );

    let consume = |digest| async move {
        ok(
            store.consume_code(&digest, purge_at).await,
            "CodeStore::consume_code",
        )
    };
    same(
        consume(stale.digest).await,
        ConsumeOutcome::Unknown,
        &format!("{PURGE}: codes past expiry + window are removed"),
    );
    same(
        consume(stale_used.digest).await,
        ConsumeOutcome::Unknown,
        &format!("{PURGE}: consumed codes past expiry + window are removed"),
    );
    same(
        consume(fresh_used.digest).await,
        ConsumeOutcome::AlreadyUsed(fresh_used.grant.id),
        &format!("{PURGE}: a consumed code inside its replay window still answers AlreadyUsed"),
    );
    same(
        consume(valid.digest).await,
        ConsumeOutcome::Consumed(Box::new(valid)),
        &format!("{PURGE}: unexpired codes are kept"),
    );

    let got = ok(
        store.get_access_token(&old.digest, t0).await,
        "TokenStore::get_access_token",
    );
    same(
        got,
        None,
        &format!("{PURGE}: expired access tokens are removed"),
    );
    let got = ok(
        store.get_access_token(&young.digest, purge_at).await,
        "TokenStore::get_access_token",
    );
    same(
        got,
        Some((young, grant.clone())),
        &format!("{PURGE}: live access tokens (and their grant) are kept"),
    );
    let got = ok(
        store.get_refresh_token(&refresh.digest, purge_at).await,
        "TokenStore::get_refresh_token",
    );
    same(
        got,
        Some((refresh, grant)),
        &format!("{PURGE}: live refresh tokens are kept"),
    );
}
