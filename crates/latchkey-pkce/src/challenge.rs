//! The PKCE code challenge and its method (RFC 7636 §4.2, §4.6).
//!
//! A [`CodeChallenge`] is what the client sends to the authorization endpoint
//! and what the server stores with the authorization code. Only the `S256`
//! method can be built from untrusted input through the ordinary API
//! ([`CodeChallenge::parse_s256`], [`CodeChallenge::parse`]); a `plain`
//! challenge needs the explicit [`crate::danger::plain_challenge`], or
//! [`CodeChallenge::restore`] for re-loading a value a server already accepted.
//! Verification compares in constant time for both methods.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::verifier::{is_unreserved, CodeVerifier};

/// Length of an `S256` challenge: a 32-byte SHA-256 digest in unpadded base64url.
const S256_LEN: usize = 43;

/// A `code_challenge_method` (RFC 7636 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeChallengeMethod {
    /// `S256`: the challenge is `BASE64URL(SHA256(verifier))`. Always use this.
    S256,
    /// `plain`: the challenge is the verifier itself. See [`crate::danger`].
    Plain,
}

impl CodeChallengeMethod {
    /// The wire name: `"S256"` or `"plain"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::S256 => "S256",
            Self::Plain => "plain",
        }
    }
}

impl fmt::Display for CodeChallengeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CodeChallengeMethod {
    type Err = ChallengeError;

    /// Parses the exact, case-sensitive wire names `"S256"` and `"plain"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "S256" => Ok(Self::S256),
            "plain" => Ok(Self::Plain),
            _ => Err(ChallengeError::UnsupportedMethod),
        }
    }
}

/// Why a code challenge or method was rejected. Never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// Wrong length: `S256` needs exactly 43 characters, `plain` 43 to 128.
    #[error("code challenge has an invalid length")]
    InvalidLength,
    /// A character outside the method's alphabet (base64url for `S256`,
    /// `[A-Za-z0-9-._~]` for `plain`), or an `S256` value that is not the
    /// canonical encoding of a 32-byte digest.
    #[error("code challenge contains an invalid character")]
    InvalidCharacter,
    /// A `code_challenge_method` other than `S256` or `plain`.
    #[error("unsupported code challenge method")]
    UnsupportedMethod,
    /// The `plain` method (explicit, or implied by an absent method) where
    /// only `S256` is accepted.
    #[error("the plain code challenge method is not allowed")]
    PlainNotAllowed,
}

/// A PKCE code challenge: its method and value.
///
/// The value is public data (it travels in the front channel), so `Debug`
/// shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge {
    method: CodeChallengeMethod,
    value: String,
}

impl CodeChallenge {
    /// Derives the `S256` challenge of a verifier:
    /// `BASE64URL-NOPAD(SHA256(ASCII(verifier)))` (RFC 7636 §4.2).
    pub fn s256(verifier: &CodeVerifier) -> Self {
        Self::from_s256_digest(&Sha256::digest(verifier.secret().as_bytes()).into())
    }

    /// Accepts an `S256` challenge from a client: exactly 43 characters of the
    /// base64url alphabet that encode a 32-byte digest.
    ///
    /// # Errors
    ///
    /// [`ChallengeError::InvalidLength`] unless the value has 43 characters,
    /// [`ChallengeError::InvalidCharacter`] for any character outside
    /// `[A-Za-z0-9_-]` (including `+`, `/` and `=`) or a non-canonical last
    /// character.
    pub fn parse_s256(value: &str) -> Result<Self, ChallengeError> {
        validate_s256(value)?;
        Ok(Self {
            method: CodeChallengeMethod::S256,
            value: value.to_owned(),
        })
    }

    /// The `S256` challenge whose value encodes `digest`, for a storage backend
    /// that kept the 32 digest bytes instead of the text. Always canonical, so
    /// nothing needs validating.
    pub fn from_s256_digest(digest: &[u8; 32]) -> Self {
        Self {
            method: CodeChallengeMethod::S256,
            value: URL_SAFE_NO_PAD.encode(digest),
        }
    }

    /// Accepts the `code_challenge_method` and `code_challenge` parameters of
    /// an authorization request for a server that only allows `S256`, as
    /// RFC 9700 §2.1.1 recommends.
    ///
    /// An absent method means `plain` (RFC 7636 §4.3) and is refused too.
    ///
    /// # Errors
    ///
    /// [`ChallengeError::PlainNotAllowed`] for `plain` or an absent method,
    /// [`ChallengeError::UnsupportedMethod`] for any other unknown method, and
    /// otherwise the errors of [`CodeChallenge::parse_s256`].
    pub fn parse(method: Option<&str>, value: &str) -> Result<Self, ChallengeError> {
        let method = match method {
            Some(name) => name.parse()?,
            None => CodeChallengeMethod::Plain,
        };
        match method {
            CodeChallengeMethod::S256 => Self::parse_s256(value),
            CodeChallengeMethod::Plain => Err(ChallengeError::PlainNotAllowed),
        }
    }

