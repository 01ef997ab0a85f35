//! `cargo xtask bench-http`: builds and starts the bare axum floor and each demo server
//! (release builds, 127.0.0.1 only, demos with `RUST_LOG=warn` unless `--rust-log` says
//! otherwise and a generated config whose codes live 600 s), on the memory store and, when
//! the demos accept them, on SQLite (a file under `target/bench/`) and PostgreSQL (from
//! `LATCHKEY_BENCH_POSTGRES_URL` or `LATCHKEY_TEST_POSTGRES_URL`); measures the floor
//! server's bare exchange (see `crate::bare`) first, as a reference — and, when actix is
//! measured, the floor's POST and the bare exchange served by actix-web (see
//! `crate::floor_actix`), against the same axum floor — then runs the loads of
//! [`crate::loads`] against each demo; prints the table and writes it to `--out`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::driver;
use crate::loads::{Group, Settings};
use crate::report::{self, Row};
use crate::{oha, DemoServer};

/// The built-in demo configuration, written out so `code_ttl_secs` can be raised to 600
/// (the pre-minted codes must outlive the run); clients, users and scopes are the
/// built-in values of `examples/demo-common/src/config.rs`.
pub(crate) const CONFIG: &str = r#"code_ttl_secs = 600

[[clients]]
id = "wallet-web"
secret = "wallet-web-secret-change-me"
redirect_uris = ["https://wallet.example/callback"]
scopes = ["balance:read", "trade", "withdraw"]
grant_types = ["authorization_code", "refresh_token", "client_credentials"]

[[clients]]
id = "wallet-cli"
redirect_uris = ["http://127.0.0.1/callback"]
scopes = ["balance:read", "trade", "withdraw"]
grant_types = ["authorization_code", "refresh_token"]

[[clients]]
id = "exchange-api"
secret = "exchange-api-secret"
redirect_uris = ["https://api.exchange.example/unused"]
scopes = ["balance:read"]
grant_types = ["client_credentials"]

[[users]]
username = "alice"
password = "alice-password"
sca_code = "123456"

[[users]]
username = "bob"
password = "bob-password"
sca_code = "654321"

[[scopes]]
name = "balance:read"
description = "View your balances"

[[scopes]]
name = "trade"
description = "Place trades on your behalf"
requires_sca = true

[[scopes]]
name = "withdraw"
description = "Withdraw funds from your account"
requires_sca = true
"#;

struct Args {
    settings: Settings,
    /// Units per load on SQLite and PostgreSQL (slower: fewer, to keep the run short).
    db_requests: Option<usize>,
    out: PathBuf,
    only: Option<String>,
    rust_log: String,
}

