//! The demo's HTML: server-rendered pages without JavaScript, every interpolated value
//! passed through [`escape_html`], each response carrying the same protective headers
//! (no framing, a CSP that allows only inline styles and same-origin form posts, no
//! referrer, no caching). Rendering is pure string building, kept apart from the flow so
//! it can be tested on its own.

use bytes::Bytes;
use http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_FRAME_OPTIONS,
};
use http::{Response, StatusCode};
use latchkey_engine::{escape_html, HttpResponse, PendingInteraction};

/// No `form-action`: browsers apply it to the redirect that follows a form post too, and
/// the consent form's answer is a 303 to the client's own origin.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}\
    form{display:grid;gap:.6rem}input,button{font-size:1rem;padding:.45rem}\
    .error{color:#a00}.note{color:#555;font-size:.9rem}li{margin:.3rem 0}";

/// Room for a page's headers: its content type or `Location`, the four below and up to
/// three `Set-Cookie`s, so that building a page never regrows the map.
const PAGE_HEADERS: usize = 8;

/// An empty response with `status` and room for [`PAGE_HEADERS`].
fn response(status: StatusCode, body: Bytes) -> HttpResponse {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = http::HeaderMap::with_capacity(PAGE_HEADERS);
    response
}

fn protect(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    headers.reserve(PAGE_HEADERS.saturating_sub(headers.len()));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A full HTML page; `body` must already be escaped.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{} · latchkey demo</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape_html(title)
    );
    let mut response = response(status, Bytes::from(html));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    protect(&mut response);
    response
}

/// A page with a heading and one message (errors and dead ends).
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    page(
        status,
        title,
        &format!(
            "<h1>{}</h1><p>{}</p>",
            escape_html(title),
            escape_html(text)
        ),
    )
}

/// The page for a missing, unknown or expired interaction.
pub(crate) fn expired() -> HttpResponse {
    message(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in has expired, start again from the app.",
    )
}

/// A `303 See Other` to a fixed path of this server, with the page headers.
pub(crate) fn see_other(location: &'static str) -> HttpResponse {
    redirect(Some(HeaderValue::from_static(location)))
}

/// A `303 See Other` to a location built for this request (a path of this server with
/// its query), with the page headers; without `Location` if it is not a valid header
/// value. The location's bytes become the header value without a copy.
pub(crate) fn see_other_to(location: String) -> HttpResponse {
    redirect(HeaderValue::from_maybe_shared(Bytes::from(location)).ok())
}

fn redirect(location: Option<HeaderValue>) -> HttpResponse {
    let mut response = response(StatusCode::SEE_OTHER, Bytes::new());
    if let Some(value) = location {
        response.headers_mut().insert(LOCATION, value);
    }
    protect(&mut response);
    response
}

/// Adds the page headers to a response made by the engine (its redirects).
pub(crate) fn protected(mut response: HttpResponse) -> HttpResponse {
    protect(&mut response);
    response
}

fn error_line(error: Option<&str>) -> String {
    error.map_or_else(String::new, |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape_html(e))
    })
}

/// The note under the sign-in form while the built-in users are in use.
pub(crate) const LOGIN_HINT: &str =
    "<p class=\"note\">Demo users: alice / alice-password, bob / bob-password.</p>";

/// The note under the code form while the built-in users are in use.
pub(crate) const SCA_HINT: &str = "<p class=\"note\">Demo codes: alice 123456, bob 654321.</p>";

/// The sign-in form.
pub(crate) fn login_form(client_name: &str, csrf: &str, error: Option<&str>) -> String {
    format!(
        "<h1>Sign in</h1><p><strong>{client}</strong> wants to access your exchange account.</p>{error}\
         <form method=\"post\" action=\"/login\">\
         <label>Username <input name=\"username\" autocomplete=\"username\" required></label>\
         <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">Sign in</button></form>",
        client = escape_html(client_name),
        error = error_line(error),
        csrf = escape_html(csrf),
    )
}

/// The consent page: the client and each requested scope with its description.
pub(crate) fn consent_form(pending: &PendingInteraction, username: &str, csrf: &str) -> String {
    let mut items = String::new();
    for scope in pending.scope.iter() {
        let rule = pending.scope_rules.iter().find(|r| r.name == scope);
        let description = rule.map_or(scope, |r| r.description.as_str());
        let strong = if rule.is_some_and(|r| r.required_acr.is_some()) {
            " <em>(requires strong authentication)</em>"
        } else {
            ""
        };
        items.push_str(&format!(
            "<li><code>{}</code>: {}{strong}</li>",
            escape_html(scope),
            escape_html(description)
        ));
    }
    format!(
        "<h1>Allow access?</h1><p>Signed in as <strong>{user}</strong>.</p>\
         <p><strong>{client}</strong> asks to:</p><ul>{items}</ul>\
         <form method=\"post\" action=\"/consent\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        user = escape_html(username),
        client = escape_html(&pending.client_name),
        csrf = escape_html(csrf),
    )
}

/// The strong-authentication (one-time code) form.
pub(crate) fn sca_form(client_name: &str, csrf: &str, error: Option<&str>) -> String {
    format!(
        "<h1>Confirm it is you</h1><p><strong>{client}</strong> asks for access that needs \
         strong authentication. Enter the code from your authenticator app.</p>{error}\
         <form method=\"post\" action=\"/sca\">\
         <label>Code <input name=\"sca_code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required></label>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">Confirm</button></form>",
        client = escape_html(client_name),
        error = error_line(error),
        csrf = escape_html(csrf),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn client_names_and_errors_are_escaped() {
        let html = login_form("<script>alert(1)</script>", "t\"x", Some("<b>no</b>"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("value=\"t&quot;x\""));
        assert!(html.contains("&lt;b&gt;no&lt;/b&gt;"));
        let html = sca_form("Evil \" onload=\"x", "t", None);
        assert!(html.contains("Evil &quot; onload=&quot;x"));
    }

    #[test]
    fn pages_carry_the_protective_headers() {
        let response = message(StatusCode::BAD_REQUEST, "<t>", "<m>");
        assert_eq!(response.headers()[X_FRAME_OPTIONS], "DENY");
        assert_eq!(response.headers()[CONTENT_SECURITY_POLICY], CSP);
        assert_eq!(response.headers()[REFERRER_POLICY], "no-referrer");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        let body = std::str::from_utf8(response.body()).unwrap();
        assert!(body.contains("&lt;m&gt;") && !body.contains("<m>"));
        assert!(!response
            .headers()
            .contains_key("access-control-allow-origin"));
    }
}
