//! The demo pages on the axum server, started in process on `127.0.0.1:0`: the walks of
//! `demo-common/testsuite/walk.rs`, shared with the other framework's demo.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../demo-common/testsuite/walk.rs"]
mod walk;

use latchkey_demo::Cli;

async fn server() -> demo_axum::Server {
    demo_axum::start(&Cli::for_tests())
        .await
        .expect("the demo starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_client_shows_the_balance() {
    let server = server().await;
    walk::built_in_client_shows_the_balance(&server.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trade_requires_strong_authentication() {
    let server = server().await;
    walk::trade_requires_strong_authentication(&server.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_cookieless_forms_are_refused() {
    let server = server().await;
    walk::forged_and_cookieless_forms_are_refused(&server.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_served_at_the_root() {
    let server = server().await;
    let metadata: serde_json::Value = reqwest::get(format!(
        "{}/.well-known/oauth-authorization-server",
        server.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(metadata["issuer"], server.url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_per_username() {
    let server = server().await;
    walk::sign_in_is_throttled_per_username(&server.url()).await;
}
