//! The OAuth client side of the benchmark, over the driver's HTTP client: the demo's
//! interactive flow in four requests (GET /authorize → POST /login → POST /consent →
//! POST /token) for the confidential client `wallet-web` and user `alice`, and the single
//! calls (code exchange, refresh, introspection, the bearer-protected balance). The CSRF
//! field is computed the way the demo derives it from the `lk_interaction` cookie
//! (`base64url(SHA-256("csrf:" + id))`), so the GET pages need not be fetched.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::Full;
use sha2::{Digest, Sha256};

use crate::driver::{send, Fixed, HttpClient, Reply};

const CLIENT_ID: &str = "wallet-web";
const CLIENT_SECRET: &str = "wallet-web-secret-change-me";
const REDIRECT_URI: &str = "https://wallet.example/callback";
const RESOURCE_ID: &str = "exchange-api";
const RESOURCE_SECRET: &str = "exchange-api-secret";
const FORM: &str = "application/x-www-form-urlencoded";

/// Access and refresh token from a token response.
pub(crate) struct Tokens {
    pub(crate) access: String,
    pub(crate) refresh: String,
}

/// An authorization code and the PKCE verifier it was requested with.
pub(crate) struct Code {
    pub(crate) code: String,
    pub(crate) verifier: String,
}

fn basic(id: &str, secret: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(&format!(
        "Basic {}",
        STANDARD.encode(format!("{id}:{secret}"))
    ))
    .map_err(|e| e.to_string())
}

/// `Authorization: Basic` of the confidential client `wallet-web`, as its token requests
/// send it (the floor's POST carries the same header).
pub(crate) fn wallet_basic() -> Result<HeaderValue, String> {
    basic(CLIENT_ID, CLIENT_SECRET)
}

/// `pairs` as `application/x-www-form-urlencoded`, byte for byte what
/// `form_urlencoded::Serializer` writes, in one pre-sized string: values needing no
/// escape (codes, verifiers, tokens, ids) are copied as they are. The serializer spent
/// ~4k instructions per body on the load generator, which shares the cores with the
/// server, while the floor's body is a constant.
pub(crate) fn form(pairs: &[(&str, &str)]) -> Bytes {
    let len: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(len + len / 4);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, name);
        out.push('=');
        encode_into(&mut out, value);
    }
    Bytes::from(out)
}

fn encode_into(out: &mut String, text: &str) {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_');
    if text.bytes().all(plain) {
        out.push_str(text);
    } else {
        out.extend(form_urlencoded::byte_serialize(text.as_bytes()));
    }
}

/// The value of cookie `name` among the response's `Set-Cookie` headers.
fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

fn expect(reply: &Reply, status: StatusCode, what: &str) -> Result<(), String> {
    if reply.status == status {
        return Ok(());
    }
    Err(format!(
        "{what}: expected {status}, got {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    ))
}

/// The string value of top-level field `name` in compact JSON like the servers write
/// (`"name":"value"`, no escapes in the value, as in every token), found without building
/// a JSON tree: the refresh load reads every response, the floor's driver none, so this
/// keeps the client's share of the shared CPU small. `None` if absent or escaped.
fn compact_str_field<'a>(body: &'a [u8], name: &str) -> Option<&'a str> {
    let mut rest = body;
    while let Some(quote) = rest.iter().position(|&b| b == b'"') {
        let after = rest.get(quote + 1..)?;
        let value = after
            .strip_prefix(name.as_bytes())
            .and_then(|v| v.strip_prefix(b"\":\""));
        if let Some(value) = value {
            let end = value.iter().position(|&b| b == b'"')?;
            let value = std::str::from_utf8(value.get(..end)?).ok()?;
            return (!value.contains('\\') && !value.is_empty()).then_some(value);
        }
        rest = after;
    }
    None
}

/// The OAuth calls against one demo server; cheap to clone (one reference count), so a
/// load's per-request client work stays as small as the floor's.
#[derive(Clone)]
pub(crate) struct OAuth(Arc<Inner>);

