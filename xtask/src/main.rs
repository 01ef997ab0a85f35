//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `e2e-browser`: starts `demo-axum` on a free port and has headless Chromium (Debian's
//!   `chromium`, driven by `playwright-core` from npm) log in, approve, pass SCA and land on
//!   the built-in client's balance page; saves a screenshot to `target/e2e/`.
//! - `bench-http [--requests N] [--db-requests N] [--concurrency C] [--out FILE]
//!   [--only axum|actix] [--rust-log LEVEL] [--max-secs S] [--rounds R]`: HTTP benchmarks of both demos against a bare axum
//!   floor (see `bench`).
//! - `http-cost [--requests N] [--concurrency C] [--only axum|actix] [--out DIR]`: the
//!   servers' instructions per request for each load and the floor, under callgrind
//!   (see `cost`).
//! - `floor-server [--addr HOST:PORT] [--actix]`: the bare axum handler the benchmark
//!   compares with, and the hand-written bare exchange measured beside it for reference
//!   (see `bare`); with `--actix`, the same on actix-web (see `floor_actix`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

mod bare;
mod bench;
mod browser;
mod budget;
mod cost;
mod driver;
mod floor;
mod floor_actix;
mod loads;
mod oauth;
mod oha;
mod report;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Builds `package` in release mode; returns its binary (named like the package).
pub(crate) fn build_release(package: &str) -> Result<PathBuf, String> {
    build(package, true)
}

/// From a debug `cargo xtask`, builds the release xtask and runs `subcommand` with `args`
/// in it (so a load generator is optimized like the servers it measures): `Some(result)`.
/// `None` when this already is the release build, which then does the work itself.
pub(crate) fn in_release(subcommand: &str, args: &[String]) -> Option<Result<(), String>> {
    if !cfg!(debug_assertions) {
        return None;
    }
    Some(build_release("xtask").and_then(|release| {
        let status = Command::new(&release)
            .arg(subcommand)
            .args(args)
            .status()
            .map_err(|e| format!("cannot start {}: {e}", release.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{subcommand} (release) failed: {status}"))
        }
    }))
}

/// Builds `package` (release or debug); returns its binary (named like the package).
fn build(package: &str, release: bool) -> Result<PathBuf, String> {
    let root = workspace_root();
    let mut args = vec!["build", "--quiet", "-p", package];
    if release {
        args.push("--release");
    }
    let status = Command::new(env!("CARGO"))
        .args(&args)
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cargo build failed to start: {e}"))?;
    if !status.success() {
        return Err(format!("building {package} failed"));
    }
    let profile = if release { "release" } else { "debug" };
    Ok(target_dir(&root).join(profile).join(package))
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the workspace root) when
/// set, as `cargo build` above honours it, else `target/`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// A demo server started for a task; killed when dropped.
pub(crate) struct DemoServer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub(crate) base_url: String,
}

impl DemoServer {
    /// Builds `package` in debug mode (what `cargo test` has already built, so a CI run
    /// compiles nothing twice) and starts it with `args`, waiting for its `listening on`
    /// line. For functional checks; benchmarks use [`DemoServer::start_with`] (release).
    pub(crate) fn start(package: &str, args: &[&str]) -> Result<Self, String> {
        Self::spawn(
            &build(package, false)?,
            package,
            args,
            &[],
            Stdio::inherit(),
        )
    }

    /// Builds `package` in release mode and starts it with extra environment variables,
    /// sending its stderr where told.
    pub(crate) fn start_with(
        package: &str,
        args: &[&str],
        envs: &[(&str, &str)],
        stderr: Stdio,
    ) -> Result<Self, String> {
        Self::spawn(&build_release(package)?, package, args, envs, stderr)
    }

    fn spawn(
        binary: &Path,
        package: &str,
        args: &[&str],
        envs: &[(&str, &str)],
        stderr: Stdio,
    ) -> Result<Self, String> {
        let mut child = Command::new(binary)
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base_url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_owned();
                    }
                }
                _ => {
                    let _ = child.kill();
                    return Err(format!("{package} exited before listening"));
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Self { child, base_url })
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("e2e-browser") => browser::run(&workspace_root()),
        Some("bench-http") => bench::run(&workspace_root(), &args[1..]),
        Some("bench-budget") => budget::run(&workspace_root(), &args[1..]),
        Some("floor-server") => floor::serve(&args[1..]),
        Some("http-cost") => cost::run(&workspace_root(), &args[1..]),
        _ => Err(
            "usage: cargo xtask e2e-browser | bench-http [--requests N] [--db-requests N] \
             [--concurrency C] [--out FILE] [--only axum|actix] [--rust-log LEVEL] \
             [--max-secs S] [--rounds R] | \
             bench-budget [--oha] [--requests N] [--rounds R] [--concurrency C] [--work-us LIST] \
             [--out FILE] | \
             http-cost [--requests N] [--concurrency C] [--only axum|actix] [--out DIR] | \
             floor-server [--addr HOST:PORT] [--actix]"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
