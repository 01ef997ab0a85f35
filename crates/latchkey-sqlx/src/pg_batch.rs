//! The PostgreSQL backend's batched operations (see [`crate::batch`]): reading clients and
//! redeeming codes — the two statements every code exchange runs — and the consuming and
//! grant-storing steps on their own, for callers that use them directly. Each batch function answers each call on its own: a code consumed by an
//! earlier call in the same batch is reported `AlreadyUsed` to the later one, a revoked
//! grant fails only its own call, and a statement that fails as a whole for a reason in
//! the data (a duplicate key, a deadlock with another batch) is retried call by call, so
//! one caller's bad luck is not shared. A failure to reach the database is everyone's.

use std::collections::HashMap;
use std::sync::Arc;

use latchkey_engine::pkce::SecretDigest;
use latchkey_engine::store::{
    AccessTokenRecord, Client, ConsumeOutcome, PlannedTokens, RefreshTokenRecord, StoreError,
};
use latchkey_engine::types::ClientId;
use latchkey_engine::Grant;
use sqlx::PgPool;

use crate::batch::{BatchFuture, Batcher};
use crate::codec::{self, ClientRow, CodeRow};
use crate::error::map_err;
use crate::pg_tokens::{self, AccessAnswer, RefreshAnswer, RotateCall, TokenRead};
use crate::sql;

/// A code to consume: its digest and the time of the request (unix seconds).
pub(crate) type CodeCall = (SecretDigest, i64);
/// A code to redeem: its digest, the time of the request (unix seconds) and the tokens
/// to store with its grant.
pub(crate) type RedeemCall = (SecretDigest, i64, PlannedTokens);
/// A grant to store with its access token and optional refresh token.
pub(crate) type GrantCall = (Grant, AccessTokenRecord, Option<RefreshTokenRecord>);

/// A code's digest, grant id and `consumed_at`, as [`sql::CODE_STATUSES`] reads them.
type CodeStatus = (Vec<u8>, Vec<u8>, Option<i64>);

/// The batchers of one [`crate::PostgresStore`] (shared by its clones): this module's
/// operations and the token lookups and rotations of [`crate::pg_tokens`].
pub(crate) struct Batches {
    pub(crate) codes: Batcher<CodeCall, ConsumeOutcome>,
    pub(crate) grants: Batcher<GrantCall, ()>,
    pub(crate) redemptions: Batcher<RedeemCall, ConsumeOutcome>,
    pub(crate) clients: Batcher<ClientId, Option<Client>>,
    pub(crate) access: Batcher<TokenRead, AccessAnswer>,
    pub(crate) refresh: Batcher<TokenRead, RefreshAnswer>,
    pub(crate) rotations: Batcher<RotateCall, bool>,
}

impl std::fmt::Debug for Batches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Batches")
    }
}

impl Batches {
    pub(crate) fn new(pool: &PgPool) -> Arc<Self> {
        let (p1, p2, p3, p4) = (pool.clone(), pool.clone(), pool.clone(), pool.clone());
        let (p5, p6, p7) = (pool.clone(), pool.clone(), pool.clone());
        Arc::new(Self {
            codes: Batcher::new("consume_code", move |calls| {
                boxed(consume(p1.clone(), calls))
            }),
            grants: Batcher::new("insert_grant", move |calls| {
                boxed(insert_grants(p2.clone(), calls))
            }),
            clients: Batcher::new("get_client", move |ids| boxed(get_clients(p3.clone(), ids))),
            redemptions: Batcher::new("redeem_code", move |calls| boxed(redeem(p4.clone(), calls))),
            access: Batcher::new("get_access_token", move |calls| {
                boxed(pg_tokens::get_access_tokens(p5.clone(), calls))
            }),
            refresh: Batcher::new("get_refresh_token", move |calls| {
                boxed(pg_tokens::get_refresh_tokens(p6.clone(), calls))
            }),
            rotations: Batcher::new("rotate_refresh_token", move |calls| {
                boxed(pg_tokens::rotate(p7.clone(), calls))
            }),
        })
    }
}

