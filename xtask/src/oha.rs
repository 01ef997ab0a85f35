//! The stateless loads through `oha` (crates.io), when it is installed: a fixed request
//! sent `-n` times over `-c` keep-alive connections, its JSON summary read back for
//! requests/s and the p50/p99 latencies. Without `oha` the benchmark says how to install it
//! (`cargo install oha --locked`) and keeps to its own driver; it never installs it.

use std::process::Command;
use std::time::Duration;

use crate::driver::{Fixed, Measured};

/// The installed `oha`'s version line, or `None` when it cannot be run.
pub(crate) fn version() -> Option<String> {
    let output = Command::new("oha").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn number(json: &serde_json::Value, path: &[&str]) -> Option<f64> {
    path.iter()
        .try_fold(json, |value, key| value.get(*key))?
        .as_f64()
}

/// Sends `fixed` `requests` times at `concurrency` with `oha`; a run longer than
/// `time_limit` is flagged as cut short.
pub(crate) fn run(
    fixed: &Fixed,
    requests: usize,
    concurrency: usize,
    time_limit: Duration,
) -> Result<Measured, String> {
    let mut command = Command::new("oha");
    command
        .args(["--no-tui", "--output-format", "json"])
        .args(["-n", &requests.to_string()])
        .args(["-c", &concurrency.to_string()])
        .args(["-m", fixed.method.as_str()]);
    for (name, value) in &fixed.headers {
        let value = value
            .to_str()
            .map_err(|_| format!("header {name} is not text"))?;
        command.args(["-H", &format!("{name}: {value}")]);
    }
    if !fixed.body.is_empty() {
        let body = std::str::from_utf8(&fixed.body).map_err(|_| "body is not text")?;
        command.args(["-d", body]);
    }
    command.arg(fixed.uri.to_string());
    let output = command
        .output()
        .map_err(|e| format!("oha failed to start: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "oha failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("oha output is not JSON: {e}"))?;
    let statuses = json
        .get("statusCodeDistribution")
        .and_then(serde_json::Value::as_object)
        .ok_or("oha output without statusCodeDistribution")?;
    let mut ok = 0usize;
    for (status, count) in statuses {
        let count = count
            .as_u64()
            .and_then(|c| usize::try_from(c).ok())
            .unwrap_or(0);
        if status != "200" {
            return Err(format!(
                "oha: {count} responses with status {status} from {} {}",
                fixed.method, fixed.uri
            ));
        }
        ok += count;
    }
    if let Some(errors) = json
        .get("errorDistribution")
        .and_then(serde_json::Value::as_object)
    {
        if let Some((error, count)) = errors.iter().next() {
            return Err(format!("oha: {count} × {error}"));
        }
    }
    let per_sec = number(&json, &["summary", "requestsPerSec"]).ok_or("oha: no requestsPerSec")?;
    let total = number(&json, &["summary", "total"]).unwrap_or(0.0);
    // latencyPercentiles are in seconds.
    let quantile = |name: &str| {
        number(&json, &["latencyPercentiles", name])
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("oha: no latency {name}"))
    };
    Ok(Measured {
        units: ok,
        requests_per_unit: 1,
        per_sec,
        p50: quantile("p50")?,
        p99: quantile("p99")?,
        cut_short: ok < requests || total > time_limit.as_secs_f64(),
        wall: Duration::from_secs_f64(total.max(0.0)),
        latencies: Vec::new(),
    })
}
