//! Multi-process tests of the demo servers with persistent stores, shared by the tests of
//! `demo-axum` and `demo-actix` (each includes this file with `#[path]` and hands it the
//! path of its own binary, which only its own package's tests can name):
//!
//! - a restart on SQLite keeps the codes, tokens and refresh tokens issued before it;
//! - two processes on one PostgreSQL schema share a flow, and concurrent redemptions of
//!   one code on both give exactly one success;
//! - a PostgreSQL outage (a TCP proxy in the test that is stopped and started again) gives
//!   503 `temporarily_unavailable`, never a crash, and the demo recovers by itself.
//!
//! Every demo runs as a child process killed when its [`Node`] guard drops (also when a
//! test fails). The PostgreSQL tests read `LATCHKEY_TEST_POSTGRES_URL`: unset, they print
//! `skipped: LATCHKEY_TEST_POSTGRES_URL not set` and pass; set but unreachable, they fail.
//! Each run uses a schema of its own (`lk_nodes_<random>`), dropped at the end.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use latchkey_engine::pkce::{fill_random, CodeChallenge, CodeVerifier, State};
use latchkey_sqlx::sqlx::postgres::PgPoolOptions;
use latchkey_sqlx::sqlx::Executor;
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// Fixed, so that every node and every restart names the same issuer whatever its port
/// (the engine uses it only for `iss` and metadata).
pub const ISSUER: &str = "http://127.0.0.1";
pub const CLIENT_ID: &str = "wallet-web";
pub const CLIENT_SECRET: &str = "wallet-web-secret-for-tests";
pub const REDIRECT_URI: &str = "https://wallet.example/callback";
const URL_VAR: &str = "LATCHKEY_TEST_POSTGRES_URL";

/// The configuration every node of a test shares: one issuer, one cookie secret.
const CONFIG: &str = r#"
issuer = "http://127.0.0.1"
code_ttl_secs = 600
session_secret = "nodes-test-session-secret-0123456789"

[[clients]]
id = "wallet-web"
secret = "wallet-web-secret-for-tests"
redirect_uris = ["https://wallet.example/callback"]
scopes = ["balance:read", "trade"]

[[users]]
username = "alice"
password = "alice-password"
sca_code = "123456"

[[scopes]]
name = "balance:read"
description = "View your balances"

[[scopes]]
name = "trade"
description = "Place trades on your behalf"
requires_sca = true
"#;

