//! How the memory store keeps long-lived records: compactly. A million outstanding codes
//! or live grants repeat the same few client ids, redirect URIs, scopes, `acr` and `amr`
//! values, so those are interned once and shared (`Arc`); an S256 challenge is kept as its
//! 32 digest bytes; a digest already serving as the map key is not stored again. The
//! public record types are rebuilt, field for field identical, when a record is read.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use latchkey_pkce::{CodeChallenge, CodeChallengeMethod, Nonce, SecretDigest};
use latchkey_types::{ClientId, RedirectUri, Scope};
use time::OffsetDateTime;

use crate::grant::{Authentication, Grant, GrantId, Subject};
use crate::store::{AccessTokenRecord, CodeRecord, RefreshTokenRecord, StoreError};

/// Values shared by many records, each kept once.
#[derive(Debug, Default)]
pub(super) struct Interner {
    clients: Shared<ClientId>,
    scopes: Shared<Scope>,
    redirects: Shared<RedirectUri>,
    strs: Shared<str>,
    amrs: Shared<[String]>,
}

/// One kind of interned value, with the one interned last: consecutive records mostly
/// repeat it (same client, scope, `acr`), and comparing with it is cheaper than hashing.
#[derive(Debug)]
struct Shared<T: ?Sized> {
    set: HashSet<Arc<T>>,
    last: Option<Arc<T>>,
}

impl<T: ?Sized> Default for Shared<T> {
    fn default() -> Self {
        Self {
            set: HashSet::new(),
            last: None,
        }
    }
}

impl<T: ?Sized + Hash + Eq> Shared<T> {
    fn intern<Q>(&mut self, value: &Q, make: impl FnOnce(&Q) -> Arc<T>) -> Arc<T>
    where
        T: std::borrow::Borrow<Q>,
        Q: ?Sized + Hash + Eq,
        Arc<T>: std::borrow::Borrow<Q>,
    {
        if let Some(last) = &self.last {
            let last_value: &T = last;
            if last_value.borrow() == value {
                return Arc::clone(last);
            }
        }
        let shared = match self.set.get(value) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared = make(value);
                self.set.insert(Arc::clone(&shared));
                shared
            }
        };
        self.last = Some(Arc::clone(&shared));
        shared
    }

    /// Drops the values no record refers to any more.
    fn prune(&mut self) {
        self.last = None;
        self.set.retain(|v| Arc::strong_count(v) > 1);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.set.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("memory store: {what}"))
}

impl Interner {
    fn client(&mut self, id: &ClientId) -> Arc<ClientId> {
        self.clients.intern(id, |id| Arc::new(id.clone()))
    }

    fn scope(&mut self, scope: &Scope) -> Arc<Scope> {
        self.scopes.intern(scope, |s| Arc::new(s.clone()))
    }

    fn redirect(&mut self, uri: &RedirectUri) -> Arc<RedirectUri> {
        self.redirects.intern(uri, |u| Arc::new(u.clone()))
    }

    fn str(&mut self, value: &str) -> Arc<str> {
        self.strs.intern(value, |v: &str| Arc::from(v))
    }

    fn amr(&mut self, amr: &[String]) -> Arc<[String]> {
        self.amrs.intern(amr, |v: &[String]| Arc::from(v))
    }

    /// Drops values no record refers to any more (after a purge).
    pub(super) fn prune(&mut self) {
        self.clients.prune();
        self.scopes.prune();
        self.redirects.prune();
        self.strs.prune();
        self.amrs.prune();
    }

    pub(super) fn grant(&mut self, grant: &Grant) -> CompactGrant {
        CompactGrant {
            id: grant.id,
            client_id: self.client(&grant.client_id),
            subject: grant.subject.clone(),
            scope: self.scope(&grant.scope),
            authentication: grant
                .authentication
                .as_ref()
                .map(|a| CompactAuthentication {
                    auth_time: a.auth_time,
                    acr: self.str(&a.acr),
                    amr: self.amr(&a.amr),
                }),
            created_at: grant.created_at,
            refresh_expires_at: grant.refresh_expires_at,
        }
    }

    pub(super) fn code(&mut self, code: &CodeRecord) -> CompactCode {
        CompactCode {
            grant: self.grant(&code.grant),
            redirect_uri: self.redirect(&code.redirect_uri),
            redirect_uri_sent: code.redirect_uri_sent,
            consumed: false,
            code_challenge: code.code_challenge.as_ref().map(Challenge::of),
            nonce: code.nonce.as_ref().map(|n| Box::from(n.as_str())),
            issued_at: code.issued_at,
            expires_at: code.expires_at,
        }
    }

