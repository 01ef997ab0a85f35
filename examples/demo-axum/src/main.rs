//! The latchkey demo authorization server on axum. Run with:
//! `cargo run --release -p demo-axum -- [--addr 127.0.0.1:8080] [--config demo.toml] [--store memory|sqlite:PATH|postgres://...]`
//!
//! Prints exactly one line, `listening on http://ADDR`, once it accepts connections, then
//! serves until killed.

use std::process::ExitCode;

use clap::Parser;
use latchkey_demo::{process, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    process::init_logging();
    let cli = Cli::parse();
    let server = match demo_axum::start(&cli).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("demo-axum: {error}");
            return ExitCode::FAILURE;
        }
    };
    let _purge = server.demo().spawn_purge();
    if !process::announce(&server.url()) {
        return ExitCode::FAILURE;
    }
    match server.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo-axum: {error}");
            ExitCode::FAILURE
        }
    }
}
