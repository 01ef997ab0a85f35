//! A reference for the in-process ratio: the same authorization-code flow as
//! [`Bench::full_flow`](super::Bench::full_flow) — begin, finish (approve), token with
//! PKCE and a client secret — written by hand with no library between the caller and its
//! maps, doing only what RFC 6749 §4.1, RFC 7636 (S256) and RFC 9700 require of it. It
//! draws the same random values and computes the same SHA-256 digests as the crypto
//! floor, through the same primitives, so its ratio to that floor shows what any
//! compliant implementation pays on this machine beyond the cryptography. It leaves out
//! what latchkey does beyond that: scope policy and step-up, throttling, audit events,
//! error descriptions, the storage traits.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA, WWW_AUTHENTICATE,
};
use http::{HeaderValue, Request, Response, StatusCode};
use latchkey_engine::pkce::{fill_random, random_token, random_tokens, SecretDigest};

/// Seconds an interaction, a code and an access token live.
const INTERACTION_TTL: u64 = 600;
const CODE_TTL: u64 = 60;
const ACCESS_TTL: u64 = 600;
const REFRESH_TTL: u64 = 30 * 24 * 3600;

/// Hashes a [`SecretDigest`] key by its first eight bytes: keys are SHA-256 outputs of
/// values no client chooses the digest of, so they are already uniform.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut eight = [0u8; 8];
        for (to, from) in eight.iter_mut().zip(bytes) {
            *to = *from;
        }
        self.0 = u64::from_ne_bytes(eight);
    }
}

type DigestMap<V> = HashMap<SecretDigest, V, BuildHasherDefault<DigestHasher>>;

/// A registered confidential client.
struct BareClient {
    secret: SecretDigest,
    redirect_uri: String,
    scope: Vec<String>,
}

/// An authorization request waiting for the user's decision.
struct Pending {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    challenge: SecretDigest,
    expires_at: u64,
}

/// An issued code: what the token request is checked against, and the grant it starts.
struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: SecretDigest,
    grant: Arc<Grant>,
    expires_at: u64,
    used: bool,
}

/// What a token stands for.
#[expect(
    dead_code,
    reason = "stored for the resource server; this flow never reads it"
)]
struct Grant {
    id: [u8; 16],
    client_id: String,
    subject: String,
    scope: String,
    acr: String,
    amr: Vec<String>,
    auth_time: u64,
}

#[expect(
    dead_code,
    reason = "stored for the resource server; this flow never reads it"
)]
enum Token {
    Access { grant: Arc<Grant>, expires_at: u64 },
    Refresh { grant: Arc<Grant>, expires_at: u64 },
}

/// The user's approval, as the integrator hands it over.
pub struct BareApproval<'a> {
    pub subject: &'a str,
    pub scope: &'a str,
    pub acr: &'a str,
    pub amr: &'a [String],
    pub auth_time: u64,
}

