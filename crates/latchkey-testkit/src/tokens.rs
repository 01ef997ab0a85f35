//! `TokenStore` contracts for one grant at a time: `insert_grant` is all or nothing and
//! refuses duplicates; lookups return only live tokens; rotation is Rotated once, then
//! Replayed, and its successors are live; revoking one access token or a whole grant
//! (even one not stored yet) kills the tokens and refuses new ones with `GrantRevoked`.

use latchkey_engine::store::{RotateOutcome, Storage};
use time::Duration;

use crate::check::{duplicate, grant_revoked, ok, same};
use crate::fixtures;

const INSERT: &str = "TokenStore::insert_grant";
const ACCESS: &str = "TokenStore::get_access_token";
const REFRESH: &str = "TokenStore::get_refresh_token";
const ROTATE: &str = "TokenStore::rotate_refresh_token";
const ADD: &str = "TokenStore::insert_access_token";
const REVOKE_ACCESS: &str = "TokenStore::revoke_access_token";
const REVOKE: &str = "TokenStore::revoke_grant";

pub(crate) async fn check<S: Storage + ?Sized>(store: &S) {
    let now = fixtures::now();
    let client = fixtures::client_id();
    let grant = fixtures::grant(&client, Some(fixtures::subject()), now);
    let access = fixtures::access(grant.id, now);
    let refresh = fixtures::refresh(grant.id, now);
    ok(
        store.insert_grant(&grant, &access, Some(&refresh)).await,
        INSERT,
    );

    let got = ok(store.get_access_token(&access.digest, now).await, ACCESS);
    same(
        got,
        Some((access.clone(), grant.clone())),
        &format!("{ACCESS}: live token with its grant"),
    );
    let got = ok(
        store
            .get_access_token(&access.digest, access.expires_at)
            .await,
        ACCESS,
    );
    same(
        got,
        None,
        &format!("{ACCESS}: nothing at or after expires_at"),
    );
    let got = ok(
        store.get_access_token(&fixtures::digest(), now).await,
        ACCESS,
    );
    same(got, None, &format!("{ACCESS}: unknown digest"));
    let got = ok(store.get_refresh_token(&refresh.digest, now).await, REFRESH);
    same(
        got,
        Some((refresh.clone(), grant.clone())),
        &format!("{REFRESH}: live token with its grant"),
    );
    let got = ok(
        store
            .get_refresh_token(&refresh.digest, refresh.expires_at)
            .await,
        REFRESH,
    );
    same(
        got,
        None,
        &format!("{REFRESH}: nothing at or after expires_at"),
    );

    duplicate(
        store
            .insert_grant(&grant, &fixtures::access(grant.id, now), None)
            .await,
        &format!("{INSERT}: the same grant id twice is a Duplicate"),
    );
    let other = fixtures::grant(&client, None, now);
    let other_refresh = fixtures::refresh(other.id, now);
    duplicate(
        store
            .insert_grant(&other, &access, Some(&other_refresh))
            .await,
        &format!("{INSERT}: an access token digest already stored is a Duplicate"),
    );
    let got = ok(
        store.get_refresh_token(&other_refresh.digest, now).await,
        REFRESH,
    );
    same(
        got,
        None,
        &format!("{INSERT}: all or nothing (refused grant left a refresh token)"),
    );

    let bare = fixtures::bare_grant(&client, now);
    let bare_access = fixtures::access(bare.id, now);
    ok(store.insert_grant(&bare, &bare_access, None).await, INSERT);
    let got = ok(
        store.get_access_token(&bare_access.digest, now).await,
        ACCESS,
    );
    same(
        got,
        Some((bare_access, bare)),
        &format!("{INSERT}: a grant without optional fields round-trips"),
    );

    let extra = fixtures::access(grant.id, now);
    ok(store.insert_access_token(&extra).await, ADD);
    let got = ok(store.get_access_token(&extra.digest, now).await, ACCESS);
    same(
        got,
        Some((extra.clone(), grant.clone())),
        &format!("{ADD}: the added token is live"),
    );
    duplicate(
        store.insert_access_token(&extra).await,
        &format!("{ADD}: same digest twice"),
    );

    check_rotation(store, &grant, &refresh, now).await;

    same(
        ok(
            store.revoke_access_token(&access.digest).await,
            REVOKE_ACCESS,
        ),
        true,
        &format!("{REVOKE_ACCESS}: a live token answers true"),
    );
    same(
        ok(
            store.revoke_access_token(&access.digest).await,
            REVOKE_ACCESS,
        ),
        false,
        &format!("{REVOKE_ACCESS}: revoking again answers false"),
    );
    same(
        ok(
            store.revoke_access_token(&fixtures::digest()).await,
            REVOKE_ACCESS,
        ),
        false,
        &format!("{REVOKE_ACCESS}: unknown digest answers false"),
    );
    let got = ok(store.get_access_token(&access.digest, now).await, ACCESS);
    same(
        got,
        None,
        &format!("{REVOKE_ACCESS}: the revoked token is dead"),
    );
    let got = ok(store.get_access_token(&extra.digest, now).await, ACCESS);
    holds_some(
        got.is_some(),
        &format!("{REVOKE_ACCESS}: other tokens of the grant stay live"),
    );

    check_grant_revocation(store, &grant, &extra, now).await;
}

fn holds_some(cond: bool, contract: &str) {
    crate::check::holds(cond, contract, "None");
}

