//! Feeds arbitrary input (as lossy UTF-8) to every latchkey-pkce parser and
//! checks that whatever a parser accepts round-trips and is self-consistent.
#![no_main]

use latchkey_pkce::{
    danger, ChallengeError, CodeChallenge, CodeChallengeMethod, CodeVerifier, Nonce, SecretDigest,
    State,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let s: &str = &input;

    if let Ok(verifier) = CodeVerifier::new(s) {
        assert_eq!(verifier.secret(), s);
        let challenge = CodeChallenge::s256(&verifier);
        assert!(challenge.verify(&verifier));
        assert!(CodeChallenge::parse_s256(challenge.as_str()).is_ok());
        // Every valid verifier is also a valid plain challenge of itself.
        let plain = danger::plain_challenge(s);
        assert!(plain.as_ref().is_ok_and(|c| c.verify(&verifier)));
    }

    let s256 = CodeChallenge::parse_s256(s);
    if let Ok(c) = &s256 {
        assert_eq!(c.method(), CodeChallengeMethod::S256);
        assert_eq!(c.as_str(), s);
    }
    assert_eq!(
        CodeChallenge::restore(CodeChallengeMethod::S256, s.to_owned()),
        s256
    );
    assert_eq!(CodeChallenge::parse(Some("S256"), s), s256);
    assert_eq!(
        CodeChallenge::parse(None, s),
        Err(ChallengeError::PlainNotAllowed)
    );
    let _ = CodeChallenge::parse(Some(s), s);

    let plain = danger::plain_challenge(s);
    assert_eq!(
        CodeChallenge::restore(CodeChallengeMethod::Plain, s.to_owned()),
        plain
    );

    if let Ok(method) = s.parse::<CodeChallengeMethod>() {
        assert_eq!(method.as_str(), s);
    }

    if let Ok(state) = State::parse(s) {
        assert_eq!(state.as_str(), s);
        assert!(state.ct_eq(s));
    }
    if let Ok(nonce) = Nonce::parse(s) {
        assert_eq!(nonce.as_str(), s);
        assert!(nonce.ct_eq(s));
    }

    if let Some(digest) = SecretDigest::from_hex(s) {
        assert_eq!(digest.to_hex(), s.to_ascii_lowercase());
    }
    assert_eq!(SecretDigest::from_slice(data).is_some(), data.len() == 32);
    let digest = SecretDigest::of(s);
    assert!(digest.matches(s));
});
