//! The demo application, independent of any web framework: [`Demo`] builds the engine
//! from the configuration (issuer, clients plus the built-in `demo-client`, scopes,
//! token format), holds the users and the sign-in throttle, starts login for the
//! adapters as their [`InteractionHandler`], and answers every demo page through
//! [`Demo::handle`]. Both demo servers mount the same value, so they behave identically.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};
use latchkey_engine::jwt::{JwtKeys, SigningAlgorithm, SigningKey};
use latchkey_engine::store::Client;
use latchkey_engine::throttle::{MemoryThrottle, Throttle};
use latchkey_engine::types::{ClientId, FormParams, GrantType, RedirectUri, Scope};
use latchkey_engine::{
    acr, Engine, HttpRequest, HttpResponse, InteractionHandler, PendingInteraction, Policy,
    ScopeRule,
};
use sha2::{Digest, Sha256};
use time::Duration;

use crate::cli::StoreSpec;
use crate::config::{Config, ConfigError, TokenFormat, UserConfig};
use crate::cookies::{self, Signer};
use crate::pages;
use crate::store::open_store;

/// The id of the built-in browser client behind `GET /`.
pub const DEMO_CLIENT_ID: &str = "demo-client";

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The engine refused its configuration or failed.
    #[error("engine: {0}")]
    Engine(#[from] latchkey_engine::Error),
    /// The store could not be opened.
    #[error("store: {0}")]
    Store(String),
    /// Binding or serving failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// The demo authorization server, minus the HTTP framework.
#[derive(Debug)]
pub struct Demo {
    pub(crate) engine: Engine,
    pub(crate) users: Vec<UserConfig>,
    pub(crate) throttle: MemoryThrottle,
    pub(crate) signer: Signer,
    /// Whether the built-in users are in use, so the pages may show their credentials.
    pub(crate) hints: bool,
}

/// The issuer used when the configuration names none: `http://` + the bound address, with
/// an unspecified address (`0.0.0.0`, `::`) replaced by loopback.
pub fn default_issuer(bound: SocketAddr) -> String {
    let mut addr = bound;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    format!("http://{addr}")
}

fn demo_client(issuer: &str) -> Result<Client, ConfigError> {
    let redirect = format!("{issuer}/callback");
    Ok(Client {
        id: ClientId::new(DEMO_CLIENT_ID).map_err(|e| ConfigError(e.to_string()))?,
        name: "Latchkey demo client".into(),
        secret: None,
        redirect_uris: vec![RedirectUri::register(&redirect)
            .map_err(|e| ConfigError(format!("built-in client redirect {redirect:?}: {e}")))?],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scope: Scope::parse("balance:read trade withdraw")
            .map_err(|e| ConfigError(e.to_string()))?,
    })
}

fn policy(config: &Config) -> Result<Policy, DemoError> {
    let mut policy = Policy::default();
    if let Some(secs) = config.code_ttl_secs {
        let secs =
            i64::try_from(secs).map_err(|_| ConfigError("code_ttl_secs too large".into()))?;
        policy = policy.code_ttl(Duration::seconds(secs))?;
    }
    for rule in &config.scopes {
        policy = policy.scope(ScopeRule {
            name: rule.name.clone(),
            description: rule.description.clone(),
            required_acr: rule.requires_sca.then(|| acr::STRONG.into()),
        });
    }
    Ok(policy)
}

/// The Ed25519 signing key kept in `path` (PKCS#8 DER), created there if missing, so
/// every node sharing the file signs and verifies with the same key. Its key id is derived
/// from the public key, so a replaced file gets a new `kid`.
fn load_or_create_key(path: &Path) -> Result<SigningKey, DemoError> {
    let fail = |what: String| {
        DemoError::Config(ConfigError(format!(
            "jwt_key_file {}: {what}",
            path.display()
        )))
    };
    let der = match std::fs::read(path) {
        Ok(der) => der,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate("demo", SigningAlgorithm::EdDsa)?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut file) => {
                    file.write_all(key.pkcs8_der())
                        .and_then(|()| file.sync_all())
                        .map_err(|e| fail(format!("cannot write: {e}")))?;
                    key.pkcs8_der().to_vec()
                }
                // Another node created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?
                }
                Err(e) => return Err(fail(format!("cannot create: {e}"))),
            }
        }
        Err(e) => return Err(fail(format!("cannot read: {e}"))),
    };
    let key = SigningKey::from_pkcs8_der("demo", SigningAlgorithm::EdDsa, &der)
        .map_err(|e| fail(e.to_string()))?;
    let public = key
        .public_jwk()
        .get("x")
        .map(ToString::to_string)
        .unwrap_or_default();
    let digest = Sha256::digest(public.as_bytes());
    let kid: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    Ok(SigningKey::from_pkcs8_der(
        &format!("demo-{kid}"),
        SigningAlgorithm::EdDsa,
        &der,
    )?)
}