async fn check_rotation<S: Storage + ?Sized>(
    store: &S,
    grant: &latchkey_engine::Grant,
    refresh: &latchkey_engine::store::RefreshTokenRecord,
    now: time::OffsetDateTime,
) {
    let next_refresh = fixtures::refresh(grant.id, now);
    let next_access = fixtures::access(grant.id, now);
    let got = ok(
        store
            .rotate_refresh_token(&refresh.digest, &next_refresh, &next_access, now)
            .await,
        ROTATE,
    );
    same(
        got,
        RotateOutcome::Rotated,
        &format!("{ROTATE}: a live unused token rotates"),
    );
    let got = ok(
        store.get_refresh_token(&next_refresh.digest, now).await,
        REFRESH,
    );
    same(
        got,
        Some((next_refresh.clone(), grant.clone())),
        &format!("{ROTATE}: the next refresh token is live"),
    );
    let got = ok(
        store.get_access_token(&next_access.digest, now).await,
        ACCESS,
    );
    same(
        got,
        Some((next_access, grant.clone())),
        &format!("{ROTATE}: the next access token is live"),
    );
    let mut used = refresh.clone();
    used.used_at = Some(now);
    let got = ok(store.get_refresh_token(&refresh.digest, now).await, REFRESH);
    same(
        got,
        Some((used, grant.clone())),
        &format!("{REFRESH}: a used token is still returned, with used_at set"),
    );

    let late_refresh = fixtures::refresh(grant.id, now);
    let late_access = fixtures::access(grant.id, now);
    let got = ok(
        store
            .rotate_refresh_token(&refresh.digest, &late_refresh, &late_access, now)
            .await,
        ROTATE,
    );
    same(
        got,
        RotateOutcome::Replayed(grant.id),
        &format!("{ROTATE}: a used token answers Replayed(grant id)"),
    );
    let got = ok(
        store.get_refresh_token(&late_refresh.digest, now).await,
        REFRESH,
    );
    same(got, None, &format!("{ROTATE}: a replay stores nothing"));

    let got = ok(
        store
            .rotate_refresh_token(&fixtures::digest(), &late_refresh, &late_access, now)
            .await,
        ROTATE,
    );
    same(
        got,
        RotateOutcome::Unknown,
        &format!("{ROTATE}: unknown digest"),
    );
    let expired_at = next_refresh.expires_at + Duration::seconds(1);
    let got = ok(
        store
            .rotate_refresh_token(
                &next_refresh.digest,
                &late_refresh,
                &late_access,
                expired_at,
            )
            .await,
        ROTATE,
    );
    same(
        got,
        RotateOutcome::Unknown,
        &format!("{ROTATE}: an expired token is Unknown"),
    );
}

async fn check_grant_revocation<S: Storage + ?Sized>(
    store: &S,
    grant: &latchkey_engine::Grant,
    live_access: &latchkey_engine::store::AccessTokenRecord,
    now: time::OffsetDateTime,
) {
    let live_refresh = fixtures::refresh(grant.id, now);
    let next_access = fixtures::access(grant.id, now);
    let got = ok(
        store.get_refresh_token(&live_refresh.digest, now).await,
        REFRESH,
    );
    same(got, None, "kit sanity: fresh digest");
    ok(store.revoke_grant(&grant.id).await, REVOKE);
    ok(
        store.revoke_grant(&grant.id).await,
        &format!("{REVOKE}: revoking twice is fine"),
    );
    let got = ok(
        store.get_access_token(&live_access.digest, now).await,
        ACCESS,
    );
    same(
        got,
        None,
        &format!("{REVOKE}: access tokens of a revoked grant are dead"),
    );
    grant_revoked(
        store.insert_access_token(&next_access).await,
        &format!("{ADD}: a token for a revoked grant is refused with GrantRevoked"),
    );
    grant_revoked(
        store
            .insert_grant(grant, &fixtures::access(grant.id, now), None)
            .await,
        &format!("{INSERT}: a revoked grant id is refused with GrantRevoked"),
    );

    // Revoking first, inserting later: the code-replay-wins-the-race case.
    let early = fixtures::grant(&grant.client_id, Some(fixtures::subject()), now);
    ok(
        store.revoke_grant(&early.id).await,
        &format!("{REVOKE}: an id not stored yet"),
    );
    let early_access = fixtures::access(early.id, now);
    grant_revoked(
        store
            .insert_grant(
                &early,
                &early_access,
                Some(&fixtures::refresh(early.id, now)),
            )
            .await,
        &format!("{INSERT}: a grant id revoked before it was stored is refused with GrantRevoked"),
    );
    let got = ok(
        store.get_access_token(&early_access.digest, now).await,
        ACCESS,
    );
    same(
        got,
        None,
        &format!("{INSERT}: a refused grant leaves no token"),
    );

    // Refresh tokens of a revoked grant: not returned and not rotatable.
    let fresh = fixtures::grant(&grant.client_id, Some(fixtures::subject()), now);
    let fresh_refresh = fixtures::refresh(fresh.id, now);
    ok(
        store
            .insert_grant(
                &fresh,
                &fixtures::access(fresh.id, now),
                Some(&fresh_refresh),
            )
            .await,
        INSERT,
    );
    ok(store.revoke_grant(&fresh.id).await, REVOKE);
    let got = ok(
        store.get_refresh_token(&fresh_refresh.digest, now).await,
        REFRESH,
    );
    same(
        got,
        None,
        &format!("{REVOKE}: refresh tokens of a revoked grant are not returned"),
    );
    let got = ok(
        store
            .rotate_refresh_token(
                &fresh_refresh.digest,
                &fixtures::refresh(fresh.id, now),
                &fixtures::access(fresh.id, now),
                now,
            )
            .await,
        ROTATE,
    );
    same(
        got,
        RotateOutcome::Unknown,
        &format!("{ROTATE}: a token of a revoked grant is Unknown"),
    );
}
