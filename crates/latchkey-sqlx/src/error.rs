//! Turning sqlx failures into [`StoreError`]s. A database that cannot be reached (refused
//! or dropped connections, pool timeouts, a server shutting down, a busy SQLite file)
//! becomes [`StoreError::Unavailable`], which the engine answers with
//! `503 temporarily_unavailable`; a unique-key conflict becomes [`StoreError::Duplicate`];
//! undecodable rows become [`StoreError::Corrupt`]; anything else [`StoreError::Other`].
//! Messages name the operation and the kind of failure only: never a bound value, a
//! connection string or a database-provided detail that might echo one.

use latchkey_engine::store::StoreError;
use sqlx::error::ErrorKind;

/// Maps a sqlx error raised while performing `op` to a [`StoreError`].
pub(crate) fn map_err(op: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |err| classify(op, &err)
}

fn classify(op: &'static str, err: &sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Io(io) => {
            StoreError::Unavailable(format!("{op}: database connection failed ({})", io.kind()))
        }
        sqlx::Error::Tls(_) => StoreError::Unavailable(format!("{op}: TLS handshake failed")),
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable(format!("{op}: timed out waiting for a database connection"))
        }
        sqlx::Error::PoolClosed => {
            StoreError::Unavailable(format!("{op}: the connection pool is closed"))
        }
        sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(format!("{op}: the database worker stopped"))
        }
        sqlx::Error::Database(db) => classify_database(op, db.as_ref()),
        sqlx::Error::ColumnDecode { index, .. } => {
            StoreError::Corrupt(format!("{op}: column {index} holds an undecodable value"))
        }
        sqlx::Error::Decode(_) => StoreError::Corrupt(format!("{op}: undecodable value")),
        sqlx::Error::ColumnNotFound(name) => StoreError::Other(format!(
            "{op}: column {name} missing (schema not migrated?)"
        )),
        sqlx::Error::RowNotFound => StoreError::Other(format!("{op}: expected row missing")),
        sqlx::Error::Configuration(_) => {
            StoreError::Other(format!("{op}: invalid database configuration"))
        }
        sqlx::Error::Migrate(_) => StoreError::Other(format!("{op}: migration failed")),
        _ => StoreError::Other(format!("{op}: database driver error")),
    }
}

fn classify_database(op: &'static str, db: &dyn sqlx::error::DatabaseError) -> StoreError {
    if matches!(db.kind(), ErrorKind::UniqueViolation) {
        return StoreError::Duplicate;
    }
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    if is_transient(&code) {
        return StoreError::Unavailable(format!("{op}: database temporarily refused ({code})"));
    }
    let table = db.table().unwrap_or("-");
    StoreError::Other(format!("{op}: database error {code} (table {table})"))
}

/// How many times a transaction aborted by [`is_conflict`] is run in all.
pub(crate) const CONFLICT_ATTEMPTS: u32 = 5;

/// Whether the database aborted a transaction to resolve a conflict with another one
/// (PostgreSQL deadlock `40P01` or serialization failure `40001`): the transaction rolled
/// back whole, and running it again is safe.
pub(crate) fn is_conflict(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("40P01") | Some("40001"))
        }
        _ => false,
    }
}

/// SQLSTATEs / SQLite result codes that mean "try again later" rather than a bug.
fn is_transient(code: &str) -> bool {
    // PostgreSQL: class 08 connection exceptions, 53 insufficient resources, 57P0x
    // shutdowns, 40001/40P01 serialization failure and deadlock.
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P0")
        || code == "40001"
        || code == "40P01"
        // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6) and their extended codes, which
        // (unlike five-character SQLSTATEs) have at most four digits.
        || (code.len() <= 4 && code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_unavailable() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(matches!(
            map_err("op")(sqlx::Error::Io(io)),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            map_err("op")(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn configuration_errors_do_not_echo_their_text() {
        let err = sqlx::Error::Configuration("postgres://u:hunter2@h/db".into());
        let text = map_err("connect")(err).to_string();
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn transient_codes() {
        assert!(is_transient("08006"));
        assert!(is_transient("57P01"));
        assert!(is_transient("5"));
        assert!(is_transient("517"));
        assert!(!is_transient("23505"));
        assert!(!is_transient("1"));
        assert!(!is_transient("22005"));
    }
}
