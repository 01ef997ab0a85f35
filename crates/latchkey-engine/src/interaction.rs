//! The integrator's side of an authorization: the pending interaction it receives (with
//! an unguessable handle, [`InteractionId`]), the [`Decision`] it hands back, and the
//! [`InteractionHandler`] that sends the browser from the authorization endpoint to its
//! own login and consent pages. The engine never sees a password: only this data crosses.

use std::fmt;
use std::sync::Arc;

use latchkey_pkce::SecretDigest;
use latchkey_types::{ClientId, Scope};

use crate::grant::{Authentication, Subject};
use crate::policy::ScopeRule;
use crate::response::{self, HttpResponse};
use crate::store::InteractionRecord;

/// The handle of a pending interaction, carried by the integrator's login and consent
/// pages. Unguessable (256 bits); the store keeps only its digest. `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct InteractionId(pub(crate) String);

impl InteractionId {
    /// Wraps a handle received from a login or consent form.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The handle, to embed in a form or URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn digest(&self) -> SecretDigest {
        SecretDigest::of(&self.0)
    }
}

impl fmt::Debug for InteractionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InteractionId([redacted])")
    }
}

/// A validated authorization request waiting for login and consent.
#[derive(Debug, Clone)]
pub struct PendingInteraction {
    /// The handle to carry through the login and consent pages.
    pub id: InteractionId,
    /// The requesting client's id.
    pub client_id: ClientId,
    /// The requesting client's display name.
    pub client_name: String,
    /// The scope requested.
    pub scope: Scope,
    /// The declared rules (description, required level) of each requested scope that has one.
    pub scope_rules: Vec<Arc<ScopeRule>>,
    /// The request as stored.
    pub record: InteractionRecord,
}

impl PendingInteraction {
    /// The `acr` values required by the requested scopes (the integrator should have the
    /// user reach the strongest of them before approving those scopes).
    pub fn required_acrs(&self) -> Vec<&str> {
        self.scope_rules
            .iter()
            .filter_map(|r| r.required_acr.as_deref())
            .collect()
    }
}

/// The approval of an authorization request by its resource owner.
#[derive(Debug, Clone)]
pub struct Approval {
    /// Who approved.
    pub subject: Subject,
    /// What was granted: a non-empty subset of the requested scope.
    pub scope: Scope,
    /// How the subject authenticated.
    pub authentication: Authentication,
}

/// The integrator's answer to a pending interaction.
#[derive(Debug, Clone)]
pub enum Decision {
    /// The resource owner approved.
    Approve(Approval),
    /// The resource owner refused (redirects with `access_denied`).
    Deny,
}

/// What the adapters do with a valid authorization request: hand the browser to the
/// integrator's login and consent pages. Framework-free so both adapters share one.
pub trait InteractionHandler: Send + Sync + 'static {
    /// The response that starts login and consent for `pending` (typically a 303 to the
    /// login page, binding the interaction to the browser with a cookie).
    fn start(&self, pending: PendingInteraction) -> HttpResponse;
}

/// The default [`InteractionHandler`]: `303` to `login_url` with the interaction id in
/// the `interaction` query parameter.
#[derive(Debug, Clone)]
pub struct RedirectToLogin {
    /// The integrator's login page.
    pub login_url: String,
}

impl InteractionHandler for RedirectToLogin {
    fn start(&self, pending: PendingInteraction) -> HttpResponse {
        let separator = if self.login_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("interaction", pending.id.as_str())
            .finish();
        response::redirect(&format!("{}{separator}{query}", self.login_url))
    }
}
