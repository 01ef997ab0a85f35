//! Login, consent and strong customer authentication, the pages between the adapter's
//! `/authorize` and the redirect back to the client. The browser is bound to its
//! interaction by the `lk_interaction` cookie; every form carries the CSRF token derived
//! from that interaction; sign-ins are throttled per username and recorded in the signed
//! `lk_auth` cookie, valid only for the interaction it was made for. A scope that needs
//! strong authentication sends the user to `/sca` for a one-time code before the engine
//! accepts the approval.

use http::header::RETRY_AFTER;
use http::StatusCode;
use latchkey_engine::store::StoreError;
use latchkey_engine::throttle::Throttle;
use latchkey_engine::types::FormParams;
use latchkey_engine::{
    acr, Approval, Authentication, Decision, Error, HttpRequest, HttpResponse, InteractionId,
    PendingInteraction, Subject,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::app::{form_fields, Demo};
use crate::cookies::{self, csrf_token};
use crate::pages;

/// Who signed in, how and when, for which interaction (the `lk_auth` cookie).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedIn {
    /// [`cookies::interaction_tag`] of the interaction.
    i: String,
    /// The username.
    u: String,
    /// Unix time of the sign-in.
    t: i64,
    /// The authentication context class reached.
    acr: String,
    /// The methods used.
    amr: Vec<String>,
}

/// Compares secrets in constant time (over their digests, so lengths do not leak).
fn secret_eq(expected: &str, presented: &str) -> bool {
    Sha256::digest(expected.as_bytes())
        .ct_eq(&Sha256::digest(presented.as_bytes()))
        .into()
}

fn forbidden() -> HttpResponse {
    pages::message(
        StatusCode::FORBIDDEN,
        "Form rejected",
        "This form was not issued for your sign-in. Start again from the app.",
    )
}

fn too_many(wait: u64) -> String {
    format!("Too many attempts, wait {wait} s before trying again.")
}

impl Demo {
    /// The pending interaction this browser is bound to, or the page to show instead.
    async fn interaction(
        &self,
        request: &HttpRequest,
    ) -> Result<PendingInteraction, Box<HttpResponse>> {
        let Some(id) = cookies::get(request.headers(), cookies::INTERACTION) else {
            return Err(Box::new(pages::expired()));
        };
        if id.len() > 128 {
            return Err(Box::new(pages::expired()));
        }
        match self
            .engine
            .pending_interaction(&InteractionId::new(id))
            .await
        {
            Ok(Some(pending)) => Ok(pending),
            Ok(None) => Err(Box::new(pages::expired())),
            Err(error) => Err(Box::new(self.failure(&error))),
        }
    }

    /// The form of a POST, after its CSRF check.
    fn checked_form(
        &self,
        request: &HttpRequest,
        pending: &PendingInteraction,
    ) -> Result<FormParams, Box<HttpResponse>> {
        let fields = form_fields(request)?;
        if !cookies::csrf_matches(pending.id.as_str(), fields.get("csrf")) {
            return Err(Box::new(forbidden()));
        }
        Ok(fields)
    }

    /// The sign-in recorded for this interaction; without one, back to `/login`.
    fn signed_in(
        &self,
        request: &HttpRequest,
        pending: &PendingInteraction,
    ) -> Result<SignedIn, Box<HttpResponse>> {
        let Some(value) = cookies::get(request.headers(), cookies::AUTH) else {
            return Err(Box::new(pages::see_other("/login")));
        };
        let Some(signed_in) = self.signer.verify::<SignedIn>(value) else {
            return Err(Box::new(pages::message(
                StatusCode::BAD_REQUEST,
                "Sign-in invalid",
                "Your sign-in could not be verified. Start again from the app.",
            )));
        };
        if !cookies::is_interaction_tag(pending.id.as_str(), &signed_in.i)
            || self.user(&signed_in.u).is_none()
        {
            return Err(Box::new(pages::see_other("/login")));
        }
        Ok(signed_in)
    }

