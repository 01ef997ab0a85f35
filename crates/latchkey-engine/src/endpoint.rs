//! What the engine's endpoints read of a request, and what every form-posting endpoint
//! (token, revocation, introspection) checks before parsing: the method is POST and the
//! body is `application/x-www-form-urlencoded` (RFC 6749 §3.2; RFC 7009 §2.1; RFC 7662
//! §2.1). An endpoint reads the method, the query, the body and two headers,
//! `Content-Type` and `Authorization`, and nothing else; [`EndpointRequest`] holds exactly
//! those, borrowed, so an adapter whose framework has its own request types lends them
//! without copying a header map.

use std::fmt;

use bytes::Bytes;
use http::header::{HeaderName, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, Request};

use crate::error::Error;

/// The request type every POST endpoint of the engine takes.
pub type HttpRequest = Request<Bytes>;

/// The values a request carries for one header: none, one, or more than one. The
/// endpoints refuse a repeated `Content-Type` or `Authorization`, so they need no more
/// than this.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum HeaderField<'a> {
    /// The request does not carry the header.
    #[default]
    Absent,
    /// The header's single value, as raw bytes.
    Once(&'a [u8]),
    /// The header is repeated.
    Repeated,
}

impl<'a> HeaderField<'a> {
    /// The field made of a header's values, in any framework's types.
    pub fn from_values<I>(values: I) -> Self
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let mut values = values.into_iter();
        match (values.next(), values.next()) {
            (None, _) => Self::Absent,
            (Some(value), None) => Self::Once(value),
            (Some(_), Some(_)) => Self::Repeated,
        }
    }

    /// The values of `name` in `headers`.
    pub fn of(headers: &'a HeaderMap, name: &HeaderName) -> Self {
        Self::from_values(headers.get_all(name).iter().map(|v| v.as_bytes()))
    }
}

/// Shows whether the header is there and how often, never its value: an
/// `Authorization` value carries client credentials.
impl fmt::Debug for HeaderField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absent => f.write_str("Absent"),
            Self::Once(value) => write!(f, "Once([{} bytes redacted])", value.len()),
            Self::Repeated => f.write_str("Repeated"),
        }
    }
}

/// What the engine's endpoints read of a request: its method, its query, its
/// `Content-Type` and `Authorization` headers, and its body, all borrowed.
///
/// Made from an [`HttpRequest`] with `From`, or by an adapter from its framework's own
/// request with [`new`](Self::new) and the `with_` methods, without converting any other
/// header. Its `Debug` shows neither the `Authorization` value nor the body.
#[derive(Clone)]
pub struct EndpointRequest<'a> {
    method: Method,
    query: Option<&'a str>,
    content_type: HeaderField<'a>,
    authorization: HeaderField<'a>,
    body: &'a [u8],
}

impl<'a> EndpointRequest<'a> {
    /// A request with `method`, the query string of its target (without the `?`) and
    /// `body`, carrying neither `Content-Type` nor `Authorization`.
    pub fn new(method: Method, query: Option<&'a str>, body: &'a [u8]) -> Self {
        Self {
            method,
            query,
            content_type: HeaderField::Absent,
            authorization: HeaderField::Absent,
            body,
        }
    }

    /// The request with the values of its `Content-Type` header.
    #[must_use]
    pub fn with_content_type(mut self, content_type: HeaderField<'a>) -> Self {
        self.content_type = content_type;
        self
    }

    /// The request with the values of its `Authorization` header.
    #[must_use]
    pub fn with_authorization(mut self, authorization: HeaderField<'a>) -> Self {
        self.authorization = authorization;
        self
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The query string, without the `?`.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The `Content-Type` header's values.
    pub fn content_type(&self) -> HeaderField<'a> {
        self.content_type
    }

    /// The `Authorization` header's values.
    pub fn authorization(&self) -> HeaderField<'a> {
        self.authorization
    }

    /// The body.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

impl<'a> From<&'a HttpRequest> for EndpointRequest<'a> {
    fn from(request: &'a HttpRequest) -> Self {
        let headers = request.headers();
        Self::new(
            request.method().clone(),
            request.uri().query(),
            request.body(),
        )
        .with_content_type(HeaderField::of(headers, &CONTENT_TYPE))
        .with_authorization(HeaderField::of(headers, &AUTHORIZATION))
    }
}

