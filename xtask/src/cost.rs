//! `cargo xtask http-cost`: the deterministic companion of `bench-http`. Starts the floor
//! server (and, when actix is measured, the same floor on actix-web: see `floor_actix`)
//! and each demo (release builds, `RUST_LOG=warn`, the memory store unless
//! `--store` names another) under valgrind's callgrind, sends the same number of
//! requests of every load kind through the
//! benchmark's own driver, and prints the **server's instructions per request** for each
//! load next to the floor's, with the ratio they predict for a server-bound run (floor
//! instructions / load instructions; a flow is per flow). Wall-clock req/s on a shared
//! machine moves by ±10 points between runs; these counts do not.
//!
//! Each load is bracketed by `callgrind_control --zero` and `--dump`, so one dump file
//! per load stays in `--out` (default `target/bench/callgrind/`) for `callgrind_annotate
//! --inclusive=yes FILE`. Set-up requests (tokens for refresh and the stateless loads,
//! a warm-up) are sent before the counters are zeroed and are not counted.
//!
//! With `--native` the servers run without valgrind and the table shows instead the CPU
//! time per request of the server and of the load generator (every thread, user and
//! kernel, from `/proc/*/task/*/schedstat`): less exact than instructions, but it counts
//! the kernel's share and the client's, which the wall-clock ratio also pays on a shared
//! machine. Beside it, how many times each side's threads were put on a CPU per request
//! (the same files' third field): a load that woke parked threads more often than the
//! floor would show it there. Use 20 000 requests or more there.
//!
//! With `--native --perf` each load's server is also sampled by `perf record -e cpu-clock`
//! (flat, no call graph; the one event a VM without hardware counters offers), one file per
//! load in `--out` (`demo-axum.perf.2` is the second load), for `perf report -i FILE
//! --sort dso,sym`: where the server's time went natively, which callgrind cannot show
//! (it runs SHA-256 without the CPU's SHA extensions and counts instructions, not time).
//! perf's own sampling takes CPU from the same cores, so read the CPU-time table of a
//! `--perf` run as perturbed and take the figures from a run without it. `--perf-graph`
//! records call graphs as well (`--call-graph dwarf`: files of tens of MB, and more
//! perturbation), for `perf report --children`: how much of a request each layer
//! (hyper, routing, adapter, engine, store) takes with everything it calls.
//!
//! `--store` takes what the demos' `--store` takes (`sqlite:PATH`, `postgres://…`). The
//! demos write into that database as it is, so give each run a fresh file or schema
//! (`?options=-csearch_path%3Dlk_cost`): tables left by earlier runs make every load's
//! indexes larger. The tables name the store's kind, never its URL (it may hold a
//! password).
//!
//! `cargo xtask http-cost [--native [--perf | --perf-graph]] [--requests N] [--concurrency
//! C] [--only axum|actix] [--store memory|sqlite:PATH|postgres://…] [--out DIR]` (defaults
//! 2000, 32).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use tokio::runtime::Runtime;

use crate::bare::{Bare, BareCode, BARE_EXCHANGE};
use crate::driver::{self, HttpClient};
use crate::oauth::{Code, OAuth};
use crate::{floor, DemoServer};

/// Whether and how `--native` loads are sampled by `perf record`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Perf {
    Off,
    /// Flat samples (`--perf`).
    Flat,
    /// Samples with DWARF call graphs (`--perf-graph`).
    Graph,
}

struct Args {
    native: bool,
    perf: Perf,
    requests: usize,
    concurrency: usize,
    only: Option<String>,
    store: String,
    out: PathBuf,
}

fn parse(root: &Path, args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        native: false,
        perf: Perf::Off,
        requests: 2000,
        concurrency: 32,
        only: None,
        store: "memory".to_owned(),
        out: crate::target_dir(root).join("bench").join("callgrind"),
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().ok_or(format!("{flag} needs a value"));
        let number = |v: &String| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--native" => parsed.native = true,
            "--perf" => parsed.perf = Perf::Flat,
            "--perf-graph" => parsed.perf = Perf::Graph,
            "--requests" => parsed.requests = number(value()?)?.max(1),
            "--concurrency" => parsed.concurrency = number(value()?)?.max(1),
            "--out" => parsed.out = PathBuf::from(value()?),
            "--store" => parsed.store = value()?.clone(),
            "--only" => {
                let only = value()?.clone();
                if only != "axum" && only != "actix" {
                    return Err(format!("--only {only}: expected axum or actix"));
                }
                parsed.only = Some(only);
            }
            other => return Err(format!("http-cost: unknown argument {other:?}")),
        }
    }
    if parsed.perf != Perf::Off && !parsed.native {
        return Err(
            "--perf and --perf-graph need --native (callgrind already profiles each load)".into(),
        );
    }
    Ok(parsed)
}

