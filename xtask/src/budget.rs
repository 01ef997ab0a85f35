//! `cargo xtask bench-budget`: how much handler CPU each target ratio leaves a request.
//! The floor server's `POST /work` is the floor's handler after a busy wait of a given
//! number of µs; each amount is measured against the plain floor with `bench-http`'s
//! interleaved method (same driver, concurrency and rounds), and the table shows the ratio
//! each amount of extra work per request costs. Where the ratios cross a target (90 %,
//! 85 %, 80 %) the command prints the interpolated budget: the most a server may spend per
//! request beyond the bare handler and still meet it, on this machine. A full flow at 20 %
//! of the floor's rate in flows of 4 requests is the 80 % budget per request on average.
//! With `--oha` the requests go through `oha` instead of the own driver: the budget
//! depends on the load generator, since what it spends per request shares the cores too.
//!
//! Run with: `cargo xtask bench-budget [--oha] [--requests N] [--rounds R]
//! [--concurrency C] [--work-us 0,1,2,3,4,6,8] [--out FILE]` (defaults: 60 000 requests
//! per amount, 30 rounds (10 with `oha`), concurrency 32; table in
//! `target/bench/budget.md`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use http::Method;

use crate::loads::{Group, Settings, Tool};
use crate::report::{self, Row};
use crate::{driver, floor, oha, DemoServer};

/// The ratios the issue asks of single requests.
const TARGETS: [f64; 3] = [0.90, 0.85, 0.80];

struct Args {
    settings: Settings,
    tool: Tool,
    work_us: Vec<f64>,
    out: PathBuf,
}