    /// Rebuilds a challenge a storage backend saved earlier, validating it
    /// exactly like the parsers: `S256` as [`CodeChallenge::parse_s256`],
    /// `plain` as [`crate::danger::plain_challenge`] (43 to 128 characters of
    /// `[A-Za-z0-9-._~]`).
    ///
    /// # Errors
    ///
    /// [`ChallengeError::InvalidLength`] or
    /// [`ChallengeError::InvalidCharacter`] if the stored value is malformed.
    pub fn restore(method: CodeChallengeMethod, value: String) -> Result<Self, ChallengeError> {
        match method {
            CodeChallengeMethod::S256 => validate_s256(&value)?,
            CodeChallengeMethod::Plain => validate_plain(&value)?,
        }
        Ok(Self { method, value })
    }

    /// Builds a `plain` challenge; only reachable through
    /// [`crate::danger::plain_challenge`].
    pub(crate) fn plain(value: &str) -> Result<Self, ChallengeError> {
        validate_plain(value)?;
        Ok(Self {
            method: CodeChallengeMethod::Plain,
            value: value.to_owned(),
        })
    }

    /// The challenge method.
    pub fn method(&self) -> CodeChallengeMethod {
        self.method
    }

    /// The challenge value, as sent in `code_challenge`.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Checks a verifier against this challenge (RFC 7636 §4.6), comparing in
    /// constant time.
    pub fn verify(&self, verifier: &CodeVerifier) -> bool {
        let ok = match self.method {
            CodeChallengeMethod::S256 => {
                // Encoded on the stack: 32 bytes are always 43 characters.
                let mut encoded = [0u8; S256_LEN];
                let digest = Sha256::digest(verifier.secret().as_bytes());
                match URL_SAFE_NO_PAD.encode_slice(digest, &mut encoded) {
                    Ok(S256_LEN) => encoded[..].ct_eq(self.value.as_bytes()),
                    _ => subtle::Choice::from(0),
                }
            }
            CodeChallengeMethod::Plain => verifier.secret().as_bytes().ct_eq(self.value.as_bytes()),
        };
        ok.into()
    }
}

fn validate_s256(value: &str) -> Result<(), ChallengeError> {
    if value.len() != S256_LEN {
        return Err(ChallengeError::InvalidLength);
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ChallengeError::InvalidCharacter);
    }
    // 43 characters carry 258 bits; the last two must be zero for the value to
    // be the canonical encoding of 32 bytes. The strict decoder checks that.
    let mut digest = [0u8; 32];
    match URL_SAFE_NO_PAD.decode_slice(value, &mut digest) {
        Ok(32) => Ok(()),
        _ => Err(ChallengeError::InvalidCharacter),
    }
}

