//! The authorization server's routes as an axum [`Router`]: every [`Endpoint`] the
//! engine serves, at paths relative to wherever the integrator merges or nests it.

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use latchkey_engine::adapter::{AdapterOptions, Endpoint};
use latchkey_engine::{Engine, InteractionHandler};

use crate::convert::{into_response, to_engine_request};

struct Shared {
    engine: Engine,
    handler: Arc<dyn InteractionHandler>,
    options: AdapterOptions,
}

/// The routes `GET /authorize`, `POST /token`, `POST /revoke`, `POST /introspect`,
/// `GET /.well-known/oauth-authorization-server` and, for JWT access tokens,
/// `GET /jwks.json`. Valid authorization requests go to `handler` (e.g.
/// [`latchkey_engine::RedirectToLogin`]).
///
/// `.merge` it into your app, or `.nest("/oauth", ...)` it and build the engine with
/// `EngineBuilder::endpoint_base("https://issuer.example/oauth")` so the metadata names
/// the right URLs (RFC 8414 expects the metadata at the issuer's root, so prefer an issuer
/// that includes the prefix, or serve the metadata at the root too).
pub fn router(
    engine: Engine,
    handler: Arc<dyn InteractionHandler>,
    options: AdapterOptions,
) -> Router {
    let shared = Arc::new(Shared {
        engine,
        handler,
        options,
    });
    let mut router = Router::new();
    for endpoint in Endpoint::ALL {
        if !endpoint.is_served_by(&shared.engine) {
            continue;
        }
        let shared = Arc::clone(&shared);
        router = router.route(
            endpoint.path(),
            any(move |request: Request| serve(Arc::clone(&shared), endpoint, request)),
        );
    }
    // No `DefaultBodyLimit` layer: `serve` takes the raw request and reads the body under
    // `options.max_body_bytes` itself, so the layer's per-request extension would be
    // written and never read.
    router
}

async fn serve(shared: Arc<Shared>, endpoint: Endpoint, request: Request) -> Response {
    let request = match to_engine_request(request, &shared.options).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let response = endpoint
        .respond(&shared.engine, shared.handler.as_ref(), &request)
        .await;
    into_response(response)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::body::Body;
    use latchkey_engine::jwt::{JwtKeys, SigningAlgorithm, SigningKey};
    use latchkey_engine::{MemoryStore, RedirectToLogin};
    use tower::ServiceExt;

    async fn jwks_status(jwt: bool) -> u16 {
        let mut builder = Engine::builder("https://auth.example", Arc::new(MemoryStore::new()));
        if jwt {
            let key = SigningKey::generate("k1", SigningAlgorithm::Es256).unwrap();
            builder = builder.jwt_access_tokens(JwtKeys::new(key));
        }
        let login = Arc::new(RedirectToLogin {
            login_url: "/login".into(),
        });
        let app = router(builder.build().unwrap(), login, AdapterOptions::default());
        let request = Request::get("/jwks.json").body(Body::empty()).unwrap();
        app.oneshot(request).await.unwrap().status().as_u16()
    }

    #[tokio::test]
    async fn jwks_is_served_only_for_jwt_access_tokens() {
        assert_eq!(jwks_status(true).await, 200);
        assert_eq!(jwks_status(false).await, 404);
    }
}
