//! Converting between actix-web's request and response types and the engine's. actix-web
//! 4 is built on `http` 0.2 while the engine speaks `http` 1.x, so the method, URI and
//! headers are carried over by name and bytes; the body is read under the size limits of
//! [`AdapterOptions`]. The routes of [`configure`](crate::configure) convert no header map
//! at all: they lend the engine what its endpoints read ([`endpoint_request`]).

use actix_web::http::header::{HeaderName as ActixName, HeaderValue as ActixValue};
use actix_web::http::StatusCode as ActixStatus;
use actix_web::web;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};
use latchkey_engine::adapter::AdapterOptions;
use latchkey_engine::{EndpointRequest, HeaderField, HttpRequest, HttpResponse};

/// The header names most requests and the engine's responses carry, in both crates'
/// types: a name found here is carried over by comparing known names, without parsing its
/// text again.
static NAMES: [(HeaderName, ActixName); 14] = {
    use actix_web::http::header as actix;
    use http::header as engine;
    [
        (engine::HOST, actix::HOST),
        (engine::CONTENT_TYPE, actix::CONTENT_TYPE),
        (engine::CONTENT_LENGTH, actix::CONTENT_LENGTH),
        (engine::AUTHORIZATION, actix::AUTHORIZATION),
        (engine::ACCEPT, actix::ACCEPT),
        (engine::COOKIE, actix::COOKIE),
        (engine::CACHE_CONTROL, actix::CACHE_CONTROL),
        (engine::PRAGMA, actix::PRAGMA),
        (engine::LOCATION, actix::LOCATION),
        (engine::SET_COOKIE, actix::SET_COOKIE),
        (engine::REFERRER_POLICY, actix::REFERRER_POLICY),
        (engine::WWW_AUTHENTICATE, actix::WWW_AUTHENTICATE),
        (engine::X_FRAME_OPTIONS, actix::X_FRAME_OPTIONS),
        (
            engine::CONTENT_SECURITY_POLICY,
            actix::CONTENT_SECURITY_POLICY,
        ),
    ]
};

/// The values the engine's token, error and page responses send most, as static actix
/// values: carried over without allocating a copy.
static VALUES: [&str; 6] = [
    "application/json",
    "no-store",
    "no-cache",
    "no-referrer",
    "text/html; charset=utf-8",
    "DENY",
];

fn actix_name(name: &HeaderName) -> Option<ActixName> {
    if let Some((_, known)) = NAMES.iter().find(|(engine, _)| engine == name) {
        return Some(known.clone());
    }
    ActixName::from_bytes(name.as_str().as_bytes()).ok()
}

fn actix_value(value: &HeaderValue) -> Option<ActixValue> {
    let bytes = value.as_bytes();
    if let Some(known) = VALUES.iter().find(|known| known.as_bytes() == bytes) {
        return Some(ActixValue::from_static(known));
    }
    ActixValue::from_bytes(bytes).ok()
}

fn engine_name(name: &ActixName) -> Option<HeaderName> {
    if let Some((known, _)) = NAMES.iter().find(|(_, actix)| actix == name) {
        return Some(known.clone());
    }
    HeaderName::from_bytes(name.as_str().as_bytes()).ok()
}

/// Turns an engine response into an actix-web response: same status, headers and body.
pub fn into_response(response: HttpResponse) -> actix_web::HttpResponse {
    let (parts, body) = response.into_parts();
    let status =
        ActixStatus::from_u16(parts.status.as_u16()).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR);
    let mut out = actix_web::HttpResponse::with_body(status, body);
    let headers = out.headers_mut();
    for (name, value) in &parts.headers {
        if let (Some(name), Some(value)) = (actix_name(name), actix_value(value)) {
            headers.append(name, value);
        }
    }
    out.map_into_boxed_body()
}

/// The request's headers as `http` 1.x headers (a header that does not convert, which a
/// valid request never has, is left out).
pub fn engine_headers(req: &actix_web::HttpRequest) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        if let (Some(name), Ok(value)) =
            (engine_name(name), HeaderValue::from_bytes(value.as_bytes()))
        {
            headers.append(name, value);
        }
    }
    headers
}

/// Builds the engine request from an actix-web request and its body, already read (see
/// [`read_body`]). Method, path and query, and headers are carried over.
pub fn to_engine_request(req: &actix_web::HttpRequest, body: Bytes) -> HttpRequest {
    let mut request = HttpRequest::new(body);
    // Both crates parse methods and URIs by the same grammar; should one still not
    // convert, the engine sees a GET to `/`, which its POST endpoints refuse.
    if let Ok(method) = Method::from_bytes(req.method().as_str().as_bytes()) {
        *request.method_mut() = method;
    }
    // A server sees origin-form targets (path and query): parse that text as is; only
    // an absolute-form target goes through formatting.
    let uri = match (req.uri().scheme(), req.uri().path_and_query()) {
        (None, Some(target)) => Uri::try_from(target.as_str()),
        _ => Uri::try_from(req.uri().to_string()),
    };
    if let Ok(uri) = uri {
        *request.uri_mut() = uri;
    }
    *request.headers_mut() = engine_headers(req);
    request
}

