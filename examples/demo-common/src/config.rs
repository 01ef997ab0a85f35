//! The demo's TOML configuration: issuer, code lifetime, access token format, the secret
//! that signs page cookies, and the clients, users and scopes the demo knows. Without a
//! file the built-in defaults describe a small crypto exchange. Unknown fields are
//! rejected and every mistake becomes a [`ConfigError`] naming what is wrong, never a
//! panic.

use std::path::Path;

use latchkey_engine::store::{Client, ClientSecretVerifier};
use latchkey_engine::types::{ClientId, GrantType, RedirectUri, Scope};
use serde::Deserialize;

/// A configuration that cannot be used, with a message meant for the person running the demo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// How access tokens are minted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    /// Random strings checked against the store (the default).
    #[default]
    Opaque,
    /// RFC 9068 JWTs signed with an EdDSA key: per process, or shared through `jwt_key_file`.
    Jwt,
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The issuer URL; defaults to `http://` + the bound address.
    pub issuer: Option<String>,
    /// Authorization code lifetime in seconds (default 60, at most 600).
    pub code_ttl_secs: Option<u64>,
    /// Opaque or JWT access tokens.
    #[serde(default)]
    pub access_token_format: TokenFormat,
    /// The HMAC key of the page cookies; random per process when absent. Nodes sharing a
    /// database must share it too, so a flow begun on one can finish on another.
    pub session_secret: Option<String>,
    /// With `access_token_format = "jwt"`: a file holding the Ed25519 signing key (PKCS#8
    /// DER), created if missing, so several nodes (or restarts) share one key. Relative
    /// paths are taken from the working directory. Without it each process generates a key
    /// of its own and its JWTs are not accepted by other nodes or after a restart.
    pub jwt_key_file: Option<std::path::PathBuf>,
    /// Registered clients.
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// Users who can sign in.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// Declared scopes.
    #[serde(default)]
    pub scopes: Vec<ScopeConfig>,
}

/// One `[[clients]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The client id.
    pub id: String,
    /// The secret of a confidential client; absent for a public client.
    pub secret: Option<String>,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The widest scope the client may be granted.
    pub scopes: Vec<String>,
    /// Grant types (default `authorization_code` and `refresh_token`).
    pub grant_types: Option<Vec<String>>,
}

/// One `[[users]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The user name, also the token subject.
    pub username: String,
    /// The password (demo only: kept in the clear).
    pub password: String,
    /// The one-time code for strong authentication; without it the user cannot step up.
    pub sca_code: Option<String>,
}

/// One `[[scopes]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeConfig {
    /// The scope token.
    pub name: String,
    /// What it allows, for the consent page.
    pub description: String,
    /// Whether granting it needs strong customer authentication.
    #[serde(default)]
    pub requires_sca: bool,
}

fn client(
    id: &str,
    secret: Option<&str>,
    uri: &str,
    scopes: &[&str],
    grants: &[&str],
) -> ClientConfig {
    ClientConfig {
        id: id.into(),
        secret: secret.map(Into::into),
        redirect_uris: vec![uri.into()],
        scopes: scopes.iter().map(|s| (*s).into()).collect(),
        grant_types: Some(grants.iter().map(|s| (*s).into()).collect()),
    }
}

fn user(username: &str, password: &str, sca_code: &str) -> UserConfig {
    UserConfig {
        username: username.into(),
        password: password.into(),
        sca_code: Some(sca_code.into()),
    }
}

fn scope(name: &str, description: &str, requires_sca: bool) -> ScopeConfig {
    ScopeConfig {
        name: name.into(),
        description: description.into(),
        requires_sca,
    }
}

impl Config {
    /// The built-in crypto exchange used when no file is given.
    pub fn builtin() -> Self {
        Self {
            clients: vec![
                client(
                    "wallet-web",
                    Some("wallet-web-secret-change-me"),
                    "https://wallet.example/callback",
                    &["balance:read", "trade", "withdraw"],
                    &["authorization_code", "refresh_token", "client_credentials"],
                ),
                client(
                    "wallet-cli",
                    None,
                    "http://127.0.0.1/callback",
                    &["balance:read", "trade", "withdraw"],
                    &["authorization_code", "refresh_token"],
                ),
                client(
                    "exchange-api",
                    Some("exchange-api-secret"),
                    "https://api.exchange.example/unused",
                    &["balance:read"],
                    &["client_credentials"],
                ),
            ],
            users: vec![
                user("alice", "alice-password", "123456"),
                user("bob", "bob-password", "654321"),
            ],
            scopes: vec![
                scope("balance:read", "View your balances", false),
                scope("trade", "Place trades on your behalf", true),
                scope("withdraw", "Withdraw funds from your account", true),
            ],
            ..Self::default()
        }
    }

