//! The PostgreSQL backend's batched token statements: the access-token lookup behind every
//! bearer check and introspection, and the refresh grant's lookup and rotation. Under load
//! these run once per API call, so concurrent calls are coalesced like the code
//! exchange's steps ([`crate::batch`]): one statement over `unnest`ed arrays serves up to
//! a batch of calls, and each call is answered by its position in the arrays (`WITH
//! ORDINALITY`) — a lookup gets exactly the row a single `GET_ACCESS`/`GET_REFRESH` would
//! have given it, judged at its own time, and of several calls rotating one token only
//! the one whose successors were stored is told it won. A failed lookup statement fails
//! every call of its batch (reads change nothing); a rotation statement the database
//! refused as a whole is retried call by call, as the redemptions are.

use latchkey_engine::pkce::SecretDigest;
use latchkey_engine::store::{AccessTokenRecord, RefreshTokenRecord, StoreError};
use latchkey_engine::Grant;
use sqlx::postgres::PgRow;
use sqlx::PgPool;

use crate::codec::{self, AccessRow, RefreshRow};
use crate::error::map_err;
use crate::pg_batch::{all_failed, one_by_one, retry_singly};
use crate::sql;

/// A token to look up: its digest and the time of the request (unix seconds).
pub(crate) type TokenRead = (SecretDigest, i64);
/// A live access token with its grant, if there is one.
pub(crate) type AccessAnswer = Option<(AccessTokenRecord, Grant)>;
/// A live refresh token with its grant, if there is one.
pub(crate) type RefreshAnswer = Option<(RefreshTokenRecord, Grant)>;
/// A rotation: the presented refresh token's digest, the time of the request (unix
/// seconds) and the successors to store if this call uses the token.
pub(crate) type RotateCall = (SecretDigest, i64, RefreshTokenRecord, AccessTokenRecord);

/// A row of [`sql::GET_ACCESS_MANY`]: the 1-based position of the call it answers.
#[derive(sqlx::FromRow)]
struct NumberedAccess {
    n: i64,
    #[sqlx(flatten)]
    row: AccessRow,
}

/// A row of [`sql::GET_REFRESH_MANY`].
#[derive(sqlx::FromRow)]
struct NumberedRefresh {
    n: i64,
    #[sqlx(flatten)]
    row: RefreshRow,
}

/// The digests and times of `calls` as the two arrays the statements take.
fn arrays(calls: &[TokenRead]) -> (Vec<&[u8]>, Vec<i64>) {
    calls
        .iter()
        .map(|(digest, at)| (digest.as_bytes().as_slice(), *at))
        .unzip()
}

/// One answer per call: the row numbered for it, else `Ok(None)`. A number outside the
/// batch (which the statement never returns) is ignored rather than trusted.
fn place<T>(
    len: usize,
    rows: impl IntoIterator<Item = (i64, Result<T, StoreError>)>,
) -> Vec<Result<Option<T>, StoreError>> {
    let mut answers: Vec<Result<Option<T>, StoreError>> = (0..len).map(|_| Ok(None)).collect();
    for (n, found) in rows {
        let slot = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| answers.get_mut(i));
        if let Some(slot) = slot {
            *slot = found.map(Some);
        }
    }
    answers
}

/// Runs one batched lookup `statement` (digests and times as `$1`, `$2`) and answers each
/// call with the row numbered for it, decoded by `answer`.
async fn lookup<N, T>(
    pool: PgPool,
    calls: Vec<TokenRead>,
    statement: &'static str,
    op: &'static str,
    answer: fn(N) -> (i64, Result<T, StoreError>),
) -> Vec<Result<Option<T>, StoreError>>
where
    N: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    let (digests, times) = arrays(&calls);
    let rows = sqlx::query_as::<_, N>(statement)
        .bind(&digests)
        .bind(&times)
        .fetch_all(&pool)
        .await;
    match rows {
        Ok(rows) => place(calls.len(), rows.into_iter().map(answer)),
        Err(err) => all_failed(calls.len(), &map_err(op)(err)),
    }
}

/// `TokenStore::get_access_token` for a batch of calls.
pub(crate) async fn get_access_tokens(
    pool: PgPool,
    calls: Vec<TokenRead>,
) -> Vec<Result<AccessAnswer, StoreError>> {
    let answer = |r: NumberedAccess| (r.n, r.row.into_pair());
    lookup(
        pool,
        calls,
        sql::GET_ACCESS_MANY,
        "get_access_token",
        answer,
    )
    .await
}

