//! Helpers shared by the backend tests: a seeded client and random names.

#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

pub mod postgres;

use latchkey_engine::pkce::fill_random;
use latchkey_engine::store::{Client, ClientSecretVerifier};
use latchkey_engine::types::{ClientId, GrantType, RedirectUri, Scope};

/// A random lower-case hex string of `bytes` bytes.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf).unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A confidential client with two redirect URIs, registered by the tests before the kit.
pub fn seeded_client() -> Client {
    Client {
        id: ClientId::new(&format!("seeded-{}", random_hex(6))).unwrap(),
        name: "Seeded client".to_owned(),
        secret: Some(ClientSecretVerifier::for_secret("s3cret-value")),
        redirect_uris: vec![
            RedirectUri::parse("https://app.example/cb").unwrap(),
            RedirectUri::parse("com.example.app:/cb").unwrap(),
        ],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scope: Scope::parse("openid profile").unwrap(),
    }
}

/// A public client: no secret, no scope.
pub fn public_client() -> Client {
    Client {
        id: ClientId::new(&format!("public-{}", random_hex(6))).unwrap(),
        name: "Public client".to_owned(),
        secret: None,
        redirect_uris: vec![RedirectUri::parse("http://127.0.0.1/cb").unwrap()],
        grant_types: vec![GrantType::AuthorizationCode],
        scope: Scope::empty(),
    }
}