impl Demo {
    /// Builds the demo for a server bound to `bound`, over the store `store` names.
    pub async fn new(
        config: Config,
        store: &StoreSpec,
        bound: SocketAddr,
    ) -> Result<Self, DemoError> {
        config.validate()?;
        let issuer = config
            .issuer
            .clone()
            .unwrap_or_else(|| default_issuer(bound))
            .trim_end_matches('/')
            .to_owned();
        let mut clients = config
            .clients
            .iter()
            .map(|c| c.to_client())
            .collect::<Result<Vec<_>, _>>()?;
        clients.push(demo_client(&issuer)?);
        let storage = open_store(store, clients).await?;
        let mut builder = Engine::builder(&issuer, storage).policy(policy(&config)?);
        if config.access_token_format == TokenFormat::Jwt {
            let key = match &config.jwt_key_file {
                Some(path) => load_or_create_key(path)?,
                None => SigningKey::generate("demo-1", SigningAlgorithm::EdDsa)?,
            };
            builder = builder.jwt_access_tokens(JwtKeys::new(key));
        }
        let engine = builder.build()?;
        let key = match &config.session_secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => {
                let mut key = vec![0; 32];
                latchkey_engine::pkce::fill_random(&mut key)
                    .map_err(|_| latchkey_engine::Error::Randomness)?;
                key
            }
        };
        let secure = engine.issuer().starts_with("https://");
        Ok(Self {
            engine,
            hints: config.users == Config::builtin().users,
            users: config.users,
            throttle: MemoryThrottle::new(5, Duration::minutes(5)),
            signer: Signer::new(key, secure),
        })
    }

    /// The engine, for the adapters' protocol endpoints and bearer checks.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        self.engine.issuer()
    }

    /// Answers a demo page request: `GET /`, `GET /client/start`, `GET /callback`,
    /// `GET`/`POST /login`, `/consent` and `/sca`; anything else is a 404 page.
    pub async fn handle(&self, request: HttpRequest) -> HttpResponse {
        let request = &request;
        match (request.method(), request.uri().path()) {
            (&Method::GET, "/") => self.home(),
            (&Method::GET, "/client/start") => self.client_start(request),
            (&Method::GET, "/callback") => self.callback(request).await,
            (&Method::GET, "/login") => self.login_page(request).await,
            (&Method::POST, "/login") => self.login_submit(request).await,
            (&Method::GET, "/consent") => self.consent_page(request).await,
            (&Method::POST, "/consent") => self.consent_submit(request).await,
            (&Method::GET, "/sca") => self.sca_page(request).await,
            (&Method::POST, "/sca") => self.sca_submit(request).await,
            (_, "/" | "/client/start" | "/callback" | "/login" | "/consent" | "/sca") => {
                pages::message(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Method not allowed",
                    "This page does not accept that method.",
                )
            }
            _ => pages::message(StatusCode::NOT_FOUND, "Not found", "There is no such page."),
        }
    }

    /// Starts a background task that purges expired records every 60 seconds, logging
    /// what it removed. Needs a Tokio runtime.
    pub fn spawn_purge(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.engine.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(std::time::Duration::from_secs(60));
            interval.tick().await;
            loop {
                interval.tick().await;
                match engine.purge_expired().await {
                    Ok(report) => tracing::info!(
                        codes = report.codes,
                        interactions = report.interactions,
                        tokens = report.tokens,
                        "purged expired records"
                    ),
                    Err(error) => tracing::warn!(%error, "purge failed"),
                }
            }
        })
    }

    pub(crate) fn user(&self, username: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.username == username)
    }

    pub(crate) async fn throttled(&self, key: &str) -> Option<u64> {
        self.throttle
            .check(key, time::OffsetDateTime::now_utc())
            .await
            .err()
    }
}

