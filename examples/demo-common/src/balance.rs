//! The demo's protected resource: an account balance, served by `GET /api/balance` to a
//! bearer token carrying `balance:read`. The numbers are fixed per demo user, enough to
//! show that the token speaks for one particular person.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::{Response, StatusCode};
use latchkey_engine::{BearerGrant, HttpResponse};
use serde::Serialize;

/// The balances of `subject`: `(currency, amount)`, in currency order.
pub(crate) fn balances_of(subject: &str) -> Vec<(&'static str, &'static str)> {
    match subject {
        "alice" => vec![("BTC", "0.4200"), ("EUR", "1250.00")],
        "bob" => vec![("BTC", "0.0150"), ("EUR", "80.00")],
        _ => vec![("BTC", "0.0000"), ("EUR", "0.00")],
    }
}

#[derive(Serialize)]
struct Body<'a> {
    subject: &'a str,
    balances: BTreeMap<&'static str, &'static str>,
}

fn json(status: StatusCode, body: Vec<u8>) -> HttpResponse {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The `GET /api/balance` answer for a validated token:
/// `{"subject":"alice","balances":{"BTC":"0.4200","EUR":"1250.00"}}`. A token without a
/// resource owner (client credentials) gets `403`: a balance belongs to a person.
pub fn balance(grant: &BearerGrant) -> HttpResponse {
    let Some(subject) = &grant.subject else {
        return json(
            StatusCode::FORBIDDEN,
            br#"{"error":"a balance needs a user's token"}"#.to_vec(),
        );
    };
    let body = Body {
        subject: subject.as_str(),
        balances: balances_of(subject.as_str()).into_iter().collect(),
    };
    match serde_json::to_vec(&body) {
        Ok(bytes) => json(StatusCode::OK, bytes),
        Err(_) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"error":"internal"}"#.to_vec(),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use latchkey_engine::types::{ClientId, Scope};
    use latchkey_engine::{GrantId, Subject};
    use time::OffsetDateTime;

    fn grant(subject: Option<&str>) -> BearerGrant {
        BearerGrant {
            subject: subject.map(|s| Subject::new(s).unwrap()),
            client_id: ClientId::new("wallet-web").unwrap(),
            scope: Scope::parse("balance:read").unwrap(),
            acr: None,
            grant_id: GrantId::from_bytes([0; 16]),
            expires_at: OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn alice_sees_her_balances() {
        let response = balance(&grant(Some("alice")));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.body().as_ref(),
            br#"{"subject":"alice","balances":{"BTC":"0.4200","EUR":"1250.00"}}"#
        );
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn a_client_token_has_no_balance() {
        assert_eq!(balance(&grant(None)).status(), StatusCode::FORBIDDEN);
        assert_eq!(balances_of("bob")[1], ("EUR", "80.00"));
    }
}
