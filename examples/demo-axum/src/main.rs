//! The latchkey demo authorization server on axum. Run with:
//! `cargo run --release -p demo-axum -- [--addr 127.0.0.1:8080] [--config demo.toml] [--store memory|sqlite:PATH|postgres://...]`
//!
//! Prints exactly one line, `listening on http://ADDR`, once it accepts connections, then
//! serves until killed.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use latchkey_demo::Cli;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let server = match demo_axum::start(&cli).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("demo-axum: {error}");
            return ExitCode::FAILURE;
        }
    };
    let _purge = server.demo().spawn_purge();
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening on {}", server.url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
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