/// A server running under callgrind, whose counters are zeroed and dumped around loads.
struct Profiled {
    server: DemoServer,
    name: String,
    out: PathBuf,
    dumps: usize,
    native: bool,
    perf: Perf,
}

/// What one load cost.
struct Cost {
    /// Server instructions (callgrind runs only).
    instructions: Option<u64>,
    /// On-CPU time of the server's threads, user and kernel.
    server_ns: u64,
    /// On-CPU time of this process (the load generator).
    client_ns: u64,
    /// Times the server's threads were put on a CPU (each wake-up or preemption ends
    /// in one).
    server_runs: u64,
    /// The same for this process.
    client_runs: u64,
    /// Wall-clock time of the load.
    wall: Duration,
    file: Option<PathBuf>,
}

/// Nanoseconds on CPU of every thread of process `pid` (or `self`), user and kernel, and
/// how many times they were put on a CPU, from `/proc/PID/task/*/schedstat` (its first
/// and third fields).
fn cpu_use(pid: &str) -> (u64, u64) {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return (0, 0);
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| schedstat(&s))
        .fold((0, 0), |(ns, runs), (n, r)| (ns + n, runs + r))
}

/// The on-CPU nanoseconds and the count of times run of one `schedstat` line.
fn schedstat(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_whitespace();
    let ns = fields.next()?.parse().ok()?;
    let runs = fields.nth(1)?.parse().ok()?;
    Some((ns, runs))
}

impl Profiled {
    fn start(
        name: &str,
        binary: &Path,
        args: &[&str],
        envs: &[(&str, &str)],
        dir: &Path,
        native: bool,
        perf: Perf,
    ) -> Result<Self, String> {
        let out = dir.join(format!("{name}.out"));
        let log = dir.join(format!("{name}.log"));
        let stderr = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let out_flag = format!("--callgrind-out-file={}", out.display());
        let binary = binary.display().to_string();
        let server = if native {
            DemoServer::spawn(Path::new(&binary), name, args, envs, Stdio::from(stderr))?
        } else {
            let mut all = vec!["--tool=callgrind", out_flag.as_str(), binary.as_str()];
            all.extend_from_slice(args);
            DemoServer::spawn(Path::new("valgrind"), name, &all, envs, Stdio::from(stderr))?
        };
        Ok(Self {
            server,
            name: name.to_owned(),
            out,
            dumps: 0,
            native,
            perf,
        })
    }