pub(crate) struct Inner {
    client: HttpClient,
    base: String,
    /// `/token`, `/login` and `/consent`, parsed once.
    token_uri: Uri,
    login_uri: Uri,
    consent_uri: Uri,
    wallet_basic: HeaderValue,
    resource_basic: HeaderValue,
}

impl std::ops::Deref for OAuth {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl OAuth {
    /// Calls against `base` (`http://127.0.0.1:PORT`) through `client`.
    pub(crate) fn new(client: HttpClient, base: &str) -> Result<Self, String> {
        let base = base.trim_end_matches('/').to_owned();
        let uri = |path: &str| -> Result<Uri, String> {
            format!("{base}{path}")
                .parse()
                .map_err(|e| format!("{path}: {e}"))
        };
        Ok(Self(Arc::new(Inner {
            client,
            token_uri: uri("/token")?,
            login_uri: uri("/login")?,
            consent_uri: uri("/consent")?,
            base,
            wallet_basic: wallet_basic()?,
            resource_basic: basic(RESOURCE_ID, RESOURCE_SECRET)?,
        })))
    }

    fn uri(&self, path: &str) -> Result<Uri, String> {
        format!("{}{path}", self.base)
            .parse()
            .map_err(|e| format!("{path}: {e}"))
    }

    async fn call(
        &self,
        method: Method,
        uri: Uri,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
    ) -> Result<Reply, String> {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let request = builder.body(Full::new(body)).map_err(|e| e.to_string())?;
        send(&self.client, request).await
    }

    /// Authorize → login → consent for scope `balance:read`: three requests, one code.
    pub(crate) async fn obtain_code(&self, n: usize) -> Result<Code, String> {
        let verifier = format!("latchkey-bench-verifier-{n:020}-abcdefghijklmnopqrstuvwxyz");
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let state = format!("s{n}");
        let query = form(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "balance:read"),
            ("state", &state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let path = format!("/authorize?{}", String::from_utf8_lossy(&query));
        let reply = self
            .call(Method::GET, self.uri(&path)?, &[], Bytes::new())
            .await?;
        expect(&reply, StatusCode::SEE_OTHER, "authorize")?;
        let interaction = set_cookie(&reply, "lk_interaction").ok_or("authorize: no cookie")?;
        let csrf = URL_SAFE_NO_PAD.encode(Sha256::digest(format!("csrf:{interaction}")));
        let cookie = format!("lk_interaction={interaction}");
        let headers = [
            (CONTENT_TYPE, HeaderValue::from_static(FORM)),
            (
                COOKIE,
                HeaderValue::from_str(&cookie).map_err(|e| e.to_string())?,
            ),
        ];
        let body = form(&[
            ("username", "alice"),
            ("password", "alice-password"),
            ("csrf", &csrf),
        ]);
        let reply = self
            .call(Method::POST, self.login_uri.clone(), &headers, body)
            .await?;
        expect(&reply, StatusCode::SEE_OTHER, "login")?;
        let auth = set_cookie(&reply, "lk_auth").ok_or("login: no lk_auth cookie")?;
        let cookie = format!("{cookie}; lk_auth={auth}");
        let headers = [
            (CONTENT_TYPE, HeaderValue::from_static(FORM)),
            (
                COOKIE,
                HeaderValue::from_str(&cookie).map_err(|e| e.to_string())?,
            ),
        ];
        let body = form(&[("decision", "approve"), ("csrf", &csrf)]);
        let reply = self
            .call(Method::POST, self.consent_uri.clone(), &headers, body)
            .await?;
        expect(&reply, StatusCode::SEE_OTHER, "consent")?;
        let location = reply
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("consent: no Location")?;
        let query = location.split_once('?').map_or("", |(_, q)| q);
        let code = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| format!("consent: no code in {location}"))?;
        Ok(Code { code, verifier })
    }

