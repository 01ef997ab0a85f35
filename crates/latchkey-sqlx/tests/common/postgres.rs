//! A fresh PostgreSQL schema per test, in the database named by
//! `LATCHKEY_TEST_POSTGRES_URL` (tests are skipped, saying so, when it is unset).

use std::str::FromStr;

use latchkey_sqlx::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use latchkey_sqlx::sqlx::Executor;
use latchkey_sqlx::PostgresStore;

const URL_VAR: &str = "LATCHKEY_TEST_POSTGRES_URL";

/// A schema created for one test and dropped when the test ends.
pub struct TestSchema {
    /// The database URL (without the schema).
    pub url: String,
    /// The schema's name.
    pub name: String,
}

impl TestSchema {
    /// `None` (after saying so) when no test database is configured.
    pub async fn create() -> Option<Self> {
        let Ok(url) = std::env::var(URL_VAR) else {
            // Written to stderr directly: the test harness captures `println!`, and this
            // line must be visible in a plain `cargo test` run.
            let test = std::thread::current().name().unwrap_or("test").to_owned();
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("{test}: did not run (skipped: {URL_VAR} not set)\n").as_bytes(),
            );
            return None;
        };
        let name = format!("lk_test_{}", super::random_hex(6));
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        admin
            .execute(format!("CREATE SCHEMA {name}").as_str())
            .await
            .unwrap();
        admin.close().await;
        Some(Self { url, name })
    }

    /// Connect options whose connections keep their tables in this schema.
    pub fn options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.url)
            .unwrap()
            .options([("search_path", self.name.as_str())])
    }

    /// A store whose connections keep their tables in this schema.
    pub async fn store(&self) -> PostgresStore {
        PostgresStore::connect_with(self.options()).await.unwrap()
    }

    pub async fn drop_schema(self) {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await
            .unwrap();
        admin
            .execute(format!("DROP SCHEMA {} CASCADE", self.name).as_str())
            .await
            .unwrap();
        admin.close().await;
    }
}
