//! A code exchange that fails its checks (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700
//! §2.1.1) after the store has redeemed the code — and so already stored the grant with
//! its first tokens — answers `invalid_grant`, burns the code, and leaves no live grant
//! behind: the engine revokes what the redemption stored. The observable is incident
//! response, which counts exactly the live grants it revokes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::Bytes;
use common::*;
use http::{Request, StatusCode};
use latchkey_engine::acr;
use latchkey_engine::pkce::CodeVerifier;
use latchkey_engine::{PkceRequirement, Subject};

const TOKEN_URI: &str = "https://auth.bank.example/token";

/// Builds the failing token request for the code `code` of the authorization request.
type Failing = fn(&AuthRequest, &str) -> Request<Bytes>;

/// Runs the wallet's authorization request `req`, then presents its code with `failing`
/// (expecting `invalid_grant`), twice on fresh fixtures from `make`:
/// - once checking that no grant of it is live — revoking alice, the wallet and
///   `presenter` finds nothing, though it finds a successful exchange made afterwards;
/// - once checking that the code is burnt: the right request then fails too.
///
/// (Apart, since each check would hide a failure of the other: a retry revokes the grant
/// as a replay, and a bulk revocation deletes a code that was not consumed.)
async fn fails_and_leaves_nothing(
    make: fn() -> Fixture,
    req: &AuthRequest,
    failing: Failing,
    presenter: &str,
) {
    let fx = make();
    let code = fx.code(req, "balance:read", acr::SINGLE_FACTOR).await;
    let response = fx.token(&failing(req, &code)).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(fx.count("code_redeemed"), 0);
    assert_eq!(fx.count("token_issued"), 0);
    let alice = Subject::new(ALICE).unwrap();
    assert_eq!(fx.engine.revoke_subject(&alice).await.unwrap(), 0);
    assert_eq!(fx.engine.revoke_client(&cid(WALLET)).await.unwrap(), 0);
    assert_eq!(fx.engine.revoke_client(&cid(presenter)).await.unwrap(), 0);
    // Control: the same observable counts a grant that is live.
    let tokens = fx.wallet_tokens().await;
    assert!(fx.is_active(&tokens.access).await);
    assert_eq!(fx.engine.revoke_client(&cid(WALLET)).await.unwrap(), 1);
    assert!(!fx.is_active(&tokens.access).await);

    // RFC 6749 §4.1.2: the code is single-use, whatever happened to its first use.
    let fx = make();
    let code = fx.code(req, "balance:read", acr::SINGLE_FACTOR).await;
    let response = fx.token(&failing(req, &code)).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "invalid_grant");
    let retry = fx.token(&right_request(req, &code)).await;
    assert_error(&retry, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(fx.count("token_issued"), 0);
    // Control: the right request redeems a fresh code.
    let code = fx.code(req, "balance:read", acr::SINGLE_FACTOR).await;
    Tokens::from_response(&fx.token(&right_request(req, &code)).await);
}

/// The token request that redeems `code` as the wallet's authorization request `req`
/// should be redeemed: with its verifier only if it sent a challenge.
fn right_request(req: &AuthRequest, code: &str) -> Request<Bytes> {
    if req.code_challenge.is_some() {
        return Fixture::code_request(req, code, WALLET_BASIC);
    }
    let mut params = vec![("grant_type", "authorization_code"), ("code", code)];
    if let Some(redirect) = &req.redirect_uri {
        params.push(("redirect_uri", redirect.as_str()));
    }
    form_post(TOKEN_URI, &params, WALLET_BASIC)
}

#[tokio::test]
async fn wrong_pkce_verifier_leaves_no_live_grant_rfc7636_4_6() {
    fn failing(req: &AuthRequest, code: &str) -> Request<Bytes> {
        let mut wrong = req.clone();
        wrong.verifier = CodeVerifier::generate().unwrap().secret().to_owned();
        Fixture::code_request(&wrong, code, WALLET_BASIC)
    }
    fails_and_leaves_nothing(fixture, &AuthRequest::wallet(), failing, WALLET).await;
}

#[tokio::test]
async fn missing_pkce_verifier_leaves_no_live_grant_rfc7636_4_6() {
    fn failing(_: &AuthRequest, code: &str) -> Request<Bytes> {
        form_post(
            TOKEN_URI,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", WALLET_REDIRECT),
            ],
            WALLET_BASIC,
        )
    }
    fails_and_leaves_nothing(fixture, &AuthRequest::wallet(), failing, WALLET).await;
}

#[tokio::test]
async fn verifier_without_challenge_leaves_no_live_grant_rfc9700_2_1_1() {
    fn make() -> Fixture {
        Fixture::builder()
            .policy(|p| p.pkce(PkceRequirement::PublicClientsOnly))
            .build()
    }
    // `req.verifier` is still set, so this token request carries a code_verifier: a
    // downgrade. (The right request carries none.)
    fn failing(req: &AuthRequest, code: &str) -> Request<Bytes> {
        Fixture::code_request(req, code, WALLET_BASIC)
    }
    let req = AuthRequest::wallet().without_pkce();
    fails_and_leaves_nothing(make, &req, failing, WALLET).await;
}

#[tokio::test]
async fn wrong_redirect_uri_leaves_no_live_grant_rfc6749_4_1_3() {
    fn failing(req: &AuthRequest, code: &str) -> Request<Bytes> {
        let wrong = req.clone().redirect(Some("https://wallet.example/cb2"));
        Fixture::code_request(&wrong, code, WALLET_BASIC)
    }
    fails_and_leaves_nothing(fixture, &AuthRequest::wallet(), failing, WALLET).await;
}

#[tokio::test]
async fn omitted_redirect_uri_leaves_no_live_grant_rfc6749_4_1_3() {
    fn failing(req: &AuthRequest, code: &str) -> Request<Bytes> {
        Fixture::code_request(&req.clone().redirect(None), code, WALLET_BASIC)
    }
    fails_and_leaves_nothing(fixture, &AuthRequest::wallet(), failing, WALLET).await;
}

#[tokio::test]
async fn code_of_another_confidential_client_leaves_no_live_grant_rfc6749_4_1_3() {
    fn failing(req: &AuthRequest, code: &str) -> Request<Bytes> {
        Fixture::code_request(req, code, OTHER_BASIC)
    }
    fails_and_leaves_nothing(fixture, &AuthRequest::wallet(), failing, OTHER).await;
}

#[tokio::test]
async fn code_of_a_confidential_client_presented_by_a_public_one_leaves_no_live_grant_rfc6749_4_1_3(
) {
    fn failing(req: &AuthRequest, code: &str) -> Request<Bytes> {
        Fixture::code_request(req, code, Auth::Public(NATIVE))
    }
    fails_and_leaves_nothing(fixture, &AuthRequest::wallet(), failing, NATIVE).await;
}

/// A refused redemption must not leave the legitimate client's next code broken or its
/// other grants touched.
#[tokio::test]
async fn a_refused_redemption_revokes_only_its_own_grant_rfc6749_4_1_3() {
    let fx = fixture();
    let before = fx.wallet_tokens().await;
    let req = AuthRequest::wallet();
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let stolen = fx
        .token(&Fixture::code_request(&req, &code, OTHER_BASIC))
        .await;
    assert_error(&stolen, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(fx.is_active(&before.access).await);
    assert!(fx.is_active(before.refresh()).await);
    let after = fx.wallet_tokens().await;
    assert!(fx.is_active(&after.access).await);
    // The two successful exchanges, and nothing from the refused one.
    assert_eq!(fx.engine.revoke_client(&cid(WALLET)).await.unwrap(), 2);
}
