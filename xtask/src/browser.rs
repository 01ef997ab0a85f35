//! The browser end-to-end test: a real headless Chromium walks the demo's built-in client
//! through login, consent and strong customer authentication to the balance page.

use std::path::Path;
use std::process::Command;

use crate::DemoServer;

const CHROMIUM: &str = "/usr/bin/chromium";

pub(crate) fn run(root: &Path) -> Result<(), String> {
    if !Path::new(CHROMIUM).exists() {
        return Err(format!(
            "{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"
        ));
    }
    let script_dir = root.join("xtask").join("browser");
    if !script_dir
        .join("node_modules")
        .join("playwright-core")
        .exists()
    {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&script_dir)
            .status()
            .map_err(|e| format!("npm failed to start: {e}"))?;
        if !status.success() {
            return Err("npm ci failed".into());
        }
    }
    let out_dir = root.join("target").join("e2e");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let screenshot = out_dir.join("browser-flow.png");
    let demo = DemoServer::start("demo-axum", &["--addr", "127.0.0.1:0"])?;
    println!("demo-axum at {}", demo.base_url);
    let status = Command::new("node")
        .arg(script_dir.join("flow.mjs"))
        .arg(&demo.base_url)
        .arg(&screenshot)
        .arg(CHROMIUM)
        .status()
        .map_err(|e| format!("node failed to start: {e}"))?;
    if !status.success() {
        return Err("browser flow failed".into());
    }
    println!("browser flow passed; screenshot: {}", screenshot.display());
    Ok(())
}
