//! The PostgreSQL backend's batched token reads: the access-token lookup behind every
//! bearer check and introspection, and the refresh-token lookup that opens a rotation.
//! Under load these run once per API call, so concurrent lookups are coalesced like the
//! code exchange's steps ([`crate::batch`]): one statement over `unnest`ed arrays
//! answers up to a batch of calls, and each call gets exactly the row a single
//! `GET_ACCESS`/`GET_REFRESH` would have given it — matched by its position in the
//! arrays, so two calls for one token at different times are judged each at its own
//! time. Reads change nothing, so a failed statement fails every call of its batch
//! without a retry; a row that cannot be decoded fails only its own call.

use latchkey_engine::pkce::SecretDigest;
use latchkey_engine::store::{AccessTokenRecord, RefreshTokenRecord, StoreError};
use latchkey_engine::Grant;
use sqlx::PgPool;

use crate::codec::{AccessRow, RefreshRow};
use crate::error::map_err;
use crate::pg_batch::all_failed;
use crate::sql;

/// A token to look up: its digest and the time of the request (unix seconds).
pub(crate) type TokenRead = (SecretDigest, i64);
/// A live access token with its grant, if there is one.
pub(crate) type AccessAnswer = Option<(AccessTokenRecord, Grant)>;
/// A live refresh token with its grant, if there is one.
pub(crate) type RefreshAnswer = Option<(RefreshTokenRecord, Grant)>;

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

/// `TokenStore::get_access_token` for a batch of calls.
pub(crate) async fn get_access_tokens(
    pool: PgPool,
    calls: Vec<TokenRead>,
) -> Vec<Result<AccessAnswer, StoreError>> {
    const OP: &str = "get_access_token";
    let (digests, times) = arrays(&calls);
    let rows = sqlx::query_as::<_, NumberedAccess>(sql::GET_ACCESS_MANY)
        .bind(&digests)
        .bind(&times)
        .fetch_all(&pool)
        .await;
    match rows {
        Ok(rows) => place(
            calls.len(),
            rows.into_iter().map(|r| (r.n, r.row.into_pair())),
        ),
        Err(err) => all_failed(calls.len(), &map_err(OP)(err)),
    }
}

/// `TokenStore::get_refresh_token` for a batch of calls.
pub(crate) async fn get_refresh_tokens(
    pool: PgPool,
    calls: Vec<TokenRead>,
) -> Vec<Result<RefreshAnswer, StoreError>> {
    const OP: &str = "get_refresh_token";
    let (digests, times) = arrays(&calls);
    let rows = sqlx::query_as::<_, NumberedRefresh>(sql::GET_REFRESH_MANY)
        .bind(&digests)
        .bind(&times)
        .fetch_all(&pool)
        .await;
    match rows {
        Ok(rows) => place(
            calls.len(),
            rows.into_iter().map(|r| (r.n, r.row.into_pair())),
        ),
        Err(err) => all_failed(calls.len(), &map_err(OP)(err)),
    }
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