    pub(super) fn access(&mut self, access: &AccessTokenRecord) -> CompactAccess {
        CompactAccess {
            grant_id: access.grant_id,
            scope: self.scope(&access.scope),
            issued_at: access.issued_at,
            expires_at: access.expires_at,
        }
    }
}

/// How the subject authenticated, with `acr` and `amr` shared.
#[derive(Debug)]
pub(super) struct CompactAuthentication {
    auth_time: OffsetDateTime,
    acr: Arc<str>,
    amr: Arc<[String]>,
}

/// A [`Grant`], its repeated parts shared.
#[derive(Debug)]
pub(super) struct CompactGrant {
    pub(super) id: GrantId,
    pub(super) client_id: Arc<ClientId>,
    subject: Option<Subject>,
    scope: Arc<Scope>,
    authentication: Option<CompactAuthentication>,
    created_at: OffsetDateTime,
    refresh_expires_at: Option<OffsetDateTime>,
}

impl CompactGrant {
    /// Whether the grant is the subject's.
    pub(super) fn is_subject(&self, subject: &Subject) -> bool {
        self.subject.as_ref() == Some(subject)
    }

    pub(super) fn restore(&self) -> Result<Grant, StoreError> {
        Ok(Grant {
            id: self.id,
            client_id: ClientId::clone(&self.client_id),
            subject: self.subject.clone(),
            scope: Scope::clone(&self.scope),
            authentication: self.authentication.as_ref().map(|a| Authentication {
                auth_time: a.auth_time,
                acr: a.acr.to_string(),
                amr: a.amr.to_vec(),
            }),
            created_at: self.created_at,
            refresh_expires_at: self.refresh_expires_at,
        })
    }
}

/// A PKCE challenge: an S256 value is the base64url form of a SHA-256 digest, kept as
/// the 32 bytes.
#[derive(Debug)]
enum Challenge {
    S256([u8; 32]),
    Other(CodeChallengeMethod, Box<str>),
}

impl Challenge {
    fn of(challenge: &CodeChallenge) -> Self {
        let mut digest = [0u8; 32];
        match challenge.method() {
            // The decoder is strict (no padding, no stray trailing bits), so 32 bytes out
            // means the value is their one canonical encoding and re-encodes to itself.
            CodeChallengeMethod::S256
                if URL_SAFE_NO_PAD.decode_slice(challenge.as_str(), &mut digest) == Ok(32) =>
            {
                Self::S256(digest)
            }
            method => Self::Other(method, Box::from(challenge.as_str())),
        }
    }

    fn restore(&self) -> Result<CodeChallenge, StoreError> {
        match self {
            Self::S256(digest) => Ok(CodeChallenge::from_s256_digest(digest)),
            Self::Other(method, value) => CodeChallenge::restore(*method, value.to_string())
                .map_err(|_| corrupt("code challenge")),
        }
    }
}

/// An issued code and whether it was consumed; its digest is the map key.
#[derive(Debug)]
pub(super) struct CompactCode {
    pub(super) grant: CompactGrant,
    redirect_uri: Arc<RedirectUri>,
    redirect_uri_sent: bool,
    pub(super) consumed: bool,
    code_challenge: Option<Challenge>,
    nonce: Option<Box<str>>,
    issued_at: OffsetDateTime,
    pub(super) expires_at: OffsetDateTime,
}

impl CompactCode {
    pub(super) fn restore(&self, digest: &SecretDigest) -> Result<CodeRecord, StoreError> {
        Ok(CodeRecord {
            digest: *digest,
            grant: self.grant.restore()?,
            redirect_uri: RedirectUri::clone(&self.redirect_uri),
            redirect_uri_sent: self.redirect_uri_sent,
            code_challenge: self
                .code_challenge
                .as_ref()
                .map(Challenge::restore)
                .transpose()?,
            nonce: match &self.nonce {
                Some(n) => Some(Nonce::parse(n).map_err(|_| corrupt("nonce"))?),
                None => None,
            },
            issued_at: self.issued_at,
            expires_at: self.expires_at,
        })
    }
}

/// An access token; its digest is the map key.
#[derive(Debug)]
pub(super) struct CompactAccess {
    pub(super) grant_id: GrantId,
    scope: Arc<Scope>,
    issued_at: OffsetDateTime,
    pub(super) expires_at: OffsetDateTime,
}