/// The hand-written authorization server.
pub struct Bare {
    issuer: String,
    clients: HashMap<String, BareClient>,
    pending: Mutex<DigestMap<Pending>>,
    codes: Mutex<DigestMap<Code>>,
    tokens: Mutex<DigestMap<Token>>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A lock whose holder panicked is taken over: every update here is a single insert,
/// remove or flag, so no map is left half-written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Decodes `%XX` and `+` (`application/x-www-form-urlencoded`, which RFC 6749 §2.3.1
/// also applies to the id and secret in Basic credentials); borrows when there is
/// nothing to decode.
fn form_decode(input: &str) -> Option<Cow<'_, str>> {
    if !input.contains(['%', '+']) {
        return Some(Cow::Borrowed(input));
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// A form's parameters, split by hand and decoded only where a `%` or `+` asks for it;
/// a repeated name is refused (RFC 6749 §3.1, §3.2).
struct Params<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Params<'a> {
    fn parse(input: &'a [u8]) -> Result<Self, &'static str> {
        let input = std::str::from_utf8(input).map_err(|_| "invalid_request")?;
        let mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(8);
        for pair in input.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = form_decode(name).ok_or("invalid_request")?;
            let value = form_decode(value).ok_or("invalid_request")?;
            if pairs.iter().any(|(seen, _)| *seen == name) {
                return Err("invalid_request");
            }
            pairs.push((name, value));
        }
        Ok(Self(pairs))
    }

    /// A parameter sent with an empty value counts as absent.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_ref())
    }
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
fn is_verifier(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn json_response(status: StatusCode, body: String) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn error(code: &'static str) -> Response<Bytes> {
    let body = format!("{{\"error\":\"{code}\"}}");
    if code != "invalid_client" {
        return json_response(StatusCode::BAD_REQUEST, body);
    }
    // RFC 6749 §5.2: 401 with a challenge for the scheme the client used (Basic).
    let mut response = json_response(StatusCode::UNAUTHORIZED, body);
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
    response
}

impl Bare {
    /// A server at `issuer` with one confidential client.
    pub fn new(
        issuer: &str,
        client_id: &str,
        secret: &str,
        redirect_uri: &str,
        scope: &str,
    ) -> Self {
        let client = BareClient {
            secret: SecretDigest::of(secret),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.split(' ').map(str::to_owned).collect(),
        };
        Self {
            issuer: issuer.to_owned(),
            clients: HashMap::from([(client_id.to_owned(), client)]),
            pending: Mutex::default(),
            codes: Mutex::default(),
            tokens: Mutex::default(),
        }
    }

    /// The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3): checked and kept until
    /// the user decides; answers the interaction id, a 256-bit random value stored by its
    /// digest. An error is the `error` code the redirect (or, for the client and redirect
    /// URI, the error page) would carry.
    pub fn begin(&self, query: &str) -> Result<String, &'static str> {
        let params = Params::parse(query.as_bytes())?;
        let client_id = params.get("client_id").ok_or("invalid_request")?;
        let client = self.clients.get(client_id).ok_or("invalid_client")?;
        // RFC 9700 §2.1: redirect URIs compared by exact string matching.
        let redirect_uri = params.get("redirect_uri").ok_or("invalid_request")?;
        if redirect_uri != client.redirect_uri {
            return Err("invalid_request");
        }
        if params.get("response_type") != Some("code") {
            return Err("unsupported_response_type");
        }
        let scope = params.get("scope").ok_or("invalid_scope")?;
        if !scope
            .split(' ')
            .all(|s| client.scope.iter().any(|c| c == s))
        {
            return Err("invalid_scope");
        }
        // RFC 9700 §2.1.1: PKCE required, S256 only.
        if params.get("code_challenge_method") != Some("S256") {
            return Err("invalid_request");
        }
        let challenge = params.get("code_challenge").ok_or("invalid_request")?;
        let mut digest = [0u8; 32];
        match URL_SAFE_NO_PAD.decode_slice(challenge, &mut digest) {
            Ok(32) if challenge.len() == 43 => {}
            _ => return Err("invalid_request"),
        }
        let id = random_token().map_err(|_| "server_error")?;
        let pending = Pending {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: params.get("state").map(str::to_owned),
            challenge: SecretDigest::from_bytes(digest),
            expires_at: now() + INTERACTION_TTL,
        };
        lock(&self.pending).insert(SecretDigest::of(&id), pending);
        Ok(id)
    }

    /// The user approved interaction `id`: a single-use code, stored by its digest, and
    /// the redirect carrying it with `state` and `iss` (RFC 6749 §4.1.2, RFC 9207).
    pub fn finish(
        &self,
        id: &str,
        approval: &BareApproval<'_>,
    ) -> Result<Response<Bytes>, &'static str> {
        let pending = lock(&self.pending)
            .remove(&SecretDigest::of(id))
            .ok_or("unknown interaction")?;
        let at = now();
        if pending.expires_at <= at {
            return Err("interaction expired");
        }
        let code = random_token().map_err(|_| "server_error")?;
        let mut grant_id = [0u8; 16];
        fill_random(&mut grant_id).map_err(|_| "server_error")?;
        let mut location = String::with_capacity(pending.redirect_uri.len() + 160);
        location.push_str(&pending.redirect_uri);
        location.push_str("?code=");
        location.push_str(&code);
        if let Some(state) = &pending.state {
            location.push_str("&state=");
            location.extend(form_urlencoded::byte_serialize(state.as_bytes()));
        }
        location.push_str("&iss=");
        location.extend(form_urlencoded::byte_serialize(self.issuer.as_bytes()));
        let record = Code {
            grant: Arc::new(Grant {
                id: grant_id,
                client_id: pending.client_id.clone(),
                subject: approval.subject.to_owned(),
                scope: approval.scope.to_owned(),
                acr: approval.acr.to_owned(),
                amr: approval.amr.to_vec(),
                auth_time: approval.auth_time,
            }),
            client_id: pending.client_id,
            redirect_uri: pending.redirect_uri,
            challenge: pending.challenge,
            expires_at: at + CODE_TTL,
            used: false,
        };
        lock(&self.codes).insert(SecretDigest::of(&code), record);
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::SEE_OTHER;
        let location = HeaderValue::try_from(location).map_err(|_| "server_error")?;
        response.headers_mut().insert(LOCATION, location);
        Ok(response)
    }

