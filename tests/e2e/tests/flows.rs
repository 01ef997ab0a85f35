//! The full OAuth flow and its error paths against both demo servers over real HTTP on
//! 127.0.0.1, with the `oauth2` crate as the client. One test body, run against each
//! adapter, so axum and actix-web are held to the same behaviour.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
mod servers;

use common::{authorize, location, param, Browser, User};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AccessToken, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, IntrospectionUrl, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use reqwest::StatusCode;

type Wallet = BasicClient<EndpointSet, EndpointNotSet, EndpointSet, EndpointNotSet, EndpointSet>;

const ALICE: User<'static> = User {
    username: "alice",
    password: "alice-password",
    sca_code: "123456",
    approve: true,
};

/// The confidential web client of the demo's default configuration.
fn wallet(base: &str) -> Wallet {
    BasicClient::new(ClientId::new("wallet-web".into()))
        .set_client_secret(ClientSecret::new("wallet-web-secret-change-me".into()))
        .set_auth_uri(AuthUrl::new(format!("{base}/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(format!("{base}/token")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(format!("{base}/introspect")).unwrap())
        .set_redirect_uri(RedirectUrl::new("https://wallet.example/callback".into()).unwrap())
}

/// The resource server's client, allowed to introspect.
fn resource_server(base: &str) -> Wallet {
    BasicClient::new(ClientId::new("exchange-api".into()))
        .set_client_secret(ClientSecret::new("exchange-api-secret".into()))
        .set_auth_uri(AuthUrl::new(format!("{base}/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(format!("{base}/token")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(format!("{base}/introspect")).unwrap())
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Runs authorize → login → consent (→ SCA) for `scopes`; returns the redirect back to the
/// client, the state sent and the PKCE verifier.
async fn obtain_code(
    base: &str,
    scopes: &[&str],
    user: &User<'_>,
) -> (String, CsrfToken, PkceCodeVerifier) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = wallet(base);
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_owned()));
    }
    let (url, state) = request.url();
    let back = authorize(&Browser::new(base), url.as_str(), user).await;
    (back, state, verifier)
}

async fn balance(base: &str, access_token: &AccessToken) -> reqwest::Response {
    http()
        .get(format!("{base}/api/balance"))
        .bearer_auth(access_token.secret())
        .send()
        .await
        .unwrap()
}

async fn active(base: &str, token: &AccessToken) -> bool {
    resource_server(base)
        .introspect(token)
        .request_async(&http())
        .await
        .unwrap()
        .active()
}

async fn revoke_refresh_token(base: &str, token: &str) -> StatusCode {
    http()
        .post(format!("{base}/revoke"))
        .basic_auth("wallet-web", Some("wallet-web-secret-change-me"))
        .form(&[("token", token), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap()
        .status()
}

fn is_invalid_grant<T, E>(
    result: &Result<T, RequestTokenError<E, oauth2::StandardErrorResponse<BasicErrorResponseType>>>,
) -> bool
where
    E: std::error::Error + 'static,
{
    matches!(result, Err(RequestTokenError::ServerResponse(e)) if *e.error() == BasicErrorResponseType::InvalidGrant)
}

/// authorize with PKCE and state → login → consent → SCA → code exchange → resource →
/// introspect → refresh → revoke.
async fn full_flow(base: &str) {
    let (back, state, verifier) = obtain_code(base, &["balance:read", "trade"], &ALICE).await;
    assert!(
        back.starts_with("https://wallet.example/callback?"),
        "{back}"
    );
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(param(&back, "iss").as_deref(), Some(base), "RFC 9207 iss");
    let code = param(&back, "code").expect("code");

    let client = wallet(base);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("code exchange");
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(scopes.contains(&"trade".to_owned()) && scopes.contains(&"balance:read".to_owned()));
    let refresh = tokens.refresh_token().expect("refresh token").clone();

    let response = balance(base, tokens.access_token()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["subject"], "alice");

    let info = resource_server(base)
        .introspect(tokens.access_token())
        .request_async(&http())
        .await
        .unwrap();
    assert!(info.active());
    assert_eq!(info.sub(), Some("alice"));
    assert_eq!(info.client_id().map(|c| c.as_str()), Some("wallet-web"));

    let refreshed = client
        .exchange_refresh_token(&refresh)
        .request_async(&http())
        .await
        .expect("refresh");
    let new_refresh = refreshed.refresh_token().expect("rotated refresh token");
    assert_ne!(
        new_refresh.secret(),
        refresh.secret(),
        "refresh tokens rotate"
    );
    assert!(active(base, refreshed.access_token()).await);

    assert_eq!(
        revoke_refresh_token(base, new_refresh.secret()).await,
        StatusCode::OK
    );
    assert!(
        !active(base, refreshed.access_token()).await,
        "revoking the refresh token revokes its grant"
    );
    let response = balance(base, refreshed.access_token()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
}

async fn unregistered_redirect_uri_shows_an_error_page(base: &str) {
    let url = format!(
        "{base}/authorize?response_type=code&client_id=wallet-web&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let response = Browser::new(base).get(&url).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers().get("location").is_none(),
        "never redirect to an unregistered URI"
    );
    assert!(response.text().await.unwrap().contains("redirect_uri"));
}

async fn denied_consent_redirects_with_access_denied(base: &str) {
    let deny = User {
        approve: false,
        ..ALICE
    };
    let (back, state, _) = obtain_code(base, &["balance:read"], &deny).await;
    assert!(back.starts_with("https://wallet.example/callback?"));
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(param(&back, "iss").as_deref(), Some(base));
    assert!(param(&back, "code").is_none());
}

async fn code_replay_revokes_the_tokens_it_issued(base: &str) {
    let (back, _, verifier) = obtain_code(base, &["balance:read"], &ALICE).await;
    let code = param(&back, "code").unwrap();
    let verifier_again = PkceCodeVerifier::new(verifier.secret().clone());
    let client = wallet(base);
    let first = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("first redemption");
    assert!(active(base, first.access_token()).await);
    let second = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier_again)
        .request_async(&http())
        .await;
    assert!(is_invalid_grant(&second), "{second:?}");
    assert!(
        !active(base, first.access_token()).await,
        "replay revokes the first tokens"
    );
    assert_eq!(
        balance(base, first.access_token()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let refreshed = client
        .exchange_refresh_token(first.refresh_token().unwrap())
        .request_async(&http())
        .await;
    assert!(is_invalid_grant(&refreshed));
}

async fn refresh_replay_revokes_the_grant(base: &str) {
    let (back, _, verifier) = obtain_code(base, &["balance:read"], &ALICE).await;
    let client = wallet(base);
    let tokens = client
        .exchange_code(AuthorizationCode::new(param(&back, "code").unwrap()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let old = tokens.refresh_token().unwrap().clone();
    let rotated = client
        .exchange_refresh_token(&old)
        .request_async(&http())
        .await
        .unwrap();
    assert!(active(base, rotated.access_token()).await);
    let replay = client
        .exchange_refresh_token(&old)
        .request_async(&http())
        .await;
    assert!(is_invalid_grant(&replay), "{replay:?}");
    assert!(
        !active(base, rotated.access_token()).await,
        "replay revokes the whole grant"
    );
    let after = client
        .exchange_refresh_token(rotated.refresh_token().unwrap())
        .request_async(&http())
        .await;
    assert!(is_invalid_grant(&after));
}

async fn login_page_without_the_browser_binding_is_refused(base: &str) {
    let client = wallet(base);
    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
        .add_scope(Scope::new("balance:read".into()))
        .url();
    let victim = Browser::new(base);
    let attacker = Browser::new(base);
    let login = location(&attacker.get(url.as_str()).await);
    // The victim opens the attacker's login link without the attacker's cookie.
    let page = victim.get(&login).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
}

macro_rules! against_both_demos {
    ($($name:ident),* $(,)?) => {
        mod axum_demo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let server = crate::servers::start_axum().await;
                    super::$name(&server.base).await;
                }
            )*
        }
        mod actix_demo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let server = crate::servers::start_actix().await;
                    super::$name(&server.base).await;
                }
            )*
        }
    };
}

against_both_demos!(
    full_flow,
    unregistered_redirect_uri_shows_an_error_page,
    denied_consent_redirects_with_access_denied,
    code_replay_revokes_the_tokens_it_issued,
    refresh_replay_revokes_the_grant,
    login_page_without_the_browser_binding_is_refused,
);
