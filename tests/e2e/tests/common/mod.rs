//! The browser-like half of the end-to-end tests: a cookie-keeping HTTP client that walks
//! the demo's login, consent and SCA pages the way a person's browser would, without
//! following redirects so every hop can be checked.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use reqwest::{redirect, Client, Response, StatusCode};

pub struct Browser {
    pub http: Client,
    pub base: String,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let http = Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{}", self.base, location)
        }
    }

    pub async fn get(&self, url: &str) -> Response {
        self.http.get(self.absolute(url)).send().await.unwrap()
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.absolute(url))
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on a {} response", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The value of the hidden `csrf` input of a page.
pub fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\"").expect("page has a csrf field");
    let rest = &html[at..];
    let start = rest.find("value=\"").expect("csrf value") + 7;
    let end = rest[start..].find('"').expect("csrf value end");
    rest[start..start + end].to_owned()
}

/// Query parameters of a URL.
pub fn query(url: &str) -> Vec<(String, String)> {
    let parsed = url::Url::parse(url).unwrap();
    parsed.query_pairs().into_owned().collect()
}

pub fn param(url: &str, name: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// What the user does at the pages: log in, decide, pass SCA when asked.
pub struct User<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub sca_code: &'a str,
    pub approve: bool,
}

/// Follows an authorization URL through login, consent and (when asked) SCA. Returns the
/// final redirect to the client (the URL with code or error, state and iss).
pub async fn authorize(browser: &Browser, authorize_url: &str, user: &User<'_>) -> String {
    let response = browser.get(authorize_url).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "authorize must redirect to login"
    );
    let login = location(&response);
    let page = browser.get(&login).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));
    let token = csrf(&html);
    let response = browser
        .post_form(
            &login,
            &[
                ("username", user.username),
                ("password", user.password),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "login must succeed"
    );
    let consent = location(&response);
    let html = browser.get(&consent).await.text().await.unwrap();
    assert!(html.contains("name=\"decision\""));
    let token = csrf(&html);
    let decision = if user.approve { "approve" } else { "deny" };
    let response = browser
        .post_form(&consent, &[("decision", decision), ("csrf", &token)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut next = location(&response);
    if next.contains("/sca") {
        let html = browser.get(&next).await.text().await.unwrap();
        assert!(html.contains("name=\"sca_code\""));
        let token = csrf(&html);
        let response = browser
            .post_form(&next, &[("sca_code", user.sca_code), ("csrf", &token)])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        next = location(&response);
    }
    next
}
