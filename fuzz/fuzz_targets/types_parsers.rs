//! Feeds arbitrary bytes to every latchkey-types parser and checks that
//! whatever a parser accepts is self-consistent.
#![no_main]

use latchkey_types::{
    AuthorizationRequest, ClientId, ErrorDescription, FormParams, IntrospectionRequest,
    RedirectUri, RevocationRequest, Scope, TokenRequest,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Byte-level parsers (form bodies).
    if let Ok(form) = FormParams::parse(data) {
        for (name, value) in form.iter() {
            assert!(!value.is_empty());
            assert_eq!(form.get(name), Some(value));
        }
    }
    let _ = TokenRequest::parse(data);
    let _ = RevocationRequest::parse(data);
    let _ = IntrospectionRequest::parse(data);

    // String-level parsers.
    let input = String::from_utf8_lossy(data);
    let s: &str = &input;

    match AuthorizationRequest::parse(s) {
        Ok(request) => assert!(!request.client_id.as_str().is_empty()),
        Err(e) => {
            let _ = e.error_response();
            let _ = e.to_string();
        }
    }

    if let Ok(scope) = Scope::parse(s) {
        let text = scope.to_string();
        assert_eq!(Scope::parse(&text).ok(), Some(scope));
    }

    let description = ErrorDescription::lossy(s);
    assert!(ErrorDescription::new(description.as_str()).is_ok());

    if let Ok(id) = ClientId::new(s) {
        assert_eq!(id.as_str(), s);
    }

    // Redirect URIs: split the input in two to compare a pair.
    let (a, b) = s.split_once('\n').unwrap_or((s, s));
    if let Ok(registered) = RedirectUri::register(a) {
        assert_eq!(registered.as_str(), a);
        assert!(registered.matches(&registered));
    }
    if let (Ok(x), Ok(y)) = (RedirectUri::parse(a), RedirectUri::parse(b)) {
        assert!(x.matches(&x));
        if x.as_str() == y.as_str() {
            assert!(x.matches(&y));
        }
        let _ = y.matches(&x);
    }
});