/// What the engine's endpoints read of `req` and its `body` (already read, see
/// [`read_body`]), borrowed from actix-web's own types: method, query, `Content-Type`,
/// `Authorization` and body. No other header is converted. Both crates parse methods by
/// the same grammar; should one still not convert, the engine sees `CONNECT`, which no
/// endpoint serves.
pub fn endpoint_request<'a>(
    req: &'a actix_web::HttpRequest,
    body: &'a [u8],
) -> EndpointRequest<'a> {
    use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
    let method = Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(Method::CONNECT);
    EndpointRequest::new(method, req.uri().query(), body)
        .with_content_type(header_field(req, CONTENT_TYPE))
        .with_authorization(header_field(req, AUTHORIZATION))
}

/// The values of header `name` in `req`, as the engine takes them.
pub(crate) fn header_field(req: &actix_web::HttpRequest, name: ActixName) -> HeaderField<'_> {
    HeaderField::from_values(req.headers().get_all(name).map(ActixValue::as_bytes))
}

/// Reads the body of `req` within `options`: `414` for a long query and `413` for a body
/// over the limit (by `Content-Length` before reading, or while reading), each with a JSON
/// `invalid_request` body.
///
/// A body that arrives in one chunk, as a form of a few hundred bytes does, is handed on
/// as that chunk, uncopied; only a body in several chunks is gathered into one buffer.
pub async fn read_body(
    req: &actix_web::HttpRequest,
    mut payload: web::Payload,
    options: &AdapterOptions,
) -> Result<Bytes, actix_web::HttpResponse> {
    let content_length = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .map(ActixValue::as_bytes);
    if let Some(refusal) = options.refuse_sizes(req.uri().query(), content_length) {
        return Err(into_response(refusal));
    }
    // The first chunk is kept as it came; a second one starts a buffer for them all.
    let mut first: Option<Bytes> = None;
    let mut gathered = BytesMut::new();
    let mut total = 0usize;
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return Err(into_response(AdapterOptions::body_unreadable()));
        };
        total = total.saturating_add(chunk.len());
        if total > options.max_body_bytes {
            return Err(into_response(AdapterOptions::body_too_large()));
        }
        if first.is_none() && gathered.is_empty() {
            first = Some(chunk);
            continue;
        }
        if let Some(earlier) = first.take() {
            gathered.reserve(total);
            gathered.extend_from_slice(&earlier);
        }
        gathered.extend_from_slice(&chunk);
    }
    Ok(first.unwrap_or_else(|| gathered.freeze()))
}

