//! The request sequence both adapters must answer identically, and what each answer
//! must be. Shared by the axum and actix-web test suites (`#[path]`-included).

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use latchkey_engine::pkce::{CodeChallenge, CodeVerifier};
use latchkey_engine::store::{Client, ClientSecretVerifier};
use latchkey_engine::types::{ClientId, GrantType, RedirectUri, Scope};
use latchkey_engine::{
    Approval, Authentication, Decision, Engine, InteractionId, MemoryStore, Subject,
};

/// The login page the authorization endpoint redirects to.
pub(crate) const LOGIN_URL: &str = "https://login.example/login";
const REDIRECT_URI: &str = "https://app.example/cb";

/// A sender of engine-typed requests through one adapter.
pub(crate) trait Transport {
    /// Sends `request` through the adapter's app for `engine`.
    async fn send(&self, engine: &Engine, request: Request<Bytes>) -> Response<Bytes>;
}

/// An engine over a memory store holding the confidential client `app`.
pub(crate) fn engine() -> Engine {
    let store = Arc::new(MemoryStore::new());
    store.put_client(Client {
        id: ClientId::new("app").unwrap(),
        name: "App".to_owned(),
        secret: Some(ClientSecretVerifier::for_secret("s3cret")),
        redirect_uris: vec![RedirectUri::register(REDIRECT_URI).unwrap()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scope: Scope::parse("balance:read").unwrap(),
    });
    Engine::builder("https://auth.example", store)
        .build()
        .unwrap()
}

/// What a response showed, with the headers that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Observed {
    pub(crate) case: &'static str,
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) pragma: Option<String>,
    pub(crate) www_authenticate: Option<String>,
    pub(crate) allow: Option<String>,
    /// `Location` up to its query, then the query's parameter names.
    pub(crate) location: Option<String>,
    /// The body, random token values masked.
    pub(crate) body: String,
}

fn header(response: &Response<Bytes>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn observe(case: &'static str, response: &Response<Bytes>) -> Observed {
    let location = header(response, "location").map(|l| match l.split_once('?') {
        Some((base, query)) => {
            let names: Vec<String> = form_pairs(query).into_iter().map(|(n, _)| n).collect();
            format!("{base}?{}", names.join("&"))
        }
        None => l,
    });
    let mut body = String::from_utf8(response.body().to_vec()).unwrap();
    if body.contains("access_token") {
        let mut json: serde_json::Value = serde_json::from_str(&body).unwrap();
        for key in ["access_token", "refresh_token"] {
            json[key] = serde_json::Value::from("*");
        }
        body = json.to_string();
    }
    Observed {
        case,
        status: response.status().as_u16(),
        content_type: header(response, "content-type"),
        cache_control: header(response, "cache-control"),
        pragma: header(response, "pragma"),
        www_authenticate: header(response, "www-authenticate"),
        allow: header(response, "allow"),
        location,
        body,
    }
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (n.to_owned(), v.replace("%3A", ":").replace("%2F", "/")))
        .collect()
}

fn param(location: &str, name: &str) -> String {
    let query = location.split_once('?').unwrap().1;
    form_pairs(query)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap()
        .1
}

fn get(uri: &str, bearer: Option<&str>) -> Request<Bytes> {
    let mut builder = Request::get(uri);
    if let Some(token) = bearer {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Bytes::new()).unwrap()
}

fn post_form(uri: &str, body: impl Into<Bytes>) -> Request<Bytes> {
    let body = body.into();
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic YXBwOnMzY3JldA==")
        .header("content-length", body.len())
        .body(body)
        .unwrap()
}

/// Runs the whole sequence through `transport`.
pub(crate) async fn run(transport: &impl Transport) -> Vec<Observed> {
    let engine = engine();
    let mut seen = Vec::new();
    let mut send = async |case, request| {
        let response = transport.send(&engine, request).await;
        seen.push(observe(case, &response));
        response
    };
    send(
        "metadata",
        get("/.well-known/oauth-authorization-server", None),
    )
    .await;
    send("jwks absent", get("/jwks.json", None)).await;
    send(
        "authorize unknown client",
        get("/authorize?response_type=code&client_id=nobody", None),
    )
    .await;
    send("authorize by POST", post_form("/authorize", "")).await;
    let verifier = CodeVerifier::generate().unwrap();
    let challenge = CodeChallenge::s256(&verifier);
    let query = format!(
        "/authorize?response_type=code&client_id=app&redirect_uri={REDIRECT_URI}\
         &scope=balance:read&state=xyz&code_challenge={}&code_challenge_method=S256",
        challenge.as_str()
    );
    let login = send("authorize", get(&query, None)).await;
    let id = param(&header(&login, "location").unwrap(), "interaction");
    let approval = Approval {
        subject: Subject::new("alice").unwrap(),
        scope: Scope::parse("balance:read").unwrap(),
        authentication: Authentication {
            auth_time: time::OffsetDateTime::now_utc(),
            acr: latchkey_engine::acr::SINGLE_FACTOR.to_owned(),
            amr: vec!["pwd".to_owned()],
        },
    };
    let back = engine
        .finish_authorization(&InteractionId::new(id), Decision::Approve(approval))
        .await
        .unwrap();
    let code = param(&header(&back, "location").unwrap(), "code");
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}&code_verifier={}",
        verifier.secret()
    );
    let tokens = send("token", post_form("/token", form)).await;
    let json: serde_json::Value = serde_json::from_slice(tokens.body()).unwrap();
    let access = json["access_token"].as_str().unwrap().to_owned();
    send("token by GET", get("/token", None)).await;
    send(
        "token body too large",
        post_form("/token", vec![b'a'; 10 << 20]),
    )
    .await;
    let long = format!(
        "/authorize?response_type=code&client_id={}",
        "a".repeat(9000)
    );
    send("authorize query too long", get(&long, None)).await;
    send("resource without token", get("/api/balance", None)).await;
    send("resource with bad token", get("/api/balance", Some("nope"))).await;
    send("resource wrong scope", get("/api/transfer", Some(&access))).await;
    send("resource", get("/api/balance", Some(&access))).await;
    seen
}