fn parse(root: &Path, args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        settings: Settings::standard(Duration::from_secs(120)),
        tool: Tool::Driver,
        work_us: vec![0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0],
        out: root.join("target").join("bench").join("budget.md"),
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        if parsed.settings.take_flag(flag, &mut rest)? {
            continue;
        }
        let mut value = || rest.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--work-us" => parsed.work_us = work_list(value()?)?,
            "--oha" => parsed.tool = Tool::Oha,
            "--out" => parsed.out = PathBuf::from(value()?),
            other => return Err(format!("bench-budget: unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

/// `0,1,2.5` as µs amounts, each within `0..=MAX_WORK_NS`, in ascending order without
/// repeats (the budget is interpolated between neighbouring amounts).
fn work_list(text: &str) -> Result<Vec<f64>, String> {
    #[allow(clippy::cast_precision_loss)]
    let max_us = floor::MAX_WORK_NS as f64 / 1000.0;
    text.split(',')
        .map(|part| {
            let us: f64 = part
                .trim()
                .parse()
                .map_err(|e| format!("--work-us {part:?}: {e}"))?;
            if (0.0..=max_us).contains(&us) {
                Ok(us)
            } else {
                Err(format!("--work-us {part}: expected 0 to {max_us} µs"))
            }
        })
        .collect::<Result<Vec<f64>, String>>()
        .map(|mut amounts| {
            amounts.sort_by(f64::total_cmp);
            amounts.dedup();
            amounts
        })
}

/// Where the measured (µs, ratio) points first fall to `target`, by linear interpolation
/// between the last point above it and the first below; `None` if no point reaches it on
/// either side.
fn budget_at(points: &[(f64, f64)], target: f64) -> Option<f64> {
    let below = points.iter().position(|&(_, ratio)| ratio < target)?;
    let (x1, y1) = *points.get(below)?;
    let (x0, y0) = *points.get(below.checked_sub(1)?)?;
    if y0 - y1 <= f64::EPSILON {
        return Some(x0);
    }
    Some(x0 + (y0 - target) / (y0 - y1) * (x1 - x0))
}

/// Runs the calibration, from a release build of xtask (as `bench-http` does).
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if let Some(done) = crate::in_release("bench-budget", args) {
        return done;
    }
    let args = parse(root, args)?;
    if matches!(args.tool, Tool::Oha) && oha::version().is_none() {
        return Err("--oha: oha is not installed (cargo install oha --locked)".to_owned());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let floor_server = DemoServer::start_with(
        "xtask",
        &["floor-server", "--addr", "127.0.0.1:0"],
        &[],
        Stdio::inherit(),
    )?;
    println!("floor at {}", floor_server.base_url);
    let group = Group {
        settings: &args.settings,
        runtime: &runtime,
        client: driver::client(args.settings.concurrency),
        server: "floor",
        store: "—",
        demo_base: &floor_server.base_url,
        floor_base: &floor_server.base_url,
    };
    let warm_up = floor::request(&floor_server.base_url, Method::POST)?;
    group.send(args.tool, &warm_up, args.settings.requests / 10)?;
    let mut rows: Vec<Row> = Vec::new();
    let mut points = Vec::new();
    for &us in &args.work_us {
        // Whole nanoseconds: the header carries an integer.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ns = (us * 1000.0).round() as u64;
        let fixed = floor::work_request(&floor_server.base_url, ns)?;
        let label = format!("floor POST + {us} µs busy wait");
        let row = group.interleaved_by(
            args.tool,
            &label,
            Method::POST,
            args.settings.requests,
            |units| group.send(args.tool, &fixed, units),
        )?;
        println!(
            "{us:>5} µs: {:.0}%",
            row.ratio.map_or(f64::NAN, |r| r * 100.0)
        );
        if let Some(ratio) = row.ratio {
            points.push((us, ratio));
        }
        rows.push(row);
    }
    let mut notes = Vec::new();
    for target in TARGETS {
        notes.push(match budget_at(&points, target) {
            Some(us) => format!(
                "budget for {:.0} %: about {us:.1} µs of handler CPU per request beyond the floor's",
                target * 100.0
            ),
            None => format!(
                "budget for {:.0} %: not bracketed by the measured amounts",
                target * 100.0
            ),
        });
    }
    notes.push(
        "a full flow of 4 requests at 20 % of the floor's rate is 80 % per request on average"
            .to_owned(),
    );
    let s = &args.settings;
    let settings = format!(
        "Floor handler plus a busy wait, against the plain floor: {} requests per amount at \
         concurrency {}, sent by {}, in rounds interleaved with the floor (as bench-http, up \
         to {}); the ratio is the median round's.",
        s.requests,
        s.concurrency,
        match args.tool {
            Tool::Driver => "the own driver",
            Tool::Oha => "oha",
        },
        s.rounds
    );
    let text = report::render(&settings, &rows, &notes);
    println!("\n{text}");
    report::write(&args.out, &text)?;
    println!("written to {}", args.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_interpolated_where_the_ratio_crosses_the_target() {
        let points = [(0.0, 1.0), (2.0, 0.9), (4.0, 0.8)];
        let near = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
        assert!(near(budget_at(&points, 0.85), 3.0));
        assert!(near(budget_at(&points, 0.95), 1.0));
        // Exactly on a point is not below it: the next point brackets it.
        assert!(near(budget_at(&points, 0.9), 2.0));
        // Never below, or below from the first point on: not bracketed.
        assert_eq!(budget_at(&points, 0.5), None);
        assert_eq!(budget_at(&[(1.0, 0.7), (2.0, 0.6)], 0.8), None);
    }

    #[test]
    fn the_budget_takes_the_first_crossing_of_noisy_points() {
        let points = [(0.0, 1.0), (1.0, 0.84), (2.0, 0.88), (3.0, 0.7)];
        let budget = budget_at(&points, 0.85);
        assert!(budget.is_some_and(|b| b < 1.0), "{budget:?}");
    }

    #[test]
    fn work_amounts_are_parsed_and_bounded() {
        assert_eq!(work_list("0, 1,2.5"), Ok(vec![0.0, 1.0, 2.5]));
        // Any order in, ascending and without repeats out.
        assert_eq!(work_list("4,1,2,1"), Ok(vec![1.0, 2.0, 4.0]));
        assert!(work_list("1,x").is_err());
        assert!(work_list("-1").is_err());
        assert!(work_list("1001").is_err());
    }
}
