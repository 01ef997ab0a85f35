//! `CodeRedemption` contracts, one call at a time: `redeem_code` answers exactly as
//! `consume_code` would, and when it consumes the code it has also stored the code's grant
//! with the records `PlannedTokens::records_for` gives (the refresh token ending at the
//! earlier of its idle end and the grant's lifetime) — unless the grant id was revoked
//! already, when it still answers `Consumed` but the tokens are dead. Any other answer
//! stores nothing, and `consume_code` and `redeem_code` share each code's single use. The
//! races are in `redemption_races`.

use latchkey_engine::store::{CodeRecord, ConsumeOutcome, PlannedTokens, Storage};
use latchkey_engine::types::ClientId;
use latchkey_engine::Grant;
use time::{Duration, OffsetDateTime};

use crate::check::{holds, ok, same};
use crate::fixtures;

const REDEEM: &str = "CodeRedemption::redeem_code";
const CONSUME: &str = "CodeStore::consume_code";
const ACCESS: &str = "TokenStore::get_access_token";
const REFRESH: &str = "TokenStore::get_refresh_token";

pub(crate) async fn check<S: Storage + ?Sized>(store: &S) {
    let now = fixtures::now();
    let client = fixtures::client_id();
    stores_the_grant(store, &client, now).await;
    refresh_expiry(store, &client, now).await;
    other_answers_store_nothing(store, &client, now).await;
    revoked_grant(store, &client, now).await;
    one_use_shared_with_consume(store, &client, now).await;
}

/// Stores a fresh code creating `grant`, issued at `now`.
pub(crate) async fn issue<S: Storage + ?Sized>(
    store: &S,
    grant: Grant,
    now: OffsetDateTime,
) -> CodeRecord {
    let code = fixtures::code(grant, now);
    ok(store.insert_code(&code).await, "CodeStore::insert_code");
    code
}

/// Redeems `code` with `plan`, requiring `Consumed` with the record as stored.
async fn consumed<S: Storage + ?Sized>(
    store: &S,
    code: &CodeRecord,
    plan: &PlannedTokens,
    now: OffsetDateTime,
    rule: &str,
) {
    let got = ok(store.redeem_code(&code.digest, now, plan).await, REDEEM);
    same(
        got,
        ConsumeOutcome::Consumed(Box::new(code.clone())),
        &format!("{REDEEM}: {rule}"),
    );
}

/// Issues a code creating `grant` and redeems it with `plan`, requiring `Consumed`.
async fn redeem_fresh<S: Storage + ?Sized>(
    store: &S,
    grant: Grant,
    plan: &PlannedTokens,
    now: OffsetDateTime,
) -> CodeRecord {
    let code = issue(store, grant, now).await;
    let rule = "a fresh code answers Consumed with the stored record";
    consumed(store, &code, plan, now, rule).await;
    code
}

/// Requires the tokens of `plan` stored for `grant` exactly as
/// `PlannedTokens::records_for` gives them, and live at `now`.
pub(crate) async fn require_stored<S: Storage + ?Sized>(
    store: &S,
    plan: &PlannedTokens,
    grant: &Grant,
    now: OffsetDateTime,
    contract: &str,
) {
    let (access, refresh) = plan.records_for(grant);
    let got = ok(
        store.get_access_token(&plan.access_digest, now).await,
        ACCESS,
    );
    same(
        got,
        Some((access, grant.clone())),
        &format!("{contract} (the access token, with its grant)"),
    );
    if let (Some(planned), Some(refresh)) = (&plan.refresh, refresh) {
        let got = ok(store.get_refresh_token(&planned.digest, now).await, REFRESH);
        same(
            got,
            Some((refresh, grant.clone())),
            &format!("{contract} (the refresh token, with its grant)"),
        );
    }
}

/// Requires that no token of `plan` is live (nor, for the refresh token, returned).
pub(crate) async fn require_dead<S: Storage + ?Sized>(
    store: &S,
    plan: &PlannedTokens,
    now: OffsetDateTime,
    contract: &str,
) {
    let got = ok(
        store.get_access_token(&plan.access_digest, now).await,
        ACCESS,
    );
    same(got, None, &format!("{contract} (its access token)"));
    if let Some(planned) = &plan.refresh {
        let got = ok(store.get_refresh_token(&planned.digest, now).await, REFRESH);
        same(got, None, &format!("{contract} (its refresh token)"));
    }
}

