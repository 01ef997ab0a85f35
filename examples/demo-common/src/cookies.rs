//! The small amount of state the demo pages keep in the browser, and how it is protected.
//! Values are signed, not encrypted: JSON, base64url, a `.` and an HMAC-SHA256 tag keyed
//! with the session secret, so any node holding the secret can verify them and a changed
//! byte is rejected. The CSRF token of a form is derived from its interaction id, so it
//! needs no server state either. Cookies are `HttpOnly; SameSite=Lax; Path=/`, plus
//! `Secure` when the issuer is `https`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::header::{HeaderValue, COOKIE, SET_COOKIE};
use http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The cookie binding a browser to its pending interaction.
pub(crate) const INTERACTION: &str = "lk_interaction";
/// The cookie recording who signed in for which interaction.
pub(crate) const AUTH: &str = "lk_auth";
/// The built-in client's PKCE verifier and state.
pub(crate) const CLIENT: &str = "lk_client";

type HmacSha256 = Hmac<Sha256>;

/// Signs and verifies cookie values with one key.
#[derive(Clone)]
pub(crate) struct Signer {
    /// The HMAC state after absorbing the key, built once and cloned per use (keying
    /// HMAC-SHA256 costs two compressions; this is on every page and callback).
    keyed: Option<HmacSha256>,
    secure: bool,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

impl Signer {
    /// A signer keyed with `key`; `secure` adds the `Secure` attribute to cookies.
    pub(crate) fn new(key: Vec<u8>, secure: bool) -> Self {
        // HMAC accepts keys of any length, so this cannot fail; without a key every tag
        // is empty and never verifies.
        let keyed = HmacSha256::new_from_slice(&key).ok();
        Self { keyed, secure }
    }

    fn tag(&self, payload: &str) -> Vec<u8> {
        self.keyed.clone().map_or_else(Vec::new, |mut mac| {
            mac.update(payload.as_bytes());
            mac.finalize().into_bytes().to_vec()
        })
    }

    /// `base64url(json(value)) + "." + base64url(hmac)`.
    pub(crate) fn sign<T: Serialize>(&self, value: &T) -> Option<String> {
        let json = serde_json::to_vec(value).ok()?;
        let payload = URL_SAFE_NO_PAD.encode(json);
        let tag = URL_SAFE_NO_PAD.encode(self.tag(&payload));
        Some(format!("{payload}.{tag}"))
    }

    /// The value inside a signed string, if the tag matches (compared in constant time).
    pub(crate) fn verify<T: DeserializeOwned>(&self, signed: &str) -> Option<T> {
        let (payload, tag) = signed.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let expected = self.tag(payload);
        if expected.is_empty() || !bool::from(expected.ct_eq(&tag)) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    /// A `Set-Cookie` value for `name=value`.
    pub(crate) fn set(&self, name: &str, value: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; HttpOnly; SameSite=Lax; Path=/{secure}"
        ))
        .ok()
    }

    /// A `Set-Cookie` value that deletes `name`.
    pub(crate) fn clear(&self, name: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/{secure}"
        ))
        .ok()
    }
}

/// Appends `Set-Cookie` headers (skipping values that could not be built).
pub(crate) fn append(
    headers: &mut HeaderMap,
    cookies: impl IntoIterator<Item = Option<HeaderValue>>,
) {
    for value in cookies.into_iter().flatten() {
        headers.append(SET_COOKIE, value);
    }
}

/// The first cookie called `name` in the request's `Cookie` headers.
pub(crate) fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The CSRF token of the forms of an interaction: `base64url(SHA-256("csrf:" + id))`.
/// Only a page that knows the interaction id (held in an `HttpOnly` cookie) can know it.
pub fn csrf_token(interaction_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(format!("csrf:{interaction_id}").as_bytes()))
}

/// Whether `presented` is the CSRF token of `interaction_id`, in constant time.
pub(crate) fn csrf_matches(interaction_id: &str, presented: Option<&str>) -> bool {
    presented.is_some_and(|p| bool::from(csrf_token(interaction_id).as_bytes().ct_eq(p.as_bytes())))
}

/// A short, non-reversible name for an interaction, recorded in the auth cookie so that a
/// sign-in is valid only for the interaction it was made for.
pub(crate) fn interaction_tag(interaction_id: &str) -> String {
    let digest = Sha256::digest(format!("interaction:{interaction_id}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest.get(..16).unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn csrf_is_base64url_sha256_of_the_interaction() {
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(b"csrf:abc"));
        assert_eq!(csrf_token("abc"), expected);
        assert_eq!(csrf_token("abc").len(), 43);
        assert!(csrf_matches("abc", Some(&expected)));
        assert!(!csrf_matches("abd", Some(&expected)));
        assert!(!csrf_matches("abc", None));
        assert!(!csrf_matches("abc", Some("")));
    }

    #[test]
    fn signed_values_round_trip_and_reject_tampering() {
        let signer = Signer::new(b"key-one-key-one-key".to_vec(), false);
        let signed = signer.sign(&("alice", 42)).unwrap();
        assert_eq!(
            signer.verify::<(String, i32)>(&signed),
            Some(("alice".into(), 42))
        );
        let (payload, tag) = signed.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"["mallory",42]"#);
        assert_eq!(
            signer.verify::<(String, i32)>(&format!("{forged}.{tag}")),
            None
        );
        let mut bad_tag = tag.to_owned();
        bad_tag.replace_range(0..1, if tag.starts_with('A') { "B" } else { "A" });
        assert_eq!(
            signer.verify::<(String, i32)>(&format!("{payload}.{bad_tag}")),
            None
        );
        let other = Signer::new(b"key-two-key-two-key".to_vec(), false);
        assert_eq!(other.verify::<(String, i32)>(&signed), None);
        for garbage in ["", ".", "x", "x.y", "%%.%%", "..."] {
            assert_eq!(signer.verify::<(String, i32)>(garbage), None);
        }
    }

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; lk_auth=xyz"));
        headers.append(COOKIE, HeaderValue::from_static("lk_interaction=id"));
        assert_eq!(get(&headers, AUTH).as_deref(), Some("xyz"));
        assert_eq!(get(&headers, INTERACTION).as_deref(), Some("id"));
        assert_eq!(get(&headers, CLIENT), None);
        let secure = Signer::new(vec![1], true);
        assert!(secure
            .set("n", "v")
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("; Secure"));
        assert!(secure
            .clear("n")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }
}