    /// Parses a configuration from TOML text and checks it.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::new(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| ConfigError::new(format!("{}: {}", path.display(), e.0)))
    }

    /// Checks everything that can be checked without an issuer.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(ttl) = self.code_ttl_secs {
            if !(1..=600).contains(&ttl) {
                return Err(ConfigError::new("code_ttl_secs must be between 1 and 600"));
            }
        }
        if self.session_secret.as_ref().is_some_and(|s| s.len() < 16) {
            return Err(ConfigError::new(
                "session_secret must be at least 16 characters",
            ));
        }
        let mut ids = Vec::new();
        for client in &self.clients {
            if client.id == crate::app::DEMO_CLIENT_ID {
                return Err(ConfigError::new(format!(
                    "client id {:?} is reserved for the built-in client",
                    client.id
                )));
            }
            if ids.contains(&client.id.as_str()) {
                return Err(ConfigError::new(format!(
                    "client {:?} declared twice",
                    client.id
                )));
            }
            ids.push(client.id.as_str());
            client.to_client()?;
        }
        let mut names = Vec::new();
        for user in &self.users {
            if latchkey_engine::Subject::new(user.username.as_str()).is_err() {
                return Err(ConfigError::new(format!(
                    "invalid username {:?}",
                    user.username
                )));
            }
            if names.contains(&user.username.as_str()) {
                return Err(ConfigError::new(format!(
                    "user {:?} declared twice",
                    user.username
                )));
            }
            if user.password.is_empty() {
                return Err(ConfigError::new(format!(
                    "user {:?} has an empty password",
                    user.username
                )));
            }
            names.push(user.username.as_str());
        }
        for rule in &self.scopes {
            if Scope::parse(&rule.name).map_or(true, |s| s.len() != 1) {
                return Err(ConfigError::new(format!(
                    "invalid scope name {:?}",
                    rule.name
                )));
            }
        }
        Ok(())
    }
}

impl ClientConfig {
    /// The engine's registration for this entry (the client name is its id).
    pub fn to_client(&self) -> Result<Client, ConfigError> {
        let id = ClientId::new(&self.id)
            .map_err(|e| ConfigError::new(format!("invalid client id {:?}: {e}", self.id)))?;
        let context = |what: String| ConfigError::new(format!("client {:?}: {what}", self.id));
        if self.redirect_uris.is_empty() {
            return Err(context("needs at least one redirect URI".into()));
        }
        let redirect_uris = self
            .redirect_uris
            .iter()
            .map(|uri| {
                RedirectUri::register(uri)
                    .map_err(|e| context(format!("redirect URI {uri:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let grant_types = match &self.grant_types {
            None => vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            Some(names) => names
                .iter()
                .map(|name| {
                    name.parse::<GrantType>()
                        .map_err(|_| context(format!("unknown grant type {name:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let scope = Scope::from_tokens(self.scopes.iter().map(String::as_str))
            .map_err(|e| context(format!("invalid scopes: {e}")))?;
        if let Some(secret) = &self.secret {
            if secret.is_empty() {
                return Err(context(
                    "secret must not be empty (omit it for a public client)".into(),
                ));
            }
        }
        Ok(Client {
            id,
            name: self.id.clone(),
            secret: self.secret.as_deref().map(ClientSecretVerifier::for_secret),
            redirect_uris,
            grant_types,
            scope,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
        issuer = "https://auth.exchange.example"
        code_ttl_secs = 30
        access_token_format = "jwt"
        session_secret = "0123456789abcdef0123"
        [[clients]]
        id = "wallet-web"
        secret = "s3cret"
        redirect_uris = ["https://wallet.example/callback"]
        scopes = ["balance:read", "trade"]
        [[users]]
        username = "carol"
        password = "pw"
        [[scopes]]
        name = "trade"
        description = "Place trades on your behalf"
        requires_sca = true
    "#;

    #[test]
    fn builtin_defaults_describe_the_exchange() {
        let config = Config::builtin();
        config.validate().unwrap();
        assert_eq!(config.access_token_format, TokenFormat::Opaque);
        let ids: Vec<_> = config.clients.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["wallet-web", "wallet-cli", "exchange-api"]);
        let cli = config.clients[1].to_client().unwrap();
        assert!(!cli.is_confidential());
        let api = config.clients[2].to_client().unwrap();
        assert_eq!(api.grant_types, vec![GrantType::ClientCredentials]);
        assert!(config.scopes.iter().filter(|s| s.requires_sca).count() == 2);
    }

    #[test]
    fn a_sample_file_parses_with_defaults_filled_in() {
        let config = Config::from_toml(SAMPLE).unwrap();
        assert_eq!(
            config.issuer.as_deref(),
            Some("https://auth.exchange.example")
        );
        assert_eq!(config.code_ttl_secs, Some(30));
        assert_eq!(config.access_token_format, TokenFormat::Jwt);
        let client = config.clients[0].to_client().unwrap();
        assert!(client.is_confidential());
        assert_eq!(
            client.grant_types,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(config.users[0].sca_code, None);
        assert!(config.scopes[0].requires_sca);
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }

    #[test]
    fn unknown_fields_and_bad_values_are_clear_errors() {
        let err = Config::from_toml("isuer = \"x\"").unwrap_err();
        assert!(err.0.contains("unknown field"), "{err}");
        let err = Config::from_toml("[[users]]\nusername = \"a\"\npassword = \"b\"\nadmin = true")
            .unwrap_err();
        assert!(err.0.contains("unknown field"), "{err}");
        let err = Config::from_toml("access_token_format = \"paseto\"").unwrap_err();
        assert!(err.0.contains("unknown variant"), "{err}");
        let err = Config::from_toml(
            "[[clients]]\nid = \"x\"\nredirect_uris = [\"http://evil.example/cb\"]\nscopes = [\"a\"]",
        )
        .unwrap_err();
        assert!(err.0.contains("client \"x\": redirect URI"), "{err}");
        let err = Config::from_toml("code_ttl_secs = 6000").unwrap_err();
        assert!(err.0.contains("code_ttl_secs"), "{err}");
        let err = Config::from_toml(
            "[[clients]]\nid = \"demo-client\"\nredirect_uris = [\"https://a.example/cb\"]\nscopes = [\"a\"]",
        )
        .unwrap_err();
        assert!(err.0.contains("reserved"), "{err}");
    }
}