fn boxed<O>(
    future: impl std::future::Future<Output = Vec<Result<O, StoreError>>> + Send + 'static,
) -> BatchFuture<O> {
    Box::pin(future)
}

/// Whether a failed batch statement should be retried call by call: only when the
/// database refused the statement (a constraint, a deadlock) — not when it was unreachable.
pub(crate) fn retry_singly(len: usize, err: &sqlx::Error) -> bool {
    len > 1 && matches!(err, sqlx::Error::Database(_))
}

/// A copy of `err` for another caller of the same batch (`StoreError` is not `Clone`).
fn copy(err: &StoreError) -> StoreError {
    match err {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::GrantRevoked => StoreError::GrantRevoked,
        StoreError::Duplicate => StoreError::Duplicate,
        StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
        StoreError::Other(m) => StoreError::Other(m.clone()),
        other => StoreError::Other(other.to_string()),
    }
}

/// The same error for every call of a batch of `len`.
pub(crate) fn all_failed<O>(len: usize, err: &StoreError) -> Vec<Result<O, StoreError>> {
    (0..len).map(|_| Err(copy(err))).collect()
}

/// Runs each of `calls` through `run` as a batch of its own: what a batch function does
/// when the database refused its statement as a whole ([`retry_singly`]), so that the
/// call at fault fails alone.
pub(crate) async fn one_by_one<C, O, F>(
    calls: Vec<C>,
    op: &'static str,
    run: impl Fn(Vec<C>) -> F,
) -> Vec<Result<O, StoreError>>
where
    F: std::future::Future<Output = Vec<Result<O, StoreError>>>,
{
    let mut answers = Vec::with_capacity(calls.len());
    for call in calls {
        let mut one = run(vec![call]).await;
        answers.push(
            one.pop()
                .unwrap_or_else(|| Err(StoreError::Other(op.into()))),
        );
    }
    answers
}

async fn consume(pool: PgPool, calls: Vec<CodeCall>) -> Vec<Result<ConsumeOutcome, StoreError>> {
    const OP: &str = "consume_code";
    let digests: Vec<&[u8]> = calls.iter().map(|(d, _)| d.as_bytes().as_slice()).collect();
    let times: Vec<i64> = calls.iter().map(|&(_, at)| at).collect();
    let won = sqlx::query_as::<_, CodeRow>(sql::CONSUME_CODES)
        .bind(&digests)
        .bind(&times)
        .fetch_all(&pool)
        .await;
    let won = match won {
        Ok(rows) => rows,
        Err(err) if retry_singly(calls.len(), &err) => {
            return one_by_one(calls, OP, |one| Box::pin(consume(pool.clone(), one))).await;
        }
        Err(err) => return all_failed(calls.len(), &map_err(OP)(err)),
    };
    let consumed = won
        .into_iter()
        .map(|row| (row.digest().to_vec(), row))
        .collect();
    let answers = consumed_answers(&digests, consumed);
    explain_misses(&pool, OP, &digests, answers).await
}

/// Fills in the answers a batch statement left open (its code matched nothing): one
/// query tells a replay from an expired or unknown code for all of them.
async fn explain_misses(
    pool: &PgPool,
    op: &'static str,
    digests: &[&[u8]],
    mut answers: Vec<Option<Result<ConsumeOutcome, StoreError>>>,
) -> Vec<Result<ConsumeOutcome, StoreError>> {
    if answers.iter().all(Option::is_some) {
        return answers.into_iter().flatten().collect();
    }
    let rest: Vec<&[u8]> = digests
        .iter()
        .zip(&answers)
        .filter(|(_, a)| a.is_none())
        .map(|(d, _)| *d)
        .collect();
    let status: Result<Vec<CodeStatus>, _> = sqlx::query_as(sql::CODE_STATUSES)
        .bind(&rest)
        .fetch_all(pool)
        .await;
    let status: HashMap<Vec<u8>, (Vec<u8>, Option<i64>)> = match status {
        Ok(rows) => rows.into_iter().map(|(d, g, c)| (d, (g, c))).collect(),
        Err(err) => {
            let err = map_err(op)(err);
            return answers
                .into_iter()
                .map(|a| a.unwrap_or_else(|| Err(copy(&err))))
                .collect();
        }
    };
    for (digest, answer) in digests.iter().zip(answers.iter_mut()) {
        if answer.is_none() {
            *answer = Some(match status.get(*digest) {
                None => Ok(ConsumeOutcome::Unknown),
                Some((grant_id, Some(_))) => {
                    codec::grant_id_of(grant_id).map(ConsumeOutcome::AlreadyUsed)
                }
                Some((_, None)) => Ok(ConsumeOutcome::Expired),
            });
        }
    }
    answers.into_iter().flatten().collect()
}

