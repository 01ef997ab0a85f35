//! Starting each demo in-process on a free loopback port.
#![allow(dead_code, unreachable_pub, clippy::expect_used)]

use latchkey_demo::Cli;

/// A running demo, whichever adapter serves it. Dropping it stops the server.
pub struct Running {
    pub base: String,
    _axum: Option<demo_axum::Server>,
    _actix: Option<demo_actix::Server>,
}

pub async fn start_axum() -> Running {
    start_axum_with(&Cli::for_tests()).await
}

pub async fn start_actix() -> Running {
    start_actix_with(&Cli::for_tests()).await
}

pub async fn start_axum_with(cli: &Cli) -> Running {
    let server = demo_axum::start(cli).await.expect("demo-axum starts");
    Running {
        base: server.url(),
        _axum: Some(server),
        _actix: None,
    }
}

pub async fn start_actix_with(cli: &Cli) -> Running {
    let server = demo_actix::start(cli).await.expect("demo-actix starts");
    Running {
        base: server.url(),
        _axum: None,
        _actix: Some(server),
    }
}
