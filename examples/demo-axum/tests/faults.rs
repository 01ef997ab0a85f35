//! The axum demo as a process on PostgreSQL reached through a TCP proxy the test stops and
//! starts: during the outage it answers 503 and keeps running, afterwards it recovers by
//! itself with nothing half-written. Runs when `LATCHKEY_TEST_POSTGRES_URL` is set (and
//! then fails if the database is unreachable); otherwise prints
//! `skipped: LATCHKEY_TEST_POSTGRES_URL not set`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../demo-common/testsuite/nodes.rs"]
mod nodes;

use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_outage_is_503_and_the_demo_recovers() {
    nodes::database_outage_is_503_and_recovers(Path::new(env!("CARGO_BIN_EXE_demo-axum"))).await;
}