/// A fresh grant of `client` with a fresh subject.
fn user_grant(client: &ClientId, now: OffsetDateTime) -> Grant {
    fixtures::grant(client, Some(fixtures::subject()), now)
}

async fn stores_the_grant<S: Storage + ?Sized>(store: &S, client: &ClientId, now: OffsetDateTime) {
    let plan = fixtures::planned(now);
    let code = redeem_fresh(store, user_grant(client, now), &plan, now).await;
    let contract = format!(
        "{REDEEM}: Consumed stores the code's grant with the records PlannedTokens::records_for gives"
    );
    require_stored(store, &plan, &code.grant, now, &contract).await;

    // Optional fields absent: no subject, authentication, challenge, nonce or lifetime.
    let mut bare = fixtures::code(fixtures::bare_grant(client, now), now);
    bare.code_challenge = None;
    bare.nonce = None;
    bare.redirect_uri_sent = true;
    ok(store.insert_code(&bare).await, "CodeStore::insert_code");
    let plan = fixtures::planned(now);
    let rule = "a record without optional fields round-trips";
    consumed(store, &bare, &plan, now, rule).await;
    let contract = format!("{REDEEM}: a grant without optional fields is stored with its tokens");
    require_stored(store, &plan, &bare.grant, now, &contract).await;
}

/// The stored refresh token's `expires_at`, if one is returned.
async fn refresh_end<S: Storage + ?Sized>(
    store: &S,
    plan: &PlannedTokens,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let planned = plan.refresh.as_ref()?;
    let got = ok(store.get_refresh_token(&planned.digest, now).await, REFRESH);
    got.map(|(record, _)| record.expires_at)
}

async fn refresh_expiry<S: Storage + ?Sized>(store: &S, client: &ClientId, now: OffsetDateTime) {
    let idle_end = now + fixtures::REFRESH_TTL;

    // The grant's lifetime ends before the idle end: the refresh token ends with the grant.
    let mut short = user_grant(client, now);
    let grant_end = now + Duration::hours(2);
    short.refresh_expires_at = Some(grant_end);
    let plan = fixtures::planned(now);
    redeem_fresh(store, short, &plan, now).await;
    same(
        refresh_end(store, &plan, now).await,
        Some(grant_end),
        &format!("{REDEEM}: the refresh token expires at the grant's refresh_expires_at when that comes before the planned idle end"),
    );

    // The grant's lifetime ends after the idle end: the idle end.
    let long = user_grant(client, now);
    holds(
        long.refresh_expires_at.is_some_and(|end| end > idle_end),
        "kit sanity: the fixture grant outlives the idle end",
        long.refresh_expires_at,
    );
    let plan = fixtures::planned(now);
    redeem_fresh(store, long, &plan, now).await;
    same(
        refresh_end(store, &plan, now).await,
        Some(idle_end),
        &format!("{REDEEM}: the refresh token expires at the planned idle end when the grant outlives it"),
    );

    // No absolute lifetime: the idle end.
    let plan = fixtures::planned(now);
    redeem_fresh(store, fixtures::bare_grant(client, now), &plan, now).await;
    same(
        refresh_end(store, &plan, now).await,
        Some(idle_end),
        &format!("{REDEEM}: with refresh_expires_at None the refresh token expires at the planned idle end"),
    );

    // No refresh token planned: none stored, the access token all the same.
    let mut plan = fixtures::planned(now);
    let withheld = plan.refresh.take();
    let code = redeem_fresh(store, user_grant(client, now), &plan, now).await;
    let contract = format!("{REDEEM}: a plan without a refresh token stores its access token");
    require_stored(store, &plan, &code.grant, now, &contract).await;
    if let Some(withheld) = withheld {
        let got = ok(
            store.get_refresh_token(&withheld.digest, now).await,
            REFRESH,
        );
        same(
            got,
            None,
            &format!("{REDEEM}: a plan without a refresh token stores none"),
        );
    }
}