    /// Starts `perf record` on the server, writing `NAME.perf.N` for the load about to run.
    fn start_perf(&self) -> Result<std::process::Child, String> {
        let pid = self.server.child.id().to_string();
        let file = format!(
            "{}.perf.{}",
            self.out.with_extension("").display(),
            self.dumps + 1
        );
        let mut command = Command::new("perf");
        command.args(["record", "-q", "-e", "cpu-clock", "-F", "4999"]);
        if self.perf == Perf::Graph {
            command.args(["--call-graph", "dwarf,16384"]);
        }
        let child = command
            .args(["-p", &pid, "-o", &file])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("perf record: {e}"))?;
        // perf attaches asynchronously; wait until it has opened its output file. A perf
        // that exits first (not permitted, no such event) or never writes is reported, and
        // not left running.
        let mut child = child;
        let began = Instant::now();
        while std::fs::metadata(&file).map_or(true, |m| m.len() == 0) {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("perf record exited before the load: {status}"));
            }
            if began.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("perf record did not start writing {file}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(child)
    }

    /// Stops `perf record` the way Ctrl-C would, so it writes a complete file.
    fn stop_perf(mut child: std::process::Child) -> Result<(), String> {
        let pid = child.id().to_string();
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .map_err(|e| format!("kill -INT perf: {e}"))?;
        child.wait().map_err(|e| format!("perf record: {e}"))?;
        Ok(())
    }

    fn control(&self, flag: &str) -> Result<(), String> {
        let pid = self.server.child.id().to_string();
        let output = Command::new("callgrind_control")
            .args([flag, pid.as_str()])
            .output()
            .map_err(|e| format!("callgrind_control: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "callgrind_control {flag} {pid}: {}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// What `load` cost the server (and the client), with callgrind's dump file.
    fn measure<T>(
        &mut self,
        load: impl FnOnce() -> Result<T, String>,
    ) -> Result<(T, Cost), String> {
        let pid = self.server.child.id().to_string();
        if !self.native {
            self.control("--zero")?;
        }
        let perf = if self.perf != Perf::Off {
            Some(self.start_perf()?)
        } else {
            None
        };
        let (server, client) = (cpu_use(&pid), cpu_use("self"));
        let began = Instant::now();
        let value = load();
        let wall = began.elapsed();
        let ((server_after, server_runs), (client_after, client_runs)) =
            (cpu_use(&pid), cpu_use("self"));
        if let Some(perf) = perf {
            Self::stop_perf(perf)?;
            self.dumps += 1;
        }
        let value = value?;
        let mut cost = Cost {
            instructions: None,
            server_ns: server_after.saturating_sub(server.0),
            client_ns: client_after.saturating_sub(client.0),
            server_runs: server_runs.saturating_sub(server.1),
            client_runs: client_runs.saturating_sub(client.1),
            wall,
            file: None,
        };
        if self.native {
            return Ok((value, cost));
        }
        self.control("--dump")?;
        self.dumps += 1;
        let file = PathBuf::from(format!("{}.{}", self.out.display(), self.dumps));
        // The dump is written by the server; give it a moment to appear.
        let mut waited = Duration::ZERO;
        let text = loop {
            match std::fs::read_to_string(&file) {
                Ok(text) if text.contains("\ntotals:") || text.contains("\nsummary:") => {
                    break text
                }
                _ if waited > Duration::from_secs(30) => {
                    return Err(format!("{}: no dump at {}", self.name, file.display()))
                }
                _ => {
                    std::thread::sleep(Duration::from_millis(100));
                    waited += Duration::from_millis(100);
                }
            }
        };
        let total = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("totals:")
                    .or_else(|| l.strip_prefix("summary:"))
            })
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| format!("{}: no instruction total", file.display()))?;
        cost.instructions = Some(total);
        cost.file = Some(file);
        Ok((value, cost))
    }
}

/// One measured load.
struct Line {
    server: String,
    load: String,
    units: usize,
    requests_per_unit: usize,
    cost: Cost,
}

impl Line {
    /// Server instructions per unit (callgrind), else server plus client CPU ns per unit.
    #[allow(clippy::cast_precision_loss)]
    fn per_unit(&self) -> f64 {
        let c = &self.cost;
        let total = c.instructions.unwrap_or(c.server_ns + c.client_ns);
        total as f64 / self.units.max(1) as f64
    }

    #[allow(clippy::cast_precision_loss)]
    fn micros(&self, ns: u64) -> f64 {
        ns as f64 / 1000.0 / self.units.max(1) as f64
    }

    /// Server and client CPU µs and times run per unit.
    #[allow(clippy::cast_precision_loss)]
    fn split(&self) -> Split {
        let c = &self.cost;
        let per = |n: u64| n as f64 / self.units.max(1) as f64;
        Split {
            server_us: self.micros(c.server_ns),
            client_us: self.micros(c.client_ns),
            server_runs: per(c.server_runs),
            client_runs: per(c.client_runs),
        }
    }
}

/// What one unit cost each side natively.
#[derive(Clone, Copy)]
struct Split {
    server_us: f64,
    client_us: f64,
    server_runs: f64,
    client_runs: f64,
}

impl std::ops::Add for Split {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            server_us: self.server_us + other.server_us,
            client_us: self.client_us + other.client_us,
            server_runs: self.server_runs + other.server_runs,
            client_runs: self.client_runs + other.client_runs,
        }
    }
}

struct Ctx<'a> {
    runtime: &'a Runtime,
    client: HttpClient,
    requests: usize,
    concurrency: usize,
}

const NO_LIMIT: Duration = Duration::from_secs(3600);

