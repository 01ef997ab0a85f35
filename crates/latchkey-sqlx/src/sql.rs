//! Every SQL statement the backends run, written once in the dialect SQLite (≥ 3.35) and
//! PostgreSQL share: `$n` placeholders, `RETURNING`, `ON CONFLICT`. Each at-most-once
//! operation starts with a single conditional write (`UPDATE … WHERE used IS NULL …
//! RETURNING`, `DELETE … RETURNING`, `INSERT … SELECT … WHERE NOT EXISTS`), so the
//! database's row locking (PostgreSQL) or writer lock (SQLite) decides the one winner,
//! across connections and processes alike. Grant revocations live in
//! `lk_revoked_grants` and every token read checks it, so a token written concurrently
//! with a revocation is dead as soon as the revocation commits.

/// Grant columns of `lk_grants g`, aliased for [`crate::codec::GrantRow`].
macro_rules! grant_cols {
    () => {
        "g.id AS g_id, g.client_id AS g_client_id, g.subject AS g_subject, \
         g.scope AS g_scope, g.auth_time AS g_auth_time, g.acr AS g_acr, g.amr AS g_amr, \
         g.created_at AS g_created_at, g.refresh_expires_at AS g_refresh_expires_at"
    };
}

/// Columns of `lk_codes` for [`crate::codec::CodeRow`].
macro_rules! code_cols {
    () => {
        "digest, redirect_uri, redirect_uri_sent, code_challenge_method, code_challenge, \
         nonce, issued_at, expires_at, grant_id AS g_id, client_id AS g_client_id, \
         subject AS g_subject, scope AS g_scope, auth_time AS g_auth_time, acr AS g_acr, \
         amr AS g_amr, grant_created_at AS g_created_at, \
         refresh_expires_at AS g_refresh_expires_at"
    };
}

/// Columns of `lk_interactions` for [`crate::codec::InteractionRow`].
macro_rules! interaction_cols {
    () => {
        "client_id, redirect_uri, redirect_uri_sent, scope, state, code_challenge_method, \
         code_challenge, nonce, created_at, expires_at"
    };
}

/// `NOT EXISTS` clause: the grant id in `$col` has not been revoked.
macro_rules! not_revoked {
    ($col:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM lk_revoked_grants r WHERE r.grant_id = ",
            $col,
            ")"
        )
    };
}

#[cfg(feature = "sqlite")]
pub(crate) const GET_CLIENT: &str = "SELECT id, name, secret_sha256, redirect_uris, \
     grant_types, scope FROM lk_clients WHERE id = $1";

pub(crate) const PUT_CLIENT: &str = "INSERT INTO lk_clients \
     (id, name, secret_sha256, redirect_uris, grant_types, scope) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
     name = excluded.name, secret_sha256 = excluded.secret_sha256, \
     redirect_uris = excluded.redirect_uris, grant_types = excluded.grant_types, \
     scope = excluded.scope";

pub(crate) const DELETE_CLIENT: &str = "DELETE FROM lk_clients WHERE id = $1";

pub(crate) const PUT_INTERACTION: &str = concat!(
    "INSERT INTO lk_interactions (id, ",
    interaction_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
);

pub(crate) const GET_INTERACTION: &str = concat!(
    "SELECT ",
    interaction_cols!(),
    " FROM lk_interactions WHERE id = $1 AND expires_at > $2"
);

pub(crate) const TAKE_INTERACTION: &str = concat!(
    "DELETE FROM lk_interactions WHERE id = $1 AND expires_at > $2 RETURNING ",
    interaction_cols!()
);

pub(crate) const INSERT_CODE: &str = "INSERT INTO lk_codes (digest, grant_id, client_id, \
     subject, scope, auth_time, acr, amr, grant_created_at, refresh_expires_at, \
     redirect_uri, redirect_uri_sent, code_challenge_method, code_challenge, nonce, \
     issued_at, expires_at) VALUES \
     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

#[cfg(feature = "sqlite")]
pub(crate) const CONSUME_CODE: &str = concat!(
    "UPDATE lk_codes SET consumed_at = $2 \
     WHERE digest = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING ",
    code_cols!()
);

