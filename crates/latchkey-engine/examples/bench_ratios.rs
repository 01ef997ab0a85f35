//! One-run table of each engine operation against its crypto floor (the random draws,
//! SHA-256 digests and signatures the operation cannot avoid). Criterion
//! (`cargo bench -p latchkey-engine --bench engine`) gives the rigorous numbers; this
//! prints the ratios:
//!
//! ```text
//! cargo run --release -p latchkey-engine --example bench_ratios
//! ```
//!
//! Method: for each operation, a warm-up of the operation and of its floor, then
//! `BATCHES` rounds, each timing one batch of `n` floor calls and then one batch of `n`
//! operations with `Instant`. The table shows the median round's ns/op of each and the
//! median round's ratio: taking the floor right beside each batch of the operation keeps
//! the machine's drift (a shared VM's cores change speed within a second) out of the
//! ratio. Inputs (fresh PKCE verifiers, approvals) are prepared before a batch starts,
//! outside the timing.
//!
//! The row `bare_flow (reference)` is the same flow written by hand (`support::bare`:
//! only what RFC 6749, RFC 7636 and RFC 9700 require, no library between the caller and
//! its maps), timed in the same rounds as `full_flow_opaque` on the same kind of inputs:
//! its ratio is what any compliant implementation pays on this machine beyond the
//! cryptography.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Instant;

use latchkey_engine::types::Scope;
use support::{Bench, Format, Sink};

const BATCHES: usize = 15;

/// ns/op of one batch of `n` calls of `op`, its inputs made by `prepare` beforehand.
fn batch<I, P, F>(n: usize, prepare: &mut P, op: &mut F) -> f64
where
    P: FnMut() -> I,
    F: FnMut(I) + ?Sized,
{
    let inputs: Vec<I> = (0..n).map(|_| prepare()).collect();
    let start = Instant::now();
    for input in inputs {
        op(input);
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Each of `ops` against `floor` in interleaved rounds, every round timing a floor batch
/// and then one batch of each op on inputs from `prepare`: per op, (median ns/op, median
/// floor ns/op, median round's ratio).
fn rounds<I, P, G>(
    n: usize,
    mut floor: G,
    mut prepare: P,
    ops: &mut [&mut dyn FnMut(I)],
) -> Vec<(f64, f64, f64)>
where
    P: FnMut() -> I,
    G: FnMut(),
{
    let mut floor_op = |()| floor();
    let mut unit = || ();
    // Warm-up: one batch of each, untimed.
    batch(n, &mut unit, &mut floor_op);
    for op in ops.iter_mut() {
        batch(n, &mut prepare, *op);
    }
    let mut floors = Vec::new();
    let mut times = vec![Vec::new(); ops.len()];
    let mut ratios = vec![Vec::new(); ops.len()];
    for _ in 0..BATCHES {
        let f = batch(n, &mut unit, &mut floor_op);
        floors.push(f);
        for ((op, times), ratios) in ops.iter_mut().zip(&mut times).zip(&mut ratios) {
            let o = batch(n, &mut prepare, *op);
            times.push(o);
            ratios.push(o / f);
        }
    }
    let floor = median(&mut floors);
    times
        .iter_mut()
        .zip(&mut ratios)
        .map(|(times, ratios)| (median(times), floor, median(ratios)))
        .collect()
}

/// `op` against `floor` in interleaved rounds: (median ns/op, median floor ns/op,
/// median round's ratio).
fn paired<I, P, F, G>(n: usize, floor: G, prepare: P, mut op: F) -> (f64, f64, f64)
where
    P: FnMut() -> I,
    F: FnMut(I),
    G: FnMut(),
{
    rounds(n, floor, prepare, &mut [&mut op])[0]
}

fn simple<F: FnMut(), G: FnMut()>(n: usize, floor: G, mut op: F) -> (f64, f64, f64) {
    paired(n, floor, || (), |()| op())
}

struct Row {
    name: &'static str,
    floor_name: &'static str,
    /// (ns/op, floor ns/op, ratio), each the median round's.
    measured: (f64, f64, f64),
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000);
    let mut rows = Vec::new();

    // The engine's flow and the hand-written one (`support::bare`) on the same inputs, in
    // the same rounds, against the same floor.
    let bench = Bench::new(Format::Opaque, Sink::Null);
    let measured = rounds(
        n,
        || {
            black_box(support::floor_full_flow_opaque());
        },
        || bench.input(),
        &mut [
            &mut |input| {
                black_box(bench.full_flow(input));
            },
            &mut |input| {
                black_box(bench.bare_flow(input));
            },
        ],
    );
    for (name, measured) in ["full_flow_opaque", "bare_flow (reference)"]
        .into_iter()
        .zip(measured)
    {
        rows.push(Row {
            name,
            floor_name: "floor_full_flow_opaque",
            measured,
        });
    }
    let bench = Bench::new(Format::Opaque, Sink::Tracing);
    let measured = paired(
        n,
        || {
            black_box(support::floor_full_flow_opaque());
        },
        || bench.input(),
        |input| {
            black_box(bench.full_flow(input));
        },
    );
    rows.push(Row {
        name: "full_flow_opaque (TracingSink)",
        floor_name: "floor_full_flow_opaque",
        measured,
    });

    let jwt = Bench::new(Format::Jwt, Sink::Null);
    let keys = jwt.keys.clone().unwrap();
    let measured = paired(
        n,
        || {
            black_box(support::floor_full_flow_jwt(&keys));
        },
        || jwt.input(),
        |input| {
            black_box(jwt.full_flow(input));
        },
    );
    rows.push(Row {
        name: "full_flow_jwt",
        floor_name: "floor_full_flow_jwt",
        measured,
    });

    let bench = Bench::new(Format::Opaque, Sink::Null);
    let mut current = bench.tokens().1;
    let measured = simple(
        n,
        || {
            black_box(support::floor_refresh());
        },
        || current = bench.refresh(&current),
    );
    rows.push(Row {
        name: "refresh_rotation",
        floor_name: "floor_refresh_rotation",
        measured,
    });

    let (access, _) = bench.tokens();
    let request = bench.introspect_request(&access);
    let measured = simple(
        n * 5,
        || {
            black_box(support::floor_introspection());
        },
        || {
            black_box(bench.introspect(&request));
        },
    );
    rows.push(Row {
        name: "introspection",
        floor_name: "floor_introspection",
        measured,
    });

    let required = Scope::parse("balance:read").unwrap();
    let headers = support::bearer_headers(&access);
    let measured = simple(
        n * 10,
        || {
            black_box(support::floor_bearer_opaque());
        },
        || assert!(bench.bearer(black_box(&headers), &required)),
    );
    rows.push(Row {
        name: "bearer_opaque",
        floor_name: "floor_bearer_opaque",
        measured,
    });

    let token = jwt.tokens().0;
    let headers = support::bearer_headers(&token);
    let measured = simple(
        n,
        || {
            black_box(support::floor_bearer_jwt(&keys, &token));
        },
        || assert!(jwt.bearer(black_box(&headers), &required)),
    );
    rows.push(Row {
        name: "bearer_jwt",
        floor_name: "floor_bearer_jwt",
        measured,
    });

    println!(
        "{:<32} {:>10} {:<24} {:>10} {:>7}",
        "operation", "ns/op", "floor", "floor ns", "ratio"
    );
    for row in rows {
        let (ns, floor, ratio) = row.measured;
        println!(
            "{:<32} {:>10.0} {:<24} {:>10.0} {:>6.2}x",
            row.name, ns, row.floor_name, floor, ratio
        );
    }
}
