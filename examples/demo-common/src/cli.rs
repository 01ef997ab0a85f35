//! The command line both demo servers share: where to listen, which configuration file to
//! read and which store to keep grants in. Store choices are parsed by
//! [`StoreSpec::parse`], so adding a backend is one enum variant and one match arm.

use std::fmt;
use std::path::PathBuf;

use clap::Parser;

use crate::config::{Config, ConfigError};

/// Where grants, codes and tokens are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreSpec {
    /// In process memory: everything is lost on exit.
    Memory,
}

/// A `--store` value that names no known store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown store {0:?}: expected `memory`")]
pub struct UnknownStore(pub String);

impl StoreSpec {
    /// Parses a `--store` value: `memory`.
    pub fn parse(value: &str) -> Result<Self, UnknownStore> {
        match value.trim() {
            "memory" => Ok(Self::Memory),
            other => Err(UnknownStore(other.to_owned())),
        }
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory"),
        }
    }
}

/// The demo servers' flags.
#[derive(Debug, Clone, Parser)]
#[command(about = "A latchkey demo OAuth 2.0 authorization server for a small crypto exchange")]
pub struct Cli {
    /// Address to listen on, HOST:PORT (port 0 picks a free port).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// TOML configuration file (default: the built-in exchange).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where grants and tokens are stored.
    #[arg(long, value_name = "STORE", default_value = "memory", value_parser = parse_store)]
    pub store: StoreSpec,
}

fn parse_store(value: &str) -> Result<StoreSpec, String> {
    StoreSpec::parse(value).map_err(|e| e.to_string())
}

impl Default for Cli {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".into(),
            config: None,
            store: StoreSpec::Memory,
        }
    }
}

impl Cli {
    /// The flags for an in-process test server: `127.0.0.1:0`, built-in config, memory.
    pub fn for_tests() -> Self {
        Self {
            addr: "127.0.0.1:0".into(),
            ..Self::default()
        }
    }

    /// The configuration the flags name: the file, or the built-in defaults.
    pub fn load_config(&self) -> Result<Config, ConfigError> {
        match &self.config {
            Some(path) => Config::load(path),
            None => Ok(Config::builtin()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_with_defaults() {
        let cli = Cli::try_parse_from(["demo"]).unwrap();
        assert_eq!(cli.addr, "127.0.0.1:8080");
        assert_eq!(cli.store, StoreSpec::Memory);
        assert!(cli.config.is_none());
        let cli = Cli::try_parse_from([
            "demo",
            "--addr",
            "127.0.0.1:0",
            "--config",
            "x.toml",
            "--store",
            "memory",
        ])
        .unwrap();
        assert_eq!(cli.addr, "127.0.0.1:0");
        assert_eq!(cli.config, Some(PathBuf::from("x.toml")));
    }

    #[test]
    fn unknown_store_is_a_clear_error() {
        let err = Cli::try_parse_from(["demo", "--store", "redis"]).unwrap_err();
        assert!(err.to_string().contains("unknown store \"redis\""), "{err}");
        assert_eq!(StoreSpec::parse(" memory ").unwrap().to_string(), "memory");
    }
}
