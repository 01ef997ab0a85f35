//! The authorization endpoint (RFC 6749 §4.1.1–4.1.2, RFC 9207), in two steps. *Begin*
//! validates the request — client and redirect URI first, since nothing may be redirected
//! to an unverified URI — and stores a pending interaction. The integrator's own login and
//! consent pages then load it and hand back a [`Decision`]; *finish* checks the decision
//! against the scopes' required authentication levels and redirects with `code`, `state`
//! and `iss` (or `access_denied`).

use std::fmt;

use http::StatusCode;
use latchkey_pkce::{random_token, CodeChallenge, CodeChallengeMethod, SecretDigest};
use latchkey_types::{
    AuthorizationRequest, AuthorizationRequestError, ClientId, ErrorCode, ErrorResponse, GrantType,
    RedirectUri, Scope,
};

use crate::engine::Engine;
use crate::error::Error;
use crate::events::Event;
use crate::grant::{Authentication, Grant, GrantId, Subject};
use crate::policy::{PkceRequirement, ScopeRule};
use crate::response::{self, HttpResponse};
use crate::store::{Client, CodeRecord, InteractionRecord};

/// The handle of a pending interaction, carried by the integrator's login and consent
/// pages. Unguessable (256 bits); the store keeps only its digest. `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct InteractionId(String);

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
    pub scope_rules: Vec<ScopeRule>,
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

/// What *begin* decided.
#[derive(Debug)]
pub enum AuthorizationStart {
    /// The request is valid: show login and consent for it.
    Interaction(PendingInteraction),
    /// The request is invalid but its redirect URI is verified: send this redirect,
    /// which carries `error`, `state` and `iss`.
    Redirect(HttpResponse),
    /// The client or redirect URI cannot be trusted: show an error page, never redirect
    /// (RFC 6749 §4.1.2.1). `response` is a ready plain page; `error` lets you render your own.
    ErrorPage {
        /// What went wrong.
        error: ErrorResponse,
        /// A ready-made error page.
        response: HttpResponse,
    },
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

/// Builds `redirect_uri` plus response parameters, keeping any query the registered URI
/// has (RFC 6749 §3.1.2: "MUST retain the query component").
fn redirect_with(redirect_uri: &RedirectUri, params: &[(&str, &str)]) -> HttpResponse {
    let base = redirect_uri.as_str();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    response::redirect(&format!("{base}{separator}{}", query.finish()))
}

fn error_page(error: ErrorResponse, status: StatusCode) -> AuthorizationStart {
    let message = error.error_description.as_ref().map_or_else(
        || error.error.as_str().to_owned(),
        |d| d.as_str().to_owned(),
    );
    AuthorizationStart::ErrorPage {
        response: response::error_page(status, &message),
        error,
    }
}

fn page_for(error: &Error) -> AuthorizationStart {
    let wire = error.to_wire();
    let status = if wire.status.is_server_error() {
        wire.status
    } else {
        StatusCode::BAD_REQUEST
    };
    error_page(wire.body, status)
}

impl Engine {
    fn redirect_error(
        &self,
        redirect_uri: &RedirectUri,
        error: &ErrorResponse,
        state: Option<&latchkey_pkce::State>,
    ) -> AuthorizationStart {
        let mut params = vec![("error", error.error.as_str())];
        if let Some(d) = &error.error_description {
            params.push(("error_description", d.as_str()));
        }
        if let Some(s) = state {
            params.push(("state", s.as_str()));
        }
        params.push(("iss", self.issuer()));
        AuthorizationStart::Redirect(redirect_with(redirect_uri, &params))
    }

    /// Resolves the client and the redirect URI to answer to, or says why it cannot.
    async fn trusted_target(
        &self,
        client_id: &ClientId,
        requested: Option<&RedirectUri>,
    ) -> Result<(Client, RedirectUri), AuthorizationStart> {
        let client = match self.inner.store.get_client(client_id).await {
            Ok(Some(client)) => client,
            Ok(None) => {
                return Err(error_page(
                    ErrorResponse::new(ErrorCode::InvalidRequest)
                        .with_description("unknown client"),
                    StatusCode::BAD_REQUEST,
                ))
            }
            Err(e) => return Err(page_for(&Error::Store(e))),
        };
        let target = match requested {
            // RFC 9700 §4.1.3: exact string matching (loopback port aside, RFC 8252 §7.3).
            Some(uri) => client
                .redirect_uris
                .iter()
                .any(|registered| registered.matches(uri))
                .then(|| uri.clone()),
            // RFC 6749 §3.1.2.3: may be omitted only when exactly one is registered.
            None => match client.redirect_uris.as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            },
        };
        match target {
            Some(uri) => Ok((client, uri)),
            None => Err(error_page(
                ErrorResponse::new(ErrorCode::InvalidRequest)
                    .with_description("redirect_uri is missing or not registered for this client"),
                StatusCode::BAD_REQUEST,
            )),
        }
    }

