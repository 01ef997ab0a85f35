//! The floor of the HTTP benchmark: a bare axum handler, on the same Tokio runtime
//! settings as `demo-axum` (`#[tokio::main]`, multi-thread with one worker per core),
//! that reads the request body and answers a fixed JSON the size and shape of a real token
//! response with `Cache-Control: no-store`. Run as `cargo xtask floor-server --addr
//! 127.0.0.1:0`; it prints `listening on http://ADDR` like the demos, so the benchmark
//! starts it as a separate release process the same way. Every load's ratio is taken
//! against this floor measured by the same tool.
//!
//! `POST /work` is the same handler after a busy wait of `x-work-ns` nanoseconds (at most
//! [`MAX_WORK_NS`]): `cargo xtask bench-budget` measures it against `/` to find how much
//! handler CPU each target ratio leaves a request.
//!
//! `POST /bare/token` is the bare exchange (see `bare`): the least work a compliant code
//! exchange does, as a reference beside the floor.

use std::io::Write;

use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http::{HeaderName, Method};
use std::time::{Duration, Instant};

use crate::driver::Fixed;

/// The header that tells `POST /work` how long to busy-wait, in nanoseconds.
pub(crate) const WORK_HEADER: HeaderName = HeaderName::from_static("x-work-ns");

/// The longest busy wait `POST /work` does (1 ms), whatever the header asks.
pub(crate) const MAX_WORK_NS: u64 = 1_000_000;

/// A token response as the demo writes it, with 43-character random tokens.
pub(crate) const TOKEN_JSON: &str = concat!(
    r#"{"access_token":"Zq3kR8vN2xLp5tYw9cHm4jBf7sDg1aKe6uQo0iVr3Xn","#,
    r#""token_type":"Bearer","expires_in":600,"#,
    r#""refresh_token":"Pm8wT2yK5nRb1vXc7hLq4gZs9dJf3eUa6oWi0kNt2Yr","#,
    r#""scope":"balance:read"}"#
);

/// A form body the size of a code exchange request.
const FORM_BODY: &str = concat!(
    "grant_type=authorization_code&code=Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3",
    "&redirect_uri=https%3A%2F%2Fwallet.example%2Fcallback",
    "&code_verifier=latchkey-bench-verifier-00000000000000000001-abcdefghijklmnopqrstuvwxyz"
);

/// A bearer header the size of the ones the demo issues (43-character tokens).
const BEARER: &str = "Bearer Zq3kR8vN2xLp5tYw9cHm4jBf7sDg1aKe6uQo0iVr3Xn";

async fn answer(body: Bytes) -> Response {
    // The body is read (the extractor collects it) and its size folded in, as a handler
    // that parses a form would touch it.
    let _ = std::hint::black_box(body.len());
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        TOKEN_JSON,
    )
        .into_response()
}

/// The floor application: `GET /` and `POST /` answer [`TOKEN_JSON`].
/// Keeps the core busy for `ns` nanoseconds of wall time: what a handler doing that much
/// CPU work costs the machine (a preemption inside the wait would make it cost less; at a
/// few µs per request that is rare).
fn busy_wait(ns: u64) {
    let until = Instant::now() + Duration::from_nanos(ns.min(MAX_WORK_NS));
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// `answer` after `x-work-ns` nanoseconds of busy waiting (none without the header).
async fn work(headers: HeaderMap, body: Bytes) -> Response {
    let ns = headers
        .get(&WORK_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    busy_wait(ns);
    answer(body).await
}

fn app() -> Router {
    Router::new()
        .route("/", get(answer).post(answer))
        .route("/work", post(work))
        .merge(crate::bare::routes())
}

/// `floor-server [--addr HOST:PORT] [--actix]`: serves until killed; `--actix` serves
/// the same answers on actix-web instead (see `floor_actix`).
pub(crate) fn serve(args: &[String]) -> Result<(), String> {
    let mut addr = "127.0.0.1:0".to_owned();
    let mut actix = false;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--addr" => addr = rest.next().ok_or("--addr needs a value")?.clone(),
            "--actix" => actix = true,
            other => return Err(format!("floor-server: unknown argument {other:?}")),
        }
    }
    if actix {
        return crate::floor_actix::serve(&addr);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| format!("bind {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on http://{bound}")
            .and_then(|()| stdout.flush())
            .map_err(|e| e.to_string())?;
        axum::serve(listener, app())
            .await
            .map_err(|e| format!("serve: {e}"))
    })
}

/// The floor request for `method` against the floor server at `base`, shaped like the
/// loads it is compared with so that the ratio measures the server's work, not the
/// request's size: a POST carries a form body the size of a code exchange with the
/// token request's `Content-Type` and `Authorization: Basic` headers, a GET an
/// `Authorization: Bearer` header with a token-sized value, as `GET /api/balance` does.
pub(crate) fn request(base: &str, method: Method) -> Result<Fixed, String> {
    let uri = format!("{}/", base.trim_end_matches('/'))
        .parse()
        .map_err(|e| format!("floor URL: {e}"))?;
    let (headers, body) = if method == Method::POST {
        (
            vec![
                (
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                ),
                (http::header::AUTHORIZATION, crate::oauth::wallet_basic()?),
            ],
            Bytes::from_static(FORM_BODY.as_bytes()),
        )
    } else {
        (
            vec![(
                http::header::AUTHORIZATION,
                HeaderValue::from_static(BEARER),
            )],
            Bytes::new(),
        )
    };
    Ok(Fixed {
        method,
        uri,
        headers,
        body,
    })
}

/// The floor's POST sent to `/work`, asking for `ns` nanoseconds of handler work.
pub(crate) fn work_request(base: &str, ns: u64) -> Result<Fixed, String> {
    let mut fixed = request(base, Method::POST)?;
    fixed.uri = format!("{}/work", base.trim_end_matches('/'))
        .parse()
        .map_err(|e| format!("floor URL: {e}"))?;
    fixed.headers.push((WORK_HEADER, HeaderValue::from(ns)));
    Ok(fixed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_work_request_goes_to_work_with_its_amount() {
        let fixed = work_request("http://127.0.0.1:1/", 2500).unwrap();
        assert_eq!(fixed.uri.path(), "/work");
        assert_eq!(fixed.method, Method::POST);
        let amount = fixed.headers.iter().find(|(name, _)| name == WORK_HEADER);
        assert_eq!(amount.map(|(_, v)| v.as_bytes()), Some(&b"2500"[..]));
        // The rest is the floor's POST: same body and credentials.
        let plain = request("http://127.0.0.1:1", Method::POST).unwrap();
        assert_eq!(fixed.body, plain.body);
        assert_eq!(fixed.headers.len(), plain.headers.len() + 1);
    }

    #[test]
    fn the_busy_wait_lasts_at_least_as_asked_and_a_huge_ask_ends() {
        let began = Instant::now();
        busy_wait(200_000);
        assert!(began.elapsed() >= Duration::from_micros(200));
        // Without the cap this would overflow the deadline or spin for centuries.
        let began = Instant::now();
        busy_wait(u64::MAX);
        let waited = began.elapsed();
        assert!(waited >= Duration::from_nanos(MAX_WORK_NS), "{waited:?}");
    }
}