const JSON: Option<&str> = Some("application/json");
const NO_STORE: Option<&str> = Some("no-store");

/// `(case, status, content-type, cache-control, www-authenticate, location, body start)`.
type Expect = (
    &'static str,
    u16,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

const EXPECTED: &[Expect] = &[
    (
        "metadata",
        200,
        JSON,
        Some("public, max-age=300"),
        None,
        None,
        r#"{"issuer":"https://auth.example""#,
    ),
    ("jwks absent", 404, None, None, None, None, ""),
    (
        "authorize unknown client",
        400,
        Some("text/html; charset=utf-8"),
        NO_STORE,
        None,
        None,
        "<!doctype html>",
    ),
    (
        "authorize by POST",
        405,
        JSON,
        NO_STORE,
        None,
        None,
        r#"{"error":"invalid_request","error_description":"the endpoint requires GET"}"#,
    ),
    (
        "authorize",
        303,
        None,
        NO_STORE,
        None,
        Some("https://login.example/login?interaction"),
        "",
    ),
    (
        "token",
        200,
        JSON,
        NO_STORE,
        None,
        None,
        r#"{"access_token":"*""#,
    ),
    (
        "token by GET",
        400,
        JSON,
        NO_STORE,
        None,
        None,
        r#"{"error":"invalid_request""#,
    ),
    (
        "token body too large",
        413,
        JSON,
        NO_STORE,
        None,
        None,
        r#"{"error":"invalid_request","error_description":"request body too large"}"#,
    ),
    (
        "authorize query too long",
        414,
        JSON,
        NO_STORE,
        None,
        None,
        r#"{"error":"invalid_request","error_description":"query string too long"}"#,
    ),
    (
        "resource without token",
        401,
        JSON,
        NO_STORE,
        Some(r#"Bearer realm="demo""#),
        None,
        "{}",
    ),
    (
        "resource with bad token",
        401,
        JSON,
        NO_STORE,
        Some(r#"Bearer realm="demo", error="invalid_token""#),
        None,
        r#"{"error":"invalid_token"}"#,
    ),
    (
        "resource wrong scope",
        403,
        JSON,
        NO_STORE,
        Some(r#"Bearer realm="demo", error="insufficient_scope", scope="balance:write""#),
        None,
        r#"{"error":"insufficient_scope"}"#,
    ),
    (
        "resource",
        200,
        Some("text/plain; charset=utf-8"),
        None,
        None,
        None,
        "balance of alice",
    ),
];

/// Checks a run against the table.
pub(crate) fn check(seen: &[Observed]) {
    assert_eq!(seen.len(), EXPECTED.len());
    for (observed, expected) in seen.iter().zip(EXPECTED) {
        let (case, status, content_type, cache_control, challenge, location, body) = *expected;
        assert_eq!(observed.case, case);
        assert_eq!(observed.status, status, "{case}: {observed:?}");
        assert_eq!(observed.content_type.as_deref(), content_type, "{case}");
        assert_eq!(observed.cache_control.as_deref(), cache_control, "{case}");
        if cache_control == NO_STORE && content_type == JSON && status != 401 && status != 403 {
            assert_eq!(observed.pragma.as_deref(), Some("no-cache"), "{case}");
        }
        match challenge {
            Some(prefix) => assert!(
                observed
                    .www_authenticate
                    .as_deref()
                    .unwrap_or("")
                    .starts_with(prefix),
                "{case}: {observed:?}"
            ),
            None => assert_eq!(observed.www_authenticate, None, "{case}"),
        }
        match location {
            Some(prefix) => assert!(
                observed
                    .location
                    .as_deref()
                    .unwrap_or("")
                    .starts_with(prefix),
                "{case}: {observed:?}"
            ),
            None => assert_eq!(observed.location, None, "{case}"),
        }
        assert!(observed.body.starts_with(body), "{case}: {}", observed.body);
    }
}
