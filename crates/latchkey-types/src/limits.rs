//! Maximum sizes of every string this crate accepts from the wire.
//!
//! Every parser in `latchkey-types` checks the length of its input against one
//! of these constants *before* doing any other work, so oversize input is
//! always a typed error and never costs more than a bounded amount of time or
//! memory. The values are deliberately generous for legitimate clients while
//! keeping a single request far below anything that could hurt the server.
//! Lengths are counted in bytes; every accepted value is ASCII, so bytes and
//! characters coincide for accepted values.

/// Maximum size in bytes of an `application/x-www-form-urlencoded` query
/// string or body accepted by [`FormParams::parse`](crate::FormParams::parse)
/// (16 KiB).
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// Maximum number of `name=value` pairs in one form-encoded query string or
/// body.
pub const MAX_FORM_PARAMS: usize = 64;

/// Maximum length of a parameter name that may be echoed back in a
/// [`FormError::Repeated`](crate::FormError::Repeated) error. Longer (or
/// non-plain) names are reported as `"(unnamed)"`.
pub const MAX_PARAM_NAME_LEN: usize = 64;

/// Maximum length of a `scope` value (RFC 6749 §3.3), including separating
/// spaces.
pub const MAX_SCOPE_LEN: usize = 1024;

/// Maximum number of scope tokens in one `scope` value.
pub const MAX_SCOPE_TOKENS: usize = 64;

/// Maximum length of a `redirect_uri` (RFC 6749 §3.1.2).
pub const MAX_REDIRECT_URI_LEN: usize = 2048;

/// Maximum length of a `client_id` (RFC 6749 §2.2).
pub const MAX_CLIENT_ID_LEN: usize = 255;

/// Maximum length of a `client_secret` (RFC 6749 §2.3.1).
pub const MAX_CLIENT_SECRET_LEN: usize = 512;

/// Maximum length of an authorization `code` (RFC 6749 §4.1.2).
pub const MAX_AUTHORIZATION_CODE_LEN: usize = 512;

/// Maximum length of an `access_token` (RFC 6749 §5.1).
pub const MAX_ACCESS_TOKEN_LEN: usize = 4096;

/// Maximum length of a `refresh_token` (RFC 6749 §6).
pub const MAX_REFRESH_TOKEN_LEN: usize = 1024;

/// Maximum length of the `token` parameter of a revocation (RFC 7009 §2.1) or
/// introspection (RFC 7662 §2.1) request. It is the largest of the token
/// limits, because the presented token may be of either kind.
pub const MAX_PRESENTED_TOKEN_LEN: usize = MAX_ACCESS_TOKEN_LEN;

/// Maximum length of an `error_description` (RFC 6749 §5.2).
pub const MAX_ERROR_DESCRIPTION_LEN: usize = 512;

/// Minimum length of a `code_challenge` (RFC 7636 §4.2).
pub const MIN_CODE_CHALLENGE_LEN: usize = 43;

/// Maximum length of a `code_challenge` (RFC 7636 §4.2).
pub const MAX_CODE_CHALLENGE_LEN: usize = 128;

/// Maximum length of a `state` value. Enforced by
/// [`State::parse`](crate::State::parse); repeated here for documentation.
pub const MAX_STATE_LEN: usize = 1024;

/// Maximum length of a `nonce` value. Enforced by
/// [`Nonce::parse`](crate::Nonce::parse); repeated here for documentation.
pub const MAX_NONCE_LEN: usize = 1024;

/// Maximum length of a `code_verifier` (RFC 7636 §4.1). Enforced by
/// [`CodeVerifier::new`](crate::CodeVerifier::new); repeated here for
/// documentation.
pub const MAX_CODE_VERIFIER_LEN: usize = 128;

// Compile-time consistency checks between the limits.
const _: () = assert!(MAX_PRESENTED_TOKEN_LEN >= MAX_ACCESS_TOKEN_LEN);
const _: () = assert!(MAX_PRESENTED_TOKEN_LEN >= MAX_REFRESH_TOKEN_LEN);
const _: () = assert!(MAX_SCOPE_LEN < MAX_FORM_BYTES);
const _: () = assert!(MAX_REDIRECT_URI_LEN < MAX_FORM_BYTES);
const _: () = assert!(MIN_CODE_CHALLENGE_LEN <= MAX_CODE_CHALLENGE_LEN);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_limit_is_16_kib() {
        assert_eq!(MAX_FORM_BYTES, 16384);
    }

    #[test]
    fn a_max_length_redirect_uri_fits_in_a_form() {
        let uri = "a".repeat(MAX_REDIRECT_URI_LEN);
        let form = format!("redirect_uri={uri}");
        assert!(form.len() <= MAX_FORM_BYTES);
    }
}
