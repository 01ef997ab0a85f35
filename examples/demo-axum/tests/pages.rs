//! The demo pages on the axum server, started in process on `127.0.0.1:0`: the walks of
//! `demo-common/testsuite/walk.rs`, shared with the other framework's demo.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../demo-common/testsuite/walk.rs"]
mod walk;

walk::page_tests!(demo_axum::start);