fn parse(root: &Path, args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        settings: Settings::standard(Duration::from_secs(60)),
        db_requests: None,
        out: root.join("target").join("bench").join("http.md"),
        only: None,
        rust_log: "warn".into(),
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        if parsed.settings.take_flag(flag, &mut rest)? {
            continue;
        }
        let mut value = || rest.next().ok_or(format!("{flag} needs a value"));
        let number = |v: &String| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--db-requests" => parsed.db_requests = Some(number(value()?)?.max(1)),
            "--max-secs" => {
                parsed.settings.time_limit = Duration::from_secs(number(value()?)? as u64);
            }
            "--out" => parsed.out = PathBuf::from(value()?),
            "--rust-log" => parsed.rust_log = value()?.clone(),
            "--only" => {
                let only = value()?.clone();
                if only != "axum" && only != "actix" {
                    return Err(format!("--only {only}: expected axum or actix"));
                }
                parsed.only = Some(only);
            }
            other => return Err(format!("bench-http: unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

/// The stores to try: (label, `--store` value), or a note on why one is left out.
fn stores(bench_dir: &Path, server: &str) -> Vec<Result<(&'static str, String), String>> {
    let sqlite = bench_dir.join(format!("{server}.sqlite"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite.display()));
    }
    let postgres = std::env::var("LATCHKEY_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("LATCHKEY_TEST_POSTGRES_URL"))
        .map(|url| ("postgres", url))
        .map_err(|_| {
            "postgres: skipped: set LATCHKEY_BENCH_POSTGRES_URL (or LATCHKEY_TEST_POSTGRES_URL)"
                .to_owned()
        });
    vec![
        Ok(("memory", "memory".to_owned())),
        Ok(("sqlite", format!("sqlite:{}", sqlite.display()))),
        postgres,
    ]
}

/// Starts `package` on `store`; a refusal of the store itself becomes a "skipped" note.
fn start_demo(
    package: &str,
    label: &str,
    store: &str,
    config: &Path,
    log: &Path,
    rust_log: &str,
) -> Result<DemoServer, String> {
    let stderr = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let config = config.display().to_string();
    let args = [
        "--addr",
        "127.0.0.1:0",
        "--config",
        &config,
        "--store",
        store,
    ];
    DemoServer::start_with(
        package,
        &args,
        &[("RUST_LOG", rust_log)],
        Stdio::from(stderr),
    )
    .map_err(|error| {
        let said = std::fs::read_to_string(log).unwrap_or_default();
        if said.contains("unknown store") || said.contains("invalid value") {
            format!("{package} / {label}: skipped: demo has no --store {label} yet")
        } else {
            let tail: Vec<&str> = said.lines().rev().take(3).collect();
            format!(
                "{package} / {label}: skipped: {error}: {}",
                tail.join(" / ")
            )
        }
    })
}

/// The row name of the actix floor's own POST, measured against the axum floor's.
const ACTIX_FLOOR_POST: &str = "floor POST on actix-web";

/// Prints and keeps a reference row, or notes why it failed.
fn push_reference(
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
    what: &str,
    result: Result<Row, String>,
) {
    match result {
        Ok(row) => {
            let table = report::render("", std::slice::from_ref(&row), &[]);
            println!("{}", table.lines().skip(4).collect::<Vec<_>>().join("\n"));
            rows.push(row);
        }
        Err(error) => notes.push(format!("{what}: failed: {error}")),
    }
}

/// Runs the benchmark, from a release build of xtask: a debug `cargo xtask` builds one and
/// hands over to it, so the load generator is optimized like the servers it measures.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if let Some(done) = crate::in_release("bench-http", args) {
        return done;
    }
    let mut args = parse(root, args)?;
    let bench_dir = root.join("target").join("bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| format!("{}: {e}", bench_dir.display()))?;
    let mut notes = Vec::new();
    match oha::version() {
        Some(version) => {
            args.settings.oha = true;
            notes.push(format!("stateless loads also measured with {version}"));
        }
        None => {
            let note = "oha not installed: stateless loads use the own driver only \
                        (install it with `cargo install oha --locked`)";
            println!("note: {note}");
            notes.push(note.to_owned());
        }
    }
    let config = bench_dir.join("demo-config.toml");
    report::write(&config, CONFIG)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let client = driver::client(args.settings.concurrency);
    let db_requests = args
        .db_requests
        .unwrap_or((args.settings.requests / 4).max(1));
    let floor = DemoServer::start_with(
        "xtask",
        &["floor-server", "--addr", "127.0.0.1:0"],
        &[],
        Stdio::inherit(),
    )?;
    println!("floor at {}", floor.base_url);
    let mut rows: Vec<Row> = Vec::new();
    // The bare exchange first, as a reference for the code-exchange rows below.
    let reference = Group {
        settings: &args.settings,
        runtime: &runtime,
        client: client.clone(),
        server: "floor",
        store: "memory",
        demo_base: &floor.base_url,
        floor_base: &floor.base_url,
    };
    let result = reference.bare_exchange();
    push_reference(&mut rows, &mut notes, "floor / bare exchange", result);
    // With actix measured, the same references served by actix-web, against the same
    // (axum) floor: how much of demo-actix's gap is the framework's.
    if args.only.as_deref() != Some("axum") {
        let actix_floor = DemoServer::start_with(
            "xtask",
            &["floor-server", "--actix", "--addr", "127.0.0.1:0"],
            &[],
            Stdio::inherit(),
        )?;
        println!("actix floor at {}", actix_floor.base_url);
        let on_actix = Group {
            settings: &args.settings,
            runtime: &runtime,
            client: client.clone(),
            server: "floor (actix-web)",
            store: "memory",
            demo_base: &actix_floor.base_url,
            floor_base: &floor.base_url,
        };
        let result = on_actix.floor_post_here(ACTIX_FLOOR_POST);
        push_reference(&mut rows, &mut notes, "actix floor / POST", result);
        let result = on_actix.bare_exchange();
        push_reference(&mut rows, &mut notes, "actix floor / bare exchange", result);
        // Stopped here, so that it is not beside the demos while they are measured.
        drop(actix_floor);
    }
    for (short, package) in [("axum", "demo-axum"), ("actix", "demo-actix")] {
        if args.only.as_deref().is_some_and(|only| only != short) {
            continue;
        }
        for store in stores(&bench_dir, package) {
            let (label, spec) = match store {
                Ok(store) => store,
                Err(note) => {
                    println!("{package} / {note}");
                    notes.push(format!("{package} / {note}"));
                    continue;
                }
            };
            let log = bench_dir.join(format!("{package}-{label}.log"));
            let demo = match start_demo(package, label, &spec, &config, &log, &args.rust_log) {
                Ok(demo) => demo,
                Err(note) => {
                    println!("{note}");
                    notes.push(note);
                    continue;
                }
            };
            println!("{package} / {label} at {}", demo.base_url);
            let mut settings = args.settings.clone();
            if label != "memory" {
                settings.requests = db_requests;
            }
            let group = Group {
                settings: &settings,
                runtime: &runtime,
                client: client.clone(),
                server: package,
                store: label,
                demo_base: &demo.base_url,
                floor_base: &floor.base_url,
            };
            let first = rows.len();
            group.run(&mut rows, &mut notes)?;
            let table = report::render("", rows.get(first..).unwrap_or_default(), &[]);
            println!("{}", table.lines().skip(4).collect::<Vec<_>>().join("\n"));
        }
    }
    let s = &args.settings;
    let settings = format!(
        "{} requests per load on the memory store, {} on SQLite/PostgreSQL (full flow: a \
         quarter as many flows of 4 requests) at concurrency {}; \
         per-load time limit {} s; demos and floor are release builds on 127.0.0.1, demos \
         with RUST_LOG={} and stderr to target/bench/*.log; load generator on the same machine. \
         Each driver load runs in {} rounds interleaved with as many slices of the floor \
         (floor slice, load slice, floor slice, …), so that both see the same machine; its \
         ratio is the median round's own ratio, followed by the lowest and highest round's; \
         its req/s and the floor's are pooled over the rounds (POST floor for POST loads \
         and flows, GET floor for the bearer GET). The floor rows at the top of each group are for \
         reference.",
        s.requests,
        db_requests,
        s.concurrency,
        s.time_limit.as_secs(),
        args.rust_log,
        s.rounds,
    );
    let text = report::render(&settings, &rows, &notes);
    println!("\n{text}");
    report::write(&args.out, &text)?;
    println!("written to {}", args.out.display());
    Ok(())
}