impl InteractionHandler for Demo {
    /// `303` to `/login`, binding the interaction to this browser with an `HttpOnly`
    /// cookie: its id never appears in a URL.
    fn start(&self, pending: PendingInteraction) -> HttpResponse {
        let mut response = pages::see_other("/login");
        cookies::append(
            response.headers_mut(),
            [
                self.signer.set(cookies::INTERACTION, pending.id.as_str()),
                self.signer.clear(cookies::AUTH),
            ],
        );
        response
    }
}

/// The fields of a form body (the engine's parser: a field sent empty counts as absent),
/// or the 400 page for a malformed one (not a form, a field given twice, too large).
pub(crate) fn form_fields(request: &HttpRequest) -> Result<FormParams, Box<HttpResponse>> {
    let bad = || {
        Box::new(pages::message(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "The form could not be read.",
        ))
    };
    let is_form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(bad());
    }
    FormParams::parse(request.body()).map_err(|_| bad())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn default_issuer_is_the_bound_address_on_loopback() {
        assert_eq!(
            default_issuer("127.0.0.1:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            default_issuer("0.0.0.0:9000".parse().unwrap()),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            default_issuer("[::]:9000".parse().unwrap()),
            "http://[::1]:9000"
        );
    }

    #[test]
    fn forms_are_refused_unless_a_form_with_each_field_once() {
        let post = |content_type: &str, body: &'static [u8]| {
            let mut request = HttpRequest::new(bytes::Bytes::from_static(body));
            request.headers_mut().insert(
                CONTENT_TYPE,
                http::HeaderValue::from_str(content_type).unwrap(),
            );
            request
        };
        let form = "application/x-www-form-urlencoded; charset=utf-8";
        let request = post(form, b"csrf=t&username=al%20ice&password=");
        let fields = form_fields(&request).unwrap();
        assert_eq!(fields.get("csrf"), Some("t"));
        assert_eq!(fields.get("username"), Some("al ice"));
        assert_eq!(fields.get("password"), None);
        for request in [
            post(form, b"csrf=t&csrf=u"),
            post(form, b"csrf=t&%63srf=u"),
            post("text/plain", b"csrf=t"),
        ] {
            let page = form_fields(&request).unwrap_err();
            assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn a_jwt_key_file_is_created_once_and_shared() {
        let mut random = [0u8; 8];
        latchkey_engine::pkce::fill_random(&mut random).unwrap();
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("lk-jwt-{name}.der"));
        let first = load_or_create_key(&path).unwrap();
        let second = load_or_create_key(&path).unwrap();
        assert_eq!(first.pkcs8_der(), second.pkcs8_der());
        assert_eq!(first.kid(), second.kid());
        assert!(first.kid().starts_with("demo-"), "{}", first.kid());
        std::fs::write(&path, b"not a key").unwrap();
        let err = load_or_create_key(&path).unwrap_err().to_string();
        assert!(err.contains("jwt_key_file"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }
}
