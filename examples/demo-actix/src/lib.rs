//! The latchkey demo authorization server on actix-web. Run with:
//! `cargo run --release -p demo-actix -- [--addr 127.0.0.1:8080] [--config demo.toml] [--store memory|sqlite:PATH|postgres://...]`
//!
//! The adapter's `configure` serves the protocol endpoints at the root (`/authorize`,
//! `/token`, `/revoke`, `/introspect`, `/.well-known/oauth-authorization-server`,
//! `/jwks.json`), `GET /api/balance` sits behind the adapter's bearer middleware requiring
//! `balance:read`, and the `default_service` hands every other path to the
//! framework-free [`Demo`], shared byte for byte with the axum demo. Tests start it in
//! process with [`start`] on `127.0.0.1:0`.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpServer};
use latchkey_actix::{
    into_response, read_body, to_engine_request, AdapterOptions, Authenticated, RequireScopes,
};
use latchkey_demo::{Cli, Demo, DemoError};
use latchkey_engine::InteractionHandler;
use tokio::task::JoinHandle;

/// The whole demo application, for `App::configure` (clone it into each worker).
pub fn configure(
    demo: Arc<Demo>,
    options: AdapterOptions,
) -> impl Fn(&mut ServiceConfig) + Clone + Send + 'static {
    let engine = demo.engine().clone();
    let handler: Arc<dyn InteractionHandler> = demo.clone();
    let endpoints = latchkey_actix::configure(engine.clone(), handler, options.clone());
    move |config: &mut ServiceConfig| {
        endpoints(config);
        config.service(
            web::resource("/api/balance")
                .wrap(RequireScopes::new(
                    engine.clone(),
                    "balance:read",
                    &options.realm,
                ))
                .route(web::get().to(balance)),
        );
        let demo = Arc::clone(&demo);
        // Shared, not cloned per request (the realm is a `String`).
        let options = Arc::new(options.clone());
        config.default_service(web::to(
            move |req: actix_web::HttpRequest, payload: web::Payload| {
                let demo = Arc::clone(&demo);
                let options = Arc::clone(&options);
                async move {
                    match read_body(&req, payload, &options).await {
                        Ok(body) => into_response(demo.handle(to_engine_request(&req, body)).await),
                        Err(refused) => refused,
                    }
                }
            },
        ));
    }
}

async fn balance(Authenticated(grant): Authenticated) -> actix_web::HttpResponse {
    into_response(latchkey_demo::balance(&grant))
}

/// A demo server running on the current Tokio runtime; dropping it stops the server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    demo: Arc<Demo>,
    handle: ServerHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL to send requests to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The demo it serves.
    pub fn demo(&self) -> &Arc<Demo> {
        &self.demo
    }

    /// Serves until the server stops or fails.
    pub async fn wait(mut self) -> Result<(), DemoError> {
        match (&mut self.task).await {
            Ok(result) => Ok(result?),
            Err(error) => Err(DemoError::Io(std::io::Error::other(error))),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Stops the workers (their threads outlive an aborted task otherwise).
        drop(self.handle.stop(false));
        self.task.abort();
    }
}

/// Binds `cli.addr`, builds the demo from `cli`'s configuration and store, and starts
/// serving on a spawned task. With `--addr 127.0.0.1:0` the returned [`Server::addr`]
/// names the port picked.
pub async fn start(cli: &Cli) -> Result<Server, DemoError> {
    let config = cli.load_config()?;
    let listener = std::net::TcpListener::bind(cli.addr.as_str())?;
    let addr = listener.local_addr()?;
    let demo = Arc::new(Demo::new(config, &cli.store, addr).await?);
    let app = configure(Arc::clone(&demo), AdapterOptions::default());
    let server = HttpServer::new(move || App::new().configure(app.clone()))
        .workers(2)
        .listen(listener)?
        .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(Server {
        addr,
        demo,
        handle,
        task,
    })
}
