//! Fresh, random test data. Every id, digest, client and subject the kit stores is new,
//! so the kit can run again and again against one database (and beside other runs) without
//! colliding; every time is a whole second, since a store may keep times at one-second
//! precision.

use latchkey_engine::pkce::{fill_random, CodeChallenge, CodeVerifier, Nonce, SecretDigest, State};
use latchkey_engine::store::{
    AccessTokenRecord, CodeRecord, InteractionRecord, PlannedRefresh, PlannedTokens,
    RefreshTokenRecord,
};
use latchkey_engine::types::{ClientId, RedirectUri, Scope};
use latchkey_engine::{Authentication, Grant, GrantId, Subject};
use time::{Duration, OffsetDateTime};

/// How long the kit's access tokens live.
pub(crate) const ACCESS_TTL: Duration = Duration::hours(1);
/// How long the kit's refresh tokens live.
pub(crate) const REFRESH_TTL: Duration = Duration::days(1);
/// How long the kit's codes and interactions live.
pub(crate) const CODE_TTL: Duration = Duration::minutes(10);

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if fill_random(&mut buf).is_err() {
        panic!("latchkey-testkit: the operating system's random source failed");
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn valid<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("latchkey-testkit: building a test {what} failed: {e:?}"),
    }
}

/// The current time, truncated to whole seconds.
pub(crate) fn now() -> OffsetDateTime {
    let secs = OffsetDateTime::now_utc().unix_timestamp();
    valid(OffsetDateTime::from_unix_timestamp(secs), "time")
}

/// A fresh random digest (as if of a new code, token or handle).
pub(crate) fn digest() -> SecretDigest {
    SecretDigest::of(&random_hex(32))
}

/// A fresh client id no store has seen.
pub(crate) fn client_id() -> ClientId {
    valid(
        ClientId::new(&format!("kit-client-{}", random_hex(8))),
        "client id",
    )
}

/// A fresh subject.
pub(crate) fn subject() -> Subject {
    valid(
        Subject::new(format!("kit-user-{}", random_hex(8))),
        "subject",
    )
}

fn redirect() -> RedirectUri {
    valid(RedirectUri::parse("https://app.example/cb"), "redirect URI")
}

fn scope() -> Scope {
    valid(Scope::parse("openid profile kit:read"), "scope")
}

/// A fresh user grant for `client` made at `at`, with authentication details.
pub(crate) fn grant(client: &ClientId, subject: Option<Subject>, at: OffsetDateTime) -> Grant {
    let authentication = subject.as_ref().map(|_| Authentication {
        auth_time: at - Duration::minutes(1),
        acr: "urn:latchkey:kit:acr".to_owned(),
        amr: vec!["pwd".to_owned(), "otp".to_owned()],
    });
    Grant {
        id: valid(GrantId::generate(), "grant id"),
        client_id: client.clone(),
        subject,
        scope: scope(),
        authentication,
        created_at: at,
        refresh_expires_at: Some(at + Duration::days(30)),
    }
}

/// A minimal grant: no subject, no authentication, empty scope, no absolute lifetime.
pub(crate) fn bare_grant(client: &ClientId, at: OffsetDateTime) -> Grant {
    Grant {
        id: valid(GrantId::generate(), "grant id"),
        client_id: client.clone(),
        subject: None,
        scope: Scope::empty(),
        authentication: None,
        created_at: at,
        refresh_expires_at: None,
    }
}

/// A pending interaction for a fresh client, with every optional field set.
pub(crate) fn interaction(at: OffsetDateTime) -> InteractionRecord {
    let verifier = valid(CodeVerifier::generate(), "code verifier");
    InteractionRecord {
        client_id: client_id(),
        redirect_uri: redirect(),
        redirect_uri_sent: true,
        scope: scope(),
        state: Some(valid(State::parse(&random_hex(12)), "state")),
        code_challenge: Some(CodeChallenge::s256(&verifier)),
        nonce: Some(valid(Nonce::parse(&random_hex(12)), "nonce")),
        created_at: at,
        expires_at: at + CODE_TTL,
    }
}

/// An authorization code creating `grant`, issued at `at`.
pub(crate) fn code(grant: Grant, at: OffsetDateTime) -> CodeRecord {
    let verifier = valid(CodeVerifier::generate(), "code verifier");
    CodeRecord {
        digest: digest(),
        grant,
        redirect_uri: redirect(),
        redirect_uri_sent: false,
        code_challenge: Some(CodeChallenge::s256(&verifier)),
        nonce: Some(valid(Nonce::parse(&random_hex(12)), "nonce")),
        issued_at: at,
        expires_at: at + CODE_TTL,
    }
}

/// An access token of `grant_id` issued at `at`.
pub(crate) fn access(grant_id: GrantId, at: OffsetDateTime) -> AccessTokenRecord {
    AccessTokenRecord {
        digest: digest(),
        grant_id,
        scope: valid(Scope::parse("kit:read"), "scope"),
        issued_at: at,
        expires_at: at + ACCESS_TTL,
    }
}

/// An unused refresh token of `grant_id` issued at `at`.
pub(crate) fn refresh(grant_id: GrantId, at: OffsetDateTime) -> RefreshTokenRecord {
    RefreshTokenRecord {
        digest: digest(),
        grant_id,
        issued_at: at,
        expires_at: at + REFRESH_TTL,
        used_at: None,
    }
}

/// The tokens a code exchange at `at` would plan: fresh digests, the kit's lifetimes, and
/// a refresh token (idle end `at + REFRESH_TTL`).
pub(crate) fn planned(at: OffsetDateTime) -> PlannedTokens {
    PlannedTokens {
        issued_at: at,
        access_digest: digest(),
        access_expires_at: at + ACCESS_TTL,
        refresh: Some(PlannedRefresh {
            digest: digest(),
            idle_expires_at: at + REFRESH_TTL,
        }),
    }
}
