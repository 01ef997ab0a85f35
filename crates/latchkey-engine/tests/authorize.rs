//! The authorization endpoint: begin (RFC 6749 §4.1.1, §4.1.2.1, RFC 7636, RFC 9700) and
//! finish (RFC 6749 §4.1.2, RFC 9207).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, REFERRER_POLICY, X_FRAME_OPTIONS,
};
use http::StatusCode;
use latchkey_engine::acr;
use latchkey_engine::types::{ErrorCode, GrantType};
use latchkey_engine::{AuthorizationStart, Error, InteractionId};
use time::Duration;

// ---------------------------------------------------------------- begin: never redirect

#[tokio::test]
async fn unknown_client_gets_error_page_not_redirect_rfc6749_4_1_2_1() {
    let fx = fixture();
    let req = AuthRequest::new("nobody", WALLET_REDIRECT);
    let (error, page) = error_page_of(fx.begin(&req).await);
    assert_eq!(error.error, ErrorCode::InvalidRequest);
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unregistered_redirect_uri_gets_error_page_rfc6749_4_1_2_1() {
    let fx = fixture();
    let req = AuthRequest::wallet().redirect(Some("https://evil.example/cb"));
    let (error, _) = error_page_of(fx.begin(&req).await);
    assert_eq!(error.error, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn redirect_uri_compared_exactly_rfc9700_4_1_3() {
    let fx = fixture();
    for near_miss in [
        "https://wallet.example/cb/",
        "https://wallet.example:443/cb",
        "https://WALLET.example/cb",
        "https://wallet.example/cb?x=1",
        "https://wallet.example/CB",
        "https://wallet.example.evil.example/cb",
    ] {
        let req = AuthRequest::wallet().redirect(Some(near_miss));
        error_page_of(fx.begin(&req).await);
    }
    // Nothing was stored for any of them.
    assert!(fx.names().is_empty());
}

#[tokio::test]
async fn open_redirector_even_invalid_requests_never_redirect_to_unverified_uri_rfc9700_4_11() {
    // Every other parameter is broken too: the unverified redirect URI wins, error page.
    let fx = fixture();
    let mut req = AuthRequest::wallet().redirect(Some("https://evil.example/cb"));
    req.response_type = Some("token".into());
    req.code_challenge = None;
    let (_, page) = error_page_of(fx.begin(&req).await);
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn missing_client_id_gets_error_page_rfc6749_4_1_2_1() {
    let fx = fixture();
    let mut req = AuthRequest::wallet();
    req.client_id = None;
    let (error, _) = error_page_of(fx.begin(&req).await);
    assert_eq!(error.error, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn repeated_client_id_gets_error_page_rfc6749_3_1() {
    let fx = fixture();
    let mut req = AuthRequest::wallet();
    req.extra.push(("client_id".into(), OTHER.into()));
    let (error, _) = error_page_of(fx.begin(&req).await);
    assert_eq!(error.error, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn error_page_forbids_framing_and_caching_rfc9700_4_16() {
    let fx = fixture();
    let req = AuthRequest::new("nobody", WALLET_REDIRECT);
    let (_, page) = error_page_of(fx.begin(&req).await);
    let h = page.headers();
    assert_eq!(h[X_FRAME_OPTIONS], "DENY");
    assert!(h[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(h[CACHE_CONTROL], "no-store");
    assert_eq!(h[REFERRER_POLICY], "no-referrer");
}

#[tokio::test]
async fn error_page_escapes_html() {
    // The engine's page text is fixed, but the page must be well-formed HTML without
    // anything from the request in it.
    let fx = fixture();
    let mut req = AuthRequest::new("<script>alert(1)</script>", WALLET_REDIRECT);
    req.state = Some("<img src=x>".into());
    let (_, page) = error_page_of(fx.begin(&req).await);
    let text = body_text(&page);
    assert!(!text.contains("<script>"));
    assert!(!text.contains("<img"));
}

// ---------------------------------------------------------------- begin: redirect_uri omitted

#[tokio::test]
async fn redirect_uri_may_be_omitted_with_one_registered_rfc6749_3_1_2_3() {
    let fx = fixture();
    let req = AuthRequest::wallet().redirect(None);
    let pending = fx.pending(&req).await;
    assert_eq!(pending.record.redirect_uri.as_str(), WALLET_REDIRECT);
    assert!(!pending.record.redirect_uri_sent);
    let response = fx
        .finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    assert!(location(&response).starts_with("https://wallet.example/cb?"));
}

#[tokio::test]
async fn redirect_uri_required_with_two_registered_rfc6749_3_1_2_3() {
    let fx = fixture();
    fx.store.put_client(client(
        "multi",
        Some("multi-secret-aaaaaaaaaaaaaaaaaaaa"),
        &["https://multi.example/a", "https://multi.example/b"],
        "balance:read",
        &[GrantType::AuthorizationCode],
    ));
    let req = AuthRequest::new("multi", "https://multi.example/a").redirect(None);
    error_page_of(fx.begin(&req).await);
    // With one of them named it works.
    let req = AuthRequest::new("multi", "https://multi.example/b");
    let pending = fx.pending(&req).await;
    assert_eq!(
        pending.record.redirect_uri.as_str(),
        "https://multi.example/b"
    );
}

// ---------------------------------------------------------------- begin: redirected errors

#[tokio::test]
async fn missing_response_type_redirects_invalid_request_with_state_and_iss_rfc6749_4_1_2_1() {
    let fx = fixture();
    let mut req = AuthRequest::wallet();
    req.response_type = None;
    let response = redirect_of(fx.begin(&req).await);
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with(WALLET_REDIRECT));
    let p = location_params(&response);
    assert_eq!(p["error"], "invalid_request");
    assert_eq!(p["state"], STATE);
    assert_eq!(p["iss"], ISSUER);
    assert!(!p.contains_key("code"));
}

#[tokio::test]
async fn response_type_token_is_unsupported_no_implicit_grant_rfc9700_2_1_2() {
    let fx = fixture();
    let mut req = AuthRequest::wallet();
    req.response_type = Some("token".into());
    let response = redirect_of(fx.begin(&req).await);
    let p = location_params(&response);
    assert_eq!(p["error"], "unsupported_response_type");
    assert_eq!(p["state"], STATE);
    assert_eq!(p["iss"], ISSUER);
    assert!(!p.contains_key("access_token"));
    assert!(!location(&response).contains('#'));
}

#[tokio::test]
async fn scope_outside_client_registration_is_invalid_scope_rfc6749_3_3() {
    let fx = fixture();
    let req = AuthRequest::native().scope(Some("balance:read withdraw"));
    let response = redirect_of(fx.begin(&req).await);
    let p = location_params(&response);
    assert_eq!(p["error"], "invalid_scope");
    assert_eq!(p["state"], STATE);
    assert_eq!(p["iss"], ISSUER);
}

#[tokio::test]
async fn absent_scope_defaults_to_client_registration_rfc6749_3_3() {
    let fx = fixture();
    let req = AuthRequest::wallet().scope(None);
    let pending = fx.pending(&req).await;
    assert_eq!(pending.scope, scope(WALLET_SCOPE));
    let mut required = pending.required_acrs();
    required.dedup();
    assert_eq!(required, vec![acr::STRONG]);
}

#[tokio::test]
async fn client_without_code_grant_is_unauthorized_client_rfc6749_4_1_2_1() {
    let fx = fixture();
    fx.store.put_client(client(
        "m2m",
        Some("m2m-secret-aaaaaaaaaaaaaaaaaaaaaaa"),
        &["https://m2m.example/cb"],
        "balance:read",
        &[GrantType::ClientCredentials],
    ));
    let req = AuthRequest::new("m2m", "https://m2m.example/cb");
    let p = location_params(&redirect_of(fx.begin(&req).await));
    assert_eq!(p["error"], "unauthorized_client");
}

// ---------------------------------------------------------------- begin: PKCE

#[tokio::test]
async fn missing_code_challenge_is_invalid_request_rfc9700_2_1_1() {
    let fx = fixture();
    for req in [
        AuthRequest::wallet().without_pkce(),
        AuthRequest::native().without_pkce(),
    ] {
        let p = location_params(&redirect_of(fx.begin(&req).await));
        assert_eq!(p["error"], "invalid_request");
        assert_eq!(p["state"], STATE);
        assert_eq!(p["iss"], ISSUER);
    }
}

#[tokio::test]
async fn plain_pkce_refused_s256_only_rfc9700_2_1_1() {
    let fx = fixture();
    let mut req = AuthRequest::native();
    req.code_challenge = Some(req.verifier.clone());
    req.code_challenge_method = Some("plain".into());
    let p = location_params(&redirect_of(fx.begin(&req).await));
    assert_eq!(p["error"], "invalid_request");
}

#[tokio::test]
async fn absent_challenge_method_means_plain_and_is_refused_rfc7636_4_3() {
    let fx = fixture();
    let mut req = AuthRequest::native();
    req.code_challenge_method = None;
    let p = location_params(&redirect_of(fx.begin(&req).await));
    assert_eq!(p["error"], "invalid_request");
}

#[tokio::test]
async fn unknown_challenge_method_refused_rfc7636_4_4_1() {
    let fx = fixture();
    let mut req = AuthRequest::native();
    req.code_challenge_method = Some("S512".into());
    let p = location_params(&redirect_of(fx.begin(&req).await));
    assert_eq!(p["error"], "invalid_request");
}

#[tokio::test]
async fn danger_allow_plain_pkce_accepts_plain_rfc7636_4_2() {
    let fx = Fixture::builder().allow_plain_pkce().build();
    let mut req = AuthRequest::native();
    req.code_challenge = Some(req.verifier.clone());
    req.code_challenge_method = Some("plain".into());
    let code = fx.code(&req, "balance:read", acr::SINGLE_FACTOR).await;
    let response = fx
        .token(&Fixture::code_request(&req, &code, Auth::Public(NATIVE)))
        .await;
    Tokens::from_response(&response);
    // Metadata still advertises S256 only.
    assert_eq!(
        fx.engine.metadata().code_challenge_methods_supported,
        vec!["S256".to_owned()]
    );
}

#[tokio::test]
async fn public_clients_only_policy_lets_confidential_client_skip_pkce_rfc9700_2_1_1() {
    let fx = Fixture::builder()
        .policy(|p| p.pkce(latchkey_engine::PkceRequirement::PublicClientsOnly))
        .build();
    let pending = fx.pending(&AuthRequest::wallet().without_pkce()).await;
    assert!(pending.record.code_challenge.is_none());
    // The public client still must.
    let p = location_params(&redirect_of(
        fx.begin(&AuthRequest::native().without_pkce()).await,
    ));
    assert_eq!(p["error"], "invalid_request");
}

// ---------------------------------------------------------------- begin: loopback and query

#[tokio::test]
async fn loopback_redirect_any_port_for_native_client_rfc8252_7_3() {
    let fx = fixture();
    for port in ["51234", "8080", "1"] {
        let uri = format!("http://127.0.0.1:{port}/cb");
        let req = AuthRequest::native().redirect(Some(&uri));
        let pending = fx.pending(&req).await;
        let response = fx
            .finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
            .await;
        assert!(location(&response).starts_with(&format!("{uri}?")));
    }
    // Path must still match exactly.
    let req = AuthRequest::native().redirect(Some("http://127.0.0.1:8080/other"));
    error_page_of(fx.begin(&req).await);
}

#[tokio::test]
async fn http_redirect_only_on_loopback_rfc9700_2_6() {
    use latchkey_engine::types::RedirectUri;
    assert!(RedirectUri::register("http://wallet.example/cb").is_err());
    assert!(RedirectUri::register("http://localhost/cb").is_err());
    assert!(RedirectUri::register("https://wallet.example/*").is_err());
    assert!(RedirectUri::register("http://127.0.0.1/cb").is_ok());
    // The loopback port exception applies only to http loopback, not to https hosts.
    let fx = fixture();
    let req = AuthRequest::wallet().redirect(Some("https://wallet.example:8443/cb"));
    error_page_of(fx.begin(&req).await);
}

#[tokio::test]
async fn redirect_keeps_registered_query_component_rfc6749_3_1_2() {
    let fx = fixture();
    fx.store.put_client(client(
        "tenant",
        Some("tenant-secret-aaaaaaaaaaaaaaaaaaaa"),
        &["https://tenant.example/cb?tenant=7"],
        "balance:read",
        &[GrantType::AuthorizationCode],
    ));
    let req = AuthRequest::new("tenant", "https://tenant.example/cb?tenant=7");
    let pending = fx.pending(&req).await;
    let response = fx
        .finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    let loc = location(&response);
    assert!(
        loc.starts_with("https://tenant.example/cb?tenant=7&"),
        "{loc}"
    );
    let p = location_params(&response);
    assert_eq!(p["tenant"], "7");
    assert!(p.contains_key("code"));
    // Error redirects keep it too.
    let mut bad = req.clone();
    bad.response_type = Some("token".into());
    let loc = location(&redirect_of(fx.begin(&bad).await));
    assert!(
        loc.starts_with("https://tenant.example/cb?tenant=7&"),
        "{loc}"
    );
}

// ---------------------------------------------------------------- finish

#[tokio::test]
async fn approve_redirects_303_with_code_state_iss_rfc9207_2() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet()).await;
    let response = fx
        .finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[REFERRER_POLICY], "no-referrer");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let p = location_params(&response);
    assert!(p["code"].len() >= 43, "code has at least 256 bits");
    assert_eq!(p["state"], STATE);
    assert_eq!(p["iss"], ISSUER);
    assert!(location(&response).starts_with("https://wallet.example/cb?"));
}

#[tokio::test]
async fn state_returned_byte_identical_rfc6749_4_1_2() {
    let fx = fixture();
    for state in ["a b+c/=", "%41&x=y;#!~", "\"quoted\" 'single' <>", "é"] {
        let req = AuthRequest::wallet().state(Some(state));
        if state == "é" {
            // Not VSCHAR: refused, and since state is invalid it is not echoed back.
            let p = location_params(&redirect_of(fx.begin(&req).await));
            assert_eq!(p["error"], "invalid_request");
            assert!(!p.contains_key("state"));
            continue;
        }
        let pending = fx.pending(&req).await;
        let response = fx
            .finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
            .await;
        assert_eq!(location_params(&response)["state"], state);
    }
}

#[tokio::test]
async fn no_state_sent_no_state_returned_rfc6749_4_1_2() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet().state(None)).await;
    let response = fx
        .finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    let p = location_params(&response);
    assert!(!p.contains_key("state"));
    assert_eq!(p["iss"], ISSUER);
}

#[tokio::test]
async fn deny_redirects_access_denied_with_state_and_iss_rfc6749_4_1_2_1() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet()).await;
    let response = fx
        .finish(&pending.id, latchkey_engine::Decision::Deny)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let p = location_params(&response);
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], STATE);
    assert_eq!(p["iss"], ISSUER);
    assert!(!p.contains_key("code"));
    assert_eq!(fx.names(), vec!["authorization_denied"]);
    // Decided: cannot be approved afterwards.
    let again = fx
        .engine
        .finish_authorization(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    assert!(matches!(again, Err(Error::UnknownInteraction)));
}

#[tokio::test]
async fn withdraw_with_single_factor_is_refused_and_stays_pending_then_step_up_works() {
    let fx = fixture();
    let req = AuthRequest::wallet().scope(Some("balance:read withdraw"));
    let pending = fx.pending(&req).await;
    let refused = fx
        .engine
        .finish_authorization(
            &pending.id,
            approve("balance:read withdraw", acr::SINGLE_FACTOR),
        )
        .await;
    match refused {
        Err(Error::InsufficientAuthentication { required }) => assert_eq!(required, acr::STRONG),
        other => panic!("expected InsufficientAuthentication, got {other:?}"),
    }
    assert!(fx
        .engine
        .pending_interaction(&pending.id)
        .await
        .unwrap()
        .is_some());
    assert!(fx.names().is_empty(), "no code issued");
    let response = fx
        .finish(&pending.id, approve("balance:read withdraw", acr::STRONG))
        .await;
    let code = location_params(&response)["code"].clone();
    let tokens = Tokens::from_response(
        &fx.token(&Fixture::code_request(&req, &code, WALLET_BASIC))
            .await,
    );
    assert_eq!(tokens.scope, "balance:read withdraw");
    let grant = fx.bearer(&tokens.access, "withdraw").await.unwrap();
    assert_eq!(grant.acr.as_deref(), Some(acr::STRONG));
}

#[tokio::test]
async fn single_factor_may_approve_the_scopes_that_need_nothing() {
    let fx = fixture();
    let req = AuthRequest::wallet().scope(Some("balance:read withdraw"));
    let pending = fx.pending(&req).await;
    // Granting only the subset that 1fa is enough for is fine.
    let response = fx
        .finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    assert!(location_params(&response).contains_key("code"));
}

#[tokio::test]
async fn granted_scope_must_be_subset_of_requested() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet()).await;
    let wider = fx
        .engine
        .finish_authorization(&pending.id, approve("balance:read trade", acr::STRONG))
        .await;
    assert!(matches!(wider, Err(Error::InvalidDecision(_))));
    // Still pending after a refused decision.
    assert!(fx
        .engine
        .pending_interaction(&pending.id)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn double_finish_second_is_unknown_interaction() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet()).await;
    fx.finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    let second = fx
        .engine
        .finish_authorization(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    assert!(matches!(second, Err(Error::UnknownInteraction)));
    assert_eq!(fx.count("code_issued"), 1);
}

