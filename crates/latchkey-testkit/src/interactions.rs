//! `InteractionStore` contracts: an interaction is readable until it expires, refused
//! when stored twice under one id, and `take_interaction` hands it out at most once;
//! `take_interaction_if` takes it only when its check accepts, and leaves it pending
//! otherwise.

use latchkey_engine::store::{Storage, TakeOutcome};
use time::Duration;

use crate::check::{duplicate, ok, same};
use crate::fixtures;

const PUT: &str = "InteractionStore::put_interaction";
const GET: &str = "InteractionStore::get_interaction";
const TAKE: &str = "InteractionStore::take_interaction";
const TAKE_IF: &str = "InteractionStore::take_interaction_if";

pub(crate) async fn check<S: Storage + ?Sized>(store: &S) {
    check_take_if(store).await;
    let now = fixtures::now();
    let id = fixtures::digest();
    let record = fixtures::interaction(now);
    ok(store.put_interaction(&id, &record).await, PUT);

    let got = ok(store.get_interaction(&id, now).await, GET);
    same(
        got.as_ref(),
        Some(&record),
        &format!("{GET}: returns the stored record"),
    );
    let again = ok(store.get_interaction(&id, now).await, GET);
    same(
        again.as_ref(),
        Some(&record),
        &format!("{GET}: does not consume"),
    );
    let at_expiry = ok(store.get_interaction(&id, record.expires_at).await, GET);
    same(
        at_expiry,
        None,
        &format!("{GET}: nothing at or after expires_at"),
    );

    duplicate(
        store
            .put_interaction(&id, &fixtures::interaction(now))
            .await,
        &format!("{PUT}: a second record under the same id is a Duplicate"),
    );

    let unknown = ok(store.take_interaction(&fixtures::digest(), now).await, TAKE);
    same(unknown, None, &format!("{TAKE}: unknown id gives None"));
    let unknown = ok(store.get_interaction(&fixtures::digest(), now).await, GET);
    same(unknown, None, &format!("{GET}: unknown id gives None"));

    let taken = ok(store.take_interaction(&id, now).await, TAKE);
    same(
        taken.as_ref(),
        Some(&record),
        &format!("{TAKE}: returns the stored record"),
    );
    let twice = ok(store.take_interaction(&id, now).await, TAKE);
    same(
        twice,
        None,
        &format!("{TAKE}: returns an interaction at most once"),
    );
    let after = ok(store.get_interaction(&id, now).await, GET);
    same(after, None, &format!("{GET}: a taken interaction is gone"));

    let expired_id = fixtures::digest();
    let expired = fixtures::interaction(now);
    ok(store.put_interaction(&expired_id, &expired).await, PUT);
    let late = expired.expires_at + Duration::seconds(1);
    let got = ok(store.take_interaction(&expired_id, late).await, TAKE);
    same(
        got,
        None,
        &format!("{TAKE}: an expired interaction is not returned"),
    );
    let got = ok(
        store.get_interaction(&expired_id, expired.expires_at).await,
        GET,
    );
    same(
        got,
        None,
        &format!("{GET}: an expired interaction is not returned"),
    );
}

async fn check_take_if<S: Storage + ?Sized>(store: &S) {
    let now = fixtures::now();
    let id = fixtures::digest();
    let record = fixtures::interaction(now);
    ok(store.put_interaction(&id, &record).await, PUT);
    let refuse = |_: &latchkey_engine::store::InteractionRecord| false;
    let accept = |_: &latchkey_engine::store::InteractionRecord| true;

    let refused = ok(store.take_interaction_if(&id, now, &refuse).await, TAKE_IF);
    same(
        refused,
        TakeOutcome::Refused(record.clone()),
        &format!("{TAKE_IF}: a refusing check gets the record back"),
    );
    let pending = ok(store.get_interaction(&id, now).await, GET);
    same(
        pending.as_ref(),
        Some(&record),
        &format!("{TAKE_IF}: a refused interaction stays pending"),
    );
    let taken = ok(store.take_interaction_if(&id, now, &accept).await, TAKE_IF);
    same(
        taken,
        TakeOutcome::Taken(record.clone()),
        &format!("{TAKE_IF}: an accepting check takes the stored record"),
    );
    let twice = ok(store.take_interaction_if(&id, now, &accept).await, TAKE_IF);
    same(
        twice,
        TakeOutcome::Missing,
        &format!("{TAKE_IF}: takes an interaction at most once"),
    );
    let unknown = ok(
        store
            .take_interaction_if(&fixtures::digest(), now, &accept)
            .await,
        TAKE_IF,
    );
    same(
        unknown,
        TakeOutcome::Missing,
        &format!("{TAKE_IF}: unknown id is Missing"),
    );
    // An expired interaction is not taken (a store may drop it on the spot, so this
    // uses a record of its own).
    let expired_id = fixtures::digest();
    let expired = fixtures::interaction(now);
    ok(store.put_interaction(&expired_id, &expired).await, PUT);
    let late = ok(
        store
            .take_interaction_if(&expired_id, expired.expires_at, &accept)
            .await,
        TAKE_IF,
    );
    same(
        late,
        TakeOutcome::Missing,
        &format!("{TAKE_IF}: nothing at or after expires_at"),
    );
}
