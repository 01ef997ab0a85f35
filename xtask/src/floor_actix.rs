//! The floor on actix-web: the same fixed answer and bare exchange as [`crate::floor`]'s,
//! served the way `demo-actix` serves latchkey (actix-web's `HttpServer` with two workers,
//! started from a multi-thread Tokio runtime). `cargo xtask floor-server --actix` runs it.
//!
//! The targets are ratios to the axum floor. Measured against that same floor, this
//! server's own rows tell how much of actix's gap is actix-web's: its fixed answer is what
//! actix costs a request that does nothing, and its bare exchange what the least work a
//! compliant exchange does costs on actix — beside which latchkey's actix exchange is read.

use std::io::Write;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode as ActixStatus;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use crate::bare::{self, Server, NO_STORE};
use crate::floor::TOKEN_JSON;

/// The most a request body may carry here (a form is a few hundred bytes).
const MAX_BODY: usize = 64 * 1024;

/// Reads the body as axum's `Bytes` extractor does: one chunk, as a small form arrives, is
/// handed on as it came; several are gathered. (actix-web's own `Bytes` extractor copies
/// every body into a fresh 8 KiB buffer; this floor should cost no more than it must.)
async fn body(mut payload: web::Payload) -> Result<Bytes, HttpResponse> {
    let mut first: Option<Bytes> = None;
    let mut gathered = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| HttpResponse::BadRequest().finish())?;
        if first.as_ref().map_or(0, Bytes::len) + gathered.len() + chunk.len() > MAX_BODY {
            return Err(HttpResponse::PayloadTooLarge().finish());
        }
        match first.take() {
            None if gathered.is_empty() => first = Some(chunk),
            earlier => {
                gathered.extend_from_slice(&earlier.unwrap_or_default());
                gathered.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| gathered.freeze()))
}

/// `answer` of the axum floor: the body is read and its size folded in, then the fixed
/// token JSON.
async fn answer(payload: web::Payload) -> HttpResponse {
    let body = match body(payload).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let _ = std::hint::black_box(body.len());
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(NO_STORE[0].1),
        ))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(NO_STORE[1].1),
        ))
        .body(TOKEN_JSON)
}

fn status(code: http::StatusCode) -> ActixStatus {
    ActixStatus::from_u16(code.as_u16()).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR)
}

async fn token(server: web::Data<Server>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let body = match body(payload).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let authorization = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let (code, json) = bare::token_answer(&server, authorization, &body);
    // Named by constant, with static values, as the axum floor's answers are: text pairs
    // would be parsed and copied on every answer, a cost the reference must not carry.
    let mut response = HttpResponse::build(status(code));
    let names = [header::CONTENT_TYPE, header::CACHE_CONTROL, header::PRAGMA];
    for (name, (_, value)) in names.into_iter().zip(NO_STORE) {
        response.insert_header((name, HeaderValue::from_static(value)));
    }
    if code == http::StatusCode::UNAUTHORIZED {
        let challenge = HeaderValue::from_static(bare::CHALLENGE);
        response.insert_header((header::WWW_AUTHENTICATE, challenge));
    }
    response.body(json)
}

async fn code(server: web::Data<Server>, payload: web::Payload) -> HttpResponse {
    let body = match body(payload).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let (code, text) = bare::code_answer(&server, &body);
    HttpResponse::build(status(code)).body(text)
}

/// The routes, for an app holding the bare exchange's [`Server`] as `web::Data`.
fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(answer))
        .route("/", web::post().to(answer))
        .route("/bare/token", web::post().to(token))
        .route("/bare/code", web::post().to(code));
}

