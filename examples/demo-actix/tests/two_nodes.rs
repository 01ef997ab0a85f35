//! Two actix-web demo processes on one PostgreSQL schema: a flow begun on one finishes on the
//! other, and concurrent redemptions of one code on both give exactly one success. Runs
//! when `LATCHKEY_TEST_POSTGRES_URL` is set (and then fails if the database is
//! unreachable); otherwise prints `skipped: LATCHKEY_TEST_POSTGRES_URL not set`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../demo-common/testsuite/nodes.rs"]
mod nodes;

use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_share_one_database() {
    let demo = Path::new(env!("CARGO_BIN_EXE_demo-actix"));
    nodes::two_nodes_share_one_database(demo, demo).await;
}
