//! Bulk revocation contracts: `revoke_client_grants` and `revoke_subject_grants` revoke
//! every grant that matches (counting only grants not revoked before), kill their tokens,
//! delete the matching codes not yet redeemed, refuse a grant still being redeemed (its
//! code consumed but the grant not stored yet), and leave everything else alone; consumed
//! codes keep answering `AlreadyUsed` so a late replay is still recognised.

use latchkey_engine::store::{AccessTokenRecord, ConsumeOutcome, Storage};
use latchkey_engine::types::ClientId;
use latchkey_engine::{Grant, Subject};
use time::OffsetDateTime;

use crate::check::{grant_revoked, holds, ok, same};
use crate::fixtures;

const BY_CLIENT: &str = "TokenStore::revoke_client_grants";
const BY_SUBJECT: &str = "TokenStore::revoke_subject_grants";

/// Stores a grant with one access token and answers the token.
async fn issue<S: Storage + ?Sized>(
    store: &S,
    grant: &Grant,
    now: OffsetDateTime,
) -> AccessTokenRecord {
    let access = fixtures::access(grant.id, now);
    let refresh = fixtures::refresh(grant.id, now);
    ok(
        store.insert_grant(grant, &access, Some(&refresh)).await,
        "TokenStore::insert_grant",
    );
    access
}

async fn live<S: Storage + ?Sized>(
    store: &S,
    access: &AccessTokenRecord,
    now: OffsetDateTime,
) -> bool {
    ok(
        store.get_access_token(&access.digest, now).await,
        "TokenStore::get_access_token",
    )
    .is_some()
}

/// A redemption in flight when the bulk revocation ran (code consumed, grant not stored
/// yet) must not produce a live grant afterwards.
async fn refused_in_flight<S: Storage + ?Sized>(
    store: &S,
    grant: &Grant,
    now: OffsetDateTime,
    contract: &str,
) {
    let access = fixtures::access(grant.id, now);
    grant_revoked(
        store.insert_grant(grant, &access, None).await,
        &format!("{contract}: a redemption in flight (code consumed, grant not stored yet) is refused with GrantRevoked"),
    );
    holds(
        !live(store, &access, now).await,
        &format!("{contract}: a redemption in flight leaves no live token"),
        &access,
    );
}

pub(crate) async fn check<S: Storage + ?Sized>(store: &S) {
    check_by_client(store).await;
    check_by_subject(store).await;
}

async fn check_by_client<S: Storage + ?Sized>(store: &S) {
    let now = fixtures::now();
    let (client, bystander): (ClientId, ClientId) = (fixtures::client_id(), fixtures::client_id());
    let mine = [
        fixtures::grant(&client, Some(fixtures::subject()), now),
        fixtures::bare_grant(&client, now),
    ];
    let mut tokens = Vec::new();
    for grant in &mine {
        tokens.push(issue(store, grant, now).await);
    }
    let already = fixtures::grant(&client, Some(fixtures::subject()), now);
    issue(store, &already, now).await;
    ok(
        store.revoke_grant(&already.id).await,
        "TokenStore::revoke_grant",
    );
    let theirs = fixtures::grant(&bystander, Some(fixtures::subject()), now);
    let their_token = issue(store, &theirs, now).await;

    let pending = fixtures::code(
        fixtures::grant(&client, Some(fixtures::subject()), now),
        now,
    );
    let redeemed = fixtures::code(
        fixtures::grant(&client, Some(fixtures::subject()), now),
        now,
    );
    let their_code = fixtures::code(
        fixtures::grant(&bystander, Some(fixtures::subject()), now),
        now,
    );
    let in_flight = fixtures::code(
        fixtures::grant(&client, Some(fixtures::subject()), now),
        now,
    );
    for code in [&pending, &redeemed, &their_code, &in_flight] {
        ok(store.insert_code(code).await, "CodeStore::insert_code");
    }
    for code in [&redeemed, &in_flight] {
        ok(
            store.consume_code(&code.digest, now).await,
            "CodeStore::consume_code",
        );
    }

    let count = ok(store.revoke_client_grants(&client).await, BY_CLIENT);
    same(
        count,
        2,
        &format!("{BY_CLIENT}: counts the client's grants not revoked before"),
    );
    for token in &tokens {
        holds(
            !live(store, token, now).await,
            &format!("{BY_CLIENT}: the client's tokens are dead"),
            token,
        );
    }
    holds(
        live(store, &their_token, now).await,
        &format!("{BY_CLIENT}: other clients' tokens stay live"),
        &their_token,
    );
    let got = ok(
        store.consume_code(&pending.digest, now).await,
        "CodeStore::consume_code",
    );
    same(
        got,
        ConsumeOutcome::Unknown,
        &format!("{BY_CLIENT}: the client's unredeemed codes are gone"),
    );
    let got = ok(
        store.consume_code(&redeemed.digest, now).await,
        "CodeStore::consume_code",
    );
    same(
        got,
        ConsumeOutcome::AlreadyUsed(redeemed.grant.id),
        &format!("{BY_CLIENT}: consumed codes still answer AlreadyUsed"),
    );
    let got = ok(
        store.consume_code(&their_code.digest, now).await,
        "CodeStore::consume_code",
    );
    same(
        got,
        ConsumeOutcome::Consumed(Box::new(their_code)),
        &format!("{BY_CLIENT}: other clients' codes are untouched"),
    );

    refused_in_flight(store, &in_flight.grant, now, BY_CLIENT).await;

    let again = ok(store.revoke_client_grants(&client).await, BY_CLIENT);
    same(
        again,
        0,
        &format!("{BY_CLIENT}: a second call finds nothing left to revoke"),
    );
    let none = ok(
        store.revoke_client_grants(&fixtures::client_id()).await,
        BY_CLIENT,
    );
    same(
        none,
        0,
        &format!("{BY_CLIENT}: an unknown client has no grants"),
    );
}

