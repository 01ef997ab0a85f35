//! The authorization endpoint (RFC 6749 §4.1.1–4.1.2, RFC 9207), in two steps. *Begin*
//! validates the request — client and redirect URI first, since nothing may be redirected
//! to an unverified URI — and stores a pending interaction. The integrator's own login and
//! consent pages then load it and hand back a [`crate::Decision`], which
//! [`Engine::finish_authorization`] applies.

use std::sync::Arc;

use http::StatusCode;
use latchkey_pkce::{random_token, CodeChallenge, CodeChallengeMethod};
use latchkey_types::{
    AuthorizationRequest, AuthorizationRequestError, ClientId, ErrorCode, ErrorResponse, GrantType,
    RedirectUri,
};

use crate::engine::Engine;
use crate::error::Error;
use crate::interaction::{InteractionHandler, InteractionId, PendingInteraction};
use crate::policy::PkceRequirement;
use crate::response::{self, HttpResponse};
use crate::store::{Client, InteractionRecord};

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

/// Builds `redirect_uri` plus response parameters (those that are `Some`), then
/// `iss_param` (already encoded, see [`crate::engine::Inner::iss_param`]), keeping any
/// query the registered URI has (RFC 6749 §3.1.2: "MUST retain the query component").
pub(crate) fn redirect_with(
    redirect_uri: &RedirectUri,
    params: &[(&str, Option<&str>)],
    iss_param: &str,
) -> HttpResponse {
    let base = redirect_uri.as_str();
    let mut url = String::with_capacity(base.len() + iss_param.len() + 128);
    url.push_str(base);
    url.push(if base.contains('?') { '&' } else { '?' });
    for (name, value) in params {
        if let Some(value) = value {
            push_form_encoded(&mut url, name);
            url.push('=');
            push_form_encoded(&mut url, value);
            url.push('&');
        }
    }
    url.push_str(iss_param);
    response::redirect(&url)
}

