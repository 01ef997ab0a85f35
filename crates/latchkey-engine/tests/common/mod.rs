//! Shared fixture for the engine's integration tests: a memory store with a confidential
//! "wallet" client, a public native client and a second confidential client, an engine
//! on a manual clock with a recording audit sink, and helpers that drive the
//! authorization endpoint and send token, revocation and introspection requests as
//! `http::Request<Bytes>` the way an adapter would.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_panics_doc
)]

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use latchkey_engine::acr;
use latchkey_engine::clock::{Clock, ManualClock};
use latchkey_engine::events::RecordingSink;
use latchkey_engine::jwt::JwtKeys;
use latchkey_engine::pkce::{CodeChallenge, CodeVerifier};
use latchkey_engine::store::{Client, ClientSecretVerifier};
use latchkey_engine::throttle::Throttle;
use latchkey_engine::types::{ClientId, GrantType, RedirectUri, Scope};
use latchkey_engine::{
    Approval, Authentication, AuthorizationStart, BearerError, BearerGrant, Decision, Engine,
    HttpResponse, InteractionId, MemoryStore, PendingInteraction, Policy, ScopeRule, Subject,
};
use serde_json::Value;

pub const ISSUER: &str = "https://auth.bank.example";

pub const WALLET: &str = "wallet";
pub const WALLET_SECRET: &str = "wallet-secret-7Qm2xV9pL4sN8dR1tY6uZ3";
pub const WALLET_REDIRECT: &str = "https://wallet.example/cb";
pub const WALLET_SCOPE: &str = "balance:read trade withdraw";

pub const NATIVE: &str = "native";
pub const NATIVE_REDIRECT: &str = "http://127.0.0.1/cb";

pub const OTHER: &str = "other";
pub const OTHER_SECRET: &str = "other-secret-Hq8Lw2Zr5Tk9Bn3Vc7Xm1";
pub const OTHER_REDIRECT: &str = "https://other.example/cb";

pub const ALICE: &str = "alice";
pub const STATE: &str = "st-4f1c";

pub fn scope(s: &str) -> Scope {
    Scope::parse(s).unwrap()
}

pub fn cid(s: &str) -> ClientId {
    ClientId::new(s).unwrap()
}

/// A client registration.
pub fn client(
    id: &str,
    secret: Option<&str>,
    redirects: &[&str],
    scope_: &str,
    grants: &[GrantType],
) -> Client {
    Client {
        id: cid(id),
        name: format!("{id} app"),
        secret: secret.map(ClientSecretVerifier::for_secret),
        redirect_uris: redirects
            .iter()
            .map(|r| RedirectUri::register(r).unwrap())
            .collect(),
        grant_types: grants.to_vec(),
        scope: scope(scope_),
    }
}

pub const ALL_GRANTS: [GrantType; 3] = [
    GrantType::AuthorizationCode,
    GrantType::RefreshToken,
    GrantType::ClientCredentials,
];

/// `withdraw` and `trade` need strong customer authentication; `balance:read` does not.
pub fn default_policy() -> Policy {
    let rule = |name: &str, required: Option<&str>| ScopeRule {
        name: name.to_owned(),
        description: format!("{name} access"),
        required_acr: required.map(str::to_owned),
    };
    Policy::default()
        .scope(rule("balance:read", None))
        .scope(rule("trade", Some(acr::STRONG)))
        .scope(rule("withdraw", Some(acr::STRONG)))
}

pub struct FixtureBuilder {
    policy: Policy,
    throttle: Option<Arc<dyn Throttle>>,
    jwt: Option<JwtKeys>,
    plain_pkce: bool,
}

impl FixtureBuilder {
    pub fn policy(mut self, f: impl FnOnce(Policy) -> Policy) -> Self {
        self.policy = f(self.policy);
        self
    }

    pub fn throttle(mut self, throttle: Arc<dyn Throttle>) -> Self {
        self.throttle = Some(throttle);
        self
    }

    pub fn jwt(mut self, keys: JwtKeys) -> Self {
        self.jwt = Some(keys);
        self
    }

