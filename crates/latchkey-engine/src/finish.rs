//! Finishing an authorization (RFC 6749 §4.1.2, RFC 9207): the resource owner's
//! [`Decision`] is checked against the scopes' required authentication levels, the
//! interaction is taken (atomically, so a double submit finishes once), and the browser is
//! redirected with `code`, `state` and `iss` — or `error=access_denied`.

use latchkey_pkce::{random_token, SecretDigest};
use latchkey_types::{ErrorCode, ErrorResponse};

use crate::authorize::{redirect_with, AuthorizationStart};
use crate::engine::Engine;
use crate::error::Error;
use crate::events::Event;
use crate::grant::{Grant, GrantId};
use crate::interaction::{Approval, Decision, InteractionId};
use crate::response::{self, HttpResponse};
use crate::store::{CodeRecord, InteractionRecord, TakeOutcome};

impl Engine {
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
        // Taking the interaction is the atomic step: a double submit finishes once. An
        // approval the request does not allow leaves it pending.
        let accept = |pending: &InteractionRecord| match &decision {
            Decision::Approve(approval) => self.check_approval(pending, approval).is_ok(),
            Decision::Deny => true,
        };
        let record = match store.take_interaction_if(&digest, now, &accept).await? {
            TakeOutcome::Taken(record) => record,
            TakeOutcome::Refused(pending) => {
                if let Decision::Approve(approval) = &decision {
                    self.check_approval(&pending, approval)?;
                }
                return Err(Error::UnknownInteraction);
            }
            // `TakeOutcome` is non-exhaustive: anything else is no interaction to finish.
            _ => return Err(Error::UnknownInteraction),
        };
        let approval = match decision {
            Decision::Deny => {
                self.emit(|| Event::AuthorizationDenied {
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
        // The taken record and the approval are owned here: their parts move into the
        // code record instead of being copied.
        let InteractionRecord {
            client_id,
            redirect_uri,
            redirect_uri_sent,
            state,
            code_challenge,
            nonce,
            ..
        } = record;
        let Approval {
            subject,
            scope,
            authentication,
        } = approval;
        let code_record = CodeRecord {
            digest: SecretDigest::of(&code),
            grant: Grant {
                id: GrantId::generate()?,
                client_id,
                subject: Some(subject),
                scope,
                authentication: Some(authentication),
                created_at: now,
                refresh_expires_at: Some(now + self.inner.policy.refresh_absolute_ttl),
            },
            redirect_uri,
            redirect_uri_sent,
            code_challenge,
            nonce,
            issued_at: now,
            expires_at: now + self.inner.policy.code_ttl,
        };
        store.insert_code(&code_record).await?;
        let grant = &code_record.grant;
        // Both are `Some`: set just above from the approval.
        if let (Some(subject), Some(authentication)) = (&grant.subject, &grant.authentication) {
            self.emit(|| Event::AuthorizationApproved {
                client_id: grant.client_id.clone(),
                subject: subject.clone(),
                scope: grant.scope.clone(),
                acr: authentication.acr.clone(),
            });
        }
        self.emit(|| Event::CodeIssued {
            client_id: grant.client_id.clone(),
            grant_id: grant.id,
        });
        let params = [
            ("code", Some(code.as_str())),
            ("state", state.as_ref().map(|s| s.as_str())),
        ];
        // RFC 9207 §2: the iss parameter identifies the issuer to the client (mix-up defence).
        Ok(redirect_with(
            &code_record.redirect_uri,
            &params,
            &self.inner.iss_param,
        ))
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
