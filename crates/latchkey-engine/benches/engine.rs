//! Criterion benchmarks of the grant engine in process, on a `MemoryStore`, each next to
//! its crypto floor (the random draws, digests and signatures the operation cannot avoid;
//! see `support/mod.rs`). `cargo run --release -p latchkey-engine --example bench_ratios`
//! prints the ratios in one table.
//!
//! ```text
//! cargo bench -p latchkey-engine --bench engine -- --warm-up-time 1 --measurement-time 3
//! ```

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use latchkey_engine::types::Scope;

use support::{Bench, Format, Sink};

fn flows(c: &mut Criterion) {
    for (name, format, sink) in [
        ("full_flow_opaque", Format::Opaque, Sink::Null),
        (
            "full_flow_opaque_tracing_sink",
            Format::Opaque,
            Sink::Tracing,
        ),
        ("full_flow_jwt", Format::Jwt, Sink::Null),
    ] {
        let bench = Bench::new(format, sink);
        c.bench_function(name, |b| {
            b.iter_batched(
                || bench.input(),
                |input| bench.full_flow(input),
                BatchSize::SmallInput,
            )
        });
    }
    c.bench_function("floor_full_flow_opaque", |b| {
        b.iter(support::floor_full_flow_opaque)
    });
    let jwt = Bench::new(Format::Jwt, Sink::Null);
    let keys = jwt.keys.clone().unwrap();
    c.bench_function("floor_full_flow_jwt", |b| {
        b.iter(|| support::floor_full_flow_jwt(&keys))
    });
}

fn refresh(c: &mut Criterion) {
    let bench = Bench::new(Format::Opaque, Sink::Null);
    let mut current = bench.tokens().1;
    c.bench_function("refresh_rotation", |b| {
        b.iter(|| {
            current = bench.refresh(&current);
        })
    });
    c.bench_function("floor_refresh_rotation", |b| b.iter(support::floor_refresh));
}

fn introspection(c: &mut Criterion) {
    let bench = Bench::new(Format::Opaque, Sink::Null);
    let (access, _) = bench.tokens();
    let request = bench.introspect_request(&access);
    c.bench_function("introspection", |b| {
        b.iter(|| bench.introspect(black_box(&request)))
    });
    c.bench_function("floor_introspection", |b| {
        b.iter(support::floor_introspection)
    });
}

fn bearer(c: &mut Criterion) {
    let required = Scope::parse("balance:read").unwrap();
    let opaque = Bench::new(Format::Opaque, Sink::Null);
    let headers = support::bearer_headers(&opaque.tokens().0);
    c.bench_function("bearer_opaque", |b| {
        b.iter(|| assert!(opaque.bearer(black_box(&headers), &required)))
    });
    c.bench_function("floor_bearer_opaque", |b| {
        b.iter(support::floor_bearer_opaque)
    });

    let jwt = Bench::new(Format::Jwt, Sink::Null);
    let token = jwt.tokens().0;
    let headers = support::bearer_headers(&token);
    c.bench_function("bearer_jwt", |b| {
        b.iter(|| assert!(jwt.bearer(black_box(&headers), &required)))
    });
    let keys = jwt.keys.clone().unwrap();
    c.bench_function("floor_bearer_jwt", |b| {
        b.iter(|| support::floor_bearer_jwt(&keys, black_box(&token)))
    });
}

/// The client-secret check alone: SHA-256 (the default, for generated secrets) and, with
/// `--features argon2`, Argon2id with default parameters (for low-entropy secrets).
fn client_auth(c: &mut Criterion) {
    use latchkey_engine::store::ClientSecretVerifier;
    let secret = latchkey_engine::pkce::random_token().unwrap();
    let sha = ClientSecretVerifier::for_secret(&secret);
    c.bench_function("client_auth_sha256", |b| {
        b.iter(|| assert!(sha.verify(black_box(&secret))))
    });
    #[cfg(feature = "argon2")]
    {
        let argon = ClientSecretVerifier::argon2_for_secret(&secret).unwrap();
        let mut group = c.benchmark_group("argon2");
        group.sample_size(10);
        group.bench_function("client_auth_argon2", |b| {
            b.iter(|| assert!(argon.verify(black_box(&secret))))
        });
        group.finish();
    }
}

criterion_group!(benches, flows, refresh, introspection, bearer, client_auth);
criterion_main!(benches);