    pub fn allow_plain_pkce(mut self) -> Self {
        self.plain_pkce = true;
        self
    }

    pub fn build(self) -> Fixture {
        let store = Arc::new(MemoryStore::new());
        store.put_client(client(
            WALLET,
            Some(WALLET_SECRET),
            &[WALLET_REDIRECT],
            WALLET_SCOPE,
            &ALL_GRANTS,
        ));
        store.put_client(client(
            NATIVE,
            None,
            &[NATIVE_REDIRECT],
            "balance:read trade",
            &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        ));
        store.put_client(client(
            OTHER,
            Some(OTHER_SECRET),
            &[OTHER_REDIRECT],
            WALLET_SCOPE,
            &ALL_GRANTS,
        ));
        let clock = Arc::new(ManualClock::fixed());
        let events = Arc::new(RecordingSink::new());
        let mut builder = Engine::builder(ISSUER, store.clone())
            .clock(clock.clone())
            .events(events.clone())
            .policy(self.policy);
        if let Some(throttle) = self.throttle {
            builder = builder.throttle(throttle);
        }
        if let Some(keys) = self.jwt {
            builder = builder.jwt_access_tokens(keys);
        }
        if self.plain_pkce {
            builder = latchkey_engine::danger::allow_plain_pkce(builder);
        }
        Fixture {
            engine: builder.build().unwrap(),
            store,
            clock,
            events,
        }
    }
}

pub struct Fixture {
    pub engine: Engine,
    pub store: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub events: Arc<RecordingSink>,
}

pub fn fixture() -> Fixture {
    Fixture::builder().build()
}

/// How a request to a POST endpoint authenticates the client.
#[derive(Clone, Copy, Debug)]
pub enum Auth<'a> {
    /// `client_secret_basic`.
    Basic(&'a str, &'a str),
    /// `client_secret_post`.
    Post(&'a str, &'a str),
    /// A public client: `client_id` in the body only.
    Public(&'a str),
    /// No credentials at all.
    Nothing,
}

pub const WALLET_BASIC: Auth<'static> = Auth::Basic(WALLET, WALLET_SECRET);
pub const OTHER_BASIC: Auth<'static> = Auth::Basic(OTHER, OTHER_SECRET);

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A form POST to `uri` with `params` and the client credentials of `auth`.
pub fn form_post(uri: &str, params: &[(&str, &str)], auth: Auth<'_>) -> Request<Bytes> {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        body.append_pair(k, v);
    }
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    match auth {
        Auth::Basic(id, secret) => {
            let value = STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
            builder = builder.header(AUTHORIZATION, format!("Basic {value}"));
        }
        Auth::Post(id, secret) => {
            body.append_pair("client_id", id);
            body.append_pair("client_secret", secret);
        }
        Auth::Public(id) => {
            body.append_pair("client_id", id);
        }
        Auth::Nothing => {}
    }
    builder.body(Bytes::from(body.finish())).unwrap()
}

/// The parameters of an authorization request, with a fresh PKCE verifier.
#[derive(Clone, Debug)]
pub struct AuthRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub verifier: String,
    /// `None`: no `code_challenge` at all.
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub extra: Vec<(String, String)>,
}

impl AuthRequest {
    /// A valid S256 request for `client_id` to `redirect_uri` asking for `balance:read`.
    pub fn new(client_id: &str, redirect_uri: &str) -> Self {
        let verifier = CodeVerifier::generate().unwrap();
        let challenge = CodeChallenge::s256(&verifier).as_str().to_owned();
        Self {
            client_id: Some(client_id.to_owned()),
            redirect_uri: Some(redirect_uri.to_owned()),
            response_type: Some("code".to_owned()),
            scope: Some("balance:read".to_owned()),
            state: Some(STATE.to_owned()),
            verifier: verifier.secret().to_owned(),
            code_challenge: Some(challenge),
            code_challenge_method: Some("S256".to_owned()),
            extra: Vec::new(),
        }
    }

    pub fn wallet() -> Self {
        Self::new(WALLET, WALLET_REDIRECT)
    }

