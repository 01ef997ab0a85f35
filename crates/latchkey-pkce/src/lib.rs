//! PKCE (RFC 7636), `state`/`nonce` and opaque-secret primitives for OAuth 2.0
//! servers and clients.
//!
//! `latchkey-pkce` is the small, dependency-light security core of latchkey:
//! it creates and checks PKCE code verifiers and challenges, creates and
//! validates `state` and `nonce` values, draws random opaque tokens (a ChaCha20
//! stream per thread, keyed from the operating system), and digests those tokens
//! for storage. It performs no I/O.
//! Every comparison of secret material is constant time, every secret's
//! `Debug` output is redacted, and only the `S256` challenge method is
//! reachable without going through the [`danger`] module.
//!
//! ```
//! use latchkey_pkce::{CodeChallenge, CodeVerifier};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Client: create a verifier and send its S256 challenge with the
//! // authorization request.
//! let verifier = CodeVerifier::generate()?;
//! let challenge = CodeChallenge::s256(&verifier);
//!
//! // Server: accept the challenge from the request, store it with the code...
//! let stored = CodeChallenge::parse(Some("S256"), challenge.as_str())?;
//!
//! // ...and check the `code_verifier` sent to the token endpoint.
//! let presented = CodeVerifier::new(verifier.secret())?;
//! assert!(stored.verify(&presented));
//! # Ok(())
//! # }
//! ```

mod challenge;
pub mod danger;
mod generator;
mod random;
mod secret;
mod state;
mod verifier;

pub use challenge::{ChallengeError, CodeChallenge, CodeChallengeMethod};
pub use danger::plain_challenge;
pub use random::{fill_random, random_token, random_tokens, RandomError};
pub use secret::SecretDigest;
pub use state::{Nonce, State, ValueError};
pub use verifier::{CodeVerifier, VerifierError};