/// Run only when [`CONSUME_CODE`] matched no row: tells a replay from an expired or
/// unknown code.
#[cfg(feature = "sqlite")]
pub(crate) const CODE_STATUS: &str = "SELECT grant_id, consumed_at FROM lk_codes WHERE digest = $1";

/// Inserts the grant unless its id was revoked (no row affected then).
#[cfg(feature = "sqlite")]
pub(crate) const INSERT_GRANT: &str = concat!(
    "INSERT INTO lk_grants (id, client_id, subject, scope, auth_time, acr, amr, \
     created_at, refresh_expires_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE ",
    not_revoked!("$1")
);

/// Inserts an access token unless its grant was revoked (no row affected then).
pub(crate) const INSERT_ACCESS: &str = concat!(
    "INSERT INTO lk_access_tokens (digest, grant_id, scope, issued_at, expires_at) \
     SELECT $1, $2, $3, $4, $5 WHERE ",
    not_revoked!("$2")
);

/// PostgreSQL only, batched: consumes every live, unused code among `$1` (digests), each
/// at its own time from `$2`, as [`CONSUME_CODE`] does for one. A digest listed twice is
/// consumed once (and returned once). The row lock of each code decides its one winner
/// across concurrent statements, batched or not. (The engine redeems codes with
/// [`REDEEM_CODES`]; this serves direct `consume_code` callers.)
#[cfg(feature = "postgres")]
pub(crate) const CONSUME_CODES: &str = concat!(
    "UPDATE lk_codes SET consumed_at = d.at \
     FROM unnest($1::bytea[], $2::int8[]) AS d(k, at) \
     WHERE digest = d.k AND consumed_at IS NULL AND expires_at > d.at RETURNING ",
    code_cols!()
);

/// PostgreSQL only, batched [`CODE_STATUS`]: run for the digests [`CONSUME_CODES`] did not
/// return.
#[cfg(feature = "postgres")]
pub(crate) const CODE_STATUSES: &str =
    "SELECT digest, grant_id, consumed_at FROM lk_codes WHERE digest = ANY($1)";

/// PostgreSQL only, batched: grants, each with its access token and (where its refresh
/// digest is not null) its refresh token, in one statement, so one round trip and one
/// commit store them all. Token inserts read the grant insert's `RETURNING`, so a revoked
/// grant id stores nothing; the answer lists the grant ids stored.
#[cfg(feature = "postgres")]
pub(crate) const INSERT_GRANTS: &str = concat!(
    "WITH d AS (SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], \
     $5::int8[], $6::text[], $7::text[], $8::int8[], $9::int8[], $10::bytea[], $11::text[], \
     $12::int8[], $13::int8[], $14::bytea[], $15::int8[], $16::int8[], $17::int8[]) \
     AS d(id, client_id, subject, scope, auth_time, acr, amr, created_at, \
     refresh_expires_at, a_digest, a_scope, a_issued_at, a_expires_at, r_digest, \
     r_issued_at, r_expires_at, r_used_at)), \
     g AS (INSERT INTO lk_grants (id, client_id, subject, scope, auth_time, acr, amr, \
     created_at, refresh_expires_at) SELECT id, client_id, subject, scope, auth_time, acr, \
     amr, created_at, refresh_expires_at FROM d WHERE ",
    not_revoked!("d.id"),
    " RETURNING id), \
     a AS (INSERT INTO lk_access_tokens (digest, grant_id, scope, issued_at, expires_at) \
     SELECT d.a_digest, d.id, d.a_scope, d.a_issued_at, d.a_expires_at \
     FROM d JOIN g ON g.id = d.id), \
     r AS (INSERT INTO lk_refresh_tokens (digest, grant_id, issued_at, expires_at, used_at) \
     SELECT d.r_digest, d.id, d.r_issued_at, d.r_expires_at, d.r_used_at \
     FROM d JOIN g ON g.id = d.id WHERE d.r_digest IS NOT NULL) \
     SELECT id FROM g"
);

