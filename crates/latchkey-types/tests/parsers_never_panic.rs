//! Property tests: no parser panics on arbitrary input, and the text forms
//! that must round-trip do.

#![allow(clippy::unwrap_used)]

use latchkey_types::{
    AuthorizationRequest, ErrorDescription, FormParams, IntrospectionRequest, RedirectUri,
    RevocationRequest, Scope, TokenRequest,
};
use proptest::prelude::*;

/// Strings biased towards the characters that matter to these parsers.
fn protocol_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("&".to_owned()),
            Just("=".to_owned()),
            Just("%".to_owned()),
            Just("+".to_owned()),
            Just(" ".to_owned()),
            Just("client_id=c".to_owned()),
            Just("response_type=code".to_owned()),
            Just("grant_type=authorization_code".to_owned()),
            Just("redirect_uri=http%3A%2F%2F127.0.0.1%3A80%2F".to_owned()),
            Just("http://[::1]".to_owned()),
            Just("token=".to_owned()),
            "[ -~]{0,8}",
            any::<char>().prop_map(String::from),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), protocol_text()]
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn form_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = FormParams::parse(&bytes);
    }

    #[test]
    fn body_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = TokenRequest::parse(&bytes);
        let _ = RevocationRequest::parse(&bytes);
        let _ = IntrospectionRequest::parse(&bytes);
    }

    #[test]
    fn structured_bodies_never_panic(text in protocol_text()) {
        let _ = FormParams::parse(text.as_bytes());
        let _ = TokenRequest::parse(text.as_bytes());
        let _ = RevocationRequest::parse(text.as_bytes());
        let _ = IntrospectionRequest::parse(text.as_bytes());
        let _ = AuthorizationRequest::parse(&text);
    }

    #[test]
    fn authorization_request_never_panics(query in any_text()) {
        if let Err(e) = AuthorizationRequest::parse(&query) {
            let _ = e.error_response();
            let _ = e.to_string();
        }
    }

    #[test]
    fn scope_parse_never_panics(s in any_text()) {
        let _ = Scope::parse(&s);
        let _ = Scope::from_tokens(s.split(','));
    }

    #[test]
    fn scope_round_trips(tokens in prop::collection::vec("[!#-\\[\\]-~]{1,12}", 1..10)) {
        let scope = Scope::parse(&tokens.join(" ")).unwrap();
        let again = Scope::parse(&scope.to_string()).unwrap();
        prop_assert_eq!(&again, &scope);
        prop_assert_eq!(again.to_string(), scope.to_string());
    }

    #[test]
    fn redirect_uri_functions_never_panic(a in any_text(), b in any_text()) {
        let _ = RedirectUri::register(&a);
        if let (Ok(x), Ok(y)) = (RedirectUri::parse(&a), RedirectUri::parse(&b)) {
            let _ = x.matches(&y);
            let _ = y.matches(&x);
            prop_assert!(x.matches(&x));
        }
    }

    #[test]
    fn loopback_matching_ignores_only_the_port(
        port in proptest::option::of(1u32..=65535),
        path in "(/[a-z0-9]{0,6}){0,3}(\\?[a-z=&]{0,8})?",
    ) {
        let registered = RedirectUri::register(&format!("http://127.0.0.1:8080{path}")).unwrap();
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let requested = RedirectUri::parse(&format!("http://127.0.0.1{port}{path}")).unwrap();
        prop_assert!(registered.matches(&requested));
        let other = RedirectUri::parse(&format!("http://127.0.0.1{port}{path}/x")).unwrap();
        prop_assert!(!registered.matches(&other));
    }

    #[test]
    fn lossy_description_is_always_valid(s in any_text()) {
        let d = ErrorDescription::lossy(&s);
        prop_assert!(ErrorDescription::new(d.as_str()).is_ok());
    }
}