/// A code redeemed by [`sql::REDEEM_CODES`], with the access digest of the call that won it.
#[derive(sqlx::FromRow)]
struct RedeemedRow {
    #[sqlx(flatten)]
    code: CodeRow,
    a_digest: Vec<u8>,
}

async fn redeem(pool: PgPool, calls: Vec<RedeemCall>) -> Vec<Result<ConsumeOutcome, StoreError>> {
    const OP: &str = "redeem_code";
    let n = calls.len();
    let mut digests = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    let mut issued = Vec::with_capacity(n);
    let mut a_digests = Vec::with_capacity(n);
    let mut a_expires = Vec::with_capacity(n);
    let mut r_digests = Vec::with_capacity(n);
    let mut r_idle_ends = Vec::with_capacity(n);
    for (digest, at, plan) in &calls {
        digests.push(digest.as_bytes().as_slice());
        times.push(*at);
        issued.push(codec::secs(plan.issued_at));
        a_digests.push(plan.access_digest.as_bytes().as_slice());
        a_expires.push(codec::secs(plan.access_expires_at));
        r_digests.push(
            plan.refresh
                .as_ref()
                .map(|r| r.digest.as_bytes().as_slice()),
        );
        r_idle_ends.push(
            plan.refresh
                .as_ref()
                .map(|r| codec::secs(r.idle_expires_at)),
        );
    }
    let won = sqlx::query_as::<_, RedeemedRow>(sql::REDEEM_CODES)
        .bind(&digests)
        .bind(&times)
        .bind(&issued)
        .bind(&a_digests)
        .bind(&a_expires)
        .bind(&r_digests)
        .bind(&r_idle_ends)
        .fetch_all(&pool)
        .await;
    let won = match won {
        Ok(rows) => rows,
        // The statement is atomic: a refused batch consumed nothing, so each call can run
        // again on its own.
        Err(err) if retry_singly(n, &err) => {
            return one_by_one(calls, OP, |one| Box::pin(redeem(pool.clone(), one))).await;
        }
        Err(err) => return all_failed(n, &map_err(OP)(err)),
    };
    // Matched to calls by access digest, which is each call's own: when one code is in
    // the batch twice, only the call whose tokens were stored gets `Consumed`.
    let redeemed = won
        .into_iter()
        .map(|row| (row.a_digest, row.code))
        .collect();
    let answers = consumed_answers(&a_digests, redeemed);
    explain_misses(&pool, OP, &digests, answers).await
}

/// Each call's `Consumed` answer, if a row came back under its key; `None` (to be
/// explained) otherwise. A key listed twice gets its row once.
fn consumed_answers(
    keys: &[&[u8]],
    mut rows: HashMap<Vec<u8>, CodeRow>,
) -> Vec<Option<Result<ConsumeOutcome, StoreError>>> {
    keys.iter()
        .map(|key| {
            rows.remove(*key).map(|row| {
                row.into_record()
                    .map(|r| ConsumeOutcome::Consumed(Box::new(r)))
            })
        })
        .collect()
}