impl Ctx<'_> {
    fn fixed(&self, fixed: driver::Fixed, units: usize) -> Result<(), String> {
        self.runtime
            .block_on(driver::run_fixed(
                &self.client,
                fixed,
                units,
                self.concurrency,
                NO_LIMIT,
            ))
            .map(|_| ())
    }

    /// The floor's loads and the bare exchange on `profiled`, a floor server (axum's, or
    /// actix-web's under the row name `server`).
    fn floor(
        &self,
        server: &str,
        profiled: &mut Profiled,
        lines: &mut Vec<Line>,
    ) -> Result<(), String> {
        let base = profiled.server.base_url.clone();
        self.fixed(floor::request(&base, Method::POST)?, self.requests / 4)?; // warm-up
        for (load, method) in [("floor POST", Method::POST), ("floor GET", Method::GET)] {
            let fixed = floor::request(&base, method)?;
            let ((), cost) = profiled.measure(|| self.fixed(fixed, self.requests))?;
            lines.push(Line {
                server: server.into(),
                load: load.into(),
                units: self.requests,
                requests_per_unit: 1,
                cost,
            });
        }
        // The bare exchange (see `bare`): codes minted untimed, then exchanged.
        let bare = Bare::new(self.client.clone(), &base)?;
        let codes = self.bare_mint(&bare)?;
        let ((), cost) = profiled.measure(|| self.bare_exchange(&bare, codes))?;
        lines.push(Line {
            server: server.into(),
            load: BARE_EXCHANGE.into(),
            units: self.requests,
            requests_per_unit: 1,
            cost,
        });
        Ok(())
    }

    fn bare_mint(&self, bare: &Bare) -> Result<Vec<BareCode>, String> {
        let minter = bare.clone();
        self.runtime.block_on(driver::gather(
            self.requests,
            1,
            self.concurrency,
            NO_LIMIT,
            move |n| {
                let minter = minter.clone();
                async move { minter.mint(n).await }
            },
        ))
    }

    fn bare_exchange(&self, bare: &Bare, codes: Vec<BareCode>) -> Result<(), String> {
        let (codes, bare) = (Arc::new(codes), bare.clone());
        self.runtime
            .block_on(driver::each(
                &codes,
                0,
                codes.len(),
                self.concurrency,
                NO_LIMIT,
                move |codes, i| {
                    let bare = bare.clone();
                    async move { bare.exchange(codes.get(i).ok_or("no code left")?).await }
                },
            ))
            .map(|_| ())
    }

    fn mint(&self, oauth: &OAuth, first: usize, units: usize) -> Result<Vec<Code>, String> {
        let minter = oauth.clone();
        self.runtime.block_on(driver::gather(
            units,
            3,
            self.concurrency,
            NO_LIMIT,
            move |n| {
                let minter = minter.clone();
                async move { minter.obtain_code(first + n).await }
            },
        ))
    }

    fn exchange(&self, oauth: &OAuth, codes: Vec<Code>) -> Result<(), String> {
        let (codes, oauth) = (Arc::new(codes), oauth.clone());
        self.runtime
            .block_on(driver::each(
                &codes,
                0,
                codes.len(),
                self.concurrency,
                NO_LIMIT,
                move |codes, i| {
                    let oauth = oauth.clone();
                    async move {
                        let code = codes.get(i).ok_or("no code left")?;
                        oauth.exchange(code, false).await.map(|_| ())
                    }
                },
            ))
            .map(|_| ())
    }

    fn demo(
        &self,
        server: &str,
        profiled: &mut Profiled,
        lines: &mut Vec<Line>,
    ) -> Result<(), String> {
        let n = self.requests;
        let oauth = OAuth::new(self.client.clone(), &profiled.server.base_url)?;
        // Warm-up, uncounted: a few whole flows, and the tokens the later loads use.
        let warm = self.mint(&oauth, 10_000_000, n / 10)?;
        self.exchange(&oauth, warm)?;
        let grants = self.runtime.block_on(async {
            let mut tasks = Vec::new();
            for i in 0..self.concurrency {
                let oauth = oauth.clone();
                tasks.push(tokio::spawn(
                    async move { oauth.tokens(20_000_000 + i).await },
                ));
            }
            let mut grants = Vec::new();
            for task in tasks {
                grants.push(task.await.map_err(|e| e.to_string())??.refresh);
            }
            Ok::<_, String>(grants)
        })?;
        let tokens = self.runtime.block_on(oauth.tokens(30_000_000))?;
        let mut push = |load: &str, units: usize, per: usize, cost| {
            lines.push(Line {
                server: server.to_owned(),
                load: load.to_owned(),
                units,
                requests_per_unit: per,
                cost,
            });
        };

        let (codes, cost) = profiled.measure(|| self.mint(&oauth, 0, n))?;
        push("authorize+login+consent", n, 3, cost);
        let ((), cost) = profiled.measure(|| self.exchange(&oauth, codes))?;
        push("code exchange", n, 1, cost);
        let refresher = oauth.clone();
        let ((), cost) = profiled.measure(|| {
            self.runtime
                .block_on(driver::run(n, 1, grants, NO_LIMIT, move |token, _| {
                    let oauth = refresher.clone();
                    async move { Ok(oauth.refresh(&token).await?.refresh) }
                }))
                .map(|_| ())
        })?;
        push("refresh", n, 1, cost);
        let introspection = oauth.introspection(&tokens.access)?;
        let ((), cost) = profiled.measure(|| self.fixed(introspection, n))?;
        push("introspection", n, 1, cost);
        let balance = oauth.balance(&tokens.access)?;
        let ((), cost) = profiled.measure(|| self.fixed(balance, n))?;
        push("bearer GET /api/balance", n, 1, cost);
        Ok(())
    }
}

