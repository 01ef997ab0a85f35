//! What the criterion benches (`benches/engine.rs`) and the ratio table
//! (`examples/bench_ratios.rs`) share: an engine over a [`MemoryStore`] with a
//! confidential client and a resource server, helpers that drive each operation the way
//! an adapter would (requests as `http::Request<Bytes>`), and the *crypto floor* of each
//! operation — exactly the random draws, SHA-256 digests and signatures the engine's code
//! performs for it, and nothing else.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod bare;

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use latchkey_engine::acr;
use latchkey_engine::events::{EventSink, NullSink, TracingSink};
use latchkey_engine::jwt::{AccessTokenClaims, JwtKeys, SigningAlgorithm, SigningKey};
use latchkey_engine::pkce::{
    fill_random, random_token, random_tokens, CodeChallenge, CodeVerifier, SecretDigest,
};
use latchkey_engine::store::{Client, ClientSecretVerifier};
use latchkey_engine::types::{ClientId, GrantType, RedirectUri, Scope};
use latchkey_engine::{
    Approval, Authentication, AuthorizationStart, Decision, Engine, HttpResponse, InteractionId,
    MemoryStore, Policy, ScopeRule, Subject,
};

pub const ISSUER: &str = "https://auth.bank.example";
pub const CLIENT: &str = "wallet-web";
pub const REDIRECT: &str = "https://wallet.example/callback";
pub const SCOPE: &str = "balance:read trade";
pub const RESOURCE_SERVER: &str = "resource-server";

/// Which audit sink the engine gets.
#[derive(Clone, Copy, Debug)]
pub enum Sink {
    /// Discards events.
    Null,
    /// The default: `tracing` events (no subscriber is installed, as in a bench).
    Tracing,
}

/// Which access-token format the engine mints.
#[derive(Clone, Copy, Debug)]
pub enum Format {
    Opaque,
    /// EdDSA-signed RFC 9068 JWTs.
    Jwt,
}

/// Runs an engine future to completion. The memory store never suspends, so a minimal
/// executor measures the engine rather than a runtime.
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

/// One authorization request, prepared outside the timed part: a fresh PKCE verifier,
/// its S256 challenge in the query, and the integrator's approval.
pub struct FlowInput {
    pub query: String,
    pub verifier: String,
    pub decision: Decision,
}

/// An engine over a memory store with two confidential clients.
pub struct Bench {
    pub engine: Engine,
    /// The same flow written by hand, for reference (see [`bare`]).
    pub bare: bare::Bare,
    pub store: Arc<MemoryStore>,
    pub keys: Option<JwtKeys>,
    client_basic: HeaderValue,
    rs_basic: HeaderValue,
    subject: Subject,
    scope: Scope,
}

pub fn basic(id: &str, secret: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "Basic {}",
        STANDARD.encode(format!("{id}:{secret}"))
    ))
    .unwrap()
}

