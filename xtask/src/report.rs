//! The benchmark's output: one row per (server, store, load, tool), each with its ratio to
//! the floor the same tool measured beside it, rendered as a markdown table with the
//! machine (core count, CPU model) and the run's settings above it, printed and written to
//! a file.

use std::fmt::Write as _;
use std::path::Path;

use crate::driver::Measured;

/// One measured load.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) server: String,
    pub(crate) store: String,
    pub(crate) load: String,
    pub(crate) tool: &'static str,
    pub(crate) concurrency: usize,
    pub(crate) measured: Measured,
    /// `per_sec` over the matching floor's requests/s (same tool).
    pub(crate) ratio: Option<f64>,
    /// That floor's requests/s.
    pub(crate) floor: Option<f64>,
    /// The target ratio, when the issue sets one.
    pub(crate) target: Option<f64>,
    /// With interleaved rounds: the lowest and highest round's own ratio (`ratio` is
    /// then the median round's).
    pub(crate) spread: Option<(f64, f64)>,
}

impl Row {
    fn cells(&self) -> String {
        let m = &self.measured;
        let ms = |d: std::time::Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
        #[allow(clippy::cast_precision_loss)]
        let req_per_sec = m.per_sec * m.requests_per_unit as f64;
        let rate = if m.requests_per_unit > 1 {
            format!("{:.0} ({:.0} flows/s)", req_per_sec, m.per_sec)
        } else {
            format!("{req_per_sec:.0}")
        };
        let ratio = self.ratio.map_or_else(
            || "—".to_owned(),
            |r| {
                let verdict = match self.target {
                    Some(t) if r >= t => format!(" (≥ {:.0}% ✓)", t * 100.0),
                    Some(t) => format!(" (< {:.0}% ✗)", t * 100.0),
                    None => String::new(),
                };
                let floor = self
                    .floor
                    .map_or_else(String::new, |f| format!(" of {f:.0}"));
                let spread = self.spread.map_or_else(String::new, |(lo, hi)| {
                    format!("; rounds {:.0}–{:.0}%", lo * 100.0, hi * 100.0)
                });
                format!("{:.0}%{floor}{spread}{verdict}", r * 100.0)
            },
        );
        let cut = if m.cut_short { " (time limit)" } else { "" };
        format!(
            "| {} | {} | {} | {} | {}{cut} | {} | {rate} | {} | {} | {ratio} |",
            self.server,
            self.store,
            self.load,
            self.tool,
            m.units * m.requests_per_unit,
            self.concurrency,
            ms(m.p50),
            ms(m.p99),
        )
    }
}

/// `nproc` and the CPU model.
pub(crate) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores, {model}")
}

/// The whole report: a header with `settings`, the table and the `notes`.
pub(crate) fn render(settings: &str, rows: &[Row], notes: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# HTTP benchmark\n");
    let _ = writeln!(out, "Machine: {}. {settings}\n", machine());
    let _ = writeln!(
        out,
        "| server | store | load | tool | requests | concurrency | req/s | p50 ms | p99 ms | ratio to floor (floor req/s; range over rounds) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let _ = writeln!(out, "{}", row.cells());
    }
    if !notes.is_empty() {
        let _ = writeln!(out);
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out
}

/// Writes `text` to `path`, creating its directory.
pub(crate) fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_flow_row_shows_requests_flows_and_the_verdict() {
        let row = Row {
            server: "demo-axum".into(),
            store: "memory".into(),
            load: "full flow".into(),
            tool: "driver",
            concurrency: 32,
            measured: Measured {
                units: 100,
                requests_per_unit: 4,
                per_sec: 2000.0,
                p50: Duration::from_micros(1500),
                p99: Duration::from_millis(4),
                cut_short: false,
                wall: Duration::from_millis(50),
                latencies: Vec::new(),
            },
            ratio: Some(0.25),
            floor: Some(32000.0),
            target: Some(0.20),
            spread: Some((0.18, 0.31)),
        };
        let cells = row.cells();
        assert!(
            cells.contains("| 400 | 32 | 8000 (2000 flows/s) | 1.50 | 4.00 |"),
            "{cells}"
        );
        assert!(
            cells.contains("25% of 32000; rounds 18–31% (≥ 20% ✓)"),
            "{cells}"
        );
    }
}