/// PostgreSQL only, batched: redeems codes — each call's code consumed as by
/// [`CONSUME_CODES`] and, in the same statement, its grant stored with the call's planned
/// tokens as by [`INSERT_GRANTS`] — so a code exchange costs one round trip and one
/// (synchronous) commit. Per call: `$1` code digest, `$2` the time of the request, `$3`
/// the tokens' issue time, `$4`/`$5` access digest and expiry, `$6`/`$7` refresh digest
/// and idle end (null without a refresh token); the refresh token expires at the earlier
/// of its idle end and the grant's `refresh_expires_at`, as `PlannedTokens::records_for`
/// says. A revoked grant id is consumed but stores nothing. Each row returned is a code
/// this statement consumed, with the access digest of the call that won it (a digest
/// listed twice is consumed once).
#[cfg(feature = "postgres")]
pub(crate) const REDEEM_CODES: &str = concat!(
    "WITH d AS (SELECT * FROM unnest($1::bytea[], $2::int8[], $3::int8[], $4::bytea[], \
     $5::int8[], $6::bytea[], $7::int8[]) \
     AS d(k, at, issued, a_digest, a_expires_at, r_digest, r_idle_end)), \
     c AS (UPDATE lk_codes SET consumed_at = d.at FROM d \
     WHERE digest = d.k AND consumed_at IS NULL AND expires_at > d.at RETURNING ",
    code_cols!(),
    ", d.issued, d.a_digest, d.a_expires_at, d.r_digest, d.r_idle_end), \
     g AS (INSERT INTO lk_grants (id, client_id, subject, scope, auth_time, acr, amr, \
     created_at, refresh_expires_at) SELECT g_id, g_client_id, g_subject, g_scope, \
     g_auth_time, g_acr, g_amr, g_created_at, g_refresh_expires_at FROM c WHERE ",
    not_revoked!("c.g_id"),
    " RETURNING id), \
     a AS (INSERT INTO lk_access_tokens (digest, grant_id, scope, issued_at, expires_at) \
     SELECT c.a_digest, c.g_id, c.g_scope, c.issued, c.a_expires_at \
     FROM c JOIN g ON g.id = c.g_id), \
     r AS (INSERT INTO lk_refresh_tokens (digest, grant_id, issued_at, expires_at, used_at) \
     SELECT c.r_digest, c.g_id, c.issued, \
     LEAST(c.r_idle_end, COALESCE(c.g_refresh_expires_at, c.r_idle_end)), NULL \
     FROM c JOIN g ON g.id = c.g_id WHERE c.r_digest IS NOT NULL) \
     SELECT * FROM c"
);

/// PostgreSQL only, batched [`GET_CLIENT`].
#[cfg(feature = "postgres")]
pub(crate) const GET_CLIENTS: &str = "SELECT id, name, secret_sha256, redirect_uris, \
     grant_types, scope FROM lk_clients WHERE id = ANY($1)";

/// PostgreSQL only: a batch of whole rotations in one statement. The `UPDATE` is
/// `USE_REFRESH` for every call at once (its row locks pick the one winner among
/// concurrent rotations, in this batch or another); each winner's new refresh and access
/// token are inserted only from its `RETURNING`, so a lost race or a revoked grant stores
/// nothing. Per call: `$1` the presented digest, `$2` the time of the request, `$3`–`$7`
/// the new refresh token (digest, grant id, issue time, expiry, used time) and `$8`–`$12`
/// the new access token (digest, grant id, scope, issue time, expiry). Returns the 1-based
/// position of each call that won; a digest listed twice is used once.
#[cfg(feature = "postgres")]
pub(crate) const ROTATE_REFRESHES: &str = concat!(
    "WITH d AS (SELECT * FROM unnest($1::bytea[], $2::int8[], $3::bytea[], $4::bytea[], \
     $5::int8[], $6::int8[], $7::int8[], $8::bytea[], $9::bytea[], $10::text[], \
     $11::int8[], $12::int8[]) WITH ORDINALITY AS d(k, at, r_digest, r_grant, r_issued, \
     r_expires, r_used, a_digest, a_grant, a_scope, a_issued, a_expires, n)), \
     used AS (UPDATE lk_refresh_tokens SET used_at = d.at FROM d \
     WHERE lk_refresh_tokens.digest = d.k AND lk_refresh_tokens.used_at IS NULL \
     AND lk_refresh_tokens.expires_at > d.at AND ",
    not_revoked!("lk_refresh_tokens.grant_id"),
    " RETURNING d.n, d.r_digest, d.r_grant, d.r_issued, d.r_expires, d.r_used, \
     d.a_digest, d.a_grant, d.a_scope, d.a_issued, d.a_expires), \
     r AS (INSERT INTO lk_refresh_tokens (digest, grant_id, issued_at, expires_at, used_at) \
     SELECT r_digest, r_grant, r_issued, r_expires, r_used FROM used), \
     a AS (INSERT INTO lk_access_tokens (digest, grant_id, scope, issued_at, expires_at) \
     SELECT a_digest, a_grant, a_scope, a_issued, a_expires FROM used) \
     SELECT n FROM used"
);