/// Runs the measurement (from a release build of xtask, like `bench-http`).
/// The row name of the floor served by actix-web.
const ACTIX_FLOOR: &str = "floor (actix-web)";

pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if let Some(done) = crate::in_release("http-cost", args) {
        return done;
    }
    let args = parse(root, args)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    for stale in std::fs::read_dir(&args.out).map_err(|e| e.to_string())? {
        let path = stale.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e != "toml") {
            let _ = std::fs::remove_file(path);
        }
    }
    let config = args.out.join("demo-config.toml");
    crate::report::write(&config, crate::bench::CONFIG)?;
    let config = config.display().to_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let ctx = Ctx {
        runtime: &runtime,
        client: driver::client(args.concurrency),
        requests: args.requests,
        concurrency: args.concurrency,
    };
    let mut lines = Vec::new();
    let xtask = std::env::current_exe().map_err(|e| e.to_string())?;
    {
        let mut floor = Profiled::start(
            "floor",
            &xtask,
            &["floor-server", "--addr", "127.0.0.1:0"],
            &[],
            &args.out,
            args.native,
            args.perf,
        )?;
        ctx.floor("floor", &mut floor, &mut lines)?;
    }
    if args.only.as_deref() != Some("axum") {
        // The same on actix-web, read against the axum floor (see `floor_actix`).
        let mut floor = Profiled::start(
            "floor-actix",
            &xtask,
            &["floor-server", "--actix", "--addr", "127.0.0.1:0"],
            &[],
            &args.out,
            args.native,
            args.perf,
        )?;
        ctx.floor(ACTIX_FLOOR, &mut floor, &mut lines)?;
    }
    for (short, package) in [("axum", "demo-axum"), ("actix", "demo-actix")] {
        if args.only.as_deref().is_some_and(|only| only != short) {
            continue;
        }
        let binary = crate::build_release(package)?;
        let mut demo = Profiled::start(
            package,
            &binary,
            &[
                "--addr",
                "127.0.0.1:0",
                "--config",
                &config,
                "--store",
                &args.store,
            ],
            &[("RUST_LOG", "warn")],
            &args.out,
            args.native,
            args.perf,
        )?;
        ctx.demo(package, &mut demo, &mut lines)?;
    }
    print(&lines, &args);
    Ok(())
}

/// What kind of store `spec` names, for the printed tables: `memory`, `sqlite`,
/// `postgres`, or `other` (a URL is never printed: it may hold a password).
fn store_kind(spec: &str) -> &'static str {
    match spec.split(':').next() {
        Some("memory") => "memory",
        Some("sqlite") => "sqlite",
        Some("postgres" | "postgresql") => "postgres",
        _ => "other",
    }
}

