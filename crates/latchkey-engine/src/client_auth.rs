//! Client authentication at the token, revocation and introspection endpoints (RFC 6749
//! §2.3): `client_secret_basic`, `client_secret_post`, or none for public clients. Exactly
//! one method per request; secrets compared as digests in constant time; every failure
//! counted by the throttle, which refuses a client id that failed too often before its
//! secret is even looked at.

use std::borrow::Cow;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use latchkey_types::{ClientId, ClientSecret, FormParams};

use crate::endpoint::{header_text, EndpointRequest, HeaderField};
use crate::engine::Engine;
use crate::error::Error;
use crate::events::Event;
use crate::store::Client;

/// Basic credentials: RFC 6749 §2.3.1 says the client id and secret are
/// form-urlencoded before being joined with ':' and base64-encoded.
fn parse_basic(value: &str) -> Result<(ClientId, ClientSecret), Error> {
    let malformed = Error::InvalidClient("malformed Basic credentials");
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or(Error::InvalidClient("malformed Basic credentials"))?;
    if !scheme.eq_ignore_ascii_case("basic") || encoded.len() > 2048 {
        return Err(malformed);
    }
    // Usual credentials (an id and a generated secret) decode into a buffer on the stack;
    // longer ones (up to 1536 bytes) into the heap.
    let encoded = encoded.trim();
    let mut small = [0u8; 256];
    let heap;
    let decoded: &[u8] = match STANDARD.decode_slice(encoded, &mut small) {
        Ok(len) => small.get(..len).unwrap_or_default(),
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
            heap = STANDARD
                .decode(encoded)
                .map_err(|_| Error::InvalidClient("malformed Basic credentials"))?;
            &heap
        }
        Err(_) => return Err(Error::InvalidClient("malformed Basic credentials")),
    };
    let decoded = std::str::from_utf8(decoded)
        .map_err(|_| Error::InvalidClient("malformed Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or(Error::InvalidClient("malformed Basic credentials"))?;
    let id = ClientId::new(&unescape(id))
        .map_err(|_| Error::InvalidClient("malformed Basic credentials"))?;
    let secret = ClientSecret::parse(&unescape(secret))
        .map_err(|_| Error::InvalidClient("malformed Basic credentials"))?;
    Ok((id, secret))
}

/// Form-urldecodes one component of Basic credentials (up to a stray `&`, as a form
/// value would be). Most ids and secrets, and every secret latchkey generates, have
/// nothing to decode: they are borrowed as they are, without a copy.
fn unescape(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| matches!(b, b'%' | b'+' | b'&')) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default(),
    )
}

impl Engine {
    /// Authenticates the client of a token, revocation or introspection request, from its
    /// `Authorization` header and the `client_id` / `client_secret` its body carried.
    pub(crate) async fn authenticate_client(
        &self,
        request: &EndpointRequest<'_>,
        body_client_id: Option<&ClientId>,
        body_secret: Option<&ClientSecret>,
    ) -> Result<Arc<Client>, Error> {
        // RFC 6749 §2.3.1: "The parameters can only be transmitted in the request-body and
        // MUST NOT be included in the request URI."
        if let Some(query) = request.query() {
            if FormParams::parse(query.as_bytes())
                .map(|q| q.contains("client_secret"))
                .unwrap_or(true)
            {
                return Err(Error::InvalidRequest(
                    "client credentials must not be sent in the request URI",
                ));
            }
        }
        let basic = match request.authorization() {
            HeaderField::Absent => None,
            HeaderField::Repeated => {
                return Err(Error::InvalidRequest("repeated Authorization header"))
            }
            HeaderField::Once(value) => {
                let value = header_text(value)
                    .ok_or(Error::InvalidClient("malformed Basic credentials"))?;
                Some(parse_basic(value)?)
            }
        };
        // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in
        // each request."
        let (client_id, secret) = match (basic, body_client_id, body_secret) {
            (Some(_), _, Some(_)) => {
                return Err(Error::InvalidRequest(
                    "more than one client authentication method",
                ))
            }
            (Some((id, _)), Some(body_id), None) if &id != body_id => {
                return Err(Error::InvalidRequest(
                    "client_id does not match the Basic credentials",
                ))
            }
            (Some((id, secret)), _, None) => (id, Some(secret)),
            (None, Some(id), secret) => (id.clone(), secret.cloned()),
            (None, None, _) => return Err(Error::InvalidClient("client authentication required")),
        };
        let now = self.now();
        let throttle = &self.inner.throttle;
        if let Err(retry_after_secs) = throttle.check(client_id.as_str(), now).await {
            self.emit(|| Event::Throttled {
                client_id: client_id.clone(),
            });
            return Err(Error::Throttled { retry_after_secs });
        }
        let client = self.inner.store.get_client_shared(&client_id).await?;
        let verdict = match (&client, &secret) {
            (None, _) => Err(Error::InvalidClient("unknown client or bad credentials")),
            (Some(c), Some(secret)) => match &c.secret {
                Some(verifier) if verifier.verify(secret.secret()) => Ok(()),
                Some(_) => Err(Error::InvalidClient("unknown client or bad credentials")),
                None => Err(Error::InvalidClient(
                    "public clients do not authenticate with a secret",
                )),
            },
            (Some(c), None) if c.is_confidential() => {
                Err(Error::InvalidClient("client authentication required"))
            }
            (Some(_), None) => Ok(()),
        };
        match (verdict, client) {
            (Ok(()), Some(client)) => {
                if secret.is_some() {
                    throttle.record_success(client_id.as_str()).await;
                }
                Ok(client)
            }
            (verdict, _) => {
                throttle.record_failure(client_id.as_str(), now).await;
                self.emit(|| Event::ClientAuthenticationFailed { client_id });
                Err(verdict
                    .err()
                    .unwrap_or(Error::InvalidClient("unknown client or bad credentials")))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_urldecoded_rfc6749_2_3_1() {
        let encoded = STANDARD.encode("my%20client:s%3Acret");
        let (id, secret) = parse_basic(&format!("Basic {encoded}")).unwrap();
        assert_eq!(id.as_str(), "my client");
        assert_eq!(secret.secret(), "s:cret");
    }

    #[test]
    fn long_basic_credentials_decode_too() {
        let secret = "s".repeat(400);
        let encoded = STANDARD.encode(format!("client:{secret}"));
        let (id, parsed) = parse_basic(&format!("Basic {encoded}")).unwrap();
        assert_eq!(id.as_str(), "client");
        assert_eq!(parsed.secret(), secret);
        let too_long = STANDARD.encode("c:".to_owned() + &"s".repeat(1600));
        assert!(parse_basic(&format!("Basic {too_long}")).is_err());
    }

    #[test]
    fn unescape_borrows_plain_values_and_decodes_like_a_form_value() {
        assert!(matches!(unescape("plain-Secret_0.9~="), Cow::Borrowed(_)));
        assert_eq!(unescape("a%20b+c"), "a b c");
        assert_eq!(unescape("x=y"), "x=y");
        // A stray `&` ends a form value: the slow path keeps that behaviour.
        assert_eq!(unescape("ab&cd"), "ab");
    }

    #[test]
    fn malformed_basic_is_invalid_client() {
        assert!(matches!(
            parse_basic("Basic !!!"),
            Err(Error::InvalidClient(_))
        ));
        assert!(matches!(
            parse_basic("Bearer abc"),
            Err(Error::InvalidClient(_))
        ));
        let no_colon = STANDARD.encode("nocolon");
        assert!(matches!(
            parse_basic(&format!("Basic {no_colon}")),
            Err(Error::InvalidClient(_))
        ));
    }
}
