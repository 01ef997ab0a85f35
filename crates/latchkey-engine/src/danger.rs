//! Settings that weaken security, kept apart so that using one is a visible, greppable
//! decision. Nothing here is needed for a conforming OAuth 2.1 server.

use crate::engine::EngineBuilder;

/// Accept PKCE `plain` challenges (RFC 7636 §4.2). `plain` protects only when the
/// challenge cannot be observed, which an authorization request in a browser history or
/// log does not guarantee; RFC 9700 §2.1.1 and OAuth 2.1 require S256. Only for legacy
/// clients that cannot compute SHA-256.
pub fn allow_plain_pkce(mut builder: EngineBuilder) -> EngineBuilder {
    builder.policy_mut().set_allow_plain_pkce(true);
    builder
}
