//! `CodeStore` contracts: a code is stored once, consumed at most once, and afterwards
//! answers `AlreadyUsed` with its grant id (until purged); an unconsumed code past its
//! expiry answers `Expired`, an unknown digest `Unknown`.

use latchkey_engine::store::{ConsumeOutcome, Storage};
use time::Duration;

use crate::check::{duplicate, ok, same};
use crate::fixtures;

const INSERT: &str = "CodeStore::insert_code";
const CONSUME: &str = "CodeStore::consume_code";

pub(crate) async fn check<S: Storage + ?Sized>(store: &S) {
    let now = fixtures::now();
    let client = fixtures::client_id();
    let code = fixtures::code(
        fixtures::grant(&client, Some(fixtures::subject()), now),
        now,
    );
    ok(store.insert_code(&code).await, INSERT);
    duplicate(
        store.insert_code(&code).await,
        &format!("{INSERT}: a second code with the same digest is a Duplicate"),
    );

    let first = ok(store.consume_code(&code.digest, now).await, CONSUME);
    same(
        first,
        ConsumeOutcome::Consumed(Box::new(code.clone())),
        &format!("{CONSUME}: the first call consumes and returns the stored record"),
    );
    let second = ok(store.consume_code(&code.digest, now).await, CONSUME);
    same(
        second,
        ConsumeOutcome::AlreadyUsed(code.grant.id),
        &format!("{CONSUME}: a consumed code answers AlreadyUsed(grant id)"),
    );
    let late = ok(
        store
            .consume_code(&code.digest, code.expires_at + Duration::hours(1))
            .await,
        CONSUME,
    );
    same(
        late,
        ConsumeOutcome::AlreadyUsed(code.grant.id),
        &format!("{CONSUME}: a consumed code answers AlreadyUsed even after its expiry"),
    );

    let expiring = fixtures::code(
        fixtures::grant(&client, Some(fixtures::subject()), now),
        now,
    );
    ok(store.insert_code(&expiring).await, INSERT);
    let expired = ok(
        store
            .consume_code(&expiring.digest, expiring.expires_at)
            .await,
        CONSUME,
    );
    same(
        expired,
        ConsumeOutcome::Expired,
        &format!("{CONSUME}: an unconsumed code at or after expires_at is Expired"),
    );

    let unknown = ok(store.consume_code(&fixtures::digest(), now).await, CONSUME);
    same(
        unknown,
        ConsumeOutcome::Unknown,
        &format!("{CONSUME}: unknown digest"),
    );

    // Optional fields absent: no subject, authentication, challenge or nonce.
    let mut bare = fixtures::code(fixtures::bare_grant(&client, now), now);
    bare.code_challenge = None;
    bare.nonce = None;
    bare.redirect_uri_sent = true;
    ok(store.insert_code(&bare).await, INSERT);
    let got = ok(store.consume_code(&bare.digest, now).await, CONSUME);
    same(
        got,
        ConsumeOutcome::Consumed(Box::new(bare)),
        &format!("{CONSUME}: a record without optional fields round-trips"),
    );
}
