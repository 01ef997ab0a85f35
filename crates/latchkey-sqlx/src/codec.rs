//! How records map to columns, shared by both backends: digests and grant ids as byte
//! strings, times as unix seconds, scopes as their space-joined form, redirect URIs and
//! grant types space-joined (neither can contain a space), `amr` as a JSON array. Each
//! `*Row` is what a `SELECT` (with the column names used in [`crate::sql`]) decodes into;
//! its `into_record` validates every value again, so a tampered or truncated row gives
//! [`StoreError::Corrupt`] instead of a record the engine would trust.

use latchkey_engine::pkce::{CodeChallenge, CodeChallengeMethod, Nonce, SecretDigest, State};
use latchkey_engine::store::{
    AccessTokenRecord, Client, ClientSecretVerifier, CodeRecord, InteractionRecord,
    RefreshTokenRecord, StoreError,
};
use latchkey_engine::types::{ClientId, GrantType, RedirectUri, Scope};
use latchkey_engine::{Authentication, Grant, GrantId, Subject};
use time::OffsetDateTime;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("stored {what} is invalid"))
}

/// A time as stored: whole unix seconds (sub-second parts are dropped).
pub(crate) fn secs(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn opt_secs(t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(secs)
}

fn time_of(s: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(s).map_err(|_| corrupt("time"))
}

fn opt_time(s: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    s.map(time_of).transpose()
}

pub(crate) fn digest_of(bytes: &[u8]) -> Result<SecretDigest, StoreError> {
    SecretDigest::from_slice(bytes).ok_or_else(|| corrupt("digest"))
}

pub(crate) fn grant_id_of(bytes: &[u8]) -> Result<GrantId, StoreError> {
    let array: [u8; 16] = bytes.try_into().map_err(|_| corrupt("grant id"))?;
    Ok(GrantId::from_bytes(array))
}

pub(crate) fn scope_text(scope: &Scope) -> String {
    scope.as_string()
}

fn scope_of(text: &str) -> Result<Scope, StoreError> {
    if text.is_empty() {
        return Ok(Scope::empty());
    }
    Scope::parse(text).map_err(|_| corrupt("scope"))
}

fn client_id_of(text: &str) -> Result<ClientId, StoreError> {
    ClientId::new(text).map_err(|_| corrupt("client id"))
}

fn redirect_of(text: &str) -> Result<RedirectUri, StoreError> {
    RedirectUri::parse(text).map_err(|_| corrupt("redirect URI"))
}

/// The `(method, value)` columns of an optional PKCE challenge.
pub(crate) fn challenge_cols(c: Option<&CodeChallenge>) -> (Option<String>, Option<String>) {
    match c {
        Some(c) => (
            Some(c.method().as_str().to_owned()),
            Some(c.as_str().to_owned()),
        ),
        None => (None, None),
    }
}

fn challenge_of(
    method: Option<String>,
    value: Option<String>,
) -> Result<Option<CodeChallenge>, StoreError> {
    match (method, value) {
        (None, None) => Ok(None),
        (Some(method), Some(value)) => {
            let method: CodeChallengeMethod =
                method.parse().map_err(|_| corrupt("challenge method"))?;
            CodeChallenge::restore(method, value)
                .map(Some)
                .map_err(|_| corrupt("code challenge"))
        }
        _ => Err(corrupt("code challenge")),
    }
}

fn nonce_of(text: Option<String>) -> Result<Option<Nonce>, StoreError> {
    text.map(|n| Nonce::parse(&n).map_err(|_| corrupt("nonce")))
        .transpose()
}

/// The authentication columns `(auth_time, acr, amr)` of a grant.
pub(crate) fn auth_cols(g: &Grant) -> (Option<i64>, Option<String>, Option<String>) {
    match &g.authentication {
        Some(a) => (
            Some(secs(a.auth_time)),
            Some(a.acr.clone()),
            serde_json::to_string(&a.amr).ok(),
        ),
        None => (None, None, None),
    }
}

/// The grant columns, as selected with a `g_` prefix.
#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    g_id: Vec<u8>,
    g_client_id: String,
    g_subject: Option<String>,
    g_scope: String,
    g_auth_time: Option<i64>,
    g_acr: Option<String>,
    g_amr: Option<String>,
    g_created_at: i64,
    g_refresh_expires_at: Option<i64>,
}

impl GrantRow {
    pub(crate) fn into_grant(self) -> Result<Grant, StoreError> {
        let authentication = match (self.g_auth_time, self.g_acr, self.g_amr) {
            (None, None, None) => None,
            (Some(t), Some(acr), Some(amr)) => Some(Authentication {
                auth_time: time_of(t)?,
                acr,
                amr: serde_json::from_str(&amr).map_err(|_| corrupt("amr"))?,
            }),
            _ => return Err(corrupt("authentication")),
        };
        Ok(Grant {
            id: grant_id_of(&self.g_id)?,
            client_id: client_id_of(&self.g_client_id)?,
            subject: self
                .g_subject
                .map(|s| Subject::new(s).map_err(|_| corrupt("subject")))
                .transpose()?,
            scope: scope_of(&self.g_scope)?,
            authentication,
            created_at: time_of(self.g_created_at)?,
            refresh_expires_at: opt_time(self.g_refresh_expires_at)?,
        })
    }
}

/// A pending interaction row.
#[derive(sqlx::FromRow)]
pub(crate) struct InteractionRow {
    client_id: String,
    redirect_uri: String,
    redirect_uri_sent: bool,
    scope: String,
    state: Option<String>,
    code_challenge_method: Option<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
    created_at: i64,
    expires_at: i64,
}

