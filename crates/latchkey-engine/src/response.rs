//! Building HTTP responses: the headers every OAuth response needs (`Cache-Control:
//! no-store` and `Pragma: no-cache` on anything carrying tokens or errors, RFC 6749 §5.1),
//! JSON bodies, redirects and the plain error page shown when a request cannot be
//! redirected. Decided here once, so every adapter sends the same bytes.

use bytes::Bytes;
use http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA, REFERRER_POLICY, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::error::{Error, WireError};

/// The response type every engine endpoint returns.
pub type HttpResponse = Response<Bytes>;

fn with_no_store(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON response with `no-store` caching headers.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_body(status, bytes),
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// A JSON response with `no-store` caching headers, for a body already serialized.
pub(crate) fn json_body(status: StatusCode, body: Vec<u8>) -> HttpResponse {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    with_no_store(response)
}

/// A JSON response that may be cached publicly (metadata, JWKS).
pub(crate) fn public_json<T: Serialize>(body: &T) -> HttpResponse {
    let mut response = json(StatusCode::OK, body);
    let headers = response.headers_mut();
    headers.remove(PRAGMA);
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    let mut response = Response::new(Bytes::from_static(text.as_bytes()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    with_no_store(response)
}

/// The JSON error response for `error`, per RFC 6749 §5.2. `basic_realm` adds
/// `WWW-Authenticate: Basic` to a 401.
pub(crate) fn error(error: &Error, basic_realm: &str) -> HttpResponse {
    wire_error(&error.to_wire(), basic_realm)
}

pub(crate) fn wire_error(wire: &WireError, basic_realm: &str) -> HttpResponse {
    let mut response = json(wire.status, &wire.body);
    if wire.status == StatusCode::UNAUTHORIZED {
        if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{basic_realm}\"")) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
    }
    if let Some(secs) = wire.retry_after_secs {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// A `303 See Other` redirect to `location` (RFC 9700 §4.12: 303, never 307, after a POST).
pub(crate) fn redirect(location: &str) -> HttpResponse {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::SEE_OTHER;
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(LOCATION, value);
            response
                .headers_mut()
                .insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            with_no_store(response)
        }
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// The page shown to the user when an authorization request must not be redirected
/// (unknown client, unregistered redirect URI): RFC 6749 §4.1.2.1 says to inform the
/// resource owner and not to redirect. Integrators may render their own from
/// [`crate::AuthorizationStart::ErrorPage`]'s data instead.
pub(crate) fn error_page(status: StatusCode, message: &str) -> HttpResponse {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorization error</title></head>\
         <body><h1>This authorization request cannot be completed</h1><p>{}</p>\
         <p>Please return to the application you came from.</p></body></html>",
        escape_html(message)
    );
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        http::header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    );
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    with_no_store(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_html_neutralises_markup() {
        assert_eq!(
            escape_html("<a href='x'>&\"</a>"),
            "&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn redirects_are_303_and_not_cached() {
        let r = redirect("https://client.example/cb?code=x");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    }
}
