//! The floor of the HTTP benchmark: a bare axum handler, on the same Tokio runtime
//! settings as `demo-axum` (`#[tokio::main]`, multi-thread with one worker per core),
//! that reads the request body and answers a fixed JSON the size and shape of a real token
//! response with `Cache-Control: no-store`. Run as `cargo xtask floor-server --addr
//! 127.0.0.1:0`; it prints `listening on http://ADDR` like the demos, so the benchmark
//! starts it as a separate release process the same way. Every load's ratio is taken
//! against this floor measured by the same tool.

use std::io::Write;

use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::Method;

use crate::driver::Fixed;

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
fn app() -> Router {
    Router::new().route("/", get(answer).post(answer))
}

/// `floor-server [--addr HOST:PORT]`: serves until killed.
pub(crate) fn serve(args: &[String]) -> Result<(), String> {
    let mut addr = "127.0.0.1:0".to_owned();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--addr" => addr = rest.next().ok_or("--addr needs a value")?.clone(),
            other => return Err(format!("floor-server: unknown argument {other:?}")),
        }
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
