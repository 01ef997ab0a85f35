//! JWT access tokens (RFC 9068): signing keys with `kid`s, several at once so keys can
//! rotate (one signs, all verify), the JWKS document resource servers fetch, and
//! verification that checks signature, `typ`, issuer, audience and expiry against the
//! engine's clock. Keys are Ed25519 (`EdDSA`) or P-256 (`ES256`), generated with `ring`
//! or loaded from PKCS#8.

use std::collections::HashSet;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::Error;

/// The JWS algorithms latchkey signs access tokens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// Ed25519 (`EdDSA`).
    EdDsa,
    /// ECDSA over P-256 with SHA-256 (`ES256`).
    Es256,
}

impl SigningAlgorithm {
    fn jwt(self) -> Algorithm {
        match self {
            Self::EdDsa => Algorithm::EdDSA,
            Self::Es256 => Algorithm::ES256,
        }
    }

    /// The JWA name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
        }
    }
}

/// A private signing key with its key id. `Debug` never shows the key material.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    algorithm: SigningAlgorithm,
    pkcs8: Vec<u8>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a new key.
    pub fn generate(kid: &str, algorithm: SigningAlgorithm) -> Result<Self, Error> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = match algorithm {
            SigningAlgorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng),
            SigningAlgorithm::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            }
        }
        .map_err(|_| Error::Randomness)?;
        Self::from_pkcs8_der(kid, algorithm, pkcs8.as_ref())
    }

    /// Loads a PKCS#8 (DER) private key.
    pub fn from_pkcs8_der(
        kid: &str,
        algorithm: SigningAlgorithm,
        der: &[u8],
    ) -> Result<Self, Error> {
        if kid.is_empty() || kid.len() > 128 {
            return Err(Error::Config("key id must be 1-128 characters".into()));
        }
        let bad_key = |_| Error::Config("not a valid PKCS#8 key for the algorithm".into());
        let (encoding, decoding, jwk) = match algorithm {
            SigningAlgorithm::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(der).map_err(bad_key)?;
                let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
                let decoding = DecodingKey::from_ed_components(&x)
                    .map_err(|_| Error::Config("bad Ed25519 public key".into()))?;
                let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"});
                (EncodingKey::from_ed_der(der), decoding, jwk)
            }
            SigningAlgorithm::Es256 => {
                let rng = ring::rand::SystemRandom::new();
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
                    .map_err(bad_key)?;
                let point = pair.public_key().as_ref();
                let (x, y) = match (point.first(), point.get(1..33), point.get(33..65)) {
                    (Some(4), Some(x), Some(y)) if point.len() == 65 => {
                        (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y))
                    }
                    _ => return Err(Error::Config("bad P-256 public key".into())),
                };
                let decoding = DecodingKey::from_ec_components(&x, &y)
                    .map_err(|_| Error::Config("bad P-256 public key".into()))?;
                let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig"});
                (EncodingKey::from_ec_der(der), decoding, jwk)
            }
        };
        Ok(Self {
            kid: kid.to_owned(),
            algorithm,
            pkcs8: der.to_vec(),
            encoding,
            decoding,
            jwk,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The private key as PKCS#8 DER, for saving it. Secret: keep it out of logs.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }
}

/// The claims of an RFC 9068 access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the resource owner, or the client for `client_credentials`.
    pub sub: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Unique token id; revocation is recorded against it.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Space-separated scope.
    pub scope: String,
    /// When the subject authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Authentication context class reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
}

/// The keys access tokens are signed and verified with: one active signing key plus older
/// keys still accepted for verification while their tokens live out.
#[derive(Debug, Clone)]
pub struct JwtKeys {
    active: SigningKey,
    retired: Vec<SigningKey>,
}

impl JwtKeys {
    /// Signs with `active`.
    pub fn new(active: SigningKey) -> Self {
        Self {
            active,
            retired: Vec::new(),
        }
    }