/// Serves `GET /`, `POST /`, `POST /bare/token` and `POST /bare/code` on `addr` until
/// killed, after printing `listening on http://ADDR`.
pub(crate) fn serve(addr: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async move {
        let listener =
            std::net::TcpListener::bind(addr).map_err(|e| format!("bind {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let server: Arc<Server> = Server::new();
        let data = web::Data::from(server);
        let running = HttpServer::new(move || App::new().app_data(data.clone()).configure(routes))
            .workers(2)
            .listen(listener)
            .map_err(|e| format!("listen: {e}"))?
            .run();
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on http://{bound}")
            .and_then(|()| stdout.flush())
            .map_err(|e| e.to_string())?;
        running.await.map_err(|e| format!("serve: {e}"))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::test::{call_service, init_service, read_body, TestRequest};
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    use sha2::{Digest, Sha256};

    /// `body` over a payload arriving in `chunks`.
    async fn read(chunks: &[&'static [u8]]) -> Result<Bytes, HttpResponse> {
        use actix_web::FromRequest;
        type Chunks = dyn futures::Stream<Item = Result<Bytes, actix_web::error::PayloadError>>;
        let stream: std::pin::Pin<Box<Chunks>> = Box::pin(futures::stream::iter(
            chunks
                .iter()
                .map(|c| Ok(Bytes::from_static(c)))
                .collect::<Vec<_>>(),
        ));
        let (req, _) = TestRequest::post().to_http_parts();
        let mut payload = actix_web::dev::Payload::Stream { payload: stream };
        body(
            web::Payload::from_request(&req, &mut payload)
                .await
                .unwrap(),
        )
        .await
    }

    #[actix_web::test]
    async fn bodies_are_read_whole_in_order_and_limited() {
        assert_eq!(read(&[b"one chunk"]).await.unwrap(), "one chunk");
        assert_eq!(read(&[b"a", b"", b"bc", b"d"]).await.unwrap(), "abcd");
        assert!(read(&[]).await.unwrap().is_empty());
        let big: &'static [u8] = Box::leak(vec![b'x'; MAX_BODY].into_boxed_slice());
        assert_eq!(read(&[big]).await.unwrap().len(), MAX_BODY);
        let refused = read(&[big, b"y"]).await.unwrap_err();
        assert_eq!(refused.status(), ActixStatus::PAYLOAD_TOO_LARGE);
    }

    #[actix_web::test]
    async fn the_actix_floor_answers_like_the_axum_one() {
        let app = App::new()
            .app_data(web::Data::from(Server::new()))
            .configure(routes);
        let app = init_service(app).await;
        let fixed = call_service(&app, TestRequest::post().uri("/").to_request()).await;
        assert_eq!(fixed.headers().get("cache-control").unwrap(), "no-store");
        assert_eq!(read_body(fixed).await, TOKEN_JSON);

        let verifier = URL_SAFE_NO_PAD.encode(Sha256::digest(b"actix floor"));
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mint = TestRequest::post()
            .uri("/bare/code")
            .set_payload(format!("code_challenge={challenge}"));
        let minted = call_service(&app, mint.to_request()).await;
        assert_eq!(minted.status(), ActixStatus::OK);
        let code = String::from_utf8(read_body(minted).await.to_vec()).unwrap();
        let form = format!(
            "grant_type=authorization_code&code={code}\
             &redirect_uri=https%3A%2F%2Fwallet.example%2Fcallback&code_verifier={verifier}"
        );
        let exchange = |secret: &str| {
            let basic = STANDARD.encode(format!("wallet-web:{secret}"));
            TestRequest::post()
                .uri("/bare/token")
                .insert_header(("authorization", format!("Basic {basic}")))
                .set_payload(form.clone())
                .to_request()
        };
        let refused = call_service(&app, exchange("wrong")).await;
        assert_eq!(refused.status(), ActixStatus::UNAUTHORIZED);
        assert_eq!(
            refused.headers().get("www-authenticate").unwrap(),
            bare::CHALLENGE
        );
        let issued = call_service(&app, exchange("wallet-web-secret-change-me")).await;
        assert_eq!(issued.status(), ActixStatus::OK);
        assert_eq!(issued.headers().get("cache-control").unwrap(), "no-store");
        assert_eq!(issued.headers().get("pragma").unwrap(), "no-cache");
        let json: serde_json::Value = serde_json::from_slice(&read_body(issued).await).unwrap();
        assert_eq!(json["token_type"], "Bearer");
        let replay = call_service(&app, exchange("wallet-web-secret-change-me")).await;
        assert_eq!(
            replay.status(),
            ActixStatus::BAD_REQUEST,
            "a code is used once"
        );
    }
}
