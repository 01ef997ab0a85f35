//! The shared scenario (kept with the axum adapter's tests) through the actix-web
//! adapter: every answer as the table says, and the same as the axum adapter's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../latchkey-axum/tests/support/mod.rs"]
mod support;

use support::scenario::{check, run};
use support::transports::{Actix, Axum};

#[actix_web::test]
async fn actix_answers_as_the_table_and_as_axum_does() {
    let actix = run(&Actix).await;
    check(&actix);
    assert_eq!(actix, run(&Axum).await);
}