    pub(crate) fn failure(&self, error: &Error) -> HttpResponse {
        match error {
            Error::UnknownInteraction => pages::expired(),
            Error::Store(StoreError::Unavailable(reason)) => {
                tracing::warn!(%reason, "store unavailable");
                let mut page = pages::message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Temporarily unavailable",
                    "The service cannot reach its database right now. Please try again in a moment.",
                );
                page.headers_mut()
                    .insert(RETRY_AFTER, http::HeaderValue::from_static("5"));
                page
            }
            other => {
                tracing::error!(error = %other, "demo page failed");
                pages::message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Please try again later.",
                )
            }
        }
    }

    /// Sends the engine's redirect back to the client and forgets the interaction.
    fn finished(&self, response: HttpResponse) -> HttpResponse {
        let mut response = pages::protected(response);
        cookies::append(
            response.headers_mut(),
            [
                self.signer.clear(cookies::INTERACTION),
                self.signer.clear(cookies::AUTH),
            ],
        );
        response
    }

    /// Approves the requested scope as `signed_in`; `/sca` if a scope needs more.
    async fn approve(&self, pending: &PendingInteraction, signed_in: &SignedIn) -> HttpResponse {
        let approval = Subject::new(signed_in.u.as_str()).map(|subject| Approval {
            subject,
            scope: pending.scope.clone(),
            authentication: Authentication {
                auth_time: OffsetDateTime::from_unix_timestamp(signed_in.t)
                    .unwrap_or_else(|_| OffsetDateTime::now_utc()),
                acr: signed_in.acr.clone(),
                amr: signed_in.amr.clone(),
            },
        });
        let result = match approval {
            Ok(approval) => {
                self.engine
                    .finish_authorization(&pending.id, Decision::Approve(approval))
                    .await
            }
            Err(error) => Err(error),
        };
        match result {
            Ok(response) => self.finished(response),
            Err(Error::InsufficientAuthentication { .. }) if signed_in.acr != acr::STRONG => {
                pages::see_other("/sca")
            }
            Err(Error::InsufficientAuthentication { .. }) => pages::message(
                StatusCode::FORBIDDEN,
                "Not allowed",
                "This access needs a stronger authentication than the demo offers.",
            ),
            Err(error) => self.failure(&error),
        }
    }

    pub(crate) async fn login_page(&self, request: &HttpRequest) -> HttpResponse {
        match self.interaction(request).await {
            Ok(pending) => self.login(&pending, StatusCode::OK, None),
            Err(page) => *page,
        }
    }

    pub(crate) async fn login_submit(&self, request: &HttpRequest) -> HttpResponse {
        let pending = match self.interaction(request).await {
            Ok(pending) => pending,
            Err(page) => return *page,
        };
        let fields = match self.checked_form(request, &pending) {
            Ok(fields) => fields,
            Err(page) => return *page,
        };
        let field = |name: &str| fields.get(name).unwrap_or("");
        let (username, password) = (field("username").trim(), field("password"));
        let key = format!("login:{username}");
        if let Some(wait) = self.throttled(&key).await {
            return self.login(
                &pending,
                StatusCode::TOO_MANY_REQUESTS,
                Some(&too_many(wait)),
            );
        }
        let user = self.user(username);
        // Unknown users cost the same comparison and get the same message: no enumeration.
        let matches = secret_eq(
            user.map_or("\u{0}no such user", |u| u.password.as_str()),
            password,
        );
        let now = OffsetDateTime::now_utc();
        if !(matches && user.is_some()) {
            self.throttle.record_failure(&key, now).await;
            return self.login(
                &pending,
                StatusCode::UNAUTHORIZED,
                Some("Wrong username or password."),
            );
        }
        self.throttle.record_success(&key).await;
        let signed_in = SignedIn {
            i: cookies::interaction_tag(pending.id.as_str()),
            u: username.to_owned(),
            t: now.unix_timestamp(),
            acr: acr::SINGLE_FACTOR.into(),
            amr: vec!["pwd".into()],
        };
        let mut response = pages::see_other("/consent");
        let cookie = self
            .signer
            .sign(&signed_in)
            .and_then(|v| self.signer.set(cookies::AUTH, &v));
        cookies::append(response.headers_mut(), [cookie]);
        response
    }

    pub(crate) async fn consent_page(&self, request: &HttpRequest) -> HttpResponse {
        let pending = match self.interaction(request).await {
            Ok(pending) => pending,
            Err(page) => return *page,
        };
        match self.signed_in(request, &pending) {
            Ok(signed_in) => pages::page(
                StatusCode::OK,
                "Allow access?",
                &pages::consent_form(&pending, &signed_in.u, &csrf_token(pending.id.as_str())),
            ),
            Err(page) => *page,
        }
    }

    pub(crate) async fn consent_submit(&self, request: &HttpRequest) -> HttpResponse {
        let pending = match self.interaction(request).await {
            Ok(pending) => pending,
            Err(page) => return *page,
        };
        let (fields, signed_in) = match self
            .checked_form(request, &pending)
            .and_then(|f| self.signed_in(request, &pending).map(|s| (f, s)))
        {
            Ok(found) => found,
            Err(page) => return *page,
        };
        match fields.get("decision") {
            Some("approve") => self.approve(&pending, &signed_in).await,
            Some("deny") => match self
                .engine
                .finish_authorization(&pending.id, Decision::Deny)
                .await
            {
                Ok(response) => self.finished(response),
                Err(error) => self.failure(&error),
            },
            _ => pages::message(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "Choose Allow or Deny.",
            ),
        }
    }

    pub(crate) async fn sca_page(&self, request: &HttpRequest) -> HttpResponse {
        let pending = match self.interaction(request).await {
            Ok(pending) => pending,
            Err(page) => return *page,
        };
        match self.signed_in(request, &pending) {
            Ok(signed_in) => self.sca(&pending, &signed_in, StatusCode::OK, None),
            Err(page) => *page,
        }
    }

    fn sca(
        &self,
        pending: &PendingInteraction,
        signed_in: &SignedIn,
        status: StatusCode,
        error: Option<&str>,
    ) -> HttpResponse {
        if self
            .user(&signed_in.u)
            .and_then(|u| u.sca_code.as_ref())
            .is_none()
        {
            return pages::message(
                StatusCode::FORBIDDEN,
                "Strong authentication unavailable",
                "Your account has no authenticator enrolled, so this access cannot be granted.",
            );
        }
        let csrf = csrf_token(pending.id.as_str());
        pages::page(
            status,
            "Confirm it is you",
            &(pages::sca_form(&pending.client_name, &csrf, error) + self.hint(pages::SCA_HINT)),
        )
    }

    pub(crate) async fn sca_submit(&self, request: &HttpRequest) -> HttpResponse {
        let pending = match self.interaction(request).await {
            Ok(pending) => pending,
            Err(page) => return *page,
        };
        let (fields, signed_in) = match self
            .checked_form(request, &pending)
            .and_then(|f| self.signed_in(request, &pending).map(|s| (f, s)))
        {
            Ok(found) => found,
            Err(page) => return *page,
        };
        let Some(expected) = self.user(&signed_in.u).and_then(|u| u.sca_code.clone()) else {
            return self.sca(&pending, &signed_in, StatusCode::FORBIDDEN, None);
        };
        let key = format!("sca:{}", signed_in.u);
        if let Some(wait) = self.throttled(&key).await {
            return self.sca(
                &pending,
                &signed_in,
                StatusCode::TOO_MANY_REQUESTS,
                Some(&too_many(wait)),
            );
        }
        let presented = fields.get("sca_code").map_or("", str::trim);
        let now = OffsetDateTime::now_utc();
        if !secret_eq(&expected, presented) {
            self.throttle.record_failure(&key, now).await;
            return self.sca(
                &pending,
                &signed_in,
                StatusCode::UNAUTHORIZED,
                Some("That code is not right."),
            );
        }
        self.throttle.record_success(&key).await;
        let strong = SignedIn {
            t: now.unix_timestamp(),
            acr: acr::STRONG.into(),
            amr: vec!["pwd".into(), "otp".into()],
            ..signed_in
        };
        self.approve(&pending, &strong).await
    }
}

impl Demo {
    fn hint(&self, hint: &'static str) -> &'static str {
        if self.hints {
            hint
        } else {
            ""
        }
    }

    fn login(
        &self,
        pending: &PendingInteraction,
        status: StatusCode,
        error: Option<&str>,
    ) -> HttpResponse {
        let csrf = csrf_token(pending.id.as_str());
        let form = pages::login_form(&pending.client_name, &csrf, error);
        pages::page(status, "Sign in", &(form + self.hint(pages::LOGIN_HINT)))
    }
}
