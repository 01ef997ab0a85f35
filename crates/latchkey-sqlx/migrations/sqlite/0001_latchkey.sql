-- latchkey storage schema (SQLite). Digests are 32-byte SHA-256 BLOBs, grant ids
-- 16-byte BLOBs, times unix seconds, scopes space-joined text.

CREATE TABLE IF NOT EXISTS lk_clients (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    secret_sha256   BLOB,
    redirect_uris   TEXT NOT NULL,
    grant_types     TEXT NOT NULL,
    scope           TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS lk_interactions (
    id                      BLOB PRIMARY KEY NOT NULL,
    client_id               TEXT NOT NULL,
    redirect_uri            TEXT NOT NULL,
    redirect_uri_sent       BOOLEAN NOT NULL,
    scope                   TEXT NOT NULL,
    state                   TEXT,
    code_challenge_method   TEXT,
    code_challenge          TEXT,
    nonce                   TEXT,
    created_at              INTEGER NOT NULL,
    expires_at              INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS lk_interactions_expires ON lk_interactions (expires_at);

CREATE TABLE IF NOT EXISTS lk_codes (
    digest                  BLOB PRIMARY KEY NOT NULL,
    grant_id                BLOB NOT NULL,
    client_id               TEXT NOT NULL,
    subject                 TEXT,
    scope                   TEXT NOT NULL,
    auth_time               INTEGER,
    acr                     TEXT,
    amr                     TEXT,
    grant_created_at        INTEGER NOT NULL,
    refresh_expires_at      INTEGER,
    redirect_uri            TEXT NOT NULL,
    redirect_uri_sent       BOOLEAN NOT NULL,
    code_challenge_method   TEXT,
    code_challenge          TEXT,
    nonce                   TEXT,
    issued_at               INTEGER NOT NULL,
    expires_at              INTEGER NOT NULL,
    consumed_at             INTEGER
);
CREATE INDEX IF NOT EXISTS lk_codes_client ON lk_codes (client_id);
CREATE INDEX IF NOT EXISTS lk_codes_subject ON lk_codes (subject);
CREATE INDEX IF NOT EXISTS lk_codes_expires ON lk_codes (expires_at);

CREATE TABLE IF NOT EXISTS lk_grants (
    id                  BLOB PRIMARY KEY NOT NULL,
    client_id           TEXT NOT NULL,
    subject             TEXT,
    scope               TEXT NOT NULL,
    auth_time           INTEGER,
    acr                 TEXT,
    amr                 TEXT,
    created_at          INTEGER NOT NULL,
    refresh_expires_at  INTEGER
);
CREATE INDEX IF NOT EXISTS lk_grants_client ON lk_grants (client_id);
CREATE INDEX IF NOT EXISTS lk_grants_subject ON lk_grants (subject);

-- A revocation outlives the grant row and may precede it (a code replay racing the
-- first redemption), so it has its own table.
CREATE TABLE IF NOT EXISTS lk_revoked_grants (
    grant_id    BLOB PRIMARY KEY NOT NULL
);

CREATE TABLE IF NOT EXISTS lk_access_tokens (
    digest      BLOB PRIMARY KEY NOT NULL,
    grant_id    BLOB NOT NULL,
    scope       TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS lk_access_tokens_grant ON lk_access_tokens (grant_id);
CREATE INDEX IF NOT EXISTS lk_access_tokens_expires ON lk_access_tokens (expires_at);

CREATE TABLE IF NOT EXISTS lk_refresh_tokens (
    digest      BLOB PRIMARY KEY NOT NULL,
    grant_id    BLOB NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX IF NOT EXISTS lk_refresh_tokens_grant ON lk_refresh_tokens (grant_id);
CREATE INDEX IF NOT EXISTS lk_refresh_tokens_expires ON lk_refresh_tokens (expires_at);
