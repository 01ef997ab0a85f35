//! Unit tests for redirect URI validation and matching.

#![allow(clippy::unwrap_used)]

use super::*;

fn uri(s: &str) -> RedirectUri {
    RedirectUri::parse(s).unwrap()
}

fn registered(s: &str) -> RedirectUri {
    RedirectUri::register(s).unwrap()
}

#[test]
fn raw_string_is_kept_without_normalization() {
    for s in [
        "https://A.example/cb",
        "https://a.example:443/cb",
        "https://a.example/./x/../cb",
    ] {
        assert_eq!(uri(s).as_str(), s);
        assert_eq!(uri(s).to_string(), s);
    }
}

#[test]
fn exact_match_is_byte_for_byte_rfc9700_4_1_3() {
    let reg = registered("https://a.example/cb");
    assert!(reg.matches(&uri("https://a.example/cb")));
    for other in [
        "https://a.example/cb/",
        "https://A.example/cb",
        "https://a.example/cb?x=1",
        "https://a.example:443/cb",
        "https://a.example/CB",
        "https://a.example/%63b",
        "http://a.example/cb",
    ] {
        assert!(!reg.matches(&uri(other)), "{other} must not match");
    }
}

#[test]
fn loopback_redirect_accepts_any_port_rfc8252_7_3() {
    let reg = registered("http://127.0.0.1/cb?x=1");
    for ok in [
        "http://127.0.0.1:51004/cb?x=1",
        "http://127.0.0.1/cb?x=1",
        "http://127.0.0.1:1/cb?x=1",
    ] {
        assert!(reg.matches(&uri(ok)), "{ok} should match");
    }
    let reg = registered("http://[::1]:8080/cb");
    assert!(reg.matches(&uri("http://[::1]:9/cb")));
    assert!(reg.matches(&uri("http://[::1]/cb")));
    assert!(registered("http://127.0.0.1").matches(&uri("http://127.0.0.1:5000")));
    assert!(reg.is_loopback());
}

#[test]
fn loopback_path_query_scheme_and_host_must_still_match() {
    let reg = registered("http://127.0.0.1:8080/cb?x=1");
    for bad in [
        "http://127.0.0.1:8080/cb?x=2",
        "http://127.0.0.1:8080/cb",
        "http://127.0.0.1:8080/cb/?x=1",
        "http://127.0.0.1:9/other?x=1",
        "https://127.0.0.1:8080/cb?x=1",
        "http://[::1]:8080/cb?x=1",
        "http://127.0.0.2:8080/cb?x=1",
        "http://127.0.0.1:/cb?x=1",
        "http://127.0.0.1:80@evil.example/cb?x=1",
    ] {
        assert!(!reg.matches(&uri(bad)), "{bad} must not match");
    }
}

#[test]
fn loopback_lookalike_host_is_not_loopback() {
    let evil = uri("http://127.0.0.1.evil.example/");
    assert!(!evil.is_loopback());
    assert_eq!(
        RedirectUri::register("http://127.0.0.1.evil.example/"),
        Err(RedirectUriError::InsecureHttp)
    );
    let reg = registered("http://127.0.0.1/");
    assert!(!reg.matches(&evil));
    assert!(!reg.matches(&uri("http://127.0.0.1@evil.example/")));
}

#[test]
fn localhost_is_refused_at_registration_rfc8252_8_3() {
    assert_eq!(
        RedirectUri::register("http://localhost/"),
        Err(RedirectUriError::Localhost)
    );
    assert_eq!(
        RedirectUri::register("http://LOCALHOST:80/cb"),
        Err(RedirectUriError::Localhost)
    );
}

#[test]
fn plain_http_is_refused_at_registration_rfc9700_2_6() {
    assert_eq!(
        RedirectUri::register("http://example.com/"),
        Err(RedirectUriError::InsecureHttp)
    );
    assert_eq!(
        RedirectUri::register("http://127.1/"),
        Err(RedirectUriError::InsecureHttp)
    );
    assert_eq!(
        RedirectUri::register("http://0x7f.0.0.1/"),
        Err(RedirectUriError::InsecureHttp)
    );
}

