//! One operation in a loop, for profilers: `valgrind --tool=callgrind` or `perf record`
//! on the release binary sees nothing but the engine doing that operation.
//!
//! Run with: `cargo build --release -p latchkey-engine --example profile_flow` and then
//! `valgrind --tool=callgrind --toggle-collect='*Bench*full_flow*' target/release/examples/profile_flow opaque 2000`
//! (operations: `opaque`, `jwt`, `bare` — the hand-written reference flow, with
//! `--toggle-collect='*Bench*bare_flow*'` — `floor`, and for `perf record` — they have no function
//! of their own for `--toggle-collect` — `refresh`, one grant rotated `n` times, and
//! `introspect`, one access token introspected `n` times).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::hint::black_box;

use support::{Bench, Format, Sink};

fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().unwrap_or_else(|| "opaque".to_owned());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    match op.as_str() {
        "opaque" | "jwt" => {
            let format = if op == "jwt" {
                Format::Jwt
            } else {
                Format::Opaque
            };
            let bench = Bench::new(format, Sink::Null);
            for _ in 0..n {
                let input = bench.input();
                black_box(bench.full_flow(input));
            }
        }
        "refresh" => {
            let bench = Bench::new(Format::Opaque, Sink::Null);
            let mut current = bench.tokens().1;
            for _ in 0..n {
                current = bench.refresh(black_box(&current));
            }
        }
        "introspect" => {
            let bench = Bench::new(Format::Opaque, Sink::Null);
            let request = bench.introspect_request(&bench.tokens().0);
            for _ in 0..n {
                black_box(bench.introspect(black_box(&request)));
            }
        }
        "bare" => {
            let bench = Bench::new(Format::Opaque, Sink::Null);
            for _ in 0..n {
                let input = bench.input();
                black_box(bench.bare_flow(input));
            }
        }
        "floor" => {
            for _ in 0..n {
                black_box(support::floor_full_flow_opaque());
            }
        }
        other => {
            eprintln!(
                "unknown operation {other}: use opaque, jwt, bare, refresh, introspect or floor"
            )
        }
    }
}
