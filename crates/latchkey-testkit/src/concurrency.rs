//! The at-most-once contracts under contention: [`RACERS`] tasks, released together by a
//! barrier, race to consume one code, rotate one refresh token and take one interaction.
//! Exactly one must win each race, and every loser must get the answer the contract
//! gives a later caller (`AlreadyUsed`, `Replayed`, `None`); the races of `redeem_code`
//! are in `redemption_races`. Run the kit on a multi-thread runtime
//! (`#[tokio::test(flavor = "multi_thread")]`) so the racers really run in parallel.

use std::future::Future;
use std::sync::Arc;

use latchkey_engine::store::{ConsumeOutcome, RotateOutcome, Storage, TakeOutcome};
use latchkey_engine::GrantId;
use tokio::sync::Barrier;

use crate::check::{holds, ok, same};
use crate::fixtures;

/// How many tasks race for each single-use item.
pub const RACERS: usize = 64;

/// Runs `RACERS` copies of `race(i)` at once and collects their answers, in order of `i`.
pub(crate) async fn race<T, F, Fut>(race: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(RACERS));
    let handles: Vec<_> = (0..RACERS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let task = race(i);
            tokio::spawn(async move {
                barrier.wait().await;
                task.await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(RACERS);
    for joined in futures::future::join_all(handles).await {
        match joined {
            Ok(answer) => answers.push(answer),
            Err(err) => panic!("storage contract violated: a racing store call panicked: {err}"),
        }
    }
    answers
}

pub(crate) async fn check<S: Storage + ?Sized>(store: &Arc<S>) {
    consume_race(store).await;
    rotate_race(store).await;
    take_race(store).await;
    take_if_race(store).await;
}

async fn consume_race<S: Storage + ?Sized>(store: &Arc<S>) {
    const C: &str = "CodeStore::consume_code under concurrency";
    let now = fixtures::now();
    let code = fixtures::code(
        fixtures::grant(&fixtures::client_id(), Some(fixtures::subject()), now),
        now,
    );
    ok(store.insert_code(&code).await, "CodeStore::insert_code");
    let answers = race(|_| {
        let store = Arc::clone(store);
        let digest = code.digest;
        async move { ok(store.consume_code(&digest, now).await, C) }
    })
    .await;
    one_consumed(&answers, code.grant.id, C);
}

/// Requires that exactly one of the racers' `answers` for one code is `Consumed` and every
/// other is `AlreadyUsed(grant_id)`, the contract `contract` states; returns the winner's
/// index.
pub(crate) fn one_consumed(answers: &[ConsumeOutcome], grant_id: GrantId, contract: &str) -> usize {
    let winners: Vec<usize> = (0..answers.len())
        .filter(|&i| matches!(answers[i], ConsumeOutcome::Consumed(_)))
        .collect();
    same(
        winners.len(),
        1,
        &format!("{contract}: exactly one of {RACERS} callers gets Consumed"),
    );
    let replays = answers
        .iter()
        .filter(|a| **a == ConsumeOutcome::AlreadyUsed(grant_id))
        .count();
    same(
        replays,
        RACERS - 1,
        &format!("{contract}: every other caller gets AlreadyUsed(grant id)"),
    );
    winners[0]
}

async fn rotate_race<S: Storage + ?Sized>(store: &Arc<S>) {
    const C: &str = "TokenStore::rotate_refresh_token under concurrency";
    let now = fixtures::now();
    let grant = fixtures::grant(&fixtures::client_id(), Some(fixtures::subject()), now);
    let refresh = fixtures::refresh(grant.id, now);
    ok(
        store
            .insert_grant(&grant, &fixtures::access(grant.id, now), Some(&refresh))
            .await,
        "TokenStore::insert_grant",
    );
    let successors: Vec<_> = (0..RACERS)
        .map(|_| {
            (
                fixtures::refresh(grant.id, now),
                fixtures::access(grant.id, now),
            )
        })
        .collect();
    let answers = race(|i| {
        let store = Arc::clone(store);
        let presented = refresh.digest;
        let (next_refresh, next_access) = successors[i].clone();
        async move {
            ok(
                store
                    .rotate_refresh_token(&presented, &next_refresh, &next_access, now)
                    .await,
                C,
            )
        }
    })
    .await;
    let winners = answers
        .iter()
        .filter(|a| **a == RotateOutcome::Rotated)
        .count();
    same(
        winners,
        1,
        &format!("{C}: exactly one of {RACERS} callers gets Rotated"),
    );
    let replays = answers
        .iter()
        .filter(|a| **a == RotateOutcome::Replayed(grant.id))
        .count();
    same(
        replays,
        RACERS - 1,
        &format!("{C}: every other caller gets Replayed(grant id)"),
    );

    let mut live = 0;
    for (next_refresh, next_access) in &successors {
        let r = ok(
            store.get_refresh_token(&next_refresh.digest, now).await,
            "TokenStore::get_refresh_token",
        );
        let a = ok(
            store.get_access_token(&next_access.digest, now).await,
            "TokenStore::get_access_token",
        );
        let stored = r.is_some();
        holds(
            stored == a.is_some(),
            &format!("{C}: a rotation stores both successors or neither"),
            (r, a),
        );
        live += usize::from(stored);
    }
    same(
        live,
        1,
        &format!("{C}: only the winner's successor tokens are stored"),
    );
}

/// Stores a fresh interaction created at `now` and returns its id.
async fn pending_interaction<S: Storage + ?Sized>(
    store: &S,
    now: time::OffsetDateTime,
) -> latchkey_engine::pkce::SecretDigest {
    let id = fixtures::digest();
    ok(
        store
            .put_interaction(&id, &fixtures::interaction(now))
            .await,
        "InteractionStore::put_interaction",
    );
    id
}

async fn take_race<S: Storage + ?Sized>(store: &Arc<S>) {
    const C: &str = "InteractionStore::take_interaction under concurrency";
    let now = fixtures::now();
    let id = pending_interaction(store.as_ref(), now).await;
    let answers = race(|_| {
        let store = Arc::clone(store);
        async move { ok(store.take_interaction(&id, now).await, C) }
    })
    .await;
    let winners = answers.iter().filter(|a| a.is_some()).count();
    same(
        winners,
        1,
        &format!("{C}: exactly one of {RACERS} callers gets the interaction"),
    );
}

async fn take_if_race<S: Storage + ?Sized>(store: &Arc<S>) {
    const C: &str = "InteractionStore::take_interaction_if under concurrency";
    let now = fixtures::now();
    let id = pending_interaction(store.as_ref(), now).await;
    // Half the racers' checks refuse, half accept: exactly one acceptor takes it, no
    // refusal consumes it, and everyone else finds it gone or refused.
    let answers = race(|i| {
        let store = Arc::clone(store);
        async move {
            let accept = move |_: &latchkey_engine::store::InteractionRecord| i % 2 == 0;
            ok(store.take_interaction_if(&id, now, &accept).await, C)
        }
    })
    .await;
    let winners = answers
        .iter()
        .filter(|a| matches!(a, TakeOutcome::Taken(_)))
        .count();
    same(
        winners,
        1,
        &format!("{C}: exactly one of {RACERS} callers gets the interaction"),
    );
    for (i, answer) in answers.iter().enumerate() {
        if i % 2 == 1 {
            holds(
                !matches!(answer, TakeOutcome::Taken(_)),
                &format!("{C}: a refusing check never takes the interaction"),
                answer,
            );
        }
    }
}