#[test]
fn wildcards_are_refused_at_registration_rfc9700_2_1() {
    assert_eq!(
        RedirectUri::register("https://*.example/"),
        Err(RedirectUriError::Wildcard)
    );
    assert_eq!(
        RedirectUri::register("https://a.example/*"),
        Err(RedirectUriError::Wildcard)
    );
}

#[test]
fn fragments_are_refused_rfc6749_3_1_2() {
    assert_eq!(
        RedirectUri::parse("https://a.example/cb#x"),
        Err(RedirectUriError::Fragment)
    );
    assert_eq!(
        RedirectUri::parse("https://a.example/cb#"),
        Err(RedirectUriError::Fragment)
    );
    assert_eq!(
        RedirectUri::register("https://a.example/#"),
        Err(RedirectUriError::Fragment)
    );
}

#[test]
fn userinfo_is_refused_at_registration() {
    assert_eq!(
        RedirectUri::register("https://u:p@a.example/"),
        Err(RedirectUriError::UserInfo)
    );
    assert_eq!(
        RedirectUri::register("https://@a.example/"),
        Err(RedirectUriError::UserInfo)
    );
}

#[test]
fn private_use_scheme_needs_a_dot_rfc8252_7_1() {
    assert!(RedirectUri::register("com.example.app:/oauth2redirect").is_ok());
    assert_eq!(
        RedirectUri::register("myapp:/cb"),
        Err(RedirectUriError::UnsupportedScheme)
    );
    assert_eq!(
        RedirectUri::register("javascript:alert(1)"),
        Err(RedirectUriError::UnsupportedScheme)
    );
    assert_eq!(
        RedirectUri::register("HTTPS://a.example/"),
        Err(RedirectUriError::UnsupportedScheme)
    );
}

#[test]
fn https_registration_accepts_ordinary_uris() {
    assert!(RedirectUri::register("https://a.example/cb?x=1").is_ok());
    assert!(RedirectUri::register("https://a.example:8443/cb").is_ok());
    assert!(RedirectUri::register("https://[2001:db8::1]/cb").is_ok());
    assert_eq!(
        RedirectUri::register("https:a.example/cb"),
        Err(RedirectUriError::MissingHost)
    );
}

#[test]
fn relative_and_malformed_uris_are_refused() {
    assert_eq!(
        RedirectUri::parse("/cb"),
        Err(RedirectUriError::NotAbsolute)
    );
    assert_eq!(
        RedirectUri::parse("a.example/cb"),
        Err(RedirectUriError::NotAbsolute)
    );
    assert_eq!(
        RedirectUri::parse("1http://a/"),
        Err(RedirectUriError::NotAbsolute)
    );
    assert_eq!(
        RedirectUri::parse("https://a.example:99999/"),
        Err(RedirectUriError::NotAbsolute)
    );
    assert_eq!(RedirectUri::parse(""), Err(RedirectUriError::Empty));
}

#[test]
fn whitespace_control_and_non_uri_characters_are_refused() {
    for bad in [
        "https://a.example/c b",
        "https://a.example/\tcb",
        " https://a.example/cb",
        "https://a.example/cb\n",
        "https://a.example/caf\u{e9}",
        "https://a.example\\@evil.example/",
        "https://a.example/%zz",
        "https://a.example/%4",
    ] {
        assert_eq!(
            RedirectUri::parse(bad),
            Err(RedirectUriError::InvalidCharacter),
            "{bad:?}"
        );
    }
}

#[test]
fn redirect_uri_length_limit() {
    let base = "https://a.example/";
    let max = format!("{base}{}", "a".repeat(MAX_REDIRECT_URI_LEN - base.len()));
    assert!(RedirectUri::parse(&max).is_ok());
    let over = format!("{max}a");
    assert_eq!(RedirectUri::parse(&over), Err(RedirectUriError::TooLong));
}

#[test]
fn serde_round_trips_and_validates() {
    let u = uri("https://a.example/cb");
    let json = serde_json::to_string(&u).unwrap();
    assert_eq!(json, "\"https://a.example/cb\"");
    assert_eq!(serde_json::from_str::<RedirectUri>(&json).unwrap(), u);
    assert!(serde_json::from_str::<RedirectUri>("\"https://a/#f\"").is_err());
}