    /// Step one: validates an authorization request's query string (without the `?`).
    pub async fn begin_authorization(&self, query: &str) -> AuthorizationStart {
        let request = match AuthorizationRequest::parse(query) {
            Ok(request) => request,
            Err(AuthorizationRequestError::Redirectable {
                client_id,
                redirect_uri,
                state,
                error,
            }) => {
                return match self.trusted_target(&client_id, redirect_uri.as_ref()).await {
                    Ok((_, target)) => self.redirect_error(&target, &error, state.as_ref()),
                    Err(page) => page,
                }
            }
            Err(other) => return error_page(other.error_response(), StatusCode::BAD_REQUEST),
        };
        let (client, redirect_uri) = match self
            .trusted_target(&request.client_id, request.redirect_uri.as_ref())
            .await
        {
            Ok(found) => found,
            Err(page) => return page,
        };
        let state = request.state.as_ref();
        let fail = |code: ErrorCode, description: &str| {
            self.redirect_error(
                &redirect_uri,
                &ErrorResponse::new(code).with_description(description),
                state,
            )
        };
        if !client.allows_grant(GrantType::AuthorizationCode) {
            return fail(
                ErrorCode::UnauthorizedClient,
                "client may not use the authorization code grant",
            );
        }
        // RFC 6749 §3.3: absent scope means the client's registered (default) scope.
        let scope = request
            .scope
            .clone()
            .unwrap_or_else(|| client.scope.clone());
        if scope.is_empty() || !scope.is_subset_of(&client.scope) {
            return fail(
                ErrorCode::InvalidScope,
                "requested scope is not allowed for this client",
            );
        }
        let code_challenge = match self.check_pkce(&client, &request) {
            Ok(challenge) => challenge,
            Err(description) => return fail(ErrorCode::InvalidRequest, description),
        };
        let now = self.now();
        let record = InteractionRecord {
            client_id: client.id.clone(),
            redirect_uri,
            redirect_uri_sent: request.redirect_uri.is_some(),
            scope,
            state: request.state.clone(),
            code_challenge,
            nonce: request.nonce.clone(),
            created_at: now,
            expires_at: now + self.inner.policy.interaction_ttl,
        };
        let id = match random_token() {
            Ok(value) => InteractionId(value),
            Err(_) => return page_for(&Error::Randomness),
        };
        if let Err(e) = self
            .inner
            .store
            .put_interaction(&id.digest(), &record)
            .await
        {
            return page_for(&Error::Store(e));
        }
        AuthorizationStart::Interaction(self.pending(id, client.name, record))
    }

