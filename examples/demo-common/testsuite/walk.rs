//! Browser walks through the demo pages, shared by the tests of `demo-axum` and
//! `demo-actix` (each includes this file with `#[path]` and points it at a server it
//! started in process): the built-in client from `/client/start` to its balance page, a
//! step-up to strong authentication for `trade`, and the refusals of forged or cookieless
//! forms. A `reqwest` client with a cookie jar and redirects disabled plays the browser,
//! so every `303` and cookie is checked on the way.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use latchkey_engine::pkce::{CodeChallenge, CodeVerifier, State};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};

/// A browser: cookie jar on, redirects left to the test.
pub(crate) fn browser() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

fn location(response: &Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{response:?}");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location.to_owned()
    }
}

/// The hidden CSRF token of the form in `html`.
fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

async fn page(browser: &Client, url: &str, status: StatusCode) -> String {
    let response = browser.get(url).send().await.unwrap();
    assert_eq!(response.status(), status, "GET {url}");
    let headers = response.headers();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(!headers.contains_key("access-control-allow-origin"));
    response.text().await.unwrap()
}

async fn post(browser: &Client, url: &str, form: &[(&str, &str)]) -> Response {
    browser.post(url).form(form).send().await.unwrap()
}

/// From an `/authorize` URL to a signed-in consent page; returns the consent page.
async fn authorize_and_sign_in(browser: &Client, base: &str, authorize: &str) -> String {
    let response = browser.get(authorize).send().await.unwrap();
    assert_eq!(location(&response), "/login");
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lk_interaction="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let login = page(browser, &format!("{base}/login"), StatusCode::OK).await;
    let token = csrf(&login);
    let wrong = [
        ("username", "alice"),
        ("password", "nope"),
        ("csrf", &token),
    ];
    let response = post(browser, &format!("{base}/login"), &wrong).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Wrong username or password"));
    let right = [
        ("username", "alice"),
        ("password", "alice-password"),
        ("csrf", &token),
    ];
    let response = post(browser, &format!("{base}/login"), &right).await;
    assert_eq!(location(&response), "/consent");
    page(browser, &format!("{base}/consent"), StatusCode::OK).await
}

