//! Registered clients and the read-only store the engine looks them up in.

use std::sync::Arc;

use async_trait::async_trait;
use latchkey_pkce::SecretDigest;
use latchkey_types::{ClientId, GrantType, RedirectUri, Scope};

use super::StoreError;

/// How a confidential client's secret is checked.
///
/// **Use [`ClientSecretVerifier::Sha256`]** (what [`ClientSecretVerifier::for_secret`]
/// builds) for secrets the server generates: with 256 bits of entropy (e.g.
/// [`latchkey_pkce::random_token`]) nobody can guess the secret or invert its digest, so
/// a single SHA-256 compared in constant time is the right check, and it costs well
/// under a microsecond per token request. A slow password hash protects only a *guessable*
/// secret; on a high-entropy one it adds latency and CPU load an attacker can trigger at
/// will, and nothing else.
///
/// `Argon2` (cargo feature `argon2`) exists for the one case where it helps: an integrator
/// who chooses to let people pick low-entropy client secrets. Each verification then costs
/// tens of milliseconds of CPU and 19 MiB of memory with the default (OWASP) parameters —
/// measured at about 19 ms per verification on the 2-core machine of
/// `docs/performance.md`, against about 80 ns for SHA-256 (`cargo bench -p
/// latchkey-engine --bench engine --features argon2 -- client_auth`) — which also makes
/// the token endpoint far cheaper to overload: keep the throttle on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientSecretVerifier {
    /// SHA-256 digest of a server-generated, 256-bit secret, compared in constant time.
    /// Right for high-entropy secrets: a slow password hash adds nothing but latency.
    Sha256(SecretDigest),
    /// An Argon2id hash in PHC string format (`$argon2id$v=19$m=...`), for low-entropy
    /// secrets only; verified with the parameters the string carries.
    #[cfg(feature = "argon2")]
    Argon2(String),
}

impl ClientSecretVerifier {
    /// The verifier for a secret value: its SHA-256 digest.
    pub fn for_secret(secret: &str) -> Self {
        Self::Sha256(SecretDigest::of(secret))
    }

    /// An Argon2id verifier (default parameters, random 16-byte salt) for a low-entropy
    /// secret. Prefer generated secrets and [`ClientSecretVerifier::for_secret`].
    #[cfg(feature = "argon2")]
    pub fn argon2_for_secret(secret: &str) -> Result<Self, crate::Error> {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let mut salt = [0u8; 16];
        latchkey_pkce::fill_random(&mut salt).map_err(|_| crate::Error::Randomness)?;
        let salt = SaltString::encode_b64(&salt)
            .map_err(|_| crate::Error::Config("argon2: cannot encode the salt".into()))?;
        let hash = argon2::Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map_err(|_| crate::Error::Config("argon2: cannot hash the secret".into()))?;
        Ok(Self::Argon2(hash.to_string()))
    }

    /// Whether `candidate` is the secret, in constant time (Argon2's own comparison of
    /// its output for the `Argon2` variant). A malformed PHC string verifies nothing.
    pub fn verify(&self, candidate: &str) -> bool {
        match self {
            Self::Sha256(digest) => digest.matches(candidate),
            #[cfg(feature = "argon2")]
            Self::Argon2(phc) => {
                use argon2::password_hash::{PasswordHash, PasswordVerifier};
                PasswordHash::new(phc).is_ok_and(|hash| {
                    argon2::Argon2::default()
                        .verify_password(candidate.as_bytes(), &hash)
                        .is_ok()
                })
            }
        }
    }
}

/// A registered OAuth client.
#[derive(Clone, Debug)]
pub struct Client {
    /// The client identifier.
    pub id: ClientId,
    /// A human-readable name shown on consent pages.
    pub name: String,
    /// `Some` for confidential clients, `None` for public ones (native and browser apps).
    pub secret: Option<ClientSecretVerifier>,
    /// Registered redirect URIs, compared exactly (RFC 9700 §4.1.3).
    pub redirect_uris: Vec<RedirectUri>,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
    /// The widest scope the client may ever be granted.
    pub scope: Scope,
}

impl Client {
    /// Whether the client is confidential (has a secret to authenticate with).
    pub fn is_confidential(&self) -> bool {
        self.secret.is_some()
    }

    /// Whether the client may use `grant_type`.
    pub fn allows_grant(&self, grant_type: GrantType) -> bool {
        self.grant_types.contains(&grant_type)
    }
}

/// Looks up registered clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// The client registered under `id`, if any.
    async fn get_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;

    /// The same client, shared: what the engine calls on every authorization and token
    /// request, where it only reads the registration. The default wraps
    /// [`get_client`](Self::get_client); a store that keeps clients in memory should
    /// override it to hand out its own `Arc` instead of copying every field (name,
    /// redirect URIs, grant types, scope) on each request.
    async fn get_client_shared(&self, id: &ClientId) -> Result<Option<Arc<Client>>, StoreError> {
        Ok(self.get_client(id).await?.map(Arc::new))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sha256_verifier_accepts_only_the_secret() {
        let secret = latchkey_pkce::random_token().unwrap();
        let verifier = ClientSecretVerifier::for_secret(&secret);
        assert!(verifier.verify(&secret));
        assert!(!verifier.verify(&secret[1..]));
        assert!(!verifier.verify(""));
    }

    #[cfg(feature = "argon2")]
    #[test]
    fn argon2_verifier_accepts_only_the_secret_and_salts_each_hash() {
        let verifier = ClientSecretVerifier::argon2_for_secret("correct horse").unwrap();
        let ClientSecretVerifier::Argon2(phc) = &verifier else {
            panic!("an Argon2 verifier");
        };
        assert!(phc.starts_with("$argon2id$"));
        assert!(verifier.verify("correct horse"));
        assert!(!verifier.verify("correct horsE"));
        assert_ne!(
            ClientSecretVerifier::argon2_for_secret("correct horse").unwrap(),
            verifier,
            "a fresh salt every time"
        );
        assert!(!ClientSecretVerifier::Argon2("not a PHC string".into()).verify("x"));
    }
}
