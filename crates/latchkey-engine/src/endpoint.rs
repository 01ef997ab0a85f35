//! What every form-posting endpoint (token, revocation, introspection) checks before
//! parsing: the method is POST and the body is `application/x-www-form-urlencoded`
//! (RFC 6749 §3.2; RFC 7009 §2.1; RFC 7662 §2.1).

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Method, Request};

use crate::error::Error;

/// The request type every POST endpoint of the engine takes.
pub type HttpRequest = Request<Bytes>;

/// Checks method and content type.
pub(crate) fn require_form_post(request: &HttpRequest) -> Result<(), Error> {
    if request.method() != Method::POST {
        return Err(Error::InvalidRequest("the endpoint requires POST"));
    }
    let mut content_types = request.headers().get_all(CONTENT_TYPE).iter();
    let is_form = match (content_types.next(), content_types.next()) {
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| {
                media
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            }),
        _ => false,
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

    fn request(method: Method, content_type: Option<&str>) -> HttpRequest {
        let mut builder = Request::builder().method(method).uri("/token");
        if let Some(ct) = content_type {
            builder = builder.header(CONTENT_TYPE, ct);
        }
        builder.body(Bytes::new()).unwrap()
    }

    #[test]
    fn only_form_posts_are_accepted_rfc6749_3_2() {
        assert!(require_form_post(&request(
            Method::POST,
            Some("application/x-www-form-urlencoded")
        ))
        .is_ok());
        assert!(require_form_post(&request(
            Method::POST,
            Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8")
        ))
        .is_ok());
        assert!(require_form_post(&request(
            Method::GET,
            Some("application/x-www-form-urlencoded")
        ))
        .is_err());
        assert!(require_form_post(&request(Method::POST, Some("application/json"))).is_err());
        assert!(require_form_post(&request(Method::POST, None)).is_err());
    }
}
