//! One-run table of each engine operation against its crypto floor (the random draws,
//! SHA-256 digests and signatures the operation cannot avoid). Criterion
//! (`cargo bench -p latchkey-engine --bench engine`) gives the rigorous numbers; this
//! prints the ratios:
//!
//! ```text
//! cargo run --release -p latchkey-engine --example bench_ratios
//! ```
//!
//! Method: for each operation, a warm-up, then `BATCHES` batches of `n` iterations timed
//! with `Instant`; the table shows the median batch's ns/op. Inputs (fresh PKCE verifiers,
//! approvals) are prepared before a batch starts, outside the timing.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Instant;

use latchkey_engine::types::Scope;
use support::{Bench, Format, Sink};

const BATCHES: usize = 9;

/// Median ns/op over `BATCHES` batches of `n` calls of `op`, each batch's inputs made by
/// `prepare` beforehand.
fn measure<I, P, F>(n: usize, mut prepare: P, mut op: F) -> f64
where
    P: FnMut() -> I,
    F: FnMut(I),
{
    // Warm-up: one batch, untimed.
    let inputs: Vec<I> = (0..n).map(|_| prepare()).collect();
    for input in inputs {
        op(input);
    }
    let mut per_op = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let inputs: Vec<I> = (0..n).map(|_| prepare()).collect();
        let start = Instant::now();
        for input in inputs {
            op(input);
        }
        per_op.push(start.elapsed().as_nanos() as f64 / n as f64);
    }
    per_op.sort_by(f64::total_cmp);
    per_op[BATCHES / 2]
}

fn simple<F: FnMut()>(n: usize, mut op: F) -> f64 {
    measure(n, || (), |()| op())
}

struct Row {
    name: &'static str,
    ns: f64,
    floor_name: &'static str,
    floor: f64,
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    let mut rows = Vec::new();

    let floor_flow = simple(n, || {
        black_box(support::floor_full_flow_opaque());
    });
    for (name, sink) in [
        ("full_flow_opaque", Sink::Null),
        ("full_flow_opaque (TracingSink)", Sink::Tracing),
    ] {
        let bench = Bench::new(Format::Opaque, sink);
        let ns = measure(
            n,
            || bench.input(),
            |input| {
                black_box(bench.full_flow(input));
            },
        );
        rows.push(Row {
            name,
            ns,
            floor_name: "floor_full_flow_opaque",
            floor: floor_flow,
        });
    }

    let jwt = Bench::new(Format::Jwt, Sink::Null);
    let keys = jwt.keys.clone().unwrap();
    let floor_jwt = simple(n, || {
        black_box(support::floor_full_flow_jwt(&keys));
    });
    let ns = measure(
        n,
        || jwt.input(),
        |input| {
            black_box(jwt.full_flow(input));
        },
    );
    rows.push(Row {
        name: "full_flow_jwt",
        ns,
        floor_name: "floor_full_flow_jwt",
        floor: floor_jwt,
    });

    let bench = Bench::new(Format::Opaque, Sink::Null);
    let mut current = bench.tokens().1;
    let ns = simple(n, || current = bench.refresh(&current));
    rows.push(Row {
        name: "refresh_rotation",
        ns,
        floor_name: "floor_refresh_rotation",
        floor: simple(n, || {
            black_box(support::floor_refresh());
        }),
    });

    let (access, _) = bench.tokens();
    let request = bench.introspect_request(&access);
    let ns = simple(n * 5, || {
        black_box(bench.introspect(&request));
    });
    rows.push(Row {
        name: "introspection",
        ns,
        floor_name: "floor_introspection",
        floor: simple(n * 5, || {
            black_box(support::floor_introspection());
        }),
    });

    let required = Scope::parse("balance:read").unwrap();
    let headers = support::bearer_headers(&access);
    let ns = simple(n * 10, || {
        assert!(bench.bearer(black_box(&headers), &required))
    });
    rows.push(Row {
        name: "bearer_opaque",
        ns,
        floor_name: "floor_bearer_opaque",
        floor: simple(n * 10, || {
            black_box(support::floor_bearer_opaque());
        }),
    });

    let token = jwt.tokens().0;
    let headers = support::bearer_headers(&token);
    let ns = simple(n, || assert!(jwt.bearer(black_box(&headers), &required)));
    rows.push(Row {
        name: "bearer_jwt",
        ns,
        floor_name: "floor_bearer_jwt",
        floor: simple(n, || {
            black_box(support::floor_bearer_jwt(&keys, &token));
        }),
    });

    println!(
        "{:<32} {:>10} {:<24} {:>10} {:>7}",
        "operation", "ns/op", "floor", "floor ns", "ratio"
    );
    for row in rows {
        println!(
            "{:<32} {:>10.0} {:<24} {:>10.0} {:>6.2}x",
            row.name,
            row.ns,
            row.floor_name,
            row.floor,
            row.ns / row.floor
        );
    }
}
