//! The authorization server's routes for an actix-web [`App`](actix_web::App) or
//! [`Scope`](actix_web::Scope): every [`Endpoint`] the engine serves, registered by
//! [`configure`] at paths relative to where it is configured.

use std::sync::Arc;

use actix_web::web::{self, ServiceConfig};
use latchkey_engine::adapter::{AdapterOptions, Endpoint};
use latchkey_engine::{Engine, InteractionHandler};

use crate::convert::{endpoint_request, into_response, read_body};

struct Shared {
    engine: Engine,
    handler: Arc<dyn InteractionHandler>,
    options: AdapterOptions,
}

/// The routes `GET /authorize`, `POST /token`, `POST /revoke`, `POST /introspect`,
/// `GET /.well-known/oauth-authorization-server` and, for JWT access tokens,
/// `GET /jwks.json`, for `App::configure` or `Scope::configure`. Valid authorization
/// requests go to `handler` (e.g. [`latchkey_engine::RedirectToLogin`]).
///
/// The function is `Clone + Send`, so it fits `HttpServer::new`'s per-worker factory:
/// `HttpServer::new(move || App::new().configure(cfg.clone()))`. Nested with
/// `web::scope("/oauth").configure(...)`, build the engine with
/// `EngineBuilder::endpoint_base("https://issuer.example/oauth")` so the metadata names the
/// right URLs.
pub fn configure(
    engine: Engine,
    handler: Arc<dyn InteractionHandler>,
    options: AdapterOptions,
) -> impl Fn(&mut ServiceConfig) + Clone + Send + 'static {
    let shared = Arc::new(Shared {
        engine,
        handler,
        options,
    });
    move |config: &mut ServiceConfig| {
        for endpoint in Endpoint::ALL {
            if !endpoint.is_served_by(&shared.engine) {
                continue;
            }
            let shared = Arc::clone(&shared);
            config.service(web::resource(endpoint.path()).to(
                move |req: actix_web::HttpRequest, payload: web::Payload| {
                    serve(Arc::clone(&shared), endpoint, req, payload)
                },
            ));
        }
    }
}

async fn serve(
    shared: Arc<Shared>,
    endpoint: Endpoint,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> actix_web::HttpResponse {
    let body = match read_body(&req, payload, &shared.options).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let request = endpoint_request(&req, &body);
    let response = endpoint
        .respond(&shared.engine, shared.handler.as_ref(), request)
        .await;
    into_response(response)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::{test, App};
    use latchkey_engine::jwt::{JwtKeys, SigningAlgorithm, SigningKey};
    use latchkey_engine::{MemoryStore, RedirectToLogin};

    async fn jwks_status(jwt: bool) -> u16 {
        let mut builder = Engine::builder("https://auth.example", Arc::new(MemoryStore::new()));
        if jwt {
            let key = SigningKey::generate("k1", SigningAlgorithm::Es256).unwrap();
            builder = builder.jwt_access_tokens(JwtKeys::new(key));
        }
        let login = Arc::new(RedirectToLogin {
            login_url: "/login".into(),
        });
        let cfg = configure(builder.build().unwrap(), login, AdapterOptions::default());
        let app = test::init_service(App::new().configure(cfg)).await;
        let request = test::TestRequest::get().uri("/jwks.json").to_request();
        test::call_service(&app, request).await.status().as_u16()
    }

    #[actix_web::test]
    async fn jwks_is_served_only_for_jwt_access_tokens() {
        assert_eq!(jwks_status(true).await, 200);
        assert_eq!(jwks_status(false).await, 404);
    }
}
