//! The small amount of state the demo pages keep in the browser, and how it is protected.
//! Values are signed, not encrypted: JSON, base64url, a `.` and an HMAC-SHA256 tag keyed
//! with the session secret, so any node holding the secret can verify them and a changed
//! byte is rejected. The CSRF token of a form is derived from its interaction id, so it
//! needs no server state either. Cookies are `HttpOnly; SameSite=Lax; Path=/`, plus
//! `Secure` when the issuer is `https`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
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

/// The attributes of every cookie the demo sets.
const ATTRIBUTES: &str = "; HttpOnly; SameSite=Lax; Path=/";

/// Signs and verifies cookie values with one key.
#[derive(Clone)]
pub(crate) struct Signer {
    /// The HMAC state after absorbing the key, built once and cloned per use (keying
    /// HMAC-SHA256 costs two compressions; this is on every page and callback).
    keyed: Option<HmacSha256>,
    secure: bool,
    /// The `Set-Cookie` values deleting each of the demo's cookies, built once: every
    /// flow deletes two of them, and cloning a value does not copy it.
    cleared: Vec<(&'static str, HeaderValue)>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

impl Signer {
    /// A signer keyed with `key`; `secure` adds the `Secure` attribute to cookies.
    pub(crate) fn new(key: Vec<u8>, secure: bool) -> Self {
        // HMAC accepts keys of any length, so this cannot fail; without a key nothing is
        // signed and nothing verifies.
        let keyed = HmacSha256::new_from_slice(&key).ok();
        let cleared = [INTERACTION, AUTH, CLIENT]
            .into_iter()
            .filter_map(|name| Some((name, clearing(name, secure)?)))
            .collect();
        Self {
            keyed,
            secure,
            cleared,
        }
    }

    fn tag(&self, payload: &str) -> Option<[u8; 32]> {
        let mut mac = self.keyed.clone()?;
        mac.update(payload.as_bytes());
        Some(mac.finalize().into_bytes().into())
    }

    /// `base64url(json(value)) + "." + base64url(hmac)`.
    pub(crate) fn sign<T: Serialize>(&self, value: &T) -> Option<String> {
        let json = serde_json::to_vec(value).ok()?;
        // 4/3 of the JSON, the dot and the 43 characters of the tag.
        let mut signed = String::with_capacity(json.len().div_ceil(3) * 4 + 44);
        URL_SAFE_NO_PAD.encode_string(json, &mut signed);
        let tag = self.tag(&signed)?;
        signed.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut signed);
        Some(signed)
    }

    /// The value inside a signed string, if the tag matches (compared in constant time).
    pub(crate) fn verify<T: DeserializeOwned>(&self, signed: &str) -> Option<T> {
        let (payload, tag) = signed.split_once('.')?;
        // A tag is 43 characters (32 bytes). 44 decode to 33 bytes and fail the comparison
        // below; anything longer does not fit the buffer and fails here.
        let mut presented = [0u8; 33];
        let len = URL_SAFE_NO_PAD.decode_slice(tag, &mut presented).ok()?;
        let expected = self.tag(payload)?;
        if !bool::from(expected.ct_eq(presented.get(..len)?)) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    /// A `Set-Cookie` value for `name=value`.
    pub(crate) fn set(&self, name: &str, value: &str) -> Option<HeaderValue> {
        let mut cookie = String::with_capacity(name.len() + value.len() + 48);
        cookie.push_str(name);
        cookie.push('=');
        cookie.push_str(value);
        cookie.push_str(ATTRIBUTES);
        if self.secure {
            cookie.push_str("; Secure");
        }
        HeaderValue::from_maybe_shared(Bytes::from(cookie)).ok()
    }

    /// A `Set-Cookie` value that deletes `name`.
    pub(crate) fn clear(&self, name: &str) -> Option<HeaderValue> {
        match self.cleared.iter().find(|(cleared, _)| *cleared == name) {
            Some((_, value)) => Some(value.clone()),
            None => clearing(name, self.secure),
        }
    }
}

/// The `Set-Cookie` value deleting cookie `name`.
fn clearing(name: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}=; Max-Age=0{ATTRIBUTES}{secure}")).ok()
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

/// The first cookie called `name` in the request's `Cookie` headers, borrowed from them.
pub(crate) fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `base64url` of the first `take` bytes of `SHA-256(prefix ‖ id)`, in a buffer on the
/// stack (a token compared on every form post needs no allocation). Never empty: `of`
/// gives `None` rather than an empty token, so every comparison with it fails closed.
struct Derived {
    text: [u8; 43],
    len: usize,
}

impl Derived {
    fn of(prefix: &str, id: &str, take: usize) -> Option<Self> {
        let digest = Sha256::new()
            .chain_update(prefix)
            .chain_update(id)
            .finalize();
        let mut text = [0u8; 43];
        let len = URL_SAFE_NO_PAD
            .encode_slice(digest.get(..take)?, &mut text)
            .ok()
            .filter(|&len| len > 0)?;
        Some(Self { text, len })
    }

    fn as_bytes(&self) -> &[u8] {
        self.text.get(..self.len).unwrap_or_default()
    }

    fn to_text(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

/// The CSRF token of the forms of an interaction: `base64url(SHA-256("csrf:" + id))`.
/// Only a page that knows the interaction id (held in an `HttpOnly` cookie) can know it.
pub fn csrf_token(interaction_id: &str) -> String {
    Derived::of("csrf:", interaction_id, 32).map_or_else(String::new, |d| d.to_text())
}

/// Whether `presented` is the CSRF token of `interaction_id`, in constant time.
pub(crate) fn csrf_matches(interaction_id: &str, presented: Option<&str>) -> bool {
    match (Derived::of("csrf:", interaction_id, 32), presented) {
        (Some(expected), Some(presented)) => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    }
}

/// A short, non-reversible name for an interaction, recorded in the auth cookie so that a
/// sign-in is valid only for the interaction it was made for.
pub(crate) fn interaction_tag(interaction_id: &str) -> String {
    Derived::of("interaction:", interaction_id, 16).map_or_else(String::new, |d| d.to_text())
}

/// Whether `tag` is [`interaction_tag`] of `interaction_id`.
pub(crate) fn is_interaction_tag(interaction_id: &str, tag: &str) -> bool {
    Derived::of("interaction:", interaction_id, 16).is_some_and(|d| d.as_bytes() == tag.as_bytes())
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
    fn the_interaction_tag_is_the_truncated_digest_of_the_interaction() {
        let expected = URL_SAFE_NO_PAD.encode(&Sha256::digest(b"interaction:abc")[..16]);
        assert_eq!(interaction_tag("abc"), expected);
        assert_eq!(expected.len(), 22);
        assert!(is_interaction_tag("abc", &expected));
        assert!(!is_interaction_tag("abd", &expected));
        assert!(!is_interaction_tag("abc", &expected[..21]));
        assert!(!is_interaction_tag("abc", ""));
    }

    #[test]
    fn cleared_cookies_are_built_once_and_equal_a_fresh_build() {
        for secure in [false, true] {
            let signer = Signer::new(vec![7; 32], secure);
            for name in [INTERACTION, AUTH, CLIENT, "other"] {
                assert_eq!(signer.clear(name), clearing(name, secure));
            }
        }
        assert_eq!(
            Signer::new(vec![7; 32], false).clear(AUTH).unwrap(),
            "lk_auth=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/"
        );
        assert_eq!(
            Signer::new(vec![7; 32], true).set(AUTH, "v").unwrap(),
            "lk_auth=v; HttpOnly; SameSite=Lax; Path=/; Secure"
        );
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
        // The tag with one more character, or twice over, is not the tag.
        assert_eq!(signer.verify::<(String, i32)>(&format!("{signed}A")), None);
        assert_eq!(
            signer.verify::<(String, i32)>(&format!("{signed}{tag}")),
            None
        );
        for garbage in ["", ".", "x", "x.y", "%%.%%", "..."] {
            assert_eq!(signer.verify::<(String, i32)>(garbage), None);
        }
    }

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; lk_auth=xyz"));
        headers.append(COOKIE, HeaderValue::from_static("lk_interaction=id"));
        assert_eq!(get(&headers, AUTH), Some("xyz"));
        assert_eq!(get(&headers, INTERACTION), Some("id"));
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
