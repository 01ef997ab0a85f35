//! The bare exchange: a reference point for the code-exchange target, served by the floor
//! server beside its fixed answer. It is a hand-written token endpoint doing only the work a
//! code exchange that follows RFC 6749 §4.1.3, RFC 7636 and RFC 9700 cannot skip, with no
//! library between the handler and its maps:
//!
//! - authenticate the client from `Authorization: Basic` (RFC 6749 §2.3.1): decode, then
//!   compare the SHA-256 of the secret with the stored digest in constant time;
//! - parse the form body, refusing a repeated parameter (§3.2);
//! - look the code up by its SHA-256, refuse it if used or expired, and mark it used in
//!   the same critical section (§4.1.2: at most once);
//! - check the client, the exact redirect URI and S256 PKCE (RFC 7636 §4.6);
//! - draw an access and a refresh token (256 bits each), store their SHA-256 digests and
//!   the grant, record an audit event without blocking, and answer the token JSON with
//!   `Cache-Control: no-store` and `Pragma: no-cache`, as latchkey's endpoint does.
//!
//! Nothing else: no scopes policy, no metadata, no error bodies beyond the code. What this
//! handler reaches against the floor is roughly the best ratio any server doing that work
//! could show on the machine, so it tells how much of the gap between latchkey's exchange
//! and the target is latchkey's.
//!
//! `POST /bare/code` mints a code for the load's set-up (not timed): its form body carries
//! `code_challenge`, the answer is the code. The driver side is [`Bare`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use http::{Method, Request, Uri};
use http_body_util::Full;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::driver::{send, HttpClient};

/// The client the floor's POST authenticates as (the demo's `wallet-web`).
const CLIENT_ID: &str = "wallet-web";
const CLIENT_SECRET: &str = "wallet-web-secret-change-me";
const REDIRECT_URI: &str = "https://wallet.example/callback";
const SCOPE: &str = "balance:read";
const SUBJECT: &str = "alice";
/// Codes live long enough for a whole interleaved benchmark (the demo's config does the
/// same); access tokens for ten minutes, as the demo's.
const CODE_LIFETIME: Duration = Duration::from_secs(3600);
const ACCESS_LIFETIME: Duration = Duration::from_secs(600);

/// A hasher for keys that are already uniformly random (SHA-256 digests, random ids):
/// folds their bytes eight at a time instead of running SipHash over them.
#[derive(Default)]
struct Fold(u64);

impl Hasher for Fold {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word.get_mut(..chunk.len())
                .unwrap_or_default()
                .copy_from_slice(chunk);
            self.0 = self.0.rotate_left(17) ^ u64::from_le_bytes(word);
        }
    }
}

type Map<K, V> = HashMap<K, V, BuildHasherDefault<Fold>>;

struct CodeRecord {
    client_id: Arc<str>,
    redirect_uri: Arc<str>,
    scope: Arc<str>,
    subject: Arc<str>,
    challenge: [u8; 32],
    expires_at: Instant,
    used: bool,
}

/// What a grant keeps. Nothing here reads it back (the reference serves no refresh,
/// revocation or introspection), but a real server must store it, so the bare exchange
/// pays for writing it.
#[expect(
    dead_code,
    reason = "written as a real server must; no load reads it back"
)]
struct Grant {
    client_id: Arc<str>,
    scope: Arc<str>,
    subject: Arc<str>,
    created_at: Instant,
}

/// A token's record, keyed by the token's digest.
#[expect(
    dead_code,
    reason = "written as a real server must; no load reads it back"
)]
struct Token {
    grant_id: u128,
    expires_at: Option<Instant>,
}

#[derive(Default)]
struct Tables {
    codes: Map<[u8; 32], CodeRecord>,
    grants: Map<u128, Grant>,
    access: Map<[u8; 32], Token>,
    refresh: Map<[u8; 32], Token>,
    /// Audit events not yet taken by the drain (at most [`PENDING_EVENTS`]).
    events: Vec<Issued>,
}

/// The most audit events waiting for the drain; beyond it an event is dropped rather than
/// make the exchange wait, as a full channel would.
const PENDING_EVENTS: usize = 4096;

/// How often the drain takes the waiting events.
const DRAIN_EVERY: Duration = Duration::from_millis(10);

