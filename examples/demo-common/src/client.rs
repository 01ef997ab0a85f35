//! The built-in client a newcomer meets first at `GET /`: a public browser client,
//! `demo-client`, that runs a real authorization code flow with PKCE and `state` against
//! this very server, keeps its verifier and state in a signed cookie, checks `state` and
//! `iss` on the callback, exchanges the code at the token endpoint (in process, through
//! the same [`Engine::token`](latchkey_engine::Engine::token) the adapters mount) and
//! validates the token it obtained exactly as `GET /api/balance` does before showing the
//! balance.

use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, Request, StatusCode};
use latchkey_engine::pkce::{CodeChallenge, CodeVerifier, State};
use latchkey_engine::types::{FormParams, Scope};
use latchkey_engine::{escape_html, HttpRequest, HttpResponse, AUTHORIZE_PATH, TOKEN_PATH};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::app::{Demo, DEMO_CLIENT_ID};
use crate::balance::balances_of;
use crate::cookies;
use crate::pages;

/// How long a started authorization stays valid for the built-in client.
const CLIENT_COOKIE_TTL_SECS: i64 = 600;

/// The built-in client's in-flight request (the `lk_client` cookie).
#[derive(Serialize, Deserialize)]
struct InFlight {
    /// The PKCE code verifier.
    v: String,
    /// The state sent.
    s: String,
    /// Unix time the request was started.
    t: i64,
}

fn bad(title: &str, text: &str) -> HttpResponse {
    pages::message(StatusCode::BAD_REQUEST, title, text)
}

impl Demo {
    fn callback_uri(&self) -> String {
        format!("{}/callback", self.issuer())
    }

    pub(crate) fn home(&self) -> HttpResponse {
        let body = format!(
            "<h1>latchkey demo exchange</h1>\
             <p>This server is an OAuth 2.0 authorization server for a small crypto exchange, \
             built with the latchkey library. It also hosts a tiny client app so you can watch \
             a complete authorization code flow with PKCE.</p>\
             <p><a href=\"/client/start\">Connect your exchange account</a> (read your balance)</p>\
             <p><a href=\"/client/start?access=trade\">Connect with trading</a> \
             (read your balance and trade: asks for strong authentication)</p>\
             {hint}<p class=\"note\">Issuer: <code>{issuer}</code>; metadata at \
             <code>/.well-known/oauth-authorization-server</code>.</p>",
            hint = if self.hints {
                "<p class=\"note\">Sign in as <code>alice</code> / <code>alice-password</code>. \
                 Scopes <code>trade</code> and <code>withdraw</code> need strong authentication \
                 (code <code>123456</code>).</p>"
            } else {
                ""
            },
            issuer = escape_html(self.issuer()),
        );
        pages::page(StatusCode::OK, "latchkey demo", &body)
    }

    /// Starts the built-in client's flow. `?access=trade` asks for `balance:read trade`
    /// (which needs strong customer authentication); anything else for `balance:read`.
    pub(crate) fn client_start(&self, request: &HttpRequest) -> HttpResponse {
        let trade = FormParams::parse(request.uri().query().unwrap_or("").as_bytes())
            .is_ok_and(|q| q.get("access") == Some("trade"));
        let scope = if trade {
            "balance:read trade"
        } else {
            "balance:read"
        };
        let (Ok(verifier), Ok(state)) = (CodeVerifier::generate(), State::generate()) else {
            return self.failure(&latchkey_engine::Error::Randomness);
        };
        let in_flight = InFlight {
            v: verifier.secret().to_owned(),
            s: state.as_str().to_owned(),
            t: OffsetDateTime::now_utc().unix_timestamp(),
        };
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", DEMO_CLIENT_ID)
            .append_pair("redirect_uri", &self.callback_uri())
            .append_pair("scope", scope)
            .append_pair("state", state.as_str())
            .append_pair("code_challenge", CodeChallenge::s256(&verifier).as_str())
            .append_pair("code_challenge_method", "S256")
            .finish();
        let mut response = pages::see_other_to(format!("{AUTHORIZE_PATH}?{query}"));
        let cookie = self
            .signer
            .sign(&in_flight)
            .and_then(|v| self.signer.set(cookies::CLIENT, &v));
        cookies::append(response.headers_mut(), [cookie]);
        response
    }

