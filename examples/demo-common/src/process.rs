//! What both demo binaries do around their server, so their `main`s differ only in the
//! framework they start: logs to stderr (filter from `RUST_LOG`, default `info`), and
//! exactly one line on stdout, `listening on http://ADDR`, once connections are accepted —
//! the line scripts and tests wait for.

use std::io::Write;

use tracing_subscriber::EnvFilter;

/// Sends `tracing` output to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Prints `listening on URL` and flushes stdout. `false` if stdout is gone.
pub fn announce(url: &str) -> bool {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {url}")
        .and_then(|()| stdout.flush())
        .is_ok()
}