impl InteractionRow {
    pub(crate) fn into_record(self) -> Result<InteractionRecord, StoreError> {
        Ok(InteractionRecord {
            client_id: client_id_of(&self.client_id)?,
            redirect_uri: redirect_of(&self.redirect_uri)?,
            redirect_uri_sent: self.redirect_uri_sent,
            scope: scope_of(&self.scope)?,
            state: self
                .state
                .map(|s| State::parse(&s).map_err(|_| corrupt("state")))
                .transpose()?,
            code_challenge: challenge_of(self.code_challenge_method, self.code_challenge)?,
            nonce: nonce_of(self.nonce)?,
            created_at: time_of(self.created_at)?,
            expires_at: time_of(self.expires_at)?,
        })
    }
}

/// An authorization code row, with the grant it creates.
#[derive(sqlx::FromRow)]
pub(crate) struct CodeRow {
    digest: Vec<u8>,
    redirect_uri: String,
    redirect_uri_sent: bool,
    code_challenge_method: Option<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
    issued_at: i64,
    expires_at: i64,
    #[sqlx(flatten)]
    grant: GrantRow,
}

impl CodeRow {
    /// The code's digest as stored (to match a batched row to its call).
    #[cfg(feature = "postgres")]
    pub(crate) fn digest(&self) -> &[u8] {
        &self.digest
    }

    pub(crate) fn into_record(self) -> Result<CodeRecord, StoreError> {
        Ok(CodeRecord {
            digest: digest_of(&self.digest)?,
            grant: self.grant.into_grant()?,
            redirect_uri: redirect_of(&self.redirect_uri)?,
            redirect_uri_sent: self.redirect_uri_sent,
            code_challenge: challenge_of(self.code_challenge_method, self.code_challenge)?,
            nonce: nonce_of(self.nonce)?,
            issued_at: time_of(self.issued_at)?,
            expires_at: time_of(self.expires_at)?,
        })
    }
}

/// An access token row joined with its grant.
#[derive(sqlx::FromRow)]
pub(crate) struct AccessRow {
    digest: Vec<u8>,
    scope: String,
    issued_at: i64,
    expires_at: i64,
    #[sqlx(flatten)]
    grant: GrantRow,
}

impl AccessRow {
    pub(crate) fn into_pair(self) -> Result<(AccessTokenRecord, Grant), StoreError> {
        let grant = self.grant.into_grant()?;
        let record = AccessTokenRecord {
            digest: digest_of(&self.digest)?,
            grant_id: grant.id,
            scope: scope_of(&self.scope)?,
            issued_at: time_of(self.issued_at)?,
            expires_at: time_of(self.expires_at)?,
        };
        Ok((record, grant))
    }
}

/// A refresh token row joined with its grant.
#[derive(sqlx::FromRow)]
pub(crate) struct RefreshRow {
    digest: Vec<u8>,
    issued_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    #[sqlx(flatten)]
    grant: GrantRow,
}

impl RefreshRow {
    pub(crate) fn into_pair(self) -> Result<(RefreshTokenRecord, Grant), StoreError> {
        let grant = self.grant.into_grant()?;
        let record = RefreshTokenRecord {
            digest: digest_of(&self.digest)?,
            grant_id: grant.id,
            issued_at: time_of(self.issued_at)?,
            expires_at: time_of(self.expires_at)?,
            used_at: opt_time(self.used_at)?,
        };
        Ok((record, grant))
    }
}

/// A registered client row.
#[derive(sqlx::FromRow)]
pub(crate) struct ClientRow {
    id: String,
    name: String,
    secret_sha256: Option<Vec<u8>>,
    redirect_uris: String,
    grant_types: String,
    scope: String,
}

impl ClientRow {
    /// The client id as stored (to match a batched row to its call).
    #[cfg(feature = "postgres")]
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn into_client(self) -> Result<Client, StoreError> {
        let redirect_uris = self
            .redirect_uris
            .split(' ')
            .filter(|u| !u.is_empty())
            .map(redirect_of)
            .collect::<Result<_, _>>()?;
        let grant_types = self
            .grant_types
            .split(' ')
            .filter(|g| !g.is_empty())
            .map(|g| g.parse::<GrantType>().map_err(|_| corrupt("grant type")))
            .collect::<Result<_, _>>()?;
        Ok(Client {
            id: client_id_of(&self.id)?,
            name: self.name,
            secret: self
                .secret_sha256
                .map(|d| digest_of(&d).map(ClientSecretVerifier::Sha256))
                .transpose()?,
            redirect_uris,
            grant_types,
            scope: scope_of(&self.scope)?,
        })
    }
}

/// The text columns `(redirect_uris, grant_types)` and secret digest of a client.
pub(crate) fn client_cols(
    client: &Client,
) -> Result<(String, String, Option<Vec<u8>>), StoreError> {
    let uris: Vec<&str> = client.redirect_uris.iter().map(|u| u.as_str()).collect();
    let grants: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    let secret = match &client.secret {
        None => None,
        Some(ClientSecretVerifier::Sha256(d)) => Some(d.as_bytes().to_vec()),
        Some(_) => {
            return Err(StoreError::Other(
                "put_client: unsupported client secret verifier".to_owned(),
            ))
        }
    };
    Ok((uris.join(" "), grants.join(" "), secret))
}