impl fmt::Debug for EndpointRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointRequest")
            .field("method", &self.method)
            .field("query_len", &self.query.map(str::len))
            .field("content_type", &self.content_type)
            .field("authorization", &self.authorization)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A header value as text, if it is visible ASCII and tabs only, as `http`'s
/// `HeaderValue::to_str` accepts; other bytes are never a value the endpoints understand.
pub(crate) fn header_text(value: &[u8]) -> Option<&str> {
    let visible = value
        .iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b));
    visible.then(|| std::str::from_utf8(value).ok()).flatten()
}

/// Checks method and content type.
pub(crate) fn require_form_post(request: &EndpointRequest<'_>) -> Result<(), Error> {
    if request.method != Method::POST {
        return Err(Error::InvalidRequest("the endpoint requires POST"));
    }
    let is_form = match request.content_type {
        HeaderField::Once(value) => header_text(value)
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| {
                media
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            }),
        HeaderField::Absent | HeaderField::Repeated => false,
    };
    if !is_form {
        return Err(Error::InvalidRequest(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(method: Method, content_types: &[&str]) -> HttpRequest {
        let mut builder = Request::builder().method(method).uri("/token");
        for ct in content_types {
            builder = builder.header(CONTENT_TYPE, *ct);
        }
        builder.body(Bytes::new()).unwrap()
    }

    fn form_post_ok(request: &HttpRequest) -> bool {
        require_form_post(&EndpointRequest::from(request)).is_ok()
    }

    #[test]
    fn only_form_posts_are_accepted_rfc6749_3_2() {
        const FORM: &str = "application/x-www-form-urlencoded";
        assert!(form_post_ok(&request(Method::POST, &[FORM])));
        assert!(form_post_ok(&request(
            Method::POST,
            &["Application/X-WWW-Form-Urlencoded; charset=UTF-8"]
        )));
        assert!(!form_post_ok(&request(Method::GET, &[FORM])));
        assert!(!form_post_ok(&request(Method::POST, &["application/json"])));
        assert!(!form_post_ok(&request(Method::POST, &[])));
        // Two values leave the body's type ambiguous.
        assert!(!form_post_ok(&request(Method::POST, &[FORM, FORM])));
    }

    #[test]
    fn an_http_request_lends_what_endpoints_read() {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/token?a=b")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(AUTHORIZATION, "Basic one")
            .header(AUTHORIZATION, "Basic two")
            .header("x-other", "ignored")
            .body(Bytes::from_static(b"grant_type=x"))
            .unwrap();
        let view = EndpointRequest::from(&request);
        assert_eq!(view.method(), Method::POST);
        assert_eq!(view.query(), Some("a=b"));
        assert_eq!(
            view.content_type(),
            HeaderField::Once(b"application/x-www-form-urlencoded")
        );
        assert_eq!(view.authorization(), HeaderField::Repeated);
        assert_eq!(view.body(), b"grant_type=x");
        let bare = Request::new(Bytes::new());
        let view = EndpointRequest::from(&bare);
        assert_eq!(view.query(), None);
        assert_eq!(view.authorization(), HeaderField::Absent);
    }

    #[test]
    fn header_text_takes_visible_ascii_only() {
        assert_eq!(header_text(b"Basic YQ==\t"), Some("Basic YQ==\t"));
        assert_eq!(header_text(b""), Some(""));
        assert_eq!(header_text(b"caf\xc3\xa9"), None);
        assert_eq!(header_text(b"a\x7fb"), None);
        assert_eq!(header_text(b"a\nb"), None);
    }

    #[test]
    fn debug_shows_neither_credentials_nor_body() {
        let view = EndpointRequest::new(Method::POST, Some("q=1"), b"client_secret=s3cr3t")
            .with_authorization(HeaderField::Once(b"Basic c2VjcmV0"));
        let shown = format!("{view:?}");
        assert!(shown.contains("Once([14 bytes redacted])"), "{shown}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("q=1"), "{shown}");
    }
}