    /// Keeps accepting tokens signed by `key` (a previous active key) and publishes it in
    /// the JWKS.
    pub fn with_retired(mut self, key: SigningKey) -> Self {
        self.retired.push(key);
        self
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// The JWKS document (RFC 7517 §5) with every public key.
    pub fn jwks(&self) -> Value {
        let keys: Vec<&Value> = std::iter::once(&self.active)
            .chain(self.retired.iter())
            .map(SigningKey::public_jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// Signs `claims` with the active key, header `typ: at+jwt` (RFC 9068 §2.1).
    pub fn sign(&self, claims: &AccessTokenClaims) -> Result<String, Error> {
        let mut header = Header::new(self.active.algorithm.jwt());
        header.typ = Some("at+jwt".to_owned());
        header.kid = Some(self.active.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.active.encoding).map_err(|_| Error::Signing)
    }

    /// Verifies a token's header, signature, issuer and audience, and that it has not
    /// expired at `now_unix`. `None` for anything that does not verify.
    pub fn verify(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
        now_unix: i64,
    ) -> Option<AccessTokenClaims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        // RFC 9068 §4: reject tokens whose typ is not at+jwt (case-insensitive per RFC 7515).
        if !header.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
        }) {
            return None;
        }
        let kid = header.kid?;
        let key = std::iter::once(&self.active)
            .chain(self.retired.iter())
            .find(|k| k.kid == kid)?;
        if header.alg != key.algorithm.jwt() {
            return None;
        }
        let mut validation = Validation::new(key.algorithm.jwt());
        validation.validate_exp = false;
        validation.required_spec_claims = HashSet::new();
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        let data =
            jsonwebtoken::decode::<AccessTokenClaims>(token, &key.decoding, &validation).ok()?;
        (data.claims.exp > now_unix).then_some(data.claims)
    }
}

/// Whether a presented token looks like a JWS compact serialization (three dot-separated
/// parts) rather than an opaque token.
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|&b| b == b'.').count() == 2
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://as.example".into(),
            sub: "alice".into(),
            aud: "https://api.example".into(),
            exp,
            iat: 1000,
            jti: "j1".into(),
            client_id: "c".into(),
            scope: "balance:read".into(),
            auth_time: None,
            acr: None,
        }
    }

    #[test]
    fn eddsa_and_es256_tokens_verify_with_their_keys() {
        for alg in [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256] {
            let keys = JwtKeys::new(SigningKey::generate("k1", alg).unwrap());
            let token = keys.sign(&claims(2000)).unwrap();
            let got = keys.verify(&token, "https://as.example", "https://api.example", 1500);
            assert_eq!(got, Some(claims(2000)));
            assert!(keys
                .verify(&token, "https://other.example", "https://api.example", 1500)
                .is_none());
            assert!(keys
                .verify(&token, "https://as.example", "https://other.example", 1500)
                .is_none());
            assert!(keys
                .verify(&token, "https://as.example", "https://api.example", 2000)
                .is_none());
        }
    }

    #[test]
    fn header_is_typ_at_jwt_with_kid_rfc9068_2_1() {
        let keys = JwtKeys::new(SigningKey::generate("k1", SigningAlgorithm::EdDsa).unwrap());
        let token = keys.sign(&claims(2000)).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.kid.as_deref(), Some("k1"));
    }

    #[test]
    fn rotated_keys_still_verify_old_tokens_and_jwks_lists_both() {
        let old = SigningKey::generate("old", SigningAlgorithm::EdDsa).unwrap();
        let old_keys = JwtKeys::new(old.clone());
        let token = old_keys.sign(&claims(2000)).unwrap();
        let new = JwtKeys::new(SigningKey::generate("new", SigningAlgorithm::Es256).unwrap())
            .with_retired(old);
        assert!(new
            .verify(&token, "https://as.example", "https://api.example", 1500)
            .is_some());
        let jwks = new.jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        assert!(
            !jwks.to_string().contains("\"d\""),
            "JWKS must not contain private parts"
        );
    }

    #[test]
    fn tampered_and_foreign_tokens_do_not_verify() {
        let keys = JwtKeys::new(SigningKey::generate("k1", SigningAlgorithm::EdDsa).unwrap());
        let other = JwtKeys::new(SigningKey::generate("k1", SigningAlgorithm::EdDsa).unwrap());
        let token = other.sign(&claims(2000)).unwrap();
        assert!(keys
            .verify(&token, "https://as.example", "https://api.example", 1500)
            .is_none());
        assert!(keys
            .verify("a.b.c", "https://as.example", "https://api.example", 1500)
            .is_none());
    }

    #[test]
    fn pkcs8_round_trips() {
        let key = SigningKey::generate("k", SigningAlgorithm::Es256).unwrap();
        let again =
            SigningKey::from_pkcs8_der("k", SigningAlgorithm::Es256, key.pkcs8_der()).unwrap();
        assert_eq!(again.public_jwk(), key.public_jwk());
        assert!(!format!("{key:?}").contains("pkcs8"));
    }
}
