//! The command line both demo servers share: where to listen, which configuration file to
//! read and which store to keep grants in. Store choices are parsed by
//! [`StoreSpec::parse`], so adding a backend is one enum variant and one match arm.

use std::fmt;
use std::path::PathBuf;

use clap::Parser;

use crate::config::{Config, ConfigError};

/// Where grants, codes and tokens are kept.
///
/// Its `Display` and `Debug` forms never show a database password, so a spec can be
/// logged as it is.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreSpec {
    /// In process memory: everything is lost on exit.
    Memory,
    /// A SQLite database file, created if missing (`sqlite:PATH`). Survives restarts; several
    /// processes on one machine may share it.
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://…` or `postgresql://…`), shared by any number of
    /// demo processes. A `schema=NAME` query parameter keeps the tables in that schema
    /// (created if missing); `options=-csearch_path%3DNAME` works too for an existing one.
    Postgres(String),
}

/// A `--store` value that names no known store, or names one badly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown store {0:?}: expected `memory`, `sqlite:PATH` or `postgres://USER@HOST/DB`")]
pub struct UnknownStore(pub String);

impl StoreSpec {
    /// Parses a `--store` value: `memory`, `sqlite:PATH` (also `sqlite://PATH`) or a
    /// `postgres://` / `postgresql://` URL.
    pub fn parse(value: &str) -> Result<Self, UnknownStore> {
        let value = value.trim();
        if value == "memory" {
            return Ok(Self::Memory);
        }
        if let Some(path) = value.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(UnknownStore(
                    "sqlite: needs a file path, as in sqlite:demo.db".into(),
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return Ok(Self::Postgres(value.to_owned()));
        }
        // The value may be a mistyped URL with a password in it: never echo that.
        Err(UnknownStore(mask_password(value)))
    }
}

/// `url` with the password of its user info and any `password=` query parameter replaced
/// by `****`.
pub(crate) fn mask_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let (scheme, rest) = url.split_at(scheme_end);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:****@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}=****")
                    }
                    _ => pair.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("&");
            format!("{path}?{query}")
        }
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory"),
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => f.write_str(&mask_password(url)),
        }
    }
}

impl fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreSpec({self})")
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
    /// Where grants and tokens are stored: `memory`, `sqlite:PATH` or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]`.
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
        let err = StoreSpec::parse("mysql://u:hunter2@h/db").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(StoreSpec::parse("sqlite:").is_err());
    }

    #[test]
    fn sqlite_and_postgres_stores_parse() {
        assert_eq!(
            StoreSpec::parse("sqlite:/tmp/lk.db").unwrap(),
            StoreSpec::Sqlite(PathBuf::from("/tmp/lk.db"))
        );
        assert_eq!(
            StoreSpec::parse("sqlite:///tmp/lk.db").unwrap(),
            StoreSpec::Sqlite(PathBuf::from("/tmp/lk.db"))
        );
        assert_eq!(
            StoreSpec::parse("sqlite:lk.db").unwrap().to_string(),
            "sqlite:lk.db"
        );
        let url = "postgres://postgres@127.0.0.1:5432/test?schema=lk_a";
        assert_eq!(
            StoreSpec::parse(url).unwrap(),
            StoreSpec::Postgres(url.into())
        );
        assert_eq!(StoreSpec::parse(url).unwrap().to_string(), url);
        assert!(matches!(
            StoreSpec::parse("postgresql://db/auth").unwrap(),
            StoreSpec::Postgres(_)
        ));
        let cli = Cli::try_parse_from(["demo", "--store", "sqlite:x.db"]).unwrap();
        assert_eq!(cli.store, StoreSpec::Sqlite(PathBuf::from("x.db")));
    }

    #[test]
    fn passwords_are_never_displayed() {
        let spec = StoreSpec::parse(
            "postgres://auth:hunter2@db:5432/auth?password=hunter3&sslmode=require",
        )
        .unwrap();
        let shown = spec.to_string();
        assert_eq!(
            shown,
            "postgres://auth:****@db:5432/auth?password=****&sslmode=require"
        );
        let debug = format!(
            "{:?}",
            Cli {
                store: spec,
                ..Cli::default()
            }
        );
        assert!(!debug.contains("hunter"), "{debug}");
        assert_eq!(
            mask_password("postgres://p%40ss:x@y@h/db"),
            "postgres://p%40ss:****@h/db"
        );
    }
}