/// Appends `value` `application/x-www-form-urlencoded`, byte for byte as the
/// `form_urlencoded` crate's serializer does: ASCII alphanumerics and `*-._` as they
/// are, space as `+`, every other byte as `%XX` (upper-case hex). Codes, tokens and
/// most states are plain runs copied at once.
pub(crate) fn push_form_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let is_plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_');
    // Codes and most states are plain throughout: find that out in one tight scan.
    let Some(first) = value.bytes().position(|b| !is_plain(b)) else {
        out.push_str(value);
        return;
    };
    let mut plain = 0;
    for (i, b) in value.bytes().enumerate().skip(first) {
        if is_plain(b) {
            continue;
        }
        // `i` is at an ASCII byte or at the first byte of a multi-byte character, so
        // `plain..i` lies on character boundaries.
        out.push_str(value.get(plain..i).unwrap_or_default());
        if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(
                HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
            ));
            out.push(char::from(
                HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0'),
            ));
        }
        plain = i + 1;
    }
    out.push_str(value.get(plain..).unwrap_or_default());
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
    pub(crate) fn redirect_error(
        &self,
        redirect_uri: &RedirectUri,
        error: &ErrorResponse,
        state: Option<&latchkey_pkce::State>,
    ) -> AuthorizationStart {
        let params = [
            ("error", Some(error.error.as_str())),
            (
                "error_description",
                error.error_description.as_ref().map(|d| d.as_str()),
            ),
            ("state", state.map(|s| s.as_str())),
        ];
        AuthorizationStart::Redirect(redirect_with(redirect_uri, &params, &self.inner.iss_param))
    }

    /// Resolves the client and the redirect URI to answer to, or says why it cannot.
    async fn trusted_target(
        &self,
        client_id: &ClientId,
        requested: Option<RedirectUri>,
    ) -> Result<(Arc<Client>, RedirectUri), AuthorizationStart> {
        let client = match self.inner.store.get_client_shared(client_id).await {
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
                .any(|registered| registered.matches(&uri))
                .then_some(uri),
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
        let mut request = match AuthorizationRequest::parse(query) {
            Ok(request) => request,
            Err(AuthorizationRequestError::Redirectable {
                client_id,
                redirect_uri,
                state,
                error,
            }) => {
                return match self.trusted_target(&client_id, redirect_uri).await {
                    Ok((_, target)) => self.redirect_error(&target, &error, state.as_ref()),
                    Err(page) => page,
                }
            }
            Err(other) => return error_page(other.error_response(), StatusCode::BAD_REQUEST),
        };
        let redirect_uri_sent = request.redirect_uri.is_some();
        let (client, redirect_uri) = match self
            .trusted_target(&request.client_id, request.redirect_uri.take())
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
        let scope = request.scope.take().unwrap_or_else(|| client.scope.clone());
        if scope.is_empty() || !scope.is_subset_of(&client.scope) {
            return fail(
                ErrorCode::InvalidScope,
                "requested scope is not allowed for this client",
            );
        }
        let code_challenge = match self.check_pkce(
            &client,
            request.code_challenge.take(),
            request.code_challenge_method,
        ) {
            Ok(challenge) => challenge,
            Err(description) => return fail(ErrorCode::InvalidRequest, description),
        };
        let now = self.now();
        let record = InteractionRecord {
            client_id: request.client_id,
            redirect_uri,
            redirect_uri_sent,
            scope,
            state: request.state,
            code_challenge,
            nonce: request.nonce,
            created_at: now,
            expires_at: now + self.inner.policy.interaction_ttl,
        };
        let id = match random_token() {
            Ok(value) => InteractionId::new(value),
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
        AuthorizationStart::Interaction(self.pending(id, client.name.clone(), record))
    }

    /// RFC 7636 §4.4.1 and RFC 9700 §2.1.1: PKCE with S256; `plain` only when explicitly
    /// allowed through [`crate::danger`].
    fn check_pkce(
        &self,
        client: &Client,
        challenge: Option<String>,
        method: Option<CodeChallengeMethod>,
    ) -> Result<Option<CodeChallenge>, &'static str> {
        let policy = &self.inner.policy;
        let Some(value) = challenge else {
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
        match method.unwrap_or(CodeChallengeMethod::Plain) {
            // Validated exactly as `parse_s256` does, taking the value instead of a copy.
            CodeChallengeMethod::S256 => CodeChallenge::restore(CodeChallengeMethod::S256, value)
                .map(Some)
                .map_err(|_| "code_challenge is not a valid S256 challenge"),
            CodeChallengeMethod::Plain if policy.allow_plain_pkce => {
                latchkey_pkce::danger::plain_challenge(&value)
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
            .filter_map(|s| self.inner.policy.shared_scope_rule(s).cloned())
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
            .get_client_shared(&record.client_id)
            .await?
            .map_or_else(|| record.client_id.as_str().to_owned(), |c| c.name.clone());
        Ok(Some(self.pending(id.clone(), name, record)))
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn encoded(value: &str) -> String {
        let mut out = String::new();
        push_form_encoded(&mut out, value);
        out
    }

    #[test]
    fn form_encoding_matches_the_form_urlencoded_crate() {
        for value in [
            "",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "https://auth.bank.example",
            "a b+c&d=e%f*g~h",
            "caf\u{e9} \u{1F600}!",
        ] {
            let expected: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
            assert_eq!(encoded(value), expected);
        }
    }

    #[test]
    fn redirect_keeps_the_registered_query() {
        let uri = RedirectUri::parse("https://client.example/cb?x=1").unwrap();
        let response = redirect_with(
            &uri,
            &[
                ("code", Some("abc")),
                ("nonce", None),
                ("state", Some("s t")),
            ],
            "iss=https%3A%2F%2Fa.example",
        );
        assert_eq!(
            response.headers()[http::header::LOCATION],
            "https://client.example/cb?x=1&code=abc&state=s+t&iss=https%3A%2F%2Fa.example"
        );
    }

    proptest::proptest! {
        #[test]
        fn form_encoding_matches_form_urlencoded_on_any_text(value in "\\PC{0,40}") {
            let expected: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
            proptest::prop_assert_eq!(encoded(&value), expected);
        }
    }
}