fn print(lines: &[Line], args: &Args) {
    let floor = |load: &str| {
        lines
            .iter()
            .find(|l| l.server == "floor" && l.load == load)
            .map(Line::per_unit)
    };
    let (post, get) = (floor("floor POST"), floor("floor GET"));
    let store = store_kind(&args.store);
    if args.native {
        println!(
            "\nCPU time on the cores (schedstat, user + kernel), demos on the {store} store, {} \
             requests per load at concurrency {}; predicted ratio = floor (server + client) / \
             load (server + client), what a CPU-bound run on shared cores would show; runs = \
             times the side's threads were put on a CPU (each wake-up or preemption), per \
             unit.\n",
            args.requests, args.concurrency
        );
        println!(
            "| server | load | server µs per unit | client µs per unit | server runs | client \
             runs | predicted ratio | units/s | cores busy |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        println!(
            "\nServer instructions (callgrind), demos on the {store} store, {} requests per \
             load at concurrency {}; predicted ratio = floor instructions / load \
             instructions.\n",
            args.requests, args.concurrency
        );
        println!("| server | load | instructions per unit | predicted ratio | dump |");
        println!("|---|---|---:|---:|---|");
    }
    let row = |line: &Line, load: &str, per: f64, extra: Option<Split>, base: Option<f64>| {
        let ratio = base.map_or_else(|| "—".to_owned(), |b| format!("{:.0}%", 100.0 * b / per));
        let server = &line.server;
        if args.native {
            let split = extra.unwrap_or_else(|| line.split());
            let (s, c) = (split.server_us, split.client_us);
            let (sr, cr) = (split.server_runs, split.client_runs);
            // What the wall clock saw: units per second, and how many of the cores the
            // two processes kept busy (2.0 = both cores, all the time).
            let wall = line.cost.wall.as_secs_f64().max(1e-9);
            #[allow(clippy::cast_precision_loss)]
            let (rate, busy) = match extra {
                Some(_) => ("—".to_owned(), "—".to_owned()),
                None => (
                    format!("{:.0}", line.units as f64 / wall),
                    format!(
                        "{:.2}",
                        (line.cost.server_ns + line.cost.client_ns) as f64 / 1e9 / wall
                    ),
                ),
            };
            println!(
                "| {server} | {load} | {s:.2} | {c:.2} | {sr:.2} | {cr:.2} | {ratio} | {rate} \
                 | {busy} |"
            );
        } else {
            let file = match extra {
                Some(_) => String::new(),
                None => line
                    .cost
                    .file
                    .as_ref()
                    .and_then(|f| f.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            println!("| {server} | {load} | {per:.0} | {ratio} | {file} |");
        }
    };
    for line in lines {
        let base = match (line.server.as_str(), line.load.as_str()) {
            ("floor", load) if load != BARE_EXCHANGE => None,
            (_, "bearer GET /api/balance" | "floor GET") => get,
            _ => post,
        };
        let load = if line.requests_per_unit > 1 {
            format!("{} ({} req)", line.load, line.requests_per_unit)
        } else {
            line.load.clone()
        };
        row(line, &load, line.per_unit(), None, base);
        if line.load == "code exchange" {
            // The full flow is the three page requests plus the exchange, per flow.
            let pages = lines
                .iter()
                .find(|l| l.server == line.server && l.load == "authorize+login+consent");
            if let Some(pages) = pages {
                let split = pages.split() + line.split();
                row(
                    line,
                    "full flow (4 req), per flow",
                    pages.per_unit() + line.per_unit(),
                    Some(split),
                    post,
                );
            }
        }
    }
    if !args.native {
        println!("\nDumps in {}", args.out.display());
    } else if args.perf != Perf::Off {
        println!(
            "\nperf files (NAME.perf.N, the Nth load of each server) in {}",
            args.out.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{schedstat, store_kind};

    #[test]
    fn the_tables_name_the_store_kind_and_never_its_url() {
        assert_eq!(store_kind("memory"), "memory");
        assert_eq!(store_kind("sqlite:/tmp/x.db"), "sqlite");
        assert_eq!(store_kind("postgres://u:secret@db/test"), "postgres");
        assert_eq!(store_kind("postgresql://u:secret@db/test"), "postgres");
        assert_eq!(store_kind("redis://secret@x"), "other");
    }

    #[test]
    fn schedstat_gives_time_on_cpu_and_times_run() {
        assert_eq!(schedstat("123456 789 42\n"), Some((123_456, 42)));
        assert_eq!(schedstat("123456 789"), None);
        assert_eq!(schedstat("x 1 2"), None);
        assert_eq!(schedstat(""), None);
    }
}