    /// RFC 7636 §4.4.1 and RFC 9700 §2.1.1: PKCE with S256; `plain` only when explicitly
    /// allowed through [`crate::danger`].
    fn check_pkce(
        &self,
        client: &Client,
        request: &AuthorizationRequest,
    ) -> Result<Option<CodeChallenge>, &'static str> {
        let policy = &self.inner.policy;
        let Some(value) = request.code_challenge.as_deref() else {
            let required = match policy.pkce {
                PkceRequirement::AllClients => true,
                PkceRequirement::PublicClientsOnly => !client.is_confidential(),
            };
            return if required {
                Err("code_challenge required")
            } else {
                Ok(None)
            };
        };
        // RFC 7636 §4.3: an absent method defaults to "plain".
        match request
            .code_challenge_method
            .unwrap_or(CodeChallengeMethod::Plain)
        {
            CodeChallengeMethod::S256 => CodeChallenge::parse_s256(value)
                .map(Some)
                .map_err(|_| "code_challenge is not a valid S256 challenge"),
            CodeChallengeMethod::Plain if policy.allow_plain_pkce => {
                latchkey_pkce::danger::plain_challenge(value)
                    .map(Some)
                    .map_err(|_| "code_challenge is malformed")
            }
            CodeChallengeMethod::Plain => Err("transform algorithm not supported: use S256"),
        }
    }

    fn pending(
        &self,
        id: InteractionId,
        client_name: String,
        record: InteractionRecord,
    ) -> PendingInteraction {
        let scope_rules = record
            .scope
            .iter()
            .filter_map(|s| self.inner.policy.scope_rule(s).cloned())
            .collect();
        PendingInteraction {
            id,
            client_id: record.client_id.clone(),
            client_name,
            scope: record.scope.clone(),
            scope_rules,
            record,
        }
    }

    /// Loads a pending interaction for the login and consent pages. `None` if unknown,
    /// finished or expired.
    pub async fn pending_interaction(
        &self,
        id: &InteractionId,
    ) -> Result<Option<PendingInteraction>, Error> {
        let Some(record) = self
            .inner
            .store
            .get_interaction(&id.digest(), self.now())
            .await?
        else {
            return Ok(None);
        };
        let name = self
            .inner
            .store
            .get_client(&record.client_id)
            .await?
            .map_or_else(|| record.client_id.as_str().to_owned(), |c| c.name);
        Ok(Some(self.pending(id.clone(), name, record)))
    }

    /// Step two: applies the resource owner's decision and answers with the `303`
    /// redirect to send. An approval that grants a scope requiring a stronger
    /// authentication than reached is refused with [`Error::InsufficientAuthentication`]
    /// and the interaction stays pending, so the user can step up and approve again.
    pub async fn finish_authorization(
        &self,
        id: &InteractionId,
        decision: Decision,
    ) -> Result<HttpResponse, Error> {
        let now = self.now();
        let digest = id.digest();
        let store = &self.inner.store;
        let pending = store
            .get_interaction(&digest, now)
            .await?
            .ok_or(Error::UnknownInteraction)?;
        if let Decision::Approve(approval) = &decision {
            self.check_approval(&pending, approval)?;
        }
        // Taking the interaction is the atomic step: a double submit finishes once.
        let record = store
            .take_interaction(&digest, now)
            .await?
            .ok_or(Error::UnknownInteraction)?;
        let approval = match decision {
            Decision::Deny => {
                self.emit(Event::AuthorizationDenied {
                    client_id: record.client_id.clone(),
                });
                let error = ErrorResponse::new(ErrorCode::AccessDenied)
                    .with_description("the resource owner denied the request");
                return Ok(
                    match self.redirect_error(&record.redirect_uri, &error, record.state.as_ref()) {
                        AuthorizationStart::Redirect(response) => response,
                        _ => response::error(&Error::UnknownInteraction, self.issuer()),
                    },
                );
            }
            Decision::Approve(approval) => approval,
        };
        let code = random_token().map_err(|_| Error::Randomness)?;
        let grant = Grant {
            id: GrantId::generate()?,
            client_id: record.client_id.clone(),
            subject: Some(approval.subject.clone()),
            scope: approval.scope.clone(),
            authentication: Some(approval.authentication.clone()),
            created_at: now,
            refresh_expires_at: Some(now + self.inner.policy.refresh_absolute_ttl),
        };
        let code_record = CodeRecord {
            digest: SecretDigest::of(&code),
            grant,
            redirect_uri: record.redirect_uri.clone(),
            redirect_uri_sent: record.redirect_uri_sent,
            code_challenge: record.code_challenge.clone(),
            nonce: record.nonce.clone(),
            issued_at: now,
            expires_at: now + self.inner.policy.code_ttl,
        };
        store.insert_code(&code_record).await?;
        self.emit(Event::AuthorizationApproved {
            client_id: record.client_id.clone(),
            subject: approval.subject,
            scope: approval.scope,
            acr: approval.authentication.acr,
        });
        self.emit(Event::CodeIssued {
            client_id: record.client_id.clone(),
            grant_id: code_record.grant.id,
        });
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = &record.state {
            params.push(("state", state.as_str()));
        }
        // RFC 9207 §2: the iss parameter identifies the issuer to the client (mix-up defence).
        params.push(("iss", self.issuer()));
        Ok(redirect_with(&record.redirect_uri, &params))
    }

    fn check_approval(
        &self,
        pending: &InteractionRecord,
        approval: &Approval,
    ) -> Result<(), Error> {
        if approval.scope.is_empty() || !approval.scope.is_subset_of(&pending.scope) {
            return Err(Error::InvalidDecision(
                "the granted scope must be a non-empty subset of the requested scope",
            ));
        }
        let policy = &self.inner.policy;
        for scope in approval.scope.iter() {
            if let Some(required) = policy
                .scope_rule(scope)
                .and_then(|r| r.required_acr.as_deref())
            {
                if !crate::acr::satisfies(
                    &policy.acr_ranking,
                    &approval.authentication.acr,
                    required,
                ) {
                    return Err(Error::InsufficientAuthentication {
                        required: required.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }
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

impl Engine {
    /// The whole authorization endpoint for an adapter: begins the request and turns the
    /// outcome into the response to send (pending interactions go to `handler`).
    pub async fn authorize(&self, query: &str, handler: &dyn InteractionHandler) -> HttpResponse {
        match self.begin_authorization(query).await {
            AuthorizationStart::Interaction(pending) => handler.start(pending),
            AuthorizationStart::Redirect(response)
            | AuthorizationStart::ErrorPage { response, .. } => response,
        }
    }
}
