//! Opening the store a [`StoreSpec`] names: connect, run the embedded migrations and
//! upsert the demo's clients, so every node started with the same configuration sees the
//! same registrations. Failures become [`DemoError::Store`] messages that say what could
//! not be opened (with any password masked), never a panic.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use latchkey_engine::store::{Client, Storage};
use latchkey_engine::MemoryStore;
use latchkey_sqlx::sqlx::postgres::PgConnectOptions;
use latchkey_sqlx::sqlx::sqlite::SqliteConnectOptions;
use latchkey_sqlx::{PostgresStore, SqliteStore};

use crate::app::DemoError;

/// How long the PostgreSQL store may serve a cached client registration if its change
/// notifications stop arriving without its connection noticing.
const CLIENT_CACHE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);
use crate::cli::{mask_password, StoreSpec};

/// Opens the store `spec` names, migrates it and registers `clients` in it.
pub(crate) async fn open_store(
    spec: &StoreSpec,
    clients: Vec<Client>,
) -> Result<Arc<dyn Storage>, DemoError> {
    match spec {
        StoreSpec::Memory => {
            let store = MemoryStore::new();
            for client in clients {
                store.put_client(client);
            }
            Ok(Arc::new(store))
        }
        StoreSpec::Sqlite(path) => Ok(Arc::new(open_sqlite(path, &clients).await?)),
        StoreSpec::Postgres(url) => Ok(Arc::new(open_postgres(url, &clients).await?)),
    }
}

async fn open_sqlite(path: &Path, clients: &[Client]) -> Result<SqliteStore, DemoError> {
    let fail = |what: String| {
        DemoError::Store(format!(
            "cannot open the SQLite database at {}: {what}",
            path.display()
        ))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(fail(format!("directory {} does not exist", dir.display())));
        }
    }
    let options = SqliteConnectOptions::new().filename(path);
    let store = SqliteStore::connect_with(options)
        .await
        .map_err(|e| fail(e.to_string()))?;
    store.migrate().await.map_err(|e| fail(e.to_string()))?;
    for client in clients {
        store
            .put_client(client)
            .await
            .map_err(|e| fail(format!("registering client {}: {e}", client.id)))?;
    }
    Ok(store)
}

/// `url` without its `schema` query parameter, and that parameter's value.
fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("schema", value)) => {
                schema = Some(value.to_owned());
                false
            }
            _ => !pair.is_empty(),
        })
        .collect();
    if rest.is_empty() {
        (base.to_owned(), schema)
    } else {
        (format!("{base}?{}", rest.join("&")), schema)
    }
}

/// A schema name safe to interpolate: a lower-case SQL identifier of at most 63 bytes.
fn valid_schema(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

async fn open_postgres(url: &str, clients: &[Client]) -> Result<PostgresStore, DemoError> {
    let fail = |what: String| {
        DemoError::Store(format!(
            "cannot open the PostgreSQL database at {}: {what}",
            mask_password(url)
        ))
    };
    let (url_without_schema, schema) = split_schema(url);
    let mut options = PgConnectOptions::from_str(&url_without_schema)
        .map_err(|_| fail("not a valid PostgreSQL URL".into()))?;
    if let Some(schema) = &schema {
        if !valid_schema(schema) {
            return Err(fail(format!(
                "schema {schema:?} must be a lower-case identifier (a-z, 0-9, _)"
            )));
        }
        options = options.options([("search_path", schema.as_str())]);
    }
    // Registered clients are cached (changes reach every node through the trigger's
    // NOTIFY; see `PostgresStore::with_client_cache`), so a token request's first step
    // is not a database read.
    let store = PostgresStore::connect_with(options)
        .await
        .map_err(|e| fail(e.to_string()))?
        .with_client_cache(CLIENT_CACHE_MAX_AGE);
    if let Some(schema) = &schema {
        create_schema(&store, schema)
            .await
            .map_err(|e| fail(format!("creating schema {schema}: {e}")))?;
    }
    store.migrate().await.map_err(|e| fail(e.to_string()))?;
    for client in clients {
        store
            .put_client(client)
            .await
            .map_err(|e| fail(format!("registering client {}: {e}", client.id)))?;
    }
    Ok(store)
}

/// `CREATE SCHEMA IF NOT EXISTS`, tolerating another node creating it at the same moment
/// (PostgreSQL may then report a unique violation instead of skipping).
async fn create_schema(store: &PostgresStore, schema: &str) -> Result<(), String> {
    let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
    match latchkey_sqlx::sqlx::query(&sql).execute(store.pool()).await {
        Ok(_) => Ok(()),
        Err(latchkey_sqlx::sqlx::Error::Database(db))
            if db.code().is_some_and(|c| c == "23505" || c == "42P06") =>
        {
            Ok(())
        }
        Err(latchkey_sqlx::sqlx::Error::Database(db)) => Err(format!(
            "database error {}",
            db.code().map(|c| c.into_owned()).unwrap_or_default()
        )),
        Err(_) => Err("database connection failed".into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_parameter_is_taken_out_of_the_url() {
        assert_eq!(
            split_schema("postgres://h/db?schema=lk_a"),
            ("postgres://h/db".into(), Some("lk_a".into()))
        );
        assert_eq!(
            split_schema("postgres://h/db?sslmode=disable&schema=lk_a&application_name=x"),
            (
                "postgres://h/db?sslmode=disable&application_name=x".into(),
                Some("lk_a".into())
            )
        );
        assert_eq!(
            split_schema("postgres://h/db"),
            ("postgres://h/db".into(), None)
        );
        assert!(valid_schema("lk_test_01"));
        assert!(!valid_schema("Lk"));
        assert!(!valid_schema("a\"; DROP"));
        assert!(!valid_schema(""));
    }

    #[tokio::test]
    async fn a_missing_directory_is_a_clear_error() {
        let spec = StoreSpec::Sqlite("/nonexistent-latchkey-dir/lk.db".into());
        let err = open_store(&spec, Vec::new())
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("cannot open the SQLite database at /nonexistent-latchkey-dir/lk.db"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_postgres_is_a_clear_error_without_the_password() {
        let spec = StoreSpec::Postgres("postgres://u:hunter2@127.0.0.1:1/db".into());
        let err = open_store(&spec, Vec::new())
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("cannot open the PostgreSQL database at postgres://u:****@127.0.0.1:1/db"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}