async fn check_by_subject<S: Storage + ?Sized>(store: &S) {
    let now = fixtures::now();
    let (subject, bystander): (Subject, Subject) = (fixtures::subject(), fixtures::subject());
    let client = fixtures::client_id();
    let mine = [
        fixtures::grant(&client, Some(subject.clone()), now),
        fixtures::grant(&fixtures::client_id(), Some(subject.clone()), now),
    ];
    let mut tokens = Vec::new();
    for grant in &mine {
        tokens.push(issue(store, grant, now).await);
    }
    let theirs = fixtures::grant(&client, Some(bystander.clone()), now);
    let their_token = issue(store, &theirs, now).await;
    let machine = fixtures::bare_grant(&client, now);
    let machine_token = issue(store, &machine, now).await;

    let pending = fixtures::code(fixtures::grant(&client, Some(subject.clone()), now), now);
    let their_code = fixtures::code(fixtures::grant(&client, Some(bystander), now), now);
    let in_flight = fixtures::code(fixtures::grant(&client, Some(subject.clone()), now), now);
    for code in [&pending, &their_code, &in_flight] {
        ok(store.insert_code(code).await, "CodeStore::insert_code");
    }
    ok(
        store.consume_code(&in_flight.digest, now).await,
        "CodeStore::consume_code",
    );

    let count = ok(store.revoke_subject_grants(&subject).await, BY_SUBJECT);
    same(
        count,
        2,
        &format!("{BY_SUBJECT}: counts the subject's grants across clients"),
    );
    for token in &tokens {
        holds(
            !live(store, token, now).await,
            &format!("{BY_SUBJECT}: the subject's tokens are dead"),
            token,
        );
    }
    holds(
        live(store, &their_token, now).await,
        &format!("{BY_SUBJECT}: other subjects' tokens stay live"),
        &their_token,
    );
    holds(
        live(store, &machine_token, now).await,
        &format!("{BY_SUBJECT}: grants without a subject stay live"),
        &machine_token,
    );
    let got = ok(
        store.consume_code(&pending.digest, now).await,
        "CodeStore::consume_code",
    );
    same(
        got,
        ConsumeOutcome::Unknown,
        &format!("{BY_SUBJECT}: the subject's unredeemed codes are gone"),
    );
    let got = ok(
        store.consume_code(&their_code.digest, now).await,
        "CodeStore::consume_code",
    );
    same(
        got,
        ConsumeOutcome::Consumed(Box::new(their_code)),
        &format!("{BY_SUBJECT}: other subjects' codes are untouched"),
    );

    refused_in_flight(store, &in_flight.grant, now, BY_SUBJECT).await;

    let again = ok(store.revoke_subject_grants(&subject).await, BY_SUBJECT);
    same(
        again,
        0,
        &format!("{BY_SUBJECT}: a second call finds nothing left to revoke"),
    );
}