impl Bench {
    pub fn new(format: Format, sink: Sink) -> Self {
        let store = Arc::new(MemoryStore::new());
        // Server-generated secrets: 256 bits, as the engine's docs recommend.
        let client_secret = random_token().unwrap();
        let rs_secret = random_token().unwrap();
        store.put_client(Client {
            id: ClientId::new(CLIENT).unwrap(),
            name: "Wallet".to_owned(),
            secret: Some(ClientSecretVerifier::for_secret(&client_secret)),
            redirect_uris: vec![RedirectUri::register(REDIRECT).unwrap()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scope: Scope::parse(SCOPE).unwrap(),
        });
        store.put_client(Client {
            id: ClientId::new(RESOURCE_SERVER).unwrap(),
            name: "Trading API".to_owned(),
            secret: Some(ClientSecretVerifier::for_secret(&rs_secret)),
            redirect_uris: Vec::new(),
            grant_types: vec![GrantType::ClientCredentials],
            scope: Scope::parse("introspect").unwrap(),
        });
        let rule = |name: &str, required: Option<&str>| ScopeRule {
            name: name.to_owned(),
            description: format!("{name} access"),
            required_acr: required.map(str::to_owned),
        };
        let policy = Policy::default()
            .scope(rule("balance:read", None))
            .scope(rule("trade", Some(acr::STRONG)));
        let events: Arc<dyn EventSink> = match sink {
            Sink::Null => Arc::new(NullSink),
            Sink::Tracing => Arc::new(TracingSink),
        };
        let mut builder = Engine::builder(ISSUER, store.clone())
            .events(events)
            .policy(policy);
        let keys = match format {
            Format::Opaque => None,
            Format::Jwt => Some(JwtKeys::new(
                SigningKey::generate("k1", SigningAlgorithm::EdDsa).unwrap(),
            )),
        };
        if let Some(keys) = &keys {
            builder = builder.jwt_access_tokens(keys.clone());
        }
        Self {
            engine: builder.build().unwrap(),
            bare: bare::Bare::new(ISSUER, CLIENT, &client_secret, REDIRECT, SCOPE),
            store,
            keys,
            client_basic: basic(CLIENT, &client_secret),
            rs_basic: basic(RESOURCE_SERVER, &rs_secret),
            subject: Subject::new("user-000042").unwrap(),
            scope: Scope::parse(SCOPE).unwrap(),
        }
    }

    /// A fresh authorization request (what the client and the integrator prepare).
    pub fn input(&self) -> FlowInput {
        let verifier = CodeVerifier::generate().unwrap();
        let challenge = CodeChallenge::s256(&verifier);
        let query = format!(
            "response_type=code&client_id={CLIENT}&redirect_uri=https%3A%2F%2Fwallet.example%2Fcallback&scope=balance%3Aread+trade&state=af0ifjsldkj&code_challenge={}&code_challenge_method=S256",
            challenge.as_str()
        );
        let decision = Decision::Approve(Approval {
            subject: self.subject.clone(),
            scope: self.scope.clone(),
            authentication: Authentication {
                auth_time: time::OffsetDateTime::now_utc(),
                acr: acr::STRONG.to_owned(),
                amr: vec!["pwd".to_owned(), "otp".to_owned()],
            },
        });
        FlowInput {
            query,
            verifier: verifier.secret().to_owned(),
            decision,
        }
    }

    fn form(&self, body: String, auth: &HeaderValue, path: &str) -> Request<Bytes> {
        let mut request = Request::new(Bytes::from(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() =
            http::Uri::from_maybe_shared(Bytes::from(format!("{ISSUER}{path}"))).unwrap();
        let headers = request.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(AUTHORIZATION, auth.clone());
        request
    }

    /// begin → finish (approve) → token; answers the token response. Never inlined, so
    /// a profiler can single it out (`valgrind --toggle-collect='*Bench*full_flow*'`).
    #[inline(never)]
    pub fn full_flow(&self, input: FlowInput) -> HttpResponse {
        let id = match run(self.engine.begin_authorization(&input.query)) {
            AuthorizationStart::Interaction(pending) => pending.id,
            other => panic!("begin: {other:?}"),
        };
        let code = self.finish(&id, input.decision);
        let request = self.code_request(&code, &input.verifier);
        let response = run(self.engine.token(&request));
        debug_assert_eq!(response.status(), StatusCode::OK);
        response
    }

    /// finish (approve) → the code from the redirect's `Location`.
    pub fn finish(&self, id: &InteractionId, decision: Decision) -> String {
        code_of(&run(self.engine.finish_authorization(id, decision)).unwrap())
    }

    /// [`full_flow`](Self::full_flow) through the hand-written [`bare::Bare`]: the same
    /// input, the same requests built the same way, the same response checked.
    #[inline(never)]
    pub fn bare_flow(&self, input: FlowInput) -> http::Response<Bytes> {
        let id = self.bare.begin(&input.query).unwrap();
        let Decision::Approve(approval) = &input.decision else {
            panic!("the bench approves")
        };
        let approval = bare::BareApproval {
            subject: approval.subject.as_str(),
            scope: approval.scope.as_str(),
            acr: &approval.authentication.acr,
            amr: &approval.authentication.amr,
            auth_time: approval.authentication.auth_time.unix_timestamp().max(0) as u64,
        };
        let code = code_of(&self.bare.finish(&id, &approval).unwrap());
        let request = self.code_request(&code, &input.verifier);
        let response = self.bare.token(&request);
        debug_assert_eq!(response.status(), StatusCode::OK);
        response
    }

    /// The token request redeeming `code` (client_secret_basic, code_verifier, redirect_uri).
    pub fn code_request(&self, code: &str, verifier: &str) -> Request<Bytes> {
        let body = format!(
            "grant_type=authorization_code&code={code}&code_verifier={verifier}&redirect_uri=https%3A%2F%2Fwallet.example%2Fcallback"
        );
        self.form(body, &self.client_basic, "/token")
    }

    pub fn refresh_request(&self, refresh: &str) -> Request<Bytes> {
        self.form(
            format!("grant_type=refresh_token&refresh_token={refresh}"),
            &self.client_basic,
            "/token",
        )
    }

    pub fn introspect_request(&self, token: &str) -> Request<Bytes> {
        self.form(format!("token={token}"), &self.rs_basic, "/introspect")
    }

    /// One full flow; answers (access token, refresh token).
    pub fn tokens(&self) -> (String, String) {
        let response = self.full_flow(self.input());
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Rotates `refresh`; answers its successor (client-side parsing kept minimal).
    pub fn refresh(&self, refresh: &str) -> String {
        let response = run(self.engine.token(&self.refresh_request(refresh)));
        refresh_token_of(response.body())
    }

    /// Introspects `token` as the resource server.
    pub fn introspect(&self, request: &Request<Bytes>) -> HttpResponse {
        let response = run(self.engine.introspect(request));
        debug_assert!(response.body().starts_with(b"{\"active\":true"));
        response
    }

    /// Validates a bearer token for `required`.
    pub fn bearer(&self, headers: &HeaderMap, required: &Scope) -> bool {
        run(self.engine.authenticate_bearer(headers, required)).is_ok()
    }
}

/// The code in a redirect's `Location` (client-side parsing kept minimal: codes are
/// base64url, so they need no decoding).
fn code_of<B>(response: &http::Response<B>) -> String {
    let location = response.headers().get(LOCATION).unwrap().to_str().unwrap();
    let start = location.find("code=").unwrap() + 5;
    let rest = &location[start..];
    rest[..rest.find('&').unwrap_or(rest.len())].to_owned()
}

/// The `refresh_token` member of a token response body.
pub fn refresh_token_of(body: &[u8]) -> String {
    let body = std::str::from_utf8(body).unwrap();
    let key = "\"refresh_token\":\"";
    let start = body.find(key).expect("a refresh token") + key.len();
    let rest = &body[start..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub fn bearer_headers(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

// ---------------------------------------------------------------------------------------
// The crypto floor. Counted from the engine's code (see docs/performance.md):
//
// full flow, opaque access tokens:
//   random draws (4 calls of `fill_random`): interaction id, code (32 bytes each,
//     random_token), grant id (16 bytes, fill_random), access and refresh token
//     together (64 bytes, random_tokens::<2>)
//   SHA-256 (8): interaction id at begin (store key) and at finish (one digest serves
//     the read and the take), code at finish (store key) and at redemption, client
//     secret, PKCE S256 of the code_verifier, access token, refresh token
// full flow, JWT access tokens: the same, the access token's random draw being its
//   `jti` and its digest that of the `jti`, plus one signature
// refresh rotation: SHA-256 (4): client secret, presented refresh token, new access and
//   new refresh token; random draws (1 read): new access and new refresh together
// introspection: SHA-256 (2): the resource server's secret, the presented token
// bearer, opaque: SHA-256 (1): the presented token
// bearer, JWT: one signature verification and SHA-256 (1) of the `jti`
// ---------------------------------------------------------------------------------------

/// One random draw of 32 bytes, base64url-encoded, and its SHA-256 digest.
fn token_and_digest() -> SecretDigest {
    let value = random_token().unwrap();
    SecretDigest::of(&value)
}

/// The stand-in for a 43-character value the client sends (verifier, secret, code).
const PRESENTED: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn xor(acc: &mut [u8; 32], d: SecretDigest) {
    for (a, b) in acc.iter_mut().zip(d.as_bytes()) {
        *a ^= b;
    }
}

/// Everything of the full flow's floor but the access and refresh tokens: 3 draws, 6
/// digests.
fn floor_flow_before_tokens(acc: &mut [u8; 32]) {
    // begin: interaction id (draw + digest)
    xor(acc, token_and_digest());
    // finish: interaction id presented again; code (draw + digest); grant id (draw)
    xor(acc, SecretDigest::of(PRESENTED));
    xor(acc, token_and_digest());
    let mut grant_id = [0u8; 16];
    fill_random(&mut grant_id).unwrap();
    acc[0] ^= grant_id[0];
    // token: client secret, code presented, PKCE verifier
    xor(acc, SecretDigest::of(PRESENTED));
    xor(acc, SecretDigest::of(PRESENTED));
    xor(acc, SecretDigest::of(PRESENTED));
}

/// Two tokens drawn in one call of `fill_random` (access and refresh, as the engine
/// mints them), and their digests.
fn token_pair_and_digests(acc: &mut [u8; 32]) {
    let [access, refresh] = random_tokens::<2>().unwrap();
    xor(acc, SecretDigest::of(&access));
    xor(acc, SecretDigest::of(&refresh));
}

/// The floor of the full authorization-code flow (opaque access tokens): 4 draws, 8
/// digests.
pub fn floor_full_flow_opaque() -> SecretDigest {
    let mut acc = [0u8; 32];
    floor_flow_before_tokens(&mut acc);
    token_pair_and_digests(&mut acc);
    SecretDigest::from_bytes(acc)
}

pub fn claims(jti: String) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: ISSUER.to_owned(),
        sub: "user-000042".to_owned(),
        aud: ISSUER.to_owned(),
        exp: 4_000_000_000,
        iat: 1_700_000_000,
        jti,
        client_id: CLIENT.to_owned(),
        scope: SCOPE.to_owned(),
        auth_time: Some(1_700_000_000),
        acr: Some(acr::STRONG.to_owned()),
    }
}

/// The floor of the full flow with JWT access tokens: the access token's draw and digest
/// are those of its `jti`, plus one signature (with the JSON of header and claims that a
/// JWT cannot avoid).
pub fn floor_full_flow_jwt(keys: &JwtKeys) -> (SecretDigest, String) {
    let mut acc = [0u8; 32];
    floor_flow_before_tokens(&mut acc);
    let [jti, refresh] = random_tokens::<2>().unwrap();
    xor(&mut acc, SecretDigest::of(&jti));
    xor(&mut acc, SecretDigest::of(&refresh));
    let token = keys.sign(&claims(jti)).unwrap();
    (SecretDigest::from_bytes(acc), token)
}

/// The floor of one refresh rotation.
pub fn floor_refresh() -> SecretDigest {
    let mut acc = *SecretDigest::of(PRESENTED).as_bytes();
    xor(&mut acc, SecretDigest::of(PRESENTED));
    token_pair_and_digests(&mut acc);
    SecretDigest::from_bytes(acc)
}

/// The floor of one introspection.
pub fn floor_introspection() -> (SecretDigest, SecretDigest) {
    (SecretDigest::of(PRESENTED), SecretDigest::of(PRESENTED))
}

/// The floor of one opaque bearer validation.
pub fn floor_bearer_opaque() -> SecretDigest {
    SecretDigest::of(PRESENTED)
}

/// The floor of one JWT bearer validation.
pub fn floor_bearer_jwt(keys: &JwtKeys, token: &str) -> SecretDigest {
    let claims = keys.verify(token, ISSUER, ISSUER, 1_700_000_000).unwrap();
    SecretDigest::of(&claims.jti)
}