async fn other_answers_store_nothing<S: Storage + ?Sized>(
    store: &S,
    client: &ClientId,
    now: OffsetDateTime,
) {
    let first = fixtures::planned(now);
    let code = redeem_fresh(store, user_grant(client, now), &first, now).await;
    let late = code.expires_at + Duration::hours(1);
    for (at, when) in [(now, ""), (late, " even after its expiry")] {
        let plan = fixtures::planned(now);
        let got = ok(store.redeem_code(&code.digest, at, &plan).await, REDEEM);
        same(
            got,
            ConsumeOutcome::AlreadyUsed(code.grant.id),
            &format!("{REDEEM}: a redeemed code answers AlreadyUsed(grant id){when}"),
        );
        let contract = format!("{REDEEM}: AlreadyUsed stores nothing of its plan");
        require_dead(store, &plan, now, &contract).await;
    }
    let contract = format!("{REDEEM}: AlreadyUsed leaves the first redemption's tokens as they were (revoking is the caller's job)");
    require_stored(store, &first, &code.grant, now, &contract).await;

    let expiring = issue(store, user_grant(client, now), now).await;
    let plan = fixtures::planned(now);
    let got = ok(
        store
            .redeem_code(&expiring.digest, expiring.expires_at, &plan)
            .await,
        REDEEM,
    );
    same(
        got,
        ConsumeOutcome::Expired,
        &format!("{REDEEM}: an unconsumed code at or after expires_at is Expired"),
    );
    let contract = format!("{REDEEM}: Expired stores nothing of its plan");
    require_dead(store, &plan, now, &contract).await;
    let got = ok(
        store
            .consume_code(&expiring.digest, expiring.expires_at)
            .await,
        CONSUME,
    );
    same(
        got,
        ConsumeOutcome::Expired,
        &format!(
            "{REDEEM}: Expired does not consume the code (consume_code still answers Expired)"
        ),
    );
    // The grant id is still free: neither stored nor revoked.
    let access = fixtures::access(expiring.grant.id, now);
    ok(
        store.insert_grant(&expiring.grant, &access, None).await,
        &format!("{REDEEM}: Expired stores no grant (inserting the code's grant afterwards must succeed)"),
    );

    let plan = fixtures::planned(now);
    let got = ok(
        store.redeem_code(&fixtures::digest(), now, &plan).await,
        REDEEM,
    );
    same(
        got,
        ConsumeOutcome::Unknown,
        &format!("{REDEEM}: unknown digest"),
    );
    let contract = format!("{REDEEM}: Unknown stores nothing of its plan");
    require_dead(store, &plan, now, &contract).await;
}

async fn revoked_grant<S: Storage + ?Sized>(store: &S, client: &ClientId, now: OffsetDateTime) {
    let code = issue(store, user_grant(client, now), now).await;
    ok(
        store.revoke_grant(&code.grant.id).await,
        "TokenStore::revoke_grant",
    );
    let plan = fixtures::planned(now);
    let rule = "a code whose grant id was revoked before still answers Consumed";
    consumed(store, &code, &plan, now, rule).await;
    let contract = format!(
        "{REDEEM}: the tokens of a grant revoked before the redemption are dead on arrival"
    );
    require_dead(store, &plan, now, &contract).await;
    let got = ok(store.consume_code(&code.digest, now).await, CONSUME);
    same(
        got,
        ConsumeOutcome::AlreadyUsed(code.grant.id),
        &format!("{REDEEM}: a code whose grant was revoked is consumed all the same"),
    );
}

async fn one_use_shared_with_consume<S: Storage + ?Sized>(
    store: &S,
    client: &ClientId,
    now: OffsetDateTime,
) {
    let code = issue(store, user_grant(client, now), now).await;
    let got = ok(store.consume_code(&code.digest, now).await, CONSUME);
    same(
        got,
        ConsumeOutcome::Consumed(Box::new(code.clone())),
        &format!("{CONSUME}: a fresh code answers Consumed"),
    );
    let plan = fixtures::planned(now);
    let got = ok(store.redeem_code(&code.digest, now, &plan).await, REDEEM);
    same(
        got,
        ConsumeOutcome::AlreadyUsed(code.grant.id),
        &format!("{REDEEM}: a code consumed by consume_code answers AlreadyUsed(grant id)"),
    );
    let contract = format!("{REDEEM}: a code consumed by consume_code stores nothing");
    require_dead(store, &plan, now, &contract).await;

    let plan = fixtures::planned(now);
    let code = redeem_fresh(store, user_grant(client, now), &plan, now).await;
    let got = ok(store.consume_code(&code.digest, now).await, CONSUME);
    same(
        got,
        ConsumeOutcome::AlreadyUsed(code.grant.id),
        &format!("{CONSUME}: a code redeemed by redeem_code answers AlreadyUsed(grant id)"),
    );
}