async fn insert_grants(pool: PgPool, calls: Vec<GrantCall>) -> Vec<Result<(), StoreError>> {
    const OP: &str = "insert_grant";
    let n = calls.len();
    let mut ids = Vec::with_capacity(n);
    let mut client_ids = Vec::with_capacity(n);
    let mut subjects = Vec::with_capacity(n);
    let mut scopes = Vec::with_capacity(n);
    let mut auth_times = Vec::with_capacity(n);
    let mut acrs = Vec::with_capacity(n);
    let mut amrs = Vec::with_capacity(n);
    let mut created = Vec::with_capacity(n);
    let mut refresh_expires = Vec::with_capacity(n);
    let mut a_digests = Vec::with_capacity(n);
    let mut a_scopes = Vec::with_capacity(n);
    let mut a_issued = Vec::with_capacity(n);
    let mut a_expires = Vec::with_capacity(n);
    let mut r_digests = Vec::with_capacity(n);
    let mut r_issued = Vec::with_capacity(n);
    let mut r_expires = Vec::with_capacity(n);
    let mut r_used = Vec::with_capacity(n);
    for (g, access, refresh) in &calls {
        let (auth_time, acr, amr) = codec::auth_cols(g);
        ids.push(g.id.as_bytes().as_slice());
        client_ids.push(g.client_id.as_str());
        subjects.push(g.subject.as_ref().map(|s| s.as_str()));
        scopes.push(codec::scope_text(&g.scope));
        auth_times.push(auth_time);
        acrs.push(acr);
        amrs.push(amr);
        created.push(codec::secs(g.created_at));
        refresh_expires.push(codec::opt_secs(g.refresh_expires_at));
        a_digests.push(access.digest.as_bytes().as_slice());
        a_scopes.push(codec::scope_text(&access.scope));
        a_issued.push(codec::secs(access.issued_at));
        a_expires.push(codec::secs(access.expires_at));
        r_digests.push(refresh.as_ref().map(|r| r.digest.as_bytes().as_slice()));
        r_issued.push(refresh.as_ref().map(|r| codec::secs(r.issued_at)));
        r_expires.push(refresh.as_ref().map(|r| codec::secs(r.expires_at)));
        r_used.push(refresh.as_ref().and_then(|r| codec::opt_secs(r.used_at)));
    }
    let stored: Result<Vec<Vec<u8>>, _> = sqlx::query_scalar(sql::INSERT_GRANTS)
        .bind(&ids)
        .bind(&client_ids)
        .bind(&subjects)
        .bind(&scopes)
        .bind(&auth_times)
        .bind(&acrs)
        .bind(&amrs)
        .bind(&created)
        .bind(&refresh_expires)
        .bind(&a_digests)
        .bind(&a_scopes)
        .bind(&a_issued)
        .bind(&a_expires)
        .bind(&r_digests)
        .bind(&r_issued)
        .bind(&r_expires)
        .bind(&r_used)
        .fetch_all(&pool)
        .await;
    match stored {
        Ok(stored) => ids
            .iter()
            .map(|id| {
                if stored.iter().any(|s| s.as_slice() == *id) {
                    Ok(())
                } else {
                    Err(StoreError::GrantRevoked)
                }
            })
            .collect(),
        Err(err) if retry_singly(n, &err) => {
            one_by_one(calls, OP, |one| Box::pin(insert_grants(pool.clone(), one))).await
        }
        Err(err) => all_failed(n, &map_err(OP)(err)),
    }
}

async fn get_clients(pool: PgPool, ids: Vec<ClientId>) -> Vec<Result<Option<Client>, StoreError>> {
    const OP: &str = "get_client";
    let wanted: Vec<&str> = ids.iter().map(ClientId::as_str).collect();
    let rows = sqlx::query_as::<_, ClientRow>(sql::GET_CLIENTS)
        .bind(&wanted)
        .fetch_all(&pool)
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(err) => return all_failed(ids.len(), &map_err(OP)(err)),
    };
    let found: HashMap<String, Result<Client, StoreError>> = rows
        .into_iter()
        .map(|row| (row.id().to_owned(), row.into_client()))
        .collect();
    wanted
        .iter()
        .map(|id| match found.get(*id) {
            None => Ok(None),
            Some(Ok(client)) => Ok(Some(client.clone())),
            Some(Err(err)) => Err(copy(err)),
        })
        .collect()
}