impl CompactAccess {
    pub(super) fn restore(&self, digest: &SecretDigest) -> AccessTokenRecord {
        AccessTokenRecord {
            digest: *digest,
            grant_id: self.grant_id,
            scope: Scope::clone(&self.scope),
            issued_at: self.issued_at,
            expires_at: self.expires_at,
        }
    }
}

/// A refresh token; its digest is the map key.
#[derive(Debug)]
pub(super) struct CompactRefresh {
    pub(super) grant_id: GrantId,
    issued_at: OffsetDateTime,
    pub(super) expires_at: OffsetDateTime,
    pub(super) used_at: Option<OffsetDateTime>,
}

impl CompactRefresh {
    pub(super) fn of(refresh: &RefreshTokenRecord) -> Self {
        Self {
            grant_id: refresh.grant_id,
            issued_at: refresh.issued_at,
            expires_at: refresh.expires_at,
            used_at: refresh.used_at,
        }
    }

    pub(super) fn restore(&self, digest: &SecretDigest) -> RefreshTokenRecord {
        RefreshTokenRecord {
            digest: *digest,
            grant_id: self.grant_id,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            used_at: self.used_at,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use latchkey_pkce::CodeVerifier;

    fn record(challenge: Option<CodeChallenge>, nonce: Option<Nonce>) -> CodeRecord {
        let now = OffsetDateTime::now_utc();
        CodeRecord {
            digest: SecretDigest::of("code"),
            grant: Grant {
                id: GrantId::generate().unwrap(),
                client_id: ClientId::new("wallet-web").unwrap(),
                subject: Some(Subject::new("user-000001").unwrap()),
                scope: Scope::parse("balance:read trade").unwrap(),
                authentication: Some(Authentication {
                    auth_time: now,
                    acr: "urn:latchkey:acr:sca".to_owned(),
                    amr: vec!["pwd".to_owned(), "otp".to_owned()],
                }),
                created_at: now,
                refresh_expires_at: Some(now + time::Duration::days(1)),
            },
            redirect_uri: RedirectUri::parse("https://wallet.example/callback").unwrap(),
            redirect_uri_sent: true,
            code_challenge: challenge,
            nonce,
            issued_at: now,
            expires_at: now + time::Duration::minutes(1),
        }
    }

    #[test]
    fn s256_challenges_are_kept_as_digests_and_round_trip() {
        for _ in 0..256 {
            let verifier = CodeVerifier::generate().unwrap();
            let challenge = CodeChallenge::s256(&verifier);
            let kept = Challenge::of(&challenge);
            assert!(matches!(kept, Challenge::S256(_)));
            assert_eq!(kept.restore().unwrap(), challenge);
        }
    }

    #[test]
    fn codes_round_trip_field_for_field_and_share_repeated_values() {
        let mut interner = Interner::default();
        let verifier = CodeVerifier::generate().unwrap();
        let plain = latchkey_pkce::danger::plain_challenge(verifier.secret()).unwrap();
        for original in [
            record(Some(CodeChallenge::s256(&verifier)), None),
            record(Some(plain), Some(Nonce::parse("n-0S6_WzA2Mj").unwrap())),
            record(None, None),
        ] {
            let compact = interner.code(&original);
            assert_eq!(compact.restore(&original.digest).unwrap(), original);
        }
        assert_eq!(interner.clients.len(), 1);
        assert_eq!(interner.scopes.len(), 1);
        assert_eq!(interner.redirects.len(), 1);
    }

    #[test]
    fn tokens_round_trip_and_unused_values_are_pruned() {
        let mut interner = Interner::default();
        let grant = record(None, None).grant;
        let compact = interner.grant(&grant);
        assert_eq!(compact.restore().unwrap(), grant);
        let access = AccessTokenRecord {
            digest: SecretDigest::of("a"),
            grant_id: grant.id,
            scope: Scope::parse("trade").unwrap(),
            issued_at: grant.created_at,
            expires_at: grant.created_at,
        };
        let compact_access = interner.access(&access);
        assert_eq!(compact_access.restore(&access.digest), access);
        let refresh = RefreshTokenRecord {
            digest: SecretDigest::of("r"),
            grant_id: grant.id,
            issued_at: grant.created_at,
            expires_at: grant.created_at,
            used_at: Some(grant.created_at),
        };
        assert_eq!(
            CompactRefresh::of(&refresh).restore(&refresh.digest),
            refresh
        );
        drop(compact);
        interner.prune();
        assert_eq!(
            interner.scopes.len(),
            1,
            "the access token still uses `trade`"
        );
        assert!(interner.clients.is_empty());
    }
}
