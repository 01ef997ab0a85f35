//! The authorization server's policy: lifetimes, PKCE requirements and the scopes it
//! knows. Built with checked setters, so an out-of-range value (a ten-hour code) is a
//! configuration error at startup instead of a weakness in production.

use std::sync::Arc;

use time::Duration;

use crate::acr;
use crate::error::Error;

/// Which clients must use PKCE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkceRequirement {
    /// Every client, confidential or public (OAuth 2.1; the default).
    AllClients,
    /// Only public clients; confidential clients may omit it (RFC 9700 §2.1.1 allows
    /// this only when another mechanism prevents code injection).
    PublicClientsOnly,
}

/// A scope the server knows about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRule {
    /// The scope token, e.g. `withdraw`.
    pub name: String,
    /// A description for consent pages.
    pub description: String,
    /// The authentication level a subject must reach before this scope may be granted.
    pub required_acr: Option<String>,
}

/// Lifetimes and rules applied to every request.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) code_ttl: Duration,
    pub(crate) interaction_ttl: Duration,
    pub(crate) access_token_ttl: Duration,
    pub(crate) refresh_absolute_ttl: Duration,
    pub(crate) refresh_idle_ttl: Duration,
    pub(crate) code_replay_window: Duration,
    pub(crate) pkce: PkceRequirement,
    pub(crate) allow_plain_pkce: bool,
    pub(crate) scopes: Vec<ScopeRule>,
    /// The same rules, shared: pending interactions carry them without copying.
    pub(crate) shared_scopes: Vec<Arc<ScopeRule>>,
    pub(crate) acr_ranking: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            code_ttl: Duration::seconds(60),
            interaction_ttl: Duration::minutes(10),
            access_token_ttl: Duration::minutes(10),
            refresh_absolute_ttl: Duration::days(30),
            refresh_idle_ttl: Duration::days(7),
            code_replay_window: Duration::hours(24),
            pkce: PkceRequirement::AllClients,
            allow_plain_pkce: false,
            scopes: Vec::new(),
            shared_scopes: Vec::new(),
            acr_ranking: acr::default_ranking(),
        }
    }
}

impl Policy {
    /// The longest authorization code lifetime accepted (RFC 6749 §4.1.2: "A maximum
    /// authorization code lifetime of 10 minutes is RECOMMENDED").
    pub const MAX_CODE_TTL: Duration = Duration::minutes(10);

    /// Sets the authorization code lifetime (default 60 s, at most 10 minutes).
    pub fn code_ttl(mut self, ttl: Duration) -> Result<Self, Error> {
        if ttl <= Duration::ZERO || ttl > Self::MAX_CODE_TTL {
            return Err(Error::Config(
                "code lifetime must be between 1 s and 10 minutes".into(),
            ));
        }
        self.code_ttl = ttl;
        Ok(self)
    }

    /// Sets how long a pending interaction (login and consent) may take (default 10 min).
    pub fn interaction_ttl(mut self, ttl: Duration) -> Result<Self, Error> {
        if ttl <= Duration::ZERO || ttl > Duration::hours(1) {
            return Err(Error::Config(
                "interaction lifetime must be between 1 s and 1 hour".into(),
            ));
        }
        self.interaction_ttl = ttl;
        Ok(self)
    }

    /// Sets the access token lifetime (default 10 minutes, at most 24 hours).
    pub fn access_token_ttl(mut self, ttl: Duration) -> Result<Self, Error> {
        if ttl <= Duration::ZERO || ttl > Duration::hours(24) {
            return Err(Error::Config(
                "access token lifetime must be between 1 s and 24 hours".into(),
            ));
        }
        self.access_token_ttl = ttl;
        Ok(self)
    }

    /// Sets the refresh token lifetimes: `absolute` from the grant's creation, `idle` from
    /// each rotation (defaults 30 days and 7 days; idle may not exceed absolute).
    pub fn refresh_ttl(mut self, absolute: Duration, idle: Duration) -> Result<Self, Error> {
        if absolute <= Duration::ZERO || idle <= Duration::ZERO || idle > absolute {
            return Err(Error::Config(
                "refresh lifetimes must be positive, idle <= absolute".into(),
            ));
        }
        self.refresh_absolute_ttl = absolute;
        self.refresh_idle_ttl = idle;
        Ok(self)
    }

    /// Sets how long a consumed code is remembered so that a replay still revokes its grant
    /// (default 24 hours). Used by the store's purge.
    pub fn code_replay_window(mut self, window: Duration) -> Result<Self, Error> {
        if window < Duration::ZERO {
            return Err(Error::Config("replay window must not be negative".into()));
        }
        self.code_replay_window = window;
        Ok(self)
    }

    /// Sets which clients must use PKCE (default: all).
    pub fn pkce(mut self, requirement: PkceRequirement) -> Self {
        self.pkce = requirement;
        self
    }

    /// Declares a scope. Scopes not declared may still be granted when the client's
    /// registration allows them; declaring one adds a description and an optional required
    /// authentication level.
    pub fn scope(mut self, rule: ScopeRule) -> Self {
        self.scopes.retain(|r| r.name != rule.name);
        self.shared_scopes.retain(|r| r.name != rule.name);
        self.shared_scopes.push(Arc::new(rule.clone()));
        self.scopes.push(rule);
        self
    }

    /// Sets the ranking of `acr` values, weakest first.
    pub fn acr_ranking(mut self, ranking: Vec<String>) -> Self {
        self.acr_ranking = ranking;
        self
    }

    /// The rule declared for `scope`, if any.
    pub fn scope_rule(&self, scope: &str) -> Option<&ScopeRule> {
        self.scopes.iter().find(|r| r.name == scope)
    }

    /// The rule declared for `scope`, if any, shared.
    pub(crate) fn shared_scope_rule(&self, scope: &str) -> Option<&Arc<ScopeRule>> {
        self.shared_scopes.iter().find(|r| r.name == scope)
    }

    /// Every declared scope.
    pub fn scope_rules(&self) -> &[ScopeRule] {
        &self.scopes
    }

    /// The authorization code lifetime.
    pub fn get_code_ttl(&self) -> Duration {
        self.code_ttl
    }

    /// The access token lifetime.
    pub fn get_access_token_ttl(&self) -> Duration {
        self.access_token_ttl
    }

    /// How long consumed codes are remembered for replay detection.
    pub fn get_code_replay_window(&self) -> Duration {
        self.code_replay_window
    }

    pub(crate) fn set_allow_plain_pkce(&mut self, allow: bool) {
        self.allow_plain_pkce = allow;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn code_lifetime_is_capped_at_ten_minutes_rfc6749_4_1_2() {
        assert!(Policy::default().code_ttl(Duration::minutes(11)).is_err());
        assert!(Policy::default().code_ttl(Duration::ZERO).is_err());
        let p = Policy::default().code_ttl(Duration::minutes(10)).unwrap();
        assert_eq!(p.get_code_ttl(), Duration::minutes(10));
    }

    #[test]
    fn defaults_are_short_lived_and_pkce_for_all() {
        let p = Policy::default();
        assert_eq!(p.get_code_ttl(), Duration::seconds(60));
        assert_eq!(p.pkce, PkceRequirement::AllClients);
        assert!(!p.allow_plain_pkce);
    }

    #[test]
    fn refresh_idle_may_not_exceed_absolute() {
        assert!(Policy::default()
            .refresh_ttl(Duration::days(1), Duration::days(2))
            .is_err());
    }
}