#[cfg(feature = "sqlite")]
pub(crate) const INSERT_REFRESH: &str = "INSERT INTO lk_refresh_tokens \
     (digest, grant_id, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)";

#[cfg(feature = "sqlite")]
pub(crate) const GET_ACCESS: &str = concat!(
    "SELECT a.digest, a.scope, a.issued_at, a.expires_at, ",
    grant_cols!(),
    " FROM lk_access_tokens a JOIN lk_grants g ON g.id = a.grant_id \
     WHERE a.digest = $1 AND a.expires_at > $2 AND ",
    not_revoked!("a.grant_id")
);

#[cfg(feature = "sqlite")]
pub(crate) const GET_REFRESH: &str = concat!(
    "SELECT t.digest, t.issued_at, t.expires_at, t.used_at, ",
    grant_cols!(),
    " FROM lk_refresh_tokens t JOIN lk_grants g ON g.id = t.grant_id \
     WHERE t.digest = $1 AND t.expires_at > $2 AND ",
    not_revoked!("t.grant_id")
);

/// PostgreSQL only, batched `GET_ACCESS`: `$1` digests, `$2` the time of each call;
/// each row carries `n`, the 1-based position of the call it answers.
#[cfg(feature = "postgres")]
pub(crate) const GET_ACCESS_MANY: &str = concat!(
    "SELECT d.n, a.digest, a.scope, a.issued_at, a.expires_at, ",
    grant_cols!(),
    " FROM unnest($1::bytea[], $2::int8[]) WITH ORDINALITY AS d(k, at, n) \
     JOIN lk_access_tokens a ON a.digest = d.k JOIN lk_grants g ON g.id = a.grant_id \
     WHERE a.expires_at > d.at AND ",
    not_revoked!("a.grant_id")
);

/// PostgreSQL only, batched `GET_REFRESH`, numbered as [`GET_ACCESS_MANY`].
#[cfg(feature = "postgres")]
pub(crate) const GET_REFRESH_MANY: &str = concat!(
    "SELECT d.n, t.digest, t.issued_at, t.expires_at, t.used_at, ",
    grant_cols!(),
    " FROM unnest($1::bytea[], $2::int8[]) WITH ORDINALITY AS d(k, at, n) \
     JOIN lk_refresh_tokens t ON t.digest = d.k JOIN lk_grants g ON g.id = t.grant_id \
     WHERE t.expires_at > d.at AND ",
    not_revoked!("t.grant_id")
);

/// Marks a live, unused refresh token used; the winner gets its grant id back.
#[cfg(feature = "sqlite")]
pub(crate) const USE_REFRESH: &str = concat!(
    "UPDATE lk_refresh_tokens SET used_at = $2 \
     WHERE digest = $1 AND used_at IS NULL AND expires_at > $2 AND ",
    not_revoked!("lk_refresh_tokens.grant_id"),
    " RETURNING grant_id"
);

