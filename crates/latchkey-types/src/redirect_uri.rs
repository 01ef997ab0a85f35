//! Redirection endpoint URIs (RFC 6749 §3.1.2) and how they are compared.
//!
//! [`RedirectUri`] keeps the URI exactly as the client wrote it: `url::Url` is
//! used only to check that it is well formed, never to normalize it, because
//! RFC 9700 §4.1.3 requires exact string matching between the registered and
//! the requested URI. [`RedirectUri::parse`] accepts what a request may
//! carry; [`RedirectUri::register`] is the stricter check for client
//! registration (RFC 9700 §2.1, §2.6; RFC 8252 §7). [`RedirectUri::matches`]
//! compares byte for byte, with the single exception RFC 8252 §7.3 allows for
//! loopback redirects of native apps: the port may vary.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::charset::is_unreserved;
use crate::limits::MAX_REDIRECT_URI_LEN;

/// Why a redirect URI was rejected. Messages never echo the URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectUriError {
    /// The URI is empty.
    #[error("redirect URI is empty")]
    Empty,
    /// Longer than [`MAX_REDIRECT_URI_LEN`].
    #[error("redirect URI is too long")]
    TooLong,
    /// Whitespace, a control character, non-ASCII, a character RFC 3986 does
    /// not allow in a URI, or a bad percent-escape.
    #[error("redirect URI contains a disallowed character")]
    InvalidCharacter,
    /// Contains a fragment (RFC 6749 §3.1.2).
    #[error("redirect URI must not contain a fragment")]
    Fragment,
    /// Not an absolute URI, or otherwise not parseable.
    #[error("redirect URI is not an absolute URI")]
    NotAbsolute,
    /// Registration only: contains a `*` (RFC 9700 §2.1 forbids patterns).
    #[error("redirect URI must not contain wildcards")]
    Wildcard,
    /// Registration only: contains user information (`user@host`).
    #[error("redirect URI must not contain user information")]
    UserInfo,
    /// Registration only: the scheme is neither `https`, loopback `http`,
    /// nor a private-use scheme containing a `.`, or is not lower case.
    #[error("redirect URI scheme is not allowed")]
    UnsupportedScheme,
    /// Registration only: `http` with a host other than `127.0.0.1` or
    /// `[::1]`.
    #[error("plain http redirect URIs are only allowed for loopback IP literals")]
    InsecureHttp,
    /// Registration only: `http://localhost` (RFC 8252 §8.3 requires the IP
    /// literal instead).
    #[error("use 127.0.0.1 or [::1] instead of localhost")]
    Localhost,
    /// Registration only: an `https` URI without a host.
    #[error("redirect URI has no host")]
    MissingHost,
}

/// A redirect URI, kept byte for byte as given.
///
/// At most [`MAX_REDIRECT_URI_LEN`] characters, absolute, without fragment,
/// and only characters RFC 3986 allows in a URI. Shared, not copied: a clone is a
/// reference count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri(Arc<str>);

/// Loopback hosts for which RFC 8252 §7.3 lets the port vary.
const LOOPBACK_HOSTS: [&str; 2] = ["127.0.0.1", "[::1]"];

impl RedirectUri {
    /// Validates a redirect URI as a request may carry it: at most
    /// [`MAX_REDIRECT_URI_LEN`] characters, an absolute URI with a scheme, no
    /// fragment, no whitespace, control or non-URI characters. (The full URL
    /// syntax is checked by [`register`](Self::register); a requested URI
    /// only has to match a registered one.)
    ///
    /// # Errors
    ///
    /// The matching [`RedirectUriError`].
    pub fn parse(value: &str) -> Result<Self, RedirectUriError> {
        if value.is_empty() {
            return Err(RedirectUriError::Empty);
        }
        if value.len() > MAX_REDIRECT_URI_LEN {
            return Err(RedirectUriError::TooLong);
        }
        check_characters(value)?;
        let (scheme, rest) = split_scheme(value).ok_or(RedirectUriError::NotAbsolute)?;
        if !is_valid_scheme(scheme) {
            return Err(RedirectUriError::NotAbsolute);
        }
        // A port, when the authority has one, must be a port number (userinfo aside).
        if let Some((authority, _)) = split_authority(rest) {
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
            match split_host_port(host_port) {
                Some((_, Some(port))) if !port.is_empty() && !is_port(port) => {
                    return Err(RedirectUriError::NotAbsolute)
                }
                None => return Err(RedirectUriError::NotAbsolute),
                _ => {}
            }
        }
        // No full URL parse here: a requested URI is only ever compared byte for byte with
        // a registered one (see `matches`), and registration parses those fully. A request
        // URI that is not a valid URL therefore matches nothing and is refused there.
        Ok(Self(Arc::from(value)))
    }

