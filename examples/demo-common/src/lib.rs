//! The latchkey demo authorization server, free of any web framework: a small crypto
//! exchange whose users sign in, consent and (for trading and withdrawals) pass strong
//! customer authentication, plus a built-in client that shows the whole authorization
//! code flow. `demo-axum` and `demo-actix` mount the same [`Demo`] behind their adapter,
//! so both servers send the same bytes.
//!
//! ```no_run
//! # async fn run() -> Result<(), latchkey_demo::DemoError> {
//! use latchkey_demo::{Cli, Demo};
//! let cli = Cli::for_tests();
//! let demo = Demo::new(cli.load_config()?, &cli.store, "127.0.0.1:8080".parse().unwrap_or_else(|_| unreachable!())).await?;
//! assert_eq!(demo.issuer(), "http://127.0.0.1:8080");
//! # Ok(()) }
//! ```

mod app;
mod balance;
mod cli;
mod client;
mod config;
mod cookies;
mod flow;
mod pages;
pub mod process;
mod store;

pub use app::{default_issuer, Demo, DemoError, DEMO_CLIENT_ID};
pub use balance::balance;
pub use cli::{Cli, StoreSpec, UnknownStore};
pub use config::{ClientConfig, Config, ConfigError, ScopeConfig, TokenFormat, UserConfig};
pub use cookies::csrf_token;