/// An engine response as an actix-web error, for extractors that refuse a request.
pub(crate) fn refusal(response: HttpResponse) -> actix_web::Error {
    actix_web::error::InternalError::from_response("refused", into_response(response)).into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn method_uri_and_headers_carry_over() {
        let req = TestRequest::post()
            .uri("/token?a=b")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .insert_header(("authorization", "Basic YXBwOnMzY3JldA=="))
            .to_http_request();
        let converted = to_engine_request(&req, Bytes::from_static(b"x=y"));
        assert_eq!(converted.method(), Method::POST);
        assert_eq!(converted.uri().query(), Some("a=b"));
        assert_eq!(
            converted.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            converted.headers()["authorization"],
            "Basic YXBwOnMzY3JldA=="
        );
        assert_eq!(converted.body().as_ref(), b"x=y");
    }

    #[test]
    fn endpoints_are_lent_what_they_read_and_nothing_else() {
        let req = TestRequest::post()
            .uri("/token?a=b")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .append_header(("authorization", "Basic b25l"))
            .append_header(("authorization", "Basic dHdv"))
            .insert_header(("x-other", "ignored"))
            .to_http_request();
        let view = endpoint_request(&req, b"x=y");
        assert_eq!(view.method(), Method::POST);
        assert_eq!(view.query(), Some("a=b"));
        assert_eq!(
            view.content_type(),
            HeaderField::Once(b"application/x-www-form-urlencoded")
        );
        assert_eq!(view.authorization(), HeaderField::Repeated);
        assert_eq!(view.body(), b"x=y");
        // The same request through the full conversion lends the engine the same.
        let converted = to_engine_request(&req, Bytes::from_static(b"x=y"));
        let from_http = EndpointRequest::from(&converted);
        assert_eq!(from_http.method(), view.method());
        assert_eq!(from_http.query(), view.query());
        assert_eq!(from_http.content_type(), view.content_type());
        assert_eq!(from_http.authorization(), view.authorization());
        assert_eq!(from_http.body(), view.body());
        let req = TestRequest::get()
            .uri("/authorize")
            .insert_header(("authorization", "Basic b25l"))
            .to_http_request();
        let view = endpoint_request(&req, b"");
        assert_eq!(view.method(), Method::GET);
        assert_eq!(view.query(), None);
        assert_eq!(view.content_type(), HeaderField::Absent);
        assert_eq!(view.authorization(), HeaderField::Once(b"Basic b25l"));
    }

    /// A request whose body arrives in the given chunks, without a `Content-Length`.
    async fn chunked(chunks: &[&'static [u8]]) -> (actix_web::HttpRequest, web::Payload) {
        use actix_web::FromRequest;
        let stream = futures::stream::iter(
            chunks
                .iter()
                .map(|chunk| Ok(Bytes::from_static(chunk)))
                .collect::<Vec<_>>(),
        );
        let (req, _) = TestRequest::post().uri("/token").to_http_parts();
        type Chunks = dyn futures::Stream<Item = Result<Bytes, actix_web::error::PayloadError>>;
        let stream: std::pin::Pin<Box<Chunks>> = Box::pin(stream);
        let mut payload = actix_web::dev::Payload::Stream { payload: stream };
        let payload = web::Payload::from_request(&req, &mut payload)
            .await
            .unwrap();
        (req, payload)
    }

    #[actix_web::test]
    async fn a_body_in_chunks_is_gathered_in_order_and_limited_while_read() {
        let options = AdapterOptions {
            max_body_bytes: 8,
            ..AdapterOptions::default()
        };
        let (req, payload) = chunked(&[b"ab", b"", b"cde", b"fgh"]).await;
        let body = read_body(&req, payload, &options).await.unwrap();
        assert_eq!(body.as_ref(), b"abcdefgh");
        let (req, payload) = chunked(&[b"only"]).await;
        assert_eq!(read_body(&req, payload, &options).await.unwrap(), "only");
        let (req, payload) = chunked(&[]).await;
        assert!(read_body(&req, payload, &options).await.unwrap().is_empty());
        let (req, payload) = chunked(&[b"abcd", b"efgh", b"i"]).await;
        let refused = read_body(&req, payload, &options).await.unwrap_err();
        assert_eq!(refused.status(), ActixStatus::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn known_names_and_values_pair_up_and_others_still_convert() {
        for (engine, actix) in &NAMES {
            assert_eq!(engine.as_str(), actix.as_str());
            assert_eq!(actix_name(engine).as_ref(), Some(actix));
            assert_eq!(engine_name(actix).as_ref(), Some(engine));
        }
        for known in VALUES {
            let value = actix_value(&HeaderValue::from_static(known)).unwrap();
            assert_eq!(value.as_bytes(), known.as_bytes());
        }
        let custom = HeaderName::from_static("x-latchkey-trace");
        let converted = actix_name(&custom).unwrap();
        assert_eq!(converted.as_str(), "x-latchkey-trace");
        assert_eq!(engine_name(&converted), Some(custom));
        let other = actix_value(&HeaderValue::from_static("max-age=60")).unwrap();
        assert_eq!(other, "max-age=60");
        // A prefix of a known value is not taken for it.
        let prefix = actix_value(&HeaderValue::from_static("no-stor")).unwrap();
        assert_eq!(prefix, "no-stor");
    }

    #[test]
    fn repeated_headers_keep_every_value_in_order() {
        let req = TestRequest::get()
            .append_header(("accept", "text/html"))
            .append_header(("x-empty", ""))
            .append_header(("accept", "application/json"))
            .to_http_request();
        let headers = engine_headers(&req);
        let accept: Vec<_> = headers.get_all("accept").iter().collect();
        assert_eq!(accept, ["text/html", "application/json"]);
        assert_eq!(headers["x-empty"], "");
        let mut response = HttpResponse::new(Bytes::new());
        for value in ["a=1", "b=2"] {
            let value = HeaderValue::from_static(value);
            response.headers_mut().append("set-cookie", value);
        }
        response
            .headers_mut()
            .insert("cache-control", HeaderValue::from_static("no-store"));
        let response = into_response(response);
        let cookies: Vec<_> = response.headers().get_all("set-cookie").collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        let cache = response.headers().get("cache-control").unwrap();
        assert_eq!(cache, "no-store");
    }

    #[actix_web::test]
    async fn limits_are_checked_before_the_body_is_read() {
        use actix_web::FromRequest;
        let options = AdapterOptions {
            max_body_bytes: 8,
            max_query_bytes: 4,
            ..AdapterOptions::default()
        };
        let (req, mut payload) = TestRequest::post()
            .uri("/token")
            .insert_header(("content-length", " 100 "))
            .to_http_parts();
        let payload = web::Payload::from_request(&req, &mut payload)
            .await
            .unwrap();
        let refused = read_body(&req, payload, &options).await.unwrap_err();
        assert_eq!(refused.status(), ActixStatus::PAYLOAD_TOO_LARGE);
        let (req, mut payload) = TestRequest::get().uri("/token?abcde").to_http_parts();
        let payload = web::Payload::from_request(&req, &mut payload)
            .await
            .unwrap();
        let refused = read_body(&req, payload, &options).await.unwrap_err();
        assert_eq!(refused.status(), ActixStatus::URI_TOO_LONG);
    }

    #[test]
    fn responses_keep_status_headers_and_body() {
        let engine_response = AdapterOptions::body_too_large();
        let expected_body = engine_response.body().clone();
        let response = into_response(engine_response);
        assert_eq!(response.status(), ActixStatus::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/json"
        );
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures::executor::block_on(body).unwrap();
        assert_eq!(body, expected_body);
    }
}
