//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `e2e-browser`: starts `demo-axum` on a free port and has headless Chromium (Debian's
//!   `chromium`, driven by `playwright-core` from npm) log in, approve, pass SCA and land on
//!   the built-in client's balance page; saves a screenshot to `target/e2e/`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

mod browser;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A demo server started for a task; killed when dropped.
pub(crate) struct DemoServer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub(crate) base_url: String,
}

impl DemoServer {
    /// Builds and starts `package` with `args`, waiting for its `listening on` line.
    pub(crate) fn start(package: &str, args: &[&str]) -> Result<Self, String> {
        let root = workspace_root();
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--release", "-p", package])
            .current_dir(&root)
            .status()
            .map_err(|e| format!("cargo build failed to start: {e}"))?;
        if !status.success() {
            return Err(format!("building {package} failed"));
        }
        let binary = root.join("target").join("release").join(package);
        let mut child = Command::new(&binary)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
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
        _ => Err("usage: cargo xtask e2e-browser".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