    pub fn native() -> Self {
        Self::new(NATIVE, NATIVE_REDIRECT)
    }

    pub fn scope(mut self, s: Option<&str>) -> Self {
        self.scope = s.map(str::to_owned);
        self
    }

    pub fn state(mut self, s: Option<&str>) -> Self {
        self.state = s.map(str::to_owned);
        self
    }

    pub fn redirect(mut self, r: Option<&str>) -> Self {
        self.redirect_uri = r.map(str::to_owned);
        self
    }

    pub fn without_pkce(mut self) -> Self {
        self.code_challenge = None;
        self.code_challenge_method = None;
        self
    }

    /// The query string, without `?`.
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        };
        put("response_type", &self.response_type);
        put("client_id", &self.client_id);
        put("redirect_uri", &self.redirect_uri);
        put("scope", &self.scope);
        put("state", &self.state);
        put("code_challenge", &self.code_challenge);
        put("code_challenge_method", &self.code_challenge_method);
        for (k, v) in &self.extra {
            q.append_pair(k, v);
        }
        q.finish()
    }
}

/// What a successful token response carried.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
    pub scope: String,
    pub body: Value,
}

impl Tokens {
    pub fn from_response(response: &HttpResponse) -> Self {
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "token response: {}",
            body_text(response)
        );
        let body = body_json(response);
        Self {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().map(str::to_owned),
            scope: body["scope"].as_str().unwrap_or_default().to_owned(),
            body,
        }
    }

    pub fn refresh(&self) -> &str {
        self.refresh.as_deref().expect("a refresh token")
    }
}

/// An approval by alice for `scope_` at level `acr_`.
pub fn approve(scope_: &str, acr_: &str) -> Decision {
    Decision::Approve(Approval {
        subject: Subject::new(ALICE).unwrap(),
        scope: scope(scope_),
        authentication: Authentication {
            auth_time: ManualClock::fixed().now(),
            acr: acr_.to_owned(),
            amr: vec!["pwd".to_owned()],
        },
    })
}

/// An approval by `subject`.
pub fn approve_as(subject: &str, scope_: &str, acr_: &str) -> Decision {
    match approve(scope_, acr_) {
        Decision::Approve(mut a) => {
            a.subject = Subject::new(subject).unwrap();
            Decision::Approve(a)
        }
        Decision::Deny => unreachable!(),
    }
}

impl Fixture {
    pub fn builder() -> FixtureBuilder {
        FixtureBuilder {
            policy: default_policy(),
            throttle: None,
            jwt: None,
            plain_pkce: false,
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.events.names()
    }

    pub fn count(&self, name: &str) -> usize {
        self.names().iter().filter(|n| **n == name).count()
    }

    pub async fn begin(&self, request: &AuthRequest) -> AuthorizationStart {
        self.engine.begin_authorization(&request.query()).await
    }

    pub async fn pending(&self, request: &AuthRequest) -> PendingInteraction {
        match self.begin(request).await {
            AuthorizationStart::Interaction(pending) => pending,
            other => panic!("expected an interaction, got {other:?}"),
        }
    }

    pub async fn finish(&self, id: &InteractionId, decision: Decision) -> HttpResponse {
        self.engine
            .finish_authorization(id, decision)
            .await
            .unwrap()
    }

    /// begin → approve by alice; the code from the redirect.
    pub async fn code(&self, request: &AuthRequest, grant: &str, acr_: &str) -> String {
        let pending = self.pending(request).await;
        let response = self.finish(&pending.id, approve(grant, acr_)).await;
        location_params(&response)
            .remove("code")
            .expect("a code in the redirect")
    }

    /// The token request that redeems `code` as `request` would.
    pub fn code_request(request: &AuthRequest, code: &str, auth: Auth<'_>) -> Request<Bytes> {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", request.verifier.as_str()),
        ];
        if let Some(r) = &request.redirect_uri {
            params.push(("redirect_uri", r.as_str()));
        }
        form_post("https://auth.bank.example/token", &params, auth)
    }

    pub async fn token(&self, request: &Request<Bytes>) -> HttpResponse {
        self.engine.token(request).await
    }