/// `TokenStore::get_refresh_token` for a batch of calls.
pub(crate) async fn get_refresh_tokens(
    pool: PgPool,
    calls: Vec<TokenRead>,
) -> Vec<Result<RefreshAnswer, StoreError>> {
    let answer = |r: NumberedRefresh| (r.n, r.row.into_pair());
    lookup(
        pool,
        calls,
        sql::GET_REFRESH_MANY,
        "get_refresh_token",
        answer,
    )
    .await
}

/// `TokenStore::rotate_refresh_token`'s conditional write for a batch of calls: `true`
/// for each call that used its token and stored its successors. A call answered `false`
/// met a used, expired, revoked or unknown token; the store then asks which
/// (`REFRESH_STATUS`), as after a single rotation.
pub(crate) async fn rotate(pool: PgPool, calls: Vec<RotateCall>) -> Vec<Result<bool, StoreError>> {
    const OP: &str = "rotate_refresh_token";
    let n = calls.len();
    let column = |f: &dyn Fn(&RotateCall) -> i64| calls.iter().map(f).collect::<Vec<i64>>();
    let bytes = |f: &dyn Fn(&RotateCall) -> &[u8]| calls.iter().map(f).collect::<Vec<&[u8]>>();
    let presented = bytes(&|c| c.0.as_bytes());
    let times = column(&|c| c.1);
    let r_digests = bytes(&|c| c.2.digest.as_bytes());
    let r_grants = bytes(&|c| c.2.grant_id.as_bytes());
    let r_issued = column(&|c| codec::secs(c.2.issued_at));
    let r_expires = column(&|c| codec::secs(c.2.expires_at));
    let r_used: Vec<Option<i64>> = calls.iter().map(|c| codec::opt_secs(c.2.used_at)).collect();
    let a_digests = bytes(&|c| c.3.digest.as_bytes());
    let a_grants = bytes(&|c| c.3.grant_id.as_bytes());
    let a_scopes: Vec<String> = calls
        .iter()
        .map(|c| codec::scope_text(&c.3.scope))
        .collect();
    let a_issued = column(&|c| codec::secs(c.3.issued_at));
    let a_expires = column(&|c| codec::secs(c.3.expires_at));
    let won = sqlx::query_scalar::<_, i64>(sql::ROTATE_REFRESHES)
        .bind(&presented)
        .bind(&times)
        .bind(&r_digests)
        .bind(&r_grants)
        .bind(&r_issued)
        .bind(&r_expires)
        .bind(&r_used)
        .bind(&a_digests)
        .bind(&a_grants)
        .bind(&a_scopes)
        .bind(&a_issued)
        .bind(&a_expires)
        .fetch_all(&pool)
        .await;
    let won = match won {
        Ok(won) => won,
        // The statement is atomic: a refused batch used no token, so each call can run
        // again on its own.
        Err(err) if retry_singly(n, &err) => {
            return one_by_one(calls, OP, |one| Box::pin(rotate(pool.clone(), one))).await;
        }
        Err(err) => return all_failed(n, &map_err(OP)(err)),
    };
    place(n, won.into_iter().map(|k| (k, Ok(()))))
        .into_iter()
        .map(|answer| answer.map(|won| won.is_some()))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn each_row_answers_the_call_at_its_position_and_the_rest_find_nothing() {
        let rows = vec![
            (3, Ok("third")),
            (1, Err(StoreError::Corrupt("bad row".into()))),
        ];
        let answers = place(4, rows);
        assert!(matches!(answers[0], Err(StoreError::Corrupt(_))));
        assert_eq!(answers[1].as_ref().unwrap(), &None);
        assert_eq!(answers[2].as_ref().unwrap(), &Some("third"));
        assert_eq!(answers[3].as_ref().unwrap(), &None);
    }

    #[test]
    fn numbers_outside_the_batch_are_ignored() {
        let answers = place(2, vec![(0, Ok(1)), (3, Ok(2)), (-1, Ok(3))]);
        assert!(answers.iter().all(|a| a.as_ref().unwrap().is_none()));
    }
}
