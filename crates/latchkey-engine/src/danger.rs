//! Settings that weaken security, kept apart so that using one is a visible, greppable
//! decision. Nothing here is needed for a conforming OAuth 2.1 server.

use crate::engine::EngineBuilder;

/// Accept PKCE `plain` challenges (RFC 7636 §4.2). `plain` protects only when the
/// challenge cannot be observed, which an authorization request in a browser history or
/// log does not guarantee; RFC 9700 §2.1.1 and OAuth 2.1 require S256. Only for legacy
/// clients that cannot compute SHA-256.
/// Order does not matter: a later `EngineBuilder::policy` call keeps it.
pub fn allow_plain_pkce(mut builder: EngineBuilder) -> EngineBuilder {
    builder.allow_plain_pkce();
    builder
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use crate::{Engine, MemoryStore, Policy};

    #[test]
    fn plain_pkce_stays_allowed_whatever_the_order_of_calls() {
        let store = Arc::new(MemoryStore::new());
        let before = super::allow_plain_pkce(Engine::builder("https://as.example", store.clone()))
            .policy(Policy::default())
            .build()
            .unwrap();
        assert!(before.policy().allow_plain_pkce);
        let after = super::allow_plain_pkce(
            Engine::builder("https://as.example", store.clone()).policy(Policy::default()),
        )
        .build()
        .unwrap();
        assert!(after.policy().allow_plain_pkce);
        let never = Engine::builder("https://as.example", store)
            .build()
            .unwrap();
        assert!(!never.policy().allow_plain_pkce);
    }
}