#[tokio::test]
async fn interaction_expires_with_the_clock() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet()).await;
    fx.clock.advance(Duration::minutes(10));
    assert!(fx
        .engine
        .pending_interaction(&pending.id)
        .await
        .unwrap()
        .is_none());
    let late = fx
        .engine
        .finish_authorization(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    assert!(matches!(late, Err(Error::UnknownInteraction)));
    let late_deny = fx
        .engine
        .finish_authorization(&pending.id, latchkey_engine::Decision::Deny)
        .await;
    assert!(matches!(late_deny, Err(Error::UnknownInteraction)));
}

#[tokio::test]
async fn interaction_still_usable_just_before_expiry() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet()).await;
    fx.clock
        .advance(Duration::minutes(10) - Duration::seconds(1));
    fx.finish(&pending.id, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
}

#[tokio::test]
async fn unknown_interaction_id_is_refused() {
    let fx = fixture();
    let forged = InteractionId::new("not-a-real-interaction-handle-at-all-0000000");
    assert!(fx
        .engine
        .pending_interaction(&forged)
        .await
        .unwrap()
        .is_none());
    let r = fx
        .engine
        .finish_authorization(&forged, approve("balance:read", acr::SINGLE_FACTOR))
        .await;
    assert!(matches!(r, Err(Error::UnknownInteraction)));
}

#[tokio::test]
async fn interaction_id_debug_is_redacted() {
    let fx = fixture();
    let pending = fx.pending(&AuthRequest::wallet()).await;
    let debug = format!("{pending:?}");
    assert!(!debug.contains(pending.id.as_str()));
}

#[tokio::test]
async fn authorize_hands_valid_request_to_login_with_303() {
    let fx = fixture();
    let handler = latchkey_engine::RedirectToLogin {
        login_url: "https://auth.bank.example/login".into(),
    };
    let response = fx
        .engine
        .authorize(&AuthRequest::wallet().query(), &handler)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let loc = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(loc.starts_with("https://auth.bank.example/login?interaction="));
    // An unknown client gets the page, not the login redirect.
    let page = fx
        .engine
        .authorize(
            &AuthRequest::new("nobody", WALLET_REDIRECT).query(),
            &handler,
        )
        .await;
    assert!(page.headers().get(LOCATION).is_none());
    assert!(matches!(
        fx.begin(&AuthRequest::wallet()).await,
        AuthorizationStart::Interaction(_)
    ));
}