    async fn token(&self, body: Bytes, parse: bool) -> Result<Option<Tokens>, String> {
        let headers = [
            (CONTENT_TYPE, HeaderValue::from_static(FORM)),
            (AUTHORIZATION, self.wallet_basic.clone()),
        ];
        let reply = self
            .call(Method::POST, self.token_uri.clone(), &headers, body)
            .await?;
        expect(&reply, StatusCode::OK, "token")?;
        if !parse {
            return Ok(None);
        }
        let field = |name: &str| {
            compact_str_field(&reply.body, name)
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!(
                        "token response without {name}: {}",
                        String::from_utf8_lossy(&reply.body)
                    )
                })
        };
        Ok(Some(Tokens {
            access: field("access_token")?,
            refresh: field("refresh_token")?,
        }))
    }

    /// Redeems `code`; with `parse`, returns the tokens (else only checks for 200).
    pub(crate) async fn exchange(
        &self,
        code: &Code,
        parse: bool,
    ) -> Result<Option<Tokens>, String> {
        let body = form(&[
            ("grant_type", "authorization_code"),
            ("code", &code.code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &code.verifier),
        ]);
        self.token(body, parse).await
    }

    /// A whole flow, its token response only checked for `200` (the full-flow load).
    pub(crate) async fn flow(&self, n: usize) -> Result<(), String> {
        let code = self.obtain_code(n).await?;
        self.exchange(&code, false).await.map(|_| ())
    }

    /// A whole flow ending in tokens.
    pub(crate) async fn tokens(&self, n: usize) -> Result<Tokens, String> {
        let code = self.obtain_code(n).await?;
        self.exchange(&code, true)
            .await?
            .ok_or_else(|| "no tokens".to_owned())
    }

    /// Rotates `refresh_token`, returning the new pair.
    pub(crate) async fn refresh(&self, refresh_token: &str) -> Result<Tokens, String> {
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ]);
        self.token(body, true)
            .await?
            .ok_or_else(|| "no tokens".to_owned())
    }

    fn fixed(&self, method: Method, path: &str) -> Result<Fixed, String> {
        Ok(Fixed {
            method,
            uri: self.uri(path)?,
            headers: Vec::new(),
            body: Bytes::new(),
        })
    }

    /// The resource server's introspection of `access` (a fixed request).
    pub(crate) fn introspection(&self, access: &str) -> Result<Fixed, String> {
        let mut fixed = self.fixed(Method::POST, "/introspect")?;
        fixed.headers = vec![
            (CONTENT_TYPE, HeaderValue::from_static(FORM)),
            (AUTHORIZATION, self.resource_basic.clone()),
        ];
        fixed.body = form(&[("token", access), ("token_type_hint", "access_token")]);
        Ok(fixed)
    }

    /// `GET /api/balance` with `access` as the bearer token (a fixed request).
    pub(crate) fn balance(&self, access: &str) -> Result<Fixed, String> {
        let mut fixed = self.fixed(Method::GET, "/api/balance")?;
        let bearer =
            HeaderValue::from_str(&format!("Bearer {access}")).map_err(|e| e.to_string())?;
        fixed.headers = vec![(AUTHORIZATION, bearer)];
        Ok(fixed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn form_matches_the_serializer() {
        let pairs = [
            ("grant_type", "authorization_code"),
            ("redirect_uri", "https://wallet.example/callback"),
            ("scope", "balance:read trade"),
            ("code_verifier", "abc-DEF_123.~*"),
            ("odd", "ä&=+%"),
        ];
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        serializer.extend_pairs(pairs);
        assert_eq!(form(&pairs), Bytes::from(serializer.finish()));
    }

    #[test]
    fn token_fields_are_found_in_compact_json() {
        let body =
            br#"{"access_token":"a1","token_type":"Bearer","refresh_token":"r-2","x":"q\"z"}"#;
        assert_eq!(compact_str_field(body, "access_token"), Some("a1"));
        assert_eq!(compact_str_field(body, "refresh_token"), Some("r-2"));
        assert_eq!(compact_str_field(body, "token"), None);
        assert_eq!(compact_str_field(body, "x"), None);
        assert_eq!(compact_str_field(b"{}", "access_token"), None);
    }
}