    /// The client authenticated by HTTP Basic (RFC 6749 §2.3.1), its secret checked by
    /// digest in constant time.
    fn authenticate(&self, request: &Request<Bytes>) -> Result<&str, &'static str> {
        let header = request
            .headers()
            .get(AUTHORIZATION)
            .ok_or("invalid_client")?;
        let header = header.to_str().map_err(|_| "invalid_client")?;
        let (scheme, credentials) = header.split_once(' ').ok_or("invalid_client")?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err("invalid_client");
        }
        let mut decoded = [0u8; 256];
        let len = STANDARD
            .decode_slice(credentials.trim(), &mut decoded)
            .map_err(|_| "invalid_client")?;
        let decoded = decoded.get(..len).ok_or("invalid_client")?;
        let decoded = std::str::from_utf8(decoded).map_err(|_| "invalid_client")?;
        let (id, secret) = decoded.split_once(':').ok_or("invalid_client")?;
        let id = form_decode(id).ok_or("invalid_client")?;
        let secret = form_decode(secret).ok_or("invalid_client")?;
        let (id, client) = self
            .clients
            .get_key_value(id.as_ref())
            .ok_or("invalid_client")?;
        if SecretDigest::of(&secret) != client.secret {
            return Err("invalid_client");
        }
        Ok(id)
    }

    /// The token request redeeming a code (RFC 6749 §4.1.3, RFC 7636 §4.6): the code is
    /// used up whatever the outcome; tokens are drawn and stored by digest.
    pub fn token(&self, request: &Request<Bytes>) -> Response<Bytes> {
        match self.redeem(request) {
            Ok(body) => json_response(StatusCode::OK, body),
            Err(code) => error(code),
        }
    }

    fn redeem(&self, request: &Request<Bytes>) -> Result<String, &'static str> {
        let form = request.headers().get(CONTENT_TYPE).is_some_and(|v| {
            v.as_bytes()
                .starts_with(b"application/x-www-form-urlencoded")
        });
        if !form {
            return Err("invalid_request");
        }
        let client_id = self.authenticate(request)?;
        let params = Params::parse(request.body())?;
        if params.get("grant_type") != Some("authorization_code") {
            return Err("unsupported_grant_type");
        }
        let code = params.get("code").ok_or("invalid_request")?;
        let verifier = params.get("code_verifier").ok_or("invalid_request")?;
        let at = now();
        let (grant, redirect_uri, challenge) = {
            let mut codes = lock(&self.codes);
            let record = codes
                .get_mut(&SecretDigest::of(code))
                .ok_or("invalid_grant")?;
            // RFC 6749 §4.1.2: a code used twice is refused (and its tokens should be
            // revoked; this flow never replays one).
            if std::mem::replace(&mut record.used, true) || record.expires_at <= at {
                return Err("invalid_grant");
            }
            if record.client_id != client_id {
                return Err("invalid_grant");
            }
            (
                Arc::clone(&record.grant),
                record.redirect_uri.clone(),
                record.challenge,
            )
        };
        // RFC 6749 §4.1.3: the same redirect_uri as in the authorization request.
        if params.get("redirect_uri") != Some(redirect_uri.as_str()) {
            return Err("invalid_grant");
        }
        if !is_verifier(verifier) || SecretDigest::of(verifier) != challenge {
            return Err("invalid_grant");
        }
        let [access, refresh] = random_tokens::<2>().map_err(|_| "server_error")?;
        let mut body = String::with_capacity(200 + grant.scope.len());
        body.push_str("{\"access_token\":\"");
        body.push_str(&access);
        const _: () = assert!(ACCESS_TTL == 600, "expires_in below is ACCESS_TTL");
        body.push_str("\",\"token_type\":\"Bearer\",\"expires_in\":600,\"refresh_token\":\"");
        body.push_str(&refresh);
        // Scope tokens were matched against the client's registered ones: no escaping.
        body.push_str("\",\"scope\":\"");
        body.push_str(&grant.scope);
        body.push_str("\"}");
        let (access, refresh) = (SecretDigest::of(&access), SecretDigest::of(&refresh));
        let mut tokens = lock(&self.tokens);
        tokens.insert(
            refresh,
            Token::Refresh {
                grant: Arc::clone(&grant),
                expires_at: at + REFRESH_TTL,
            },
        );
        tokens.insert(
            access,
            Token::Access {
                grant,
                expires_at: at + ACCESS_TTL,
            },
        );
        Ok(body)
    }
}
