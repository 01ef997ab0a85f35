//! The latchkey demo authorization server on axum. Run with:
//! `cargo run --release -p demo-axum -- [--addr 127.0.0.1:8080] [--config demo.toml] [--store memory|sqlite:PATH|postgres://...]`
//!
//! The adapter's routes serve the protocol endpoints at the root (`/authorize`, `/token`,
//! `/revoke`, `/introspect`, `/.well-known/oauth-authorization-server`, `/jwks.json`),
//! `GET /api/balance` sits behind the adapter's bearer layer requiring `balance:read`, and
//! every other path goes to the framework-free [`Demo`], shared byte for byte with the
//! actix-web demo. Tests start it in process with [`start`] on `127.0.0.1:0`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use latchkey_axum::{
    into_response, require_scopes, to_engine_request, AdapterOptions, Authenticated,
};
use latchkey_demo::{Cli, Demo, DemoError};
use latchkey_engine::InteractionHandler;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The whole demo application as an axum router.
pub fn app(demo: Arc<Demo>, options: AdapterOptions) -> Router {
    let engine = demo.engine().clone();
    let api = Router::new()
        .route("/api/balance", get(balance))
        .layer(require_scopes(
            engine.clone(),
            "balance:read",
            &options.realm,
        ));
    let handler: Arc<dyn InteractionHandler> = demo.clone();
    let router = latchkey_axum::router(engine, handler, options.clone()).merge(api);
    // Shared, not cloned per request (the realm is a `String`).
    let options = Arc::new(options);
    router.fallback(move |request: Request| {
        let demo = Arc::clone(&demo);
        let options = Arc::clone(&options);
        async move {
            match to_engine_request(request, &options).await {
                Ok(request) => into_response(demo.handle(request).await),
                Err(refused) => refused,
            }
        }
    })
}

async fn balance(Authenticated(grant): Authenticated) -> Response {
    into_response(latchkey_demo::balance(&grant))
}

/// A demo server running on the current Tokio runtime; dropping it stops the server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    demo: Arc<Demo>,
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

    /// Serves until the server fails (or forever).
    pub async fn wait(mut self) -> Result<(), DemoError> {
        match (&mut self.task).await {
            Ok(result) => Ok(result?),
            Err(error) => Err(DemoError::Io(std::io::Error::other(error))),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `cli.addr`, builds the demo from `cli`'s configuration and store, and starts
/// serving on a spawned task. With `--addr 127.0.0.1:0` the returned [`Server::addr`]
/// names the port picked.
pub async fn start(cli: &Cli) -> Result<Server, DemoError> {
    let config = cli.load_config()?;
    let listener = TcpListener::bind(cli.addr.as_str()).await?;
    let addr = listener.local_addr()?;
    let demo = Arc::new(Demo::new(config, &cli.store, addr).await?);
    let router = app(Arc::clone(&demo), AdapterOptions::default());
    let task = tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(Server { addr, demo, task })
}