    pub(crate) async fn callback(&self, request: &HttpRequest) -> HttpResponse {
        let Ok(params) = FormParams::parse(request.uri().query().unwrap_or("").as_bytes()) else {
            return bad("Bad callback", "The callback parameters could not be read.");
        };
        let in_flight = cookies::get(request.headers(), cookies::CLIENT)
            .and_then(|v| self.signer.verify::<InFlight>(v))
            .filter(|f| OffsetDateTime::now_utc().unix_timestamp() - f.t <= CLIENT_COOKIE_TTL_SECS);
        let Some(in_flight) = in_flight else {
            return bad("No sign-in in progress", "This browser did not start a sign-in, or it expired. Start again from the home page.");
        };
        let state_ok = State::parse(&in_flight.s)
            .is_ok_and(|s| params.get("state").is_some_and(|p| s.ct_eq(p)));
        if !state_ok {
            return bad(
                "State mismatch",
                "The callback does not belong to the sign-in this browser started.",
            );
        }
        if params.get("iss") != Some(self.issuer()) {
            return bad(
                "Issuer mismatch",
                "The response did not come from this authorization server.",
            );
        }
        let mut response = match (params.get("error"), params.get("code")) {
            (Some(error), _) => {
                let description = params.get("error_description").unwrap_or("");
                pages::message(
                    StatusCode::OK,
                    "Not connected",
                    &format!("The authorization server answered {error}: {description}"),
                )
            }
            (None, Some(code)) => self.redeem(code, &in_flight.v).await,
            (None, None) => bad(
                "Bad callback",
                "The callback carries neither a code nor an error.",
            ),
        };
        cookies::append(response.headers_mut(), [self.signer.clear(cookies::CLIENT)]);
        response
    }

    /// Exchanges `code` for a token, validates the token and shows the balance it grants.
    async fn redeem(&self, code: &str, verifier: &str) -> HttpResponse {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &self.callback_uri())
            .append_pair("code_verifier", verifier)
            .append_pair("client_id", DEMO_CLIENT_ID)
            .finish();
        let token_request = Request::builder()
            .method(Method::POST)
            .uri(TOKEN_PATH)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(bytes::Bytes::from(body));
        let Ok(token_request) = token_request else {
            return self.failure(&latchkey_engine::Error::InvalidRequest("token request"));
        };
        let token_response = self.engine.token(&token_request).await;
        let parsed: Option<serde_json::Value> = serde_json::from_slice(token_response.body()).ok();
        let access_token = parsed
            .as_ref()
            .and_then(|v| v.get("access_token"))
            .and_then(|v| v.as_str());
        let Some(access_token) = access_token.filter(|_| token_response.status().is_success())
        else {
            let error = parsed
                .as_ref()
                .and_then(|v| v.get("error"))
                .and_then(|v| v.as_str())
                .unwrap_or("no access token");
            return pages::message(
                StatusCode::BAD_GATEWAY,
                "Token exchange failed",
                &format!("The token endpoint answered: {error}"),
            );
        };
        let mut headers = HeaderMap::new();
        let Ok(value) = HeaderValue::from_str(&format!("Bearer {access_token}")) else {
            return pages::message(
                StatusCode::BAD_GATEWAY,
                "Token exchange failed",
                "The access token is malformed.",
            );
        };
        headers.insert(AUTHORIZATION, value);
        let required = Scope::parse("balance:read").unwrap_or_else(|_| Scope::empty());
        let grant = match self.engine.authenticate_bearer(&headers, &required).await {
            Ok(grant) => grant,
            Err(error) => {
                return pages::message(
                    StatusCode::BAD_GATEWAY,
                    "Balance unavailable",
                    &format!("The balance API refused the token ({:?}).", error.status()),
                );
            }
        };
        let subject = grant.subject.as_ref().map_or("", |s| s.as_str());
        let rows: String = balances_of(subject)
            .into_iter()
            .map(|(currency, amount)| format!("<tr><th>{currency}</th><td>{amount}</td></tr>"))
            .collect();
        let body = format!(
            "<h1>Balance of {user}</h1><table id=\"balance\">{rows}</table>\
             <p>This client exchanged the authorization code (with its PKCE verifier) for an \
             access token at <code>{TOKEN_PATH}</code>, then used that token to read this \
             balance: the token was validated in process, exactly as \
             <code>GET /api/balance</code> validates it. Granted scope: \
             <code>{scope}</code>.</p><p><a href=\"/\">Back to the start</a></p>",
            user = escape_html(subject),
            scope = escape_html(&grant.scope.as_string()),
        );
        pages::page(StatusCode::OK, "Connected", &body)
    }
}