/// An audit event: which grant was issued, when. The drain only counts them.
#[expect(
    dead_code,
    reason = "sent as a real audit event; the drain only counts them"
)]
struct Issued {
    grant_id: u128,
    at: Instant,
}

/// The bare endpoint's state.
pub(crate) struct Server {
    secret_digest: [u8; 32],
    client_id: Arc<str>,
    redirect_uri: Arc<str>,
    scope: Arc<str>,
    subject: Arc<str>,
    tables: Mutex<Tables>,
}

/// Why an exchange was refused, as RFC 6749 §5.2 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
}

impl Refusal {
    fn code(self) -> &'static str {
        match self {
            Refusal::InvalidRequest => "invalid_request",
            Refusal::InvalidClient => "invalid_client",
            Refusal::InvalidGrant => "invalid_grant",
            Refusal::UnsupportedGrantType => "unsupported_grant_type",
        }
    }
}

/// RFC 7636 §4.1: 43 to 128 characters from the unreserved set.
fn is_verifier(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn digest(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}

impl Server {
    /// The state, with its audit events drained by a task on the current runtime. The
    /// events wait in the tables, which the exchange has locked anyway, and the drain takes
    /// them every [`DRAIN_EVERY`]: an event costs no wake-up of another thread, so the
    /// reference pays the same on a framework whose handlers run outside that runtime
    /// (actix-web's workers) as on one whose handlers run inside it (axum's).
    pub(crate) fn new() -> Arc<Self> {
        let server = Arc::new(Self {
            secret_digest: digest(CLIENT_SECRET.as_bytes()),
            client_id: Arc::from(CLIENT_ID),
            redirect_uri: Arc::from(REDIRECT_URI),
            scope: Arc::from(SCOPE),
            subject: Arc::from(SUBJECT),
            tables: Mutex::new(Tables::default()),
        });
        let weak = Arc::downgrade(&server);
        tokio::spawn(async move {
            let mut seen = 0usize;
            let mut every = tokio::time::interval(DRAIN_EVERY);
            loop {
                every.tick().await;
                let Some(server) = weak.upgrade() else { break };
                seen += std::mem::take(&mut server.lock().events).len();
            }
            std::hint::black_box(seen);
        });
        server
    }

    /// The tables. Nothing done under the lock panics but a map's capacity overflow;
    /// should the lock be poisoned all the same, it is taken over, as latchkey's memory
    /// store does, rather than answered with a made-up OAuth error.
    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// RFC 6749 §2.3.1: `Basic` credentials, each part form-urlencoded; the secret
    /// compared as a digest in constant time.
    fn authenticate(&self, authorization: Option<&[u8]>) -> Result<(), Refusal> {
        let value = authorization
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .ok_or(Refusal::InvalidClient)?;
        let decoded = STANDARD.decode(value).map_err(|_| Refusal::InvalidClient)?;
        let text = std::str::from_utf8(&decoded).map_err(|_| Refusal::InvalidClient)?;
        let (id, secret) = text.split_once(':').ok_or(Refusal::InvalidClient)?;
        let unescape = |part: &str| -> String {
            form_urlencoded::parse(format!("={part}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let plain = |part: &str| !part.bytes().any(|b| b == b'%' || b == b'+');
        let id_ok = if plain(id) {
            id == &*self.client_id
        } else {
            unescape(id) == *self.client_id
        };
        let presented = if plain(secret) {
            digest(secret.as_bytes())
        } else {
            digest(unescape(secret).as_bytes())
        };
        let secret_ok: bool = presented.ct_eq(&self.secret_digest).into();
        if id_ok && secret_ok {
            Ok(())
        } else {
            Err(Refusal::InvalidClient)
        }
    }

    /// The exchange, given the `Authorization` header's value and the form body; on
    /// success the token response body.
    fn exchange(&self, authorization: Option<&[u8]>, body: &[u8]) -> Result<String, Refusal> {
        self.authenticate(authorization)?;
        let (mut grant_type, mut code, mut redirect_uri, mut verifier) = (None, None, None, None);
        for (name, value) in form_urlencoded::parse(body) {
            let slot = match &*name {
                "grant_type" => &mut grant_type,
                "code" => &mut code,
                "redirect_uri" => &mut redirect_uri,
                "code_verifier" => &mut verifier,
                _ => continue,
            };
            // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more
            // than once."
            if slot.replace(value).is_some() {
                return Err(Refusal::InvalidRequest);
            }
        }
        if grant_type.as_deref() != Some("authorization_code") {
            return Err(if grant_type.is_some() {
                Refusal::UnsupportedGrantType
            } else {
                Refusal::InvalidRequest
            });
        }
        let (Some(code), Some(redirect_uri), Some(verifier)) = (code, redirect_uri, verifier)
        else {
            return Err(Refusal::InvalidRequest);
        };
        if !is_verifier(&verifier) {
            return Err(Refusal::InvalidGrant);
        }
        let code_digest = digest(code.as_bytes());
        let challenge = digest(verifier.as_bytes());
        // The tokens are drawn and digested before the lock, as latchkey plans them.
        let mut random = [0u8; 80];
        rand::rng().fill_bytes(&mut random);
        let (access_bytes, rest) = random.split_at(32);
        let (refresh_bytes, id_bytes) = rest.split_at(32);
        let access = URL_SAFE_NO_PAD.encode(access_bytes);
        let refresh = URL_SAFE_NO_PAD.encode(refresh_bytes);
        let mut id = [0u8; 16];
        id.copy_from_slice(id_bytes);
        let grant_id = u128::from_le_bytes(id);
        let now = Instant::now();
        let scope = {
            let mut tables = self.lock();
            let record = tables
                .codes
                .get_mut(&code_digest)
                .ok_or(Refusal::InvalidGrant)?;
            if record.used || record.expires_at <= now {
                return Err(Refusal::InvalidGrant);
            }
            record.used = true;
            let pkce_ok: bool = challenge.ct_eq(&record.challenge).into();
            if *record.client_id != *self.client_id
                || *record.redirect_uri != *redirect_uri
                || !pkce_ok
            {
                return Err(Refusal::InvalidGrant);
            }
            let grant = Grant {
                client_id: Arc::clone(&record.client_id),
                scope: Arc::clone(&record.scope),
                subject: Arc::clone(&record.subject),
                created_at: now,
            };
            let scope = Arc::clone(&grant.scope);
            tables.grants.insert(grant_id, grant);
            tables.access.insert(
                digest(access.as_bytes()),
                Token {
                    grant_id,
                    expires_at: Some(now + ACCESS_LIFETIME),
                },
            );
            tables.refresh.insert(
                digest(refresh.as_bytes()),
                Token {
                    grant_id,
                    expires_at: None,
                },
            );
            // Audit without blocking: a full buffer drops the event rather than wait.
            if tables.events.len() < PENDING_EVENTS {
                tables.events.push(Issued { grant_id, at: now });
            }
            scope
        };
        Ok(format!(
            r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":{},"refresh_token":"{refresh}","scope":"{scope}"}}"#,
            ACCESS_LIFETIME.as_secs()
        ))
    }

    /// Stores a fresh code for `code_challenge` (S256) and returns it.
    fn mint(&self, body: &[u8]) -> Result<String, Refusal> {
        let challenge = form_urlencoded::parse(body)
            .find(|(name, _)| name == "code_challenge")
            .map(|(_, value)| value)
            .ok_or(Refusal::InvalidRequest)?;
        let mut bytes = [0u8; 32];
        URL_SAFE_NO_PAD
            .decode_slice(challenge.as_bytes(), &mut bytes)
            .ok()
            .filter(|&n| n == 32)
            .ok_or(Refusal::InvalidRequest)?;
        let mut random = [0u8; 32];
        rand::rng().fill_bytes(&mut random);
        let code = URL_SAFE_NO_PAD.encode(random);
        let record = CodeRecord {
            client_id: Arc::clone(&self.client_id),
            redirect_uri: Arc::clone(&self.redirect_uri),
            scope: Arc::clone(&self.scope),
            subject: Arc::clone(&self.subject),
            challenge: bytes,
            expires_at: Instant::now() + CODE_LIFETIME,
            used: false,
        };
        self.lock().codes.insert(digest(code.as_bytes()), record);
        Ok(code)
    }
}

/// The token endpoint's answer, whatever the framework: status and JSON body, to be sent
/// with [`NO_STORE`].
pub(crate) fn token_answer(
    server: &Server,
    authorization: Option<&[u8]>,
    body: &[u8],
) -> (StatusCode, String) {
    match server.exchange(authorization, body) {
        Ok(json) => (StatusCode::OK, json),
        Err(refusal) => {
            let status = if refusal == Refusal::InvalidClient {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, format!(r#"{{"error":"{}"}}"#, refusal.code()))
        }
    }
}

/// The code-minting endpoint's answer: `200` with the code, or `400` with the error code.
pub(crate) fn code_answer(server: &Server, body: &[u8]) -> (StatusCode, String) {
    match server.mint(body) {
        Ok(code) => (StatusCode::OK, code),
        Err(refusal) => (StatusCode::BAD_REQUEST, refusal.code().to_owned()),
    }
}

/// The headers every token answer carries (RFC 6749 §5.1).
pub(crate) const NO_STORE: [(&str, &str); 3] = [
    ("content-type", "application/json"),
    ("cache-control", "no-store"),
    ("pragma", "no-cache"),
];

/// RFC 6749 §5.2: a `401` for a client that authenticated through `Authorization` "MUST"
/// carry `WWW-Authenticate`; this is its value.
pub(crate) const CHALLENGE: &str = "Basic";

fn no_store((status, body): (StatusCode, String)) -> Response {
    let mut response = (
        status,
        [
            (CONTENT_TYPE, HeaderValue::from_static(NO_STORE[0].1)),
            (CACHE_CONTROL, HeaderValue::from_static(NO_STORE[1].1)),
            (PRAGMA, HeaderValue::from_static(NO_STORE[2].1)),
        ],
        body,
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = HeaderValue::from_static(CHALLENGE);
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    response
}

async fn token(State(server): State<Arc<Server>>, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers.get(AUTHORIZATION).map(HeaderValue::as_bytes);
    no_store(token_answer(&server, authorization, &body))
}

async fn code(State(server): State<Arc<Server>>, body: Bytes) -> Response {
    code_answer(&server, &body).into_response()
}

/// `POST /bare/token` and `POST /bare/code`, for the floor server's router.
pub(crate) fn routes() -> Router {
    Router::new()
        .route("/bare/token", post(token))
        .route("/bare/code", post(code))
        .with_state(Server::new())
}

/// The row name of the bare exchange in both benchmarks' tables.
pub(crate) const BARE_EXCHANGE: &str = "bare exchange (reference)";

/// A code the bare endpoint minted and the verifier it was minted for.
pub(crate) struct BareCode {
    code: String,
    verifier: String,
}

/// The driver side: mints codes (untimed) and exchanges them, with the same client,
/// headers and body shape as latchkey's exchange load.
#[derive(Clone)]
pub(crate) struct Bare(Arc<BareInner>);

pub(crate) struct BareInner {
    client: HttpClient,
    code_uri: Uri,
    token_uri: Uri,
    basic: HeaderValue,
}

impl Bare {
    /// Calls against the floor server at `base`.
    pub(crate) fn new(client: HttpClient, base: &str) -> Result<Self, String> {
        let base = base.trim_end_matches('/');
        let uri = |path: &str| -> Result<Uri, String> {
            format!("{base}{path}")
                .parse()
                .map_err(|e| format!("{path}: {e}"))
        };
        Ok(Self(Arc::new(BareInner {
            client,
            code_uri: uri("/bare/code")?,
            token_uri: uri("/bare/token")?,
            basic: crate::oauth::wallet_basic()?,
        })))
    }

    /// Mints code number `n` (its verifier derived from `n`, 43 characters).
    pub(crate) async fn mint(&self, n: usize) -> Result<BareCode, String> {
        let verifier = URL_SAFE_NO_PAD.encode(digest(format!("bare-verifier-{n}").as_bytes()));
        let challenge = URL_SAFE_NO_PAD.encode(digest(verifier.as_bytes()));
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.0.code_uri.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(format!(
                "code_challenge={challenge}"
            ))))
            .map_err(|e| e.to_string())?;
        let reply = send(&self.0.client, request).await?;
        if reply.status != StatusCode::OK {
            return Err(format!("bare code: {}", reply.status));
        }
        let code = String::from_utf8(reply.body.to_vec()).map_err(|e| e.to_string())?;
        Ok(BareCode { code, verifier })
    }

    /// Exchanges `code`, expecting `200 OK`.
    pub(crate) async fn exchange(&self, code: &BareCode) -> Result<(), String> {
        // The same body, built the same way, as latchkey's exchange load sends.
        let body = crate::oauth::form(&[
            ("grant_type", "authorization_code"),
            ("code", &code.code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &code.verifier),
        ]);
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.0.token_uri.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(AUTHORIZATION, self.0.basic.clone())
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        let reply = send(&self.0.client, request).await?;
        if reply.status != StatusCode::OK {
            return Err(format!(
                "bare exchange: {} {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> Option<Vec<u8>> {
        Some(format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))).into_bytes())
    }

    fn body(code: &str, verifier: &str) -> String {
        format!(
            "grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fwallet.example%2Fcallback&code_verifier={verifier}"
        )
    }

    fn minted(server: &Server) -> (String, String) {
        let verifier = URL_SAFE_NO_PAD.encode(digest(b"v"));
        let challenge = URL_SAFE_NO_PAD.encode(digest(verifier.as_bytes()));
        let code = server
            .mint(format!("code_challenge={challenge}").as_bytes())
            .unwrap();
        (code, verifier)
    }

    #[tokio::test]
    async fn a_code_is_exchanged_once_with_its_verifier_and_client() {
        let server = Server::new();
        let good = basic(CLIENT_ID, CLIENT_SECRET);
        let (code, verifier) = minted(&server);
        let wrong_verifier = URL_SAFE_NO_PAD.encode(digest(b"other"));
        assert_eq!(
            server.exchange(
                basic(CLIENT_ID, "nope").as_deref(),
                body(&code, &verifier).as_bytes()
            ),
            Err(Refusal::InvalidClient)
        );
        assert_eq!(
            server.exchange(None, body(&code, &verifier).as_bytes()),
            Err(Refusal::InvalidClient),
            "RFC 6749 §3.2.1: a confidential client must authenticate"
        );
        let (status, json) = token_answer(&server, None, body(&code, &verifier).as_bytes());
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(json, r#"{"error":"invalid_client"}"#);
        let refused = no_store((status, json));
        assert_eq!(refused.headers()[WWW_AUTHENTICATE], CHALLENGE);
        assert_eq!(
            server.exchange(good.as_deref(), body(&code, &wrong_verifier).as_bytes()),
            Err(Refusal::InvalidGrant),
            "RFC 7636 §4.6: a wrong verifier is invalid_grant"
        );
        // The failed attempt used the code up: at most once, whatever the outcome.
        assert_eq!(
            server.exchange(good.as_deref(), body(&code, &verifier).as_bytes()),
            Err(Refusal::InvalidGrant)
        );
        let (code, verifier) = minted(&server);
        let json = server
            .exchange(good.as_deref(), body(&code, &verifier).as_bytes())
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["token_type"], "Bearer");
        assert_eq!(value["access_token"].as_str().unwrap().len(), 43);
        assert_eq!(
            server.exchange(good.as_deref(), body(&code, &verifier).as_bytes()),
            Err(Refusal::InvalidGrant),
            "RFC 6749 §4.1.2: a code is used at most once"
        );
        let tables = server.tables.lock().unwrap();
        assert_eq!(
            (
                tables.grants.len(),
                tables.access.len(),
                tables.refresh.len(),
                tables.events.len(),
            ),
            (1, 1, 1, 1),
            "one grant, its two tokens and its audit event (the drain has not run: this \
             test never yields to it)"
        );
    }

    #[tokio::test]
    async fn repeated_or_missing_parameters_and_other_grants_are_refused() {
        let server = Server::new();
        let good = basic(CLIENT_ID, CLIENT_SECRET);
        let (code, verifier) = minted(&server);
        let repeated = format!("{}&code={code}", body(&code, &verifier));
        assert_eq!(
            server.exchange(good.as_deref(), repeated.as_bytes()),
            Err(Refusal::InvalidRequest)
        );
        assert_eq!(
            server.exchange(good.as_deref(), b"grant_type=password&code=x"),
            Err(Refusal::UnsupportedGrantType)
        );
        assert_eq!(
            server.exchange(good.as_deref(), b"grant_type=authorization_code"),
            Err(Refusal::InvalidRequest)
        );
        let other_uri = body(&code, &verifier).replace("callback", "elsewhere");
        assert_eq!(
            server.exchange(good.as_deref(), other_uri.as_bytes()),
            Err(Refusal::InvalidGrant),
            "RFC 6749 §4.1.3: the redirect URI must be identical"
        );
    }
}
