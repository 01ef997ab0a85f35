//! The [`Engine`]: one value holding the issuer, the policy, the store and the pluggable
//! parts (clock, audit sink, throttle, token format), built once at startup with
//! [`EngineBuilder`] and shared (it is a cheap `Clone`) by every request handler.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::events::{Event, EventSink, TracingSink};
use crate::jwt::JwtKeys;
use crate::policy::Policy;
use crate::store::Storage;
use crate::throttle::{MemoryThrottle, Throttle};

/// How access tokens are minted.
#[derive(Debug, Clone)]
pub enum AccessTokenFormat {
    /// 256-bit random strings; resource servers validate them against the store (default).
    Opaque,
    /// Signed JWTs per RFC 9068, verifiable offline with the JWKS; still recorded by `jti`
    /// so revocation and introspection see them.
    Jwt(JwtKeys),
}

pub(crate) struct Inner {
    pub(crate) issuer: String,
    /// `iss=` and the issuer form-encoded: the last parameter of every authorization
    /// response (RFC 9207 §2), encoded once here rather than on every redirect.
    pub(crate) iss_param: String,
    pub(crate) endpoint_base: String,
    pub(crate) audience: String,
    pub(crate) store: Arc<dyn Storage>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) events: Arc<dyn EventSink>,
    pub(crate) throttle: Arc<dyn Throttle>,
    pub(crate) policy: Policy,
    pub(crate) format: AccessTokenFormat,
}

/// The authorization server's protocol engine. Framework-free: requests come in as
/// `http` types, responses go out as [`crate::HttpResponse`].
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("issuer", &self.inner.issuer)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Starts building an engine for `issuer` (an `https` URL without query or fragment;
    /// `http` only on a loopback host) over `store`.
    pub fn builder(issuer: &str, store: Arc<dyn Storage>) -> EngineBuilder {
        EngineBuilder {
            issuer: issuer.trim_end_matches('/').to_owned(),
            endpoint_base: None,
            audience: None,
            store,
            clock: Arc::new(SystemClock),
            events: Arc::new(TracingSink),
            throttle: Arc::new(MemoryThrottle::default()),
            policy: Policy::default(),
            format: AccessTokenFormat::Opaque,
            allow_plain_pkce: false,
        }
    }

    /// The issuer identifier (RFC 8414 §2, RFC 9207).
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Storage> {
        &self.inner.store
    }

    /// The access token format.
    pub fn access_token_format(&self) -> &AccessTokenFormat {
        &self.inner.format
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    /// Reports an audit event, built only if the sink records events at all.
    pub(crate) fn emit(&self, event: impl FnOnce() -> Event) {
        let sink = &self.inner.events;
        if sink.enabled() {
            sink.emit(&event());
        }
    }

    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.inner.endpoint_base, path)
    }

    /// Deletes expired interactions, codes past their replay window and expired or revoked
    /// tokens. Call it periodically (the demos do, every minute).
    pub async fn purge_expired(&self) -> Result<crate::store::PurgeReport, Error> {
        Ok(self
            .inner
            .store
            .purge_expired(self.now(), self.inner.policy.code_replay_window)
            .await?)
    }
}

/// Configures an [`Engine`].
pub struct EngineBuilder {
    issuer: String,
    endpoint_base: Option<String>,
    audience: Option<String>,
    store: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    throttle: Arc<dyn Throttle>,
    policy: Policy,
    format: AccessTokenFormat,
    /// Set only through `danger::allow_plain_pkce`; kept apart from `policy` so that a
    /// later `.policy(..)` call cannot silently undo it.
    allow_plain_pkce: bool,
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl EngineBuilder {
    /// The absolute URL the endpoints are mounted under (default: the issuer). The
    /// endpoints are `/authorize`, `/token`, `/revoke`, `/introspect` and `/jwks.json`
    /// below it; metadata names them.
    pub fn endpoint_base(mut self, base: &str) -> Self {
        self.endpoint_base = Some(base.trim_end_matches('/').to_owned());
        self
    }

    /// The `aud` of JWT access tokens (default: the issuer).
    pub fn audience(mut self, audience: &str) -> Self {
        self.audience = Some(audience.to_owned());
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The audit event sink (default: [`TracingSink`]).
    pub fn events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// The client-authentication throttle (default: [`MemoryThrottle`]).
    pub fn throttle(mut self, throttle: Arc<dyn Throttle>) -> Self {
        self.throttle = throttle;
        self
    }

    /// The policy (default: [`Policy::default`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Mint JWT access tokens (RFC 9068) signed with `keys` instead of opaque ones.
    pub fn jwt_access_tokens(mut self, keys: JwtKeys) -> Self {
        self.format = AccessTokenFormat::Jwt(keys);
        self
    }

    pub(crate) fn allow_plain_pkce(&mut self) {
        self.allow_plain_pkce = true;
    }

    /// Checks the configuration and builds the engine.
    pub fn build(mut self) -> Result<Engine, Error> {
        validate_issuer(&self.issuer)?;
        self.policy.set_allow_plain_pkce(self.allow_plain_pkce);
        let endpoint_base = self.endpoint_base.unwrap_or_else(|| self.issuer.clone());
        let audience = self.audience.unwrap_or_else(|| self.issuer.clone());
        let mut iss_param = String::from("iss=");
        crate::authorize::push_form_encoded(&mut iss_param, &self.issuer);
        Ok(Engine {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                iss_param,
                endpoint_base,
                audience,
                store: self.store,
                clock: self.clock,
                events: self.events,
                throttle: self.throttle,
                policy: self.policy,
                format: self.format,
            }),
        })
    }
}

/// RFC 8414 §2: the issuer is an `https` URL with no query or fragment. Plain `http` is
/// accepted only for loopback hosts, for development.
fn validate_issuer(issuer: &str) -> Result<(), Error> {
    let loopback = ["http://127.0.0.1", "http://[::1]", "http://localhost"];
    let scheme_ok = issuer.starts_with("https://")
        || loopback.iter().any(|prefix| {
            issuer
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    if !scheme_ok || issuer.contains(['?', '#']) || issuer.chars().any(char::is_whitespace) {
        return Err(Error::Config(
            "issuer must be an https URL (http only on loopback) without query or fragment".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_must_be_https_or_loopback_rfc8414_2() {
        assert!(validate_issuer("https://auth.bank.example").is_ok());
        assert!(validate_issuer("http://127.0.0.1:8080").is_ok());
        assert!(validate_issuer("http://bank.example").is_err());
        assert!(validate_issuer("http://127.0.0.1.evil.example").is_err());
        assert!(validate_issuer("https://auth.example/?x=1").is_err());
        assert!(validate_issuer("https://auth.example/#f").is_err());
    }
}