    /// The whole flow for `request`, redeemed with `auth`.
    pub async fn tokens_for(
        &self,
        request: &AuthRequest,
        grant: &str,
        acr_: &str,
        auth: Auth<'_>,
    ) -> Tokens {
        let code = self.code(request, grant, acr_).await;
        let response = self.token(&Self::code_request(request, &code, auth)).await;
        Tokens::from_response(&response)
    }

    /// The wallet's tokens for `balance:read`.
    pub async fn wallet_tokens(&self) -> Tokens {
        self.tokens_for(
            &AuthRequest::wallet(),
            "balance:read",
            acr::SINGLE_FACTOR,
            WALLET_BASIC,
        )
        .await
    }

    pub async fn refresh(
        &self,
        refresh_token: &str,
        scope_: Option<&str>,
        auth: Auth<'_>,
    ) -> HttpResponse {
        let mut params = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(s) = scope_ {
            params.push(("scope", s));
        }
        self.token(&form_post("https://auth.bank.example/token", &params, auth))
            .await
    }

    pub async fn introspect_as(&self, token: &str, auth: Auth<'_>) -> HttpResponse {
        self.engine
            .introspect(&form_post(
                "https://auth.bank.example/introspect",
                &[("token", token)],
                auth,
            ))
            .await
    }

    /// The introspection body, asked by the wallet (a confidential client).
    pub async fn introspect(&self, token: &str) -> Value {
        let response = self.introspect_as(token, WALLET_BASIC).await;
        assert_eq!(response.status(), StatusCode::OK);
        body_json(&response)
    }

    pub async fn is_active(&self, token: &str) -> bool {
        self.introspect(token).await["active"] == Value::Bool(true)
    }

    pub async fn revoke(&self, token: &str, hint: Option<&str>, auth: Auth<'_>) -> HttpResponse {
        let mut params = vec![("token", token)];
        if let Some(h) = hint {
            params.push(("token_type_hint", h));
        }
        self.engine
            .revoke(&form_post(
                "https://auth.bank.example/revoke",
                &params,
                auth,
            ))
            .await
    }

    pub async fn bearer(&self, token: &str, required: &str) -> Result<BearerGrant, BearerError> {
        let required = if required.is_empty() {
            Scope::empty()
        } else {
            scope(required)
        };
        self.engine
            .authenticate_bearer(&bearer_headers(token), &required)
            .await
    }
}

pub fn bearer_headers(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

pub fn body_text(response: &HttpResponse) -> String {
    String::from_utf8(response.body().to_vec()).unwrap()
}

pub fn body_json(response: &HttpResponse) -> Value {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| {
        panic!("body is not JSON ({e}): {}", body_text(response));
    })
}

pub fn location(response: &HttpResponse) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The decoded query parameters of the Location header.
pub fn location_params(response: &HttpResponse) -> HashMap<String, String> {
    let location = location(response);
    let query = location.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Asserts an RFC 6749 §5.2 JSON error.
pub fn assert_error(response: &HttpResponse, status: StatusCode, code: &str) {
    assert_eq!(
        response.status(),
        status,
        "unexpected status; body: {}",
        body_text(response)
    );
    assert_eq!(
        body_json(response)["error"],
        code,
        "unexpected error; body: {}",
        body_text(response)
    );
}

/// Unwraps a redirect outcome of `begin_authorization`.
pub fn redirect_of(start: AuthorizationStart) -> HttpResponse {
    match start {
        AuthorizationStart::Redirect(response) => response,
        other => panic!("expected a redirect, got {other:?}"),
    }
}

/// Unwraps an error-page outcome of `begin_authorization`, checking it does not redirect.
pub fn error_page_of(
    start: AuthorizationStart,
) -> (latchkey_engine::types::ErrorResponse, HttpResponse) {
    match start {
        AuthorizationStart::ErrorPage { error, response } => {
            assert!(response.headers().get(LOCATION).is_none());
            assert!(!response.status().is_redirection());
            (error, response)
        }
        other => panic!("expected an error page, got {other:?}"),
    }
}
