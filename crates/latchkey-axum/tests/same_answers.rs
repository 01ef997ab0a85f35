//! The shared scenario through the axum adapter: every answer as the table says, and the
//! same as the actix-web adapter's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::scenario::{check, run};
use support::transports::{Actix, Axum};

#[actix_web::test]
async fn axum_answers_as_the_table_and_as_actix_does() {
    let axum = run(&Axum).await;
    check(&axum);
    assert_eq!(axum, run(&Actix).await);
}
