//! Converting between axum's request and response types and the engine's: the engine
//! speaks `http` 1.x with a [`Bytes`] body, as axum does, so only the body changes hands,
//! read under the size limits of [`AdapterOptions`].

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use latchkey_engine::adapter::AdapterOptions;
use latchkey_engine::{HttpRequest, HttpResponse};

/// Turns an engine response into an axum response, unchanged.
pub fn into_response(response: HttpResponse) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::from(body))
}

/// Reads `request` into an engine request. A query over `options.max_query_bytes` is
/// refused with `414`, a body over `options.max_body_bytes` with `413` (checked against
/// `Content-Length` first, then while reading), each with a JSON `invalid_request` body.
pub async fn to_engine_request(
    request: Request,
    options: &AdapterOptions,
) -> Result<HttpRequest, Response> {
    if let Some(refusal) = options.refuse_head(request.uri().query(), request.headers()) {
        return Err(into_response(refusal));
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match Limited::new(body, options.max_body_bytes).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => {
            return Err(into_response(AdapterOptions::body_too_large()))
        }
        Err(_) => return Err(into_response(AdapterOptions::body_unreadable())),
    };
    Ok(HttpRequest::from_parts(parts, bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn options() -> AdapterOptions {
        AdapterOptions {
            max_body_bytes: 8,
            max_query_bytes: 4,
            ..AdapterOptions::default()
        }
    }

    async fn convert(uri: &str, body: &'static [u8]) -> Result<HttpRequest, Response> {
        let request = Request::builder().uri(uri).body(Body::from(body)).unwrap();
        to_engine_request(request, &options()).await
    }

    #[tokio::test]
    async fn a_request_within_limits_keeps_its_parts() {
        let request = convert("/token?a=b", b"x=y").await.unwrap();
        assert_eq!(request.uri().query(), Some("a=b"));
        assert_eq!(request.body().as_ref(), b"x=y");
    }

    #[tokio::test]
    async fn limits_are_413_and_414() {
        let long_query = convert("/token?abcde", b"").await.unwrap_err();
        assert_eq!(long_query.status(), StatusCode::URI_TOO_LONG);
        // No Content-Length here: the limit trips while reading.
        let big_body = convert("/token", b"123456789").await.unwrap_err();
        assert_eq!(big_body.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn responses_pass_through_unchanged() {
        let engine_response = AdapterOptions::query_too_long();
        let headers = engine_response.headers().clone();
        let response = into_response(engine_response);
        assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
        assert_eq!(response.headers(), &headers);
    }
}
