//! The axum demo as a process on SQLite: restarted, it still honours the codes, access
//! tokens and refresh tokens it issued before (see `demo-common/testsuite/nodes.rs`).
//! Needs no external service, so it always runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../demo-common/testsuite/nodes.rs"]
mod nodes;

use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_demo_honours_what_it_issued() {
    nodes::restart_keeps_codes_and_tokens(Path::new(env!("CARGO_BIN_EXE_demo-axum"))).await;
}
