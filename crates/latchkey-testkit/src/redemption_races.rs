//! `CodeRedemption` under contention, [`RACERS`] tasks at a time: one code redeemed by
//! every racer is `Consumed` once and stores only the winner's tokens; different codes
//! redeemed at once (what a store that batches redemptions sees) each store their own
//! grant and tokens, row for row; and a bulk revocation racing redemptions of the
//! client's codes leaves none of their tokens live, whichever runs first.

use std::sync::Arc;

use latchkey_engine::store::{CodeRecord, ConsumeOutcome, PlannedTokens, Storage};
use time::Duration;

use crate::check::{holds, ok, same};
use crate::concurrency::{one_consumed, race, RACERS};
use crate::fixtures;
use crate::redemption::{issue, require_dead, require_stored};

pub(crate) async fn check<S: Storage + ?Sized>(store: &Arc<S>) {
    one_code(store).await;
    many_codes(store).await;
    against_bulk_revocation(store).await;
}

async fn one_code<S: Storage + ?Sized>(store: &Arc<S>) {
    const C: &str = "CodeRedemption::redeem_code under concurrency";
    let now = fixtures::now();
    let code = issue(
        store.as_ref(),
        fixtures::grant(&fixtures::client_id(), Some(fixtures::subject()), now),
        now,
    )
    .await;
    let plans: Vec<PlannedTokens> = (0..RACERS).map(|_| fixtures::planned(now)).collect();
    let answers = race(|i| {
        let store = Arc::clone(store);
        let digest = code.digest;
        let plan = plans[i].clone();
        async move { ok(store.redeem_code(&digest, now, &plan).await, C) }
    })
    .await;
    let winner = one_consumed(&answers, code.grant.id, C);
    for (i, plan) in plans.iter().enumerate() {
        if i == winner {
            same(
                &answers[i],
                &ConsumeOutcome::Consumed(Box::new(code.clone())),
                &format!("{C}: the winner gets the stored record"),
            );
            require_stored(
                store.as_ref(),
                plan,
                &code.grant,
                now,
                &format!("{C}: the winner's planned tokens are stored"),
            )
            .await;
        } else {
            require_dead(
                store.as_ref(),
                plan,
                now,
                &format!("{C}: a loser's planned tokens are not stored"),
            )
            .await;
        }
    }
}

async fn many_codes<S: Storage + ?Sized>(store: &Arc<S>) {
    const C: &str = "CodeRedemption::redeem_code, different codes at once";
    let now = fixtures::now();
    let client = fixtures::client_id();
    // Rows that differ in every optional column, so that a batch mixing them up shows.
    let mut codes: Vec<CodeRecord> = Vec::with_capacity(RACERS);
    let mut plans: Vec<PlannedTokens> = Vec::with_capacity(RACERS);
    for i in 0..RACERS {
        let hours = i64::try_from(i).unwrap_or(0) + 1;
        let mut grant = if i % 2 == 0 {
            fixtures::grant(&client, Some(fixtures::subject()), now)
        } else {
            fixtures::bare_grant(&client, now)
        };
        if i % 4 == 0 {
            grant.refresh_expires_at = Some(now + Duration::hours(hours));
        }
        codes.push(issue(store.as_ref(), grant, now).await);
        let mut plan = fixtures::planned(now);
        plan.access_expires_at = now + Duration::minutes(hours);
        if i % 3 == 0 {
            plan.refresh = None;
        }
        plans.push(plan);
    }
    let answers = race(|i| {
        let store = Arc::clone(store);
        let digest = codes[i].digest;
        let plan = plans[i].clone();
        async move { ok(store.redeem_code(&digest, now, &plan).await, C) }
    })
    .await;
    for ((answer, code), plan) in answers.iter().zip(&codes).zip(&plans) {
        same(
            answer,
            &ConsumeOutcome::Consumed(Box::new(code.clone())),
            &format!("{C}: each of {RACERS} fresh codes is Consumed with its own record"),
        );
        require_stored(
            store.as_ref(),
            plan,
            &code.grant,
            now,
            &format!("{C}: each redemption stores its own grant with its own planned tokens"),
        )
        .await;
    }
}

/// What a racer of [`against_bulk_revocation`] did.
#[derive(Debug)]
enum Answer {
    Revoked(u64),
    Redeemed(ConsumeOutcome),
}

async fn against_bulk_revocation<S: Storage + ?Sized>(store: &Arc<S>) {
    const C: &str = "CodeRedemption::redeem_code racing TokenStore::revoke_client_grants";
    let now = fixtures::now();
    let client = fixtures::client_id();
    // Racer 0 revokes the client; every other racer redeems one of its codes.
    let mut codes: Vec<CodeRecord> = Vec::with_capacity(RACERS);
    let mut plans: Vec<PlannedTokens> = Vec::with_capacity(RACERS);
    for _ in 0..RACERS {
        let grant = fixtures::grant(&client, Some(fixtures::subject()), now);
        codes.push(issue(store.as_ref(), grant, now).await);
        plans.push(fixtures::planned(now));
    }
    let answers = race(|i| {
        let store = Arc::clone(store);
        let client = client.clone();
        let digest = codes[i].digest;
        let plan = plans[i].clone();
        async move {
            if i == 0 {
                Answer::Revoked(ok(
                    store.revoke_client_grants(&client).await,
                    "TokenStore::revoke_client_grants",
                ))
            } else {
                Answer::Redeemed(ok(store.redeem_code(&digest, now, &plan).await, C))
            }
        }
    })
    .await;
    let mut consumed = 0u64;
    let mut revoked = None;
    for (i, answer) in answers.iter().enumerate() {
        match answer {
            Answer::Revoked(count) => revoked = Some(*count),
            Answer::Redeemed(ConsumeOutcome::Consumed(record)) => {
                same(
                    record.as_ref(),
                    &codes[i],
                    &format!("{C}: Consumed carries the stored record"),
                );
                consumed += 1;
            }
            Answer::Redeemed(other) => same(
                other,
                &ConsumeOutcome::Unknown,
                &format!("{C}: a code the revocation deleted first is Unknown"),
            ),
        }
        require_dead(
            store.as_ref(),
            &plans[i],
            now,
            &format!("{C}: no token of the client's codes is live after the revocation, whichever ran first"),
        )
        .await;
    }
    holds(
        revoked.is_some_and(|count| count <= consumed),
        &format!("{C}: the revocation counts only grants that were stored"),
        (revoked, consumed),
    );
}