/// `GET /` → "Connect" → login → consent → callback showing alice's balance.
pub(crate) async fn built_in_client_shows_the_balance(base: &str) {
    let browser = browser();
    let home = page(&browser, &format!("{base}/"), StatusCode::OK).await;
    assert!(home.contains("href=\"/client/start\""));
    let response = browser
        .get(format!("{base}/client/start"))
        .send()
        .await
        .unwrap();
    let authorize = location(&response);
    assert!(authorize.starts_with("/authorize?response_type=code&client_id=demo-client"));
    assert!(authorize.contains("code_challenge_method=S256"));
    let consent = authorize_and_sign_in(&browser, base, &absolute(base, &authorize)).await;
    assert!(consent.contains("Latchkey demo client") && consent.contains("View your balances"));
    let approve = [("decision", "approve"), ("csrf", &csrf(&consent))];
    let response = post(&browser, &format!("{base}/consent"), &approve).await;
    let callback = location(&response);
    assert!(
        callback.starts_with(&format!("{base}/callback?code=")),
        "{callback}"
    );
    let done = page(&browser, &callback, StatusCode::OK).await;
    assert!(done.contains("Balance of alice"), "{done}");
    assert!(done.contains("id=\"balance\"") && done.contains("1250.00") && done.contains("0.4200"));
    // The consumed interaction is gone: its pages now say so.
    page(&browser, &format!("{base}/login"), StatusCode::BAD_REQUEST).await;
    let api = browser
        .get(format!("{base}/api/balance"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}

/// `trade` for `wallet-web` needs strong authentication: approve → `/sca` → a wrong code
/// is refused → the right one redirects to the client with `code`, `state` and `iss`.
pub(crate) async fn trade_requires_strong_authentication(base: &str) {
    let browser = browser();
    let verifier = CodeVerifier::generate().unwrap();
    let state = State::generate().unwrap();
    let challenge = CodeChallenge::s256(&verifier);
    let query = [
        ("response_type", "code"),
        ("client_id", "wallet-web"),
        ("redirect_uri", "https://wallet.example/callback"),
        ("scope", "trade"),
        ("state", state.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let authorize = reqwest::Url::parse_with_params(&format!("{base}/authorize"), query).unwrap();
    let consent = authorize_and_sign_in(&browser, base, authorize.as_str()).await;
    assert!(consent.contains("Place trades on your behalf"));
    assert!(consent.contains("(requires strong authentication)"));
    let approve = [("decision", "approve"), ("csrf", &csrf(&consent))];
    let response = post(&browser, &format!("{base}/consent"), &approve).await;
    assert_eq!(location(&response), "/sca");
    let sca = page(&browser, &format!("{base}/sca"), StatusCode::OK).await;
    let token = csrf(&sca);
    let response = post(
        &browser,
        &format!("{base}/sca"),
        &[("sca_code", "000000"), ("csrf", &token)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("That code is not right"));
    let response = post(
        &browser,
        &format!("{base}/sca"),
        &[("sca_code", "123456"), ("csrf", &token)],
    )
    .await;
    let redirect = reqwest::Url::parse(&location(&response)).unwrap();
    assert_eq!(
        redirect.as_str().split('?').next(),
        Some("https://wallet.example/callback")
    );
    let params: Vec<(String, String)> = redirect.query_pairs().into_owned().collect();
    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["code", "state", "iss"]);
    assert_eq!(params[1].1, state.as_str());
    assert_eq!(params[2].1, base);
}

/// A login form without its CSRF token is `403`; pages without the interaction cookie, or
/// with garbage cookies, are `400`.
pub(crate) async fn forged_and_cookieless_forms_are_refused(base: &str) {
    let browser = browser();
    let response = browser
        .get(format!("{base}/client/start"))
        .send()
        .await
        .unwrap();
    let authorize = absolute(base, &location(&response));
    assert_eq!(
        location(&browser.get(&authorize).send().await.unwrap()),
        "/login"
    );
    let form = [("username", "alice"), ("password", "alice-password")];
    let response = post(&browser, &format!("{base}/login"), &form).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let forged = [
        ("username", "alice"),
        ("password", "alice-password"),
        ("csrf", "x"),
    ];
    assert_eq!(
        post(&browser, &format!("{base}/login"), &forged)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let stranger = self::browser();
    let login = page(&stranger, &format!("{base}/login"), StatusCode::BAD_REQUEST).await;
    assert!(
        login.contains("this sign-in has expired") || login.contains("This sign-in has expired")
    );
    assert_eq!(
        post(&stranger, &format!("{base}/login"), &form)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    for cookie in [
        "lk_interaction=garbage",
        "lk_interaction=%%%; lk_auth=%%%",
        "lk_auth=a.b",
    ] {
        for path in ["/login", "/consent", "/sca"] {
            let response = Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap()
                .get(format!("{base}{path}"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "{path} with {cookie}"
            );
        }
    }
    let callback = browser
        .get(format!("{base}/callback?code=x&state=y"))
        .send()
        .await
        .unwrap();
    assert_eq!(callback.status(), StatusCode::BAD_REQUEST);
}

/// After five wrong passwords for a username within five minutes the sixth attempt, even
/// with the right password, is `429` with the time to wait.
pub(crate) async fn sign_in_is_throttled_per_username(base: &str) {
    let browser = browser();
    let response = browser
        .get(format!("{base}/client/start"))
        .send()
        .await
        .unwrap();
    let authorize = absolute(base, &location(&response));
    browser.get(&authorize).send().await.unwrap();
    let login = page(&browser, &format!("{base}/login"), StatusCode::OK).await;
    let token = csrf(&login);
    for _ in 0..5 {
        let wrong = [("username", "bob"), ("password", "guess"), ("csrf", &token)];
        let response = post(&browser, &format!("{base}/login"), &wrong).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let right = [
        ("username", "bob"),
        ("password", "bob-password"),
        ("csrf", &token),
    ];
    let response = post(&browser, &format!("{base}/login"), &right).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Too many attempts, wait"));
    // Another user is not affected.
    let alice = [
        ("username", "alice"),
        ("password", "alice-password"),
        ("csrf", &token),
    ];
    assert_eq!(
        location(&post(&browser, &format!("{base}/login"), &alice).await),
        "/consent"
    );
}

/// The page tests, for a demo whose in-process `start(&Cli)` is `$start`: each demo's
/// `tests/pages.rs` is this one line, so both frameworks run exactly the same walks.
macro_rules! page_tests {
    ($start:path) => {
        async fn server_url() -> (impl Drop, String) {
            let server = $start(&latchkey_demo::Cli::for_tests())
                .await
                .expect("the demo starts");
            let url = server.url();
            (server, url)
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn built_in_client_shows_the_balance() {
            let (_server, url) = server_url().await;
            walk::built_in_client_shows_the_balance(&url).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn trade_requires_strong_authentication() {
            let (_server, url) = server_url().await;
            walk::trade_requires_strong_authentication(&url).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn forged_and_cookieless_forms_are_refused() {
            let (_server, url) = server_url().await;
            walk::forged_and_cookieless_forms_are_refused(&url).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn metadata_is_served_at_the_root() {
            let (_server, url) = server_url().await;
            let metadata: serde_json::Value =
                reqwest::get(format!("{url}/.well-known/oauth-authorization-server"))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
            assert_eq!(metadata["issuer"], url);
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn sign_in_is_throttled_per_username() {
            let (_server, url) = server_url().await;
            walk::sign_in_is_throttled_per_username(&url).await;
        }
    };
}
pub(crate) use page_tests;