/// Run only when [`USE_REFRESH`] matched no row: a live token that was used is a replay.
pub(crate) const REFRESH_STATUS: &str = concat!(
    "SELECT t.grant_id FROM lk_refresh_tokens t \
     WHERE t.digest = $1 AND t.used_at IS NOT NULL AND t.expires_at > $2 AND ",
    not_revoked!("t.grant_id")
);

pub(crate) const REVOKE_ACCESS: &str = "DELETE FROM lk_access_tokens WHERE digest = $1";

pub(crate) const REVOKE_GRANT: &str =
    "INSERT INTO lk_revoked_grants (grant_id) VALUES ($1) ON CONFLICT DO NOTHING";

pub(crate) const REVOKE_CLIENT_GRANTS: &str = concat!(
    "INSERT INTO lk_revoked_grants (grant_id) SELECT g.id FROM lk_grants g \
     WHERE g.client_id = $1 AND ",
    not_revoked!("g.id"),
    " ON CONFLICT DO NOTHING"
);

pub(crate) const DROP_CLIENT_CODES: &str =
    "DELETE FROM lk_codes WHERE client_id = $1 AND consumed_at IS NULL";

pub(crate) const REVOKE_SUBJECT_GRANTS: &str = concat!(
    "INSERT INTO lk_revoked_grants (grant_id) SELECT g.id FROM lk_grants g \
     WHERE g.subject = $1 AND ",
    not_revoked!("g.id"),
    " ON CONFLICT DO NOTHING"
);

/// Revokes the grant ids of the client's consumed codes whose grant is not stored yet:
/// redemptions in flight between `consume_code` and `insert_grant`, which then fails.
pub(crate) const REVOKE_CLIENT_IN_FLIGHT: &str = concat!(
    "INSERT INTO lk_revoked_grants (grant_id) SELECT c.grant_id FROM lk_codes c \
     WHERE c.client_id = $1 AND c.consumed_at IS NOT NULL \
     AND NOT EXISTS (SELECT 1 FROM lk_grants g WHERE g.id = c.grant_id) AND ",
    not_revoked!("c.grant_id"),
    " ON CONFLICT DO NOTHING"
);

/// [`REVOKE_CLIENT_IN_FLIGHT`] for a subject.
pub(crate) const REVOKE_SUBJECT_IN_FLIGHT: &str = concat!(
    "INSERT INTO lk_revoked_grants (grant_id) SELECT c.grant_id FROM lk_codes c \
     WHERE c.subject = $1 AND c.consumed_at IS NOT NULL \
     AND NOT EXISTS (SELECT 1 FROM lk_grants g WHERE g.id = c.grant_id) AND ",
    not_revoked!("c.grant_id"),
    " ON CONFLICT DO NOTHING"
);

pub(crate) const DROP_SUBJECT_CODES: &str =
    "DELETE FROM lk_codes WHERE subject = $1 AND consumed_at IS NULL";

pub(crate) const PURGE_INTERACTIONS: &str = "DELETE FROM lk_interactions WHERE expires_at <= $1";

/// `$1` is `now - code_replay_window`.
pub(crate) const PURGE_CODES: &str = "DELETE FROM lk_codes WHERE expires_at <= $1";

pub(crate) const PURGE_ACCESS: &str = concat!(
    "DELETE FROM lk_access_tokens WHERE expires_at <= $1 OR NOT ",
    not_revoked!("lk_access_tokens.grant_id")
);

pub(crate) const PURGE_REFRESH: &str = concat!(
    "DELETE FROM lk_refresh_tokens WHERE expires_at <= $1 OR NOT ",
    not_revoked!("lk_refresh_tokens.grant_id")
);

/// Grants left without any token can never be used again; their revocation (if any)
/// stays in `lk_revoked_grants`.
pub(crate) const PURGE_GRANTS: &str = "DELETE FROM lk_grants WHERE \
     NOT EXISTS (SELECT 1 FROM lk_access_tokens a WHERE a.grant_id = lk_grants.id) AND \
     NOT EXISTS (SELECT 1 FROM lk_refresh_tokens t WHERE t.grant_id = lk_grants.id)";