fn validate_plain(value: &str) -> Result<(), ChallengeError> {
    if !(CodeVerifier::MIN_LEN..=CodeVerifier::MAX_LEN).contains(&value.len()) {
        return Err(ChallengeError::InvalidLength);
    }
    if !value.bytes().all(is_unreserved) {
        return Err(ChallengeError::InvalidCharacter);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::danger::plain_challenge;
    use proptest::prelude::*;

    // RFC 7636 Appendix B. The verifier is the base64url encoding of the
    // octets listed there (116, 24, 223, 180, ...).
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_example_verifies() {
        let verifier = CodeVerifier::new(RFC_VERIFIER).unwrap();
        let challenge = CodeChallenge::s256(&verifier);
        assert_eq!(challenge.as_str(), RFC_CHALLENGE);
        assert_eq!(challenge.method(), CodeChallengeMethod::S256);
        assert!(challenge.verify(&verifier));

        let parsed = CodeChallenge::parse_s256(RFC_CHALLENGE).unwrap();
        assert_eq!(parsed, challenge);
        assert!(parsed.verify(&verifier));
    }

    #[test]
    fn s256_rejects_a_different_verifier() {
        let challenge = CodeChallenge::parse_s256(RFC_CHALLENGE).unwrap();
        let other = CodeVerifier::generate().unwrap();
        assert!(!challenge.verify(&other));
    }

    #[test]
    fn method_wire_names_are_exact_and_case_sensitive() {
        assert_eq!(CodeChallengeMethod::S256.as_str(), "S256");
        assert_eq!(CodeChallengeMethod::Plain.as_str(), "plain");
        assert_eq!("S256".parse(), Ok(CodeChallengeMethod::S256));
        assert_eq!("plain".parse(), Ok(CodeChallengeMethod::Plain));
        for bad in ["s256", "PLAIN", "Plain", "S256 ", "", "S512", "sha256"] {
            assert_eq!(
                bad.parse::<CodeChallengeMethod>(),
                Err(ChallengeError::UnsupportedMethod),
                "{bad:?}"
            );
        }
        assert_eq!(CodeChallengeMethod::S256.to_string(), "S256");
    }

    #[test]
    fn parse_s256_rejects_42_and_44_chars() {
        let base = &RFC_CHALLENGE[..42];
        assert_eq!(
            CodeChallenge::parse_s256(base),
            Err(ChallengeError::InvalidLength)
        );
        assert_eq!(
            CodeChallenge::parse_s256(&format!("{RFC_CHALLENGE}A")),
            Err(ChallengeError::InvalidLength)
        );
        assert_eq!(
            CodeChallenge::parse_s256(""),
            Err(ChallengeError::InvalidLength)
        );
    }

    #[test]
    fn parse_s256_rejects_standard_base64_and_padding_chars() {
        for bad in ['+', '/', '=', '.', '~', ' ', 'é'] {
            let mut s = RFC_CHALLENGE[..42].to_owned();
            s.insert(10, bad);
            // 'é' is two bytes, so drop one ASCII char to stay at 43 bytes.
            if s.len() > 43 {
                s.pop();
            }
            assert_eq!(
                CodeChallenge::parse_s256(&s),
                Err(ChallengeError::InvalidCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn parse_s256_rejects_padded_44_char_form() {
        // A padded encoding has 44 characters ending in '='.
        let padded = format!("{RFC_CHALLENGE}=");
        assert_eq!(
            CodeChallenge::parse_s256(&padded),
            Err(ChallengeError::InvalidLength)
        );
    }

    #[test]
    fn parse_s256_rejects_non_canonical_last_char() {
        // 'cM' ends the RFC value; 'cN' sets a trailing bit no digest can have.
        let s = format!("{}N", &RFC_CHALLENGE[..42]);
        assert_eq!(
            CodeChallenge::parse_s256(&s),
            Err(ChallengeError::InvalidCharacter)
        );
    }

    #[test]
    fn parse_refuses_plain_and_absent_method() {
        assert_eq!(
            CodeChallenge::parse(Some("S256"), RFC_CHALLENGE)
                .unwrap()
                .as_str(),
            RFC_CHALLENGE
        );
        assert_eq!(
            CodeChallenge::parse(Some("plain"), RFC_VERIFIER),
            Err(ChallengeError::PlainNotAllowed)
        );
        assert_eq!(
            CodeChallenge::parse(None, RFC_VERIFIER),
            Err(ChallengeError::PlainNotAllowed)
        );
        assert_eq!(
            CodeChallenge::parse(Some("s256"), RFC_CHALLENGE),
            Err(ChallengeError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::parse(Some("S256"), "short"),
            Err(ChallengeError::InvalidLength)
        );
    }

    #[test]
    fn plain_challenge_only_via_danger() {
        // The safe parsers never produce a plain challenge, even for values
        // that would be valid plain challenges.
        let plain_looking = "abc.def~ghi".repeat(5);
        assert!(CodeChallenge::parse_s256(&plain_looking).is_err());
        assert!(CodeChallenge::parse(Some("plain"), &plain_looking).is_err());

        let verifier = CodeVerifier::new(plain_looking.clone()).unwrap();
        let challenge = plain_challenge(&plain_looking).unwrap();
        assert_eq!(challenge.method(), CodeChallengeMethod::Plain);
        assert_eq!(challenge.as_str(), plain_looking);
        assert!(challenge.verify(&verifier));
        assert!(!challenge.verify(&CodeVerifier::generate().unwrap()));
    }

    #[test]
    fn plain_challenge_validates_like_a_verifier() {
        assert_eq!(
            plain_challenge(&"a".repeat(42)),
            Err(ChallengeError::InvalidLength)
        );
        assert_eq!(
            plain_challenge(&"a".repeat(129)),
            Err(ChallengeError::InvalidLength)
        );
        assert!(plain_challenge(&"a".repeat(128)).is_ok());
        assert_eq!(
            plain_challenge(&format!("{}+", "a".repeat(42))),
            Err(ChallengeError::InvalidCharacter)
        );
    }

    #[test]
    fn plain_challenge_does_not_verify_the_s256_form() {
        // A plain challenge equal to an S256 value must not accept the
        // verifier whose hash it is.
        let verifier = CodeVerifier::new(RFC_VERIFIER).unwrap();
        let challenge = plain_challenge(RFC_CHALLENGE).unwrap();
        assert!(!challenge.verify(&verifier));
    }

    #[test]
    fn from_s256_digest_is_the_parsed_challenge() {
        let verifier = CodeVerifier::generate().unwrap();
        let s256 = CodeChallenge::s256(&verifier);
        let mut digest = [0u8; 32];
        assert_eq!(
            URL_SAFE_NO_PAD.decode_slice(s256.as_str(), &mut digest),
            Ok(32)
        );
        let rebuilt = CodeChallenge::from_s256_digest(&digest);
        assert_eq!(rebuilt, s256);
        assert_eq!(
            CodeChallenge::parse_s256(rebuilt.as_str()).unwrap(),
            rebuilt
        );
        assert!(rebuilt.verify(&verifier));
    }

    #[test]
    fn restore_round_trips_both_methods() {
        let verifier = CodeVerifier::generate().unwrap();
        let s256 = CodeChallenge::s256(&verifier);
        let restored = CodeChallenge::restore(s256.method(), s256.as_str().to_owned()).unwrap();
        assert_eq!(restored, s256);
        assert!(restored.verify(&verifier));

        let plain = plain_challenge(verifier.secret()).unwrap();
        let restored = CodeChallenge::restore(plain.method(), plain.as_str().to_owned()).unwrap();
        assert_eq!(restored, plain);
        assert!(restored.verify(&verifier));
    }

    #[test]
    fn restore_validates_like_the_parsers() {
        assert_eq!(
            CodeChallenge::restore(CodeChallengeMethod::S256, RFC_VERIFIER.replace('-', "+")),
            Err(ChallengeError::InvalidCharacter)
        );
        assert_eq!(
            CodeChallenge::restore(CodeChallengeMethod::S256, "a".repeat(44)),
            Err(ChallengeError::InvalidLength)
        );
        assert_eq!(
            CodeChallenge::restore(CodeChallengeMethod::Plain, "a".repeat(42)),
            Err(ChallengeError::InvalidLength)
        );
        assert_eq!(
            CodeChallenge::restore(CodeChallengeMethod::Plain, format!("{}/", "a".repeat(50))),
            Err(ChallengeError::InvalidCharacter)
        );
    }

    fn unreserved() -> impl Strategy<Value = char> {
        prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
                .chars()
                .collect::<Vec<_>>(),
        )
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in any::<String>()) {
            let _ = CodeChallenge::parse_s256(&s);
            let _ = CodeChallenge::parse(Some(&s), &s);
            let _ = CodeChallenge::parse(None, &s);
            let _ = CodeChallenge::restore(CodeChallengeMethod::S256, s.clone());
            let _ = CodeChallenge::restore(CodeChallengeMethod::Plain, s.clone());
            let _ = plain_challenge(&s);
            let _ = s.parse::<CodeChallengeMethod>();
        }

        #[test]
        fn parse_s256_never_panics_on_43_byte_inputs(s in "[\\x00-\\x7f]{43}") {
            let _ = CodeChallenge::parse_s256(&s);
        }

        #[test]
        fn generated_verifier_round_trips(_i in 0u8..16) {
            let v = CodeVerifier::generate().unwrap();
            let c = CodeChallenge::s256(&v);
            prop_assert!(c.verify(&v));
            prop_assert_eq!(CodeChallenge::parse_s256(c.as_str()).unwrap(), c);
        }

        #[test]
        fn arbitrary_valid_verifier_round_trips(s in "[A-Za-z0-9._~-]{43,128}") {
            let v = CodeVerifier::new(s).unwrap();
            let c = CodeChallenge::s256(&v);
            prop_assert!(c.verify(&v));
            let restored = CodeChallenge::restore(c.method(), c.as_str().to_owned()).unwrap();
            prop_assert!(restored.verify(&v));
        }

        #[test]
        fn verifier_changed_in_one_char_never_verifies(
            s in "[A-Za-z0-9._~-]{43,128}",
            index in any::<prop::sample::Index>(),
            replacement in unreserved(),
        ) {
            let mut chars: Vec<char> = s.chars().collect();
            let i = index.index(chars.len());
            prop_assume!(chars[i] != replacement);
            chars[i] = replacement;
            let changed: String = chars.into_iter().collect();

            let original = CodeVerifier::new(s.clone()).unwrap();
            let changed = CodeVerifier::new(changed).unwrap();
            prop_assert!(!CodeChallenge::s256(&original).verify(&changed));
            prop_assert!(!plain_challenge(&s).unwrap().verify(&changed));
        }
    }
}