    /// Validates a redirect URI for client registration. Everything
    /// [`parse`](Self::parse) requires (so at most [`MAX_REDIRECT_URI_LEN`]
    /// characters), plus: no `*` anywhere, no user information, a lower-case
    /// scheme that is `https` (with a host), `http` only with the loopback IP
    /// literals `127.0.0.1` or `[::1]` (RFC 8252 §7.3, §8.3), or a private-use
    /// scheme containing a `.` such as `com.example.app:/cb` (RFC 8252 §7.1).
    ///
    /// # Errors
    ///
    /// The matching [`RedirectUriError`].
    pub fn register(value: &str) -> Result<Self, RedirectUriError> {
        let uri = Self::parse(value)?;
        url::Url::parse(value).map_err(|_| RedirectUriError::NotAbsolute)?;
        if value.contains('*') {
            return Err(RedirectUriError::Wildcard);
        }
        let (scheme, rest) = split_scheme(value).ok_or(RedirectUriError::NotAbsolute)?;
        if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(RedirectUriError::UnsupportedScheme);
        }
        let authority = split_authority(rest).map(|(authority, _)| authority);
        if authority.is_some_and(|a| a.contains('@')) {
            return Err(RedirectUriError::UserInfo);
        }
        let host_port = match authority {
            Some(a) => Some(split_host_port(a).ok_or(RedirectUriError::NotAbsolute)?),
            None => None,
        };
        match scheme {
            "https" => match host_port {
                Some((host, _)) if !host.is_empty() => Ok(uri),
                _ => Err(RedirectUriError::MissingHost),
            },
            "http" => match host_port {
                Some((host, port)) if LOOPBACK_HOSTS.contains(&host) => {
                    if port.is_some_and(|p| !is_port(p)) {
                        return Err(RedirectUriError::NotAbsolute);
                    }
                    Ok(uri)
                }
                Some((host, _))
                    if host.eq_ignore_ascii_case("localhost")
                        || host.eq_ignore_ascii_case("localhost.") =>
                {
                    Err(RedirectUriError::Localhost)
                }
                _ => Err(RedirectUriError::InsecureHttp),
            },
            _ if scheme.contains('.') => Ok(uri),
            _ => Err(RedirectUriError::UnsupportedScheme),
        }
    }

    /// Whether `requested` (from a request) matches `self` (registered).
    ///
    /// Exact byte-for-byte comparison, except that when `self` is
    /// `http://127.0.0.1...` or `http://[::1]...` the requested URI may carry
    /// any port or none (RFC 8252 §7.3); scheme, host, path and query must
    /// still be identical.
    pub fn matches(&self, requested: &RedirectUri) -> bool {
        if self.0 == requested.0 {
            return true;
        }
        match (loopback_parts(&self.0), loopback_parts(&requested.0)) {
            (Some(registered), Some(requested)) => registered == requested,
            _ => false,
        }
    }

    /// Whether this is an `http` URI on a loopback IP literal, to which the
    /// port exception of [`matches`](Self::matches) applies.
    pub fn is_loopback(&self) -> bool {
        loopback_parts(&self.0).is_some()
    }

    /// The URI exactly as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RedirectUri {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RedirectUri {
    /// Validates with [`RedirectUri::parse`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RedirectUri::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Checks every byte is a URI character (RFC 3986 §2) and every `%` starts a
/// valid escape; a `#` is reported as [`RedirectUriError::Fragment`].
fn check_characters(value: &str) -> Result<(), RedirectUriError> {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' {
            return Err(RedirectUriError::Fragment);
        }
        if b == b'%' {
            let escape = bytes.get(i + 1..i + 3);
            if !escape.is_some_and(|e| e.iter().all(u8::is_ascii_hexdigit)) {
                return Err(RedirectUriError::InvalidCharacter);
            }
        } else if !is_uri_char(b) {
            return Err(RedirectUriError::InvalidCharacter);
        }
    }
    Ok(())
}

/// `unreserved` or a reserved character (`gen-delims` and `sub-delims`, RFC 3986 §2.2):
/// every character a URI may hold besides `%` escapes.
fn is_uri_char(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b':' | b'/'
                | b'?'
                | b'['
                | b']'
                | b'@'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
        )
}

/// Splits `scheme:rest` at the first `:`.
fn split_scheme(value: &str) -> Option<(&str, &str)> {
    value.split_once(':')
}

/// `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
fn is_valid_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// For `//authority/path?query` returns `(authority, "/path?query")`; `None`
/// when there is no authority component.
fn split_authority(after_scheme: &str) -> Option<(&str, &str)> {
    let hier = after_scheme.strip_prefix("//")?;
    let end = hier
        .bytes()
        .position(|b| b == b'/' || b == b'?')
        .unwrap_or(hier.len());
    hier.split_at_checked(end)
}

/// Splits an authority into host and optional port text. Handles bracketed
/// IPv6 literals; `None` if text follows `]` that is not a port.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, after) = authority.split_at_checked(close + 1)?;
        if after.is_empty() {
            Some((host, None))
        } else {
            after.strip_prefix(':').map(|port| (host, Some(port)))
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => Some((host, Some(port))),
            None => Some((authority, None)),
        }
    }
}

/// 1 to 5 ASCII digits.
fn is_port(port: &str) -> bool {
    (1..=5).contains(&port.len())
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok()
}

/// For `http://<loopback-literal>[:port]<tail>` returns `(host, tail)`, the
/// parts that must be equal for a loopback match.
fn loopback_parts(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix("http:")?;
    let (authority, tail) = split_authority(rest)?;
    let (host, port) = split_host_port(authority)?;
    if !LOOPBACK_HOSTS.contains(&host) || port.is_some_and(|p| !is_port(p)) {
        return None;
    }
    Some((host, tail))
}

#[cfg(test)]
mod tests;