/// A random lower-case hex string of `bytes` bytes.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf).unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", random_hex(8)));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes the shared configuration into the directory.
    pub fn config(&self) -> PathBuf {
        let path = self.0.join("demo.toml");
        std::fs::write(&path, CONFIG).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A demo server process, killed when dropped.
pub struct Node {
    child: Child,
    pub url: String,
}

impl Node {
    /// Starts `binary --addr 127.0.0.1:0 --store STORE --config CONFIG` and waits for its
    /// `listening on http://ADDR` line.
    pub fn start(binary: &Path, store: &str, config: &Path) -> Self {
        let mut child = Command::new(binary)
            .args(["--addr", "127.0.0.1:0", "--store", store, "--config"])
            .arg(config)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep reading to the end so the child never blocks on a full pipe.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let mut node = Self {
            child,
            url: String::new(),
        };
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => node.url = url,
            Err(error) => {
                let status = match error {
                    // Stdout closed: the process is exiting, so its status is coming.
                    std::sync::mpsc::RecvTimeoutError::Disconnected => node.child.wait().ok(),
                    std::sync::mpsc::RecvTimeoutError::Timeout => {
                        node.child.try_wait().ok().flatten()
                    }
                };
                panic!(
                    "{} --store {store} did not report `listening on` (exit status {status:?}; see its stderr above)",
                    binary.display()
                );
            }
        }
        node
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Kills the process and reaps it.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A browser: cookie jar on (cookies ignore the port, so one jar serves every node on
/// 127.0.0.1, as one browser would behind a load balancer), redirects left to the test.
pub fn browser() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A plain HTTP client for the token endpoint and the API.
pub fn http() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{response:?}");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

/// A code for alice with `balance:read`, and its PKCE verifier.
pub struct Code {
    pub code: String,
    pub verifier: String,
}

/// Sends `browser` to `GET {node}/authorize` for a new PKCE request; answers the state
/// sent and the verifier. The browser holds the interaction cookie afterwards.
pub async fn start_authorization(browser: &Client, node: &str) -> (String, String) {
    let verifier = CodeVerifier::generate().unwrap();
    let state = State::generate().unwrap();
    let challenge = CodeChallenge::s256(&verifier);
    let response = browser
        .get(format!("{node}/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "balance:read"),
            ("state", state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/login");
    (state.as_str().to_owned(), verifier.secret().to_owned())
}

/// Authorizes on `authorize_node`, then signs in and consents on `pages_node` (the same
/// node or another one sharing the database and the configuration).
pub async fn obtain_code(authorize_node: &str, pages_node: &str) -> Code {
    let browser = browser();
    let (state, verifier) = start_authorization(&browser, authorize_node).await;
    let response = browser
        .get(format!("{pages_node}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let token = csrf(&response.text().await.unwrap());
    let response = browser
        .post(format!("{pages_node}/login"))
        .form(&[
            ("username", "alice"),
            ("password", "alice-password"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/consent");
    let response = browser
        .get(format!("{pages_node}/consent"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let token = csrf(&response.text().await.unwrap());
    let response = browser
        .post(format!("{pages_node}/consent"))
        .form(&[("decision", "approve"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let back = url::Url::parse(&location(&response)).unwrap();
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some(state.as_str()));
    assert_eq!(param("iss").as_deref(), Some(ISSUER));
    Code {
        code: param("code").expect("a code in the redirect"),
        verifier,
    }
}

/// `POST {node}/token` as the confidential client: the status and the JSON body.
pub async fn token(node: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = http()
        .post(format!("{node}/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// Redeems a code at `node`.
pub async fn redeem(node: &str, code: &Code) -> (StatusCode, Value) {
    token(
        node,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", code.verifier.as_str()),
        ],
    )
    .await
}

/// Rotates a refresh token at `node`.
pub async fn refresh(node: &str, refresh_token: &str) -> (StatusCode, Value) {
    token(
        node,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// The access and refresh tokens of a 200 token response.
pub fn tokens(answer: &(StatusCode, Value)) -> (String, String) {
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    (
        answer.1["access_token"].as_str().unwrap().to_owned(),
        answer.1["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// Asserts a token error response.
pub fn assert_token_error(answer: &(StatusCode, Value), status: StatusCode, error: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"], error, "{}", answer.1);
}

/// The status of `GET {node}/api/balance` with `access_token`.
pub async fn balance(node: &str, access_token: &str) -> StatusCode {
    http()
        .get(format!("{node}/api/balance"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
}

/// A restart on SQLite keeps what was issued before it: a code issued before the restart
/// redeems after it, the old access token still works, the old refresh token rotates, and
/// a replay of a code redeemed before the restart is refused and revokes its grant.
pub async fn restart_keeps_codes_and_tokens(binary: &Path) {
    let dir = TempDir::new("lk-restart");
    let config = dir.config();
    let store = format!("sqlite:{}", dir.path().join("lk.db").display());

    let first = Node::start(binary, &store, &config);
    let redeemed = obtain_code(&first.url, &first.url).await;
    let (access, refresh_token) = tokens(&redeem(&first.url, &redeemed).await);
    assert_eq!(balance(&first.url, &access).await, StatusCode::OK);
    let kept = obtain_code(&first.url, &first.url).await;
    let before = first.url.clone();
    first.stop();

    let second = Node::start(binary, &store, &config);
    let node = second.url.as_str();
    assert_ne!(node, before, "the restarted demo listens on a new port");
    let (kept_access, _) = tokens(&redeem(node, &kept).await);
    assert_eq!(balance(node, &kept_access).await, StatusCode::OK);
    assert_eq!(balance(node, &access).await, StatusCode::OK);
    let (rotated_access, _) = tokens(&refresh(node, &refresh_token).await);
    assert_eq!(balance(node, &rotated_access).await, StatusCode::OK);

    // A replay of the code redeemed before the restart is refused and revokes its grant
    // (the rotated tokens included); the other grant is untouched.
    assert_token_error(
        &redeem(node, &redeemed).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(balance(node, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        balance(node, &rotated_access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(balance(node, &kept_access).await, StatusCode::OK);
    // The metadata still names the configured issuer.
    let metadata: Value = http()
        .get(format!("{node}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], ISSUER);
    second.stop();
}

/// A schema of the test database for one test, dropped by [`TestDb::drop_schema`] (a
/// failing test leaves it behind for inspection).
pub struct TestDb {
    url: String,
    pub schema: String,
}

impl TestDb {
    /// `None` (after printing that the test did not run) without a test database; panics
    /// if one is named but cannot be reached.
    pub async fn connect() -> Option<Self> {
        let Ok(url) = std::env::var(URL_VAR) else {
            // Written to stderr directly: the test harness captures `println!`, and this
            // line must be visible in a plain `cargo test` run.
            let test = std::thread::current().name().unwrap_or("test").to_owned();
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("{test}: did not run (skipped: {URL_VAR} not set)\n").as_bytes(),
            );
            return None;
        };
        let db = Self {
            schema: format!("lk_nodes_{}", random_hex(6)),
            url,
        };
        // Fail now, with a clear message, if the database is not there.
        db.execute("SELECT 1").await;
        Some(db)
    }

    async fn execute(&self, sql: &str) {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{URL_VAR} is set but PostgreSQL is unreachable: {e}"));
        pool.execute(sql).await.unwrap();
        pool.close().await;
    }

    /// The `--store` value for a demo keeping its tables in this test's schema (which the
    /// demo creates), reaching the database at `addr` instead of the URL's host if given.
    pub fn store(&self, addr: Option<SocketAddr>) -> String {
        let mut url = url::Url::parse(&self.url).unwrap();
        if let Some(addr) = addr {
            url.set_host(Some(&addr.ip().to_string())).unwrap();
            url.set_port(Some(addr.port())).unwrap();
        }
        url.query_pairs_mut().append_pair("schema", &self.schema);
        url.to_string()
    }

    /// The database server's address, from the URL.
    pub async fn server_addr(&self) -> SocketAddr {
        let url = url::Url::parse(&self.url).unwrap();
        let host = url.host_str().unwrap_or("localhost").to_owned();
        let port = url.port().unwrap_or(5432);
        let mut addrs = tokio::net::lookup_host((host.as_str(), port))
            .await
            .unwrap();
        addrs.next().unwrap()
    }

    pub async fn drop_schema(self) {
        self.execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
            .await;
    }
}

/// Two demo processes on one PostgreSQL schema serve one flow between them, and of many
/// concurrent redemptions of one code split across both exactly one succeeds.
pub async fn two_nodes_share_one_database(a_binary: &Path, b_binary: &Path) {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let dir = TempDir::new("lk-two-nodes");
    let config = dir.config();
    let store = db.store(None);
    let a = Node::start(a_binary, &store, &config);
    let b = Node::start(b_binary, &store, &config);
    let (a_url, b_url) = (a.url.as_str(), b.url.as_str());

    // Authorize on A; login and consent on B; token on A; refresh on B; balance on A.
    let code = obtain_code(a_url, b_url).await;
    let (access, refresh_token) = tokens(&redeem(a_url, &code).await);
    assert_eq!(balance(b_url, &access).await, StatusCode::OK);
    let (next_access, _) = tokens(&refresh(b_url, &refresh_token).await);
    assert_eq!(balance(a_url, &next_access).await, StatusCode::OK);
    // The code was redeemed on A: B refuses it and revokes the grant for both nodes.
    assert_token_error(
        &redeem(b_url, &code).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(balance(a_url, &next_access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(balance(b_url, &next_access).await, StatusCode::UNAUTHORIZED);

    // 32 concurrent redemptions of one fresh code, half on each node.
    let code = Arc::new(obtain_code(b_url, a_url).await);
    let barrier = Arc::new(tokio::sync::Barrier::new(32));
    let mut tasks = JoinSet::new();
    for i in 0..32 {
        let node = if i % 2 == 0 {
            a.url.clone()
        } else {
            b.url.clone()
        };
        let (code, barrier) = (Arc::clone(&code), Arc::clone(&barrier));
        tasks.spawn(async move {
            barrier.wait().await;
            redeem(&node, &code).await
        });
    }
    let answers: Vec<_> = tasks.join_all().await;
    let winners = answers.iter().filter(|a| a.0 == StatusCode::OK).count();
    assert_eq!(winners, 1, "{answers:?}");
    for answer in answers.iter().filter(|a| a.0 != StatusCode::OK) {
        assert_token_error(answer, StatusCode::BAD_REQUEST, "invalid_grant");
    }

    a.stop();
    b.stop();
    db.drop_schema().await;
}

/// A TCP forwarder standing in for the database's network path: [`Proxy::down`] closes
/// its port and cuts every open connection, [`Proxy::up`] listens on the same port again.
pub struct Proxy {
    addr: SocketAddr,
    target: SocketAddr,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Self {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = probe.local_addr().unwrap();
        drop(probe);
        let mut proxy = Self {
            addr,
            target,
            running: None,
        };
        proxy.up().await;
        proxy
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn up(&mut self) {
        assert!(self.running.is_none(), "the proxy is up already");
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.addr).unwrap();
        let listener = socket.listen(128).unwrap();
        let target = self.target;
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((mut inbound, _)) = accepted else { continue };
                        connections.spawn(async move {
                            if let Ok(mut outbound) = TcpStream::connect(target).await {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                            }
                        });
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
            drop(listener);
            // Cut every forwarded connection and wait until their sockets are closed.
            connections.shutdown().await;
        });
        self.running = Some((stop, task));
    }

    /// Returns once the port is closed and no connection is forwarded any more.
    pub async fn down(&mut self) {
        let (stop, task) = self.running.take().expect("the proxy is up");
        let _ = stop.send(());
        task.await.unwrap();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some((_, task)) = self.running.take() {
            task.abort();
        }
    }
}

/// While the database is unreachable the demo answers 503 (`temporarily_unavailable` on
/// the token endpoint, an error page on the browser pages, 503 on the API) and keeps
/// running; when it is back, the same requests succeed without a restart, and the code
/// whose redemption failed during the outage still redeems exactly once.
pub async fn database_outage_is_503_and_recovers(binary: &Path) {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let mut proxy = Proxy::start(db.server_addr().await).await;
    let dir = TempDir::new("lk-outage");
    let config = dir.config();
    let mut node = Node::start(binary, &db.store(Some(proxy.addr())), &config);
    let url = node.url.clone();
    let url = url.as_str();

    let first = obtain_code(url, url).await;
    let (access, refresh_token) = tokens(&redeem(url, &first).await);
    let pending = obtain_code(url, url).await;
    let waiting = browser();
    start_authorization(&waiting, url).await;

    proxy.down().await;
    let unavailable = |answer: &(StatusCode, Value)| {
        assert!(
            matches!(
                (answer.0, answer.1["error"].as_str()),
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some("temporarily_unavailable")
                ) | (StatusCode::INTERNAL_SERVER_ERROR, Some("server_error"))
            ),
            "{answer:?}"
        );
    };
    let authorize = async {
        let browser = browser();
        let response = browser
            .get(format!("{url}/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "balance:read"),
                ("state", "s"),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGcSMzwpEE",
                ),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        response.status()
    };
    let login = async {
        let response = waiting.get(format!("{url}/login")).send().await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    };
    let (redeemed, refreshed, api, authorize, login) = tokio::join!(
        redeem(url, &pending),
        refresh(url, &refresh_token),
        balance(url, &access),
        authorize,
        login,
    );
    unavailable(&redeemed);
    unavailable(&refreshed);
    assert_eq!(api, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(authorize, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(login.0, StatusCode::SERVICE_UNAVAILABLE, "{}", login.1);
    assert!(login.1.contains("Temporarily unavailable"), "{}", login.1);
    assert!(node.alive(), "the demo survives a database outage");

    proxy.up().await;
    assert_eq!(balance(url, &access).await, StatusCode::OK);
    // The failed redemption wrote nothing: the code redeems now, exactly once.
    let (pending_access, _) = tokens(&redeem(url, &pending).await);
    assert_token_error(
        &redeem(url, &pending).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(
        balance(url, &pending_access).await,
        StatusCode::UNAUTHORIZED
    );
    // The failed rotation did not use up the refresh token.
    let (rotated, _) = tokens(&refresh(url, &refresh_token).await);
    assert_eq!(balance(url, &rotated).await, StatusCode::OK);
    // The interaction begun before the outage is still there, and a new flow works.
    let response = waiting.get(format!("{url}/login")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let fresh = obtain_code(url, url).await;
    let (fresh_access, _) = tokens(&redeem(url, &fresh).await);
    assert_eq!(balance(url, &fresh_access).await, StatusCode::OK);
    assert!(node.alive());

    node.stop();
    proxy.down().await;
    db.drop_schema().await;
}
